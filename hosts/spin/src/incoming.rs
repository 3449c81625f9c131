//! The incoming request: method, path, headers, and its body read either
//! whole (small bodies, with a cap) or piece by piece by the upload routes.

use wasip2::http::types::{IncomingBody, IncomingRequest, Method};
use wasip2::io::streams::{InputStream, StreamError};

/// The parts of a request the routes look at.
pub struct Request {
    /// Upper-case method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The query string (without `?`).
    pub query: String,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// Kept so its body can be consumed later.
    pub inner: IncomingRequest,
}

impl Request {
    /// Reads the request line and headers.
    pub fn new(inner: IncomingRequest) -> Self {
        let method = match inner.method() {
            Method::Get => "GET".to_string(),
            Method::Head => "HEAD".into(),
            Method::Post => "POST".into(),
            Method::Put => "PUT".into(),
            Method::Delete => "DELETE".into(),
            Method::Connect => "CONNECT".into(),
            Method::Options => "OPTIONS".into(),
            Method::Trace => "TRACE".into(),
            Method::Patch => "PATCH".into(),
            Method::Other(m) => m.to_ascii_uppercase(),
        };
        let pq = inner.path_with_query().unwrap_or_else(|| "/".into());
        let (path, query) = match pq.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (pq, String::new()),
        };
        let headers = inner
            .headers()
            .entries()
            .into_iter()
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    String::from_utf8_lossy(&v).into_owned(),
                )
            })
            .collect();
        Request {
            method,
            path,
            query,
            headers,
            inner,
        }
    }

    /// A header by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter, percent-decoded (see [`query_value`]).
    pub fn query_param(&self, name: &str) -> Option<String> {
        query_value(&self.query, name)
    }

    /// The bearer token of `Authorization`, if any.
    pub fn bearer(&self) -> Option<&str> {
        let v = self.header("authorization")?.trim();
        let (scheme, token) = v.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(token.trim())
    }

    /// `Content-Length`: `Ok(None)` when absent, `Err` when unreadable.
    pub fn content_length(&self) -> Result<Option<u64>, ()> {
        match self.header("content-length") {
            None => Ok(None),
            Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| ()),
        }
    }

    /// The body as a stream.
    pub fn body(&self) -> Option<BodyStream> {
        let body = self.inner.consume().ok()?;
        let stream = body.stream().ok()?;
        Some(BodyStream {
            stream: Some(stream),
            _body: body,
        })
    }
}

/// Why a body could not be read whole.
#[derive(Debug)]
pub enum ReadError {
    /// Over the cap.
    TooLarge(usize),
    /// The client went away or sent a broken body.
    Broken(String),
}

/// An incoming body.
pub struct BodyStream {
    // The stream must go before the body it belongs to.
    stream: Option<InputStream>,
    _body: IncomingBody,
}

/// One read's result.
pub enum Piece {
    /// Bytes (possibly none yet).
    Data(Vec<u8>),
    /// The body ended.
    End,
    /// The client went away or the body broke.
    Broken(String),
}

impl BodyStream {
    /// Reads what is there without waiting, up to `max` bytes.
    pub fn read(&mut self, max: usize) -> Piece {
        let Some(s) = &self.stream else {
            return Piece::End;
        };
        match s.read(max as u64) {
            Ok(b) => Piece::Data(b),
            Err(StreamError::Closed) => {
                self.stream = None;
                Piece::End
            }
            Err(StreamError::LastOperationFailed(e)) => {
                self.stream = None;
                Piece::Broken(e.to_debug_string())
            }
        }
    }

    /// Waits for bytes, up to `max`.
    pub fn blocking_read(&mut self, max: usize) -> Piece {
        let Some(s) = &self.stream else {
            return Piece::End;
        };
        match s.blocking_read(max as u64) {
            Ok(b) => Piece::Data(b),
            Err(StreamError::Closed) => {
                self.stream = None;
                Piece::End
            }
            Err(StreamError::LastOperationFailed(e)) => {
                self.stream = None;
                Piece::Broken(e.to_debug_string())
            }
        }
    }

    /// A pollable that is ready when bytes (or the end) are there.
    pub fn subscribe(&self) -> Option<wasip2::io::poll::Pollable> {
        self.stream.as_ref().map(|s| s.subscribe())
    }

    /// Reads the whole body, refusing more than `cap` bytes.
    pub fn read_all(&mut self, cap: usize) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        loop {
            match self.blocking_read(64 * 1024) {
                Piece::Data(b) => {
                    if out.len() + b.len() > cap {
                        return Err(ReadError::TooLarge(cap));
                    }
                    out.extend_from_slice(&b);
                }
                Piece::End => return Ok(out),
                Piece::Broken(e) => return Err(ReadError::Broken(e)),
            }
        }
    }
}

/// The first value of `name` in a query string, decoded as a form field
/// (`%XX` escapes, `+` for a space). Bytes that are not UTF-8 become U+FFFD,
/// which the name check refuses.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The wall clock, Unix seconds.
pub fn unix_now() -> u64 {
    wasip2::clocks::wall_clock::now().seconds
}

/// The monotonic clock, milliseconds.
pub fn mono_ms() -> u64 {
    wasip2::clocks::monotonic_clock::now() / 1_000_000
}
