//! Rate-limit figures, readable from every response.

use serde::{Deserialize, Serialize};

use crate::http::header;

/// The `x-ve-limit-*` headers (or their legacy `X-Rate-Limit-*` names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests left in the window (`x-ve-limit-avail`).
    pub avail: Option<u64>,
    /// The window's size (`x-ve-limit-max`).
    pub max: Option<u64>,
    /// When the window resets, Unix seconds (`x-ve-limit-expires`).
    pub expires: Option<u64>,
}

fn num(headers: &[(String, String)], current: &str, legacy: &str) -> Option<u64> {
    header(headers, current)
        .or_else(|| header(headers, legacy))
        .and_then(|v| v.trim().parse::<u64>().ok())
}

impl RateLimit {
    /// Reads the figures from response headers; absent or non-numeric values are `None`.
    pub fn from_headers(headers: &[(String, String)]) -> Self {
        RateLimit {
            avail: num(headers, "x-ve-limit-avail", "x-rate-limit-available"),
            max: num(headers, "x-ve-limit-max", "x-rate-limit-max"),
            expires: num(headers, "x-ve-limit-expires", "x-rate-limit-expiry"),
        }
    }
}
