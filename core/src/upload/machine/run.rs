//! The run loop: planning, the next action of each phase, sends and waits.

use std::collections::{BTreeMap, BTreeSet};

use super::config::{UploadConfig, UploadSpec};
use super::state::{ChunkState, ChunkTable, Kind, Phase, Upload};
use crate::api::{Call, Client, Profile, UploadCall};
use crate::hash::{Crc32cParts, SequentialHasher, crc32c_hex};
use crate::http::PartData;
use crate::outstanding::Outstanding;
use crate::upload::action::{Action, Progress, RequestId, StoredCheck, UploadError};
use crate::upload::backoff::Jitter;
use crate::upload::plan::{UploadPlan, plan};

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
        let digest = cfg.digest_algo().map(SequentialHasher::new);
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
            out: Outstanding::default(),
            read: None,
            read_crcs: BTreeMap::new(),
            crcs: Crc32cParts::new(),
            digest,
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
            persisted_acked: None,
            persisted_ms: 0,
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

    pub(super) fn id(&mut self) -> RequestId {
        self.out.issue_id()
    }

    pub(super) fn send(&mut self, kind: Kind, call: &Call, now: u64) -> Action {
        match self.client.build(call) {
            Ok(request) => {
                let deadline = now.saturating_add(self.cfg.request_timeout_ms);
                let id = self.out.insert(kind, deadline);
                Action::Send { id, request }
            }
            Err(e) => self.fail(UploadError::Build(e)),
        }
    }

    pub(super) fn fail(&mut self, e: UploadError) -> Action {
        self.phase = Phase::Finished;
        self.abandon_everything();
        Action::Failed(e)
    }

    /// Gives up on every request and the read: their answers are ignored.
    pub(super) fn abandon_everything(&mut self) {
        self.out.abandon_all();
        if let Some((id, _)) = self.read.take() {
            self.out.abandon_id(id);
        }
    }

    pub(super) fn profile_fields(&self) -> (Profile, String) {
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
        if let Some(a) = self.persist_due(now) {
            return Some(a);
        }
        match self.phase {
            Phase::Limits => {
                if self.out.is_empty() && now >= self.not_before_ms {
                    // The limits for creating this file in its folder, the
                    // documented form (`fastio-api.md`, upload limits).
                    let instance_id = self.spec.target.as_ref().map(|p| p.id().to_string());
                    let call = Call::Upload(UploadCall::Limits {
                        action: instance_id.as_ref().map(|_| "create".to_string()),
                        folder_id: instance_id.as_ref().map(|_| self.spec.folder_id.clone()),
                        instance_id,
                        file_id: None,
                    });
                    Some(self.send(Kind::Limits, &call, now))
                } else {
                    self.waiting(now)
                }
            }
            Phase::Start => self.start(now),
            Phase::Reconcile => {
                if self.out.is_empty() && now >= self.not_before_ms {
                    let call = self.upload_call(|id| UploadCall::ChunkStatus { upload_id: id });
                    Some(self.send(Kind::ChunkStatus, &call, now))
                } else {
                    self.waiting(now)
                }
            }
            Phase::Uploading => self.uploading(now),
            Phase::Completing => {
                if self.out.is_empty() && now >= self.not_before_ms {
                    let call = self.upload_call(|id| UploadCall::Complete { upload_id: id });
                    self.complete_sent += 1;
                    Some(self.send(Kind::Complete, &call, now))
                } else {
                    self.waiting(now)
                }
            }
            Phase::Polling => {
                if self.out.is_empty() && now >= self.not_before_ms {
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
                        && let Some(p) = self.out.get_mut(*id)
                    {
                        p.deadline_ms = p.deadline_ms.saturating_add(u64::from(wait) * 1000);
                    }
                    Some(action)
                } else {
                    self.waiting(now)
                }
            }
            Phase::Placing => {
                if self.out.is_empty() && now >= self.not_before_ms {
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
            Phase::Verifying => {
                if self.out.is_empty() && now >= self.not_before_ms {
                    match self.stored_details_call() {
                        Some(call) => Some(self.send(Kind::VerifyStored, &call, now)),
                        None => {
                            self.finish_stored(StoredCheck::Unavailable {
                                reason: "the service named no stored node to check".into(),
                            });
                            self.phase = Phase::Finished;
                            self.outcome.take()
                        }
                    }
                } else {
                    self.waiting(now)
                }
            }
            Phase::Cancelling => {
                if self.out.kinds().any(|k| k == Kind::Cancel) {
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

    pub(super) fn answered_cancel_pending(&self) -> bool {
        !self.attempts.contains_key(&Kind::Cancel)
    }

    pub(super) fn upload_call(&self, f: impl FnOnce(String) -> UploadCall) -> Call {
        Call::Upload(f(self.upload_id.clone().unwrap_or_default()))
    }

    pub(super) fn start(&mut self, now: u64) -> Option<Action> {
        if now < self.not_before_ms || !self.out.is_empty() {
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

    pub(super) fn single_call(&self) -> Call {
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

    pub(super) fn waiting(&self, now: u64) -> Option<Action> {
        let mut until: Option<u64> = self.out.next_deadline();
        if let Some(wake) = self.persist_wake() {
            until = Some(until.map_or(wake, |u| u.min(wake)));
        }
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
}
