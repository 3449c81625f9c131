//! Delivery bodies read as typed Fast.io events.
//!
//! Fast.io's outbound payload shape is not documented, so the parser accepts
//! the plausible ones: the event name under `event`, `type`, `event_type` or
//! `name`; details nested under `data` or `payload`, or at the top level.
//! Names are the snake_case ones of the event API (`workspace_storage_file_added`)
//! or the dotted ones some articles use (`file.uploaded`), which map onto the
//! same variants. Anything else becomes [`Event::Unknown`] with the raw JSON.
//!
//! An [`Event`] serialises to one JSON shape for every host:
//!
//! ```json
//! {"name": "workspace_storage_file_added", "known": true,
//!  "storage": {"scope": "workspace", "object": "file", "action": "added"},
//!  "info": {"name": "file.uploaded", "event_id": "9001", "workspace_id": "42", "share_id": null,
//!           "org_id": null, "node_id": "f_1", "actor": "u_7", "time": "2026-01-02 03:04:05"}}
//! ```
//!
//! `name` is the canonical name ([`Event::name`]); `storage` is `null` for
//! events that are not storage events; an unknown event is
//! `{"name": <as received>, "known": false, "raw": <the whole payload>}`.

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

/// What happened to a file or folder.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageAction {
    /// `…_added` (dotted: `file.uploaded`, `file.created`, `folder.created`).
    Added,
    /// `…_updated`.
    Updated,
    /// `…_deleted`.
    Deleted,
    /// `…_moved`.
    Moved,
    /// `…_copied`.
    Copied,
    /// `…_restored`.
    Restored,
}

impl StorageAction {
    fn as_str(self) -> &'static str {
        match self {
            StorageAction::Added => "added",
            StorageAction::Updated => "updated",
            StorageAction::Deleted => "deleted",
            StorageAction::Moved => "moved",
            StorageAction::Copied => "copied",
            StorageAction::Restored => "restored",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "added" | "uploaded" | "created" => StorageAction::Added,
            "updated" | "modified" | "changed" => StorageAction::Updated,
            "deleted" | "removed" => StorageAction::Deleted,
            "moved" | "renamed" => StorageAction::Moved,
            "copied" => StorageAction::Copied,
            "restored" => StorageAction::Restored,
            _ => return None,
        })
    }
}

/// Whether a storage event concerns a file or a folder.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageObject {
    /// A file.
    File,
    /// A folder.
    Folder,
}

/// Where a storage event happened.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// `workspace_storage_*`.
    Workspace,
    /// `share_storage_*`.
    Share,
}

/// Details common to every event, each present when the payload has it. Ids
/// are strings even when the payload sends numbers.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventInfo {
    /// The event name exactly as received.
    pub name: String,
    /// The event's own id (`id`, `event_id`).
    pub event_id: Option<String>,
    /// Workspace id (`workspace_id`, `workspaceId`, `workspace`).
    pub workspace_id: Option<String>,
    /// Share id (`share_id`, `shareId`, `share`).
    pub share_id: Option<String>,
    /// Organisation id (`org_id`, `orgId`, `org`).
    pub org_id: Option<String>,
    /// The file or folder concerned (`node_id`, `file_id`, `folder_id`,
    /// `object_id`, `node`).
    pub node_id: Option<String>,
    /// Who did it: a user id, or the `id` of an `actor`/`user` object.
    pub actor: Option<String>,
    /// When, as received (`created`, `created_at`, `timestamp`, `time`,
    /// `occurred_at`); numbers become their decimal text.
    pub time: Option<String>,
}

/// A Fast.io event.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `workspace_storage_*` and `share_storage_*` events.
    Storage {
        /// Workspace or share.
        scope: Scope,
        /// File or folder.
        object: StorageObject,
        /// What happened.
        action: StorageAction,
        /// Common details.
        info: EventInfo,
    },
    /// `ai_chat_created`.
    AiChatCreated(EventInfo),
    /// `ai_chat_new_message`.
    AiChatNewMessage(EventInfo),
    /// `node_ai_summary_created` (dotted: `file.indexed`).
    NodeAiSummaryCreated(EventInfo),
    /// `org_transfer_token_created`.
    OrgTransferTokenCreated(EventInfo),
    /// `org_transfer_completed`.
    OrgTransferCompleted(EventInfo),
    /// An upload session finished (`upload_finished`, `upload_completed`,
    /// `upload.completed`, …).
    UploadFinished(EventInfo),
    /// An event this version does not know.
    Unknown {
        /// The name as received.
        name: String,
        /// The whole payload.
        raw: Value,
    },
}

impl Event {
    /// The canonical snake_case name (`workspace_storage_file_added`), or the
    /// received name for [`Event::Unknown`].
    pub fn name(&self) -> String {
        match self {
            Event::Storage {
                scope,
                object,
                action,
                ..
            } => {
                let scope = match scope {
                    Scope::Workspace => "workspace",
                    Scope::Share => "share",
                };
                let object = match object {
                    StorageObject::File => "file",
                    StorageObject::Folder => "folder",
                };
                format!("{scope}_storage_{object}_{}", action.as_str())
            }
            Event::AiChatCreated(_) => "ai_chat_created".to_owned(),
            Event::AiChatNewMessage(_) => "ai_chat_new_message".to_owned(),
            Event::NodeAiSummaryCreated(_) => "node_ai_summary_created".to_owned(),
            Event::OrgTransferTokenCreated(_) => "org_transfer_token_created".to_owned(),
            Event::OrgTransferCompleted(_) => "org_transfer_completed".to_owned(),
            Event::UploadFinished(_) => "upload_finished".to_owned(),
            Event::Unknown { name, .. } => name.clone(),
        }
    }

    /// The common details, for every known event.
    pub fn info(&self) -> Option<&EventInfo> {
        match self {
            Event::Storage { info, .. }
            | Event::AiChatCreated(info)
            | Event::AiChatNewMessage(info)
            | Event::NodeAiSummaryCreated(info)
            | Event::OrgTransferTokenCreated(info)
            | Event::OrgTransferCompleted(info)
            | Event::UploadFinished(info) => Some(info),
            Event::Unknown { .. } => None,
        }
    }
}

/// The storage part of an event's JSON form.
#[derive(Serialize)]
struct StorageJson {
    scope: Scope,
    object: StorageObject,
    action: StorageAction,
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("name", &self.name())?;
        match self {
            Event::Unknown { raw, .. } => {
                map.serialize_entry("known", &false)?;
                map.serialize_entry("raw", raw)?;
            }
            known => {
                map.serialize_entry("known", &true)?;
                let storage = match known {
                    Event::Storage {
                        scope,
                        object,
                        action,
                        ..
                    } => Some(StorageJson {
                        scope: *scope,
                        object: *object,
                        action: *action,
                    }),
                    _ => None,
                };
                map.serialize_entry("storage", &storage)?;
                map.serialize_entry("info", &known.info())?;
            }
        }
        map.end()
    }
}

/// Why a body is not an event.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The body is not JSON.
    #[error("body is not valid JSON: {reason}")]
    InvalidJson {
        /// The JSON parser's message (position and problem, no content).
        reason: String,
    },
    /// The body is JSON but not an object.
    #[error("body is JSON but not an object")]
    NotAnObject,
    /// No event name under `event`, `type`, `event_type` or `name`.
    #[error("no event name under `event`, `type`, `event_type` or `name`")]
    MissingName,
}

const NAME_KEYS: [&str; 4] = ["event", "type", "event_type", "name"];

/// Parses a delivery body (verify it first) into an [`Event`].
pub fn parse_event(body: &[u8]) -> Result<Event, EventError> {
    let raw: Value = serde_json::from_slice(body).map_err(|e| EventError::InvalidJson {
        reason: format!(
            "{} at line {} column {}",
            category(&e),
            e.line(),
            e.column()
        ),
    })?;
    let top = raw.as_object().ok_or(EventError::NotAnObject)?;
    let nested = ["data", "payload"]
        .iter()
        .find_map(|k| top.get(*k).and_then(Value::as_object));
    let name = NAME_KEYS
        .iter()
        .find_map(|k| top.get(*k).and_then(name_text))
        .or_else(|| {
            nested.and_then(|n| NAME_KEYS.iter().find_map(|k| n.get(*k).and_then(name_text)))
        })
        .ok_or(EventError::MissingName)?;

    let info = extract_info(&name, top, nested);
    Ok(classify(name, info, raw))
}

fn category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end of input",
    }
}

/// An event name may itself be an object such as `{"name": "…"}`.
fn name_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Object(o) => o.get("name").and_then(name_text),
        _ => None,
    }
}

fn classify(name: String, info: EventInfo, raw: Value) -> Event {
    let key = name.to_ascii_lowercase();
    let storage = |scope, object, action: &str| {
        StorageAction::parse(action).map(|action| Event::Storage {
            scope,
            object,
            action,
            info: info.clone(),
        })
    };
    let known = match key.as_str() {
        "ai_chat_created" | "ai_chat.created" | "chat.created" => {
            Some(Event::AiChatCreated(info.clone()))
        }
        "ai_chat_new_message" | "ai_chat.new_message" | "chat.message" | "chat.new_message" => {
            Some(Event::AiChatNewMessage(info.clone()))
        }
        "node_ai_summary_created" | "file.indexed" | "file.summarized" | "node.summary_created" => {
            Some(Event::NodeAiSummaryCreated(info.clone()))
        }
        "org_transfer_token_created" | "org.transfer_token_created" | "transfer.token_created" => {
            Some(Event::OrgTransferTokenCreated(info.clone()))
        }
        "org_transfer_completed" | "org.transfer_completed" | "transfer.completed" => {
            Some(Event::OrgTransferCompleted(info.clone()))
        }
        "upload_finished" | "upload_completed" | "upload_complete" | "upload.finished"
        | "upload.completed" | "upload.complete" => Some(Event::UploadFinished(info.clone())),
        _ => storage_name(&key, &info)
            .and_then(|(scope, object, action)| storage(scope, object, action)),
    };
    known.unwrap_or(Event::Unknown { name, raw })
}

/// Splits `workspace_storage_file_added` or `file.uploaded` into its parts.
/// Dotted names carry no scope; it comes from which id the payload has.
fn storage_name<'a>(key: &'a str, info: &EventInfo) -> Option<(Scope, StorageObject, &'a str)> {
    let object_action = |rest: &'a str, sep: char| {
        let (object, action) = rest.split_once(sep)?;
        let object = match object {
            "file" => StorageObject::File,
            "folder" => StorageObject::Folder,
            _ => return None,
        };
        Some((object, action))
    };
    if let Some(rest) = key.strip_prefix("workspace_storage_") {
        let (object, action) = object_action(rest, '_')?;
        return Some((Scope::Workspace, object, action));
    }
    if let Some(rest) = key.strip_prefix("share_storage_") {
        let (object, action) = object_action(rest, '_')?;
        return Some((Scope::Share, object, action));
    }
    let (object, action) = object_action(key, '.')?;
    let scope = if info.share_id.is_some() && info.workspace_id.is_none() {
        Scope::Share
    } else {
        Scope::Workspace
    };
    Some((scope, object, action))
}

fn extract_info(
    name: &str,
    top: &Map<String, Value>,
    nested: Option<&Map<String, Value>>,
) -> EventInfo {
    // Nested details win over top-level ones: the envelope's `id` is the
    // event's, but `data.id` may be the node's, so `id` is read from the top
    // level only.
    let field = |keys: &[&str]| {
        nested
            .and_then(|n| keys.iter().find_map(|k| n.get(*k).and_then(id_text)))
            .or_else(|| keys.iter().find_map(|k| top.get(*k).and_then(id_text)))
    };
    EventInfo {
        name: name.to_owned(),
        event_id: ["id", "event_id", "eventId"]
            .iter()
            .find_map(|k| top.get(*k).and_then(id_text))
            .or_else(|| nested.and_then(|n| n.get("event_id").and_then(id_text))),
        workspace_id: field(&["workspace_id", "workspaceId", "workspace"]),
        share_id: field(&["share_id", "shareId", "share"]),
        org_id: field(&["org_id", "orgId", "org"]),
        node_id: field(&[
            "node_id",
            "nodeId",
            "file_id",
            "fileId",
            "folder_id",
            "object_id",
            "node",
        ]),
        actor: field(&[
            "actor",
            "actor_id",
            "user_id",
            "userId",
            "user",
            "created_by",
        ]),
        time: field(&[
            "created",
            "created_at",
            "createdAt",
            "timestamp",
            "time",
            "occurred_at",
        ]),
    }
}

/// A string or number as text; an object yields its `id`. Other shapes are
/// treated as absent.
fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("id").and_then(id_text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Event {
        parse_event(text.as_bytes()).unwrap()
    }

    #[test]
    fn snake_case_storage_event_with_nested_data() {
        let event = parse(
            r#"{"id": 9001, "event": "workspace_storage_file_added",
                "data": {"workspace_id": 4242, "node_id": "f_1", "user": {"id": "u_7"}, "created": "2026-01-02 03:04:05"}}"#,
        );
        let Event::Storage {
            scope,
            object,
            action,
            info,
        } = &event
        else {
            panic!("not a storage event: {event:?}");
        };
        assert_eq!(
            (*scope, *object, *action),
            (Scope::Workspace, StorageObject::File, StorageAction::Added)
        );
        assert_eq!(info.event_id.as_deref(), Some("9001"));
        assert_eq!(info.workspace_id.as_deref(), Some("4242"));
        assert_eq!(info.node_id.as_deref(), Some("f_1"));
        assert_eq!(info.actor.as_deref(), Some("u_7"));
        assert_eq!(info.time.as_deref(), Some("2026-01-02 03:04:05"));
        assert_eq!(event.name(), "workspace_storage_file_added");
    }

    #[test]
    fn every_storage_family_name_maps() {
        for scope in ["workspace", "share"] {
            for object in ["file", "folder"] {
                for action in ["added", "updated", "deleted", "moved", "copied", "restored"] {
                    let name = format!("{scope}_storage_{object}_{action}");
                    let event = parse(&format!(r#"{{"type": "{name}"}}"#));
                    assert!(matches!(event, Event::Storage { .. }), "{name}");
                    assert_eq!(event.name(), name);
                }
            }
        }
    }

    #[test]
    fn other_named_events_map() {
        let cases = [
            ("ai_chat_created", "ai_chat_created"),
            ("ai_chat_new_message", "ai_chat_new_message"),
            ("node_ai_summary_created", "node_ai_summary_created"),
            ("org_transfer_token_created", "org_transfer_token_created"),
            ("org_transfer_completed", "org_transfer_completed"),
            ("upload_completed", "upload_finished"),
            ("file.indexed", "node_ai_summary_created"),
            ("upload.completed", "upload_finished"),
        ];
        for (given, canonical) in cases {
            let event = parse(&format!(
                r#"{{"event_type": "{given}", "payload": {{"org_id": 5}}}}"#
            ));
            assert_eq!(event.name(), canonical, "{given}");
            assert!(event.info().is_some());
        }
    }

    #[test]
    fn dotted_names_map_to_the_same_types_with_scope_from_ids() {
        let event = parse(r#"{"event": "file.uploaded", "workspace_id": "w1", "file_id": "n1"}"#);
        assert_eq!(event.name(), "workspace_storage_file_added");
        assert_eq!(event.info().unwrap().node_id.as_deref(), Some("n1"));
        let event = parse(r#"{"event": "folder.deleted", "share_id": "s1"}"#);
        assert_eq!(event.name(), "share_storage_folder_deleted");
        assert_eq!(event.info().unwrap().share_id.as_deref(), Some("s1"));
    }

    #[test]
    fn unknown_names_keep_the_raw_payload() {
        let event = parse(r#"{"event": "workspace.member_added", "data": {"x": [1, 2]}}"#);
        let Event::Unknown { name, raw } = event else {
            panic!("known?");
        };
        assert_eq!(name, "workspace.member_added");
        assert_eq!(raw["data"]["x"][1], 2);
        // A storage-looking name with an unknown action is unknown too.
        assert!(matches!(
            parse(r#"{"event": "workspace_storage_file_exploded"}"#),
            Event::Unknown { .. }
        ));
    }

    #[test]
    fn events_serialise_to_one_json_shape() {
        let event = parse(
            r#"{"id": 9001, "event": "file.uploaded",
                "data": {"workspace_id": 42, "node_id": "f_1", "user": {"id": "u_7"}}}"#,
        );
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({
                "name": "workspace_storage_file_added",
                "known": true,
                "storage": {"scope": "workspace", "object": "file", "action": "added"},
                "info": {
                    "name": "file.uploaded", "event_id": "9001", "workspace_id": "42",
                    "share_id": null, "org_id": null, "node_id": "f_1", "actor": "u_7",
                    "time": null
                }
            })
        );
        let chat = serde_json::to_value(parse(r#"{"type": "ai_chat_created"}"#)).unwrap();
        assert_eq!(chat["name"], "ai_chat_created");
        assert_eq!(chat["known"], true);
        assert_eq!(chat["storage"], Value::Null);
        assert_eq!(chat["info"]["name"], "ai_chat_created");
        let unknown =
            serde_json::to_value(parse(r#"{"event": "x.y", "data": {"k": [1]}}"#)).unwrap();
        assert_eq!(
            unknown,
            serde_json::json!({"name": "x.y", "known": false, "raw": {"event": "x.y", "data": {"k": [1]}}})
        );
    }

    #[test]
    fn name_may_be_nested() {
        let event =
            parse(r#"{"data": {"event": {"name": "ai_chat_created"}, "workspace_id": "w"}}"#);
        assert_eq!(event.name(), "ai_chat_created");
    }

    #[test]
    fn malformed_bodies_are_typed_errors() {
        assert!(matches!(
            parse_event(b"{not json"),
            Err(EventError::InvalidJson { .. })
        ));
        assert!(matches!(
            parse_event(b"\xff\xfe"),
            Err(EventError::InvalidJson { .. })
        ));
        assert!(matches!(
            parse_event(b""),
            Err(EventError::InvalidJson { .. })
        ));
        assert_eq!(parse_event(b"[1,2]"), Err(EventError::NotAnObject));
        assert_eq!(parse_event(b"{\"data\": {}}"), Err(EventError::MissingName));
        assert_eq!(parse_event(b"{\"event\": 5}"), Err(EventError::MissingName));
        let deep = "[".repeat(100_000);
        assert!(parse_event(deep.as_bytes()).is_err());
    }
}
