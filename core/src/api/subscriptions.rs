//! Outbound webhook subscriptions (reference §8).

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Req, invalid};
use crate::http::Method;

/// Outbound webhook subscription calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SubscriptionsCall {
    /// `POST workspace/{id}/outbound_webhook_subscriptions/` (form). The
    /// response carries the signing secret once.
    Create {
        /// The workspace.
        workspace_id: String,
        /// Where deliveries go (HTTPS; the service refuses private addresses).
        target_url: String,
        /// Event names to deliver (sent as a JSON-array string).
        event_type_subscriptions: Vec<String>,
        /// Description.
        #[serde(default)]
        description: Option<String>,
        /// Delivery rate cap.
        #[serde(default)]
        rate_limit_per_hour: Option<u32>,
        /// Event families allowed.
        #[serde(default)]
        family_allowlist: Option<String>,
    },
    /// `GET workspace/{id}/outbound_webhook_subscriptions/`.
    List {
        /// The workspace.
        workspace_id: String,
    },
    /// `GET outbound_webhook_subscriptions/{id}/`.
    Get {
        /// The subscription.
        subscription_id: String,
    },
    /// `PATCH outbound_webhook_subscriptions/{id}/` (form).
    Update {
        /// The subscription.
        subscription_id: String,
        /// New target.
        #[serde(default)]
        target_url: Option<String>,
        /// New event list.
        #[serde(default)]
        event_type_subscriptions: Option<Vec<String>>,
        /// New description.
        #[serde(default)]
        description: Option<String>,
        /// New rate cap.
        #[serde(default)]
        rate_limit_per_hour: Option<u32>,
        /// New families.
        #[serde(default)]
        family_allowlist: Option<String>,
    },
    /// `DELETE outbound_webhook_subscriptions/{id}/`.
    Delete {
        /// The subscription.
        subscription_id: String,
    },
    /// `POST outbound_webhook_subscriptions/{id}/rotate_secret/`.
    RotateSecret {
        /// The subscription.
        subscription_id: String,
    },
}

fn events_json(events: &[String]) -> String {
    serde_json::Value::Array(events.iter().map(|e| e.clone().into()).collect()).to_string()
}

fn check_target(url: &str) -> Result<(), BuildError> {
    let l = url.to_ascii_lowercase();
    if !(l.starts_with("https://") || l.starts_with("http://")) {
        return Err(invalid("target_url", "must be an http(s) URL"));
    }
    Ok(())
}

fn sub_path(id: &str, tail: &[&str]) -> Result<String, BuildError> {
    let id = seg("subscription_id", id)?;
    let mut parts = vec!["outbound_webhook_subscriptions", id.as_str()];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

pub(crate) fn build(call: &SubscriptionsCall) -> Result<Req, BuildError> {
    Ok(match call {
        SubscriptionsCall::Create {
            workspace_id,
            target_url,
            event_type_subscriptions,
            description,
            rate_limit_per_hour,
            family_allowlist,
        } => {
            check_target(target_url)?;
            if event_type_subscriptions.is_empty() {
                return Err(invalid(
                    "event_type_subscriptions",
                    "name at least one event",
                ));
            }
            Req::post_form(
                join(&[
                    "workspace",
                    &seg("workspace_id", workspace_id)?,
                    "outbound_webhook_subscriptions",
                ]),
                Params::new()
                    .put("target_url", target_url)
                    .put(
                        "event_type_subscriptions",
                        events_json(event_type_subscriptions),
                    )
                    .opt("description", description)
                    .opt("rate_limit_per_hour", rate_limit_per_hour)
                    .opt("family_allowlist", family_allowlist)
                    .done(),
            )
        }
        SubscriptionsCall::List { workspace_id } => Req::get(join(&[
            "workspace",
            &seg("workspace_id", workspace_id)?,
            "outbound_webhook_subscriptions",
        ])),
        SubscriptionsCall::Get { subscription_id } => Req::get(sub_path(subscription_id, &[])?),
        SubscriptionsCall::Update {
            subscription_id,
            target_url,
            event_type_subscriptions,
            description,
            rate_limit_per_hour,
            family_allowlist,
        } => {
            if let Some(t) = target_url {
                check_target(t)?;
            }
            let mut r = Req::post_form(
                sub_path(subscription_id, &[])?,
                Params::new()
                    .opt("target_url", target_url)
                    .opt(
                        "event_type_subscriptions",
                        &event_type_subscriptions.as_deref().map(events_json),
                    )
                    .opt("description", description)
                    .opt("rate_limit_per_hour", rate_limit_per_hour)
                    .opt("family_allowlist", family_allowlist)
                    .done(),
            );
            r.method = Method::Patch;
            r
        }
        SubscriptionsCall::Delete { subscription_id } => {
            Req::delete(sub_path(subscription_id, &[])?)
        }
        SubscriptionsCall::RotateSecret { subscription_id } => {
            Req::post_form(sub_path(subscription_id, &["rotate_secret"])?, Vec::new())
        }
    })
}
