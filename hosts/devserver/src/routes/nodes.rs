//! Storage nodes shared by the storage and upload routes: lookup, JSON shape, placement.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use crate::envelope::{ApiError, ApiResult};
use crate::ids;

/// Names are display data only (bytes are stored under generated ids), but reject what no
/// file system would accept so clients get a clear 400.
pub fn valid_name(name: &str) -> Result<(), ApiError> {
    let bad = name.is_empty()
        || name.len() > 255
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\\')
        || name.chars().any(char::is_control);
    if bad {
        return Err(ApiError::invalid_param(
            "name",
            "string",
            "The name is empty, too long, or contains '/', '\\' or control characters.",
        ));
    }
    Ok(())
}

pub fn mimetype(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

pub fn is_text(mimetype: &str) -> bool {
    mimetype.starts_with("text/") || mimetype == "application/json"
}

const SELECT: &str = "SELECT n.id, n.name, n.type, n.parent, n.mimetype, n.version_id, n.created, n.modified, \
    n.trashed, n.metadata_title, n.metadata_short, n.lock_token, n.lock_expires, n.lock_client, \
    v.size, v.hash, v.hash_algo, n.ws_id FROM nodes n LEFT JOIN versions v ON v.id = n.version_id";

pub fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let lock_exp: Option<i64> = r.get(12)?;
    let locked = lock_exp.is_some_and(|e| e > ids::now_s());
    let ty: String = r.get(2)?;
    Ok(json!({
        "id": r.get::<_, String>(0)?,
        "name": r.get::<_, String>(1)?,
        "type": ty,
        "parent": r.get::<_, String>(3)?,
        "mimetype": r.get::<_, Option<String>>(4)?,
        "version": r.get::<_, Option<String>>(5)?,
        "created": ids::iso(r.get(6)?),
        "modified": ids::iso(r.get(7)?),
        "trashed": r.get::<_, i64>(8)? != 0,
        "metadata_title": r.get::<_, Option<String>>(9)?,
        "metadata_short": r.get::<_, Option<String>>(10)?,
        "locked": locked,
        "lock_info": if locked { json!({"expires": lock_exp, "client_info": r.get::<_, Option<String>>(13)?}) } else { Value::Null },
        "size": r.get::<_, Option<i64>>(14)?.unwrap_or(0),
        "hash": r.get::<_, Option<String>>(15)?,
        "hash_algo": r.get::<_, Option<String>>(16)?,
        "summary": null,
        "previews": null,
        "ai": {"state": "disabled"},
        "origin": {"type": if ty == "folder" { "user" } else { "upload" }},
        "workspace_id": r.get::<_, String>(17)?,
    }))
}

pub fn root_json(ws: &str) -> Value {
    json!({"id": "root", "name": "", "type": "folder", "parent": null, "size": 0, "workspace_id": ws,
           "locked": false, "lock_info": null, "ai": {"state": "disabled"}})
}

pub fn get(db: &Connection, ws: &str, id: &str) -> ApiResult<Value> {
    if id == "root" {
        return Ok(root_json(ws));
    }
    db.query_row(
        &format!("{SELECT} WHERE n.id = ?1 AND n.ws_id = ?2"),
        params![id, ws],
        row_json,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found(format!("The node '{id}' does not exist.")))
}

pub fn children(db: &Connection, ws: &str, parent: &str) -> ApiResult<Vec<Value>> {
    let mut stmt = if parent == "trash" {
        db.prepare(&format!(
            "{SELECT} WHERE n.ws_id = ?1 AND n.trashed = 1 AND ?2 = 'trash'"
        ))?
    } else {
        db.prepare(&format!(
            "{SELECT} WHERE n.ws_id = ?1 AND n.parent = ?2 AND n.trashed = 0"
        ))?
    };
    Ok(stmt
        .query_map(params![ws, parent], row_json)?
        .collect::<Result<Vec<_>, _>>()?)
}

pub fn search(db: &Connection, ws: &str, needle: &str) -> ApiResult<Vec<Value>> {
    let mut stmt = db.prepare(&format!("{SELECT} WHERE n.ws_id = ?1 AND n.trashed = 0 AND instr(lower(n.name), lower(?2)) > 0 ORDER BY n.name"))?;
    let all = stmt
        .query_map(params![ws, needle], row_json)?
        .collect::<Result<Vec<_>, _>>()?;
    // Hide nodes inside trashed folders.
    Ok(all
        .into_iter()
        .filter(|n| live(db, n["id"].as_str().unwrap_or("")).unwrap_or(false))
        .collect())
}

/// True when the node and all its ancestors are out of the trash.
pub fn live(db: &Connection, id: &str) -> ApiResult<bool> {
    let mut cur = id.to_string();
    for _ in 0..1000 {
        if cur == "root" {
            return Ok(true);
        }
        let row: Option<(String, i64)> = db
            .query_row(
                "SELECT parent, trashed FROM nodes WHERE id = ?1",
                [&cur],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            None => return Ok(false),
            Some((_, 1)) => return Ok(false),
            Some((p, _)) => cur = p,
        }
    }
    Ok(false)
}

/// Checks that `id` names a live folder of the workspace ("root" included).
pub fn folder(db: &Connection, ws: &str, id: &str) -> ApiResult<String> {
    if id == "root" {
        return Ok("root".into());
    }
    let ty: Option<String> = db
        .query_row(
            "SELECT type FROM nodes WHERE id = ?1 AND ws_id = ?2",
            params![id, ws],
            |r| r.get(0),
        )
        .optional()?;
    match ty.as_deref() {
        Some("folder") if live(db, id)? => Ok(id.to_string()),
        Some("folder") => Err(ApiError::not_found("The folder is in the trash.")),
        Some(_) => Err(ApiError::invalid_param(
            "folder_id",
            "folder",
            "The node is not a folder.",
        )),
        None => Err(ApiError::not_found(format!(
            "The folder '{id}' does not exist."
        ))),
    }
}

pub fn sibling(
    db: &Connection,
    ws: &str,
    parent: &str,
    name: &str,
) -> ApiResult<Option<(String, String)>> {
    Ok(db
        .query_row(
            "SELECT id, type FROM nodes WHERE ws_id = ?1 AND parent = ?2 AND name = ?3 AND trashed = 0",
            params![ws, parent, name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub struct Stored<'a> {
    pub blob: &'a str,
    pub size: u64,
    pub md5: &'a str,
    pub crc32c: &'a str,
}

/// Places stored bytes as `name` in `folder`: a new node, or a new version of the file that
/// already has that name. Returns the node id and whether it is new.
pub fn place_file(
    db: &Connection,
    ws: &str,
    folder_id: &str,
    name: &str,
    s: &Stored<'_>,
) -> ApiResult<(String, bool)> {
    valid_name(name)?;
    let folder_id = folder(db, ws, folder_id)?;
    let now = ids::now_ms();
    let version = ids::node_id();
    let (node, new) = match sibling(db, ws, &folder_id, name)? {
        Some((id, ty)) if ty == "file" => (id, false),
        Some(_) => {
            return Err(ApiError::conflict(
                "A folder with that name already exists.",
            ));
        }
        None => (ids::node_id(), true),
    };
    db.execute(
        "INSERT INTO versions(id, node_id, blob, size, hash, hash_algo, crc32c, name, created) VALUES (?1,?2,?3,?4,?5,'md5',?6,?7,?8)",
        params![version, node, s.blob, s.size as i64, s.md5, s.crc32c, name, now],
    )?;
    if new {
        db.execute(
            "INSERT INTO nodes(id, ws_id, parent, name, type, mimetype, version_id, created, modified) VALUES (?1,?2,?3,?4,'file',?5,?6,?7,?7)",
            params![node, ws, folder_id, name, mimetype(name), version, now],
        )?;
    } else {
        db.execute(
            "UPDATE nodes SET version_id = ?1, modified = ?2 WHERE id = ?3",
            params![version, now, node],
        )?;
    }
    Ok((node, new))
}

/// The blob path of a file node's current (or given) version.
pub fn version_blob(
    db: &Connection,
    node: &str,
    version: Option<&str>,
) -> ApiResult<(String, u64, String)> {
    let row: Option<(String, i64, String)> = match version {
        Some(v) => db
            .query_row("SELECT blob, size, name FROM versions WHERE id = ?1 AND node_id = ?2", params![v, node], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?,
        None => db
            .query_row(
                "SELECT v.blob, v.size, n.name FROM nodes n JOIN versions v ON v.id = n.version_id WHERE n.id = ?1",
                [node],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?,
    };
    row.map(|(b, s, n)| (b, s as u64, n))
        .ok_or_else(|| ApiError::not_found("The file or version does not exist."))
}

/// A file's versions, newest first, `current` marked.
pub fn versions(db: &Connection, node: &str, current: &str) -> ApiResult<Vec<Value>> {
    let mut stmt = db.prepare("SELECT id, size, hash, hash_algo, name, created FROM versions WHERE node_id = ?1 ORDER BY created DESC, rowid DESC")?;
    Ok(stmt
        .query_map([node], |r| {
            let vid: String = r.get(0)?;
            Ok(json!({
                "id": vid, "version_id": vid, "current": vid == current,
                "size": r.get::<_, i64>(1)?, "hash": r.get::<_, String>(2)?, "hash_algo": r.get::<_, String>(3)?,
                "name": r.get::<_, String>(4)?, "created": ids::iso(r.get(5)?),
            }))
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// True when `candidate` is `ancestor` or lies below it.
pub fn is_descendant(db: &Connection, candidate: &str, ancestor: &str) -> ApiResult<bool> {
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
