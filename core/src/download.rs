//! The download machine: find the node's hash (or the hash of the version
//! asked for), get a read token, stream the bytes through a verifier, and
//! report the verified digest or the mismatch.
//!
//! The wire steps follow the official client (fastio_cli
//! src/api/download.rs:73-192 @96b1551): `requestread` takes no parameters,
//! `version_id` goes only on `read`, and the read carries no `Authorization`.
//! A 3xx answer to the read is followed here, by the machine, to its
//! `Location` without credentials (the token in the URL authorises); every
//! other request carries the bearer and fails closed on a 3xx, so hosts must
//! not follow redirects themselves.
//!
//! # Run loop
//!
//! Like the upload machine: pull [`DownloadAction`]s; for `Send`, pass the
//! response to [`Download::on_response`]. A `Send` whose `stream_response` is
//! true is the file itself: pass the status and headers with an empty body to
//! `on_response`, then each piece of the body to [`Download::on_data`] as it
//! arrives (writing it wherever the host keeps the file), then call
//! [`Download::on_end`]. Between pieces, pull `next_action(now)`: it reports
//! progress, and ends a body that arrives slower than
//! [`DEFAULT_MIN_READ_RATE`] on average (see [`Download::set_min_read_rate`]). `Done` means every byte matched the node's hash;
//! `Failed` with a mismatch means the bytes the host wrote must be discarded.

use crate::api::{Call, Client, Profile, StorageCall};
use crate::config::ClientConfig;
use crate::decode::models::{Node, NodeDetails, ReadToken};
use crate::decode::{ApiError, Retry, decode, decode_as};
use crate::hash::{DownloadVerifier, FileDigest, VerifyError};
use crate::http::{HttpRequest, HttpResponse};
use crate::outstanding::{Fed, Outstanding};
use crate::upload::action::{InputError, RequestId, UploadError};
use crate::upload::backoff::{Jitter, RetryPolicy};

/// What to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadSpec {
    /// Workspace or share.
    pub profile: Profile,
    /// The file's node id.
    pub node_id: String,
    /// A specific version; its own hash (from `…/versions/`) is checked.
    pub version_id: Option<String>,
    /// Fail when the server reports no hash for the node. Off by default:
    /// a node with `hash` and `hash_algo` is always verified, one without
    /// ends `Done` with `checked: None` (the official client verifies
    /// nothing, fastio_cli src/api/download.rs:73-120 @96b1551).
    pub require_hash: bool,
}

/// How many redirects of the token read are followed.
pub const MAX_READ_REDIRECTS: u32 = 5;

/// The slowest average rate a file body may arrive at, bytes per second,
/// before the download ends as a transport failure. A body trickling in a
/// byte at a time resets a host's per-read timeout forever; this bound
/// does not reset. 8 KiB/s leaves a 1 GiB file a day and a half.
pub const DEFAULT_MIN_READ_RATE: u64 = 8 * 1024;

impl DownloadSpec {
    /// The current version of a file in a workspace, verified.
    pub fn file(workspace: impl Into<String>, node_id: impl Into<String>) -> Self {
        DownloadSpec {
            profile: Profile::Workspace(workspace.into()),
            node_id: node_id.into(),
            version_id: None,
            require_hash: false,
        }
    }
}

/// The next thing the host must do for a download.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DownloadAction {
    /// Send this request.
    Send {
        /// The request's id.
        id: RequestId,
        /// The request.
        request: HttpRequest,
        /// How the response comes back. `false`: read the whole (small) API
        /// response and pass it to `on_response`. `true`: the body is the
        /// file; pass the head with an empty body to `on_response`, then
        /// stream the body through `on_data` and finish with `on_end`.
        stream_response: bool,
    },
    /// Nothing to do before this time unless an input arrives; then call
    /// `on_timeout(now)`.
    Wait {
        /// Host clock, ms.
        until_ms: u64,
    },
    /// Bytes received so far, and the total when known.
    Progress {
        /// Bytes received.
        bytes: u64,
        /// The node's size.
        total: Option<u64>,
    },
    /// Every byte arrived and matched.
    Done(DownloadDone),
    /// The download failed; discard what was written.
    Failed(UploadError),
}

/// A verified download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadDone {
    /// The node.
    pub node_id: String,
    /// Bytes received.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// CRC32C, 8 lowercase hex digits.
    pub crc32c: String,
    /// The server's digest that was checked: (algorithm, hex).
    pub checked: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Details,
    Versions,
    Token,
    Read,
}

#[derive(Debug)]
enum Phase {
    Details,
    Versions,
    Token,
    Read {
        token: String,
    },
    /// Following a 3xx of the read to this absolute URL.
    Redirect {
        url: String,
    },
    Receiving,
    Finished,
}

/// A download, driven by the host.
#[derive(Debug)]
pub struct Download {
    /// `Err` when the configuration given to [`Download::with_config`] was
    /// unusable; the first action reports it.
    client: Result<Client, crate::config::ConfigError>,
    spec: DownloadSpec,
    retry: RetryPolicy,
    jitter: Jitter,
    request_timeout_ms: u64,
    phase: Phase,
    /// The one outstanding request (a download sends one at a time) and the
    /// ids given up on.
    out: Outstanding<Step>,
    attempts: u32,
    not_before_ms: u64,
    size: Option<u64>,
    verifier: Option<DownloadVerifier>,
    received: u64,
    progress_dirty: bool,
    outcome: Option<DownloadAction>,
    /// The URL of the last read request sent, to resolve a relative
    /// `Location` against.
    read_url: Option<String>,
    redirects: u32,
    /// When the file body began to arrive (host clock, ms).
    receive_started_ms: u64,
    min_read_rate: u64,
}

impl Download {
    /// A download of `spec`, with retries from `retry` and jitter from `seed`.
    pub fn new(client: Client, spec: DownloadSpec, retry: RetryPolicy, seed: u64) -> Self {
        Self::build(Ok(client), spec, retry, seed)
    }

    /// A download with a client made from `config`. It never falls back to
    /// another configuration: when `config` is unusable (a bad base URL) the
    /// first action is `Failed` with [`UploadError::Config`], so hosts whose
    /// constructors cannot fail (WIT resources) still report the cause.
    pub fn with_config(
        config: ClientConfig,
        spec: DownloadSpec,
        retry: RetryPolicy,
        seed: u64,
    ) -> Self {
        Self::build(Client::new(config), spec, retry, seed)
    }

    fn build(
        client: Result<Client, crate::config::ConfigError>,
        spec: DownloadSpec,
        retry: RetryPolicy,
        seed: u64,
    ) -> Self {
        let outcome = match &client {
            Err(e) => Some(DownloadAction::Failed(UploadError::Config(e.clone()))),
            Ok(_) => None,
        };
        Download {
            client,
            spec,
            retry,
            jitter: Jitter::new(seed),
            request_timeout_ms: crate::config::DEFAULT_REQUEST_TIMEOUT_MS,
            phase: Phase::Details,
            out: Outstanding::default(),
            attempts: 0,
            not_before_ms: 0,
            size: None,
            verifier: None,
            received: 0,
            progress_dirty: false,
            outcome,
            read_url: None,
            redirects: 0,
            receive_started_ms: 0,
            min_read_rate: DEFAULT_MIN_READ_RATE,
        }
    }

    /// Sets the slowest average rate (bytes per second) the file body may
    /// arrive at (default [`DEFAULT_MIN_READ_RATE`]; 0 lets it take forever).
    /// The body's deadline is the request timeout plus the file's size (or,
    /// when the size is unknown, the bytes received so far) at that rate.
    pub fn set_min_read_rate(&mut self, bytes_per_s: u64) {
        self.min_read_rate = bytes_per_s;
    }

    /// The moment the file body must have arrived by, while it arrives.
    fn receive_deadline(&self) -> u64 {
        if self.min_read_rate == 0 {
            return u64::MAX;
        }
        let bytes = self.size.unwrap_or(self.received).max(self.received);
        let budget_ms = bytes.saturating_mul(1000) / self.min_read_rate;
        self.receive_started_ms
            .saturating_add(self.request_timeout_ms)
            .saturating_add(budget_ms)
    }

    /// Ends a body that has not arrived by its deadline: the host has written
    /// part of it, so this is final, never retried.
    fn check_receive_deadline(&mut self, now: u64) -> bool {
        if !matches!(self.phase, Phase::Receiving) || now < self.receive_deadline() {
            return false;
        }
        let secs = now.saturating_sub(self.receive_started_ms) / 1000;
        self.fail(UploadError::Api {
            what: "reading the file".into(),
            error: Box::new(ApiError::transport(
                format!(
                    "the body did not arrive in time: {} bytes in {secs} s, below {} bytes/s",
                    self.received, self.min_read_rate
                ),
                false,
            )),
        });
        true
    }

    /// Sets how long a request may go unanswered (default 120 s).
    pub fn set_request_timeout_ms(&mut self, ms: u64) {
        self.request_timeout_ms = ms;
    }

    fn fail(&mut self, e: UploadError) {
        self.out.abandon_all();
        self.outcome = Some(DownloadAction::Failed(e));
    }

    /// The next action.
    #[must_use = "the host must carry out the action"]
    pub fn next_action(&mut self, now: u64) -> Option<DownloadAction> {
        self.check_receive_deadline(now);
        if self.outcome.is_some() {
            // The last progress comes before `Done`; nothing comes after the end.
            if self.progress_dirty && matches!(self.outcome, Some(DownloadAction::Done(_))) {
                self.progress_dirty = false;
                return Some(DownloadAction::Progress {
                    bytes: self.received,
                    total: self.size,
                });
            }
            self.progress_dirty = false;
            self.phase = Phase::Finished;
            return self.outcome.take();
        }
        if matches!(self.phase, Phase::Finished) {
            return None;
        }
        if self.progress_dirty {
            self.progress_dirty = false;
            return Some(DownloadAction::Progress {
                bytes: self.received,
                total: self.size,
            });
        }
        if let Some((_, _, deadline)) = self.current() {
            let until_ms = if matches!(self.phase, Phase::Receiving) {
                self.receive_deadline()
            } else {
                deadline
            };
            return Some(DownloadAction::Wait { until_ms });
        }
        if now < self.not_before_ms {
            return Some(DownloadAction::Wait {
                until_ms: self.not_before_ms,
            });
        }
        let (step, call) = match &self.phase {
            Phase::Details => (
                Step::Details,
                StorageCall::Details {
                    profile: self.spec.profile.clone(),
                    nodes: vec![self.spec.node_id.clone()],
                },
            ),
            Phase::Versions => (
                Step::Versions,
                StorageCall::Versions {
                    profile: self.spec.profile.clone(),
                    node: self.spec.node_id.clone(),
                },
            ),
            Phase::Token => (
                Step::Token,
                StorageCall::RequestRead {
                    profile: self.spec.profile.clone(),
                    node: self.spec.node_id.clone(),
                },
            ),
            Phase::Redirect { url } => {
                let Ok(client) = &self.client else {
                    return None;
                };
                // No credentials: the URL carries its own token.
                let request = HttpRequest {
                    method: crate::http::Method::Get,
                    url: url.clone(),
                    headers: vec![("User-Agent".into(), client.config().user_agent.clone())],
                    body: crate::http::Body::Empty,
                };
                self.read_url = Some(url.clone());
                let id = self
                    .out
                    .insert(Step::Read, now.saturating_add(self.request_timeout_ms));
                return Some(DownloadAction::Send {
                    id,
                    request,
                    stream_response: true,
                });
            }
            Phase::Read { token } => (
                Step::Read,
                StorageCall::Read {
                    profile: self.spec.profile.clone(),
                    node: self.spec.node_id.clone(),
                    token: token.clone(),
                    version_id: self.spec.version_id.clone(),
                },
            ),
            Phase::Receiving | Phase::Finished => return None,
        };
        let client = match &self.client {
            Ok(c) => c,
            Err(e) => {
                self.phase = Phase::Finished;
                return Some(DownloadAction::Failed(UploadError::Config(e.clone())));
            }
        };
        match client.build(&Call::Storage(call)) {
            Ok(request) => {
                if step == Step::Read {
                    self.read_url = Some(request.url.clone());
                }
                let id = self
                    .out
                    .insert(step, now.saturating_add(self.request_timeout_ms));
                Some(DownloadAction::Send {
                    id,
                    request,
                    stream_response: step == Step::Read,
                })
            }
            Err(e) => {
                self.phase = Phase::Finished;
                Some(DownloadAction::Failed(e.into()))
            }
        }
    }

    /// The outstanding request: id, step, deadline.
    fn current(&self) -> Option<(RequestId, Step, u64)> {
        self.out.first().map(|(id, e)| (id, e.kind, e.deadline_ms))
    }

    /// What to answer for `id` when it is not the outstanding request: a late
    /// answer is ignored, anything else is a misuse.
    fn not_outstanding(&self, id: RequestId) -> Result<Fed, InputError> {
        self.out.refuse(id, matches!(self.phase, Phase::Finished))
    }

    /// Takes the outstanding request `id` for its answer, or says what to
    /// answer instead.
    fn take(&mut self, id: RequestId) -> Result<Step, Result<Fed, InputError>> {
        let finished = matches!(self.phase, Phase::Finished);
        self.out.answer(id, finished).map(|e| e.kind)
    }

    /// A response. For the read request, pass the head (status, headers)
    /// with an empty body, then stream the body through [`Download::on_data`].
    pub fn on_response(
        &mut self,
        id: RequestId,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Fed, InputError> {
        let step = match self.take(id) {
            Ok(step) => step,
            Err(answer) => return answer,
        };
        // The first action reports a missing client and finishes the
        // machine, so no request (and no response) exists without one.
        let Ok(client) = &self.client else {
            return Err(InputError::Finished);
        };
        let opts = client.decode_options_with(true);
        match step {
            Step::Details => match decode_as::<NodeDetails>(resp, &opts) {
                Ok(d) => self.on_node(d.value, d.status),
                Err(e) => self.failed(step, e, now),
            },
            Step::Versions => match decode(resp, &opts) {
                Ok(d) => self.on_versions(&d.value),
                Err(e) => self.failed(step, e, now),
            },
            Step::Token => match decode_as::<ReadToken>(resp, &opts) {
                Ok(d) => {
                    self.phase = Phase::Read {
                        token: d.value.token.expose().to_string(),
                    };
                    self.attempts = 0;
                }
                Err(e) => self.failed(step, e, now),
            },
            Step::Read => {
                if (300..400).contains(&resp.status) {
                    self.on_redirect(resp);
                } else if (200..300).contains(&resp.status) {
                    self.phase = Phase::Receiving;
                    self.receive_started_ms = now;
                    // The body flows under the receive deadline, not this one.
                    self.out.reinstate(id, Step::Read, u64::MAX);
                    if !resp.body.is_empty() {
                        let body = resp.body.clone();
                        return self.on_data(id, &body);
                    }
                } else {
                    let e = decode(resp, &opts).err().unwrap_or_else(|| {
                        ApiError::transport(format!("read answered {}", resp.status), true)
                    });
                    self.failed(step, e, now);
                }
            }
        }
        Ok(Fed::Accepted)
    }

    fn on_node(&mut self, details: NodeDetails, status: u16) {
        let node: Node = match details {
            NodeDetails::One { node } => *node,
            NodeDetails::Multi { mut nodes, .. } if !nodes.is_empty() => nodes.remove(0),
            // The id failed: the bulk answer names why, as an API error
            // (all failed is HTTP 404; fastio_cli src/api/storage.rs:1203-1253
            // @96b1551).
            NodeDetails::Multi { errors, .. } if !errors.is_empty() => {
                let first = &errors[0];
                let mut e = ApiError::bare(
                    crate::decode::ErrorKind::Api,
                    Some(status),
                    first
                        .message
                        .clone()
                        .unwrap_or_else(|| "the node's details failed".into()),
                );
                e.code = first.code.clone();
                return self.fail(UploadError::Api {
                    what: "reading the node's details".into(),
                    error: Box::new(e),
                });
            }
            NodeDetails::Multi { .. } => {
                return self.fail(UploadError::Protocol {
                    what: "reading the node's details".into(),
                    message: "no node in the answer".into(),
                });
            }
        };
        if self.spec.version_id.is_some() {
            // The node's hash is the current version's: an older version is
            // checked against its own entry in the version list.
            self.phase = Phase::Versions;
            self.attempts = 0;
            return;
        }
        self.expect(node.size, node.hash.as_deref(), node.hash_algo.as_deref());
    }

    fn on_versions(&mut self, payload: &serde_json::Value) {
        let wanted = self.spec.version_id.as_deref().unwrap_or_default();
        match find_version(payload, wanted) {
            Some(v) => {
                let size = v.get("size").and_then(|n| {
                    n.as_u64()
                        .or_else(|| n.as_str().and_then(|t| t.trim().parse().ok()))
                });
                let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
                self.expect(size, text("hash"), text("hash_algo"));
            }
            None => self.fail(UploadError::Protocol {
                what: "reading the node's versions".into(),
                message: format!("version {wanted} is not in the list"),
            }),
        }
    }

    /// Sets what the bytes must match, then asks for a read token.
    fn expect(&mut self, size: Option<u64>, hash: Option<&str>, algo: Option<&str>) {
        self.size = size;
        let verifier = match (hash, algo) {
            (Some(h), Some(a)) if !h.is_empty() => DownloadVerifier::for_node(h, a),
            _ if self.spec.require_hash => Err(VerifyError::MissingHash),
            _ => Ok(DownloadVerifier::unchecked()),
        };
        match verifier {
            Ok(v) => {
                self.verifier = Some(v);
                self.phase = Phase::Token;
                self.attempts = 0;
            }
            Err(e) => self.fail(e.into()),
        }
    }

    /// A 3xx to the token read: follow `Location` without credentials, at
    /// most [`MAX_READ_REDIRECTS`] times, never from HTTPS down to HTTP.
    fn on_redirect(&mut self, resp: &HttpResponse) {
        let base = self.read_url.clone().unwrap_or_default();
        let refuse = |message: String| UploadError::Protocol {
            what: "following the read's redirect".into(),
            message,
        };
        if self.redirects >= MAX_READ_REDIRECTS {
            return self.fail(refuse(format!("more than {MAX_READ_REDIRECTS} redirects")));
        }
        match crate::redirect::target(&base, resp) {
            Err(e) => self.fail(refuse(e.to_string())),
            Ok(url) => {
                self.redirects += 1;
                self.phase = Phase::Redirect { url };
            }
        }
    }

    fn failed(&mut self, step: Step, e: ApiError, now: u64) {
        let retry = match e.retry {
            Retry::Never if e.status.is_none() => Retry::Backoff,
            r => r,
        };
        let wait = match retry {
            Retry::Never => {
                let what = match step {
                    Step::Details => "reading the node's details",
                    Step::Versions => "reading the node's versions",
                    Step::Token => "requesting a read token",
                    Step::Read => "reading the file",
                };
                return self.fail(UploadError::Api {
                    what: what.into(),
                    error: Box::new(e),
                });
            }
            r => self.retry.rate_limit_wait_ms(r),
        };
        self.attempts += 1;
        if self.attempts >= self.retry.max_attempts {
            return self.fail(UploadError::RetriesExhausted {
                what: format!("{step:?}"),
                attempts: self.attempts,
                last: Box::new(e),
            });
        }
        let delay = wait.unwrap_or_else(|| self.retry.delay_ms(self.attempts, &mut self.jitter));
        self.not_before_ms = now.saturating_add(delay);
    }

    /// A piece of the file's body.
    pub fn on_data(&mut self, id: RequestId, data: &[u8]) -> Result<Fed, InputError> {
        match (&self.phase, self.current()) {
            (Phase::Receiving, Some((pid, Step::Read, _))) if pid == id => {}
            _ => {
                return match self.not_outstanding(id) {
                    Err(InputError::Duplicate(_) | InputError::UnknownId(_)) => {
                        Err(InputError::NotExpectingData(id))
                    }
                    other => other,
                };
            }
        }
        self.received += data.len() as u64;
        if let Some(size) = self.size
            && self.received > size
        {
            self.fail(UploadError::ShortRead {
                offset: 0,
                expected: size,
                got: self.received,
            });
            return Ok(Fed::Accepted);
        }
        if let Some(v) = &mut self.verifier {
            v.update(data);
        }
        self.progress_dirty = true;
        Ok(Fed::Accepted)
    }

    /// The body ended. Verifies size and digest.
    pub fn on_end(&mut self, id: RequestId) -> Result<Fed, InputError> {
        match (&self.phase, self.current()) {
            (Phase::Receiving, Some((pid, Step::Read, _))) if pid == id => {}
            _ => return self.not_outstanding(id),
        }
        // The body is whole: its request is answered.
        let _ = self.out.take(id);
        if let Some(size) = self.size
            && self.received != size
        {
            self.fail(UploadError::ShortRead {
                offset: 0,
                expected: size,
                got: self.received,
            });
            return Ok(Fed::Accepted);
        }
        let Some(v) = self.verifier.take() else {
            self.fail(UploadError::Protocol {
                what: "the download machine".into(),
                message: "no verifier".into(),
            });
            return Ok(Fed::Accepted);
        };
        match v.finish() {
            Ok(done) => {
                let FileDigest {
                    len,
                    sha256,
                    crc32c,
                } = done.file;
                self.outcome = Some(DownloadAction::Done(DownloadDone {
                    node_id: self.spec.node_id.clone(),
                    size: len,
                    sha256: sha256.to_hex(),
                    crc32c: crate::hash::crc32c_hex(crc32c),
                    checked: done
                        .checked
                        .map(|d| (d.algo().as_str().to_string(), d.to_hex())),
                }));
            }
            Err(e) => self.fail(e.into()),
        }
        Ok(Fed::Accepted)
    }

    /// A request failed without a response, or the body broke off.
    pub fn on_transport_error(
        &mut self,
        id: RequestId,
        message: &str,
        now: u64,
    ) -> Result<Fed, InputError> {
        if matches!(self.phase, Phase::Receiving) {
            // Bytes were already handed to the host: a retry would have to
            // restart its file, so the break is final.
            if let Err(answer) = self.take(id) {
                return answer;
            }
            self.fail(UploadError::Api {
                what: "reading the file".into(),
                error: Box::new(ApiError::transport(message, false)),
            });
            return Ok(Fed::Accepted);
        }
        let step = match self.take(id) {
            Ok(step) => step,
            Err(answer) => return answer,
        };
        self.failed(step, ApiError::transport(message, true), now);
        Ok(Fed::Accepted)
    }

    /// Checks the deadline of the outstanding request, and of the file body
    /// while it arrives.
    pub fn on_timeout(&mut self, now: u64) {
        if self.check_receive_deadline(now) {
            return;
        }
        if let Some((_, step, deadline)) = self.current()
            && deadline <= now
            && !matches!(self.phase, Phase::Receiving)
        {
            self.out.expire(now);
            self.failed(
                step,
                ApiError::transport("no response before the deadline", true),
                now,
            );
        }
    }
}

/// The entry of `wanted` in a version list: the array under `versions` (or
/// `results`, `items`), matched by `version_id`, `id` or `version`.
fn find_version<'a>(payload: &'a serde_json::Value, wanted: &str) -> Option<&'a serde_json::Value> {
    let list = ["versions", "results", "items"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(serde_json::Value::as_array))
        .or_else(|| payload.as_array())?;
    list.iter().find(|v| {
        ["version_id", "id", "version"]
            .iter()
            .any(|k| match v.get(*k) {
                Some(serde_json::Value::String(s)) => s == wanted,
                Some(serde_json::Value::Number(n)) => n.to_string() == wanted,
                _ => false,
            })
    })
}
