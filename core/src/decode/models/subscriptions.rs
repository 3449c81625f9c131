//! Outbound webhook subscriptions.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, model};
use crate::decode::de;
use crate::secret::Secret;

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
