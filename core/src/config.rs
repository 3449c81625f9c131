//! Client configuration: where requests go and how they authenticate.

use std::fmt;

use serde::Deserialize;

use crate::secret::Secret;

/// The public Fast.io API base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.fast.io/current/";

/// The default cap on a response body the decoder accepts (16 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// How long the machines wait for an answer before giving a request up (ms).
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 120_000;

/// A bearer credential. All three kinds go in `Authorization: Bearer …`;
/// the kind is kept so hosts know which ones expire and can be refreshed.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Credential {
    /// An API key, used directly as the bearer token (it is never exchanged).
    ApiKey(Secret),
    /// A JWT from password sign-in (possibly 2FA-upgraded).
    Jwt(Secret),
    /// An OAuth access token.
    OAuth(Secret),
}

impl Credential {
    /// The bearer token.
    pub fn token(&self) -> &Secret {
        match self {
            Credential::ApiKey(s) | Credential::Jwt(s) | Credential::OAuth(s) => s,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Credential::ApiKey(_) => "ApiKey",
            Credential::Jwt(_) => "Jwt",
            Credential::OAuth(_) => "OAuth",
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}([redacted])", self.kind())
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} [redacted]", self.kind())
    }
}

/// Where the `order`, `size` and hash fields of a chunk upload go.
///
/// The reference documents form fields; the official CLI sends them in the
/// query string, which is what the live service is known to accept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChunkParams {
    /// In the query string (the official CLI's placement).
    #[default]
    Query,
    /// As multipart fields before the `chunk` part (the documented placement).
    Form,
}

/// How a client talks to Fast.io.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClientConfig {
    /// Base URL ending in `/`, such as `https://api.fast.io/current/` or a
    /// local server's `http://127.0.0.1:PORT/current/`.
    pub base_url: String,
    /// The bearer credential, when signed in.
    pub credential: Option<Credential>,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Where chunk-upload fields go.
    pub chunk_params: ChunkParams,
    /// Response bodies larger than this are refused by the decoder.
    pub max_response_bytes: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: DEFAULT_BASE_URL.into(),
            credential: None,
            user_agent: concat!("fastio-core/", env!("CARGO_PKG_VERSION")).into(),
            chunk_params: ChunkParams::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL is not an absolute http(s) URL without query or fragment.
    #[error("base URL {0:?} must be an absolute http:// or https:// URL without query or fragment")]
    BaseUrl(String),
}

impl ClientConfig {
    /// A configuration for `base_url` with an API key.
    pub fn with_api_key(base_url: &str, api_key: impl Into<Secret>) -> Result<Self, ConfigError> {
        let mut c = ClientConfig {
            credential: Some(Credential::ApiKey(api_key.into())),
            ..ClientConfig::default()
        };
        c.set_base_url(base_url)?;
        Ok(c)
    }

    /// Sets and normalises the base URL (a trailing `/` is added).
    pub fn set_base_url(&mut self, base_url: &str) -> Result<(), ConfigError> {
        self.base_url = normalize_base_url(base_url)?;
        Ok(())
    }

    /// Checks the configuration and returns it with the base URL normalised.
    pub fn validated(mut self) -> Result<Self, ConfigError> {
        self.base_url = normalize_base_url(&self.base_url)?;
        Ok(self)
    }
}

fn normalize_base_url(url: &str) -> Result<String, ConfigError> {
    let bad = || ConfigError::BaseUrl(url.to_string());
    let trimmed = url.trim();
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty()
        || trimmed.contains(['?', '#', ' ', '\r', '\n', '\t'])
        || trimmed.chars().any(|c| c.is_control())
    {
        return Err(bad());
    }
    let mut s = trimmed.to_string();
    if !s.ends_with('/') {
        s.push('/');
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_normalised_and_checked() {
        let c = ClientConfig::with_api_key("http://127.0.0.1:8080/current", "k").unwrap();
        assert_eq!(c.base_url, "http://127.0.0.1:8080/current/");
        for bad in [
            "ftp://x/",
            "api.fast.io/current/",
            "https:///x",
            "https://x/?a=1",
            "https://x/#f",
            "https://x/\r\nHost: y",
        ] {
            assert!(ClientConfig::with_api_key(bad, "k").is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_are_redacted() {
        let c = ClientConfig::with_api_key(DEFAULT_BASE_URL, "sk_live_123456").unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("sk_live_123456"), "{d}");
        assert!(d.contains("ApiKey([redacted])"), "{d}");
        let cred = Credential::OAuth(Secret::new("at_999"));
        assert_eq!(cred.to_string(), "OAuth [redacted]");
    }
}
