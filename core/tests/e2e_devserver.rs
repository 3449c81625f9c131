//! End to end: the core's upload and download machines, driven over real HTTP
//! (ureq, several chunk requests truly in flight on threads) against the
//! local Fast.io-compatible server started in-process on 127.0.0.1.

use std::io::Read;

use fastio_core::api::{Call, Client, OrgsCall};
use fastio_core::config::ClientConfig;
use fastio_core::decode::models::{NodeList, OrgList, Workspace};
use fastio_core::download::{Download, DownloadAction, DownloadSpec};
use fastio_core::http::{Body, HttpRequest, HttpResponse};
use fastio_core::upload::{
    Action, RetryPolicy, Upload, UploadConfig, UploadDone, UploadError, UploadSpec,
};
use sha2::{Digest, Sha256};

struct Server {
    srv: fastio_devserver::RunningServer,
    _dir: tempfile::TempDir,
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = fastio_devserver::Config::new(dir.path());
    cfg.api_keys = vec!["e2e-key".into()];
    let srv = fastio_devserver::spawn(cfg).expect("devserver starts");
    Server { srv, _dir: dir }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(120))
        .build()
}

/// Sends a request and returns the whole response.
fn send(agent: &ureq::Agent, req: &HttpRequest) -> Result<HttpResponse, String> {
    let mut r = agent.request(req.method.as_str(), &req.url);
    for (k, v) in &req.headers {
        r = r.set(k, v);
    }
    let body = req.body.encode(&[]).map_err(|e| e.to_string())?;
    let resp = match if matches!(req.body, Body::Empty | Body::Query(_)) {
        r.call()
    } else {
        r.send_bytes(&body)
    } {
        Ok(resp) => resp,
        Err(ureq::Error::Status(_, resp)) => resp,
        Err(e) => return Err(e.to_string()),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .filter_map(|n| resp.header(&n).map(|v| (n.clone(), v.to_string())))
        .collect();
    let mut bytes = Vec::new();
    resp.into_reader()
        .take(64 << 20)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(HttpResponse {
        status,
        headers,
        body: bytes,
    })
}

fn client(s: &Server) -> Client {
    Client::new(ClientConfig::with_api_key(&s.srv.base_url, "e2e-key").unwrap()).unwrap()
}

fn workspace(s: &Server) -> String {
    let c = client(s);
    let a = agent();
    let list = Call::Orgs(OrgsCall::List {
        limit: None,
        offset: None,
    });
    let resp = send(&a, &c.build(&list).unwrap()).unwrap();
    let orgs = c.decode_as::<OrgList>(&list, &resp).unwrap().value;
    let create = Call::Orgs(OrgsCall::CreateWorkspace {
        org_id: orgs.orgs[0].id.clone(),
        folder_name: "e2e".into(),
        name: "End to end".into(),
        perm_join: None,
        perm_member_manage: None,
        intelligence: Some(false),
    });
    let resp = send(&a, &c.build(&create).unwrap()).unwrap();
    c.decode_as::<Workspace>(&create, &resp).unwrap().value.id
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Runs an upload to the end; sends go out in parallel batches.
fn upload(s: &Server, ws: &str, data: &[u8], cfg: UploadConfig) -> Result<UploadDone, UploadError> {
    let mut up = Upload::new(
        client(s),
        UploadSpec::file("e2e.bin", data.len() as u64, ws),
        cfg,
    )?;
    let a = agent();
    let mut batch: Vec<(u64, HttpRequest)> = Vec::new();
    for _ in 0..100_000 {
        match up.next_action(now_ms()) {
            Some(Action::Send { id, request }) => batch.push((id, request)),
            Some(Action::Read { id, offset, len }) => {
                let end = (offset + len).min(data.len() as u64) as usize;
                up.on_data(id, data[offset as usize..end].to_vec(), now_ms())
                    .unwrap();
            }
            Some(Action::Progress(_)) => {}
            Some(Action::Done(d)) => return Ok(d),
            Some(Action::Failed(e)) => return Err(e),
            Some(Action::Wait { until_ms }) if batch.is_empty() => {
                std::thread::sleep(std::time::Duration::from_millis(
                    until_ms.saturating_sub(now_ms()).min(2_000),
                ));
                up.on_timeout(now_ms());
            }
            Some(Action::Wait { .. }) | None => {
                let results: Vec<(u64, Result<HttpResponse, String>)> =
                    std::thread::scope(|scope| {
                        let handles: Vec<_> = batch
                            .drain(..)
                            .map(|(id, req)| {
                                let a = a.clone();
                                scope.spawn(move || (id, send(&a, &req)))
                            })
                            .collect();
                        handles.into_iter().map(|h| h.join().unwrap()).collect()
                    });
                for (id, r) in results {
                    match r {
                        Ok(resp) => up.on_response(id, &resp, now_ms()).unwrap(),
                        Err(e) => up.on_transport_error(id, &e, now_ms()).unwrap(),
                    }
                }
            }
            Some(other) => panic!("{other:?}"),
        }
    }
    panic!("the upload did not end")
}

fn download(s: &Server, ws: &str, node: &str) -> (DownloadAction, Vec<u8>) {
    let mut d = Download::new(
        client(s),
        DownloadSpec::file(ws, node),
        RetryPolicy::default(),
        7,
    );
    let a = agent();
    let mut out = Vec::new();
    for _ in 0..1000 {
        match d.next_action(now_ms()).expect("an action") {
            DownloadAction::Send { id, request } if request.url.contains("/read/") => {
                let resp = a.request("GET", &request.url).call().expect("read");
                d.on_response(id, &HttpResponse::new(resp.status(), Vec::new()), now_ms())
                    .unwrap();
                let mut reader = resp.into_reader();
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = reader.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    out.extend_from_slice(&buf[..n]);
                    d.on_data(id, &buf[..n]).unwrap();
                }
                d.on_end(id).unwrap();
            }
            DownloadAction::Send { id, request } => {
                let resp = send(&a, &request).unwrap();
                d.on_response(id, &resp, now_ms()).unwrap();
            }
            DownloadAction::Wait { until_ms } => {
                std::thread::sleep(std::time::Duration::from_millis(
                    until_ms.saturating_sub(now_ms()).min(2_000),
                ));
                d.on_timeout(now_ms());
            }
            DownloadAction::Progress { .. } => {}
            end => return (end, out),
        }
    }
    panic!("the download did not end")
}

fn data(n: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn uploads_of_every_size_store_and_download_verified() {
    let s = start();
    let ws = workspace(&s);
    for size in [0usize, 1, 4_194_304, 4_194_305, 20 * 1024 * 1024 + 7] {
        let file = data(size);
        let done = upload(&s, &ws, &file, UploadConfig::default())
            .unwrap_or_else(|e| panic!("size {size}: {e}"));
        assert_eq!(done.size, size as u64);
        assert_eq!(done.sha256, hex(&Sha256::digest(&file)));
        let node = done.node_id.clone().expect("a stored node");
        let (end, bytes) = download(&s, &ws, &node);
        match end {
            DownloadAction::Done(d) => {
                assert_eq!(d.sha256, done.sha256, "size {size}");
                assert!(d.checked.is_some(), "the server's hash was checked");
            }
            other => panic!("size {size}: {other:?}"),
        }
        assert_eq!(bytes, file, "size {size}: downloaded bytes are identical");
    }
}

#[test]
fn server_limits_and_faults_are_survived() {
    let s = start();
    let ws = workspace(&s);
    // 503s on a third of chunk requests: retried with backoff until stored.
    let faults = r#"{"seed": 3, "path_contains": "/chunk/", "status_503": 0.3}"#;
    ureq::post(&format!("{}/_dev/faults", s.srv.origin()))
        .set("Content-Type", "application/json")
        .send_string(faults)
        .unwrap();
    let file = data(9 * 1024 * 1024);
    let cfg = UploadConfig {
        fetch_limits: true,
        plan: fastio_core::upload::plan::PlanConfig {
            chunk_size: 1024 * 1024,
            ..Default::default()
        },
        retry: RetryPolicy {
            max_attempts: 10,
            base_ms: 20,
            max_ms: 200,
            ..RetryPolicy::default()
        },
        ..UploadConfig::default()
    };
    let done = upload(&s, &ws, &file, cfg).unwrap();
    assert_eq!(done.sha256, hex(&Sha256::digest(&file)));
}

#[test]
fn a_corrupted_stored_chunk_fails_typed_and_stores_nothing() {
    let s = start();
    let ws = workspace(&s);
    let faults =
        r#"{"path_contains": "/chunk/", "schedule": [{"request": 2, "fault": "corrupt_chunk"}]}"#;
    ureq::post(&format!("{}/_dev/faults", s.srv.origin()))
        .set("Content-Type", "application/json")
        .send_string(faults)
        .unwrap();
    let file = data(10 * 1024 * 1024);
    match upload(&s, &ws, &file, UploadConfig::default()) {
        Err(UploadError::Integrity { expected, computed }) => {
            assert!(expected.is_some() && computed.is_some() && expected != computed);
        }
        other => panic!("expected an integrity failure, got {other:?}"),
    }
    let c = client(&s);
    let list: Call = serde_json::from_value(serde_json::json!(
        {"storage": {"op": "list", "profile": {"workspace": ws}}}
    ))
    .unwrap();
    let resp = send(&agent(), &c.build(&list).unwrap()).unwrap();
    let nodes = c.decode_as::<NodeList>(&list, &resp).unwrap().value.nodes;
    assert!(nodes.is_empty(), "nothing was stored: {nodes:?}");
}
