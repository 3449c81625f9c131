//! `fastio:core/uploads`: the upload and download machines as resources.

use std::cell::RefCell;

use fastio_core::download::{Download as CoreDownload, DownloadSpec};
use fastio_core::upload::{ResumeToken, RetryPolicy, Upload, UploadSpec};

use crate::Component;
use crate::convert::{
    action, apply_limits, client, client_config, default_plan_config, download_action, fed,
    input_error, plan_upload, progress, response, upload_config, upload_error,
};
use crate::exports::fastio::core::types::{ClientConfig as WitConfig, HttpResponse};
use crate::exports::fastio::core::uploads::{
    self, Action, DownloadSpec as WitDownloadSpec, Fed, InputError, PlanConfig, PlanError,
    Progress, UploadError, UploadOptions, UploadPlan, UploadSpec as WitUploadSpec,
};

/// An upload session. The machine needs `&mut`; component resources are
/// reached through `&self`, and a component instance is single-threaded.
pub struct Session(RefCell<Upload>);

impl uploads::GuestUploadSession for Session {
    fn create(
        config: WitConfig,
        spec: WitUploadSpec,
        options: UploadOptions,
    ) -> Result<uploads::UploadSession, UploadError> {
        let client = client(&config).map_err(UploadError::Config)?;
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
        let client = client(&config).map_err(UploadError::Config)?;
        let token =
            ResumeToken::from_json(&token).map_err(|e| UploadError::Other(e.to_string()))?;
        let up = Upload::resume(client, &token, upload_config(&options)).map_err(upload_error)?;
        Ok(uploads::UploadSession::new(Session(RefCell::new(up))))
    }

    fn next_action(&self, now: u64) -> Option<Action> {
        self.0.borrow_mut().next_action(now).map(action)
    }

    fn on_response(&self, id: u64, r: HttpResponse, now: u64) -> Result<Fed, InputError> {
        self.0
            .borrow_mut()
            .on_response(id, &response(r), now)
            .map(fed)
            .map_err(input_error)
    }

    fn on_data(&self, id: u64, data: Vec<u8>, now: u64) -> Result<Fed, InputError> {
        self.0
            .borrow_mut()
            .on_data(id, data, now)
            .map(fed)
            .map_err(input_error)
    }

    fn on_transport_error(&self, id: u64, message: String, now: u64) -> Result<Fed, InputError> {
        self.0
            .borrow_mut()
            .on_transport_error(id, &message, now)
            .map(fed)
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

/// A download, same reasoning as [`Session`] for the `RefCell`.
pub struct Dl(RefCell<CoreDownload>);

impl uploads::GuestDownload for Dl {
    fn new(config: WitConfig, spec: WitDownloadSpec, seed: u64) -> Self {
        // A WIT constructor cannot fail: the core reports an unusable
        // configuration as the download's first action.
        Dl(RefCell::new(CoreDownload::with_config(
            client_config(&config),
            DownloadSpec::file(spec.workspace, spec.node_id),
            RetryPolicy::default(),
            seed,
        )))
    }

    fn next_action(&self, now: u64) -> Option<uploads::DownloadAction> {
        self.0.borrow_mut().next_action(now).map(download_action)
    }

    fn on_response(&self, id: u64, r: HttpResponse, now: u64) -> Result<Fed, InputError> {
        self.0
            .borrow_mut()
            .on_response(id, &response(r), now)
            .map(fed)
            .map_err(input_error)
    }

    fn on_data(&self, id: u64, data: Vec<u8>) -> Result<Fed, InputError> {
        self.0
            .borrow_mut()
            .on_data(id, &data)
            .map(fed)
            .map_err(input_error)
    }

    fn on_end(&self, id: u64) -> Result<Fed, InputError> {
        self.0.borrow_mut().on_end(id).map(fed).map_err(input_error)
    }

    fn on_transport_error(&self, id: u64, message: String, now: u64) -> Result<Fed, InputError> {
        self.0
            .borrow_mut()
            .on_transport_error(id, &message, now)
            .map(fed)
            .map_err(input_error)
    }

    fn on_timeout(&self, now: u64) {
        self.0.borrow_mut().on_timeout(now);
    }
}

impl uploads::Guest for Component {
    type UploadSession = Session;
    type Download = Dl;

    fn plan_upload(
        size: Option<u64>,
        stream_max_size: Option<u64>,
        config: PlanConfig,
    ) -> Result<UploadPlan, PlanError> {
        plan_upload(size, stream_max_size, &config)
    }

    fn default_plan_config() -> PlanConfig {
        default_plan_config()
    }

    fn apply_limits(response_body: String, config: PlanConfig) -> PlanConfig {
        apply_limits(&response_body, &config)
    }
}
