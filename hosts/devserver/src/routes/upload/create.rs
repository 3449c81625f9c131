//! `POST /upload/` (a new session, or a whole file in one request) and `POST /upload/batch/`.

use std::sync::Arc;

use rusqlite::params;
use serde_json::{Value, json};

use super::assemble::run_assembly;
use super::chunks::{commit_chunk, file_or_text};
use super::hash::{hash_pair, verify_hash};
use super::session::{
    NewSession, Placement, discard, insert_session, load, placement, session_json,
};
use crate::envelope::{ApiError, ApiResult, ok, ok_flat};
use crate::ids;
use crate::params::Source;
use crate::routes::multipart::{self, FilePart};
use crate::routes::nodes;
use crate::routes::request::{BATCH_MAX_BYTES, Req, body_limit};
use crate::state::AppState;

/// `POST /upload/`: a form creates a session (or a stream session with `stream=true`); a
/// multipart body with a `chunk` part is a complete single-request upload.
pub async fn create_or_single(st: &Arc<AppState>, rq: &mut Req) -> ApiResult {
    let mut part = None;
    if rq.content_type.starts_with("multipart/form-data") {
        let body = rq.take_body();
        let mut files = multipart::read(
            body,
            &rq.content_type,
            &st.blobs,
            &mut rq.params,
            Source::Body,
            |n, _| file_or_text(n == "chunk" || n == "file"),
            st.cfg.max_single_upload_size,
            body_limit(&st.cfg, &rq.method, &rq.segs, &rq.content_type),
        )
        .await?;
        part = files.pop();
    } else if rq.has_body() {
        return Err(ApiError::invalid(
            "Send a form to create a session, or multipart with a 'chunk' part.",
        ));
    }
    let p = &rq.params;
    // A single-call upload carries its whole-body hash as multipart fields, like its other
    // fields (contract §4 item 1); checked before anything is stored.
    let pair = hash_pair(p.get("hash"), p.get("hash_algo"))?;
    if let Some(a) = p.get("action")
        && a != "create"
    {
        return Err(ApiError::invalid_param(
            "action",
            "string",
            "Only action=create is supported.",
        ));
    }
    let name = p.req("name")?.to_string();
    nodes::valid_name(&name)?;
    let size = p.u64("size")?;
    let stream = p.bool("stream");
    let max_size = p.u64("max_size")?;
    let cap = st.cfg.max_file_size;
    if size.is_some_and(|s| s > cap) || max_size.is_some_and(|s| s > cap) {
        return Err(ApiError::invalid_param(
            "size",
            "integer",
            format!("The file is larger than the maximum of {cap} bytes."),
        ));
    }
    if part.is_none() && !stream && size.is_none() {
        return Err(ApiError::missing("size"));
    }
    if size == Some(0) && part.is_none() {
        return Err(ApiError::invalid_param(
            "size",
            "integer",
            "'size' must be at least 1; use a single-request upload for empty files.",
        ));
    }
    let id = {
        let db = st.db();
        let place = placement(&db, &Placement::from_fields(p.view()))?;
        let n = NewSession {
            name: &name,
            size,
            place: &place,
            stream,
            max_size,
            kind: "upload",
            source_url: None,
        };
        insert_session(&db, st, &n)?
    };
    let Some(part) = part else {
        return Ok(ok(json!({"id": id})));
    };
    if let Some(sz) = size
        && sz != part.size
    {
        st.db()
            .execute("DELETE FROM uploads WHERE id = ?1", [&id])?;
        return Err(ApiError::invalid_param(
            "size",
            "integer",
            "'size' does not match the bytes received.",
        ));
    }
    let finish = async {
        verify_hash(pair.as_ref(), &part).await?;
        let received = part.size;
        commit_chunk(st, &id, 1, part, rq.corrupt).await?;
        st.db().execute(
            "UPDATE uploads SET size = ?1 WHERE id = ?2",
            params![received as i64, id],
        )?;
        run_assembly(st, &id).await
    };
    if let Err(e) = finish.await {
        discard(st, &id);
        return Err(e);
    }
    let db = st.db();
    let s = load(&db, &id)?;
    if s.status != "stored" {
        return Err(ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            1650,
            "APP_STORE_FAILED",
            s.status_message.clone(),
        )
        .with_extra(json!({"session": session_json(&db, &s)?})));
    }
    Ok(ok(
        json!({"id": id, "new_file_id": s.new_file_id, "session": session_json(&db, &s)?}),
    ))
}

/// `POST /upload/batch/`: many small files in one multipart request.
pub async fn batch(st: &Arc<AppState>, rq: &mut Req) -> ApiResult {
    if !rq.content_type.starts_with("multipart/form-data") {
        return Err(ApiError::invalid(
            "The batch upload is a multipart/form-data request.",
        ));
    }
    let body = rq.take_body();
    let files = multipart::read(
        body,
        &rq.content_type,
        &st.blobs,
        &mut rq.params,
        Source::Body,
        |n, _| file_or_text(n.starts_with("file_")),
        st.cfg.max_single_upload_size,
        body_limit(&st.cfg, &rq.method, &rq.segs, &rq.content_type),
    )
    .await?;
    if files.len() > 200 {
        return Err(ApiError::invalid("At most 200 files per batch."));
    }
    if files.iter().map(|f| f.size).sum::<u64>() > BATCH_MAX_BYTES {
        return Err(ApiError::too_large("A batch may carry at most 100 MB."));
    }
    let manifest: Vec<Value> = serde_json::from_str(rq.params.req("manifest")?).map_err(|_| {
        ApiError::invalid_param("manifest", "json", "'manifest' must be a JSON array.")
    })?;
    let place = placement(&st.db(), &Placement::from_fields(rq.params.view()))?;
    if place.0.is_none() {
        return Err(ApiError::missing("instance_id"));
    }
    let mut results = Vec::new();
    let (mut good, mut bad) = (0, 0);
    let mut by_index: std::collections::HashMap<String, FilePart> = files
        .into_iter()
        .map(|f| (f.field.trim_start_matches("file_").to_string(), f))
        .collect();
    for entry in &manifest {
        let index = match &entry["index"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        };
        let filename = entry["filename"].as_str().unwrap_or("").to_string();
        let outcome: ApiResult<(String, Option<String>)> = async {
            nodes::valid_name(&filename)?;
            let part = by_index
                .remove(&index)
                .ok_or_else(|| ApiError::missing(&format!("file_{index}")))?;
            // Manifest hashes come as a pair or not at all (fastio_cli src/api/upload.rs:1559-1562
            // @96b1551).
            let pair = hash_pair(entry["hash"].as_str(), entry["hash_algo"].as_str())?;
            verify_hash(pair.as_ref(), &part).await?;
            let size = part.size;
            let n = NewSession {
                name: &filename,
                size: Some(size),
                place: &place,
                stream: false,
                max_size: None,
                kind: "upload",
                source_url: None,
            };
            let id = insert_session(&st.db(), st, &n)?;
            commit_chunk(st, &id, 1, part, false).await?;
            run_assembly(st, &id).await?;
            let s = load(&st.db(), &id)?;
            if s.status != "stored" {
                return Err(ApiError::internal(s.status_message));
            }
            Ok((id, s.new_file_id))
        }
        .await;
        match outcome {
            Ok((uid, node)) => {
                good += 1;
                results.push(json!({"index": entry["index"], "filename": filename, "status": "ok", "upload_id": uid, "node_id": node, "error_code": null, "error_message": null}));
            }
            Err(e) => {
                bad += 1;
                results.push(json!({"index": entry["index"], "filename": filename, "status": "error", "upload_id": null, "node_id": null, "error_code": e.code, "error_message": e.text}));
            }
        }
    }
    Ok(ok_flat(json!({
        "batch_id": ids::random_alnum(24),
        "count_total": manifest.len(),
        "count_succeeded": good,
        "count_errored": bad,
        "results": results,
    })))
}
