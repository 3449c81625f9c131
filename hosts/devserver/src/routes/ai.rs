//! AI chat endpoints (`ai/agent` and legacy `ai/chat`) as an offline stand-in: no model is
//! involved. A turn walks `ready` → `in_progress` → `complete` (or `needs_input` when the
//! question has no word to search for), and its answer is built from a plain case-insensitive
//! word search over the workspace's text files, citing node id and snippet.
//!
//! Turns are answered in the shapes the official client reads (fastio_cli
//! src/api/ai.rs:753-837, src/bin/fastio/commands/ai.rs:1135-1178 @96b1551):
//! `{message|turn: {state, text, response: {text, citations}, actions}}`, with a
//! `clarification{type, question}` on `needs_input`. A turn reaching its end is recorded as an
//! `ai_chat_new_message` event keyed `ai_chat:{chat}`, which wakes the activity long-poll.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::request::Req;
use super::{nodes, scope};
use crate::envelope::{ApiError, ApiResult, json_response, ok};
use crate::events::NewEvent;
use crate::ids;
use crate::state::AppState;

pub fn route(st: &Arc<AppState>, ws: &str, kind: &str, rest: &[&str], rq: &Req) -> ApiResult {
    scope::workspace(&st.db(), ws)?;
    route_in(
        st,
        &Scope {
            ns: ws,
            share: None,
        },
        kind,
        rest,
        rq,
    )
}

/// The same endpoints under `/share/{id}/`, answering from the share's files; message details
/// are wrapped in `turn` there.
pub fn route_share(st: &Arc<AppState>, id: &str, kind: &str, rest: &[&str], rq: &Req) -> ApiResult {
    let (ns, _root) = scope::storage_scope(&st.db(), id)?;
    route_in(
        st,
        &Scope {
            ns: &ns,
            share: Some(id),
        },
        kind,
        rest,
        rq,
    )
}

/// Where a chat lives: the storage namespace (a workspace, or an independent share's id) and,
/// for share routes, the share.
struct Scope<'a> {
    ns: &'a str,
    share: Option<&'a str>,
}

/// A soft-deleted chat keeps its row under this prefix of its namespace, so it drops out of
/// every lookup and is listed only by `list/deleted`.
const DELETED: &str = "deleted:";

fn route_in(st: &Arc<AppState>, sc: &Scope<'_>, kind: &str, rest: &[&str], rq: &Req) -> ApiResult {
    let legacy = kind == "chat";
    let m = &rq.method;
    match rest {
        [] if *m == Method::POST => create(st, sc, legacy, rq),
        ["list"] if *m == Method::GET => list(st, sc.ns, legacy, false, rq),
        ["list", "deleted"] if *m == Method::GET && !legacy => list(st, sc.ns, legacy, true, rq),
        [chat, "details"] if *m == Method::GET => chat_details(st, sc.ns, chat, legacy),
        [chat, "message"] if *m == Method::POST => follow_up(st, sc, chat, legacy, rq),
        [chat, "messages", "list"] if *m == Method::GET && !legacy => messages(st, sc.ns, chat, rq),
        [chat, "message", msg, "details"] if *m == Method::GET => {
            message_details(st, sc, chat, msg, legacy)
        }
        [chat, "message", msg, "read"] if *m == Method::GET => {
            message_read(st, sc.ns, chat, msg, legacy)
        }
        [chat, "cancel"] if *m == Method::POST => Ok(cancel(st, sc, chat)),
        [chat, "update"] if *m == Method::POST && !legacy => rename(st, sc.ns, chat, rq),
        [chat, "publish"] if *m == Method::POST && !legacy => publish(st, sc.ns, chat),
        [chat] if *m == Method::DELETE => delete(st, sc.ns, chat),
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

/// The chat, when it exists in this namespace (and is not deleted).
fn chat_in(db: &Connection, ns: &str, chat: &str) -> ApiResult<bool> {
    db.query_row(
        "SELECT legacy FROM ai_chats WHERE id = ?1 AND ws_id = ?2",
        [chat, ns],
        |r| Ok(r.get::<_, i64>(0)? != 0),
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The chat does not exist."))
}

/// Records an AI event keyed `ai_chat:{chat}` and wakes long-polls. A share whose storage is a
/// workspace folder records under the workspace, so the share id is set on the event too: a
/// poll on the share must wake as well.
fn record(
    st: &AppState,
    db: &Connection,
    sc: &Scope<'_>,
    event: &'static str,
    chat: &str,
    data: Value,
) -> ApiResult<()> {
    let v = crate::events::record(
        st,
        db,
        NewEvent {
            event,
            category: "ai",
            subcategory: "chat",
            workspace_id: Some(sc.ns.to_string()),
            object_id: Some(chat.to_string()),
            activity_key: Some(format!("ai_chat:{chat}")),
            data,
        },
    )?;
    if let (Some(share), Some(id)) = (sc.share, v["id"].as_str()) {
        db.execute(
            "UPDATE events SET share_id = ?1 WHERE id = ?2 AND share_id IS NULL",
            [share, id],
        )?;
    }
    Ok(())
}

fn create(st: &Arc<AppState>, sc: &Scope<'_>, legacy: bool, rq: &Req) -> ApiResult {
    let q = question(rq)?;
    let p = &rq.params;
    if sc.share.is_some() && !legacy {
        // Workspace-only fields: a share chat refuses them (fastio_cli src/api/ai.rs:50-56
        // @96b1551).
        for f in ["privacy", "kind"] {
            if p.has(f) {
                return Err(ApiError::invalid_param(
                    f,
                    "none",
                    format!("'{f}' applies to workspace chats only."),
                ));
            }
        }
    }
    if p.get("privacy") == Some("public") {
        return Err(ApiError::denied("Public chats are disabled."));
    }
    let kind = p.get("kind").unwrap_or("user").to_string();
    if kind != "user" && kind != "agent" {
        return Err(ApiError::invalid_param(
            "kind",
            "string",
            "'kind' must be user or agent.",
        ));
    }
    let chat = ids::profile_id();
    {
        let db = st.db();
        db.execute(
            "INSERT INTO ai_chats(id, ws_id, name, kind, legacy, created) VALUES (?1,?2,?3,?4,?5,?6)",
            params![chat, sc.ns, p.get("name"), kind, legacy as i64, ids::now_ms()],
        )?;
        record(
            st,
            &db,
            sc,
            "ai_chat_created",
            &chat,
            json!({"chat_id": chat}),
        )?;
    }
    st.notify();
    let turn = new_turn(st, sc, &chat, &q, legacy)?;
    if legacy {
        return Ok(ok(
            json!({"chat_id": chat, "message_id": turn, "chat": {"id": chat}, "message": {"id": turn, "state": "ready"}}),
        ));
    }
    Ok(ok(
        json!({"thread": {"thread_id": chat}, "turn": {"turn_id": turn, "status": "pending", "seq": 1}, "chat_id": chat}),
    ))
}

/// Words the stand-in searches for: three letters or more.
fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect()
}

/// The clarifying question of a turn whose question has nothing to search for.
const CLARIFY: &str = "Which files or topic should I look at?";

fn new_turn(
    st: &Arc<AppState>,
    sc: &Scope<'_>,
    chat: &str,
    q: &str,
    legacy: bool,
) -> ApiResult<String> {
    let turn = ids::profile_id();
    {
        let db = st.db();
        let seq: i64 = db.query_row(
            "SELECT count(*) + 1 FROM ai_turns WHERE chat_id = ?1",
            [chat],
            |r| r.get(0),
        )?;
        db.execute(
            "INSERT INTO ai_turns(id, chat_id, seq, question, status, created) VALUES (?1,?2,?3,?4,'ready',?5)",
            params![turn, chat, seq, q, ids::now_ms()],
        )?;
    }
    let st2 = st.clone();
    let (ns, share) = (sc.ns.to_string(), sc.share.map(str::to_string));
    let (chat2, turn2, q) = (chat.to_string(), turn.clone(), q.to_string());
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = st2.db().execute(
            "UPDATE ai_turns SET status = 'in_progress' WHERE id = ?1 AND status = 'ready'",
            [&turn2],
        );
        st2.notify();
        let (status, text, cites) = if words(&q).is_empty() && !legacy {
            ("needs_input", CLARIFY.to_string(), json!([]))
        } else {
            let st3 = st2.clone();
            let ns2 = ns.clone();
            let found = tokio::task::spawn_blocking(move || answer(&st3, &ns2, &q)).await;
            let (t, c) = found.unwrap_or_else(|_| ("The search failed.".into(), json!([])));
            ("complete", t, c)
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let sc = Scope {
            ns: &ns,
            share: share.as_deref(),
        };
        {
            let db = st2.db();
            let changed = db
                .execute(
                    "UPDATE ai_turns SET status = ?1, answer = ?2, citations = ?3 WHERE id = ?4 AND status = 'in_progress'",
                    params![status, text, cites.to_string(), turn2],
                )
                .unwrap_or(0);
            if changed == 1 {
                let _ = record(
                    &st2,
                    &db,
                    &sc,
                    "ai_chat_new_message",
                    &chat2,
                    json!({"chat_id": chat2, "turn_id": turn2, "state": status}),
                );
            }
        }
        st2.notify();
    });
    Ok(turn)
}

/// The stand-in "answer": lines of the workspace's text files that contain the most words of
/// the question.
fn answer(st: &AppState, ws: &str, q: &str) -> (String, Value) {
    let words = words(q);
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

/// The state a stored status is shown as. Rows written before states were named as the
/// official client reads them say `pending`/`running`; a cancelled turn ends `errored`, the
/// only terminal state that fits.
fn wire_state(status: &str) -> &'static str {
    match status {
        "ready" | "pending" => "ready",
        "in_progress" | "running" => "in_progress",
        "complete" => "complete",
        "needs_input" => "needs_input",
        _ => "errored",
    }
}

fn turn_json(r: &rusqlite::Row<'_>, legacy: bool) -> rusqlite::Result<Value> {
    let status: String = r.get(4)?;
    let answer: Option<String> = r.get(5)?;
    let cites: Value = r
        .get::<_, Option<String>>(6)?
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or(json!([]));
    let id: String = r.get(0)?;
    let question: String = r.get(3)?;
    let state = wire_state(&status);
    if legacy {
        return Ok(json!({
            "id": id, "message_id": id, "chat_id": r.get::<_, String>(1)?, "question": question,
            "state": state,
            "response": {"text": answer, "citations": cites},
            "created": ids::iso(r.get(7)?),
        }));
    }
    let mut t = json!({
        "id": id, "turn_id": id, "thread_id": r.get::<_, String>(1)?, "seq": r.get::<_, i64>(2)?,
        "state": state,
        "actions": [],
        "created": ids::iso(r.get(7)?),
    });
    // `text` is the answer once complete; before that, and on `needs_input`, it echoes the
    // user's question (which is why clients must not show it as an answer there).
    let (text, response) = match state {
        "complete" => (json!(answer), json!({"text": answer, "citations": cites})),
        "errored" => (Value::Null, json!({"text": null, "citations": []})),
        _ => (json!(question), json!({"text": null, "citations": []})),
    };
    t["text"] = text;
    t["response"] = response;
    if state == "needs_input" {
        t["clarification"] =
            json!({"type": "clarification", "question": answer.unwrap_or_else(|| CLARIFY.into())});
    }
    if status == "cancelled" {
        t["cancelled"] = json!(true);
    }
    Ok(t)
}

const TURN_COLS: &str = "id, chat_id, seq, question, status, answer, citations, created";

fn list(st: &AppState, ns: &str, legacy: bool, deleted: bool, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let kind = p.get("kind").unwrap_or("user");
    if !["user", "agent", "all"].contains(&kind) {
        return Err(ApiError::invalid_param(
            "kind",
            "string",
            "'kind' must be user, agent or all.",
        ));
    }
    let limit = p.u64("limit")?.unwrap_or(100).clamp(1, 1000);
    let offset = p.u64("offset")?.unwrap_or(0);
    let owner = if deleted {
        format!("{DELETED}{ns}")
    } else {
        ns.to_string()
    };
    let db = st.db();
    let mut stmt = db.prepare(
        "SELECT id, name, kind, created FROM ai_chats WHERE ws_id = ?1 AND legacy = ?2 \
         AND (?3 = 'all' OR kind = ?3) ORDER BY created LIMIT ?4 OFFSET ?5",
    )?;
    let chats = stmt
        .query_map(params![owner, legacy as i64, kind, limit as i64, offset as i64], |r| {
            Ok(json!({"id": r.get::<_, String>(0)?, "chat_id": r.get::<_, String>(0)?, "name": r.get::<_, Option<String>>(1)?, "kind": r.get::<_, String>(2)?, "created": ids::iso(r.get(3)?), "deleted": deleted}))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(json!({"chats": chats, "results": chats.len()})))
}

fn chat_details(st: &AppState, ns: &str, chat: &str, legacy: bool) -> ApiResult {
    let db = st.db();
    chat_in(&db, ns, chat)?;
    let mut stmt = db.prepare(&format!(
        "SELECT {TURN_COLS} FROM ai_turns WHERE chat_id = ?1 ORDER BY seq"
    ))?;
    let turns = stmt
        .query_map([chat], |r| turn_json(r, legacy))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(
        json!({"chat": {"id": chat, "thread_id": chat, "workspace_id": ns}, "messages": turns}),
    ))
}

/// `…/{chat}/messages/list/?limit&offset`: the chat's turns in order.
fn messages(st: &AppState, ns: &str, chat: &str, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let limit = p.u64("limit")?.unwrap_or(100).clamp(1, 1000);
    let offset = p.u64("offset")?.unwrap_or(0);
    let db = st.db();
    chat_in(&db, ns, chat)?;
    let total: i64 = db.query_row(
        "SELECT count(*) FROM ai_turns WHERE chat_id = ?1",
        [chat],
        |r| r.get(0),
    )?;
    let mut stmt = db.prepare(&format!(
        "SELECT {TURN_COLS} FROM ai_turns WHERE chat_id = ?1 ORDER BY seq LIMIT ?2 OFFSET ?3"
    ))?;
    let turns = stmt
        .query_map(params![chat, limit as i64, offset as i64], |r| {
            turn_json(r, false)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = (offset as i64 + turns.len() as i64) < total;
    Ok(ok(json!({
        "messages": turns,
        "pagination": {"total": total, "limit": limit, "offset": offset, "has_more": has_more},
    })))
}

fn follow_up(st: &Arc<AppState>, sc: &Scope<'_>, chat: &str, legacy: bool, rq: &Req) -> ApiResult {
    let q = question(rq)?;
    chat_in(&st.db(), sc.ns, chat)?;
    let turn = new_turn(st, sc, chat, &q, legacy)?;
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

fn load_turn(db: &Connection, ns: &str, chat: &str, msg: &str, legacy: bool) -> ApiResult<Value> {
    chat_in(db, ns, chat)?;
    db.query_row(
        &format!("SELECT {TURN_COLS} FROM ai_turns WHERE id = ?1 AND chat_id = ?2"),
        params![msg, chat],
        |r| turn_json(r, legacy),
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The message does not exist."))
}

fn message_details(
    st: &AppState,
    sc: &Scope<'_>,
    chat: &str,
    msg: &str,
    legacy: bool,
) -> ApiResult {
    let t = load_turn(&st.db(), sc.ns, chat, msg, legacy)?;
    let key = if sc.share.is_some() && !legacy {
        "turn"
    } else {
        "message"
    };
    Ok(ok(json!({ key: t })))
}

/// A minimal SSE rendering: the turn as it is now, then `done` once it has ended.
fn message_read(st: &AppState, ns: &str, chat: &str, msg: &str, legacy: bool) -> ApiResult {
    let t = load_turn(&st.db(), ns, chat, msg, legacy)?;
    let done = matches!(
        t["state"].as_str(),
        Some("complete" | "errored" | "needs_input")
    );
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

/// The cancel endpoint's error shape: HTTP 406 with a flat body (fastio_cli
/// src/api/ai.rs:279-296 @96b1551).
fn cancel_refused(code: u32, text: &str) -> Response {
    json_response(
        StatusCode::NOT_ACCEPTABLE,
        &json!({"result": false, "error_message": text, "error_id": code}),
    )
}

/// `POST …/{chat}/cancel/`: `{success, message}` when a running turn was stopped,
/// `{success, no_pending_message}` when none was — neither carries `result`.
fn cancel(st: &AppState, sc: &Scope<'_>, chat: &str) -> Response {
    let outcome = (|| -> ApiResult<Option<Value>> {
        let db = st.db();
        let legacy = chat_in(&db, sc.ns, chat)?;
        let running: Option<String> = db
            .query_row(
                "SELECT id FROM ai_turns WHERE chat_id = ?1 AND status IN ('ready','in_progress','pending','running') ORDER BY seq DESC LIMIT 1",
                [chat],
                |r| r.get(0),
            )
            .optional()?;
        let Some(turn) = running else {
            return Ok(None);
        };
        db.execute(
            "UPDATE ai_turns SET status = 'cancelled' WHERE id = ?1",
            [&turn],
        )?;
        record(
            st,
            &db,
            sc,
            "ai_chat_new_message",
            chat,
            json!({"chat_id": chat, "turn_id": turn, "state": "errored", "cancelled": true}),
        )?;
        load_turn(&db, sc.ns, chat, &turn, legacy).map(Some)
    })();
    match outcome {
        Ok(Some(turn)) => {
            st.notify();
            json_response(StatusCode::OK, &json!({"success": true, "message": turn}))
        }
        Ok(None) => json_response(
            StatusCode::OK,
            &json!({"success": true, "no_pending_message": true}),
        ),
        Err(e) => cancel_refused(e.code, &e.text),
    }
}

/// `POST …/{chat}/update/` with form `name`.
fn rename(st: &AppState, ns: &str, chat: &str, rq: &Req) -> ApiResult {
    let name = rq.params.req("name")?;
    if name.chars().count() > 255 {
        return Err(ApiError::invalid_param(
            "name",
            "string",
            "'name' must be 1-255 characters.",
        ));
    }
    let db = st.db();
    chat_in(&db, ns, chat)?;
    db.execute("UPDATE ai_chats SET name = ?1 WHERE id = ?2", [name, chat])?;
    let (kind, created): (String, i64) = db.query_row(
        "SELECT kind, created FROM ai_chats WHERE id = ?1",
        [chat],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(ok(
        json!({"chat": {"id": chat, "chat_id": chat, "name": name, "kind": kind, "created": ids::iso(created)}}),
    ))
}

/// `POST …/{chat}/publish/`: this server refuses public chats, as it refuses
/// `privacy=public` at create; the 403 is how the service says publishing is disabled
/// (fastio_cli src/bin/fastio/commands/ai.rs:1715-1738 @96b1551).
fn publish(st: &AppState, ns: &str, chat: &str) -> ApiResult {
    chat_in(&st.db(), ns, chat)?;
    Err(ApiError::denied("Publishing chats is disabled."))
}

/// `DELETE …/{chat}/`: a soft delete; the chat is then listed by `list/deleted` only.
fn delete(st: &AppState, ns: &str, chat: &str) -> ApiResult {
    let db = st.db();
    chat_in(&db, ns, chat)?;
    db.execute(
        "UPDATE ai_chats SET ws_id = ?1 WHERE id = ?2",
        [format!("{DELETED}{ns}").as_str(), chat],
    )?;
    Ok(ok(json!({"chat_id": chat, "deleted": true})))
}
