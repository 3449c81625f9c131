//! `POST /webhooks/fastio`: verifies a delivery with the configured scheme,
//! secrets and tolerance, reads it as a typed event, answers 204 (or 400/401
//! with the error kind), and optionally forwards the verified body to an
//! internal URL ([`crate::forward`]): then the 204 means the endpoint has it.
//!
//! De-duplication by delivery id needs memory shared across requests and
//! instances, which a stateless component does not have: it belongs in the
//! platform's store (Spin key-value); see the README.

use fastio_core::webhook::{DEFAULT_MAX_BODY_BYTES, ErrorKind, WebhookError, parse_event};
use serde_json::json;

use crate::config::WebhookConfig;
use crate::forward::{Verified, forward};
use crate::incoming::{ReadError, Request, unix_now};
use crate::reply::Reply;

fn refusal(e: &WebhookError) -> Reply {
    let kind = e.kind();
    let status = match kind {
        ErrorKind::MissingHeader | ErrorKind::MalformedHeader => 400,
        ErrorKind::BodyTooLarge => 413,
        ErrorKind::InvalidSecret | ErrorKind::InvalidScheme | ErrorKind::MissingSigningInput => 500,
        _ => 401,
    };
    // The core's messages never contain secrets or signatures.
    let mut r = Reply::error(status, kind.as_str(), e.to_string());
    if let Some(h) = e.hint() {
        r = r.with("hint", json!(h.as_str()));
    }
    r
}

/// Serves one delivery.
pub fn handle(req: &Request, cfg: &WebhookConfig) -> Reply {
    let too_large = |max: usize| {
        Reply::error(
            413,
            "body_too_large",
            format!("the body is over {max} bytes"),
        )
    };
    if let Ok(Some(n)) = req.content_length()
        && n > DEFAULT_MAX_BODY_BYTES as u64
    {
        return too_large(DEFAULT_MAX_BODY_BYTES);
    }
    let body = match req.body().map(|mut b| b.read_all(DEFAULT_MAX_BODY_BYTES)) {
        Some(Ok(b)) => b,
        Some(Err(ReadError::Broken(e))) => return Reply::error(400, "body_broken", e),
        Some(Err(e)) => return e.reply(too_large),
        None => return Reply::error(400, "no_body", "the body could not be read"),
    };
    let delivery = match cfg.verifier.verify(&req.headers, &body, unix_now()) {
        Ok(d) => d,
        Err(e) => return refusal(&e),
    };
    let event = match parse_event(&body) {
        Ok(e) => e,
        Err(e) => return Reply::error(400, "invalid_event", e.to_string()),
    };
    if let Some(url) = &cfg.forward_url {
        let verified = Verified {
            body: &body,
            event: event.name(),
            scheme: delivery.scheme.as_str(),
            id: delivery.id.as_deref(),
        };
        if let Err(r) = forward(url, &verified) {
            return r;
        }
    }
    let mut r = Reply::empty(204).header("x-fastio-event", event.name());
    if let Some(id) = delivery.id {
        r = r.header("x-fastio-delivery-id", id);
    }
    r
}
