//! Comments on files, with replies, reactions and attachments (fastio_cli src/api/comment.rs
//! @96b1551). Every comment body is JSON; a form is refused (406), as the service reads JSON
//! here. The answers' shapes are this server's choice where the reference is silent:
//! `{comment}` for one, `{comments[], pagination}` for a list.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::paging::{page, paging};
use super::request::Req;
use super::{nodes, scope};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;

/// Most targets one comment may attach (src/api/comment.rs).
const MAX_TARGETS: usize = 25;
/// Most ids one bulk delete may name.
const MAX_BULK: usize = 100;
const MAX_BODY_CHARS: usize = 10_000;

const COLS: &str = "id, profile_type, profile_id, node_id, parent_id, body, reference, properties, author, created, updated";

pub fn route(st: &Arc<AppState>, rest: &[&str], rq: &Req) -> ApiResult {
    let m = rq.method.clone();
    let (get, post, del) = (m == Method::GET, m == Method::POST, m == Method::DELETE);
    if post && !rq.content_type.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            1605,
            "APP_INVALID_INPUT",
            "Comment calls take a JSON body.",
        ));
    }
    match rest {
        ["bulk", "delete"] if post => bulk_delete(st, rq),
        [kind @ ("workspace" | "share"), id] if get => list(st, kind, id, None, rq),
        [kind @ ("workspace" | "share"), id, node] if get => list(st, kind, id, Some(node), rq),
        [kind @ ("workspace" | "share"), id, node] if post => create(st, kind, id, node, rq),
        [cid, "update"] if post => update(st, cid, rq),
        [cid, "delete"] if del => delete(st, cid),
        [cid, "details"] if get => details(st, cid),
        [cid, "reactions"] if post => react(st, cid, rq),
        [cid, "reactions"] if del => unreact(st, cid),
        [cid, "attachments"] if get => attachments(st, cid),
        [cid, "attachments"] if post => attach(st, cid, rq),
        [cid, "attachments", "detach"] if post => detach(st, cid, rq),
        _ => Err(ApiError::unknown_route()),
    }
}

fn comment_json(db: &Connection, r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let id: String = r.get(0)?;
    let parse = |s: Option<String>| s.and_then(|t| serde_json::from_str::<Value>(&t).ok());
    let mut reactions = db.prepare(
        "SELECT emoji, COUNT(*) FROM comment_reactions WHERE comment_id = ?1 GROUP BY emoji ORDER BY emoji",
    )?;
    let reactions = reactions
        .query_map([&id], |r| {
            Ok(json!({"emoji": r.get::<_, String>(0)?, "count": r.get::<_, i64>(1)?}))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut targets = db.prepare(
        "SELECT target_id FROM comment_attachments WHERE comment_id = ?1 ORDER BY target_id",
    )?;
    let attachments = targets
        .query_map([&id], |r| Ok(json!({"target_id": r.get::<_, String>(0)?})))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "id": id,
        "comment_id": id,
        "profile_type": r.get::<_, String>(1)?,
        "profile_id": r.get::<_, String>(2)?,
        "node_id": r.get::<_, String>(3)?,
        "parent_id": r.get::<_, Option<String>>(4)?,
        "body": r.get::<_, String>(5)?,
        "reference": parse(r.get(6)?),
        "properties": parse(r.get(7)?),
        "author": {"id": r.get::<_, String>(8)?},
        "created": ids::iso(r.get(9)?),
        "updated": ids::iso(r.get(10)?),
        "reactions": reactions,
        "attachments": attachments,
    }))
}

fn load(db: &Connection, cid: &str) -> ApiResult<Value> {
    db.query_row(
        &format!("SELECT {COLS} FROM comments WHERE id = ?1"),
        [cid],
        |r| comment_json(db, r),
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The comment does not exist."))
}

/// The storage a comment's profile names, checked to exist: `(namespace, root)`.
fn storage_of(db: &Connection, kind: &str, id: &str) -> ApiResult<(String, String)> {
    if kind == "workspace" {
        scope::workspace(db, id)?;
        Ok((id.to_string(), "root".to_string()))
    } else {
        scope::storage_scope(db, id)
    }
}

fn body_text(rq: &Req) -> ApiResult<String> {
    let body = rq.params.req("body")?;
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::invalid_param(
            "body",
            "string",
            format!("A comment holds at most {MAX_BODY_CHARS} characters."),
        ));
    }
    Ok(body.to_string())
}

/// `target_id` or `target_ids` (a JSON array of at most 25), never both.
fn targets(rq: &Req, required: bool) -> ApiResult<Vec<String>> {
    let p = &rq.params;
    match (p.get("target_id"), p.get("target_ids")) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "Send either 'target_id' or 'target_ids', not both.",
        )),
        (Some(t), None) => Ok(vec![t.to_string()]),
        (None, Some(list)) => {
            let ids: Vec<String> = serde_json::from_str::<Vec<String>>(list).map_err(|_| {
                ApiError::invalid_param("target_ids", "array", "'target_ids' is a list of ids.")
            })?;
            if ids.is_empty() || ids.len() > MAX_TARGETS {
                return Err(ApiError::invalid_param(
                    "target_ids",
                    "array",
                    format!("'target_ids' holds 1 to {MAX_TARGETS} ids."),
                ));
            }
            Ok(ids)
        }
        (None, None) if required => Err(ApiError::missing_all(&["target_id", "target_ids"])),
        (None, None) => Ok(Vec::new()),
    }
}

fn json_field(rq: &Req, k: &str) -> ApiResult<Option<String>> {
    match rq.params.get(k) {
        None => Ok(None),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(_)) => Ok(Some(t.to_string())),
            _ => Err(ApiError::invalid_param(
                k,
                "object",
                format!("'{k}' is a JSON object."),
            )),
        },
    }
}

fn list(st: &AppState, kind: &str, id: &str, node: Option<&str>, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let desc = match rq.params.get("sort") {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => {
            return Err(ApiError::invalid_param(
                "sort",
                "string",
                "'sort' must be asc or desc.",
            ));
        }
    };
    let db = st.db();
    let (ns, _) = storage_of(&db, kind, id)?;
    if let Some(n) = node {
        nodes::get(&db, &ns, n)?;
    }
    let order = if desc { "DESC" } else { "ASC" };
    let mut stmt = db.prepare(&format!(
        "SELECT {COLS} FROM comments WHERE profile_type = ?1 AND profile_id = ?2 AND (?3 IS NULL OR node_id = ?3) ORDER BY created {order}, rowid {order}"
    ))?;
    let all = stmt
        .query_map(params![kind, id, node], |r| comment_json(&db, r))?
        .collect::<Result<Vec<_>, _>>()?;
    let (comments, pagination) = page(all, limit, offset);
    Ok(ok(json!({"comments": comments, "pagination": pagination})))
}

fn create(st: &AppState, kind: &str, id: &str, node: &str, rq: &Req) -> ApiResult {
    let body = body_text(rq)?;
    let reference = json_field(rq, "reference")?;
    let properties = json_field(rq, "properties")?;
    let attach = targets(rq, false)?;
    let db = st.db();
    let (ns, _) = storage_of(&db, kind, id)?;
    let n = nodes::get(&db, &ns, node)?;
    if n["type"] == "folder" {
        return Err(ApiError::invalid("Comments are on files, not folders."));
    }
    let parent = rq.params.get("parent_id");
    if let Some(p) = parent {
        let on: Option<String> = db
            .query_row("SELECT node_id FROM comments WHERE id = ?1", [p], |r| {
                r.get(0)
            })
            .optional()?;
        if on.as_deref() != Some(node) {
            return Err(ApiError::invalid_param(
                "parent_id",
                "string",
                "'parent_id' is not a comment on this file.",
            ));
        }
    }
    let cid = ids::node_id();
    let now = ids::now_ms();
    db.execute(
        &format!("INSERT INTO comments({COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10)"),
        params![
            cid, kind, id, node, parent, body, reference, properties, st.user_id, now
        ],
    )?;
    for t in attach {
        db.execute(
            "INSERT OR IGNORE INTO comment_attachments(comment_id, target_id) VALUES (?1,?2)",
            params![cid, t],
        )?;
    }
    Ok(ok(json!({"comment": load(&db, &cid)?})))
}

fn update(st: &AppState, cid: &str, rq: &Req) -> ApiResult {
    let body = body_text(rq)?;
    let db = st.db();
    load(&db, cid)?;
    db.execute(
        "UPDATE comments SET body = ?1, updated = ?2 WHERE id = ?3",
        params![body, ids::now_ms(), cid],
    )?;
    Ok(ok(json!({"comment": load(&db, cid)?})))
}

/// Deletes a comment with its replies, reactions and attachments.
fn remove(db: &Connection, cid: &str) -> ApiResult<()> {
    let mut stack = vec![cid.to_string()];
    while let Some(c) = stack.pop() {
        let mut stmt = db.prepare("SELECT id FROM comments WHERE parent_id = ?1")?;
        stack.extend(
            stmt.query_map([&c], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?,
        );
        for t in ["comment_reactions", "comment_attachments"] {
            db.execute(&format!("DELETE FROM {t} WHERE comment_id = ?1"), [&c])?;
        }
        db.execute("DELETE FROM comments WHERE id = ?1", [&c])?;
    }
    Ok(())
}

fn delete(st: &AppState, cid: &str) -> ApiResult {
    let db = st.db();
    load(&db, cid)?;
    remove(&db, cid)?;
    Ok(ok(json!({"id": cid, "deleted": true})))
}

fn bulk_delete(st: &AppState, rq: &Req) -> ApiResult {
    let raw = rq.params.req("comment_ids")?;
    let list: Vec<String> = serde_json::from_str(raw).map_err(|_| {
        ApiError::invalid_param("comment_ids", "array", "'comment_ids' is a list of ids.")
    })?;
    if list.is_empty() || list.len() > MAX_BULK {
        return Err(ApiError::invalid_param(
            "comment_ids",
            "array",
            format!("'comment_ids' holds 1 to {MAX_BULK} ids."),
        ));
    }
    let db = st.db();
    let mut deleted = Vec::new();
    let mut missing = Vec::new();
    for c in list {
        if load(&db, &c).is_ok() {
            remove(&db, &c)?;
            deleted.push(c);
        } else {
            missing.push(c);
        }
    }
    Ok(ok(json!({"deleted": deleted, "not_found": missing})))
}

fn details(st: &AppState, cid: &str) -> ApiResult {
    Ok(ok(json!({"comment": load(&st.db(), cid)?})))
}

fn attachments(st: &AppState, cid: &str) -> ApiResult {
    let c = load(&st.db(), cid)?;
    Ok(ok(json!({"attachments": c["attachments"]})))
}

fn react(st: &AppState, cid: &str, rq: &Req) -> ApiResult {
    let emoji = rq.params.req("emoji")?;
    if emoji.chars().count() > 16 {
        return Err(ApiError::invalid_param(
            "emoji",
            "string",
            "'emoji' is one emoji.",
        ));
    }
    let db = st.db();
    load(&db, cid)?;
    db.execute(
        "INSERT INTO comment_reactions(comment_id, user_id, emoji) VALUES (?1,?2,?3)
         ON CONFLICT(comment_id, user_id) DO UPDATE SET emoji = excluded.emoji",
        params![cid, st.user_id, emoji],
    )?;
    Ok(ok(json!({"comment": load(&db, cid)?})))
}

fn unreact(st: &AppState, cid: &str) -> ApiResult {
    let db = st.db();
    load(&db, cid)?;
    db.execute(
        "DELETE FROM comment_reactions WHERE comment_id = ?1 AND user_id = ?2",
        params![cid, st.user_id],
    )?;
    Ok(ok(json!({"comment": load(&db, cid)?})))
}

fn attach(st: &AppState, cid: &str, rq: &Req) -> ApiResult {
    let list = targets(rq, true)?;
    let db = st.db();
    load(&db, cid)?;
    for t in list {
        db.execute(
            "INSERT OR IGNORE INTO comment_attachments(comment_id, target_id) VALUES (?1,?2)",
            params![cid, t],
        )?;
    }
    Ok(ok(json!({"comment": load(&db, cid)?})))
}

fn detach(st: &AppState, cid: &str, rq: &Req) -> ApiResult {
    let t = rq.params.req("target_id")?;
    let db = st.db();
    load(&db, cid)?;
    let n = db.execute(
        "DELETE FROM comment_attachments WHERE comment_id = ?1 AND target_id = ?2",
        params![cid, t],
    )?;
    if n == 0 {
        return Err(ApiError::not_found("Nothing of that id is attached."));
    }
    Ok(ok(json!({"comment": load(&db, cid)?})))
}
