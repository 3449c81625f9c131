//! Bringing things back and moving them out: restore from the trash, restore a version,
//! transfer a node to another workspace (fastio_cli src/api/storage.rs:461-476, 846-885
//! @96b1551).

use rusqlite::{Connection, params};
use serde_json::json;

use super::checks::{kind, real_node};
use super::locks::check_lock;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::events::{self, NewEvent};
use crate::ids;
use crate::routes::request::Req;
use crate::routes::{nodes, scope};
use crate::state::AppState;

/// `POST …/storage/{node}/restore/`: a trashed node goes back to its folder, or to the root
/// when that folder is gone; a live node of the same name there is a conflict.
pub(super) fn restore(st: &AppState, ws: &str, id: &str) -> ApiResult {
    let db = st.db();
    let node = real_node(&db, ws, id)?;
    if node["trashed"] != true {
        return Err(ApiError::invalid("The node is not in the trash."));
    }
    let name = node["name"].as_str().unwrap_or_default();
    let mut parent = node["parent"].as_str().unwrap_or("root").to_string();
    if parent != "root" && !nodes::live(&db, &parent)? {
        parent = "root".into();
    }
    if nodes::sibling(&db, ws, &parent, name)?.is_some() {
        return Err(ApiError::conflict(
            "An item with that name already exists where the node would be restored.",
        ));
    }
    db.execute(
        "UPDATE nodes SET trashed = 0, parent = ?1, modified = ?2 WHERE id = ?3",
        params![parent, ids::now_ms(), id],
    )?;
    let ev = format!("workspace_storage_{}_restored", kind(&node));
    events::record(
        st,
        &db,
        NewEvent::storage(&ev, ws, id, json!({"name": name})),
    )?;
    let out = nodes::get(&db, ws, id)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": out})))
}

/// `POST …/storage/{node}/restore-version/` (form `version_id`): the version becomes current
/// again; the others stay listed.
pub(super) fn restore_version(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let version = rq.params.req("version_id")?;
    let db = st.db();
    let node = real_node(&db, ws, id)?;
    if node["type"] != "file" {
        return Err(ApiError::invalid("Only files have versions."));
    }
    check_lock(&db, id, rq)?;
    let (_, _, name) = nodes::version_blob(&db, id, Some(version))?;
    db.execute(
        "UPDATE nodes SET version_id = ?1, name = ?2, mimetype = ?3, modified = ?4 WHERE id = ?5",
        params![version, name, nodes::mimetype(&name), ids::now_ms(), id],
    )?;
    events::record(
        st,
        &db,
        NewEvent::storage(
            "workspace_storage_file_version_restored",
            ws,
            id,
            json!({"version_id": version}),
        ),
    )?;
    let out = nodes::get(&db, ws, id)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": out})))
}

/// Every node id in the subtree under `id`, `id` first.
fn subtree(db: &Connection, id: &str) -> ApiResult<Vec<String>> {
    let mut out = vec![id.to_string()];
    let mut i = 0;
    while i < out.len() {
        let mut stmt = db.prepare("SELECT id FROM nodes WHERE parent = ?1")?;
        let kids = stmt
            .query_map([&out[i]], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        out.extend(kids);
        i += 1;
        if out.len() > 100_000 {
            return Err(ApiError::invalid("The tree is too large to transfer."));
        }
    }
    Ok(out)
}

/// `POST workspace/{ws}/storage/{node}/transfer/` (form `target_workspace_id`): the node and
/// everything below it move to the root of another workspace.
pub(super) fn transfer(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let target = rq.params.req("target_workspace_id")?;
    let db = st.db();
    let node = real_node(&db, ws, id)?;
    scope::workspace(&db, target)?;
    if target == ws {
        return Err(ApiError::invalid_param(
            "target_workspace_id",
            "string",
            "The node is already in that workspace.",
        ));
    }
    check_lock(&db, id, rq)?;
    let name = node["name"].as_str().unwrap_or_default();
    if nodes::sibling(&db, target, "root", name)?.is_some() {
        return Err(ApiError::conflict(
            "An item with that name already exists in the target workspace.",
        ));
    }
    db.execute_batch("BEGIN")?;
    let moved = (|| -> ApiResult<()> {
        for n in subtree(&db, id)? {
            db.execute(
                "UPDATE nodes SET ws_id = ?1 WHERE id = ?2",
                params![target, n],
            )?;
        }
        db.execute(
            "UPDATE nodes SET parent = 'root', modified = ?1 WHERE id = ?2",
            params![ids::now_ms(), id],
        )?;
        Ok(())
    })();
    match moved {
        Ok(()) => db.execute_batch("COMMIT")?,
        Err(e) => {
            db.execute_batch("ROLLBACK")?;
            return Err(e);
        }
    }
    let ev = format!("workspace_storage_{}_transferred", kind(&node));
    events::record(
        st,
        &db,
        NewEvent::storage(&ev, ws, id, json!({"target_workspace_id": target})),
    )?;
    let out = nodes::get(&db, target, id)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": out})))
}
