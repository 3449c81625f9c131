//! Chunks: reading, hashing and sending them within the in-flight limit.

use bytes::Bytes;

use super::state::{ChunkState, Kind, Phase, Upload};
use crate::api::UploadCall;
use crate::hash::{ChunkHasher, HashAlgo, crc32c_hex, hash_chunk_into};
use crate::http::{MULTIPART_BOUNDARY_MARK, PartData};
use crate::upload::action::{Action, InputError, RequestId, UploadError};
use crate::upload::plan::{Chunk, UploadPlan};

impl Upload {
    pub(super) fn in_flight(&self) -> usize {
        self.out
            .kinds()
            .filter(|k| matches!(k, Kind::Chunk(_)))
            .count()
    }

    pub(super) fn max_in_flight(&self) -> usize {
        self.plan.max_in_flight().clamp(1, 64) as usize
    }

    pub(super) fn uploading(&mut self, now: u64) -> Option<Action> {
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

    pub(super) fn send_chunk(&mut self, i: usize, now: u64) -> Action {
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
        // An empty buffer for a chunk with bytes: the host kept them
        // (`host_keeps_chunks`), and writes them from its source.
        let part = match self.plan.chunk(order) {
            Some(ch) if data.is_empty() && ch.len > 0 => PartData::Source {
                offset: ch.offset,
                len: ch.len,
            },
            _ => PartData::Inline(data.clone()),
        };
        let call = self.upload_call(|id| UploadCall::Chunk {
            upload_id: id,
            order,
            data: part,
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

    pub(super) fn bug(&self, what: &str) -> UploadError {
        UploadError::Protocol {
            what: "the upload machine".into(),
            message: what.into(),
        }
    }

    /// The bytes of the outstanding read of chunk `order` (or of the whole
    /// file for a single request).
    pub(super) fn read_done(
        &mut self,
        id: RequestId,
        order: u64,
        data: Bytes,
    ) -> Result<(), InputError> {
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
            if let Err(e) = hash_chunk_into(self.digest.as_mut(), &mut c, 0, &data) {
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
                // The host that keeps its chunks writes them itself; a chunk
                // holding `--fastio-` stays here, where the multipart encoder
                // can choose a boundary its bytes do not contain.
                let data = if self.cfg.host_keeps_chunks
                    && memchr::memmem::find(&data, MULTIPART_BOUNDARY_MARK).is_none()
                {
                    Bytes::new()
                } else {
                    data
                };
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

    pub(super) fn hash_chunk(
        &mut self,
        ch: Chunk,
        data: &[u8],
    ) -> Result<(Option<String>, u32), UploadError> {
        let algo = self.cfg.chunk_algo.unwrap_or(HashAlgo::Crc32c);
        let mut h = ChunkHasher::new(algo);
        hash_chunk_into(self.digest.as_mut(), &mut h, ch.offset, data)?;
        let crc = h.crc32c();
        let d = h.finish();
        Ok((self.cfg.chunk_algo.map(|_| d.hex()), crc))
    }
}
