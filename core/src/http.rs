//! Plain-data HTTP requests and responses.
//!
//! The core never sends anything: it hands the host an [`HttpRequest`] (method,
//! absolute URL, headers, body) and takes back an [`HttpResponse`]. Bodies are
//! built exactly as each Fast.io endpoint wants them; a multipart body may leave
//! room for bytes the host supplies itself so a chunk is never copied needlessly.

use std::fmt;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::redact;

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
    /// HEAD
    Head,
}

impl Method {
    /// The method as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A header as a (name, value) pair. Names are compared case-insensitively.
pub type Header = (String, String);

/// Finds a header value by case-insensitive name; the first match wins.
pub fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A request for the host to send.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL, query string included.
    pub url: String,
    /// Headers in the order they should be sent. `Content-Type` is included
    /// when the body has one; `Content-Length` is left to the host's client.
    pub headers: Vec<Header>,
    /// The body.
    pub body: Body,
}

impl HttpRequest {
    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

impl fmt::Debug for HttpRequest {
    // Requests carry bearer tokens, download tokens and passwords: Debug shows
    // their shape but never their values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers = redact::headers(&self.headers);
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &redact::url(&self.url))
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// A request body.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Body {
    /// No body.
    Empty,
    /// No body; the endpoint's parameters travel in the URL's query string
    /// (already encoded into [`HttpRequest::url`]; kept here for inspection).
    /// Used where a body would be ignored, such as a DELETE with a lock token.
    Query(Vec<(String, String)>),
    /// `application/x-www-form-urlencoded` fields, in order.
    Form(Vec<(String, String)>),
    /// `application/json`.
    Json(serde_json::Value),
    /// Raw bytes with their content type.
    Bytes {
        /// The `Content-Type`.
        content_type: String,
        /// The bytes.
        data: PartData,
    },
    /// `multipart/form-data`.
    Multipart(Multipart),
    /// A body of unknown length that the host streams from its source (with
    /// chunked transfer encoding), handing each piece it sends to the machine
    /// that asked for it (`on_data` with this request's id) so the bytes are
    /// hashed as they go.
    Stream {
        /// The `Content-Type`.
        content_type: String,
    },
}

impl Body {
    /// The `Content-Type` header value this body needs, if any.
    pub fn content_type(&self) -> Option<String> {
        match self {
            Body::Empty | Body::Query(_) => None,
            Body::Form(_) => Some("application/x-www-form-urlencoded".into()),
            Body::Json(_) => Some("application/json".into()),
            Body::Bytes { content_type, .. } | Body::Stream { content_type } => {
                Some(content_type.clone())
            }
            Body::Multipart(m) => Some(m.content_type()),
        }
    }

    /// True for a [`Body::Stream`], whose length is not known up front.
    pub fn is_streamed(&self) -> bool {
        matches!(self, Body::Stream { .. })
    }

    /// The exact length in bytes of the encoded body (0 for a stream, whose
    /// length is unknown; see [`Body::is_streamed`]).
    pub fn content_length(&self) -> u64 {
        match self {
            Body::Empty | Body::Query(_) | Body::Stream { .. } => 0,
            Body::Form(fields) => encode_form(fields).len() as u64,
            Body::Json(v) => serde_json::to_vec(v).map(|b| b.len() as u64).unwrap_or(0),
            Body::Bytes { data, .. } => data.len(),
            Body::Multipart(m) => m.content_length(),
        }
    }

    /// The body as segments to write in order: literal bytes, and the places
    /// where the host writes bytes it holds itself ([`PartData::External`]).
    pub fn segments(&self) -> Vec<Segment<'_>> {
        match self {
            Body::Empty | Body::Query(_) | Body::Stream { .. } => Vec::new(),
            Body::Form(fields) => vec![Segment::Owned(encode_form(fields).into_bytes())],
            // Serialising a `Value` cannot fail: its keys are strings.
            Body::Json(v) => vec![Segment::Owned(serde_json::to_vec(v).unwrap_or_default())],
            Body::Bytes { data, .. } => vec![data.segment(0)],
            Body::Multipart(m) => m.segments(),
        }
    }

    /// Encodes the whole body into one buffer. Bytes marked external must be
    /// passed in `external`, in the order they appear; a missing or wrongly
    /// sized one is an error.
    pub fn encode(&self, external: &[&[u8]]) -> Result<Vec<u8>, EncodeError> {
        self.encode_with_source(external, &[])
    }

    /// As [`Body::encode`], taking [`PartData::Source`] bytes from `source`
    /// (the whole upload source); a range past its end is an error.
    pub fn encode_with_source(
        &self,
        external: &[&[u8]],
        source: &[u8],
    ) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.content_length() as usize);
        for seg in self.segments() {
            match seg {
                Segment::Owned(b) => out.extend_from_slice(&b),
                Segment::Borrowed(b) => out.extend_from_slice(b),
                Segment::External { index, len } => {
                    let data = external
                        .get(index)
                        .ok_or(EncodeError::MissingExternal { index })?;
                    if data.len() as u64 != len {
                        return Err(EncodeError::ExternalLength {
                            index,
                            expected: len,
                            actual: data.len() as u64,
                        });
                    }
                    out.extend_from_slice(data);
                }
                Segment::Source { offset, len } => {
                    let range = usize::try_from(offset)
                        .ok()
                        .zip(usize::try_from(len).ok())
                        .and_then(|(o, l)| source.get(o..o.checked_add(l)?))
                        .ok_or(EncodeError::MissingSource { offset, len })?;
                    out.extend_from_slice(range);
                }
            }
        }
        Ok(out)
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Query(p) => f.debug_tuple("Query").field(&redact::pairs(p)).finish(),
            Body::Form(p) => f.debug_tuple("Form").field(&redact::pairs(p)).finish(),
            Body::Json(_) => f.write_str("Json(..)"),
            Body::Bytes { content_type, data } => f
                .debug_struct("Bytes")
                .field("content_type", content_type)
                .field("len", &data.len())
                .finish(),
            Body::Multipart(m) => m.fmt(f),
            Body::Stream { content_type } => write!(f, "Stream({content_type})"),
        }
    }
}

/// Why a body could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The body references host bytes that were not supplied.
    #[error("external body part {index} was not supplied")]
    MissingExternal {
        /// Which external part (0-based, in order of appearance).
        index: usize,
    },
    /// Host bytes of the wrong length were supplied.
    #[error("external body part {index} has {actual} bytes, expected {expected}")]
    ExternalLength {
        /// Which external part.
        index: usize,
        /// The length the request was built for.
        expected: u64,
        /// The length supplied.
        actual: u64,
    },
    /// The body has bytes of the upload's source that were not supplied.
    #[error("the body needs {len} bytes of the source at {offset}, which were not supplied")]
    MissingSource {
        /// Where they start.
        offset: u64,
        /// How many.
        len: u64,
    },
}

/// One piece of an encoded body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Bytes the core built (boundaries, part headers, form text).
    Owned(Vec<u8>),
    /// Bytes the request already holds.
    Borrowed(&'a [u8]),
    /// Bytes the host holds: write `len` bytes of its external buffer `index`.
    External {
        /// The external buffer's index, in order of appearance in the body.
        index: usize,
        /// How many bytes.
        len: u64,
    },
    /// Bytes of the upload's source: write its `len` bytes at `offset` (the
    /// ones the host read for the machine's `Read` of that range; see
    /// [`PartData::Source`]).
    Source {
        /// Where they start in the source.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

/// The bytes of a part or raw body: held by the request, or held by the host.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartData {
    /// The request holds the bytes. `Bytes` is reference-counted, so a
    /// machine can keep a chunk for a retry without copying it.
    Inline(#[serde(with = "crate::b64")] Bytes),
    /// The host supplies `len` bytes when it sends the request, for example
    /// straight from the buffer it read a chunk into.
    External {
        /// The number of bytes the host will write.
        len: u64,
    },
    /// The host writes these bytes of the upload's source: the range it read
    /// for the machine's `Read` at `offset` (from the buffer it kept, or read
    /// again). The bytes then cross into the core once, to be checksummed,
    /// and never back out. Only chunks the core has seen are sent this way,
    /// and only when none of their bytes could be taken for a multipart
    /// boundary (see `Multipart`).
    Source {
        /// Where the bytes start in the source.
        offset: u64,
        /// How many.
        len: u64,
    },
}

impl PartData {
    /// The number of bytes.
    pub fn len(&self) -> u64 {
        match self {
            PartData::Inline(b) => b.len() as u64,
            PartData::External { len } | PartData::Source { len, .. } => *len,
        }
    }

    /// True when there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn segment(&self, external_index: usize) -> Segment<'_> {
        match self {
            PartData::Inline(b) => Segment::Borrowed(b),
            PartData::External { len } => Segment::External {
                index: external_index,
                len: *len,
            },
            PartData::Source { offset, len } => Segment::Source {
                offset: *offset,
                len: *len,
            },
        }
    }
}

impl fmt::Debug for PartData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartData::Inline(b) => write!(f, "Inline({} bytes)", b.len()),
            PartData::External { len } => write!(f, "External({len} bytes)"),
            PartData::Source { offset, len } => write!(f, "Source({len} bytes at {offset})"),
        }
    }
}

/// A `multipart/form-data` body.
#[derive(Clone, PartialEq, Debug)]
pub struct Multipart {
    /// The boundary, without the leading dashes.
    pub boundary: String,
    /// The parts, in order.
    pub parts: Vec<Part>,
}

/// One part of a multipart body.
#[derive(Clone, PartialEq, Debug)]
pub struct Part {
    /// The form field name.
    pub name: String,
    /// The file name, for file parts.
    pub filename: Option<String>,
    /// The part's `Content-Type`, for file parts.
    pub content_type: Option<String>,
    /// The bytes.
    pub data: PartData,
}

impl Part {
    /// A text field.
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Part {
            name: name.into(),
            filename: None,
            content_type: None,
            data: PartData::Inline(Bytes::from(value.into().into_bytes())),
        }
    }

    /// A file field of `application/octet-stream` bytes.
    pub fn file(name: impl Into<String>, filename: impl Into<String>, data: PartData) -> Self {
        Part {
            name: name.into(),
            filename: Some(filename.into()),
            content_type: Some("application/octet-stream".into()),
            data,
        }
    }
}

/// What every multipart boundary starts with, after its two dashes: bytes
/// that do not contain it cannot contain any boundary, so they may be sent
/// unchecked ([`PartData::Source`]).
pub const MULTIPART_BOUNDARY_MARK: &[u8] = b"--fastio-";

impl Multipart {
    /// Builds a multipart body with a boundary derived from its contents, so
    /// the same request always encodes to the same bytes. The boundary is
    /// checked against every inline part and changed if one contains it.
    pub fn new(parts: Vec<Part>) -> Self {
        let mut m = Multipart {
            boundary: String::new(),
            parts,
        };
        m.boundary = m.pick_boundary();
        m
    }

    fn pick_boundary(&self) -> String {
        // A CRC32C over the parts' names, lengths and a prefix of their bytes
        // makes the boundary depend on the content (same request, same
        // bytes) at hardware speed. Uniqueness comes from the check below,
        // not from the checksum.
        let mut crc = 0u32;
        let mut total = 0u64;
        for p in &self.parts {
            crc = crate::hash::crc32c_append(crc, p.name.as_bytes());
            crc = crate::hash::crc32c_append(crc, p.filename.as_deref().unwrap_or("").as_bytes());
            crc = crate::hash::crc32c_append(crc, &p.data.len().to_le_bytes());
            total = total.wrapping_add(p.data.len());
            if let PartData::Inline(b) = &p.data {
                crc = crate::hash::crc32c_append(crc, &b[..b.len().min(4096)]);
            }
        }
        let mut b = String::new();
        for attempt in 0u8..=255 {
            // Every boundary starts with MULTIPART_BOUNDARY_MARK.
            b = format!("fastio-{crc:08x}{:08x}-{attempt:02x}", total as u32);
            let needle = format!("--{b}");
            let finder = memchr::memmem::Finder::new(needle.as_bytes());
            let clash = self.parts.iter().any(|p| match &p.data {
                PartData::Inline(d) => finder.find(d).is_some(),
                // Checked by whoever made them: a source part holds no
                // `--fastio-` at all (the upload machine looked when it read it).
                PartData::External { .. } | PartData::Source { .. } => false,
            });
            if !clash {
                break;
            }
        }
        // 256 distinct boundaries cannot all occur in the inline data of any
        // realistic request; past that the last one is used regardless.
        b
    }

    /// The `Content-Type` header value.
    pub fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    fn part_head(&self, p: &Part) -> String {
        let mut head = format!(
            "--{}\r\nContent-Disposition: form-data; name=\"{}\"",
            self.boundary,
            escape_quoted(&p.name)
        );
        if let Some(fname) = &p.filename {
            head.push_str(&format!("; filename=\"{}\"", escape_quoted(fname)));
        }
        head.push_str("\r\n");
        if let Some(ct) = &p.content_type {
            head.push_str(&format!("Content-Type: {}\r\n", strip_crlf(ct)));
        }
        head.push_str("\r\n");
        head
    }

    fn tail(&self) -> String {
        format!("--{}--\r\n", self.boundary)
    }

    /// The exact encoded length.
    pub fn content_length(&self) -> u64 {
        let mut n = 0u64;
        for p in &self.parts {
            n += self.part_head(p).len() as u64 + p.data.len() + 2;
        }
        n + self.tail().len() as u64
    }

    /// The body as segments; external parts are numbered in order.
    pub fn segments(&self) -> Vec<Segment<'_>> {
        let mut out = Vec::with_capacity(self.parts.len() * 2 + 1);
        let mut external = 0;
        let mut pending = Vec::new();
        for p in &self.parts {
            pending.extend_from_slice(self.part_head(p).as_bytes());
            match &p.data {
                PartData::Inline(b) if b.len() <= 1024 => pending.extend_from_slice(b),
                data => {
                    out.push(Segment::Owned(std::mem::take(&mut pending)));
                    out.push(data.segment(external));
                    if matches!(data, PartData::External { .. }) {
                        external += 1;
                    }
                }
            }
            pending.extend_from_slice(b"\r\n");
        }
        pending.extend_from_slice(self.tail().as_bytes());
        out.push(Segment::Owned(pending));
        out
    }
}

/// Encodes fields as `application/x-www-form-urlencoded` (also used for query strings).
pub fn encode_form(fields: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

// Field names and file names go inside quotes in Content-Disposition; escape
// them the way browsers do so a hostile name cannot inject headers.
fn escape_quoted(s: &str) -> String {
    s.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn strip_crlf(s: &str) -> String {
    s.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}

/// A response the host received.
#[derive(Clone, PartialEq, Default)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The headers, in the order received.
    pub headers: Vec<Header>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with a status and body and no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers = redact::headers(&self.headers);
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_with_external_part_encodes_like_inline() {
        let data = b"hello chunk".to_vec();
        let inline = Multipart::new(vec![
            Part::text("order", "1"),
            Part::file("chunk", "blob", PartData::Inline(data.clone().into())),
        ]);
        let mut external = inline.clone();
        external.parts[1].data = PartData::External {
            len: data.len() as u64,
        };
        let a = Body::Multipart(inline).encode(&[]).unwrap();
        let b = Body::Multipart(external.clone()).encode(&[&data]).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            Body::Multipart(external.clone()).content_length(),
            a.len() as u64
        );
        assert_eq!(
            Body::Multipart(external.clone()).encode(&[]),
            Err(EncodeError::MissingExternal { index: 0 })
        );
        assert!(matches!(
            Body::Multipart(external).encode(&[b"short"]),
            Err(EncodeError::ExternalLength { .. })
        ));
    }

    #[test]
    fn boundary_avoids_inline_content() {
        let probe = Multipart::new(vec![Part::text("a", "x")]);
        let hostile = format!("--{}", probe.boundary);
        let m = Multipart::new(vec![Part::text("a", "x")]);
        assert_eq!(m.boundary, probe.boundary, "boundary is deterministic");
        let m2 = Multipart::new(vec![Part::text("a", hostile.clone())]);
        let body = Body::Multipart(m2.clone()).encode(&[]).unwrap();
        let delim = format!("--{}", m2.boundary);
        assert!(!hostile.contains(&delim));
        assert_eq!(
            String::from_utf8_lossy(&body).matches(&delim).count(),
            2,
            "one opening delimiter and one closing delimiter"
        );
    }

    #[test]
    fn hostile_names_cannot_inject_headers() {
        let m = Multipart::new(vec![Part::file(
            "chunk\"\r\nX-Evil: 1",
            "a\"b\r\n.txt",
            PartData::Inline(vec![1].into()),
        )]);
        let body = Body::Multipart(m).encode(&[]).unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("\r\nX-Evil"));
        assert!(text.contains("name=\"chunk%22%0D%0AX-Evil: 1\""));
    }

    #[test]
    fn debug_redacts_authorization() {
        let r = HttpRequest {
            method: Method::Get,
            url: "https://api.fast.io/current/x/read/?token=abc".into(),
            headers: vec![("Authorization".into(), "Bearer sk_secret".into())],
            body: Body::Form(vec![("password".into(), "hunter2".into())]),
        };
        let d = format!("{r:?}");
        assert!(!d.contains("sk_secret"), "{d}");
        assert!(!d.contains("hunter2"), "{d}");
        assert!(!d.contains("token=abc"), "{d}");
        assert!(d.contains("[redacted]"));
    }
}
