//! The event log: storage and upload actions are recorded here, read back by events search and
//! the activity poll, and handed to matching outbound webhook subscriptions.

use rusqlite::{Connection, params};
use serde_json::{Value, json};

use crate::ids;
use crate::state::AppState;

pub struct NewEvent<'a> {
    pub event: &'a str,
    pub category: &'a str,
    pub subcategory: &'a str,
    pub workspace_id: Option<String>,
    pub object_id: Option<String>,
    /// Key reported by the activity poll, e.g. `storage:{node_id}` or `upload:{id}`.
    pub activity_key: Option<String>,
    pub data: Value,
}

impl<'a> NewEvent<'a> {
    pub fn storage(event: &'a str, ws: &str, node: &str, data: Value) -> Self {
        Self {
            event,
            category: "storage",
            subcategory: if event.contains("folder") {
                "folder"
            } else {
                "file"
            },
            workspace_id: Some(ws.to_string()),
            object_id: Some(node.to_string()),
            activity_key: Some(format!("storage:{node}")),
            data,
        }
    }
}

pub const COLS: &str = "seq, id, event, category, subcategory, user_id, org_id, workspace_id, share_id, object_id, activity_key, created, data";

pub fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let data: String = r.get(12)?;
    let created: i64 = r.get(11)?;
    Ok(json!({
        "event_id": r.get::<_, String>(1)?,
        "id": r.get::<_, String>(1)?,
        "event": r.get::<_, String>(2)?,
        "category": r.get::<_, String>(3)?,
        "subcategory": r.get::<_, String>(4)?,
        "user_id": r.get::<_, Option<String>>(5)?,
        "org_id": r.get::<_, Option<String>>(6)?,
        "workspace_id": r.get::<_, Option<String>>(7)?,
        "share_id": r.get::<_, Option<String>>(8)?,
        "object_id": r.get::<_, Option<String>>(9)?,
        "created": ids::iso(created),
        "created_ms": created,
        "data": serde_json::from_str::<Value>(&data).unwrap_or(Value::Null),
    }))
}

/// Records an event inside the caller's transaction and queues webhook deliveries for it.
pub fn record(st: &AppState, db: &Connection, mut e: NewEvent<'_>) -> rusqlite::Result<Value> {
    let id = ids::random_alnum(24);
    let now = ids::now_ms();
    // Storage inside an independent share is namespaced by the share id: report it as a
    // `share_storage_*` event of the share's workspace.
    let mut event_name = e.event.to_string();
    let mut share_id: Option<String> = None;
    if let Some(ns) = e.workspace_id.clone()
        && let Ok(ws) = db.query_row("SELECT ws_id FROM shares WHERE id = ?1", [&ns], |r| {
            r.get::<_, String>(0)
        })
    {
        share_id = Some(ns);
        e.workspace_id = Some(ws);
        if let Some(rest) = event_name.strip_prefix("workspace_storage_") {
            event_name = format!("share_storage_{rest}");
        }
    }
    let org: Option<String> = match &e.workspace_id {
        Some(ws) => db
            .query_row("SELECT org_id FROM workspaces WHERE id = ?1", [ws], |r| {
                r.get(0)
            })
            .ok(),
        None => Some(st.default_org.clone()),
    };
    db.execute(
        "INSERT INTO events(id, event, category, subcategory, user_id, org_id, workspace_id, share_id, object_id, activity_key, created, data) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?12,?8,?9,?10,?11)",
        params![id, event_name, e.category, e.subcategory, st.user_id, org, e.workspace_id, e.object_id, e.activity_key, now, e.data.to_string(), share_id],
    )?;
    let v = db.query_row(
        &format!("SELECT {COLS} FROM events WHERE id = ?1"),
        [&id],
        row_json,
    )?;
    // `upload_completed` only feeds the activity poll (`upload:{id}`); it is not one of the
    // documented event names, so it is not sent to webhooks.
    if let Some(ws) = &e.workspace_id
        && e.category != "upload"
    {
        st.hooks.enqueue_matching(db, ws, &v)?;
    }
    Ok(v)
}
