//! Storage answers: nodes, their details and listings with the next cursor,
//! read tokens and locks.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, model};
use crate::decode::de;
use crate::secret::Secret;

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
