//! Server configuration shared by the binary and the in-process library entry points.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::faults::FaultConfig;

/// How outbound webhook deliveries are signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum WebhookScheme {
    /// `x-fastio-signature`: lowercase hex HMAC-SHA256 of the raw body.
    #[default]
    Fastio,
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`
    /// over `id.timestamp.body`, keyed with the base64 part of a `whsec_` secret.
    Standard,
    /// `Fastio-Signature: t=<unix>,v1=<base64 HMAC of "t.body">`.
    FastioTimestamped,
}

impl WebhookScheme {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "fastio" => Some(Self::Fastio),
            "standard" => Some(Self::Standard),
            "fastio-timestamped" => Some(Self::FastioTimestamped),
            _ => None,
        }
    }
}

/// Everything the server needs to start. `Debug` is written by hand so API keys never print.
#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Accepted bearer keys besides those created through the API. Empty: one is generated.
    pub api_keys: Vec<String>,
    pub webhook_scheme: WebhookScheme,
    /// Smallest chunk accepted, except for the one last (undersized) chunk of a session.
    pub min_chunk_size: u64,
    /// Largest chunk accepted.
    pub max_chunk_size: u64,
    /// Largest file a session may declare or assemble.
    pub max_file_size: u64,
    /// Largest single-request upload (the documented 4 MB).
    pub max_single_upload_size: u64,
    /// Chunks that may be in flight at once for one session.
    pub max_parallel_chunks: usize,
    /// Requests allowed per bearer token in one rate-limit window.
    pub rate_limit_max: u64,
    /// Length of the rate-limit window in seconds.
    pub rate_limit_window_s: u64,
    /// Cap on non-upload request bodies (forms, JSON, small multipart).
    pub max_form_body: usize,
    pub faults: FaultConfig,
    /// Seed for fault decisions, so a fault schedule replays identically.
    pub seed: u64,
}

impl Config {
    /// Defaults suitable for tests: loopback on an ephemeral port.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: data_dir.into(),
            api_keys: Vec::new(),
            webhook_scheme: WebhookScheme::Fastio,
            min_chunk_size: 1024 * 1024,
            max_chunk_size: 100 * 1024 * 1024,
            max_file_size: 40 * 1000 * 1000 * 1000,
            max_single_upload_size: 4 * 1024 * 1024,
            max_parallel_chunks: 3,
            rate_limit_max: 100_000,
            rate_limit_window_s: 60,
            max_form_body: 1024 * 1024,
            faults: FaultConfig::default(),
            seed: 0,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("data_dir", &self.data_dir)
            .field(
                "api_keys",
                &format_args!("[{} redacted]", self.api_keys.len()),
            )
            .field("webhook_scheme", &self.webhook_scheme)
            .field("min_chunk_size", &self.min_chunk_size)
            .field("max_chunk_size", &self.max_chunk_size)
            .field("max_file_size", &self.max_file_size)
            .field("rate_limit_max", &self.rate_limit_max)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}
