//! Events, event pages and the activity long-poll answer.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, Pagination, model};
use crate::decode::de;

/// An event from `events/search/` or `event/{id}/details/`. The id may come
/// as `id` or `event_id` and the name as `event` or `event_name`; a body may
/// carry both spellings, so the other one stays in `extra`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct Event {
    /// The event id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// The name, such as `workspace_storage_file_added`.
    #[serde(default)]
    pub event: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<String>,
    /// Subcategory.
    #[serde(default)]
    pub subcategory: Option<String>,
    /// What it is about.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub object_id: Option<String>,
    /// When.
    #[serde(default)]
    pub created: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(Event, ["event_details"]);

/// Moves `alias` to `name` when only the alias is given.
fn resolve_alias(m: &mut Map<String, Value>, name: &str, alias: &str) {
    if m.get(name).is_none_or(Value::is_null)
        && let Some(v) = m.remove(alias)
    {
        m.insert(name.to_string(), v);
    }
}

impl TryFrom<Map<String, Value>> for Event {
    type Error = serde_json::Error;

    fn try_from(mut m: Map<String, Value>) -> Result<Self, Self::Error> {
        resolve_alias(&mut m, "id", "event_id");
        resolve_alias(&mut m, "event", "event_name");
        // The same fields without the container attribute, so decoding the
        // resolved map does not come back here.
        #[derive(Deserialize)]
        struct Fields {
            #[serde(default, deserialize_with = "de::opt_id")]
            id: Option<String>,
            #[serde(default)]
            event: Option<String>,
            #[serde(default)]
            category: Option<String>,
            #[serde(default)]
            subcategory: Option<String>,
            #[serde(default, deserialize_with = "de::opt_id")]
            object_id: Option<String>,
            #[serde(default)]
            created: Option<String>,
            #[serde(flatten)]
            extra: Map<String, Value>,
        }
        let f = Fields::deserialize(Value::Object(m))?;
        Ok(Event {
            id: f.id,
            event: f.event,
            category: f.category,
            subcategory: f.subcategory,
            object_id: f.object_id,
            created: f.created,
            extra: f.extra,
        })
    }
}

/// A page of events. The list is `events`; a `results` that is a list is
/// read when `events` is absent, and a `results` count (which servers send
/// beside `events`) stays in `extra`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
pub struct EventList {
    /// The events.
    #[serde(default)]
    pub events: Vec<Event>,
    /// Paging.
    #[serde(default)]
    pub pagination: Option<Pagination>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(EventList, []);

impl TryFrom<Map<String, Value>> for EventList {
    type Error = serde_json::Error;

    fn try_from(mut m: Map<String, Value>) -> Result<Self, Self::Error> {
        let items = match m.remove("events") {
            Some(Value::Null) | None => match m.get("results") {
                Some(Value::Array(_)) => m.remove("results").unwrap_or(Value::Null),
                _ => Value::Null,
            },
            Some(v) => v,
        };
        let events = match items {
            Value::Null => Vec::new(),
            v => Vec::<Event>::deserialize(v)?,
        };
        let pagination = match m.remove("pagination") {
            Some(Value::Null) | None => None,
            Some(p) => Some(Pagination::deserialize(p)?),
        };
        Ok(EventList {
            events,
            pagination,
            extra: m,
        })
    }
}

/// An activity long-poll answer: changed keys and the new `lastactivity`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Activity {
    /// Keys such as `storage:{id}`, `upload:{id}`, `ai_state:{id}`.
    pub keys: Vec<String>,
    /// Pass back as `lastactivity` on the next poll.
    pub lastactivity: Option<String>,
    /// The whole payload.
    pub raw: Value,
}

impl<'de> Deserialize<'de> for Activity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(d)?;
        let lastactivity = match raw.get("lastactivity") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let keys = match raw.get("activity") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect(),
            Some(Value::Object(m)) => m.keys().cloned().collect(),
            _ => raw
                .as_object()
                .map(|m| m.keys().filter(|k| k.contains(':')).cloned().collect())
                .unwrap_or_default(),
        };
        Ok(Activity {
            keys,
            lastactivity,
            raw,
        })
    }
}
model!(Activity, []);
