//! File Shares: durable links to one file (fastio_cli src/api/fileshare.rs @96b1551).
//!
//! Strict where the service is: answers name their payload at the top level (`fileshare`,
//! `fileshares`, `grants`) with no `response` wrapper; forms for management; a grant removed
//! only by `user` or `email` in the query; the link password read only from the `x-ve-password`
//! header (a `password` query or form field is not a password); a preview answered with a
//! redirect to a token-authorised read; anonymous callers served by `anyone_with_link` links
//! alone.

use axum::http::{StatusCode, header};
use axum::response::Response;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::nodes;
use super::paging::{page, paging};
use super::request::Req;
use super::scope;
use super::storage::serve_file;
use crate::envelope::{ApiError, ApiResult, ok_flat};
use crate::ids;
use crate::params::View;
use crate::state::AppState;

const ACCESS: &[&str] = &["anyone_with_link", "any_registered", "named_people"];
const CAPABILITIES: &[&str] = &["view", "download", "edit"];
const MAX_EXPIRES_S: u64 = 3_155_760_000;
const PASSWORD_HEADER: &str = "x-ve-password";
/// How long the token a preview redirects to stays valid.
const PREVIEW_TOKEN_TTL_S: i64 = 300;

const COLS: &str = "id, ws_id, node_id, title, access_option, password, expires, created, updated";

struct Link {
    id: String,
    ws: String,
    node: String,
    title: Option<String>,
    access: String,
    password: Option<String>,
    expires: Option<i64>,
    created: i64,
    updated: i64,
}

fn link_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Link> {
    Ok(Link {
        id: r.get(0)?,
        ws: r.get(1)?,
        node: r.get(2)?,
        title: r.get(3)?,
        access: r.get(4)?,
        password: r.get(5)?,
        expires: r.get(6)?,
        created: r.get(7)?,
        updated: r.get(8)?,
    })
}

fn load(db: &Connection, id: &str) -> ApiResult<Link> {
    db.query_row(
        &format!("SELECT {COLS} FROM fileshares WHERE id = ?1"),
        [id],
        link_row,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The File Share does not exist."))
}

fn to_json(db: &Connection, l: &Link) -> ApiResult<Value> {
    let file = nodes::get(db, &l.ws, &l.node)?;
    Ok(json!({
        "id": l.id,
        "workspace_id": l.ws,
        "node_id": l.node,
        "title": l.title.clone().or_else(|| file["name"].as_str().map(str::to_string)),
        "access_option": l.access,
        "password_protected": l.password.is_some(),
        "expires_at": l.expires.map(ids::iso),
        "file": {"id": l.node, "name": file["name"], "size": file["size"],
                 "mimetype": file["mimetype"], "version_id": file["version"]},
        "created": ids::iso(l.created),
        "updated": ids::iso(l.updated),
    }))
}

fn access_option(p: &View<'_>) -> ApiResult<Option<String>> {
    match p.get("access_option") {
        Some(a) if !ACCESS.contains(&a) => Err(ApiError::invalid_param(
            "access_option",
            "string",
            "'access_option' must be anyone_with_link, any_registered or named_people.",
        )),
        a => Ok(a.map(str::to_string)),
    }
}

/// A link password: 1 to 255 characters.
fn new_password(pw: &str) -> ApiResult<String> {
    if pw.is_empty() || pw.chars().count() > 255 {
        return Err(ApiError::invalid_param(
            "password",
            "string",
            "'password' must be 1 to 255 characters.",
        ));
    }
    Ok(pw.to_string())
}

/// `expires` (seconds from now) or `expires_at` (a date and time, UTC without a zone), never
/// both; `None` when neither is given.
fn expiry(p: &View<'_>) -> ApiResult<Option<i64>> {
    match (p.get("expires"), p.get("expires_at")) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "Send either 'expires' or 'expires_at', not both.",
        )),
        (Some(s), None) => match s.parse::<u64>() {
            Ok(n) if (1..=MAX_EXPIRES_S).contains(&n) => {
                Ok(Some(ids::now_ms().saturating_add(n as i64 * 1000)))
            }
            _ => Err(ApiError::invalid_param(
                "expires",
                "integer",
                format!("'expires' must be 1 to {MAX_EXPIRES_S} seconds."),
            )),
        },
        (None, Some(at)) => parse_time(at).map(Some).ok_or_else(|| {
            ApiError::invalid_param(
                "expires_at",
                "datetime",
                "'expires_at' must be a date and time such as 2027-01-31T00:00:00Z.",
            )
        }),
        (None, None) => Ok(None),
    }
}

fn parse_time(at: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let at = at.trim();
    let t = time::OffsetDateTime::parse(at, &Rfc3339)
        .or_else(|_| {
            time::PrimitiveDateTime::parse(
                at,
                format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
            )
            .or_else(|_| {
                time::PrimitiveDateTime::parse(
                    at,
                    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
                )
            })
            .map(time::PrimitiveDateTime::assume_utc)
        })
        .ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

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

/// What the caller may do with the link: checks expiry, tier and password. The one account
/// owns every link, so an authenticated caller has `edit`; an anonymous one `download`, and
/// only on an `anyone_with_link` link.
fn admit(db: &Connection, id: &str, rq: &Req) -> ApiResult<(Link, &'static str)> {
    let l = load(db, id)?;
    if l.expires.is_some_and(|e| e <= ids::now_ms()) {
        return Err(ApiError::new(
            StatusCode::GONE,
            1609,
            "APP_EXPIRED",
            "This File Share has expired.",
        ));
    }
    if !rq.authed && l.access != "anyone_with_link" {
        return Err(ApiError::unauthorized());
    }
    if let Some(want) = &l.password {
        let given = rq
            .headers
            .get(PASSWORD_HEADER)
            .and_then(|v| v.to_str().ok());
        if given != Some(want.as_str()) {
            return Err(ApiError::denied(
                "This File Share needs its password in the x-ve-password header.",
            )
            .with_extra(json!({"password_required": true})));
        }
    }
    Ok((l, if rq.authed { "edit" } else { "download" }))
}

/// `GET fileshare/{id}/details/`.
pub fn details(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let (l, cap) = admit(&db, id, rq)?;
    Ok(ok_flat(
        json!({"fileshare": to_json(&db, &l)?, "effective_capability": cap}),
    ))
}

/// `GET fileshare/{id}/storage/versions/`.
pub fn versions(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let (l, _) = admit(&db, id, rq)?;
    let file = nodes::get(&db, &l.ws, &l.node)?;
    let list = nodes::versions(&db, &l.node, file["version"].as_str().unwrap_or(""))?;
    Ok(ok_flat(json!({"versions": list})))
}

/// `GET fileshare/{id}/storage/read/` and `…/versions/{vid}/read/`: the bytes.
pub async fn read(st: &AppState, id: &str, version: Option<&str>, rq: &Req) -> ApiResult {
    let (path, size, name) = {
        let db = st.db();
        let (l, _) = admit(&db, id, rq)?;
        let (blob, size, name) = nodes::version_blob(&db, &l.node, version)?;
        (st.blobs.blob_path(&blob)?, size, name)
    };
    serve_file(&path, size, &name, rq).await
}

/// `GET fileshare/{id}/storage/preview/{type}/read/`: a `307` to a token-authorised read of
/// the file (this server renders no previews; the file stands in for one). The token in the
/// URL is the only credential the follow needs.
pub fn preview(st: &AppState, id: &str, kind: &str, rq: &Req) -> ApiResult {
    if !["thumbnail", "image", "pdf", "preview"].contains(&kind) {
        return Err(ApiError::invalid_param(
            "preview_type",
            "string",
            "The preview type must be thumbnail, image, pdf or preview.",
        ));
    }
    let db = st.db();
    let (l, _) = admit(&db, id, rq)?;
    let token = ids::random_alnum(48);
    db.execute(
        "INSERT INTO read_tokens(token, node_id, version_id, kind, expires) VALUES (?1,?2,NULL,'read',?3)",
        params![
            token,
            format!("{}:{}", l.ws, l.node),
            ids::now_s() + PREVIEW_TOKEN_TTL_S
        ],
    )?;
    let location = format!(
        "/current/workspace/{}/storage/{}/read/?token={token}",
        l.ws, l.node
    );
    Response::builder()
        .status(StatusCode::TEMPORARY_REDIRECT)
        .header(header::LOCATION, location)
        .body(axum::body::Body::empty())
        .map_err(|_| ApiError::internal("could not build the response"))
}
