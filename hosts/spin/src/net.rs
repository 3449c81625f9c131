//! Outgoing HTTP over `wasi:http/outgoing-handler`, several requests at once,
//! driven by one `wasi:io/poll` loop.
//!
//! The core hands out plain-data requests; [`Net`] starts them and, each time
//! [`Net::pollables`] reports one ready, moves it along (writes what the body
//! stream accepts, reads the answer) without ever blocking on one request
//! while another could move. Chunk bodies are written from the core's own
//! `Bytes`, never copied.

use std::collections::{BTreeMap, VecDeque};

use bytes::Bytes;
use fastio_core::http::{Body, HttpRequest, HttpResponse, Method, Segment};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    FutureIncomingResponse, Headers, IncomingBody, IncomingResponse, Method as WMethod,
    OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::poll::Pollable;
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

/// Largest upstream answer read into memory (Fast.io answers are small JSON).
const MAX_RESPONSE_BYTES: usize = 4 << 20;

/// An absolute URL split for wasi:http.
pub struct Target {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host and port.
    pub authority: String,
    /// Path and query.
    pub path_and_query: String,
}

/// Splits `http(s)://authority/path?query`.
pub fn split_url(url: &str) -> Result<Target, String> {
    let (scheme, rest) = if let Some(r) = url.strip_prefix("https://") {
        (Scheme::Https, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (Scheme::Http, r)
    } else {
        return Err("the URL is not http:// or https://".into());
    };
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..cut];
    if authority.is_empty() {
        return Err("the URL has no host".into());
    }
    let mut path = rest[cut..].to_string();
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    Ok(Target {
        scheme,
        authority: authority.to_string(),
        path_and_query: path,
    })
}

fn method(m: Method) -> WMethod {
    match m {
        Method::Get => WMethod::Get,
        Method::Post => WMethod::Post,
        Method::Put => WMethod::Put,
        Method::Patch => WMethod::Patch,
        Method::Delete => WMethod::Delete,
        Method::Head => WMethod::Head,
        // `Method` is non-exhaustive; a new verb travels as itself.
        other => WMethod::Other(other.as_str().to_string()),
    }
}

/// A request body as `Bytes` pieces: literal parts are owned, chunk data is
/// the core's buffer sliced without a copy.
fn pieces(body: &Body) -> VecDeque<Bytes> {
    let holders: Vec<&Bytes> = match body {
        Body::Multipart(m) => m
            .parts
            .iter()
            .filter_map(|p| match &p.data {
                fastio_core::http::PartData::Inline(b) => Some(b),
                _ => None,
            })
            .collect(),
        Body::Bytes {
            data: fastio_core::http::PartData::Inline(b),
            ..
        } => vec![b],
        _ => Vec::new(),
    };
    body.segments()
        .into_iter()
        .filter_map(|seg| match seg {
            Segment::Owned(v) => Some(Bytes::from(v)),
            Segment::Borrowed(s) => {
                let inside = holders.iter().find(|b| {
                    let (lo, hi) = (b.as_ptr() as usize, b.as_ptr() as usize + b.len());
                    let p = s.as_ptr() as usize;
                    p >= lo && p + s.len() <= hi
                });
                Some(match inside {
                    Some(b) => b.slice_ref(s),
                    None => Bytes::copy_from_slice(s),
                })
            }
            // The core only emits external parts when asked to; the
            // gateway never asks.
            Segment::External { .. } | Segment::Source { .. } => None,
        })
        .collect()
}

/// Writes a body as its stream accepts bytes.
struct Writer {
    stream: Option<OutputStream>,
    body: Option<OutgoingBody>,
    queue: VecDeque<Bytes>,
    queued: usize,
    /// No more pieces will be queued (false while a stream body is fed).
    sealed: bool,
}

impl Writer {
    /// Writes what it can. `Ok(true)` once the body is finished.
    fn pump(&mut self) -> Result<bool, String> {
        let Some(stream) = &self.stream else {
            return Ok(true);
        };
        while let Some(front) = self.queue.front_mut() {
            let room = stream.check_write().map_err(stream_err)? as usize;
            if room == 0 {
                return Ok(false);
            }
            let n = room.min(front.len());
            stream.write(&front[..n]).map_err(stream_err)?;
            self.queued -= n;
            if n == front.len() {
                self.queue.pop_front();
            } else {
                *front = front.slice(n..);
            }
        }
        if !self.sealed {
            return Ok(false);
        }
        // Everything written: close the stream, then the body. The flush can
        // find the stream closed although every byte went through: hyper
        // drops the request body as soon as it has sent the declared
        // `Content-Length`, which with a body that fit in the stream's
        // buffer can happen before this line runs. Nothing is lost then, and
        // if the connection really failed the response future says so.
        match stream.flush() {
            Ok(()) | Err(StreamError::Closed) => {}
            Err(e) => return Err(stream_err(e)),
        }
        self.stream = None;
        if let Some(body) = self.body.take() {
            OutgoingBody::finish(body, None).map_err(|e| format!("finishing the body: {e:?}"))?;
        }
        Ok(true)
    }

    fn pollable(&self) -> Option<Pollable> {
        match &self.stream {
            Some(s) if !self.queue.is_empty() || self.sealed => Some(s.subscribe()),
            _ => None,
        }
    }
}

fn stream_err(e: StreamError) -> String {
    match e {
        StreamError::Closed => "the connection closed".into(),
        StreamError::LastOperationFailed(err) => err.to_debug_string(),
    }
}

/// Reads an answer's body.
struct Reader {
    // Field order is drop order: the stream before its body, the body
    // before the response it came from.
    stream: InputStream,
    _body: IncomingBody,
    _response: IncomingResponse,
    status: u16,
    headers: Vec<(String, String)>,
    buf: Vec<u8>,
}

struct Flight {
    // Dropped first: the writer's stream and body belong to the request.
    writer: Writer,
    reader: Option<Reader>,
    future: FutureIncomingResponse,
    write_error: Option<String>,
}

/// What a request came to.
pub type Outcome = Result<HttpResponse, String>;

/// Requests in flight, by the core's request id.
#[derive(Default)]
pub struct Net {
    flights: BTreeMap<u64, Flight>,
}

/// What a pollable belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token(pub u64);

impl Net {
    /// Nothing in flight.
    pub fn new() -> Self {
        Net::default()
    }

    /// Starts a request. A [`Body::Stream`] body stays open for
    /// [`Net::feed`] until [`Net::seal`].
    pub fn start(&mut self, id: u64, req: &HttpRequest) -> Result<(), String> {
        let target = split_url(&req.url)?;
        let headers = Headers::new();
        let mut fields: Vec<(String, Vec<u8>)> = req
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_bytes().to_vec()))
            .collect();
        let streamed = req.body.is_streamed();
        if !streamed && !matches!(req.body, Body::Empty | Body::Query(_)) {
            fields.push((
                "content-length".into(),
                req.body.content_length().to_string().into_bytes(),
            ));
        }
        if let Some(ct) = req.body.content_type()
            && !fields.iter().any(|(k, _)| k == "content-type")
        {
            fields.push(("content-type".into(), ct.into_bytes()));
        }
        for (k, v) in &fields {
            headers
                .append(k, v)
                .map_err(|e| format!("header {k} refused: {e:?}"))?;
        }
        let out = OutgoingRequest::new(headers);
        let bad = |what: &str| format!("the request's {what} was refused");
        out.set_method(&method(req.method))
            .map_err(|_| bad("method"))?;
        out.set_scheme(Some(&target.scheme))
            .map_err(|_| bad("scheme"))?;
        out.set_authority(Some(&target.authority))
            .map_err(|_| bad("authority"))?;
        out.set_path_with_query(Some(&target.path_and_query))
            .map_err(|_| bad("path"))?;
        let body = out.body().map_err(|_| bad("body"))?;
        let stream = body.write().map_err(|_| bad("body stream"))?;
        let opts = RequestOptions::new();
        // The core keeps its own deadlines; these only stop a dead peer
        // from holding a connection forever.
        let _ = opts.set_connect_timeout(Some(10_000_000_000));
        let _ = opts.set_between_bytes_timeout(Some(120_000_000_000));
        let future =
            outgoing_handler::handle(out, Some(opts)).map_err(|e| format!("sending: {e:?}"))?;
        let queue = pieces(&req.body);
        let queued = queue.iter().map(Bytes::len).sum();
        let mut flight = Flight {
            writer: Writer {
                stream: Some(stream),
                body: Some(body),
                queue,
                queued,
                sealed: !streamed,
            },
            reader: None,
            future,
            write_error: None,
        };
        // A failed first write is not the request's outcome: the peer may
        // already have answered (or the connection failed, which the future
        // reports with its error code), exactly as for later writes.
        flight.write_some();
        self.flights.insert(id, flight);
        Ok(())
    }

    /// Queues a piece of a streamed body.
    pub fn feed(&mut self, id: u64, piece: Bytes) {
        if let Some(f) = self.flights.get_mut(&id) {
            f.writer.queued += piece.len();
            f.writer.queue.push_back(piece);
        }
    }

    /// Bytes queued and not yet written for `id`.
    pub fn queued(&self, id: u64) -> usize {
        self.flights.get(&id).map_or(0, |f| f.writer.queued)
    }

    /// Ends a streamed body.
    pub fn seal(&mut self, id: u64) {
        if let Some(f) = self.flights.get_mut(&id) {
            f.writer.sealed = true;
        }
    }

    /// What to wait on, each with the request it belongs to.
    pub fn pollables(&self) -> Vec<(Pollable, Token)> {
        let mut out = Vec::new();
        for (id, f) in &self.flights {
            if let Some(p) = f.writer.pollable() {
                out.push((p, Token(*id)));
            }
            match &f.reader {
                Some(r) => out.push((r.stream.subscribe(), Token(*id))),
                None => out.push((f.future.subscribe(), Token(*id))),
            }
        }
        out
    }

    /// Moves request `token` along; returns its outcome once it has one.
    pub fn advance(&mut self, token: Token) -> Option<(u64, Outcome)> {
        let id = token.0;
        let f = self.flights.get_mut(&id)?;
        match step(f) {
            Ok(None) => None,
            Ok(Some(resp)) => {
                self.flights.remove(&id);
                Some((id, Ok(resp)))
            }
            Err(e) => {
                self.flights.remove(&id);
                Some((id, Err(e)))
            }
        }
    }
}

impl Flight {
    /// Writes what the body stream accepts. The peer may answer before
    /// reading the whole body (an error); that answer is worth more than the
    /// write failure, so a failed write stops writing and the request waits
    /// for the answer. The future ends in an error if none comes.
    fn write_some(&mut self) {
        if self.writer.stream.is_some()
            && let Err(e) = self.writer.pump()
        {
            self.writer.stream = None;
            self.writer.body = None;
            self.writer.queue.clear();
            self.writer.queued = 0;
            self.write_error = Some(e);
        }
    }
}

fn step(f: &mut Flight) -> Result<Option<HttpResponse>, String> {
    f.write_some();
    if f.reader.is_none() {
        let Some(got) = f.future.get() else {
            return Ok(None);
        };
        let resp = match got {
            Ok(Ok(r)) => r,
            Ok(Err(code)) => {
                return Err(match f.write_error.take() {
                    Some(w) => format!("upstream request failed: {code:?} (writing: {w})"),
                    None => format!("upstream request failed: {code:?}"),
                });
            }
            Err(()) => return Err("the response was already taken".into()),
        };
        let status = resp.status();
        let headers = resp
            .headers()
            .entries()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let body = resp.consume().map_err(|_| "the response body was taken")?;
        let stream = body.stream().map_err(|_| "the response stream was taken")?;
        f.reader = Some(Reader {
            stream,
            _body: body,
            _response: resp,
            status,
            headers,
            buf: Vec::new(),
        });
    }
    let Some(r) = f.reader.as_mut() else {
        return Ok(None);
    };
    loop {
        match r.stream.read(64 * 1024) {
            Ok(bytes) if bytes.is_empty() => return Ok(None),
            Ok(bytes) => {
                if r.buf.len() + bytes.len() > MAX_RESPONSE_BYTES {
                    return Err("the upstream answer is too large".into());
                }
                r.buf.extend_from_slice(&bytes);
            }
            Err(StreamError::Closed) => {
                return Ok(Some(HttpResponse {
                    status: r.status,
                    headers: std::mem::take(&mut r.headers),
                    body: std::mem::take(&mut r.buf),
                }));
            }
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(format!("reading the answer: {}", e.to_debug_string()));
            }
        }
    }
}
