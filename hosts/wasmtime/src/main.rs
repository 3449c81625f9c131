//! `fastio`: upload, download, webhook tools and a self-contained demo, all
//! running the fastio-core component under wasmtime (or, with `--engine
//! native`, the same core linked into this program).

// Library code answers bad input with typed errors; `unwrap`/`expect` are for tests.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod receiver;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use fastio_wasmtime::bindings::exports::fastio::core::requests::DecodeOptions;
use fastio_wasmtime::bindings::exports::fastio::core::types::{
    ChunkParams, ClientConfig, Credential, Header,
};
use fastio_wasmtime::bindings::exports::fastio::core::uploads::{
    DownloadSpec, HashAlgo, UploadOptions, UploadSpec,
};
use fastio_wasmtime::drive::{self, DownloadOutcome, Source, UploadJob, UploadOutcome};
use fastio_wasmtime::engine::Engine;
use fastio_wasmtime::http::Http;
use fastio_wasmtime::{Core, describe, walk};
use receiver::HookReceiver;

/// Which code makes the decisions.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineKind {
    /// The fastio-core component under wasmtime.
    Component,
    /// fastio-core linked into this program (same logic, no sandbox).
    Native,
}

#[derive(Parser)]
#[command(
    name = "fastio",
    about = "Fast.io uploads, downloads and webhooks through the fastio-core component"
)]
struct Cli {
    /// API base URL (default: the real service when FASTIO_API_KEY is set).
    #[arg(long, global = true)]
    api_base: Option<String>,
    /// The component to run (default: FASTIO_COMPONENT, else the one this
    /// binary carries, else the one in the build directory).
    #[arg(long, global = true)]
    component: Option<PathBuf>,
    /// Run the component under wasmtime, or the same core natively.
    #[arg(long, global = true, value_enum, default_value = "component")]
    engine: EngineKind,
    /// Seconds a connection may accept no bytes of a request body before the
    /// request fails (a peer that stopped reading).
    #[arg(long, global = true, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    io_timeout: u64,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Upload a file, or standard input as a stream of unknown size (`-`).
    Upload {
        /// The file, or `-` for standard input.
        file: PathBuf,
        /// The stored name (default: the file's name; `stdin` for `-`).
        #[arg(long)]
        name: Option<String>,
        /// For `-`: the most bytes the stream may have (announced to the
        /// server and enforced while streaming).
        #[arg(long)]
        max_size: Option<u64>,
        /// Target workspace id.
        #[arg(long)]
        workspace: Option<String>,
        /// Target folder id.
        #[arg(long, default_value = "root")]
        folder: String,
        /// Chunk size in bytes.
        #[arg(long)]
        chunk_size: Option<u64>,
        /// Chunk requests in flight.
        #[arg(long, default_value_t = fastio_core::defaults::defaults().parallel)]
        parallel: u32,
        /// Refuse, before sending anything, a file that needs more chunks
        /// than this (the core's ceiling of 2^20 applies regardless).
        #[arg(long)]
        max_chunks: Option<u64>,
        /// Refuse, before sending anything, a file larger than this many bytes.
        #[arg(long)]
        max_file_size: Option<u64>,
        /// Ask the server's `GET /upload/limits/` first and narrow the plan
        /// to it (chunk size and bounds, file size, chunk and in-flight
        /// maximums); the other options are the starting point.
        #[arg(long)]
        server_limits: bool,
        /// Compute and print this whole-file digest (md5, sha1, sha256,
        /// sha384). None by default: the server checks the CRC32C, always
        /// computed, and another digest costs CPU on every byte.
        #[arg(long, value_name = "ALGO")]
        digest: Option<String>,
        /// After storing, check the stored node's hash against the digest of
        /// the bytes read (in `--digest`, else md5, the algorithm the service
        /// stores); a difference fails the upload.
        #[arg(long)]
        verify_stored: bool,
        /// Continue from this resume token file.
        #[arg(long)]
        resume: Option<PathBuf>,
        /// Where to keep the resume token (default: FILE.fastio-resume).
        #[arg(long)]
        token: Option<PathBuf>,
    },
    /// Download a file, verified as it streams.
    Download {
        /// The node id.
        node: String,
        /// The workspace holding it.
        #[arg(long)]
        workspace: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Walk a paged listing to its end, one item (JSON) per line: a folder
    /// of a workspace, or with `--call` any listing.
    List {
        /// The workspace whose folder is listed.
        #[arg(long, required_unless_present = "call")]
        workspace: Option<String>,
        /// The folder id (`root`, `trash` or an id).
        #[arg(long, default_value = "root")]
        folder: String,
        /// Any paged listing as a call (JSON, the form of
        /// `tests/vectors/requests`), instead of a folder.
        #[arg(long, conflicts_with = "workspace")]
        call: Option<String>,
        /// Stop with an error after this many pages.
        #[arg(long)]
        max_pages: Option<u32>,
    },
    /// Webhook signatures.
    Webhook {
        #[command(subcommand)]
        cmd: HookCmd,
    },
    /// Upload, webhook and download against a local server started in-process.
    Demo {
        /// Size of the generated file in bytes.
        #[arg(long, default_value_t = 20 * 1024 * 1024)]
        size: u64,
        /// With FASTIO_API_KEY: leave the workspace and file the demo made
        /// (removed afterwards by default).
        #[arg(long)]
        keep: bool,
    },
}

#[derive(Subcommand)]
enum HookCmd {
    /// Verify a delivery read from stdin; exits 1 when refused.
    Verify {
        #[arg(long)]
        scheme: String,
        /// Environment variable holding the secret.
        #[arg(long)]
        secret_env: String,
        /// A header, `name: value` (repeatable).
        #[arg(long = "header")]
        headers: Vec<String>,
        /// Allowed clock skew in seconds.
        #[arg(long, default_value_t = 300)]
        tolerance: u64,
    },
    /// Print the headers signing stdin.
    Sign {
        #[arg(long)]
        scheme: String,
        #[arg(long)]
        secret_env: String,
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        timestamp: Option<u64>,
    },
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn config(base: &str, key: &str) -> ClientConfig {
    ClientConfig {
        base_url: base.to_owned(),
        credential: Some(Credential::ApiKey(key.to_owned())),
        user_agent: None,
        chunk_params: ChunkParams::Query,
        max_response_bytes: None,
    }
}

fn remote(cli: &Cli) -> Result<ClientConfig> {
    let key = std::env::var("FASTIO_API_KEY").map_err(|_| anyhow!("set FASTIO_API_KEY"))?;
    let base = cli
        .api_base
        .clone()
        .unwrap_or_else(|| fastio_core::config::DEFAULT_BASE_URL.into());
    Ok(config(&base, &key))
}

fn secret(var: &str) -> Result<String> {
    std::env::var(var).map_err(|_| anyhow!("environment variable {var} is not set"))
}

/// One API call: build, send, decode.
fn call(
    engine: &mut Engine,
    http: &Http,
    cfg: &ClientConfig,
    call_json: &serde_json::Value,
) -> Result<serde_json::Value> {
    let text = call_json.to_string();
    let req = engine.build(cfg, &text)?;
    let resp = http.send(req)?;
    // The retry class is the core's, per call; the cap is its default.
    let opts = DecodeOptions {
        max_body_bytes: fastio_core::defaults::defaults().max_response_bytes,
        resendable: engine.is_resendable(&text)?,
    };
    let d = engine
        .decode(&resp, opts)?
        .map_err(|e| anyhow!("{} (status {:?})", e.message, e.status))?;
    Ok(serde_json::from_str(&d.value_json)?)
}

/// Where the component comes from: a file named by `--component` or
/// `FASTIO_COMPONENT`, the copy embedded in this binary, or the build
/// directory (a binary run from its checkout).
fn component_path(cli: &Cli) -> Option<PathBuf> {
    if let Some(p) = &cli.component {
        return Some(p.clone());
    }
    if let Some(p) = std::env::var_os("FASTIO_COMPONENT").filter(|p| !p.is_empty()) {
        return Some(p.into());
    }
    if fastio_wasmtime::has_embedded_component() {
        return None;
    }
    Some(fastio_wasmtime::default_component_path())
}

fn engine(cli: &Cli, component: Option<&Path>) -> Result<Engine> {
    Ok(match cli.engine {
        EngineKind::Native => Engine::Native,
        EngineKind::Component => {
            let core = match component {
                Some(path) if !path.exists() => bail!(
                    "no component at {}: this fastio carries none; pass --component FILE or set FASTIO_COMPONENT \
                     (or use a build from tests/dist.sh, which embeds it)",
                    path.display()
                ),
                Some(path) => Core::load(path)?,
                None => Core::embedded().ok_or_else(|| anyhow!("no embedded component"))??,
            };
            Engine::component(core.instantiate()?)
        }
    })
}

fn bar(total: u64) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

fn main() {
    match run() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}

fn run() -> Result<i32> {
    let cli = Cli::parse();
    let component = component_path(&cli);
    let component = component.as_deref();
    match &cli.cmd {
        Cmd::Webhook { cmd } => webhook(&mut engine(&cli, component)?, cmd),
        Cmd::Upload {
            file,
            name,
            max_size,
            workspace,
            folder,
            chunk_size,
            parallel,
            max_chunks,
            max_file_size,
            server_limits,
            digest,
            verify_stored,
            resume,
            token,
        } => {
            let cfg = remote(&cli)?;
            let stdin = file.as_os_str() == "-";
            if stdin && resume.is_some() {
                bail!("a stream from standard input cannot be resumed");
            }
            let size = if stdin {
                None
            } else {
                Some(std::fs::metadata(file)?.len())
            };
            let resume_token = resume.as_deref().map(drive::read_small).transpose()?;
            let spec = match (&resume_token, workspace) {
                (Some(_), _) => None,
                (None, Some(ws)) => Some(UploadSpec {
                    name: name.clone().unwrap_or_else(|| {
                        file.file_name()
                            .filter(|_| !stdin)
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_else(|| "stdin".into())
                    }),
                    size,
                    workspace: ws.clone(),
                    folder: folder.clone(),
                }),
                (None, None) => bail!("--workspace is required unless --resume is given"),
            };
            // A stream cannot be resumed, so it keeps no token.
            let token_path = (!stdin).then(|| {
                token
                    .clone()
                    .unwrap_or_else(|| with_suffix(file, ".fastio-resume"))
            });
            let stop = Arc::new(AtomicBool::new(false));
            let s = Arc::clone(&stop);
            ctrlc::set_handler(move || s.store(true, Ordering::SeqCst))?;
            let pb = bar(size.unwrap_or(0));
            // The plan the machine settled on (the server's, with
            // `--server-limits`), said once.
            let mut told = !*server_limits;
            let mut on_progress =
                |p: &fastio_wasmtime::bindings::exports::fastio::core::uploads::Progress| {
                    if !told {
                        told = true;
                        pb.suspend(|| eprintln!("planned {} chunks", p.chunks_total));
                    }
                    pb.set_position(p.bytes_acked)
                };
            let stdin_handle = std::io::stdin();
            let source = if stdin {
                Source::Stream(Box::new(stdin_handle.lock()))
            } else {
                Source::File(file)
            };
            let mut engine = engine(&cli, component)?;
            let http = Http::with_io_timeout(Duration::from_secs(cli.io_timeout));
            // With `--server-limits` the machine asks the server's limits
            // first and plans with them (a resumed upload keeps the plan its
            // token holds).
            let options = UploadOptions {
                chunk_size: *chunk_size,
                single_request_max: None,
                parallel: Some(*parallel),
                request_timeout_ms: None,
                seed: None,
                stream_max_size: *max_size,
                max_chunks: *max_chunks,
                max_file_size: *max_file_size,
                fetch_limits: Some(*server_limits),
                persist_token: None,
                file_digest: digest.as_deref().map(parse_algo).transpose()?,
                verify_stored: Some(*verify_stored),
                host_keeps_chunks: None,
            };
            let outcome = drive::upload(
                &mut engine,
                &http,
                UploadJob {
                    config: cfg,
                    source,
                    spec,
                    resume_token,
                    options,
                    token_path,
                    stop,
                    on_progress: &mut on_progress,
                },
            )?;
            pb.finish_and_clear();
            Ok(report_upload(&outcome))
        }
        Cmd::Download {
            node,
            workspace,
            out,
        } => {
            let cfg = remote(&cli)?;
            let mut engine = engine(&cli, component)?;
            let pb = bar(0);
            let spec = DownloadSpec {
                workspace: workspace.clone(),
                node_id: node.clone(),
            };
            let o = drive::download(
                &mut engine,
                &Http::with_io_timeout(Duration::from_secs(cli.io_timeout)),
                &cfg,
                &spec,
                out,
                &mut |b, t| {
                    if let Some(t) = t {
                        pb.set_length(t);
                    }
                    pb.set_position(b);
                },
            )?;
            pb.finish_and_clear();
            match o {
                DownloadOutcome::Done(d) => {
                    println!(
                        "downloaded {} bytes, sha256 {}, verified {}",
                        d.size,
                        d.sha256,
                        d.checked.unwrap_or_else(|| "size only".into())
                    );
                    Ok(0)
                }
                DownloadOutcome::Failed(e) => {
                    eprintln!("download failed: {}", describe::upload_error(&e));
                    Ok(1)
                }
            }
        }
        Cmd::List {
            workspace,
            folder,
            call,
            max_pages,
        } => {
            let cfg = remote(&cli)?;
            let call_json = match (call, workspace) {
                (Some(c), _) => c.clone(),
                (None, Some(ws)) => serde_json::json!({"storage": {
                    "op": "list", "profile": {"workspace": ws}, "folder": folder,
                }})
                .to_string(),
                (None, None) => return Err(anyhow!("give --workspace or --call")),
            };
            let mut out = std::io::stdout().lock();
            walk::walk(
                &mut engine(&cli, component)?,
                &Http::with_io_timeout(Duration::from_secs(cli.io_timeout)),
                &cfg,
                &call_json,
                *max_pages,
                &mut |item| Ok(writeln!(out, "{item}")?),
            )?;
            Ok(0)
        }
        Cmd::Demo { size, keep } => {
            let key = std::env::var("FASTIO_API_KEY")
                .ok()
                .filter(|k| !k.is_empty());
            let remote = match key {
                Some(_) => Some(remote(&cli)?),
                None if cli.api_base.is_some() => bail!("--api-base needs FASTIO_API_KEY"),
                None => None,
            };
            demo(&mut engine(&cli, component)?, *size, remote, *keep)
        }
    }
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

fn report_upload(o: &UploadOutcome) -> i32 {
    match o {
        UploadOutcome::Done(d) => {
            println!(
                "stored node {} ({} bytes) crc32c {}{}",
                d.node_id.clone().unwrap_or_default(),
                d.size,
                d.crc32c,
                describe::upload_digest(d)
            );
            if let Some(check) = describe::stored_check(&d.stored) {
                println!("{check}");
            }
            0
        }
        UploadOutcome::Failed(e) => {
            eprintln!("upload failed: {}", describe::upload_error(e));
            1
        }
        UploadOutcome::Interrupted(p) => {
            match p {
                Some(p) => eprintln!("interrupted; continue with --resume {}", p.display()),
                None => eprintln!("interrupted before a session existed; nothing to resume"),
            }
            130
        }
    }
}

fn webhook(engine: &mut Engine, cmd: &HookCmd) -> Result<i32> {
    let mut body = Vec::new();
    std::io::stdin().take(16 << 20).read_to_end(&mut body)?;
    match cmd {
        HookCmd::Verify {
            scheme,
            secret_env,
            headers,
            tolerance,
        } => {
            let headers: Vec<Header> = headers
                .iter()
                .map(|h| {
                    let (n, v) = h
                        .split_once(':')
                        .ok_or_else(|| anyhow!("a header is `name: value`"))?;
                    Ok(Header {
                        name: n.trim().to_owned(),
                        value: v.trim().to_owned(),
                    })
                })
                .collect::<Result<_>>()?;
            let r = engine.verify_webhook(
                scheme,
                &[secret(secret_env)?],
                Some(*tolerance),
                &headers,
                &body,
                unix_now(),
            )?;
            match r {
                Ok(d) => {
                    println!(
                        "verified: scheme {} id {} secret #{}",
                        d.scheme,
                        d.id.unwrap_or_default(),
                        d.secret_index
                    );
                    Ok(0)
                }
                Err(e) if e.kind == "invalid_scheme" || e.kind == "invalid_secret" => {
                    bail!("{}: {}", e.kind, e.message)
                }
                Err(e) => {
                    println!("refused: {} {}", e.kind, e.hint.unwrap_or_default());
                    Ok(1)
                }
            }
        }
        HookCmd::Sign {
            scheme,
            secret_env,
            id,
            timestamp,
        } => {
            let ts = timestamp.or(Some(unix_now()));
            match engine.sign_webhook(scheme, &secret(secret_env)?, id.as_deref(), ts, &body)? {
                Ok(hs) => {
                    for h in hs {
                        println!("{}: {}", h.name, h.value);
                    }
                    Ok(0)
                }
                Err(e) => bail!("{}: {}", e.kind, e.message),
            }
        }
    }
}

/// The demo against `remote` (the real service), or else against a local
/// server started in-process.
fn demo(engine: &mut Engine, size: u64, remote: Option<ClientConfig>, keep: bool) -> Result<i32> {
    let t0 = Instant::now();
    let dir = std::env::temp_dir().join(format!("fastio-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = match remote {
        Some(cfg) => demo_remote(engine, size, &cfg, &dir, t0, keep),
        None => demo_local(engine, size, &dir, t0),
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn demo_local(engine: &mut Engine, size: u64, dir: &Path, t0: Instant) -> Result<i32> {
    let mut scfg = fastio_devserver::Config::new(dir.join("server"));
    scfg.api_keys = vec!["demo-key".into()];
    scfg.webhook_scheme = fastio_devserver::WebhookScheme::Standard;
    let srv = fastio_devserver::spawn(scfg).context("starting the local server")?;
    let cfg = config(&srv.base_url, &srv.api_key);
    let http = Http::new();
    println!("engine            {}", engine.name());
    println!("local server      {}", srv.base_url);
    // Unique, since a service may already have a demo workspace.
    let ws_id = demo_workspace(engine, &http, &cfg, &format!("fastio-demo-{}", unix_now()))?;

    let hooks = HookReceiver::start()?;
    let sub = call(
        engine,
        &http,
        &cfg,
        &serde_json::json!({"subscriptions": {"op": "create", "workspace_id": ws_id, "target_url": hooks.url(), "event_type_subscriptions": ["workspace_storage_file_added"], "description": "demo"}}),
    )?;
    let secret = sub["outbound_webhook_subscription"]["secret"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no webhook secret returned"))?;
    demo_flow(
        engine,
        &http,
        &cfg,
        &ws_id,
        Some((hooks, secret)),
        size,
        dir,
        t0,
        &mut None,
    )
}

/// The real service: `FASTIO_WORKSPACE`, or a new workspace in the first
/// organisation. Its webhooks need a public HTTPS receiver, which a program
/// on a laptop is not, so that step is left out. It says what it will make
/// in the user's account before making it, and removes it afterwards,
/// whether the flow succeeded or not, unless `keep`.
fn demo_remote(
    engine: &mut Engine,
    size: u64,
    cfg: &ClientConfig,
    dir: &Path,
    t0: Instant,
    keep: bool,
) -> Result<i32> {
    let http = Http::new();
    println!("engine            {}", engine.name());
    println!("server            {}", cfg.base_url);
    let given = std::env::var("FASTIO_WORKSPACE")
        .ok()
        .filter(|w| !w.is_empty());
    let folder = format!("fastio-demo-{}", unix_now());
    match &given {
        Some(ws) => println!("plan              upload demo.bin ({size} bytes) to workspace {ws}"),
        None => println!(
            "plan              create workspace {folder} in the first organisation, upload demo.bin ({size} bytes) to it"
        ),
    }
    println!(
        "                  {}",
        if keep {
            "and leave them (--keep)"
        } else {
            "then remove what was made (--keep leaves it)"
        }
    );
    let (ws_id, created) = match given {
        Some(ws) => (ws, false),
        None => (demo_workspace(engine, &http, cfg, &folder)?, true),
    };
    println!("webhook           skipped (the real service needs a public HTTPS receiver)");
    let mut uploaded = None;
    let result = demo_flow(
        engine,
        &http,
        cfg,
        &ws_id,
        None,
        size,
        dir,
        t0,
        &mut uploaded,
    );
    if keep {
        return result;
    }
    // The workspace made here goes with its files; in the user's own
    // workspace only the uploaded file goes, for good (not to the trash).
    let cleanup = if created {
        call(
            engine,
            &http,
            cfg,
            &serde_json::json!({"workspaces": {"op": "delete", "workspace_id": ws_id, "confirm": folder}}),
        )
        .map(|_| format!("removed           workspace {ws_id}"))
    } else if let Some(node) = uploaded {
        call(
            engine,
            &http,
            cfg,
            &serde_json::json!({"storage": {"op": "purge", "profile": {"workspace": ws_id}, "node": node}}),
        )
        .map(|_| format!("removed           demo.bin (node {node})"))
    } else {
        Ok("removed           nothing (no file was stored)".to_owned())
    };
    match cleanup {
        Ok(line) => println!("{line}"),
        // The flow's own outcome still decides the exit status; the user
        // learns what is left behind.
        Err(e) => eprintln!("could not remove what the demo made in {ws_id}: {e:#}"),
    }
    result
}

/// Creates the demo's workspace in the first organisation.
fn demo_workspace(
    engine: &mut Engine,
    http: &Http,
    cfg: &ClientConfig,
    folder: &str,
) -> Result<String> {
    let orgs = call(
        engine,
        http,
        cfg,
        &serde_json::json!({"orgs": {"op": "list"}}),
    )?;
    let org = orgs["orgs"][0]["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no org in {orgs}"))?;
    let ws = call(
        engine,
        http,
        cfg,
        &serde_json::json!({"orgs": {"op": "create_workspace", "org_id": org, "name": "Demo", "folder_name": folder}}),
    )?;
    let ws_id = ws["id"]
        .as_str()
        .or(ws["workspace"]["id"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no workspace id in {ws}"))?;
    println!("workspace         {ws_id}");
    Ok(ws_id)
}

/// Upload, the webhook it causes (when a receiver is subscribed), and the
/// verified download.
#[allow(clippy::too_many_arguments)]
fn demo_flow(
    engine: &mut Engine,
    http: &Http,
    cfg: &ClientConfig,
    ws_id: &str,
    hook: Option<(HookReceiver, String)>,
    size: u64,
    dir: &Path,
    t0: Instant,
    uploaded: &mut Option<String>,
) -> Result<i32> {
    // A generated file, written in pieces (never held whole in memory).
    let path = dir.join("demo.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut written = 0u64;
        let mut block = vec![0u8; 1 << 16];
        while written < size {
            for b in block.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let bytes = x.to_le_bytes();
                b.copy_from_slice(&bytes[..b.len()]);
            }
            let n = (size - written).min(block.len() as u64) as usize;
            f.write_all(&block[..n])?;
            written += n as u64;
        }
        f.flush()?;
    }
    let t_up = Instant::now();
    let mut noop = |_: &fastio_wasmtime::bindings::exports::fastio::core::uploads::Progress| {};
    let outcome = drive::upload(
        engine,
        http,
        UploadJob {
            config: cfg.clone(),
            source: Source::File(&path),
            spec: Some(UploadSpec {
                name: "demo.bin".into(),
                size: Some(size),
                workspace: ws_id.to_owned(),
                folder: "root".into(),
            }),
            resume_token: None,
            options: UploadOptions {
                chunk_size: Some(4 << 20),
                single_request_max: None,
                parallel: Some(3),
                request_timeout_ms: None,
                seed: None,
                stream_max_size: None,
                max_chunks: None,
                max_file_size: None,
                fetch_limits: None,
                persist_token: None,
                file_digest: None,
                // The end-to-end check: the stored node's hash against the
                // bytes read (MD5, as the service stores it).
                verify_stored: Some(true),
                host_keeps_chunks: None,
            },
            token_path: None,
            stop: Arc::new(AtomicBool::new(false)),
            on_progress: &mut noop,
        },
    )?;
    let done = match outcome {
        UploadOutcome::Done(d) => d,
        UploadOutcome::Failed(e) => bail!("upload failed: {}", describe::upload_error(&e)),
        UploadOutcome::Interrupted(_) => bail!("upload interrupted"),
    };
    uploaded.clone_from(&done.node_id);
    let up_s = t_up.elapsed().as_secs_f64();
    println!(
        "uploaded          {} bytes in {:.2}s ({:.0} MB/s), node {}",
        done.size,
        up_s,
        done.size as f64 / up_s / 1e6,
        done.node_id.clone().unwrap_or_default()
    );
    if let Some(check) = describe::stored_check(&done.stored) {
        println!("{check}");
    }

    if let Some((hooks, secret)) = hook {
        let (headers, body) = hooks.next(Duration::from_secs(15))?;
        let delivery = engine
            .verify_webhook(
                "standard-webhooks",
                &[secret],
                Some(300),
                &headers,
                &body,
                unix_now(),
            )?
            .map_err(|e| anyhow!("webhook refused: {} {}", e.kind, e.message))?;
        let event = engine
            .event_name(&body)?
            .map_err(|e| anyhow!("{}", e.message))?;
        println!(
            "webhook           {event} verified ({} signature, id {})",
            delivery.scheme,
            delivery.id.unwrap_or_default()
        );
    }

    let node = done.node_id.clone().ok_or_else(|| anyhow!("no node id"))?;
    let out = dir.join("back.bin");
    let t_dl = Instant::now();
    let o = drive::download(
        engine,
        http,
        cfg,
        &DownloadSpec {
            workspace: ws_id.to_owned(),
            node_id: node,
        },
        &out,
        &mut |_, _| {},
    )?;
    match o {
        DownloadOutcome::Done(d) => {
            let same = d.crc32c == done.crc32c;
            println!(
                "downloaded        {} bytes in {:.2}s, verified against {}; crc32c {}",
                d.size,
                t_dl.elapsed().as_secs_f64(),
                d.checked.unwrap_or_else(|| "size".into()),
                if same { "matches" } else { "DIFFERS" }
            );
            println!("total             {:.2}s", t0.elapsed().as_secs_f64());
            Ok(if same { 0 } else { 1 })
        }
        DownloadOutcome::Failed(e) => {
            eprintln!("download failed: {}", describe::upload_error(&e));
            Ok(1)
        }
    }
}

/// A `--digest` value as the WIT's algorithm.
fn parse_algo(name: &str) -> Result<HashAlgo> {
    match describe::parse_algo(name) {
        Some(HashAlgo::Crc32c) | None => {
            bail!("--digest takes md5, sha1, sha256 or sha384, not {name:?}")
        }
        Some(a) => Ok(a),
    }
}
