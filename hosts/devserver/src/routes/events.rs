//! Events search, event details, and the activity long-poll.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{OptionalExtension, params_from_iter};
use serde_json::{Value, json};

use super::Req;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::events::{COLS, row_json};
use crate::server::AppState;

/// Accepts unix seconds, unix milliseconds or an ISO 8601 / `Y-m-d H:i:s` date; returns ms.
fn parse_time(name: &str, v: &str) -> ApiResult<i64> {
    if let Ok(n) = v.trim().parse::<i64>() {
        return Ok(if n > 100_000_000_000 { n } else { n * 1000 });
    }
    let iso = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339).ok();
    let plain = time::PrimitiveDateTime::parse(
        v.trim_end_matches(" UTC"),
        &time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    )
    .ok()
    .map(|t| t.assume_utc());
    iso.or(plain)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .ok_or_else(|| {
            ApiError::invalid_param(
                name,
                "datetime",
                format!("'{name}' must be a date or a unix time."),
            )
        })
}

/// The `WHERE` clause and its arguments for the documented search filters.
fn filters(p: &crate::params::Params) -> ApiResult<(String, Vec<String>)> {
    let mut clauses = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut scoped = false;
    for (param, col) in [
        ("user_id", "user_id"),
        ("org_id", "org_id"),
        ("workspace_id", "workspace_id"),
        ("share_id", "share_id"),
        ("parent_event_id", "id"),
    ] {
        if let Some(v) = p.get(param) {
            scoped = true;
            args.push(v.to_string());
            clauses.push(format!("{col} = ?{}", args.len()));
        }
    }
    if !scoped {
        return Err(ApiError::missing("workspace_id"));
    }
    for f in ["event", "category", "subcategory", "object_id"] {
        if let Some(v) = p.get(f) {
            args.push(v.to_string());
            clauses.push(format!("{f} = ?{}", args.len()));
        }
    }
    if let Some(v) = p.get("created-min") {
        args.push(parse_time("created-min", v)?.to_string());
        clauses.push(format!("created >= CAST(?{} AS INTEGER)", args.len()));
    }
    if let Some(v) = p.get("created-max") {
        args.push(parse_time("created-max", v)?.to_string());
        clauses.push(format!("created <= CAST(?{} AS INTEGER)", args.len()));
    }
    Ok((clauses.join(" AND "), args))
}

pub fn search(st: &AppState, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let (where_, args) = filters(p)?;
    let limit = p.u64("limit")?.unwrap_or(100);
    if !(1..=250).contains(&limit) {
        return Err(ApiError::invalid_param(
            "limit",
            "integer",
            "'limit' must be 1-250.",
        ));
    }
    let offset = p.u64("offset")?.unwrap_or(0);
    let db = st.db();
    let total: i64 = db.query_row(
        &format!("SELECT count(*) FROM events WHERE {where_}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let mut stmt = db.prepare(&format!(
        "SELECT {COLS} FROM events WHERE {where_} ORDER BY seq DESC LIMIT {limit} OFFSET {offset}"
    ))?;
    let list = stmt
        .query_map(params_from_iter(args.iter()), row_json)?
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = (offset as i64 + list.len() as i64) < total;
    Ok(ok(
        json!({"events": list, "results": list.len(), "pagination": {"total": total, "limit": limit, "offset": offset, "has_more": has_more}}),
    ))
}

/// `events/search/summarize/`: counts per event name under the same filters.
pub fn summarize(st: &AppState, rq: &Req) -> ApiResult {
    let (where_, args) = filters(&rq.params)?;
    let db = st.db();
    let mut stmt = db.prepare(&format!(
        "SELECT event, count(*) FROM events WHERE {where_} GROUP BY event ORDER BY event"
    ))?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let total: i64 = rows.iter().map(|r| r.1).sum();
    let counts: serde_json::Map<String, Value> =
        rows.into_iter().map(|(k, v)| (k, json!(v))).collect();
    Ok(ok(json!({"summary": counts, "total": total})))
}

/// `event/{id}/ack/`: acknowledges an event (recorded nowhere else; the event must exist).
pub fn ack(st: &AppState, id: &str) -> ApiResult {
    let found: Option<String> = st
        .db()
        .query_row("SELECT id FROM events WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    found.ok_or_else(|| ApiError::not_found("The event does not exist."))?;
    Ok(ok(json!({"id": id, "acknowledged": true})))
}

pub fn details(st: &AppState, id: &str) -> ApiResult {
    let db = st.db();
    let ev = db
        .query_row(
            &format!("SELECT {COLS} FROM events WHERE id = ?1"),
            [id],
            row_json,
        )
        .optional()?
        .ok_or_else(|| ApiError::not_found("The event does not exist."))?;
    Ok(ok(json!({"event": ev})))
}

fn activity_since(
    st: &AppState,
    entity: &str,
    since: i64,
) -> ApiResult<(serde_json::Map<String, Value>, i64)> {
    let db = st.db();
    let mut stmt = db.prepare(
        "SELECT activity_key, created FROM events WHERE created > ?1 AND activity_key IS NOT NULL \
         AND (workspace_id = ?2 OR org_id = ?2 OR user_id = ?2 OR share_id = ?2) ORDER BY seq",
    )?;
    let rows = stmt
        .query_map(rusqlite::params![since, entity], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut map = serde_json::Map::new();
    let mut last = since;
    for (k, t) in rows {
        last = last.max(t);
        map.insert(k, json!(t));
    }
    Ok((map, last))
}

pub async fn poll(st: &Arc<AppState>, entity: &str, rq: &Req) -> ApiResult {
    let wait = rq.params.u64("wait")?.unwrap_or(0).min(590);
    let since = match rq.params.get("lastactivity") {
        Some(v) => parse_time("lastactivity", v)?,
        None => {
            let last: Option<i64> =
                st.db()
                    .query_row("SELECT max(created) FROM events", [], |r| r.get(0))?;
            return Ok(ok(
                json!({"activity": {}, "lastactivity": last.unwrap_or_else(crate::ids::now_ms)}),
            ));
        }
    };
    let mut rx = st.changes.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    loop {
        let (map, last) = activity_since(st, entity, since)?;
        if !map.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(ok(json!({"activity": map, "lastactivity": last})));
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            return Ok(ok(json!({"activity": map, "lastactivity": last})));
        }
    }
}
