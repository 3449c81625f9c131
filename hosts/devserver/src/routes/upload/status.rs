//! Session details (with an optional long-poll on its status), the session list, and
//! cancellation.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::session::{COLS, TERMINAL, load, row, session_json};
use crate::envelope::{ApiResult, ok};
use crate::routes::request::Req;
use crate::state::AppState;

pub async fn details(st: &Arc<AppState>, id: &str, rq: &Req) -> ApiResult {
    let wait = rq.params.u64("wait")?.unwrap_or(0).min(590);
    let mut rx = st.changes.subscribe();
    let initial = load(&st.db(), id)?.status;
    if wait > 0 && !TERMINAL.contains(&initial.as_str()) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
        loop {
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                _ => break,
            }
            match load(&st.db(), id) {
                Ok(s) if s.status == initial => continue,
                _ => break,
            }
        }
    }
    let db = st.db();
    let s = load(&db, id)?;
    Ok(ok(json!({"session": session_json(&db, &s)?})))
}

pub fn cancel(st: &AppState, id: &str) -> ApiResult {
    let db = st.db();
    load(&db, id)?;
    db.execute("DELETE FROM chunks WHERE upload_id = ?1", [id])?;
    db.execute("DELETE FROM uploads WHERE id = ?1", [id])?;
    drop(db);
    st.blobs.remove_session(id);
    st.notify();
    Ok(ok(json!({"id": id, "cancelled": true})))
}

pub fn list(st: &AppState) -> ApiResult {
    let db = st.db();
    let mut stmt = db.prepare(&format!(
        "SELECT {COLS} FROM uploads WHERE kind = 'upload' ORDER BY created"
    ))?;
    let all = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    let sessions = all
        .iter()
        .map(|s| session_json(&db, s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(json!({"results": sessions.len(), "sessions": sessions})))
}

pub fn cancel_all(st: &AppState) -> ApiResult {
    let ids_: Vec<String> = {
        let db = st.db();
        let mut stmt = db.prepare("SELECT id FROM uploads WHERE kind = 'upload'")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?
    };
    for id in &ids_ {
        let _ = cancel(st, id);
    }
    Ok(ok(json!({"cancelled": ids_.len()})))
}
