//! Ownership transfer tokens.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, model};
use crate::decode::de;
use crate::secret::Secret;

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
