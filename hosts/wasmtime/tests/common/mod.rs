//! What the host's end-to-end suites share: a devserver with a workspace,
//! calls through an engine, and files of known bytes.

// Each suite uses its own subset.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use fastio_wasmtime::bindings::exports::fastio::core::requests::DecodeOptions;
use fastio_wasmtime::bindings::exports::fastio::core::types::{
    ChunkParams, ClientConfig, Credential,
};
use fastio_wasmtime::bindings::exports::fastio::core::uploads::{
    HashAlgo, UploadDone, UploadOptions,
};
use fastio_wasmtime::engine::Engine;
use fastio_wasmtime::http::Http;

/// Upload options with this chunk size and parallelism, the core's defaults
/// for the rest — except the whole-file SHA-256, asked for so the suites can
/// check it against the bytes; a suite sets what else it needs with
/// `..options(…)`.
pub fn options(chunk_size: u64, parallel: u32) -> UploadOptions {
    UploadOptions {
        chunk_size: Some(chunk_size),
        single_request_max: None,
        parallel: Some(parallel),
        request_timeout_ms: None,
        seed: None,
        stream_max_size: None,
        max_chunks: None,
        max_file_size: None,
        fetch_limits: None,
        persist_token: None,
        file_digest: Some(HashAlgo::Sha256),
        verify_stored: None,
        host_keeps_chunks: None,
    }
}

/// A stored upload's SHA-256, which `options` asks for.
pub fn sha256_of(d: &UploadDone) -> &str {
    match &d.digest {
        Some(g) if g.algo == HashAlgo::Sha256 => &g.hex,
        other => panic!("no SHA-256 in the result: {other:?}"),
    }
}

/// A devserver on 127.0.0.1 keeping its data under `dir`, the client
/// configuration for it, and a new workspace whose folder is `folder`.
pub fn serve(
    dir: &Path,
    engine: &mut Engine,
    http: &Http,
    folder: &str,
) -> (fastio_devserver::RunningServer, ClientConfig, String) {
    let mut scfg = fastio_devserver::Config::new(dir.join("server"));
    scfg.api_keys = vec![format!("{folder}-key")];
    let srv = fastio_devserver::spawn(scfg).expect("devserver");
    let cfg = ClientConfig {
        base_url: srv.base_url.clone(),
        credential: Some(Credential::ApiKey(srv.api_key.clone())),
        user_agent: None,
        chunk_params: ChunkParams::Query,
        max_response_bytes: None,
    };
    let orgs = call(engine, http, &cfg, json!({"orgs": {"op": "list"}}));
    let org = orgs["orgs"][0]["id"].as_str().expect("org").to_owned();
    let ws = call(
        engine,
        http,
        &cfg,
        json!({"orgs": {"op": "create_workspace", "org_id": org, "name": folder,
            "folder_name": folder}}),
    );
    let ws = ws["id"]
        .as_str()
        .or(ws["workspace"]["id"].as_str())
        .expect("workspace id")
        .to_owned();
    (srv, cfg, ws)
}

/// Builds, sends and decodes one call; panics on any failure.
pub fn call(engine: &mut Engine, http: &Http, cfg: &ClientConfig, c: Value) -> Value {
    let req = engine.build(cfg, &c.to_string()).expect("build");
    let resp = http.send(req).expect("send");
    let d = engine
        .decode(
            &resp,
            DecodeOptions {
                max_body_bytes: 16 << 20,
                resendable: true,
            },
        )
        .expect("call")
        .expect("decode");
    serde_json::from_str(&d.value_json).expect("json")
}

/// Writes `size` pseudo-random bytes (xorshift from `seed`) to `path`.
pub fn write_file(path: &Path, size: u64, seed: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut x = seed | 1;
    let mut left = size;
    let mut block = vec![0u8; 1 << 16];
    while left > 0 {
        for b in block.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let n = left.min(block.len() as u64) as usize;
        f.write_all(&block[..n]).expect("write");
        left -= n as u64;
    }
    f.flush().expect("flush");
}

/// The SHA-256 of a file, lowercase hex, read in blocks.
pub fn sha256_file(path: &Path) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut f = std::fs::File::open(path).expect("open");
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut f, &mut buf).expect("read");
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
