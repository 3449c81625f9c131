//! Orgs and workspaces, one at a time and in lists.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, Pagination, model};
use crate::decode::de;

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
