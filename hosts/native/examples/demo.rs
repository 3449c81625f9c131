//! The whole flow, natively: with no `FASTIO_API_KEY` it starts the local
//! Fast.io-compatible server in-process, creates a workspace, subscribes a
//! local receiver to webhooks, uploads a generated multi-chunk file through
//! the core's upload machine (chunks in parallel over real HTTP), verifies the
//! signed webhook delivery, downloads the file back verified, and prints a
//! summary.
//!
//! ```sh
//! cargo run --release -p fastio-native --example demo
//! # against the real service (webhooks need a public HTTPS receiver, so that step is skipped):
//! FASTIO_API_KEY=… FASTIO_WORKSPACE=… cargo run --release -p fastio-native --example demo
//! ```

use fastio_native as driver;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fastio_core::api::{Call, Client, SubscriptionsCall};
use fastio_core::config::ClientConfig;
use fastio_core::decode::models::WebhookSubscription;
use fastio_core::download::DownloadAction;
use fastio_core::secret::Secret;
use fastio_core::upload::{UploadConfig, UploadSpec};
use fastio_core::webhook::{Scheme, TimestampCheck, Verifier, parse_event};

const SIZE: usize = 12 * 1024 * 1024 + 12_345;

type Delivery = (Vec<(String, String)>, Vec<u8>);

/// A one-shot HTTP receiver on 127.0.0.1 that answers 204 and hands over the
/// first POST's headers and raw body.
fn receiver() -> std::io::Result<(String, mpsc::Receiver<Delivery>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/hooks/fastio", listener.local_addr()?);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Bounded: a handful of connections at most, then the thread ends.
        for stream in listener.incoming().take(8).flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            let mut headers = Vec::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.trim_end().split_once(':') {
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0)
                .min(1 << 20);
            let mut body = vec![0u8; len];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let _ = (&stream).write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
            if line.starts_with("POST") && tx.send((headers, body)).is_err() {
                break;
            }
        }
    });
    Ok((url, rx))
}

fn main() {
    if let Err(e) = run() {
        eprintln!("demo failed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let real_key = std::env::var("FASTIO_API_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    let _dir;
    let _server;
    let (base, key, local) = match real_key {
        Some(key) => {
            let base = std::env::var("FASTIO_API_BASE")
                .unwrap_or_else(|_| fastio_core::config::DEFAULT_BASE_URL.into());
            (base, key, false)
        }
        None => {
            _dir = tempfile::tempdir()?;
            let mut cfg = fastio_devserver::Config::new(_dir.path());
            cfg.api_keys = vec!["demo-key".into()];
            let srv = fastio_devserver::spawn(cfg)?;
            println!("local server: {}", srv.base_url);
            let base = srv.base_url.clone();
            _server = srv;
            (base, "demo-key".to_string(), true)
        }
    };
    let client = Client::new(ClientConfig::with_api_key(&base, key.as_str())?)?;
    let ws = match std::env::var("FASTIO_WORKSPACE") {
        Ok(ws) if !local => ws,
        _ => driver::create_workspace(&client, "demo")?,
    };
    println!("workspace:    {ws}");

    // Webhooks: only a local server can reach a loopback receiver.
    let hook = if local {
        let (url, rx) = receiver()?;
        let sub: WebhookSubscription = driver::call(
            &client,
            &Call::Subscriptions(SubscriptionsCall::Create {
                workspace_id: ws.clone(),
                target_url: url.clone(),
                event_type_subscriptions: vec!["workspace_storage_file_added".into()],
                description: Some("demo receiver".into()),
                rate_limit_per_hour: None,
                family_allowlist: None,
            }),
        )?;
        let secret = sub.secret.ok_or("the subscription returned no secret")?;
        println!("webhook:      subscribed {url}");
        Some((rx, secret))
    } else {
        println!("webhook:      skipped (the real service needs a public HTTPS receiver)");
        None
    };

    // A deterministic multi-chunk file.
    let data: Vec<u8> = (0..SIZE as u64)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let t = Instant::now();
    let mut last = 0;
    let done = driver::upload(
        &client,
        UploadSpec::file("demo.bin", SIZE as u64, ws.clone()),
        &data,
        // The end-to-end check: after storing, the node's hash is compared
        // with the digest of the bytes sent.
        UploadConfig {
            verify_stored: true,
            ..UploadConfig::default()
        },
        |p| {
            if p.chunks_acked != last {
                last = p.chunks_acked;
                println!(
                    "upload:       chunk {}/{} ({} of {} bytes)",
                    p.chunks_acked,
                    p.chunks_total,
                    p.bytes_acked,
                    p.bytes_total.unwrap_or(0)
                );
            }
        },
    )?;
    let secs = t.elapsed().as_secs_f64();
    let node = done.node_id.clone().ok_or("the upload named no node")?;
    println!(
        "upload:       stored node {node}, {} bytes in {secs:.2} s ({:.0} MB/s)",
        done.size,
        done.size as f64 / secs / 1e6
    );
    let digest = done
        .digest
        .as_ref()
        .map(|d| format!("{} {}  ", d.algo(), d.to_hex()));
    println!(
        "              {}crc32c {}  stored: {:?}",
        digest.unwrap_or_default(),
        done.crc32c,
        done.stored
    );

    if let Some((rx, secret)) = hook {
        let (headers, body) = rx
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| "no webhook delivery within 20 s")?;
        let verifier = Verifier::new(
            Scheme::Fastio,
            &[Secret::new(secret.expose())],
            TimestampCheck::Skip,
        )?;
        let delivery = verifier.verify(&headers, &body, driver::now_ms() / 1000)?;
        let event = parse_event(&body)?;
        println!(
            "webhook:      verified {} delivery ({} signature, secret #{}): {}",
            event.name(),
            delivery.scheme.as_str(),
            delivery.secret_index,
            event
                .info()
                .and_then(|i| i.node_id.clone())
                .unwrap_or_default()
        );
        let mut tampered = body.clone();
        tampered.push(b' ');
        let refused = verifier.verify(&headers, &tampered, driver::now_ms() / 1000);
        println!(
            "              a tampered copy is refused: {}",
            refused.err().map(|e| e.to_string()).unwrap_or_default()
        );
    }

    let (end, bytes) = driver::download(&client, &ws, &node)?;
    match end {
        DownloadAction::Done(d) => {
            if bytes != data {
                return Err("the downloaded bytes differ from the upload".into());
            }
            let (algo, hex) = d.checked.unwrap_or_default();
            println!(
                "download:     {} bytes, verified against the server's {algo} {hex}",
                d.size
            );
        }
        DownloadAction::Failed(e) => return Err(e.into()),
        other => return Err(format!("unexpected end: {other:?}").into()),
    }
    println!("done in {:.2} s", started.elapsed().as_secs_f64());
    Ok(())
}
