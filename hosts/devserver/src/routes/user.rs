//! `user/auth/check`, current user details, and API key management.

use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::request::Req;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;

pub fn auth_check(st: &AppState) -> ApiResult {
    Ok(ok(json!({"id": st.user_id})))
}

pub fn details(st: &AppState) -> ApiResult {
    let db = st.db();
    let u = db.query_row(
        "SELECT id, email, first_name, last_name, created FROM users WHERE id = ?1",
        [&st.user_id],
        |r| {
            Ok(json!({
                "id": r.get::<_, String>(0)?,
                "email_address": r.get::<_, String>(1)?,
                "first_name": r.get::<_, String>(2)?,
                "last_name": r.get::<_, String>(3)?,
                "account_type": "agent",
                "created": ids::iso(r.get(4)?),
            }))
        },
    )?;
    Ok(ok(json!({"user": u})))
}

fn key_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(0)?,
        "memo": r.get::<_, Option<String>>(1)?,
        "scopes": r.get::<_, Option<String>>(2)?,
        "agent_name": r.get::<_, Option<String>>(3)?,
        "expires": r.get::<_, Option<String>>(4)?,
        "created": ids::iso(r.get(5)?),
        "updated": ids::iso(r.get(6)?),
    }))
}

const KEY_COLS: &str = "id, memo, scopes, agent_name, expires, created, updated";

fn check_expires(v: Option<&str>) -> Result<(), ApiError> {
    if let Some(e) = v {
        let ok = time::PrimitiveDateTime::parse(
            e.trim_end_matches(" UTC"),
            &time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
        )
        .is_ok();
        if !ok {
            return Err(ApiError::invalid_param(
                "expires",
                "datetime",
                "'expires' must look like 'Y-m-d H:i:s UTC'.",
            ));
        }
    }
    Ok(())
}

pub fn key_create(st: &AppState, rq: &Req) -> ApiResult {
    let p = &rq.params;
    check_expires(p.get("expires"))?;
    let id = ids::profile_id();
    let key = format!("fio_{}", ids::random_alnum(48));
    let now = ids::now_ms();
    let db = st.db();
    db.execute(
        "INSERT INTO api_keys(id, key, user_id, memo, scopes, agent_name, expires, created, updated) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8)",
        params![id, key, st.user_id, p.get("memo"), p.get("scopes"), p.get("agent_name"), p.get("expires").map(|e| e.trim_end_matches(" UTC").to_string()), now],
    )?;
    let mut out = db.query_row(
        &format!("SELECT {KEY_COLS} FROM api_keys WHERE id = ?1"),
        [&id],
        key_json,
    )?;
    // The secret is the string `api_key`, next to the key's flat details; nothing is nested,
    // because the official client reads `api_key` as a string (fastio_cli src/api/types.rs:145-150
    // @96b1551) and a nested key object would hide the secret from clients that unwrap one.
    out["api_key"] = Value::String(key);
    Ok(ok(out))
}

pub fn key_list(st: &AppState) -> ApiResult {
    let db = st.db();
    let mut stmt = db.prepare(&format!("SELECT {KEY_COLS} FROM api_keys ORDER BY created"))?;
    let keys = stmt
        .query_map([], key_json)?
        .collect::<Result<Vec<_>, _>>()?;
    // `{results: <number>, api_keys: [...]}` (fastio_cli src/api/types.rs:160-168 @96b1551).
    Ok(ok(json!({"results": keys.len(), "api_keys": keys})))
}

fn load_key(st: &AppState, id: &str) -> ApiResult<Value> {
    st.db()
        .query_row(
            &format!("SELECT {KEY_COLS} FROM api_keys WHERE id = ?1"),
            [id],
            key_json,
        )
        .optional()?
        .ok_or_else(|| ApiError::not_found("The API key does not exist."))
}

/// The key's details as flat fields. `api_key` is reserved for the secret string (see
/// [`key_create`]), so the details are never wrapped in an `api_key` object.
pub fn key_get(st: &AppState, id: &str) -> ApiResult {
    Ok(ok(load_key(st, id)?))
}

pub fn key_update(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    load_key(st, id)?;
    let p = &rq.params;
    check_expires(p.get("expires"))?;
    {
        let db = st.db();
        for col in ["memo", "scopes", "agent_name"] {
            if let Some(v) = p.get(col) {
                db.execute(
                    &format!("UPDATE api_keys SET {col} = ?1 WHERE id = ?2"),
                    params![v, id],
                )?;
            }
        }
        if p.has("expires") {
            // An empty `expires` clears the expiry (fastio_cli src/api/auth.rs:303-333 @96b1551).
            let v = p.get("expires").map(|v| v.trim_end_matches(" UTC"));
            db.execute(
                "UPDATE api_keys SET expires = ?1 WHERE id = ?2",
                params![v, id],
            )?;
        }
        db.execute(
            "UPDATE api_keys SET updated = ?1 WHERE id = ?2",
            params![ids::now_ms(), id],
        )?;
    }
    key_get(st, id)
}

pub fn key_delete(st: &AppState, id: &str) -> ApiResult {
    let n = st
        .db()
        .execute("DELETE FROM api_keys WHERE id = ?1", [id])?;
    if n == 0 {
        return Err(ApiError::not_found("The API key does not exist."));
    }
    Ok(ok(json!({"id": id, "deleted": true})))
}
