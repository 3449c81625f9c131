//! AI chat endpoints (`ai/agent` and legacy `ai/chat`) as an offline stand-in: no model is
//! involved. A turn walks pending → running → complete, and its answer is built from a plain
//! case-insensitive word search over the workspace's text files, citing node id and snippet.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::{Req, nodes, orgs};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::events::NewEvent;
use crate::ids;
use crate::server::AppState;

pub fn route(st: &Arc<AppState>, ws: &str, kind: &str, rest: &[&str], rq: &Req) -> ApiResult {
    orgs::workspace(&st.db(), ws)?;
    route_in(st, ws, kind, rest, rq, false)
}

/// The same endpoints under `/share/{id}/`, answering from the share's files; message details
/// are wrapped in `turn` there, as the reference notes.
pub fn route_share(st: &Arc<AppState>, id: &str, kind: &str, rest: &[&str], rq: &Req) -> ApiResult {
    let (ns, _root) = super::shares::storage_scope(&st.db(), id)?;
    route_in(st, &ns, kind, rest, rq, true)
}

fn route_in(
    st: &Arc<AppState>,
    ws: &str,
    kind: &str,
    rest: &[&str],
    rq: &Req,
    share: bool,
) -> ApiResult {
    let legacy = kind == "chat";
    let m = &rq.method;
    match rest {
        [] if *m == Method::POST => create(st, ws, legacy, rq),
        ["list"] if *m == Method::GET => list(st, ws, legacy),
        [chat, "details"] if *m == Method::GET => chat_details(st, ws, chat, legacy),
        [chat, "message"] if *m == Method::POST => follow_up(st, ws, chat, legacy, rq),
        [chat, "message", msg, "details"] if *m == Method::GET => {
            message_details(st, chat, msg, legacy, share)
        }
        [chat, "message", msg, "read"] if *m == Method::GET => message_read(st, chat, msg, legacy),
        [chat, "cancel"] if *m == Method::POST => cancel(st, chat),
        [chat] if *m == Method::DELETE => delete(st, chat),
        _ => Err(ApiError::unknown_route()),
    }
}

fn question(rq: &Req) -> ApiResult<String> {
    let q = rq.params.req("question")?;
    if q.chars().count() > 32_000 {
        return Err(ApiError::invalid_param(
            "question",
            "string",
            "'question' must be 1-32000 characters.",
        ));
    }
    Ok(q.to_string())
}

fn chat_exists(db: &Connection, chat: &str) -> ApiResult<(String, bool)> {
    db.query_row(
        "SELECT ws_id, legacy FROM ai_chats WHERE id = ?1",
        [chat],
        |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0)),
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The chat does not exist."))
}

fn legacy_state(status: &str) -> &'static str {
    match status {
        "pending" => "ready",
        "running" => "in_progress",
        "complete" => "complete",
        _ => "errored",
    }
}

fn create(st: &Arc<AppState>, ws: &str, legacy: bool, rq: &Req) -> ApiResult {
    let q = question(rq)?;
    if rq.params.get("privacy") == Some("public") {
        return Err(ApiError::denied("Public chats are disabled."));
    }
    let chat = ids::profile_id();
    let kind = rq.params.get("kind").unwrap_or("user").to_string();
    {
        let db = st.db();
        db.execute(
            "INSERT INTO ai_chats(id, ws_id, name, kind, legacy, created) VALUES (?1,?2,?3,?4,?5,?6)",
            params![chat, ws, rq.params.get("name"), kind, legacy as i64, ids::now_ms()],
        )?;
        crate::events::record(
            st,
            &db,
            NewEvent {
                event: "ai_chat_created",
                category: "ai",
                subcategory: "chat",
                workspace_id: Some(ws.to_string()),
                object_id: Some(chat.clone()),
                activity_key: Some(format!("ai_chat:{chat}")),
                data: json!({"chat_id": chat}),
            },
        )?;
    }
    let turn = new_turn(st, ws, &chat, &q)?;
    if legacy {
        return Ok(ok(
            json!({"chat_id": chat, "message_id": turn, "chat": {"id": chat}, "message": {"id": turn, "state": "ready"}}),
        ));
    }
    Ok(ok(
        json!({"thread": {"thread_id": chat}, "turn": {"turn_id": turn, "status": "pending", "seq": 1}, "chat_id": chat}),
    ))
}

fn new_turn(st: &Arc<AppState>, ws: &str, chat: &str, q: &str) -> ApiResult<String> {
    let turn = ids::profile_id();
    {
        let db = st.db();
        let seq: i64 = db.query_row(
            "SELECT count(*) + 1 FROM ai_turns WHERE chat_id = ?1",
            [chat],
            |r| r.get(0),
        )?;
        db.execute(
            "INSERT INTO ai_turns(id, chat_id, seq, question, status, created) VALUES (?1,?2,?3,?4,'pending',?5)",
            params![turn, chat, seq, q, ids::now_ms()],
        )?;
    }
    let st2 = st.clone();
    let (ws, turn2, q) = (ws.to_string(), turn.clone(), q.to_string());
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = st2.db().execute(
            "UPDATE ai_turns SET status = 'running' WHERE id = ?1 AND status = 'pending'",
            [&turn2],
        );
        st2.notify();
        let st3 = st2.clone();
        let ws2 = ws.clone();
        let found = tokio::task::spawn_blocking(move || answer(&st3, &ws2, &q)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (text, cites) = found.unwrap_or_else(|_| ("The search failed.".into(), json!([])));
        let _ = st2.db().execute(
            "UPDATE ai_turns SET status = 'complete', answer = ?1, citations = ?2 WHERE id = ?3 AND status = 'running'",
            params![text, cites.to_string(), turn2],
        );
        st2.notify();
    });
    Ok(turn)
}

/// The stand-in "answer": lines of the workspace's text files that contain the most words of
/// the question.
fn answer(st: &AppState, ws: &str, q: &str) -> (String, Value) {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect();
    let files: Vec<(String, String, String, i64)> = {
        let db = st.db();
        let Ok(mut stmt) = db.prepare(
            "SELECT n.id, n.name, v.blob, v.size FROM nodes n JOIN versions v ON v.id = n.version_id WHERE n.ws_id = ?1 AND n.trashed = 0 AND n.type = 'file'",
        ) else {
            return ("The search failed.".into(), json!([]));
        };
        stmt.query_map([ws], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map(|it| it.flatten().collect())
            .unwrap_or_default()
    };
    let mut hits: Vec<(usize, String, String, String)> = Vec::new();
    for (id, name, blob, size) in files {
        if !nodes::is_text(nodes::mimetype(&name)) || size > 2 * 1024 * 1024 {
            continue;
        }
        let Ok(path) = st.blobs.blob_path(&blob) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for line in text.lines() {
            let l = line.to_lowercase();
            let score = words.iter().filter(|w| l.contains(w.as_str())).count();
            if score > 0 {
                let snippet: String = line.trim().chars().take(300).collect();
                hits.push((score, id.clone(), name.clone(), snippet));
            }
        }
    }
    hits.sort_by_key(|h| std::cmp::Reverse(h.0));
    hits.truncate(3);
    if hits.is_empty() {
        return ("No passage in this workspace's text files matches the question (offline text search, not a model).".into(), json!([]));
    }
    let text = format!(
        "Offline text search (not a model) found these passages:\n{}",
        hits.iter()
            .map(|h| format!("- {}: {}", h.2, h.3))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let cites: Vec<Value> = hits
        .iter()
        .map(|h| json!({"node_id": h.1, "file_name": h.2, "snippet": h.3, "score": h.0, "page": null}))
        .collect();
    (text, Value::Array(cites))
}

fn turn_json(r: &rusqlite::Row<'_>, legacy: bool) -> rusqlite::Result<Value> {
    let status: String = r.get(4)?;
    let answer: Option<String> = r.get(5)?;
    let cites: Value = r
        .get::<_, Option<String>>(6)?
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or(json!([]));
    let id: String = r.get(0)?;
    if legacy {
        return Ok(json!({
            "id": id, "message_id": id, "chat_id": r.get::<_, String>(1)?, "question": r.get::<_, String>(3)?,
            "state": legacy_state(&status),
            "response": {"text": answer, "citations": cites},
            "created": ids::iso(r.get(7)?),
        }));
    }
    Ok(json!({
        "id": id, "turn_id": id, "thread_id": r.get::<_, String>(1)?, "seq": r.get::<_, i64>(2)?,
        "question": r.get::<_, String>(3)?, "status": status,
        "result": {"answer": answer, "text": answer, "citations": cites},
        "actions": [],
        "created": ids::iso(r.get(7)?),
    }))
}

const TURN_COLS: &str = "id, chat_id, seq, question, status, answer, citations, created";

fn list(st: &AppState, ws: &str, legacy: bool) -> ApiResult {
    let db = st.db();
    let mut stmt = db.prepare("SELECT id, name, kind, created FROM ai_chats WHERE ws_id = ?1 AND legacy = ?2 ORDER BY created")?;
    let chats = stmt
        .query_map(params![ws, legacy as i64], |r| {
            Ok(json!({"id": r.get::<_, String>(0)?, "chat_id": r.get::<_, String>(0)?, "name": r.get::<_, Option<String>>(1)?, "kind": r.get::<_, String>(2)?, "created": ids::iso(r.get(3)?)}))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(json!({"chats": chats, "results": chats.len()})))
}

fn chat_details(st: &AppState, ws: &str, chat: &str, legacy: bool) -> ApiResult {
    let db = st.db();
    let (cws, _) = chat_exists(&db, chat)?;
    if cws != ws {
        return Err(ApiError::not_found("The chat does not exist."));
    }
    let mut stmt = db.prepare(&format!(
        "SELECT {TURN_COLS} FROM ai_turns WHERE chat_id = ?1 ORDER BY seq"
    ))?;
    let turns = stmt
        .query_map([chat], |r| turn_json(r, legacy))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(
        json!({"chat": {"id": chat, "thread_id": chat, "workspace_id": ws}, "messages": turns}),
    ))
}

fn follow_up(st: &Arc<AppState>, ws: &str, chat: &str, legacy: bool, rq: &Req) -> ApiResult {
    let q = question(rq)?;
    chat_exists(&st.db(), chat)?;
    let turn = new_turn(st, ws, chat, &q)?;
    let seq: i64 = st
        .db()
        .query_row("SELECT seq FROM ai_turns WHERE id = ?1", [&turn], |r| {
            r.get(0)
        })?;
    if legacy {
        return Ok(ok(
            json!({"message_id": turn, "chat_id": chat, "state": "ready"}),
        ));
    }
    Ok(ok(
        json!({"turn_id": turn, "thread_id": chat, "seq": seq, "status": "pending"}),
    ))
}

fn load_turn(st: &AppState, chat: &str, msg: &str, legacy: bool) -> ApiResult<Value> {
    let db = st.db();
    chat_exists(&db, chat)?;
    db.query_row(
        &format!("SELECT {TURN_COLS} FROM ai_turns WHERE id = ?1 AND chat_id = ?2"),
        params![msg, chat],
        |r| turn_json(r, legacy),
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The message does not exist."))
}

fn message_details(st: &AppState, chat: &str, msg: &str, legacy: bool, share: bool) -> ApiResult {
    let t = load_turn(st, chat, msg, legacy)?;
    let key = if share && !legacy { "turn" } else { "message" };
    Ok(ok(json!({ key: t })))
}

/// A minimal SSE rendering: the turn as it is now, then `done` once it is complete.
fn message_read(st: &AppState, chat: &str, msg: &str, legacy: bool) -> ApiResult {
    let t = load_turn(st, chat, msg, legacy)?;
    let done = t["status"] == "complete" || t["state"] == "complete";
    let mut body = format!("event: message\ndata: {t}\n\n");
    if done {
        body.push_str(&format!("event: done\ndata: {t}\n\n"));
    }
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .body(axum::body::Body::from(body))
        .map_err(|_| ApiError::internal("could not build the response"))
}

fn cancel(st: &AppState, chat: &str) -> ApiResult {
    let db = st.db();
    chat_exists(&db, chat)?;
    let n = db.execute("UPDATE ai_turns SET status = 'cancelled' WHERE chat_id = ?1 AND status IN ('pending','running')", [chat])?;
    Ok(ok(json!({"chat_id": chat, "cancelled": n})))
}

fn delete(st: &AppState, chat: &str) -> ApiResult {
    let db = st.db();
    chat_exists(&db, chat)?;
    db.execute("DELETE FROM ai_turns WHERE chat_id = ?1", [chat])?;
    db.execute("DELETE FROM ai_chats WHERE id = ?1", [chat])?;
    Ok(ok(json!({"chat_id": chat, "deleted": true})))
}
