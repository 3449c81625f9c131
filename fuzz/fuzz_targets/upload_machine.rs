//! The upload machine (`core/src/upload/machine.rs`) fed a fuzzer-chosen
//! server and host: plausible and malformed answers to every request (limits,
//! session, chunks, status polls, listings, placement), source reads that are
//! short, long or changed, streamed bodies, transport errors, timeouts,
//! cancellation, and resuming from its own snapshots.
//!
//! It never panics and never spins; it keeps at most one read and at most
//! `max_in_flight` requests outstanding, reads only inside the file, sends
//! each chunk's own bytes; `Done` names the file's size, SHA-256 and CRC32C
//! (recomputed here); snapshots read back as themselves and resume; and a host
//! whose requests all fail brings it to an end.
#![no_main]

use bytes::Bytes;
use fastio_core::api::{Client, Profile};
use fastio_core::config::ClientConfig;
use fastio_core::hash::{HashAlgo, Hasher};
use fastio_core::http::{Body, HttpRequest, HttpResponse, Method, PartData};
use fastio_core::secret::Secret;
use fastio_core::upload::plan::{PlanConfig, UploadPlan};
use fastio_core::upload::{
    Action, Fed, InputError, ResumeToken, RetryPolicy, Upload, UploadConfig, UploadError,
    UploadSpec,
};
use fastio_core_fuzz::{Script, envelope, error_body, pattern, respond, trace};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const STATUSES: &[&str] = &[
    "stored",
    "complete",
    "uploading",
    "ready",
    "assembling",
    "storing",
    "assembly_failed",
    "store_failed",
    "queued",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Limits,
    List,
    Details,
    Chunk,
    ChunkStatus,
    Complete,
    Stream,
    Cancel,
    Create,
    Single,
    AddFile,
    Other,
}

fn kind(req: &HttpRequest) -> Kind {
    let path = req.url.split('?').next().unwrap_or("");
    let path = path.split("/current/").nth(1).unwrap_or(path);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (req.method, segs.as_slice()) {
        (_, ["upload", "limits"]) => Kind::Limits,
        (_, ["upload", "details"]) => Kind::List,
        (_, ["upload", _, "details"]) => Kind::Details,
        (Method::Post, ["upload", _, "chunk"]) => Kind::Chunk,
        (_, ["upload", _, "chunk"]) => Kind::ChunkStatus,
        (_, ["upload", _, "complete"]) => Kind::Complete,
        (_, ["upload", _, "stream"]) => Kind::Stream,
        (Method::Delete, ["upload", _]) => Kind::Cancel,
        (_, ["upload"]) if matches!(req.body, Body::Multipart(_)) => Kind::Single,
        (_, ["upload"]) => Kind::Create,
        (_, [.., "addfile"]) => Kind::AddFile,
        _ => Kind::Other,
    }
}

/// The `order` and bytes of a chunk request, and the bytes of a single
/// request; a source range is taken from `file`, as a host writes it.
fn payload(req: &HttpRequest, file: &[u8]) -> (Option<u64>, Option<Bytes>) {
    let Body::Multipart(m) = &req.body else {
        return (None, None);
    };
    let mut order = req
        .url
        .split_once('?')
        .and_then(|(_, q)| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "order"))
        .and_then(|(_, v)| v.parse().ok());
    let mut data = None;
    for p in &m.parts {
        match (&p.data, p.filename.is_some()) {
            (PartData::Inline(b), true) => data = Some(b.clone()),
            (PartData::Source { offset, len }, true) => {
                let range = usize::try_from(*offset)
                    .ok()
                    .zip(usize::try_from(*len).ok())
                    .and_then(|(o, l)| file.get(o..o.checked_add(l)?));
                data = Some(Bytes::copy_from_slice(
                    range.expect("a source range inside the file"),
                ));
            }
            (PartData::Inline(b), false) if p.name == "order" => {
                order = std::str::from_utf8(b).ok().and_then(|t| t.parse().ok());
            }
            _ => {}
        }
    }
    (order, data)
}

struct Sent {
    id: u64,
    kind: Kind,
    /// When the machine gives the request up (it then refuses its answer).
    deadline: u64,
}

struct Host {
    up: Upload,
    client: Client,
    cfg: UploadConfig,
    now: u64,
    /// The source; a stream's grows as it is sent.
    file: Vec<u8>,
    stream: bool,
    sent: Vec<Sent>,
    read: Option<(u64, u64, u64)>,
    /// Bytes the machine accepted of a streamed body.
    streamed: Vec<u8>,
    /// The host handed over bytes that are not the file's.
    tainted: bool,
    ended: bool,
    name: String,
}

impl Host {
    fn pull(&mut self) {
        for _ in 0..64 {
            let Some(a) = self.up.next_action(self.now) else {
                return;
            };
            trace(format_args!("{} action {a:?}", self.now));
            assert!(!self.ended, "an action after the end: {a:?}");
            match a {
                Action::Send { id, request } => {
                    let k = kind(&request);
                    if k == Kind::Chunk && !self.tainted {
                        let (order, data) = payload(&request, &self.file);
                        let order = order.expect("a chunk request names its order");
                        let chunk = self.up.plan().chunk(order).expect("a chunk of the plan");
                        let data = data.expect("a chunk request carries its bytes");
                        let want = &self.file[chunk.offset as usize..chunk.end() as usize];
                        assert!(
                            data.as_ref() == want,
                            "chunk {order} is not the file's bytes"
                        );
                    }
                    if k == Kind::Single && !self.tainted {
                        let (_, data) = payload(&request, &self.file);
                        let data = data.expect("a single request carries the file");
                        assert!(
                            data.as_ref() == self.file.as_slice(),
                            "the single body is not the file"
                        );
                    }
                    let hold = if k == Kind::Details {
                        request
                            .url
                            .split_once('?')
                            .and_then(|(_, q)| {
                                form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "wait")
                            })
                            .and_then(|(_, v)| v.parse::<u64>().ok())
                            .unwrap_or(0)
                            * 1000
                    } else {
                        0
                    };
                    let deadline = self
                        .now
                        .saturating_add(self.cfg.request_timeout_ms)
                        .saturating_add(hold);
                    self.sent.push(Sent {
                        id,
                        kind: k,
                        deadline,
                    });
                    let cap = self.up.plan().max_in_flight().clamp(1, 64) as usize;
                    assert!(
                        self.sent.len() <= cap,
                        "{} requests out, limit {cap}: {:?}",
                        self.sent.len(),
                        self.sent.iter().map(|x| x.kind).collect::<Vec<_>>()
                    );
                }
                Action::Read { id, offset, len } => {
                    assert!(self.read.is_none(), "two reads outstanding");
                    assert!(!self.stream, "a read of a stream");
                    assert!(
                        offset
                            .checked_add(len)
                            .is_some_and(|e| e <= self.file.len() as u64),
                        "read {offset}+{len} outside a file of {}",
                        self.file.len()
                    );
                    self.read = Some((id, offset, len));
                }
                Action::Wait { .. } => return,
                // A token handed out must read back as the same token.
                Action::Persist { token } => {
                    assert!(!self.ended, "a token after the end");
                    let back = ResumeToken::from_json(&token.to_json());
                    assert_eq!(back.as_ref(), Ok(&token), "{back:?}");
                }
                Action::Progress(p) => {
                    if let Some(t) = p.bytes_total {
                        assert!(p.bytes_acked <= t, "{p:?}");
                    }
                    if matches!(self.up.plan(), UploadPlan::Chunked { .. }) {
                        assert!(p.chunks_acked <= p.chunks_total, "{p:?}");
                    }
                }
                Action::Done(d) => {
                    self.ended = true;
                    let bytes = if self.stream {
                        &self.streamed
                    } else {
                        &self.file
                    };
                    assert_eq!(d.size, bytes.len() as u64);
                    if !self.tainted {
                        // A digest reported is the digest of every byte.
                        if let Some(g) = &d.digest {
                            assert_eq!(g.to_hex(), Hasher::digest(g.algo(), bytes).to_hex());
                        }
                        assert_eq!(d.crc32c, format!("{:08x}", crc32c::crc32c(bytes)));
                    }
                }
                Action::Failed(e) => {
                    self.ended = true;
                    if let UploadError::Protocol { what, .. } = &e {
                        assert_ne!(what, "the upload machine", "an internal error: {e}");
                    }
                }
                _ => {}
            }
        }
        panic!("64 actions in a row without waiting for an input");
    }

    /// An answer to a request the machine issued: refused only once it has
    /// ended, or when it gave the request up (a deadline, a failed stream).
    fn check_input(&self, r: Result<Fed, InputError>) {
        match r {
            Ok(Fed::Accepted) => assert!(!self.ended, "an input accepted after the end"),
            Ok(Fed::Ignored) => {}
            Err(InputError::Finished) => assert!(self.ended, "finished without saying so"),
            Err(e) => panic!("an outstanding request refused: {e}"),
        }
    }

    fn take(&mut self, s: &mut Script) -> Option<Sent> {
        if self.sent.is_empty() {
            return None;
        }
        let i = s.u8() as usize % self.sent.len();
        Some(self.sent.remove(i))
    }

    fn session(&self, s: &mut Script, k: Kind) -> Value {
        let mut session = json!({});
        if !s.one_in(8) {
            session["id"] = if s.one_in(8) {
                json!(s.text())
            } else {
                json!("up1")
            };
        }
        let default_status = match k {
            Kind::Details | Kind::Complete => "stored",
            _ => "uploading",
        };
        let status = if s.flag() {
            default_status
        } else {
            s.pick(STATUSES)
        };
        session["status"] = json!(status);
        if !s.one_in(4) {
            session["new_file_id"] = json!("n1");
        }
        if s.one_in(4) {
            let mut chunks = serde_json::Map::new();
            for c in self.up.plan().chunks().take(64) {
                match s.u8() % 4 {
                    0 => {}
                    1 => {
                        chunks.insert(c.order.to_string(), json!(s.u16()));
                    }
                    _ => {
                        chunks.insert(c.order.to_string(), json!(c.len));
                    }
                }
            }
            session["chunks"] = Value::Object(chunks);
        }
        if status.ends_with("failed") && s.flag() {
            session["integrity_failure"] =
                json!({"expected_crc32c": "00000000", "computed_crc32c": s.text()});
        }
        if k == Kind::List {
            let size = if self.stream {
                json!(null)
            } else {
                json!(self.file.len())
            };
            let name = if s.flag() {
                self.name.clone()
            } else {
                s.text()
            };
            return json!({"results": [{"session": {"id": "up1", "name": name, "size": size}}]});
        }
        if k == Kind::AddFile && s.flag() {
            return json!({"node": {"id": "n2"}});
        }
        if s.flag() {
            json!({"session": session})
        } else {
            session
        }
    }

    fn limits(&self, s: &mut Script) -> Value {
        let keys = [
            "chunk_size",
            "min_chunk_size",
            "max_chunk_size",
            "max_chunks",
            "max_file_size",
            "single_request_max",
            "max_parallel",
        ];
        let mut obj = serde_json::Map::new();
        for _ in 0..s.u8() % 5 {
            let v = match s.u8() % 4 {
                0 => json!(s.u16()),
                1 => json!(s.u64()),
                2 => json!(s.u16().to_string()),
                _ => json!(-1),
            };
            obj.insert(s.pick(&keys).to_string(), v);
        }
        if s.flag() {
            json!({"limits": obj})
        } else {
            Value::Object(obj)
        }
    }

    fn answer(&mut self, s: &mut Script) {
        let Some(sent) = self.take(s) else { return };
        let resp = match s.u8() % 6 {
            0..=3 => {
                let payload = if sent.kind == Kind::Limits {
                    self.limits(s)
                } else {
                    self.session(s, sent.kind)
                };
                let body = envelope(s, payload);
                let mut r = respond(s, body);
                if !s.one_in(4) {
                    r.status = 200;
                }
                r
            }
            4 => {
                let body = serde_json::to_vec(&error_body(s)).unwrap_or_default();
                respond(s, body)
            }
            _ => {
                let body = s.blob().to_vec();
                respond(s, body)
            }
        };
        let r = self.up.on_response(sent.id, &resp, self.now);
        self.check_input(r);
    }

    fn answer_read(&mut self, s: &mut Script, faithful: bool) {
        let Some((id, offset, len)) = self.read.take() else {
            return;
        };
        let (o, l) = (offset as usize, len as usize);
        let mut data = self.file[o..o + l].to_vec();
        if !faithful {
            match s.u8() % 4 {
                0 => data.truncate(s.u16() as usize % (l + 1)),
                1 => data.extend_from_slice(s.blob()),
                2 => {
                    if let Some(b) = data.first_mut() {
                        *b ^= 1 | s.u8();
                        self.tainted = true;
                    }
                }
                _ => {}
            }
        }
        let r = self.up.on_data(id, data, self.now);
        match r {
            Ok(Fed::Accepted) => assert!(!self.ended, "read data accepted after the end"),
            Ok(Fed::Ignored) => {}
            Err(e) => assert!(self.ended, "an outstanding read refused: {e}"),
        }
    }

    fn step(&mut self, s: &mut Script) {
        self.step_at(s, 0);
    }

    fn step_at(&mut self, s: &mut Script, depth: u32) {
        let op = s.u8() % 13;
        trace(format_args!("{} step {op}", self.now));
        if op == 12 {
            // Two inputs with no action pulled between them.
            if depth < 3 {
                self.step_at(s, depth + 1);
                self.step_at(s, depth + 1);
            }
            return;
        }
        match op {
            0..=3 => self.answer(s),
            4 | 5 => {
                let faithful = !s.one_in(4);
                self.answer_read(s, faithful);
            }
            // A piece of a streamed body.
            6 => {
                let stall = self.cfg.stall_timeout_ms;
                let now = self.now;
                if let Some(x) = self.sent.iter_mut().find(|x| x.kind == Kind::Stream) {
                    let piece = s.blob().to_vec();
                    if self.up.on_data(x.id, piece.clone(), now).is_ok() {
                        self.streamed.extend_from_slice(&piece);
                        x.deadline = x.deadline.max(now.saturating_add(stall));
                    }
                }
            }
            7 => {
                if let Some(sent) = self.take(s) {
                    let text = s.text();
                    let r = self.up.on_transport_error(sent.id, &text, self.now);
                    self.check_input(r);
                }
            }
            8 => {
                self.now = self.now.saturating_add(u64::from(s.u32()));
                self.up.on_timeout(self.now);
                let now = self.now;
                self.sent.retain(|x| x.deadline > now);
            }
            9 => {
                if s.one_in(4) {
                    self.up.cancel();
                    self.sent.clear();
                    self.read = None;
                }
            }
            10 => self.snapshot_and_resume(s),
            _ => {
                let id = u64::from(s.u8());
                let known =
                    self.sent.iter().any(|x| x.id == id) || self.read.is_some_and(|r| r.0 == id);
                if !known {
                    let resp = HttpResponse::new(200, b"{}".to_vec());
                    assert!(self.up.on_response(id, &resp, self.now).is_err());
                    assert!(self.up.on_transport_error(id, "x", self.now).is_err());
                    assert!(
                        self.up
                            .on_data(id, Bytes::from_static(b"x"), self.now)
                            .is_err()
                    );
                }
            }
        }
    }

    /// A snapshot reads back as itself and resumes; the resumed machine
    /// takes over (what was outstanding is forgotten, as after a restart).
    fn snapshot_and_resume(&mut self, s: &mut Script) {
        let Some(token) = self.up.snapshot() else {
            return;
        };
        let json = token.to_json();
        let back = ResumeToken::from_json(&json)
            .unwrap_or_else(|e| panic!("a snapshot does not read back: {e}\n{json}"));
        assert_eq!(back, token);
        if s.flag() {
            return;
        }
        match Upload::resume(self.client.clone(), &back, self.cfg.clone()) {
            Ok(up) => {
                self.up = up;
                self.sent.clear();
                self.read = None;
            }
            Err(e) => panic!("a snapshot does not resume: {e}\n{json}"),
        }
    }

    /// A host whose every request fails (reads are answered): the upload ends.
    fn drain(&mut self) {
        for _ in 0..2000 {
            self.pull();
            if self.ended {
                assert!(self.up.next_action(self.now).is_none());
                assert!(self.up.is_finished());
                return;
            }
            if self.read.is_some() {
                let mut none = Script::new(&[]);
                self.answer_read(&mut none, true);
                continue;
            }
            if let Some(sent) = self.sent.pop() {
                let _ = self.up.on_transport_error(sent.id, "refused", self.now);
                continue;
            }
            self.now = self.now.saturating_add(3_600_000);
            self.up.on_timeout(self.now);
            let now = self.now;
            self.sent.retain(|x| x.deadline > now);
        }
        panic!("the upload did not end on a host whose requests all fail");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script::new(data);
    let flags = s.u8();
    let Ok(mut config) =
        ClientConfig::with_api_key("https://api.fast.io/current/", Secret::new("k"))
    else {
        return;
    };
    if flags & 1 == 1 {
        config.chunk_params = fastio_core::config::ChunkParams::Form;
    }
    let Ok(client) = Client::new(config) else {
        return;
    };
    let chunk_size = 1 + u64::from(s.u16() % 4096);
    let size = u64::from(s.u32()) % (chunk_size * 24 + 1);
    let stream = flags & 2 == 2;
    let cfg = UploadConfig {
        plan: PlanConfig {
            single_request_max: u64::from(s.u16()),
            chunk_size,
            max_chunks: s.flag().then(|| u64::from(s.u8())),
            max_file_size: s.flag().then(|| u64::from(s.u32())),
            max_in_flight: u32::from(s.u8() % 5),
        },
        chunk_algo: s.pick(&[
            None,
            Some(HashAlgo::Crc32c),
            Some(HashAlgo::Sha256),
            Some(HashAlgo::Md5),
            Some(HashAlgo::Sha1),
        ]),
        retry: RetryPolicy {
            max_attempts: 1 + u32::from(s.u8() % 5),
            ..RetryPolicy::default()
        },
        request_timeout_ms: 1 + u64::from(s.u32()),
        stall_timeout_ms: 1 + u64::from(s.u32()),
        poll_wait_s: u32::from(s.u16() % 600),
        max_polls: u32::from(s.u8() % 8),
        stream_max_size: s.flag().then(|| u64::from(s.u16())),
        seed: s.u64(),
        fetch_limits: flags & 4 == 4,
        persist_token: flags & 8 == 8,
        file_digest: s.pick(&[None, Some(HashAlgo::Sha256), Some(HashAlgo::Md5)]),
        verify_stored: flags & 16 == 16,
        host_keeps_chunks: flags & 32 == 32,
    };
    let name = if s.one_in(8) {
        s.text()
    } else {
        "f.bin".to_string()
    };
    let spec = UploadSpec {
        name: name.clone(),
        size: (!stream).then_some(size),
        target: match s.u8() % 4 {
            0 => None,
            1 => Some(Profile::Share("s1".into())),
            _ => Some(Profile::Workspace("4000000000000000001".into())),
        },
        folder_id: "root".into(),
        add_to: (flags & 8 == 8).then(|| ("4000000000000000001".to_string(), "root".to_string())),
    };
    let up = match Upload::new(client.clone(), spec, cfg.clone()) {
        Ok(up) => up,
        Err(UploadError::Plan(_) | UploadError::Protocol { .. } | UploadError::Build(_)) => return,
        Err(e) => panic!("an unexpected refusal: {e}"),
    };
    let mut host = Host {
        up,
        client,
        cfg,
        now: u64::from(s.u16()),
        file: if stream {
            Vec::new()
        } else {
            pattern(size as usize, flags)
        },
        stream,
        sent: Vec::new(),
        read: None,
        streamed: Vec::new(),
        tainted: false,
        ended: false,
        name,
    };
    for _ in 0..128 {
        if s.is_empty() {
            break;
        }
        host.pull();
        host.step(&mut s);
    }
    host.drain();
});
