//! Orgs and workspaces.

use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::paging::{page, paging};
use super::request::Req;
use super::scope::{WS_COLS, org_exists, workspace, ws_json};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;

fn org_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, String>(0)?,
        "domain": r.get::<_, String>(1)?,
        "name": r.get::<_, String>(2)?,
        "owner_id": r.get::<_, String>(3)?,
        "created": ids::iso(r.get(4)?),
        "member": true,
        "subscriber": true,
        "plan": "devserver",
    }))
}

pub fn list(st: &AppState, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let mut stmt =
        db.prepare("SELECT id, domain, name, owner_id, created FROM orgs ORDER BY created")?;
    let all = stmt
        .query_map([], org_json)?
        .collect::<Result<Vec<_>, _>>()?;
    let (orgs, pagination) = page(all, limit, offset);
    Ok(ok(json!({"orgs": orgs, "pagination": pagination})))
}

pub fn list_external() -> ApiResult {
    Ok(ok(
        json!({"orgs": [], "pagination": {"total": 0, "limit": 100, "offset": 0, "has_more": false}}),
    ))
}

pub fn details(st: &AppState, id: &str) -> ApiResult {
    let db = st.db();
    let org = db
        .query_row(
            "SELECT id, domain, name, owner_id, created FROM orgs WHERE id = ?1",
            [id],
            org_json,
        )
        .optional()?
        .ok_or_else(|| ApiError::not_found("The organization does not exist."))?;
    Ok(ok(json!({"org": org})))
}

fn valid_domain(d: &str) -> bool {
    (2..=80).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub fn create(st: &AppState, rq: &Req) -> ApiResult {
    let domain = rq.params.req("domain")?.to_ascii_lowercase();
    let name = rq.params.get("name").unwrap_or(&domain).to_string();
    if !valid_domain(&domain) {
        return Err(ApiError::invalid_param(
            "domain",
            "string",
            "'domain' must be 2-80 letters, digits or hyphens.",
        ));
    }
    let id = ids::profile_id();
    let db = st.db();
    let taken: Option<String> = db
        .query_row("SELECT id FROM orgs WHERE domain = ?1", [&domain], |r| {
            r.get(0)
        })
        .optional()?;
    if taken.is_some() {
        return Err(ApiError::conflict("That domain is already in use."));
    }
    db.execute(
        "INSERT INTO orgs(id, domain, name, owner_id, created) VALUES (?1,?2,?3,?4,?5)",
        params![id, domain, name, st.user_id, ids::now_ms()],
    )?;
    let org = db.query_row(
        "SELECT id, domain, name, owner_id, created FROM orgs WHERE id = ?1",
        [&id],
        org_json,
    )?;
    Ok(ok(json!({"id": id, "org": org})))
}

pub fn workspaces(st: &AppState, org: Option<&str>, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let all = if let Some(org) = org {
        org_exists(&db, org)?;
        let mut stmt = db.prepare(&format!(
            "SELECT {WS_COLS} FROM workspaces WHERE org_id = ?1 ORDER BY created"
        ))?;
        stmt.query_map([org], ws_json)?
            .collect::<Result<Vec<_>, _>>()?
    } else {
        let mut stmt = db.prepare(&format!(
            "SELECT {WS_COLS} FROM workspaces ORDER BY created"
        ))?;
        stmt.query_map([], ws_json)?
            .collect::<Result<Vec<_>, _>>()?
    };
    let (ws, pagination) = page(all, limit, offset);
    Ok(ok(json!({"workspaces": ws, "pagination": pagination})))
}

/// Allowed `perm_join` values (fastio_cli src/api/workspace.rs:54-92 @96b1551).
const PERM_JOIN: &[&str] = &["Member or above", "Admin or above", "Only Org Owners"];
/// Allowed `perm_member_manage` values (same source).
const PERM_MEMBER_MANAGE: &[&str] = &["Member or above", "Admin or above"];

fn one_of<'a>(name: &str, v: &'a str, allowed: &[&str]) -> ApiResult<&'a str> {
    if allowed.contains(&v) {
        Ok(v)
    } else {
        Err(ApiError::invalid_param(
            name,
            "string",
            format!("'{name}' must be one of: {}.", allowed.join(", ")),
        ))
    }
}

/// `POST org/{org}/create/workspace/`. The service requires all of `folder_name`, `name`,
/// `perm_join`, `perm_member_manage` and `intelligence` and derives none of them (fastio_cli
/// src/api/org.rs:880-933 @96b1551), so a missing one is a 400 naming it.
pub fn create_workspace(st: &AppState, org: &str, rq: &Req) -> ApiResult {
    let p = &rq.params;
    p.require_all(&[
        "folder_name",
        "name",
        "perm_join",
        "perm_member_manage",
        "intelligence",
    ])?;
    let folder = p.req("folder_name")?.to_ascii_lowercase();
    let name = p.req("name")?;
    let perm_join = one_of("perm_join", p.req("perm_join")?, PERM_JOIN)?;
    let perm_manage = one_of(
        "perm_member_manage",
        p.req("perm_member_manage")?,
        PERM_MEMBER_MANAGE,
    )?;
    let intelligence = p.flag_req("intelligence")?;
    if name.len() > 200 {
        return Err(ApiError::invalid_param(
            "name",
            "string",
            "'name' is too long.",
        ));
    }
    if !valid_domain(&folder) {
        return Err(ApiError::invalid_param(
            "folder_name",
            "string",
            "'folder_name' must be 2-80 letters, digits or hyphens.",
        ));
    }
    let db = st.db();
    org_exists(&db, org)?;
    let taken: Option<String> = db
        .query_row(
            "SELECT id FROM workspaces WHERE folder_name = ?1",
            [&folder],
            |r| r.get(0),
        )
        .optional()?;
    if taken.is_some() {
        return Err(ApiError::conflict("That folder_name is already in use."));
    }
    let id = ids::profile_id();
    let now = ids::now_ms();
    db.execute(
        "INSERT INTO workspaces(id, org_id, folder_name, name, description, perm_join, perm_member_manage, intelligence, created, updated) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9)",
        params![id, org, folder, name, p.get("description"), perm_join, perm_manage, intelligence as i64, now],
    )?;
    Ok(ok(json!({"id": id, "workspace": workspace(&db, &id)?})))
}

pub fn workspace_details(st: &AppState, id: &str) -> ApiResult {
    let db = st.db();
    Ok(ok(json!({"workspace": workspace(&db, id)?})))
}

pub fn workspace_update(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    workspace(&db, id)?;
    let p = &rq.params;
    if let Some(v) = p.get("perm_join") {
        one_of("perm_join", v, PERM_JOIN)?;
    }
    if let Some(v) = p.get("perm_member_manage") {
        one_of("perm_member_manage", v, PERM_MEMBER_MANAGE)?;
    }
    for col in ["name", "description", "perm_join", "perm_member_manage"] {
        if let Some(v) = p.get(col) {
            db.execute(
                &format!("UPDATE workspaces SET {col} = ?1 WHERE id = ?2"),
                params![v, id],
            )?;
        }
    }
    if p.get("intelligence").is_some() {
        db.execute(
            "UPDATE workspaces SET intelligence = ?1 WHERE id = ?2",
            params![p.flag_req("intelligence")? as i64, id],
        )?;
    }
    db.execute(
        "UPDATE workspaces SET updated = ?1 WHERE id = ?2",
        params![ids::now_ms(), id],
    )?;
    Ok(ok(json!({"workspace": workspace(&db, id)?})))
}

/// The org settings `update` keeps beside name and domain (fastio_cli src/api/org.rs:127-185
/// @96b1551), stored as sent.
const ORG_SETTINGS: &[&str] = &[
    "description",
    "industry",
    "billing_email",
    "homepage",
    "accent_color",
    "background_color",
    "background_mode",
    "use_background",
    "facebook",
    "twitter",
    "instagram",
    "youtube",
    "perm_member_manage",
    "perm_auth_domains",
    "owner_defined",
];

fn load_org(db: &rusqlite::Connection, id: &str) -> ApiResult<Value> {
    let mut org = db
        .query_row(
            "SELECT id, domain, name, owner_id, created FROM orgs WHERE id = ?1",
            [id],
            org_json,
        )
        .optional()?
        .ok_or_else(|| ApiError::not_found("The organization does not exist."))?;
    let settings: Option<String> = db
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [format!("org_settings:{id}")],
            |r| r.get(0),
        )
        .optional()?;
    if let (Some(Value::Object(extra)), Value::Object(o)) = (
        settings.and_then(|s| serde_json::from_str::<Value>(&s).ok()),
        &mut org,
    ) {
        o.extend(extra);
    }
    Ok(org)
}

/// `POST org/{id}/update/`: name and domain, and the settings of [`ORG_SETTINGS`]; a field
/// outside them is refused rather than dropped.
pub fn update(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let p = rq.params.body();
    let db = st.db();
    let cur = load_org(&db, id)?;
    if let Some(unknown) = rq
        .params
        .body_names()
        .into_iter()
        .find(|k| k != "name" && k != "domain" && !ORG_SETTINGS.contains(&k.as_str()))
    {
        return Err(ApiError::invalid_param(
            &unknown,
            "string",
            format!("'{unknown}' is not an org setting."),
        ));
    }
    let mut changed = false;
    if let Some(d) = p.get("domain") {
        let d = d.to_ascii_lowercase();
        if !valid_domain(&d) {
            return Err(ApiError::invalid_param(
                "domain",
                "string",
                "'domain' must be 2-80 letters, digits or hyphens.",
            ));
        }
        let taken: Option<String> = db
            .query_row(
                "SELECT id FROM orgs WHERE domain = ?1 AND id != ?2",
                params![d, id],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(ApiError::conflict("That domain is already in use."));
        }
        db.execute("UPDATE orgs SET domain = ?1 WHERE id = ?2", params![d, id])?;
        changed = true;
    }
    if let Some(n) = p.get("name") {
        db.execute("UPDATE orgs SET name = ?1 WHERE id = ?2", params![n, id])?;
        changed = true;
    }
    let mut settings = serde_json::Map::new();
    for k in ORG_SETTINGS {
        if let Some(v) = cur.get(*k) {
            settings.insert((*k).to_string(), v.clone());
        }
        if p.has(k) {
            settings.insert((*k).to_string(), json!(p.get(k)));
            changed = true;
        }
    }
    if !changed {
        return Err(ApiError::invalid("The update changes nothing."));
    }
    db.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
        params![
            format!("org_settings:{id}"),
            Value::Object(settings).to_string()
        ],
    )?;
    Ok(ok(json!({"org": load_org(&db, id)?})))
}

/// `POST org/{id}/close/` (form `confirm`: the domain or the id). An org that still holds
/// workspaces is not closed (409), nor the default org.
pub fn close(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let confirm = rq.params.body().req("confirm")?;
    let db = st.db();
    let org = load_org(&db, id)?;
    if confirm != id && org["domain"].as_str() != Some(confirm) {
        return Err(ApiError::invalid_param(
            "confirm",
            "string",
            "'confirm' must equal the org's domain or id.",
        ));
    }
    if id == st.default_org {
        return Err(ApiError::denied(
            "The account's default org cannot be closed.",
        ));
    }
    let n: i64 = db.query_row(
        "SELECT COUNT(*) FROM workspaces WHERE org_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    if n > 0 {
        return Err(ApiError::conflict("Delete the org's workspaces first."));
    }
    db.execute("DELETE FROM orgs WHERE id = ?1", [id])?;
    db.execute(
        "DELETE FROM meta WHERE key = ?1",
        [format!("org_settings:{id}")],
    )?;
    Ok(ok(json!({"id": id, "closed": true})))
}

/// `GET org/{id}/public/details/`: what anyone may see.
pub fn public_details(st: &AppState, id: &str) -> ApiResult {
    let org = load_org(&st.db(), id)?;
    Ok(ok(
        json!({"org": {"id": org["id"], "domain": org["domain"], "name": org["name"],
                         "description": org.get("description")}}),
    ))
}

/// `GET orgs/check/domain/{domain}/`.
pub fn check_domain(st: &AppState, domain: &str) -> ApiResult {
    let d = domain.to_ascii_lowercase();
    let taken: Option<String> = st
        .db()
        .query_row("SELECT id FROM orgs WHERE domain = ?1", [&d], |r| r.get(0))
        .optional()?;
    let valid = valid_domain(&d);
    Ok(ok(
        json!({"domain": d, "valid": valid, "available": valid && taken.is_none()}),
    ))
}

/// `GET orgs/available/` and `workspaces/available/`: the one account belongs to everything,
/// so nothing is left to join.
pub fn none_available(key: &str) -> ApiResult {
    Ok(ok(
        json!({key: [], "pagination": {"total": 0, "limit": 100, "offset": 0, "has_more": false}}),
    ))
}
