//! The native engine: the same decisions as the component, made by
//! `fastio-core` linked into this program. Values are converted to and from
//! the WIT types so both engines drive through one code path; nothing here
//! decides anything the component would not.

// The errors are the WIT's own records, returned as the component returns
// them; boxing them here alone would make the two engines differ in type.
#![allow(clippy::result_large_err)]

use anyhow::{Result, anyhow};
use fastio_core::api::Call;
use fastio_core::download::{Download, DownloadSpec as Dls};
use fastio_core::secret::Secret;
use fastio_core::upload::{ResumeToken, RetryPolicy, Upload, UploadSpec as CoreSpec};
use fastio_core::webhook::{self, Scheme, Signer, TimestampCheck, Tolerance, Verifier};

use crate::bindings::exports::fastio::core::requests::{
    CoreDefaults, DecodeOptions as WitDecodeOptions, Decoded, Page,
};
use crate::bindings::exports::fastio::core::types::{
    ApiError, ClientConfig, Error as WitError, Header, HttpRequest, HttpResponse,
};
use crate::bindings::exports::fastio::core::uploads::{
    Action, DownloadAction, DownloadSpec, Fed, InputError, PlanConfig, PlanError, UploadError,
    UploadOptions, UploadPlan, UploadSpec,
};
use crate::bindings::exports::fastio::core::webhooks::{Delivery, WebhookError};
use crate::convert::{
    self, client, client_config, download_action, fed, headers, input_error, page, page_error,
    request, response, upload_config, upload_error, webhook_error,
};
use crate::machine::{DownloadMachine, PagerMachine, UploadMachine};

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
    fn next_action(&mut self, now: u64) -> Result<Option<Action>> {
        Ok(self.0.next_action(now).map(convert::action))
    }

    fn on_data(&mut self, id: u64, data: &[u8], now: u64) -> Result<Result<Fed, InputError>> {
        Ok(self
            .0
            .on_data(id, data.to_vec(), now)
            .map(fed)
            .map_err(input_error))
    }

    fn on_response(
        &mut self,
        id: u64,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Result<Fed, InputError>> {
        Ok(self
            .0
            .on_response(id, &response(resp.clone()), now)
            .map(fed)
            .map_err(input_error))
    }

    fn on_transport_error(
        &mut self,
        id: u64,
        message: &str,
        now: u64,
    ) -> Result<Result<Fed, InputError>> {
        Ok(self
            .0
            .on_transport_error(id, message, now)
            .map(fed)
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
            client_config(cfg),
            Dls::file(spec.workspace.clone(), spec.node_id.clone()),
            RetryPolicy::default(),
            seed,
        ))
    }
}

impl DownloadMachine for NativeDownload {
    fn next_action(&mut self, now: u64) -> Result<Option<DownloadAction>> {
        Ok(self.0.next_action(now).map(download_action))
    }

    fn on_response(
        &mut self,
        id: u64,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Result<Fed, InputError>> {
        Ok(self
            .0
            .on_response(id, &response(resp.clone()), now)
            .map(fed)
            .map_err(input_error))
    }

    fn on_data(&mut self, id: u64, data: &[u8]) -> Result<Result<Fed, InputError>> {
        Ok(self.0.on_data(id, data).map(fed).map_err(input_error))
    }

    fn on_end(&mut self, id: u64) -> Result<Result<Fed, InputError>> {
        Ok(self.0.on_end(id).map(fed).map_err(input_error))
    }

    fn on_transport_error(
        &mut self,
        id: u64,
        message: &str,
        now: u64,
    ) -> Result<Result<Fed, InputError>> {
        Ok(self
            .0
            .on_transport_error(id, message, now)
            .map(fed)
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

/// Decodes a response as a named model, as `requests.decode-as` does.
pub fn decode_as(
    target: &str,
    resp: &HttpResponse,
    options: WitDecodeOptions,
) -> Result<Decoded, WitError> {
    convert::decode_as(target, resp.clone(), &options)
}

/// Whether a call may be resent, as `requests.is-resendable` says.
pub fn is_resendable(call_json: &str) -> Result<bool> {
    let call: Call = serde_json::from_str(call_json)?;
    Ok(call.is_resendable())
}

/// Decodes a response, as `requests.decode` does.
pub fn decode(resp: &HttpResponse, options: WitDecodeOptions) -> Result<Decoded, ApiError> {
    convert::decode(resp.clone(), &options)
}

/// Plans an upload, as `uploads.plan-upload` does.
pub fn plan_upload(
    size: Option<u64>,
    stream_max_size: Option<u64>,
    config: &PlanConfig,
) -> Result<UploadPlan, PlanError> {
    convert::plan_upload(size, stream_max_size, config)
}

/// The core's defaults, as `requests.defaults` gives them.
pub fn defaults() -> CoreDefaults {
    convert::defaults()
}

/// The configuration an upload uses when its options set nothing, as
/// `uploads.default-plan-config` gives it.
pub fn default_plan_config() -> PlanConfig {
    convert::default_plan_config()
}

/// Narrows a plan configuration to a limits answer, as `uploads.apply-limits` does.
pub fn apply_limits(response_body: &str, config: &PlanConfig) -> PlanConfig {
    convert::apply_limits(response_body, config)
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
        .map(headers)
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

/// The core's pager behind the host's driving interface.
pub struct NativePager {
    client: fastio_core::api::Client,
    pager: fastio_core::pager::Pager,
}

impl NativePager {
    /// A walk over a listing, as `pager.create` does.
    pub fn create(
        cfg: &ClientConfig,
        call_json: &str,
        max_pages: Option<u32>,
    ) -> Result<Self, WitError> {
        let client = client(cfg).map_err(WitError::Config)?;
        let call: Call =
            serde_json::from_str(call_json).map_err(|e| WitError::InvalidInput(e.to_string()))?;
        let mut pager = fastio_core::pager::Pager::new(call).map_err(page_error)?;
        if let Some(max) = max_pages {
            pager = pager.with_max_pages(max);
        }
        Ok(NativePager { client, pager })
    }
}

impl PagerMachine for NativePager {
    fn next_request(&mut self) -> Result<Result<Option<HttpRequest>, WitError>> {
        Ok(match self.pager.next_request(&self.client) {
            None => Ok(None),
            Some(r) => r.map(|r| Some(request(r))).map_err(page_error),
        })
    }

    fn on_response(&mut self, resp: &HttpResponse) -> Result<Result<Page, WitError>> {
        Ok(self
            .pager
            .on_response(&self.client, &response(resp.clone()))
            .map_err(page_error)
            .and_then(page))
    }
}
