//! Events search and the activity long-poll (reference §8).

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Req, invalid};

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
    /// `parent_event_id`.
    ParentEvent(String),
}

/// Events calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventsCall {
    /// `GET events/search/`.
    Search {
        /// The entity.
        scope: EventScope,
        /// Event name, such as `workspace_storage_file_added`.
        #[serde(default)]
        event: Option<String>,
        /// Category.
        #[serde(default)]
        category: Option<String>,
        /// Subcategory.
        #[serde(default)]
        subcategory: Option<String>,
        /// The object the event is about.
        #[serde(default)]
        object_id: Option<String>,
        /// Earliest creation time (`created-min`).
        #[serde(default)]
        created_min: Option<String>,
        /// Latest creation time (`created-max`).
        #[serde(default)]
        created_max: Option<String>,
        /// 1–250.
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
    /// `GET activity/poll/{entity_id}/?wait=…&lastactivity=…`.
    ActivityPoll {
        /// A workspace, share or org id; the user id for uploads.
        entity_id: String,
        /// Seconds to wait (the API uses up to 95).
        #[serde(default)]
        wait: Option<u32>,
        /// The `lastactivity` from the previous poll.
        #[serde(default)]
        lastactivity: Option<String>,
        /// Ask for updated entries.
        #[serde(default)]
        updated: Option<bool>,
    },
}

pub(crate) fn build(call: &EventsCall) -> Result<Req, BuildError> {
    Ok(match call {
        EventsCall::Search {
            scope,
            event,
            category,
            subcategory,
            object_id,
            created_min,
            created_max,
            limit,
            offset,
        } => {
            super::orgs::check_limit(limit, 250)?;
            let (k, v) = match scope {
                EventScope::User(v) => ("user_id", v),
                EventScope::Org(v) => ("org_id", v),
                EventScope::Workspace(v) => ("workspace_id", v),
                EventScope::Share(v) => ("share_id", v),
                EventScope::ParentEvent(v) => ("parent_event_id", v),
            };
            if v.trim().is_empty() {
                return Err(invalid("scope", "the id is empty"));
            }
            Req::get(join(&["events", "search"])).query(
                Params::new()
                    .put(k, v)
                    .opt("event", event)
                    .opt("category", category)
                    .opt("subcategory", subcategory)
                    .opt("object_id", object_id)
                    .opt("created-min", created_min)
                    .opt("created-max", created_max)
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .done(),
            )
        }
        EventsCall::Details { event_id } => {
            Req::get(join(&["event", &seg("event_id", event_id)?, "details"]))
        }
        EventsCall::ActivityPoll {
            entity_id,
            wait,
            lastactivity,
            updated,
        } => {
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
