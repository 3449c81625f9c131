//! Outbound webhook subscriptions. The secret is returned once, on create and on rotation.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::request::Req;
use super::{loopback, scope};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;
use crate::webhook::sign;

const COLS: &str = "id, ws_id, target_url, events, description, rate_limit_per_hour, family_allowlist, created, updated";

fn sub_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let events: String = r.get(3)?;
    Ok(json!({
        "id": r.get::<_, String>(0)?,
        "workspace_id": r.get::<_, String>(1)?,
        "target_url": r.get::<_, String>(2)?,
        "event_type_subscriptions": serde_json::from_str::<Value>(&events).unwrap_or(json!([])),
        "description": r.get::<_, Option<String>>(4)?,
        "rate_limit_per_hour": r.get::<_, Option<i64>>(5)?,
        "family_allowlist": r.get::<_, Option<String>>(6)?,
        "created": ids::iso(r.get(7)?),
        "updated": ids::iso(r.get(8)?),
    }))
}

fn load(db: &Connection, id: &str) -> ApiResult<Value> {
    db.query_row(
        &format!("SELECT {COLS} FROM webhooks WHERE id = ?1"),
        [id],
        sub_json,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The subscription does not exist."))
}

fn parse_events(v: &str) -> ApiResult<String> {
    let list: Vec<String> = if v.trim_start().starts_with('[') {
        serde_json::from_str(v).map_err(|_| {
            ApiError::invalid_param(
                "event_type_subscriptions",
                "json",
                "Expected a JSON array of event names.",
            )
        })?
    } else {
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    if list.iter().any(|e| e.is_empty() || e.len() > 100) {
        return Err(ApiError::invalid_param(
            "event_type_subscriptions",
            "json",
            "Event names must be 1-100 characters.",
        ));
    }
    Ok(serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()))
}

fn check_url(url: &str) -> ApiResult<()> {
    if loopback::is_loopback_url(url) {
        Ok(())
    } else {
        Err(ApiError::invalid_param(
            "target_url",
            "url",
            "This server delivers only to http:// targets on the loopback interface.",
        ))
    }
}

pub fn create(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let url = p.req("target_url")?;
    check_url(url)?;
    let events = parse_events(p.get("event_type_subscriptions").unwrap_or("[]"))?;
    let db = st.db();
    scope::workspace(&db, ws)?;
    let id = ids::profile_id();
    let secret = sign::new_secret(st.hooks.scheme());
    let now = ids::now_ms();
    db.execute(
        "INSERT INTO webhooks(id, ws_id, target_url, events, description, rate_limit_per_hour, family_allowlist, secret, created, updated) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9)",
        params![id, ws, url, events, p.get("description"), p.u64("rate_limit_per_hour")?.map(|v| v as i64), p.get("family_allowlist"), secret, now],
    )?;
    let mut sub = load(&db, &id)?;
    sub["secret"] = json!(secret);
    Ok(ok(json!({"outbound_webhook_subscription": sub})))
}

pub fn list(st: &AppState, ws: &str) -> ApiResult {
    let db = st.db();
    scope::workspace(&db, ws)?;
    let mut stmt = db.prepare(&format!(
        "SELECT {COLS} FROM webhooks WHERE ws_id = ?1 ORDER BY created"
    ))?;
    let subs = stmt
        .query_map([ws], sub_json)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(
        json!({"outbound_webhook_subscriptions": subs, "results": subs.len()}),
    ))
}

pub fn get(st: &AppState, id: &str) -> ApiResult {
    Ok(ok(
        json!({"outbound_webhook_subscription": load(&st.db(), id)?}),
    ))
}

pub fn update(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    load(&db, id)?;
    let p = &rq.params;
    if let Some(url) = p.get("target_url") {
        check_url(url)?;
        db.execute(
            "UPDATE webhooks SET target_url = ?1 WHERE id = ?2",
            params![url, id],
        )?;
    }
    if let Some(ev) = p.get("event_type_subscriptions") {
        db.execute(
            "UPDATE webhooks SET events = ?1 WHERE id = ?2",
            params![parse_events(ev)?, id],
        )?;
    }
    if let Some(d) = p.get("description") {
        db.execute(
            "UPDATE webhooks SET description = ?1 WHERE id = ?2",
            params![d, id],
        )?;
    }
    if let Some(r) = p.u64("rate_limit_per_hour")? {
        db.execute(
            "UPDATE webhooks SET rate_limit_per_hour = ?1 WHERE id = ?2",
            params![r as i64, id],
        )?;
    }
    if let Some(f) = p.get("family_allowlist") {
        db.execute(
            "UPDATE webhooks SET family_allowlist = ?1 WHERE id = ?2",
            params![f, id],
        )?;
    }
    db.execute(
        "UPDATE webhooks SET updated = ?1 WHERE id = ?2",
        params![ids::now_ms(), id],
    )?;
    Ok(ok(json!({"outbound_webhook_subscription": load(&db, id)?})))
}

pub fn delete(st: &AppState, id: &str) -> ApiResult {
    let db = st.db();
    load(&db, id)?;
    db.execute("DELETE FROM webhooks WHERE id = ?1", [id])?;
    Ok(ok(json!({"id": id, "deleted": true})))
}

pub fn rotate(st: &AppState, id: &str) -> ApiResult {
    let db = st.db();
    load(&db, id)?;
    let secret = sign::new_secret(st.hooks.scheme());
    db.execute(
        "UPDATE webhooks SET secret = ?1, updated = ?2 WHERE id = ?3",
        params![secret, ids::now_ms(), id],
    )?;
    let mut sub = load(&db, id)?;
    sub["secret"] = json!(secret);
    Ok(ok(json!({"outbound_webhook_subscription": sub})))
}
