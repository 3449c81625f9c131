//! The incoming request: method, path, headers, and its body read either
//! whole (small bodies, with a cap) or piece by piece by the upload routes.
//!
//! What the gateway can bound, it bounds here: a declared `Content-Length`
//! over a route's limit is refused before a byte of the body is read
//! ([`Request::refuse_declared`]), the request target and headers it parses
//! are capped ([`Request::oversized`]), and a body must keep arriving
//! ([`Pace`]). The rest is the runtime's: `wasmtime serve` (48) reads the
//! request line and headers before the component runs and sets no timeout
//! on them, so a client trickling its headers holds a connection until the
//! runtime or a proxy in front cuts it off; it caps connections
//! (`--max-concurrent-connections`, 1000 by default) and, with `-W timeout`,
//! whole requests.

use wasip2::http::types::{IncomingBody, IncomingRequest, Method};
use wasip2::io::poll::poll;
use wasip2::io::streams::{InputStream, StreamError};

use crate::reply::Reply;

/// Longest path and query the gateway parses.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;
/// Most header bytes (names and values) the gateway takes in.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Body pacing: every `BODY_WINDOW_MS` the gateway spends waiting for body
/// bytes must bring at least `BODY_MIN_RATE` bytes per second of it, or the
/// request is answered 408. Only waiting counts: while the gateway holds
/// back (upstream is slower than the client), no time accrues.
pub const BODY_WINDOW_MS: u64 = 10_000;
/// See [`BODY_WINDOW_MS`].
pub const BODY_MIN_RATE: u64 = 1024;

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
    /// Why the request is refused before any route sees it: a target or
    /// headers over the caps.
    pub oversized: Option<Reply>,
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
        let mut oversized = None;
        let mut pq = inner.path_with_query().unwrap_or_else(|| "/".into());
        if pq.len() > MAX_TARGET_BYTES {
            oversized = Some(Reply::error(
                414,
                "uri_too_long",
                format!("the path and query are over {MAX_TARGET_BYTES} bytes"),
            ));
            pq = "/".into();
        }
        let (path, query) = match pq.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (pq, String::new()),
        };
        let entries = inner.headers().entries();
        let header_bytes: usize = entries.iter().map(|(k, v)| k.len() + v.len()).sum();
        let headers = if header_bytes > MAX_HEADER_BYTES {
            oversized = oversized.or(Some(Reply::error(
                431,
                "headers_too_large",
                format!("the headers are over {MAX_HEADER_BYTES} bytes"),
            )));
            Vec::new()
        } else {
            entries
                .into_iter()
                .map(|(k, v)| {
                    (
                        k.to_ascii_lowercase(),
                        String::from_utf8_lossy(&v).into_owned(),
                    )
                })
                .collect()
        };
        Request {
            method,
            path,
            query,
            headers,
            inner,
            oversized,
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

    /// A 413 when the declared `Content-Length` is over `cap` (or a 400 when
    /// it is not a number), before any of the body is read: waiting for a
    /// body that will be refused anyway only holds the request.
    pub fn refuse_declared(&self, cap: u64, what: &str) -> Option<Reply> {
        match self.content_length() {
            Ok(Some(n)) if n > cap => Some(
                Reply::error(
                    413,
                    "too_large",
                    format!("the declared {what} of {n} bytes is over {cap} bytes"),
                )
                .with("max_size", serde_json::json!(cap)),
            ),
            Ok(_) => None,
            Err(()) => Some(Reply::error(
                400,
                "bad_content_length",
                "Content-Length is not a number",
            )),
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
    /// The body arrived more slowly than [`Pace`] allows.
    TooSlow,
}

impl ReadError {
    /// The answer for a body that could not be read: 413 (with `too_large`
    /// as the caller words it), 408, or 400.
    pub fn reply(&self, too_large: impl FnOnce(usize) -> Reply) -> Reply {
        match self {
            ReadError::TooLarge(cap) => too_large(*cap),
            ReadError::TooSlow => too_slow(),
            ReadError::Broken(e) => Reply::error(
                400,
                "client_disconnected",
                format!("the request body broke: {e}"),
            ),
        }
    }
}

/// 408 for a body that stopped or trickled.
pub fn too_slow() -> Reply {
    Reply::error(
        408,
        "body_too_slow",
        format!(
            "the request body arrived at less than {BODY_MIN_RATE} bytes per second \
             over {} s of waiting",
            BODY_WINDOW_MS / 1000
        ),
    )
}

/// The body-pacing rule ([`BODY_WINDOW_MS`]) for one body.
#[derive(Debug, Default)]
pub struct Pace {
    /// Waiting accrued in the current window, ms.
    waited: u64,
    /// Bytes received in the current window.
    got: u64,
}

impl Pace {
    /// Bytes arrived.
    pub fn add(&mut self, n: usize) {
        self.got = self.got.saturating_add(n as u64);
    }

    /// The gateway waited `ms` for body bytes.
    pub fn waited(&mut self, ms: u64) {
        self.waited = self.waited.saturating_add(ms);
    }

    /// How long a wait may last before the window is full, ms.
    pub fn left_ms(&self) -> u64 {
        BODY_WINDOW_MS.saturating_sub(self.waited)
    }

    /// Closes the window once it is full: false when it brought too few
    /// bytes (or none).
    pub fn check(&mut self) -> bool {
        if self.waited < BODY_WINDOW_MS {
            return true;
        }
        let min = (BODY_MIN_RATE * BODY_WINDOW_MS / 1000).max(1);
        let ok = self.got >= min;
        self.waited = 0;
        self.got = 0;
        ok
    }
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

    /// A pollable that is ready when bytes (or the end) are there.
    pub fn subscribe(&self) -> Option<wasip2::io::poll::Pollable> {
        self.stream.as_ref().map(|s| s.subscribe())
    }

    /// Waits at most `ms` for bytes (or the end); returns how long it waited.
    pub fn wait_ms(&self, ms: u64) -> u64 {
        let Some(ready) = self.subscribe() else {
            return 0;
        };
        let start = mono_ms();
        let timer = wasip2::clocks::monotonic_clock::subscribe_duration(
            ms.max(1).saturating_mul(1_000_000),
        );
        poll(&[&ready, &timer]);
        mono_ms().saturating_sub(start)
    }

    /// Reads the whole body, refusing more than `cap` bytes and a body that
    /// stops or trickles ([`Pace`]).
    pub fn read_all(&mut self, cap: usize) -> Result<Vec<u8>, ReadError> {
        let mut out = Vec::new();
        let mut pace = Pace::default();
        // Each turn reads or waits; a wait ends within a window, and a
        // window of waiting without its bytes ends the loop.
        loop {
            let got = match self.read(64 * 1024) {
                Piece::Data(b) => {
                    if out.len() + b.len() > cap {
                        return Err(ReadError::TooLarge(cap));
                    }
                    pace.add(b.len());
                    out.extend_from_slice(&b);
                    !b.is_empty()
                }
                Piece::End => return Ok(out),
                Piece::Broken(e) => return Err(ReadError::Broken(e)),
            };
            if !pace.check() {
                return Err(ReadError::TooSlow);
            }
            if !got {
                let waited = self.wait_ms(pace.left_ms());
                pace.waited(waited);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pace_ends_a_window_of_waiting_without_its_bytes() {
        let min = (BODY_MIN_RATE * BODY_WINDOW_MS / 1000) as usize;
        // A byte a second: ten bytes in ten seconds of waiting.
        let mut p = Pace::default();
        for _ in 0..9 {
            p.waited(1000);
            p.add(1);
            assert!(p.check());
        }
        p.waited(1000);
        p.add(1);
        assert!(!p.check());
        // A stall: one whole window, nothing.
        let mut p = Pace::default();
        p.waited(p.left_ms());
        assert!(!p.check());
        // Enough bytes: the window closes and a fresh one starts.
        let mut p = Pace::default();
        p.waited(BODY_WINDOW_MS - 1);
        p.add(min);
        assert!(p.check());
        p.waited(1);
        assert!(p.check());
        assert_eq!(p.left_ms(), BODY_WINDOW_MS);
    }
}
