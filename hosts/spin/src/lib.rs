//! The Fast.io upload gateway and webhook receiver: a `wasi:http` proxy
//! component built on `fastio-core`.
//!
//! It authenticates clients with signed upload grants, refuses bad uploads
//! before they cost bandwidth (413 on the declared or streamed size, 415 on
//! the magic bytes), streams good ones to Fast.io in verified chunks through
//! the core's upload machine, relays chunks of files too big for one edge
//! request, and verifies Fast.io webhooks. Every decision is the core's; this
//! crate adapts them to HTTP.
//!
//! Every route with a body refuses a declared `Content-Length` over its
//! limit before reading (413), and a body that stops or trickles is cut off
//! (408); what bounds the request line and headers is the runtime's (see
//! `src/incoming.rs`).
//!
//! Configuration is environment variables only ([`config::var`]), so the
//! same `.wasm` runs under Spin and under `wasmtime serve -Scli`. It keeps
//! nothing between requests: any number of instances serve the same clients.
//!
//! | route | what |
//! |---|---|
//! | `GET /healthz` | configuration check |
//! | `POST /grant` | issue an upload grant (bearer: the grant secret) |
//! | `POST /upload` | streamed upload (bearer: a grant) |
//! | `POST /uploads` | start a chunk relay (bearer: a grant) |
//! | `PUT /uploads/{id}/chunks/{n}` | relay one chunk (bearer: relay token) |
//! | `POST /uploads/{id}/complete` | finish a relay (bearer: relay token) |
//! | `POST /webhooks/fastio` | verify and accept a webhook delivery |
//! | `OPTIONS *` | CORS preflight |

// Library code answers bad input with typed errors; `unwrap`/`expect` are for tests.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// Natively (unit tests, lints) nothing calls the handler.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub mod config;
mod cors;
mod exchange;
mod forward;
mod grant;
mod incoming;
mod names;
mod net;
mod relay;
mod reply;
mod upload;
mod upstream;
mod webhook;

use serde_json::json;
use wasip2::http::types::{IncomingRequest, ResponseOutparam};

use crate::config::{ConfigError, Env, process_env};
use crate::incoming::Request;
use crate::reply::Reply;

struct Gateway;

impl wasip2::exports::http::incoming_handler::Guest for Gateway {
    fn handle(request: IncomingRequest, out: ResponseOutparam) {
        let req = Request::new(request);
        let origins = config::cors_origins(&process_env);
        let reply = if let Some(r) = req.oversized.clone() {
            r
        } else if req.method == "OPTIONS" {
            cors::preflight(&req, &origins)
        } else {
            route(&req)
        };
        cors::decorate(reply, &req, &origins).send(out);
    }
}

// Exported for the component only: the export's symbol names (`wasi:http/…`)
// are not valid in a native linker script, and native builds exist only for
// unit tests and lints.
#[cfg(target_arch = "wasm32")]
wasip2::http::proxy::export!(Gateway);

/// The routes the gateway serves (`OPTIONS` preflight aside, which is
/// answered on any path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /healthz`
    Healthz,
    /// `POST /grant`
    Grant,
    /// `POST /upload`
    Upload,
    /// `POST /uploads`
    RelayCreate,
    /// `PUT /uploads/{id}/chunks/{n}`
    RelayChunk,
    /// `POST /uploads/{id}/complete`
    RelayComplete,
    /// `POST /webhooks/fastio`
    Webhook,
}

impl Route {
    /// Every route.
    pub const ALL: [Route; 7] = [
        Route::Healthz,
        Route::Grant,
        Route::Upload,
        Route::RelayCreate,
        Route::RelayChunk,
        Route::RelayComplete,
        Route::Webhook,
    ];

    /// Method and path pattern (`{…}` is one path segment).
    pub fn pattern(self) -> (&'static str, &'static str) {
        match self {
            Route::Healthz => ("GET", "/healthz"),
            Route::Grant => ("POST", "/grant"),
            Route::Upload => ("POST", "/upload"),
            Route::RelayCreate => ("POST", "/uploads"),
            Route::RelayChunk => ("PUT", "/uploads/{id}/chunks/{n}"),
            Route::RelayComplete => ("POST", "/uploads/{id}/complete"),
            Route::Webhook => ("POST", "/webhooks/fastio"),
        }
    }
}

/// Why a request matches no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// A known path with another method: 405.
    Method,
    /// No such path: 404.
    Path,
    /// A path value is not valid percent-encoded UTF-8: 400.
    Encoding,
}

/// The route for `method` and `path`, with the path's `{…}` values decoded
/// (a client that percent-encodes an id reaches the same session).
pub fn resolve(method: &str, path: &str) -> Result<(Route, Vec<String>), Miss> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let hit = |r: Route, params: &[&str]| {
        let decoded = params
            .iter()
            .map(|p| {
                percent_encoding::percent_decode_str(p)
                    .decode_utf8()
                    .map(|s| s.into_owned())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Miss::Encoding)?;
        Ok((r, decoded))
    };
    match (method, segments.as_slice()) {
        ("GET", ["healthz"]) => hit(Route::Healthz, &[]),
        ("POST", ["grant"]) => hit(Route::Grant, &[]),
        ("POST", ["upload"]) => hit(Route::Upload, &[]),
        ("POST", ["uploads"]) => hit(Route::RelayCreate, &[]),
        ("PUT", ["uploads", id, "chunks", n]) => hit(Route::RelayChunk, &[*id, *n]),
        ("POST", ["uploads", id, "complete"]) => hit(Route::RelayComplete, &[*id]),
        ("POST", ["webhooks", "fastio"]) => hit(Route::Webhook, &[]),
        (_, ["healthz" | "grant" | "upload" | "uploads" | "webhooks", ..]) => Err(Miss::Method),
        _ => Err(Miss::Path),
    }
}

fn route(req: &Request) -> Reply {
    let env = &process_env;
    let method = req.method.as_str();
    let upload_cfg = || config::upload(env).map_err(|e| Reply::config(&e));
    let (route, params) = match resolve(method, &req.path) {
        Ok(r) => r,
        Err(Miss::Method) => {
            return Reply::error(
                405,
                "method_not_allowed",
                format!("{method} is not served on {}", req.path),
            );
        }
        Err(Miss::Path) => {
            return Reply::error(404, "not_found", format!("no route for {}", req.path));
        }
        Err(Miss::Encoding) => {
            return Reply::error(
                400,
                "bad_path",
                "a path value is not valid percent-encoded UTF-8",
            );
        }
    };
    let param = |i: usize| params.get(i).map(String::as_str).unwrap_or("");
    match route {
        Route::Healthz => healthz(env),
        Route::Grant => {
            let defaults = match config::grant_defaults(env) {
                Ok(Some(d)) => d,
                Ok(None) => {
                    return Reply::error(404, "grant_endpoint_disabled", "POST /grant is off");
                }
                Err(e) => return Reply::config(&e),
            };
            match config::grant_keys(env) {
                Ok((signer, _)) => grant::issue(req, &signer, &defaults),
                Err(e) => Reply::config(&e),
            }
        }
        Route::Upload => with_grant(req, upload_cfg, |cfg, g| upload::handle(req, cfg, g)),
        Route::RelayCreate => with_grant(req, upload_cfg, |cfg, g| relay::create(req, cfg, g)),
        Route::RelayChunk => match upload_cfg() {
            Ok(cfg) => relay::chunk(req, &cfg, param(0), param(1)),
            Err(r) => r,
        },
        Route::RelayComplete => match upload_cfg() {
            Ok(cfg) => relay::complete(req, &cfg, param(0)),
            Err(r) => r,
        },
        Route::Webhook => match config::webhook(env) {
            Ok(cfg) => webhook::handle(req, &cfg),
            Err(e) => Reply::config(&e),
        },
    }
}

fn with_grant(
    req: &Request,
    cfg: impl FnOnce() -> Result<config::UploadConfig, Reply>,
    serve: impl FnOnce(&config::UploadConfig, &fastio_core::policy::Grant) -> Reply,
) -> Reply {
    let cfg = match cfg() {
        Ok(c) => c,
        Err(r) => return r,
    };
    match grant::check(req, &cfg.keys) {
        Ok(g) => serve(&cfg, &g),
        Err(r) => r,
    }
}

/// 200 with what is configured, or 500 naming the first bad variable of a
/// section that is set at all.
fn healthz(env: &dyn Env) -> Reply {
    let uploads = match env.get(config::var::API_BASE) {
        Some(_) => config::upload(env).map(|_| true),
        None => Ok(false),
    };
    let webhooks = match env.get(config::var::WEBHOOK_SCHEME) {
        Some(_) => config::webhook(env).map(|_| true),
        None => Ok(false),
    };
    let first_error: Option<ConfigError> = [&uploads, &webhooks]
        .into_iter()
        .find_map(|r| r.as_ref().err().cloned());
    if let Some(e) = first_error {
        return Reply::config(&e);
    }
    if let Err(e) = config::grant_defaults(env) {
        return Reply::config(&e);
    }
    Reply::json(
        200,
        json!({
            "ok": true,
            "uploads": uploads.unwrap_or(false),
            "webhooks": webhooks.unwrap_or(false),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_resolves_from_its_pattern() {
        for r in Route::ALL {
            let (method, pattern) = r.pattern();
            let path = pattern.replace("{id}", "u1").replace("{n}", "2");
            let (got, _) = resolve(method, &path).unwrap();
            assert_eq!(got, r, "{method} {path}");
        }
        assert_eq!(
            resolve("PUT", "/uploads/u1/chunks/7").unwrap().1,
            vec!["u1".to_string(), "7".to_string()]
        );
        // Path values are percent-decoded; bytes that are not UTF-8 are refused.
        assert_eq!(
            resolve("PUT", "/uploads/u%2D1%20x/chunks/%37").unwrap().1,
            vec!["u-1 x".to_string(), "7".to_string()]
        );
        assert_eq!(
            resolve("POST", "/uploads/%FF%FE/complete"),
            Err(Miss::Encoding)
        );
        assert_eq!(resolve("GET", "/upload"), Err(Miss::Method));
        assert_eq!(resolve("GET", "/nowhere"), Err(Miss::Path));
    }
}
