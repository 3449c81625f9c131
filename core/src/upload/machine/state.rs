//! The machine's state: the phase, the chunks and their counters, what each
//! outstanding request is for.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::config::{UploadConfig, UploadSpec};
use crate::api::Client;
use crate::decode::models::UploadStatus;
use crate::hash::{Crc32cParts, SequentialHasher};
use crate::outstanding::Outstanding;
use crate::upload::action::{Action, RequestId};
use crate::upload::backoff::Jitter;
use crate::upload::plan::UploadPlan;

/// What an outstanding request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
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
    VerifyStored,
    Cancel,
}

impl Kind {
    pub(super) fn what(self) -> String {
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
            Kind::VerifyStored => "reading the stored node's hash".into(),
            Kind::Cancel => "cancelling the upload".into(),
        }
    }
}

/// Where a chunk is.
#[derive(Debug, Clone)]
pub(super) enum ChunkState {
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
pub(super) struct ChunkTable {
    pub(super) states: Vec<ChunkState>,
    pub(super) lens: Vec<u64>,
    /// Chunks read and waiting to be sent.
    pub(super) ready: BTreeSet<usize>,
    /// Ready or in flight: chunk bytes held in memory.
    pub(super) held: usize,
    pub(super) acked: u64,
    pub(super) acked_bytes: u64,
    /// No chunk below this index is unread.
    pub(super) next_unread: usize,
}

impl ChunkTable {
    pub(super) fn new(plan: &UploadPlan) -> Self {
        let lens: Vec<u64> = plan.chunks().map(|c| c.len).collect();
        ChunkTable {
            states: vec![ChunkState::Unread; lens.len()],
            lens,
            ..ChunkTable::default()
        }
    }

    pub(super) fn get(&self, i: usize) -> Option<&ChunkState> {
        self.states.get(i)
    }

    pub(super) fn set(&mut self, i: usize, new: ChunkState) {
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
    pub(super) fn first_unread(&mut self) -> Option<usize> {
        while self.next_unread < self.states.len() {
            if matches!(self.states[self.next_unread], ChunkState::Unread) {
                return Some(self.next_unread);
            }
            self.next_unread += 1;
        }
        None
    }

    pub(super) fn all_acked(&self) -> bool {
        self.acked as usize == self.states.len()
    }
}

/// The phase of the whole upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Phase {
    Limits,
    Start,
    Reconcile,
    Uploading,
    Completing,
    Polling,
    Placing,
    Verifying,
    Cancelling,
    Finished,
}

/// An upload, driven by the host. See the module docs for the run loop.
#[derive(Debug)]
pub struct Upload {
    pub(super) client: Client,
    pub(super) spec: UploadSpec,
    pub(super) cfg: UploadConfig,
    pub(super) plan: UploadPlan,
    pub(super) phase: Phase,
    pub(super) upload_id: Option<String>,
    pub(super) node_id: Option<String>,
    /// Requests sent and not yet answered, and the ids given up on.
    pub(super) out: Outstanding<Kind>,
    pub(super) read: Option<(RequestId, u64)>,
    pub(super) chunks: ChunkTable,
    /// CRC32C of every chunk read (kept across resume to detect a changed file).
    pub(super) read_crcs: BTreeMap<u64, u32>,
    pub(super) crcs: Crc32cParts,
    /// The whole-file digest, when one is asked for.
    pub(super) digest: Option<SequentialHasher>,
    /// Single request / stream: the data and its hashing.
    pub(super) single_data: Option<Bytes>,
    /// The CRC32C of `single_data`, sent as its whole-body hash.
    pub(super) single_crc: Option<u32>,
    pub(super) stream_len: u64,
    pub(super) attempts: BTreeMap<Kind, u32>,
    /// When the next step that waits on a timer may happen.
    pub(super) not_before_ms: u64,
    pub(super) polls: u32,
    pub(super) last_status: Option<UploadStatus>,
    pub(super) complete_sent: u32,
    pub(super) jitter: Jitter,
    pub(super) progress_dirty: bool,
    /// After an ambiguous single-request failure: list sessions first.
    pub(super) find_single: bool,
    /// Chunks the server refused once for a hash mismatch.
    pub(super) integrity_strikes: BTreeSet<u64>,
    /// From a resume token: acknowledged chunks to check against the server.
    pub(super) resume_acked: Vec<(u64, Option<String>)>,
    /// On resume: chunks the server reports holding that the token had not
    /// recorded (acknowledged after the last save). They are read, for the
    /// whole-file hashes, but not sent again.
    pub(super) server_held: BTreeSet<u64>,
    /// After an ambiguous stream failure: ask the session's details first.
    pub(super) stream_check: bool,
    /// Acknowledged chunks in the last token handed out by `Persist`
    /// (`None`: none handed out for this session yet).
    pub(super) persisted_acked: Option<u64>,
    /// When the last token was handed out (host clock, ms).
    pub(super) persisted_ms: u64,
    pub(super) outcome: Option<Action>,
}
