//! Hostile input against the built binary, one request kind after another. Each must end with
//! an error status or a dropped connection within its bound, never a hang; after each the
//! server must still answer a health request and its resident memory must stay under
//! [`RSS_BOUND_KIB`].

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::raw::*;
use common::*;

/// What the server may hold resident at any point of the suite.
const RSS_BOUND_KIB: u64 = 200 * 1024;

const KEY: &str = "hostile-key";
const BOUNDARY: &str = "hostile-5f2a";

struct Server {
    child: Child,
    _stdout: BufReader<std::process::ChildStdout>,
    addr: SocketAddr,
    api: Api,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fastio-devserver"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--api-key",
            KEY,
            "--min-chunk-size",
            "1024",
            "--header-read-timeout",
            "1",
            "--body-idle-timeout",
            "1",
            "--data",
        ])
        .arg(dir.path().join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let (mut url, mut key) = (String::new(), String::new());
    out.read_line(&mut url).expect("base url");
    // Both lines are read and the pipe stays open: a server printing into a closed pipe fails.
    out.read_line(&mut key).expect("key");
    assert_eq!(key.trim(), KEY);
    let url = url.trim().to_string();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/current/")
        .parse()
        .expect("address");
    Server {
        child,
        _stdout: out,
        addr,
        api: remote(&url, KEY),
        _dir: dir,
    }
}

fn auth() -> (&'static str, String) {
    ("Authorization", format!("Bearer {KEY}"))
}

fn mp() -> (&'static str, String) {
    (
        "Content-Type",
        format!("multipart/form-data; boundary={BOUNDARY}"),
    )
}

fn form_ct() -> (&'static str, String) {
    (
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    )
}

fn json_ct() -> (&'static str, String) {
    ("Content-Type", "application/json".to_string())
}

fn post(target: &str, headers: Vec<(&'static str, String)>, body: &[u8]) -> Vec<u8> {
    let mut hs = headers;
    hs.push(auth());
    request("POST", target, &hs, body)
}

/// Sends one kind of hostile request and reports how each ended.
type Run = Box<dyn Fn(&Server) -> Vec<Answer>>;

/// One hostile request kind: sends it and reports how it ended.
struct Case {
    name: &'static str,
    /// Longest it may take to end.
    bound: Duration,
    run: Run,
}

fn case(name: &'static str, bound_s: u64, run: impl Fn(&Server) -> Vec<Answer> + 'static) -> Case {
    Case {
        name,
        bound: Duration::from_secs(bound_s),
        run: Box::new(run),
    }
}

fn one(s: &Server, req: Vec<u8>, wait_s: u64) -> Vec<Answer> {
    vec![exchange(s.addr, &req, Duration::from_secs(wait_s))]
}

fn cases(ws: String, session: String, stream: String, node: String) -> Vec<Case> {
    let two_gib = (2u64 << 30).to_string();
    let mut v = Vec::new();

    v.push(case("slowloris headers", 10, |s| {
        let mut slow = b"GET /current/user/auth/check/ HTTP/1.1\r\nHost: x\r\nX-A: ".to_vec();
        slow.extend(std::iter::repeat_n(b'a', 300));
        vec![trickle(
            s.addr,
            b"",
            &slow,
            Duration::from_millis(50),
            Duration::from_secs(15),
        )]
    }));
    v.push(case("body at 1 B/s", 10, |s| {
        let h = head(
            "POST",
            "/current/user/auth/key/",
            &[auth(), form_ct(), ("Content-Length", "1000".into())],
        );
        vec![trickle(
            s.addr,
            &h,
            &[b'a'; 1000],
            Duration::from_secs(1),
            Duration::from_secs(15),
        )]
    }));
    {
        let session = session.clone();
        v.push(case("chunk body at 1 B/s", 10, move |s| {
            let h = head(
                "POST",
                &format!("/current/upload/{session}/chunk/?order=1"),
                &[
                    auth(),
                    ("Content-Type", "application/octet-stream".into()),
                    ("Content-Length", "2000".into()),
                ],
            );
            vec![trickle(
                s.addr,
                &h,
                &[1u8; 2000],
                Duration::from_secs(1),
                Duration::from_secs(15),
            )]
        }));
    }
    v.push(case("500 unfinished bodies", 40, |s| {
        let h = head(
            "POST",
            "/current/user/auth/key/",
            &[auth(), form_ct(), ("Content-Length", "100000".into())],
        );
        let mut held: Vec<Conn> = (0..500)
            .map(|_| {
                let mut c = Conn::open(s.addr);
                c.send(&h);
                c.send(b"name=");
                c
            })
            .collect();
        // While they are held (or queued), the server still answers.
        let health = exchange(
            s.addr,
            &head("GET", "/_dev/health", &[]),
            Duration::from_secs(20),
        );
        assert_eq!(health.status, Some(200), "health while held: {health:?}");
        let mut out: Vec<Answer> = held
            .drain(..)
            .map(|c| c.finish(Duration::from_secs(20)))
            .collect();
        // Reported as one: the worst of them.
        out.sort_by_key(|a| a.elapsed);
        out.into_iter().rev().take(1).collect()
    }));
    {
        let two = two_gib.clone();
        v.push(case("2 GiB Content-Length on a 1 MiB route", 3, move |s| {
            one(
                s,
                head(
                    "POST",
                    "/current/user/auth/key/",
                    &[auth(), form_ct(), ("Content-Length", two.clone())],
                ),
                5,
            )
        }));
    }
    {
        let two = two_gib.clone();
        let session = session.clone();
        v.push(case("2 GiB Content-Length on a chunk", 3, move |s| {
            one(
                s,
                head(
                    "POST",
                    &format!("/current/upload/{session}/chunk/?order=1"),
                    &[auth(), mp(), ("Content-Length", two.clone())],
                ),
                5,
            )
        }));
    }
    {
        let stream = stream.clone();
        v.push(case(
            "Content-Length over a stream's max_size",
            3,
            move |s| {
                one(
                    s,
                    head(
                        "POST",
                        &format!("/current/upload/{stream}/stream/"),
                        &[
                            auth(),
                            ("Content-Type", "application/octet-stream".into()),
                            ("Content-Length", "1000000".into()),
                        ],
                    ),
                    5,
                )
            },
        ));
    }
    v.push(case("20,000 multipart parts with long names", 60, |s| {
        let long = "n".repeat(4500);
        let mut body = Vec::with_capacity(20_000 * 4600);
        for i in 0..20_000 {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"p{i}{long}\"\r\n\r\n\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        one(s, post("/current/upload/batch/", vec![mp()], &body), 60)
    }));
    v.push(case("20,000 tiny parts on a form route", 10, |s| {
        let mut body = Vec::new();
        for _ in 0..20_000 {
            body.extend_from_slice(format!("--{BOUNDARY}\r\n\r\nv\r\n").as_bytes());
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        one(s, post("/current/user/auth/key/", vec![mp()], &body), 10)
    }));
    v.push(case("non-UTF-8 names", 10, |s| {
        let bad_part = multipart_raw(
            BOUNDARY,
            &[
                (b"name=\"name\"".to_vec(), b"\xff\xfe.bin".to_vec()),
                (b"name=\"size\"".to_vec(), b"5".to_vec()),
                (
                    b"name=\"chunk\"; filename=\"\xff.bin\"".to_vec(),
                    b"hello".to_vec(),
                ),
            ],
        );
        let bad_name = multipart_raw(BOUNDARY, &[(b"name=\"\xc3\"".to_vec(), b"x".to_vec())]);
        vec![
            exchange(
                s.addr,
                &post("/current/upload/", vec![form_ct()], b"name=%FF.bin&size=1"),
                Duration::from_secs(5),
            ),
            exchange(
                s.addr,
                &post("/current/upload/", vec![mp()], &bad_part),
                Duration::from_secs(5),
            ),
            exchange(
                s.addr,
                &post("/current/user/auth/key/", vec![mp()], &bad_name),
                Duration::from_secs(5),
            ),
            exchange(
                s.addr,
                &head("GET", "/current/orgs/list/?q=%80", &[auth()]),
                Duration::from_secs(5),
            ),
        ]
    }));
    {
        let (ws, node) = (ws.clone(), node.clone());
        v.push(case("bad Range headers", 10, move |s| {
            let tok = s
                .api
                .get(&format!("workspace/{ws}/storage/{node}/requestread/"))
                .r()["token"]
                .as_str()
                .expect("token")
                .to_string();
            let target = format!("/current/workspace/{ws}/storage/{node}/read/?token={tok}");
            let ranges = [
                "bytes=abc".to_string(),
                "bytes=9-2".into(),
                "bytes=99999999999999999999999-".into(),
                "bytes=-0".into(),
                "bytes=0-1,2-3".into(),
                "bytes=18446744073709551615-18446744073709551615".into(),
                format!("bytes=0-{}", "9".repeat(5000)),
                "items=0-1".into(),
            ];
            ranges
                .iter()
                .map(|r| {
                    let a = exchange(
                        s.addr,
                        &head("GET", &target, &[("Range", r.clone())]),
                        Duration::from_secs(5),
                    );
                    // A range that cannot be served is a 416; one that is not a byte range is
                    // ignored (the whole file). Either way an answer, never a hang.
                    assert!(
                        matches!(a.status, Some(200 | 206 | 416)),
                        "Range {r}: {a:?}"
                    );
                    // Reported as refused for the suite's check when it was a 416.
                    a
                })
                .filter(|a| a.status == Some(416))
                .collect()
        }));
    }
    v.push(case("deep and huge JSON", 10, |s| {
        let deep = format!(
            "{{\"name\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(3 << 20));
        vec![
            exchange(
                s.addr,
                &post("/current/user/auth/key/", vec![json_ct()], deep.as_bytes()),
                Duration::from_secs(5),
            ),
            exchange(
                s.addr,
                &post("/current/user/auth/key/", vec![json_ct()], huge.as_bytes()),
                Duration::from_secs(5),
            ),
            exchange(
                s.addr,
                &post("/_dev/faults", vec![json_ct()], deep.as_bytes()),
                Duration::from_secs(5),
            ),
        ]
    }));
    {
        let session = session.clone();
        v.push(case("malformed multipart boundaries", 15, move |s| {
            let chunk = format!("/current/upload/{session}/chunk/?order=1");
            let no_boundary: Vec<u8> = vec![b'x'; 3 << 20];
            let mut endless_header = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"chunk\"; X: ").into_bytes();
            endless_header.extend(std::iter::repeat_n(b'h', 3 << 20));
            let long_boundary = "b".repeat(20_000);
            vec![
                exchange(
                    s.addr,
                    &post(
                        &chunk,
                        vec![("Content-Type", "multipart/form-data".into())],
                        b"--x\r\n\r\n",
                    ),
                    Duration::from_secs(5),
                ),
                exchange(
                    s.addr,
                    &post(&chunk, vec![mp()], &no_boundary),
                    Duration::from_secs(10),
                ),
                exchange(
                    s.addr,
                    &post(&chunk, vec![mp()], &endless_header),
                    Duration::from_secs(10),
                ),
                exchange(
                    s.addr,
                    &post(
                        &chunk,
                        vec![(
                            "Content-Type",
                            format!("multipart/form-data; boundary={long_boundary}"),
                        )],
                        &multipart_raw(
                            &long_boundary,
                            &[(b"name=\"chunk\"".to_vec(), b"data".to_vec())],
                        ),
                    ),
                    Duration::from_secs(5),
                ),
                exchange(
                    s.addr,
                    &post(
                        &chunk,
                        vec![mp()],
                        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"chunk\"\r\n\r\nunterminated")
                            .as_bytes(),
                    ),
                    Duration::from_secs(5),
                ),
            ]
        }));
    }
    {
        let session = session.clone();
        v.push(case("chunk order 2^63 and beyond", 10, move |s| {
            [
                "9223372036854775808",
                "18446744073709551615",
                "18446744073709551616",
                "-1",
            ]
            .iter()
            .map(|o| {
                let body = multipart_raw(
                    BOUNDARY,
                    &[(b"name=\"chunk\"; filename=\"b\"".to_vec(), vec![7u8; 2000])],
                );
                exchange(
                    s.addr,
                    &post(
                        &format!("/current/upload/{session}/chunk/?order={o}"),
                        vec![mp()],
                        &body,
                    ),
                    Duration::from_secs(5),
                )
            })
            .collect()
        }));
    }
    {
        let ws = ws.clone();
        v.push(case("path traversal in names", 10, move |s| {
            let mut out = Vec::new();
            for name in ["../../etc/passwd", "..", "a/b", "a\\b", ".", "x\u{0}y"] {
                let enc = url_encode(name);
                out.push(exchange(
                    s.addr,
                    &post(
                        "/current/upload/",
                        vec![form_ct()],
                        format!("name={enc}&size=10&instance_id={ws}").as_bytes(),
                    ),
                    Duration::from_secs(5),
                ));
                out.push(exchange(
                    s.addr,
                    &post(
                        &format!("/current/workspace/{ws}/storage/root/createfolder/"),
                        vec![form_ct()],
                        format!("name={enc}").as_bytes(),
                    ),
                    Duration::from_secs(5),
                ));
            }
            out
        }));
    }
    v.push(case("header floods", 10, |s| {
        let many: Vec<(&str, String)> = (0..2000).map(|i| ("X-Flood", i.to_string())).collect();
        let mut one_big = head("GET", "/current/user/auth/check/", &[]);
        one_big.truncate(one_big.len() - 2);
        one_big.extend_from_slice(b"X-Big: ");
        one_big.extend(std::iter::repeat_n(b'b', 1 << 20));
        one_big.extend_from_slice(b"\r\n\r\n");
        vec![
            exchange(
                s.addr,
                &head("GET", "/current/user/auth/check/", &many),
                Duration::from_secs(5),
            ),
            exchange(s.addr, &one_big, Duration::from_secs(5)),
        ]
    }));
    v
}

fn healthy(s: &Server) {
    let a = exchange(
        s.addr,
        &head("GET", "/_dev/health", &[]),
        Duration::from_secs(20),
    );
    assert_eq!(a.status, Some(200), "health: {a:?}");
    let r = s.api.get("user/auth/check/");
    assert_eq!(r.status, 200);
}

#[test]
fn hostile_requests_end_in_errors_and_leave_the_server_healthy() {
    let s = spawn();
    healthy(&s);
    let pid = s.child.id();
    let ws = s.api.workspace("hostile");
    let node = s
        .api
        .put_file(&ws, "root", "target.bin", &pattern(50_000, 3));
    let session = s
        .api
        .post("upload/", &[("name", "c.bin"), ("size", "5000")])
        .r()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let stream = s
        .api
        .post(
            "upload/",
            &[("name", "s.bin"), ("stream", "true"), ("max_size", "1000")],
        )
        .r()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let start_rss = proc_kib(pid, "VmRSS");
    eprintln!("start: VmRSS {start_rss} KiB");
    for c in cases(ws.clone(), session, stream, node) {
        let t = Instant::now();
        let answers = (c.run)(&s);
        let took = t.elapsed();
        for a in &answers {
            assert!(a.refused(), "{}: not refused: {a:?}", c.name);
            assert!(
                a.elapsed <= c.bound,
                "{}: took {:?} (bound {:?}): {a:?}",
                c.name,
                a.elapsed,
                c.bound
            );
            // An answer, when there is one, is the server's error envelope.
            if let Some(status) = a.status
                && a.head.to_ascii_lowercase().contains("application/json")
            {
                assert_eq!(a.json()["result"], false, "{}: {status} {a:?}", c.name);
            }
        }
        healthy(&s);
        let rss = proc_kib(pid, "VmRSS");
        let hwm = proc_kib(pid, "VmHWM");
        eprintln!(
            "{:<42} {:>6.2} s  statuses {:?}  VmRSS {rss} KiB  VmHWM {hwm} KiB",
            c.name,
            took.as_secs_f64(),
            answers.iter().map(|a| a.status).collect::<Vec<_>>(),
        );
        assert!(rss > 0, "no VmRSS for {pid}");
        assert!(
            rss < RSS_BOUND_KIB,
            "{}: VmRSS {rss} KiB over {RSS_BOUND_KIB}",
            c.name
        );
        assert!(
            hwm < RSS_BOUND_KIB,
            "{}: VmHWM {hwm} KiB over {RSS_BOUND_KIB}",
            c.name
        );
    }
    // Nothing hostile was stored.
    let names: Vec<String> = s
        .api
        .get(&format!("workspace/{ws}/storage/root/list/?page_size=500"))
        .r()["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, ["target.bin"], "{names:?}");
}
