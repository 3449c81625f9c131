//! Upload machine overhead per action over a simulated 10,000-chunk upload.
//!
//! The "server" answers every request at once with a canned success, and
//! chunks are 64 bytes so hashing is negligible: what is timed is the
//! machine's own work (planning, bookkeeping, building each request, decoding
//! each response). The reference measured in the same run is the bare cost of
//! building one chunk request with `Client::build`.
//!
//! ```sh
//! cargo bench -p fastio-core --bench upload_machine
//! ```

use std::hint::black_box;
use std::time::Instant;

use fastio_core::api::{Call, Client, UploadCall};
use fastio_core::config::ClientConfig;
use fastio_core::http::{HttpResponse, PartData};
use fastio_core::upload::plan::PlanConfig;
use fastio_core::upload::{Action, Upload, UploadConfig, UploadSpec};

const CHUNKS: u64 = 10_000;
const CHUNK: u64 = 64;

fn client() -> Client {
    Client::new(ClientConfig::with_api_key("http://127.0.0.1:1/current/", "k").unwrap()).unwrap()
}

fn run_once(data: &[u8]) -> (u64, f64) {
    let cfg = UploadConfig {
        plan: PlanConfig {
            single_request_max: CHUNK,
            chunk_size: CHUNK,
            max_chunks: None,
            max_file_size: None,
            max_in_flight: 3,
        },
        ..UploadConfig::default()
    };
    let created = HttpResponse::new(200, r#"{"result":true,"response":{"id":"up1"}}"#);
    let acked = HttpResponse::new(200, r#"{"result":true,"response":{}}"#);
    let stored = HttpResponse::new(
        200,
        r#"{"result":true,"response":{"session":{"id":"up1","status":"stored","new_file_id":"n1"}}}"#,
    );
    let mut up = Upload::new(
        client(),
        UploadSpec::file("bench.bin", data.len() as u64, "ws"),
        cfg,
    )
    .unwrap();
    let mut actions = 0u64;
    let mut outstanding: Vec<(u64, bool)> = Vec::new();
    let start = Instant::now();
    loop {
        match up.next_action(0) {
            Some(Action::Send { id, request }) => {
                actions += 1;
                let details = request.url.ends_with("details/?wait=60");
                let create = request.url.ends_with("/upload/");
                black_box(&request);
                if create {
                    up.on_response(id, &created, 0).unwrap();
                } else {
                    outstanding.push((id, details));
                }
            }
            Some(Action::Read { id, offset, len }) => {
                actions += 1;
                let bytes =
                    bytes::Bytes::copy_from_slice(&data[offset as usize..(offset + len) as usize]);
                up.on_data(id, bytes, 0).unwrap();
            }
            Some(Action::Progress(p)) => {
                actions += 1;
                black_box(p);
            }
            Some(Action::Done(d)) => {
                actions += 1;
                black_box(d);
                break;
            }
            Some(Action::Failed(e)) => panic!("{e}"),
            Some(Action::Wait { .. }) | None => {
                // Answer everything outstanding, as a fast server would.
                for (id, details) in outstanding.drain(..) {
                    up.on_response(id, if details { &stored } else { &acked }, 0)
                        .unwrap();
                }
            }
            Some(other) => panic!("{other:?}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    (actions, secs)
}

fn main() {
    let data: Vec<u8> = (0..CHUNKS * CHUNK).map(|i| (i % 251) as u8).collect();
    // Reference: building one chunk request directly.
    let c = client();
    let payload = bytes::Bytes::from(vec![7u8; CHUNK as usize]);
    let n = 200_000;
    let mut best_build = f64::MAX;
    let mut best_action = f64::MAX;
    let mut actions_seen = 0;
    for _ in 0..5 {
        let t = Instant::now();
        for i in 0..n {
            let call = Call::Upload(UploadCall::Chunk {
                upload_id: "up1".into(),
                order: i + 1,
                data: PartData::Inline(payload.clone()),
                hash: Some("0a1b2c3d".into()),
                hash_algo: Some("crc32c".into()),
                file_crc32c: None,
            });
            black_box(c.build(&call).unwrap());
        }
        best_build = best_build.min(t.elapsed().as_secs_f64() / n as f64);
        let (actions, secs) = run_once(&data);
        actions_seen = actions;
        best_action = best_action.min(secs / actions as f64);
    }
    println!(
        "simulated upload: {CHUNKS} chunks of {CHUNK} bytes, {actions_seen} actions, best of 5"
    );
    println!("machine overhead per action: {:.3} µs", best_action * 1e6);
    println!(
        "reference, Client::build of one chunk request: {:.3} µs",
        best_build * 1e6
    );
    println!(
        "ratio per action / bare build: {:.2}",
        best_action / best_build
    );
    println!(
        "ratio per action / 2 µs target: {:.2} (target < 1)",
        best_action * 1e6 / 2.0
    );
}
