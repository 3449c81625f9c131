//! Events search and summary, event details and acknowledgement, and the activity long-poll.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{OptionalExtension, params_from_iter};
use serde_json::{Value, json};

use super::request::Req;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::events::{COLS, row_json};
use crate::state::AppState;

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

/// The `WHERE` clause and its arguments for the documented search filters (fastio_cli
/// src/api/event.rs:13-113 @96b1551).
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
    const NARROWING: [&str; 8] = [
        "event",
        "category",
        "subcategory",
        "object_id",
        "calling_user_id",
        "visibility",
        "created-min",
        "created-max",
    ];
    if p.get("parent_event_id").is_some()
        && let Some(other) = NARROWING.iter().find(|f| p.get(f).is_some())
    {
        return Err(ApiError::invalid_param(
            other,
            "none",
            format!("'{other}' cannot be combined with 'parent_event_id'."),
        ));
    }
    for f in ["event", "category", "subcategory", "object_id"] {
        if let Some(v) = p.get(f) {
            args.push(v.to_string());
            clauses.push(format!("{f} = ?{}", args.len()));
        }
    }
    // Every event here is triggered by the one signed-in user, recorded as `user_id`.
    if let Some(v) = p.get("calling_user_id") {
        args.push(v.to_string());
        clauses.push(format!("user_id = ?{}", args.len()));
    }
    // Both audit-log views show every event of this server.
    if let Some(v) = p.get("visibility")
        && v != "external_audit_log"
        && v != "external"
    {
        return Err(ApiError::invalid_param(
            "visibility",
            "string",
            "'visibility' must be external_audit_log or external.",
        ));
    }
    if let Some(v) = p.get("acknowledged") {
        let acked = match v {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => {
                return Err(ApiError::invalid_param(
                    "acknowledged",
                    "boolean",
                    "'acknowledged' must be true or false.",
                ));
            }
        };
        clauses.push(format!(
            "IFNULL(json_extract(data, '$.acknowledged'), 0) = {}",
            acked as i64
        ));
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

/// `POST event/{id}/ack/` with form `event_id` (fastio_cli src/api/event.rs:167-175
/// @96b1551): marks the event acknowledged, which the `acknowledged` search filter reads.
pub fn ack(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let named = rq.params.req("event_id")?;
    if named != id {
        return Err(ApiError::invalid_param(
            "event_id",
            "string",
            "'event_id' must name the event of the path.",
        ));
    }
    let n = st.db().execute(
        "UPDATE events SET data = json_set(CASE WHEN json_valid(data) AND json_type(data) = 'object' \
         THEN data ELSE '{}' END, '$.acknowledged', json('true')) WHERE id = ?1",
        [id],
    )?;
    if n == 0 {
        return Err(ApiError::not_found("The event does not exist."));
    }
    Ok(ok(json!({"id": id, "event_id": id, "acknowledged": true})))
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

/// The longest hold of the activity poll, in seconds (fastio_cli
/// src/bin/fastio/commands/ai.rs:786-796 @96b1551).
const MAX_WAIT_S: u64 = 95;

/// The `lastactivity` cursor: the event log position it was given at, as a decimal string.
/// Clients send it back verbatim.
fn parse_cursor(v: &str) -> ApiResult<i64> {
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::invalid_param(
                "lastactivity",
                "string",
                "'lastactivity' must be a cursor this server returned.",
            )
        })
}

/// What the poll reports for an entity: each activity key with the cursor of its newest event
/// (only keys newer than `since` when `newer_only`), whether anything is newer than `since`,
/// and the log position the answer covers.
fn activity(
    st: &AppState,
    entity: &str,
    since: i64,
    newer_only: bool,
) -> ApiResult<(serde_json::Map<String, Value>, bool, i64)> {
    let db = st.db();
    let head: i64 = db.query_row("SELECT IFNULL(max(seq), 0) FROM events", [], |r| r.get(0))?;
    let floor = if newer_only { since } else { 0 };
    let mut stmt = db.prepare(
        "SELECT activity_key, max(seq) FROM events WHERE seq > ?1 AND seq <= ?2 AND activity_key IS NOT NULL \
         AND (workspace_id = ?3 OR org_id = ?3 OR user_id = ?3 OR share_id = ?3) GROUP BY activity_key",
    )?;
    let rows = stmt
        .query_map(rusqlite::params![floor, head, entity], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let newer = rows.iter().any(|(_, seq)| *seq > since);
    let map = rows
        .into_iter()
        .map(|(k, seq)| (k, json!(seq.to_string())))
        .collect();
    Ok((map, newer, head))
}

/// `GET activity/poll/{id}/?wait&lastactivity&updated`: holds the request for
/// min(`wait`, 95) s — the first call too — until the entity has activity newer than the
/// cursor (or than the request, without one), waking as soon as anything is recorded.
/// `lastactivity` comes back as a string; with `updated=1` only newer keys are listed
/// (fastio_cli src/api/event.rs:136-166, src/bin/fastio/commands/ai.rs:1044-1048,
/// src/bin/fastio/mcp/tools.rs:8258-8268 @96b1551).
pub async fn poll(st: &Arc<AppState>, entity: &str, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let wait = p.u64("wait")?.unwrap_or(0).min(MAX_WAIT_S);
    let newer_only = matches!(p.get("updated"), Some("1" | "true"));
    // Subscribed before the first look, so a change between the look and the wait still
    // wakes it.
    let mut rx = st.changes.subscribe();
    let since = match p.get("lastactivity") {
        Some(v) => parse_cursor(v)?,
        None => activity(st, entity, i64::MAX, true)?.2,
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    loop {
        let (map, newer, head) = activity(st, entity, since, newer_only)?;
        if newer || tokio::time::Instant::now() >= deadline {
            return Ok(ok(
                json!({"activity": map, "lastactivity": head.to_string()}),
            ));
        }
        if !matches!(
            tokio::time::timeout_at(deadline, rx.changed()).await,
            Ok(Ok(()))
        ) {
            let (map, _, head) = activity(st, entity, since, newer_only)?;
            return Ok(ok(
                json!({"activity": map, "lastactivity": head.to_string()}),
            ));
        }
    }
}
