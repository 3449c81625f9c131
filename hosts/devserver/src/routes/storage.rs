//! `/workspace/{id}/storage/…`: listing, details, folders, move/copy/update, trash and purge,
//! versions, search, downloads (token or bearer, with `Range`), locks and folder zips.

use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{Req, nodes, orgs, upload};
use crate::envelope::{API_VERSION, ApiError, ApiResult, json_response, ok};
use crate::events::{self, NewEvent};
use crate::ids;
use crate::server::AppState;

pub async fn route(st: &Arc<AppState>, ws: &str, rest: &[&str], rq: &mut Req) -> ApiResult {
    orgs::workspace(&st.db(), ws)?;
    route_in(st, ws, "root", None, rest, rq).await
}

/// `/share/{id}/storage/…`: the same operations inside the share's storage scope. For a
/// folder-backed share, `root` means the shared folder and nothing outside it is reachable.
pub async fn route_share(st: &Arc<AppState>, id: &str, rest: &[&str], rq: &mut Req) -> ApiResult {
    let (ns, root) = super::shares::storage_scope(&st.db(), id)?;
    let mut path: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    if root != "root" {
        if path.first().is_some_and(|s| s == "root") {
            path[0] = root.clone();
        }
        for k in ["parent", "folder_id"] {
            if rq.params.get(k) == Some("root") {
                rq.params.set(k, &root);
            }
        }
        let db = st.db();
        let mut ids: Vec<String> = Vec::new();
        // A bulk-details list is checked id by id inside `details`, so that an id outside the
        // share is one entry of `errors` rather than a failure of the whole call.
        let bulk = path.len() == 2 && path[1] == "details" && path[0].contains(',');
        if let Some(first) = path.first()
            && path.len() > 1
            && first != "trash"
            && !bulk
        {
            ids.extend(first.split(',').map(str::to_string));
        }
        if let Some(p) = rq.params.get("parent") {
            ids.push(p.to_string());
        }
        for n in ids {
            if !is_descendant(&db, &n, &root)? {
                return Err(ApiError::not_found(format!(
                    "The node '{n}' is not in this share."
                )));
            }
        }
    }
    let refs: Vec<&str> = path.iter().map(String::as_str).collect();
    route_in(st, &ns, &root, Some(id), &refs, rq).await
}

/// Storage operations in namespace `ws` (a workspace id, or an independent share's id), where
/// `scope_root` is the folder searches are limited to and `share` the share the call came
/// through, if any.
async fn route_in(
    st: &Arc<AppState>,
    ws: &str,
    scope_root: &str,
    share: Option<&str>,
    rest: &[&str],
    rq: &mut Req,
) -> ApiResult {
    let m = rq.method.clone();
    let (get, post, del) = (m == Method::GET, m == Method::POST, m == Method::DELETE);
    match rest {
        ["search"] if get => search(st, ws, scope_root, rq),
        ["trash", "delete"] if del => empty_trash(st, ws),
        [node, "list"] if get => list(st, ws, node, rq),
        [node, "details"] if get => details(st, ws, scope_root, node),
        [node, "createfolder"] if post => createfolder(st, ws, node, rq),
        [node, "move"] if post => move_node(st, ws, node, rq),
        [node, "copy"] if post => copy(st, ws, node, rq),
        [node, "update"] if post => update(st, ws, node, rq),
        [node, "delete"] if del => trash(st, ws, node, rq),
        [node, "purge"] if del => purge_route(st, ws, node),
        [node, "versions"] if get => versions(st, ws, node),
        [node, "requestread"] if get || post => request_token(st, ws, node, "read", rq),
        [node, "requestzip"] if get || post => request_token(st, ws, node, "zip", rq),
        [node, "read"] if get => read(st, ws, node, rq).await,
        [node, "zip"] if get => zip(st, ws, node, rq).await,
        [node, "lock"] if post => lock(st, ws, node, rq),
        [node, "lock"] if get => lock_status(st, ws, node),
        [node, "lock"] if del => unlock(st, ws, node, rq),
        [node, "lock", "heartbeat"] if post => heartbeat(st, ws, node, rq),
        [node, "addfile"] if post => {
            let folder = nodes::folder(&st.db(), ws, node)?;
            upload::addfile(st, ws, &folder, share, rq).await
        }
        _ => Err(ApiError::unknown_route()),
    }
}

fn check_node_id(id: &str) -> ApiResult<()> {
    if id == "root" || id == "trash" || ids::is_safe_id(id) {
        Ok(())
    } else {
        Err(ApiError::invalid_param(
            "node_id",
            "string",
            "The node id is not valid.",
        ))
    }
}

fn real_node(db: &Connection, ws: &str, id: &str) -> ApiResult<Value> {
    if id == "root" || id == "trash" {
        return Err(ApiError::invalid_param(
            "node_id",
            "string",
            "This operation needs a file or folder id, not an alias.",
        ));
    }
    check_node_id(id)?;
    nodes::get(db, ws, id)
}

/// Refuses changes to a node locked by someone without its `lock_token`.
fn check_lock(db: &Connection, id: &str, rq: &Req) -> ApiResult<()> {
    let row: Option<(Option<String>, Option<i64>)> = db
        .query_row(
            "SELECT lock_token, lock_expires FROM nodes WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((Some(tok), Some(exp))) = row
        && exp > ids::now_s()
        && rq.params.get("lock_token") != Some(tok.as_str())
    {
        return Err(ApiError::conflict(
            "The node is locked; pass its lock_token.",
        ));
    }
    Ok(())
}

fn sort_nodes(v: &mut [Value], by: &str, desc: bool) {
    v.sort_by(|a, b| {
        let o = match by {
            "updated" => a["modified"].as_str().cmp(&b["modified"].as_str()),
            "created" => a["created"].as_str().cmp(&b["created"].as_str()),
            "type" => a["type"]
                .as_str()
                .cmp(&b["type"].as_str())
                .then_with(|| a["name"].as_str().cmp(&b["name"].as_str())),
            "size" => a["size"].as_u64().cmp(&b["size"].as_u64()),
            _ => a["name"]
                .as_str()
                .map(str::to_lowercase)
                .cmp(&b["name"].as_str().map(str::to_lowercase)),
        };
        if desc { o.reverse() } else { o }
    });
}

fn list(st: &AppState, ws: &str, node: &str, rq: &Req) -> ApiResult {
    check_node_id(node)?;
    let p = &rq.params;
    let page_size = p.u64("page_size")?.unwrap_or(100);
    if ![100, 250, 500].contains(&page_size) {
        return Err(ApiError::invalid_param(
            "page_size",
            "integer",
            "'page_size' must be 100, 250 or 500.",
        ));
    }
    let by = p.get("sort_by").unwrap_or("name");
    if !["name", "updated", "created", "type", "size"].contains(&by) {
        return Err(ApiError::invalid_param(
            "sort_by",
            "string",
            "'sort_by' must be name, updated, created or type.",
        ));
    }
    let dir = p.get("sort_dir").unwrap_or("asc");
    if dir != "asc" && dir != "desc" {
        return Err(ApiError::invalid_param(
            "sort_dir",
            "string",
            "'sort_dir' must be asc or desc.",
        ));
    }
    let offset = match p.get("cursor") {
        None => 0,
        Some(c) => c
            .strip_prefix("o")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| {
                ApiError::invalid_param("cursor", "string", "The cursor is not valid.")
            })?,
    };
    let db = st.db();
    let folder = if node == "trash" {
        "trash".to_string()
    } else {
        nodes::folder(&db, ws, node)?
    };
    let mut all = nodes::children(&db, ws, &folder)?;
    sort_nodes(&mut all, by, dir == "desc");
    let total = all.len();
    let items: Vec<Value> = all
        .into_iter()
        .skip(offset)
        .take(page_size as usize)
        .collect();
    let next = offset + items.len();
    let has_more = next < total;
    let next_cursor = has_more.then(|| format!("o{next}"));
    Ok(ok(json!({
        "nodes": items,
        "pagination": {"page_size": page_size, "total": total, "has_more": has_more, "next_cursor": next_cursor, "cursor": next_cursor},
    })))
}

/// Most ids one bulk-details call may name (fastio_cli src/api/storage.rs:66-70 @96b1551).
const BULK_DETAILS_MAX_IDS: usize = 25;

/// Per-id error codes of a bulk-details answer (fastio_cli src/api/storage.rs:80-92 @96b1551).
const BULK_INVALID_ID: u32 = 191_878;
const BULK_NO_SUCH_NODE: u32 = 133_123;

/// `GET …/storage/{id}/details/` answers `{format: "single", node}`; with a comma-separated id
/// list it answers `{format: "multi", nodes, errors[{node_id, code, message}]}`: 200 with
/// `result: "yes"` when at least one id resolved, 404 with `result: "no"` and the same
/// `response` when none did (fastio_cli src/api/storage.rs:1203-1268, src/client.rs:2221-2270
/// @96b1551).
fn details(st: &AppState, ws: &str, scope_root: &str, node: &str) -> ApiResult {
    let db = st.db();
    if !node.contains(',') {
        check_node_id(node)?;
        return Ok(ok(
            json!({"format": "single", "node": nodes::get(&db, ws, node)?}),
        ));
    }
    let given: Vec<&str> = node
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if given.len() > BULK_DETAILS_MAX_IDS {
        let mut e = ApiError::new(
            StatusCode::BAD_REQUEST,
            115_519,
            "APP_TOO_MANY_IDS",
            format!("At most {BULK_DETAILS_MAX_IDS} node ids per request."),
        );
        e.params.push(
            json!({"name": "node_id", "kind": "invalid", "code": 115_519,
            "message": "Too many node ids.", "expected_type": "string"}),
        );
        return Err(e);
    }
    // The official client sends a lone id twice (`id,id`) to get this shape; each node is
    // answered once (fastio_cli src/api/storage.rs:195-231 @96b1551).
    let mut wanted: Vec<&str> = Vec::new();
    for id in given {
        if !wanted.contains(&id) {
            wanted.push(id);
        }
    }
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for id in wanted {
        if check_node_id(id).is_err() || id == "trash" {
            errors.push(json!({"node_id": id, "code": BULK_INVALID_ID, "message": "The node id is not valid."}));
            continue;
        }
        let visible = scope_root == "root" || id == "root" || is_descendant(&db, id, scope_root)?;
        match nodes::get(&db, ws, id).and_then(|n| {
            if visible {
                Ok(n)
            } else {
                Err(ApiError::not_found("The node is not in this share."))
            }
        }) {
            Ok(n) => found.push(n),
            Err(e) if e.status == StatusCode::NOT_FOUND => errors.push(
                json!({"node_id": id, "code": BULK_NO_SUCH_NODE, "message": "No such file or folder exists."}),
            ),
            Err(e) => return Err(e),
        }
    }
    let payload = json!({"format": "multi", "nodes": found, "errors": errors});
    let (status, result) = if found.is_empty() {
        (StatusCode::NOT_FOUND, "no")
    } else {
        (StatusCode::OK, "yes")
    };
    Ok(json_response(
        status,
        &json!({"result": result, "response": payload, "current_api_version": API_VERSION}),
    ))
}

/// `POST …/storage/{parent}/createfolder/`. Without `force` a name that is already a folder
/// answers that folder (the call is idempotent); with `force=true` a new folder is always made,
/// renamed `name (n)` on a clash (fastio_cli src/api/storage.rs:316-327 @96b1551).
fn createfolder(st: &AppState, ws: &str, parent: &str, rq: &Req) -> ApiResult {
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

/// True when `node` is `folder` or lies below it.
pub fn within(db: &Connection, node: &str, folder: &str) -> ApiResult<bool> {
    is_descendant(db, node, folder)
}

fn is_descendant(db: &Connection, candidate: &str, ancestor: &str) -> ApiResult<bool> {
    let mut cur = candidate.to_string();
    for _ in 0..1000 {
        if cur == ancestor {
            return Ok(true);
        }
        if cur == "root" {
            return Ok(false);
        }
        match db
            .query_row("SELECT parent FROM nodes WHERE id = ?1", [&cur], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
        {
            Some(p) => cur = p,
            None => return Ok(false),
        }
    }
    Ok(false)
}

fn kind(node: &Value) -> &'static str {
    if node["type"] == "folder" {
        "folder"
    } else {
        "file"
    }
}

fn move_node(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let node = real_node(&db, ws, id)?;
    check_lock(&db, id, rq)?;
    let dest = nodes::folder(&db, ws, rq.params.req("parent")?)?;
    if node["type"] == "folder" && is_descendant(&db, &dest, id)? {
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

fn copy(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let mut db = st.db();
    let node = real_node(&db, ws, id)?;
    let dest = nodes::folder(&db, ws, rq.params.req("parent")?)?;
    if node["type"] == "folder" && is_descendant(&db, &dest, id)? {
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

fn update(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
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

fn trash(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
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

fn purge_route(st: &AppState, ws: &str, id: &str) -> ApiResult {
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

fn empty_trash(st: &AppState, ws: &str) -> ApiResult {
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

fn versions(st: &AppState, ws: &str, id: &str) -> ApiResult {
    let db = st.db();
    let node = real_node(&db, ws, id)?;
    let mut stmt = db.prepare("SELECT id, size, hash, hash_algo, name, created FROM versions WHERE node_id = ?1 ORDER BY created DESC, rowid DESC")?;
    let current = node["version"].as_str().unwrap_or("").to_string();
    let list = stmt
        .query_map([id], |r| {
            let vid: String = r.get(0)?;
            Ok(json!({
                "id": vid, "version_id": vid, "current": vid == current,
                "size": r.get::<_, i64>(1)?, "hash": r.get::<_, String>(2)?, "hash_algo": r.get::<_, String>(3)?,
                "name": r.get::<_, String>(4)?, "created": ids::iso(r.get(5)?),
            }))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(json!({"versions": list, "results": list.len()})))
}

fn search(st: &AppState, ws: &str, scope_root: &str, rq: &Req) -> ApiResult {
    let q = rq.params.req("search")?;
    let (limit, offset) = orgs::paging(&rq.params)?;
    let db = st.db();
    let mut hits = nodes::search(&db, ws, q)?;
    if scope_root != "root" {
        let mut kept = Vec::new();
        for h in hits {
            let id = h["id"].as_str().unwrap_or("");
            if id != scope_root && is_descendant(&db, id, scope_root)? {
                kept.push(h);
            }
        }
        hits = kept;
    }
    let total = hits.len();
    let mut files = serde_json::Map::new();
    for n in hits.into_iter().skip(offset as usize).take(limit as usize) {
        if let Some(id) = n["id"].as_str() {
            files.insert(id.to_string(), n.clone());
        }
    }
    Ok(ok(
        json!({"files": files, "results": total, "pagination": {"total": total, "limit": limit, "offset": offset, "has_more": (offset as usize + files.len()) < total}}),
    ))
}

const TOKEN_TTL_S: i64 = 7200;

fn request_token(st: &AppState, ws: &str, id: &str, kind_: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let node = if kind_ == "zip" && id == "root" {
        nodes::root_json(ws)
    } else {
        real_node(&db, ws, id)?
    };
    if kind_ == "read" && node["type"] != "file" {
        return Err(ApiError::invalid(
            "Only files can be read; use zip for folders.",
        ));
    }
    if kind_ == "zip" && node["type"] != "folder" {
        return Err(ApiError::invalid("Only folders can be zipped."));
    }
    // `requestread` takes no parameters; a version is chosen on `read/` (fastio_cli
    // src/api/download.rs:145-192 @96b1551). The service would ignore a `version_id` here and
    // serve the current version; refusing it makes that client bug visible.
    if rq.params.has("version_id") {
        return Err(ApiError::invalid_param(
            "version_id",
            "string",
            format!("'{kind_}' takes no version_id; pass version_id to the read call instead."),
        ));
    }
    let token = ids::random_alnum(48);
    db.execute(
        "INSERT INTO read_tokens(token, node_id, version_id, kind, expires) VALUES (?1,?2,NULL,?3,?4)",
        params![token, format!("{ws}:{id}"), kind_, ids::now_s() + TOKEN_TTL_S],
    )?;
    Ok(ok(
        json!({"token": token, "expires_in": TOKEN_TTL_S, "expires": ids::iso((ids::now_s() + TOKEN_TTL_S) * 1000)}),
    ))
}

/// Either a valid `token` for this node or an authenticated bearer request.
fn authorise_download(
    db: &Connection,
    ws: &str,
    id: &str,
    kind_: &str,
    rq: &Req,
) -> ApiResult<Option<String>> {
    if let Some(tok) = rq.params.get("token") {
        let row: Option<(String, Option<String>, String, i64)> = db
            .query_row(
                "SELECT node_id, version_id, kind, expires FROM read_tokens WHERE token = ?1",
                [tok],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        return match row {
            Some((n, v, k, exp))
                if n == format!("{ws}:{id}") && k == kind_ && exp > ids::now_s() =>
            {
                Ok(v)
            }
            _ if rq.authed => Ok(None),
            _ => Err(ApiError::denied(
                "The download token is invalid or expired.",
            )),
        };
    }
    if rq.authed {
        Ok(None)
    } else {
        Err(ApiError::unauthorized())
    }
}

fn parse_range(h: &str, len: u64) -> Option<(u64, u64)> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || len == 0 {
            return None;
        }
        let n = n.min(len);
        return Some((len - n, len - 1));
    }
    let start: u64 = a.parse().ok()?;
    let end: u64 = if b.is_empty() {
        len.checked_sub(1)?
    } else {
        b.parse::<u64>().ok()?.min(len.checked_sub(1)?)
    };
    (start <= end && start < len).then_some((start, end))
}

pub fn file_body(file: tokio::fs::File, len: u64) -> Body {
    let stream = futures_util::stream::unfold((file, len), |(mut f, remaining)| async move {
        if remaining == 0 {
            return None;
        }
        let mut buf = vec![0u8; remaining.min(256 * 1024) as usize];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((
                    Ok::<Bytes, std::io::Error>(Bytes::from(buf)),
                    (f, remaining - n as u64),
                ))
            }
            Err(e) => Some((Err(e), (f, 0))),
        }
    });
    Body::from_stream(stream)
}

async fn read(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let (path, size, name) = {
        let db = st.db();
        let node = real_node(&db, ws, id)?;
        if node["type"] != "file" {
            return Err(ApiError::invalid("Only files can be read."));
        }
        let tok_version = authorise_download(&db, ws, id, "read", rq)?;
        let version = tok_version.or_else(|| rq.params.get("version_id").map(str::to_string));
        let (blob, size, name) = nodes::version_blob(&db, id, version.as_deref())?;
        (st.blobs.blob_path(&blob)?, size, name)
    };
    let mut file = tokio::fs::File::open(&path).await?;
    let range = rq.headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, nodes::mimetype(&name))
        .header(header::ACCEPT_RANGES, "bytes")
        .header(
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                name.replace(['"', '\\'], "_")
            ),
        );
    let resp = match range {
        Some(r) => match parse_range(r, size) {
            Some((start, end)) => {
                file.seek(std::io::SeekFrom::Start(start)).await?;
                let len = end - start + 1;
                builder = builder
                    .status(StatusCode::PARTIAL_CONTENT)
                    .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"))
                    .header(header::CONTENT_LENGTH, len);
                builder.body(file_body(file, len))
            }
            None => builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                .body(Body::empty()),
        },
        None => builder
            .header(header::CONTENT_LENGTH, size)
            .body(file_body(file, size)),
    };
    resp.map_err(|_| ApiError::internal("could not build the response"))
}

/// Entries `(path inside the zip, blob or None for a folder)` under `folder`.
fn zip_entries(
    db: &Connection,
    folder: &str,
    prefix: &str,
    out: &mut Vec<(String, Option<String>)>,
    depth: u32,
) -> ApiResult<()> {
    if depth > 64 || out.len() > 100_000 {
        return Err(ApiError::invalid(
            "The folder is too large or too deep to zip.",
        ));
    }
    let kids: Vec<(String, String, String, Option<String>)> = {
        let mut stmt = db.prepare(
            "SELECT n.id, n.name, n.type, v.blob FROM nodes n LEFT JOIN versions v ON v.id = n.version_id WHERE n.parent = ?1 AND n.trashed = 0 ORDER BY n.name",
        )?;
        stmt.query_map([folder], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<Vec<_>, _>>()?
    };
    for (id, name, ty, blob) in kids {
        let path = format!("{prefix}{name}");
        if ty == "folder" {
            out.push((format!("{path}/"), None));
            zip_entries(db, &id, &format!("{path}/"), out, depth + 1)?;
        } else if let Some(b) = blob {
            out.push((path, Some(b)));
        }
    }
    Ok(())
}

async fn zip(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let (entries, name) = {
        let db = st.db();
        let (folder, name) = if id == "root" {
            ("root".to_string(), "root".to_string())
        } else {
            let n = real_node(&db, ws, id)?;
            if n["type"] != "folder" {
                return Err(ApiError::invalid("Only folders can be zipped."));
            }
            (
                id.to_string(),
                n["name"].as_str().unwrap_or("folder").to_string(),
            )
        };
        authorise_download(&db, ws, id, "zip", rq)?;
        let mut entries = Vec::new();
        // For root, the top-level query matches parent = 'root' within this workspace only
        // because node ids are global and root children carry the workspace in ws_id.
        if folder == "root" {
            let kids: Vec<(String, String, String, Option<String>)> = {
                let mut stmt = db.prepare("SELECT n.id, n.name, n.type, v.blob FROM nodes n LEFT JOIN versions v ON v.id = n.version_id WHERE n.ws_id = ?1 AND n.parent = 'root' AND n.trashed = 0 ORDER BY n.name")?;
                stmt.query_map([ws], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            for (kid, kname, ty, blob) in kids {
                if ty == "folder" {
                    entries.push((format!("{kname}/"), None));
                    zip_entries(&db, &kid, &format!("{kname}/"), &mut entries, 1)?;
                } else if let Some(b) = blob {
                    entries.push((kname, Some(b)));
                }
            }
        } else {
            zip_entries(&db, &folder, "", &mut entries, 0)?;
        }
        (entries, name)
    };
    let blobs = st.blobs.clone();
    let tmp = blobs.tmp_path();
    let tmp2 = tmp.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let f = std::fs::File::create(&tmp2)?;
        let mut zw = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        for (path, blob) in entries {
            match blob {
                None => zw
                    .add_directory(path.trim_end_matches('/'), opts)
                    .map_err(std::io::Error::other)?,
                Some(b) => {
                    zw.start_file(path, opts).map_err(std::io::Error::other)?;
                    let mut src = std::fs::File::open(blobs.blob_path(&b)?)?;
                    std::io::copy(&mut src, &mut zw)?;
                }
            }
        }
        let mut f = zw.finish().map_err(std::io::Error::other)?;
        f.flush()?;
        Ok(())
    })
    .await
    .map_err(|_| ApiError::internal("zip failed"))??;
    let file = tokio::fs::File::open(&tmp).await?;
    let len = file.metadata().await?.len();
    // The open handle keeps the bytes readable after the name is gone.
    let _ = std::fs::remove_file(&tmp);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/zip")
        .header(header::CONTENT_LENGTH, len)
        .header(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&format!(
                "attachment; filename=\"{}.zip\"",
                name.replace(['"', '\\'], "_")
            ))
            .unwrap_or(HeaderValue::from_static("attachment")),
        )
        .body(file_body(file, len))
        .map_err(|_| ApiError::internal("could not build the response"))
}

fn lock_json(tok: &str, exp: i64, client: Option<&str>) -> Value {
    json!({"lock_token": tok, "expires": exp, "expires_at": ids::iso(exp * 1000), "duration": exp - ids::now_s(), "client_info": client})
}

fn lock(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    real_node(&db, ws, id)?;
    let duration = rq.params.u64("duration")?.unwrap_or(300);
    if !(60..=3600).contains(&duration) {
        return Err(ApiError::invalid_param(
            "duration",
            "integer",
            "'duration' must be 60-3600 seconds.",
        ));
    }
    let (tok, exp): (Option<String>, Option<i64>) = db.query_row(
        "SELECT lock_token, lock_expires FROM nodes WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if tok.is_some()
        && exp.is_some_and(|e| e > ids::now_s())
        && rq.params.get("lock_token") != tok.as_deref()
    {
        return Err(ApiError::conflict("The node is already locked."));
    }
    let token = ids::random_alnum(40);
    let exp = ids::now_s() + duration as i64;
    let client = rq.params.get("client_info");
    db.execute(
        "UPDATE nodes SET lock_token = ?1, lock_expires = ?2, lock_client = ?3 WHERE id = ?4",
        params![token, exp, client, id],
    )?;
    Ok(ok(
        json!({"lock_token": token, "lock": lock_json(&token, exp, client)}),
    ))
}

fn lock_status(st: &AppState, ws: &str, id: &str) -> ApiResult {
    let db = st.db();
    real_node(&db, ws, id)?;
    let (exp, client): (Option<i64>, Option<String>) = db.query_row(
        "SELECT lock_expires, lock_client FROM nodes WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let locked = exp.is_some_and(|e| e > ids::now_s());
    let info = if locked {
        json!({"expires": exp, "client_info": client})
    } else {
        Value::Null
    };
    Ok(ok(json!({"locked": locked, "lock": info})))
}

/// Checks that `given` holds the node's lock.
fn held_lock(db: &Connection, id: &str, given: &str) -> ApiResult<String> {
    let (tok, exp): (Option<String>, Option<i64>) = db.query_row(
        "SELECT lock_token, lock_expires FROM nodes WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    match (tok, exp) {
        (Some(t), Some(e)) if t == given && e > ids::now_s() => Ok(t),
        _ => Err(ApiError::conflict(
            "The lock token does not hold the lock (expired or wrong).",
        )),
    }
}

fn heartbeat(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    real_node(&db, ws, id)?;
    let tok = held_lock(&db, id, rq.params.req("lock_token")?)?;
    let duration = rq.params.u64("duration")?.unwrap_or(300).clamp(60, 3600);
    let exp = ids::now_s() + duration as i64;
    db.execute(
        "UPDATE nodes SET lock_expires = ?1 WHERE id = ?2",
        params![exp, id],
    )?;
    let client: Option<String> =
        db.query_row("SELECT lock_client FROM nodes WHERE id = ?1", [id], |r| {
            r.get(0)
        })?;
    Ok(ok(
        json!({"lock_token": tok, "lock": lock_json(&tok, exp, client.as_deref())}),
    ))
}

/// `DELETE …/lock/`. The official client sends `lock_token` in a form body (fastio_cli
/// src/api/storage.rs:942-960, src/api/locking.rs:80-101 @96b1551), yet the same client notes
/// that DELETE bodies are not reliably parsed and uses the query elsewhere (fastio_cli
/// src/api/fileshare.rs:37-39 @96b1551). With the evidence mixed, both places are read here,
/// the body first.
fn unlock(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let given = rq.params.body_or_query().req("lock_token")?;
    let db = st.db();
    real_node(&db, ws, id)?;
    held_lock(&db, id, given)?;
    db.execute(
        "UPDATE nodes SET lock_token = NULL, lock_expires = NULL, lock_client = NULL WHERE id = ?1",
        [id],
    )?;
    Ok(ok(json!({"id": id, "locked": false})))
}
