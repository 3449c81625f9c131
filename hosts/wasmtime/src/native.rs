//! The native engine: the same decisions as the component, made by
//! `fastio-core` linked into this program. Values are converted to and from
//! the WIT types so both engines drive through one code path; nothing here
//! decides anything the component would not.

// The errors are the WIT's own records, returned as the component returns
// them; boxing them here alone would make the two engines differ in type.
#![allow(clippy::result_large_err)]

use anyhow::{Result, anyhow};
use fastio_core::api::{Call, Client};
use fastio_core::config::{
    ChunkParams as CoreChunkParams, ClientConfig as CoreConfig, Credential as CoreCred,
};
use fastio_core::decode::{self, ApiError as CoreApiError, DecodeOptions, Retry as CoreRetry};
use fastio_core::download::{Download, DownloadAction as CoreDownloadAction, DownloadSpec as Dls};
use fastio_core::http::{HttpRequest as CoreRequest, HttpResponse as CoreResponse, Segment};
use fastio_core::secret::Secret;
use fastio_core::upload::{
    Action as CoreAction, InputError as CoreInputError, ResumeToken, RetryPolicy, Upload,
    UploadConfig, UploadError as CoreUploadError, UploadSpec as CoreSpec,
};
use fastio_core::webhook::{
    self, Scheme, Signer, TimestampCheck, Tolerance, Verifier, WebhookError as CoreWebhookError,
};

use crate::bindings::exports::fastio::core::requests::{
    DecodeOptions as WitDecodeOptions, Decoded,
};
use crate::bindings::exports::fastio::core::types::{
    ApiError, BodySegment, ChunkParams, ClientConfig, Credential, ExternalPart, Header,
    HttpRequest, HttpResponse, Method, Retry,
};
use crate::bindings::exports::fastio::core::uploads::{
    Action, DownloadAction, DownloadDone, DownloadProgress, DownloadSend, DownloadSpec, InputError,
    IntegrityFailure, Progress, ReadRequest, SendRequest, StepError, UploadDone, UploadError,
    UploadOptions, UploadSpec,
};
use crate::bindings::exports::fastio::core::webhooks::{Delivery, WebhookError};
use crate::engine::{DownloadMachine, UploadMachine};

pub(crate) fn config(cfg: &ClientConfig) -> CoreConfig {
    let mut c = CoreConfig {
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
        ..CoreConfig::default()
    };
    if let Some(ua) = &cfg.user_agent {
        c.user_agent = ua.clone();
    }
    if let Some(max) = cfg.max_response_bytes {
        c.max_response_bytes = usize::try_from(max).unwrap_or(usize::MAX);
    }
    c
}

fn client(cfg: &ClientConfig) -> Result<Client, String> {
    Client::new(config(cfg)).map_err(|e| e.to_string())
}

fn method(m: fastio_core::http::Method) -> Method {
    use fastio_core::http::Method as M;
    match m {
        M::Get => Method::Get,
        M::Post => Method::Post,
        M::Put => Method::Put,
        M::Patch => Method::Patch,
        M::Delete => Method::Delete,
        M::Head => Method::Head,
        _ => Method::Get,
    }
}

fn request(r: CoreRequest) -> HttpRequest {
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
        })
        .collect();
    HttpRequest {
        method: method(r.method),
        url: r.url,
        headers: r
            .headers
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect(),
        body,
        content_length,
    }
}

fn response(r: &HttpResponse) -> CoreResponse {
    CoreResponse {
        status: r.status,
        headers: r
            .headers
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect(),
        body: r.body.clone(),
    }
}

fn api_error(e: &CoreApiError) -> ApiError {
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

fn upload_error(e: CoreUploadError) -> UploadError {
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
        CoreUploadError::Assembly { .. } => UploadError::Assembly(e.to_string()),
        CoreUploadError::SessionExpired { upload_id } => UploadError::SessionExpired(upload_id),
        CoreUploadError::ShortRead { .. } => UploadError::ShortRead(e.to_string()),
        CoreUploadError::SourceChanged { order } => UploadError::SourceChanged(order),
        CoreUploadError::Verify(_) => UploadError::Verify(e.to_string()),
        CoreUploadError::Config(_) => UploadError::Config(e.to_string()),
        CoreUploadError::Cancelled => UploadError::Cancelled,
        other => UploadError::Other(other.to_string()),
    }
}

fn input_error(e: CoreInputError) -> InputError {
    match e {
        CoreInputError::UnknownId(id) => InputError::UnknownId(id),
        CoreInputError::Duplicate(id) => InputError::Duplicate(id),
        CoreInputError::Abandoned(id) => InputError::Abandoned(id),
        CoreInputError::NotExpectingData(id) => InputError::NotExpectingData(id),
        CoreInputError::Finished => InputError::Finished,
        other => InputError::Other(other.to_string()),
    }
}

fn progress(p: fastio_core::upload::Progress) -> Progress {
    Progress {
        bytes_acked: p.bytes_acked,
        bytes_total: p.bytes_total,
        chunks_acked: p.chunks_acked,
        chunks_total: p.chunks_total,
    }
}

fn action(a: CoreAction) -> Action {
    match a {
        CoreAction::Send { id, request: r } => Action::Send(SendRequest {
            id,
            request: request(r),
        }),
        CoreAction::Read { id, offset, len } => Action::Read(ReadRequest { id, offset, len }),
        CoreAction::Wait { until_ms } => Action::Wait(until_ms),
        CoreAction::Progress(p) => Action::Progress(progress(p)),
        CoreAction::Done(d) => Action::Done(UploadDone {
            upload_id: d.upload_id,
            node_id: d.node_id,
            size: d.size,
            sha256: d.sha256,
            crc32c: d.crc32c,
        }),
        CoreAction::Failed(e) => Action::Failed(upload_error(e)),
        other => Action::Failed(UploadError::Other(format!("unsupported action {other:?}"))),
    }
}

fn upload_config(o: &UploadOptions) -> UploadConfig {
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
    cfg
}

/// The core's upload machine behind the host's driving interface.
pub struct NativeUpload(Upload);

impl NativeUpload {
    /// Plans an upload, as `upload-session.create` does.
    pub fn create(
        cfg: &ClientConfig,
        spec: &UploadSpec,
        options: &UploadOptions,
    ) -> Result<Self, UploadError> {
        let client = client(cfg).map_err(UploadError::Config)?;
        let mut s = CoreSpec::file(
            spec.name.clone(),
            spec.size.unwrap_or(0),
            spec.workspace.clone(),
        );
        s.size = spec.size;
        s.folder_id = spec.folder.clone();
        Upload::new(client, s, upload_config(options))
            .map(NativeUpload)
            .map_err(upload_error)
    }

    /// Continues from a resume token, as `upload-session.resume` does.
    pub fn resume(
        cfg: &ClientConfig,
        token: &str,
        options: &UploadOptions,
    ) -> Result<Self, UploadError> {
        let client = client(cfg).map_err(UploadError::Config)?;
        let token = ResumeToken::from_json(token).map_err(|e| UploadError::Other(e.to_string()))?;
        Upload::resume(client, &token, upload_config(options))
            .map(NativeUpload)
            .map_err(upload_error)
    }
}

impl UploadMachine for NativeUpload {
    fn next_actions(&mut self, now: u64, max: u32) -> Result<Vec<Action>> {
        let mut out = Vec::new();
        while out.len() < max as usize {
            let Some(a) = self.0.next_action(now) else {
                break;
            };
            let last = matches!(
                a,
                CoreAction::Wait { .. } | CoreAction::Done(_) | CoreAction::Failed(_)
            );
            out.push(action(a));
            if last {
                break;
            }
        }
        Ok(out)
    }

    fn on_data(&mut self, id: u64, data: &[u8], now: u64) -> Result<Result<(), InputError>> {
        Ok(self.0.on_data(id, data.to_vec(), now).map_err(input_error))
    }

    fn on_response(
        &mut self,
        id: u64,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Result<(), InputError>> {
        Ok(self
            .0
            .on_response(id, &response(resp), now)
            .map_err(input_error))
    }

    fn on_transport_error(
        &mut self,
        id: u64,
        message: &str,
        now: u64,
    ) -> Result<Result<(), InputError>> {
        Ok(self
            .0
            .on_transport_error(id, message, now)
            .map_err(input_error))
    }

    fn on_timeout(&mut self, now: u64) -> Result<()> {
        self.0.on_timeout(now);
        Ok(())
    }

    fn snapshot(&mut self) -> Result<Option<String>> {
        Ok(self.0.snapshot().map(|t| t.to_json()))
    }
}

/// The core's download machine behind the host's driving interface.
pub struct NativeDownload(Download);

impl NativeDownload {
    /// A download of one file; an unusable configuration is its first action.
    pub fn new(cfg: &ClientConfig, spec: &DownloadSpec, seed: u64) -> Self {
        NativeDownload(Download::with_config(
            config(cfg),
            Dls::file(spec.workspace.clone(), spec.node_id.clone()),
            RetryPolicy::default(),
            seed,
        ))
    }
}

impl DownloadMachine for NativeDownload {
    fn next_action(&mut self, now: u64) -> Result<Option<DownloadAction>> {
        Ok(self.0.next_action(now).map(|a| match a {
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
        }))
    }

    fn on_response(
        &mut self,
        id: u64,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Result<(), InputError>> {
        Ok(self
            .0
            .on_response(id, &response(resp), now)
            .map_err(input_error))
    }

    fn on_data(&mut self, id: u64, data: &[u8]) -> Result<Result<(), InputError>> {
        Ok(self.0.on_data(id, data).map_err(input_error))
    }

    fn on_end(&mut self, id: u64) -> Result<Result<(), InputError>> {
        Ok(self.0.on_end(id).map_err(input_error))
    }

    fn on_transport_error(
        &mut self,
        id: u64,
        message: &str,
        now: u64,
    ) -> Result<Result<(), InputError>> {
        Ok(self
            .0
            .on_transport_error(id, message, now)
            .map_err(input_error))
    }

    fn on_timeout(&mut self, now: u64) -> Result<()> {
        self.0.on_timeout(now);
        Ok(())
    }
}

/// Builds a call's request, as `requests.build` does.
pub fn build(cfg: &ClientConfig, call_json: &str) -> Result<HttpRequest> {
    let client = client(cfg).map_err(|e| anyhow!("configuration: {e}"))?;
    let call: Call = serde_json::from_str(call_json)?;
    client
        .build(&call)
        .map(request)
        .map_err(|e| anyhow!("building the request: {e}"))
}

/// Decodes a response, as `requests.decode` does.
pub fn decode(resp: &HttpResponse, options: WitDecodeOptions) -> Result<Decoded, ApiError> {
    let opts = DecodeOptions {
        max_body_bytes: usize::try_from(options.max_body_bytes).unwrap_or(usize::MAX),
        idempotent: options.idempotent,
    };
    decode::decode(&response(resp), &opts)
        .map(|d| Decoded {
            status: d.status,
            value_json: serde_json::to_string(&d.value).unwrap_or_default(),
        })
        .map_err(|e| api_error(&e))
}

fn webhook_error(e: &CoreWebhookError) -> WebhookError {
    WebhookError {
        kind: e.kind().as_str().to_owned(),
        hint: e.hint().map(|h| h.as_str().to_owned()),
        message: e.to_string(),
    }
}

/// Verifies one delivery with a named scheme, as `verifier.create` then
/// `verify` do.
pub fn verify(
    scheme: &str,
    secrets: &[String],
    tolerance_s: Option<u64>,
    headers: &[Header],
    body: &[u8],
    now: u64,
) -> Result<Delivery, WebhookError> {
    let scheme = Scheme::from_name(scheme).map_err(|e| webhook_error(&e))?;
    let secrets: Vec<Secret> = secrets.iter().cloned().map(Secret::new).collect();
    let check = match tolerance_s {
        Some(t) => TimestampCheck::Within(Tolerance::symmetric(t)),
        None => TimestampCheck::Skip,
    };
    let pairs: Vec<(String, String)> = headers
        .iter()
        .map(|h| (h.name.clone(), h.value.clone()))
        .collect();
    let d = Verifier::new(scheme, &secrets, check)
        .and_then(|v| v.verify(&pairs, body, now))
        .map_err(|e| webhook_error(&e))?;
    Ok(Delivery {
        scheme: d.scheme.as_str().to_owned(),
        id: d.id,
        timestamp: d.timestamp,
        secret_index: u32::try_from(d.secret_index).unwrap_or(u32::MAX),
    })
}

/// The headers signing `body`, as `webhooks.sign` does.
pub fn sign(
    scheme: &str,
    secret: &str,
    id: Option<&str>,
    timestamp: Option<u64>,
    body: &[u8],
) -> Result<Vec<Header>, WebhookError> {
    let scheme = Scheme::from_name(scheme).map_err(|e| webhook_error(&e))?;
    Signer::new(scheme, &Secret::new(secret))
        .and_then(|s| s.sign(id, timestamp, body))
        .map(|hs| {
            hs.into_iter()
                .map(|(name, value)| Header { name, value })
                .collect()
        })
        .map_err(|e| webhook_error(&e))
}

/// A delivery body's event name, as `webhooks.parse-event` does.
pub fn event_name(body: &[u8]) -> Result<String, WebhookError> {
    webhook::parse_event(body)
        .map(|e| e.name())
        .map_err(|e| WebhookError {
            kind: "invalid_event".into(),
            hint: None,
            message: e.to_string(),
        })
}
