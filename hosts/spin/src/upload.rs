//! `POST /upload`: one request, one file. The body streams through the
//! core's upload machine: the first bytes decide the type (415), the size is
//! checked against `Content-Length` before reading (413) and while reading,
//! and the bytes go upstream in chunks with several in flight, hashed on the
//! way. At most the in-flight chunks and the one being read are in memory.
//!
//! With `Content-Length` the machine runs in file mode (single request up to
//! 4 MB, else chunked); without it, in stream mode (the body is piped to a
//! stream session). Its `Read` actions are served from the body in order.
//! A chunk that fails upstream (connection lost, 5xx, 429) is sent again by
//! the machine from the bytes it holds until Fast.io acknowledges the chunk,
//! so no re-read is needed; memory stays at the in-flight chunks. The
//! machine asks to read bytes again only after re-planning, which it does
//! only when told to fetch the server's limits (the gateway does not); were
//! it to ask, the upload fails with `upstream_retry_needs_rewind` rather
//! than send different bytes. A stream upload (no `Content-Length`) cannot
//! be resent at all: its bytes went upstream as they came.

use bytes::Bytes;
use fastio_core::api::{Client, Profile};
use fastio_core::hash::HashAlgo;
use fastio_core::policy::{BodyWatch, Grant, PolicyError, Sniffer};
use fastio_core::upload::plan::PlanConfig;
use fastio_core::upload::{
    Action, Fed, InputError, Upload, UploadConfig, UploadDone, UploadError, UploadSpec,
};
use serde_json::{Value, json};
use wasip2::io::poll::{Pollable, poll};

use crate::config;
use crate::incoming::{BodyStream, Pace, Piece, Request, mono_ms, too_slow};
use crate::names::file_name;
use crate::net::{Net, Token};
use crate::reply::Reply;

/// Most bytes of a streamed body queued for upstream before the gateway
/// stops reading the client (backpressure).
const STREAM_QUEUE_MAX: usize = 1 << 20;

/// Most body reads taken for one ready body pollable.
const BODY_READS_PER_POLL: usize = 16;

/// The request header naming a whole-file digest for the reply
/// (`{"digest": {"algo", "hex"}}`); without it the reply carries the CRC32C
/// alone.
pub const DIGEST_HEADER: &str = "x-fastio-digest";

/// Serves `POST /upload` for a checked grant.
pub fn handle(req: &Request, cfg: &config::UploadConfig, grant: &Grant) -> Reply {
    let name = match file_name(req) {
        Ok(n) => n,
        Err(r) => return r,
    };
    // A whole-file digest only when the uploader asks for one: the upstream
    // checks the CRC32C, and SHA-256 in wasm costs more CPU than relaying.
    let file_digest = match req.header(DIGEST_HEADER).map(str::trim) {
        None | Some("") => None,
        Some(name) => match HashAlgo::parse(name) {
            Ok(a) => Some(a),
            Err(_) => {
                return Reply::error(
                    400,
                    "bad_digest",
                    format!("{DIGEST_HEADER} takes md5, sha1, sha256, sha384 or crc32c"),
                );
            }
        },
    };
    let policy = cfg.policy.clone().with_max_size(Some(grant.max_size));
    let declared = match req.content_length() {
        Ok(d) => d,
        Err(()) => {
            return Reply::error(400, "bad_content_length", "Content-Length is not a number");
        }
    };
    // Refused before a byte of the body is read.
    let watch = match policy.watch(declared, Sniffer::new()) {
        Ok(w) => w,
        Err(e) => return policy_reply(&e),
    };
    let Some(body) = req.body() else {
        return Reply::error(400, "no_body", "the request body could not be read");
    };
    let client = match Client::new(cfg.client.clone()) {
        Ok(c) => c,
        Err(e) => {
            return Reply::error(500, "gateway_misconfigured", e.to_string())
                .with("variable", json!(config::var::API_BASE));
        }
    };
    let spec = UploadSpec {
        name,
        size: declared,
        target: Some(Profile::Workspace(grant.workspace.clone())),
        folder_id: grant.folder.clone(),
        add_to: None,
    };
    let up_cfg = UploadConfig {
        plan: PlanConfig {
            max_in_flight: cfg.parallel,
            chunk_size: cfg.chunk_size,
            max_file_size: policy.max_size,
            ..PlanConfig::default()
        },
        stream_max_size: policy.max_size,
        seed: mono_ms(),
        file_digest,
        ..UploadConfig::default()
    };
    let machine = match Upload::new(client, spec, up_cfg) {
        Ok(m) => m,
        Err(e) => return upload_error_reply(&e),
    };
    Streamer {
        machine,
        net: Net::new(),
        body,
        watch: Some(watch),
        kind: None,
        pending: Vec::new(),
        consumed: 0,
        ended: false,
        read: None,
        stream_id: None,
        failure: None,
        pace: Pace::default(),
        received: 0,
    }
    .run()
}

/// The upload in progress.
struct Streamer {
    machine: Upload,
    net: Net,
    body: BodyStream,
    watch: Option<BodyWatch>,
    kind: Option<String>,
    /// Body bytes read and not yet handed to the machine.
    pending: Vec<u8>,
    /// Body bytes handed to the machine.
    consumed: u64,
    ended: bool,
    /// The machine's outstanding `Read`: id, bytes wanted, bytes so far.
    read: Option<(u64, usize, Vec<u8>)>,
    /// The streamed request, in stream mode.
    stream_id: Option<u64>,
    /// Why the gateway cancelled the upload.
    failure: Option<Reply>,
    /// The body must keep arriving while the gateway waits for it.
    pace: Pace,
    /// Body bytes read so far.
    received: u64,
}

#[derive(Clone, Copy)]
enum Ready {
    Net(Token),
    Body,
    Timer,
    /// The body-pacing window would be full.
    Pace,
}

impl Streamer {
    fn run(mut self) -> Reply {
        // The type is decided from the first bytes before anything goes
        // upstream, so a refused file never opens a session.
        while !self.ended && self.watch.as_ref().is_some_and(|w| !w.is_decided()) {
            let before = self.received;
            if let Some(reply) = self.pull_body(64 * 1024) {
                return reply;
            }
            if !self.pace.check() {
                return too_slow();
            }
            if self.received == before && !self.ended {
                let waited = self.body.wait_ms(self.pace.left_ms());
                self.pace.waited(waited);
            }
        }
        // A bound on iterations guards against a machine bug spinning the
        // loop; a 40 GB upload takes well under this many steps.
        for _ in 0..50_000_000u64 {
            let now = mono_ms();
            let mut wait_until = None;
            while let Some(action) = self.machine.next_action(now) {
                match action {
                    Action::Wait { until_ms } => {
                        wait_until = Some(until_ms);
                        break;
                    }
                    Action::Done(done) => return self.done(&done),
                    Action::Failed(e) => {
                        return self
                            .failure
                            .take()
                            .unwrap_or_else(|| upload_error_reply(&e));
                    }
                    Action::Send { id, request } => {
                        if let Err(e) = self.net.start(id, &request) {
                            let fed = self.machine.on_transport_error(id, &e, now);
                            self.check_fed(fed);
                            continue;
                        }
                        if request.body.is_streamed() {
                            self.stream_id = Some(id);
                            self.feed_stream(now);
                        }
                    }
                    Action::Read { id, offset, len } => {
                        if offset != self.consumed {
                            self.cancel(Reply::error(
                                502,
                                "upstream_retry_needs_rewind",
                                "the upload needed to resend bytes already passed on; \
                                 a request body cannot be read twice",
                            ));
                            continue;
                        }
                        let len = usize::try_from(len).unwrap_or(usize::MAX);
                        self.read = Some((id, len, Vec::with_capacity(len.min(64 << 20))));
                    }
                    // Progress and anything new need no I/O here.
                    _ => {}
                }
            }
            if self.serve_read(now) || self.feed_stream(now) {
                continue;
            }
            let mut sources: Vec<(Pollable, Ready)> = self
                .net
                .pollables()
                .into_iter()
                .map(|(p, t)| (p, Ready::Net(t)))
                .collect();
            let wanted = self.wants_body();
            if wanted && let Some(p) = self.body.subscribe() {
                sources.push((p, Ready::Body));
                sources.push((
                    wasip2::clocks::monotonic_clock::subscribe_duration(
                        self.pace.left_ms().max(1).saturating_mul(1_000_000),
                    ),
                    Ready::Pace,
                ));
            }
            if let Some(until) = wait_until {
                let ns = until.saturating_mul(1_000_000);
                sources.push((
                    wasip2::clocks::monotonic_clock::subscribe_instant(ns),
                    Ready::Timer,
                ));
            }
            if sources.is_empty() {
                return Reply::error(
                    500,
                    "gateway_stalled",
                    "the upload has nothing to wait for; this is a gateway bug",
                );
            }
            let refs: Vec<&Pollable> = sources.iter().map(|(p, _)| p).collect();
            let polled_at = mono_ms();
            let ready = poll(&refs);
            if wanted {
                // The whole wait counts: the gateway wanted body bytes all along.
                self.pace.waited(mono_ms().saturating_sub(polled_at));
            }
            let kinds: Vec<Ready> = ready
                .iter()
                .filter_map(|i| sources.get(*i as usize).map(|(_, r)| *r))
                .collect();
            // A pollable is a child of its stream or future: they go before
            // a finished request is dropped, or the runtime traps.
            drop(refs);
            drop(sources);
            let now = mono_ms();
            for r in kinds {
                match r {
                    Ready::Net(t) => {
                        if let Some((id, outcome)) = self.net.advance(t) {
                            // A late answer to an abandoned request comes back
                            // `Ignored`: expected, nothing to do.
                            let fed = match outcome {
                                Ok(resp) => self.machine.on_response(id, &resp, now),
                                Err(e) => self.machine.on_transport_error(id, &e, now),
                            };
                            self.check_fed(fed);
                        }
                    }
                    Ready::Body => {
                        // Take what has arrived for the outstanding read in
                        // a few reads rather than one per poll: each poll
                        // round re-subscribes every request.
                        for _ in 0..BODY_READS_PER_POLL {
                            let (max, had) = match &self.read {
                                Some((_, want, got)) => {
                                    ((want - got.len()).clamp(1, 1 << 20), got.len())
                                }
                                None => (1 << 20, 0),
                            };
                            if let Some(reply) = self.pull_body(max) {
                                self.cancel(reply);
                                break;
                            }
                            let more = match &self.read {
                                Some((_, want, got)) => got.len() > had && got.len() < *want,
                                None => false,
                            };
                            if !more || self.ended || !self.pending.is_empty() {
                                break;
                            }
                        }
                    }
                    Ready::Timer => self.machine.on_timeout(now),
                    // Checked below with the rest of the wait.
                    Ready::Pace => {}
                }
            }
            if wanted && self.failure.is_none() && !self.pace.check() {
                self.cancel(too_slow());
            }
        }
        Reply::error(500, "gateway_stalled", "the upload made no progress")
    }

    fn wants_body(&self) -> bool {
        if self.ended || self.failure.is_some() {
            return false;
        }
        match (self.read.is_some(), self.stream_id) {
            (true, _) => true,
            (false, Some(id)) => self.net.queued(id) < STREAM_QUEUE_MAX,
            _ => false,
        }
    }

    /// Reads what the body has without waiting, checking it against the
    /// policy. `Some` is a reply to give instead of going on.
    fn pull_body(&mut self, max: usize) -> Option<Reply> {
        match self.body.read(max) {
            Piece::Data(bytes) => {
                self.pace.add(bytes.len());
                self.received += bytes.len() as u64;
                if let Some(w) = &mut self.watch {
                    if let Err(e) = w.feed(&bytes) {
                        return Some(policy_reply(&e));
                    }
                    if w.is_decided() && self.kind.is_none() {
                        self.kind = w.kind().map(|k| k.name().to_string());
                    }
                }
                self.take_in(bytes);
                None
            }
            Piece::End => {
                self.ended = true;
                match self.watch.take().map(BodyWatch::finish) {
                    Some(Err(PolicyError::Truncated { declared, got })) => {
                        Some(disconnected(format!("after {got} of {declared} bytes")))
                    }
                    Some(Err(e)) => Some(policy_reply(&e)),
                    Some(Ok(kind)) => {
                        if self.kind.is_none() {
                            self.kind = kind.map(|k| k.name().to_string());
                        }
                        None
                    }
                    None => None,
                }
            }
            Piece::Broken(e) => {
                self.ended = true;
                Some(disconnected(e))
            }
        }
    }

    /// Puts body bytes straight into the outstanding read's buffer (a
    /// piece that is the whole read becomes it); only what the read does
    /// not want waits in `pending`. One copy fewer on the hot path.
    fn take_in(&mut self, bytes: Vec<u8>) {
        if self.pending.is_empty()
            && let Some((_, want, buf)) = &mut self.read
        {
            if buf.is_empty() && bytes.len() == *want {
                *buf = bytes;
                return;
            }
            let take = (*want - buf.len()).min(bytes.len());
            buf.extend_from_slice(&bytes[..take]);
            self.pending.extend_from_slice(&bytes[take..]);
        } else if self.pending.is_empty() {
            self.pending = bytes;
        } else {
            self.pending.extend_from_slice(&bytes);
        }
    }

    /// Hands pending bytes to an outstanding `Read`. True when it did.
    fn serve_read(&mut self, now: u64) -> bool {
        let Some((id, want, buf)) = &mut self.read else {
            return false;
        };
        let take = (*want - buf.len()).min(self.pending.len());
        buf.extend_from_slice(&self.pending[..take]);
        self.pending.drain(..take);
        // A body that ended short hands over what it had: the machine then
        // fails the read as truncated.
        if buf.len() < *want && !self.ended {
            return false;
        }
        let (id, _, buf) = (*id, *want, std::mem::take(buf));
        self.read = None;
        self.consumed += buf.len() as u64;
        let fed = self.machine.on_data(id, Bytes::from(buf), now);
        self.check_fed(fed);
        true
    }

    /// Moves pending bytes into the streamed request. True when it did.
    fn feed_stream(&mut self, now: u64) -> bool {
        let Some(id) = self.stream_id else {
            return false;
        };
        let mut moved = false;
        if !self.pending.is_empty() {
            let piece = Bytes::from(std::mem::take(&mut self.pending));
            self.consumed += piece.len() as u64;
            self.net.feed(id, piece.clone());
            let fed = self.machine.on_data(id, piece, now);
            self.check_fed(fed);
            moved = true;
        }
        if self.ended && self.failure.is_none() {
            self.net.seal(id);
            self.stream_id = None;
            moved = true;
        }
        moved
    }

    /// Stops: the machine cancels the upstream session and then fails; the
    /// reply says why.
    /// An answer the machine refused as misuse is a gateway bug: the upload
    /// stops with a 500 rather than go on from a state nobody expects.
    fn check_fed(&mut self, fed: Result<Fed, InputError>) {
        if let Err(e) = fed {
            self.cancel(Reply::error(500, "gateway_bug", e.to_string()));
        }
    }

    fn cancel(&mut self, why: Reply) {
        if self.failure.is_none() {
            self.failure = Some(why);
        }
        self.read = None;
        self.stream_id = None;
        // Dropping the requests closes their connections: a half-sent chunk
        // or stream never completes upstream.
        self.net = Net::new();
        self.machine.cancel();
    }

    fn done(&self, d: &UploadDone) -> Reply {
        Reply::json(
            201,
            json!({
                "node_id": d.node_id,
                "upload_id": d.upload_id,
                "size": d.size,
                "crc32c": d.crc32c,
                "digest": d.digest,
                "kind": self.kind,
            }),
        )
    }
}

fn disconnected(detail: impl Into<String>) -> Reply {
    Reply::error(
        400,
        "client_disconnected",
        format!(
            "the request body ended early ({}); the upload was cancelled",
            detail.into()
        ),
    )
}

/// 413, 415 or 400 for a policy refusal.
pub fn policy_reply(e: &PolicyError) -> Reply {
    let code = match e {
        PolicyError::TooLarge { .. } => "too_large",
        PolicyError::TypeNotAllowed { .. } => "type_not_allowed",
        PolicyError::Truncated { .. } => "body_truncated",
        _ => "refused",
    };
    let mut r = Reply::error(e.http_status(), code, e.to_string());
    if let PolicyError::TooLarge { max, .. } = e {
        r = r.with("max_size", json!(max));
    }
    r
}

/// The reply for an upload the machine gave up on.
pub fn upload_error_reply(e: &UploadError) -> Reply {
    let (status, code) = match e {
        UploadError::StreamTooLarge { .. } => (413, "too_large"),
        UploadError::Plan(fastio_core::upload::plan::PlanError::TooLarge { .. }) => {
            (413, "too_large")
        }
        UploadError::Plan(_) => (400, "cannot_plan"),
        UploadError::Build(_) => (400, "bad_request"),
        UploadError::ShortRead { .. } => (400, "body_truncated"),
        UploadError::Integrity { .. } => (502, "integrity_failed"),
        UploadError::Cancelled => (500, "cancelled"),
        _ => (502, "upstream_failed"),
    };
    Reply::error(status, code, e.to_string()).with("upstream", Value::Bool(status == 502))
}
