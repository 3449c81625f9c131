//! Route table: one match over method and path segments, so trailing slashes, ids given as
//! numbers or strings, and unknown routes (404, code 9992) are handled in one place.

pub mod ai;
pub mod dev;
pub mod events;
pub mod multipart;
pub mod nodes;
pub mod orgs;
pub mod shares;
pub mod storage;
pub mod transfer;
pub mod upload;
pub mod user;
pub mod webhooks;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method};

use crate::config::Config;
use crate::envelope::{ApiError, ApiResult};
use crate::params::Params;
use crate::server::AppState;

/// One parsed request as handlers see it.
pub struct Req {
    pub method: Method,
    pub segs: Vec<String>,
    pub params: Params,
    pub headers: HeaderMap,
    /// The untouched body, only for routes that stream it (uploads). In a mutex only so that
    /// `&Req` is `Sync` and handlers holding it stay `Send` across awaits.
    pub body: std::sync::Mutex<Option<Body>>,
    pub content_type: String,
    /// The fault schedule asked for this request's chunk to be corrupted once stored.
    pub corrupt: bool,
    pub authed: bool,
}

impl Req {
    pub fn take_body(&mut self) -> Body {
        self.body
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_else(Body::empty)
    }

    pub fn has_body(&mut self) -> bool {
        self.body
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

/// Top-level path segments this server serves; anything else is an unknown route (9992) even
/// before authentication is checked.
pub fn known_prefix(segs: &[String]) -> bool {
    const TOP: &[&str] = &[
        "user",
        "orgs",
        "org",
        "workspaces",
        "workspace",
        "upload",
        "web_upload",
        "share",
        "shares",
        "events",
        "event",
        "activity",
        "outbound_webhook_subscriptions",
    ];
    segs.first().is_some_and(|s| TOP.contains(&s.as_str()))
}

/// Token-authorised downloads are the only routes that work without a bearer token.
pub fn needs_auth(m: &Method, segs: &[String], p: &Params) -> bool {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let tokened =
        matches!(s.as_slice(), [_, _, "storage", _, "read" | "zip"]) && p.get("token").is_some();
    !(*m == Method::GET && tokened)
}

pub fn is_streaming(m: &Method, segs: &[String], ct: &str) -> bool {
    *m == Method::POST
        && segs.first().is_some_and(|s| s == "upload")
        && (ct.starts_with("multipart/form-data")
            || ct.starts_with("application/octet-stream")
            || segs.get(2).is_some_and(|s| s == "stream"))
}

/// Most file bytes one batch upload may carry.
pub const BATCH_MAX_BYTES: u64 = 100 * 1000 * 1000;

/// The most body a request to this route can use. A declared `Content-Length` beyond it is
/// refused before any of the body is read; a body without one is cut off at it while it
/// streams.
pub fn body_limit(cfg: &Config, m: &Method, segs: &[String], ct: &str) -> u64 {
    let form = cfg.max_form_body as u64;
    if !is_streaming(m, segs, ct) {
        return form;
    }
    // A multipart body carries text fields, part headers and delimiters besides its file
    // bytes; a raw body carries only the bytes.
    let envelope = if ct.starts_with("multipart/form-data") {
        multipart::ENVELOPE_BYTES
    } else {
        0
    };
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let data = match s.as_slice() {
        ["upload"] => cfg.max_single_upload_size,
        ["upload", "batch"] => BATCH_MAX_BYTES,
        ["upload", _, "chunk"] => cfg.max_chunk_size,
        ["upload", _, "stream"] => cfg.max_file_size,
        _ => return form,
    };
    data.saturating_add(envelope)
}

pub async fn route(st: &Arc<AppState>, rq: &mut Req) -> ApiResult {
    let segs = rq.segs.clone();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = rq.method.clone();
    let get = m == Method::GET;
    let post = m == Method::POST;
    let del = m == Method::DELETE;
    let patch = m == Method::PATCH;
    match s.as_slice() {
        // user and keys
        ["user", "auth", "check"] if get => user::auth_check(st),
        ["user", "me", "details"] | ["user", "details"] if get => user::details(st),
        ["user", "auth", "key"] if post => user::key_create(st, rq),
        ["user", "auth", "keys"] if get => user::key_list(st),
        ["user", "auth", "key", id] if get => user::key_get(st, id),
        ["user", "auth", "key", id] if post => user::key_update(st, id, rq),
        ["user", "auth", "key", id] if del => user::key_delete(st, id),

        // orgs and workspaces
        ["orgs", "list"] if get => orgs::list(st, rq),
        ["orgs", "list", "external"] if get => orgs::list_external(),
        ["org", "create"] if post => orgs::create(st, rq),
        ["org", id, "details"] if get => orgs::details(st, id),
        ["org", id, "list", "workspaces"] if get => orgs::workspaces(st, Some(id), rq),
        ["workspaces", "all"] if get => orgs::workspaces(st, None, rq),
        ["org", id, "create", "workspace"] if post => orgs::create_workspace(st, id, rq),
        ["workspace", id, "details"] if get => orgs::workspace_details(st, id),
        ["workspace", id, "update"] if post => orgs::workspace_update(st, id, rq),

        // ownership transfer
        ["org", id, "transfer", "token", "create"] if post => transfer::create(st, id),
        ["org", id, "transfer", "token", "list"] if get => transfer::list(st, id),
        ["org", id, "transfer", "token", tid] if del => transfer::delete(st, id, tid),
        ["org", "transfer", "claim"] if post => transfer::claim(st, rq),

        // uploads
        ["upload"] if post => upload::create_or_single(st, rq).await,
        ["upload"] if del => upload::cancel_all(st),
        ["upload", "details"] if get => upload::list(st),
        ["upload", "limits"] if get => upload::limits(st),
        ["upload", "algos"] if get => upload::algos(),
        ["upload", "batch"] if post => upload::batch(st, rq).await,
        ["upload", id, "chunk"] if post => upload::chunk(st, id, rq).await,
        ["upload", id, "chunk"] if get => upload::chunk_status(st, id),
        ["upload", id, "chunk"] if del => upload::chunk_delete(st, id, rq),
        ["upload", id, "complete"] if post => upload::complete(st, id),
        ["upload", id, "details"] if get => upload::details(st, id, rq).await,
        ["upload", id, "stream"] if post => upload::stream(st, id, rq).await,
        ["upload", id] if del => upload::cancel(st, id),
        ["web_upload"] if post => upload::web_create(st, rq).await,
        ["web_upload"] if get => upload::web_list(st),
        ["web_upload"] if del => upload::web_cancel(st, rq.params.get("id").unwrap_or("")),
        ["web_upload", id] if del => upload::web_cancel(st, id),
        ["web_upload", id, "details"] if get => upload::web_details(st, id),

        // storage
        ["workspace", ws, "storage", rest @ ..] => storage::route(st, ws, rest, rq).await,
        ["share", id, "storage", rest @ ..] => storage::route_share(st, id, rest, rq).await,

        // shares
        ["workspace", ws, "create", "share"] if post => shares::create(st, ws, rq),
        ["share", id, "details"] if get => shares::details(st, id),
        ["share", id, "update"] if post => shares::update(st, id, rq),
        ["share", id, "delete"] if del => shares::delete(st, id, rq),
        ["shares", "all"] if get => shares::list(st, rq),

        // events, activity, webhooks
        ["events", "search"] if get => events::search(st, rq),
        ["events", "search", "summarize"] if get => events::summarize(st, rq),
        ["event", id, "ack"] if post => events::ack(st, id, rq),
        ["event", id, "details"] if get => events::details(st, id),
        ["activity", "poll", id] if get => events::poll(st, id, rq).await,
        ["workspace", ws, "outbound_webhook_subscriptions"] if post => webhooks::create(st, ws, rq),
        ["workspace", ws, "outbound_webhook_subscriptions"] if get => webhooks::list(st, ws),
        ["outbound_webhook_subscriptions", id] if get => webhooks::get(st, id),
        ["outbound_webhook_subscriptions", id] if patch || post => webhooks::update(st, id, rq),
        ["outbound_webhook_subscriptions", id] if del => webhooks::delete(st, id),
        ["outbound_webhook_subscriptions", id, "rotate_secret"] if post => webhooks::rotate(st, id),

        // AI (offline stand-in)
        ["share", id, "ai", kind @ ("agent" | "chat"), rest @ ..] => {
            ai::route_share(st, id, kind, rest, rq)
        }
        ["workspace", ws, "ai", kind @ ("agent" | "chat"), rest @ ..] => {
            ai::route(st, ws, kind, rest, rq)
        }

        _ => Err(ApiError::unknown_route()),
    }
}
