//! The harness: an in-process devserver and gateway instances under
//! `wasmtime serve -Scli`, shared by the tests of one binary.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::Digest;

pub const API_KEY: &str = "e2e-api-key";
pub const GRANT_SECRET: &str = "e2e-grant-secret-0123456789";
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const WEBHOOK_SECRET_OLD: &str = "whsec_c2VjcmV0LWJlZm9yZS1yb3RhdGlvbi0xMjM0NQ==";

/// A gateway instance: `wasmtime serve` behind a shell that kills it when
/// this process's end of its stdin closes (the test binary exiting).
pub struct Gateway {
    pub url: String,
    _child: Child,
}

pub struct Env {
    pub dev: fastio_devserver::RunningServer,
    pub ws: String,
    /// Two instances with the same configuration (scale-out).
    pub a: Gateway,
    pub b: Gateway,
    /// Only PDF and PNG, at most 1 MiB, no webhook configuration.
    pub strict: Gateway,
    pub agent: ureq::Agent,
    /// What `a` and `b` were started with.
    vars: Vec<(&'static str, String)>,
    wasm: String,
    _dir: std::path::PathBuf,
}

impl Env {
    /// Another instance like `a`, with `extra` variables on top.
    pub fn gateway_with(&self, extra: &[(&'static str, String)]) -> Gateway {
        let mut vars = self.vars.clone();
        vars.extend_from_slice(extra);
        start_gateway(&self.wasm, &vars)
    }

    /// Another instance like `a`, under extra `wasmtime serve` flags.
    pub fn gateway_under(&self, flags: &[&str]) -> Gateway {
        start_gateway_with_flags(&self.wasm, flags, &self.vars)
    }
}

impl Gateway {
    /// The `wasmtime serve` process (the shell's child).
    pub fn server_pid(&self) -> Option<u32> {
        let sh = self._child.id();
        std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children"))
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }
}

/// A `/proc/PID/status` field in KiB (`VmRSS`, `VmHWM`).
pub fn proc_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into()
}

fn start_gateway(wasm: &str, vars: &[(&str, String)]) -> Gateway {
    start_gateway_with_flags(wasm, &[], vars)
}

/// As [`start_gateway`], with extra `wasmtime serve` flags.
fn start_gateway_with_flags(wasm: &str, flags: &[&str], vars: &[(&str, String)]) -> Gateway {
    let port = free_port();
    let child = gateway_command(wasm, port, flags, vars)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("sh starts");
    let url = format!("http://127.0.0.1:{port}");
    let agent = agent();
    let start = Instant::now();
    loop {
        if let Ok(r) = agent.get(&format!("{url}/healthz")).call()
            && r.status().as_u16() != 0
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the gateway did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Gateway { url, _child: child }
}

/// The shell that runs `wasmtime serve` on `port`. The variables reach the gateway through
/// the environment: the command line names them (`--env NAME`, which wasmtime fills from its
/// own environment) but never holds a value, since any local user can read a process's
/// arguments and the values include the API key and the grant and webhook secrets.
fn gateway_command(wasm: &str, port: u16, flags: &[&str], vars: &[(&str, String)]) -> Command {
    let wasmtime = std::env::var("WASMTIME").unwrap_or_else(|_| "wasmtime".into());
    let mut script = format!("'{wasmtime}' serve -Scli --addr 127.0.0.1:{port}");
    for f in flags {
        script.push_str(&format!(" '{f}'"));
    }
    for (k, _) in vars {
        script.push_str(&format!(" --env '{k}'"));
    }
    script.push_str(&format!(
        " '{wasm}' 2>>\"${{GATEWAY_LOG:-/dev/null}}\" & pid=$!; read _; kill $pid"
    ));
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn secrets_reach_the_gateway_by_environment_not_argv() {
    let vars = [
        ("FASTIO_API_KEY", API_KEY.to_string()),
        ("GATEWAY_GRANT_SECRET", GRANT_SECRET.to_string()),
        ("WEBHOOK_SECRETS", WEBHOOK_SECRET.to_string()),
    ];
    let cmd = gateway_command("gateway.wasm", 8080, &["-Sfoo"], &vars);
    let argv: Vec<String> = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    for (name, value) in &vars {
        assert!(
            argv.iter().all(|a| !a.contains(value.as_str())),
            "{name}'s value is on the command line: {argv:?}"
        );
        assert!(
            argv.iter().any(|a| a.contains(&format!("--env '{name}'"))),
            "{name} is not passed on: {argv:?}"
        );
        let passed = cmd
            .get_envs()
            .find(|(k, _)| *k == std::ffi::OsStr::new(name))
            .and_then(|(_, v)| v);
        assert_eq!(passed, Some(std::ffi::OsStr::new(value.as_str())));
    }
}

pub fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let wasm = std::env::var("GATEWAY_WASM")
            .expect("GATEWAY_WASM must name the built component (hosts/spin/run_tests.sh sets it)");
        let dir = std::env::temp_dir().join(format!("fastio-gateway-e2e-{}", std::process::id()));
        let dev = devserver(&dir);
        let agent = agent();
        let ws = workspace(&agent, &dev);
        let common = vec![
            ("FASTIO_API_BASE", dev.base_url.clone()),
            ("FASTIO_API_KEY", API_KEY.to_string()),
            ("FASTIO_WORKSPACE", ws.clone()),
            ("GATEWAY_GRANT_SECRET", GRANT_SECRET.to_string()),
            ("GATEWAY_CORS_ORIGINS", "https://app.example".to_string()),
        ];
        let mut full = common.clone();
        full.push(("WEBHOOK_SCHEME", "standard".into()));
        full.push((
            "WEBHOOK_SECRETS",
            format!("{WEBHOOK_SECRET},{WEBHOOK_SECRET_OLD}"),
        ));
        full.push(("WEBHOOK_TOLERANCE_S", "300".into()));
        let a = start_gateway(&wasm, &full);
        let b = start_gateway(&wasm, &full);
        let mut strict_vars = common;
        strict_vars.push(("GATEWAY_ALLOWED_TYPES", "pdf,png".into()));
        strict_vars.push(("GATEWAY_MAX_SIZE", "1M".into()));
        let strict = start_gateway(&wasm, &strict_vars);
        Env {
            dev,
            ws,
            a,
            b,
            strict,
            agent,
            vars: full,
            wasm,
            _dir: dir,
        }
    })
}

/// Creates a workspace on `dev`; returns its id.
fn workspace(agent: &ureq::Agent, dev: &fastio_devserver::RunningServer) -> String {
    let orgs = dev_get(agent, &dev.base_url, "orgs/list/");
    let org = orgs["orgs"][0]["id"].as_str().expect("org id").to_string();
    let ws = agent
        .post(&format!("{}org/{org}/create/workspace/", dev.base_url))
        .header("Authorization", &format!("Bearer {API_KEY}"))
        // The server requires all five fields (fastio_cli src/api/org.rs:880-933 @96b1551).
        .send_form([
            ("name", "Gateway"),
            ("folder_name", "gateway"),
            ("perm_join", "Member or above"),
            ("perm_member_manage", "Admin or above"),
            ("intelligence", "false"),
        ])
        .expect("create workspace")
        .into_body()
        .read_to_vec()
        .expect("body");
    let ws: Value = serde_json::from_slice(&ws).expect("json");
    ws["response"]["workspace"]["id"]
        .as_str()
        .or(ws["workspace"]["id"].as_str())
        .expect("workspace id")
        .to_string()
}

fn devserver(dir: &std::path::Path) -> fastio_devserver::RunningServer {
    let mut cfg = fastio_devserver::Config::new(dir.join("data"));
    cfg.api_keys = vec![API_KEY.into()];
    fastio_devserver::spawn(cfg).expect("devserver starts")
}

/// A devserver of its own for the tests that inject faults (the fault
/// configuration is server-wide), with a gateway that forwards verified
/// webhooks to [`Receiver`] and one whose forward target is down.
pub struct Isolated {
    pub dev: fastio_devserver::RunningServer,
    pub ws: String,
    pub gw: Gateway,
    /// `WEBHOOK_FORWARD_URL` names a port nothing listens on.
    pub down: Gateway,
    pub receiver: Receiver,
    /// Held by a test while it changes the devserver's faults.
    pub faults: Mutex<()>,
    _dir: std::path::PathBuf,
}

pub fn isolated() -> &'static Isolated {
    static ISO: OnceLock<Isolated> = OnceLock::new();
    ISO.get_or_init(|| {
        let wasm = std::env::var("GATEWAY_WASM")
            .expect("GATEWAY_WASM must name the built component (hosts/spin/run_tests.sh sets it)");
        let dir =
            std::env::temp_dir().join(format!("fastio-gateway-e2e-iso-{}", std::process::id()));
        let dev = devserver(&dir);
        let ws = workspace(&agent(), &dev);
        let receiver = Receiver::start();
        let vars = |forward: String| {
            vec![
                ("FASTIO_API_BASE", dev.base_url.clone()),
                ("FASTIO_API_KEY", API_KEY.to_string()),
                ("FASTIO_WORKSPACE", ws.clone()),
                ("GATEWAY_GRANT_SECRET", GRANT_SECRET.to_string()),
                ("WEBHOOK_SCHEME", "standard".into()),
                ("WEBHOOK_SECRETS", WEBHOOK_SECRET.to_string()),
                ("WEBHOOK_FORWARD_URL", forward),
            ]
        };
        let gw = start_gateway(&wasm, &vars(format!("{}/hook?from=gateway", receiver.url)));
        let down = start_gateway(
            &wasm,
            &vars(format!("http://127.0.0.1:{}/hook", free_port())),
        );
        Isolated {
            dev,
            ws,
            gw,
            down,
            receiver,
            faults: Mutex::new(()),
            _dir: dir,
        }
    })
}

/// Replaces the devserver's fault configuration.
pub fn set_faults(dev: &fastio_devserver::RunningServer, cfg: Value) -> Value {
    let r = agent()
        .post(&format!("{}/_dev/faults", dev.origin()))
        .header("content-type", "application/json")
        .send(cfg.to_string().as_bytes())
        .expect("fault configuration");
    assert_eq!(r.status().as_u16(), 200);
    serde_json::from_slice(&r.into_body().read_to_vec().expect("body")).expect("json")
}

/// `GET /_dev/faults`: the configuration, requests seen and faults injected.
pub fn faults_seen(dev: &fastio_devserver::RunningServer) -> Value {
    let r = agent()
        .get(&format!("{}/_dev/faults", dev.origin()))
        .call()
        .expect("faults");
    serde_json::from_slice(&r.into_body().read_to_vec().expect("body")).expect("json")
}

/// A request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The internal endpoint verified webhooks are forwarded to: a plain
/// HTTP/1.1 server on 127.0.0.1 that records each request and answers 200,
/// or 500 when the body contains `answer-500`.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("receiver binds");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                if let Some(req) = read_request(&conn) {
                    let fail = req.body.windows(10).any(|w| w == b"answer-500");
                    let answer: &[u8] = if fail {
                        b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\nfail"
                    } else {
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                    };
                    sink.lock().unwrap_or_else(|e| e.into_inner()).push(req);
                    let _ = (&conn).write_all(answer);
                }
            }
        });
        Receiver { url, got }
    }

    /// What it got so far.
    pub fn requests(&self) -> Vec<Received> {
        self.got.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// One request, with a `Content-Length` body (at most 1 MiB), read within
/// ten seconds.
fn read_request(conn: &TcpStream) -> Option<Received> {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut buf = Vec::new();
    let mut piece = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = (&*conn).read(&mut piece).ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&piece[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = (&*conn).read(&mut piece).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&piece[..n]);
    }
    body.truncate(len);
    Some(Received {
        method,
        target,
        headers,
        body,
    })
}

pub fn dev_get(agent: &ureq::Agent, base: &str, path: &str) -> Value {
    let v: Value = agent
        .get(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {API_KEY}"))
        .call()
        .expect("devserver answers")
        .into_body()
        .read_to_vec()
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .expect("json");
    v.get("response").cloned().unwrap_or(v)
}

/// An answer: status, headers, JSON (or null).
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub json: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
}

fn to_resp(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
    let r = r.expect("the gateway answers");
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = r
        .into_body()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .unwrap_or_default();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        json,
    }
}

/// `method url` with a bearer, headers and a body.
pub fn call(
    method: &str,
    url: &str,
    bearer: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Resp {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    let agent = AGENT.get_or_init(agent);
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(b) = bearer {
        req = req.header("Authorization", format!("Bearer {b}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = match body {
        Some(b) => agent.run(req.body(b.to_vec()).expect("request")),
        None => agent.run(req.body(()).expect("request")),
    };
    to_resp(r)
}

/// Asks gateway `g` for a grant.
pub fn grant(g: &Gateway, body: Value) -> String {
    let r = call(
        "POST",
        &format!("{}/grant", g.url),
        Some(GRANT_SECRET),
        &[("content-type", "application/json")],
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["grant"].as_str().expect("grant").to_string()
}

/// `POST /uploads` on gateway `g`: opens a chunk relay for `name` of `size` bytes.
pub fn open_relay(g: &Gateway, grant: &str, name: &str, size: u64) -> Resp {
    call(
        "POST",
        &format!("{}/uploads", g.url),
        Some(grant),
        &[("content-type", "application/json")],
        Some(json!({"name": name, "size": size}).to_string().as_bytes()),
    )
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Deterministic bytes of any length, generated as they are read.
pub struct Pattern {
    pub left: u64,
    state: u64,
    pub sha: sha2::Sha256,
}

impl Pattern {
    pub fn new(len: u64, seed: u64) -> Self {
        Pattern {
            left: len,
            state: seed | 1,
            sha: sha2::Sha256::new(),
        }
    }
}

impl Read for Pattern {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        for b in &mut buf[..n] {
            // xorshift: fast and incompressible enough.
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *b = self.state as u8;
        }
        self.sha.update(&buf[..n]);
        self.left -= n as u64;
        Ok(n)
    }
}

pub fn pattern_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(len);
    Pattern::new(len as u64, seed)
        .read_to_end(&mut v)
        .expect("in memory");
    v
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha2::Sha256::digest(data))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Streams `len` pattern bytes to `POST /upload` with a declared length;
/// returns the answer and the SHA-256 sent.
pub fn upload_pattern(g: &Gateway, grant: &str, name: &str, len: u64, seed: u64) -> (Resp, String) {
    let mut p = Pattern::new(len, seed);
    let req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}/upload", g.url))
        .header("Authorization", format!("Bearer {grant}"))
        .header("x-file-name", name)
        .header("content-length", len.to_string())
        // The SHA-256 in the reply, checked against the bytes sent.
        .header("x-fastio-digest", "sha256")
        .body(ureq::SendBody::from_reader(&mut p))
        .expect("request");
    let r = to_resp(agent().run(req));
    (r, hex(&p.sha.finalize()))
}

/// Downloads a stored file from the devserver and hashes it.
pub fn stored_sha256(node: &str) -> (u64, String) {
    let e = env();
    stored_sha256_on(&e.dev, &e.ws, node)
}

/// As [`stored_sha256`], on another devserver.
pub fn stored_sha256_on(
    dev: &fastio_devserver::RunningServer,
    ws: &str,
    node: &str,
) -> (u64, String) {
    let r = agent()
        .get(&format!(
            "{}workspace/{ws}/storage/{node}/read/",
            dev.base_url
        ))
        .header("Authorization", &format!("Bearer {API_KEY}"))
        .call()
        .expect("download");
    assert_eq!(r.status().as_u16(), 200);
    let mut reader = r.into_body().into_reader();
    let mut sha = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let got = reader.read(&mut buf).expect("read");
        if got == 0 {
            break;
        }
        sha.update(&buf[..got]);
        n += got as u64;
    }
    (n, hex(&sha.finalize()))
}

/// Names of the files in the workspace root.
pub fn stored_names() -> Vec<String> {
    let e = env();
    let v = dev_get(
        &e.agent,
        &e.dev.base_url,
        &format!("workspace/{}/storage/root/list/?page_size=500", e.ws),
    );
    v["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Upload sessions on the devserver with this file name: (id, status).
pub fn sessions_named(name: &str) -> Vec<(String, String)> {
    let e = env();
    let v = dev_get(&e.agent, &e.dev.base_url, "upload/details/");
    v["sessions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|s| {
                    s["name"].as_str() == Some(name) || s["filename"].as_str() == Some(name)
                })
                .map(|s| {
                    (
                        s["id"].to_string(),
                        s["status"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A raw HTTP/1.1 exchange: writes `head`, then `body_bytes` of body (the
/// rest of a declared length never comes), then reads what the server says
/// within `wait`.
pub fn raw(
    g: &Gateway,
    head: &str,
    body_bytes: &[u8],
    close_after: bool,
    wait: Duration,
) -> String {
    let addr = g.url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(wait)).expect("timeout");
    s.write_all(head.as_bytes()).expect("head");
    if !body_bytes.is_empty() {
        // The server may answer and close before taking it all.
        let _ = s.write_all(body_bytes);
    }
    if close_after {
        let _ = s.shutdown(std::net::Shutdown::Both);
        return String::new();
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let start = Instant::now();
    while start.elapsed() < wait {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.windows(4).any(|w| w == b"\r\n\r\n") && out.ends_with(b"}") {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The reply's whole-file digest in `algo`, when it carries one.
pub fn reply_digest<'a>(json: &'a serde_json::Value, algo: &str) -> Option<&'a str> {
    (json["digest"]["algo"].as_str() == Some(algo))
        .then(|| json["digest"]["hex"].as_str())
        .flatten()
}
