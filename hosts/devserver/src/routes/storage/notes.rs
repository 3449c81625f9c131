//! Notes: markdown files the server versions like any other, created, rewritten and read as
//! text (fastio_cli src/api/workspace.rs:255-385 @96b1551). A name ends in `.md`; content is
//! at most 100 KB; `if_version_id` makes an update compare-and-swap, refused with 409 / 1660
//! and the note's current state in `error.params.current`.

use std::io::Write;

use axum::http::StatusCode;
use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::checks::real_node;
use super::locks::check_lock;
use crate::envelope::{ApiError, ApiResult, ok, ok_flat};
use crate::events::{self, NewEvent};
use crate::hashing::Hasher;
use crate::ids;
use crate::routes::nodes;
use crate::routes::request::Req;
use crate::state::AppState;

const MAX_NOTE_BYTES: usize = 100 * 1024;

fn note_name(name: &str) -> ApiResult<()> {
    nodes::valid_name(name)?;
    if !name.to_ascii_lowercase().ends_with(".md") {
        return Err(ApiError::invalid_param(
            "name",
            "string",
            "A note's name ends in .md.",
        ));
    }
    Ok(())
}

fn note_content(content: &str) -> ApiResult<()> {
    if content.len() > MAX_NOTE_BYTES {
        return Err(ApiError::invalid_param(
            "content",
            "string",
            "A note holds at most 100 KB.",
        ));
    }
    Ok(())
}

/// Stores `content` as a new version of `node` (named `name`); returns the version id.
fn store(
    st: &AppState,
    db: &Connection,
    node: &str,
    name: &str,
    content: &str,
) -> ApiResult<String> {
    let tmp = st.blobs.tmp_path();
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(content.as_bytes())?;
    let blob = ids::node_id();
    st.blobs
        .commit_file(&tmp, &file, &st.blobs.blob_path(&blob)?)?;
    let (mut md5, mut crc) = (Hasher::new("md5"), Hasher::new("crc32c"));
    for h in [&mut md5, &mut crc].into_iter().flatten() {
        h.update(content.as_bytes());
    }
    let hex = |h: Option<Hasher>| h.map(Hasher::finish_hex).unwrap_or_default();
    let version = ids::node_id();
    db.execute(
        "INSERT INTO versions(id, node_id, blob, size, hash, hash_algo, crc32c, name, created) VALUES (?1,?2,?3,?4,?5,'md5',?6,?7,?8)",
        params![version, node, blob, content.len() as i64, hex(md5), hex(crc), name, ids::now_ms()],
    )?;
    Ok(version)
}

fn note(db: &Connection, ws: &str, id: &str) -> ApiResult<Value> {
    let n = real_node(db, ws, id)?;
    if n["type"] != "note" {
        return Err(ApiError::invalid_param(
            "node_id",
            "string",
            "The node is not a note.",
        ));
    }
    Ok(n)
}

fn text(st: &AppState, db: &Connection, id: &str, version: Option<&str>) -> ApiResult<String> {
    let (blob, _, _) = nodes::version_blob(db, id, version)?;
    let bytes = std::fs::read(st.blobs.blob_path(&blob)?)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `POST …/storage/{parent}/createnote/` (form `name`, `content`, both required).
pub(super) fn create(st: &AppState, ws: &str, parent: &str, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let name = p.req("name")?;
    note_name(name)?;
    // Empty content is a note with nothing in it yet, not a missing field.
    if !p.has("content") {
        return Err(ApiError::missing("content"));
    }
    let content = p.get("content").unwrap_or("");
    note_content(content)?;
    let db = st.db();
    let folder = nodes::folder(&db, ws, parent)?;
    if nodes::sibling(&db, ws, &folder, name)?.is_some() {
        return Err(ApiError::conflict(
            "An item with that name already exists in this folder.",
        ));
    }
    let id = ids::node_id();
    let version = store(st, &db, &id, name, content)?;
    let now = ids::now_ms();
    db.execute(
        "INSERT INTO nodes(id, ws_id, parent, name, type, mimetype, version_id, created, modified) VALUES (?1,?2,?3,?4,'note','text/markdown',?5,?6,?6)",
        params![id, ws, folder, name, version, now],
    )?;
    events::record(
        st,
        &db,
        NewEvent::storage(
            "workspace_storage_note_created",
            ws,
            &id,
            json!({"name": name}),
        ),
    )?;
    let out = nodes::get(&db, ws, &id)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": out})))
}

/// `POST …/storage/{node}/updatenote/` (form `name` and/or `content`, `if_version_id`).
pub(super) fn update(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let name = p.get("name");
    let content = p.has("content").then(|| p.get("content").unwrap_or(""));
    if name.is_none() && content.is_none() {
        return Err(ApiError::missing_all(&["name", "content"]));
    }
    if let Some(n) = name {
        note_name(n)?;
    }
    if let Some(c) = content {
        note_content(c)?;
    }
    let db = st.db();
    let cur = note(&db, ws, id)?;
    check_lock(&db, id, rq)?;
    if let Some(want) = p.get("if_version_id")
        && cur["version"].as_str() != Some(want)
    {
        let current = json!({
            "version_id": cur["version"],
            "name": cur["name"],
            "content": text(st, &db, id, None)?,
            "modified": cur["modified"],
        });
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            1660,
            "APP_CONFLICT_VERSION_MISMATCH",
            "The note changed since if_version_id.",
        )
        .with_extra(json!({"params": {"current": current}})));
    }
    let name = name.unwrap_or(cur["name"].as_str().unwrap_or_default());
    if let Some((other, _)) =
        nodes::sibling(&db, ws, cur["parent"].as_str().unwrap_or("root"), name)?
        && other != id
    {
        return Err(ApiError::conflict(
            "An item with that name already exists in this folder.",
        ));
    }
    let body = match content {
        Some(c) => c.to_string(),
        None => text(st, &db, id, None)?,
    };
    let version = store(st, &db, id, name, &body)?;
    db.execute(
        "UPDATE nodes SET name = ?1, version_id = ?2, modified = ?3 WHERE id = ?4",
        params![name, version, ids::now_ms(), id],
    )?;
    events::record(
        st,
        &db,
        NewEvent::storage(
            "workspace_storage_note_updated",
            ws,
            id,
            json!({"name": name}),
        ),
    )?;
    let out = nodes::get(&db, ws, id)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": out})))
}

/// `GET …/storage/{node}/readnote/[?version_id=…]`: `{content, note}` beside `result`.
pub(super) fn read(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let n = note(&db, ws, id)?;
    let content = text(st, &db, id, rq.params.get("version_id"))?;
    Ok(ok_flat(json!({"content": content, "note": n})))
}
