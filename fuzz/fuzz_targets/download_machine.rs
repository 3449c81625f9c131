//! The download machine (`core/src/download.rs`) driven by a fuzzer-chosen
//! server and host: answers (well-formed or not) to each request, the file
//! body in pieces, redirects, transport errors, late and unknown ids, and
//! time. It never panics; after every input it ends or asks for more within a
//! few actions; `Done` means the bytes handed to it are the file it names
//! (size, SHA-256 and CRC32C recomputed here, and the checked digest); and a
//! host that keeps failing requests brings it to an end.
#![no_main]

use fastio_core::api::{Client, Profile};
use fastio_core::config::ClientConfig;
use fastio_core::download::{Download, DownloadAction, DownloadSpec};
use fastio_core::hash::{HashAlgo, Hasher};
use fastio_core::http::HttpResponse;
use fastio_core::secret::Secret;
use fastio_core::upload::{Fed, InputError, RetryPolicy};
use fastio_core_fuzz::{Script, envelope, error_body, headers, respond, sha256_hex, to_hex, trace};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

const ALGOS: &[&str] = &[
    "sha256",
    "md5",
    "sha1",
    "sha384",
    "crc32c",
    "SHA256",
    "whirlpool",
    "",
];

struct Host {
    dl: Download,
    now: u64,
    file: Vec<u8>,
    /// Outstanding sends: id, URL, whether the answer is the file.
    sent: Vec<(u64, String, bool)>,
    /// The file read once its head was accepted.
    receiving: Option<u64>,
    /// Bytes the machine accepted as the file.
    fed: Vec<u8>,
    ended: Option<DownloadAction>,
    last_read_url: Option<String>,
    require_hash: bool,
}

impl Host {
    /// Pulls actions until the machine waits for an input.
    fn pull(&mut self) {
        for _ in 0..16 {
            let Some(a) = self.dl.next_action(self.now) else {
                return;
            };
            trace(format_args!("{} action {a:?}", self.now));
            assert!(self.ended.is_none(), "an action after the end: {a:?}");
            match &a {
                DownloadAction::Send {
                    id,
                    request,
                    stream_response,
                } => {
                    let auth = request.header("authorization").is_some();
                    if *stream_response {
                        assert!(!auth, "the file read carries credentials");
                        if let Some(prev) = &self.last_read_url
                            && prev.starts_with("https://")
                        {
                            assert!(
                                request.url.starts_with("https://"),
                                "followed a redirect from HTTPS down to HTTP"
                            );
                        }
                        self.last_read_url = Some(request.url.clone());
                    } else {
                        assert!(auth, "an API request without credentials");
                    }
                    self.sent.push((*id, request.url.clone(), *stream_response));
                }
                DownloadAction::Wait { .. } => return,
                DownloadAction::Progress { bytes, total } => {
                    assert_eq!(*bytes, self.fed.len() as u64);
                    if let Some(t) = total {
                        assert!(bytes <= t, "progress past the size");
                    }
                }
                DownloadAction::Done(d) => {
                    assert_eq!(d.size, self.fed.len() as u64);
                    assert_eq!(d.sha256, sha256_hex(&self.fed));
                    assert_eq!(d.crc32c, format!("{:08x}", crc32c::crc32c(&self.fed)));
                    assert!(!self.require_hash || d.checked.is_some());
                    if let Some((algo, hex)) = &d.checked {
                        let algo = HashAlgo::parse(algo).expect("a checked algorithm parses");
                        assert_eq!(&Hasher::digest(algo, &self.fed).to_hex(), hex);
                    }
                    self.ended = Some(a);
                }
                DownloadAction::Failed(_) => {
                    self.ended = Some(a);
                }
                _ => {}
            }
        }
        panic!("16 actions in a row without waiting for an input");
    }

    fn finished_checks(&mut self, r: Result<Fed, InputError>) {
        if self.ended.is_some() {
            assert_ne!(r, Ok(Fed::Accepted), "an input accepted after the end");
        }
    }

    fn take(&mut self, s: &mut Script) -> Option<(u64, String, bool)> {
        if self.sent.is_empty() {
            return None;
        }
        let i = s.u8() as usize % self.sent.len();
        Some(self.sent.remove(i))
    }

    /// A plausible answer to the request at `url`, shaped by the script.
    fn answer(&self, s: &mut Script, url: &str, stream: bool) -> HttpResponse {
        if stream {
            let mut r = respond(s, Vec::new());
            if s.flag() {
                r.status = 200;
            }
            return r;
        }
        let payload = if url.contains("/details/") {
            let algo = s.pick(ALGOS);
            let hash = match (s.u8() % 4, HashAlgo::parse(algo)) {
                (0 | 1, Ok(a)) => Hasher::digest(a, &self.file).to_hex(),
                (2, _) => s.text(),
                _ => to_hex(&self.file[..self.file.len().min(8)]),
            };
            let size = if s.flag() {
                json!(self.file.len())
            } else {
                json!(s.u32() % 1024)
            };
            let node =
                json!({"id": "n1", "type": "file", "size": size, "hash": hash, "hash_algo": algo});
            match s.u8() % 4 {
                0 => json!({"node": node}),
                1 => json!({"format": "multi", "nodes": [node], "errors": []}),
                2 => {
                    json!({"format": "multi", "nodes": [], "errors": [{"node_id": "n1", "code": 1609, "message": s.text()}]})
                }
                _ => node,
            }
        } else if url.contains("/versions/") {
            let hash = sha256_hex(&self.file);
            json!({"versions": [
                {"id": s.text(), "size": self.file.len(), "hash": hash, "hash_algo": "sha256"},
                {"version_id": "v1", "size": self.file.len().to_string(), "hash": hash, "hash_algo": s.pick(ALGOS)},
            ]})
        } else {
            json!({"token": s.text(), "expires": 7200})
        };
        let body = envelope(s, payload);
        let mut r = respond(s, body);
        if !s.one_in(4) {
            r.status = 200;
        }
        r
    }

    fn step(&mut self, s: &mut Script) {
        self.step_at(s, 0);
    }

    fn step_at(&mut self, s: &mut Script, depth: u32) {
        let op = s.u8() % 11;
        trace(format_args!("{} step {op}", self.now));
        if op == 10 {
            // Two inputs with no action pulled between them.
            if depth < 3 {
                self.step_at(s, depth + 1);
                self.step_at(s, depth + 1);
            }
            return;
        }
        match op {
            // A plausible answer to an outstanding request.
            0..=2 => {
                if let Some((id, url, stream)) = self.take(s) {
                    let resp = self.answer(s, &url, stream);
                    let r = self.dl.on_response(id, &resp, self.now);
                    if r == Ok(Fed::Accepted) && stream && (200..300).contains(&resp.status) {
                        self.receiving = Some(id);
                    }
                    self.finished_checks(r);
                }
            }
            // Any answer.
            3 => {
                if let Some((id, _, stream)) = self.take(s) {
                    let body = if s.flag() {
                        serde_json::to_vec(&error_body(s)).unwrap_or_default()
                    } else {
                        s.blob().to_vec()
                    };
                    let resp = respond(s, body);
                    let r = self.dl.on_response(id, &resp, self.now);
                    if r == Ok(Fed::Accepted) && stream && (200..300).contains(&resp.status) {
                        self.receiving = Some(id);
                        self.fed.extend_from_slice(&resp.body);
                    }
                    self.finished_checks(r);
                }
            }
            // A redirect of the read.
            4 => {
                if let Some((id, _, _)) = self.take(s) {
                    let location = match s.u8() % 6 {
                        0 => "https://cdn.example/f?t=1".to_string(),
                        1 => "http://cdn.example/f".to_string(),
                        2 => "/blob/9".to_string(),
                        3 => "//cdn.example/y".to_string(),
                        4 => "z?t=2".to_string(),
                        _ => s.text(),
                    };
                    let mut resp = HttpResponse::new(300 + u16::from(s.u8() % 9), Vec::new());
                    resp.headers = headers(s);
                    resp.headers.push(("Location".into(), location));
                    let r = self.dl.on_response(id, &resp, self.now);
                    self.finished_checks(r);
                }
            }
            // The next piece of the file, or bytes of the fuzzer's.
            5 => {
                let Some(id) = self.receiving else { return };
                let piece = if s.one_in(4) {
                    s.blob().to_vec()
                } else {
                    let at = self.fed.len().min(self.file.len());
                    let n = (s.u16() as usize).min(self.file.len() - at);
                    self.file[at..at + n].to_vec()
                };
                let r = self.dl.on_data(id, &piece);
                if r == Ok(Fed::Accepted) {
                    self.fed.extend_from_slice(&piece);
                }
                self.finished_checks(r);
            }
            6 => {
                let Some(id) = self.receiving else { return };
                let r = self.dl.on_end(id);
                if r == Ok(Fed::Accepted) {
                    self.receiving = None;
                }
                self.finished_checks(r);
            }
            7 => {
                if let Some((id, _, _)) = self.take(s) {
                    let text = s.text();
                    let r = self.dl.on_transport_error(id, &text, self.now);
                    if self.receiving == Some(id) {
                        self.receiving = None;
                    }
                    self.finished_checks(r);
                }
            }
            // Time passes.
            8 => {
                self.now = self.now.saturating_add(u64::from(s.u32()));
                self.dl.on_timeout(self.now);
            }
            // An id the machine never issued (or one already answered).
            _ => {
                let id = u64::from(s.u8());
                let known =
                    self.sent.iter().any(|(i, _, _)| *i == id) || self.receiving == Some(id);
                if !known {
                    let resp = HttpResponse::new(200, b"{}".to_vec());
                    // Refused, or ignored when the machine gave it up.
                    let used = Ok(Fed::Accepted);
                    assert_ne!(self.dl.on_response(id, &resp, self.now), used);
                    assert_ne!(self.dl.on_data(id, b"x"), used);
                    assert_ne!(self.dl.on_end(id), used);
                }
            }
        }
    }

    /// A host whose every request fails: the machine must end.
    fn drain(&mut self) {
        for _ in 0..200 {
            self.pull();
            if self.ended.is_some() {
                assert!(
                    self.dl.next_action(self.now).is_none(),
                    "actions after the end"
                );
                return;
            }
            if let Some(id) = self.receiving.take() {
                let _ = self.dl.on_transport_error(id, "reset", self.now);
                continue;
            }
            if let Some((id, _, _)) = self.sent.pop() {
                let _ = self.dl.on_transport_error(id, "refused", self.now);
                continue;
            }
            self.now = self.now.saturating_add(60_000);
            self.dl.on_timeout(self.now);
        }
        panic!("the download did not end on a host whose requests all fail");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script::new(data);
    let flags = s.u8();
    let base = if flags & 4 == 0 {
        "https://api.fast.io/current/"
    } else {
        "http://127.0.0.1:8080/current/"
    };
    let Ok(config) = ClientConfig::with_api_key(base, Secret::new("fuzz-key")) else {
        return;
    };
    let Ok(client) = Client::new(config) else {
        return;
    };
    let profile = if flags & 8 == 0 {
        Profile::Workspace("4000000000000000001".into())
    } else {
        Profile::Share("s1".into())
    };
    let spec = DownloadSpec {
        profile,
        node_id: "n1".into(),
        version_id: (flags & 1 == 1).then(|| "v1".into()),
        require_hash: flags & 2 == 2,
    };
    let retry = RetryPolicy {
        max_attempts: 1 + u32::from(s.u8() % 6),
        ..RetryPolicy::default()
    };
    let file = s.blob().to_vec();
    let mut host = Host {
        dl: Download::new(client, spec.clone(), retry, s.u64()),
        now: u64::from(s.u16()),
        file,
        sent: Vec::new(),
        receiving: None,
        fed: Vec::new(),
        ended: None,
        last_read_url: None,
        require_hash: spec.require_hash,
    };
    for _ in 0..64 {
        if s.is_empty() {
            break;
        }
        host.pull();
        host.step(&mut s);
    }
    host.drain();
});
