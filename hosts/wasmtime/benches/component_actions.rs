//! Upload machine overhead per action through the component, against the
//! same simulated upload run by the core natively in the same process
//! (`core/benches/upload_machine.rs` is the native benchmark on its own).
//!
//! 10,000 chunks of 64 bytes (so hashing is negligible) against a "server"
//! that answers at once; every action (read, send, progress, done) counts.
//! Through the component each action costs the export calls (one
//! `next-action` and one `on-data`/`on-response` per input), the copies of
//! every request and response across the boundary, and the machine's work.
//!
//! ```sh
//! cargo bench -p fastio-wasmtime --bench component_actions
//! ```
//!
//! Rows, each the best of 5 alternating rounds:
//! - core: the machine called directly (the native reference);
//! - native engine: the core behind the host's WIT-typed driving interface;
//! - component: one `next-action(now)` per action, as every driver pulls (the
//!   WIT has no batch call: a batch made drivers sleep on a ready chunk).

use std::hint::black_box;
use std::time::Instant;

use fastio_core::api::Client;
use fastio_core::config::ClientConfig as CoreConfig;
use fastio_core::http::HttpResponse as CoreResponse;
use fastio_core::upload::plan::PlanConfig;
use fastio_core::upload::{Action as CoreAction, Upload, UploadConfig, UploadSpec as CoreSpec};
use fastio_wasmtime::Core;
use fastio_wasmtime::bindings::exports::fastio::core::types::{
    ChunkParams, ClientConfig, Credential, HttpResponse,
};
use fastio_wasmtime::bindings::exports::fastio::core::uploads::{
    Action, UploadOptions, UploadSpec,
};
use fastio_wasmtime::engine::Engine;

const CHUNKS: u64 = 10_000;
const CHUNK: u64 = 64;
const BASE: &str = "http://127.0.0.1:1/current/";

const CREATED: &str = r#"{"result":true,"response":{"id":"up1"}}"#;
const ACKED: &str = r#"{"result":true,"response":{}}"#;
const STORED: &str =
    r#"{"result":true,"response":{"session":{"id":"up1","status":"stored","new_file_id":"n1"}}}"#;

/// The core's machine, called directly: the same loop as
/// `core/benches/upload_machine.rs`.
fn core_run(data: &[u8], chunk: u64) -> (u64, f64) {
    let client = Client::new(CoreConfig::with_api_key(BASE, "k").expect("config")).expect("client");
    let cfg = UploadConfig {
        plan: PlanConfig {
            single_request_max: chunk,
            chunk_size: chunk,
            max_chunks: None,
            max_file_size: None,
            max_in_flight: 3,
        },
        ..UploadConfig::default()
    };
    let (created, acked, stored) = (
        CoreResponse::new(200, CREATED),
        CoreResponse::new(200, ACKED),
        CoreResponse::new(200, STORED),
    );
    let mut up = Upload::new(
        client,
        CoreSpec::file("bench.bin", data.len() as u64, "ws"),
        cfg,
    )
    .expect("plan");
    let mut actions = 0u64;
    let mut outstanding: Vec<(u64, bool)> = Vec::new();
    let start = Instant::now();
    loop {
        match up.next_action(0) {
            Some(CoreAction::Send { id, request }) => {
                actions += 1;
                let details = request.url.ends_with("details/?wait=60");
                if request.url.ends_with("/upload/") {
                    up.on_response(id, &created, 0).expect("create");
                } else {
                    outstanding.push((id, details));
                }
                black_box(&request);
            }
            Some(CoreAction::Read { id, offset, len }) => {
                actions += 1;
                let bytes =
                    bytes::Bytes::copy_from_slice(&data[offset as usize..(offset + len) as usize]);
                up.on_data(id, bytes, 0).expect("read");
            }
            Some(CoreAction::Progress(p)) => {
                actions += 1;
                black_box(p);
            }
            Some(CoreAction::Done(d)) => {
                actions += 1;
                black_box(d);
                break;
            }
            Some(CoreAction::Failed(e)) => panic!("{e}"),
            Some(CoreAction::Wait { .. }) | None => {
                for (id, details) in outstanding.drain(..) {
                    up.on_response(id, if details { &stored } else { &acked }, 0)
                        .expect("response");
                }
            }
            Some(other) => panic!("{other:?}"),
        }
    }
    (actions, start.elapsed().as_secs_f64())
}

fn response(body: &str) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

/// The same upload through an engine's WIT-typed machine, pulling one
/// action per call.
fn engine_run(engine: &mut Engine, data: &[u8], chunk: u64) -> (u64, f64) {
    let cfg = ClientConfig {
        base_url: BASE.into(),
        credential: Some(Credential::ApiKey("k".into())),
        user_agent: None,
        chunk_params: ChunkParams::Query,
        max_response_bytes: None,
    };
    let spec = UploadSpec {
        name: "bench.bin".into(),
        size: Some(data.len() as u64),
        workspace: "ws".into(),
        folder: "root".into(),
    };
    let options = UploadOptions {
        chunk_size: Some(chunk),
        single_request_max: Some(chunk),
        parallel: Some(3),
        request_timeout_ms: None,
        seed: None,
        stream_max_size: None,
        max_chunks: None,
        max_file_size: None,
        fetch_limits: None,
        persist_token: None,
        file_digest: None,
        verify_stored: None,
        host_keeps_chunks: None,
    };
    let (created, acked, stored) = (response(CREATED), response(ACKED), response(STORED));
    let mut up = engine
        .upload(&cfg, Some(&spec), None, options)
        .expect("engine")
        .expect("plan");
    let mut actions = 0u64;
    let mut outstanding: Vec<(u64, bool)> = Vec::new();
    let start = Instant::now();
    loop {
        match up.next_action(0).expect("next") {
            Some(Action::Send(s)) => {
                actions += 1;
                let details = s.request.url.ends_with("details/?wait=60");
                if s.request.url.ends_with("/upload/") {
                    up.on_response(s.id, &created, 0)
                        .expect("call")
                        .expect("create");
                } else {
                    outstanding.push((s.id, details));
                }
                black_box(&s.request);
            }
            Some(Action::Read(r)) => {
                actions += 1;
                let piece = &data[r.offset as usize..(r.offset + r.len) as usize];
                up.on_data(r.id, piece, 0).expect("call").expect("read");
            }
            Some(Action::Progress(p)) => {
                actions += 1;
                black_box(p);
            }
            Some(Action::Persist(t)) => {
                black_box(t);
            }
            Some(Action::Done(d)) => {
                actions += 1;
                black_box(d);
                break;
            }
            Some(Action::Failed(e)) => panic!("{e:?}"),
            // Nothing ready: the "server" answers everything outstanding.
            Some(Action::Wait(_)) | None => {
                for (id, details) in outstanding.drain(..) {
                    up.on_response(id, if details { &stored } else { &acked }, 0)
                        .expect("call")
                        .expect("response");
                }
            }
        }
    }
    (actions, start.elapsed().as_secs_f64())
}
fn main() {
    let data: Vec<u8> = (0..CHUNKS * CHUNK).map(|i| (i % 251) as u8).collect();
    let component_path = fastio_wasmtime::default_component_path();
    let mut component = Engine::component(
        Core::load(&component_path)
            .unwrap_or_else(|e| panic!("{}: {e}", component_path.display()))
            .instantiate()
            .expect("instance"),
    );
    let mut native = Engine::Native;
    let labels = [
        "core (native reference)",
        "native engine, WIT types",
        "component, 1 action per call",
    ];
    // Per action, and per whole upload: the counts can differ slightly with
    // how many progress reports coalesce (acks that arrive between two pulls
    // make one), while the work is the same.
    let mut best = [f64::MAX; 3];
    let mut best_total = [f64::MAX; 3];
    let mut counts = [0u64; 3];
    for _ in 0..5 {
        let runs = [
            core_run(&data, CHUNK),
            engine_run(&mut native, &data, CHUNK),
            engine_run(&mut component, &data, CHUNK),
        ];
        for (i, (actions, secs)) in runs.into_iter().enumerate() {
            counts[i] = actions;
            best[i] = best[i].min(secs / actions as f64);
            best_total[i] = best_total[i].min(secs);
        }
    }
    println!("simulated upload: {CHUNKS} chunks of {CHUNK} bytes, best of 5 alternating rounds");
    for i in 0..labels.len() {
        println!(
            "{:<34} {:>6} actions {:>7.3} µs per action  {:>7.1} ms per upload ({:.2}x core)",
            labels[i],
            counts[i],
            best[i] * 1e6,
            best_total[i] * 1e3,
            best_total[i] / best_total[0]
        );
    }
    println!(
        "component per action / 10 µs target: {:.2} (target < 1)",
        best[2] * 1e6 / 10.0
    );

    // The same simulation with real chunk sizes: the most a host can upload
    // per second through each engine when the network and server cost
    // nothing (reading, hashing, building requests, copies across the
    // component boundary).
    let big: Vec<u8> = {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..BIG_BYTES)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    };
    let mut best = [f64::MAX; 3];
    for _ in 0..3 {
        best[0] = best[0].min(core_run(&big, BIG_CHUNK).1);
        best[1] = best[1].min(engine_run(&mut native, &big, BIG_CHUNK).1);
        best[2] = best[2].min(engine_run(&mut component, &big, BIG_CHUNK).1);
    }
    println!(
        "simulated upload: {} MiB in {} MiB chunks, best of 3: core {:.0} MB/s, native engine {:.0} MB/s, component {:.0} MB/s",
        BIG_BYTES >> 20,
        BIG_CHUNK >> 20,
        BIG_BYTES as f64 / 1e6 / best[0],
        BIG_BYTES as f64 / 1e6 / best[1],
        BIG_BYTES as f64 / 1e6 / best[2]
    );
}

/// The real-sized run: 256 MiB in 4 MiB chunks (the default chunk size).
const BIG_BYTES: u64 = 256 << 20;
const BIG_CHUNK: u64 = 4 << 20;
