//! Which code makes the decisions: the component under wasmtime, or the same
//! core linked natively. Both speak the WIT types, so the drivers, the CLI
//! and the tests run either one unchanged.

use anyhow::{Result, anyhow};
use wasmtime::component::ResourceAny;

use crate::Instance;
use crate::bindings::exports::fastio::core::requests::{
    CoreDefaults, DecodeOptions, Decoded, Page,
};
use crate::bindings::exports::fastio::core::types::{
    ApiError, ClientConfig, Error, Header, HttpRequest, HttpResponse,
};
use crate::bindings::exports::fastio::core::uploads::{
    Action, DownloadAction, DownloadSpec, Fed, InputError, PlanConfig, UploadError, UploadOptions,
    UploadSpec,
};
use crate::bindings::exports::fastio::core::webhooks::{Delivery, WebhookError};
use crate::machine::{DownloadMachine, PagerMachine, UploadMachine};
use crate::native::{self, NativeDownload, NativePager, NativeUpload};

/// The engine a program runs.
pub enum Engine {
    /// The fastio-core component under wasmtime.
    Component(Box<Instance>),
    /// fastio-core linked into this program.
    Native,
}

impl Engine {
    /// A component engine over `inst`.
    pub fn component(inst: Instance) -> Self {
        Engine::Component(Box::new(inst))
    }

    /// `component` or `native`.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Component(_) => "component",
            Engine::Native => "native",
        }
    }

    /// Builds the request for a call (`call_json` as in `requests.build`).
    pub fn build(&mut self, cfg: &ClientConfig, call_json: &str) -> Result<HttpRequest> {
        match self {
            Engine::Component(inst) => inst
                .core
                .fastio_core_requests()
                .call_build(&mut inst.store, cfg, call_json)?
                .map_err(|e| anyhow!("building the request: {e:?}")),
            Engine::Native => native::build(cfg, call_json),
        }
    }

    /// Decodes a response as the model named `target`.
    pub fn decode_as(
        &mut self,
        target: &str,
        resp: &HttpResponse,
        options: DecodeOptions,
    ) -> Result<Result<Decoded, Error>> {
        match self {
            Engine::Component(inst) => Ok(inst.core.fastio_core_requests().call_decode_as(
                &mut inst.store,
                target,
                resp,
                options,
            )?),
            Engine::Native => Ok(native::decode_as(target, resp, options)),
        }
    }

    /// The model names `decode_as` reads.
    pub fn decode_targets(&mut self) -> Result<Vec<String>> {
        match self {
            Engine::Component(inst) => Ok(inst
                .core
                .fastio_core_requests()
                .call_decode_targets(&mut inst.store)?),
            Engine::Native => Ok(fastio_core::decode::DECODE_TARGETS
                .iter()
                .map(|t| (*t).to_string())
                .collect()),
        }
    }

    /// Whether a call may be sent again after a 5xx or a lost answer.
    pub fn is_resendable(&mut self, call_json: &str) -> Result<bool> {
        match self {
            Engine::Component(inst) => inst
                .core
                .fastio_core_requests()
                .call_is_resendable(&mut inst.store, call_json)?
                .map_err(|e| anyhow!("reading the call: {e:?}")),
            Engine::Native => native::is_resendable(call_json),
        }
    }

    /// Decodes a response.
    pub fn decode(
        &mut self,
        resp: &HttpResponse,
        options: DecodeOptions,
    ) -> Result<Result<Decoded, ApiError>> {
        match self {
            Engine::Component(inst) => {
                Ok(inst
                    .core
                    .fastio_core_requests()
                    .call_decode(&mut inst.store, resp, options)?)
            }
            Engine::Native => Ok(native::decode(resp, options)),
        }
    }

    /// Plans an upload, or continues one from `resume_token`.
    pub fn upload(
        &mut self,
        cfg: &ClientConfig,
        spec: Option<&UploadSpec>,
        resume_token: Option<&str>,
        options: UploadOptions,
    ) -> Result<Result<Box<dyn UploadMachine + '_>, UploadError>> {
        match self {
            Engine::Component(inst) => {
                let ups = inst.core.fastio_core_uploads().upload_session();
                let created = match (resume_token, spec) {
                    (Some(token), _) => ups.call_resume(&mut inst.store, cfg, token, options)?,
                    (None, Some(spec)) => ups.call_create(&mut inst.store, cfg, spec, options)?,
                    (None, None) => return Err(anyhow!("an upload needs a spec or a token")),
                };
                Ok(created.map(|session| {
                    Box::new(ComponentUpload { inst, session }) as Box<dyn UploadMachine>
                }))
            }
            Engine::Native => {
                let m = match (resume_token, spec) {
                    (Some(token), _) => NativeUpload::resume(cfg, token, &options),
                    (None, Some(spec)) => NativeUpload::create(cfg, spec, &options),
                    (None, None) => return Err(anyhow!("an upload needs a spec or a token")),
                };
                Ok(m.map(|m| Box::new(m) as Box<dyn UploadMachine>))
            }
        }
    }

    /// A walk over the paged listing `call_json`; a call that is no
    /// listing is `invalid-input`.
    pub fn pager(
        &mut self,
        cfg: &ClientConfig,
        call_json: &str,
        max_pages: Option<u32>,
    ) -> Result<Result<Box<dyn PagerMachine + '_>, Error>> {
        match self {
            Engine::Component(inst) => {
                let made = inst.core.fastio_core_requests().pager().call_create(
                    &mut inst.store,
                    cfg,
                    call_json,
                    max_pages,
                )?;
                Ok(made
                    .map(|walk| Box::new(ComponentPager { inst, walk }) as Box<dyn PagerMachine>))
            }
            Engine::Native => Ok(NativePager::create(cfg, call_json, max_pages)
                .map(|p| Box::new(p) as Box<dyn PagerMachine>)),
        }
    }

    /// The core's defaults (base URL, parallelism, ceilings).
    pub fn defaults(&mut self) -> Result<CoreDefaults> {
        match self {
            Engine::Component(inst) => Ok(inst
                .core
                .fastio_core_requests()
                .call_defaults(&mut inst.store)?),
            Engine::Native => Ok(native::defaults()),
        }
    }

    /// The plan configuration an upload uses when its options set nothing.
    pub fn default_plan_config(&mut self) -> Result<PlanConfig> {
        match self {
            Engine::Component(inst) => Ok(inst
                .core
                .fastio_core_uploads()
                .call_default_plan_config(&mut inst.store)?),
            Engine::Native => Ok(native::default_plan_config()),
        }
    }

    /// Narrows `config` to an answer of `GET /upload/limits/` (its JSON).
    pub fn apply_limits(&mut self, limits_json: &str, config: &PlanConfig) -> Result<PlanConfig> {
        match self {
            Engine::Component(inst) => Ok(inst.core.fastio_core_uploads().call_apply_limits(
                &mut inst.store,
                limits_json,
                *config,
            )?),
            Engine::Native => Ok(native::apply_limits(limits_json, config)),
        }
    }

    /// A download of one file.
    pub fn download(
        &mut self,
        cfg: &ClientConfig,
        spec: &DownloadSpec,
        seed: u64,
    ) -> Result<Box<dyn DownloadMachine + '_>> {
        match self {
            Engine::Component(inst) => {
                let dl = inst
                    .core
                    .fastio_core_uploads()
                    .download()
                    .call_constructor(&mut inst.store, cfg, spec, seed)?;
                Ok(Box::new(ComponentDownload { inst, dl }))
            }
            Engine::Native => Ok(Box::new(NativeDownload::new(cfg, spec, seed))),
        }
    }

    /// Verifies one delivery with a named scheme and a symmetric tolerance.
    pub fn verify_webhook(
        &mut self,
        scheme: &str,
        secrets: &[String],
        tolerance_s: Option<u64>,
        headers: &[Header],
        body: &[u8],
        now: u64,
    ) -> Result<Result<Delivery, WebhookError>> {
        match self {
            Engine::Component(inst) => {
                let hooks = inst.core.fastio_core_webhooks();
                let v = match hooks.verifier().call_create(
                    &mut inst.store,
                    &scheme.to_owned(),
                    secrets,
                    tolerance_s,
                )? {
                    Ok(v) => v,
                    Err(e) => return Ok(Err(e)),
                };
                let r = hooks
                    .verifier()
                    .call_verify(&mut inst.store, v, headers, body, now);
                v.resource_drop(&mut inst.store)?;
                Ok(r?)
            }
            Engine::Native => Ok(native::verify(
                scheme,
                secrets,
                tolerance_s,
                headers,
                body,
                now,
            )),
        }
    }

    /// The headers signing `body` with a named scheme.
    pub fn sign_webhook(
        &mut self,
        scheme: &str,
        secret: &str,
        id: Option<&str>,
        timestamp: Option<u64>,
        body: &[u8],
    ) -> Result<Result<Vec<Header>, WebhookError>> {
        match self {
            Engine::Component(inst) => Ok(inst.core.fastio_core_webhooks().call_sign(
                &mut inst.store,
                &scheme.to_owned(),
                secret,
                id,
                timestamp,
                body,
            )?),
            Engine::Native => Ok(native::sign(scheme, secret, id, timestamp, body)),
        }
    }

    /// A delivery body's event name.
    pub fn event_name(&mut self, body: &[u8]) -> Result<Result<String, WebhookError>> {
        match self {
            Engine::Component(inst) => Ok(inst
                .core
                .fastio_core_webhooks()
                .call_parse_event(&mut inst.store, body)?),
            Engine::Native => Ok(native::event_name(body)),
        }
    }
}

/// An `upload-session` resource of a component instance.
struct ComponentUpload<'a> {
    inst: &'a mut Instance,
    session: ResourceAny,
}

impl UploadMachine for ComponentUpload<'_> {
    fn next_action(&mut self, now: u64) -> Result<Option<Action>> {
        let ups = self.inst.core.fastio_core_uploads().upload_session();
        Ok(ups.call_next_action(&mut self.inst.store, self.session, now)?)
    }

    fn on_data(&mut self, id: u64, data: &[u8], now: u64) -> Result<Result<Fed, InputError>> {
        let ups = self.inst.core.fastio_core_uploads().upload_session();
        Ok(ups.call_on_data(&mut self.inst.store, self.session, id, data, now)?)
    }

    fn on_response(
        &mut self,
        id: u64,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Result<Fed, InputError>> {
        let ups = self.inst.core.fastio_core_uploads().upload_session();
        Ok(ups.call_on_response(&mut self.inst.store, self.session, id, resp, now)?)
    }

    fn on_transport_error(
        &mut self,
        id: u64,
        message: &str,
        now: u64,
    ) -> Result<Result<Fed, InputError>> {
        let ups = self.inst.core.fastio_core_uploads().upload_session();
        Ok(ups.call_on_transport_error(&mut self.inst.store, self.session, id, message, now)?)
    }

    fn on_timeout(&mut self, now: u64) -> Result<()> {
        let ups = self.inst.core.fastio_core_uploads().upload_session();
        Ok(ups.call_on_timeout(&mut self.inst.store, self.session, now)?)
    }

    fn snapshot(&mut self) -> Result<Option<String>> {
        let ups = self.inst.core.fastio_core_uploads().upload_session();
        Ok(ups.call_snapshot(&mut self.inst.store, self.session)?)
    }
}

impl Drop for ComponentUpload<'_> {
    fn drop(&mut self) {
        // Frees the session inside the instance; a failure here means the
        // instance trapped earlier, which the caller has already seen.
        let _ = self.session.resource_drop(&mut self.inst.store);
    }
}

/// A `download` resource of a component instance.
struct ComponentDownload<'a> {
    inst: &'a mut Instance,
    dl: ResourceAny,
}

impl DownloadMachine for ComponentDownload<'_> {
    fn next_action(&mut self, now: u64) -> Result<Option<DownloadAction>> {
        let d = self.inst.core.fastio_core_uploads().download();
        Ok(d.call_next_action(&mut self.inst.store, self.dl, now)?)
    }

    fn on_response(
        &mut self,
        id: u64,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Result<Fed, InputError>> {
        let d = self.inst.core.fastio_core_uploads().download();
        Ok(d.call_on_response(&mut self.inst.store, self.dl, id, resp, now)?)
    }

    fn on_data(&mut self, id: u64, data: &[u8]) -> Result<Result<Fed, InputError>> {
        let d = self.inst.core.fastio_core_uploads().download();
        Ok(d.call_on_data(&mut self.inst.store, self.dl, id, data)?)
    }

    fn on_end(&mut self, id: u64) -> Result<Result<Fed, InputError>> {
        let d = self.inst.core.fastio_core_uploads().download();
        Ok(d.call_on_end(&mut self.inst.store, self.dl, id)?)
    }

    fn on_transport_error(
        &mut self,
        id: u64,
        message: &str,
        now: u64,
    ) -> Result<Result<Fed, InputError>> {
        let d = self.inst.core.fastio_core_uploads().download();
        Ok(d.call_on_transport_error(&mut self.inst.store, self.dl, id, message, now)?)
    }

    fn on_timeout(&mut self, now: u64) -> Result<()> {
        let d = self.inst.core.fastio_core_uploads().download();
        Ok(d.call_on_timeout(&mut self.inst.store, self.dl, now)?)
    }
}

impl Drop for ComponentDownload<'_> {
    fn drop(&mut self) {
        let _ = self.dl.resource_drop(&mut self.inst.store);
    }
}

struct ComponentPager<'a> {
    inst: &'a mut Instance,
    walk: ResourceAny,
}

impl PagerMachine for ComponentPager<'_> {
    fn next_request(&mut self) -> Result<Result<Option<HttpRequest>, Error>> {
        let pager = self.inst.core.fastio_core_requests().pager();
        Ok(pager.call_next_request(&mut self.inst.store, self.walk)?)
    }

    fn on_response(&mut self, resp: &HttpResponse) -> Result<Result<Page, Error>> {
        let pager = self.inst.core.fastio_core_requests().pager();
        Ok(pager.call_on_response(&mut self.inst.store, self.walk, resp)?)
    }
}

impl Drop for ComponentPager<'_> {
    fn drop(&mut self) {
        // As for an upload session: a failure means the instance trapped earlier.
        let _ = self.walk.resource_drop(&mut self.inst.store);
    }
}
