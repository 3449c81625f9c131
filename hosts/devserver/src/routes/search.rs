//! Unified search: one query over files, metadata and comments, each bucket paged on its own
//! with `<bucket>_offset` and `<bucket>_limit` (fastio_cli src/api/search.rs @96b1551). A
//! share has no metadata bucket. This server keeps no comments, so that bucket is always empty.

use rusqlite::Connection;
use serde_json::{Value, json};

use super::request::Req;
use super::{nodes, scope};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::state::AppState;

const MAX_QUERY: usize = 1024;
const DEFAULT_LIMIT: u64 = 25;
const MAX_LIMIT: u64 = 100;

fn bucket(rq: &Req, name: &str, all: Vec<Value>) -> ApiResult<Value> {
    let p = &rq.params;
    let offset = p.u64(&format!("{name}_offset"))?.unwrap_or(0);
    let limit = p.u64(&format!("{name}_limit"))?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_param(
            &format!("{name}_limit"),
            "integer",
            format!("'{name}_limit' must be between 1 and {MAX_LIMIT}."),
        ));
    }
    let total = all.len() as u64;
    let items: Vec<Value> = all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    let has_more = offset + (items.len() as u64) < total;
    Ok(
        json!({"items": items, "offset": offset, "limit": limit, "total": total,
              "total_relation": "eq", "has_more": has_more, "status": "ok"}),
    )
}

fn query(rq: &Req) -> ApiResult<String> {
    let q = rq.params.req("search")?;
    if q.chars().count() > MAX_QUERY {
        return Err(ApiError::invalid_param(
            "search",
            "string",
            format!("'search' must be at most {MAX_QUERY} characters."),
        ));
    }
    Ok(q.to_string())
}

fn file_item(n: &Value, score: f64) -> Value {
    json!({"node_id": n["id"], "name": n["name"], "type": n["type"], "parent": n["parent"],
           "size": n["size"], "relevance_score": score})
}

/// Files whose name holds the query, under `root` (a folder-backed share's folder).
fn files(db: &Connection, ns: &str, root: &str, q: &str) -> ApiResult<Vec<Value>> {
    let mut out = Vec::new();
    for n in nodes::search(db, ns, q)? {
        let id = n["id"].as_str().unwrap_or_default();
        if root == "root" || (id != root && nodes::is_descendant(db, id, root)?) {
            out.push(file_item(&n, 1.0));
        }
    }
    Ok(out)
}

/// Files whose metadata title or summary holds the query.
fn metadata(db: &Connection, ws: &str, q: &str) -> ApiResult<Vec<Value>> {
    let needle = q.to_lowercase();
    Ok(nodes::search(db, ws, "")?
        .into_iter()
        .filter(|n| {
            ["metadata_title", "metadata_short"].iter().any(|k| {
                n[k].as_str()
                    .is_some_and(|v| v.to_lowercase().contains(&needle))
            })
        })
        .map(|n| file_item(&n, 0.5))
        .collect())
}

/// `GET workspace/{id}/search/`.
pub fn workspace(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let q = query(rq)?;
    let db = st.db();
    scope::workspace(&db, ws)?;
    Ok(ok(json!({
        "files": bucket(rq, "files", files(&db, ws, "root", &q)?)?,
        "metadata": bucket(rq, "metadata", metadata(&db, ws, &q)?)?,
        "comments": bucket(rq, "comments", Vec::new())?,
    })))
}

/// `GET share/{id}/search/`: the share's storage only.
pub fn share(st: &AppState, id: &str, rq: &Req) -> ApiResult {
    let q = query(rq)?;
    let db = st.db();
    let (ns, root) = scope::storage_scope(&db, id)?;
    Ok(ok(json!({
        "files": bucket(rq, "files", files(&db, &ns, &root, &q)?)?,
        "comments": bucket(rq, "comments", Vec::new())?,
    })))
}
