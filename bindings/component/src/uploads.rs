//! `fastio:core/uploads`: the upload and download machines as resources.

use std::cell::RefCell;

use fastio_core::download::{Download as CoreDownload, DownloadAction, DownloadSpec};
use fastio_core::upload::plan::{
    PlanConfig as CorePlanConfig, PlanError as CorePlanError, UploadPlan as CorePlan,
    plan as core_plan,
};
use fastio_core::upload::{
    Action as CoreAction, InputError as CoreInputError, ResumeToken, RetryPolicy, Upload,
    UploadConfig, UploadError as CoreUploadError, UploadSpec,
};

use crate::exports::fastio::core::types::{ClientConfig as WitConfig, HttpResponse};
use crate::exports::fastio::core::uploads::{
    self, Action, ChunkedPlan, ChunksOverMax, DownloadDone, DownloadProgress, DownloadSend,
    DownloadSpec as WitDownloadSpec, InputError, IntegrityFailure, PlanConfig, PlanError, Progress,
    ReadRequest, SendRequest, SizeOverMax, StepError, UploadDone, UploadError, UploadOptions,
    UploadPlan, UploadSpec as WitUploadSpec,
};
use crate::{Component, api_error, client, client_config, request, response};

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

fn core_plan_config(c: &PlanConfig) -> CorePlanConfig {
    CorePlanConfig {
        single_request_max: c.single_request_max,
        chunk_size: c.chunk_size,
        max_chunks: c.max_chunks,
        max_file_size: c.max_file_size,
        max_in_flight: c.max_in_flight,
    }
}

fn plan_config(c: &CorePlanConfig) -> PlanConfig {
    PlanConfig {
        single_request_max: c.single_request_max,
        chunk_size: c.chunk_size,
        max_chunks: c.max_chunks,
        max_file_size: c.max_file_size,
        max_in_flight: c.max_in_flight,
    }
}

fn plan_error(e: CorePlanError) -> PlanError {
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

/// An upload session. The machine needs `&mut`; component resources are
/// reached through `&self`, and a component instance is single-threaded.
pub struct Session(RefCell<Upload>);

impl uploads::GuestUploadSession for Session {
    fn create(
        config: WitConfig,
        spec: WitUploadSpec,
        options: UploadOptions,
    ) -> Result<uploads::UploadSession, UploadError> {
        let client = client(config).map_err(UploadError::Config)?;
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
        let client = client(config).map_err(UploadError::Config)?;
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

/// A download, same reasoning as [`Session`] for the `RefCell`.
pub struct Dl(RefCell<CoreDownload>);

impl uploads::GuestDownload for Dl {
    fn new(config: WitConfig, spec: WitDownloadSpec, seed: u64) -> Self {
        // A WIT constructor cannot fail: the core reports an unusable
        // configuration as the download's first action.
        Dl(RefCell::new(CoreDownload::with_config(
            client_config(config),
            DownloadSpec::file(spec.workspace, spec.node_id),
            RetryPolicy::default(),
            seed,
        )))
    }

    fn next_action(&self, now: u64) -> Option<uploads::DownloadAction> {
        self.0.borrow_mut().next_action(now).map(|a| match a {
            DownloadAction::Send {
                id,
                request: r,
                stream_response,
            } => uploads::DownloadAction::Send(DownloadSend {
                id,
                request: request(r),
                stream_response,
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

impl uploads::Guest for Component {
    type UploadSession = Session;
    type Download = Dl;

    fn plan_upload(
        size: Option<u64>,
        stream_max_size: Option<u64>,
        config: PlanConfig,
    ) -> Result<UploadPlan, PlanError> {
        let cfg = core_plan_config(&config);
        let planned = match size {
            Some(size) => core_plan(size, &cfg),
            None => CorePlan::stream(stream_max_size, &cfg),
        };
        upload_plan(planned.map_err(plan_error)?)
    }

    fn apply_limits(response_body: String, config: PlanConfig) -> PlanConfig {
        // A body that is not JSON states no limits; the reader already
        // ignores anything that is not an object, so it gets `null`.
        let limits = serde_json::from_str(&response_body).unwrap_or(serde_json::Value::Null);
        plan_config(&CorePlanConfig::from_limits(
            &limits,
            &core_plan_config(&config),
        ))
    }
}
