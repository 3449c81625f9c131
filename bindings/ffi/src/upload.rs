//! Upload planning and the upload session, wrapped for the FFI. The machine is
//! `&mut`; the object holds it in a Mutex so every method works through `&self`
//! and several threads may feed it (one at a time).

use std::sync::{Arc, Mutex, MutexGuard};

use fastio_core::api::Profile;
use fastio_core::hash::HashAlgo;
use fastio_core::upload::plan::{PlanConfig, UploadPlan, plan};
use fastio_core::upload::{
    Action, ResumeToken, RetryPolicy, Upload as CoreUpload, UploadConfig, UploadSpec,
};

use crate::error::{FastioError, Result, invalid, usage};
use crate::http::{CoreClient, Request, Response};
use crate::surface::Fed;

/// Where a file goes or comes from: a workspace or a share, by id.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Target {
    Workspace { id: String },
    Share { id: String },
}

impl From<Target> for Profile {
    fn from(t: Target) -> Self {
        match t {
            Target::Workspace { id } => Profile::Workspace(id),
            Target::Share { id } => Profile::Share(id),
        }
    }
}

/// Chunking limits, as `/upload/limits/` or the configuration gives them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanLimits {
    pub single_request_max: u64,
    pub chunk_size: u64,
    pub max_chunks: Option<u64>,
    pub max_file_size: Option<u64>,
    pub max_in_flight: u32,
}

impl From<PlanLimits> for PlanConfig {
    fn from(l: PlanLimits) -> Self {
        PlanConfig {
            single_request_max: l.single_request_max,
            chunk_size: l.chunk_size,
            max_chunks: l.max_chunks,
            max_file_size: l.max_file_size,
            max_in_flight: l.max_in_flight,
        }
    }
}

impl From<PlanConfig> for PlanLimits {
    fn from(c: PlanConfig) -> Self {
        PlanLimits {
            single_request_max: c.single_request_max,
            chunk_size: c.chunk_size,
            max_chunks: c.max_chunks,
            max_file_size: c.max_file_size,
            max_in_flight: c.max_in_flight,
        }
    }
}

/// The limits used when the server reports none.
#[uniffi::export]
pub fn default_plan_limits() -> PlanLimits {
    PlanConfig::default().into()
}

/// The limits from a decoded `/upload/limits/` payload (JSON), falling back
/// to `fallback` for anything it does not say.
#[uniffi::export]
pub fn plan_limits_from_server(limits_json: String, fallback: PlanLimits) -> Result<PlanLimits> {
    let v: serde_json::Value = serde_json::from_str(&limits_json)
        .map_err(|e| invalid("invalid_json", format!("limits: {e}")))?;
    Ok(PlanConfig::from_limits(&v, &fallback.into()).into())
}

/// An upload plan. `json` is the plan exactly as it serialises (the form in
/// `tests/vectors/upload/plans.json` and in resume tokens).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PlanInfo {
    pub json: String,
    pub size: Option<u64>,
    pub chunk_count: u64,
    pub max_in_flight: u32,
}

/// One chunk: 1-based `order`, byte `offset`, `len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ChunkInfo {
    pub order: u64,
    pub offset: u64,
    pub len: u64,
}

fn info(p: &UploadPlan) -> Result<PlanInfo> {
    Ok(PlanInfo {
        json: serde_json::to_string(p)
            .map_err(|e| invalid("invalid_argument", format!("plan: {e}")))?,
        size: p.size(),
        chunk_count: p.chunk_count(),
        max_in_flight: p.max_in_flight(),
    })
}

/// Plans a file of `size` bytes: one request, or equal chunks.
#[uniffi::export]
pub fn plan_upload(size: u64, limits: PlanLimits) -> Result<PlanInfo> {
    info(&plan(size, &limits.into())?)
}

/// Plans a stream of unknown length, at most `max_size` bytes when given.
#[uniffi::export]
pub fn plan_stream(max_size: Option<u64>, limits: PlanLimits) -> Result<PlanInfo> {
    info(&UploadPlan::stream(max_size, &limits.into())?)
}

/// Chunk `order` (1-based) of a plan given as its JSON; `None` past the end.
#[uniffi::export]
pub fn plan_chunk(plan_json: String, order: u64) -> Result<Option<ChunkInfo>> {
    let p: UploadPlan = serde_json::from_str(&plan_json)
        .map_err(|e| invalid("invalid_json", format!("plan: {e}")))?;
    Ok(p.chunk(order).map(|c| ChunkInfo {
        order: c.order,
        offset: c.offset,
        len: c.len,
    }))
}

/// What to upload. `size` is `None` for a stream of unknown length;
/// `target` `None` creates an unplaced session that `place_in` places.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UploadRequest {
    pub name: String,
    pub size: Option<u64>,
    pub target: Option<Target>,
    #[uniffi(default = "root")]
    pub folder_id: String,
    #[uniffi(default = None)]
    pub place_in: Option<Placement>,
}

/// A (workspace, folder) to add a stored file to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Placement {
    pub workspace: String,
    pub folder: String,
}

/// How the upload behaves; `None` keeps the core's default.
#[derive(Debug, Clone, PartialEq, Eq, Default, uniffi::Record)]
pub struct UploadOptions {
    #[uniffi(default = None)]
    pub limits: Option<PlanLimits>,
    /// `md5`, `sha1`, `sha256`, `sha384`, `crc32c` or `none`.
    #[uniffi(default = None)]
    pub chunk_algo: Option<String>,
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    #[uniffi(default = None)]
    pub backoff_base_ms: Option<u64>,
    #[uniffi(default = None)]
    pub backoff_max_ms: Option<u64>,
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<u64>,
    #[uniffi(default = None)]
    pub poll_wait_s: Option<u32>,
    #[uniffi(default = None)]
    pub max_polls: Option<u32>,
    #[uniffi(default = None)]
    pub stream_max_size: Option<u64>,
    /// Seed for backoff jitter (the core takes no randomness of its own).
    #[uniffi(default = None)]
    pub seed: Option<u64>,
    /// Ask the server's `GET /upload/limits/` first (the machine's first
    /// `Send`) and plan with its answer; `limits` applies where it says
    /// nothing, and a refused or hostile answer leaves `limits` as given.
    #[uniffi(default = false)]
    pub fetch_limits: bool,
    /// Hand out `Persist` actions with the resume token whenever it must be
    /// saved.
    #[uniffi(default = false)]
    pub persist_token: bool,
    /// A whole-file digest to compute and report in `Done` (`md5`, `sha1`,
    /// `sha256`, `sha384`); none by default, since the server checks only the
    /// CRC32C and any other digest costs CPU on every byte.
    #[uniffi(default = None)]
    pub file_digest: Option<String>,
    /// After storing, compare the stored node's `hash` with the digest of the
    /// bytes read (in `file_digest`, else MD5, what the service stores).
    #[uniffi(default = false)]
    pub verify_stored: bool,
    /// The host keeps the bytes of each chunk it reads (or can read them
    /// again) and writes them where a chunk request has a `BodyPart.Source`:
    /// the bytes then cross into the core once and are not copied back out.
    #[uniffi(default = false)]
    pub host_keeps_chunks: bool,
}

pub(crate) fn retry_policy(
    max_attempts: Option<u32>,
    base: Option<u64>,
    max: Option<u64>,
) -> RetryPolicy {
    let mut r = RetryPolicy::default();
    if let Some(v) = max_attempts {
        r.max_attempts = v;
    }
    if let Some(v) = base {
        r.base_ms = v;
    }
    if let Some(v) = max {
        r.max_ms = v;
    }
    r
}

fn config(o: UploadOptions) -> Result<UploadConfig> {
    let mut c = UploadConfig::default();
    if let Some(l) = o.limits {
        c.plan = l.into();
    }
    if let Some(a) = o.chunk_algo {
        c.chunk_algo = if a == "none" {
            None
        } else {
            Some(HashAlgo::parse(&a).map_err(|e| invalid("invalid_argument", e.to_string()))?)
        };
    }
    c.retry = retry_policy(o.max_attempts, o.backoff_base_ms, o.backoff_max_ms);
    if let Some(v) = o.request_timeout_ms {
        c.request_timeout_ms = v;
    }
    if let Some(v) = o.poll_wait_s {
        c.poll_wait_s = v;
    }
    if let Some(v) = o.max_polls {
        c.max_polls = v;
    }
    c.stream_max_size = o.stream_max_size;
    if let Some(v) = o.seed {
        c.seed = v;
    }
    c.fetch_limits = o.fetch_limits;
    c.persist_token = o.persist_token;
    c.file_digest = o
        .file_digest
        .map(|a| HashAlgo::parse(&a).map_err(|e| invalid("invalid_argument", e.to_string())))
        .transpose()?;
    c.verify_stored = o.verify_stored;
    c.host_keeps_chunks = o.host_keeps_chunks;
    Ok(c)
}

/// Upload progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Progress {
    pub bytes_acked: u64,
    pub bytes_total: Option<u64>,
    pub chunks_acked: u64,
    pub chunks_total: u64,
}

impl From<fastio_core::upload::Progress> for Progress {
    fn from(p: fastio_core::upload::Progress) -> Self {
        Progress {
            bytes_acked: p.bytes_acked,
            bytes_total: p.bytes_total,
            chunks_acked: p.chunks_acked,
            chunks_total: p.chunks_total,
        }
    }
}

/// The next thing the host must do for an upload. A failure is not an
/// action: `next_action` returns it as an error, after which the upload is over.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum UploadAction {
    /// Send the request; answer with `on_response(id, …)` or
    /// `on_transport_error(id, …)`.
    Send { id: u64, request: Request },
    /// Read `len` bytes at `offset` and pass them to `on_data(id, …)`.
    Read { id: u64, offset: u64, len: u64 },
    /// Nothing to do before `until_ms` unless an answer arrives; then call `on_timeout`.
    Wait { until_ms: u64 },
    /// Save this resume token (JSON) durably, replacing the last one (write
    /// beside, flush, rename over); then pull again. Only with
    /// `persist_token`. After `Done` the saved token is obsolete.
    Persist { token_json: String },
    /// Progress to show.
    Progress { progress: Progress },
    /// The file is stored.
    Done {
        upload_id: Option<String>,
        node_id: Option<String>,
        size: u64,
        /// Whole-file CRC32C, 8 lowercase hex digits.
        crc32c: String,
        /// The digest asked for (`file_digest` or `verify_stored`), when
        /// every byte went through it.
        digest: Option<UploadDigest>,
        /// What the check against the stored node found.
        stored: StoredCheck,
    },
}

/// A whole-file digest.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UploadDigest {
    /// `md5`, `sha1`, `sha256`, `sha384` or `crc32c`.
    pub algo: String,
    /// Lowercase hex.
    pub hex: String,
}

/// The end-to-end check against the stored node (`verify_stored`); a node
/// whose hash differs ends the upload with an `Integrity` error instead.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum StoredCheck {
    NotAsked,
    Matched,
    /// Asked for but not possible, and why; the file is stored.
    Unavailable {
        reason: String,
    },
}

impl From<fastio_core::upload::StoredCheck> for StoredCheck {
    fn from(c: fastio_core::upload::StoredCheck) -> Self {
        use fastio_core::upload::StoredCheck as C;
        match c {
            C::Matched => StoredCheck::Matched,
            C::Unavailable { reason } => StoredCheck::Unavailable { reason },
            _ => StoredCheck::NotAsked,
        }
    }
}

/// An upload session driven by the host (see the run loop in the core's
/// `upload::machine` docs).
#[derive(uniffi::Object)]
pub struct Upload {
    inner: Mutex<CoreUpload>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Upload")
    }
}

impl Upload {
    fn lock(&self) -> MutexGuard<'_, CoreUpload> {
        // A panic while holding the lock cannot leave the machine half-updated
        // in a way the next call would misread worse than refusing; recover it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[uniffi::export]
impl Upload {
    /// A new upload of `request` through `client`.
    #[uniffi::constructor]
    pub fn new(
        client: Arc<CoreClient>,
        request: UploadRequest,
        options: UploadOptions,
    ) -> Result<Arc<Self>> {
        let spec = UploadSpec {
            name: request.name,
            size: request.size,
            target: request.target.map(Into::into),
            folder_id: request.folder_id,
            add_to: request.place_in.map(|p| (p.workspace, p.folder)),
        };
        let up = CoreUpload::new(client.inner.clone(), spec, config(options)?)?;
        Ok(Arc::new(Upload {
            inner: Mutex::new(up),
        }))
    }

    /// Continues an upload from a resume token (JSON from `snapshot`). The
    /// first request asks the server which chunks it already holds.
    #[uniffi::constructor]
    pub fn resume(
        client: Arc<CoreClient>,
        token_json: String,
        options: UploadOptions,
    ) -> Result<Arc<Self>> {
        let token = ResumeToken::from_json(&token_json)
            .map_err(|e| invalid("invalid_argument", format!("resume token: {e}")))?;
        let up = CoreUpload::resume(client.inner.clone(), &token, config(options)?)?;
        Ok(Arc::new(Upload {
            inner: Mutex::new(up),
        }))
    }

    /// The next action, `None` when waiting for an answer. A failed upload
    /// returns its error once; afterwards there is nothing more to do.
    pub fn next_action(&self, now_ms: u64) -> Result<Option<UploadAction>> {
        let action = self.lock().next_action(now_ms);
        Ok(match action {
            None => None,
            Some(Action::Send { id, request }) => Some(UploadAction::Send {
                id,
                request: Request::from(&request),
            }),
            Some(Action::Read { id, offset, len }) => Some(UploadAction::Read { id, offset, len }),
            Some(Action::Wait { until_ms }) => Some(UploadAction::Wait { until_ms }),
            Some(Action::Persist { token }) => Some(UploadAction::Persist {
                token_json: token.to_json(),
            }),
            Some(Action::Progress(p)) => Some(UploadAction::Progress { progress: p.into() }),
            Some(Action::Done(d)) => Some(UploadAction::Done {
                upload_id: d.upload_id,
                node_id: d.node_id,
                size: d.size,
                crc32c: d.crc32c,
                digest: d.digest.map(|g| UploadDigest {
                    algo: g.algo().as_str().to_string(),
                    hex: g.to_hex(),
                }),
                stored: d.stored.into(),
            }),
            Some(Action::Failed(e)) => return Err(FastioError::from(e)),
            Some(_) => {
                return Err(usage(
                    "the core asked for an action this binding does not know",
                ));
            }
        })
    }

    /// The response to a `Send`.
    pub fn on_response(&self, id: u64, response: Response, now_ms: u64) -> Result<Fed> {
        Ok(self
            .lock()
            .on_response(id, &response.into(), now_ms)?
            .into())
    }

    /// Bytes for a `Read` (fewer than asked: the source ended), or a piece of
    /// a streamed body.
    ///
    /// Taken by reference: UniFFI lifts an owned `Vec<u8>` one byte at a
    /// time, which cost more CPU than the whole upload otherwise did; a
    /// borrowed slice arrives as it is and is copied here once.
    pub fn on_data(&self, id: u64, data: &[u8], now_ms: u64) -> Result<Fed> {
        Ok(self.lock().on_data(id, data.to_vec(), now_ms)?.into())
    }

    /// A `Send` that got no response.
    pub fn on_transport_error(&self, id: u64, message: String, now_ms: u64) -> Result<Fed> {
        Ok(self.lock().on_transport_error(id, &message, now_ms)?.into())
    }

    /// The time of a `Wait` has come.
    pub fn on_timeout(&self, now_ms: u64) {
        self.lock().on_timeout(now_ms)
    }

    /// Stops the upload; the next actions cancel the session on the server.
    pub fn cancel(&self) {
        self.lock().cancel()
    }

    /// A resume token (JSON) for a chunked upload whose session exists.
    pub fn snapshot(&self) -> Option<String> {
        self.lock().snapshot().map(|t| t.to_json())
    }

    /// Progress so far.
    pub fn progress(&self) -> Progress {
        self.lock().progress().into()
    }

    /// The plan the upload follows.
    pub fn plan(&self) -> Result<PlanInfo> {
        info(self.lock().plan())
    }

    /// The server's session id, once created.
    pub fn upload_id(&self) -> Option<String> {
        self.lock().upload_id().map(str::to_owned)
    }

    /// True once the upload is stored, failed or cancelled.
    pub fn is_finished(&self) -> bool {
        self.lock().is_finished()
    }
}
