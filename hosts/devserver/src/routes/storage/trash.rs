//! Trash and purge: a trashed node stays until purged; purging removes its versions and every
//! blob nothing else references.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::checks::{kind, real_node};
use super::locks::check_lock;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::events::{self, NewEvent};
use crate::ids;
use crate::routes::request::Req;
use crate::state::AppState;

pub(super) fn trash(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let node = real_node(&db, ws, id)?;
    check_lock(&db, id, rq)?;
    db.execute(
        "UPDATE nodes SET trashed = 1, modified = ?1 WHERE id = ?2",
        params![ids::now_ms(), id],
    )?;
    let ev = format!("workspace_storage_{}_deleted", kind(&node));
    events::record(
        st,
        &db,
        NewEvent::storage(&ev, ws, id, json!({"name": node["name"], "trash": true})),
    )?;
    drop(db);
    st.notify();
    Ok(ok(json!({"id": id, "trashed": true})))
}

/// Deletes a node, its descendants and their versions; removes blobs nobody references.
fn purge_tree(st: &AppState, db: &Connection, id: &str, depth: u32) -> ApiResult<()> {
    if depth > 64 {
        return Err(ApiError::invalid("The folder tree is too deep."));
    }
    let kids: Vec<String> = {
        let mut stmt = db.prepare("SELECT id FROM nodes WHERE parent = ?1")?;
        stmt.query_map([id], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?
    };
    for k in kids {
        purge_tree(st, db, &k, depth + 1)?;
    }
    let blobs: Vec<String> = {
        let mut stmt = db.prepare("SELECT blob FROM versions WHERE node_id = ?1")?;
        stmt.query_map([id], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?
    };
    db.execute("DELETE FROM versions WHERE node_id = ?1", [id])?;
    db.execute("DELETE FROM nodes WHERE id = ?1", [id])?;
    for b in blobs {
        let used: i64 =
            db.query_row("SELECT count(*) FROM versions WHERE blob = ?1", [&b], |r| {
                r.get(0)
            })?;
        let pending: i64 = db.query_row(
            "SELECT count(*) FROM uploads WHERE blob = ?1 AND new_file_id IS NULL",
            [&b],
            |r| r.get(0),
        )?;
        if used == 0 && pending == 0 {
            st.blobs.remove_blob(&b);
        }
    }
    Ok(())
}

pub(super) fn purge_route(st: &AppState, ws: &str, id: &str) -> ApiResult {
    let mut db = st.db();
    let node = real_node(&db, ws, id)?;
    let tx = db.transaction()?;
    purge_tree(st, &tx, id, 0)?;
    let ev = format!("workspace_storage_{}_deleted", kind(&node));
    events::record(
        st,
        &tx,
        NewEvent::storage(&ev, ws, id, json!({"name": node["name"], "purged": true})),
    )?;
    tx.commit()?;
    drop(db);
    st.notify();
    Ok(ok(json!({"id": id, "purged": true})))
}

pub(super) fn empty_trash(st: &AppState, ws: &str) -> ApiResult {
    let mut db = st.db();
    let ids_: Vec<String> = {
        let mut stmt = db.prepare("SELECT id FROM nodes WHERE ws_id = ?1 AND trashed = 1")?;
        stmt.query_map([ws], |r| r.get(0))?
            .collect::<Result<Vec<_>, _>>()?
    };
    let tx = db.transaction()?;
    for id in &ids_ {
        // A trashed node inside a trashed folder may already be gone.
        let exists: Option<String> = tx
            .query_row("SELECT id FROM nodes WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        if exists.is_some() {
            purge_tree(st, &tx, id, 0)?;
        }
    }
    tx.commit()?;
    drop(db);
    st.notify();
    Ok(ok(json!({"purged": ids_.len()})))
}
