//! Hostile input against a gateway instance of its own: each request must end with an error
//! status or a dropped connection within its bound, never a hang; after each kind the gateway
//! still answers `/healthz` and the `wasmtime serve` process stays under [`RSS_BOUND_KIB`].
//!
//! Slow request headers are the runtime's to cut off (`wasmtime serve` sets no header
//! timeout); the suite checks only that a client trickling them does not stop others.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// What the gateway process may hold resident at any point of the suite.
const RSS_BOUND_KIB: u64 = 200 * 1024;

/// How a raw exchange ended.
#[derive(Debug)]
struct Answer {
    status: Option<u16>,
    body: Vec<u8>,
    closed: bool,
    elapsed: Duration,
}

impl Answer {
    fn refused(&self) -> bool {
        match self.status {
            Some(s) => s >= 400,
            None => self.closed,
        }
    }
    fn error(&self) -> String {
        serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    started: Instant,
    closed: bool,
}

impl Conn {
    fn open(g: &Gateway) -> Conn {
        let s = TcpStream::connect(g.url.trim_start_matches("http://")).expect("connect");
        s.set_write_timeout(Some(Duration::from_secs(10)))
            .expect("write timeout");
        Conn {
            s,
            buf: Vec::new(),
            started: Instant::now(),
            closed: false,
        }
    }

    fn send(&mut self, b: &[u8]) -> bool {
        if !self.closed && self.s.write_all(b).is_err() {
            self.closed = true;
        }
        !self.closed
    }

    /// Reads for up to `wait`; true once a whole answer is in or the connection closed.
    fn poll(&mut self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        let mut piece = [0u8; 16 * 1024];
        while !self.closed && !self.complete() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            let _ = self.s.set_read_timeout(Some(left));
            match self.s.read(&mut piece) {
                Ok(0) => self.closed = true,
                Ok(n) => self.buf.extend_from_slice(&piece[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return false;
                }
                Err(_) => self.closed = true,
            }
        }
        true
    }

    fn complete(&self) -> bool {
        let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            return false;
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        self.buf.len() >= end + 4 + len
    }

    fn finish(mut self, wait: Duration) -> Answer {
        self.poll(wait);
        let (head, body) = match self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(e) => (
                String::from_utf8_lossy(&self.buf[..e]).into_owned(),
                self.buf[e + 4..].to_vec(),
            ),
            None => (String::from_utf8_lossy(&self.buf).into_owned(), Vec::new()),
        };
        let status = head
            .strip_prefix("HTTP/1.1 ")
            .and_then(|r| r.get(..3))
            .and_then(|c| c.parse().ok());
        Answer {
            status,
            body,
            closed: self.closed,
            elapsed: self.started.elapsed(),
        }
    }
}

fn head(method: &str, target: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut h = format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1\r\n").into_bytes();
    for (k, v) in headers {
        h.extend_from_slice(k.as_bytes());
        h.extend_from_slice(b": ");
        h.extend_from_slice(v.as_bytes());
        h.extend_from_slice(b"\r\n");
    }
    h.extend_from_slice(b"\r\n");
    h
}

/// `head` with a body and its length.
fn request(method: &str, target: &str, headers: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut hs = headers.to_vec();
    hs.push(("content-length", body.len().to_string()));
    let mut r = head(method, target, &hs);
    r.extend_from_slice(body);
    r
}

fn exchange(g: &Gateway, req: &[u8], wait: Duration) -> Answer {
    let mut c = Conn::open(g);
    c.send(req);
    c.finish(wait)
}

/// Sends `head`, then `prefix` of the body, then `trickle` a byte each `every` until the
/// gateway answers or closes or `bound` passes.
fn slow_body(
    g: &Gateway,
    head: &[u8],
    prefix: &[u8],
    trickle: usize,
    every: Duration,
    bound: Duration,
) -> Answer {
    let mut c = Conn::open(g);
    c.send(head);
    c.send(prefix);
    let mut sent = 0;
    while !c.poll(every) && c.started.elapsed() < bound {
        if sent < trickle && !c.send(b"x") {
            break;
        }
        sent += 1;
    }
    c.finish(Duration::from_secs(2))
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

fn json_ct() -> (&'static str, String) {
    ("content-type", "application/json".into())
}

fn healthy(g: &Gateway) {
    let a = exchange(g, &head("GET", "/healthz", &[]), Duration::from_secs(20));
    assert_eq!(a.status, Some(200), "healthz: {a:?}");
}

/// Checks every answer of a case, then the gateway's health and memory.
fn check(g: &Gateway, pid: u32, name: &str, bound: Duration, answers: &[Answer]) {
    for a in answers {
        assert!(a.refused(), "{name}: not refused: {a:?}");
        assert!(a.elapsed <= bound, "{name}: took {:?}: {a:?}", a.elapsed);
    }
    healthy(g);
    let rss = proc_kib(pid, "VmRSS");
    let hwm = proc_kib(pid, "VmHWM");
    eprintln!(
        "{name:<44} statuses {:?} errors {:?}  VmRSS {rss} KiB  VmHWM {hwm} KiB",
        answers.iter().map(|a| a.status).collect::<Vec<_>>(),
        answers.iter().map(Answer::error).collect::<Vec<_>>(),
    );
    assert!(rss > 0, "no VmRSS for {pid}");
    assert!(rss < RSS_BOUND_KIB, "{name}: VmRSS {rss} KiB");
    assert!(hwm < RSS_BOUND_KIB, "{name}: VmHWM {hwm} KiB");
}

#[test]
fn hostile_requests_end_in_errors_and_leave_the_gateway_healthy() {
    let e = env();
    let g = e.gateway_with(&[]);
    let pid = g.server_pid().expect("wasmtime serve pid");
    healthy(&g);
    let grant_token = grant(&g, json!({"max_size": 1u64 << 30}));
    let small_grant = grant(&g, json!({"max_size": 1 << 20}));
    let relay = open_relay(&g, &grant_token, "hostile-relay.bin", 6 << 20);
    assert_eq!(relay.status, 201, "{}", relay.json);
    let relay_id = relay.json["upload_id"].as_str().expect("id").to_string();
    let relay_token = relay.json["token"].as_str().expect("token").to_string();
    let chunk_len = relay.json["chunk_size"].as_u64().expect("chunk size");
    eprintln!("start: VmRSS {} KiB", proc_kib(pid, "VmRSS"));
    let quick = Duration::from_secs(5);
    let two_gib = (2u64 << 30).to_string();
    let cl = |n: &str| ("content-length", n.to_string());

    // Declared lengths over a route's limit: 413 before a byte of the body.
    let answers: Vec<Answer> = [
        head(
            "POST",
            "/grant",
            &[bearer(GRANT_SECRET), json_ct(), cl(&two_gib)],
        ),
        head(
            "POST",
            "/uploads",
            &[bearer(&grant_token), json_ct(), cl(&two_gib)],
        ),
        head("POST", "/webhooks/fastio", &[json_ct(), cl(&two_gib)]),
        head(
            "POST",
            "/upload",
            &[
                bearer(&small_grant),
                ("x-file-name", "big.bin".into()),
                cl(&two_gib),
            ],
        ),
        head(
            "PUT",
            &format!("/uploads/{relay_id}/chunks/1"),
            &[
                bearer(&relay_token),
                ("x-chunk-sha256", "0".repeat(64)),
                cl(&(chunk_len + 1).to_string()),
            ],
        ),
    ]
    .iter()
    .map(|h| exchange(&g, h, quick))
    .collect();
    for a in &answers {
        assert_eq!(a.status, Some(413), "{a:?}");
        assert!(a.elapsed < Duration::from_secs(3), "{a:?}");
    }
    check(&g, pid, "declared length over the limit", quick, &answers);

    // Bodies that stop or trickle: cut off after one pacing window of waiting (10 s). Run at
    // once, so the suite waits for one window, not four.
    let bound = Duration::from_secs(25);
    let answers: Vec<Answer> = std::thread::scope(|s| {
        let g = &g;
        let gt = grant_token.clone();
        let rt = relay_token.clone();
        let rid = relay_id.clone();
        let jobs = vec![
            s.spawn(move || {
                // /grant at 1 byte per second.
                let h = head(
                    "POST",
                    "/grant",
                    &[bearer(GRANT_SECRET), json_ct(), cl("1000")],
                );
                slow_body(g, &h, b"{", 1000, Duration::from_secs(1), bound)
            }),
            s.spawn(move || {
                // A webhook body that stops.
                let h = head("POST", "/webhooks/fastio", &[json_ct(), cl("1000")]);
                slow_body(g, &h, b"{\"id\":", 0, Duration::from_secs(1), bound)
            }),
            s.spawn(move || {
                // An upload that stops after 5 KB of 10 MB (less than one window's worth,
                // so the first window of waiting ends it).
                let h = head(
                    "POST",
                    "/upload",
                    &[
                        bearer(&gt),
                        ("x-file-name", "stalled.bin".into()),
                        cl("10000000"),
                    ],
                );
                slow_body(
                    g,
                    &h,
                    &pattern_bytes(5_000, 9),
                    0,
                    Duration::from_secs(1),
                    bound,
                )
            }),
            s.spawn(move || {
                // A relay chunk that stops after 1 KB.
                let h = head(
                    "PUT",
                    &format!("/uploads/{rid}/chunks/1"),
                    &[
                        bearer(&rt),
                        ("x-chunk-sha256", "0".repeat(64)),
                        cl(&chunk_len.to_string()),
                    ],
                );
                slow_body(g, &h, &[1u8; 1024], 0, Duration::from_secs(1), bound)
            }),
        ];
        jobs.into_iter()
            .map(|j| j.join().expect("sender thread"))
            .collect()
    });
    for a in &answers {
        assert_eq!(a.status, Some(408), "{a:?}");
        assert_eq!(a.error(), "body_too_slow", "{a:?}");
        assert!(a.elapsed < Duration::from_secs(20), "{a:?}");
    }
    check(&g, pid, "stalled and trickled bodies", bound, &answers);
    assert!(
        !stored_names().iter().any(|n| n == "stalled.bin"),
        "a stalled upload was stored"
    );

    // Text the gateway parses is capped: the request target, the headers, JSON bodies.
    // Nested far past the parser's depth limit, yet under the 16 KiB cap.
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let huge = format!("{{\"workspace\":\"{}\"}}", "w".repeat(20_000));
    let flood: Vec<(&str, String)> = (0..2000).map(|i| ("x-flood", i.to_string())).collect();
    let answers = vec![
        exchange(
            &g,
            &head("GET", &format!("/healthz?{}", "q".repeat(10_000)), &[]),
            quick,
        ),
        exchange(
            &g,
            &head("GET", "/healthz", &[("x-big", "b".repeat(40_000))]),
            quick,
        ),
        exchange(&g, &head("GET", "/healthz", &flood), quick),
        exchange(
            &g,
            &request(
                "POST",
                "/grant",
                &[bearer(GRANT_SECRET), json_ct()],
                deep.as_bytes(),
            ),
            quick,
        ),
        exchange(
            &g,
            &request(
                "POST",
                "/grant",
                &[bearer(GRANT_SECRET), json_ct()],
                huge.as_bytes(),
            ),
            quick,
        ),
        exchange(
            &g,
            &request(
                "POST",
                "/uploads",
                &[bearer(&grant_token), json_ct()],
                deep.as_bytes(),
            ),
            quick,
        ),
    ];
    let errors: Vec<String> = answers.iter().map(Answer::error).collect();
    assert_eq!(
        errors,
        [
            "uri_too_long",
            "headers_too_large",
            "",
            "bad_json",
            "too_large",
            "bad_json"
        ],
        "{answers:?}"
    );
    check(&g, pid, "long target, headers and JSON", quick, &answers);

    // Names that are not UTF-8, or that are paths.
    let mut raw_name = head(
        "POST",
        "/upload",
        &[bearer(&grant_token), ("content-length", "5".into())],
    );
    // A header value with bytes that are not UTF-8, spliced in raw.
    raw_name.truncate(raw_name.len() - 2);
    raw_name.extend_from_slice(b"x-file-name: \xff\xfe.bin\r\n\r\nhello");
    let mut json_name = br#"{"size": 10, "name": ""#.to_vec();
    json_name.extend_from_slice(b"\xff\xfe");
    json_name.extend_from_slice(br#""}"#);
    let answers = vec![
        exchange(&g, &raw_name, quick),
        exchange(
            &g,
            &request(
                "POST",
                "/upload?name=%FF%FE.bin",
                &[bearer(&grant_token)],
                b"hello",
            ),
            quick,
        ),
        exchange(
            &g,
            &request(
                "POST",
                "/uploads",
                &[bearer(&grant_token), json_ct()],
                &json_name,
            ),
            quick,
        ),
        exchange(
            &g,
            &head("POST", "/uploads/%FF%FE/complete", &[bearer(&relay_token)]),
            quick,
        ),
        exchange(
            &g,
            &request(
                "POST",
                "/upload",
                &[
                    bearer(&grant_token),
                    ("x-file-name", "../../etc/passwd".into()),
                ],
                b"hello",
            ),
            quick,
        ),
        exchange(
            &g,
            &request(
                "POST",
                "/upload?name=..%2F..%2Fx",
                &[bearer(&grant_token)],
                b"hello",
            ),
            quick,
        ),
    ];
    for a in &answers {
        assert_eq!(a.status, Some(400), "{a:?}");
    }
    check(
        &g,
        pid,
        "non-UTF-8 names and paths as names",
        quick,
        &answers,
    );

    // Chunk numbers past any file.
    let answers: Vec<Answer> = [
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
    ]
    .iter()
    .map(|n| {
        exchange(
            &g,
            &request(
                "PUT",
                &format!("/uploads/{relay_id}/chunks/{n}"),
                &[bearer(&relay_token), ("x-chunk-sha256", "0".repeat(64))],
                b"x",
            ),
            quick,
        )
    })
    .collect();
    check(&g, pid, "chunk numbers 2^63 and beyond", quick, &answers);

    // Slow headers: the runtime's to cut off. A client trickling them for a few seconds must
    // not stop the gateway answering others meanwhile.
    let mut slow = Conn::open(&g);
    slow.send(b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: ");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        if slow.poll(Duration::from_millis(200)) || !slow.send(b"s") {
            break;
        }
    }
    healthy(&g);
    drop(slow);
    check(&g, pid, "slow headers (held by the runtime)", quick, &[]);
}
