//! `…/storage/{folder}/addfile/`: places bytes the server already holds (a stored upload, or
//! through a share a blob found by its SHA-256) as a file.

use rusqlite::params;
use serde_json::{Value, json};

use super::session::load;
use crate::envelope::{ApiError, ApiResult, ok};
use crate::events::{self, NewEvent};
use crate::hashing;
use crate::routes::nodes;
use crate::routes::request::Req;
use crate::state::AppState;

/// `POST {workspace|share}/{id}/storage/{parent}/addfile/` with form fields `name` and `from`,
/// both required (fastio_cli src/api/storage.rs:805-841 @96b1551). `from` is
/// `{"type":"upload","upload":{"id":…}}` (a stored, unplaced upload) or, through a share only,
/// `{"type":"hash","hash":{"hash":…,"hash_type":"sha256"}}` (bytes this server already holds;
/// fastio_cli src/bin/fastio/commands/files.rs:918-925 @96b1551).
pub async fn addfile(
    st: &AppState,
    ns: &str,
    folder: &str,
    share: Option<&str>,
    rq: &Req,
) -> ApiResult {
    let p = &rq.params;
    p.require_all(&["name", "from"])?;
    let name = p.req("name")?.to_string();
    nodes::valid_name(&name)?;
    let from: Value = serde_json::from_str(p.req("from")?)
        .map_err(|_| ApiError::invalid_param("from", "json", "'from' must be JSON."))?;
    let held = match from["type"].as_str() {
        Some("upload") => stored_upload(st, &from)?,
        Some("hash") if share.is_some() => blob_by_hash(st, &from).await?,
        Some("hash") => {
            return Err(ApiError::invalid_param(
                "from",
                "json",
                "A from.type = \"hash\" source is accepted only through a share.",
            ));
        }
        _ => {
            return Err(ApiError::invalid_param(
                "from",
                "json",
                "from.type must be \"upload\" or \"hash\".",
            ));
        }
    };
    let mut db = st.db();
    let tx = db.transaction()?;
    let mut data = json!({"name": name});
    if let Some(uid) = &held.upload {
        // Re-checked inside the transaction so two racing calls cannot both place it.
        if load(&tx, uid)?.new_file_id.is_some() {
            return Err(ApiError::conflict("The upload was already placed."));
        }
        data["upload_id"] = json!(uid);
    }
    let stored = nodes::Stored {
        blob: &held.blob,
        size: held.size,
        md5: &held.md5,
        crc32c: &held.crc32c,
    };
    let (node, new) = nodes::place_file(&tx, ns, folder, &name, &stored)?;
    if let Some(uid) = &held.upload {
        tx.execute(
            "UPDATE uploads SET new_file_id = ?1, instance_id = ?2, folder_id = ?3 WHERE id = ?4",
            params![node, ns, folder, uid],
        )?;
    }
    let ev = if new {
        "workspace_storage_file_added"
    } else {
        "workspace_storage_file_updated"
    };
    events::record(st, &tx, NewEvent::storage(ev, ns, &node, data))?;
    tx.commit()?;
    let node_v = nodes::get(&db, ns, &node)?;
    drop(db);
    st.notify();
    Ok(ok(json!({"node": node_v, "new_file_id": node})))
}

/// Bytes this server already holds, ready to be placed as a file.
struct Held {
    blob: String,
    size: u64,
    md5: String,
    crc32c: String,
    /// The upload session they came from, which placing them consumes.
    upload: Option<String>,
}

/// The bytes of the session named by `from.upload.id`, if it is stored and not yet placed.
fn stored_upload(st: &AppState, from: &Value) -> ApiResult<Held> {
    let uid = match &from["upload"]["id"] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => {
            return Err(ApiError::invalid_param(
                "from",
                "json",
                "from.upload.id is required.",
            ));
        }
    };
    let s = load(&st.db(), &uid)?;
    if s.status != "stored" {
        return Err(ApiError::conflict("The upload is not stored yet."));
    }
    if s.new_file_id.is_some() {
        return Err(ApiError::conflict("The upload was already placed."));
    }
    let blob = s
        .blob
        .ok_or_else(|| ApiError::conflict("The upload has no stored bytes."))?;
    Ok(Held {
        blob,
        size: s.stored_size.unwrap_or(0).max(0) as u64,
        md5: s.hash.unwrap_or_default(),
        crc32c: String::new(),
        upload: Some(uid),
    })
}

/// Stored bytes whose SHA-256 is `from.hash.hash`: any file version, or an upload stored but not
/// yet placed. Blobs carry no SHA-256 index here, so candidates are hashed on demand (a
/// development server holds few).
async fn blob_by_hash(st: &AppState, from: &Value) -> ApiResult<Held> {
    let want = from["hash"]["hash"]
        .as_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| ApiError::invalid_param("from", "json", "from.hash.hash is required."))?
        .to_ascii_lowercase();
    if from["hash"]["hash_type"].as_str() != Some("sha256") {
        return Err(ApiError::invalid_param(
            "from",
            "json",
            "from.hash.hash_type must be \"sha256\".",
        ));
    }
    let candidates: Vec<(String, i64, Option<String>, Option<String>)> = {
        let db = st.db();
        let mut stmt = db.prepare(
            "SELECT blob, size, hash, crc32c FROM versions \
             UNION SELECT blob, stored_size, hash, NULL FROM uploads \
             WHERE blob IS NOT NULL AND stored_size IS NOT NULL AND new_file_id IS NULL",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?
    };
    let blobs = st.blobs.clone();
    let found = tokio::task::spawn_blocking(move || -> ApiResult<Option<_>> {
        let mut seen = std::collections::HashSet::new();
        for (blob, size, md5, crc) in candidates {
            if !seen.insert(blob.clone()) {
                continue;
            }
            let path = blobs.blob_path(&blob)?;
            // A blob whose last reference went away in the meantime is simply not a match.
            let Ok(digest) = hashing::hash_file(&path, "sha256") else {
                continue;
            };
            if digest.as_deref() == Some(want.as_str()) {
                return Ok(Some(Held {
                    blob,
                    size: size.max(0) as u64,
                    md5: md5.unwrap_or_default(),
                    crc32c: crc.unwrap_or_default(),
                    upload: None,
                }));
            }
        }
        Ok(None)
    })
    .await
    .map_err(|_| ApiError::internal("hashing failed"))??;
    found.ok_or_else(|| ApiError::not_found("No stored file has that hash."))
}
