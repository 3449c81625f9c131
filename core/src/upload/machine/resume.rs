//! Resume: the token, when it is handed out to be saved, and continuing from
//! one.

use super::config::{PERSIST_INTERVAL_MS, UploadConfig, UploadSpec};
use super::state::{ChunkState, ChunkTable, Phase, Upload};
use crate::api::Client;
use crate::decode::models::UploadSession;
use crate::hash::{SequentialHasher, crc32c_hex};
use crate::upload::action::{Action, UploadError};
use crate::upload::plan::UploadPlan;
use crate::upload::token::{AckedChunk, ResumeToken, TOKEN_VERSION};

impl Upload {
    /// While waiting on inputs: `Wait` for the earliest timer, else `None`.
    /// A `Persist` when the resume token must be saved: as soon as the
    /// session exists (before any chunk is sent), then when chunks were
    /// acknowledged since the last one, at most once per
    /// [`PERSIST_INTERVAL_MS`] — and at once when every chunk is in, so
    /// completing never starts from a stale token. Between two saves a crash
    /// costs at most the chunks acknowledged in one interval, which resume
    /// finds on the server anyway.
    pub(super) fn persist_due(&mut self, now: u64) -> Option<Action> {
        if !self.cfg.persist_token || self.phase == Phase::Reconcile {
            return None;
        }
        let acked = self.chunks.acked;
        let due = match self.persisted_acked {
            None => true,
            Some(n) if n == acked => false,
            Some(_) => {
                self.chunks.all_acked()
                    || now >= self.persisted_ms.saturating_add(PERSIST_INTERVAL_MS)
            }
        };
        if !due {
            return None;
        }
        let token = self.snapshot()?;
        self.persisted_acked = Some(acked);
        self.persisted_ms = now;
        Some(Action::Persist { token })
    }

    /// When a held-back `Persist` falls due, if one is.
    pub(super) fn persist_wake(&self) -> Option<u64> {
        match self.persisted_acked {
            Some(n) if self.cfg.persist_token && n != self.chunks.acked => {
                Some(self.persisted_ms.saturating_add(PERSIST_INTERVAL_MS))
            }
            _ => None,
        }
    }

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
            file_digest: self.digest.as_ref().map(SequentialHasher::state),
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
        // The digest goes on only where the token's state is in the
        // algorithm asked for now; without it the digest of the bytes read
        // after resuming would be wrong, so there is none (`UploadDone`
        // reports it missing rather than inventing it).
        up.digest = match (&token.file_digest, up.cfg.digest_algo()) {
            (Some(state), Some(algo)) => {
                let h = SequentialHasher::from_state(state).map_err(|e| bad(e.to_string()))?;
                (h.algo() == algo).then_some(h)
            }
            _ => None,
        };
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
        // The host holds this token already.
        up.persisted_acked = Some(token.acked.len() as u64);
        Ok(up)
    }

    /// Keeps the chunks the token and the server agree on.
    pub(super) fn reconcile(&mut self, server: &UploadSession) {
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
