//! Server configuration shared by the binary and the in-process library entry points.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Longest a client may take to send a request's line and headers, counted from the
    /// moment the server starts waiting for them (so an idle kept-alive connection is closed
    /// after this long too). Cuts off clients that trickle headers to hold a connection.
    pub header_read_timeout: Duration,
    /// Length of the body-rate window: while a handler waits for body bytes, every window of
    /// waiting must bring at least `body_min_rate` bytes per second of it, or the request is
    /// answered 408 and the connection closed. Only time spent waiting counts, so a handler
    /// that is slow to read (disk, backpressure) never makes its client look slow. Zero switches
    /// the check off.
    pub body_idle_timeout: Duration,
    /// Least body bytes per second over one `body_idle_timeout` window (0: any progress will do,
    /// so only a body that stops altogether is cut off).
    pub body_min_rate: u64,
    /// Connections served at once. Further ones wait in the listen backlog until one closes;
    /// the timeouts above close the idle ones.
    pub max_connections: usize,
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
            // hyper's own default; it also closes idle kept-alive connections, and clients
            // that pool connections reuse them for longer than a few seconds.
            header_read_timeout: Duration::from_secs(30),
            body_idle_timeout: Duration::from_secs(30),
            body_min_rate: 1024,
            max_connections: 256,
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
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_idle_timeout", &self.body_idle_timeout)
            .field("body_min_rate", &self.body_min_rate)
            .field("max_connections", &self.max_connections)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}
