//! Answers: responses and read data, and what each success moves on to.

use bytes::Bytes;

use super::state::{ChunkState, ChunkTable, Kind, Phase, Upload};
use crate::api::{Call, Profile, StorageCall};
use crate::decode::models::{Node, NodeDetails};
use crate::decode::models::{UploadSession, UploadStatus};
use crate::decode::{Decoded, decode_as};
use crate::hash::{
    ChunkHasher, Digest, HashAlgo, VerifyError, crc32c_hex, hash_chunk_into, verify_node_hash,
};
use crate::http::HttpResponse;
use crate::outstanding::{Entry, Fed};
use crate::upload::action::{Action, InputError, RequestId, StoredCheck, UploadDone, UploadError};
use crate::upload::plan::{PlanConfig, UploadPlan, plan};

impl Upload {
    /// Bytes read for a `Read`, or a piece of a streamed body for a stream
    /// `Send`. Fewer bytes than a `Read` asked for mean the source ended.
    pub fn on_data(
        &mut self,
        id: RequestId,
        data: impl Into<Bytes>,
        now: u64,
    ) -> Result<Fed, InputError> {
        if self.phase == Phase::Finished {
            return self.out.refuse(id, true);
        }
        let data: Bytes = data.into();
        // A streamed body's pieces.
        let stall = self.cfg.stall_timeout_ms;
        if let Some(p) = self.out.get_mut(id) {
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
                self.abandon_everything();
                return Ok(Fed::Accepted);
            }
            if data.is_empty() {
                return Ok(Fed::Accepted);
            }
            let mut scratch = ChunkHasher::new(HashAlgo::Crc32c);
            let offset = self.stream_len - data.len() as u64;
            let hashed = hash_chunk_into(self.digest.as_mut(), &mut scratch, offset, &data)
                .and_then(|()| {
                    self.crcs
                        .insert(offset, data.len() as u64, scratch.crc32c())
                });
            if let Err(e) = hashed {
                self.outcome = Some(Action::Failed(e.into()));
                self.abandon_everything();
            }
            return Ok(Fed::Accepted);
        }
        let Some((_, order)) = self.read.filter(|(r, _)| *r == id) else {
            return self.not_outstanding(id);
        };
        self.read = None;
        self.read_done(id, order, data).map(|()| Fed::Accepted)
    }

    /// An answer for an id that is neither an outstanding request nor the
    /// outstanding read: ignored when it was given up on, else a misuse.
    pub(super) fn not_outstanding(&self, id: RequestId) -> Result<Fed, InputError> {
        self.out.refuse(id, false)
    }

    /// The outstanding request `id`, or what to answer when there is none.
    pub(super) fn take_pending(
        &mut self,
        id: RequestId,
    ) -> Result<Entry<Kind>, Result<Fed, InputError>> {
        self.out.answer(id, self.phase == Phase::Finished)
    }

    /// The response to a `Send`.
    pub fn on_response(
        &mut self,
        id: RequestId,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Fed, InputError> {
        let p = match self.take_pending(id) {
            Ok(p) => p,
            Err(answer) => return answer,
        };
        if p.kind == Kind::VerifyStored {
            match decode_as::<NodeDetails>(resp, &self.client.decode_options_with(true)) {
                Ok(d) => self.check_stored(&d.value),
                Err(e) => self.handle_failure(p.kind, e, now, false),
            }
            return Ok(Fed::Accepted);
        }
        if p.kind == Kind::Limits {
            match crate::decode::decode(resp, &self.client.decode_options_with(true)) {
                Ok(d) => self.apply_limits(&d.value),
                Err(e) => self.handle_failure(p.kind, e, now, false),
            }
            return Ok(Fed::Accepted);
        }
        let decoded = decode_as::<UploadSession>(resp, &self.client.decode_options_with(true));
        match decoded {
            Ok(d) => self.handle_success(p.kind, d, now),
            Err(e) => self.handle_failure(p.kind, e, now, false),
        }
        Ok(Fed::Accepted)
    }

    /// Re-plans with the server's limits.
    pub(super) fn apply_limits(&mut self, limits: &serde_json::Value) {
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

    pub(super) fn handle_success(&mut self, kind: Kind, d: Decoded<UploadSession>, now: u64) {
        let s = d.value;
        match kind {
            // Answered in `on_response` before decoding as a session.
            Kind::Limits | Kind::VerifyStored => {}
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
    pub(super) fn after_send_once(&mut self, s: UploadSession, now: u64) {
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

    pub(super) fn on_status(&mut self, s: UploadSession, now: u64) {
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

    pub(super) fn after_stored(&mut self) {
        if self.spec.add_to.is_some() && self.upload_id.is_some() {
            self.phase = Phase::Placing;
        } else {
            self.finish();
        }
    }

    /// The file is stored (and placed): done, unless the stored node is to
    /// be checked first.
    pub(super) fn finish(&mut self) {
        if self.cfg.verify_stored {
            self.phase = Phase::Verifying;
            self.not_before_ms = 0;
            return;
        }
        self.finish_stored(StoredCheck::NotAsked);
    }

    pub(super) fn finish_stored(&mut self, stored: StoredCheck) {
        let size = self.file_size();
        let crc = self.crcs.combined(size).unwrap_or(0);
        self.outcome = Some(Action::Done(UploadDone {
            upload_id: self.upload_id.clone(),
            node_id: self.node_id.clone(),
            size,
            crc32c: crc32c_hex(crc),
            digest: self.whole_digest(),
            stored,
        }));
    }

    fn file_size(&self) -> u64 {
        self.spec.size.unwrap_or(self.stream_len)
    }

    /// The whole-file digest, only when every byte of the file went through
    /// it (after a resume without its state, it saw only some).
    fn whole_digest(&self) -> Option<Digest> {
        let size = self.file_size();
        self.digest
            .as_ref()
            .filter(|d| d.offset() == size)
            .map(|d| d.clone().finish())
    }

    /// The request for the stored node's details: in the workspace it was
    /// placed in, else where it was uploaded.
    pub(super) fn stored_details_call(&self) -> Option<Call> {
        let node = self.node_id.clone()?;
        let profile = match &self.spec.add_to {
            Some((ws, _)) => Profile::Workspace(ws.clone()),
            None => self.spec.target.clone()?,
        };
        Some(Call::Storage(StorageCall::Details {
            profile,
            nodes: vec![node],
        }))
    }

    /// Compares the stored node's hash with the digest of the bytes read.
    fn check_stored(&mut self, details: &NodeDetails) {
        let wanted = self.node_id.clone().unwrap_or_default();
        let node: Option<&Node> = match details {
            NodeDetails::One { node } => Some(node),
            NodeDetails::Multi { nodes, .. } => nodes.iter().find(|n| n.id == wanted),
        };
        let unavailable = |reason: String| StoredCheck::Unavailable { reason };
        let Some(node) = node else {
            return self.finish_stored(unavailable(format!(
                "the details answer does not hold node {wanted}"
            )));
        };
        let Some(ours) = self.whole_digest() else {
            return self.finish_stored(unavailable(
                "no whole-file digest was computed: the upload resumed from a token that \
                 carried no digest state"
                    .into(),
            ));
        };
        let (Some(hash), Some(algo)) = (node.hash.as_deref(), node.hash_algo.as_deref()) else {
            return self.finish_stored(unavailable("the stored node reports no hash".into()));
        };
        match verify_node_hash(hash, algo, std::slice::from_ref(&ours)) {
            Ok(_) => self.finish_stored(StoredCheck::Matched),
            Err(VerifyError::Mismatch {
                algo,
                expected,
                actual,
            }) => {
                self.outcome = Some(Action::Failed(UploadError::StoredMismatch {
                    node_id: wanted,
                    algo,
                    computed: actual,
                    stored: expected,
                }));
            }
            Err(e) => self.finish_stored(unavailable(e.to_string())),
        }
    }

    pub(super) fn protocol(&mut self, kind: Kind, message: &str) {
        self.outcome = Some(Action::Failed(UploadError::Protocol {
            what: kind.what(),
            message: message.into(),
        }));
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
