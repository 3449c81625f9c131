//! The caller's account and the service's health (fastio_cli src/api/user.rs,
//! src/api/auth.rs, src/api/system.rs @96b1551). The answers' shapes are this server's choice
//! where the reference is silent.

use rusqlite::params;
use serde_json::json;

use super::paging::{page, paging};
use super::request::Req;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;

/// The scopes an OAuth client may ask for.
const SCOPES: &[&str] = &["user", "org", "workspace", "share", "ai"];

/// `POST user/update/`: names, address and phone. This account has no password, so a new
/// address needs none; a new password cannot be set here.
pub fn update(st: &AppState, rq: &Req) -> ApiResult {
    let p = rq.params.body();
    if p.has("password") {
        return Err(ApiError::denied(
            "This server's account signs in with API keys only; it has no password to change.",
        ));
    }
    if p.has("phone_country") != p.has("phone_number") {
        return Err(ApiError::invalid(
            "'phone_country' and 'phone_number' go together.",
        ));
    }
    let db = st.db();
    let mut changed = false;
    for col in ["first_name", "last_name"] {
        if let Some(v) = p.get(col) {
            if v.chars().count() > 64 {
                return Err(ApiError::invalid_param(
                    col,
                    "string",
                    format!("'{col}' is at most 64 characters."),
                ));
            }
            db.execute(
                &format!("UPDATE users SET {col} = ?1 WHERE id = ?2"),
                params![v, st.user_id],
            )?;
            changed = true;
        }
    }
    if let Some(email) = p.get("email_address") {
        if !email.contains('@') {
            return Err(ApiError::invalid_param(
                "email_address",
                "email",
                "'email_address' is not an e-mail address.",
            ));
        }
        db.execute(
            "UPDATE users SET email = ?1 WHERE id = ?2",
            params![email, st.user_id],
        )?;
        changed = true;
    }
    if !changed && !p.has("phone_number") {
        return Err(ApiError::invalid("The update changes nothing."));
    }
    drop(db);
    super::user::details(st)
}

/// `GET users/search/?search=…`: users whose name or address holds the text.
pub fn search(st: &AppState, rq: &Req) -> ApiResult {
    let q = rq.params.req("search")?.to_lowercase();
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let mut stmt = db.prepare(
        "SELECT id, email, first_name, last_name FROM users WHERE instr(lower(email || ' ' || first_name || ' ' || last_name), ?1) > 0 ORDER BY email",
    )?;
    let all = stmt
        .query_map([&q], |r| {
            Ok(
                json!({"id": r.get::<_, String>(0)?, "email": r.get::<_, String>(1)?,
                      "first_name": r.get::<_, String>(2)?, "last_name": r.get::<_, String>(3)?}),
            )
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let (users, pagination) = page(all, limit, offset);
    Ok(ok(json!({"users": users, "pagination": pagination})))
}

/// `POST user/close/`: refused; closing the one account would end the server's use.
pub fn close(rq: &Req) -> ApiResult {
    rq.params.body().req("confirmation")?;
    Err(ApiError::denied("This server's account cannot be closed."))
}

/// `GET user/me/allowed/`.
pub fn allowed() -> ApiResult {
    Ok(ok(
        json!({"allowed": {"create_org": true, "create_workspace": true, "create_share": true}}),
    ))
}

/// `GET user/me/limits/orgs/`.
pub fn org_limits(st: &AppState) -> ApiResult {
    let n: i64 = st
        .db()
        .query_row("SELECT COUNT(*) FROM orgs", [], |r| r.get(0))?;
    Ok(ok(json!({"limits": {"orgs": n, "max_orgs": 100}})))
}

/// `POST user/auth/sign-out/` and `…/invalidate-all/`: they end browser and account
/// sessions, never API keys (src/api/auth.rs:75-98), so every key here goes on working.
pub fn sign_out() -> ApiResult {
    Ok(ok(
        json!({"signed_out": true, "at": ids::iso(ids::now_ms())}),
    ))
}

/// `GET auth/scopes/`.
pub fn scopes() -> ApiResult {
    Ok(ok(json!({"scopes": SCOPES})))
}

/// `GET ping/` (no credential needed).
pub fn ping() -> ApiResult {
    Ok(ok(json!({"pong": true})))
}

/// `GET system/status/` (no credential needed).
pub fn status() -> ApiResult {
    Ok(ok(json!({"status": "ok", "time": ids::iso(ids::now_ms())})))
}
