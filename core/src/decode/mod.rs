//! Decoding responses: the envelope in all its documented shapes, errors with
//! their retry decision, rate limits, and typed models.
//!
//! The envelope is `{"result": true, "response": {...}}` in the docs, but
//! `result` may be `"yes"`/`"no"`, the payload may sit at the top level, the
//! OAuth token response has no envelope at all, and errors come as
//! `error{code,text|message,…}` or flat `error_message`. The HTTP status is the
//! primary switch: a non-2xx response is an error, except a bulk-details 404
//! whose body still carries the per-id answer (see `bulk_details_payload`).

mod de;
mod error;
pub mod models;
mod named;
mod ratelimit;

pub use error::{
    ApiError, DEFAULT_RATE_LIMIT_WAIT_S, ErrorKind, ParamError, Retry, retry_for_status,
};
pub use models::Model;
pub use named::{DECODE_TARGETS, NamedDecodeError, decode_named};
pub use ratelimit::RateLimit;

use serde_json::{Map, Value};

use crate::http::HttpResponse;

/// A successful response: the unwrapped payload and the rate-limit figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded<T> {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The payload.
    pub value: T,
    /// The rate-limit figures.
    pub rate_limit: RateLimit,
}

/// What the decoder needs besides the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Bodies larger than this are refused.
    pub max_body_bytes: usize,
    /// Whether the call may be resent after a 502/503/504 or a transport
    /// failure (see [`crate::api::Call::is_resendable`]).
    pub resendable: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_body_bytes: crate::config::DEFAULT_MAX_RESPONSE_BYTES,
            resendable: true,
        }
    }
}

/// Decodes a response into its payload (`response` unwrapped, or the top
/// level without `result` and `current_api_version`).
pub fn decode(resp: &HttpResponse, opts: &DecodeOptions) -> Result<Decoded<Value>, ApiError> {
    let rate_limit = RateLimit::from_headers(&resp.headers);
    let with_rl = |mut e: ApiError| {
        e.rate_limit = rate_limit;
        e
    };
    if resp.body.len() > opts.max_body_bytes {
        let mut e = ApiError::bare(
            super::decode::ErrorKind::BodyTooLarge,
            Some(resp.status),
            format!(
                "response body of {} bytes is over the {}-byte cap",
                resp.body.len(),
                opts.max_body_bytes
            ),
        );
        e.retry = retry_for_status(resp.status, opts.resendable, &rate_limit);
        return Err(with_rl(e));
    }
    let success = (200..300).contains(&resp.status);
    let trimmed = trim_ascii(&resp.body);
    let parsed: Option<Value> = if trimmed.is_empty() {
        None
    } else {
        serde_json::from_slice(trimmed).ok()
    };

    if resp.status == 404
        && let Some(Value::Object(obj)) = &parsed
        && let Some(payload) = bulk_details_payload(obj)
    {
        return Ok(Decoded {
            status: resp.status,
            value: payload,
            rate_limit,
        });
    }
    if !success {
        let mut e = match parsed.as_ref().and_then(Value::as_object) {
            Some(obj) => error_from_envelope(resp.status, obj),
            None => ApiError::bare(
                ErrorKind::Api,
                Some(resp.status),
                status_message(resp.status, &resp.body),
            ),
        };
        e.retry = retry_for_status(resp.status, opts.resendable, &rate_limit);
        return Err(with_rl(e));
    }

    let value = match parsed {
        Some(v) => v,
        None if trimmed.is_empty() => Value::Null,
        None => {
            return Err(with_rl(ApiError::bare(
                ErrorKind::MalformedResponse,
                Some(resp.status),
                format!(
                    "expected JSON, got {} bytes that do not parse{}",
                    resp.body.len(),
                    snippet(&resp.body)
                        .map(|s| format!(": {s}"))
                        .unwrap_or_default()
                ),
            )));
        }
    };
    let Value::Object(mut obj) = value else {
        // A bare array or scalar: no envelope to unwrap.
        return Ok(Decoded {
            status: resp.status,
            value,
            rate_limit,
        });
    };
    match obj.get("result") {
        None => {}
        Some(r) => match de::flag(r) {
            Some(true) => {}
            Some(false) => {
                if let Some(payload) = bulk_details_payload(&obj) {
                    return Ok(Decoded {
                        status: resp.status,
                        value: payload,
                        rate_limit,
                    });
                }
                let mut e = error_from_envelope(resp.status, &obj);
                e.retry = Retry::Never;
                return Err(with_rl(e));
            }
            None => {
                return Err(with_rl(ApiError::bare(
                    ErrorKind::MalformedResponse,
                    Some(resp.status),
                    format!("`result` is neither a boolean nor yes/no: {r}"),
                )));
            }
        },
    }
    let value = match obj.remove("response") {
        Some(inner) if !inner.is_null() => inner,
        _ => {
            obj.remove("result");
            obj.remove("current_api_version");
            Value::Object(obj)
        }
    };
    Ok(Decoded {
        status: resp.status,
        value,
        rate_limit,
    })
}

/// Decodes a response into a typed model.
pub fn decode_as<T: Model>(
    resp: &HttpResponse,
    opts: &DecodeOptions,
) -> Result<Decoded<T>, ApiError> {
    let d = decode(resp, opts)?;
    let value = models::from_payload::<T>(d.value).map_err(|mut e| {
        e.status = Some(d.status);
        e.rate_limit = d.rate_limit;
        e
    })?;
    Ok(Decoded {
        status: d.status,
        value,
        rate_limit: d.rate_limit,
    })
}

/// A bulk-details answer that failed for some or all of its ids comes with
/// `result: "no"` (HTTP 200, or 404 when every id failed) and still carries
/// `nodes`/`errors` arrays or a `node`: that is the answer, not an error
/// (fastio_cli src/client.rs:2221-2270, src/api/storage.rs:1203-1253
/// @96b1551). The payload is `response` when present, else the top level.
fn bulk_details_payload(obj: &Map<String, Value>) -> Option<Value> {
    if obj.get("result").and_then(de::flag).is_none_or(|ok| ok) {
        return None;
    }
    let payload = match obj.get("response") {
        Some(Value::Object(inner)) => inner,
        _ => obj,
    };
    let carries = payload.get("nodes").is_some_and(Value::is_array)
        || payload.get("errors").is_some_and(Value::is_array)
        || payload.get("node").is_some_and(Value::is_object);
    if !carries {
        return None;
    }
    let mut out = payload.clone();
    out.remove("result");
    out.remove("current_api_version");
    Some(Value::Object(out))
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn error_from_envelope(status: u16, obj: &Map<String, Value>) -> ApiError {
    let mut e = ApiError::bare(ErrorKind::Api, Some(status), String::new());
    match obj.get("error") {
        Some(Value::Object(err)) => {
            e.code = text(err.get("code"));
            e.error_code = text(err.get("error_code"));
            e.message = text(err.get("text"))
                .or_else(|| text(err.get("message")))
                .unwrap_or_default();
            e.resource = text(err.get("resource"));
            e.documentation_url = text(err.get("documentation_url"));
            e.raw_params = err.get("params").filter(|v| !v.is_null()).cloned();
            e.validation_report = err
                .get("validation_report")
                .filter(|v| !v.is_null())
                .cloned();
            e.reason = err.get("reason").filter(|v| !v.is_null()).cloned();
            if let Some(Value::Array(ps)) = err.get("params") {
                e.params = ps
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|p| ParamError {
                        name: text(p.get("name")).unwrap_or_default(),
                        kind: text(p.get("kind")),
                        code: text(p.get("code")),
                        message: text(p.get("message")),
                        expected_type: text(p.get("expected_type")),
                    })
                    .collect();
            }
        }
        Some(Value::String(s)) => e.message = s.clone(),
        _ => {}
    }
    if e.message.is_empty() {
        e.message = text(obj.get("error_message")).unwrap_or_default();
    }
    if e.code.is_none() {
        e.code = text(obj.get("error_id"));
    }
    if e.message.is_empty() {
        e.message = reason_phrase(status).to_string();
    }
    e
}

fn status_message(status: u16, body: &[u8]) -> String {
    match snippet(body) {
        Some(s) => format!("{}: {s}", reason_phrase(status)),
        None => reason_phrase(status).to_string(),
    }
}

/// The first 200 characters of a text body, control characters removed,
/// so an HTML error page from a proxy is readable in the error.
fn snippet(body: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(&body[..body.len().min(800)]).ok()?;
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    (!clean.is_empty()).then_some(clean)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200..=299 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "HTTP error",
    }
}

impl crate::api::Client {
    /// Decodes a call's response into its payload, with the call's retry
    /// semantics and the configured body cap.
    pub fn decode(
        &self,
        call: &crate::api::Call,
        resp: &HttpResponse,
    ) -> Result<Decoded<Value>, ApiError> {
        decode(resp, &self.decode_options(call))
    }

    /// Decodes a call's response into a typed model.
    pub fn decode_as<T: Model>(
        &self,
        call: &crate::api::Call,
        resp: &HttpResponse,
    ) -> Result<Decoded<T>, ApiError> {
        decode_as(resp, &self.decode_options(call))
    }

    /// The decode options for a call.
    pub fn decode_options(&self, call: &crate::api::Call) -> DecodeOptions {
        self.decode_options_with(call.is_resendable())
    }

    /// The decode options with the configured body cap.
    pub fn decode_options_with(&self, resendable: bool) -> DecodeOptions {
        DecodeOptions {
            max_body_bytes: self.config().max_response_bytes,
            resendable,
        }
    }
}
