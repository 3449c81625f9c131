//! fastio-core as a WebAssembly component: thin adapters between the WIT
//! types in `wit/` and the core. Every decision is the core's; this file only
//! converts values.

// The generated bindings carry their own unsafe glue.
#![deny(unsafe_op_in_unsafe_fn)]

use std::cell::RefCell;

use fastio_core::api::{Call, Client};
use fastio_core::config::{ChunkParams as CoreChunkParams, ClientConfig, Credential as CoreCred};
use fastio_core::decode::{self, ApiError as CoreApiError, DecodeOptions, Retry as CoreRetry};
use fastio_core::download::{Download as CoreDownload, DownloadAction, DownloadSpec};
use fastio_core::hash::{DownloadVerifier, HashAlgo as CoreAlgo, Hasher, HasherState, VerifyError};
use fastio_core::http::{
    HttpRequest as CoreRequest, HttpResponse as CoreResponse, Method as CoreMethod, Segment,
};
use fastio_core::secret::Secret;
use fastio_core::upload::{
    Action as CoreAction, InputError as CoreInputError, ResumeToken, RetryPolicy, Upload,
    UploadConfig, UploadError as CoreUploadError, UploadSpec,
};
use fastio_core::webhook::{
    self, ReplayGuard as CoreGuard, ReplayVerdict as CoreVerdict, Scheme, Signer, TimestampCheck,
    Tolerance, Verifier as CoreVerifier, WebhookError as CoreWebhookError,
};

wit_bindgen::generate!({
    path: "../../wit",
    world: "core",
});

use exports::fastio::core::hashing::{self, HashError, Mismatch};
use exports::fastio::core::requests::{self, DecodeOptions as WitDecodeOptions, Decoded};
use exports::fastio::core::types::{
    ApiError, BodySegment, ChunkParams, ClientConfig as WitConfig, Credential, Error, ExternalPart,
    Header, HttpRequest, HttpResponse, Method, Retry,
};
use exports::fastio::core::uploads::{
    self, Action, DownloadDone, DownloadProgress, DownloadSpec as WitDownloadSpec, HashAlgo,
    InputError, IntegrityFailure, Progress, ReadRequest, SendRequest, StepError, UploadDone,
    UploadError, UploadOptions, UploadSpec as WitUploadSpec,
};
use exports::fastio::core::webhooks::{self, Delivery, ReplayVerdict, WebhookError};

struct Component;
export!(Component);

// ---- conversions -------------------------------------------------------

fn client(cfg: WitConfig) -> Result<Client, String> {
    let mut c = ClientConfig {
        base_url: cfg.base_url,
        credential: cfg.credential.map(|c| match c {
            Credential::ApiKey(k) => CoreCred::ApiKey(Secret::new(k)),
            Credential::Jwt(k) => CoreCred::Jwt(Secret::new(k)),
            Credential::Oauth(k) => CoreCred::OAuth(Secret::new(k)),
        }),
        chunk_params: match cfg.chunk_params {
            ChunkParams::Query => CoreChunkParams::Query,
            ChunkParams::Form => CoreChunkParams::Form,
        },
        ..ClientConfig::default()
    };
    if let Some(ua) = cfg.user_agent {
        c.user_agent = ua;
    }
    if let Some(max) = cfg.max_response_bytes {
        c.max_response_bytes = usize::try_from(max).unwrap_or(usize::MAX);
    }
    Client::new(c).map_err(|e| e.to_string())
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
        // an old component rather than a trap.
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

fn response(r: HttpResponse) -> CoreResponse {
    CoreResponse {
        status: r.status,
        headers: r.headers.into_iter().map(|h| (h.name, h.value)).collect(),
        body: r.body,
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

fn algo(a: HashAlgo) -> CoreAlgo {
    match a {
        HashAlgo::Md5 => CoreAlgo::Md5,
        HashAlgo::Sha1 => CoreAlgo::Sha1,
        HashAlgo::Sha256 => CoreAlgo::Sha256,
        HashAlgo::Sha384 => CoreAlgo::Sha384,
        HashAlgo::Crc32c => CoreAlgo::Crc32c,
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
        // `Action` is non-exhaustive: an action this adapter does not know
        // is reported as a failure rather than silently dropped.
        other => Action::Failed(UploadError::Other(format!("unsupported action {other:?}"))),
    }
}

fn upload_config(o: &UploadOptions) -> UploadConfig {
    let mut cfg = UploadConfig::default();
    if let Some(n) = o.chunk_size {
        cfg.plan.chunk_size = n;
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
    cfg
}

fn webhook_error(e: &CoreWebhookError) -> WebhookError {
    WebhookError {
        kind: e.kind().as_str().to_owned(),
        hint: e.hint().map(|h| h.as_str().to_owned()),
        message: e.to_string(),
    }
}

fn scheme(name: &str) -> Result<Scheme, WebhookError> {
    Ok(match name {
        "fastio" => Scheme::Fastio,
        "fastio-timestamped" => Scheme::FastioTimestamped,
        "fastio-timestamped-hex" => Scheme::fastio_timestamped_hex(),
        "standard-webhooks" => Scheme::StandardWebhooks,
        "github" => Scheme::GitHub,
        "stripe" => Scheme::Stripe,
        "shopify" => Scheme::Shopify,
        other => {
            return Err(WebhookError {
                kind: "unknown-scheme".into(),
                hint: None,
                message: format!("unknown scheme {other:?}"),
            });
        }
    })
}

fn hash_error(e: impl std::fmt::Display) -> HashError {
    HashError::Other(e.to_string())
}

// ---- interfaces --------------------------------------------------------

impl requests::Guest for Component {
    fn build(config: WitConfig, call_json: String) -> Result<HttpRequest, Error> {
        let client = client(config).map_err(Error::Config)?;
        let call: Call =
            serde_json::from_str(&call_json).map_err(|e| Error::InvalidInput(e.to_string()))?;
        client
            .build(&call)
            .map(request)
            .map_err(|e| Error::Build(e.to_string()))
    }

    fn is_idempotent(call_json: String) -> Result<bool, Error> {
        let call: Call =
            serde_json::from_str(&call_json).map_err(|e| Error::InvalidInput(e.to_string()))?;
        Ok(call.is_idempotent())
    }

    fn decode(response_in: HttpResponse, options: WitDecodeOptions) -> Result<Decoded, ApiError> {
        let opts = DecodeOptions {
            max_body_bytes: usize::try_from(options.max_body_bytes).unwrap_or(usize::MAX),
            idempotent: options.idempotent,
        };
        match decode::decode(&response(response_in), &opts) {
            Ok(d) => Ok(Decoded {
                status: d.status,
                value_json: serde_json::to_string(&d.value).unwrap_or_default(),
            }),
            Err(e) => Err(api_error(&e)),
        }
    }
}

/// An upload session. The machine needs `&mut`; component resources are
/// reached through `&self`, and a component instance is single-threaded.
struct Session(RefCell<Upload>);

impl uploads::GuestUploadSession for Session {
    fn create(
        config: WitConfig,
        spec: WitUploadSpec,
        options: UploadOptions,
    ) -> Result<uploads::UploadSession, UploadError> {
        let client = client(config).map_err(UploadError::Other)?;
        let mut s = UploadSpec::file(spec.name, spec.size.unwrap_or(0), spec.workspace);
        s.size = spec.size;
        s.folder_id = spec.folder;
        let up = Upload::new(client, s, upload_config(&options)).map_err(upload_error)?;
        Ok(uploads::UploadSession::new(Session(RefCell::new(up))))
    }

    fn resume(
        config: WitConfig,
        token: String,
        options: UploadOptions,
    ) -> Result<uploads::UploadSession, UploadError> {
        let client = client(config).map_err(UploadError::Other)?;
        let token =
            ResumeToken::from_json(&token).map_err(|e| UploadError::Other(e.to_string()))?;
        let up = Upload::resume(client, &token, upload_config(&options)).map_err(upload_error)?;
        Ok(uploads::UploadSession::new(Session(RefCell::new(up))))
    }

    fn next_action(&self, now: u64) -> Option<Action> {
        self.0.borrow_mut().next_action(now).map(action)
    }

    fn next_actions(&self, now: u64, max: u32) -> Vec<Action> {
        let mut up = self.0.borrow_mut();
        let mut out = Vec::new();
        while out.len() < max as usize {
            let Some(a) = up.next_action(now) else { break };
            let last = matches!(
                a,
                CoreAction::Wait { .. } | CoreAction::Done(_) | CoreAction::Failed(_)
            );
            out.push(action(a));
            if last {
                break;
            }
        }
        out
    }

    fn on_response(&self, id: u64, r: HttpResponse, now: u64) -> Result<(), InputError> {
        self.0
            .borrow_mut()
            .on_response(id, &response(r), now)
            .map_err(input_error)
    }

    fn on_data(&self, id: u64, data: Vec<u8>, now: u64) -> Result<(), InputError> {
        self.0
            .borrow_mut()
            .on_data(id, data, now)
            .map_err(input_error)
    }

    fn on_transport_error(&self, id: u64, message: String, now: u64) -> Result<(), InputError> {
        self.0
            .borrow_mut()
            .on_transport_error(id, &message, now)
            .map_err(input_error)
    }

    fn on_timeout(&self, now: u64) {
        self.0.borrow_mut().on_timeout(now);
    }

    fn cancel(&self) {
        self.0.borrow_mut().cancel();
    }

    fn snapshot(&self) -> Option<String> {
        self.0.borrow().snapshot().map(|t| t.to_json())
    }

    fn progress(&self) -> Progress {
        progress(self.0.borrow().progress())
    }
}

struct Dl(RefCell<CoreDownload>);

impl uploads::GuestDownload for Dl {
    fn new(config: WitConfig, spec: WitDownloadSpec, seed: u64) -> Self {
        // A constructor cannot fail in WIT 0.2; an unusable configuration
        // surfaces as the download's first (failed) action instead.
        let client = client(config).unwrap_or_else(|_| {
            Client::new(ClientConfig::default()).unwrap_or_else(|_| unreachable_default())
        });
        Dl(RefCell::new(CoreDownload::new(
            client,
            DownloadSpec::file(spec.workspace, spec.node_id),
            RetryPolicy::default(),
            seed,
        )))
    }

    fn next_action(&self, now: u64) -> Option<uploads::DownloadAction> {
        self.0.borrow_mut().next_action(now).map(|a| match a {
            DownloadAction::Send { id, request: r } => uploads::DownloadAction::Send(SendRequest {
                id,
                request: request(r),
            }),
            DownloadAction::Wait { until_ms } => uploads::DownloadAction::Wait(until_ms),
            DownloadAction::Progress { bytes, total } => {
                uploads::DownloadAction::Progress(DownloadProgress { bytes, total })
            }
            DownloadAction::Done(d) => uploads::DownloadAction::Done(DownloadDone {
                node_id: d.node_id,
                size: d.size,
                sha256: d.sha256,
                crc32c: d.crc32c,
                checked: d.checked.map(|(a, h)| format!("{a}:{h}")),
            }),
            DownloadAction::Failed(e) => uploads::DownloadAction::Failed(upload_error(e)),
            other => uploads::DownloadAction::Failed(UploadError::Other(format!(
                "unsupported action {other:?}"
            ))),
        })
    }

    fn on_response(&self, id: u64, r: HttpResponse, now: u64) -> Result<(), InputError> {
        self.0
            .borrow_mut()
            .on_response(id, &response(r), now)
            .map_err(input_error)
    }

    fn on_data(&self, id: u64, data: Vec<u8>) -> Result<(), InputError> {
        self.0.borrow_mut().on_data(id, &data).map_err(input_error)
    }

    fn on_end(&self, id: u64) -> Result<(), InputError> {
        self.0.borrow_mut().on_end(id).map_err(input_error)
    }

    fn on_transport_error(&self, id: u64, message: String, now: u64) -> Result<(), InputError> {
        self.0
            .borrow_mut()
            .on_transport_error(id, &message, now)
            .map_err(input_error)
    }

    fn on_timeout(&self, now: u64) {
        self.0.borrow_mut().on_timeout(now);
    }
}

fn unreachable_default() -> Client {
    // The default configuration is valid by construction; looping here is
    // impossible, and a trap is the component's only other option.
    std::process::abort()
}

impl uploads::Guest for Component {
    type UploadSession = Session;
    type Download = Dl;
}

struct Digest(RefCell<Hasher>);

impl hashing::GuestDigest for Digest {
    fn new(a: HashAlgo) -> Self {
        Digest(RefCell::new(Hasher::new(algo(a))))
    }
    fn update(&self, data: Vec<u8>) {
        self.0.borrow_mut().update(&data);
    }
    fn bytes_processed(&self) -> u64 {
        self.0.borrow().bytes_processed()
    }
    fn hex(&self) -> String {
        self.0.borrow().clone().finish().to_hex()
    }
    fn state(&self) -> String {
        self.0.borrow().state().to_base64()
    }
    fn from_state(state: String) -> Result<hashing::Digest, HashError> {
        let st = HasherState::from_base64(&state).map_err(hash_error)?;
        let h = Hasher::from_state(&st).map_err(hash_error)?;
        Ok(hashing::Digest::new(Digest(RefCell::new(h))))
    }
}

struct Check(
    RefCell<Option<DownloadVerifier>>,
    RefCell<Option<HashError>>,
);

impl hashing::GuestVerifier for Check {
    fn new(expected_hex: String, a: HashAlgo) -> Self {
        match DownloadVerifier::new(&expected_hex, algo(a)) {
            Ok(v) => Check(RefCell::new(Some(v)), RefCell::new(None)),
            Err(e) => Check(
                RefCell::new(None),
                RefCell::new(Some(HashError::BadDigest(e.to_string()))),
            ),
        }
    }
    fn update(&self, data: Vec<u8>) {
        if let Some(v) = self.0.borrow_mut().as_mut() {
            v.update(&data);
        }
    }
    fn finish(&self) -> Result<String, HashError> {
        if let Some(e) = self.1.borrow_mut().take() {
            return Err(e);
        }
        let v = self
            .0
            .borrow_mut()
            .take()
            .ok_or_else(|| HashError::Other("already finished".into()))?;
        match v.finish() {
            Ok(done) => Ok(done.file.sha256_hex()),
            Err(VerifyError::Mismatch {
                algo,
                expected,
                actual,
            }) => Err(HashError::Mismatch(Mismatch {
                algo: algo.to_string(),
                expected,
                actual,
            })),
            Err(e) => Err(hash_error(e)),
        }
    }
}

impl hashing::Guest for Component {
    type Digest = Digest;
    type Verifier = Check;

    fn parse_algo(name: String) -> Result<HashAlgo, HashError> {
        match CoreAlgo::parse(&name) {
            Ok(CoreAlgo::Md5) => Ok(HashAlgo::Md5),
            Ok(CoreAlgo::Sha1) => Ok(HashAlgo::Sha1),
            Ok(CoreAlgo::Sha256) => Ok(HashAlgo::Sha256),
            Ok(CoreAlgo::Sha384) => Ok(HashAlgo::Sha384),
            Ok(CoreAlgo::Crc32c) => Ok(HashAlgo::Crc32c),
            _ => Err(HashError::UnknownAlgorithm(name)),
        }
    }

    fn hash(a: HashAlgo, data: Vec<u8>) -> String {
        Hasher::digest(algo(a), &data).to_hex()
    }
}

struct WVerifier(CoreVerifier);

impl webhooks::GuestVerifier for WVerifier {
    fn create(
        s: String,
        secrets: Vec<String>,
        tolerance_s: Option<u64>,
    ) -> Result<webhooks::Verifier, WebhookError> {
        let secrets: Vec<Secret> = secrets.into_iter().map(Secret::new).collect();
        let check = match tolerance_s {
            Some(t) => TimestampCheck::Within(Tolerance::symmetric(t)),
            None => TimestampCheck::Skip,
        };
        let v = CoreVerifier::new(scheme(&s)?, &secrets, check).map_err(|e| webhook_error(&e))?;
        Ok(webhooks::Verifier::new(WVerifier(v)))
    }

    fn verify(
        &self,
        headers: Vec<Header>,
        body: Vec<u8>,
        now: u64,
    ) -> Result<Delivery, WebhookError> {
        let pairs: Vec<(String, String)> = headers.into_iter().map(|h| (h.name, h.value)).collect();
        let d = self
            .0
            .verify(&pairs, &body, now)
            .map_err(|e| webhook_error(&e))?;
        Ok(Delivery {
            scheme: d.scheme.as_str().to_owned(),
            id: d.id,
            timestamp: d.timestamp,
            secret_index: u32::try_from(d.secret_index).unwrap_or(u32::MAX),
        })
    }
}

struct Guard(RefCell<CoreGuard>);

impl webhooks::GuestReplayGuard for Guard {
    fn new(window_s: u64, capacity: u32) -> Self {
        Guard(RefCell::new(CoreGuard::new(window_s, capacity as usize)))
    }
    fn check(&self, id: String, now: u64) -> ReplayVerdict {
        match self.0.borrow_mut().check(&id, now) {
            CoreVerdict::Fresh => ReplayVerdict::Fresh,
            _ => ReplayVerdict::Replay,
        }
    }
    fn len(&self) -> u32 {
        u32::try_from(self.0.borrow().len()).unwrap_or(u32::MAX)
    }
}

impl webhooks::Guest for Component {
    type Verifier = WVerifier;
    type ReplayGuard = Guard;

    fn sign(
        s: String,
        secret: String,
        id: Option<String>,
        timestamp: Option<u64>,
        body: Vec<u8>,
    ) -> Result<Vec<Header>, WebhookError> {
        let signer =
            Signer::new(scheme(&s)?, &Secret::new(secret)).map_err(|e| webhook_error(&e))?;
        let headers = signer
            .sign(id.as_deref(), timestamp, &body)
            .map_err(|e| webhook_error(&e))?;
        Ok(headers
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect())
    }

    fn parse_event(body: Vec<u8>) -> Result<String, WebhookError> {
        match webhook::parse_event(&body) {
            Ok(ev) => Ok(ev.name()),
            Err(e) => Err(WebhookError {
                kind: "invalid-event".into(),
                hint: None,
                message: e.to_string(),
            }),
        }
    }
}
