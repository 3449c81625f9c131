//! `POST /upload/{id}/stream/`: a stream session's whole body in one request, capped by the
//! session's own `max_size`.

use std::sync::Arc;

use rusqlite::params;
use serde_json::json;

use super::assemble::run_assembly;
use super::chunks::{commit_chunk, fail_integrity, read_raw};
use super::hash::{hash_pair, verify_hash};
use super::session::{InflightSlot, load, session_json, set_status};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::hashing;
use crate::routes::request::Req;
use crate::state::AppState;

pub async fn stream(st: &Arc<AppState>, id: &str, rq: &mut Req) -> ApiResult {
    let s = load(&st.db(), id)?;
    if !s.stream {
        return Err(ApiError::conflict(
            "This session was not created with stream=true.",
        ));
    }
    if s.status != "ready" {
        return Err(ApiError::conflict(format!(
            "The stream session is '{}'.",
            s.status
        )));
    }
    let _slot = InflightSlot::enter(st, id)?;
    let limit = s
        .max_size
        .unwrap_or(st.cfg.max_file_size)
        .min(st.cfg.max_file_size);
    // The session's own cap, known only now: a longer declared body is refused unread.
    if let Some(n) = crate::body::declared_length(&rq.headers)
        && n > limit
    {
        return Err(crate::body::refuse_length(
            ApiError::too_large(format!(
                "The declared body of {n} bytes exceeds the session's limit of {limit} bytes."
            )),
            n,
        ));
    }
    // The body is the raw bytes; an optional `hash` + `hash_algo` pair rides in the query
    // string (fastio_cli src/api/upload.rs:1143-1200 @96b1551).
    let pair = {
        let q = rq.params.query();
        hash_pair(q.get("hash"), q.get("hash_algo"))?
    };
    let body = rq.take_body();
    let part = read_raw(body, st, limit, pair.as_ref().map(|p| p.0.as_str())).await?;
    let size = part.size;
    if size == 0 {
        return Err(ApiError::invalid("The stream body is empty."));
    }
    if let Err(e) = verify_hash(pair.as_ref(), &part).await {
        // A whole-body mismatch is terminal: the session fails and nothing is stored
        // (contract §4 item 1).
        let crc = pair
            .as_ref()
            .filter(|p| p.0 == "crc32c")
            .and_then(|p| hashing::parse_wire_crc(&p.1));
        fail_stream(st, id, crc.map(|c| (c, part.crc32c)), &e.text)?;
        return Err(e);
    }
    commit_chunk(st, id, 1, part, rq.corrupt).await?;
    {
        let db = st.db();
        db.execute(
            "UPDATE uploads SET size = ?1 WHERE id = ?2",
            params![size as i64, id],
        )?;
        set_status(&db, id, "assembling", "")?;
    }
    run_assembly(st, id).await?;
    let db = st.db();
    let s = load(&db, id)?;
    Ok(ok(
        json!({"id": id, "new_file_id": s.new_file_id, "session": session_json(&db, &s)?}),
    ))
}

/// Ends a stream session whose body failed its hash check: `assembly_failed`, with
/// `integrity_failure` when the hash was a CRC-32C.
fn fail_stream(st: &AppState, id: &str, crc: Option<(u32, u32)>, msg: &str) -> ApiResult<()> {
    {
        let db = st.db();
        match crc {
            Some((expected, computed)) => fail_integrity(&db, st, id, expected, computed)?,
            None => set_status(&db, id, "assembly_failed", msg)?,
        }
    }
    st.notify();
    Ok(())
}
