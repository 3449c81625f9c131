//! Node ids as storage routes take them: which are well-formed, which name a real file or
//! folder rather than an alias, and the kind word event names carry.

use rusqlite::Connection;
use serde_json::Value;

use crate::envelope::{ApiError, ApiResult};
use crate::ids;
use crate::routes::nodes;

pub(super) fn check_node_id(id: &str) -> ApiResult<()> {
    if id == "root" || id == "trash" || ids::is_safe_id(id) {
        Ok(())
    } else {
        Err(ApiError::invalid_param(
            "node_id",
            "string",
            "The node id is not valid.",
        ))
    }
}

pub(super) fn real_node(db: &Connection, ws: &str, id: &str) -> ApiResult<Value> {
    if id == "root" || id == "trash" {
        return Err(ApiError::invalid_param(
            "node_id",
            "string",
            "This operation needs a file or folder id, not an alias.",
        ));
    }
    check_node_id(id)?;
    nodes::get(db, ws, id)
}

pub(super) fn kind(node: &Value) -> &'static str {
    if node["type"] == "folder" {
        "folder"
    } else {
        "file"
    }
}
