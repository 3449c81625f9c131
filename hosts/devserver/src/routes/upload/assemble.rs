//! `complete` and assembly: the chunks are joined into one blob on a blocking thread, checked
//! against the file's CRC-32C and placed as a file; interrupted assemblies resume on restart.

use std::io::{Read, Write};
use std::sync::Arc;

use rusqlite::params;
use serde_json::json;

use super::chunks::{combined_crc, contiguous_total, fail_integrity};
use super::session::{chunks, load, session_json, set_status};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::events::{self, NewEvent};
use crate::hashing::{self, Hasher};
use crate::ids;
use crate::routes::nodes;
use crate::state::AppState;

pub fn complete(st: &Arc<AppState>, id: &str) -> ApiResult {
    {
        let db = st.db();
        let s = load(&db, id)?;
        match s.status.as_str() {
            "ready" | "uploading" => {}
            "assemble" | "assembling" | "complete" | "store" | "storing" | "stored" => {
                return Ok(ok(
                    json!({"id": id, "status": s.status, "session": session_json(&db, &s)?}),
                ));
            }
            other => {
                return Err(ApiError::conflict(format!(
                    "The session is '{other}' and cannot be completed."
                )));
            }
        }
        if s.stream {
            return Err(ApiError::conflict("Stream sessions finalise themselves."));
        }
        let all = chunks(&db, id)?;
        if all.is_empty() {
            return Err(ApiError::invalid("No chunks have been uploaded."));
        }
        let total = contiguous_total(&all).ok_or_else(|| {
            ApiError::invalid("Chunks are missing: orders must run 1..N without gaps.")
        })?;
        if let Some(size) = s.size
            && size != total
        {
            return Err(ApiError::invalid(format!(
                "Received {total} bytes but the session declared {size}."
            )));
        }
        let min = st.cfg.min_chunk_size;
        if all[..all.len() - 1].iter().any(|c| c.1 < min) {
            return Err(ApiError::invalid(format!(
                "Only the last chunk may be smaller than {min} bytes."
            )));
        }
        set_status(&db, id, "assembling", "")?;
    }
    st.notify();
    let st2 = st.clone();
    let id2 = id.to_string();
    tokio::spawn(async move {
        let _ = run_assembly(&st2, &id2).await;
    });
    let db = st.db();
    let s = load(&db, id)?;
    Ok(ok(
        json!({"id": id, "status": s.status, "session": session_json(&db, &s)?}),
    ))
}

/// Runs assembly on a blocking thread and waits for it.
pub async fn run_assembly(st: &Arc<AppState>, id: &str) -> ApiResult<()> {
    let st2 = st.clone();
    let id2 = id.to_string();
    tokio::task::spawn_blocking(move || assemble(&st2, &id2))
        .await
        .map_err(|_| ApiError::internal("assembly failed"))?
}

/// Re-runs assembly for sessions a crash interrupted between `complete` and `stored`.
pub fn resume_after_restart(st: &Arc<AppState>) {
    let pending: Vec<String> = {
        let db = st.db();
        let mut stmt = match db.prepare("SELECT id FROM uploads WHERE status IN ('assemble','assembling','complete','store','storing')") {
            Ok(s) => s,
            Err(_) => return,
        };
        stmt.query_map([], |r| r.get(0))
            .map(|it| it.flatten().collect())
            .unwrap_or_default()
    };
    for id in pending {
        let st2 = st.clone();
        tokio::spawn(async move {
            let _ = run_assembly(&st2, &id).await;
        });
    }
}

fn assemble(st: &Arc<AppState>, id: &str) -> ApiResult<()> {
    let (s, all) = {
        let db = st.db();
        let s = load(&db, id)?;
        set_status(&db, id, "assembling", "")?;
        (s, chunks(&db, id)?)
    };
    st.notify();
    let tmp = st.blobs.tmp_path();
    let mut out = std::fs::File::create(&tmp)?;
    let mut md5 = Hasher::new("md5").ok_or_else(|| ApiError::internal("md5 unavailable"))?;
    let mut crc = 0u32;
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for (ord, size, _) in &all {
        let path = st.blobs.chunk_path(id, *ord)?;
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(_) => {
                let _ = std::fs::remove_file(&tmp);
                set_status(
                    &st.db(),
                    id,
                    "assembly_failed",
                    &format!("Chunk {ord} is missing on disk."),
                )?;
                st.notify();
                return Ok(());
            }
        };
        let mut got = 0u64;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            crc = crc32c::crc32c_append(crc, &buf[..n]);
            md5.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            got += n as u64;
        }
        if got != *size {
            let _ = std::fs::remove_file(&tmp);
            set_status(
                &st.db(),
                id,
                "assembly_failed",
                &format!("Chunk {ord} is short on disk."),
            )?;
            st.notify();
            return Ok(());
        }
        total += got;
    }
    let expected = s
        .file_crc32c
        .as_deref()
        .and_then(hashing::parse_crc)
        .or_else(|| combined_crc(&all))
        .unwrap_or(crc);
    if expected != crc {
        let _ = std::fs::remove_file(&tmp);
        fail_integrity(&st.db(), st, id, expected, crc)?;
        st.notify();
        return Ok(());
    }
    set_status(&st.db(), id, "complete", "")?;
    st.notify();
    set_status(&st.db(), id, "storing", "")?;
    st.notify();
    let blob = ids::random_alnum(32);
    let dest = st.blobs.blob_path(&blob)?;
    st.blobs.commit_file(&tmp, &out, &dest)?;
    let md5 = md5.finish_hex();
    let crc_hex = hashing::crc_hex(crc);
    let mut db = st.db();
    let tx = db.transaction()?;
    if load(&tx, id).is_err() {
        // Cancelled while assembling.
        drop(tx);
        drop(db);
        st.blobs.remove_blob(&blob);
        return Ok(());
    }
    let mut placed = None;
    let mut store_error = None;
    if let (Some(ws), Some(folder)) = (&s.instance_id, &s.folder_id) {
        let stored = nodes::Stored {
            blob: &blob,
            size: total,
            md5: &md5,
            crc32c: &crc_hex,
        };
        match nodes::place_file(&tx, ws, folder, &s.name, &stored) {
            Ok((node, new)) => placed = Some((ws.clone(), node, new)),
            Err(e) => store_error = Some(e.text),
        }
    }
    if let Some(msg) = store_error {
        tx.execute(
            "UPDATE uploads SET status = 'store_failed', status_message = ?1, updated = ?2 WHERE id = ?3",
            params![msg, ids::now_ms(), id],
        )?;
        tx.commit()?;
        drop(db);
        st.blobs.remove_blob(&blob);
        st.notify();
        return Ok(());
    }
    tx.execute(
        "UPDATE uploads SET status = 'stored', status_message = '', new_file_id = ?1, blob = ?2, hash = ?3, stored_size = ?4, \
         computed_crc32c = NULL, updated = ?5 WHERE id = ?6",
        params![placed.as_ref().map(|p| p.1.clone()), blob, md5, total as i64, ids::now_ms(), id],
    )?;
    tx.execute("DELETE FROM chunks WHERE upload_id = ?1", [id])?;
    if let Some((ws, node, new)) = &placed {
        let name = if *new {
            "workspace_storage_file_added"
        } else {
            "workspace_storage_file_updated"
        };
        events::record(
            st,
            &tx,
            NewEvent::storage(
                name,
                ws,
                node,
                json!({"name": s.name, "size": total, "upload_id": id}),
            ),
        )?;
    }
    events::record(
        st,
        &tx,
        NewEvent {
            event: "upload_completed",
            category: "upload",
            subcategory: "upload",
            workspace_id: s.instance_id.clone(),
            object_id: Some(id.to_string()),
            activity_key: Some(format!("upload:{id}")),
            data: json!({"upload_id": id, "new_file_id": placed.as_ref().map(|p| p.1.clone())}),
        },
    )?;
    tx.commit()?;
    drop(db);
    st.blobs.remove_session(id);
    st.notify();
    Ok(())
}
