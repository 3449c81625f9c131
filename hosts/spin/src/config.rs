//! Configuration, read from environment variables only, so the same `.wasm`
//! runs unchanged under Spin (`[component.gateway.environment]`) and under
//! `wasmtime serve -Scli --env`.
//!
//! Every error names the variable at fault and never echoes a secret's value.

use fastio_core::config::ClientConfig;
use fastio_core::policy::{FileKind, GrantKey, GrantKeyring, UploadPolicy};
use fastio_core::secret::Secret;
use fastio_core::webhook::{Scheme, TimestampCheck, Tolerance, Verifier};

/// Bad or missing configuration: the variable and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// What is wrong (never its value when the variable is a secret).
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        ConfigError {
            variable,
            problem: problem.into(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.variable, self.problem)
    }
}

/// The variables, by name.
pub mod var {
    /// Fast.io API base URL, e.g. `https://api.fast.io/current/`.
    pub const API_BASE: &str = "FASTIO_API_BASE";
    /// The API key the gateway adds to upstream requests.
    pub const API_KEY: &str = "FASTIO_API_KEY";
    /// Default workspace for grants that name none.
    pub const WORKSPACE: &str = "FASTIO_WORKSPACE";
    /// Default folder id (`root` when unset).
    pub const FOLDER: &str = "FASTIO_FOLDER";
    /// Grant signing secrets, comma-separated; the first signs, all verify.
    pub const GRANT_SECRET: &str = "GATEWAY_GRANT_SECRET";
    /// `on` (default) or `off`: whether `POST /grant` is served.
    pub const GRANT_ENDPOINT: &str = "GATEWAY_GRANT_ENDPOINT";
    /// Longest grant lifetime, seconds (default 3600).
    pub const GRANT_TTL: &str = "GATEWAY_GRANT_TTL_S";
    /// Largest upload in bytes (`K`, `M`, `G` suffixes of 1024 allowed).
    pub const MAX_SIZE: &str = "GATEWAY_MAX_SIZE";
    /// Allowed file kinds by magic number, comma-separated (empty: any).
    pub const ALLOWED_TYPES: &str = "GATEWAY_ALLOWED_TYPES";
    /// Allowed CORS origins, comma-separated, or `*`.
    pub const CORS_ORIGINS: &str = "GATEWAY_CORS_ORIGINS";
    /// Chunks in flight per upload (default 3).
    pub const PARALLEL: &str = "GATEWAY_PARALLEL_CHUNKS";
    /// Chunk size of `POST /upload`, 1M to 16M (default 4M).
    pub const CHUNK_SIZE: &str = "GATEWAY_CHUNK_SIZE";
    /// Webhook signature scheme.
    pub const WEBHOOK_SCHEME: &str = "WEBHOOK_SCHEME";
    /// Webhook secrets, comma-separated (several during rotation).
    pub const WEBHOOK_SECRETS: &str = "WEBHOOK_SECRETS";
    /// Timestamp tolerance, seconds (default 300).
    pub const WEBHOOK_TOLERANCE: &str = "WEBHOOK_TOLERANCE_S";
    /// Where verified events are forwarded (optional, `http(s)://`).
    pub const WEBHOOK_FORWARD_URL: &str = "WEBHOOK_FORWARD_URL";

    /// Every variable the gateway reads: `spin.toml` must pass each one
    /// (its test also checks this list against the constants above).
    pub const ALL: [&str; 16] = [
        API_BASE,
        API_KEY,
        WORKSPACE,
        FOLDER,
        GRANT_SECRET,
        GRANT_ENDPOINT,
        GRANT_TTL,
        MAX_SIZE,
        ALLOWED_TYPES,
        CORS_ORIGINS,
        PARALLEL,
        CHUNK_SIZE,
        WEBHOOK_SCHEME,
        WEBHOOK_SECRETS,
        WEBHOOK_TOLERANCE,
        WEBHOOK_FORWARD_URL,
    ];
}

/// Reads one variable; empty counts as unset.
pub trait Env {
    /// The value, if set and not empty.
    fn get(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Env for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name).filter(|v| !v.trim().is_empty())
    }
}

/// The process environment (wasi:cli/environment inside the component).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn required(env: &dyn Env, name: &'static str) -> Result<String, ConfigError> {
    env.get(name)
        .ok_or_else(|| ConfigError::new(name, "is not set"))
}

fn number(env: &dyn Env, name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match env.get(name) {
        None => Ok(default),
        Some(v) => parse_size(&v).ok_or_else(|| {
            ConfigError::new(
                name,
                format!("{v:?} is not a whole number (K, M, G suffixes allowed)"),
            )
        }),
    }
}

/// `123`, `64K`, `5M`, `2G` (powers of 1024).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, mult) = match t.char_indices().last()? {
        (i, 'k' | 'K') => (&t[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&t[..i], 1 << 20),
        (i, 'g' | 'G') => (&t[..i], 1 << 30),
        _ => (t, 1),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(mult)
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Chunk size of `POST /upload` unless `GATEWAY_CHUNK_SIZE` says otherwise.
pub const DEFAULT_CHUNK_SIZE: u64 = fastio_core::upload::plan::DEFAULT_CHUNK_SIZE;

/// Most chunk bytes one upload may hold (in flight × chunk size), so an
/// edge instance's memory stays bounded whatever the configuration.
pub const MAX_CHUNK_BYTES_HELD: u64 = 48 << 20;

/// What the upload routes need.
pub struct UploadConfig {
    /// Upstream client configuration (base URL and API key).
    pub client: ClientConfig,
    /// Grant keys (the first signs).
    pub keys: GrantKeyring,
    /// The signing key.
    pub signer: GrantKey,
    /// Size and type limits of the gateway itself.
    pub policy: UploadPolicy,
    /// Chunks in flight.
    pub parallel: u32,
    /// Chunk size of `POST /upload`, bytes.
    pub chunk_size: u64,
}

impl std::fmt::Debug for UploadConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // ClientConfig and the keys redact themselves; spelt out anyway so
        // a future field cannot leak through a derive.
        f.debug_struct("UploadConfig")
            .field("base_url", &self.client.base_url)
            .field("keys", &"[redacted]")
            .field("policy", &self.policy)
            .field("parallel", &self.parallel)
            .field("chunk_size", &self.chunk_size)
            .finish()
    }
}

/// Grant keys from `GATEWAY_GRANT_SECRET`.
pub fn grant_keys(env: &dyn Env) -> Result<(GrantKey, GrantKeyring), ConfigError> {
    let raw = required(env, var::GRANT_SECRET)?;
    let mut keys = Vec::new();
    for (i, s) in list(&raw).into_iter().enumerate() {
        if s.len() < 16 {
            return Err(ConfigError::new(
                var::GRANT_SECRET,
                format!("secret {} is shorter than 16 characters", i + 1),
            ));
        }
        let key = GrantKey::new(Secret::new(s))
            .map_err(|e| ConfigError::new(var::GRANT_SECRET, e.to_string()))?;
        keys.push(key);
    }
    let signer = keys
        .first()
        .cloned()
        .ok_or_else(|| ConfigError::new(var::GRANT_SECRET, "holds no secret"))?;
    Ok((signer, GrantKeyring::new(keys)))
}

/// The gateway's own policy: `GATEWAY_MAX_SIZE` and `GATEWAY_ALLOWED_TYPES`.
pub fn policy(env: &dyn Env) -> Result<UploadPolicy, ConfigError> {
    let max_size = match env.get(var::MAX_SIZE) {
        None => None,
        Some(_) => Some(number(env, var::MAX_SIZE, 0)?),
    };
    let allowed = env
        .get(var::ALLOWED_TYPES)
        .map(|t| list(&t).iter().map(|n| FileKind::from_name(n)).collect())
        .unwrap_or_default();
    Ok(UploadPolicy { max_size, allowed })
}

/// Everything the upload and relay routes need.
pub fn upload(env: &dyn Env) -> Result<UploadConfig, ConfigError> {
    let base = required(env, var::API_BASE)?;
    let key = required(env, var::API_KEY)?;
    let client = ClientConfig::with_api_key(&base, Secret::new(key))
        .map_err(|e| ConfigError::new(var::API_BASE, e.to_string()))?;
    let (signer, keys) = grant_keys(env)?;
    let parallel = number(env, var::PARALLEL, 3)?;
    if !(1..=16).contains(&parallel) {
        return Err(ConfigError::new(var::PARALLEL, "must be between 1 and 16"));
    }
    let chunk_size = number(env, var::CHUNK_SIZE, DEFAULT_CHUNK_SIZE)?;
    if !(1 << 20..=16 << 20).contains(&chunk_size) {
        return Err(ConfigError::new(
            var::CHUNK_SIZE,
            "must be between 1M and 16M",
        ));
    }
    // The chunks in flight are what an upload holds in memory.
    if parallel * chunk_size > MAX_CHUNK_BYTES_HELD {
        let at_fault = if env.get(var::CHUNK_SIZE).is_some() {
            var::CHUNK_SIZE
        } else {
            var::PARALLEL
        };
        return Err(ConfigError::new(
            at_fault,
            format!(
                "{} x {} must stay within {} MiB",
                var::PARALLEL,
                var::CHUNK_SIZE,
                MAX_CHUNK_BYTES_HELD >> 20
            ),
        ));
    }
    Ok(UploadConfig {
        client,
        keys,
        signer,
        policy: policy(env)?,
        parallel: parallel as u32,
        chunk_size,
    })
}

/// What `POST /grant` needs besides the keys.
#[derive(Debug, Clone)]
pub struct GrantDefaults {
    /// Workspace when the request names none.
    pub workspace: Option<String>,
    /// Folder when the request names none.
    pub folder: String,
    /// Longest lifetime, seconds.
    pub max_ttl_s: u64,
    /// The gateway's size limit (a grant never allows more).
    pub max_size: Option<u64>,
}

/// `None` when the endpoint is switched off.
pub fn grant_defaults(env: &dyn Env) -> Result<Option<GrantDefaults>, ConfigError> {
    match env.get(var::GRANT_ENDPOINT).as_deref().map(str::trim) {
        None | Some("on") | Some("true") | Some("1") => {}
        Some("off") | Some("false") | Some("0") => return Ok(None),
        Some(other) => {
            return Err(ConfigError::new(
                var::GRANT_ENDPOINT,
                format!("{other:?} is not on or off"),
            ));
        }
    }
    let max_ttl_s = number(env, var::GRANT_TTL, 3600)?;
    if max_ttl_s == 0 {
        return Err(ConfigError::new(var::GRANT_TTL, "must be above zero"));
    }
    Ok(Some(GrantDefaults {
        workspace: env.get(var::WORKSPACE),
        folder: env.get(var::FOLDER).unwrap_or_else(|| "root".into()),
        max_ttl_s,
        max_size: policy(env)?.max_size,
    }))
}

/// CORS: the origins allowed (`*` for any); empty sends no CORS headers.
pub fn cors_origins(env: &dyn Env) -> Vec<String> {
    env.get(var::CORS_ORIGINS)
        .map(|t| list(&t))
        .unwrap_or_default()
}

/// The webhook receiver's configuration.
pub struct WebhookConfig {
    /// The verifier (scheme, secrets, tolerance).
    pub verifier: Verifier,
    /// Where verified events go, if anywhere.
    pub forward_url: Option<String>,
}

impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets stay out; the forward URL may carry credentials too.
        f.debug_struct("WebhookConfig")
            .field("scheme", &self.verifier.scheme().kind())
            .field("forward", &self.forward_url.is_some())
            .finish()
    }
}

/// `WEBHOOK_SCHEME`, `WEBHOOK_SECRETS`, `WEBHOOK_TOLERANCE_S`,
/// `WEBHOOK_FORWARD_URL`.
pub fn webhook(env: &dyn Env) -> Result<WebhookConfig, ConfigError> {
    let name = required(env, var::WEBHOOK_SCHEME)?;
    // The core reads the name (and lists the names it knows when it cannot).
    let scheme = Scheme::from_config_name(&name)
        .map_err(|e| ConfigError::new(var::WEBHOOK_SCHEME, format!("{name:?}: {e}")))?;
    let secrets: Vec<Secret> = list(&required(env, var::WEBHOOK_SECRETS)?)
        .into_iter()
        .map(Secret::new)
        .collect();
    let tolerance = number(env, var::WEBHOOK_TOLERANCE, 300)?;
    let verifier = Verifier::new(
        scheme,
        &secrets,
        TimestampCheck::Within(Tolerance::symmetric(tolerance)),
    )
    // The core's secret errors carry an index and a reason, never the value.
    .map_err(|e| ConfigError::new(var::WEBHOOK_SECRETS, e.to_string()))?;
    let forward_url = match env.get(var::WEBHOOK_FORWARD_URL) {
        None => None,
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => Some(u),
        Some(_) => {
            return Err(ConfigError::new(
                var::WEBHOOK_FORWARD_URL,
                "must be an http:// or https:// URL",
            ));
        }
    };
    Ok(WebhookConfig {
        verifier,
        forward_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| m.get(k).cloned()
    }

    #[test]
    fn missing_and_bad_variables_are_named() {
        let e = upload(&env(&[])).unwrap_err();
        assert_eq!(e.variable, var::API_BASE);
        let e = upload(&env(&[(var::API_BASE, "http://x/current/")])).unwrap_err();
        assert_eq!(e.variable, var::API_KEY);
        let e = upload(&env(&[
            (var::API_BASE, "ftp://x"),
            (var::API_KEY, "k"),
            (var::GRANT_SECRET, "0123456789abcdef"),
        ]))
        .unwrap_err();
        assert_eq!(e.variable, var::API_BASE);
        let e = upload(&env(&[
            (var::API_BASE, "http://x/current/"),
            (var::API_KEY, "k"),
            (var::GRANT_SECRET, "short-secret"),
        ]))
        .unwrap_err();
        assert_eq!(e.variable, var::GRANT_SECRET);
        assert!(!e.problem.contains("short-secret"));
        let e = upload(&env(&[
            (var::API_BASE, "http://x/current/"),
            (var::API_KEY, "k"),
            (var::GRANT_SECRET, "0123456789abcdef"),
            (var::MAX_SIZE, "lots"),
        ]))
        .unwrap_err();
        assert_eq!(e.variable, var::MAX_SIZE);
        let base = [
            (var::API_BASE, "http://x/current/"),
            (var::API_KEY, "k"),
            (var::GRANT_SECRET, "0123456789abcdef"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v = base.to_vec();
            v.extend_from_slice(extra);
            upload(&env(&v))
        };
        assert_eq!(
            with(&[(var::CHUNK_SIZE, "512K")]).unwrap_err().variable,
            var::CHUNK_SIZE
        );
        assert_eq!(
            with(&[(var::CHUNK_SIZE, "32M")]).unwrap_err().variable,
            var::CHUNK_SIZE
        );
        let e = with(&[(var::CHUNK_SIZE, "16M"), (var::PARALLEL, "4")]).unwrap_err();
        assert_eq!(e.variable, var::CHUNK_SIZE);
        assert!(e.problem.contains("48 MiB"), "{}", e.problem);
        assert_eq!(
            with(&[(var::PARALLEL, "16")]).unwrap_err().variable,
            var::PARALLEL
        );
        assert_eq!(
            with(&[(var::CHUNK_SIZE, "8M")]).unwrap().chunk_size,
            8 << 20
        );
        assert_eq!(with(&[]).unwrap().chunk_size, DEFAULT_CHUNK_SIZE);
        let e = webhook(&env(&[
            (var::WEBHOOK_SCHEME, "nope"),
            (var::WEBHOOK_SECRETS, "s"),
        ]))
        .unwrap_err();
        assert_eq!(e.variable, var::WEBHOOK_SCHEME);
        let e = grant_defaults(&env(&[(var::GRANT_ENDPOINT, "maybe")])).unwrap_err();
        assert_eq!(e.variable, var::GRANT_ENDPOINT);
    }

    #[test]
    fn good_configuration_parses() {
        let c = upload(&env(&[
            (var::API_BASE, "http://127.0.0.1:9/current/"),
            (var::API_KEY, "secret-api-key"),
            (var::GRANT_SECRET, "0123456789abcdef, fedcba9876543210"),
            (var::MAX_SIZE, "5M"),
            (var::ALLOWED_TYPES, "pdf, png"),
        ]))
        .unwrap();
        assert_eq!(c.policy.max_size, Some(5 << 20));
        assert_eq!(c.policy.allowed, vec![FileKind::Pdf, FileKind::Png]);
        assert!(!format!("{c:?}").contains("secret-api-key"));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("x"), None);
        assert!(
            grant_defaults(&env(&[(var::GRANT_ENDPOINT, "off")]))
                .unwrap()
                .is_none()
        );
    }
}
