//! Workspace management beyond create, details and update (fastio_cli src/api/workspace.rs
//! @96b1551): delete with its confirmation, archive and unarchive, limits, the workspace's
//! shares, name checks, imports and the background-jobs snapshot. The answers' shapes are this
//! server's choice where the reference is silent.

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use super::paging::{page, paging};
use super::request::Req;
use super::scope::workspace;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::state::AppState;

fn archived_key(ws: &str) -> String {
    format!("archived:{ws}")
}

/// `DELETE workspace/{id}/delete/?confirm=…`: `confirm` repeats the folder name or the id.
pub fn delete(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let confirm = rq.params.query().req("confirm")?;
    let db = st.db();
    let w = workspace(&db, ws)?;
    if confirm != ws && w["folder_name"].as_str() != Some(confirm) {
        return Err(ApiError::invalid_param(
            "confirm",
            "string",
            "'confirm' must equal the workspace's folder name or id.",
        ));
    }
    db.execute_batch("BEGIN")?;
    let done = (|| -> rusqlite::Result<()> {
        db.execute(
            "DELETE FROM versions WHERE node_id IN (SELECT id FROM nodes WHERE ws_id = ?1)",
            [ws],
        )?;
        db.execute("DELETE FROM nodes WHERE ws_id = ?1", [ws])?;
        db.execute("DELETE FROM workspaces WHERE id = ?1", [ws])?;
        db.execute("DELETE FROM meta WHERE key = ?1", [archived_key(ws)])?;
        Ok(())
    })();
    match done {
        Ok(()) => db.execute_batch("COMMIT")?,
        Err(e) => {
            db.execute_batch("ROLLBACK")?;
            return Err(e.into());
        }
    }
    Ok(ok(json!({"id": ws, "deleted": true})))
}

/// `POST workspace/{id}/archive/` and `…/unarchive/`.
pub fn set_archived(st: &AppState, ws: &str, archived: bool) -> ApiResult {
    let db = st.db();
    workspace(&db, ws)?;
    let now: Option<String> = db
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [archived_key(ws)],
            |r| r.get(0),
        )
        .optional()?;
    if now.is_some() == archived {
        return Err(ApiError::conflict(if archived {
            "The workspace is archived already."
        } else {
            "The workspace is not archived."
        }));
    }
    if archived {
        db.execute(
            "INSERT INTO meta(key, value) VALUES (?1, '1')",
            [archived_key(ws)],
        )?;
    } else {
        db.execute("DELETE FROM meta WHERE key = ?1", [archived_key(ws)])?;
    }
    let mut w = workspace(&db, ws)?;
    w["archived"] = json!(archived);
    Ok(ok(json!({"workspace": w})))
}

/// `GET workspace/{id}/limits/`: this server's upload limits and what the workspace uses.
pub fn limits(st: &AppState, ws: &str) -> ApiResult {
    let db = st.db();
    workspace(&db, ws)?;
    let (files, bytes): (i64, i64) = db.query_row(
        "SELECT COUNT(*), COALESCE(SUM(v.size), 0) FROM nodes n JOIN versions v ON v.id = n.version_id WHERE n.ws_id = ?1 AND n.trashed = 0",
        [ws],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(ok(json!({"limits": {
        "max_file_size": st.cfg.max_file_size,
        "max_chunk_size": st.cfg.max_chunk_size,
        "files": files,
        "storage_used": bytes,
    }})))
}

/// `GET workspace/{id}/list/shares/` with `limit` and `offset`.
pub fn shares(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    workspace(&db, ws)?;
    let mut stmt = db.prepare(
        "SELECT id, title, share_type, storage_mode FROM shares WHERE ws_id = ?1 ORDER BY created, id",
    )?;
    let all = stmt
        .query_map([ws], |r| {
            let id: String = r.get(0)?;
            Ok(json!({"id": id, "share_id": id, "title": r.get::<_, Option<String>>(1)?,
                      "share_type": r.get::<_, String>(2)?, "storage_mode": r.get::<_, String>(3)?}))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let (shares, pagination) = page(all, limit, offset);
    Ok(ok(json!({"shares": shares, "pagination": pagination})))
}

/// `GET workspaces/check/name/{name}/`: whether a folder name is free and well formed.
pub fn check_name(st: &AppState, name: &str) -> ApiResult {
    let valid = (2..=80).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let taken: Option<String> = st
        .db()
        .query_row(
            "SELECT id FROM workspaces WHERE folder_name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(ok(
        json!({"name": name, "valid": valid, "available": valid && taken.is_none()}),
    ))
}

/// `GET workspace/{id}/jobs/status/`: no background jobs run here.
pub fn jobs(st: &AppState, ws: &str) -> ApiResult {
    workspace(&st.db(), ws)?;
    Ok(ok(
        json!({"jobs": {"intelligence": null, "summarize": null, "upsert_file": null,
                          "metadata_extract": [], "template_match": []}}),
    ))
}

/// `POST workspace/{id}/import/enable/` and `…/disable/`.
pub fn set_import(st: &AppState, ws: &str, on: bool) -> ApiResult {
    let db = st.db();
    workspace(&db, ws)?;
    let key = format!("import:{ws}");
    if on {
        db.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, '1')",
            params![key],
        )?;
    } else {
        db.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    }
    Ok(ok(json!({"id": ws, "import_enabled": on})))
}
