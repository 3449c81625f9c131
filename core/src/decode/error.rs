//! The one error a call can end in: what happened, and what to do about it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ratelimit::RateLimit;

/// How long to wait after a 429 when `x-ve-limit-expires` is absent.
pub const DEFAULT_RATE_LIMIT_WAIT_S: u64 = 60;

/// What the caller should do after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Retry {
    /// Do not retry: the request itself is wrong, or resending could repeat
    /// a committed effect.
    Never,
    /// Retry with exponential backoff (a 502, 503 or 504, or a transport
    /// failure, on a call that may be resent).
    Backoff,
    /// Retry at this Unix time (from `x-ve-limit-expires`), for an answer
    /// without a `Date` to measure it against: only a caller with a wall
    /// clock can turn it into a wait. The machines, whose clock is
    /// monotonic, wait [`DEFAULT_RATE_LIMIT_WAIT_S`] instead.
    At {
        /// Unix seconds.
        unix_s: u64,
    },
    /// Retry after this many seconds: a 429's `x-ve-limit-expires` less
    /// its `Date` (both the server's clock), or
    /// [`DEFAULT_RATE_LIMIT_WAIT_S`] without an expiry.
    After {
        /// Seconds.
        seconds: u64,
    },
}

/// What kind of failure this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with an error status or `result: false`.
    Api,
    /// A success status with a body that is not what the API sends.
    MalformedResponse,
    /// The response body is larger than the configured cap.
    BodyTooLarge,
    /// The request never got an answer (reported by the host).
    Transport,
}

/// One rejected field, from `error.params[]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamError {
    /// The field.
    pub name: String,
    /// `missing` or `invalid`.
    #[serde(default)]
    pub kind: Option<String>,
    /// A per-field code.
    #[serde(default)]
    pub code: Option<String>,
    /// What is wrong.
    #[serde(default)]
    pub message: Option<String>,
    /// The type the field should have.
    #[serde(default)]
    pub expected_type: Option<String>,
}

/// A failed call. Branch on [`ApiError::status`] first and
/// [`ApiError::code`] second; [`ApiError::retry`] says what to do.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// `error.code` (a number or a string on the wire; kept as text).
    pub code: Option<String>,
    /// `error.error_code`, such as `APP_X`.
    pub error_code: Option<String>,
    /// The message (`error.text`, `error.message` or `error_message`).
    pub message: String,
    /// `error.resource`, such as `POST /current/upload/`.
    pub resource: Option<String>,
    /// Per-field failures.
    pub params: Vec<ParamError>,
    /// `error.documentation_url`.
    pub documentation_url: Option<String>,
    /// `error.params` verbatim, whether an array of field errors or an
    /// object: a note-update conflict (409) carries the note's current state
    /// at `params.current` (fastio_cli src/api/workspace.rs:310-317 @96b1551).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_params: Option<serde_json::Value>,
    /// `error.validation_report` verbatim (a 422's per-field report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_report: Option<serde_json::Value>,
    /// `error.reason` verbatim (a 409's reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<serde_json::Value>,
    /// What to do next.
    pub retry: Retry,
    /// The rate-limit figures of the response.
    pub rate_limit: RateLimit,
}

impl ApiError {
    /// The service's code for a compare-and-swap that lost its race: a note
    /// changed since `if_version_id` (fastio_cli src/api/workspace.rs:300-337
    /// @96b1551).
    pub const VERSION_CONFLICT: &'static str = "1660";

    /// The object's current state when this error is a version conflict
    /// (409, code 1660): the service puts it in `error.params.current`.
    /// `None` for every other error.
    pub fn version_conflict(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        if self.code.as_deref() != Some(Self::VERSION_CONFLICT) {
            return None;
        }
        self.raw_params.as_ref()?.get("current")?.as_object()
    }

    /// `error.code` as a number, when it is one.
    pub fn code_number(&self) -> Option<i64> {
        self.code.as_deref().and_then(|c| c.trim().parse().ok())
    }

    /// A transport failure (connection refused, reset, timed out) reported by
    /// the host. A call that may be resent is retried with backoff.
    pub fn transport(message: impl Into<String>, resendable: bool) -> Self {
        ApiError {
            kind: ErrorKind::Transport,
            status: None,
            code: None,
            error_code: None,
            message: message.into(),
            resource: None,
            params: Vec::new(),
            documentation_url: None,
            raw_params: None,
            validation_report: None,
            reason: None,
            retry: if resendable {
                Retry::Backoff
            } else {
                Retry::Never
            },
            rate_limit: RateLimit::default(),
        }
    }

    pub(crate) fn bare(kind: ErrorKind, status: Option<u16>, message: String) -> Self {
        ApiError {
            kind,
            status,
            code: None,
            error_code: None,
            message,
            resource: None,
            params: Vec::new(),
            documentation_url: None,
            raw_params: None,
            validation_report: None,
            reason: None,
            retry: Retry::Never,
            rate_limit: RateLimit::default(),
        }
    }
}

/// The retry decision for a status, as the official client makes it
/// (fastio_cli src/client.rs:41-44, 1946-2021 @96b1551): 502, 503 and 504
/// mean the request never reached the application, so any call that may be
/// resent backs off; 500, 501 and every other 4xx are final. A 429 says when
/// the window reopens; outside uploads nothing waits for it automatically
/// (src/client.rs:1984-1991), the figure is for the caller. The expiry is
/// turned into a wait here, once, against the answer's own `Date`, so no
/// host clock is ever compared with a server time.
pub fn retry_for_status(status: u16, resendable: bool, rate_limit: &RateLimit) -> Retry {
    match status {
        429 => match (rate_limit.reset_in_s(), rate_limit.expires) {
            (Some(seconds), _) => Retry::After { seconds },
            (None, Some(unix_s)) => Retry::At { unix_s },
            (None, None) => Retry::After {
                seconds: DEFAULT_RATE_LIMIT_WAIT_S,
            },
        },
        502..=504 if resendable => Retry::Backoff,
        _ => Retry::Never,
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(s) => write!(f, "HTTP {s}")?,
            None => write!(f, "{:?}", self.kind)?,
        }
        if let Some(c) = &self.code {
            write!(f, " (code {c})")?;
        }
        write!(f, ": {}", self.message)?;
        for p in &self.params {
            write!(f, "; {}", p.name)?;
            if let Some(m) = &p.message {
                write!(f, ": {m}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("kind", &self.kind)
            .field("status", &self.status)
            .field("code", &self.code)
            .field("error_code", &self.error_code)
            .field("message", &self.message)
            .field("params", &self.params)
            .field("retry", &self.retry)
            .finish()
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod conflict_tests {
    use crate::decode::{DecodeOptions, decode};
    use crate::http::HttpResponse;

    fn error(status: u16, body: &str) -> super::ApiError {
        decode(
            &HttpResponse::new(status, body.as_bytes().to_vec()),
            &DecodeOptions::default(),
        )
        .expect_err("an error answer")
    }

    #[test]
    fn a_version_conflict_carries_the_current_state_and_nothing_else_does() {
        let e = error(
            409,
            r##"{"result":false,"error":{"code":1660,"text":"Version conflict","params":{"current":{"version_id":"v3","content":"# Notes"}}}}"##,
        );
        let current = e.version_conflict().expect("the current state");
        assert_eq!(current["version_id"], "v3");
        // Another code with the same shape, and the right code without it, are not conflicts.
        let other = error(
            409,
            r#"{"result":false,"error":{"code":1661,"text":"x","params":{"current":{}}}}"#,
        );
        assert!(other.version_conflict().is_none());
        let bare = error(
            409,
            r#"{"result":false,"error":{"code":1660,"text":"x","params":[]}}"#,
        );
        assert!(bare.version_conflict().is_none());
    }
}
