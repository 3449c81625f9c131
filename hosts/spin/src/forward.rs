//! Forwarding a verified webhook delivery to `WEBHOOK_FORWARD_URL`.
//!
//! The internal endpoint gets `POST` with the delivery's body exactly as
//! Fast.io signed it and these headers:
//!
//! | header | value |
//! |---|---|
//! | `content-type` | `application/json` |
//! | `x-fastio-event` | the event name (`workspace_storage_file_added`, …) |
//! | `x-gateway-verified-scheme` | the scheme that verified it (`standard-webhooks`, …) |
//! | `x-fastio-delivery-id` | the delivery id, when the scheme carries one |
//!
//! The signature headers are not passed on: the endpoint trusts the gateway,
//! not the sender. A delivery is acknowledged (204) only once the endpoint
//! took it (2xx); otherwise the sender gets an error status and delivers
//! again later, so no verified event is lost to a restart of the endpoint.

use fastio_core::http::{Body, HttpRequest, Method, PartData};
use serde_json::json;

use crate::exchange::exchange_for;
use crate::reply::Reply;

/// How long the endpoint may take. Senders give up on a delivery after tens
/// of seconds (Fast.io is said to wait 30 s), so the gateway answers first.
pub const FORWARD_TIMEOUT_MS: u64 = 10_000;

/// What the sender is told to wait before delivering again when the
/// endpoint is down, seconds.
pub const RETRY_AFTER_S: u32 = 30;

/// The verified delivery to pass on.
pub struct Verified<'a> {
    /// The raw body, as signed.
    pub body: &'a [u8],
    /// The event name.
    pub event: String,
    /// The scheme that verified it.
    pub scheme: &'a str,
    /// The delivery id, if the scheme has one.
    pub id: Option<&'a str>,
}

/// The request the endpoint gets.
pub fn request(url: &str, v: &Verified<'_>) -> HttpRequest {
    let mut headers = vec![
        ("x-fastio-event".to_string(), v.event.clone()),
        (
            "x-gateway-verified-scheme".to_string(),
            v.scheme.to_string(),
        ),
    ];
    if let Some(id) = v.id {
        headers.push(("x-fastio-delivery-id".to_string(), id.to_string()));
    }
    HttpRequest {
        method: Method::Post,
        url: url.to_string(),
        headers,
        body: Body::Bytes {
            content_type: "application/json".into(),
            data: PartData::Inline(bytes::Bytes::copy_from_slice(v.body)),
        },
    }
}

/// Sends the delivery on. `Err` is the answer for the sender:
///
/// - 503 `forward_unavailable` (with `Retry-After`) when the endpoint cannot
///   be reached or does not answer within [`FORWARD_TIMEOUT_MS`];
/// - 502 `forward_failed` (with `forward_status`) when it answers non-2xx.
///
/// Messages never contain the URL, which may carry credentials.
pub fn forward(url: &str, v: &Verified<'_>) -> Result<(), Reply> {
    match exchange_for(&request(url, v), FORWARD_TIMEOUT_MS) {
        Ok(r) if (200..300).contains(&r.status) => Ok(()),
        Ok(r) => Err(Reply::error(
            502,
            "forward_failed",
            format!(
                "the internal endpoint answered {}; deliver again later",
                r.status
            ),
        )
        .with("forward_status", json!(r.status))),
        Err(e) => Err(Reply::error(
            503,
            "forward_unavailable",
            format!("the internal endpoint could not be reached ({e}); deliver again later"),
        )
        .header("retry-after", RETRY_AFTER_S.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_carries_the_verified_body_and_event() {
        let body = br#"{"event":"x"}"#;
        let r = request(
            "http://127.0.0.1:9/hook",
            &Verified {
                body,
                event: "workspace_storage_file_added".into(),
                scheme: "standard-webhooks",
                id: Some("msg_1"),
            },
        );
        assert_eq!(r.method, Method::Post);
        assert_eq!(r.url, "http://127.0.0.1:9/hook");
        let h = |k: &str| {
            r.headers
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(h("x-fastio-event"), Some("workspace_storage_file_added"));
        assert_eq!(h("x-gateway-verified-scheme"), Some("standard-webhooks"));
        assert_eq!(h("x-fastio-delivery-id"), Some("msg_1"));
        assert_eq!(r.body.content_type().as_deref(), Some("application/json"));
        assert_eq!(r.body.content_length(), body.len() as u64);
    }
}
