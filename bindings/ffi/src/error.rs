//! The one error type every binding sees, flattened from the core's errors to
//! the fields a caller acts on. Secrets never reach it: the core's messages are
//! already redacted, and nothing here formats a credential.

use fastio_core::api::BuildError;
use fastio_core::decode::{ApiError, Retry};
use fastio_core::hash::VerifyError;
use fastio_core::upload::plan::PlanError;
use fastio_core::upload::{InputError, UploadError};
use fastio_core::webhook::WebhookError;

/// What to do after an API failure.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RetryDecision {
    /// Do not retry.
    Never,
    /// Retry with exponential backoff.
    Backoff,
    /// Retry at this unix time.
    At { unix_s: u64 },
    /// Retry after this many seconds.
    After { seconds: u64 },
}

impl From<&Retry> for RetryDecision {
    fn from(r: &Retry) -> Self {
        match r {
            Retry::Never => RetryDecision::Never,
            Retry::Backoff => RetryDecision::Backoff,
            Retry::At { unix_s } => RetryDecision::At { unix_s: *unix_s },
            Retry::After { seconds } => RetryDecision::After { seconds: *seconds },
            // A decision added to the core later: never retrying is the safe reading.
            _ => RetryDecision::Never,
        }
    }
}

/// One failing request parameter, as the server reported it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ParamFailure {
    pub name: String,
    pub kind: Option<String>,
    pub code: Option<String>,
}

/// Every failure a caller can meet, with the fields it acts on. The text is
/// `detail` (Kotlin exceptions already own `message`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FastioError {
    /// The server (or the transport) refused: HTTP status first, then the
    /// Fast.io code, then whether and when to retry. `kind` is `api`,
    /// `malformed_response`, `body_too_large` or `transport`.
    #[error("{detail}")]
    Api {
        kind: String,
        detail: String,
        status: Option<u16>,
        code: Option<String>,
        error_code: Option<String>,
        retry: RetryDecision,
        params: Vec<ParamFailure>,
        /// The whole error as the core's JSON (the same text as the WIT's
        /// `detail-json`): `error.params` verbatim in `raw_params` (an array
        /// or an object such as a note conflict's `current`),
        /// `validation_report`, `reason`, rate limits.
        detail_json: String,
    },
    /// A call, configuration or argument was refused before anything was
    /// sent. `kind`: `invalid_id`, `invalid_param`, `missing_credential`,
    /// `config`, `invalid_json`, `invalid_argument`, `not_pageable`, `redirect`.
    #[error("{detail}")]
    InvalidInput { kind: String, detail: String },
    /// The file does not fit the upload limits. `kind`: `too_large`,
    /// `too_many_chunks`, `invalid_config`; the numbers not relevant are 0.
    #[error("{detail}")]
    Plan {
        kind: String,
        detail: String,
        size: u64,
        max: u64,
        chunk_size: u64,
        chunks: u64,
    },
    /// Bytes did not match the digest the server reported (upload or download).
    #[error("{detail}")]
    Integrity { detail: String },
    /// An upload, download, AI-answer wait or listing ended for a reason other than
    /// the above. `kind`: `assembly`, `session_expired`, `short_read`,
    /// `source_changed`, `stream_too_large`, `stream_interrupted`,
    /// `poll_limit`, `protocol`, `cancelled`, `hash`, `timed_out` (an answer
    /// wait spent its budget), `page_limit` (a listing did not end within its
    /// page bound).
    #[error("{detail}")]
    Transfer { kind: String, detail: String },
    /// A webhook delivery was refused. `kind` is stable across languages
    /// (`no_matching_signature`, `timestamp_too_old`, …); `hint` names a
    /// common mistake when one was detected.
    #[error("{detail}")]
    Webhook {
        kind: String,
        hint: Option<String>,
        detail: String,
    },
    /// The machine was driven wrongly (unknown or duplicate id, already
    /// finished, object already consumed): a bug in the calling code.
    #[error("{detail}")]
    Usage { detail: String },
}

pub type Result<T> = std::result::Result<T, FastioError>;

fn kind_text<T: serde::Serialize>(v: &T) -> String {
    // The core's kinds serialise as plain snake_case strings.
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".into(),
    }
}

impl From<&ApiError> for FastioError {
    fn from(e: &ApiError) -> Self {
        FastioError::Api {
            kind: kind_text(&e.kind),
            detail: e.message.clone(),
            status: e.status,
            code: e.code.clone(),
            error_code: e.error_code.clone(),
            retry: (&e.retry).into(),
            params: e
                .params
                .iter()
                .map(|p| ParamFailure {
                    name: p.name.clone(),
                    kind: p.kind.clone(),
                    code: p.code.clone(),
                })
                .collect(),
            detail_json: serde_json::to_string(e).unwrap_or_default(),
        }
    }
}

impl From<ApiError> for FastioError {
    fn from(e: ApiError) -> Self {
        (&e).into()
    }
}

impl From<BuildError> for FastioError {
    fn from(e: BuildError) -> Self {
        let kind = match &e {
            BuildError::InvalidId { .. } => "invalid_id",
            BuildError::InvalidParam { .. } => "invalid_param",
            BuildError::MissingCredential => "missing_credential",
            _ => "config",
        };
        FastioError::InvalidInput {
            kind: kind.into(),
            detail: e.to_string(),
        }
    }
}

impl From<PlanError> for FastioError {
    fn from(e: PlanError) -> Self {
        let message = e.to_string();
        let (kind, size, max, chunk_size, chunks) = match e {
            PlanError::TooLarge { size, max } => ("too_large", size, max, 0, 0),
            PlanError::TooManyChunks {
                size,
                chunk_size,
                chunks,
                max,
            } => ("too_many_chunks", size, max, chunk_size, chunks),
            _ => ("invalid_config", 0, 0, 0, 0),
        };
        FastioError::Plan {
            kind: kind.into(),
            detail: message,
            size,
            max,
            chunk_size,
            chunks,
        }
    }
}

impl From<VerifyError> for FastioError {
    fn from(e: VerifyError) -> Self {
        FastioError::Integrity {
            detail: e.to_string(),
        }
    }
}

impl From<InputError> for FastioError {
    fn from(e: InputError) -> Self {
        FastioError::Usage {
            detail: e.to_string(),
        }
    }
}

impl From<WebhookError> for FastioError {
    fn from(e: WebhookError) -> Self {
        FastioError::Webhook {
            kind: e.kind().as_str().into(),
            hint: e.hint().map(|h| h.as_str().to_string()),
            detail: e.to_string(),
        }
    }
}

impl From<UploadError> for FastioError {
    fn from(e: UploadError) -> Self {
        let message = e.to_string();
        let transfer = |kind: &str| FastioError::Transfer {
            kind: kind.into(),
            detail: message.clone(),
        };
        match e {
            UploadError::Api { error, .. } | UploadError::RetriesExhausted { last: error, .. } => {
                // Keep the status, code and retry decision; say what was being done.
                let mut out = FastioError::from(&*error);
                if let FastioError::Api { detail: m, .. } = &mut out {
                    *m = message;
                }
                out
            }
            UploadError::Integrity { .. } | UploadError::StoredMismatch { .. } => {
                FastioError::Integrity { detail: message }
            }
            UploadError::Verify(v) => v.into(),
            UploadError::Plan(p) => p.into(),
            UploadError::Build(b) => b.into(),
            UploadError::Assembly { .. } => transfer("assembly"),
            UploadError::SessionExpired { .. } => transfer("session_expired"),
            UploadError::ShortRead { .. } => transfer("short_read"),
            UploadError::SourceChanged { .. } => transfer("source_changed"),
            UploadError::StreamTooLarge { .. } => transfer("stream_too_large"),
            UploadError::StreamInterrupted => transfer("stream_interrupted"),
            UploadError::Hash(_) => transfer("hash"),
            UploadError::PollLimit { .. } => transfer("poll_limit"),
            UploadError::Cancelled => transfer("cancelled"),
            _ => transfer("protocol"),
        }
    }
}

pub(crate) fn invalid(kind: &str, message: impl Into<String>) -> FastioError {
    FastioError::InvalidInput {
        kind: kind.into(),
        detail: message.into(),
    }
}

pub(crate) fn usage(message: impl Into<String>) -> FastioError {
    FastioError::Usage {
        detail: message.into(),
    }
}
