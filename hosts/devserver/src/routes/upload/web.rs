//! Web imports (`/web_upload/`): a loopback URL fetched in the background into a session.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::params;
use serde_json::{Value, json};

use super::assemble::run_assembly;
use super::chunks::commit_chunk;
use super::session::{
    COLS, NewSession, Placement, Session, insert_session, load, placement, row, set_status,
};
use super::status::cancel;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::routes::loopback;
use crate::routes::multipart::FilePart;
use crate::routes::nodes;
use crate::routes::request::Req;
use crate::state::AppState;

/// `POST /web_upload/`: imports a URL in the background. Only loopback `http://` sources.
pub async fn web_create(st: &Arc<AppState>, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let url = p.req("source_url")?.to_string();
    let uri = loopback::loopback_http(&url).ok_or_else(|| {
        ApiError::invalid_param(
            "source_url",
            "url",
            "This server imports only http:// URLs on the loopback interface.",
        )
    })?;
    let mut where_ = Placement::from_fields(p.view());
    where_.instance = where_.instance.or(p.get("profile_id"));
    let place = placement(&st.db(), &where_)?;
    if place.0.is_none() {
        return Err(ApiError::missing("profile_id"));
    }
    let name = p
        .get("file_name")
        .map(str::to_string)
        .or_else(|| {
            uri.path()
                .rsplit('/')
                .find(|s| !s.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "download".into());
    nodes::valid_name(&name)?;
    let n = NewSession {
        name: &name,
        size: None,
        place: &place,
        stream: false,
        max_size: None,
        kind: "web",
        source_url: Some(&url),
    };
    let id = insert_session(&st.db(), st, &n)?;
    let st2 = st.clone();
    let id2 = id.clone();
    tokio::spawn(async move {
        if let Err(e) = fetch_web(&st2, &id2, uri).await {
            let _ = set_status(&st2.db(), &id2, "store_failed", &e);
            st2.notify();
        }
    });
    Ok(ok(
        json!({"id": id, "web_upload": {"id": id, "status": "ready"}}),
    ))
}

async fn fetch_web(st: &Arc<AppState>, id: &str, uri: axum::http::Uri) -> Result<(), String> {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let resp = tokio::time::timeout(Duration::from_secs(30), client.get(uri))
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("source answered {}", resp.status()));
    }
    let _ = set_status(&st.db(), id, "uploading", "");
    let mut body = resp.into_body();
    let tmp = st.blobs.tmp_path();
    let mut file = std::fs::File::create(&tmp).map_err(|e| e.to_string())?;
    let (mut size, mut crc) = (0u64, 0u32);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        if let Ok(data) = frame.into_data() {
            size += data.len() as u64;
            if size > st.cfg.max_file_size {
                let _ = std::fs::remove_file(&tmp);
                return Err("source is larger than the maximum file size".into());
            }
            crc = crc32c::crc32c_append(crc, &data);
            file.write_all(&data).map_err(|e| e.to_string())?;
        }
    }
    let part = FilePart {
        field: "web".into(),
        tmp,
        file,
        size,
        crc32c: crc,
        hash: None,
    };
    commit_chunk(st, id, 1, part, false)
        .await
        .map_err(|e| e.text)?;
    {
        let db = st.db();
        let _ = db.execute(
            "UPDATE uploads SET size = ?1 WHERE id = ?2",
            params![size as i64, id],
        );
        let _ = set_status(&db, id, "assembling", "");
    }
    run_assembly(st, id).await.map_err(|e| e.text)
}

fn web_json(s: &Session) -> Value {
    json!({"id": s.id, "status": s.status, "status_message": s.status_message, "source_url": s.source_url,
           "file_name": s.name, "new_file_id": s.new_file_id, "size": s.size, "created": ids::iso(s.created)})
}

pub fn web_details(st: &AppState, id: &str) -> ApiResult {
    let s = load(&st.db(), id)?;
    if s.kind != "web" {
        return Err(ApiError::upload_not_found());
    }
    Ok(ok(json!({"web_upload": web_json(&s)})))
}

pub fn web_list(st: &AppState) -> ApiResult {
    let db = st.db();
    let mut stmt = db.prepare(&format!(
        "SELECT {COLS} FROM uploads WHERE kind = 'web' ORDER BY created"
    ))?;
    let all = stmt.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    let list: Vec<Value> = all.iter().map(web_json).collect();
    Ok(ok(json!({"results": list.len(), "web_uploads": list})))
}

pub fn web_cancel(st: &AppState, id: &str) -> ApiResult {
    if id.is_empty() {
        return Err(ApiError::missing("id"));
    }
    cancel(st, id)
}
