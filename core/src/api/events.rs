//! Events search, summary and acknowledgement, and the activity long-poll
//! (reference §8, as the official client sends them: `fastio-cli-contract.md`
//! §8).

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Req, invalid};

/// The longest `wait` the activity poll honours, in seconds: the server caps
/// it there (fastio_cli src/bin/fastio/commands/ai.rs:786-796 @96b1551).
pub const MAX_ACTIVITY_WAIT_S: u32 = 95;

/// Which entity an events search is about (one is required).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventScope {
    /// `user_id`.
    User(String),
    /// `org_id`.
    Org(String),
    /// `workspace_id`.
    Workspace(String),
    /// `share_id`.
    Share(String),
    /// `parent_event_id`: the children of a serial or batch event. It
    /// combines only with `acknowledged`, `limit` and `offset`.
    ParentEvent(String),
}

/// The values `visibility` takes.
const VISIBILITIES: [&str; 2] = ["external_audit_log", "external"];

/// Events calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventsCall {
    /// `GET events/search/`.
    Search {
        /// What to select.
        #[serde(flatten)]
        filters: EventFilters,
        /// 1–250.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET events/search/summarize/`: an AI summary of the events the same
    /// filters select, guided by `user_context`.
    Summarize {
        /// What to select.
        #[serde(flatten)]
        filters: EventFilters,
        /// Free text that guides the summary.
        #[serde(default)]
        user_context: Option<String>,
        /// 1–250 events.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET event/{id}/details/`.
    Details {
        /// The event.
        event_id: String,
    },
    /// `POST event/{id}/ack/` with form `event_id`.
    Ack {
        /// The event.
        event_id: String,
    },
    /// `GET activity/poll/{entity_id}/?wait=…&lastactivity=…&updated=1`.
    ActivityPoll {
        /// A workspace, share or File Share id; the user id for uploads.
        entity_id: String,
        /// Seconds the server may hold the request, at most 95.
        #[serde(default)]
        wait: Option<u32>,
        /// The `lastactivity` cursor of the previous answer, sent back
        /// verbatim: it is an opaque string.
        #[serde(default)]
        lastactivity: Option<String>,
        /// Listing mode: only entries newer than `lastactivity`.
        #[serde(default)]
        updated: Option<bool>,
    },
}

/// The filters search and summarize share (fastio_cli src/api/event.rs:13-113
/// @96b1551), sent in this order.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct EventFilters {
    /// The entity.
    pub scope: EventScope,
    /// Event name, such as `workspace_storage_file_added`.
    #[serde(default)]
    pub event: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<String>,
    /// Subcategory.
    #[serde(default)]
    pub subcategory: Option<String>,
    /// The user who triggered the event (not the same as a `user` scope).
    #[serde(default)]
    pub calling_user_id: Option<String>,
    /// The object the event is about.
    #[serde(default)]
    pub object_id: Option<String>,
    /// Audit-log filter: `external_audit_log` or `external`.
    #[serde(default)]
    pub visibility: Option<String>,
    /// Only acknowledged (`true`) or unacknowledged (`false`) events.
    #[serde(default)]
    pub acknowledged: Option<bool>,
    /// Earliest creation time (`created-min`).
    #[serde(default)]
    pub created_min: Option<String>,
    /// Latest creation time (`created-max`).
    #[serde(default)]
    pub created_max: Option<String>,
}

impl EventFilters {
    fn params(&self) -> Result<Params, BuildError> {
        let (k, v) = match &self.scope {
            EventScope::User(v) => ("user_id", v),
            EventScope::Org(v) => ("org_id", v),
            EventScope::Workspace(v) => ("workspace_id", v),
            EventScope::Share(v) => ("share_id", v),
            EventScope::ParentEvent(v) => ("parent_event_id", v),
        };
        if v.trim().is_empty() {
            return Err(invalid("scope", "the id is empty"));
        }
        if let Some(vis) = &self.visibility
            && !VISIBILITIES.contains(&vis.as_str())
        {
            return Err(invalid(
                "visibility",
                format!("must be external_audit_log or external, got {vis:?}"),
            ));
        }
        if matches!(&self.scope, EventScope::ParentEvent(_)) {
            // The server refuses any other filter beside a parent event
            // (fastio_cli src/api/event.rs:13-20 @96b1551).
            let others = [
                ("event", self.event.is_some()),
                ("category", self.category.is_some()),
                ("subcategory", self.subcategory.is_some()),
                ("calling_user_id", self.calling_user_id.is_some()),
                ("object_id", self.object_id.is_some()),
                ("visibility", self.visibility.is_some()),
                ("created_min", self.created_min.is_some()),
                ("created_max", self.created_max.is_some()),
            ];
            if let Some(&(field, _)) = others.iter().find(|(_, set)| *set) {
                return Err(invalid(
                    field,
                    "cannot be combined with a parent event; only acknowledged, limit and offset can",
                ));
            }
        }
        Ok(Params::new()
            .put(k, v)
            .opt("event", &self.event)
            .opt("category", &self.category)
            .opt("subcategory", &self.subcategory)
            .opt("calling_user_id", &self.calling_user_id)
            .opt("object_id", &self.object_id)
            .opt("visibility", &self.visibility)
            .opt_bool("acknowledged", self.acknowledged)
            .opt("created-min", &self.created_min)
            .opt("created-max", &self.created_max))
    }
}

pub(crate) fn build(call: &EventsCall) -> Result<Req, BuildError> {
    Ok(match call {
        EventsCall::Search {
            filters,
            limit,
            offset,
        } => {
            super::orgs::check_limit(limit, 250)?;
            let p = filters.params()?;
            Req::get(join(&["events", "search"]))
                .query(p.opt("limit", limit).opt("offset", offset).done())
        }
        EventsCall::Summarize {
            filters,
            user_context,
            limit,
            offset,
        } => {
            super::orgs::check_limit(limit, 250)?;
            let p = filters.params()?;
            Req::get(join(&["events", "search", "summarize"])).query(
                p.opt("user_context", user_context)
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .done(),
            )
        }
        EventsCall::Details { event_id } => {
            Req::get(join(&["event", &seg("event_id", event_id)?, "details"]))
        }
        EventsCall::Ack { event_id } => Req::post_form(
            join(&["event", &seg("event_id", event_id)?, "ack"]),
            Params::new().put("event_id", event_id.trim()).done(),
        ),
        EventsCall::ActivityPoll {
            entity_id,
            wait,
            lastactivity,
            updated,
        } => {
            if let Some(w) = wait
                && *w > MAX_ACTIVITY_WAIT_S
            {
                return Err(invalid(
                    "wait",
                    format!("must be at most {MAX_ACTIVITY_WAIT_S} seconds, got {w}"),
                ));
            }
            let mut p = Params::new()
                .opt("wait", wait)
                .opt("lastactivity", lastactivity);
            if *updated == Some(true) {
                p = p.put("updated", 1);
            }
            Req::get(join(&["activity", "poll", &seg("entity_id", entity_id)?])).query(p.done())
        }
    })
}
