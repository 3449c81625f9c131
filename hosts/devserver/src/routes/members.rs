//! Members and invitations of workspaces, shares and orgs (fastio_cli src/api/member.rs,
//! src/api/invitation.rs, src/api/org.rs @96b1551).
//!
//! The one account owns every entity until it transfers ownership. Adding an e-mail address
//! invites it; the invitation carries its key (the service mails it; this server has no mail)
//! so that `workspace/{id}/members/join/{key}/accept/` can stand in for the invitee, who then
//! becomes a member with a user record of their own. Adding a user id adds that user. The
//! answers' shapes are this server's choice where the reference is silent: `{users[],
//! pagination}`, `{member}`, `{invitation}`, `{invitations[]}`.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::paging::{page, paging};
use super::request::Req;
use super::scope;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;

fn exists(db: &Connection, kind: &str, id: &str) -> ApiResult<()> {
    match kind {
        "workspace" => scope::workspace(db, id).map(|_| ()),
        "share" => scope::storage_scope(db, id).map(|_| ()),
        _ => scope::org_exists(db, id),
    }
}

fn roles(kind: &str) -> &'static [&'static str] {
    if kind == "share" {
        &["admin", "member", "guest", "view"]
    } else {
        &["admin", "member", "guest"]
    }
}

fn role(kind: &str, p: Option<&str>) -> ApiResult<String> {
    let r = p.unwrap_or("member");
    if !roles(kind).contains(&r) {
        return Err(ApiError::invalid_param(
            "permissions",
            "string",
            format!("'permissions' must be one of {}.", roles(kind).join(", ")),
        ));
    }
    Ok(r.to_string())
}

fn user_json(db: &Connection, user: &str, permissions: &str, joined: i64) -> ApiResult<Value> {
    let row: Option<(String, String, String)> = db
        .query_row(
            "SELECT email, first_name, last_name FROM users WHERE id = ?1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (email, first, last) =
        row.ok_or_else(|| ApiError::not_found("The user does not exist."))?;
    Ok(
        json!({"id": user, "user_id": user, "email": email, "first_name": first,
              "last_name": last, "permissions": permissions, "joined": ids::iso(joined)}),
    )
}

/// Every member, the owner first: the account is the owner unless it handed ownership on.
fn members(st: &AppState, db: &Connection, kind: &str, id: &str) -> ApiResult<Vec<Value>> {
    let mut stmt = db.prepare(
        "SELECT user_id, permissions, created FROM members WHERE entity_type = ?1 AND entity_id = ?2 ORDER BY permissions != 'owner', created, user_id",
    )?;
    let rows = stmt
        .query_map(params![kind, id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    if !rows.iter().any(|(_, p, _)| p == "owner") {
        out.push(user_json(db, &st.user_id, "owner", 0)?);
    }
    for (u, p, at) in rows {
        out.push(user_json(db, &u, &p, at)?);
    }
    Ok(out)
}

fn member(st: &AppState, db: &Connection, kind: &str, id: &str, user: &str) -> ApiResult<Value> {
    members(st, db, kind, id)?
        .into_iter()
        .find(|m| m["id"] == user)
        .ok_or_else(|| ApiError::not_found("No such member."))
}

fn invitation_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let id: String = r.get(0)?;
    Ok(
        json!({"id": id, "invitation_id": id, "entity_type": r.get::<_, String>(1)?,
              "entity_id": r.get::<_, String>(2)?, "email": r.get::<_, String>(3)?,
              "permissions": r.get::<_, String>(4)?, "state": r.get::<_, String>(5)?,
              "invitation_key": r.get::<_, String>(6)?, "created": ids::iso(r.get(7)?)}),
    )
}

const INV_COLS: &str = "id, entity_type, entity_id, email, permissions, state, key, created";

/// `{entity}/{id}/members/…` and `{entity}/{id}/member/…`.
pub fn route(st: &AppState, kind: &str, id: &str, rest: &[&str], rq: &Req) -> ApiResult {
    use axum::http::Method;
    let m = &rq.method;
    let (get, post, del) = (*m == Method::GET, *m == Method::POST, *m == Method::DELETE);
    exists(&st.db(), kind, id)?;
    match rest {
        ["members", "list"] if get => list(st, kind, id, rq),
        ["members", "join"] if post => Err(ApiError::conflict("You are already a member.")),
        ["members", "join", key, action] if post && kind == "workspace" => {
            answer(st, kind, id, key, action)
        }
        ["members", "invitations", "list"] if get => invitations(st, kind, id, None, rq),
        ["members", "invitations", "list", state] if get => {
            invitations(st, kind, id, Some(state), rq)
        }
        ["members", "invitation", inv] if post => update_invitation(st, kind, id, inv, rq),
        ["members", "invitation", inv] if del => revoke(st, kind, id, inv),
        ["members", who] if post => add(st, kind, id, who, rq),
        ["members", who] if del => remove(st, kind, id, who),
        ["member"] if del => leave(st, kind, id),
        ["member", who, "details"] if get => {
            let db = st.db();
            Ok(ok(json!({"member": member(st, &db, kind, id, who)?})))
        }
        ["member", who, "update"] if post => update(st, kind, id, who, rq),
        ["member", who, "transfer_ownership"] if post => transfer(st, kind, id, who),
        _ => Err(ApiError::unknown_route()),
    }
}

fn list(st: &AppState, kind: &str, id: &str, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let (users, pagination) = page(members(st, &db, kind, id)?, limit, offset);
    Ok(ok(json!({"users": users, "pagination": pagination})))
}

fn add(st: &AppState, kind: &str, id: &str, who: &str, rq: &Req) -> ApiResult {
    let permissions = role(kind, rq.params.get("permissions"))?;
    let db = st.db();
    if who.contains('@') {
        let taken: Option<String> = db
            .query_row(
                "SELECT id FROM users WHERE lower(email) = lower(?1)",
                [who],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(u) = taken
            && member(st, &db, kind, id, &u).is_ok()
        {
            return Err(ApiError::conflict("That address is already a member."));
        }
        let pending: Option<String> = db
            .query_row(
                "SELECT id FROM invitations WHERE entity_type = ?1 AND entity_id = ?2 AND lower(email) = lower(?3) AND state = 'pending'",
                params![kind, id, who],
                |r| r.get(0),
            )
            .optional()?;
        if pending.is_some() {
            return Err(ApiError::conflict("That address is already invited."));
        }
        let inv = ids::profile_id();
        db.execute(
            &format!("INSERT INTO invitations({INV_COLS}) VALUES (?1,?2,?3,?4,?5,'pending',?6,?7)"),
            params![
                inv,
                kind,
                id,
                who,
                permissions,
                ids::random_alnum(32),
                ids::now_ms()
            ],
        )?;
        let v = db.query_row(
            &format!("SELECT {INV_COLS} FROM invitations WHERE id = ?1"),
            [&inv],
            invitation_json,
        )?;
        return Ok(ok(json!({"invitation": v})));
    }
    if member(st, &db, kind, id, who).is_ok() {
        return Err(ApiError::conflict("The user is already a member."));
    }
    user_json(&db, who, &permissions, 0)?;
    db.execute(
        "INSERT INTO members(entity_type, entity_id, user_id, permissions, created) VALUES (?1,?2,?3,?4,?5)",
        params![kind, id, who, permissions, ids::now_ms()],
    )?;
    Ok(ok(json!({"member": member(st, &db, kind, id, who)?})))
}

fn remove(st: &AppState, kind: &str, id: &str, who: &str) -> ApiResult {
    let db = st.db();
    let m = member(st, &db, kind, id, who)?;
    if m["permissions"] == "owner" {
        return Err(ApiError::denied(
            "The owner cannot be removed; transfer ownership first.",
        ));
    }
    db.execute(
        "DELETE FROM members WHERE entity_type = ?1 AND entity_id = ?2 AND user_id = ?3",
        params![kind, id, who],
    )?;
    Ok(ok(json!({"id": who, "removed": true})))
}

fn leave(st: &AppState, kind: &str, id: &str) -> ApiResult {
    let db = st.db();
    let me = member(st, &db, kind, id, &st.user_id)?;
    if me["permissions"] == "owner" {
        return Err(ApiError::denied(
            "The owner cannot leave; transfer ownership first.",
        ));
    }
    db.execute(
        "DELETE FROM members WHERE entity_type = ?1 AND entity_id = ?2 AND user_id = ?3",
        params![kind, id, st.user_id],
    )?;
    Ok(ok(json!({"left": true})))
}

fn update(st: &AppState, kind: &str, id: &str, who: &str, rq: &Req) -> ApiResult {
    let Some(p) = rq.params.get("permissions") else {
        return Err(ApiError::missing("permissions"));
    };
    if p == "owner" {
        return Err(ApiError::invalid_param(
            "permissions",
            "string",
            "Ownership changes hands by transfer_ownership.",
        ));
    }
    let permissions = role(kind, Some(p))?;
    let db = st.db();
    let m = member(st, &db, kind, id, who)?;
    if m["permissions"] == "owner" {
        return Err(ApiError::denied("The owner's permissions do not change."));
    }
    db.execute(
        "UPDATE members SET permissions = ?1 WHERE entity_type = ?2 AND entity_id = ?3 AND user_id = ?4",
        params![permissions, kind, id, who],
    )?;
    Ok(ok(json!({"member": member(st, &db, kind, id, who)?})))
}

fn transfer(st: &AppState, kind: &str, id: &str, who: &str) -> ApiResult {
    let db = st.db();
    let owner = members(st, &db, kind, id)?
        .into_iter()
        .find(|m| m["permissions"] == "owner")
        .and_then(|m| m["id"].as_str().map(str::to_string))
        .unwrap_or_default();
    if owner != st.user_id {
        return Err(ApiError::denied("Only the owner hands ownership on."));
    }
    let target = member(st, &db, kind, id, who)?;
    if target["permissions"] == "owner" {
        return Err(ApiError::conflict("That member is the owner already."));
    }
    let now = ids::now_ms();
    db.execute(
        "UPDATE members SET permissions = 'owner' WHERE entity_type = ?1 AND entity_id = ?2 AND user_id = ?3",
        params![kind, id, who],
    )?;
    db.execute(
        "INSERT INTO members(entity_type, entity_id, user_id, permissions, created) VALUES (?1,?2,?3,'admin',?4)
         ON CONFLICT(entity_type, entity_id, user_id) DO UPDATE SET permissions = 'admin'",
        params![kind, id, st.user_id, now],
    )?;
    Ok(ok(json!({"member": member(st, &db, kind, id, who)?})))
}

fn invitations(st: &AppState, kind: &str, id: &str, state: Option<&str>, rq: &Req) -> ApiResult {
    if let Some(s) = state
        && !["pending", "accepted", "declined", "revoked"].contains(&s)
    {
        return Err(ApiError::invalid_param(
            "state",
            "string",
            "The state is pending, accepted, declined or revoked.",
        ));
    }
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let mut stmt = db.prepare(&format!(
        "SELECT {INV_COLS} FROM invitations WHERE entity_type = ?1 AND entity_id = ?2 AND (?3 IS NULL OR state = ?3) ORDER BY created, id"
    ))?;
    let all = stmt
        .query_map(params![kind, id, state], invitation_json)?
        .collect::<Result<Vec<_>, _>>()?;
    let (invitations, pagination) = page(all, limit, offset);
    Ok(ok(
        json!({"invitations": invitations, "pagination": pagination}),
    ))
}

fn pending(db: &Connection, kind: &str, id: &str, inv: &str) -> ApiResult<Value> {
    let v = db
        .query_row(
            &format!("SELECT {INV_COLS} FROM invitations WHERE id = ?1 AND entity_type = ?2 AND entity_id = ?3"),
            params![inv, kind, id],
            invitation_json,
        )
        .optional()?
        .ok_or_else(|| ApiError::not_found("No such invitation."))?;
    if v["state"] != "pending" {
        return Err(ApiError::conflict("The invitation is no longer pending."));
    }
    Ok(v)
}

fn update_invitation(st: &AppState, kind: &str, id: &str, inv: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    pending(&db, kind, id, inv)?;
    if let Some(p) = rq.params.get("permissions") {
        let p = role(kind, Some(p))?;
        db.execute(
            "UPDATE invitations SET permissions = ?1 WHERE id = ?2",
            params![p, inv],
        )?;
    }
    if let Some(s) = rq.params.get("state") {
        if s != "revoked" {
            return Err(ApiError::invalid_param(
                "state",
                "string",
                "An inviter can only revoke an invitation.",
            ));
        }
        db.execute(
            "UPDATE invitations SET state = 'revoked' WHERE id = ?1",
            [inv],
        )?;
    }
    let v = db.query_row(
        &format!("SELECT {INV_COLS} FROM invitations WHERE id = ?1"),
        [inv],
        invitation_json,
    )?;
    Ok(ok(json!({"invitation": v})))
}

fn revoke(st: &AppState, kind: &str, id: &str, inv: &str) -> ApiResult {
    let db = st.db();
    pending(&db, kind, id, inv)?;
    db.execute(
        "UPDATE invitations SET state = 'revoked' WHERE id = ?1",
        [inv],
    )?;
    Ok(ok(json!({"id": inv, "revoked": true})))
}

/// `POST workspace/{id}/members/join/{key}/{accept|decline}/`, standing in for the invitee.
fn answer(st: &AppState, kind: &str, id: &str, key: &str, action: &str) -> ApiResult {
    if action != "accept" && action != "decline" {
        return Err(ApiError::invalid_param(
            "action",
            "string",
            "The action is accept or decline.",
        ));
    }
    let db = st.db();
    let inv: Option<String> = db
        .query_row(
            "SELECT id FROM invitations WHERE key = ?1 AND entity_type = ?2 AND entity_id = ?3",
            params![key, kind, id],
            |r| r.get(0),
        )
        .optional()?;
    let inv = inv.ok_or_else(|| ApiError::not_found("No invitation has that key."))?;
    let v = pending(&db, kind, id, &inv)?;
    if action == "decline" {
        db.execute(
            "UPDATE invitations SET state = 'declined' WHERE id = ?1",
            [&inv],
        )?;
        return Ok(ok(json!({"invitation_id": inv, "state": "declined"})));
    }
    let email = v["email"].as_str().unwrap_or_default();
    let known: Option<String> = db
        .query_row(
            "SELECT id FROM users WHERE lower(email) = lower(?1)",
            [email],
            |r| r.get(0),
        )
        .optional()?;
    let user = match known {
        Some(u) => u,
        None => {
            let u = ids::profile_id();
            let first = email.split('@').next().unwrap_or_default();
            db.execute(
                "INSERT INTO users(id, email, first_name, last_name, created) VALUES (?1,?2,?3,'',?4)",
                params![u, email, first, ids::now_ms()],
            )?;
            u
        }
    };
    db.execute(
        "INSERT OR IGNORE INTO members(entity_type, entity_id, user_id, permissions, created) VALUES (?1,?2,?3,?4,?5)",
        params![kind, id, user, v["permissions"].as_str().unwrap_or("member"), ids::now_ms()],
    )?;
    db.execute(
        "UPDATE invitations SET state = 'accepted' WHERE id = ?1",
        [&inv],
    )?;
    Ok(ok(json!({"member": member(st, &db, kind, id, &user)?})))
}

/// `GET user/invitations/list/`: the account's own invitations (those sent to its address).
pub fn mine(st: &AppState, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let mut stmt = db.prepare(&format!(
        "SELECT {INV_COLS} FROM invitations WHERE lower(email) = (SELECT lower(email) FROM users WHERE id = ?1) AND state = 'pending' ORDER BY created"
    ))?;
    let all = stmt
        .query_map([&st.user_id], invitation_json)?
        .collect::<Result<Vec<_>, _>>()?;
    let (invitations, pagination) = page(all, limit, offset);
    Ok(ok(
        json!({"invitations": invitations, "pagination": pagination}),
    ))
}
