//! What every model shares: the `Model` trait and its payload lookup, offset
//! pagination, and the public flag reader.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::decode::de;
use crate::decode::error::{ApiError, ErrorKind};

/// A payload type, with the keys the API nests it under.
pub trait Model: DeserializeOwned + Serialize {
    /// Keys under which a payload may hold this model (`user`, `node`, …).
    /// When the payload has one of them holding an object, that object is
    /// decoded; otherwise the payload itself is.
    const KEYS: &'static [&'static str];
}

/// Decodes a model out of a payload.
pub fn from_payload<T: Model>(payload: Value) -> Result<T, ApiError> {
    let inner = match &payload {
        Value::Object(obj) => T::KEYS
            .iter()
            .find_map(|k| obj.get(*k).filter(|v| v.is_object()).cloned()),
        _ => None,
    };
    serde_json::from_value(inner.unwrap_or(payload)).map_err(|e| {
        ApiError::bare(
            ErrorKind::MalformedResponse,
            None,
            format!("unexpected payload shape: {e}"),
        )
    })
}

macro_rules! model {
    ($t:ty, [$($k:literal),*]) => {
        impl Model for $t {
            const KEYS: &'static [&'static str] = &[$($k),*];
        }
    };
}
pub(crate) use model;

/// The raw payload, for calls without a typed model.
impl Model for Value {
    const KEYS: &'static [&'static str] = &[];
}

/// Offset pagination.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Pagination {
    /// Total items.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub total: Option<u64>,
    /// Page size.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub limit: Option<u64>,
    /// Offset of this page.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub offset: Option<u64>,
    /// More pages follow.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub has_more: Option<bool>,
}

/// Reads a flag (`true`, `"yes"`, `1`, …) from a JSON value.
pub fn flag_value(v: &Value) -> Option<bool> {
    de::flag(v)
}
