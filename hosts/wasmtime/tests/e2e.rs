//! End to end against the local devserver on 127.0.0.1: uploads of the
//! boundary sizes through the component, verified downloads, an injected
//! corrupted chunk, and resume after the CLI is killed.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

mod common;

use common::{call, sha256_file, sha256_of, write_file};
use serde_json::json;

use fastio_wasmtime::Core;
use fastio_wasmtime::bindings::exports::fastio::core::types::ClientConfig;
use fastio_wasmtime::bindings::exports::fastio::core::uploads::{
    DownloadSpec, UploadError, UploadOptions, UploadSpec,
};
use fastio_wasmtime::drive::{self, DownloadOutcome, Source, UploadJob, UploadOutcome};
use fastio_wasmtime::engine::Engine;
use fastio_wasmtime::http::Http;

struct Env {
    srv: fastio_devserver::RunningServer,
    cfg: ClientConfig,
    engine: Engine,
    http: Http,
    ws: String,
    dir: std::path::PathBuf,
}

fn env(name: &str) -> Env {
    let dir = std::env::temp_dir().join(format!("fastio-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let mut engine = Engine::component(
        Core::load(fastio_wasmtime::default_component_path())
            .expect("component")
            .instantiate()
            .expect("instance"),
    );
    let http = Http::new();
    let (srv, cfg, ws) = common::serve(&dir, &mut engine, &http, &format!("e2e{name}"));
    Env {
        srv,
        cfg,
        engine,
        http,
        ws,
        dir,
    }
}

fn upload(e: &mut Env, path: &Path, size: u64) -> UploadOutcome {
    let mut noop = |_: &_| {};
    drive::upload(
        &mut e.engine,
        &e.http,
        UploadJob {
            config: e.cfg.clone(),
            source: Source::File(path),
            spec: Some(UploadSpec {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                size: Some(size),
                workspace: e.ws.clone(),
                folder: "root".into(),
            }),
            resume_token: None,
            options: UploadOptions {
                request_timeout_ms: Some(30_000),
                ..common::options(4 << 20, 4)
            },
            token_path: None,
            stop: Arc::new(AtomicBool::new(false)),
            on_progress: &mut noop,
        },
    )
    .expect("upload ran")
}

#[test]
fn upload_and_download_boundary_sizes() {
    let mut e = env("sizes");
    for size in [0u64, 1, 4_194_304, 4_194_305, 64 << 20] {
        let path = e.dir.join(format!("f{size}.bin"));
        write_file(&path, size, size + 7);
        let t = Instant::now();
        let done = match upload(&mut e, &path, size) {
            UploadOutcome::Done(d) => d,
            other => panic!("size {size}: {other:?}"),
        };
        assert_eq!(done.size, size);
        assert_eq!(sha256_of(&done), sha256_file(&path), "size {size}");
        let node = done.node_id.clone().expect("node id");
        let out = e.dir.join(format!("back{size}.bin"));
        let spec = DownloadSpec {
            workspace: e.ws.clone(),
            node_id: node,
        };
        match drive::download(&mut e.engine, &e.http, &e.cfg, &spec, &out, &mut |_, _| {})
            .expect("download ran")
        {
            DownloadOutcome::Done(d) => {
                assert_eq!(d.size, size);
                assert_eq!(d.sha256, sha256_of(&done));
            }
            DownloadOutcome::Failed(err) => panic!("size {size}: download {err:?}"),
        }
        assert_eq!(
            sha256_file(&out),
            sha256_of(&done),
            "size {size}: bytes on disk"
        );
        eprintln!("size {size}: round trip in {:?}", t.elapsed());
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&out);
    }
    drop(e.srv);
    let _ = std::fs::remove_dir_all(&e.dir);
}

#[test]
fn corrupted_chunk_is_a_typed_failure() {
    let mut e = env("corrupt");
    let faults = json!({"corrupt_chunk": 1.0});
    let resp = ureq::post(format!("{}/_dev/faults", e.srv.origin()))
        .header("content-type", "application/json")
        .send(faults.to_string())
        .expect("set faults");
    assert!(resp.status().is_success());
    let size = 10u64 << 20;
    let path = e.dir.join("c.bin");
    write_file(&path, size, 3);
    match upload(&mut e, &path, size) {
        UploadOutcome::Failed(UploadError::Integrity(_))
        | UploadOutcome::Failed(UploadError::Assembly(_)) => {}
        other => panic!("a corrupted chunk must fail typed, got {other:?}"),
    }
    // Nothing was stored under that name.
    let list = call(
        &mut e.engine,
        &e.http,
        &e.cfg,
        json!({"storage": {"op": "list", "profile": {"workspace": e.ws}}}),
    );
    assert!(
        !list.to_string().contains("\"c.bin\""),
        "a wrong file was stored: {list}"
    );
    drop(e.srv);
    let _ = std::fs::remove_dir_all(&e.dir);
}

/// Starts the CLI uploading `path` (fresh, or resuming from `token`).
fn cli_upload(e: &Env, path: &Path, token: &Path, resume: bool) -> std::process::Command {
    let bin = env!("CARGO_BIN_EXE_fastio");
    let mut cmd = std::process::Command::new(bin);
    // The SHA-256 is asked for on every run: its state travels in the token
    // through each kill, and the resumed upload prints the whole file's.
    cmd.args(["upload", path.to_str().unwrap(), "--digest", "sha256"]);
    if resume {
        cmd.args(["--resume", token.to_str().unwrap()]);
    } else {
        cmd.args([
            "--workspace",
            &e.ws,
            "--chunk-size",
            &(4u64 << 20).to_string(),
            "--parallel",
            "2",
            "--token",
            token.to_str().unwrap(),
        ]);
    }
    cmd.args(["--api-base", &e.srv.base_url])
        .env("FASTIO_API_KEY", &e.srv.api_key)
        .env(
            "FASTIO_COMPONENT",
            fastio_wasmtime::default_component_path(),
        );
    cmd
}

/// Interrupts the CLI at seeded random moments mid-upload (`kills` times),
/// resumes it each time from its token, then reads the file back and
/// compares it byte for byte.
fn cli_resume_after(signal: &str, kills: u32, seed: u64) {
    let mut e = env(&format!("resume{signal}"));
    // Slow every chunk down so the kill lands mid-upload.
    // Twelve chunks at 600 ms each, two at a time: 3.6 s of sending, more
    // than the kills below can take away.
    let faults = json!({"latency": 1.0, "latency_ms": 600, "path_contains": "/chunk"});
    let _ = ureq::post(format!("{}/_dev/faults", e.srv.origin()))
        .header("content-type", "application/json")
        .send(faults.to_string())
        .expect("faults");
    let size = 48u64 << 20;
    let path = e.dir.join("r.bin");
    write_file(&path, size, 11);
    let token = e.dir.join("r.token");
    let mut x = seed | 1;
    for round in 0..kills {
        let mut child = cli_upload(&e, &path, &token, round > 0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let t = Instant::now();
        while !token.exists() && t.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(token.exists(), "round {round}: no resume token");
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Somewhere in the next 0.8 s: between chunks, mid-chunk, mid-save.
        std::thread::sleep(Duration::from_millis(100 + x % 700));
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "round {round}: the upload ended before it could be interrupted"
        );
        let sig = if signal == "KILL" { "-KILL" } else { "-INT" };
        std::process::Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status()
            .expect("kill");
        let status = child.wait().expect("wait");
        if signal == "INT" {
            assert_eq!(status.code(), Some(130), "Ctrl-C exits cleanly with 130");
        }
        assert!(
            token.exists(),
            "round {round}: the token was lost by the kill"
        );
    }
    let _ = ureq::delete(format!("{}/_dev/faults", e.srv.origin())).call();
    let out = cli_upload(&e, &path, &token, true)
        .output()
        .expect("resume");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "resume failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = sha256_file(&path);
    assert!(stdout.contains(&want), "resumed upload hash: {stdout}");
    // The stored file, read back, is the source byte for byte.
    let list = call(
        &mut e.engine,
        &e.http,
        &e.cfg,
        json!({"storage": {"op": "list", "profile": {"workspace": e.ws}}}),
    );
    let node = list["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["name"] == "r.bin"))
        .and_then(|n| n["id"].as_str())
        .unwrap_or_else(|| panic!("r.bin is not stored: {list}"))
        .to_owned();
    let back = e.dir.join("r.back");
    let spec = DownloadSpec {
        workspace: e.ws.clone(),
        node_id: node,
    };
    match drive::download(&mut e.engine, &e.http, &e.cfg, &spec, &back, &mut |_, _| {})
        .expect("download ran")
    {
        DownloadOutcome::Done(_) => {}
        DownloadOutcome::Failed(err) => panic!("reading back: {err:?}"),
    }
    assert!(
        std::fs::read(&back).expect("read back") == std::fs::read(&path).expect("read source"),
        "the stored file differs from the source"
    );
    drop(e.srv);
    let _ = std::fs::remove_dir_all(&e.dir);
}

#[test]
fn resume_after_sigkill() {
    cli_resume_after("KILL", 3, 0x5EED_0001);
}

#[test]
fn resume_after_ctrl_c() {
    cli_resume_after("INT", 1, 0x5EED_0002);
}

#[test]
fn the_native_engine_runs_the_same_drivers() {
    let mut e = env("native");
    e.engine = Engine::Native;
    for size in [0u64, 4_194_305, 16 << 20] {
        let path = e.dir.join(format!("n{size}.bin"));
        write_file(&path, size, size + 13);
        let done = match upload(&mut e, &path, size) {
            UploadOutcome::Done(d) => d,
            other => panic!("size {size}: {other:?}"),
        };
        assert_eq!(sha256_of(&done), sha256_file(&path), "size {size}");
        let out = e.dir.join(format!("nback{size}.bin"));
        let spec = DownloadSpec {
            workspace: e.ws.clone(),
            node_id: done.node_id.clone().expect("node id"),
        };
        match drive::download(&mut e.engine, &e.http, &e.cfg, &spec, &out, &mut |_, _| {})
            .expect("download ran")
        {
            DownloadOutcome::Done(d) => assert_eq!(d.sha256, sha256_of(&done), "size {size}"),
            DownloadOutcome::Failed(err) => panic!("size {size}: download {err:?}"),
        }
        assert_eq!(
            sha256_file(&out),
            sha256_of(&done),
            "size {size}: bytes on disk"
        );
    }
    drop(e.srv);
    let _ = std::fs::remove_dir_all(&e.dir);
}

/// Runs the CLI with `stdin` from `input` and returns (exit code, stdout, stderr).
fn cli(e: &Env, args: &[&str], input: Option<&Path>) -> (Option<i32>, String, String) {
    let bin = env!("CARGO_BIN_EXE_fastio");
    let stdin = match input {
        Some(p) => std::process::Stdio::from(std::fs::File::open(p).expect("input")),
        None => std::process::Stdio::null(),
    };
    let out = std::process::Command::new(bin)
        .args(args)
        .args(["--api-base", &e.srv.base_url])
        .env("FASTIO_API_KEY", &e.srv.api_key)
        .env(
            "FASTIO_COMPONENT",
            fastio_wasmtime::default_component_path(),
        )
        .stdin(stdin)
        .output()
        .expect("run the CLI");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_streams_standard_input_of_unknown_size_on_both_engines() {
    let e = env("stdin");
    let size = 24u64 << 20;
    let path = e.dir.join("piped.bin");
    write_file(&path, size, 21);
    let want = sha256_file(&path);
    let crc = fastio_core::hash::Hasher::digest(
        fastio_core::hash::HashAlgo::Crc32c,
        &std::fs::read(&path).unwrap(),
    )
    .to_hex();
    for engine in ["component", "native"] {
        let name = format!("piped-{engine}.bin");
        let mut args = vec![
            "upload",
            "-",
            "--workspace",
            &e.ws,
            "--name",
            &name,
            "--engine",
            engine,
        ];
        // One engine asks for the SHA-256; the other computes only the
        // CRC32C the server checks, and prints no other digest.
        let digest = engine == "native";
        if digest {
            args.extend(["--digest", "sha256"]);
        }
        let (code, stdout, stderr) = cli(&e, &args, Some(&path));
        assert_eq!(code, Some(0), "{engine}: {stdout} {stderr}");
        assert!(
            stdout.contains(&format!("({size} bytes) crc32c {crc}")),
            "{engine}: {stdout}"
        );
        assert_eq!(stdout.contains(&want), digest, "{engine}: {stdout}");
        // What the server stored is the piped bytes: download it back.
        let node = stdout
            .split_whitespace()
            .nth(2)
            .expect("stored node <id>")
            .to_owned();
        let out = e.dir.join(format!("back-{engine}.bin"));
        let (code, stdout, stderr) = cli(
            &e,
            &[
                "download",
                &node,
                "--workspace",
                &e.ws,
                "--out",
                out.to_str().unwrap(),
                "--engine",
                engine,
            ],
            None,
        );
        assert_eq!(code, Some(0), "{engine} download: {stdout} {stderr}");
        assert_eq!(sha256_file(&out), want, "{engine}: downloaded bytes");
        assert!(
            !e.dir.join("piped.bin.fastio-resume").exists(),
            "a stream keeps no resume token"
        );
    }
    drop(e.srv);
    let _ = std::fs::remove_dir_all(&e.dir);
}

#[test]
fn a_stream_over_its_maximum_is_refused_and_nothing_is_stored() {
    let mut e = env("streammax");
    let path = e.dir.join("big.bin");
    write_file(&path, 3 << 20, 5);
    let (code, stdout, stderr) = cli(
        &e,
        &[
            "upload",
            "-",
            "--workspace",
            &e.ws,
            "--name",
            "too-big.bin",
            "--max-size",
            "1000000",
        ],
        Some(&path),
    );
    assert_eq!(code, Some(1), "{stdout} {stderr}");
    assert!(
        stderr.contains("the stream passed its maximum of 1000000 bytes"),
        "{stderr}"
    );
    // Limits on a file refuse it before anything is sent, with the numbers.
    let file = e.dir.join("five.bin");
    write_file(&file, 5 << 20, 6);
    for (flags, want) in [
        (
            ["--max-file-size", "1000000"],
            "a file of 5242880 bytes is larger than the maximum of 1000000 bytes",
        ),
        (
            ["--max-chunks", "2"],
            "a file of 5242880 bytes needs 5 chunks of 1048576 bytes, more than the maximum of 2",
        ),
    ] {
        let p = file.to_string_lossy().into_owned();
        let mut args = vec![
            "upload",
            &p,
            "--workspace",
            &e.ws,
            "--name",
            "too-big.bin",
            "--chunk-size",
            "1048576",
        ];
        args.extend(flags);
        let (code, stdout, stderr) = cli(&e, &args, None);
        assert_eq!(code, Some(1), "{flags:?}: {stdout} {stderr}");
        assert!(stderr.contains(want), "{flags:?}: {stderr}");
    }
    let empty = e.dir.join("empty.bin");
    write_file(&empty, 0, 1);
    let (code, stdout, stderr) = cli(
        &e,
        &["upload", "-", "--workspace", &e.ws, "--name", "empty.bin"],
        Some(&empty),
    );
    assert_eq!(
        code,
        Some(1),
        "an empty stream is a typed failure: {stdout} {stderr}"
    );
    let listed = listing(&mut e);
    assert!(
        !listed.contains("too-big.bin") && !listed.contains("empty.bin"),
        "a refused stream was stored: {listed}"
    );
    drop(e.srv);
    let _ = std::fs::remove_dir_all(&e.dir);
}

/// A server that accepts a stream upload and then neither reads its body nor
/// answers: the CLI gives up within its I/O timeout with a typed failure,
/// well before the server lets go, and nothing is stored.
#[test]
fn a_peer_that_stops_reading_a_stream_is_a_failure_not_a_hang() {
    let mut e = env("stall");
    // Held far longer than the CLI may wait, so only the client's own
    // timeout can end the upload in time.
    let stall_ms = 24_000u64;
    let path = e.dir.join("stalled.bin");
    // Far more than loopback socket buffers hold, so the writer blocks.
    write_file(&path, 96 << 20, 9);
    for (i, engine) in ["component", "native"].into_iter().enumerate() {
        let faults = json!({
            "path_contains": "/stream",
            "stall_ms": stall_ms,
            "schedule": [{"request": 1, "fault": "stall"}],
        });
        let resp = ureq::post(format!("{}/_dev/faults", e.srv.origin()))
            .header("content-type", "application/json")
            .send(faults.to_string())
            .expect("set faults");
        assert!(resp.status().is_success());
        let name = format!("stalled-{i}.bin");
        let started = Instant::now();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fastio"))
            .args(["upload", "-", "--workspace", &e.ws, "--name", &name])
            .args(["--engine", engine, "--io-timeout", "2"])
            .args(["--api-base", &e.srv.base_url])
            .env("FASTIO_API_KEY", &e.srv.api_key)
            .env(
                "FASTIO_COMPONENT",
                fastio_wasmtime::default_component_path(),
            )
            .stdin(std::fs::File::open(&path).expect("input"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run the CLI");
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if started.elapsed() > Duration::from_millis(stall_ms / 2) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{engine}: the upload hung on a peer that stopped reading");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = child.wait_with_output().expect("output");
        let stderr = String::from_utf8_lossy(&out.stderr);
        eprintln!("{engine}: gave up after {:?}", started.elapsed());
        assert_eq!(status.code(), Some(1), "{engine}: {stderr}");
        assert!(
            stderr.contains("upload failed"),
            "{engine}: a typed failure, got {stderr}"
        );
        let list = listing(&mut e);
        assert!(
            !list.contains(&name),
            "{engine}: a stalled stream was stored: {list}"
        );
    }
    drop(e.srv);
    let _ = std::fs::remove_dir_all(&e.dir);
}

/// Runs `fastio demo` with `args`, without FASTIO_API_KEY or
/// FASTIO_WORKSPACE unless `key` or `workspace` is given, and returns (exit
/// code, stdout, stderr).
fn demo(
    args: &[&str],
    key: Option<&str>,
    workspace: Option<&str>,
) -> (Option<i32>, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fastio"));
    cmd.arg("demo")
        .args(args)
        .env_remove("FASTIO_API_KEY")
        .env_remove("FASTIO_WORKSPACE")
        .env(
            "FASTIO_COMPONENT",
            fastio_wasmtime::default_component_path(),
        );
    if let Some(k) = key {
        cmd.env("FASTIO_API_KEY", k);
    }
    if let Some(w) = workspace {
        cmd.env("FASTIO_WORKSPACE", w);
    }
    let out = cmd.output().expect("run the demo");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `demo` on its own starts a local server (webhook verified); with an API
/// key and `--api-base` it runs against that server as it would against the
/// real service (its own workspace, no webhook receiver).
#[test]
fn demo_runs_locally_and_against_a_given_server() {
    let (code, stdout, stderr) = demo(&["--size", "9000000"], None, None);
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert!(stdout.contains("local server"), "{stdout}");
    assert!(
        stdout.contains("workspace_storage_file_added verified"),
        "{stdout}"
    );
    assert!(stdout.contains("crc32c matches"), "{stdout}");
    assert!(
        stdout.contains("the stored node's hash matches the bytes read"),
        "{stdout}"
    );

    let mut e = env("demoremote");
    let base = e.srv.base_url.clone();
    let (code, stdout, stderr) = demo(
        &["--size", "5000000", "--api-base", &base],
        Some(&e.srv.api_key),
        None,
    );
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert!(
        stdout.contains(&format!("server            {base}")),
        "{stdout}"
    );
    assert!(stdout.contains("webhook           skipped"), "{stdout}");
    assert!(
        stdout.contains("uploaded          5000000 bytes"),
        "{stdout}"
    );
    assert!(stdout.contains("crc32c matches"), "{stdout}");
    assert!(
        stdout.contains("the stored node's hash matches the bytes read"),
        "{stdout}"
    );
    // Against a real account it says what it will make, then removes it.
    assert!(
        stdout.contains("plan              create workspace fastio-demo-"),
        "{stdout}"
    );
    let made = stdout
        .lines()
        .find_map(|l| l.strip_prefix("workspace         "))
        .expect("the workspace made is named")
        .to_owned();
    assert!(
        stdout.contains(&format!("removed           workspace {made}")),
        "{stdout}"
    );
    let gone = e
        .engine
        .build(
            &e.cfg,
            &json!({"storage": {"op": "list", "profile": {"workspace": made}}}).to_string(),
        )
        .expect("build");
    let status = e.http.send(gone).expect("send").status;
    assert_eq!(status, 404, "the demo's workspace is gone");

    // In a workspace the user names, only the uploaded file goes; --keep
    // leaves it.
    let ws = e.ws.clone();
    let (code, stdout, stderr) = demo(
        &["--size", "100000", "--api-base", &base],
        Some(&e.srv.api_key),
        Some(&ws),
    );
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert!(
        stdout.contains("removed           demo.bin (node "),
        "{stdout}"
    );
    assert!(!listing(&mut e).contains("demo.bin"), "purged");
    let (code, stdout, stderr) = demo(
        &["--size", "100000", "--api-base", &base, "--keep"],
        Some(&e.srv.api_key),
        Some(&ws),
    );
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert!(stdout.contains("and leave them (--keep)"), "{stdout}");
    assert!(!stdout.contains("removed"), "{stdout}");
    assert!(listing(&mut e).contains("demo.bin"), "kept");

    // --api-base alone is refused: it names a server but no key for it.
    let (code, _, stderr) = demo(&["--api-base", &base], None, None);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("FASTIO_API_KEY"), "{stderr}");
    drop(e.srv);
    let _ = std::fs::remove_dir_all(&e.dir);
}

/// The workspace's root listing as JSON text.
fn listing(e: &mut Env) -> String {
    call(
        &mut e.engine,
        &e.http,
        &e.cfg,
        json!({"storage": {"op": "list", "profile": {"workspace": e.ws}}}),
    )
    .to_string()
}

/// `--server-limits` asks `GET /upload/limits/` and plans with the server's
/// chunk size instead of the one given, on both engines, and the upload
/// completes and verifies with it.
#[test]
fn server_limits_narrow_the_plan_on_both_engines() {
    let mut e = env("limits");
    let stated = call(
        &mut e.engine,
        &e.http,
        &e.cfg,
        json!({"upload": {"op": "limits"}}),
    );
    let chunk = stated["chunk_size"]
        .as_u64()
        .or_else(|| stated["response"]["chunk_size"].as_u64())
        .unwrap_or_else(|| panic!("no chunk size in {stated}"));
    assert_ne!(
        chunk,
        1 << 20,
        "the test needs a server chunk size other than the one given"
    );
    let path = e.dir.join("limited.bin");
    write_file(&path, 9 << 20, 8);
    let p = path.to_string_lossy().into_owned();
    for engine in ["component", "native"] {
        let name = format!("limited-{engine}.bin");
        let (code, stdout, stderr) = cli(
            &e,
            &[
                "upload",
                &p,
                "--workspace",
                &e.ws,
                "--name",
                &name,
                "--chunk-size",
                "1048576",
                "--server-limits",
                "--engine",
                engine,
            ],
            None,
        );
        assert_eq!(code, Some(0), "{engine}: {stdout} {stderr}");
        // The machine asked the limits itself and planned with them.
        let chunks = (9u64 << 20).div_ceil(chunk);
        assert!(
            stderr.contains(&format!("planned {chunks} chunks")),
            "{engine}: {stderr}"
        );
        assert!(stdout.contains("(9437184 bytes)"), "{engine}: {stdout}");
    }
    let listed = listing(&mut e);
    assert!(
        listed.contains("limited-component.bin") && listed.contains("limited-native.bin"),
        "{listed}"
    );
}

/// `list` walks a listing to its end through the engine's pager, one item
/// per line, on both engines: a folder by default, any listing with `--call`
/// (here one item per page, so the walk takes several pages).
#[test]
fn list_walks_a_listing_to_its_end_on_both_engines() {
    let mut e = env("list");
    for n in 0..3u64 {
        let path = e.dir.join(format!("listed-{n}.bin"));
        write_file(&path, 1000 + n, n);
        assert!(matches!(
            upload(&mut e, &path, 1000 + n),
            UploadOutcome::Done(_)
        ));
    }
    let org = call(
        &mut e.engine,
        &e.http,
        &e.cfg,
        json!({"orgs": {"op": "list"}}),
    )["orgs"][0]["id"]
        .to_string()
        .trim_matches('"')
        .to_owned();
    for n in 0..2 {
        call(
            &mut e.engine,
            &e.http,
            &e.cfg,
            json!({"orgs": {"op": "create_workspace", "org_id": org, "name": format!("listed-{n}"), "folder_name": format!("listed-{n}")}}),
        );
    }
    let paged = json!({"orgs": {"op": "all_workspaces", "limit": 1}}).to_string();
    for engine in ["component", "native"] {
        let (code, stdout, stderr) = cli(
            &e,
            &["list", "--workspace", &e.ws, "--engine", engine],
            None,
        );
        assert_eq!(code, Some(0), "{engine}: {stderr}");
        let mut names: Vec<String> = stdout
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).expect("a JSON item")["name"]
                    .to_string()
            })
            .filter(|n| n.contains("listed-"))
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["\"listed-0.bin\"", "\"listed-1.bin\"", "\"listed-2.bin\""],
            "{engine}: {stdout}"
        );
        let (code, stdout, stderr) = cli(&e, &["list", "--call", &paged, "--engine", engine], None);
        assert_eq!(code, Some(0), "{engine}: {stderr}");
        let ids: Vec<&str> = stdout.lines().collect();
        let distinct: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
        assert!(
            ids.len() >= 3 && distinct.len() == ids.len(),
            "{engine}: {stdout}"
        );
        // A bound too small for the listing is an error, not a cut-short answer.
        let (code, _, stderr) = cli(
            &e,
            &[
                "list",
                "--call",
                &paged,
                "--max-pages",
                "1",
                "--engine",
                engine,
            ],
            None,
        );
        assert_eq!(code, Some(2), "{engine}: {stderr}");
        assert!(stderr.contains("pages"), "{engine}: {stderr}");
    }
    drop(e.srv);
    let _ = std::fs::remove_dir_all(&e.dir);
}

/// A component that is not there is named in a clear error, with where the
/// CLI looks for one, before anything else runs.
#[test]
fn a_missing_component_is_named_with_where_to_find_one() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fastio"))
        .args(["--component", "/nonexistent/fastio_component.wasm"])
        .args(["webhook", "sign", "--scheme", "fastio", "--secret-env", "X"])
        .env("X", "s")
        .output()
        .expect("run fastio");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no component at /nonexistent/fastio_component.wasm"),
        "{stderr}"
    );
    assert!(stderr.contains("FASTIO_COMPONENT"), "{stderr}");
}
