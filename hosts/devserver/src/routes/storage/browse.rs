//! Reading the tree: folder listings, single and bulk details, search, and a file's versions.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::checks::{check_node_id, real_node};
use crate::envelope::{API_VERSION, ApiError, ApiResult, json_response, ok};
use crate::routes::nodes;
use crate::routes::paging::paging;
use crate::routes::request::Req;
use crate::state::AppState;

fn sort_nodes(v: &mut [Value], by: &str, desc: bool) {
    v.sort_by(|a, b| {
        let o = match by {
            "updated" => a["modified"].as_str().cmp(&b["modified"].as_str()),
            "created" => a["created"].as_str().cmp(&b["created"].as_str()),
            "type" => a["type"]
                .as_str()
                .cmp(&b["type"].as_str())
                .then_with(|| a["name"].as_str().cmp(&b["name"].as_str())),
            "size" => a["size"].as_u64().cmp(&b["size"].as_u64()),
            _ => a["name"]
                .as_str()
                .map(str::to_lowercase)
                .cmp(&b["name"].as_str().map(str::to_lowercase)),
        };
        if desc { o.reverse() } else { o }
    });
}

/// `page_size` (100, 250 or 500; 100 when absent) and the offset a `cursor` encodes.
fn cursor_paging(p: &crate::params::Params) -> ApiResult<(u64, usize)> {
    let page_size = p.u64("page_size")?.unwrap_or(100);
    if ![100, 250, 500].contains(&page_size) {
        return Err(ApiError::invalid_param(
            "page_size",
            "integer",
            "'page_size' must be 100, 250 or 500.",
        ));
    }
    let offset = match p.get("cursor") {
        None => 0,
        Some(c) => c
            .strip_prefix("o")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| {
                ApiError::invalid_param("cursor", "string", "The cursor is not valid.")
            })?,
    };
    Ok((page_size, offset))
}

/// One cursor page of `all`: `{nodes, pagination{…, next_cursor}}`.
fn cursor_page(all: Vec<Value>, page_size: u64, offset: usize) -> Value {
    let total = all.len();
    let items: Vec<Value> = all
        .into_iter()
        .skip(offset)
        .take(page_size as usize)
        .collect();
    let next = offset + items.len();
    let has_more = next < total;
    let next_cursor = has_more.then(|| format!("o{next}"));
    json!({
        "nodes": items,
        "pagination": {"page_size": page_size, "total": total, "has_more": has_more, "next_cursor": next_cursor, "cursor": next_cursor},
    })
}

pub(super) fn list(st: &AppState, ws: &str, node: &str, rq: &Req) -> ApiResult {
    check_node_id(node)?;
    let p = &rq.params;
    let (page_size, offset) = cursor_paging(p)?;
    let by = p.get("sort_by").unwrap_or("name");
    if !["name", "updated", "created", "type", "size"].contains(&by) {
        return Err(ApiError::invalid_param(
            "sort_by",
            "string",
            "'sort_by' must be name, updated, created or type.",
        ));
    }
    let dir = p.get("sort_dir").unwrap_or("asc");
    if dir != "asc" && dir != "desc" {
        return Err(ApiError::invalid_param(
            "sort_dir",
            "string",
            "'sort_dir' must be asc or desc.",
        ));
    }
    let db = st.db();
    let folder = if node == "trash" {
        "trash".to_string()
    } else {
        nodes::folder(&db, ws, node)?
    };
    let mut all = nodes::children(&db, ws, &folder)?;
    sort_nodes(&mut all, by, dir == "desc");
    Ok(ok(cursor_page(all, page_size, offset)))
}

/// `GET workspace/{id}/storage/recent/`: live nodes, most recently changed first, by cursor;
/// `type` keeps one node type (fastio_cli src/api/storage.rs:745-789 @96b1551).
pub(super) fn recent(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let p = &rq.params;
    let (page_size, offset) = cursor_paging(p)?;
    let kind = p.get("type");
    if kind.is_some_and(|k| k != "file" && k != "folder") {
        return Err(ApiError::invalid_param(
            "type",
            "string",
            "'type' must be file or folder.",
        ));
    }
    let db = st.db();
    let mut all: Vec<Value> = nodes::search(&db, ws, "")?
        .into_iter()
        .filter(|n| kind.is_none_or(|k| n["type"] == k))
        .collect();
    sort_nodes(&mut all, "updated", true);
    Ok(ok(cursor_page(all, page_size, offset)))
}

/// Most ids one bulk-details call may name (fastio_cli src/api/storage.rs:66-70 @96b1551).
const BULK_DETAILS_MAX_IDS: usize = 25;

/// Per-id error codes of a bulk-details answer (fastio_cli src/api/storage.rs:80-92 @96b1551).
const BULK_INVALID_ID: u32 = 191_878;
const BULK_NO_SUCH_NODE: u32 = 133_123;

/// `GET …/storage/{id}/details/` answers `{format: "single", node}`; with a comma-separated id
/// list it answers `{format: "multi", nodes, errors[{node_id, code, message}]}`: 200 with
/// `result: "yes"` when at least one id resolved, 404 with `result: "no"` and the same
/// `response` when none did (fastio_cli src/api/storage.rs:1203-1268, src/client.rs:2221-2270
/// @96b1551).
pub(super) fn details(st: &AppState, ws: &str, scope_root: &str, node: &str) -> ApiResult {
    let db = st.db();
    if !node.contains(',') {
        check_node_id(node)?;
        return Ok(ok(
            json!({"format": "single", "node": nodes::get(&db, ws, node)?}),
        ));
    }
    let given: Vec<&str> = node
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if given.len() > BULK_DETAILS_MAX_IDS {
        let mut e = ApiError::new(
            StatusCode::BAD_REQUEST,
            115_519,
            "APP_TOO_MANY_IDS",
            format!("At most {BULK_DETAILS_MAX_IDS} node ids per request."),
        );
        e.params.push(
            json!({"name": "node_id", "kind": "invalid", "code": 115_519,
            "message": "Too many node ids.", "expected_type": "string"}),
        );
        return Err(e);
    }
    // The official client sends a lone id twice (`id,id`) to get this shape; each node is
    // answered once (fastio_cli src/api/storage.rs:195-231 @96b1551).
    let mut wanted: Vec<&str> = Vec::new();
    for id in given {
        if !wanted.contains(&id) {
            wanted.push(id);
        }
    }
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for id in wanted {
        if check_node_id(id).is_err() || id == "trash" {
            errors.push(json!({"node_id": id, "code": BULK_INVALID_ID, "message": "The node id is not valid."}));
            continue;
        }
        let visible =
            scope_root == "root" || id == "root" || nodes::is_descendant(&db, id, scope_root)?;
        match nodes::get(&db, ws, id).and_then(|n| {
            if visible {
                Ok(n)
            } else {
                Err(ApiError::not_found("The node is not in this share."))
            }
        }) {
            Ok(n) => found.push(n),
            Err(e) if e.status == StatusCode::NOT_FOUND => errors.push(
                json!({"node_id": id, "code": BULK_NO_SUCH_NODE, "message": "No such file or folder exists."}),
            ),
            Err(e) => return Err(e),
        }
    }
    let payload = json!({"format": "multi", "nodes": found, "errors": errors});
    let (status, result) = if found.is_empty() {
        (StatusCode::NOT_FOUND, "no")
    } else {
        (StatusCode::OK, "yes")
    };
    Ok(json_response(
        status,
        &json!({"result": result, "response": payload, "current_api_version": API_VERSION}),
    ))
}

pub(super) fn search(st: &AppState, ws: &str, scope_root: &str, rq: &Req) -> ApiResult {
    let q = rq.params.req("search")?;
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let mut hits = nodes::search(&db, ws, q)?;
    if scope_root != "root" {
        let mut kept = Vec::new();
        for h in hits {
            let id = h["id"].as_str().unwrap_or("");
            if id != scope_root && nodes::is_descendant(&db, id, scope_root)? {
                kept.push(h);
            }
        }
        hits = kept;
    }
    let total = hits.len();
    let mut files = serde_json::Map::new();
    for n in hits.into_iter().skip(offset as usize).take(limit as usize) {
        if let Some(id) = n["id"].as_str() {
            files.insert(id.to_string(), n.clone());
        }
    }
    Ok(ok(
        json!({"files": files, "results": total, "pagination": {"total": total, "limit": limit, "offset": offset, "has_more": (offset as usize + files.len()) < total}}),
    ))
}

pub(super) fn versions(st: &AppState, ws: &str, id: &str) -> ApiResult {
    let db = st.db();
    let node = real_node(&db, ws, id)?;
    let list = nodes::versions(&db, id, node["version"].as_str().unwrap_or(""))?;
    Ok(ok(json!({"versions": list, "results": list.len()})))
}
