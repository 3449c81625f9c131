//! Chunk ingest throughput on loopback, against `dd` writing the same bytes to the same disk.
//!
//! Uploads `FASTIO_BENCH_BYTES` (default 1 GiB) in chunks of `FASTIO_BENCH_CHUNK` bytes
//! (default 16 MiB) over 3 parallel streams to an in-process server whose data directory is
//! `FASTIO_BENCH_DIR` (default: a fresh directory under the system temp dir). Every chunk is
//! acknowledged only once durable (fsync of the chunk file and its directory, then a
//! `synchronous=FULL` SQLite commit). Then runs `dd if=/dev/zero bs=CHUNK conv=fsync` for the
//! same byte count in the same directory, alternating the two `FASTIO_BENCH_RUNS` times
//! (default 3), and prints the medians and their ratio.
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

struct Server {
    base: String,
    ws_id: String,
    agent: ureq::Agent,
}

fn setup(base: &str) -> Result<Server, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(600))
        .build();
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
    let ws: serde_json::Value = serde_json::from_str(&post(
        &agent,
        &format!("{base}org/{org_id}/create/workspace/"),
        "bench",
        FORM,
        b"name=bench&folder_name=bench&perm_join=Member+or+above&perm_member_manage=Admin+or+above&intelligence=false",
    )?)
    .map_err(|e| e.to_string())?;
    let ws_id = ws["response"]["workspace"]["id"]
        .as_str()
        .ok_or("no workspace")?
        .to_string();
    Ok(Server {
        base: base.to_string(),
        ws_id,
        agent,
    })
}

const FORM: &str = "application/x-www-form-urlencoded";
const BOUNDARY: &str = "bench-boundary-3f9a";

fn body_for(len: u64) -> Vec<u8> {
    let mut b = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"c\"\r\nContent-Type: application/octet-stream\r\n\r\n").into_bytes();
    b.extend((0..len).map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[1]));
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

/// Uploads `total` bytes as one session over `streams` parallel chunk streams; returns the
/// ingest time (first chunk sent to last chunk acknowledged) and the assembly time.
fn upload(
    srv: &Server,
    run: usize,
    total: u64,
    chunk: u64,
    streams: usize,
    full: &[u8],
    last: &[u8],
) -> Result<(Duration, Duration), String> {
    let base = &srv.base;
    let sess: serde_json::Value = serde_json::from_str(&post(
        &srv.agent,
        &format!("{base}upload/"),
        "bench",
        FORM,
        format!(
            "name=bench{run}.bin&size={total}&action=create&instance_id={}&folder_id=root",
            srv.ws_id
        )
        .as_bytes(),
    )?)
    .map_err(|e| e.to_string())?;
    let id = sess["response"]["id"]
        .as_str()
        .ok_or("no session")?
        .to_string();
    let n_chunks = total.div_ceil(chunk);
    let last_len = total - (n_chunks - 1) * chunk;
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
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
                            (last, last_len)
                        } else {
                            (full, chunk)
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
        &srv.agent,
        &format!("{base}upload/{id}/complete/"),
        "bench",
        FORM,
        b"",
    )?;
    loop {
        let d = srv
            .agent
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
    Ok((ingest, t1.elapsed()))
}

fn dd(path: &std::path::Path, chunk: u64, count: u64) -> Result<Duration, String> {
    let t = Instant::now();
    let status = std::process::Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}", path.display()))
        .arg(format!("bs={chunk}"))
        .arg(format!("count={count}"))
        .arg("conv=fsync")
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    let d = t.elapsed();
    let _ = std::fs::remove_file(path);
    if status.success() {
        Ok(d)
    } else {
        Err("dd failed".into())
    }
}

fn sync() {
    let _ = std::process::Command::new("sync").status();
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), String> {
    let total = env_u64("FASTIO_BENCH_BYTES", 1 << 30);
    let chunk = env_u64("FASTIO_BENCH_CHUNK", 16 << 20).min(total).max(1);
    let runs = env_u64("FASTIO_BENCH_RUNS", 3).max(1) as usize;
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
    let running = fastio_devserver::spawn(cfg).map_err(|e| e.to_string())?;
    let srv = setup(&running.base_url)?;
    let n_chunks = total.div_ceil(chunk);
    let full = body_for(chunk);
    let last = body_for(total - (n_chunks - 1) * chunk);
    let dd_count = total / chunk;
    let dd_bytes = dd_count * chunk;

    let mbps = |bytes: u64, d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    let (mut ing, mut dds, mut asm) = (vec![], vec![], vec![]);
    // Alternate dd and ingest so both see the same disk conditions; sync in between so
    // neither pays for the other's dirty pages.
    for run in 0..runs {
        sync();
        let d = dd(&dir.join("dd.bin"), chunk, dd_count)?;
        sync();
        let (i, a) = upload(&srv, run, total, chunk, streams, &full, &last)?;
        println!(
            "run {}: ingest {:.1} MB/s, dd {:.1} MB/s",
            run + 1,
            mbps(total, i),
            mbps(dd_bytes, d)
        );
        ing.push(mbps(total, i));
        dds.push(mbps(dd_bytes, d));
        asm.push(mbps(total, a));
    }
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);

    let (i, d) = (median(ing), median(dds));
    println!(
        "bytes: {total} per run in {n_chunks} chunks of {chunk} bytes, {streams} parallel streams, durable acknowledgement on, {runs} runs (medians below)"
    );
    println!("devserver chunk ingest: {i:.1} MB/s");
    println!("dd bs={chunk} conv=fsync, same disk: {d:.1} MB/s");
    println!("ratio ingest/dd: {:.2}", i / d);
    println!(
        "assembly to stored (not part of ingest): {:.1} MB/s",
        median(asm)
    );
    Ok(())
}
