//! What the upload and download machines ask of the host, and how they end.

use serde::{Deserialize, Serialize};

use crate::api::BuildError;
use crate::config::ConfigError;
use crate::decode::ApiError;
use crate::hash::{Digest, HashAlgo, HashError, VerifyError};
use crate::http::HttpRequest;
use crate::upload::plan::PlanError;
use crate::upload::token::ResumeToken;

/// Identifies one request or one read, so the host's answer finds its way back.
pub type RequestId = u64;

/// The next thing the host must do.
///
/// After any action, call `next_action` again until it returns `None`; then
/// wait for a response, data or the time of the last [`Action::Wait`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Send this request; pass its response to `on_response(id, …)` or, if it
    /// never gets one, report the failure with `on_transport_error(id, …)`.
    /// A [`crate::http::Body::Stream`] body is streamed from the source, each
    /// piece also passed to `on_data(id, …)`.
    Send {
        /// The request's id.
        id: RequestId,
        /// The request.
        request: HttpRequest,
    },
    /// Read `len` bytes of the source at `offset` and pass them to
    /// `on_data(id, …)`. Fewer bytes than asked mean the source ended.
    Read {
        /// The read's id.
        id: RequestId,
        /// Byte offset in the source.
        offset: u64,
        /// Bytes wanted.
        len: u64,
    },
    /// Nothing to do before this time (host clock, ms) unless an input
    /// arrives; at that time call `on_timeout(now)`.
    Wait {
        /// When to call `on_timeout`.
        until_ms: u64,
    },
    /// Save this resume token, replacing the one saved before, durably
    /// (write it beside the old one, flush it to disk, rename it over), then
    /// call `next_action` again. Only with
    /// [`crate::upload::UploadConfig::persist_token`]; the machine decides
    /// when (see [`crate::upload::machine::PERSIST_INTERVAL_MS`]). After
    /// `Done` the saved token is obsolete: delete it.
    Persist {
        /// The token; [`ResumeToken::to_json`] is its saved form.
        token: ResumeToken,
    },
    /// Progress to show; then call `next_action` again.
    Progress(Progress),
    /// The upload is stored.
    Done(UploadDone),
    /// The upload failed; nothing more will happen.
    Failed(UploadError),
}

/// Upload progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Progress {
    /// Bytes the server has acknowledged.
    pub bytes_acked: u64,
    /// The file size, when known.
    pub bytes_total: Option<u64>,
    /// Chunks acknowledged.
    pub chunks_acked: u64,
    /// Chunks in the plan (1 for a single request, 0 for a stream).
    pub chunks_total: u64,
}

/// A stored upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadDone {
    /// The upload session id.
    pub upload_id: Option<String>,
    /// The stored file's node id.
    pub node_id: Option<String>,
    /// Bytes uploaded.
    pub size: u64,
    /// Whole-file CRC32C, 8 lowercase hex digits (the check the server makes).
    pub crc32c: String,
    /// The whole-file digest, when one was asked for
    /// ([`UploadConfig::file_digest`](crate::upload::UploadConfig::file_digest)
    /// or `verify_stored`) and every byte passed through it. An upload resumed
    /// from a token that carried no digest state has none: a digest of only
    /// the bytes read after resuming would be wrong, so none is reported.
    pub digest: Option<Digest>,
    /// What the end-to-end check against the stored node found.
    pub stored: StoredCheck,
}

/// The end-to-end check of an upload against the node the service stored
/// ([`UploadConfig::verify_stored`](crate::upload::UploadConfig::verify_stored)).
/// A node whose hash differs fails the upload with
/// [`UploadError::StoredMismatch`] instead.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StoredCheck {
    /// Not asked for.
    #[default]
    NotAsked,
    /// The stored node's hash equals the digest of the bytes read.
    Matched,
    /// Asked for but not possible, and why (no digest was computed, the node
    /// reports no hash or one in another algorithm, its details could not be
    /// read). The file is stored; nothing was compared.
    Unavailable {
        /// Why, in words.
        reason: String,
    },
}

/// Why an upload or download failed. Every case is final.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The server refused a request for good.
    #[error("{what} failed: {error}")]
    Api {
        /// Which step.
        what: String,
        /// The server's answer.
        error: Box<ApiError>,
    },
    /// A request kept failing after every allowed retry.
    #[error("{what} failed after {attempts} attempts; last error: {last}")]
    RetriesExhausted {
        /// Which step.
        what: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: Box<ApiError>,
    },
    /// The assembled file's CRC32C does not match what was sent.
    #[error("integrity check failed: expected CRC32C {expected:?}, server computed {computed:?}")]
    Integrity {
        /// The CRC the client sent.
        expected: Option<String>,
        /// The CRC of what the server assembled.
        computed: Option<String>,
    },
    /// The stored node's hash differs from the digest of the bytes read:
    /// the service holds other bytes than were sent.
    #[error("the stored node {node_id} has {algo} {stored}, but the bytes read hash to {computed}")]
    StoredMismatch {
        /// The stored node.
        node_id: String,
        /// The algorithm compared.
        algo: HashAlgo,
        /// The digest of the bytes read, hex.
        computed: String,
        /// The node's hash, as the service reports it.
        stored: String,
    },
    /// The server could not assemble or store the file.
    #[error("the server reports {status}: {message}")]
    Assembly {
        /// `assembly_failed` or `store_failed`.
        status: String,
        /// The server's message.
        message: String,
    },
    /// The session the token names is gone (expired, cancelled or unknown).
    #[error("upload session {upload_id} no longer exists on the server")]
    SessionExpired {
        /// The session.
        upload_id: String,
    },
    /// The source had fewer bytes than planned (a truncated file).
    #[error("the source ended early: wanted {expected} bytes at offset {offset}, got {got}")]
    ShortRead {
        /// Where the read started.
        offset: u64,
        /// Bytes wanted.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// A chunk read again differs from the first read: the file changed.
    #[error("chunk {order} changed since it was first read; the source file was modified")]
    SourceChanged {
        /// The chunk.
        order: u64,
    },
    /// A stream went past its announced maximum size.
    #[error("the stream passed its maximum of {max} bytes")]
    StreamTooLarge {
        /// The maximum.
        max: u64,
    },
    /// A stream upload failed and the server did not keep it; a stream
    /// cannot be replayed, so it must be started again.
    #[error("the stream upload was interrupted and the server kept nothing")]
    StreamInterrupted,
    /// The file could not be planned (too big, too many chunks).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A request could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The client configuration is unusable (a bad base URL).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// A download did not match its expected digest or size.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The server kept reporting an unfinished status past the poll limit.
    #[error("the server did not finish after {polls} status polls (last status {status})")]
    PollLimit {
        /// Polls made.
        polls: u32,
        /// The last status.
        status: String,
    },
    /// A response could not be understood.
    #[error("unexpected response to {what}: {message}")]
    Protocol {
        /// Which step.
        what: String,
        /// What was wrong.
        message: String,
    },
    /// `cancel()` was called.
    #[error("cancelled")]
    Cancelled,
}

/// The host called the machine wrongly. The machine's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// No request or read with this id is outstanding.
    #[error("no request or read {0} is outstanding")]
    UnknownId(RequestId),
    /// This id was already answered.
    #[error("request {0} was already answered")]
    Duplicate(RequestId),
    /// Data was passed for a request that does not take any.
    #[error("request {0} does not take data")]
    NotExpectingData(RequestId),
    /// The machine has finished.
    #[error("the machine has finished")]
    Finished,
}
