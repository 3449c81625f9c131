//! Chunk ingest throughput on loopback, against `dd` writing the same bytes to the same disk.
//!
//! Uploads `FASTIO_BENCH_BYTES` (default 1 GiB) in chunks of `FASTIO_BENCH_CHUNK` bytes
//! (default 16 MiB) over 3 parallel streams to an in-process server whose data directory is
//! `FASTIO_BENCH_DIR` (default: a fresh directory under the system temp dir). Every chunk is
//! acknowledged only once durable (fsync of the chunk file and its directory, then a
//! `synchronous=FULL` SQLite commit). Then runs `dd if=/dev/zero bs=CHUNK conv=fsync` for the
//! same byte count in the same directory and prints both rates and their ratio.
//!
//! Run: `cargo run --release -p fastio-devserver --example ingest_bench`

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn post(
    agent: &ureq::Agent,
    url: &str,
    key: &str,
    ct: &str,
    body: &[u8],
) -> Result<String, String> {
    let resp = agent
        .post(url)
        .set("Authorization", &format!("Bearer {key}"))
        .set("Content-Type", ct)
        .send_bytes(body)
        .map_err(|e| e.to_string())?;
    let mut s = String::new();
    resp.into_reader()
        .read_to_string(&mut s)
        .map_err(|e| e.to_string())?;
    Ok(s)
}

fn main() -> Result<(), String> {
    let total = env_u64("FASTIO_BENCH_BYTES", 1 << 30);
    let chunk = env_u64("FASTIO_BENCH_CHUNK", 16 << 20).min(total).max(1);
    let streams = 3;
    let base_dir = std::env::var("FASTIO_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir());
    let dir = base_dir.join(format!("fastio-ingest-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;

    let mut cfg = fastio_devserver::Config::new(dir.join("data"));
    cfg.api_keys = vec!["bench".into()];
    cfg.min_chunk_size = 1;
    cfg.max_chunk_size = chunk.max(1 << 20);
    let srv = fastio_devserver::spawn(cfg).map_err(|e| e.to_string())?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(600))
        .build();
    let base = srv.base_url.clone();

    let org_json = agent
        .get(&format!("{base}orgs/list/"))
        .set("Authorization", "Bearer bench")
        .call()
        .map_err(|e| e.to_string())?
        .into_string()
        .map_err(|e| e.to_string())?;
    let org: serde_json::Value = serde_json::from_str(&org_json).map_err(|e| e.to_string())?;
    let org_id = org["response"]["orgs"][0]["id"]
        .as_str()
        .ok_or("no org")?
        .to_string();
    let form = "application/x-www-form-urlencoded";
    let ws: serde_json::Value = serde_json::from_str(&post(
        &agent,
        &format!("{base}org/{org_id}/create/workspace/"),
        "bench",
        form,
        b"name=bench&folder_name=bench",
    )?)
    .map_err(|e| e.to_string())?;
    let ws_id = ws["response"]["workspace"]["id"]
        .as_str()
        .ok_or("no workspace")?
        .to_string();
    let sess: serde_json::Value = serde_json::from_str(&post(
        &agent,
        &format!("{base}upload/"),
        "bench",
        form,
        format!("name=bench.bin&size={total}&action=create&instance_id={ws_id}&folder_id=root")
            .as_bytes(),
    )?)
    .map_err(|e| e.to_string())?;
    let id = sess["response"]["id"]
        .as_str()
        .ok_or("no session")?
        .to_string();

    // One multipart body per distinct chunk length, built before the clock starts.
    let boundary = "bench-boundary-3f9a";
    let body_for = |len: u64| {
        let mut b = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"c\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
        b.extend((0..len).map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[1]));
        b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        b
    };
    let n_chunks = total.div_ceil(chunk);
    let last_len = total - (n_chunks - 1) * chunk;
    let full = body_for(chunk);
    let last = body_for(last_len);
    let ct = format!("multipart/form-data; boundary={boundary}");

    let next = AtomicU64::new(1);
    let t0 = Instant::now();
    std::thread::scope(|s| -> Result<(), String> {
        let handles: Vec<_> = (0..streams)
            .map(|_| {
                s.spawn(|| -> Result<(), String> {
                    let agent = ureq::AgentBuilder::new()
                        .timeout(Duration::from_secs(600))
                        .build();
                    loop {
                        let order = next.fetch_add(1, Ordering::SeqCst);
                        if order > n_chunks {
                            return Ok(());
                        }
                        let (body, len) = if order == n_chunks {
                            (&last, last_len)
                        } else {
                            (&full, chunk)
                        };
                        post(
                            &agent,
                            &format!("{base}upload/{id}/chunk/?order={order}&size={len}"),
                            "bench",
                            &ct,
                            body,
                        )?;
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| "upload thread panicked")??;
        }
        Ok(())
    })?;
    let ingest = t0.elapsed();

    let t1 = Instant::now();
    post(
        &agent,
        &format!("{base}upload/{id}/complete/"),
        "bench",
        form,
        b"",
    )?;
    loop {
        let d = agent
            .get(&format!("{base}upload/{id}/details/?wait=60"))
            .set("Authorization", "Bearer bench")
            .call()
            .map_err(|e| e.to_string())?
            .into_string()
            .map_err(|e| e.to_string())?;
        let v: serde_json::Value = serde_json::from_str(&d).map_err(|e| e.to_string())?;
        match v["response"]["session"]["status"].as_str() {
            Some("stored") => break,
            Some("assembly_failed" | "store_failed") => {
                return Err(format!("assembly failed: {d}"));
            }
            _ if t1.elapsed() > Duration::from_secs(1800) => {
                return Err("assembly did not finish".into());
            }
            _ => {}
        }
    }
    let assembly = t1.elapsed();
    drop(srv);

    let dd_path = dir.join("dd.bin");
    let t2 = Instant::now();
    let status = std::process::Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}", dd_path.display()))
        .arg(format!("bs={chunk}"))
        .arg(format!("count={}", total / chunk))
        .arg("conv=fsync")
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    let dd = t2.elapsed();
    let dd_bytes = (total / chunk) * chunk;
    if !status.success() {
        return Err("dd failed".into());
    }
    let _ = std::fs::remove_dir_all(&dir);

    let mbps = |bytes: u64, d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    let ingest_rate = mbps(total, ingest);
    let dd_rate = mbps(dd_bytes, dd);
    println!(
        "bytes: {total} in {n_chunks} chunks of {chunk} bytes, {streams} parallel streams, durable acknowledgement on"
    );
    println!(
        "devserver chunk ingest: {ingest_rate:.1} MB/s ({:.2} s)",
        ingest.as_secs_f64()
    );
    println!(
        "dd conv=fsync, same disk: {dd_rate:.1} MB/s ({:.2} s)",
        dd.as_secs_f64()
    );
    println!("ratio ingest/dd: {:.2}", ingest_rate / dd_rate);
    println!(
        "assembly to stored (not part of ingest): {:.1} MB/s ({:.2} s)",
        mbps(total, assembly),
        assembly.as_secs_f64()
    );
    Ok(())
}
