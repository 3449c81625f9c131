//! The session row and its bookkeeping: loading and answering it, where an upload is placed,
//! and how many chunk requests a session may have in flight.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use crate::envelope::{ApiError, ApiResult};
use crate::ids;
use crate::params::View;
use crate::routes::nodes;
use crate::routes::scope;
use crate::state::AppState;
use crate::sync::lock;

pub const TERMINAL: &[&str] = &["stored", "assembly_failed", "store_failed"];

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub name: String,
    pub size: Option<u64>,
    pub instance_id: Option<String>,
    pub folder_id: Option<String>,
    pub stream: bool,
    pub max_size: Option<u64>,
    pub status: String,
    pub status_message: String,
    pub new_file_id: Option<String>,
    pub file_crc32c: Option<String>,
    pub expected: Option<String>,
    pub computed: Option<String>,
    pub blob: Option<String>,
    pub hash: Option<String>,
    pub stored_size: Option<i64>,
    pub source_url: Option<String>,
    pub kind: String,
    pub created: i64,
    pub updated: i64,
}

pub(super) const COLS: &str = "id, name, size, instance_id, folder_id, stream, max_size, status, status_message, new_file_id, \
    file_crc32c, expected_crc32c, computed_crc32c, blob, hash, stored_size, source_url, kind, created, updated";

pub(super) fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        name: r.get(1)?,
        size: r.get::<_, Option<i64>>(2)?.map(|v| v as u64),
        instance_id: r.get(3)?,
        folder_id: r.get(4)?,
        stream: r.get::<_, i64>(5)? != 0,
        max_size: r.get::<_, Option<i64>>(6)?.map(|v| v as u64),
        status: r.get(7)?,
        status_message: r.get(8)?,
        new_file_id: r.get(9)?,
        file_crc32c: r.get(10)?,
        expected: r.get(11)?,
        computed: r.get(12)?,
        blob: r.get(13)?,
        hash: r.get(14)?,
        stored_size: r.get(15)?,
        source_url: r.get(16)?,
        kind: r.get(17)?,
        created: r.get(18)?,
        updated: r.get(19)?,
    })
}

pub fn load(db: &Connection, id: &str) -> ApiResult<Session> {
    if !ids::is_safe_id(id) {
        return Err(ApiError::upload_invalid("The upload id is not valid."));
    }
    db.query_row(
        &format!("SELECT {COLS} FROM uploads WHERE id = ?1"),
        [id],
        row,
    )
    .optional()?
    .ok_or_else(ApiError::upload_not_found)
}

pub(super) fn chunks(db: &Connection, id: &str) -> ApiResult<Vec<(u64, u64, String)>> {
    let mut stmt =
        db.prepare("SELECT ord, size, crc32c FROM chunks WHERE upload_id = ?1 ORDER BY ord")?;
    let v = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(v)
}

pub fn session_json(db: &Connection, s: &Session) -> ApiResult<Value> {
    let mut map = serde_json::Map::new();
    for (ord, size, _) in chunks(db, &s.id)? {
        map.insert(ord.to_string(), json!(size));
    }
    let integrity = match (&s.expected, &s.computed) {
        (Some(e), Some(c)) => json!({"expected_crc32c": e, "computed_crc32c": c}),
        _ => Value::Null,
    };
    Ok(json!({
        "id": s.id,
        "name": s.name,
        "size": s.size,
        "instance_id": s.instance_id,
        "folder_id": s.folder_id,
        "stream": s.stream,
        "max_size": s.max_size,
        "status": s.status,
        "status_message": s.status_message,
        "new_file_id": s.new_file_id,
        "chunks": map,
        "integrity_failure": integrity,
        "hash": s.hash,
        "hash_algo": s.hash.as_ref().map(|_| "md5"),
        "created": ids::iso(s.created),
        "updated": ids::iso(s.updated),
    }))
}

pub(super) fn set_status(db: &Connection, id: &str, status: &str, msg: &str) -> ApiResult<()> {
    db.execute(
        "UPDATE uploads SET status = ?1, status_message = ?2, updated = ?3 WHERE id = ?4",
        params![status, msg, ids::now_ms(), id],
    )?;
    Ok(())
}

/// Counts chunk requests in flight per session; the slot is released when dropped.
pub(super) struct InflightSlot<'a> {
    st: &'a AppState,
    id: String,
}

impl<'a> InflightSlot<'a> {
    pub(super) fn enter(st: &'a AppState, id: &str) -> ApiResult<Self> {
        let mut m = lock(&st.inflight);
        let n = m.entry(id.to_string()).or_insert(0);
        if *n >= st.cfg.max_parallel_chunks {
            return Err(ApiError::rate_limited(format!(
                "At most {} chunks may be in flight per upload session.",
                st.cfg.max_parallel_chunks
            )));
        }
        *n += 1;
        Ok(Self {
            st,
            id: id.to_string(),
        })
    }
}

impl Drop for InflightSlot<'_> {
    fn drop(&mut self) {
        let mut m = lock(&self.st.inflight);
        if let Some(n) = m.get_mut(&self.id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.id);
            }
        }
    }
}

/// Where an upload is placed, from the fields session create, single, batch and web uploads
/// share: the profile id, `folder_id` and `profile_type`.
pub(super) struct Placement<'a> {
    pub(super) instance: Option<&'a str>,
    pub(super) folder_id: Option<&'a str>,
    pub(super) profile_type: Option<&'a str>,
}

impl<'a> Placement<'a> {
    /// The usual field names, read from `p`.
    pub(super) fn from_fields(p: View<'a>) -> Self {
        Self {
            instance: p.get("instance_id"),
            folder_id: p.get("folder_id"),
            profile_type: p.get("profile_type"),
        }
    }
}

/// Validates a placement: `(namespace, folder)`, or nothing for an unplaced upload.
pub(super) fn placement(
    db: &Connection,
    p: &Placement<'_>,
) -> ApiResult<(Option<String>, Option<String>)> {
    let Some(instance) = p.instance else {
        return Ok((None, None));
    };
    let folder_id = p.folder_id.unwrap_or("root");
    match p.profile_type.unwrap_or("workspace") {
        "workspace" => {
            scope::workspace(db, instance)?;
            let folder = nodes::folder(db, instance, folder_id)?;
            Ok((Some(instance.to_string()), Some(folder)))
        }
        "share" => {
            // Files of a share live in its storage namespace (see scope::storage_scope).
            let (ns, root) = scope::storage_scope(db, instance)?;
            let folder = if folder_id == "root" {
                root.clone()
            } else {
                folder_id.to_string()
            };
            if root != "root" && folder != root && !nodes::is_descendant(db, &folder, &root)? {
                return Err(ApiError::not_found("The folder is not in this share."));
            }
            let folder = nodes::folder(db, &ns, &folder)?;
            Ok((Some(ns), Some(folder)))
        }
        _ => Err(ApiError::invalid_param(
            "profile_type",
            "string",
            "'profile_type' must be workspace or share.",
        )),
    }
}

/// The fields of a new session row.
pub(super) struct NewSession<'a> {
    pub(super) name: &'a str,
    pub(super) size: Option<u64>,
    pub(super) place: &'a (Option<String>, Option<String>),
    pub(super) stream: bool,
    pub(super) max_size: Option<u64>,
    /// `upload` or `web` (URL import).
    pub(super) kind: &'a str,
    pub(super) source_url: Option<&'a str>,
}

pub(super) fn insert_session(
    db: &Connection,
    st: &AppState,
    n: &NewSession<'_>,
) -> ApiResult<String> {
    let NewSession {
        name,
        size,
        place,
        stream,
        max_size,
        kind,
        source_url,
    } = *n;
    let id = ids::random_alnum(32);
    let now = ids::now_ms();
    db.execute(
        "INSERT INTO uploads(id, user_id, name, size, instance_id, folder_id, profile_type, stream, max_size, status, kind, source_url, created, updated) \
         VALUES (?1,?2,?3,?4,?5,?6,'workspace',?7,?8,'ready',?9,?10,?11,?11)",
        params![id, st.user_id, name, size.map(|s| s as i64), place.0, place.1, stream as i64, max_size.map(|s| s as i64), kind, source_url, now],
    )?;
    Ok(id)
}

pub(super) fn discard(st: &AppState, id: &str) {
    let db = st.db();
    let _ = db.execute("DELETE FROM chunks WHERE upload_id = ?1", [id]);
    let _ = db.execute("DELETE FROM uploads WHERE id = ?1", [id]);
    st.blobs.remove_session(id);
}
