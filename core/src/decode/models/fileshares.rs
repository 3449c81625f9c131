//! File Shares. Their answers name their payload at the top level
//! (`fileshare`, `fileshares`, `grants`) beside `result`, with no `response`
//! wrapper (fastio_cli src/api/fileshare.rs:56-64 @96b1551).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, Pagination, model};
use crate::decode::de;

/// A File Share: a durable link to one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileShare {
    /// The File Share id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// `anyone_with_link`, `any_registered` or `named_people`.
    #[serde(default)]
    pub access_option: Option<String>,
    /// The file the link serves (`name`, `size`, … as the service sends it).
    #[serde(default)]
    pub file: Option<Map<String, Value>>,
    /// When the link expires, if it does.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// The caller's highest capability (`view`, `download`, `edit`), where
    /// the answer puts it inside the File Share.
    #[serde(default)]
    pub effective_capability: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(FileShare, ["fileshare"]);

impl FileShare {
    /// The served file's name.
    pub fn file_name(&self) -> Option<&str> {
        self.file.as_ref()?.get("name")?.as_str()
    }
}

/// A File Share's details as a recipient sees them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileShareDetails {
    /// The File Share.
    pub fileshare: FileShare,
    /// The caller's highest capability, where the answer puts it beside the
    /// File Share.
    #[serde(default)]
    pub effective_capability: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(FileShareDetails, []);

impl FileShareDetails {
    /// The caller's capability, wherever the answer put it.
    pub fn capability(&self) -> Option<&str> {
        self.effective_capability
            .as_deref()
            .or(self.fileshare.effective_capability.as_deref())
    }
}

/// A page of a workspace's File Shares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileShareList {
    /// The File Shares.
    #[serde(default)]
    pub fileshares: Vec<FileShare>,
    /// Paging.
    #[serde(default)]
    pub pagination: Option<Pagination>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(FileShareList, []);

/// Who may use a `named_people` File Share, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileShareGrant {
    /// The user id, for a user's grant.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub user: Option<String>,
    /// The address, for an e-mail grant.
    #[serde(default)]
    pub email: Option<String>,
    /// `view`, `download` or `edit`.
    #[serde(default)]
    pub capability: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A File Share's grants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileShareGrants {
    /// The grants.
    pub grants: Vec<FileShareGrant>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(FileShareGrants, []);
