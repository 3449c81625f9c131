//! Consuming File Shares: what a recipient may see and download, by tier, password and expiry.

use axum::http::{StatusCode, header};
use axum::response::Response;
use rusqlite::{Connection, params};
use serde_json::json;

use super::super::nodes;
use super::super::request::Req;
use super::super::storage::serve_file;
use super::{Link, PASSWORD_HEADER, PREVIEW_TOKEN_TTL_S, load, to_json};
use crate::envelope::{ApiError, ApiResult, ok_flat};
use crate::ids;
use crate::state::AppState;

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
