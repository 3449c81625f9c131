//! Shares, with the documented rules: password and "Anyone with the link" only on send
//! shares; one share per folder; folder-backed shares have no expiry and no intelligence.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::paging::{page, paging};
use super::request::Req;
use super::{nodes, scope};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::params::Params;
use crate::state::AppState;

const COLS: &str = "id, ws_id, title, description, share_type, storage_mode, folder_node_id, custom_name, access_options, \
    password, download_security, anonymous_uploads_enabled, intelligence, created, updated";

fn share_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let mode: String = r.get(5)?;
    let custom: String = r.get(7)?;
    let id: String = r.get(0)?;
    Ok(json!({
        "id": id,
        "share_id": id,
        "workspace_id": r.get::<_, String>(1)?,
        "title": r.get::<_, Option<String>>(2)?,
        "description": r.get::<_, Option<String>>(3)?,
        "share_type": r.get::<_, String>(4)?,
        "storage_mode": mode,
        "share_category": if mode == "workspace_folder" { "shared_folder" } else { "portal" },
        "folder_node_id": r.get::<_, Option<String>>(6)?,
        "custom_name": custom,
        "link": format!("https://go.fast.io/shared/{custom}/{id}"),
        "access_options": r.get::<_, Option<String>>(8)?,
        "password_protected": r.get::<_, Option<String>>(9)?.is_some(),
        "download_security": r.get::<_, Option<String>>(10)?,
        "anonymous_uploads_enabled": r.get::<_, i64>(11)? != 0,
        "intelligence": r.get::<_, i64>(12)? != 0,
        "created": ids::iso(r.get(13)?),
        "updated": ids::iso(r.get(14)?),
    }))
}

fn load(db: &Connection, id: &str) -> ApiResult<Value> {
    db.query_row(
        &format!("SELECT {COLS} FROM shares WHERE id = ?1"),
        [id],
        share_json,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The share does not exist."))
}

fn check_rules(share_type: &str, folder_backed: bool, p: &Params) -> ApiResult<()> {
    if p.get("password").is_some() && share_type != "send" {
        return Err(ApiError::invalid_param(
            "password",
            "string",
            "A password is allowed on send shares only.",
        ));
    }
    if p.get("access_options")
        .is_some_and(|a| a.eq_ignore_ascii_case("Anyone with the link"))
        && share_type != "send"
    {
        return Err(ApiError::invalid_param(
            "access_options",
            "string",
            "'Anyone with the link' is allowed on send shares only.",
        ));
    }
    if folder_backed && (p.get("expires").is_some() || p.bool("intelligence") || p.bool("archived"))
    {
        return Err(ApiError::invalid(
            "A folder-backed share cannot expire, be archived, or have intelligence.",
        ));
    }
    if let Some(d) = p.get("download_security")
        && !["off", "medium", "high"].contains(&d)
    {
        return Err(ApiError::invalid_param(
            "download_security",
            "string",
            "'download_security' must be off, medium or high.",
        ));
    }
    Ok(())
}

/// `POST workspace/{ws}/create/share/`. `title` and `intelligence` are required; `share_type`
/// defaults to `exchange` (fastio_cli src/api/share.rs:56-66, 105-106, 124-160 @96b1551).
pub fn create(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let p = &rq.params;
    p.require_all(&["title", "intelligence"])?;
    let intelligence = p.flag_req("intelligence")?;
    let share_type = p.get("share_type").unwrap_or("exchange");
    if !["send", "receive", "exchange"].contains(&share_type) {
        return Err(ApiError::invalid_param(
            "share_type",
            "string",
            "'share_type' must be send, receive or exchange.",
        ));
    }
    let mode = match p.get("storage_mode").unwrap_or("independent") {
        "independent" | "room" | "portal" => "independent",
        "workspace_folder" | "shared_folder" => "workspace_folder",
        _ => {
            return Err(ApiError::invalid_param(
                "storage_mode",
                "string",
                "'storage_mode' must be independent or workspace_folder.",
            ));
        }
    };
    let db = st.db();
    scope::workspace(&db, ws)?;
    let mut folder = p.get("folder_node_id").map(str::to_string);
    if folder.is_none() && p.bool("create_folder") {
        let name = p.req("folder_name")?;
        nodes::valid_name(name)?;
        if nodes::sibling(&db, ws, "root", name)?.is_some() {
            return Err(ApiError::conflict(
                "A folder with that name already exists.",
            ));
        }
        let id = ids::node_id();
        db.execute(
            "INSERT INTO nodes(id, ws_id, parent, name, type, created, modified) VALUES (?1,?2,'root',?3,'folder',?4,?4)",
            params![id, ws, name, ids::now_ms()],
        )?;
        folder = Some(id);
    }
    if mode == "workspace_folder" && folder.is_none() {
        return Err(ApiError::missing("folder_node_id"));
    }
    check_rules(share_type, folder.is_some(), p)?;
    if let Some(f) = &folder {
        nodes::folder(&db, ws, f)?;
        let taken: Option<String> = db
            .query_row(
                "SELECT id FROM shares WHERE folder_node_id = ?1",
                [f],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(ApiError::conflict(
                "This folder is already shared; each folder can be shared once.",
            ));
        }
    }
    let id = ids::profile_id();
    let now = ids::now_ms();
    db.execute(
        &format!(
            "INSERT INTO shares({COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?14)"
        ),
        params![
            id,
            ws,
            p.get("title"),
            p.get("description"),
            share_type,
            mode,
            folder,
            ids::random_alnum(10),
            p.get("access_options"),
            p.get("password"),
            p.get("download_security").unwrap_or("off"),
            p.bool("anonymous_uploads_enabled") as i64,
            intelligence as i64,
            now
        ],
    )?;
    Ok(ok(json!({"id": id, "share": load(&db, &id)?})))
}

pub fn details(st: &AppState, id: &str) -> ApiResult {
    Ok(ok(json!({"share": load(&st.db(), id)?})))
}

pub fn update(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let cur = load(&db, id)?;
    let p = &rq.params;
    let share_type = cur["share_type"].as_str().unwrap_or("exchange").to_string();
    check_rules(&share_type, cur["folder_node_id"].is_string(), p)?;
    for col in [
        "title",
        "description",
        "access_options",
        "password",
        "download_security",
    ] {
        if let Some(v) = p.get(col) {
            db.execute(
                &format!("UPDATE shares SET {col} = ?1 WHERE id = ?2"),
                params![v, id],
            )?;
        }
    }
    for col in ["anonymous_uploads_enabled", "intelligence"] {
        if p.get(col).is_some() {
            db.execute(
                &format!("UPDATE shares SET {col} = ?1 WHERE id = ?2"),
                params![p.bool(col) as i64, id],
            )?;
        }
    }
    db.execute(
        "UPDATE shares SET updated = ?1 WHERE id = ?2",
        params![ids::now_ms(), id],
    )?;
    Ok(ok(json!({"share": load(&db, id)?})))
}

/// `DELETE share/{id}/delete/` with `confirm` in the form body, required, equal to the share id
/// or its custom name (fastio_cli src/api/share.rs:303-315 @96b1551). Unlike other DELETEs, the
/// query string is not read here: the official client sends `confirm` only in the body.
pub fn delete(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let confirm = rq.params.body().req("confirm")?;
    let db = st.db();
    let share = load(&db, id)?;
    if confirm != id && share["custom_name"].as_str() != Some(confirm) {
        return Err(ApiError::invalid_param(
            "confirm",
            "string",
            "'confirm' must equal the share id or its custom name.",
        ));
    }
    db.execute("DELETE FROM shares WHERE id = ?1", [id])?;
    Ok(ok(json!({"id": id, "deleted": true})))
}

pub fn list(st: &AppState, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let mut stmt = db.prepare(&format!("SELECT {COLS} FROM shares ORDER BY created"))?;
    let all = stmt
        .query_map([], share_json)?
        .collect::<Result<Vec<_>, _>>()?;
    let (shares, pagination) = page(all, limit, offset);
    Ok(ok(json!({"shares": shares, "pagination": pagination})))
}
