//! The core driven natively: blocking HTTP (ureq, plain `http://` — the
//! local server and the demo), every request a machine has handed out sent
//! at once on scoped threads, the clock. The core decides everything; this
//! crate does the I/O the machines ask for, and is the host of the native
//! demo (`cargo run -p fastio-native --example demo`) and of the end-to-end
//! tests of the machines against the local server.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::io::Read;
use std::time::Duration;

use fastio_core::api::{BuildError, Call, Client, OrgsCall};
use fastio_core::decode::ApiError;
use fastio_core::decode::models::{OrgList, Workspace};
use fastio_core::download::{Download, DownloadAction, DownloadSpec};
use fastio_core::http::{Body, HttpRequest, HttpResponse};
use fastio_core::upload::{
    Action, InputError, Progress, RetryPolicy, Upload, UploadConfig, UploadDone, UploadError,
    UploadSpec,
};

/// Responses larger than this are cut (the decoder refuses them anyway).
const MAX_BODY: u64 = 64 << 20;

/// The most actions one upload or download may take before the host gives
/// up on it: a machine always ends, so reaching this is a bug, not a wait.
const ACTION_BUDGET: u32 = 1_000_000;

/// The longest the host sleeps before asking the machine again, so a clock
/// jump cannot park it for long.
const MAX_SLEEP_MS: u64 = 2_000;

/// Why a run of this host stopped without the machine's own answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// The upload ended in the core's typed failure.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// The server refused a call, or its answer could not be read.
    #[error("{url}: {error}")]
    Api {
        /// The request's URL.
        url: String,
        /// The core's decoded error.
        error: Box<ApiError>,
    },
    /// A call could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A request got no answer.
    #[error("{url}: {message}")]
    Transport {
        /// The request's URL.
        url: String,
        /// What the transport said.
        message: String,
    },
    /// The machine refused an input of this host: a bug in the host.
    #[error("the core refused an input: {0}")]
    Misuse(#[from] InputError),
    /// A machine neither ended nor waited within the action budget.
    #[error("the {0} did not end within {ACTION_BUDGET} actions")]
    NoEnd(&'static str),
    /// The credential reaches no organisation to create a workspace in.
    #[error("the credential reaches no organisation")]
    NoOrganisation,
    /// The machine handed out an action this host does not know.
    #[error("an action this host does not know: {0}")]
    UnknownAction(String),
    /// A thread sending a request panicked.
    #[error("a sender thread stopped")]
    Sender,
}

/// A blocking HTTP agent with a generous overall timeout (the core's own
/// deadlines govern requests; this only bounds a stuck socket).
pub fn agent() -> ureq::Agent {
    // Redirects are the core's decision: a 3xx comes back as the answer,
    // never followed with the request's credentials attached.
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .redirects(0)
        .build()
}

/// The host clock: Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
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

/// Sends a call and decodes its typed answer.
pub fn call<T: fastio_core::decode::Model>(client: &Client, call: &Call) -> Result<T, HostError> {
    let req = client.build(call)?;
    let resp = send(&agent(), &req).map_err(|message| HostError::Transport {
        url: req.url.clone(),
        message,
    })?;
    client
        .decode_as::<T>(call, &resp)
        .map(|d| d.value)
        .map_err(|e| HostError::Api {
            url: req.url,
            error: Box::new(e),
        })
}

/// Creates a workspace (named and foldered `folder_name`) in the first
/// organisation the credential reaches; returns its id.
pub fn create_workspace(client: &Client, folder_name: &str) -> Result<String, HostError> {
    let orgs: OrgList = call(
        client,
        &Call::Orgs(OrgsCall::List {
            limit: None,
            offset: None,
        }),
    )?;
    let Some(org) = orgs.orgs.first() else {
        return Err(HostError::NoOrganisation);
    };
    let ws: Workspace = call(
        client,
        &Call::Orgs(OrgsCall::CreateWorkspace {
            org_id: org.id.clone(),
            folder_name: folder_name.into(),
            name: folder_name.into(),
            perm_join: None,
            perm_member_manage: None,
            intelligence: Some(false),
            description: None,
        }),
    )?;
    Ok(ws.id)
}

/// Sleeps until `until_ms` (at most [`MAX_SLEEP_MS`]).
fn sleep_until(until_ms: u64) {
    let ms = until_ms.saturating_sub(now_ms()).min(MAX_SLEEP_MS);
    std::thread::sleep(Duration::from_millis(ms));
}

/// Runs an upload of `data` to the end; `progress` sees every acknowledged
/// chunk. The machine's resume tokens are not kept: `data` is in memory, so
/// there is nothing to resume from after this process.
pub fn upload(
    client: &Client,
    spec: UploadSpec,
    data: &[u8],
    cfg: UploadConfig,
    mut progress: impl FnMut(Progress),
) -> Result<UploadDone, HostError> {
    let mut up = Upload::new(client.clone(), spec, cfg)?;
    let a = agent();
    let mut batch: Vec<(u64, HttpRequest)> = Vec::new();
    for _ in 0..ACTION_BUDGET {
        match up.next_action(now_ms()) {
            Some(Action::Send { id, request }) => batch.push((id, request)),
            Some(Action::Read { id, offset, len }) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                let end = usize::try_from(offset.saturating_add(len))
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                up.on_data(id, data[start..end].to_vec(), now_ms())?;
            }
            Some(Action::Progress(p)) => progress(p),
            Some(Action::Persist { .. }) => {}
            Some(Action::Done(d)) => return Ok(d),
            Some(Action::Failed(e)) => return Err(e.into()),
            Some(Action::Wait { until_ms }) if batch.is_empty() => {
                sleep_until(until_ms);
                up.on_timeout(now_ms());
            }
            Some(Action::Wait { .. }) | None => {
                // Every request the machine has asked for goes out at once.
                let results = std::thread::scope(|scope| {
                    let handles: Vec<_> = batch
                        .drain(..)
                        .map(|(id, req)| {
                            let a = a.clone();
                            scope.spawn(move || (id, send(&a, &req)))
                        })
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().map_err(|_| HostError::Sender))
                        .collect::<Result<Vec<_>, _>>()
                })?;
                for (id, r) in results {
                    // A late answer is `Fed::Ignored`: nothing to do.
                    match r {
                        Ok(resp) => up.on_response(id, &resp, now_ms())?,
                        Err(e) => up.on_transport_error(id, &e, now_ms())?,
                    };
                }
            }
            // `Action` may grow: a new action this host does not know is a
            // bug in the host, reported rather than skipped.
            Some(other) => return Err(HostError::UnknownAction(format!("{other:?}"))),
        }
    }
    Err(HostError::NoEnd("upload"))
}

/// Downloads a node, streaming it through the machine's verifier; returns the
/// machine's last action (`Done` or `Failed`) and the bytes received. Bytes
/// of a failed download must be thrown away.
pub fn download(
    client: &Client,
    ws: &str,
    node: &str,
) -> Result<(DownloadAction, Vec<u8>), HostError> {
    let mut d = Download::new(
        client.clone(),
        DownloadSpec::file(ws, node),
        RetryPolicy::default(),
        7,
    );
    let a = agent();
    let mut out = Vec::new();
    for _ in 0..ACTION_BUDGET {
        let Some(action) = d.next_action(now_ms()) else {
            // Requests go out one at a time here, so the machine always has
            // something to say; silence would loop forever.
            return Err(HostError::NoEnd("download"));
        };
        match action {
            DownloadAction::Send {
                id,
                request,
                stream_response: true,
            } => {
                let resp = match a.request("GET", &request.url).call() {
                    Ok(r) | Err(ureq::Error::Status(_, r)) => r,
                    Err(e) => {
                        d.on_transport_error(id, &e.to_string(), now_ms())?;
                        continue;
                    }
                };
                d.on_response(id, &HttpResponse::new(resp.status(), Vec::new()), now_ms())?;
                if !(200..300).contains(&resp.status()) {
                    continue;
                }
                stream_body(&mut d, id, resp.into_reader(), &mut out);
            }
            DownloadAction::Send { id, request, .. } => match send(&a, &request) {
                Ok(resp) => {
                    d.on_response(id, &resp, now_ms())?;
                }
                Err(e) => {
                    d.on_transport_error(id, &e, now_ms())?;
                }
            },
            DownloadAction::Wait { until_ms } => {
                sleep_until(until_ms);
                d.on_timeout(now_ms());
            }
            DownloadAction::Progress { .. } => {}
            end => return Ok((end, out)),
        }
    }
    Err(HostError::NoEnd("download"))
}

/// Feeds a streamed body to the download machine piece by piece. A refused
/// piece (the machine has already failed the download) ends the stream: the
/// machine's next action says why.
fn stream_body(d: &mut Download, id: u64, mut reader: impl Read, out: &mut Vec<u8>) {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => {
                let _ = d.on_end(id);
                return;
            }
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if d.on_data(id, &buf[..n]).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = d.on_transport_error(id, &e.to_string(), now_ms());
                return;
            }
        }
    }
}
