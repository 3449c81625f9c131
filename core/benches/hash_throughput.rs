//! Hashing throughput: one-pass SHA-256 + CRC32C over a file, against `openssl dgst -sha256`
//! on the same file in the same run.
//!
//! ```text
//! cargo bench -p fastio-core --bench hash_throughput
//! FASTIO_BENCH_BYTES=67108864 cargo bench -p fastio-core --bench hash_throughput   # quick
//! RUSTFLAGS='--cfg sha2_backend="soft"' cargo bench -p fastio-core --bench hash_throughput
//! ```
//!
//! The last form forces sha2's portable backend (a separate build, since it is a compile-time
//! choice), giving the portable SHA-256 speed the component build is compared against.
//!
//! The file is written once with pseudo-random bytes and read back in 1 MiB blocks, as a
//! host would feed the core. Every measurement is the best of five runs with the file in the
//! page cache, so disk speed does not enter; `openssl` reads the same cached file.

#![allow(unexpected_cfgs)] // `sha2_backend` is sha2's cfg, set through RUSTFLAGS

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fastio_core::hash::{FileHasher, HashAlgo, Hasher};

const BLOCK: usize = 1024 * 1024;
const RUNS: usize = 5;

fn main() {
    let bytes: u64 = std::env::var("FASTIO_BENCH_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 30);
    let dir = std::env::temp_dir().join(format!("fastio-hash-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let path = dir.join("data.bin");
    write_random(&path, bytes);

    println!(
        "file: {} bytes ({:.0} MiB), read in 1 MiB blocks, best of {RUNS} runs",
        bytes,
        bytes as f64 / 1048576.0
    );
    println!("cpu: {}", cpu_features());
    println!(
        "sha2 backend: {}",
        if cfg!(sha2_backend = "soft") {
            "portable (forced with --cfg sha2_backend=\"soft\")"
        } else {
            "runtime-detected (SHA-NI when present)"
        }
    );

    // Warm the page cache, and check the one-pass digest against the plain one.
    let check = {
        let mut h = FileHasher::new();
        read_blocks(&path, |b| h.update(b));
        h.finish()
    };

    // Rounds run every measurement once, in turn, and each keeps its best time: on a shared
    // machine a burst of load then hits all of them alike instead of one.
    let mut one_pass = Duration::MAX;
    let mut separate = Duration::MAX;
    let mut sha_only = Duration::MAX;
    let mut crc_only = Duration::MAX;
    let mut read_only = Duration::MAX;
    let mut openssl: Option<Duration> = None;
    let mut openssl_missing = false;
    for _ in 0..RUNS {
        one_pass = one_pass.min(timed(|| {
            let mut h = FileHasher::new();
            read_blocks(&path, |b| h.update(b));
            std::hint::black_box(h.finish());
        }));
        separate = separate.min(timed(|| {
            // Each 1 MiB block through SHA-256 and then through CRC32C, not interleaved.
            let mut sha = Hasher::new(HashAlgo::Sha256);
            let mut crc = 0u32;
            read_blocks(&path, |b| {
                sha.update(b);
                crc = crc32c::crc32c_append(crc, b);
            });
            std::hint::black_box((sha.finish(), crc));
        }));
        sha_only = sha_only.min(timed(|| {
            let mut sha = Hasher::new(HashAlgo::Sha256);
            read_blocks(&path, |b| sha.update(b));
            assert_eq!(sha.finish(), check.sha256);
        }));
        crc_only = crc_only.min(timed(|| {
            let mut crc = 0u32;
            read_blocks(&path, |b| crc = crc32c::crc32c_append(crc, b));
            assert_eq!(crc, check.crc32c);
        }));
        read_only = read_only.min(timed(|| {
            let mut n = 0u64;
            read_blocks(&path, |b| n += b.len() as u64);
            assert_eq!(n, bytes);
        }));
        if !openssl_missing {
            match openssl_once(&path, &check.sha256_hex()) {
                Some(d) => openssl = Some(openssl.map_or(d, |o| o.min(d))),
                None => openssl_missing = true,
            }
        }
    }

    let mbs = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    println!();
    println!("| measurement | time | MB/s |");
    println!("|---|---|---|");
    let row =
        |name: &str, d: Duration| println!("| {name} | {:.3} s | {:.0} |", d.as_secs_f64(), mbs(d));
    row(
        "one-pass SHA-256 + CRC32C (`FileHasher`, interleaved per 64 KiB)",
        one_pass,
    );
    row(
        "SHA-256 then CRC32C per 1 MiB block (not interleaved)",
        separate,
    );
    row("SHA-256 alone", sha_only);
    row("CRC32C alone", crc_only);
    row("reading the file alone (1 MiB blocks)", read_only);
    match openssl {
        Some(d) => {
            row("`openssl dgst -sha256` (whole process)", d);
            println!();
            println!(
                "ratio one-pass / openssl: {:.3} (target >= 0.85)",
                mbs(one_pass) / mbs(d)
            );
            println!(
                "ratio SHA-256 alone / openssl: {:.3}",
                mbs(sha_only) / mbs(d)
            );
        }
        None => println!("\nopenssl not available: no ratio"),
    }
    println!(
        "sha256 {}  crc32c {}",
        check.sha256_hex(),
        check.crc32c_hex()
    );

    let _ = std::fs::remove_dir_all(&dir);
}

fn timed(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

/// One `openssl dgst -sha256` run, timed as a whole process; `None` if openssl is missing.
fn openssl_once(path: &Path, want_hex: &str) -> Option<Duration> {
    let t = Instant::now();
    let out = Command::new("openssl")
        .arg("dgst")
        .arg("-sha256")
        .arg(path)
        .output()
        .ok()?;
    let elapsed = t.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(want_hex),
        "openssl disagrees: {text}"
    );
    Some(elapsed)
}

fn read_blocks(path: &Path, mut f: impl FnMut(&[u8])) {
    let mut file = File::open(path).expect("open bench file");
    let mut buf = vec![0u8; BLOCK];
    loop {
        let mut filled = 0;
        while filled < BLOCK {
            match file.read(&mut buf[filled..]).expect("read bench file") {
                0 => break,
                n => filled += n,
            }
        }
        if filled == 0 {
            break;
        }
        f(&buf[..filled]);
        if filled < BLOCK {
            break;
        }
    }
}

fn write_random(path: &PathBuf, bytes: u64) {
    let mut file = File::create(path).expect("create bench file");
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut buf = vec![0u8; BLOCK];
    let mut left = bytes;
    while left > 0 {
        for word in buf.chunks_exact_mut(8) {
            // xorshift64*: fast, and incompressible enough that nothing can shortcut it
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            word.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        let n = left.min(BLOCK as u64) as usize;
        file.write_all(&buf[..n]).expect("write bench file");
        left -= n as u64;
    }
    file.sync_all().ok();
}

fn cpu_features() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        let mut f = Vec::new();
        if std::arch::is_x86_feature_detected!("sha") {
            f.push("sha-ni");
        }
        if std::arch::is_x86_feature_detected!("sse4.2") {
            f.push("sse4.2");
        }
        if std::arch::is_x86_feature_detected!("pclmulqdq") {
            f.push("pclmulqdq");
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            f.push("avx2");
        }
        format!("x86_64 [{}]", f.join(", "))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::consts::ARCH.to_string()
    }
}
