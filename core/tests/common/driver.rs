//! A small native host: runs the core's upload and download machines over
//! real HTTP with ureq, sending a machine's outstanding requests in parallel
//! on threads. Shared by the end-to-end tests and the `demo` example.

use std::io::Read;
use std::time::Duration;

use fastio_core::api::{Call, Client, OrgsCall};
use fastio_core::decode::models::{OrgList, Workspace};
use fastio_core::download::{Download, DownloadAction, DownloadSpec};
use fastio_core::http::{Body, HttpRequest, HttpResponse};
use fastio_core::upload::{
    Action, Progress, RetryPolicy, Upload, UploadConfig, UploadDone, UploadError, UploadSpec,
};

/// Responses larger than this are cut (the decoder refuses them anyway).
const MAX_BODY: u64 = 64 << 20;

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build()
}

/// The host clock: Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Sends a request and returns the whole response, or the transport error.
pub fn send(agent: &ureq::Agent, req: &HttpRequest) -> Result<HttpResponse, String> {
    let mut r = agent.request(req.method.as_str(), &req.url);
    for (k, v) in &req.headers {
        r = r.set(k, v);
    }
    let body = req.body.encode(&[]).map_err(|e| e.to_string())?;
    let sent = if matches!(req.body, Body::Empty | Body::Query(_)) {
        r.call()
    } else {
        r.send_bytes(&body)
    };
    let resp = match sent {
        Ok(resp) | Err(ureq::Error::Status(_, resp)) => resp,
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
        .take(MAX_BODY)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(HttpResponse {
        status,
        headers,
        body: bytes,
    })
}

/// Sends a call and decodes its typed answer, panicking with the error (for
/// tests and the demo's set-up steps).
pub fn call<T: fastio_core::decode::Model>(client: &Client, call: &Call) -> T {
    let req = client.build(call).expect("the call builds");
    let resp = send(&agent(), &req).expect("the server answers");
    match client.decode_as::<T>(call, &resp) {
        Ok(d) => d.value,
        Err(e) => panic!("{}: {e}", req.url),
    }
}

/// Creates a workspace in the first org.
pub fn create_workspace(client: &Client, folder_name: &str) -> String {
    let orgs: OrgList = call(
        client,
        &Call::Orgs(OrgsCall::List {
            limit: None,
            offset: None,
        }),
    );
    let ws: Workspace = call(
        client,
        &Call::Orgs(OrgsCall::CreateWorkspace {
            org_id: orgs.orgs[0].id.clone(),
            folder_name: folder_name.into(),
            name: folder_name.into(),
            perm_join: None,
            perm_member_manage: None,
            intelligence: Some(false),
            description: None,
        }),
    );
    ws.id
}

/// Runs an upload of `data` to the end.
pub fn upload(
    client: &Client,
    spec: UploadSpec,
    data: &[u8],
    cfg: UploadConfig,
    mut progress: impl FnMut(Progress),
) -> Result<UploadDone, UploadError> {
    let mut up = Upload::new(client.clone(), spec, cfg)?;
    let a = agent();
    let mut batch: Vec<(u64, HttpRequest)> = Vec::new();
    for _ in 0..1_000_000 {
        match up.next_action(now_ms()) {
            Some(Action::Send { id, request }) => batch.push((id, request)),
            Some(Action::Read { id, offset, len }) => {
                let start = (offset as usize).min(data.len());
                let end = (offset + len).min(data.len() as u64) as usize;
                up.on_data(id, data[start..end].to_vec(), now_ms())
                    .expect("the read was asked for");
            }
            Some(Action::Progress(p)) => progress(p),
            Some(Action::Done(d)) => return Ok(d),
            Some(Action::Failed(e)) => return Err(e),
            Some(Action::Wait { until_ms }) if batch.is_empty() => {
                let ms = until_ms.saturating_sub(now_ms()).min(2_000);
                std::thread::sleep(Duration::from_millis(ms));
                up.on_timeout(now_ms());
            }
            Some(Action::Wait { .. }) | None => {
                // Every request the machine has asked for goes out at once.
                let results: Vec<(u64, Result<HttpResponse, String>)> =
                    std::thread::scope(|scope| {
                        let handles: Vec<_> = batch
                            .drain(..)
                            .map(|(id, req)| {
                                let a = a.clone();
                                scope.spawn(move || (id, send(&a, &req)))
                            })
                            .collect();
                        handles
                            .into_iter()
                            .map(|h| h.join().expect("a sender thread"))
                            .collect()
                    });
                for (id, r) in results {
                    let fed = match r {
                        Ok(resp) => up.on_response(id, &resp, now_ms()),
                        Err(e) => up.on_transport_error(id, &e, now_ms()),
                    };
                    fed.expect("the machine knows the request");
                }
            }
            Some(other) => panic!("unexpected action {other:?}"),
        }
    }
    panic!("the upload did not end")
}

/// Downloads a node, streaming it through the machine's verifier.
pub fn download(client: &Client, ws: &str, node: &str) -> (DownloadAction, Vec<u8>) {
    let mut d = Download::new(
        client.clone(),
        DownloadSpec::file(ws, node),
        RetryPolicy::default(),
        7,
    );
    let a = agent();
    let mut out = Vec::new();
    for _ in 0..10_000 {
        match d.next_action(now_ms()).expect("an action until the end") {
            DownloadAction::Send {
                id,
                request,
                stream_response: true,
            } => {
                let resp = match a.request("GET", &request.url).call() {
                    Ok(r) | Err(ureq::Error::Status(_, r)) => r,
                    Err(e) => {
                        d.on_transport_error(id, &e.to_string(), now_ms())
                            .expect("known request");
                        continue;
                    }
                };
                d.on_response(id, &HttpResponse::new(resp.status(), Vec::new()), now_ms())
                    .expect("known request");
                if !(200..300).contains(&resp.status()) {
                    continue;
                }
                let mut reader = resp.into_reader();
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) => {
                            let _ = d.on_end(id);
                            break;
                        }
                        Ok(n) => {
                            out.extend_from_slice(&buf[..n]);
                            if d.on_data(id, &buf[..n]).is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            let _ = d.on_transport_error(id, &e.to_string(), now_ms());
                            break;
                        }
                    }
                }
            }
            DownloadAction::Send { id, request, .. } => match send(&a, &request) {
                Ok(resp) => d.on_response(id, &resp, now_ms()).expect("known request"),
                Err(e) => d
                    .on_transport_error(id, &e, now_ms())
                    .expect("known request"),
            },
            DownloadAction::Wait { until_ms } => {
                let ms = until_ms.saturating_sub(now_ms()).min(2_000);
                std::thread::sleep(Duration::from_millis(ms));
                d.on_timeout(now_ms());
            }
            DownloadAction::Progress { .. } => {}
            end => return (end, out),
        }
    }
    panic!("the download did not end")
}
