//! The CLI's own files never take the place of the user's: uploading
//! `report.bin` keeps `report.bin.tmp`, downloading to `report.pdf` keeps
//! `report.part`, and a failed download leaves the target as it was. Runs on
//! the native engine (the same drivers as the component's) against the
//! local devserver.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

mod common;

use fastio_wasmtime::bindings::exports::fastio::core::types::ClientConfig;
use fastio_wasmtime::bindings::exports::fastio::core::uploads::{
    DownloadSpec, Progress, UploadOptions, UploadSpec,
};
use fastio_wasmtime::drive::{self, DownloadOutcome, Source, UploadJob, UploadOutcome};
use fastio_wasmtime::engine::Engine;
use fastio_wasmtime::http::Http;

struct Env {
    _srv: fastio_devserver::RunningServer,
    cfg: ClientConfig,
    engine: Engine,
    http: Http,
    ws: String,
    dir: tempfile::TempDir,
}

fn env() -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut engine = Engine::Native;
    let http = Http::new();
    let (srv, cfg, ws) = common::serve(dir.path(), &mut engine, &http, "files");
    Env {
        _srv: srv,
        cfg,
        engine,
        http,
        ws,
        dir,
    }
}

fn options() -> UploadOptions {
    // The devserver's smallest chunk: a file of a few chunks keeps a
    // resume token while it uploads.
    UploadOptions {
        request_timeout_ms: Some(30_000),
        ..common::options(1 << 20, 1)
    }
}

/// Uploads `path`, keeping the resume token where the CLI keeps it
/// (`FILE.fastio-resume`); `stop_early` interrupts it so the token is
/// written and stays.
fn upload(e: &mut Env, path: &Path, resume: Option<String>, stop_early: bool) -> UploadOutcome {
    let stop = Arc::new(AtomicBool::new(false));
    let stop_in = Arc::clone(&stop);
    // Stopped once a chunk is acknowledged: the session exists, so there is
    // a token to write.
    let mut on_progress = move |p: &Progress| {
        if stop_early && p.chunks_acked > 0 {
            stop_in.store(true, Ordering::SeqCst);
        }
    };
    let size = std::fs::metadata(path).expect("size").len();
    drive::upload(
        &mut e.engine,
        &e.http,
        UploadJob {
            config: e.cfg.clone(),
            source: Source::File(path),
            spec: Some(UploadSpec {
                name: "report.bin".into(),
                size: Some(size),
                workspace: e.ws.clone(),
                folder: "root".into(),
            }),
            resume_token: resume,
            options: options(),
            token_path: Some(token_path(path)),
            stop,
            on_progress: &mut on_progress,
        },
    )
    .expect("upload ran")
}

fn token_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".fastio-resume");
    s.into()
}

/// Files in `dir` whose names start with a dot: temporary files left behind.
fn hidden(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn uploading_keeps_the_users_tmp_file() {
    let mut e = env();
    let work = e.dir.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let file = work.join("report.bin");
    std::fs::write(&file, vec![7u8; 6 << 20]).expect("file");
    let mine = work.join("report.bin.tmp");
    std::fs::write(&mine, b"the user's own notes").expect("theirs");

    let token = token_path(&file);
    match upload(&mut e, &file, None, true) {
        UploadOutcome::Interrupted(Some(p)) => assert_eq!(p, token),
        other => panic!("expected an interrupted upload with a token, got {other:?}"),
    }
    assert!(token.exists(), "the resume token was written");
    assert_eq!(
        std::fs::read(&mine).expect("still there"),
        b"the user's own notes"
    );

    let resume = std::fs::read_to_string(&token).expect("token");
    match upload(&mut e, &file, Some(resume), false) {
        UploadOutcome::Done(d) => assert_eq!(d.size, 6 << 20),
        other => panic!("resumed upload: {other:?}"),
    }
    assert_eq!(
        std::fs::read(&mine).expect("still there"),
        b"the user's own notes"
    );
    assert!(!token.exists(), "the token goes once the upload is done");
    assert_eq!(hidden(&work), Vec::<String>::new(), "temporary files left");
}

#[test]
fn downloading_keeps_the_users_part_file_and_a_failure_keeps_the_target() {
    let mut e = env();
    let work = e.dir.path().join("work");
    std::fs::create_dir(&work).expect("mkdir");
    let src = work.join("source.bin");
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&src, &body).expect("source");
    let node = match upload(&mut e, &src, None, false) {
        UploadOutcome::Done(d) => d.node_id.expect("node id"),
        other => panic!("upload: {other:?}"),
    };

    let out = work.join("report.pdf");
    let mine = work.join("report.part");
    std::fs::write(&mine, b"half of something else").expect("theirs");
    let spec = DownloadSpec {
        workspace: e.ws.clone(),
        node_id: node,
    };
    match drive::download(&mut e.engine, &e.http, &e.cfg, &spec, &out, &mut |_, _| {})
        .expect("download ran")
    {
        DownloadOutcome::Done(d) => assert_eq!(d.size, body.len() as u64),
        DownloadOutcome::Failed(err) => panic!("download: {err:?}"),
    }
    assert_eq!(std::fs::read(&out).expect("downloaded"), body);
    assert_eq!(
        std::fs::read(&mine).expect("still there"),
        b"half of something else"
    );
    assert_eq!(hidden(&work), Vec::<String>::new(), "temporary files left");

    // A download that fails leaves the existing target and the user's
    // `.part` file as they were, and no temporary file.
    std::fs::write(&out, b"the previous report").expect("previous");
    let missing = DownloadSpec {
        workspace: e.ws.clone(),
        node_id: "no-such-node".into(),
    };
    match drive::download(
        &mut e.engine,
        &e.http,
        &e.cfg,
        &missing,
        &out,
        &mut |_, _| {},
    ) {
        Ok(DownloadOutcome::Failed(_)) | Err(_) => {}
        Ok(DownloadOutcome::Done(d)) => panic!("a missing node downloaded: {d:?}"),
    }
    assert_eq!(std::fs::read(&out).expect("kept"), b"the previous report");
    assert_eq!(
        std::fs::read(&mine).expect("still there"),
        b"half of something else"
    );
    assert_eq!(hidden(&work), Vec::<String>::new(), "temporary files left");
}
