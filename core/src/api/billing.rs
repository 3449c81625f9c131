//! An org's billing: details, plans, usage meters and credits, members
//! billed, invoices by cursor, and the subscription's start, cancel and
//! reactivation (fastio_cli src/api/org.rs:196-285, 416-432, 480-566,
//! 835-878 @96b1551). The service multiplexes the subscription on one path by
//! method: POST starts it, DELETE cancels at period end, PUT reactivates.

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Req, invalid};
use crate::http::{Body, Method};

/// Billing calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BillingCall {
    /// `GET org/{id}/billing/details/` (org.rs:196-207).
    Details {
        /// The org.
        org_id: String,
    },
    /// `GET org/billing/plan/list/` (org.rs:209-214).
    Plans,
    /// `GET org/{id}/billing/usage/meters/list/` with `meter` and the
    /// optional window and scope (org.rs:216-285).
    Meters {
        /// The org.
        org_id: String,
        /// The meter.
        meter: String,
        /// Window start.
        #[serde(default)]
        start_time: Option<String>,
        /// Window end.
        #[serde(default)]
        end_time: Option<String>,
        /// Only this workspace.
        #[serde(default)]
        workspace_id: Option<String>,
        /// Only this share.
        #[serde(default)]
        share_id: Option<String>,
    },
    /// `GET org/{id}/billing/usage/limits/credits/` (org.rs:416-432).
    Credits {
        /// The org.
        org_id: String,
    },
    /// `GET org/{id}/billing/usage/members/list/` with `limit`, `offset`
    /// (org.rs:519-551).
    Members {
        /// The org.
        org_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET org/{id}/billing/invoices/` with `limit` and `starting_after`,
    /// the last invoice id of the page before (org.rs:835-878).
    Invoices {
        /// The org.
        org_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// The cursor.
        #[serde(default)]
        starting_after: Option<String>,
    },
    /// `POST org/{id}/billing/` (form `billing_plan`): start a subscription
    /// (org.rs:553-566).
    Subscribe {
        /// The org.
        org_id: String,
        /// The plan.
        #[serde(default)]
        billing_plan: Option<String>,
    },
    /// `DELETE org/{id}/billing/`: cancel at the end of the period (org.rs:486-496).
    Cancel {
        /// The org.
        org_id: String,
    },
    /// `PUT org/{id}/billing/` with a JSON `{}`: undo a cancellation
    /// (org.rs:498-516).
    Reactivate {
        /// The org.
        org_id: String,
    },
}

fn org(id: &str, tail: &[&str]) -> Result<String, BuildError> {
    let id = seg("org_id", id)?;
    let mut parts = vec!["org", id.as_str(), "billing"];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

pub(crate) fn build(c: &BillingCall) -> Result<Req, BuildError> {
    use BillingCall as B;
    Ok(match c {
        B::Details { org_id } => Req::get(org(org_id, &["details"])?),
        B::Plans => Req::get("org/billing/plan/list/".into()),
        B::Meters {
            org_id,
            meter,
            start_time,
            end_time,
            workspace_id,
            share_id,
        } => {
            if meter.trim().is_empty() {
                return Err(invalid("meter", "is empty"));
            }
            Req::get(org(org_id, &["usage", "meters", "list"])?).query(
                Params::new()
                    .put("meter", meter)
                    .opt("start_time", start_time)
                    .opt("end_time", end_time)
                    .opt("workspace_id", workspace_id)
                    .opt("share_id", share_id)
                    .done(),
            )
        }
        B::Credits { org_id } => Req::get(org(org_id, &["usage", "limits", "credits"])?),
        B::Members {
            org_id,
            limit,
            offset,
        } => Req::get(org(org_id, &["usage", "members", "list"])?).query(
            Params::new()
                .opt("limit", limit)
                .opt("offset", offset)
                .done(),
        ),
        B::Invoices {
            org_id,
            limit,
            starting_after,
        } => Req::get(org(org_id, &["invoices"])?).query(
            Params::new()
                .opt("limit", limit)
                .opt("starting_after", starting_after)
                .done(),
        ),
        B::Subscribe {
            org_id,
            billing_plan,
        } => Req::post_form(
            org(org_id, &[])?,
            Params::new().opt("billing_plan", billing_plan).done(),
        ),
        B::Cancel { org_id } => Req::delete(org(org_id, &[])?),
        B::Reactivate { org_id } => {
            let mut r = Req::new(Method::Put, org(org_id, &[])?);
            r.body = Body::Json(serde_json::json!({}));
            r
        }
    })
}
