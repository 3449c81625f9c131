//! Drives the upload and download machines of either engine: file reads and
//! the machine on the driving thread, HTTP sends on worker threads so several
//! chunk requests are really in flight at once.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::bindings::exports::fastio::core::types::{ClientConfig, HttpRequest, HttpResponse};
use crate::bindings::exports::fastio::core::uploads::{
    Action, DownloadAction, DownloadDone, DownloadSpec, Fed, Progress, UploadDone, UploadError,
    UploadOptions, UploadSpec,
};
use crate::engine::Engine;
use crate::files;
use crate::http::{Http, Piece};
use crate::kept::KeptChunks;
use crate::machine::UploadMachine;

/// How an upload ended, short of an error in the host itself.
#[derive(Debug)]
pub enum UploadOutcome {
    /// Stored.
    Done(UploadDone),
    /// The machine reported a final failure.
    Failed(UploadError),
    /// Interrupted; the resume token was written here.
    Interrupted(Option<PathBuf>),
}

/// Where an upload's bytes come from.
pub enum Source<'a> {
    /// A file, read at the offsets the machine asks for.
    File(&'a Path),
    /// A source of unknown length (standard input), read once in order and
    /// sent as a stream upload.
    Stream(Box<dyn Read + 'a>),
}

/// Everything an upload run needs besides the engine.
pub struct UploadJob<'a> {
    /// The client configuration.
    pub config: ClientConfig,
    /// The bytes to upload.
    pub source: Source<'a>,
    /// Workspace and folder (ignored when resuming).
    pub spec: Option<UploadSpec>,
    /// A resume token's JSON, to continue instead of starting.
    pub resume_token: Option<String>,
    /// Options.
    pub options: UploadOptions,
    /// Where the resume token is kept: written whenever the machine hands
    /// one out (`persist`), and on an interruption.
    pub token_path: Option<PathBuf>,
    /// Set to stop: the token is written and the run returns `Interrupted`.
    pub stop: Arc<AtomicBool>,
    /// Called with each progress report.
    pub on_progress: &'a mut dyn FnMut(&Progress),
}

/// A stream upload's body goes out in pieces of this size: large enough that
/// a piece costs one call into the machine per megabyte, small enough that
/// the pieces queued for the socket stay a few megabytes.
const STREAM_PIECE: usize = 1 << 20;

/// Pieces queued between the machine and the socket: 8 MiB lets hashing run
/// ahead through the server's pauses (a disk flush stops it reading for a
/// while), about what three 4 MiB chunks in flight give a chunked upload.
const STREAM_QUEUE: usize = 8;

fn now_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

type Reply = (u64, Result<HttpResponse, String>);

/// A streamed body: its pieces, and where spent ones go back for reuse.
struct Stream {
    pieces: Receiver<Piece>,
    recycle: SyncSender<Vec<u8>>,
}

struct Job {
    id: u64,
    request: HttpRequest,
    stream: Option<Stream>,
}

/// Worker threads that send requests and post replies back.
struct Senders {
    jobs: Option<mpsc::Sender<Job>>,
    replies: mpsc::Receiver<Reply>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Senders {
    fn new(http: &Http, n: usize) -> Self {
        let (jtx, jrx) = mpsc::channel::<Job>();
        let (rtx, rrx) = mpsc::channel::<Reply>();
        let jrx = Arc::new(Mutex::new(jrx));
        let threads = (0..n.max(1))
            .map(|_| {
                let jrx = Arc::clone(&jrx);
                let rtx = rtx.clone();
                let http = http.clone();
                std::thread::spawn(move || {
                    loop {
                        // A poisoned lock means another worker panicked;
                        // stop this one too rather than spin.
                        let job = match jrx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let r = match job.stream {
                            Some(s) => http.send_pieces(job.request, s.pieces, Some(s.recycle)),
                            None => http.send(job.request),
                        };
                        if rtx.send((job.id, r.map_err(|e| e.to_string()))).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        Senders {
            jobs: Some(jtx),
            replies: rrx,
            threads,
        }
    }

    fn send(&self, id: u64, request: HttpRequest, stream: Option<Stream>) -> Result<()> {
        self.jobs
            .as_ref()
            .ok_or_else(|| anyhow!("senders closed"))?
            .send(Job {
                id,
                request,
                stream,
            })
            .map_err(|_| anyhow!("sender threads stopped"))
    }
}

impl Drop for Senders {
    fn drop(&mut self) {
        // Closing the job channel ends every worker after its current request.
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn write_token(path: &Path, token: &str) -> Result<()> {
    // Written aside (a new file of a random name, never one of the user's)
    // and renamed, so a kill mid-write never leaves a torn token. 0600: the
    // token lets whoever reads it continue the upload session.
    files::replace(path, token.as_bytes(), 0o600)
        .with_context(|| format!("writing the resume token {}", path.display()))
}

/// Reads up to `buf.len()` bytes, short only at the end of the source.
fn fill(src: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match src.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Feeds a stream upload's body: each piece goes to the machine (which
/// hashes and counts it) and then to the socket. Returns when the source
/// ends, the machine or the socket gives up, or a stop is requested.
fn pump(
    machine: &mut dyn UploadMachine,
    src: &mut dyn Read,
    id: u64,
    tx: SyncSender<Piece>,
    spent: Receiver<Vec<u8>>,
    stop: &AtomicBool,
    start: Instant,
) -> Result<()> {
    loop {
        if stop.load(Ordering::SeqCst) {
            let _ = tx.try_send(Err(std::io::Error::other("interrupted")));
            return Ok(());
        }
        let mut piece = spent.try_recv().unwrap_or_default();
        piece.resize(STREAM_PIECE, 0);
        let n = match fill(src, &mut piece) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.try_send(Err(std::io::Error::new(e.kind(), e.to_string())));
                return Err(e).context("reading the upload source");
            }
        };
        if n == 0 {
            // The empty piece is the end marker: only it ends the body as
            // complete.
            offer(&tx, Ok(Vec::new()), stop);
            return Ok(());
        }
        piece.truncate(n);
        if machine.on_data(id, &piece, now_ms(start))? != Ok(Fed::Accepted) {
            // The machine has given up on this stream (too large, or it
            // timed out): the server must not see it end as if complete.
            let _ = tx.try_send(Err(std::io::Error::other("upload abandoned")));
            return Ok(());
        }
        if !offer(&tx, Ok(piece), stop) {
            return Ok(());
        }
    }
}

/// Queues a piece for the socket; false when the request is gone or a stop
/// was requested. Not a blocking send: when the peer stops reading, the
/// queue stays full until the socket's write timeout fails the request, and a
/// stop request must not wait for that. Giving up drops the sender without
/// the end marker, which aborts the body (see `http::Pieces`).
fn offer(tx: &SyncSender<Piece>, piece: Piece, stop: &AtomicBool) -> bool {
    let mut piece = piece;
    loop {
        match tx.try_send(piece) {
            Ok(()) => return true,
            // The request already failed; its reply says why.
            Err(TrySendError::Disconnected(_)) => return false,
            Err(TrySendError::Full(back)) => {
                if stop.load(Ordering::SeqCst) {
                    return false;
                }
                piece = back;
                std::thread::sleep(QUEUE_FULL_WAIT);
            }
        }
    }
}

/// How long the pump waits before trying a full stream queue again: short
/// next to the time the socket takes to drain one piece.
const QUEUE_FULL_WAIT: Duration = Duration::from_millis(1);

/// Runs one upload.
pub fn upload(engine: &mut Engine, http: &Http, job: UploadJob<'_>) -> Result<UploadOutcome> {
    let start = Instant::now();
    let UploadJob {
        config,
        mut source,
        spec,
        resume_token,
        options,
        token_path,
        stop,
        on_progress,
    } = job;
    let mut options = options;
    // The machine decides when the token is saved; this host only writes it.
    options.persist_token = Some(token_path.is_some());
    // A file's chunks are read here, so they are kept here and written into
    // their requests from here: they cross into the machine once, to be
    // checksummed, and never back out.
    options.host_keeps_chunks = Some(matches!(source, Source::File(_)));
    let parallel = options
        .parallel
        .unwrap_or(fastio_core::defaults::defaults().parallel)
        .max(1) as usize;
    let mut machine =
        match engine.upload(&config, spec.as_ref(), resume_token.as_deref(), options)? {
            Ok(m) => m,
            Err(e) => return Ok(UploadOutcome::Failed(e)),
        };
    let file = match &source {
        Source::File(path) => {
            Some(File::open(path).with_context(|| format!("opening {}", path.display()))?)
        }
        Source::Stream(_) => None,
    };
    let senders = Senders::new(http, parallel);
    // Ready chunks are at most the in-flight count; one more is being read.
    let mut kept = KeptChunks::new(parallel + 1);
    let outcome = loop {
        if stop.load(Ordering::SeqCst) {
            let written = match (machine.snapshot()?, &token_path) {
                (Some(t), Some(p)) => {
                    write_token(p, &t)?;
                    Some(p.clone())
                }
                _ => None,
            };
            break UploadOutcome::Interrupted(written);
        }
        // Send, read, persist, or wait: one action at a time, so nothing
        // the machine has ready waits behind a sleep.
        let wait_until = match machine.next_action(now_ms(start))? {
            Some(Action::Send(s)) if s.request.content_length.is_none() => {
                let Source::Stream(src) = &mut source else {
                    bail!("the machine asked to stream a source of known length");
                };
                let (tx, pieces) = mpsc::sync_channel::<Piece>(STREAM_QUEUE);
                let (recycle, spent) = mpsc::sync_channel::<Vec<u8>>(STREAM_QUEUE + 2);
                senders.send(s.id, s.request, Some(Stream { pieces, recycle }))?;
                pump(
                    machine.as_mut(),
                    src.as_mut(),
                    s.id,
                    tx,
                    spent,
                    &stop,
                    start,
                )?;
                continue;
            }
            Some(Action::Send(s)) => {
                let mut request = s.request;
                kept.fill(&mut request, file.as_ref())?;
                senders.send(s.id, request, None)?;
                continue;
            }
            Some(Action::Read(r)) => {
                let Some(file) = &file else {
                    bail!("the machine asked to read at an offset of a stream source");
                };
                let len = usize::try_from(r.len).context("read too large")?;
                let mut buf = vec![0; len];
                let mut got = 0;
                while got < len {
                    let n = file.read_at(&mut buf[got..], r.offset + got as u64)?;
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
                if let Err(e) = machine.on_data(r.id, &buf[..got], now_ms(start))? {
                    bail!("the upload machine refused read data: {e:?}");
                }
                buf.truncate(got);
                kept.keep(r.offset, buf);
                continue;
            }
            Some(Action::Persist(t)) => {
                if let Some(p) = &token_path {
                    write_token(p, &t)?;
                }
                continue;
            }
            Some(Action::Progress(p)) => {
                on_progress(&p);
                continue;
            }
            Some(Action::Done(d)) => break UploadOutcome::Done(d),
            Some(Action::Failed(e)) => break UploadOutcome::Failed(e),
            Some(Action::Wait(t)) => Some(t),
            None => None,
        };
        // Wait for a reply or the machine's time, looking for a stop request
        // every 200 ms.
        let now = now_ms(start);
        let sleep = wait_until.map_or(200, |t| t.saturating_sub(now).min(200));
        match senders.replies.recv_timeout(Duration::from_millis(sleep)) {
            Ok((id, r)) => {
                let now = now_ms(start);
                // A late answer comes back `ignored`; only misuse is an error.
                let fed = match r {
                    Ok(resp) => machine.on_response(id, &resp, now)?,
                    Err(msg) => machine.on_transport_error(id, &msg, now)?,
                };
                if let Err(e) = fed {
                    bail!("the upload machine refused an answer: {e:?}");
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if wait_until.is_some_and(|t| now_ms(start) >= t) {
                    machine.on_timeout(now_ms(start))?;
                }
            }
            Err(RecvTimeoutError::Disconnected) => bail!("sender threads stopped"),
        }
    };
    if let (UploadOutcome::Done(_), Some(p)) = (&outcome, &token_path) {
        let _ = std::fs::remove_file(p);
    }
    Ok(outcome)
}

/// How a download ended.
#[derive(Debug)]
pub enum DownloadOutcome {
    /// Every byte arrived and matched; the file is in place.
    Done(DownloadDone),
    /// Failed; the partial file was removed.
    Failed(UploadError),
}

/// Downloads a node to `out`, verified as it streams; the bytes go to a
/// temporary file that is renamed into place only once verified.
pub fn download(
    engine: &mut Engine,
    http: &Http,
    config: &ClientConfig,
    spec: &DownloadSpec,
    out: &Path,
    on_progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<DownloadOutcome> {
    let start = Instant::now();
    let mut dl = engine.download(config, spec, 0x5EED)?;
    // A new file beside `out` (`.NAME.<random>.part`), never one the user
    // has; removed when dropped, so an error or a failure leaves nothing.
    // Mode 0666 less the umask, as any file the user creates.
    let mut part = files::temp_beside(out, ".part", 0o666)
        .with_context(|| format!("creating a temporary file beside {}", out.display()))?;
    let mut buf = vec![0u8; 256 << 10];
    // An action the machine gave while the body was flowing, still to act on.
    let mut held: Option<DownloadAction> = None;
    let outcome = loop {
        let now = now_ms(start);
        let next = match held.take() {
            Some(a) => Some(a),
            None => dl.next_action(now)?,
        };
        let Some(a) = next else {
            bail!("the download machine waits on an input that never comes");
        };
        match a {
            DownloadAction::Send(s) if !s.stream_response => {
                let r = http.send(s.request);
                let now = now_ms(start);
                let _ = match r {
                    Ok(resp) => dl.on_response(s.id, &resp, now)?,
                    Err(e) => dl.on_transport_error(s.id, &e.to_string(), now)?,
                };
            }
            DownloadAction::Send(s) => match http.send_streaming(s.request) {
                Err(e) => {
                    let _ = dl.on_transport_error(s.id, &e.to_string(), now_ms(start))?;
                }
                Ok((head, mut reader)) => {
                    let ok = (200..300).contains(&head.status);
                    if dl.on_response(s.id, &head, now_ms(start))? != Ok(Fed::Accepted) || !ok {
                        continue;
                    }
                    loop {
                        let n = match reader.read(&mut buf) {
                            Ok(n) => n,
                            Err(e) => {
                                let _ =
                                    dl.on_transport_error(s.id, &e.to_string(), now_ms(start))?;
                                break;
                            }
                        };
                        if n == 0 {
                            let _ = dl.on_end(s.id)?;
                            break;
                        }
                        part.write_all(&buf[..n])?;
                        if dl.on_data(s.id, &buf[..n])? != Ok(Fed::Accepted) {
                            break;
                        }
                        // Between pieces the machine reports progress and
                        // ends a body that arrives too slowly.
                        match dl.next_action(now_ms(start))? {
                            Some(DownloadAction::Progress(p)) => on_progress(p.bytes, p.total),
                            Some(DownloadAction::Wait(_)) | None => {}
                            Some(other) => {
                                held = Some(other);
                                break;
                            }
                        }
                    }
                }
            },
            DownloadAction::Wait(t) => {
                let now = now_ms(start);
                std::thread::sleep(Duration::from_millis(t.saturating_sub(now).min(5_000)));
                dl.on_timeout(now_ms(start))?;
            }
            DownloadAction::Progress(p) => on_progress(p.bytes, p.total),
            DownloadAction::Done(d) => break DownloadOutcome::Done(d),
            DownloadAction::Failed(e) => break DownloadOutcome::Failed(e),
        }
    };
    drop(dl);
    if let DownloadOutcome::Done(_) = &outcome {
        files::commit(part, out)
            .with_context(|| format!("moving the download to {}", out.display()))?;
    }
    Ok(outcome)
}

/// Reads a whole small file (tokens); refuses anything over 16 MiB.
pub fn read_small(path: &Path) -> Result<String> {
    let mut s = String::new();
    File::open(path)?.take(16 << 20).read_to_string(&mut s)?;
    Ok(s)
}
