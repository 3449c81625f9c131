//! File Shares: durable links to one file (fastio_cli src/api/fileshare.rs @96b1551).
//!
//! Strict where the service is: answers name their payload at the top level (`fileshare`,
//! `fileshares`, `grants`) with no `response` wrapper; forms for management; a grant removed
//! only by `user` or `email` in the query; the link password read only from the `x-ve-password`
//! header (a `password` query or form field is not a password); a preview answered with a
//! redirect to a token-authorised read; anonymous callers served by `anyone_with_link` links
//! alone. Management (a member's) and consumption (a recipient's) are apart.

mod consume;
mod manage;

pub use consume::{details, preview, read, versions};
pub use manage::{create, delete, grant_add, grant_remove, grants, list, update};

use rusqlite::{Connection, OptionalExtension};
use serde_json::{Value, json};

use super::nodes;
use crate::envelope::{ApiError, ApiResult};
use crate::ids;
use crate::params::View;

pub(super) const ACCESS: &[&str] = &["anyone_with_link", "any_registered", "named_people"];
pub(super) const CAPABILITIES: &[&str] = &["view", "download", "edit"];
pub(super) const MAX_EXPIRES_S: u64 = 3_155_760_000;
pub(super) const PASSWORD_HEADER: &str = "x-ve-password";
/// How long the token a preview redirects to stays valid.
pub(super) const PREVIEW_TOKEN_TTL_S: i64 = 300;

pub(super) const COLS: &str =
    "id, ws_id, node_id, title, access_option, password, expires, created, updated";

pub(super) struct Link {
    pub(super) id: String,
    pub(super) ws: String,
    pub(super) node: String,
    pub(super) title: Option<String>,
    pub(super) access: String,
    pub(super) password: Option<String>,
    pub(super) expires: Option<i64>,
    pub(super) created: i64,
    pub(super) updated: i64,
}

pub(super) fn link_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Link> {
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

pub(super) fn load(db: &Connection, id: &str) -> ApiResult<Link> {
    db.query_row(
        &format!("SELECT {COLS} FROM fileshares WHERE id = ?1"),
        [id],
        link_row,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The File Share does not exist."))
}

pub(super) fn to_json(db: &Connection, l: &Link) -> ApiResult<Value> {
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

pub(super) fn access_option(p: &View<'_>) -> ApiResult<Option<String>> {
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
pub(super) fn new_password(pw: &str) -> ApiResult<String> {
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
pub(super) fn expiry(p: &View<'_>) -> ApiResult<Option<i64>> {
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
