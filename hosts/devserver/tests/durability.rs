//! Restart durability: the built binary is SIGKILLed mid-upload and restarted on the same
//! data directory; acknowledged chunks survive and the upload completes with the same bytes.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;

fn spawn(dir: &std::path::Path) -> (Child, Api) {
    let (child, url) = spawn_with(dir, &[]);
    (child, remote(&url, "durable-key"))
}

/// Starts the binary on `dir` with `extra` arguments; returns it and its base URL.
fn spawn_with(dir: &std::path::Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fastio-devserver"))
        .args(extra)
        .args([
            "--addr",
            "127.0.0.1:0",
            "--api-key",
            "durable-key",
            "--min-chunk-size",
            "1024",
            "--data",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut url, mut key) = (String::new(), String::new());
    out.read_line(&mut url).unwrap();
    out.read_line(&mut key).unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.trim_end().ends_with("/current/"),
        "{url}"
    );
    assert_eq!(key.trim(), "durable-key");
    (child, url.trim().to_string())
}

#[test]
fn sigkill_mid_upload_then_restart_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let chunk = 256 * 1024;
    let data = pattern(4 * chunk - 1000, 11);
    let parts: Vec<&[u8]> = data.chunks(chunk).collect();

    let (mut child, api) = spawn(&data_dir);
    let ws = api.workspace("durable");
    let stored_before = api.put_file(&ws, "root", "before.txt", b"stored before the crash");
    let size = data.len().to_string();
    let id = api
        .post(
            "upload/",
            &[("name", "big.bin"), ("size", &size), ("instance_id", &ws)],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (i, p) in parts.iter().take(2).enumerate() {
        api.post_multipart(
            &format!("upload/{id}/chunk/?order={}&size={}", i + 1, p.len()),
            &[],
            &[("chunk", p)],
        )
        .r();
    }
    // Chunk 3 is in flight (half its body sent) when the process is killed.
    let mut s = std::net::TcpStream::connect(api.addr()).unwrap();
    let body = multipart(&[], &[("chunk", parts[2])]);
    let head = format!(
        "POST /current/upload/{id}/chunk/?order=3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer durable-key\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..body.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(s);

    let (mut child, api) = spawn(&data_dir);
    let sess = api.get(&format!("upload/{id}/details/")).r()["session"].clone();
    assert_eq!(sess["status"], "uploading");
    assert_eq!(sess["chunks"]["1"], chunk);
    assert_eq!(sess["chunks"]["2"], chunk);
    assert!(
        sess["chunks"].get("3").is_none(),
        "the unacknowledged chunk is not there"
    );
    assert_eq!(
        std::fs::read_dir(data_dir.join("tmp")).unwrap().count(),
        0,
        "half-written data was discarded"
    );
    assert_eq!(
        api.download(&ws, &stored_before),
        b"stored before the crash"
    );
    let crc = crc32c_hex(&data);
    for (i, p) in parts.iter().enumerate().skip(2) {
        // The whole-file CRC rides in the query of the last chunk.
        let file_crc = if i == 3 {
            format!("&file_crc32c={crc}")
        } else {
            String::new()
        };
        api.post_multipart(
            &format!(
                "upload/{id}/chunk/?order={}&size={}{file_crc}",
                i + 1,
                p.len()
            ),
            &[],
            &[("chunk", p)],
        )
        .r();
    }
    api.post(&format!("upload/{id}/complete/"), &[]).r();
    // Kill again straight after `complete`: assembly must resume after the restart.
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, api) = spawn(&data_dir);
    let sess = api.wait_stored(&id);
    assert_eq!(sess["status"], "stored", "{sess}");
    let node = sess["new_file_id"].as_str().unwrap();
    assert_eq!(api.download(&ws, node), data);
    let listed = api.get(&format!("workspace/{ws}/storage/root/list/")).r();
    assert_eq!(listed["nodes"].as_array().unwrap().len(), 2);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn generated_key_is_printed_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fastio-devserver"))
            .args(["--addr", "127.0.0.1:0", "--data"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("binary starts");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (mut url, mut key) = (String::new(), String::new());
        out.read_line(&mut url).unwrap();
        out.read_line(&mut key).unwrap();
        let api = remote(url.trim(), key.trim());
        assert_eq!(api.get("user/auth/check/").status, 200);
        child.kill().unwrap();
        child.wait().unwrap();
        key.trim().to_string()
    };
    let first = start();
    assert!(first.len() > 20);
    assert_eq!(start(), first);
}

/// SIGKILL at seeded random moments while a client uploads chunk after chunk: after each
/// restart on the same data, every chunk the client saw acknowledged is there with its
/// length; the upload then completes and reads back byte for byte.
#[test]
fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let chunk = 64 * 1024;
    let data = Arc::new(pattern(24 * chunk + 123, 29));
    let count = data.len().div_ceil(chunk);
    // Each chunk takes a few milliseconds more, so kills land between and inside them.
    let slow = r#"{"path_contains": "/chunk/", "latency": 1.0, "latency_ms": 15}"#;
    let args = ["--faults", slow];
    let (mut child, url) = spawn_with(&data_dir, &args);
    let api = remote(&url, "durable-key");
    let ws = api.workspace("random");
    let size = data.len().to_string();
    let id = api
        .post(
            "upload/",
            &[
                ("name", "random.bin"),
                ("size", &size),
                ("instance_id", &ws),
            ],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let crc = crc32c_hex(&data);
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    // Sends every chunk not yet acknowledged, in order, until stopped.
    let sender = |url: String, stop: Arc<AtomicBool>| {
        let (data, acked, id, crc) = (data.clone(), acked.clone(), id.clone(), crc.clone());
        std::thread::spawn(move || {
            let api = remote(&url, "durable-key");
            for order in 1..=count {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                if acked.lock().unwrap().contains(&order) {
                    continue;
                }
                let p = &data[(order - 1) * chunk..(order * chunk).min(data.len())];
                let file_crc = if order == count {
                    format!("&file_crc32c={crc}")
                } else {
                    String::new()
                };
                let r = api.post_multipart(
                    &format!(
                        "upload/{id}/chunk/?order={order}&size={}{file_crc}",
                        p.len()
                    ),
                    &[],
                    &[("chunk", p)],
                );
                if r.status == 200 {
                    acked.lock().unwrap().insert(order);
                }
            }
        })
    };
    let mut x: u64 = 0x5EED_D00D;
    let mut url = url;
    let mut mid_upload = 0;
    for round in 0..5 {
        let stop = Arc::new(AtomicBool::new(false));
        let t = sender(url.clone(), stop.clone());
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::thread::sleep(Duration::from_millis(10 + x % 60));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        t.join().unwrap();
        let seen: BTreeSet<usize> = acked.lock().unwrap().clone();
        if !seen.is_empty() && seen.len() < count {
            mid_upload += 1;
        }
        (child, url) = spawn_with(&data_dir, &args);
        let api = remote(&url, "durable-key");
        let sess = api.get(&format!("upload/{id}/details/")).r()["session"].clone();
        for order in &seen {
            let want = chunk.min(data.len() - (order - 1) * chunk);
            assert_eq!(
                sess["chunks"][order.to_string()],
                want,
                "round {round}: acknowledged chunk {order} was lost: {sess}"
            );
        }
    }
    assert!(mid_upload >= 2, "only {mid_upload} kills landed mid-upload");
    // Finish: the rest of the chunks, complete, read back.
    let stop = Arc::new(AtomicBool::new(false));
    sender(url.clone(), stop).join().unwrap();
    assert_eq!(
        acked.lock().unwrap().len(),
        count,
        "every chunk acknowledged"
    );
    let api = remote(&url, "durable-key");
    api.post(&format!("upload/{id}/complete/"), &[]).r();
    let sess = api.wait_stored(&id);
    assert_eq!(sess["status"], "stored", "{sess}");
    let node = sess["new_file_id"].as_str().unwrap();
    assert_eq!(api.download(&ws, node), *data);
    child.kill().unwrap();
    child.wait().unwrap();
}
