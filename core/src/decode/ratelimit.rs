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
    /// The server's clock when it answered, Unix seconds (the response's
    /// `Date`). With `expires` it gives the wait without any host clock, so
    /// a host's clock (or its skew) never enters a retry decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_date: Option<u64>,
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
            server_date: header(headers, "date").and_then(http_date_unix_s),
        }
    }

    /// Seconds until the window resets by the server's own clock, when the
    /// answer carried both `x-ve-limit-expires` and `Date`.
    pub fn reset_in_s(&self) -> Option<u64> {
        Some(self.expires?.saturating_sub(self.server_date?))
    }
}

/// An HTTP date (RFC 9110 §5.6.7, all three historic forms) as Unix seconds.
fn http_date_unix_s(value: &str) -> Option<u64> {
    let t = httpdate::parse_http_date(value.trim()).ok()?;
    t.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}
