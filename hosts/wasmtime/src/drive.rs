//! Drives the component's upload and download machines: file reads on the
//! driving thread, HTTP sends on worker threads so several chunk requests are
//! really in flight at once.

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use wasmtime::component::ResourceAny;

use crate::Instance;
use crate::bindings::exports::fastio::core::types::{ClientConfig, HttpRequest, HttpResponse};
use crate::bindings::exports::fastio::core::uploads::{
    Action, DownloadAction, DownloadDone, DownloadSpec, Progress, UploadDone, UploadError,
    UploadOptions, UploadSpec,
};
use crate::http::Http;

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

/// Everything an upload run needs besides the instance.
pub struct UploadJob<'a> {
    /// The client configuration.
    pub config: ClientConfig,
    /// The file to read.
    pub file: &'a Path,
    /// Workspace and folder (ignored when resuming).
    pub spec: Option<UploadSpec>,
    /// A resume token's JSON, to continue instead of starting.
    pub resume_token: Option<String>,
    /// Options.
    pub options: UploadOptions,
    /// Where the resume token is kept up to date while chunks are acked.
    pub token_path: Option<PathBuf>,
    /// Set to stop: the token is written and the run returns `Interrupted`.
    pub stop: Arc<AtomicBool>,
    /// Called with each progress report.
    pub on_progress: &'a mut dyn FnMut(&Progress),
}

fn now_ms(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
}

type Reply = (u64, Result<HttpResponse, String>);

/// Worker threads that send requests and post replies back.
struct Senders {
    jobs: Option<mpsc::Sender<(u64, HttpRequest)>>,
    replies: mpsc::Receiver<Reply>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Senders {
    fn new(http: &Http, n: usize) -> Self {
        let (jtx, jrx) = mpsc::channel::<(u64, HttpRequest)>();
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
                        let Ok((id, req)) = job else { return };
                        let r = http.send(&req).map_err(|e| e.to_string());
                        if rtx.send((id, r)).is_err() {
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

    fn send(&self, id: u64, req: HttpRequest) -> Result<()> {
        self.jobs
            .as_ref()
            .ok_or_else(|| anyhow!("senders closed"))?
            .send((id, req))
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
    // Written aside and renamed so a kill mid-write never leaves a torn token.
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(token.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Runs one upload through the component.
pub fn upload(inst: &mut Instance, http: &Http, job: UploadJob<'_>) -> Result<UploadOutcome> {
    let start = Instant::now();
    let ups = inst.core.fastio_core_uploads().upload_session();
    let created = match (&job.resume_token, &job.spec) {
        (Some(token), _) => ups.call_resume(&mut inst.store, &job.config, token, job.options)?,
        (None, Some(spec)) => ups.call_create(&mut inst.store, &job.config, spec, job.options)?,
        (None, None) => bail!("an upload needs a spec or a resume token"),
    };
    let session: ResourceAny = match created {
        Ok(s) => s,
        Err(e) => return Ok(UploadOutcome::Failed(e)),
    };
    let file = File::open(job.file).with_context(|| format!("opening {}", job.file.display()))?;
    let parallel = job.options.parallel.unwrap_or(4).max(1) as usize;
    let senders = Senders::new(http, parallel);
    let mut wait_until: Option<u64> = None;
    let mut in_flight = 0usize;
    let mut last_token_write = Instant::now() - Duration::from_secs(10);
    let outcome = loop {
        if job.stop.load(Ordering::SeqCst) {
            let token = ups.call_snapshot(&mut inst.store, session)?;
            let written = match (token, &job.token_path) {
                (Some(t), Some(p)) => {
                    write_token(p, &t)?;
                    Some(p.clone())
                }
                _ => None,
            };
            break UploadOutcome::Interrupted(written);
        }
        let now = now_ms(start);
        let actions = ups.call_next_actions(&mut inst.store, session, now, 64)?;
        let mut idle = actions.is_empty();
        let mut finished = None;
        for a in actions {
            match a {
                Action::Send(s) => {
                    in_flight += 1;
                    senders.send(s.id, s.request)?;
                }
                Action::Read(r) => {
                    let len = usize::try_from(r.len).context("read too large")?;
                    let mut buf = vec![0u8; len];
                    let mut got = 0;
                    while got < len {
                        let n = file.read_at(&mut buf[got..], r.offset + got as u64)?;
                        if n == 0 {
                            break;
                        }
                        got += n;
                    }
                    buf.truncate(got);
                    let now = now_ms(start);
                    if let Err(e) = ups.call_on_data(&mut inst.store, session, r.id, &buf, now)? {
                        bail!("the upload machine refused read data: {e:?}");
                    }
                }
                Action::Wait(t) => {
                    wait_until = Some(t);
                    idle = true;
                }
                Action::Progress(p) => {
                    (job.on_progress)(&p);
                    if let Some(path) = &job.token_path {
                        // Keep the token fresh for a kill we never see
                        // (SIGKILL), at most a few times a second.
                        if last_token_write.elapsed() > Duration::from_millis(200) {
                            if let Some(t) = ups.call_snapshot(&mut inst.store, session)? {
                                write_token(path, &t)?;
                            }
                            last_token_write = Instant::now();
                        }
                    }
                }
                Action::Done(d) => finished = Some(UploadOutcome::Done(d)),
                Action::Failed(e) => finished = Some(UploadOutcome::Failed(e)),
            }
        }
        if let Some(f) = finished {
            break f;
        }
        if !idle {
            continue;
        }
        // Wait for a reply, the machine's deadline, or a stop request.
        let deadline = wait_until
            .map(|t| t.saturating_sub(now_ms(start)))
            .unwrap_or(200)
            .min(200);
        match senders
            .replies
            .recv_timeout(Duration::from_millis(deadline))
        {
            Ok((id, r)) => {
                in_flight = in_flight.saturating_sub(1);
                let now = now_ms(start);
                let res = match r {
                    Ok(resp) => ups.call_on_response(&mut inst.store, session, id, &resp, now)?,
                    Err(msg) => {
                        ups.call_on_transport_error(&mut inst.store, session, id, &msg, now)?
                    }
                };
                // A late answer to an abandoned request is expected after a timeout.
                let _ = res;
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some(t) = wait_until {
                    let now = now_ms(start);
                    if now >= t {
                        wait_until = None;
                        ups.call_on_timeout(&mut inst.store, session, now)?;
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => bail!("sender threads stopped"),
        }
    };
    let _ = in_flight;
    if let (UploadOutcome::Done(_), Some(p)) = (&outcome, &job.token_path) {
        let _ = std::fs::remove_file(p);
    }
    session.resource_drop(&mut inst.store)?;
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
    inst: &mut Instance,
    http: &Http,
    config: &ClientConfig,
    spec: &DownloadSpec,
    out: &Path,
    on_progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<DownloadOutcome> {
    let start = Instant::now();
    let dls = inst.core.fastio_core_uploads().download();
    let dl = dls.call_constructor(&mut inst.store, config, spec, 0x5EED)?;
    let part = out.with_extension("part");
    let mut file = File::create(&part)?;
    let mut buf = vec![0u8; 256 << 10];
    let outcome = loop {
        let now = now_ms(start);
        let Some(a) = dls.call_next_action(&mut inst.store, dl, now)? else {
            bail!("the download machine waits on an input that never comes");
        };
        match a {
            DownloadAction::Send(s) => {
                // The file body is the `read` request; it alone streams.
                let streams = s.request.url.contains("/read/");
                if !streams {
                    let r = http.send(&s.request);
                    let now = now_ms(start);
                    let _ = match r {
                        Ok(resp) => dls.call_on_response(&mut inst.store, dl, s.id, &resp, now)?,
                        Err(e) => dls.call_on_transport_error(
                            &mut inst.store,
                            dl,
                            s.id,
                            &e.to_string(),
                            now,
                        )?,
                    };
                    continue;
                }
                match http.send_streaming(&s.request) {
                    Err(e) => {
                        let now = now_ms(start);
                        let _ = dls.call_on_transport_error(
                            &mut inst.store,
                            dl,
                            s.id,
                            &e.to_string(),
                            now,
                        )?;
                    }
                    Ok((head, mut reader)) => {
                        let now = now_ms(start);
                        let ok = (200..300).contains(&head.status);
                        if dls
                            .call_on_response(&mut inst.store, dl, s.id, &head, now)?
                            .is_err()
                            || !ok
                        {
                            continue;
                        }
                        loop {
                            let n = match reader.read(&mut buf) {
                                Ok(n) => n,
                                Err(e) => {
                                    let now = now_ms(start);
                                    let _ = dls.call_on_transport_error(
                                        &mut inst.store,
                                        dl,
                                        s.id,
                                        &e.to_string(),
                                        now,
                                    )?;
                                    break;
                                }
                            };
                            if n == 0 {
                                let _ = dls.call_on_end(&mut inst.store, dl, s.id)?;
                                break;
                            }
                            file.write_all(&buf[..n])?;
                            if dls
                                .call_on_data(&mut inst.store, dl, s.id, &buf[..n])?
                                .is_err()
                            {
                                break;
                            }
                        }
                    }
                }
            }
            DownloadAction::Wait(t) => {
                let now = now_ms(start);
                std::thread::sleep(Duration::from_millis(t.saturating_sub(now).min(5_000)));
                dls.call_on_timeout(&mut inst.store, dl, now_ms(start))?;
            }
            DownloadAction::Progress(p) => on_progress(p.bytes, p.total),
            DownloadAction::Done(d) => break DownloadOutcome::Done(d),
            DownloadAction::Failed(e) => break DownloadOutcome::Failed(e),
        }
    };
    dl.resource_drop(&mut inst.store)?;
    match &outcome {
        DownloadOutcome::Done(_) => {
            file.sync_all()?;
            std::fs::rename(&part, out)?;
        }
        DownloadOutcome::Failed(_) => {
            let _ = std::fs::remove_file(&part);
        }
    }
    Ok(outcome)
}

/// Reads a whole small file (tokens); refuses anything over 16 MiB.
pub fn read_small(path: &Path) -> Result<String> {
    let mut s = String::new();
    File::open(path)?.take(16 << 20).read_to_string(&mut s)?;
    Ok(s)
}
