//! Sends the requests the core builds, with one pooled ureq agent (keep-alive
//! connection reuse; cloning the agent shares the pool across threads).
//!
//! Bodies are written from the request's own segments, never gathered into
//! one more buffer, so a chunk in flight is held once. A request of unknown
//! length (a stream upload) takes its body from a channel of pieces and goes
//! out with chunked transfer encoding.

use std::io::Read;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::bindings::exports::fastio::core::types::{
    BodySegment, Header, HttpRequest, HttpResponse, Method,
};

/// A shared HTTP client.
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
}

impl Default for Http {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads a body's segments in order, consuming them as it goes.
struct Segments {
    parts: std::vec::IntoIter<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for Segments {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.current.len() {
            match self.parts.next() {
                // Dropping the finished segment as the next one starts keeps
                // at most one segment's worth of bytes alive past its send.
                Some(next) => {
                    self.current = next;
                    self.pos = 0;
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A streamed body's pieces; an empty piece ends the body. An `Err`, or the
/// sender going away before the end, aborts the request so a source that
/// failed is never sent as if it had ended.
pub type Piece = std::io::Result<Vec<u8>>;

/// Reads pieces from a channel until the empty end marker; an `Err` piece, or
/// the sender dropped before the marker, fails the read, so the request is
/// aborted instead of ended. Spent pieces
/// go back through `recycle` so the producer reuses their memory instead of
/// faulting in fresh pages for every megabyte.
struct Pieces {
    rx: Receiver<Piece>,
    recycle: Option<SyncSender<Vec<u8>>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for Pieces {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                // The end marker.
                Ok(Ok(next)) if next.is_empty() => return Ok(0),
                Ok(Ok(next)) => {
                    let spent = std::mem::replace(&mut self.current, next);
                    if let Some(back) = &self.recycle {
                        // A full or closed return queue just drops it.
                        let _ = back.try_send(spent);
                    }
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The sender went away without the end marker: the body is
                // incomplete and must not be ended as if it were whole.
                Err(_) => {
                    return Err(std::io::Error::other(
                        "the body's source stopped before its end",
                    ));
                }
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A streamed body's pieces and where spent ones go back for reuse.
type PieceStream = (Receiver<Piece>, Option<SyncSender<Vec<u8>>>);

/// Bodies up to this size are gathered into one buffer; larger ones (chunks)
/// are written segment by segment.
const SMALL_BODY: u64 = 64 << 10;

fn method(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
    }
}

/// How long a socket may take no bytes (or give none) before its request
/// fails, unless [`Http::with_io_timeout`] says otherwise.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads wait at least this long: a details long-poll (`wait` up to 590 s)
/// legitimately sends nothing until the session changes.
const MIN_READ_TIMEOUT: Duration = Duration::from_secs(600);

impl Http {
    /// A client that hands error statuses back as responses: the core decides
    /// what a 4xx or 5xx means.
    pub fn new() -> Self {
        Self::with_io_timeout(DEFAULT_IO_TIMEOUT)
    }

    /// As [`Http::new`], with requests failing when their socket accepts no
    /// bytes for `idle` while sending a body. The machines keep their own
    /// deadlines, but a sending thread blocked in a write to a peer that
    /// stopped reading would never see them: this is what frees it.
    pub fn with_io_timeout(idle: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_per_write(Some(idle))
            .timeout_per_read(Some(idle.max(MIN_READ_TIMEOUT)))
            .max_idle_connections_per_host(16)
            // The core decides about redirects: a token read's 3xx comes back
            // to the download machine, which follows it without credentials;
            // every other request fails closed on a 3xx (docs/contract.md).
            // An HTTP client that followed them itself would carry the
            // bearer or a password to wherever `Location` points.
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build();
        Http {
            agent: config.into(),
        }
    }

    fn head(req: &HttpRequest) -> ureq::http::request::Builder {
        let mut b = ureq::http::Request::builder()
            .method(method(req.method))
            .uri(&req.url);
        for h in &req.headers {
            b = b.header(&h.name, &h.value);
        }
        b
    }

    fn run(
        &self,
        req: HttpRequest,
        pieces: Option<PieceStream>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let mut b = Self::head(&req);
        let body = match (req.content_length, pieces) {
            (None, Some((rx, recycle))) => ureq::SendBody::from_owned_reader(Pieces {
                rx,
                recycle,
                current: Vec::new(),
                pos: 0,
            }),
            (None, None) => {
                return Err(anyhow!(
                    "a request of unknown length needs its body's pieces"
                ));
            }
            (Some(_), Some(_)) => {
                return Err(anyhow!("a request of known length takes no pieces"));
            }
            (Some(len), None) => {
                let mut parts = Vec::with_capacity(req.body.len());
                for seg in req.body {
                    match seg {
                        BodySegment::Bytes(b) => parts.push(b),
                        // The core's upload and download machines hold their
                        // bytes inline; external parts only come from
                        // hand-built calls.
                        BodySegment::External(_) => {
                            return Err(anyhow!(
                                "external body parts are not supplied by this host"
                            ));
                        }
                        // The upload driver puts the bytes in first
                        // (`kept::KeptChunks::fill`).
                        BodySegment::Source(r) => {
                            return Err(anyhow!(
                                "{} source bytes at {} were not filled in",
                                r.len,
                                r.offset
                            ));
                        }
                    }
                }
                if len <= SMALL_BODY {
                    // API calls: one small buffer, sent exactly as before.
                    let body: Vec<u8> = parts.concat();
                    return Ok(self.agent.run(b.body(body)?)?);
                }
                // An explicit length keeps the body length-delimited
                // although it is read from segments.
                b = b.header("content-length", len);
                ureq::SendBody::from_owned_reader(Segments {
                    parts: parts.into_iter(),
                    current: Vec::new(),
                    pos: 0,
                })
            }
        };
        Ok(self.agent.run(b.body(body)?)?)
    }

    /// Sends a request and reads the whole response (API calls).
    pub fn send(&self, req: HttpRequest) -> Result<HttpResponse> {
        let resp = self.run(req, None)?;
        read_all(resp)
    }

    /// Sends a request whose body streams from `pieces` (chunked transfer
    /// encoding) and reads the whole response. The body ends at an empty
    /// piece (dropping the sender first aborts it); sent pieces are handed
    /// back on `recycle`.
    pub fn send_pieces(
        &self,
        req: HttpRequest,
        pieces: Receiver<Piece>,
        recycle: Option<SyncSender<Vec<u8>>>,
    ) -> Result<HttpResponse> {
        let resp = self.run(req, Some((pieces, recycle)))?;
        read_all(resp)
    }

    /// Sends a request and returns the head and a reader over the body, for
    /// downloads that stream.
    pub fn send_streaming(&self, req: HttpRequest) -> Result<(HttpResponse, Box<dyn Read + Send>)> {
        let resp = self.run(req, None)?;
        let status = resp.status().as_u16();
        let headers = headers(resp.headers());
        let reader = resp.into_body().into_reader();
        Ok((
            HttpResponse {
                status,
                headers,
                body: Vec::new(),
            },
            Box::new(reader),
        ))
    }
}

fn read_all(resp: ureq::http::Response<ureq::Body>) -> Result<HttpResponse> {
    let status = resp.status().as_u16();
    let headers = headers(resp.headers());
    let mut out = Vec::new();
    // API answers are small; a runaway body is cut (the decoder refuses it).
    resp.into_body()
        .into_reader()
        .take(64 << 20)
        .read_to_end(&mut out)?;
    Ok(HttpResponse {
        status,
        headers,
        body: out,
    })
}

fn headers(h: &ureq::http::HeaderMap) -> Vec<Header> {
    h.iter()
        .map(|(k, v)| Header {
            name: k.as_str().to_owned(),
            value: String::from_utf8_lossy(v.as_bytes()).into_owned(),
        })
        .collect()
}
