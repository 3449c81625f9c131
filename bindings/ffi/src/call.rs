//! Calls put together field by field, for languages with no JSON library at
//! hand (Kotlin on the JVM): every value is escaped by serde_json, never by
//! hand. And the one reading of a version conflict, shared by every binding.

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

/// A call (`{"<group>": {"op": …, …}}`) built one field at a time; `json`
/// gives the text `CoreClient.build` takes.
#[derive(uniffi::Object)]
pub struct CallBuilder {
    group: String,
    fields: Mutex<Map<String, Value>>,
}

impl std::fmt::Debug for CallBuilder {
    // Fields may hold passwords: only the group is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallBuilder")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl CallBuilder {
    fn lock(&self) -> MutexGuard<'_, Map<String, Value>> {
        self.fields.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn put(self: Arc<Self>, key: String, value: Value) -> Arc<Self> {
        self.lock().insert(key, value);
        self
    }
}

#[uniffi::export]
impl CallBuilder {
    /// A call of `group` (`fileshares`, `storage`, …) and `op`.
    #[uniffi::constructor]
    pub fn new(group: String, op: String) -> Arc<Self> {
        let mut fields = Map::new();
        fields.insert("op".into(), Value::String(op));
        Arc::new(CallBuilder {
            group,
            fields: Mutex::new(fields),
        })
    }

    /// A text field.
    pub fn text(self: Arc<Self>, key: String, value: String) -> Arc<Self> {
        self.put(key, Value::String(value))
    }

    /// A number field.
    pub fn number(self: Arc<Self>, key: String, value: u64) -> Arc<Self> {
        self.put(key, Value::from(value))
    }

    /// A true/false field.
    pub fn flag(self: Arc<Self>, key: String, value: bool) -> Arc<Self> {
        self.put(key, Value::Bool(value))
    }

    /// A list of texts.
    pub fn texts(self: Arc<Self>, key: String, values: Vec<String>) -> Arc<Self> {
        self.put(key, Value::from(values))
    }

    /// A one-key object: `{"<tag>": value}` (`profile: {"workspace": id}`,
    /// `grantee: {"email": …}`, `password: {"set": …}`).
    pub fn tagged(self: Arc<Self>, key: String, tag: String, value: String) -> Arc<Self> {
        let mut inner = Map::new();
        inner.insert(tag, Value::String(value));
        self.put(key, Value::Object(inner))
    }

    /// A one-key object holding a number (`expires: {"in": 3600}`).
    pub fn tagged_number(self: Arc<Self>, key: String, tag: String, value: u64) -> Arc<Self> {
        let mut inner = Map::new();
        inner.insert(tag, Value::from(value));
        self.put(key, Value::Object(inner))
    }

    /// The call as JSON text.
    pub fn json(&self) -> String {
        let mut outer = Map::new();
        outer.insert(self.group.clone(), Value::Object(self.lock().clone()));
        Value::Object(outer).to_string()
    }
}

/// The object's current state, as JSON text, when an API error (its
/// `detail_json`) is a version conflict: a note changed since
/// `if_version_id`. `None` for every other error.
#[uniffi::export]
pub fn version_conflict(error_detail_json: String) -> Option<String> {
    let e: fastio_core::decode::ApiError = serde_json::from_str(&error_detail_json).ok()?;
    e.version_conflict()
        .map(|m| Value::Object(m.clone()).to_string())
}
