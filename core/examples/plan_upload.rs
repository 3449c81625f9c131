//! Prints the exact requests of a planned chunked upload, driving the upload
//! machine against a scripted server that acknowledges everything. No
//! network: it shows what a host would send.
//!
//! ```sh
//! cargo run -p fastio-core --example plan_upload -- \
//!     --base-url http://127.0.0.1:8080/current/ --size 10000000
//! ```

use fastio_core::api::Client;
use fastio_core::config::ClientConfig;
use fastio_core::http::{Body, HttpResponse, Segment};
use fastio_core::upload::{Action, Upload, UploadConfig, UploadSpec};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let base = arg("--base-url").unwrap_or_else(|| "http://127.0.0.1:8080/current/".into());
    let size: u64 = arg("--size")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    let workspace = arg("--workspace").unwrap_or_else(|| "4000000000000000001".into());
    let config = match ClientConfig::with_api_key(&base, "example-key") {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let client = Client::new(config).expect("validated above");
    let spec = UploadSpec::file("example.bin", size, workspace);
    let mut up = match Upload::new(client, spec, UploadConfig::default()) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("cannot plan the upload: {e}");
            std::process::exit(2);
        }
    };
    println!(
        "plan: {}",
        serde_json::to_string(up.plan()).unwrap_or_default()
    );
    let mut now = 0u64;
    let mut polls = 0;
    loop {
        let Some(action) = up.next_action(now) else {
            // Every request is answered at once, so the machine never waits
            // on an input here.
            eprintln!("the machine is waiting on an input that never comes");
            std::process::exit(1);
        };
        match action {
            Action::Read { id, offset, len } => {
                // A deterministic stand-in for the file's bytes.
                let data: Vec<u8> = (offset..offset + len).map(|i| (i % 251) as u8).collect();
                up.on_data(id, data, now).expect("the read was requested");
            }
            Action::Send { id, request } => {
                let len = request.body.content_length();
                let head: String = match request.body.segments().first() {
                    Some(Segment::Owned(b)) => {
                        String::from_utf8_lossy(&b[..b.len().min(120)]).replace("\r\n", "\\r\\n")
                    }
                    _ => String::new(),
                };
                println!("{} {}", request.method, request.url);
                for (k, v) in &request.headers {
                    let v = if k.eq_ignore_ascii_case("authorization") {
                        "Bearer [redacted]"
                    } else {
                        v
                    };
                    println!("    {k}: {v}");
                }
                if !matches!(request.body, Body::Empty) {
                    println!("    body: {len} bytes, starting {head:?}");
                }
                let body = if request.url.contains("/details/") {
                    polls += 1;
                    let status = if polls < 2 { "assembling" } else { "stored" };
                    format!(
                        r#"{{"result":true,"response":{{"session":{{"id":"up1","status":"{status}","new_file_id":"node1"}}}}}}"#
                    )
                } else {
                    r#"{"result":true,"response":{"id":"up1"}}"#.to_string()
                };
                up.on_response(id, &HttpResponse::new(200, body), now)
                    .expect("the request was sent");
            }
            Action::Wait { until_ms } => {
                now = until_ms;
                up.on_timeout(now);
            }
            Action::Progress(p) => println!(
                "progress: {}/{} bytes, {}/{} chunks",
                p.bytes_acked,
                p.bytes_total.unwrap_or(0),
                p.chunks_acked,
                p.chunks_total
            ),
            Action::Done(d) => {
                println!(
                    "done: node {} size {} crc32c {}",
                    d.node_id.unwrap_or_default(),
                    d.size,
                    d.crc32c
                );
                break;
            }
            Action::Failed(e) => {
                eprintln!("failed: {e}");
                std::process::exit(1);
            }
            other => println!("{other:?}"),
        }
    }
}
