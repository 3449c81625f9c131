//! Request parameters gathered from the query string, a form body, a JSON object body or
//! multipart fields, because real clients place the same parameter in different places.

use std::collections::HashMap;

use serde_json::Value;

use crate::envelope::ApiError;

#[derive(Default, Debug, Clone)]
pub struct Params {
    map: HashMap<String, String>,
}

impl Params {
    pub fn from_query(q: Option<&str>) -> Self {
        let mut p = Self::default();
        if let Some(q) = q {
            p.add_urlencoded(q.as_bytes());
        }
        p
    }

    /// Later sources do not override earlier ones (the query string wins), except that empty
    /// values are replaced.
    pub fn insert(&mut self, k: impl Into<String>, v: impl Into<String>) {
        let k = k.into();
        let v = v.into();
        match self.map.get(&k) {
            Some(old) if !old.is_empty() => {}
            _ => {
                self.map.insert(k, v);
            }
        }
    }

    pub fn add_urlencoded(&mut self, body: &[u8]) {
        for (k, v) in form_urlencoded::parse(body) {
            self.insert(k.into_owned(), v.into_owned());
        }
    }

    /// A JSON object body: scalars become strings, nested values keep their JSON text.
    pub fn add_json(&mut self, body: &[u8]) -> Result<(), ApiError> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::invalid("The request body is not valid JSON."))?;
        let Value::Object(m) = v else {
            return Err(ApiError::invalid("The JSON body must be an object."));
        };
        for (k, v) in m {
            let s = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            self.insert(k, s);
        }
        Ok(())
    }

    /// Replaces a value (used to resolve aliases such as a share's `root`).
    pub fn set(&mut self, k: &str, v: &str) {
        self.map.insert(k.to_string(), v.to_string());
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.map
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn req(&self, k: &str) -> Result<&str, ApiError> {
        self.get(k).ok_or_else(|| ApiError::missing(k))
    }

    pub fn u64(&self, k: &str) -> Result<Option<u64>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(s) => s.trim().parse::<u64>().map(Some).map_err(|_| {
                ApiError::invalid_param(
                    k,
                    "integer",
                    format!("'{k}' must be a non-negative integer."),
                )
            }),
        }
    }

    pub fn bool(&self, k: &str) -> bool {
        matches!(
            self.get(k),
            Some("true" | "1" | "yes" | "on" | "TRUE" | "True")
        )
    }

    pub fn has(&self, k: &str) -> bool {
        self.map.contains_key(k)
    }
}
