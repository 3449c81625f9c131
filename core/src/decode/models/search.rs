//! Unified search answers and note reads, in the shapes the official client
//! reads (fastio_cli src/output/mod.rs:664-695, src/api/workspace.rs:340-362
//! @96b1551).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, model};
use super::storage::Node;
use crate::decode::de;

/// One bucket of a unified search: its page of items and its own paging
/// and health.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchBucket {
    /// The items (keyed by `node_id` or `comment_id`).
    #[serde(default)]
    pub items: Vec<Value>,
    /// Where this page starts.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub offset: Option<u64>,
    /// Page size.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub limit: Option<u64>,
    /// How many there are (see `total_relation`).
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub total: Option<u64>,
    /// `eq` when `total` is exact, `gte` when it is a lower bound.
    #[serde(default)]
    pub total_relation: Option<String>,
    /// More pages follow.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub has_more: Option<bool>,
    /// `ok`, or `degraded` when the results may be partial.
    #[serde(default)]
    pub status: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SearchBucket {
    /// True when the service said this bucket's results may be partial.
    pub fn is_degraded(&self) -> bool {
        self.status.as_deref() == Some("degraded")
    }
}

/// A unified search answer: one bucket per kind of result (a share has no
/// metadata bucket).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnifiedSearch {
    /// Files whose name or content matched.
    #[serde(default)]
    pub files: Option<SearchBucket>,
    /// Files whose metadata matched (workspaces).
    #[serde(default)]
    pub metadata: Option<SearchBucket>,
    /// Comments that matched.
    #[serde(default)]
    pub comments: Option<SearchBucket>,
    /// Other fields (buckets the service adds are kept here as sent).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UnifiedSearch {
    /// The buckets present, by name.
    pub fn buckets(&self) -> Vec<(&'static str, &SearchBucket)> {
        [
            ("files", &self.files),
            ("metadata", &self.metadata),
            ("comments", &self.comments),
        ]
        .into_iter()
        .filter_map(|(n, b)| b.as_ref().map(|b| (n, b)))
        .collect()
    }
}
model!(UnifiedSearch, []);

/// A note as `readnote` answers it: the text and the node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoteContent {
    /// The markdown text.
    pub content: String,
    /// The note's node.
    pub note: Node,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(NoteContent, []);
