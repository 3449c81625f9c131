//! Hashing through the component against the core's native hashing, in the
//! same run: SHA-256 and CRC32C over the same in-memory buffer, fed in 1 MiB
//! pieces (each piece is copied into the component's memory, as a host
//! feeding an upload does).
//!
//! References, measured between the component's rounds:
//! - the core linked into this benchmark (sha2 picks SHA-NI at run time);
//! - external programs printing one JSON line per pass
//!   (`core/benches/hash_rate.rs`), typically that same program built with
//!   `--cfg sha2_backend="soft"`: the portable SHA-256 the component is held
//!   to, since wasm has no SHA instructions.
//!
//! ```sh
//! bash hosts/wasmtime/bench.sh hash      # builds everything and runs this
//! FASTIO_BENCH_COMPONENTS=default=a.wasm,simd128=b.wasm \
//! FASTIO_BENCH_REFERENCES=native-portable=/path/to/hash_rate \
//!   cargo bench -p fastio-wasmtime --bench component_hash
//! ```
//!
//! `FASTIO_BENCH_BYTES` (default 256 MiB) and `FASTIO_BENCH_ROUNDS` (default
//! 5; the best round counts) size the run.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use fastio_core::hash::{HashAlgo as CoreAlgo, Hasher};
use fastio_wasmtime::bindings::exports::fastio::core::hashing::HashAlgo;
use fastio_wasmtime::{Core, Instance};

#[path = "../../../core/benches/support/xorshift.rs"]
mod xorshift;
use xorshift::data;

const PIECE: usize = 1 << 20;

fn component_pass(inst: &mut Instance, algo: HashAlgo, data: &[u8]) -> (f64, String) {
    let d = inst.core.fastio_core_hashing().digest();
    let start = Instant::now();
    let h = d.call_constructor(&mut inst.store, algo).expect("digest");
    for piece in data.chunks(PIECE) {
        d.call_update(&mut inst.store, h, piece).expect("update");
    }
    let hex = d.call_hex(&mut inst.store, h).expect("hex");
    let secs = start.elapsed().as_secs_f64();
    h.resource_drop(&mut inst.store).expect("drop");
    (secs, hex)
}

fn native_pass(algo: CoreAlgo, data: &[u8]) -> (f64, String) {
    let start = Instant::now();
    let mut h = Hasher::new(algo);
    for piece in data.chunks(PIECE) {
        h.update(std::hint::black_box(piece));
    }
    let hex = h.finish().to_hex();
    (start.elapsed().as_secs_f64(), hex)
}

fn external_pass(exe: &PathBuf, bytes: usize) -> ((f64, String), (f64, String)) {
    let out = Command::new(exe)
        .env("FASTIO_BENCH_BYTES", bytes.to_string())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
    assert!(out.status.success(), "{} failed", exe.display());
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).expect("one JSON line");
    let f = |k: &str| v[k].as_f64().expect("seconds");
    let s = |k: &str| v[k].as_str().expect("digest").to_owned();
    ((f("sha256_s"), s("sha256")), (f("crc32c_s"), s("crc32c")))
}

fn pairs(var: &str) -> Vec<(String, PathBuf)> {
    std::env::var(var)
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (label, path) = item
                .split_once('=')
                .unwrap_or_else(|| panic!("{var}: `label=path`, got {item:?}"));
            (label.to_owned(), PathBuf::from(path))
        })
        .collect()
}

struct Row {
    label: String,
    sha: f64,
    crc: f64,
}

fn main() {
    let bytes: usize = std::env::var("FASTIO_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256 << 20);
    let rounds: usize = std::env::var("FASTIO_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let mut components = pairs("FASTIO_BENCH_COMPONENTS");
    if components.is_empty() {
        components.push((
            "component".into(),
            fastio_wasmtime::default_component_path(),
        ));
    }
    let references = pairs("FASTIO_BENCH_REFERENCES");
    let data = data(bytes);
    let mut instances: Vec<(String, Instance)> = components
        .iter()
        .map(|(label, path)| {
            let core = Core::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (label.clone(), core.instantiate().expect("instance"))
        })
        .collect();

    let mut rows: Vec<Row> = Vec::new();
    let mut best =
        |label: &str, sha: f64, crc: f64| match rows.iter_mut().find(|r| r.label == label) {
            Some(r) => {
                r.sha = r.sha.min(sha);
                r.crc = r.crc.min(crc);
            }
            None => rows.push(Row {
                label: label.to_owned(),
                sha,
                crc,
            }),
        };
    let (_, want_sha) = native_pass(CoreAlgo::Sha256, &data);
    let (_, want_crc) = native_pass(CoreAlgo::Crc32c, &data);
    for _ in 0..rounds {
        for (label, inst) in instances.iter_mut() {
            let (sha_s, sha) = component_pass(inst, HashAlgo::Sha256, &data);
            let (crc_s, crc) = component_pass(inst, HashAlgo::Crc32c, &data);
            assert_eq!((&sha, &crc), (&want_sha, &want_crc), "{label} digests");
            best(label, sha_s, crc_s);
        }
        let (sha_s, _) = native_pass(CoreAlgo::Sha256, &data);
        let (crc_s, _) = native_pass(CoreAlgo::Crc32c, &data);
        best("native (this build, SHA-NI if present)", sha_s, crc_s);
        for (label, exe) in &references {
            let ((sha_s, sha), (crc_s, crc)) = external_pass(exe, bytes);
            assert_eq!((&sha, &crc), (&want_sha, &want_crc), "{label} digests");
            best(label, sha_s, crc_s);
        }
    }

    let mb = bytes as f64 / 1e6;
    println!(
        "{} MiB in memory, fed in 1 MiB pieces, best of {rounds} alternating rounds",
        bytes >> 20
    );
    println!("{:<42} {:>12} {:>12}", "", "SHA-256 MB/s", "CRC32C MB/s");
    for r in &rows {
        println!("{:<42} {:>12.0} {:>12.0}", r.label, mb / r.sha, mb / r.crc);
    }
    let reference = rows
        .iter()
        .find(|r| r.label.contains("portable"))
        .or_else(|| rows.iter().find(|r| r.label.starts_with("native")));
    if let Some(reference) = reference {
        for (label, _) in &components {
            if let Some(r) = rows.iter().find(|r| &r.label == label) {
                println!(
                    "ratio {label} / {}: SHA-256 {:.2} (target >= 0.85), CRC32C {:.2}",
                    reference.label,
                    reference.sha / r.sha,
                    reference.crc / r.crc
                );
            }
        }
    }
}
