//! Conversions between the core's types and the WIT types of `wit/`.
//!
//! Two crates compile this one file: the component (guest types from
//! `wit-bindgen`) and the wasmtime host's native engine (host types from
//! `wasmtime::component::bindgen!`). Both generators give the WIT's records
//! and variants the same Rust names and fields, so one text serves both, and
//! the native engine cannot drift from what the component answers. Each crate
//! names its generated `fastio:core` interfaces `crate::wit`.

use fastio_core::api::Client;
use fastio_core::config::{ChunkParams as CoreChunkParams, ClientConfig, Credential as CoreCred};
use fastio_core::decode::{
    ApiError as CoreApiError, DecodeOptions, NamedDecodeError, Retry as CoreRetry,
};
use fastio_core::download::DownloadAction as CoreDownloadAction;
use fastio_core::hash::HashAlgo as CoreAlgo;
use fastio_core::http::{
    HttpRequest as CoreRequest, HttpResponse as CoreResponse, Method as CoreMethod, Segment,
};
use fastio_core::pager::{Page as CorePage, PageError};
use fastio_core::secret::Secret;
use fastio_core::upload::plan::{
    PlanConfig as CorePlanConfig, PlanError as CorePlanError, UploadPlan as CorePlan,
};
use fastio_core::upload::{
    Action as CoreAction, Fed as CoreFed, InputError as CoreInputError, Progress as CoreProgress,
    StoredCheck as CoreStoredCheck, UploadConfig, UploadError as CoreUploadError,
};
use fastio_core::webhook::WebhookError as CoreWebhookError;

use crate::wit::requests::{
    CoreDefaults as Defaults, DecodeOptions as WitDecodeOptions, Decoded, Page,
};
use crate::wit::types::{
    ApiError, BodySegment, ChunkParams, ClientConfig as WitConfig, Credential, Error, ExternalPart,
    Header, HttpRequest, HttpResponse, Method, Retry, SourceRange,
};
use crate::wit::uploads::{
    Action, ChunkedPlan, ChunksOverMax, DownloadAction, DownloadDone, DownloadProgress,
    DownloadSend, Fed, FileDigest, HashAlgo, InputError, IntegrityFailure, PlanConfig, PlanError,
    Progress, ReadRequest, SendRequest, SizeOverMax, StepError, StoredCheck, StoredMismatch,
    UploadDone, UploadError, UploadOptions, UploadPlan,
};
use crate::wit::webhooks::WebhookError;

/// The core's configuration for a WIT one, unchecked: `Client::new` (or a
/// machine built from the configuration) validates it.
pub(crate) fn client_config(cfg: &WitConfig) -> ClientConfig {
    let mut c = ClientConfig {
        base_url: cfg.base_url.clone(),
        credential: cfg.credential.as_ref().map(|c| match c {
            Credential::ApiKey(k) => CoreCred::ApiKey(Secret::new(k.clone())),
            Credential::Jwt(k) => CoreCred::Jwt(Secret::new(k.clone())),
            Credential::Oauth(k) => CoreCred::OAuth(Secret::new(k.clone())),
        }),
        chunk_params: match cfg.chunk_params {
            ChunkParams::Query => CoreChunkParams::Query,
            ChunkParams::Form => CoreChunkParams::Form,
        },
        ..ClientConfig::default()
    };
    if let Some(ua) = &cfg.user_agent {
        c.user_agent = ua.clone();
    }
    if let Some(max) = cfg.max_response_bytes {
        c.max_response_bytes = usize::try_from(max).unwrap_or(usize::MAX);
    }
    c
}

/// A client for a WIT configuration, or why it is unusable.
pub(crate) fn client(cfg: &WitConfig) -> Result<Client, String> {
    Client::new(client_config(cfg)).map_err(|e| e.to_string())
}

fn method(m: CoreMethod) -> Method {
    match m {
        CoreMethod::Get => Method::Get,
        CoreMethod::Post => Method::Post,
        CoreMethod::Put => Method::Put,
        CoreMethod::Patch => Method::Patch,
        CoreMethod::Delete => Method::Delete,
        CoreMethod::Head => Method::Head,
        // `Method` is non-exhaustive; a new method would surface as GET in
        // an old build rather than a trap.
        _ => Method::Get,
    }
}

pub(crate) fn request(r: CoreRequest) -> HttpRequest {
    let content_length = (!r.body.is_streamed()).then(|| r.body.content_length());
    let body = r
        .body
        .segments()
        .into_iter()
        .map(|s| match s {
            Segment::Owned(b) => BodySegment::Bytes(b),
            Segment::Borrowed(b) => BodySegment::Bytes(b.to_vec()),
            Segment::External { index, len } => BodySegment::External(ExternalPart {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                len,
            }),
            Segment::Source { offset, len } => BodySegment::Source(SourceRange { offset, len }),
        })
        .collect();
    HttpRequest {
        method: method(r.method),
        url: r.url,
        headers: headers(r.headers),
        body,
        content_length,
    }
}

pub(crate) fn response(r: HttpResponse) -> CoreResponse {
    CoreResponse {
        status: r.status,
        headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
        body: r.body,
    }
}

pub(crate) fn headers(pairs: Vec<(String, String)>) -> Vec<Header> {
    pairs
        .into_iter()
        .map(|(name, value)| Header { name, value })
        .collect()
}

pub(crate) fn api_error(e: &CoreApiError) -> ApiError {
    let kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    ApiError {
        kind,
        status: e.status,
        code: e.code.clone(),
        error_code: e.error_code.clone(),
        message: e.message.clone(),
        retry: match e.retry {
            CoreRetry::Never => Retry::Never,
            CoreRetry::Backoff => Retry::Backoff,
            CoreRetry::At { unix_s } => Retry::At(unix_s),
            CoreRetry::After { seconds } => Retry::After(seconds),
            _ => Retry::Never,
        },
        detail_json: serde_json::to_string(e).unwrap_or_default(),
    }
}

/// Decodes a response, as `requests.decode` does.
// The error is the WIT's own record, returned as the interface declares it.
#[allow(clippy::result_large_err)]
pub(crate) fn decode(r: HttpResponse, options: &WitDecodeOptions) -> Result<Decoded, ApiError> {
    let opts = DecodeOptions {
        max_body_bytes: usize::try_from(options.max_body_bytes).unwrap_or(usize::MAX),
        resendable: options.resendable,
    };
    fastio_core::decode::decode(&response(r), &opts)
        .map(|d| Decoded {
            status: d.status,
            value_json: serde_json::to_string(&d.value).unwrap_or_default(),
        })
        .map_err(|e| api_error(&e))
}

/// Decodes a response as a named model (the core's table of names).
// The error is the WIT's own variant, returned as the component returns it.
#[allow(clippy::result_large_err)]
pub(crate) fn decode_as(
    target: &str,
    r: HttpResponse,
    options: &WitDecodeOptions,
) -> Result<Decoded, Error> {
    let opts = DecodeOptions {
        max_body_bytes: usize::try_from(options.max_body_bytes).unwrap_or(usize::MAX),
        resendable: options.resendable,
    };
    match fastio_core::decode::decode_named(target, &response(r), &opts) {
        Ok(d) => Ok(Decoded {
            status: d.status,
            value_json: d.value.to_string(),
        }),
        Err(NamedDecodeError::Api(e)) => Err(Error::Api(api_error(&e))),
        Err(e) => Err(Error::InvalidInput(e.to_string())),
    }
}

pub(crate) fn upload_error(e: CoreUploadError) -> UploadError {
    match e {
        CoreUploadError::Api { what, error } => UploadError::Api(StepError {
            what,
            error: api_error(&error),
            attempts: 1,
        }),
        CoreUploadError::RetriesExhausted {
            what,
            attempts,
            last,
        } => UploadError::RetriesExhausted(StepError {
            what,
            error: api_error(&last),
            attempts,
        }),
        CoreUploadError::Integrity { expected, computed } => {
            UploadError::Integrity(IntegrityFailure { expected, computed })
        }
        CoreUploadError::StoredMismatch {
            ref node_id,
            algo,
            ref computed,
            ref stored,
        } => match wit_algo(algo) {
            Some(algo) => UploadError::StoredMismatch(StoredMismatch {
                node_id: node_id.clone(),
                algo,
                computed: computed.clone(),
                stored: stored.clone(),
            }),
            None => UploadError::Other(e.to_string()),
        },
        CoreUploadError::Assembly { .. } => UploadError::Assembly(e.to_string()),
        CoreUploadError::SessionExpired { upload_id } => UploadError::SessionExpired(upload_id),
        CoreUploadError::ShortRead { .. } => UploadError::ShortRead(e.to_string()),
        CoreUploadError::SourceChanged { order } => UploadError::SourceChanged(order),
        CoreUploadError::StreamTooLarge { max } => UploadError::StreamTooLarge(max),
        CoreUploadError::Plan(p) => UploadError::Plan(plan_error(p)),
        CoreUploadError::Verify(_) => UploadError::Verify(e.to_string()),
        CoreUploadError::Config(_) => UploadError::Config(e.to_string()),
        CoreUploadError::Cancelled => UploadError::Cancelled,
        other => UploadError::Other(other.to_string()),
    }
}

pub(crate) fn input_error(e: CoreInputError) -> InputError {
    match e {
        CoreInputError::UnknownId(id) => InputError::UnknownId(id),
        CoreInputError::Duplicate(id) => InputError::Duplicate(id),
        CoreInputError::NotExpectingData(id) => InputError::NotExpectingData(id),
        CoreInputError::Finished => InputError::Finished,
        other => InputError::Other(other.to_string()),
    }
}

pub(crate) fn progress(p: CoreProgress) -> Progress {
    Progress {
        bytes_acked: p.bytes_acked,
        bytes_total: p.bytes_total,
        chunks_acked: p.chunks_acked,
        chunks_total: p.chunks_total,
    }
}

pub(crate) fn action(a: CoreAction) -> Action {
    match a {
        CoreAction::Send { id, request: r } => Action::Send(SendRequest {
            id,
            request: request(r),
        }),
        CoreAction::Read { id, offset, len } => Action::Read(ReadRequest { id, offset, len }),
        CoreAction::Wait { until_ms } => Action::Wait(until_ms),
        CoreAction::Persist { token } => Action::Persist(token.to_json()),
        CoreAction::Progress(p) => Action::Progress(progress(p)),
        CoreAction::Done(d) => Action::Done(UploadDone {
            upload_id: d.upload_id,
            node_id: d.node_id,
            size: d.size,
            crc32c: d.crc32c,
            digest: d.digest.and_then(|g| {
                Some(FileDigest {
                    algo: wit_algo(g.algo())?,
                    hex: g.to_hex(),
                })
            }),
            stored: match d.stored {
                CoreStoredCheck::Matched => StoredCheck::Matched,
                CoreStoredCheck::Unavailable { reason } => StoredCheck::Unavailable(reason),
                _ => StoredCheck::NotAsked,
            },
        }),
        CoreAction::Failed(e) => Action::Failed(upload_error(e)),
        // `Action` is non-exhaustive: an action this adapter does not know
        // is reported as a failure rather than silently dropped.
        other => Action::Failed(UploadError::Other(format!("unsupported action {other:?}"))),
    }
}

/// The WIT's `fed` for the core's.
pub(crate) fn fed(f: CoreFed) -> Fed {
    match f {
        CoreFed::Accepted => Fed::Accepted,
        CoreFed::Ignored => Fed::Ignored,
    }
}

/// The core's defaults as the WIT's record.
pub(crate) fn defaults() -> Defaults {
    let d = fastio_core::defaults::defaults();
    Defaults {
        base_url: d.base_url,
        parallel: d.parallel,
        chunk_size: d.chunk_size,
        single_request_max: d.single_request_max,
        chunk_size_ceiling: d.chunk_size_ceiling,
        parallel_ceiling: d.parallel_ceiling,
        max_response_bytes: d.max_response_bytes,
        request_timeout_ms: d.request_timeout_ms,
    }
}

pub(crate) fn download_action(a: CoreDownloadAction) -> DownloadAction {
    match a {
        CoreDownloadAction::Send {
            id,
            request: r,
            stream_response,
        } => DownloadAction::Send(DownloadSend {
            id,
            request: request(r),
            stream_response,
        }),
        CoreDownloadAction::Wait { until_ms } => DownloadAction::Wait(until_ms),
        CoreDownloadAction::Progress { bytes, total } => {
            DownloadAction::Progress(DownloadProgress { bytes, total })
        }
        CoreDownloadAction::Done(d) => DownloadAction::Done(DownloadDone {
            node_id: d.node_id,
            size: d.size,
            sha256: d.sha256,
            crc32c: d.crc32c,
            checked: d.checked.map(|(a, h)| format!("{a}:{h}")),
        }),
        CoreDownloadAction::Failed(e) => DownloadAction::Failed(upload_error(e)),
        other => {
            DownloadAction::Failed(UploadError::Other(format!("unsupported action {other:?}")))
        }
    }
}

pub(crate) fn upload_config(o: &UploadOptions) -> UploadConfig {
    let mut cfg = UploadConfig::default();
    if let Some(n) = o.chunk_size {
        cfg.plan.chunk_size = n;
    }
    if let Some(n) = o.single_request_max {
        cfg.plan.single_request_max = n;
    }
    if let Some(n) = o.parallel {
        cfg.plan.max_in_flight = n;
    }
    if let Some(n) = o.request_timeout_ms {
        cfg.request_timeout_ms = n;
    }
    if let Some(n) = o.seed {
        cfg.seed = n;
    }
    if o.stream_max_size.is_some() {
        cfg.stream_max_size = o.stream_max_size;
    }
    if o.max_chunks.is_some() {
        cfg.plan.max_chunks = o.max_chunks;
    }
    if o.max_file_size.is_some() {
        cfg.plan.max_file_size = o.max_file_size;
    }
    if let Some(b) = o.fetch_limits {
        cfg.fetch_limits = b;
    }
    cfg.file_digest = o.file_digest.map(algo);
    if let Some(b) = o.verify_stored {
        cfg.verify_stored = b;
    }
    if let Some(b) = o.host_keeps_chunks {
        cfg.host_keeps_chunks = b;
    }
    if let Some(b) = o.persist_token {
        cfg.persist_token = b;
    }
    cfg
}

pub(crate) fn core_plan_config(c: &PlanConfig) -> CorePlanConfig {
    CorePlanConfig {
        single_request_max: c.single_request_max,
        chunk_size: c.chunk_size,
        max_chunks: c.max_chunks,
        max_file_size: c.max_file_size,
        max_in_flight: c.max_in_flight,
    }
}

pub(crate) fn plan_config(c: &CorePlanConfig) -> PlanConfig {
    PlanConfig {
        single_request_max: c.single_request_max,
        chunk_size: c.chunk_size,
        max_chunks: c.max_chunks,
        max_file_size: c.max_file_size,
        max_in_flight: c.max_in_flight,
    }
}

/// The plan configuration of an upload whose options set nothing.
pub(crate) fn default_plan_config() -> PlanConfig {
    plan_config(&UploadConfig::default().plan)
}

pub(crate) fn plan_error(e: CorePlanError) -> PlanError {
    match e {
        CorePlanError::TooLarge { size, max } => PlanError::TooLarge(SizeOverMax { size, max }),
        CorePlanError::TooManyChunks {
            size,
            chunk_size,
            chunks,
            max,
        } => PlanError::TooManyChunks(ChunksOverMax {
            size,
            chunk_size,
            chunks,
            max,
        }),
        CorePlanError::InvalidConfig(why) => PlanError::InvalidConfig(why.to_owned()),
        // `PlanError` is non-exhaustive; a refusal this adapter does not know
        // is still a refusal, described.
        other => PlanError::InvalidConfig(other.to_string()),
    }
}

/// Plans an upload as `plan-upload` does: a file of `size` bytes, or a
/// stream announcing `stream_max_size`.
pub(crate) fn plan_upload(
    size: Option<u64>,
    stream_max_size: Option<u64>,
    config: &PlanConfig,
) -> Result<UploadPlan, PlanError> {
    let cfg = core_plan_config(config);
    let planned = match size {
        Some(size) => fastio_core::upload::plan::plan(size, &cfg),
        None => CorePlan::stream(stream_max_size, &cfg),
    };
    upload_plan(planned.map_err(plan_error)?)
}

/// Narrows `config` to a `GET /upload/limits/` body, as `apply-limits` does.
pub(crate) fn apply_limits(response_body: &str, config: &PlanConfig) -> PlanConfig {
    // A body that is not JSON states no limits; the reader already ignores
    // anything that is not an object, so it gets `null`.
    let limits = serde_json::from_str(response_body).unwrap_or(serde_json::Value::Null);
    plan_config(&CorePlanConfig::from_limits(
        &limits,
        &core_plan_config(config),
    ))
}

fn upload_plan(p: CorePlan) -> Result<UploadPlan, PlanError> {
    Ok(match p {
        CorePlan::Single { size } => UploadPlan::Single(size),
        CorePlan::Chunked {
            size,
            chunk_size,
            chunk_count,
            max_in_flight,
        } => UploadPlan::Chunked(ChunkedPlan {
            size,
            chunk_size,
            chunk_count,
            max_in_flight,
        }),
        CorePlan::Stream { max_size } => UploadPlan::Stream(max_size),
        // `UploadPlan` is non-exhaustive: a plan the WIT cannot carry is not
        // passed off as another kind.
        other => {
            return Err(PlanError::InvalidConfig(format!(
                "unsupported plan {other:?}"
            )));
        }
    })
}

pub(crate) fn webhook_error(e: &CoreWebhookError) -> WebhookError {
    WebhookError {
        kind: e.kind().as_str().to_owned(),
        hint: e.hint().map(|h| h.as_str().to_owned()),
        message: e.to_string(),
    }
}

/// A pager's failure as the WIT's error: an error answer is `api`, a call
/// that is no listing `invalid-input`, the page bound `other`.
pub(crate) fn page_error(e: PageError) -> Error {
    match e {
        PageError::Api(a) => Error::Api(api_error(&a)),
        PageError::Build(b) => Error::Build(b.to_string()),
        PageError::NotPageable(_) => Error::InvalidInput(e.to_string()),
        other => Error::Other(other.to_string()),
    }
}

/// A page as the WIT's record, each item as JSON text.
// The error is the WIT's own variant, returned as the component returns it.
#[allow(clippy::result_large_err)]
pub(crate) fn page(p: CorePage) -> Result<Page, Error> {
    let json = |v: &serde_json::Value| {
        serde_json::to_string(v).map_err(|e| Error::Other(format!("page does not serialise: {e}")))
    };
    Ok(Page {
        status: p.status,
        items_json: p.items.iter().map(json).collect::<Result<_, _>>()?,
        payload_json: json(&p.payload)?,
        done: p.done,
        degraded: p.degraded,
    })
}

/// The core's algorithm for the WIT's.
pub(crate) fn algo(a: HashAlgo) -> CoreAlgo {
    match a {
        HashAlgo::Md5 => CoreAlgo::Md5,
        HashAlgo::Sha1 => CoreAlgo::Sha1,
        HashAlgo::Sha256 => CoreAlgo::Sha256,
        HashAlgo::Sha384 => CoreAlgo::Sha384,
        HashAlgo::Crc32c => CoreAlgo::Crc32c,
    }
}

/// The WIT's algorithm for the core's; `None` for one the WIT has no case
/// for (the core's list is open to additions).
pub(crate) fn wit_algo(a: CoreAlgo) -> Option<HashAlgo> {
    Some(match a {
        CoreAlgo::Md5 => HashAlgo::Md5,
        CoreAlgo::Sha1 => HashAlgo::Sha1,
        CoreAlgo::Sha256 => HashAlgo::Sha256,
        CoreAlgo::Sha384 => HashAlgo::Sha384,
        CoreAlgo::Crc32c => HashAlgo::Crc32c,
        _ => return None,
    })
}
