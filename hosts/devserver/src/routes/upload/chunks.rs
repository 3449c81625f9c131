//! Receiving chunk bytes: each chunk is made durable before its row is committed and the
//! request answered; the chunk routes (send, status, delete) and the CRC-32C bookkeeping that
//! checks the chunks against the whole file.

use std::io::{Read, Write};
use std::sync::Arc;

use axum::body::Body;
use futures_util::TryStreamExt;
use rusqlite::{Connection, params};
use serde_json::json;

use super::hash::{hash_pair, verify_hash};
use super::session::{InflightSlot, chunks, load, session_json};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::hashing::{self, Hasher};
use crate::ids;
use crate::params::Source;
use crate::routes::multipart::{self, FilePart, Part};
use crate::routes::request::{Req, body_limit};
use crate::state::AppState;

/// Upload routes take the parts they name as files and every other part as a parameter.
pub(super) fn file_or_text(is_file: bool) -> Part {
    if is_file { Part::File } else { Part::Text }
}

/// Makes a received chunk durable and records it. Returns after the row is committed.
pub(super) async fn commit_chunk(
    st: &Arc<AppState>,
    id: &str,
    order: u64,
    part: FilePart,
    corrupt: bool,
) -> ApiResult<()> {
    let dest = st.blobs.chunk_path(id, order)?;
    let blobs = st.blobs.clone();
    let (size, crc) = (part.size, part.crc32c);
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        blobs.commit_file(&part.tmp, &part.file, &dest)?;
        if corrupt {
            corrupt_file(&dest)?;
        }
        Ok(())
    })
    .await
    .map_err(|_| ApiError::internal("chunk write failed"))??;
    let db = st.db();
    db.execute(
        "INSERT OR REPLACE INTO chunks(upload_id, ord, size, crc32c) VALUES (?1,?2,?3,?4)",
        params![id, order as i64, size as i64, hashing::crc_hex(crc)],
    )?;
    db.execute(
        "UPDATE uploads SET status = 'uploading', updated = ?1 WHERE id = ?2 AND status = 'ready'",
        params![ids::now_ms(), id],
    )?;
    Ok(())
}

/// The injected "corrupted stored chunk": flips one byte after the chunk was acknowledged.
fn corrupt_file(path: &std::path::Path) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    let mut b = [0u8; 1];
    if f.read(&mut b)? == 1 {
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&[b[0] ^ 0xff])?;
        f.sync_all()?;
    }
    Ok(())
}

pub(super) fn combined_crc(chunks: &[(u64, u64, String)]) -> Option<u32> {
    let mut acc: Option<u32> = None;
    for (_, size, crc) in chunks {
        let c = hashing::parse_crc(crc)?;
        acc = Some(match acc {
            None => c,
            Some(a) => crc32c::crc32c_combine(a, c, *size as usize),
        });
    }
    acc
}

pub(super) fn contiguous_total(chunks: &[(u64, u64, String)]) -> Option<u64> {
    let mut total = 0;
    for (i, (ord, size, _)) in chunks.iter().enumerate() {
        if *ord != i as u64 + 1 {
            return None;
        }
        total += size;
    }
    Some(total)
}

pub(super) fn fail_integrity(
    db: &Connection,
    st: &AppState,
    id: &str,
    expected: u32,
    computed: u32,
) -> ApiResult<()> {
    db.execute(
        "UPDATE uploads SET status = 'assembly_failed', status_message = 'CRC32C mismatch: the received bytes do not match the expected CRC-32C; nothing was stored.', \
         expected_crc32c = ?1, computed_crc32c = ?2, updated = ?3 WHERE id = ?4",
        params![hashing::crc_hex(expected), hashing::crc_hex(computed), ids::now_ms(), id],
    )?;
    db.execute("DELETE FROM chunks WHERE upload_id = ?1", [id])?;
    st.blobs.remove_session(id);
    Ok(())
}

pub async fn chunk(st: &Arc<AppState>, id: &str, rq: &mut Req) -> ApiResult {
    let s = load(&st.db(), id)?;
    if s.stream {
        return Err(ApiError::conflict(
            "Stream sessions take their bytes at /upload/{id}/stream/.",
        ));
    }
    if s.status != "ready" && s.status != "uploading" {
        return Err(ApiError::conflict(format!(
            "The session is '{}' and no longer accepts chunks.",
            s.status
        )));
    }
    let _slot = InflightSlot::enter(st, id)?;
    let body = rq.take_body();
    let limit = st.cfg.max_chunk_size;
    // A chunk's `order`, `size`, `hash`, `hash_algo` and `file_crc32c` travel in the query
    // string even though this is a POST; the body holds only the part `chunk` (fastio_cli
    // src/api/upload.rs:557-591 @96b1551, and upload_integrity.rs @e6b1955).
    let pair = {
        let q = rq.params.query();
        // An order past the most chunks a file may have is refused before the bytes are
        // read: only a confused or hostile client sends one (orders up to 2^64-1 were taken).
        let max_order = st.cfg.max_file_size.div_ceil(st.cfg.min_chunk_size.max(1));
        if let Some(order) = q.u64("order")?
            && order > max_order
        {
            return Err(ApiError::invalid_param(
                "order",
                "integer",
                format!("'order' is at most {max_order}."),
            ));
        }
        hash_pair(q.get("hash"), q.get("hash_algo"))?
    };
    let part = if rq.content_type.starts_with("multipart/form-data") {
        let files = multipart::read(
            body,
            &rq.content_type,
            &st.blobs,
            &mut rq.params,
            Source::Query,
            |n, _| file_or_text(n == "chunk" || n == "file"),
            limit,
            body_limit(&st.cfg, &rq.method, &rq.segs, &rq.content_type),
        )
        .await?;
        files
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::missing("chunk"))?
    } else {
        read_raw(body, st, limit, pair.as_ref().map(|p| p.0.as_str())).await?
    };
    let p = rq.params.query();
    let order = p.u64("order")?.ok_or_else(|| ApiError::missing("order"))?;
    if order == 0 {
        return Err(ApiError::invalid_param(
            "order",
            "integer",
            "'order' is 1-based.",
        ));
    }
    if let Some(sz) = p.u64("size")?
        && sz != part.size
    {
        return Err(ApiError::invalid_param(
            "size",
            "integer",
            format!("'size' is {sz} but {} bytes arrived.", part.size),
        ));
    }
    if part.size == 0 {
        return Err(ApiError::invalid_param(
            "chunk",
            "file",
            "The chunk is empty.",
        ));
    }
    let file_crc = match p.get("file_crc32c") {
        None => None,
        Some(v) => Some(hashing::parse_wire_crc(v).ok_or_else(|| {
            ApiError::invalid_param(
                "file_crc32c",
                "string",
                "'file_crc32c' must be 8 lowercase hex digits.",
            )
        })?),
    };
    if let Some(total) = s.size {
        let others: u64 = chunks(&st.db(), id)?
            .iter()
            .filter(|c| c.0 != order)
            .map(|c| c.1)
            .sum();
        if others + part.size > total {
            return Err(ApiError::invalid_param(
                "size",
                "integer",
                "The chunks exceed the session's declared size.",
            ));
        }
    }
    verify_hash(pair.as_ref(), &part).await?;
    let size = part.size;
    let crc = part.crc32c;
    commit_chunk(st, id, order, part, rq.corrupt).await?;
    let result = {
        let db = st.db();
        if let Some(fc) = file_crc {
            let fc = hashing::crc_hex(fc);
            let cur = load(&db, id)?;
            if let Some(old) = &cur.file_crc32c
                && *old != fc
            {
                return Err(ApiError::crc_conflict(
                    "A different file_crc32c was already given for this session.",
                ));
            }
            db.execute(
                "UPDATE uploads SET file_crc32c = ?1 WHERE id = ?2",
                params![fc, id],
            )?;
        }
        let cur = load(&db, id)?;
        let all = chunks(&db, id)?;
        let mut mismatch = None;
        if let (Some(fc), Some(total)) = (
            cur.file_crc32c.as_deref().and_then(hashing::parse_crc),
            contiguous_total(&all),
        ) && cur.size.is_none_or(|s| s == total)
            && let Some(c) = combined_crc(&all)
            && cur.size.is_some()
            && c != fc
        {
            fail_integrity(&db, st, id, fc, c)?;
            mismatch = Some((fc, c));
        }
        mismatch
    };
    st.notify();
    if let Some((e, c)) = result {
        return Err(ApiError::crc_mismatch(format!(
            "file_crc32c {} does not match the received data ({}); nothing was stored.",
            hashing::crc_hex(e),
            hashing::crc_hex(c)
        )));
    }
    Ok(ok(
        json!({"id": id, "order": order, "size": size, "crc32c": hashing::crc_hex(crc)}),
    ))
}

/// Streams a raw body (`application/octet-stream`) to a temporary file.
pub(super) async fn read_raw(
    body: Body,
    st: &AppState,
    limit: u64,
    algo: Option<&str>,
) -> ApiResult<FilePart> {
    let tmp = st.blobs.tmp_path();
    let file = std::fs::File::create(&tmp)?;
    let mut part = FilePart {
        field: "body".into(),
        tmp,
        file,
        size: 0,
        crc32c: 0,
        hash: None,
    };
    let mut hasher = algo.and_then(Hasher::new);
    let mut w = std::io::BufWriter::with_capacity(1 << 20, part.file.try_clone()?);
    let mut stream = body.into_data_stream();
    while let Some(bytes) = stream
        .try_next()
        .await
        .map_err(|_| ApiError::invalid("The request body could not be read."))?
    {
        part.size += bytes.len() as u64;
        if part.size > limit {
            return Err(ApiError::too_large(format!(
                "The body exceeds {limit} bytes."
            )));
        }
        part.crc32c = crc32c::crc32c_append(part.crc32c, &bytes);
        if let Some(h) = hasher.as_mut() {
            h.update(&bytes);
        }
        w.write_all(&bytes)?;
    }
    w.flush()?;
    if let (Some(h), Some(a)) = (hasher, algo) {
        part.hash = Some((a.to_ascii_lowercase(), h.finish_hex()));
    }
    Ok(part)
}

pub fn chunk_status(st: &AppState, id: &str) -> ApiResult {
    let db = st.db();
    let s = load(&db, id)?;
    let j = session_json(&db, &s)?;
    Ok(ok(json!({"chunks": j["chunks"].clone(), "session": j})))
}

pub fn chunk_delete(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let order = rq
        .params
        .u64("order")?
        .ok_or_else(|| ApiError::missing("order"))?;
    let db = st.db();
    let s = load(&db, id)?;
    if s.status != "ready" && s.status != "uploading" {
        return Err(ApiError::conflict(format!(
            "The session is '{}'; its chunks can no longer change.",
            s.status
        )));
    }
    let n = db.execute(
        "DELETE FROM chunks WHERE upload_id = ?1 AND ord = ?2",
        params![id, order as i64],
    )?;
    if n == 0 {
        return Err(ApiError::not_found(format!(
            "Chunk {order} does not exist."
        )));
    }
    if let Ok(p) = st.blobs.chunk_path(id, order) {
        let _ = std::fs::remove_file(p);
    }
    Ok(ok(json!({"id": id, "order": order, "deleted": true})))
}
