//! Workspace metadata: templates, the files they describe and the values set on them
//! (fastio_cli src/api/metadata.rs and src/bin/fastio/mcp/tools.rs @96b1551). Every write is a
//! form; a JSON body is refused with 406, as the service refuses it. Extraction needs the
//! service's AI and is not served; values are set by hand. The answers' shapes are this server's
//! choice where the reference is silent.

use axum::http::{Method, StatusCode};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::paging::{page, paging};
use super::request::Req;
use super::{nodes, scope};
use crate::envelope::{ApiError, ApiResult, ok};
use crate::ids;
use crate::state::AppState;

const MAX_IDS: usize = 25;
const COLS: &str = "id, name, description, category, fields, enabled, priority, created, updated";

fn not_json(rq: &Req) -> ApiResult<()> {
    if rq.method == Method::POST && rq.content_type.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            1605,
            "APP_INVALID_INPUT",
            "Metadata writes take a form, not JSON.",
        ));
    }
    Ok(())
}

fn template_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let fields: String = r.get(4)?;
    Ok(json!({
        "id": r.get::<_, String>(0)?,
        "template_id": r.get::<_, String>(0)?,
        "name": r.get::<_, String>(1)?,
        "description": r.get::<_, String>(2)?,
        "category": r.get::<_, String>(3)?,
        "fields": serde_json::from_str::<Value>(&fields).unwrap_or(Value::Null),
        "enabled": r.get::<_, i64>(5)? != 0,
        "priority": r.get::<_, i64>(6)?,
        "created": ids::iso(r.get(7)?),
        "updated": ids::iso(r.get(8)?),
    }))
}

fn template(db: &Connection, ws: &str, tid: &str) -> ApiResult<Value> {
    db.query_row(
        &format!("SELECT {COLS} FROM metadata_templates WHERE id = ?1 AND ws_id = ?2"),
        params![tid, ws],
        template_json,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found("The template does not exist."))
}

fn text(rq: &Req, k: &str, max: usize) -> ApiResult<Option<String>> {
    match rq.params.get(k) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() || v.chars().count() > max => Err(ApiError::invalid_param(
            k,
            "string",
            format!("'{k}' must be 1 to {max} characters."),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// `fields`: a non-empty JSON array of objects, each with a `name`; at least one extracted.
fn fields(rq: &Req) -> ApiResult<Option<Vec<Value>>> {
    let Some(raw) = rq.params.get("fields") else {
        return Ok(None);
    };
    let bad = || {
        ApiError::invalid_param(
            "fields",
            "array",
            "'fields' is a non-empty JSON array of fields with names.",
        )
    };
    let list: Vec<Value> = serde_json::from_str(raw).map_err(|_| bad())?;
    if list.is_empty()
        || list.iter().any(|f| {
            f.get("name")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        })
    {
        return Err(bad());
    }
    if list
        .iter()
        .all(|f| f.get("autoextract") == Some(&Value::Bool(false)))
    {
        return Err(ApiError::invalid_param(
            "fields",
            "array",
            "At least one field must be extracted automatically.",
        ));
    }
    Ok(Some(list))
}

fn id_list(rq: &Req, k: &str) -> ApiResult<Vec<String>> {
    let raw = rq.params.req(k)?;
    let list: Vec<String> = serde_json::from_str(raw).map_err(|_| {
        ApiError::invalid_param(k, "array", format!("'{k}' is a JSON array of ids."))
    })?;
    if list.is_empty() || list.len() > MAX_IDS || list.iter().any(String::is_empty) {
        return Err(ApiError::invalid_param(
            k,
            "array",
            format!("'{k}' holds 1 to {MAX_IDS} ids."),
        ));
    }
    Ok(list)
}

/// `workspace/{ws}/metadata/…`.
pub fn route(st: &AppState, ws: &str, rest: &[&str], rq: &Req) -> ApiResult {
    not_json(rq)?;
    scope::workspace(&st.db(), ws)?;
    let m = &rq.method;
    let (get, post, del) = (*m == Method::GET, *m == Method::POST, *m == Method::DELETE);
    match rest {
        ["templates"] if post => create(st, ws, rq),
        ["templates", "list"] if get => list(st, ws, None),
        ["templates", "list", filter] if get => list(st, ws, Some(filter)),
        ["templates", tid, "details"] if get => {
            Ok(ok(json!({"template": template(&st.db(), ws, tid)?})))
        }
        ["templates", tid, "settings"] if post => settings(st, ws, tid, rq),
        ["templates", tid, "update"] if post => update(st, ws, tid, rq),
        ["templates", tid] if del => delete(st, ws, tid),
        ["templates", tid, "nodes", action @ ("add" | "remove")] if post => {
            assign(st, ws, tid, *action == "add", rq)
        }
        ["templates", tid, "nodes"] if get => template_nodes(st, ws, tid, rq),
        ["eligible"] if get => eligible(st, ws, rq),
        ["search"] if get => search(st, ws, rq),
        _ => Err(ApiError::unknown_route()),
    }
}

fn create(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    rq.params
        .require_all(&["name", "description", "category", "fields"])?;
    let name = text(rq, "name", 255)?;
    let description = text(rq, "description", 1000)?;
    let category = text(rq, "category", 50)?;
    let fields = fields(rq)?;
    let id = ids::node_id();
    let now = ids::now_ms();
    let db = st.db();
    db.execute(
        &format!(
            "INSERT INTO metadata_templates(ws_id, {COLS}) VALUES (?1,?2,?3,?4,?5,?6,1,0,?7,?7)"
        ),
        params![
            ws,
            id,
            name,
            description,
            category,
            json!(fields).to_string(),
            now
        ],
    )?;
    Ok(ok(json!({"template": template(&db, ws, &id)?})))
}

fn list(st: &AppState, ws: &str, filter: Option<&str>) -> ApiResult {
    let cond = match filter {
        None | Some("all") => "",
        Some("enabled") => " AND enabled = 1",
        Some("disabled") => " AND enabled = 0",
        Some(_) => {
            return Err(ApiError::invalid_param(
                "filter",
                "string",
                "The filter is all, enabled or disabled.",
            ));
        }
    };
    let db = st.db();
    let mut stmt = db.prepare(&format!(
        "SELECT {COLS} FROM metadata_templates WHERE ws_id = ?1{cond} ORDER BY priority DESC, created, id"
    ))?;
    let all = stmt
        .query_map([ws], template_json)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ok(json!({"templates": all})))
}

fn settings(st: &AppState, ws: &str, tid: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    template(&db, ws, tid)?;
    let p = &rq.params;
    if !p.has("enabled") && !p.has("priority") {
        return Err(ApiError::missing_all(&["enabled", "priority"]));
    }
    if p.has("enabled") {
        db.execute(
            "UPDATE metadata_templates SET enabled = ?1 WHERE id = ?2",
            params![p.flag_req("enabled")? as i64, tid],
        )?;
    }
    if let Some(n) = p.u64("priority")? {
        db.execute(
            "UPDATE metadata_templates SET priority = ?1 WHERE id = ?2",
            params![n.min(1000) as i64, tid],
        )?;
    }
    db.execute(
        "UPDATE metadata_templates SET updated = ?1 WHERE id = ?2",
        params![ids::now_ms(), tid],
    )?;
    Ok(ok(json!({"template": template(&db, ws, tid)?})))
}

fn update(st: &AppState, ws: &str, tid: &str, rq: &Req) -> ApiResult {
    let db = st.db();
    template(&db, ws, tid)?;
    let mut changed = false;
    for (k, max) in [("name", 255), ("description", 1000), ("category", 50)] {
        if let Some(v) = text(rq, k, max)? {
            db.execute(
                &format!("UPDATE metadata_templates SET {k} = ?1 WHERE id = ?2"),
                params![v, tid],
            )?;
            changed = true;
        }
    }
    if let Some(f) = fields(rq)? {
        db.execute(
            "UPDATE metadata_templates SET fields = ?1 WHERE id = ?2",
            params![json!(f).to_string(), tid],
        )?;
        changed = true;
    }
    if !changed {
        return Err(ApiError::invalid("The update changes nothing."));
    }
    db.execute(
        "UPDATE metadata_templates SET updated = ?1 WHERE id = ?2",
        params![ids::now_ms(), tid],
    )?;
    Ok(ok(json!({"template": template(&db, ws, tid)?})))
}

fn delete(st: &AppState, ws: &str, tid: &str) -> ApiResult {
    let db = st.db();
    template(&db, ws, tid)?;
    for table in ["metadata_values", "metadata_assignments"] {
        db.execute(
            &format!("DELETE FROM {table} WHERE template_id = ?1"),
            [tid],
        )?;
    }
    db.execute("DELETE FROM metadata_templates WHERE id = ?1", [tid])?;
    Ok(ok(json!({"id": tid, "deleted": true})))
}

/// A live file of the workspace.
fn file(db: &Connection, ws: &str, id: &str) -> ApiResult<Value> {
    let n = nodes::get(db, ws, id)?;
    if n["type"] != "file" && n["type"] != "note" {
        return Err(ApiError::invalid_param(
            "node_ids",
            "array",
            format!("'{id}' is not a file."),
        ));
    }
    Ok(n)
}

fn assign(st: &AppState, ws: &str, tid: &str, add: bool, rq: &Req) -> ApiResult {
    let list = id_list(rq, "node_ids")?;
    let db = st.db();
    template(&db, ws, tid)?;
    for n in &list {
        file(&db, ws, n)?;
    }
    for n in &list {
        if add {
            db.execute(
                "INSERT OR IGNORE INTO metadata_assignments(template_id, node_id) VALUES (?1,?2)",
                params![tid, n],
            )?;
        } else {
            db.execute(
                "DELETE FROM metadata_assignments WHERE template_id = ?1 AND node_id = ?2",
                params![tid, n],
            )?;
        }
    }
    Ok(ok(
        json!({"template_id": tid, "node_ids": list, "added": add}),
    ))
}

fn template_nodes(st: &AppState, ws: &str, tid: &str, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    template(&db, ws, tid)?;
    let mut stmt = db.prepare(
        "SELECT node_id FROM metadata_assignments WHERE template_id = ?1 ORDER BY node_id",
    )?;
    let ids = stmt
        .query_map([tid], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut all = Vec::new();
    for n in ids {
        let mut node = nodes::get(&db, ws, &n)?;
        node["metadata"] = Value::Object(values(&db, &n, Some(tid))?);
        all.push(node);
    }
    let (nodes, pagination) = page(all, limit, offset);
    Ok(ok(json!({"nodes": nodes, "pagination": pagination})))
}

fn eligible(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let all: Vec<Value> = nodes::search(&db, ws, "")?
        .into_iter()
        .filter(|n| n["type"] == "file" || n["type"] == "note")
        .collect();
    let (nodes, pagination) = page(all, limit, offset);
    Ok(ok(json!({"nodes": nodes, "pagination": pagination})))
}

/// A node's values, `{key: value}`, of one template or all.
fn values(db: &Connection, node: &str, tid: Option<&str>) -> ApiResult<Map<String, Value>> {
    let mut stmt = db.prepare(
        "SELECT key, value FROM metadata_values WHERE node_id = ?1 AND (?2 IS NULL OR template_id = ?2) ORDER BY key",
    )?;
    let rows = stmt
        .query_map(params![node, tid], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(k, v)| (k, serde_json::from_str(&v).unwrap_or(Value::String(v))))
        .collect())
}

fn search(st: &AppState, ws: &str, rq: &Req) -> ApiResult {
    let q = rq.params.req("q")?.trim().to_lowercase();
    if q.chars().count() > 1024 {
        return Err(ApiError::invalid_param(
            "q",
            "string",
            "'q' is at most 1024 characters.",
        ));
    }
    let tid = rq.params.get("template_id");
    let (limit, offset) = paging(&rq.params)?;
    let db = st.db();
    let mut stmt = db.prepare(
        "SELECT DISTINCT v.node_id FROM metadata_values v JOIN metadata_templates t ON t.id = v.template_id \
         WHERE t.ws_id = ?1 AND (?2 IS NULL OR v.template_id = ?2) AND instr(lower(v.value), ?3) > 0 ORDER BY v.node_id",
    )?;
    let hits = stmt
        .query_map(params![ws, tid, q], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut all = Vec::new();
    for n in hits {
        all.push(json!({"node_id": n, "metadata": values(&db, &n, tid)?}));
    }
    let (results, pagination) = page(all, limit, offset);
    Ok(ok(json!({"results": results, "pagination": pagination})))
}

/// `…/storage/{ids}/metadata/details/`: up to 25 files' values by template, bulk-shaped.
pub fn details(st: &AppState, ws: &str, list: &str) -> ApiResult {
    let ids: Vec<&str> = list.split(',').collect();
    if ids.len() > MAX_IDS {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            109_184,
            "APP_INVALID_INPUT",
            "At most 25 ids.",
        ));
    }
    let db = st.db();
    let mut seen = Vec::new();
    let mut nodes_out = Vec::new();
    let mut errors = Vec::new();
    for id in ids {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        match file(&db, ws, id) {
            Ok(_) => nodes_out.push(json!({"node_id": id, "metadata": values(&db, id, None)?})),
            Err(e) => errors.push(json!({"node_id": id, "message": e.text})),
        }
    }
    Ok(ok(
        json!({"format": "multi", "nodes": nodes_out, "errors": errors}),
    ))
}

/// `POST …/storage/{node}/metadata/update/{template}/` (form `key_values`, a JSON object whose
/// keys are the template's fields).
pub fn set_values(st: &AppState, ws: &str, node: &str, tid: &str, rq: &Req) -> ApiResult {
    not_json(rq)?;
    let raw = rq.params.req("key_values")?;
    let kv: Map<String, Value> = serde_json::from_str(raw).map_err(|_| {
        ApiError::invalid_param("key_values", "object", "'key_values' is a JSON object.")
    })?;
    if kv.is_empty() {
        return Err(ApiError::invalid_param(
            "key_values",
            "object",
            "'key_values' is empty.",
        ));
    }
    let db = st.db();
    file(&db, ws, node)?;
    let t = template(&db, ws, tid)?;
    let names: Vec<&str> = t["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["name"].as_str())
        .collect();
    if let Some(unknown) = kv.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(ApiError::invalid_param(
            "key_values",
            "object",
            format!("'{unknown}' is not a field of the template."),
        ));
    }
    for (k, v) in &kv {
        db.execute(
            "INSERT INTO metadata_values(node_id, template_id, key, value) VALUES (?1,?2,?3,?4) \
             ON CONFLICT(node_id, template_id, key) DO UPDATE SET value = excluded.value",
            params![node, tid, k, v.to_string()],
        )?;
    }
    db.execute(
        "INSERT OR IGNORE INTO metadata_assignments(template_id, node_id) VALUES (?1,?2)",
        params![tid, node],
    )?;
    Ok(ok(
        json!({"node_id": node, "template_id": tid, "metadata": values(&db, node, Some(tid))?}),
    ))
}

/// `DELETE …/storage/{node}/metadata/` with `keys` (a JSON array) and `template_id` in the
/// query; with neither, every value of the file goes.
pub fn delete_values(st: &AppState, ws: &str, node: &str, rq: &Req) -> ApiResult {
    let q = rq.params.query();
    let keys: Option<Vec<String>> = match q.get("keys") {
        None => None,
        Some(raw) => match serde_json::from_str::<Vec<String>>(raw) {
            Ok(k) if !k.is_empty() => Some(k),
            _ => {
                return Err(ApiError::invalid_param(
                    "keys",
                    "array",
                    "'keys' is a non-empty JSON array of key names.",
                ));
            }
        },
    };
    let tid = q.get("template_id");
    let db = st.db();
    file(&db, ws, node)?;
    let n = match &keys {
        Some(keys) => {
            let mut n = 0;
            for k in keys {
                n += db.execute(
                    "DELETE FROM metadata_values WHERE node_id = ?1 AND key = ?2 AND (?3 IS NULL OR template_id = ?3)",
                    params![node, k, tid],
                )?;
            }
            n
        }
        None => db.execute(
            "DELETE FROM metadata_values WHERE node_id = ?1 AND (?2 IS NULL OR template_id = ?2)",
            params![node, tid],
        )?,
    };
    Ok(ok(json!({"node_id": node, "deleted": n})))
}
