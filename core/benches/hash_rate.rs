//! One timed pass of SHA-256 and of CRC32C over an in-memory buffer, printed
//! as one JSON line. It is the native reference that
//! `hosts/wasmtime/benches/component_hash.rs` runs between its own rounds,
//! built twice: as is (sha2 picks SHA-NI at run time) and with
//! `RUSTFLAGS='--cfg sha2_backend="soft"'` (sha2's portable code, the
//! reference for the component, which has no SHA instructions; that build
//! times a table-driven CRC32C too, wasm having no CRC instruction either).
//!
//! ```sh
//! FASTIO_BENCH_BYTES=268435456 cargo bench -p fastio-core --bench hash_rate
//! ```
//!
//! The buffer is the same xorshift sequence the component benchmark hashes,
//! so the digests printed must match.

#![allow(unexpected_cfgs)] // `sha2_backend` is sha2's cfg, set through RUSTFLAGS

use std::hint::black_box;
use std::time::Instant;

use fastio_core::hash::{HashAlgo, Hasher};

#[path = "support/xorshift.rs"]
mod xorshift;
use xorshift::data;

const PIECE: usize = 1 << 20;

fn pass(algo: HashAlgo, data: &[u8]) -> (f64, String) {
    let start = Instant::now();
    let mut h = Hasher::new(algo);
    for piece in data.chunks(PIECE) {
        h.update(black_box(piece));
    }
    let hex = h.finish().to_hex();
    (start.elapsed().as_secs_f64(), hex)
}

fn portable_crc32c(data: &[u8]) -> (f64, String) {
    let crc = crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);
    let start = Instant::now();
    let mut d = crc.digest();
    for piece in data.chunks(PIECE) {
        d.update(black_box(piece));
    }
    let v = d.finalize();
    (start.elapsed().as_secs_f64(), format!("{v:08x}"))
}

fn main() {
    let bytes: usize = std::env::var("FASTIO_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256 << 20);
    let data = data(bytes);
    let (sha_s, sha) = pass(HashAlgo::Sha256, &data);
    let (crc_s, crc) = pass(HashAlgo::Crc32c, &data);
    let soft = cfg!(sha2_backend = "soft");
    // The crc32c crate picks the SSE4.2 instruction at run time and cannot be
    // told otherwise, so the portable build times a table-driven CRC32C
    // (slice-by-16, as portable as the component's) for the reference.
    let (crc_s, crc) = if soft {
        let (s, hex) = portable_crc32c(&data);
        assert_eq!(hex, crc, "the portable CRC32C disagrees with the core's");
        (s, hex)
    } else {
        (crc_s, crc)
    };
    let backend = if soft { "portable" } else { "detected" };
    println!(
        r#"{{"backend":"{backend}","bytes":{bytes},"sha256_s":{sha_s:.6},"crc32c_s":{crc_s:.6},"sha256":"{sha}","crc32c":"{crc}"}}"#
    );
}
