//! Managing File Shares: a member creates, lists, changes and deletes them and grants them to
//! people.

use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::super::paging::{page, paging};
use super::super::request::Req;
use super::super::{nodes, scope};
use super::{CAPABILITIES, COLS, access_option, expiry, link_row, load, new_password, to_json};
use crate::envelope::{ApiError, ApiResult, ok_flat};
use crate::ids;
use crate::params::View;
use crate::state::AppState;

/// `POST workspace/{ws}/create/fileshare/`: `node` must be a live file of the workspace.
pub fn create(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let p = rq.params.body();
    let node = p.req("node")?;
    let title = p.get("title");
    if p.has("title") && title.is_none() {
        return Err(ApiError::invalid_param(
            "title",
            "string",
            "'title' is empty.",
        ));
    }
    let access = access_option(&p)?.unwrap_or_else(|| "anyone_with_link".into());
    // An empty password on create would make a link meant to be protected open.
    let password = p
        .has("password")
        .then(|| new_password(p.get("password").unwrap_or("")))
        .transpose()?;
    let expires = expiry(&p)?;
    let db = st.db();
    scope::workspace(&db, ws)?;
    let file = nodes::get(&db, ws, node)?;
    if file["type"] != "file" || !nodes::live(&db, node)? {
        return Err(ApiError::invalid_param(
            "node",
            "string",
            "A File Share serves one file: 'node' must be a file that is not in the trash.",
        ));
    }
    let id = ids::profile_id();
    let now = ids::now_ms();
    db.execute(
        &format!("INSERT INTO fileshares({COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8)"),
        params![id, ws, node, title, access, password, expires, now],
    )?;
    Ok(ok_flat(
        json!({"fileshare": to_json(&db, &load(&db, &id)?)?}),
    ))
}

/// `GET workspace/{ws}/list/fileshares/` with `offset` and `limit`.
pub fn list(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    scope::workspace(&db, ws)?;
    let links = {
        let mut stmt = db.prepare(&format!(
            "SELECT {COLS} FROM fileshares WHERE ws_id = ?1 ORDER BY created, id"
        ))?;
        stmt.query_map([ws], link_row)?
            .collect::<Result<Vec<_>, _>>()?
    };
    let all = links
        .iter()
        .map(|l| to_json(&db, l))
        .collect::<ApiResult<Vec<_>>>()?;
    let (fileshares, pagination) = page(all, limit, offset);
    Ok(ok_flat(
        json!({"fileshares": fileshares, "pagination": pagination}),
    ))
}

/// `POST` (or `PATCH`) `fileshare/{id}/update/`: `password=""` clears the password and
/// `expires_at=""` the expiry.
pub fn update(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let p = rq.params.body();
    let db = st.db();
    let cur = load(&db, id)?;
    let mut changed = false;
    if p.has("title") {
        let Some(t) = p.get("title") else {
            return Err(ApiError::invalid_param(
                "title",
                "string",
                "'title' is empty.",
            ));
        };
        db.execute(
            "UPDATE fileshares SET title = ?1 WHERE id = ?2",
            params![t, id],
        )?;
        changed = true;
    }
    if let Some(a) = access_option(&p)? {
        db.execute(
            "UPDATE fileshares SET access_option = ?1 WHERE id = ?2",
            params![a, id],
        )?;
        changed = true;
    }
    if p.has("password") {
        // `password=""` clears it.
        let pw = p.get("password").map(new_password).transpose()?;
        db.execute(
            "UPDATE fileshares SET password = ?1 WHERE id = ?2",
            params![pw, id],
        )?;
        changed = true;
    }
    let expires = if p.has("expires_at") && p.get("expires_at").is_none() {
        if p.get("expires").is_some() {
            return Err(ApiError::invalid(
                "Send either 'expires' or 'expires_at', not both.",
            ));
        }
        Some(None)
    } else {
        expiry(&p)?.map(Some)
    };
    if let Some(e) = expires {
        db.execute(
            "UPDATE fileshares SET expires = ?1 WHERE id = ?2",
            params![e, id],
        )?;
        changed = true;
    }
    if !changed {
        return Err(ApiError::invalid("The update changes nothing."));
    }
    db.execute(
        "UPDATE fileshares SET updated = ?1 WHERE id = ?2",
        params![ids::now_ms().max(cur.updated), id],
    )?;
    Ok(ok_flat(
        json!({"fileshare": to_json(&db, &load(&db, id)?)?}),
    ))
}

/// `DELETE fileshare/{id}/delete/`.
pub fn delete(st: &AppState, id: &str) -> ApiResult {
    let db = st.db();
    load(&db, id)?;
    db.execute("DELETE FROM fileshare_grants WHERE fileshare_id = ?1", [id])?;
    db.execute("DELETE FROM fileshares WHERE id = ?1", [id])?;
    Ok(ok_flat(json!({})))
}

/// Exactly one of `user` or `email`.
fn grantee<'a>(p: &View<'a>) -> ApiResult<(&'static str, &'a str)> {
    match (
        p.get("user").filter(|s| !s.is_empty()),
        p.get("email").filter(|s| !s.is_empty()),
    ) {
        (Some(u), None) => Ok(("user", u)),
        (None, Some(e)) if e.contains('@') => Ok(("email", e)),
        (None, Some(_)) => Err(ApiError::invalid_param(
            "email",
            "email",
            "'email' is not an e-mail address.",
        )),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "Send either 'user' or 'email', not both.",
        )),
        (None, None) => Err(ApiError::missing_all(&["user", "email"])),
    }
}

fn grant_rows(db: &Connection, id: &str) -> ApiResult<Vec<Value>> {
    let mut stmt = db.prepare(
        "SELECT kind, grantee, capability, created FROM fileshare_grants WHERE fileshare_id = ?1 ORDER BY created, grantee",
    )?;
    Ok(stmt
        .query_map([id], |r| {
            let kind: String = r.get(0)?;
            let who: String = r.get(1)?;
            let mut g =
                json!({"capability": r.get::<_, String>(2)?, "created": ids::iso(r.get(3)?)});
            g[kind] = Value::String(who);
            Ok(g)
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// `GET fileshare/{id}/grants/`.
pub fn grants(st: &AppState, id: &str) -> ApiResult {
    let db = st.db();
    load(&db, id)?;
    Ok(ok_flat(json!({"grants": grant_rows(&db, id)?})))
}

/// `POST fileshare/{id}/grants/` (form `user` or `email`, `capability`).
pub fn grant_add(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let p = rq.params.body();
    let (kind, who) = grantee(&p)?;
    let cap = p.req("capability")?;
    if !CAPABILITIES.contains(&cap) {
        return Err(ApiError::invalid_param(
            "capability",
            "string",
            "'capability' must be view, download or edit.",
        ));
    }
    let db = st.db();
    load(&db, id)?;
    db.execute(
        "INSERT INTO fileshare_grants(fileshare_id, kind, grantee, capability, created) VALUES (?1,?2,?3,?4,?5)
         ON CONFLICT(fileshare_id, kind, grantee) DO UPDATE SET capability = excluded.capability",
        params![id, kind, who, cap, ids::now_ms()],
    )?;
    Ok(ok_flat(json!({"grant": {kind: who, "capability": cap}})))
}

/// `DELETE fileshare/{id}/grants/?user=` or `?email=`: the query alone is read, as the
/// service does not parse this DELETE's body.
pub fn grant_remove(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let (kind, who) = grantee(&rq.params.query())?;
    let db = st.db();
    load(&db, id)?;
    let n = db.execute(
        "DELETE FROM fileshare_grants WHERE fileshare_id = ?1 AND kind = ?2 AND grantee = ?3",
        params![id, kind, who],
    )?;
    if n == 0 {
        return Err(ApiError::not_found("No such grant."));
    }
    Ok(ok_flat(json!({})))
}
