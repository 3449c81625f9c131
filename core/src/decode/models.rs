//! Typed payloads. Ids are strings whether they arrive as numbers or strings;
//! fields the model does not name are kept in `extra`, never dropped.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::de;
use super::error::{ApiError, ErrorKind};
use crate::secret::Secret;

/// A payload type, with the keys the API nests it under.
pub trait Model: DeserializeOwned + Serialize {
    /// Keys under which a payload may hold this model (`user`, `node`, …).
    /// When the payload has one of them holding an object, that object is
    /// decoded; otherwise the payload itself is.
    const KEYS: &'static [&'static str];
}

/// Decodes a model out of a payload.
pub fn from_payload<T: Model>(payload: Value) -> Result<T, ApiError> {
    let inner = match &payload {
        Value::Object(obj) => T::KEYS
            .iter()
            .find_map(|k| obj.get(*k).filter(|v| v.is_object()).cloned()),
        _ => None,
    };
    serde_json::from_value(inner.unwrap_or(payload)).map_err(|e| {
        ApiError::bare(
            ErrorKind::MalformedResponse,
            None,
            format!("unexpected payload shape: {e}"),
        )
    })
}

macro_rules! model {
    ($t:ty, [$($k:literal),*]) => {
        impl Model for $t {
            const KEYS: &'static [&'static str] = &[$($k),*];
        }
    };
}

// AI answers live in their own module (declared after the macro it uses);
// re-exported so `decode::models::AiMessage` and friends keep their paths.
pub mod ai;
pub use ai::{AiCancel, AiMessage, AiTurnRef, Clarification, TurnStatus};

/// The raw payload, for calls without a typed model.
impl Model for Value {
    const KEYS: &'static [&'static str] = &[];
}

/// `user/auth/check/`: the token's user id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenCheck {
    /// The user id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(TokenCheck, []);

/// A signed-in token from password sign-in or 2FA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthToken {
    /// The JWT.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub auth_token: Secret,
    /// Lifetime in seconds.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub expires_in: Option<u64>,
    /// True while the token is limited until 2FA is done.
    #[serde(default, rename = "2factor", deserialize_with = "de::opt_flag")]
    pub two_factor: Option<bool>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(AuthToken, []);

/// The OAuth token response (no envelope).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OAuthToken {
    /// The access token (1 h).
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub access_token: Secret,
    /// `Bearer`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub expires_in: Option<u64>,
    /// The refresh token.
    #[serde(default, serialize_with = "Secret::serialize_exposed_opt")]
    pub refresh_token: Option<Secret>,
    /// The granted scope.
    #[serde(default)]
    pub scope: Option<String>,
    /// The granted scopes (an array, or a JSON string holding one).
    #[serde(default, deserialize_with = "de::string_list")]
    pub scopes: Vec<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(OAuthToken, []);

/// A user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// E-mail.
    #[serde(default)]
    pub email_address: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(User, ["user"]);

/// An API key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    /// The key's id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// The key itself: present once, in the create response.
    #[serde(default, serialize_with = "Secret::serialize_exposed_opt")]
    pub api_key: Option<Secret>,
    /// The note.
    #[serde(default)]
    pub memo: Option<String>,
    /// Expiry.
    #[serde(default)]
    pub expires: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
// Create answers `{api_key: "<the key>"}` at the top level and list answers
// `{results, api_keys}` (fastio_cli src/api/types.rs:145-168 @96b1551); a
// nested `key` object would hide the secret, so only `api_key_details` nests.
model!(ApiKey, ["api_key_details"]);

/// An org.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Org {
    /// The org id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The domain.
    #[serde(default)]
    pub domain: Option<String>,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// Member (from `orgs/list/`) or external (`orgs/list/external/`).
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub member: Option<bool>,
    /// False when there is no plan or no credits.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub subscriber: Option<bool>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(Org, ["org"]);

/// A workspace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    /// The workspace id.
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// The folder name.
    #[serde(default)]
    pub folder_name: Option<String>,
    /// The org.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub org_id: Option<String>,
    /// Workspace AI.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub intelligence: Option<bool>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(Workspace, ["workspace"]);

/// Offset pagination.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pagination {
    /// Total items.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub total: Option<u64>,
    /// Page size.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub limit: Option<u64>,
    /// Offset of this page.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub offset: Option<u64>,
    /// More pages follow.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub has_more: Option<bool>,
}

/// A list of orgs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrgList {
    /// The orgs.
    #[serde(default)]
    pub orgs: Vec<Org>,
    /// Paging.
    #[serde(default)]
    pub pagination: Option<Pagination>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(OrgList, []);

/// A list of workspaces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceList {
    /// The workspaces.
    #[serde(default)]
    pub workspaces: Vec<Workspace>,
    /// Paging.
    #[serde(default)]
    pub pagination: Option<Pagination>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(WorkspaceList, []);

/// A file, folder, note or link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The node id (a 30-character OpaqueId).
    #[serde(deserialize_with = "de::id")]
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// `file`, `folder`, `note` or `link`.
    #[serde(default, rename = "type")]
    pub node_type: Option<String>,
    /// `root` or the parent's id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub parent: Option<String>,
    /// Size in bytes.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub size: Option<u64>,
    /// Content hash (hex).
    #[serde(default)]
    pub hash: Option<String>,
    /// Its algorithm, such as `md5`.
    #[serde(default)]
    pub hash_algo: Option<String>,
    /// MIME type.
    #[serde(default)]
    pub mimetype: Option<String>,
    /// Version id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub version: Option<String>,
    /// Created (ISO 8601).
    #[serde(default)]
    pub created: Option<String>,
    /// Modified (ISO 8601).
    #[serde(default)]
    pub modified: Option<String>,
    /// Locked.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub locked: Option<bool>,
    /// Other fields (`previews`, `ai`, `lock_info`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(Node, ["node"]);

/// One failed id of a bulk details call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeError {
    /// The id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub node_id: Option<String>,
    /// The code.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub code: Option<String>,
    /// The message.
    #[serde(default)]
    pub message: Option<String>,
}

/// Details of one node, or of several (`format: "multi"`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum NodeDetails {
    /// One node.
    One {
        /// The node.
        node: Box<Node>,
    },
    /// A bulk answer.
    Multi {
        /// The nodes found.
        nodes: Vec<Node>,
        /// The ids that failed.
        errors: Vec<NodeError>,
    },
}

impl<'de> Deserialize<'de> for NodeDetails {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let multi = v.get("format").and_then(Value::as_str) == Some("multi")
            || v.get("nodes").is_some_and(Value::is_array)
            || v.get("errors").is_some_and(Value::is_array);
        if multi {
            #[derive(Deserialize)]
            struct M {
                #[serde(default)]
                nodes: Vec<Node>,
                #[serde(default)]
                errors: Vec<NodeError>,
            }
            let m = M::deserialize(v).map_err(serde::de::Error::custom)?;
            return Ok(NodeDetails::Multi {
                nodes: m.nodes,
                errors: m.errors,
            });
        }
        let node = match v.get("node") {
            Some(n) if n.is_object() => n.clone(),
            _ => v,
        };
        Ok(NodeDetails::One {
            node: Box::new(Node::deserialize(node).map_err(serde::de::Error::custom)?),
        })
    }
}
model!(NodeDetails, []);

/// One page of a storage listing. The reference does not name the item
/// array or the cursor field, so the common names are all accepted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeList {
    /// The nodes.
    pub nodes: Vec<Node>,
    /// The cursor for the next page, when there is one.
    pub next_cursor: Option<String>,
    /// The whole payload.
    pub raw: Value,
}

const LIST_KEYS: &[&str] = &["nodes", "files", "items", "results", "children", "list"];
const CURSOR_KEYS: &[&str] = &["next_cursor", "cursor", "next"];

/// Finds the next cursor of a storage listing payload: a top-level or
/// `pagination` field named `next_cursor`, `cursor` or `next`, unless
/// `has_more` is false.
pub fn next_cursor(payload: &Value) -> Option<String> {
    let pag = payload.get("pagination");
    let has_more = pag
        .and_then(|p| p.get("has_more"))
        .or_else(|| payload.get("has_more"))
        .and_then(de::flag);
    if has_more == Some(false) {
        return None;
    }
    for src in [Some(payload), pag].into_iter().flatten() {
        for k in CURSOR_KEYS {
            match src.get(*k) {
                Some(Value::String(s)) if !s.is_empty() => return Some(s.clone()),
                Some(Value::Number(n)) => return Some(n.to_string()),
                _ => {}
            }
        }
    }
    None
}

impl<'de> Deserialize<'de> for NodeList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let items = LIST_KEYS.iter().find_map(|k| raw.get(*k));
        let nodes = match items {
            // Search rows (`results[]`) carry their id as `node_id`, not `id`
            // (fastio_cli src/api/storage.rs:652-657, 1133-1140 @96b1551).
            Some(Value::Array(a)) => a
                .iter()
                .map(|n| {
                    let mut n = n.clone();
                    if let Value::Object(o) = &mut n
                        && !o.contains_key("id")
                        && let Some(id) = o.get("node_id").cloned()
                    {
                        o.insert("id".into(), id);
                    }
                    Node::deserialize(n).map_err(serde::de::Error::custom)
                })
                .collect::<Result<_, _>>()?,
            // Search answers with a map of id → entry.
            Some(Value::Object(m)) => m
                .iter()
                .map(|(id, n)| {
                    let mut n = n.clone();
                    if let Value::Object(o) = &mut n {
                        o.entry("id").or_insert_with(|| Value::String(id.clone()));
                    }
                    Node::deserialize(n).map_err(serde::de::Error::custom)
                })
                .collect::<Result<_, _>>()?,
            Some(Value::Null) | None => Vec::new(),
            Some(other) => {
                return Err(serde::de::Error::custom(format!(
                    "expected a list of nodes, got {other}"
                )));
            }
        };
        Ok(NodeList {
            nodes,
            next_cursor: next_cursor(&raw),
            raw,
        })
    }
}
model!(NodeList, []);

/// The answer to a download or zip token request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadToken {
    /// The token for the `read` or `zip` URL.
    #[serde(serialize_with = "Secret::serialize_exposed")]
    pub token: Secret,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(ReadToken, []);

/// A lock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    /// The lock token (for heartbeat and unlock).
    #[serde(default, serialize_with = "Secret::serialize_exposed_opt")]
    pub lock_token: Option<Secret>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(Lock, ["lock"]);

/// Upload session status (reference §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", from = "String", into = "String")]
#[non_exhaustive]
pub enum UploadStatus {
    /// `ready`
    Ready,
    /// `uploading`
    Uploading,
    /// `assemble`
    Assemble,
    /// `assembling`
    Assembling,
    /// `complete`: assembled, not yet in storage.
    Complete,
    /// `store`
    Store,
    /// `storing`
    Storing,
    /// `stored`: done.
    Stored,
    /// `assembly_failed`
    AssemblyFailed,
    /// `store_failed`
    StoreFailed,
    /// A status this version does not know.
    Other(String),
}

impl From<String> for UploadStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "ready" => UploadStatus::Ready,
            "uploading" => UploadStatus::Uploading,
            "assemble" => UploadStatus::Assemble,
            "assembling" => UploadStatus::Assembling,
            "complete" => UploadStatus::Complete,
            "store" => UploadStatus::Store,
            "storing" => UploadStatus::Storing,
            "stored" => UploadStatus::Stored,
            "assembly_failed" => UploadStatus::AssemblyFailed,
            "store_failed" => UploadStatus::StoreFailed,
            _ => UploadStatus::Other(s),
        }
    }
}

impl From<UploadStatus> for String {
    fn from(s: UploadStatus) -> Self {
        s.as_str().to_string()
    }
}

impl UploadStatus {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            UploadStatus::Ready => "ready",
            UploadStatus::Uploading => "uploading",
            UploadStatus::Assemble => "assemble",
            UploadStatus::Assembling => "assembling",
            UploadStatus::Complete => "complete",
            UploadStatus::Store => "store",
            UploadStatus::Storing => "storing",
            UploadStatus::Stored => "stored",
            UploadStatus::AssemblyFailed => "assembly_failed",
            UploadStatus::StoreFailed => "store_failed",
            UploadStatus::Other(s) => s,
        }
    }

    /// A final status: `stored` or `complete` (both success; the official
    /// client ends on either, fastio_cli src/bin/fastio/commands/upload.rs:750-760
    /// @96b1551), `assembly_failed` or `store_failed`. Whether polling may stop
    /// also depends on the node id: see [`UploadSession::is_final`].
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            UploadStatus::Stored
                | UploadStatus::Complete
                | UploadStatus::AssemblyFailed
                | UploadStatus::StoreFailed
        )
    }
}

/// A whole-file CRC32C mismatch found at assembly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityFailure {
    /// The CRC the client sent.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub expected_crc32c: Option<String>,
    /// The CRC of the assembled bytes.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub computed_crc32c: Option<String>,
}

/// The chunks a server holds: order → bytes. Accepts a map (`{"1": 4194304}`),
/// an array of sizes (1-based by position) or an array of `{order, size}`.
pub(crate) fn chunk_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u64, u64>, D::Error> {
    let v = Value::deserialize(d)?;
    parse_chunks(&v).ok_or_else(|| serde::de::Error::custom(format!("unexpected chunks: {v}")))
}

fn num(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a chunk list in any of the accepted shapes.
pub fn parse_chunks(v: &Value) -> Option<BTreeMap<u64, u64>> {
    let mut out = BTreeMap::new();
    match v {
        Value::Null => {}
        Value::Object(m) => {
            for (k, size) in m {
                let size = match size {
                    Value::Object(o) => o.get("size").and_then(num)?,
                    other => num(other)?,
                };
                out.insert(k.trim().parse().ok()?, size);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Object(o) => {
                        let order = o.get("order").and_then(num)?;
                        let size = o.get("size").and_then(num).unwrap_or(0);
                        out.insert(order, size);
                    }
                    other => {
                        out.insert(i as u64 + 1, num(other)?);
                    }
                }
            }
        }
        _ => return None,
    }
    Some(out)
}

/// An upload session, from `upload/{id}/details/` (under `session`) or the
/// create call (just `id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadSession {
    /// The session id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// The status.
    #[serde(default)]
    pub status: Option<UploadStatus>,
    /// A human-readable status.
    #[serde(default)]
    pub status_message: Option<String>,
    /// The stored file's node id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub new_file_id: Option<String>,
    /// Chunks received: order → bytes.
    #[serde(default, deserialize_with = "chunk_map")]
    pub chunks: BTreeMap<u64, u64>,
    /// Set when assembly failed its CRC32C check.
    #[serde(default)]
    pub integrity_failure: Option<IntegrityFailure>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(UploadSession, ["session"]);

impl UploadSession {
    /// Polling is over: the file is stored, or `complete` with its node id
    /// (the official client ends on `complete`, fastio_cli
    /// src/bin/fastio/commands/upload.rs:750-760 @96b1551; without the node
    /// id there is nothing to hand back yet, so polling goes on to `stored`),
    /// or the session failed.
    pub fn is_final(&self) -> bool {
        match &self.status {
            Some(UploadStatus::Complete) => self.new_file_id.is_some(),
            Some(s) => s.is_terminal(),
            None => false,
        }
    }
}

/// The answer to `GET upload/{id}/chunk/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChunkList {
    /// Chunks received: order → bytes.
    #[serde(default, deserialize_with = "chunk_map")]
    pub chunks: BTreeMap<u64, u64>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(ChunkList, []);

/// `GET upload/algos/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Algos {
    /// Accepted chunk hash algorithms.
    #[serde(default, deserialize_with = "de::string_list")]
    pub algos: Vec<String>,
}
model!(Algos, []);

/// `GET upload/limits/`. The reference does not document its fields, so the
/// payload is kept whole and the planner reads what it recognises.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadLimits {
    /// The payload.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}
model!(UploadLimits, ["limits"]);

/// One file of a batch upload's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchResult {
    /// Index in the manifest.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub index: Option<u64>,
    /// The file name.
    #[serde(default)]
    pub filename: Option<String>,
    /// `ok` or `error`.
    #[serde(default)]
    pub status: Option<String>,
    /// The upload session.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub upload_id: Option<String>,
    /// The stored node (may be null).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub node_id: Option<String>,
    /// Error code.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub error_code: Option<String>,
    /// Error message.
    #[serde(default)]
    pub error_message: Option<String>,
}

/// `POST upload/batch/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The batch id (valid 1 h).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub batch_id: Option<String>,
    /// Files in the batch.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub count_total: Option<u64>,
    /// Files stored.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub count_succeeded: Option<u64>,
    /// Files failed.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub count_errored: Option<u64>,
    /// Per-file results.
    #[serde(default)]
    pub results: Vec<BatchResult>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(Batch, []);

/// A share. The reference does not name the id key of a create response;
/// `id` and `share_id` are both read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// The share id (`id`, or `share_id` when only that is sent; see
    /// [`Share::share_id`]).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// `share_id`, which some answers carry beside or instead of `id`.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub share_id: Option<String>,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// `send`, `receive` or `exchange`.
    #[serde(default)]
    pub share_type: Option<String>,
    /// `independent` or `workspace_folder`.
    #[serde(default)]
    pub storage_mode: Option<String>,
    /// `portal` or `shared_folder` (read-only).
    #[serde(default)]
    pub share_category: Option<String>,
    /// The name in the public link.
    #[serde(default)]
    pub custom_name: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(Share, ["share"]);

impl Share {
    /// The share's id, from `id` or else `share_id`.
    pub fn share_id(&self) -> Option<&str> {
        self.id.as_deref().or(self.share_id.as_deref())
    }
}

/// An event from `events/search/` or `event/{id}/details/`. The id may come
/// as `id` or `event_id` and the name as `event` or `event_name`; a body may
/// carry both spellings, so the other one stays in `extra`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct Event {
    /// The event id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// The name, such as `workspace_storage_file_added`.
    #[serde(default)]
    pub event: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<String>,
    /// Subcategory.
    #[serde(default)]
    pub subcategory: Option<String>,
    /// What it is about.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub object_id: Option<String>,
    /// When.
    #[serde(default)]
    pub created: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(Event, ["event_details"]);

/// Moves `alias` to `name` when only the alias is given.
fn resolve_alias(m: &mut Map<String, Value>, name: &str, alias: &str) {
    if m.get(name).is_none_or(Value::is_null)
        && let Some(v) = m.remove(alias)
    {
        m.insert(name.to_string(), v);
    }
}

impl TryFrom<Map<String, Value>> for Event {
    type Error = serde_json::Error;

    fn try_from(mut m: Map<String, Value>) -> Result<Self, Self::Error> {
        resolve_alias(&mut m, "id", "event_id");
        resolve_alias(&mut m, "event", "event_name");
        // The same fields without the container attribute, so decoding the
        // resolved map does not come back here.
        #[derive(Deserialize)]
        struct Fields {
            #[serde(default, deserialize_with = "de::opt_id")]
            id: Option<String>,
            #[serde(default)]
            event: Option<String>,
            #[serde(default)]
            category: Option<String>,
            #[serde(default)]
            subcategory: Option<String>,
            #[serde(default, deserialize_with = "de::opt_id")]
            object_id: Option<String>,
            #[serde(default)]
            created: Option<String>,
            #[serde(flatten)]
            extra: Map<String, Value>,
        }
        let f = Fields::deserialize(Value::Object(m))?;
        Ok(Event {
            id: f.id,
            event: f.event,
            category: f.category,
            subcategory: f.subcategory,
            object_id: f.object_id,
            created: f.created,
            extra: f.extra,
        })
    }
}

/// A page of events. The list is `events`; a `results` that is a list is
/// read when `events` is absent, and a `results` count (which servers send
/// beside `events`) stays in `extra`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct EventList {
    /// The events.
    #[serde(default)]
    pub events: Vec<Event>,
    /// Paging.
    #[serde(default)]
    pub pagination: Option<Pagination>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(EventList, []);

impl TryFrom<Map<String, Value>> for EventList {
    type Error = serde_json::Error;

    fn try_from(mut m: Map<String, Value>) -> Result<Self, Self::Error> {
        let items = match m.remove("events") {
            Some(Value::Null) | None => match m.get("results") {
                Some(Value::Array(_)) => m.remove("results").unwrap_or(Value::Null),
                _ => Value::Null,
            },
            Some(v) => v,
        };
        let events = match items {
            Value::Null => Vec::new(),
            v => Vec::<Event>::deserialize(v)?,
        };
        let pagination = match m.remove("pagination") {
            Some(Value::Null) | None => None,
            Some(p) => Some(Pagination::deserialize(p)?),
        };
        Ok(EventList {
            events,
            pagination,
            extra: m,
        })
    }
}

/// An activity long-poll answer: changed keys and the new `lastactivity`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Activity {
    /// Keys such as `storage:{id}`, `upload:{id}`, `ai_state:{id}`.
    pub keys: Vec<String>,
    /// Pass back as `lastactivity` on the next poll.
    pub lastactivity: Option<String>,
    /// The whole payload.
    pub raw: Value,
}

impl<'de> Deserialize<'de> for Activity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let lastactivity = match raw.get("lastactivity") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let keys = match raw.get("activity") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect(),
            Some(Value::Object(m)) => m.keys().cloned().collect(),
            _ => raw
                .as_object()
                .map(|m| m.keys().filter(|k| k.contains(':')).cloned().collect())
                .unwrap_or_default(),
        };
        Ok(Activity {
            keys,
            lastactivity,
            raw,
        })
    }
}
model!(Activity, []);

/// An outbound webhook subscription. The signing secret appears once, at
/// create or rotate, as `secret` (or `key`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookSubscription {
    /// The subscription id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// Where deliveries go.
    #[serde(default)]
    pub target_url: Option<String>,
    /// Subscribed events.
    #[serde(default, deserialize_with = "de::string_list")]
    pub event_type_subscriptions: Vec<String>,
    /// The signing secret (create and rotate only).
    #[serde(
        default,
        alias = "key",
        serialize_with = "Secret::serialize_exposed_opt"
    )]
    pub secret: Option<Secret>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(WebhookSubscription, ["outbound_webhook_subscription"]);

/// An ownership transfer token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferToken {
    /// The token's id (for delete).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// The 64-character token (read from a top-level `token`).
    #[serde(default, serialize_with = "Secret::serialize_exposed_opt")]
    pub token: Option<Secret>,
    /// Expiry.
    #[serde(default)]
    pub expires: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(TransferToken, ["transfer_token"]);

impl TransferToken {
    /// The claim URL a person opens.
    pub fn claim_url(&self) -> Option<String> {
        self.token
            .as_ref()
            .map(|t| format!("https://go.fast.io/claim?token={}", t.expose()))
    }
}

/// Reads a flag (`true`, `"yes"`, `1`, …) from a JSON value.
pub fn flag_value(v: &Value) -> Option<bool> {
    de::flag(v)
}
