//! `POST /grant`: the app's backend, holding the grant secret, asks for a
//! short-lived upload grant naming workspace, folder, largest size and
//! expiry. `GATEWAY_GRANT_ENDPOINT=off` switches it off (the backend then
//! issues grants itself with the core's `GrantKey`).

use fastio_core::policy::{Grant, GrantError, GrantKey, GrantKeyring};
use serde_json::{Value, json};

use crate::config::GrantDefaults;
use crate::incoming::{Request, unix_now};
use crate::reply::Reply;

/// Largest grant request body.
const MAX_BODY: usize = 16 * 1024;

/// Compares without stopping at the first differing byte.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Serves `POST /grant`.
pub fn issue(req: &Request, signer: &GrantKey, d: &GrantDefaults) -> Reply {
    let authorised = req
        .bearer()
        .is_some_and(|b| same(b.as_bytes(), signer.secret().expose().as_bytes()));
    if !authorised {
        return Reply::error(
            401,
            "issuer_unauthorised",
            "POST /grant needs the grant secret as a bearer token",
        );
    }
    if let Some(r) = req.refuse_declared(MAX_BODY as u64, "body") {
        return r;
    }
    let body = match req.body().map(|mut b| b.read_all(MAX_BODY)) {
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            return e.reply(|_| Reply::error(413, "too_large", "the request body is over 16 KiB"));
        }
        None => Vec::new(),
    };
    let v: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return Reply::error(400, "bad_json", e.to_string()),
        }
    };
    let Some(workspace) = v["workspace"]
        .as_str()
        .map(str::to_string)
        .or_else(|| d.workspace.clone())
    else {
        return Reply::error(
            400,
            "workspace_required",
            "name a workspace, or set FASTIO_WORKSPACE",
        );
    };
    let folder = v["folder"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| d.folder.clone());
    let max_size = match (v["max_size"].as_u64(), d.max_size) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => {
            return Reply::error(
                400,
                "max_size_required",
                "give max_size, or set GATEWAY_MAX_SIZE",
            );
        }
    };
    let ttl = v["ttl_s"]
        .as_u64()
        .unwrap_or(d.max_ttl_s)
        .clamp(1, d.max_ttl_s);
    let now = unix_now();
    let nonce = v["nonce"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{:016x}", wasip2::random::random::get_random_u64()));
    let grant = Grant {
        workspace,
        folder,
        max_size,
        expires: now + ttl,
        issued: now,
        nonce,
    };
    // A caller's long nonce or folder can make a token no keyring reads:
    // refused here, not handed out to fail at upload time.
    let token = match signer.issue(&grant) {
        Ok(t) => t,
        Err(e) => return Reply::error(400, "grant_too_long", e.to_string()),
    };
    Reply::json(
        201,
        json!({
            "grant": token,
            "workspace": grant.workspace,
            "folder": grant.folder,
            "max_size": grant.max_size,
            "expires": grant.expires,
        }),
    )
}

/// Checks a request's grant: 401 with the reason otherwise.
pub fn check(req: &Request, keys: &GrantKeyring) -> Result<Grant, Reply> {
    let Some(token) = req.bearer() else {
        return Err(Reply::error(
            401,
            "grant_missing",
            "send an upload grant as a bearer token",
        ));
    };
    keys.verify(token, unix_now()).map_err(|e| {
        let code = match e {
            GrantError::Expired { .. } => "grant_expired",
            GrantError::NotYetValid { .. } => "grant_not_yet_valid",
            GrantError::WrongKey => "grant_wrong_key",
            GrantError::Tampered => "grant_tampered",
            _ => "grant_invalid",
        };
        Reply::error(401, code, e.to_string())
    })
}
