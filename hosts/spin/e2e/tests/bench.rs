//! The 1 GiB benchmark (ignored by default; `hosts/spin/run_tests.sh
//! --bench` runs it): throughput through the gateway against `curl` sending
//! the same file straight to the devserver, and the serving process's peak
//! RSS over idle for two file sizes (it should be flat).

mod common;

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use common::*;
use fastio_core::api::{Call, Client, Profile, UploadCall};
use fastio_core::config::ClientConfig;
use serde_json::json;

const MIB: u64 = 1024 * 1024;

/// Writes `len` pattern bytes; returns their CRC32C, which the gateway's
/// reply carries (it computes no other digest unless asked).
fn write_file(path: &std::path::Path, len: u64) -> String {
    let mut p = Pattern::new(len, 42);
    let mut f = std::fs::File::create(path).expect("create");
    std::io::copy(&mut p, &mut f).expect("write");
    f.flush().expect("flush");
    let bytes = std::fs::read(path).expect("read back");
    format!("\"crc32c\":\"{:08x}\"", crc32c::crc32c(&bytes))
}

/// `curl -T file -X POST url` with headers; returns (seconds, body).
fn curl(url: &str, file: &std::path::Path, headers: &[String]) -> (f64, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-X", "POST", "-T"]).arg(file).arg(url);
    // The headers carry a grant or a key: they go to curl in a file only
    // this user can read (`-H @file`), never on its command line, where
    // `ps` would show them to every local user.
    let header_file = file.with_extension("headers");
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&header_file)
            .expect("header file");
        for h in headers {
            writeln!(f, "{h}").expect("write header");
        }
    }
    cmd.arg("-H").arg(format!("@{}", header_file.display()));
    // No `Expect: 100-continue` round trip on either path.
    cmd.args(["-H", "Expect:"]);
    let start = Instant::now();
    let out = cmd.output().expect("curl runs");
    let _ = std::fs::remove_file(&header_file);
    let secs = start.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (secs, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
#[ignore = "benchmark: run with --ignored (hosts/spin/run_tests.sh --bench)"]
fn one_gib_through_the_gateway() {
    let e = env();
    let dir = std::env::temp_dir().join(format!("fastio-gateway-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let pid = e.a.server_pid().expect("wasmtime pid");
    let idle = proc_kib(pid, "VmRSS");
    let grant = grant(&e.a, json!({"max_size": 4u64 << 30}));
    let gateway = |file: &std::path::Path, name: &str| {
        curl(
            &format!("{}/upload", e.a.url),
            file,
            &[
                format!("Authorization: Bearer {grant}"),
                format!("x-file-name: {name}"),
            ],
        )
    };

    // A smaller file first: the peak must not grow with the size.
    let small = dir.join("small.bin");
    let small_sha = write_file(&small, 256 * MIB);
    let (_, body) = gateway(&small, "bench-256m.bin");
    assert!(body.contains(&small_sha), "{body}");
    let peak_small = proc_kib(pid, "VmHWM");
    std::fs::remove_file(&small).ok();

    let big = dir.join("big.bin");
    let sha = write_file(&big, 1024 * MIB);

    // Baseline: the same bytes straight to the devserver's stream upload.
    let client = Client::new(ClientConfig::with_api_key(&e.dev.base_url, API_KEY).expect("config"))
        .expect("client");
    let create = client
        .build(&Call::Upload(UploadCall::CreateSession {
            profile: Some(Profile::Workspace(e.ws.clone())),
            folder_id: "root".into(),
            name: "bench-curl.bin".into(),
            size: None,
            org: None,
            stream: true,
            max_size: None,
            extra: Vec::new(),
        }))
        .expect("request");
    let form = create.body.encode(&[]).expect("form");
    let mut req = e.agent.post(&create.url);
    for (k, v) in &create.headers {
        req = req.header(k, v);
    }
    let created = req.send(&form[..]).expect("create");
    let created: serde_json::Value =
        serde_json::from_slice(&created.into_body().read_to_vec().expect("body")).expect("json");
    let id = created["response"]["id"]
        .as_str()
        .or(created["id"].as_str())
        .expect("session id")
        .to_string();
    let stream = client
        .build(&Call::Upload(UploadCall::StreamSend {
            upload_id: id,
            data: None,
            hash: None,
            hash_algo: None,
        }))
        .expect("request");
    let headers: Vec<String> = stream
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .chain(std::iter::once(
            "Content-Type: application/octet-stream".to_string(),
        ))
        .collect();
    // `curl -T` appends the file name to a path that ends in `/`; the
    // devserver takes paths with or without the trailing slash.
    let url = match stream.url.split_once('?') {
        Some((path, query)) => format!("{}?{query}", path.trim_end_matches('/')),
        None => stream.url.trim_end_matches('/').to_string(),
    };
    let (curl_s, curl_body) = curl(&url, &big, &headers);
    assert!(
        curl_body.contains("\"result\":true") || curl_body.contains("\"result\": true"),
        "{curl_body}"
    );

    let (gw_s, body) = gateway(&big, "bench-1g.bin");
    assert!(body.contains(&sha), "{body}");
    let peak_big = proc_kib(pid, "VmHWM");

    // The same file through an instance with 8 MiB chunks
    // (GATEWAY_CHUNK_SIZE=8M): half the requests, twice the bytes per chunk.
    let g8 = e.gateway_with(&[("GATEWAY_CHUNK_SIZE", "8M".into())]);
    let pid8 = g8.server_pid().expect("wasmtime pid");
    let idle8 = proc_kib(pid8, "VmRSS");
    let grant8 = common::grant(&g8, json!({"max_size": 4u64 << 30}));
    let (gw8_s, body8) = curl(
        &format!("{}/upload", g8.url),
        &big,
        &[
            format!("Authorization: Bearer {grant8}"),
            "x-file-name: bench-1g-8m.bin".to_string(),
        ],
    );
    assert!(body8.contains(&sha), "{body8}");
    let peak8 = proc_kib(pid8, "VmHWM");

    // The same file with room for a whole chunk in wasmtime's outgoing
    // body buffer (8 x 1 MiB instead of 1 + 1): the host keeps sending a
    // chunk while the component hashes the next one.
    let buffered = e.gateway_under(&["-Shttp-outgoing-body-buffer-chunks=8"]);
    let pid_buf = buffered.server_pid().expect("wasmtime pid");
    let idle_buf = proc_kib(pid_buf, "VmRSS");
    let grant_buf = common::grant(&buffered, json!({"max_size": 4u64 << 30}));
    let (buf_s, body_buf) = curl(
        &format!("{}/upload", buffered.url),
        &big,
        &[
            format!("Authorization: Bearer {grant_buf}"),
            "x-file-name: bench-1g-buffered.bin".to_string(),
        ],
    );
    assert!(body_buf.contains(&sha), "{body_buf}");
    let peak_buf = proc_kib(pid_buf, "VmHWM");
    std::fs::remove_file(&big).ok();

    let mib_s = |s: f64| 1024.0 / s;
    println!(
        "1 GiB straight to the devserver (curl): {curl_s:.2} s, {:.0} MiB/s",
        mib_s(curl_s)
    );
    println!(
        "1 GiB through the gateway (curl):       {gw_s:.2} s, {:.0} MiB/s",
        mib_s(gw_s)
    );
    println!(
        "gateway / curl throughput:              {:.2}",
        curl_s / gw_s
    );
    println!(
        "wasmtime serve RSS: idle {} MiB; peak over idle {} MiB after 256 MiB, {} MiB after 1 GiB",
        idle / 1024,
        peak_small.saturating_sub(idle) / 1024,
        peak_big.saturating_sub(idle) / 1024
    );
    println!(
        "1 GiB through the gateway, 8 MiB chunks: {gw8_s:.2} s, {:.0} MiB/s, {:.2} x curl; \
         peak RSS over idle {} MiB",
        mib_s(gw8_s),
        curl_s / gw8_s,
        peak8.saturating_sub(idle8) / 1024
    );
    println!(
        "1 GiB through the gateway, -Shttp-outgoing-body-buffer-chunks=8: {buf_s:.2} s, \
         {:.0} MiB/s, {:.2} x curl; peak RSS over idle {} MiB",
        mib_s(buf_s),
        curl_s / buf_s,
        peak_buf.saturating_sub(idle_buf) / 1024
    );
    assert!(
        peak_big.saturating_sub(idle) < 64 * 1024,
        "peak RSS over idle is 64 MiB or more"
    );
    assert!(
        peak8.saturating_sub(idle8) < 64 * 1024,
        "peak RSS over idle is 64 MiB or more with 8 MiB chunks"
    );
}
