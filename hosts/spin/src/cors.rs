//! CORS for browser clients of the configured origins.

use crate::incoming::Request;
use crate::reply::Reply;

/// Headers a browser may send.
const ALLOW_HEADERS: &str =
    "authorization, content-type, x-file-name, x-file-size, x-chunk-sha256, x-fastio-digest";

/// The origin to echo, when the request's origin is allowed.
fn allowed<'a>(req: &'a Request, origins: &[String]) -> Option<&'a str> {
    let origin = req.header("origin")?;
    origins
        .iter()
        .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
        .then_some(origin)
}

/// Answers a preflight: 204 with the grants, or 403 for other origins.
pub fn preflight(req: &Request, origins: &[String]) -> Reply {
    match allowed(req, origins) {
        Some(origin) => Reply::empty(204)
            .header("access-control-allow-origin", origin)
            .header("access-control-allow-methods", "GET, POST, PUT, OPTIONS")
            .header("access-control-allow-headers", ALLOW_HEADERS)
            .header("access-control-max-age", "600")
            .header("vary", "origin"),
        None => Reply::error(
            403,
            "origin_not_allowed",
            "this origin is not in GATEWAY_CORS_ORIGINS",
        ),
    }
}

/// Adds the CORS headers to an answer for an allowed origin.
pub fn decorate(reply: Reply, req: &Request, origins: &[String]) -> Reply {
    match allowed(req, origins) {
        Some(origin) => reply
            .header("access-control-allow-origin", origin)
            .header("vary", "origin"),
        None => reply,
    }
}
