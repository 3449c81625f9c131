//! Upload sessions: single request, chunked (with background assembly), stream, batch, web
//! import, and the session bookkeeping around them.
//!
//! Durability: a chunk is written to a temporary file, fsynced, renamed into the session's
//! directory and the directory fsynced; only then is its row committed and the request
//! answered. Assembly writes the whole file to a temporary path and renames it into `blobs/`
//! before the node row is committed, so a half-written file is never visible.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use futures_util::TryStreamExt;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::multipart::{self, FilePart, Part};
use super::{Req, nodes, orgs};
use crate::envelope::{ApiError, ApiResult, ok, ok_flat};
use crate::events::{self, NewEvent};
use crate::hashing::{self, Hasher};
use crate::ids;
use crate::params::{Source, View};
use crate::server::{AppState, lock};

pub const TERMINAL: &[&str] = &["stored", "assembly_failed", "store_failed"];

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub name: String,
    pub size: Option<u64>,
    pub instance_id: Option<String>,
    pub folder_id: Option<String>,
    pub stream: bool,
    pub max_size: Option<u64>,
    pub status: String,
    pub status_message: String,
    pub new_file_id: Option<String>,
    pub file_crc32c: Option<String>,
    pub expected: Option<String>,
    pub computed: Option<String>,
    pub blob: Option<String>,
    pub hash: Option<String>,
    pub stored_size: Option<i64>,
    pub source_url: Option<String>,
    pub kind: String,
    pub created: i64,
    pub updated: i64,
}

const COLS: &str = "id, name, size, instance_id, folder_id, stream, max_size, status, status_message, new_file_id, \
    file_crc32c, expected_crc32c, computed_crc32c, blob, hash, stored_size, source_url, kind, created, updated";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        name: r.get(1)?,
        size: r.get::<_, Option<i64>>(2)?.map(|v| v as u64),
        instance_id: r.get(3)?,
        folder_id: r.get(4)?,
        stream: r.get::<_, i64>(5)? != 0,
        max_size: r.get::<_, Option<i64>>(6)?.map(|v| v as u64),
        status: r.get(7)?,
        status_message: r.get(8)?,
        new_file_id: r.get(9)?,
        file_crc32c: r.get(10)?,
        expected: r.get(11)?,
        computed: r.get(12)?,
        blob: r.get(13)?,
        hash: r.get(14)?,
        stored_size: r.get(15)?,
        source_url: r.get(16)?,
        kind: r.get(17)?,
        created: r.get(18)?,
        updated: r.get(19)?,
    })
}

pub fn load(db: &Connection, id: &str) -> ApiResult<Session> {
    if !ids::is_safe_id(id) {
        return Err(ApiError::upload_invalid("The upload id is not valid."));
    }
    db.query_row(
        &format!("SELECT {COLS} FROM uploads WHERE id = ?1"),
        [id],
        row,
    )
    .optional()?
    .ok_or_else(ApiError::upload_not_found)
}

fn chunks(db: &Connection, id: &str) -> ApiResult<Vec<(u64, u64, String)>> {
    let mut stmt =
        db.prepare("SELECT ord, size, crc32c FROM chunks WHERE upload_id = ?1 ORDER BY ord")?;
    let v = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(v)
}

pub fn session_json(db: &Connection, s: &Session) -> ApiResult<Value> {
    let mut map = serde_json::Map::new();
    for (ord, size, _) in chunks(db, &s.id)? {
        map.insert(ord.to_string(), json!(size));
    }
    let integrity = match (&s.expected, &s.computed) {
        (Some(e), Some(c)) => json!({"expected_crc32c": e, "computed_crc32c": c}),
        _ => Value::Null,
    };
    Ok(json!({
        "id": s.id,
        "name": s.name,
        "size": s.size,
        "instance_id": s.instance_id,
        "folder_id": s.folder_id,
        "stream": s.stream,
        "max_size": s.max_size,
        "status": s.status,
        "status_message": s.status_message,
        "new_file_id": s.new_file_id,
        "chunks": map,
        "integrity_failure": integrity,
        "hash": s.hash,
        "hash_algo": s.hash.as_ref().map(|_| "md5"),
        "created": ids::iso(s.created),
        "updated": ids::iso(s.updated),
    }))
}

fn set_status(db: &Connection, id: &str, status: &str, msg: &str) -> ApiResult<()> {
    db.execute(
        "UPDATE uploads SET status = ?1, status_message = ?2, updated = ?3 WHERE id = ?4",
        params![status, msg, ids::now_ms(), id],
    )?;
    Ok(())
}

/// Counts chunk requests in flight per session; the slot is released when dropped.
struct InflightSlot<'a> {
    st: &'a AppState,
    id: String,
}

impl<'a> InflightSlot<'a> {
    fn enter(st: &'a AppState, id: &str) -> ApiResult<Self> {
        let mut m = lock(&st.inflight);
        let n = m.entry(id.to_string()).or_insert(0);
        if *n >= st.cfg.max_parallel_chunks {
            return Err(ApiError::rate_limited(format!(
                "At most {} chunks may be in flight per upload session.",
                st.cfg.max_parallel_chunks
            )));
        }
        *n += 1;
        Ok(Self {
            st,
            id: id.to_string(),
        })
    }
}

impl Drop for InflightSlot<'_> {
    fn drop(&mut self) {
        let mut m = lock(&self.st.inflight);
        if let Some(n) = m.get_mut(&self.id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.id);
            }
        }
    }
}

/// Where an upload is placed, from the fields session create, single, batch and web uploads
/// share: the profile id, `folder_id` and `profile_type`.
struct Placement<'a> {
    instance: Option<&'a str>,
    folder_id: Option<&'a str>,
    profile_type: Option<&'a str>,
}

impl<'a> Placement<'a> {
    /// The usual field names, read from `p`.
    fn from_fields(p: View<'a>) -> Self {
        Self {
            instance: p.get("instance_id"),
            folder_id: p.get("folder_id"),
            profile_type: p.get("profile_type"),
        }
    }
}

/// Validates a placement: `(namespace, folder)`, or nothing for an unplaced upload.
fn placement(db: &Connection, p: &Placement<'_>) -> ApiResult<(Option<String>, Option<String>)> {
    let Some(instance) = p.instance else {
        return Ok((None, None));
    };
    let folder_id = p.folder_id.unwrap_or("root");
    match p.profile_type.unwrap_or("workspace") {
        "workspace" => {
            orgs::workspace(db, instance)?;
            let folder = nodes::folder(db, instance, folder_id)?;
            Ok((Some(instance.to_string()), Some(folder)))
        }
        "share" => {
            // Files of a share live in its storage namespace (see shares::storage_scope).
            let (ns, root) = super::shares::storage_scope(db, instance)?;
            let folder = if folder_id == "root" {
                root.clone()
            } else {
                folder_id.to_string()
            };
            if root != "root" && folder != root && !super::storage::within(db, &folder, &root)? {
                return Err(ApiError::not_found("The folder is not in this share."));
            }
            let folder = nodes::folder(db, &ns, &folder)?;
            Ok((Some(ns), Some(folder)))
        }
        _ => Err(ApiError::invalid_param(
            "profile_type",
            "string",
            "'profile_type' must be workspace or share.",
        )),
    }
}

/// The fields of a new session row.
struct NewSession<'a> {
    name: &'a str,
    size: Option<u64>,
    place: &'a (Option<String>, Option<String>),
    stream: bool,
    max_size: Option<u64>,
    /// `upload` or `web` (URL import).
    kind: &'a str,
    source_url: Option<&'a str>,
}

fn insert_session(db: &Connection, st: &AppState, n: &NewSession<'_>) -> ApiResult<String> {
    let NewSession {
        name,
        size,
        place,
        stream,
        max_size,
        kind,
        source_url,
    } = *n;
    let id = ids::random_alnum(32);
    let now = ids::now_ms();
    db.execute(
        "INSERT INTO uploads(id, user_id, name, size, instance_id, folder_id, profile_type, stream, max_size, status, kind, source_url, created, updated) \
         VALUES (?1,?2,?3,?4,?5,?6,'workspace',?7,?8,'ready',?9,?10,?11,?11)",
        params![id, st.user_id, name, size.map(|s| s as i64), place.0, place.1, stream as i64, max_size.map(|s| s as i64), kind, source_url, now],
    )?;
    Ok(id)
}

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
            super::body_limit(&st.cfg, &rq.method, &rq.segs, &rq.content_type),
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

fn discard(st: &AppState, id: &str) {
    let db = st.db();
    let _ = db.execute("DELETE FROM chunks WHERE upload_id = ?1", [id]);
    let _ = db.execute("DELETE FROM uploads WHERE id = ?1", [id]);
    st.blobs.remove_session(id);
}

/// Upload routes take the parts they name as files and every other part as a parameter.
fn file_or_text(is_file: bool) -> Part {
    if is_file { Part::File } else { Part::Text }
}

/// A checked `(algo, hash)` pair.
type HashPair = (String, String);

/// Validates an optional `hash` + `hash_algo`: they come as a pair (half a pair is a 400 naming
/// the missing one), the algorithm must be known, and a CRC-32C must be in the wire format of
/// 8 lowercase hex digits (contract §4 item 1).
fn hash_pair(hash: Option<&str>, algo: Option<&str>) -> ApiResult<Option<HashPair>> {
    let (hash, algo) = match (hash, algo) {
        (None, None) => return Ok(None),
        (Some(_), None) => return Err(ApiError::missing("hash_algo")),
        (None, Some(_)) => return Err(ApiError::missing("hash")),
        (Some(h), Some(a)) => (h, a.to_ascii_lowercase()),
    };
    if Hasher::new(&algo).is_none() {
        return Err(ApiError::invalid_param(
            "hash_algo",
            "string",
            format!(
                "Unsupported hash_algo; use one of {}.",
                hashing::ALGOS.join(", ")
            ),
        ));
    }
    if algo == "crc32c" && hashing::parse_wire_crc(hash).is_none() {
        return Err(ApiError::invalid_param(
            "hash",
            "string",
            "A crc32c 'hash' is 8 lowercase hex digits.",
        ));
    }
    Ok(Some((algo, hash.to_string())))
}

/// Checks a validated hash pair against the received bytes: a mismatch is HTTP 406, code 10778.
async fn verify_hash(pair: Option<&HashPair>, part: &FilePart) -> ApiResult<()> {
    let Some((algo, expected)) = pair else {
        return Ok(());
    };
    let computed = match &part.hash {
        Some((a, h)) if a == algo => h.clone(),
        _ if algo == "crc32c" => hashing::crc_hex(part.crc32c),
        _ => {
            let path = part.tmp.clone();
            let a = algo.clone();
            tokio::task::spawn_blocking(move || hashing::hash_file(&path, &a))
                .await
                .map_err(|_| ApiError::internal("hashing failed"))??
                .unwrap_or_default()
        }
    };
    if !expected.trim().eq_ignore_ascii_case(&computed) {
        return Err(ApiError::crc_mismatch(format!(
            "The {algo} hash does not match the received bytes (computed {computed}); nothing was stored."
        )));
    }
    Ok(())
}

/// Makes a received chunk durable and records it. Returns after the row is committed.
async fn commit_chunk(
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

fn combined_crc(chunks: &[(u64, u64, String)]) -> Option<u32> {
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

fn contiguous_total(chunks: &[(u64, u64, String)]) -> Option<u64> {
    let mut total = 0;
    for (i, (ord, size, _)) in chunks.iter().enumerate() {
        if *ord != i as u64 + 1 {
            return None;
        }
        total += size;
    }
    Some(total)
}

fn fail_integrity(
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
            super::body_limit(&st.cfg, &rq.method, &rq.segs, &rq.content_type),
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
async fn read_raw(
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

/// The limits response. Field names are this server's (the reference leaves them open) and
/// are documented in the README.
pub fn limits(st: &AppState) -> ApiResult {
    let c = &st.cfg;
    let chunk = c.max_chunk_size.min(5 * 1024 * 1024).max(c.min_chunk_size);
    Ok(ok(json!({
        "chunk_size": chunk,
        "min_chunk_size": c.min_chunk_size,
        "max_chunk_size": c.max_chunk_size,
        "max_file_size": c.max_file_size,
        "max_single_upload_size": c.max_single_upload_size,
        "max_parallel_chunks": c.max_parallel_chunks,
        "max_chunks": c.max_file_size.div_ceil(c.min_chunk_size.max(1)),
        "algos": hashing::ALGOS,
    })))
}

pub fn algos() -> ApiResult {
    Ok(ok(json!({"algos": hashing::ALGOS})))
}

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
    if let Some(n) = crate::server::declared_length(&rq.headers)
        && n > limit
    {
        return Err(crate::server::refuse_length(
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

/// `POST {workspace|share}/{id}/storage/{parent}/addfile/` with form fields `name` and `from`,
/// both required (fastio_cli src/api/storage.rs:805-841 @96b1551). `from` is
/// `{"type":"upload","upload":{"id":…}}` (a stored, unplaced upload) or, through a share only,
/// `{"type":"hash","hash":{"hash":…,"hash_type":"sha256"}}` (bytes this server already holds;
/// fastio_cli src/bin/fastio/commands/files.rs:918-925 @96b1551).
pub async fn addfile(
    st: &AppState,
    ns: &str,
    folder: &str,
    share: Option<&str>,
    rq: &Req,
) -> ApiResult {
    let p = &rq.params;
    p.require_all(&["name", "from"])?;
    let name = p.req("name")?.to_string();
    nodes::valid_name(&name)?;
    let from: Value = serde_json::from_str(p.req("from")?)
        .map_err(|_| ApiError::invalid_param("from", "json", "'from' must be JSON."))?;
    let held = match from["type"].as_str() {
        Some("upload") => stored_upload(st, &from)?,
        Some("hash") if share.is_some() => blob_by_hash(st, &from).await?,
        Some("hash") => {
            return Err(ApiError::invalid_param(
                "from",
                "json",
                "A from.type = \"hash\" source is accepted only through a share.",
            ));
        }
        _ => {
            return Err(ApiError::invalid_param(
                "from",
                "json",
                "from.type must be \"upload\" or \"hash\".",
            ));
        }
    };
    let mut db = st.db();
    let tx = db.transaction()?;
    let mut data = json!({"name": name});
    if let Some(uid) = &held.upload {
        // Re-checked inside the transaction so two racing calls cannot both place it.
        if load(&tx, uid)?.new_file_id.is_some() {
            return Err(ApiError::conflict("The upload was already placed."));
        }
        data["upload_id"] = json!(uid);
    }
    let stored = nodes::Stored {
        blob: &held.blob,
        size: held.size,
        md5: &held.md5,
        crc32c: &held.crc32c,
    };
    let (node, new) = nodes::place_file(&tx, ns, folder, &name, &stored)?;
    if let Some(uid) = &held.upload {
        tx.execute(
            "UPDATE uploads SET new_file_id = ?1, instance_id = ?2, folder_id = ?3 WHERE id = ?4",
            params![node, ns, folder, uid],
        )?;
    }
    let ev = if new {
        "workspace_storage_file_added"
    } else {
        "workspace_storage_file_updated"
    };
    events::record(st, &tx, NewEvent::storage(ev, ns, &node, data))?;
    tx.commit()?;
    let node_v = nodes::get(&db, ns, &node)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": node_v, "new_file_id": node})))
}

/// Bytes this server already holds, ready to be placed as a file.
struct Held {
    blob: String,
    size: u64,
    md5: String,
    crc32c: String,
    /// The upload session they came from, which placing them consumes.
    upload: Option<String>,
}

/// The bytes of the session named by `from.upload.id`, if it is stored and not yet placed.
fn stored_upload(st: &AppState, from: &Value) -> ApiResult<Held> {
    let uid = match &from["upload"]["id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(ApiError::invalid_param(
                "from",
                "json",
                "from.upload.id is required.",
            ));
        }
    };
    let s = load(&st.db(), &uid)?;
    if s.status != "stored" {
        return Err(ApiError::conflict("The upload is not stored yet."));
    }
    if s.new_file_id.is_some() {
        return Err(ApiError::conflict("The upload was already placed."));
    }
    let blob = s
        .blob
        .ok_or_else(|| ApiError::conflict("The upload has no stored bytes."))?;
    Ok(Held {
        blob,
        size: s.stored_size.unwrap_or(0).max(0) as u64,
        md5: s.hash.unwrap_or_default(),
        crc32c: String::new(),
        upload: Some(uid),
    })
}

/// Stored bytes whose SHA-256 is `from.hash.hash`: any file version, or an upload stored but not
/// yet placed. Blobs carry no SHA-256 index here, so candidates are hashed on demand (a
/// development server holds few).
async fn blob_by_hash(st: &AppState, from: &Value) -> ApiResult<Held> {
    let want = from["hash"]["hash"]
        .as_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ApiError::invalid_param("from", "json", "from.hash.hash is required."))?
        .to_ascii_lowercase();
    if from["hash"]["hash_type"].as_str() != Some("sha256") {
        return Err(ApiError::invalid_param(
            "from",
            "json",
            "from.hash.hash_type must be \"sha256\".",
        ));
    }
    let candidates: Vec<(String, i64, Option<String>, Option<String>)> = {
        let db = st.db();
        let mut stmt = db.prepare(
            "SELECT blob, size, hash, crc32c FROM versions \
             UNION SELECT blob, stored_size, hash, NULL FROM uploads \
             WHERE blob IS NOT NULL AND stored_size IS NOT NULL AND new_file_id IS NULL",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?
    };
    let blobs = st.blobs.clone();
    let found = tokio::task::spawn_blocking(move || -> ApiResult<Option<_>> {
        let mut seen = std::collections::HashSet::new();
        for (blob, size, md5, crc) in candidates {
            if !seen.insert(blob.clone()) {
                continue;
            }
            let path = blobs.blob_path(&blob)?;
            // A blob whose last reference went away in the meantime is simply not a match.
            let Ok(digest) = hashing::hash_file(&path, "sha256") else {
                continue;
            };
            if digest.as_deref() == Some(want.as_str()) {
                return Ok(Some(Held {
                    blob,
                    size: size.max(0) as u64,
                    md5: md5.unwrap_or_default(),
                    crc32c: crc.unwrap_or_default(),
                    upload: None,
                }));
            }
        }
        Ok(None)
    })
    .await
    .map_err(|_| ApiError::internal("hashing failed"))??;
    found.ok_or_else(|| ApiError::not_found("No stored file has that hash."))
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
        super::body_limit(&st.cfg, &rq.method, &rq.segs, &rq.content_type),
    )
    .await?;
    if files.len() > 200 {
        return Err(ApiError::invalid("At most 200 files per batch."));
    }
    if files.iter().map(|f| f.size).sum::<u64>() > super::BATCH_MAX_BYTES {
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

fn loopback_http(url: &str) -> Option<axum::http::Uri> {
    let uri: axum::http::Uri = url.parse().ok()?;
    if uri.scheme_str() != Some("http") {
        return None;
    }
    let host = uri.host()?;
    let ok = host == "localhost"
        || host == "[::1]"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    ok.then_some(uri)
}

pub fn is_loopback_url(url: &str) -> bool {
    loopback_http(url).is_some()
}

/// `POST /web_upload/`: imports a URL in the background. Only loopback `http://` sources.
pub async fn web_create(st: &Arc<AppState>, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let url = p.req("source_url")?.to_string();
    let uri = loopback_http(&url).ok_or_else(|| {
        ApiError::invalid_param(
            "source_url",
            "url",
            "This server imports only http:// URLs on the loopback interface.",
        )
    })?;
    let mut where_ = Placement::from_fields(p.view());
    where_.instance = where_.instance.or(p.get("profile_id"));
    let place = placement(&st.db(), &where_)?;
    if place.0.is_none() {
        return Err(ApiError::missing("profile_id"));
    }
    let name = p
        .get("file_name")
        .map(str::to_string)
        .or_else(|| {
            uri.path()
                .rsplit('/')
                .find(|s| !s.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "download".into());
    nodes::valid_name(&name)?;
    let n = NewSession {
        name: &name,
        size: None,
        place: &place,
        stream: false,
        max_size: None,
        kind: "web",
        source_url: Some(&url),
    };
    let id = insert_session(&st.db(), st, &n)?;
    let st2 = st.clone();
    let id2 = id.clone();
    tokio::spawn(async move {
        if let Err(e) = fetch_web(&st2, &id2, uri).await {
            let _ = set_status(&st2.db(), &id2, "store_failed", &e);
            st2.notify();
        }
    });
    Ok(ok(
        json!({"id": id, "web_upload": {"id": id, "status": "ready"}}),
    ))
}

async fn fetch_web(st: &Arc<AppState>, id: &str, uri: axum::http::Uri) -> Result<(), String> {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let resp = tokio::time::timeout(Duration::from_secs(30), client.get(uri))
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("source answered {}", resp.status()));
    }
    let _ = set_status(&st.db(), id, "uploading", "");
    let mut body = resp.into_body();
    let tmp = st.blobs.tmp_path();
    let mut file = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
    let (mut size, mut crc) = (0u64, 0u32);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            size += data.len() as u64;
            if size > st.cfg.max_file_size {
                let _ = std::fs::remove_file(&tmp);
                return Err("source is larger than the maximum file size".into());
            }
            crc = crc32c::crc32c_append(crc, &data);
            file.write_all(&data).map_err(|e| e.to_string())?;
        }
    }
    let part = FilePart {
        field: "web".into(),
        tmp,
        file,
        size,
        crc32c: crc,
        hash: None,
    };
    commit_chunk(st, id, 1, part, false)
        .await
        .map_err(|e| e.text)?;
    {
        let db = st.db();
        let _ = db.execute(
            "UPDATE uploads SET size = ?1 WHERE id = ?2",
            params![size as i64, id],
        );
        let _ = set_status(&db, id, "assembling", "");
    }
    run_assembly(st, id).await.map_err(|e| e.text)
}

fn web_json(s: &Session) -> Value {
    json!({"id": s.id, "status": s.status, "status_message": s.status_message, "source_url": s.source_url,
           "file_name": s.name, "new_file_id": s.new_file_id, "size": s.size, "created": ids::iso(s.created)})
}

pub fn web_details(st: &AppState, id: &str) -> ApiResult {
    let s = load(&st.db(), id)?;
    if s.kind != "web" {
        return Err(ApiError::upload_not_found());
    }
    Ok(ok(json!({"web_upload": web_json(&s)})))
}

pub fn web_list(st: &AppState) -> ApiResult {
    let db = st.db();
    let mut stmt = db.prepare(&format!(
        "SELECT {COLS} FROM uploads WHERE kind = 'web' ORDER BY created"
    ))?;
    let all = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    let list: Vec<Value> = all.iter().map(web_json).collect();
    Ok(ok(json!({"results": list.len(), "web_uploads": list})))
}

pub fn web_cancel(st: &AppState, id: &str) -> ApiResult {
    if id.is_empty() {
        return Err(ApiError::missing("id"));
    }
    cancel(st, id)
}
