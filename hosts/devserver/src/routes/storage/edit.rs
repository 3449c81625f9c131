//! Changing the tree: new folders, move, copy, and rename or metadata updates.

use rusqlite::{Connection, params};
use serde_json::json;

use super::checks::{check_node_id, kind, real_node};
use super::locks::check_lock;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::events::{self, NewEvent};
use crate::ids;
use crate::routes::nodes;
use crate::routes::request::Req;
use crate::state::AppState;

/// `POST …/storage/{parent}/createfolder/`. Without `force` a name that is already a folder
/// answers that folder (the call is idempotent); with `force=true` a new folder is always made,
/// renamed `name (n)` on a clash (fastio_cli src/api/storage.rs:316-327 @96b1551).
pub(super) fn createfolder(st: &AppState, ws: &str, parent: &str, rq: &Req) -> ApiResult {
    check_node_id(parent)?;
    let wanted = rq.params.req("name")?;
    nodes::valid_name(wanted)?;
    let force = rq.params.bool("force");
    let db = st.db();
    let parent = nodes::folder(&db, ws, parent)?;
    let mut name = wanted.to_string();
    if let Some((id, ty)) = nodes::sibling(&db, ws, &parent, wanted)? {
        if !force {
            if ty == "folder" {
                return Ok(ok(json!({"node": nodes::get(&db, ws, &id)?, "id": id})));
            }
            return Err(ApiError::conflict(
                "A file with that name already exists in this folder.",
            ));
        }
        name = free_name(&db, ws, &parent, wanted)?;
    }
    let id = ids::node_id();
    let now = ids::now_ms();
    db.execute(
        "INSERT INTO nodes(id, ws_id, parent, name, type, created, modified) VALUES (?1,?2,?3,?4,'folder',?5,?5)",
        params![id, ws, parent, name, now],
    )?;
    events::record(
        st,
        &db,
        NewEvent::storage(
            "workspace_storage_folder_added",
            ws,
            &id,
            json!({"name": name}),
        ),
    )?;
    let node = nodes::get(&db, ws, &id)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": node, "id": id})))
}

/// The first of `name (1)`, `name (2)`, … that no live sibling uses.
fn free_name(db: &Connection, ws: &str, parent: &str, name: &str) -> ApiResult<String> {
    for n in 1..10_000 {
        let candidate = format!("{name} ({n})");
        nodes::valid_name(&candidate)?;
        if nodes::sibling(db, ws, parent, &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(ApiError::conflict(
        "Too many folders with that name already exist.",
    ))
}

pub(super) fn move_node(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let node = real_node(&db, ws, id)?;
    check_lock(&db, id, rq)?;
    let dest = nodes::folder(&db, ws, rq.params.req("parent")?)?;
    if node["type"] == "folder" && nodes::is_descendant(&db, &dest, id)? {
        return Err(ApiError::invalid_param(
            "parent",
            "string",
            "A folder cannot move into itself.",
        ));
    }
    let name = node["name"].as_str().unwrap_or("");
    if let Some((other, _)) = nodes::sibling(&db, ws, &dest, name)?
        && other != id
    {
        return Err(ApiError::conflict(
            "An item with that name already exists in the destination.",
        ));
    }
    db.execute(
        "UPDATE nodes SET parent = ?1, modified = ?2 WHERE id = ?3",
        params![dest, ids::now_ms(), id],
    )?;
    let ev = format!("workspace_storage_{}_moved", kind(&node));
    events::record(
        st,
        &db,
        NewEvent::storage(&ev, ws, id, json!({"name": name, "parent": dest})),
    )?;
    let out = nodes::get(&db, ws, id)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": out})))
}

fn copy_tree(db: &Connection, ws: &str, id: &str, dest: &str, depth: u32) -> ApiResult<String> {
    if depth > 64 {
        return Err(ApiError::invalid("The folder tree is too deep to copy."));
    }
    let (name, ty, mime, version): (String, String, Option<String>, Option<String>) = db
        .query_row(
            "SELECT name, type, mimetype, version_id FROM nodes WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    let new_id = ids::node_id();
    let now = ids::now_ms();
    let new_version = version.as_ref().map(|_| ids::node_id());
    if let (Some(v), Some(nv)) = (&version, &new_version) {
        // Blobs are immutable, so the copy shares the bytes; purge removes a blob only when
        // no version references it any more.
        db.execute(
            "INSERT INTO versions(id, node_id, blob, size, hash, hash_algo, crc32c, name, created) \
             SELECT ?1, ?2, blob, size, hash, hash_algo, crc32c, name, ?3 FROM versions WHERE id = ?4",
            params![nv, new_id, now, v],
        )?;
    }
    db.execute(
        "INSERT INTO nodes(id, ws_id, parent, name, type, mimetype, version_id, created, modified) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8)",
        params![new_id, ws, dest, name, ty, mime, new_version, now],
    )?;
    if ty == "folder" {
        let kids: Vec<String> = {
            let mut stmt = db.prepare("SELECT id FROM nodes WHERE parent = ?1 AND trashed = 0")?;
            stmt.query_map([id], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?
        };
        for k in kids {
            copy_tree(db, ws, &k, &new_id, depth + 1)?;
        }
    }
    Ok(new_id)
}

pub(super) fn copy(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let mut db = st.db();
    let node = real_node(&db, ws, id)?;
    let dest = nodes::folder(&db, ws, rq.params.req("parent")?)?;
    if node["type"] == "folder" && nodes::is_descendant(&db, &dest, id)? {
        return Err(ApiError::invalid_param(
            "parent",
            "string",
            "A folder cannot be copied into itself.",
        ));
    }
    if nodes::sibling(&db, ws, &dest, node["name"].as_str().unwrap_or(""))?.is_some() {
        return Err(ApiError::conflict(
            "An item with that name already exists in the destination.",
        ));
    }
    let tx = db.transaction()?;
    let new_id = copy_tree(&tx, ws, id, &dest, 0)?;
    let ev = format!("workspace_storage_{}_copied", kind(&node));
    events::record(
        st,
        &tx,
        NewEvent::storage(&ev, ws, &new_id, json!({"source": id, "parent": dest})),
    )?;
    tx.commit()?;
    let out = nodes::get(&db, ws, &new_id)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": out, "id": new_id})))
}

pub(super) fn update(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let node = real_node(&db, ws, id)?;
    check_lock(&db, id, rq)?;
    let p = &rq.params;
    if let Some(v) = p.get("if_version_id")
        && node["version"].as_str() != Some(v)
    {
        return Err(ApiError::conflict(
            "The node has a newer version than if_version_id.",
        ));
    }
    if let Some(name) = p.get("name") {
        nodes::valid_name(name)?;
        let parent = node["parent"].as_str().unwrap_or("root");
        if let Some((other, _)) = nodes::sibling(&db, ws, parent, name)?
            && other != id
        {
            return Err(ApiError::conflict(
                "An item with that name already exists in this folder.",
            ));
        }
        db.execute("UPDATE nodes SET name = ?1, mimetype = CASE type WHEN 'file' THEN ?2 ELSE mimetype END WHERE id = ?3", params![name, nodes::mimetype(name), id])?;
    }
    for col in ["metadata_title", "metadata_short"] {
        if let Some(v) = p.get(col) {
            db.execute(
                &format!("UPDATE nodes SET {col} = ?1 WHERE id = ?2"),
                params![v, id],
            )?;
        }
    }
    db.execute(
        "UPDATE nodes SET modified = ?1 WHERE id = ?2",
        params![ids::now_ms(), id],
    )?;
    let ev = format!("workspace_storage_{}_updated", kind(&node));
    events::record(
        st,
        &db,
        NewEvent::storage(&ev, ws, id, json!({"name": p.get("name")})),
    )?;
    let out = nodes::get(&db, ws, id)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": out})))
}
