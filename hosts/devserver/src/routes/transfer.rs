//! Ownership transfer tokens: 64 characters, valid 72 hours, at most 5 active per org.

use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::request::Req;
use super::scope;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::events::NewEvent;
use crate::ids;
use crate::state::AppState;

const TTL_S: i64 = 72 * 3600;

fn token_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(0)?,
        "org_id": r.get::<_, String>(1)?,
        "token": r.get::<_, String>(2)?,
        "created": ids::iso(r.get::<_, i64>(3)? * 1000),
        "expires": ids::iso(r.get::<_, i64>(4)? * 1000),
        "claimed": r.get::<_, i64>(5)? != 0,
    }))
}

pub fn create(st: &AppState, org: &str) -> ApiResult {
    let db = st.db();
    scope::org_exists(&db, org)?;
    let now = ids::now_s();
    let active: i64 = db.query_row(
        "SELECT count(*) FROM transfer_tokens WHERE org_id = ?1 AND claimed = 0 AND expires > ?2",
        params![org, now],
        |r| r.get(0),
    )?;
    if active >= 5 {
        return Err(ApiError::conflict(
            "An org may have at most 5 active transfer tokens.",
        ));
    }
    let id = ids::profile_id();
    let token = ids::random_alnum(64);
    db.execute(
        "INSERT INTO transfer_tokens(id, org_id, token, created, expires) VALUES (?1,?2,?3,?4,?5)",
        params![id, org, token, now, now + TTL_S],
    )?;
    crate::events::record(
        st,
        &db,
        NewEvent {
            event: "org_transfer_token_created",
            category: "org",
            subcategory: "transfer",
            workspace_id: None,
            object_id: Some(org.to_string()),
            activity_key: None,
            data: json!({"token_id": id}),
        },
    )?;
    let t = db.query_row(
        "SELECT id, org_id, token, created, expires, claimed FROM transfer_tokens WHERE id = ?1",
        [&id],
        token_json,
    )?;
    Ok(ok(
        json!({"token": token, "id": id, "claim_url": format!("https://go.fast.io/claim?token={token}"), "transfer_token": t}),
    ))
}

pub fn list(st: &AppState, org: &str) -> ApiResult {
    let db = st.db();
    scope::org_exists(&db, org)?;
    let mut stmt = db.prepare("SELECT id, org_id, token, created, expires, claimed FROM transfer_tokens WHERE org_id = ?1 ORDER BY created")?;
    let list = stmt
        .query_map([org], token_json)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(json!({"tokens": list, "results": list.len()})))
}

pub fn delete(st: &AppState, org: &str, id: &str) -> ApiResult {
    let n = st.db().execute(
        "DELETE FROM transfer_tokens WHERE id = ?1 AND org_id = ?2",
        params![id, org],
    )?;
    if n == 0 {
        return Err(ApiError::not_found("The transfer token does not exist."));
    }
    Ok(ok(json!({"id": id, "deleted": true})))
}

pub fn claim(st: &AppState, rq: &Req) -> ApiResult {
    let token = rq.params.req("token")?;
    let db = st.db();
    let row: Option<(String, String, i64, i64)> = db
        .query_row(
            "SELECT id, org_id, expires, claimed FROM transfer_tokens WHERE token = ?1",
            [token],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((id, org, expires, claimed)) = row else {
        return Err(ApiError::not_found("The transfer token does not exist."));
    };
    if claimed != 0 {
        return Err(ApiError::conflict(
            "The transfer token was already claimed.",
        ));
    }
    if expires <= ids::now_s() {
        return Err(ApiError::new(
            axum::http::StatusCode::GONE,
            1609,
            "APP_EXPIRED",
            "The transfer token has expired.",
        ));
    }
    db.execute(
        "UPDATE transfer_tokens SET claimed = 1 WHERE id = ?1",
        [&id],
    )?;
    crate::events::record(
        st,
        &db,
        NewEvent {
            event: "org_transfer_completed",
            category: "org",
            subcategory: "transfer",
            workspace_id: None,
            object_id: Some(org.clone()),
            activity_key: None,
            data: json!({"token_id": id}),
        },
    )?;
    Ok(ok(json!({"org_id": org, "claimed": true})))
}
