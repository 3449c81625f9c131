//! What the ids in a path name: an org, a workspace, or a share's storage. Handlers call these
//! first, so a missing one is the same 404 on every route.

use rusqlite::{Connection, OptionalExtension};
use serde_json::{Value, json};

use crate::envelope::{ApiError, ApiResult};
use crate::ids;

/// Nothing, or a 404 when the org `id` does not exist.
pub fn org_exists(db: &Connection, id: &str) -> ApiResult<()> {
    let found: Option<String> = db
        .query_row("SELECT id FROM orgs WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    found
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("The organization does not exist."))
}

pub const WS_COLS: &str = "id, org_id, folder_name, name, description, perm_join, perm_member_manage, intelligence, created, updated";

/// A workspace row (selected with [`WS_COLS`]) as the API answers it.
pub fn ws_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(0)?,
        "org_id": r.get::<_, String>(1)?,
        "folder_name": r.get::<_, String>(2)?,
        "name": r.get::<_, String>(3)?,
        "description": r.get::<_, Option<String>>(4)?,
        "perm_join": r.get::<_, Option<String>>(5)?,
        "perm_member_manage": r.get::<_, Option<String>>(6)?,
        "intelligence": r.get::<_, i64>(7)? != 0,
        "created": ids::iso(r.get(8)?),
        "updated": ids::iso(r.get(9)?),
    }))
}

/// The workspace `id`, or a 404 when there is none.
pub fn workspace(db: &Connection, id: &str) -> ApiResult<Value> {
    db.query_row(
        &format!("SELECT {WS_COLS} FROM workspaces WHERE id = ?1"),
        [id],
        ws_json,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The workspace does not exist."))
}

/// Where a share's files live: `(namespace, root)`. A `workspace_folder` share shows its
/// workspace folder (namespace = the workspace, root = the folder); an `independent` share has
/// storage of its own (namespace = the share id, root = `root`).
pub fn storage_scope(db: &Connection, id: &str) -> ApiResult<(String, String)> {
    let row: Option<(String, String, Option<String>)> = db
        .query_row(
            "SELECT ws_id, storage_mode, folder_node_id FROM shares WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match row {
        None => Err(ApiError::not_found("The share does not exist.")),
        Some((ws, mode, Some(folder))) if mode == "workspace_folder" => Ok((ws, folder)),
        Some(_) => Ok((id.to_string(), "root".to_string())),
    }
}
