//! Downloads: read tokens, file reads (with `Range`) and folder zips, each allowed by a valid
//! token for the node or an authenticated request.

use std::io::Write;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::checks::real_node;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::routes::nodes;
use crate::routes::request::Req;
use crate::state::AppState;

const TOKEN_TTL_S: i64 = 7200;

pub(super) fn request_token(st: &AppState, ws: &str, id: &str, kind_: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    let node = if kind_ == "zip" && id == "root" {
        nodes::root_json(ws)
    } else {
        real_node(&db, ws, id)?
    };
    if kind_ == "read" && node["type"] != "file" {
        return Err(ApiError::invalid(
            "Only files can be read; use zip for folders.",
        ));
    }
    if kind_ == "zip" && node["type"] != "folder" {
        return Err(ApiError::invalid("Only folders can be zipped."));
    }
    // `requestread` takes no parameters; a version is chosen on `read/` (fastio_cli
    // src/api/download.rs:145-192 @96b1551). The service would ignore a `version_id` here and
    // serve the current version; refusing it makes that client bug visible.
    if rq.params.has("version_id") {
        return Err(ApiError::invalid_param(
            "version_id",
            "string",
            format!("'{kind_}' takes no version_id; pass version_id to the read call instead."),
        ));
    }
    let token = ids::random_alnum(48);
    db.execute(
        "INSERT INTO read_tokens(token, node_id, version_id, kind, expires) VALUES (?1,?2,NULL,?3,?4)",
        params![token, format!("{ws}:{id}"), kind_, ids::now_s() + TOKEN_TTL_S],
    )?;
    Ok(ok(
        json!({"token": token, "expires_in": TOKEN_TTL_S, "expires": ids::iso((ids::now_s() + TOKEN_TTL_S) * 1000)}),
    ))
}

/// Either a valid `token` for this node or an authenticated bearer request.
fn authorise_download(
    db: &Connection,
    ws: &str,
    id: &str,
    kind_: &str,
    rq: &Req,
) -> ApiResult<Option<String>> {
    if let Some(tok) = rq.params.get("token") {
        let row: Option<(String, Option<String>, String, i64)> = db
            .query_row(
                "SELECT node_id, version_id, kind, expires FROM read_tokens WHERE token = ?1",
                [tok],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        return match row {
            Some((n, v, k, exp))
                if n == format!("{ws}:{id}") && k == kind_ && exp > ids::now_s() =>
            {
                Ok(v)
            }
            _ if rq.authed => Ok(None),
            _ => Err(ApiError::denied(
                "The download token is invalid or expired.",
            )),
        };
    }
    if rq.authed {
        Ok(None)
    } else {
        Err(ApiError::unauthorized())
    }
}

fn parse_range(h: &str, len: u64) -> Option<(u64, u64)> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || len == 0 {
            return None;
        }
        let n = n.min(len);
        return Some((len - n, len - 1));
    }
    let start: u64 = a.parse().ok()?;
    let end: u64 = if b.is_empty() {
        len.checked_sub(1)?
    } else {
        b.parse::<u64>().ok()?.min(len.checked_sub(1)?)
    };
    (start <= end && start < len).then_some((start, end))
}

pub fn file_body(file: tokio::fs::File, len: u64) -> Body {
    let stream = futures_util::stream::unfold((file, len), |(mut f, remaining)| async move {
        if remaining == 0 {
            return None;
        }
        let mut buf = vec![0u8; remaining.min(256 * 1024) as usize];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((
                    Ok::<Bytes, std::io::Error>(Bytes::from(buf)),
                    (f, remaining - n as u64),
                ))
            }
            Err(e) => Some((Err(e), (f, 0))),
        }
    });
    Body::from_stream(stream)
}

pub(super) async fn read(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let (path, size, name) = {
        let db = st.db();
        let node = real_node(&db, ws, id)?;
        if node["type"] != "file" && node["type"] != "note" {
            return Err(ApiError::invalid("Only files can be read."));
        }
        let tok_version = authorise_download(&db, ws, id, "read", rq)?;
        let version = tok_version.or_else(|| rq.params.get("version_id").map(str::to_string));
        let (blob, size, name) = nodes::version_blob(&db, id, version.as_deref())?;
        (st.blobs.blob_path(&blob)?, size, name)
    };
    serve_file(&path, size, &name, rq).await
}

/// A stored file's bytes as a download answers them: its type, its name as an attachment and
/// `Range` honoured.
pub async fn serve_file(path: &std::path::Path, size: u64, name: &str, rq: &Req) -> ApiResult {
    let mut file = tokio::fs::File::open(path).await?;
    let range = rq.headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, nodes::mimetype(name))
        .header(header::ACCEPT_RANGES, "bytes")
        .header(
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                name.replace(['"', '\\'], "_")
            ),
        );
    let resp = match range {
        Some(r) => match parse_range(r, size) {
            Some((start, end)) => {
                file.seek(std::io::SeekFrom::Start(start)).await?;
                let len = end - start + 1;
                builder = builder
                    .status(StatusCode::PARTIAL_CONTENT)
                    .header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{size}"))
                    .header(header::CONTENT_LENGTH, len);
                builder.body(file_body(file, len))
            }
            None => builder
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                .body(Body::empty()),
        },
        None => builder
            .header(header::CONTENT_LENGTH, size)
            .body(file_body(file, size)),
    };
    resp.map_err(|_| ApiError::internal("could not build the response"))
}

/// Entries `(path inside the zip, blob or None for a folder)` under `folder`.
fn zip_entries(
    db: &Connection,
    folder: &str,
    prefix: &str,
    out: &mut Vec<(String, Option<String>)>,
    depth: u32,
) -> ApiResult<()> {
    if depth > 64 || out.len() > 100_000 {
        return Err(ApiError::invalid(
            "The folder is too large or too deep to zip.",
        ));
    }
    let kids: Vec<(String, String, String, Option<String>)> = {
        let mut stmt = db.prepare(
            "SELECT n.id, n.name, n.type, v.blob FROM nodes n LEFT JOIN versions v ON v.id = n.version_id WHERE n.parent = ?1 AND n.trashed = 0 ORDER BY n.name",
        )?;
        stmt.query_map([folder], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<Vec<_>, _>>()?
    };
    for (id, name, ty, blob) in kids {
        let path = format!("{prefix}{name}");
        if ty == "folder" {
            out.push((format!("{path}/"), None));
            zip_entries(db, &id, &format!("{path}/"), out, depth + 1)?;
        } else if let Some(b) = blob {
            out.push((path, Some(b)));
        }
    }
    Ok(())
}

pub(super) async fn zip(st: &AppState, ws: &str, id: &str, rq: &Req) -> ApiResult {
    let (entries, name) = {
        let db = st.db();
        let (folder, name) = if id == "root" {
            ("root".to_string(), "root".to_string())
        } else {
            let n = real_node(&db, ws, id)?;
            if n["type"] != "folder" {
                return Err(ApiError::invalid("Only folders can be zipped."));
            }
            (
                id.to_string(),
                n["name"].as_str().unwrap_or("folder").to_string(),
            )
        };
        authorise_download(&db, ws, id, "zip", rq)?;
        let mut entries = Vec::new();
        // For root, the top-level query matches parent = 'root' within this workspace only
        // because node ids are global and root children carry the workspace in ws_id.
        if folder == "root" {
            let kids: Vec<(String, String, String, Option<String>)> = {
                let mut stmt = db.prepare("SELECT n.id, n.name, n.type, v.blob FROM nodes n LEFT JOIN versions v ON v.id = n.version_id WHERE n.ws_id = ?1 AND n.parent = 'root' AND n.trashed = 0 ORDER BY n.name")?;
                stmt.query_map([ws], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            for (kid, kname, ty, blob) in kids {
                if ty == "folder" {
                    entries.push((format!("{kname}/"), None));
                    zip_entries(&db, &kid, &format!("{kname}/"), &mut entries, 1)?;
                } else if let Some(b) = blob {
                    entries.push((kname, Some(b)));
                }
            }
        } else {
            zip_entries(&db, &folder, "", &mut entries, 0)?;
        }
        (entries, name)
    };
    let blobs = st.blobs.clone();
    let tmp = blobs.tmp_path();
    let tmp2 = tmp.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let f = std::fs::File::create(&tmp2)?;
        let mut zw = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        for (path, blob) in entries {
            match blob {
                None => zw
                    .add_directory(path.trim_end_matches('/'), opts)
                    .map_err(std::io::Error::other)?,
                Some(b) => {
                    zw.start_file(path, opts).map_err(std::io::Error::other)?;
                    let mut src = std::fs::File::open(blobs.blob_path(&b)?)?;
                    std::io::copy(&mut src, &mut zw)?;
                }
            }
        }
        let mut f = zw.finish().map_err(std::io::Error::other)?;
        f.flush()?;
        Ok(())
    })
    .await
    .map_err(|_| ApiError::internal("zip failed"))??;
    let file = tokio::fs::File::open(&tmp).await?;
    let len = file.metadata().await?.len();
    // The open handle keeps the bytes readable after the name is gone.
    let _ = std::fs::remove_file(&tmp);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/zip")
        .header(header::CONTENT_LENGTH, len)
        .header(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&format!(
                "attachment; filename=\"{}.zip\"",
                name.replace(['"', '\\'], "_")
            ))
            .unwrap_or(HeaderValue::from_static("attachment")),
        )
        .body(file_body(file, len))
        .map_err(|_| ApiError::internal("could not build the response"))
}
