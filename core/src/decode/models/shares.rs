//! Shares.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, model};
use crate::decode::de;

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
