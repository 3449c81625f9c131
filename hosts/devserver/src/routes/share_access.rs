//! A share as a visitor reaches it, and its archive state (fastio_cli src/api/share.rs:448-510
//! @96b1551): public details, password and guest access, name checks, archive and unarchive.
//! The answers' shapes are this server's choice where the reference is silent.

use rusqlite::{OptionalExtension, params};
use serde_json::json;

use super::request::Req;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;

/// How long a visitor's access token lasts.
const ACCESS_TTL_S: i64 = 3600;

struct Visit {
    title: Option<String>,
    custom_name: String,
    share_type: String,
    access: Option<String>,
    password: Option<String>,
    folder_backed: bool,
}

fn visit(st: &AppState, id: &str) -> ApiResult<Visit> {
    st.db()
        .query_row(
            "SELECT title, custom_name, share_type, access_options, password, folder_node_id FROM shares WHERE id = ?1",
            [id],
            |r| {
                Ok(Visit {
                    title: r.get(0)?,
                    custom_name: r.get(1)?,
                    share_type: r.get(2)?,
                    access: r.get(3)?,
                    password: r.get(4)?,
                    folder_backed: r.get::<_, Option<String>>(5)?.is_some(),
                })
            },
        )
        .optional()?
        .ok_or_else(|| ApiError::not_found("The share does not exist."))
}

fn archived(st: &AppState, id: &str) -> ApiResult<bool> {
    let v: Option<String> = st
        .db()
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [format!("share_archived:{id}")],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.is_some())
}

/// `GET share/{id}/public/details/`: what anyone with the link sees.
pub fn public_details(st: &AppState, id: &str) -> ApiResult {
    let v = visit(st, id)?;
    Ok(ok(json!({"share": {
        "id": id, "title": v.title, "custom_name": v.custom_name, "share_type": v.share_type,
        "password_protected": v.password.is_some(), "access_options": v.access,
        "archived": archived(st, id)?,
    }})))
}

/// `POST share/{id}/archive/` and `…/unarchive/`; a folder-backed share is never archived.
pub fn set_archived(st: &AppState, id: &str, on: bool) -> ApiResult {
    let v = visit(st, id)?;
    if on && v.folder_backed {
        return Err(ApiError::invalid(
            "A folder-backed share cannot expire, be archived, or have intelligence.",
        ));
    }
    if archived(st, id)? == on {
        return Err(ApiError::conflict(if on {
            "The share is archived already."
        } else {
            "The share is not archived."
        }));
    }
    let db = st.db();
    let key = format!("share_archived:{id}");
    if on {
        db.execute("INSERT INTO meta(key, value) VALUES (?1, '1')", [key])?;
    } else {
        db.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    }
    Ok(ok(json!({"id": id, "archived": on})))
}

fn access_token(st: &AppState, id: &str, kind: &str) -> ApiResult {
    let token = ids::random_alnum(40);
    let expires = ids::now_s() + ACCESS_TTL_S;
    st.db().execute(
        "INSERT INTO meta(key, value) VALUES (?1, ?2)",
        params![
            format!("share_access:{token}"),
            json!({"share": id, "kind": kind, "expires": expires}).to_string()
        ],
    )?;
    Ok(ok(
        json!({"auth_token": token, "expires_in": ACCESS_TTL_S, "share_id": id}),
    ))
}

/// `POST share/{id}/auth/password/` (form `password`): a visitor's access to a password share.
pub fn password_auth(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let given = rq.params.body().req("password")?;
    let v = visit(st, id)?;
    match v.password {
        None => Err(ApiError::invalid("This share has no password.")),
        Some(p) if p == given => access_token(st, id, "password"),
        Some(_) => Err(ApiError::denied("The password is wrong.")),
    }
}

/// `POST share/{id}/auth/guest/`: guest access, for a share open to anyone with the link.
pub fn guest_auth(st: &AppState, id: &str) -> ApiResult {
    let v = visit(st, id)?;
    let open = v
        .access
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case("Anyone with the link"));
    if !open || v.password.is_some() {
        return Err(ApiError::denied(
            "Guests reach only shares open to anyone with the link and without a password.",
        ));
    }
    access_token(st, id, "guest")
}

/// `GET shares/check/name/{name}/`: whether a custom name is free.
pub fn check_name(st: &AppState, name: &str) -> ApiResult {
    let valid = (2..=80).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let taken: Option<String> = st
        .db()
        .query_row(
            "SELECT id FROM shares WHERE custom_name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(ok(
        json!({"name": name, "valid": valid, "available": valid && taken.is_none()}),
    ))
}
