//! What an upload is and how its machine behaves.

use crate::api::Profile;
use crate::hash::HashAlgo;
use crate::upload::backoff::RetryPolicy;
use crate::upload::plan::PlanConfig;

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
    /// Hand out [`Action::Persist`](crate::upload::Action::Persist) with the resume token whenever it must
    /// be saved (a host that keeps no token leaves this off).
    pub persist_token: bool,
    /// The whole-file digest to compute for the caller (`None`: none). The
    /// server checks only the CRC32C, which is always computed; any other
    /// whole-file digest is extra work on every byte, so it is computed only
    /// when asked for here or by [`UploadConfig::verify_stored`].
    pub file_digest: Option<HashAlgo>,
    /// After the file is stored, read the node's details and compare its
    /// `hash` with the whole-file digest computed here (in `file_digest`, or
    /// [`STORED_DIGEST_ALGO`] when that is `None`): an end-to-end check that
    /// the bytes the service stored are the bytes read.
    pub verify_stored: bool,
    /// The host keeps the bytes of each chunk it read (or can read them
    /// again) and writes them into the chunk's request itself: chunk requests
    /// then carry a [`PartData::Source`](crate::http::PartData::Source) part
    /// instead of the bytes, which cross into the core once, to be
    /// checksummed, and are neither held here nor copied back out. A host
    /// behind a foreign-function or WebAssembly boundary saves two copies of
    /// every byte. Chunked uploads only.
    pub host_keeps_chunks: bool,
}

/// The algorithm the service reports a stored node's `hash` in
/// (`fastio-api.md`, "Stored nodes expose `hash` and `hash_algo` (e.g.
/// `"md5"`)"; the local server does the same): what `verify_stored` computes
/// when no `file_digest` is given.
pub const STORED_DIGEST_ALGO: HashAlgo = HashAlgo::Md5;

impl UploadConfig {
    /// The whole-file digest this configuration computes, if any.
    pub fn digest_algo(&self) -> Option<HashAlgo> {
        self.file_digest
            .or(self.verify_stored.then_some(STORED_DIGEST_ALGO))
    }
}

impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig {
            plan: PlanConfig::default(),
            chunk_algo: Some(HashAlgo::Crc32c),
            retry: RetryPolicy::default(),
            request_timeout_ms: crate::config::DEFAULT_REQUEST_TIMEOUT_MS,
            stall_timeout_ms: 30_000,
            poll_wait_s: 60,
            max_polls: 120,
            stream_max_size: None,
            seed: 0x5EED,
            fetch_limits: false,
            persist_token: false,
            file_digest: None,
            verify_stored: false,
            host_keeps_chunks: false,
        }
    }
}

/// The shortest time between two `Persist` actions while chunks are
/// acknowledged: one token write per second bounds the host's disk work
/// however small the chunks, and a crash loses at most a second of
/// acknowledgements, which resume recovers from the server.
pub const PERSIST_INTERVAL_MS: u64 = 1_000;
