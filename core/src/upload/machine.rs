//! The upload state machine.
//!
//! # Run loop
//!
//! ```text
//! loop {
//!     match upload.next_action(now) {
//!         Some(Action::Send { id, request }) => start sending; later on_response(id, resp, now)
//!                                               or on_transport_error(id, msg, now)
//!         Some(Action::Read { id, offset, len }) => read; on_data(id, bytes, now)
//!         Some(Action::Progress(p)) => show it
//!         Some(Action::Done(d)) | Some(Action::Failed(e)) => stop
//!         Some(Action::Wait { until_ms }) => wait for an input or until_ms, then on_timeout(now)
//!         None => wait for an input (a response or read data)
//!     }
//! }
//! ```
//!
//! Pull actions until `None` or `Wait` before waiting, and feed inputs one at
//! a time. Several `Send`s may be outstanding at once (up to the in-flight
//! limit); at most one `Read` is. Time is the host's clock in milliseconds.
//!
//! # Flow
//!
//! - Single request (≤ 4 MB): read the file, hash it, `POST upload/`.
//!   After an ambiguous failure (5xx, no answer) the data may be committed,
//!   so the machine lists the user's sessions before sending again.
//! - Chunked: create the session; read, hash and send chunks with up to N in
//!   flight; the last carries `file_crc32c`; complete; poll details with
//!   `wait` until `stored` or a failure status.
//! - Stream (unknown size): create a stream session, stream the body; the
//!   server finalises it. After an ambiguous failure the machine asks the
//!   session's details before deciding.
//! - Placement: an unplaced session is added to a folder with `addfile`.
//! - Resume: see [`Upload::resume`].

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::action::{Action, InputError, Progress, RequestId, UploadDone, UploadError};
use super::backoff::{Jitter, RetryPolicy};
use super::plan::{Chunk, PlanConfig, UploadPlan, plan};
use super::token::{AckedChunk, ResumeToken, TOKEN_VERSION};
use crate::api::{Call, Client, Profile, UploadCall};
use crate::decode::models::{UploadSession, UploadStatus};
use crate::decode::{ApiError, Decoded, Retry, decode_as};
use crate::hash::{
    ChunkHasher, Crc32cParts, HashAlgo, SequentialSha256, crc32c_hex, hash_chunk_bytes,
};
use crate::http::{HttpResponse, PartData};

/// What to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSpec {
    /// The file name.
    pub name: String,
    /// The size in bytes; `None` for a stream of unknown length.
    pub size: Option<u64>,
    /// The workspace or share to upload into. `None` creates an unplaced
    /// session (chunked only); set [`UploadSpec::add_to`] to place it.
    pub target: Option<Profile>,
    /// The folder id, or `root`.
    pub folder_id: String,
    /// Place the stored file with `addfile` in (workspace id, folder).
    pub add_to: Option<(String, String)>,
}

impl UploadSpec {
    /// A file of known size into a workspace folder.
    pub fn file(name: impl Into<String>, size: u64, workspace: impl Into<String>) -> Self {
        UploadSpec {
            name: name.into(),
            size: Some(size),
            target: Some(Profile::Workspace(workspace.into())),
            folder_id: "root".into(),
            add_to: None,
        }
    }
}

/// How the machine behaves. Every limit is honoured, never exceeded.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadConfig {
    /// Chunking limits (single-request max, chunk size, maximums, in-flight).
    pub plan: PlanConfig,
    /// The per-chunk digest sent as `hash`/`hash_algo` (`None`: none sent).
    pub chunk_algo: Option<HashAlgo>,
    /// Retries and backoff.
    pub retry: RetryPolicy,
    /// A request with no answer after this long is treated as failed.
    pub request_timeout_ms: u64,
    /// A streamed body that passes no bytes for this long is treated as
    /// stalled and failed (each piece handed to `on_data` renews it).
    pub stall_timeout_ms: u64,
    /// The `wait` of each details poll, seconds (≤ 590).
    pub poll_wait_s: u32,
    /// The most details polls before giving up.
    pub max_polls: u32,
    /// For streams of unknown size: the `max_size` announced and enforced.
    pub stream_max_size: Option<u64>,
    /// Seed for backoff jitter.
    pub seed: u64,
    /// Ask `GET upload/limits/` first and plan with what the server allows
    /// (the configured limits apply where the server says nothing).
    pub fetch_limits: bool,
}

impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig {
            plan: PlanConfig::default(),
            chunk_algo: Some(HashAlgo::Crc32c),
            retry: RetryPolicy::default(),
            request_timeout_ms: 120_000,
            stall_timeout_ms: 30_000,
            poll_wait_s: 60,
            max_polls: 120,
            stream_max_size: None,
            seed: 0x5EED,
            fetch_limits: false,
        }
    }
}

/// What an outstanding request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Limits,
    Create,
    Single,
    FindSingle,
    Chunk(u64),
    ChunkStatus,
    Complete,
    Details,
    Stream,
    StreamCheck,
    AddFile,
    Cancel,
}

impl Kind {
    fn what(self) -> String {
        match self {
            Kind::Limits => "reading the upload limits".into(),
            Kind::Create => "creating the upload session".into(),
            Kind::Single => "the single-request upload".into(),
            Kind::FindSingle => "looking for the single-request upload".into(),
            Kind::Chunk(o) => format!("chunk {o}"),
            Kind::ChunkStatus => "reading the session's chunks".into(),
            Kind::Complete => "completing the upload".into(),
            Kind::Details => "polling the upload status".into(),
            Kind::Stream => "the stream upload".into(),
            Kind::StreamCheck => "checking the stream upload".into(),
            Kind::AddFile => "placing the file".into(),
            Kind::Cancel => "cancelling the upload".into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Pending {
    kind: Kind,
    deadline_ms: u64,
}

/// Where a chunk is.
#[derive(Debug, Clone)]
enum ChunkState {
    /// Not read (or to be read again).
    Unread,
    /// Read and hashed, waiting to be sent (`not_before_ms` after a failure).
    Ready {
        data: Bytes,
        digest: Option<String>,
        not_before_ms: u64,
    },
    /// Sent, waiting for the answer.
    InFlight { data: Bytes, digest: Option<String> },
    /// The server has it.
    Acked { digest: Option<String> },
}

/// The chunks and counters kept in step with them, so every action costs
/// O(log n) however many chunks the file has.
#[derive(Debug, Clone, Default)]
struct ChunkTable {
    states: Vec<ChunkState>,
    lens: Vec<u64>,
    /// Chunks read and waiting to be sent.
    ready: BTreeSet<usize>,
    /// Ready or in flight: chunk bytes held in memory.
    held: usize,
    acked: u64,
    acked_bytes: u64,
    /// No chunk below this index is unread.
    next_unread: usize,
}

impl ChunkTable {
    fn new(plan: &UploadPlan) -> Self {
        let lens: Vec<u64> = plan.chunks().map(|c| c.len).collect();
        ChunkTable {
            states: vec![ChunkState::Unread; lens.len()],
            lens,
            ..ChunkTable::default()
        }
    }

    fn get(&self, i: usize) -> Option<&ChunkState> {
        self.states.get(i)
    }

    fn set(&mut self, i: usize, new: ChunkState) {
        let Some(old) = self.states.get(i) else {
            return;
        };
        let len = self.lens[i];
        match old {
            ChunkState::Ready { .. } => {
                self.ready.remove(&i);
                self.held -= 1;
            }
            ChunkState::InFlight { .. } => self.held -= 1,
            ChunkState::Acked { .. } => {
                self.acked -= 1;
                self.acked_bytes -= len;
            }
            ChunkState::Unread => {}
        }
        match &new {
            ChunkState::Ready { .. } => {
                self.ready.insert(i);
                self.held += 1;
            }
            ChunkState::InFlight { .. } => self.held += 1,
            ChunkState::Acked { .. } => {
                self.acked += 1;
                self.acked_bytes += len;
            }
            ChunkState::Unread => self.next_unread = self.next_unread.min(i),
        }
        self.states[i] = new;
    }

    /// The lowest unread chunk.
    fn first_unread(&mut self) -> Option<usize> {
        while self.next_unread < self.states.len() {
            if matches!(self.states[self.next_unread], ChunkState::Unread) {
                return Some(self.next_unread);
            }
            self.next_unread += 1;
        }
        None
    }

    fn all_acked(&self) -> bool {
        self.acked as usize == self.states.len()
    }
}

/// The phase of the whole upload.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Limits,
    Start,
    Reconcile,
    Uploading,
    Completing,
    Polling,
    Placing,
    Cancelling,
    Finished,
}

/// An upload, driven by the host. See the module docs for the run loop.
#[derive(Debug)]
pub struct Upload {
    client: Client,
    spec: UploadSpec,
    cfg: UploadConfig,
    plan: UploadPlan,
    phase: Phase,
    upload_id: Option<String>,
    node_id: Option<String>,
    next_id: RequestId,
    pending: BTreeMap<RequestId, Pending>,
    abandoned: BTreeSet<RequestId>,
    answered: BTreeSet<RequestId>,
    read: Option<(RequestId, u64)>,
    chunks: ChunkTable,
    /// CRC32C of every chunk read (kept across resume to detect a changed file).
    read_crcs: BTreeMap<u64, u32>,
    crcs: Crc32cParts,
    sha: SequentialSha256,
    /// Single request / stream: the data and its hashing.
    single_data: Option<Bytes>,
    /// The CRC32C of `single_data`, sent as its whole-body hash.
    single_crc: Option<u32>,
    stream_len: u64,
    attempts: BTreeMap<Kind, u32>,
    /// When the next step that waits on a timer may happen.
    not_before_ms: u64,
    polls: u32,
    last_status: Option<UploadStatus>,
    complete_sent: u32,
    jitter: Jitter,
    progress_dirty: bool,
    /// After an ambiguous single-request failure: list sessions first.
    find_single: bool,
    /// Chunks the server refused once for a hash mismatch.
    integrity_strikes: BTreeSet<u64>,
    /// From a resume token: acknowledged chunks to check against the server.
    resume_acked: Vec<(u64, Option<String>)>,
    /// On resume: chunks the server reports holding that the token had not
    /// recorded (acknowledged after the last save). They are read, for the
    /// whole-file hashes, but not sent again.
    server_held: BTreeSet<u64>,
    /// After an ambiguous stream failure: ask the session's details first.
    stream_check: bool,
    outcome: Option<Action>,
}

impl Upload {
    /// Plans an upload. Fails when the file is over a size or chunk limit.
    pub fn new(client: Client, spec: UploadSpec, cfg: UploadConfig) -> Result<Self, UploadError> {
        let plan = match spec.size {
            Some(size) => plan(size, &cfg.plan)?,
            None => UploadPlan::stream(cfg.stream_max_size, &cfg.plan)?,
        };
        if spec.target.is_none() && !matches!(plan, UploadPlan::Chunked { .. }) {
            return Err(UploadError::Protocol {
                what: "planning".into(),
                message: "only chunked uploads can start unplaced; give a target".into(),
            });
        }
        let cfg_fetch_limits = cfg.fetch_limits && spec.size.is_some();
        Ok(Upload {
            chunks: ChunkTable::new(&plan),
            jitter: Jitter::new(cfg.seed),
            client,
            spec,
            cfg,
            plan,
            phase: if cfg_fetch_limits {
                Phase::Limits
            } else {
                Phase::Start
            },
            upload_id: None,
            node_id: None,
            next_id: 1,
            pending: BTreeMap::new(),
            abandoned: BTreeSet::new(),
            answered: BTreeSet::new(),
            read: None,
            read_crcs: BTreeMap::new(),
            crcs: Crc32cParts::new(),
            sha: SequentialSha256::new(),
            single_data: None,
            single_crc: None,
            stream_len: 0,
            attempts: BTreeMap::new(),
            not_before_ms: 0,
            polls: 0,
            last_status: None,
            complete_sent: 0,
            progress_dirty: false,
            find_single: false,
            resume_acked: Vec::new(),
            server_held: BTreeSet::new(),
            integrity_strikes: BTreeSet::new(),
            stream_check: false,
            outcome: None,
        })
    }

    /// The plan.
    pub fn plan(&self) -> &UploadPlan {
        &self.plan
    }

    /// The upload session id, once created.
    pub fn upload_id(&self) -> Option<&str> {
        self.upload_id.as_deref()
    }

    /// True once `Done` or `Failed` was returned.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// Current progress.
    pub fn progress(&self) -> Progress {
        let (acked, bytes) = match &self.plan {
            UploadPlan::Chunked { .. } => (self.chunks.acked, self.chunks.acked_bytes),
            _ if self.node_id.is_some() || self.phase == Phase::Polling => {
                (1, self.spec.size.unwrap_or(self.stream_len))
            }
            _ => (0, 0),
        };
        Progress {
            bytes_acked: bytes,
            bytes_total: self.spec.size,
            chunks_acked: acked,
            chunks_total: self.plan.chunk_count(),
        }
    }

    fn id(&mut self) -> RequestId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn send(&mut self, kind: Kind, call: &Call, now: u64) -> Action {
        match self.client.build(call) {
            Ok(request) => {
                let id = self.id();
                self.pending.insert(
                    id,
                    Pending {
                        kind,
                        deadline_ms: now.saturating_add(self.cfg.request_timeout_ms),
                    },
                );
                Action::Send { id, request }
            }
            Err(e) => self.fail(UploadError::Build(e)),
        }
    }

    fn fail(&mut self, e: UploadError) -> Action {
        self.phase = Phase::Finished;
        self.pending.clear();
        self.read = None;
        Action::Failed(e)
    }

    fn profile_fields(&self) -> (Profile, String) {
        // `new` guarantees a target for single and stream uploads.
        let p = self
            .spec
            .target
            .clone()
            .unwrap_or_else(|| Profile::Workspace(String::new()));
        (p, self.spec.folder_id.clone())
    }

    /// The next action. See the module docs.
    #[must_use = "the host must carry out the action"]
    pub fn next_action(&mut self, now: u64) -> Option<Action> {
        if let Some(a) = self.outcome.take() {
            self.phase = Phase::Finished;
            return Some(a);
        }
        if self.phase == Phase::Finished {
            return None;
        }
        if self.progress_dirty {
            self.progress_dirty = false;
            return Some(Action::Progress(self.progress()));
        }
        match self.phase {
            Phase::Limits => {
                if self.pending.is_empty() && now >= self.not_before_ms {
                    let call = Call::Upload(UploadCall::Limits {
                        action: None,
                        instance_id: self.spec.target.as_ref().map(|p| p.id().to_string()),
                        folder_id: None,
                        file_id: None,
                    });
                    Some(self.send(Kind::Limits, &call, now))
                } else {
                    self.waiting(now)
                }
            }
            Phase::Start => self.start(now),
            Phase::Reconcile => {
                if self.pending.is_empty() && now >= self.not_before_ms {
                    let call = self.upload_call(|id| UploadCall::ChunkStatus { upload_id: id });
                    Some(self.send(Kind::ChunkStatus, &call, now))
                } else {
                    self.waiting(now)
                }
            }
            Phase::Uploading => self.uploading(now),
            Phase::Completing => {
                if self.pending.is_empty() && now >= self.not_before_ms {
                    let call = self.upload_call(|id| UploadCall::Complete { upload_id: id });
                    self.complete_sent += 1;
                    Some(self.send(Kind::Complete, &call, now))
                } else {
                    self.waiting(now)
                }
            }
            Phase::Polling => {
                if self.pending.is_empty() && now >= self.not_before_ms {
                    if self.polls >= self.cfg.max_polls {
                        let status = self
                            .last_status
                            .as_ref()
                            .map(|s| s.as_str().to_string())
                            .unwrap_or_default();
                        return Some(self.fail(UploadError::PollLimit {
                            polls: self.polls,
                            status,
                        }));
                    }
                    self.polls += 1;
                    let wait = self.cfg.poll_wait_s.min(crate::api::MAX_DETAILS_WAIT_S);
                    let call = self.upload_call(|id| UploadCall::Details {
                        upload_id: id,
                        wait: Some(wait),
                    });
                    // A long poll may legitimately take `wait` seconds.
                    let action = self.send(Kind::Details, &call, now);
                    if let Action::Send { id, .. } = &action
                        && let Some(p) = self.pending.get_mut(id)
                    {
                        p.deadline_ms = p.deadline_ms.saturating_add(u64::from(wait) * 1000);
                    }
                    Some(action)
                } else {
                    self.waiting(now)
                }
            }
            Phase::Placing => {
                if self.pending.is_empty() && now >= self.not_before_ms {
                    let (ws, folder) = self.spec.add_to.clone().unwrap_or_default();
                    let name = self.spec.name.clone();
                    let call = self.upload_call(|id| UploadCall::AddFile {
                        profile: Profile::Workspace(ws),
                        folder,
                        name,
                        upload_id: Some(id),
                        hash: None,
                        hash_type: None,
                    });
                    Some(self.send(Kind::AddFile, &call, now))
                } else {
                    self.waiting(now)
                }
            }
            Phase::Cancelling => {
                if self.pending.values().any(|p| p.kind == Kind::Cancel) {
                    return self.waiting(now);
                }
                match self.upload_id.clone() {
                    Some(id) if self.answered_cancel_pending() => {
                        let call = Call::Upload(UploadCall::Cancel { upload_id: id });
                        Some(self.send(Kind::Cancel, &call, now))
                    }
                    _ => Some(self.fail(UploadError::Cancelled)),
                }
            }
            Phase::Finished => None,
        }
    }

    fn answered_cancel_pending(&self) -> bool {
        !self.attempts.contains_key(&Kind::Cancel)
    }

    fn upload_call(&self, f: impl FnOnce(String) -> UploadCall) -> Call {
        Call::Upload(f(self.upload_id.clone().unwrap_or_default()))
    }

    fn start(&mut self, now: u64) -> Option<Action> {
        if now < self.not_before_ms || !self.pending.is_empty() {
            return self.waiting(now);
        }
        if self.find_single {
            self.find_single = false;
            return Some(self.send(
                Kind::FindSingle,
                &Call::Upload(UploadCall::ListSessions),
                now,
            ));
        }
        if self.stream_check {
            self.stream_check = false;
            let call = self.upload_call(|id| UploadCall::Details {
                upload_id: id,
                wait: None,
            });
            return Some(self.send(Kind::StreamCheck, &call, now));
        }
        match self.plan.clone() {
            UploadPlan::Single { size } => {
                if self.single_data.is_some() {
                    let call = self.single_call();
                    return Some(self.send(Kind::Single, &call, now));
                }
                if self.read.is_some() {
                    return None;
                }
                let id = self.id();
                self.read = Some((id, 0));
                Some(Action::Read {
                    id,
                    offset: 0,
                    len: size,
                })
            }
            UploadPlan::Chunked { size, .. } => {
                let (profile, folder_id) = match &self.spec.target {
                    Some(p) => (Some(p.clone()), self.spec.folder_id.clone()),
                    None => (None, "root".to_string()),
                };
                let call = Call::Upload(UploadCall::CreateSession {
                    profile,
                    folder_id,
                    name: self.spec.name.clone(),
                    size: Some(size),
                    org: None,
                    stream: false,
                    max_size: None,
                    extra: Vec::new(),
                });
                Some(self.send(Kind::Create, &call, now))
            }
            UploadPlan::Stream { max_size } => {
                if self.upload_id.is_some() {
                    let call = self.upload_call(|id| UploadCall::StreamSend {
                        upload_id: id,
                        data: None,
                        hash: None,
                        hash_algo: None,
                    });
                    return Some(self.send(Kind::Stream, &call, now));
                }
                let (profile, folder_id) = self.profile_fields();
                let call = Call::Upload(UploadCall::CreateSession {
                    profile: Some(profile),
                    folder_id,
                    name: self.spec.name.clone(),
                    size: None,
                    org: None,
                    stream: true,
                    max_size,
                    extra: Vec::new(),
                });
                Some(self.send(Kind::Create, &call, now))
            }
        }
    }

    fn single_call(&self) -> Call {
        let (profile, folder_id) = self.profile_fields();
        Call::Upload(UploadCall::Single {
            profile,
            folder_id,
            name: self.spec.name.clone(),
            org: None,
            data: PartData::Inline(self.single_data.clone().unwrap_or_default()),
            // The server checks a whole-body CRC32C, as the newest official
            // client sends it (fastio_cli src/api/upload_integrity.rs @e6b1955).
            hash: self.single_crc.map(crc32c_hex),
            hash_algo: self.single_crc.map(|_| "crc32c".to_string()),
            extra: Vec::new(),
        })
    }

    /// While waiting on inputs: `Wait` for the earliest timer, else `None`.
    fn waiting(&self, now: u64) -> Option<Action> {
        let mut until: Option<u64> = self.pending.values().map(|p| p.deadline_ms).min();
        if self.not_before_ms > now {
            until = Some(until.map_or(self.not_before_ms, |u| u.min(self.not_before_ms)));
        }
        for i in &self.chunks.ready {
            if let Some(ChunkState::Ready { not_before_ms, .. }) = self.chunks.get(*i)
                && *not_before_ms > now
            {
                until = Some(until.map_or(*not_before_ms, |u| u.min(*not_before_ms)));
            }
        }
        until.map(|until_ms| Action::Wait { until_ms })
    }

    fn in_flight(&self) -> usize {
        self.pending
            .values()
            .filter(|p| matches!(p.kind, Kind::Chunk(_)))
            .count()
    }

    fn max_in_flight(&self) -> usize {
        self.plan.max_in_flight().clamp(1, 64) as usize
    }

    fn uploading(&mut self, now: u64) -> Option<Action> {
        // Send a ready chunk if a slot is free.
        if self.in_flight() < self.max_in_flight() {
            let ready = self.chunks.ready.iter().copied().find(|i| {
                matches!(self.chunks.get(*i), Some(ChunkState::Ready { not_before_ms, .. }) if *not_before_ms <= now)
            });
            if let Some(i) = ready {
                return Some(self.send_chunk(i, now));
            }
        }
        // Read the next chunk while fewer than the in-flight limit are held.
        let held = self.chunks.held;
        let unread = self.chunks.first_unread();
        if self.read.is_none()
            && held < self.max_in_flight()
            && let Some(i) = unread
        {
            let order = i as u64 + 1;
            if let Some(ch) = self.plan.chunk(order) {
                let id = self.id();
                self.read = Some((id, order));
                return Some(Action::Read {
                    id,
                    offset: ch.offset,
                    len: ch.len,
                });
            }
        }
        if self.chunks.all_acked() {
            self.phase = Phase::Completing;
            return self.next_action(now);
        }
        self.waiting(now)
    }

    fn send_chunk(&mut self, i: usize, now: u64) -> Action {
        let order = i as u64 + 1;
        let (data, digest) = match self.chunks.get(i) {
            Some(ChunkState::Ready { data, digest, .. }) => (data.clone(), digest.clone()),
            _ => return self.fail(self.bug("send_chunk on a chunk that is not ready")),
        };
        let last = order == self.plan.chunk_count();
        let file_crc32c = if last {
            match self.spec.size.and_then(|s| self.crcs.combined(s)) {
                Some(crc) => Some(crc32c_hex(crc)),
                None => return self.fail(self.bug("whole-file CRC32C unknown at the last chunk")),
            }
        } else {
            None
        };
        let call = self.upload_call(|id| UploadCall::Chunk {
            upload_id: id,
            order,
            data: PartData::Inline(data.clone()),
            hash: digest.clone(),
            hash_algo: digest
                .as_ref()
                .and(self.cfg.chunk_algo.map(|a| a.as_str().to_string())),
            file_crc32c,
        });
        let action = self.send(Kind::Chunk(order), &call, now);
        if matches!(action, Action::Send { .. }) {
            self.chunks.set(i, ChunkState::InFlight { data, digest });
        }
        action
    }

    fn bug(&self, what: &str) -> UploadError {
        UploadError::Protocol {
            what: "the upload machine".into(),
            message: what.into(),
        }
    }

    /// Bytes read for a `Read`, or a piece of a streamed body for a stream
    /// `Send`. Fewer bytes than a `Read` asked for mean the source ended.
    pub fn on_data(
        &mut self,
        id: RequestId,
        data: impl Into<Bytes>,
        now: u64,
    ) -> Result<(), InputError> {
        if self.phase == Phase::Finished {
            return Err(InputError::Finished);
        }
        let data: Bytes = data.into();
        // A streamed body's pieces.
        let stall = self.cfg.stall_timeout_ms;
        if let Some(p) = self.pending.get_mut(&id) {
            if p.kind != Kind::Stream {
                return Err(InputError::NotExpectingData(id));
            }
            // Bytes are moving: the stall clock starts again (a long stream
            // may outlive the plain request timeout while it flows).
            p.deadline_ms = p.deadline_ms.max(now.saturating_add(stall));
            self.stream_len += data.len() as u64;
            if let Some(max) = self.cfg.stream_max_size
                && self.stream_len > max
            {
                self.outcome = Some(Action::Failed(UploadError::StreamTooLarge { max }));
                self.abandoned.extend(self.pending.keys().copied());
                self.pending.clear();
                return Ok(());
            }
            if data.is_empty() {
                return Ok(());
            }
            let mut scratch = ChunkHasher::new(HashAlgo::Crc32c);
            let offset = self.sha.offset();
            let hashed =
                hash_chunk_bytes(&mut self.sha, &mut scratch, offset, &data).and_then(|()| {
                    self.crcs
                        .insert(offset, data.len() as u64, scratch.crc32c())
                });
            if let Err(e) = hashed {
                self.outcome = Some(Action::Failed(e.into()));
                self.abandoned.extend(self.pending.keys().copied());
                self.pending.clear();
            }
            return Ok(());
        }
        let Some((read_id, order)) = self.read else {
            return Err(self.classify(id));
        };
        if read_id != id {
            return Err(self.classify(id));
        }
        self.read = None;
        self.answered.insert(id);
        if let UploadPlan::Single { size } = self.plan {
            if (data.len() as u64) < size {
                self.outcome = Some(Action::Failed(UploadError::ShortRead {
                    offset: 0,
                    expected: size,
                    got: data.len() as u64,
                }));
                return Ok(());
            }
            let data = data.slice(..size as usize);
            let mut c = ChunkHasher::new(HashAlgo::Crc32c);
            if let Err(e) = hash_chunk_bytes(&mut self.sha, &mut c, 0, &data) {
                self.outcome = Some(Action::Failed(e.into()));
                return Ok(());
            }
            if size > 0
                && let Err(e) = self.crcs.insert(0, size, c.crc32c())
            {
                self.outcome = Some(Action::Failed(e.into()));
                return Ok(());
            }
            self.single_crc = Some(c.crc32c());
            self.single_data = Some(data);
            return Ok(());
        }
        let Some(ch) = self.plan.chunk(order) else {
            return Err(InputError::UnknownId(id));
        };
        if (data.len() as u64) < ch.len {
            self.outcome = Some(Action::Failed(UploadError::ShortRead {
                offset: ch.offset,
                expected: ch.len,
                got: data.len() as u64,
            }));
            return Ok(());
        }
        // A source may return more than asked; only the chunk's bytes count.
        let data = data.slice(..ch.len as usize);
        match self.hash_chunk(ch, &data) {
            Ok((digest, crc)) => {
                if let Some(prev) = self.read_crcs.get(&order)
                    && *prev != crc
                {
                    self.outcome = Some(Action::Failed(UploadError::SourceChanged { order }));
                    return Ok(());
                }
                self.read_crcs.insert(order, crc);
                if let Err(e) = self.crcs.insert(ch.offset, ch.len, crc) {
                    self.outcome = Some(Action::Failed(e.into()));
                    return Ok(());
                }
                if self.server_held.remove(&order) {
                    // The server has this chunk already. Had the file changed
                    // since it was sent, the whole-file CRC32C the last chunk
                    // carried fails assembly (a typed `integrity_failure`),
                    // so skipping it can never store wrong bytes.
                    self.chunks
                        .set((order - 1) as usize, ChunkState::Acked { digest });
                    self.progress_dirty = true;
                    return Ok(());
                }
                self.chunks.set(
                    (order - 1) as usize,
                    ChunkState::Ready {
                        data,
                        digest,
                        not_before_ms: 0,
                    },
                );
            }
            Err(e) => self.outcome = Some(Action::Failed(e)),
        }
        Ok(())
    }

    fn hash_chunk(&mut self, ch: Chunk, data: &[u8]) -> Result<(Option<String>, u32), UploadError> {
        let algo = self.cfg.chunk_algo.unwrap_or(HashAlgo::Crc32c);
        let mut h = ChunkHasher::new(algo);
        hash_chunk_bytes(&mut self.sha, &mut h, ch.offset, data)?;
        let crc = h.crc32c();
        let d = h.finish();
        Ok((self.cfg.chunk_algo.map(|_| d.hex()), crc))
    }

    fn classify(&self, id: RequestId) -> InputError {
        if self.abandoned.contains(&id) {
            InputError::Abandoned(id)
        } else if self.answered.contains(&id) {
            InputError::Duplicate(id)
        } else {
            InputError::UnknownId(id)
        }
    }

    fn take_pending(&mut self, id: RequestId) -> Result<Pending, InputError> {
        if self.phase == Phase::Finished {
            return Err(InputError::Finished);
        }
        let p = self.pending.remove(&id).ok_or_else(|| self.classify(id))?;
        self.answered.insert(id);
        Ok(p)
    }

    /// A request failed without a response (connection refused or reset,
    /// timed out, body could not be sent).
    pub fn on_transport_error(
        &mut self,
        id: RequestId,
        message: &str,
        now: u64,
    ) -> Result<(), InputError> {
        let p = self.take_pending(id)?;
        let e = ApiError::transport(message, true);
        self.handle_failure(p.kind, e, now, true);
        Ok(())
    }

    /// Checks deadlines: a request past its deadline counts as a transport
    /// failure and its late response will be refused as abandoned.
    pub fn on_timeout(&mut self, now: u64) {
        if self.phase == Phase::Finished {
            return;
        }
        let expired: Vec<(RequestId, Kind)> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline_ms <= now)
            .map(|(id, p)| (*id, p.kind))
            .collect();
        for (id, kind) in expired {
            self.pending.remove(&id);
            self.abandoned.insert(id);
            let e = ApiError::transport("no response before the deadline", true);
            self.handle_failure(kind, e, now, true);
        }
    }

    /// Stops the upload: outstanding requests are abandoned and the session,
    /// if any, is cancelled on the server (`DELETE upload/{id}/`).
    pub fn cancel(&mut self) {
        if self.phase == Phase::Finished {
            return;
        }
        self.abandoned.extend(self.pending.keys().copied());
        self.pending.clear();
        self.read = None;
        self.outcome = None;
        self.phase = Phase::Cancelling;
    }

    /// The response to a `Send`.
    pub fn on_response(
        &mut self,
        id: RequestId,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<(), InputError> {
        let p = self.take_pending(id)?;
        if p.kind == Kind::Limits {
            match crate::decode::decode(resp, &self.client.decode_options_with(true)) {
                Ok(d) => self.apply_limits(&d.value),
                Err(e) => self.handle_failure(p.kind, e, now, false),
            }
            return Ok(());
        }
        let decoded = decode_as::<UploadSession>(resp, &self.client.decode_options_with(true));
        match decoded {
            Ok(d) => self.handle_success(p.kind, d, now),
            Err(e) => self.handle_failure(p.kind, e, now, false),
        }
        Ok(())
    }

    /// Re-plans with the server's limits.
    fn apply_limits(&mut self, limits: &serde_json::Value) {
        let cfg = PlanConfig::from_limits(limits, &self.cfg.plan);
        let size = self.spec.size.unwrap_or(0);
        match plan(size, &cfg) {
            Ok(p) => {
                self.chunks = ChunkTable::new(&p);
                self.plan = p;
                self.cfg.plan = cfg;
                self.phase = Phase::Start;
            }
            Err(e) => self.outcome = Some(Action::Failed(e.into())),
        }
    }

    fn handle_success(&mut self, kind: Kind, d: Decoded<UploadSession>, now: u64) {
        let s = d.value;
        match kind {
            // Answered in `on_response` before decoding as a session.
            Kind::Limits => {}
            // A blank id names no session: nothing could be resumed or
            // completed with it.
            Kind::Create => match s.id.filter(|id| !id.trim().is_empty()) {
                Some(id) => {
                    self.upload_id = Some(id);
                    self.phase = match self.plan {
                        UploadPlan::Stream { .. } => Phase::Start,
                        _ => Phase::Uploading,
                    };
                }
                None => self.protocol(kind, "the create response has no session id"),
            },
            Kind::Single => {
                self.upload_id = s.id.clone().filter(|id| !id.trim().is_empty());
                self.node_id = s.new_file_id.clone();
                self.after_send_once(s, now);
            }
            Kind::FindSingle => {
                // `d` was decoded as a session; the listing is in `extra`.
                let found = find_session(&s, &self.spec.name, self.spec.size);
                match found {
                    Some(id) => {
                        self.upload_id = Some(id);
                        self.phase = Phase::Polling;
                    }
                    None => {
                        self.phase = Phase::Start;
                    }
                }
            }
            Kind::Chunk(order) => {
                let i = (order - 1) as usize;
                if let Some(ChunkState::InFlight { digest, .. }) = self.chunks.get(i) {
                    let digest = digest.clone();
                    self.chunks.set(i, ChunkState::Acked { digest });
                    self.progress_dirty = true;
                }
            }
            Kind::ChunkStatus => self.reconcile(&s),
            Kind::Complete => {
                self.phase = Phase::Polling;
            }
            Kind::Details => self.on_status(s, now),
            Kind::Stream => self.after_send_once(s, now),
            Kind::StreamCheck => match &s.status {
                Some(st) if *st != UploadStatus::Ready && *st != UploadStatus::Uploading => {
                    self.phase = Phase::Polling;
                    self.on_status(s, now);
                }
                _ => self.outcome = Some(Action::Failed(UploadError::StreamInterrupted)),
            },
            Kind::AddFile => {
                // The placed node: `node.id`, else `new_file_id`, else `id`.
                let node = s
                    .extra
                    .get("node")
                    .and_then(|n| n.get("id"))
                    .and_then(|v| v.as_str().map(str::to_string))
                    .or(s.new_file_id)
                    .or(s.id);
                if node.is_some() {
                    self.node_id = node;
                }
                self.finish();
            }
            Kind::Cancel => self.outcome = Some(Action::Failed(UploadError::Cancelled)),
        }
    }

    /// After a single-request or stream send: poll until stored (or done now
    /// if the answer already names the stored file).
    fn after_send_once(&mut self, s: UploadSession, now: u64) {
        self.progress_dirty = true;
        if s.status == Some(UploadStatus::Stored) && s.new_file_id.is_some() {
            self.node_id = s.new_file_id;
            return self.after_stored();
        }
        if self.upload_id.is_none() {
            // Nothing to poll: the answer is all we get.
            return self.after_stored();
        }
        self.phase = Phase::Polling;
        self.not_before_ms = now;
    }

    fn on_status(&mut self, s: UploadSession, now: u64) {
        let status = s.status.clone();
        self.last_status = status.clone();
        match status {
            // `complete` ends polling as success, as the official client
            // counts it (fastio_cli src/bin/fastio/commands/upload.rs:750-760
            // @96b1551); a `stored` seen first is the same outcome.
            Some(UploadStatus::Stored) | Some(UploadStatus::Complete) if s.is_final() => {
                if s.new_file_id.is_some() {
                    self.node_id = s.new_file_id;
                }
                self.after_stored();
            }
            Some(UploadStatus::AssemblyFailed) | Some(UploadStatus::StoreFailed) => {
                let e = match s.integrity_failure {
                    Some(f) => UploadError::Integrity {
                        expected: f.expected_crc32c,
                        computed: f.computed_crc32c,
                    },
                    None => UploadError::Assembly {
                        status: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
                        message: s.status_message.unwrap_or_default(),
                    },
                };
                self.outcome = Some(Action::Failed(e));
            }
            Some(UploadStatus::Ready) | Some(UploadStatus::Uploading)
                if matches!(self.plan, UploadPlan::Chunked { .. }) =>
            {
                // The complete call was lost: every chunk is acked, so send
                // it again (bounded by the retry policy).
                if self.complete_sent >= self.cfg.retry.max_attempts {
                    self.outcome = Some(Action::Failed(UploadError::PollLimit {
                        polls: self.polls,
                        status: "uploading".into(),
                    }));
                } else {
                    self.phase = Phase::Completing;
                    self.not_before_ms = now;
                }
            }
            _ => {
                // Still working; the long poll paces itself, but an instant
                // answer must not turn into a busy loop.
                self.not_before_ms = now.saturating_add(1_000);
            }
        }
    }

    fn after_stored(&mut self) {
        if self.spec.add_to.is_some() && self.upload_id.is_some() {
            self.phase = Phase::Placing;
        } else {
            self.finish();
        }
    }

    fn finish(&mut self) {
        let size = self.spec.size.unwrap_or(self.stream_len);
        let sha = self.sha.clone().finish();
        let crc = self.crcs.combined(size).unwrap_or(0);
        self.outcome = Some(Action::Done(UploadDone {
            upload_id: self.upload_id.clone(),
            node_id: self.node_id.clone(),
            size,
            sha256: sha.to_hex(),
            crc32c: crc32c_hex(crc),
        }));
    }

    fn protocol(&mut self, kind: Kind, message: &str) {
        self.outcome = Some(Action::Failed(UploadError::Protocol {
            what: kind.what(),
            message: message.into(),
        }));
    }

    fn bump(&mut self, kind: Kind) -> u32 {
        let key = match kind {
            Kind::Chunk(_) => kind,
            // One budget for the single send and the checks around it.
            Kind::FindSingle => Kind::Single,
            Kind::StreamCheck => Kind::Stream,
            k => k,
        };
        let n = self.attempts.entry(key).or_insert(1);
        *n += 1;
        *n
    }

    fn handle_failure(&mut self, kind: Kind, e: ApiError, now: u64, transport: bool) {
        if self.phase == Phase::Cancelling {
            if kind == Kind::Cancel {
                self.attempts.insert(Kind::Cancel, 1);
                self.outcome = Some(Action::Failed(UploadError::Cancelled));
            }
            return;
        }
        // Whether this failure may be retried at all, and when.
        let mut retry = if transport {
            Retry::Backoff
        } else {
            match e.status {
                Some(s) if (500..600).contains(&s) || s == 408 => Retry::Backoff,
                _ => e.retry,
            }
        };
        let session_gone = matches!(e.status, Some(404) | Some(410))
            || matches!(e.code_number(), Some(10507) | Some(10508));
        if session_gone && self.upload_id.is_some() && kind != Kind::FindSingle {
            let upload_id = self.upload_id.clone().unwrap_or_default();
            self.outcome = Some(Action::Failed(UploadError::SessionExpired { upload_id }));
            return;
        }
        if matches!(e.code_number(), Some(10778) | Some(10779)) {
            // A chunk whose own hash failed was damaged on the way: send it
            // once more. A second refusal, or one outside a chunk, means the
            // file's CRC does not match what the server holds: terminal.
            let strike = match kind {
                Kind::Chunk(order) => self.integrity_strikes.insert(order),
                _ => false,
            };
            if !strike {
                self.outcome = Some(Action::Failed(UploadError::Integrity {
                    expected: None,
                    computed: None,
                }));
                return;
            }
            retry = Retry::Backoff;
        }
        let wait_ms = match retry {
            Retry::Never => {
                self.outcome = Some(Action::Failed(UploadError::Api {
                    what: kind.what(),
                    error: Box::new(e),
                }));
                return;
            }
            r => self.cfg.retry.rate_limit_wait_ms(r),
        };
        let attempts = self.bump(kind);
        if attempts > self.cfg.retry.max_attempts {
            self.outcome = Some(Action::Failed(UploadError::RetriesExhausted {
                what: kind.what(),
                attempts: attempts - 1,
                last: Box::new(e),
            }));
            return;
        }
        let delay = wait_ms.unwrap_or_else(|| {
            self.cfg
                .retry
                .delay_ms(attempts.saturating_sub(1), &mut self.jitter)
        });
        let at = now.saturating_add(delay);
        match kind {
            Kind::Chunk(order) => {
                let i = (order - 1) as usize;
                if let Some(ChunkState::InFlight { data, digest }) = self.chunks.get(i).cloned() {
                    self.chunks.set(
                        i,
                        ChunkState::Ready {
                            data,
                            digest,
                            not_before_ms: at,
                        },
                    );
                }
            }
            Kind::Single => {
                // The data may be committed: ask the server before resending.
                if retry == Retry::Backoff {
                    self.phase = Phase::Start;
                    self.not_before_ms = at;
                    self.find_single = true;
                } else {
                    self.phase = Phase::Start;
                    self.not_before_ms = at;
                }
            }
            Kind::Stream => {
                if self.upload_id.is_some() {
                    self.stream_check = true;
                    self.phase = Phase::Start;
                    self.not_before_ms = at;
                } else {
                    self.outcome = Some(Action::Failed(UploadError::StreamInterrupted));
                }
            }
            // A failed check is asked again, never turned into a resend.
            Kind::FindSingle => {
                self.find_single = true;
                self.not_before_ms = at;
            }
            Kind::StreamCheck => {
                self.stream_check = true;
                self.not_before_ms = at;
            }
            _ => self.not_before_ms = at,
        }
    }
}

/// In a session listing, the newest session with this name and size.
fn find_session(listing: &UploadSession, name: &str, size: Option<u64>) -> Option<String> {
    let items = listing
        .extra
        .values()
        .find_map(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    items.iter().rev().find_map(|s| {
        let s = s.get("session").unwrap_or(s);
        let same_name = s.get("name").and_then(|v| v.as_str()) == Some(name);
        let same_size = size.is_none_or(|want| {
            s.get("size")
                .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                == Some(want)
        });
        let id = s.get("id").and_then(|v| {
            v.as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        });
        (same_name && same_size).then_some(id).flatten()
    })
}

impl Upload {
    /// The state of a chunked upload as a resume token, once its session
    /// exists. Single-request and stream uploads cannot be resumed.
    pub fn snapshot(&self) -> Option<ResumeToken> {
        let upload_id = self.upload_id.clone()?;
        let over = self.phase == Phase::Finished || self.outcome.is_some();
        if !matches!(self.plan, UploadPlan::Chunked { .. }) || over {
            return None;
        }
        let acked = self
            .chunks
            .states
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match c {
                ChunkState::Acked { digest } => {
                    let order = i as u64 + 1;
                    self.read_crcs.get(&order).map(|crc| AckedChunk {
                        order,
                        crc32c: crc32c_hex(*crc),
                        digest: digest.clone(),
                    })
                }
                _ => None,
            })
            .collect();
        Some(ResumeToken {
            version: TOKEN_VERSION,
            upload_id,
            name: self.spec.name.clone(),
            size: self.spec.size.unwrap_or(0),
            target: self.spec.target.clone(),
            folder_id: self.spec.folder_id.clone(),
            add_to: self.spec.add_to.clone(),
            plan: self.plan.clone(),
            chunk_algo: self.cfg.chunk_algo,
            acked,
            read_crcs: self
                .read_crcs
                .iter()
                .map(|(o, c)| (*o, crc32c_hex(*c)))
                .collect(),
            sha256: self.sha.state(),
        })
    }

    /// Continues an upload from a token. The first action asks the server
    /// which chunks it holds; only chunks both sides agree on are skipped,
    /// the rest are read and sent again. A session the server no longer has
    /// ends in [`UploadError::SessionExpired`].
    pub fn resume(
        client: Client,
        token: &ResumeToken,
        mut cfg: UploadConfig,
    ) -> Result<Self, UploadError> {
        let bad = |m: String| UploadError::Protocol {
            what: "resuming".into(),
            message: m,
        };
        token.check().map_err(|e| bad(e.to_string()))?;
        cfg.chunk_algo = token.chunk_algo;
        let spec = UploadSpec {
            name: token.name.clone(),
            size: Some(token.size),
            target: token.target.clone(),
            folder_id: token.folder_id.clone(),
            add_to: token.add_to.clone(),
        };
        let mut up = Upload::new(client, spec, cfg)?;
        if up.plan != token.plan {
            // Keep the token's plan: chunk boundaries must not move.
            up.chunks = ChunkTable::new(&token.plan);
            up.plan = token.plan.clone();
        }
        up.upload_id = Some(token.upload_id.clone());
        up.sha = SequentialSha256::from_state(&token.sha256).map_err(|e| bad(e.to_string()))?;
        for (order, crc) in &token.read_crcs {
            let crc = u32::from_str_radix(crc, 16).map_err(|e| bad(e.to_string()))?;
            up.read_crcs.insert(*order, crc);
        }
        up.resume_acked = token
            .acked
            .iter()
            .map(|a| (a.order, a.digest.clone()))
            .collect();
        up.phase = Phase::Reconcile;
        Ok(up)
    }

    /// Keeps the chunks the token and the server agree on.
    fn reconcile(&mut self, server: &UploadSession) {
        let acked = std::mem::take(&mut self.resume_acked);
        for (order, digest) in acked {
            let Some(ch) = self.plan.chunk(order) else {
                continue;
            };
            let Some(crc) = self.read_crcs.get(&order).copied() else {
                continue;
            };
            if server.chunks.get(&order) == Some(&ch.len) {
                if let Err(e) = self.crcs.insert(ch.offset, ch.len, crc) {
                    self.outcome = Some(Action::Failed(e.into()));
                    return;
                }
                self.chunks
                    .set((order - 1) as usize, ChunkState::Acked { digest });
            }
        }
        // Chunks the server holds that the token does not know of (their
        // acknowledgement came after the last save): never sent again.
        self.server_held = server
            .chunks
            .iter()
            .filter(|(order, len)| {
                self.plan.chunk(**order).is_some_and(|ch| ch.len == **len)
                    && matches!(
                        self.chunks.get((**order - 1) as usize),
                        Some(ChunkState::Unread)
                    )
            })
            .map(|(order, _)| *order)
            .collect();
        self.progress_dirty = true;
        self.phase = Phase::Uploading;
    }
}
