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

// Natively (unit tests, lints) nothing calls the handler.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub mod config;
mod cors;
mod exchange;
mod grant;
mod incoming;
mod net;
mod relay;
mod reply;
mod upload;
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
        let reply = if req.method == "OPTIONS" {
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

fn route(req: &Request) -> Reply {
    let env = &process_env;
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let method = req.method.as_str();
    let upload_cfg = || config::upload(env).map_err(|e| Reply::config(&e));
    match (method, segments.as_slice()) {
        ("GET", ["healthz"]) => healthz(env),
        ("POST", ["grant"]) => {
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
        ("POST", ["upload"]) => with_grant(req, upload_cfg, |cfg, g| upload::handle(req, cfg, g)),
        ("POST", ["uploads"]) => with_grant(req, upload_cfg, |cfg, g| relay::create(req, cfg, g)),
        ("PUT", ["uploads", id, "chunks", n]) => match upload_cfg() {
            Ok(cfg) => relay::chunk(req, &cfg, id, n),
            Err(r) => r,
        },
        ("POST", ["uploads", id, "complete"]) => match upload_cfg() {
            Ok(cfg) => relay::complete(req, &cfg, id),
            Err(r) => r,
        },
        ("POST", ["webhooks", "fastio"]) => match config::webhook(env) {
            Ok(cfg) => webhook::handle(req, &cfg),
            Err(e) => Reply::config(&e),
        },
        (_, ["healthz" | "grant" | "upload" | "uploads" | "webhooks", ..]) => Reply::error(
            405,
            "method_not_allowed",
            format!("{method} is not served on {}", req.path),
        ),
        _ => Reply::error(404, "not_found", format!("no route for {}", req.path)),
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
