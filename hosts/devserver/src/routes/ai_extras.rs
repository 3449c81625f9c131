//! AI bookkeeping around the chat stand-in (fastio_cli src/api/ai.rs:499-531 @96b1551): a
//! workspace's latest AI transactions (one per turn asked, newest first, at most 40) and a
//! share's autotitle, which this offline server writes from the share's own file names.

use rusqlite::params;
use serde_json::json;

use super::request::Req;
use super::{nodes, scope};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;

/// `GET workspace/{id}/ai/transactions/`.
pub fn transactions(st: &AppState, ws: &str) -> ApiResult {
    let db = st.db();
    scope::workspace(&db, ws)?;
    let mut stmt = db.prepare(
        "SELECT t.id, t.chat_id, t.status, t.created FROM ai_turns t JOIN ai_chats c ON c.id = t.chat_id \
         WHERE c.ws_id = ?1 ORDER BY t.created DESC, t.seq DESC LIMIT 40",
    )?;
    let list = stmt
        .query_map([ws], |r| {
            Ok(
                json!({"id": r.get::<_, String>(0)?, "chat_id": r.get::<_, String>(1)?,
                      "kind": "ai_message", "status": r.get::<_, String>(2)?, "credits": 1,
                      "created": ids::iso(r.get(3)?)}),
            )
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(json!({"transactions": list})))
}

/// `POST share/{id}/ai/autotitle/` (form `user_context`): a title from the share's files and a
/// description from the hint, written onto the share.
pub fn autotitle(st: &AppState, share: &str, rq: &Req) -> ApiResult {
    let hint = rq.params.body().get("user_context");
    if hint.is_some_and(|h| h.chars().count() > 64) {
        return Err(ApiError::invalid_param(
            "user_context",
            "string",
            "'user_context' is at most 64 characters.",
        ));
    }
    let db = st.db();
    let (ns, root) = scope::storage_scope(&db, share)?;
    let mut names: Vec<String> = nodes::children(&db, &ns, &root)?
        .into_iter()
        .filter_map(|n| n["name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(ApiError::invalid(
            "The share holds no files to title it by.",
        ));
    }
    let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
    let title = format!("Files: {}", shown.join(", "));
    let description = hint.map_or_else(
        || format!("{} files", names.len()),
        |h| format!("{h} ({} files)", names.len()),
    );
    db.execute(
        "UPDATE shares SET title = ?1, description = ?2, updated = ?3 WHERE id = ?4",
        params![title, description, ids::now_ms(), share],
    )?;
    Ok(ok(
        json!({"share_id": share, "title": title, "description": description}),
    ))
}
