//! `fastio-devserver`: prints the base URL and the API key (one per line), then serves until
//! interrupted.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use fastio_devserver::{Config, FaultConfig, WebhookScheme};

#[derive(Parser)]
#[command(name = "fastio-devserver", about = "A local Fast.io-compatible server")]
struct Args {
    /// Address to bind; loopback by default.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Data directory (created if missing).
    #[arg(long, default_value = "./fastio-devserver-data")]
    data: PathBuf,
    /// Accepted API key; repeat for several. Without one, a key is generated.
    #[arg(long = "api-key")]
    api_key: Vec<String>,
    /// Webhook signature scheme: fastio, standard, fastio-timestamped.
    #[arg(long, default_value = "fastio")]
    webhook_scheme: String,
    #[arg(long)]
    min_chunk_size: Option<u64>,
    #[arg(long)]
    max_chunk_size: Option<u64>,
    #[arg(long)]
    max_file_size: Option<u64>,
    /// Requests per token per rate-limit window.
    #[arg(long)]
    rate_limit: Option<u64>,
    /// Rate-limit window in seconds.
    #[arg(long)]
    rate_limit_window: Option<u64>,
    /// Fault configuration: a JSON object, or a path to a file holding one.
    #[arg(long)]
    faults: Option<String>,
    /// Seed for fault decisions.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Seconds a client may take to send a request's headers (0: no limit).
    #[arg(long)]
    header_read_timeout: Option<u64>,
    /// Body-rate window in seconds: each window spent waiting for body bytes must bring
    /// `--body-min-rate` bytes per second of it, or the request gets a 408 (0: no limit).
    #[arg(long)]
    body_idle_timeout: Option<u64>,
    /// Least body bytes per second over one body-rate window.
    #[arg(long)]
    body_min_rate: Option<u64>,
    /// Connections served at once; more wait to be accepted.
    #[arg(long)]
    max_connections: Option<usize>,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FASTIO_DEVSERVER_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fastio-devserver: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(a: Args) -> Result<(), String> {
    let mut cfg = Config::new(&a.data);
    cfg.addr = a.addr;
    cfg.api_keys = a.api_key;
    cfg.webhook_scheme = WebhookScheme::parse(&a.webhook_scheme)
        .ok_or("--webhook-scheme must be fastio, standard or fastio-timestamped")?;
    if let Some(v) = a.min_chunk_size {
        cfg.min_chunk_size = v;
    }
    if let Some(v) = a.max_chunk_size {
        cfg.max_chunk_size = v;
    }
    if let Some(v) = a.max_file_size {
        cfg.max_file_size = v;
    }
    if let Some(v) = a.rate_limit {
        cfg.rate_limit_max = v;
    }
    if let Some(v) = a.rate_limit_window {
        cfg.rate_limit_window_s = v;
    }
    if let Some(f) = a.faults {
        let text = if f.trim_start().starts_with('{') {
            f
        } else {
            std::fs::read_to_string(&f).map_err(|e| format!("reading {f}: {e}"))?
        };
        cfg.faults = serde_json::from_str::<FaultConfig>(&text)
            .map_err(|e| format!("fault configuration: {e}"))?;
        cfg.faults
            .check()
            .map_err(|e| format!("fault configuration: {e}"))?;
    }
    cfg.seed = a.seed;
    if let Some(v) = a.header_read_timeout {
        cfg.header_read_timeout = std::time::Duration::from_secs(v);
    }
    if let Some(v) = a.body_idle_timeout {
        cfg.body_idle_timeout = std::time::Duration::from_secs(v);
    }
    if let Some(v) = a.body_min_rate {
        cfg.body_min_rate = v;
    }
    if let Some(v) = a.max_connections {
        cfg.max_connections = v;
    }
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let srv = fastio_devserver::start(cfg)
            .await
            .map_err(|e| e.to_string())?;
        println!("{}", srv.base_url);
        println!("{}", srv.api_key);
        use std::io::Write;
        let _ = std::io::stdout().flush();
        wait_for_stop_signal().await;
        drop(srv);
        Ok(())
    })
}

/// Ctrl-C or SIGTERM. (SIGKILL needs no handling: every acknowledged write is already durable.)
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
