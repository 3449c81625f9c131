//! A request as the route handlers see it, and what the pipeline must know of a route before
//! its handler runs: whether it exists, whether it needs a key, whether its body streams, and
//! how much body it may use.

use axum::body::Body;
use axum::http::{HeaderMap, Method};

use super::multipart;
use crate::config::Config;
use crate::params::Params;

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
        "fileshare",
        "comments",
        "users",
        "auth",
        "ping",
        "system",
        "events",
        "event",
        "activity",
        "outbound_webhook_subscriptions",
    ];
    segs.first().is_some_and(|s| TOP.contains(&s.as_str()))
}

/// Token-authorised downloads, File Share consumption (whose handlers admit anonymous callers
/// by the link's tier), a share's public details and visitor sign-in, and the health checks are
/// the only routes that work without a bearer token.
pub fn needs_auth(m: &Method, segs: &[String], p: &Params) -> bool {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let tokened =
        matches!(s.as_slice(), [_, _, "storage", _, "read" | "zip"]) && p.get("token").is_some();
    let consuming = matches!(
        s.as_slice(),
        ["fileshare", _, "details"]
            | ["fileshare", _, "storage", ..]
            | ["ping"]
            | ["system", "status"]
            | ["share", _, "public", "details"]
    );
    // A visitor's password or guest access is how a visitor without a key gets in.
    let visiting =
        *m == Method::POST && matches!(s.as_slice(), ["share", _, "auth", "password" | "guest"]);
    !(visiting || (*m == Method::GET && (tokened || consuming)))
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
