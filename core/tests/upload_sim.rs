//! Deterministic simulation of the upload machine against an in-process fake
//! server, on a virtual clock, under a fault schedule drawn from a seed:
//! dropped requests, 500/502/503 (before or after the server acted), 429 with
//! an expiry, slow responses past the deadline, duplicated and reordered
//! responses, and a corrupted chunk that makes assembly fail its CRC.

mod common;

use std::collections::BTreeSet;

use common::fake_server::{BASE, FakeServer, crc32c_of};
use fastio_core::api::Client;
use fastio_core::config::ClientConfig;
use fastio_core::hash::HashAlgo;
use fastio_core::http::{Body, HttpRequest, HttpResponse};
use fastio_core::upload::plan::{PlanConfig, PlanError};
use fastio_core::upload::{
    Action, Fed, InputError, ResumeToken, RetryPolicy, StoredCheck, Upload, UploadConfig,
    UploadError, UploadSpec,
};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// Virtual clock, in Unix milliseconds so `x-ve-limit-expires` is meaningful.
const T0: u64 = 1_767_225_600_000;

#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    drop: u32,
    fail_before: u32,
    fail_after: u32,
    rate_limit: u32,
    slow: u32,
    duplicate: u32,
    reorder: bool,
}

/// A seeded generator for the schedule (independent of the machine's jitter).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, percent: u32) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 100) < u64::from(percent)
    }
    fn pick(&mut self, n: usize) -> usize {
        self.roll(0);
        (self.0 % n as u64) as usize
    }
}

enum Delivery {
    Response(HttpResponse),
    Transport,
}

struct InFlight {
    at: u64,
    id: u64,
    /// `None`: the request was dropped and never gets an answer.
    what: Option<Delivery>,
    dup: bool,
    sent_at: u64,
}

/// The machine abandons a request at this age.
const TIMEOUT_MS: u64 = 5_000;

struct Outcome {
    result: Result<fastio_core::upload::UploadDone, UploadError>,
    max_in_flight_seen: usize,
}

fn client() -> Client {
    Client::new(ClientConfig::with_api_key(BASE, "sim-key").unwrap()).unwrap()
}

fn config(chunk: u64, single_max: u64, in_flight: u32, seed: u64) -> UploadConfig {
    UploadConfig {
        plan: PlanConfig {
            single_request_max: single_max,
            chunk_size: chunk,
            max_chunks: None,
            max_file_size: None,
            max_in_flight: in_flight,
        },
        retry: RetryPolicy {
            max_attempts: 8,
            base_ms: 100,
            max_ms: 2_000,
            max_rate_limit_wait_ms: 10_000,
        },
        request_timeout_ms: TIMEOUT_MS,
        poll_wait_s: 1,
        max_polls: 50,
        seed,
        // The digest is asked for so that every run under faults and
        // resumes also checks it; `no_digest_unless_asked` runs without.
        file_digest: Some(HashAlgo::Sha256),
        ..UploadConfig::default()
    }
}

/// The request's body; source parts (`host_keeps_chunks`) are taken from
/// `source`, the whole file, as a host writes them.
fn body_bytes(req: &HttpRequest, source: &[u8]) -> Vec<u8> {
    req.body
        .encode_with_source(&[], source)
        .expect("every part of the body is at hand")
}

/// Runs the machine to the end (or until `stop_after` steps, returning None).
fn drive(
    up: &mut Upload,
    server: &mut FakeServer,
    file: &[u8],
    faults: Faults,
    dice: &mut Dice,
    stop_after: Option<u64>,
) -> Option<Outcome> {
    let mut now = T0;
    let mut queue: Vec<InFlight> = Vec::new();
    let mut steps = 0u64;
    let mut max_seen = 0usize;
    let bound = 20_000u64;
    loop {
        steps += 1;
        assert!(steps < bound, "the run did not end within {bound} steps");
        if stop_after.is_some_and(|s| steps >= s) {
            return None;
        }
        let mut wait: Option<u64> = None;
        // Drain actions.
        loop {
            match up.next_action(now) {
                None => break,
                Some(Action::Wait { until_ms }) => {
                    assert!(until_ms > now || !queue.is_empty() || until_ms == now);
                    wait = Some(until_ms);
                    break;
                }
                Some(Action::Progress(p)) => {
                    assert!(p.bytes_acked <= p.bytes_total.unwrap_or(u64::MAX));
                }
                Some(Action::Done(d)) => {
                    assert!(up.next_action(now).is_none(), "nothing after Done");
                    return Some(Outcome {
                        result: Ok(d),
                        max_in_flight_seen: max_seen,
                    });
                }
                Some(Action::Failed(e)) => {
                    return Some(Outcome {
                        result: Err(e),
                        max_in_flight_seen: max_seen,
                    });
                }
                Some(Action::Read { id, offset, len }) => {
                    let start = (offset as usize).min(file.len());
                    let end = (offset + len).min(file.len() as u64) as usize;
                    up.on_data(id, file[start..end].to_vec(), now).unwrap();
                }
                Some(Action::Send { id, request }) => {
                    let body = if let Body::Stream { .. } = request.body {
                        // Stream the source through the machine as it is "sent";
                        // stop when the machine abandons the request.
                        for piece in file.chunks(777) {
                            match up.on_data(id, piece.to_vec(), now) {
                                Ok(Fed::Accepted) => {}
                                Ok(_) => break,
                                Err(e) => panic!("streaming: {e:?}"),
                            }
                        }
                        file.to_vec()
                    } else {
                        body_bytes(&request, file)
                    };
                    let latency = 10 + dice.pick(200) as u64;
                    let what = if dice.roll(faults.drop) {
                        None
                    } else if dice.roll(faults.fail_before) {
                        let status = [500, 502, 503][dice.pick(3)];
                        Some(Delivery::Response(HttpResponse::new(
                            status,
                            "upstream trouble",
                        )))
                    } else if dice.roll(faults.rate_limit) {
                        let mut r = HttpResponse::new(
                            429,
                            r#"{"result":false,"error":{"code":1671,"text":"slow down"}}"#,
                        );
                        r.headers.push((
                            "x-ve-limit-expires".into(),
                            ((now + 2_000) / 1000).to_string(),
                        ));
                        Some(Delivery::Response(r))
                    } else {
                        let resp = server.handle(&request, &body);
                        if dice.roll(faults.fail_after) {
                            // The server acted but the answer is lost: ambiguous.
                            Some(if dice.roll(50) {
                                Delivery::Transport
                            } else {
                                Delivery::Response(HttpResponse::new(502, "bad gateway"))
                            })
                        } else {
                            Some(Delivery::Response(resp))
                        }
                    };
                    let slow = dice.roll(faults.slow);
                    let at = now
                        + if slow || what.is_none() {
                            8_000
                        } else {
                            latency
                        };
                    let dup = dice.roll(faults.duplicate);
                    queue.push(InFlight {
                        at,
                        id,
                        what,
                        dup,
                        sent_at: now,
                    });
                }
                Some(other) => panic!("unexpected action {other:?}"),
            }
        }
        // In flight, as the machine sees it: sent, unanswered, not yet past
        // the deadline at which it gives up on them.
        let live = queue
            .iter()
            .filter(|q| q.sent_at + TIMEOUT_MS > now)
            .count();
        max_seen = max_seen.max(live);
        // Deliver the next response (possibly out of order) or advance time.
        let next_at = queue.iter().map(|q| q.at).min();
        let deliver = match (next_at, wait) {
            (Some(at), Some(w)) => at <= w,
            (Some(_), None) => true,
            (None, _) => false,
        };
        match (next_at, wait) {
            (Some(at), _) if deliver => {
                let due: Vec<usize> = (0..queue.len())
                    .filter(|&i| queue[i].at <= at.max(now))
                    .collect();
                let i = if faults.reorder {
                    due[dice.pick(due.len())]
                } else {
                    due[0]
                };
                let d = queue.remove(i);
                now = now.max(d.at);
                up.on_timeout(now);
                let Some(what) = &d.what else {
                    continue;
                };
                let r = match what {
                    Delivery::Response(resp) => up.on_response(d.id, resp, now),
                    Delivery::Transport => up.on_transport_error(d.id, "connection reset", now),
                };
                match r {
                    Ok(_) | Err(InputError::Finished) => {}
                    Err(e) => panic!("unexpected input error {e:?}"),
                }
                if d.dup {
                    let again = match what {
                        Delivery::Response(resp) => up.on_response(d.id, resp, now),
                        Delivery::Transport => up.on_transport_error(d.id, "again", now),
                    };
                    assert!(
                        matches!(
                            again,
                            Err(InputError::Duplicate(_))
                                | Ok(Fed::Ignored)
                                | Err(InputError::Finished)
                        ),
                        "a duplicated answer is refused: {again:?}"
                    );
                }
            }
            (_, Some(w)) => {
                now = now.max(w);
                up.on_timeout(now);
            }
            (_, None) => panic!("the machine is stuck: no action, no timer, nothing in flight"),
        }
    }
}

/// Runs to the end with no faults.
fn clean_run(up: &mut Upload, server: &mut FakeServer, file: &[u8], seed: u64) -> Outcome {
    drive(up, server, file, Faults::default(), &mut Dice(seed), None).expect("the run ends")
}

fn data(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn check_done(done: &fastio_core::upload::UploadDone, server: &FakeServer, file: &[u8]) {
    let id = done.upload_id.as_deref().expect("an upload id");
    let stored = server.stored(id).expect("the server stored the file");
    assert_eq!(stored, file, "the stored file is byte-identical");
    assert_eq!(done.size, file.len() as u64);
    let digest = done.digest.as_ref().expect("the SHA-256 asked for");
    assert_eq!(digest.to_hex(), hex(&Sha256::digest(file)));
    assert_eq!(done.crc32c, format!("{:08x}", crc32c_of(file)));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn clean_runs_of_every_kind_succeed() {
    for (size, chunk, single) in [
        (0usize, 1024u64, 4096u64),
        (1, 1024, 4096),
        (4096, 1024, 4096),
        (4097, 1024, 4096),
        (10_000, 1024, 4096),
        (3 * 1024, 1024, 1024),
    ] {
        let file = data(size, size as u64 + 3);
        let mut server = FakeServer::new();
        let spec = UploadSpec::file("f.bin", size as u64, "ws1");
        let mut up = Upload::new(client(), spec, config(chunk, single, 3, 1)).unwrap();
        let out = clean_run(&mut up, &mut server, &file, 9);
        let done = out.result.unwrap_or_else(|e| panic!("size {size}: {e}"));
        check_done(&done, &server, &file);
        assert!(done.node_id.is_some());
        assert!(out.max_in_flight_seen <= 3);
    }
}

/// The server checks only the CRC32C, so by default no other whole-file
/// digest is computed or reported; the CRC32C always is.
#[test]
fn no_digest_unless_asked() {
    for (size, chunk, single) in [(10_000usize, 1024u64, 4096u64), (3000, 1024, 4096)] {
        let file = data(size, 17);
        let mut server = FakeServer::new();
        let spec = UploadSpec::file("f.bin", size as u64, "ws1");
        let cfg = UploadConfig {
            file_digest: None,
            ..config(chunk, single, 3, 1)
        };
        let mut up = Upload::new(client(), spec, cfg).unwrap();
        let done = clean_run(&mut up, &mut server, &file, 9).result.unwrap();
        let id = done.upload_id.as_deref().unwrap();
        assert_eq!(server.stored(id).unwrap(), &file[..]);
        assert_eq!(done.digest, None);
        assert_eq!(done.stored, StoredCheck::NotAsked);
        assert_eq!(done.crc32c, format!("{:08x}", crc32c_of(&file)));
        // A token of such an upload carries no digest state.
        assert!(up.snapshot().is_none_or(|t| t.file_digest.is_none()));
    }
}

/// A host that keeps its chunks gets requests whose chunk bytes are a
/// source range, not a copy; a chunk that holds the multipart boundary mark
/// stays inline, so no boundary can clash with bytes the core never checks.
/// Under faults (retries re-send the same range) the stored file is the same.
#[test]
fn a_host_that_keeps_its_chunks_writes_them_itself() {
    let mut file = data(10_000, 31);
    // Chunk 2 (bytes 1024..2048) holds the mark.
    file[1500..1509].copy_from_slice(b"--fastio-");
    for (seed, faults) in [
        (1, Faults::default()),
        (
            2,
            Faults {
                drop: 10,
                fail_before: 10,
                fail_after: 10,
                ..Faults::default()
            },
        ),
    ] {
        let mut server = FakeServer::new();
        let spec = UploadSpec::file("kept.bin", file.len() as u64, "ws1");
        let cfg = UploadConfig {
            host_keeps_chunks: true,
            file_digest: None,
            ..config(1024, 1024, 3, seed)
        };
        let mut up = Upload::new(client(), spec.clone(), cfg.clone()).unwrap();
        let out = drive(&mut up, &mut server, &file, faults, &mut Dice(seed), None)
            .expect("the run ends");
        let done = out.result.unwrap();
        let id = done.upload_id.as_deref().unwrap();
        assert_eq!(server.stored(id).unwrap(), &file[..], "seed {seed}");
        assert_eq!(done.crc32c, format!("{:08x}", crc32c_of(&file)));
        // What the chunk requests carry: the source range, or (chunk 2) the bytes.
        let mut up = Upload::new(client(), spec, cfg).unwrap();
        let mut parts = Vec::new();
        let mut now = 0;
        for _ in 0..200 {
            match up.next_action(now) {
                Some(Action::Read { id, offset, len }) => {
                    let end = (offset + len) as usize;
                    up.on_data(id, file[offset as usize..end].to_vec(), now)
                        .unwrap();
                }
                Some(Action::Send { id, request }) => {
                    if request.url.contains("/chunk/") {
                        let Body::Multipart(m) = &request.body else {
                            panic!("a chunk is multipart")
                        };
                        parts.push(format!("{:?}", m.parts[0].data));
                    }
                    let body = body_bytes(&request, &file);
                    up.on_response(id, &server.handle(&request, &body), now)
                        .unwrap();
                }
                Some(Action::Wait { until_ms }) => {
                    now = until_ms;
                    up.on_timeout(now);
                }
                Some(Action::Done(_)) => break,
                Some(Action::Failed(e)) => panic!("{e}"),
                _ => {}
            }
        }
        assert_eq!(parts.len(), 10, "{parts:?}");
        for (i, p) in parts.iter().enumerate() {
            if i == 1 {
                assert_eq!(p, "Inline(1024 bytes)", "the chunk with the mark");
            } else {
                assert!(p.starts_with("Source("), "chunk {}: {p}", i + 1);
            }
        }
        assert!(parts.contains(&"Source(1024 bytes at 0)".to_string()));
    }
}

#[test]
fn stream_upload_of_unknown_size() {
    let file = data(20_000, 5);
    let mut server = FakeServer::new();
    let spec = UploadSpec {
        size: None,
        ..UploadSpec::file("live.log", 0, "ws1")
    };
    let mut up = Upload::new(client(), spec, config(4096, 4096, 3, 1)).unwrap();
    let out = clean_run(&mut up, &mut server, &file, 3);
    check_done(&out.result.unwrap(), &server, &file);
}

#[test]
fn stream_over_its_maximum_fails() {
    let file = data(5_000, 5);
    let mut server = FakeServer::new();
    let spec = UploadSpec {
        size: None,
        ..UploadSpec::file("live.log", 0, "ws1")
    };
    let mut cfg = config(4096, 4096, 3, 1);
    cfg.stream_max_size = Some(4_000);
    let mut up = Upload::new(client(), spec, cfg).unwrap();
    let out = clean_run(&mut up, &mut server, &file, 3);
    assert!(matches!(
        out.result,
        Err(UploadError::StreamTooLarge { max: 4_000 })
    ));
}

#[test]
fn unplaced_session_is_placed_with_addfile() {
    let file = data(9_000, 11);
    let mut server = FakeServer::new();
    let spec = UploadSpec {
        target: None,
        add_to: Some(("ws1".into(), "root".into())),
        ..UploadSpec::file("f.bin", 9_000, "ws1")
    };
    let mut up = Upload::new(client(), spec, config(4096, 4096, 2, 1)).unwrap();
    let done = clean_run(&mut up, &mut server, &file, 1).result.unwrap();
    assert!(done.node_id.unwrap().starts_with("placed-"));
}

#[test]
fn corrupted_chunk_fails_its_crc_and_nothing_is_stored() {
    let file = data(10_000, 2);
    let mut server = FakeServer::new();
    server.corrupt_order = Some(2);
    let mut up = Upload::new(
        client(),
        UploadSpec::file("f.bin", 10_000, "ws1"),
        config(4096, 4096, 3, 1),
    )
    .unwrap();
    let out = clean_run(&mut up, &mut server, &file, 1);
    match out.result {
        Err(UploadError::Integrity { expected, computed }) => {
            assert_eq!(expected, Some(format!("{:08x}", crc32c_of(&file))));
            assert!(computed.is_some() && computed != expected);
        }
        other => panic!("expected an integrity failure, got {other:?}"),
    }
    assert!(server.sessions.values().all(|s| s.stored.is_none()));
}

#[test]
fn truncated_source_is_a_typed_error() {
    let file = data(6_000, 2);
    let mut server = FakeServer::new();
    let mut up = Upload::new(
        client(),
        UploadSpec::file("f.bin", 10_000, "ws1"),
        config(4096, 4096, 3, 1),
    )
    .unwrap();
    let out = clean_run(&mut up, &mut server, &file, 1);
    assert!(
        matches!(out.result, Err(UploadError::ShortRead { .. })),
        "{:?}",
        out.result.err()
    );
}

#[test]
fn unknown_and_duplicate_ids_are_typed_errors() {
    let mut up = Upload::new(
        client(),
        UploadSpec::file("f.bin", 10, "ws1"),
        config(4096, 4096, 3, 1),
    )
    .unwrap();
    assert_eq!(
        up.on_response(99, &HttpResponse::new(200, "{}"), T0),
        Err(InputError::UnknownId(99))
    );
    let Some(Action::Read { id, .. }) = up.next_action(T0) else {
        panic!("a small file is read first")
    };
    up.on_data(id, vec![0u8; 10], T0).unwrap();
    assert_eq!(
        up.on_data(id, vec![0u8; 10], T0),
        Err(InputError::Duplicate(id))
    );
    let Some(Action::Send { id: send, .. }) = up.next_action(T0) else {
        panic!("then sent")
    };
    assert_eq!(
        up.on_data(send, vec![1], T0),
        Err(InputError::NotExpectingData(send))
    );
}

#[test]
fn cancel_sends_the_documented_delete() {
    let mut up = Upload::new(
        client(),
        UploadSpec::file("f.bin", 100_000, "ws1"),
        config(4096, 4096, 3, 1),
    )
    .unwrap();
    let Some(Action::Send { id, .. }) = up.next_action(T0) else {
        panic!("create first")
    };
    up.on_response(
        id,
        &HttpResponse::new(200, r#"{"result":true,"id":"up7"}"#),
        T0,
    )
    .unwrap();
    up.cancel();
    match up.next_action(T0) {
        Some(Action::Send { id, request }) => {
            assert_eq!(request.method.as_str(), "DELETE");
            assert_eq!(request.url, format!("{BASE}upload/up7/"));
            up.on_response(id, &HttpResponse::new(200, r#"{"result":true}"#), T0)
                .unwrap();
        }
        other => panic!("expected the cancel request, got {other:?}"),
    }
    assert!(matches!(
        up.next_action(T0),
        Some(Action::Failed(UploadError::Cancelled))
    ));
    assert_eq!(up.next_action(T0), None);
}

#[test]
fn expired_session_on_resume_is_its_own_error() {
    let file = data(10_000, 4);
    let mut server = FakeServer::new();
    let mut up = Upload::new(
        client(),
        UploadSpec::file("f.bin", 10_000, "ws1"),
        config(4096, 4096, 1, 1),
    )
    .unwrap();
    assert!(
        drive(
            &mut up,
            &mut server,
            &file,
            Faults::default(),
            &mut Dice(1),
            Some(6)
        )
        .is_none()
    );
    let token = up
        .snapshot()
        .expect("a chunked upload in progress has a token");
    let token = ResumeToken::from_json(&token.to_json()).unwrap();
    server.sessions.clear();
    let mut resumed = Upload::resume(client(), &token, config(4096, 4096, 1, 1)).unwrap();
    let out = clean_run(&mut resumed, &mut server, &file, 1);
    assert!(
        matches!(out.result, Err(UploadError::SessionExpired { .. })),
        "{:?}",
        out.result.err()
    );
}

#[test]
fn moderate_faults_mostly_succeed_and_really_happen() {
    let f = Faults {
        drop: 5,
        fail_before: 8,
        fail_after: 5,
        rate_limit: 4,
        slow: 3,
        duplicate: 10,
        reorder: true,
    };
    let (mut done, mut failed, mut requests) = (0, 0, 0u64);
    for seed in 1..=60u64 {
        let size = (seed as usize * 997) % 30_000;
        let file = data(size, seed);
        let mut server = FakeServer::new();
        let spec = UploadSpec::file("f.bin", size as u64, "ws1");
        let mut up = Upload::new(client(), spec, config(2_048, 4_096, 3, seed)).unwrap();
        let out = drive(&mut up, &mut server, &file, f, &mut Dice(seed * 7919), None).unwrap();
        requests += server.requests;
        match out.result {
            Ok(d) => {
                check_done(&d, &server, &file);
                done += 1;
            }
            Err(e) => {
                assert!(matches!(e, UploadError::RetriesExhausted { .. }), "{e}");
                failed += 1;
            }
        }
    }
    assert!(done >= 50, "{done} done, {failed} failed");
    assert!(
        requests > 60 * 3,
        "the runs made real requests ({requests})"
    );
}

fn faults() -> impl Strategy<Value = Faults> {
    (
        0u32..15,
        0u32..15,
        0u32..15,
        0u32..10,
        0u32..10,
        0u32..15,
        any::<bool>(),
    )
        .prop_map(
            |(drop, fail_before, fail_after, rate_limit, slow, duplicate, reorder)| Faults {
                drop,
                fail_before,
                fail_after,
                rate_limit,
                slow,
                duplicate,
                reorder,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every run ends Done with a byte-identical file, or in a typed failure;
    /// never a panic, never past the step bound, never over the in-flight limit.
    #[test]
    fn faulty_runs_end_done_or_typed_failure(
        size in 0usize..40_000,
        chunk in 512u64..8_192,
        in_flight in 1u32..4,
        seed in any::<u64>(),
        f in faults(),
        stream in proptest::bool::weighted(0.15),
    ) {
        let file = data(size, seed);
        let mut server = FakeServer::new();
        let single = 4_096;
        let spec = UploadSpec {
            size: (!stream).then_some(size as u64),
            ..UploadSpec::file("f.bin", size as u64, "ws1")
        };
        let mut up = Upload::new(client(), spec, config(chunk, single, in_flight, seed)).unwrap();
        let out = drive(&mut up, &mut server, &file, f, &mut Dice(seed | 1), None).unwrap();
        prop_assert!(out.max_in_flight_seen <= in_flight.max(1) as usize, "{} in flight", out.max_in_flight_seen);
        match out.result {
            Ok(done) => check_done(&done, &server, &file),
            Err(e) => {
                // Only failures a faulty network can explain.
                prop_assert!(
                    matches!(e, UploadError::RetriesExhausted { .. } | UploadError::PollLimit { .. })
                        || (stream && matches!(e, UploadError::StreamInterrupted)),
                    "{e}"
                );
            }
        }
        // Chunk retries never exceed the policy.
        for n in server.chunk_posts.values() {
            prop_assert!(*n <= 8);
        }
    }

    /// Snapshot at a random moment, drop the machine, resume against the same
    /// server: no chunk the server holds is sent again — neither those the
    /// token recorded nor those acknowledged after it was saved — and the
    /// file is identical.
    #[test]
    fn resume_never_resends_acknowledged_chunks(
        size in 4_097usize..40_000,
        chunk in 512u64..4_096,
        stop in 3u64..60,
        seed in any::<u64>(),
    ) {
        let file = data(size, seed);
        let mut server = FakeServer::new();
        let spec = UploadSpec::file("f.bin", size as u64, "ws1");
        let mut up = Upload::new(client(), spec, config(chunk, 4_096, 3, seed)).unwrap();
        let mut dice = Dice(seed | 1);
        if let Some(out) = drive(&mut up, &mut server, &file, Faults::default(), &mut dice, Some(stop)) {
            check_done(&out.result.unwrap(), &server, &file);
            return Ok(());
        }
        let Some(token) = up.snapshot() else { return Ok(()); };
        drop(up);
        let token = ResumeToken::from_json(&token.to_json()).unwrap();
        let acked: BTreeSet<u64> = token.acked.iter().map(|a| a.order).collect();
        let held: BTreeSet<u64> = server
            .sessions
            .get(&token.upload_id)
            .map(|s| s.chunks.keys().copied().collect())
            .unwrap_or_default();
        prop_assert!(acked.is_subset(&held));
        let before = server.chunk_posts.clone();
        let mut resumed = Upload::resume(client(), &token, config(chunk, 4_096, 3, seed)).unwrap();
        let out = drive(&mut resumed, &mut server, &file, Faults::default(), &mut dice, None).unwrap();
        check_done(&out.result.unwrap(), &server, &file);
        for order in held {
            let key = (token.upload_id.clone(), order);
            prop_assert_eq!(server.chunk_posts.get(&key), before.get(&key), "chunk {} was sent again", order);
        }
    }
}

#[test]
fn a_chunk_damaged_in_transit_is_sent_again_once() {
    // The server refuses chunk 2 once with a hash mismatch, then accepts it.
    let file = data(10_000, 8);
    let mut server = FakeServer::new();
    let mut up = Upload::new(
        client(),
        UploadSpec::file("f.bin", 10_000, "ws1"),
        config(4096, 4096, 1, 1),
    )
    .unwrap();
    let mut now = T0;
    let mut refused = 0;
    let done = loop {
        match up.next_action(now).expect("an action") {
            Action::Read { id, offset, len } => up
                .on_data(
                    id,
                    file[offset as usize..(offset + len) as usize].to_vec(),
                    now,
                )
                .map(drop)
                .unwrap(),
            Action::Send { id, request } => {
                let resp = if request.url.contains("order=2") && refused == 0 {
                    refused += 1;
                    HttpResponse::new(
                        406,
                        r#"{"result":false,"error":{"code":10778,"text":"chunk hash mismatch"}}"#,
                    )
                } else {
                    server.handle(&request, &body_bytes(&request, &[]))
                };
                up.on_response(id, &resp, now).unwrap();
            }
            Action::Wait { until_ms } => {
                now = until_ms;
                up.on_timeout(now);
            }
            Action::Progress(_) => {}
            Action::Done(d) => break d,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(refused, 1);
    check_done(&done, &server, &file);
}

#[test]
fn server_limits_replace_the_configured_chunk_size() {
    let file = data(10_000, 12);
    let mut server = FakeServer::new();
    server.limits_chunk_size = Some(2_000);
    let mut cfg = config(4096, 1024, 3, 1);
    cfg.fetch_limits = true;
    let mut up = Upload::new(client(), UploadSpec::file("f.bin", 10_000, "ws1"), cfg).unwrap();
    let out = clean_run(&mut up, &mut server, &file, 2);
    let done = out.result.unwrap();
    check_done(&done, &server, &file);
    assert_eq!(
        server.chunk_posts.len(),
        5,
        "10000 bytes in 2000-byte chunks"
    );
    assert!(
        out.max_in_flight_seen <= 2,
        "the server's in-flight limit wins"
    );
}

#[test]
fn a_flowing_stream_outlives_the_request_timeout_and_a_stalled_one_does_not() {
    let spec = UploadSpec {
        size: None,
        ..UploadSpec::file("live.log", 0, "ws1")
    };
    let mut cfg = config(4096, 4096, 1, 1);
    cfg.request_timeout_ms = 1_000;
    cfg.stall_timeout_ms = 2_000;
    let mut up = Upload::new(client(), spec, cfg).unwrap();
    let mut now = T0;
    let Some(Action::Send { id, .. }) = up.next_action(now) else {
        panic!("create")
    };
    up.on_response(
        id,
        &HttpResponse::new(200, r#"{"result":true,"id":"s1"}"#),
        now,
    )
    .unwrap();
    let Some(Action::Send { id, .. }) = up.next_action(now) else {
        panic!("stream")
    };
    // Ten seconds of steady flow, a piece every 500 ms: never abandoned.
    for _ in 0..20 {
        now += 500;
        up.on_timeout(now);
        up.on_data(id, vec![1u8; 100], now).unwrap();
    }
    // Then nothing for longer than the stall timeout.
    now += 2_001;
    up.on_timeout(now);
    assert_eq!(
        up.on_data(id, vec![1u8; 1], now),
        Ok(Fed::Ignored),
        "a piece of an abandoned stream is ignored"
    );
    // The machine now asks the server what it kept before anything else.
    let mut saw_check = false;
    for _ in 0..5 {
        match up.next_action(now) {
            Some(Action::Send { request, .. }) => {
                assert!(
                    request.url.ends_with("upload/s1/details/"),
                    "{}",
                    request.url
                );
                saw_check = true;
                break;
            }
            Some(Action::Wait { until_ms }) => now = until_ms,
            other => panic!("{other:?}"),
        }
    }
    assert!(saw_check);
}

/// A size no service accepts ends in a typed error from the constructor, not
/// in an allocation of one record per chunk (which would abort the process,
/// or trap a component).
#[test]
fn an_impossible_size_is_refused_before_anything_is_allocated() {
    for size in [u64::MAX, u64::MAX - 1, 1 << 60] {
        let spec = UploadSpec::file("huge.bin", size, "ws1");
        match Upload::new(client(), spec, UploadConfig::default()) {
            Err(UploadError::Plan(PlanError::TooManyChunks { size: s, .. })) => assert_eq!(s, size),
            Err(other) => panic!("size {size}: {other}"),
            Ok(_) => panic!("size {size} was planned"),
        }
    }
}

/// A 429 on a chunk holds that chunk for the wait the answer states (its
/// expiry against its `Date`), or the 60 s default without one — capped by
/// the policy — and never sends it sooner.
#[test]
fn a_rate_limited_chunk_waits_what_the_answer_says() {
    for (headers, want_ms) in [
        (
            vec![
                (
                    "Date".to_string(),
                    "Thu, 01 Jan 2026 00:00:00 GMT".to_string(),
                ),
                ("x-ve-limit-expires".to_string(), "1767225604".to_string()),
            ],
            4_000u64,
        ),
        (Vec::new(), 10_000),
    ] {
        let file = data(3_000, 5);
        let mut server = FakeServer::new();
        let spec = UploadSpec::file("f.bin", 3_000, "ws1");
        let mut up = Upload::new(client(), spec, config(1_000, 500, 1, 3)).unwrap();
        let now = T0;
        let mut limited_at = None;
        let mut sent_again_at = None;
        for _ in 0..200 {
            match up.next_action(now) {
                Some(Action::Send { id, request, .. }) => {
                    let is_chunk = request.url.contains("/chunk/");
                    if is_chunk && limited_at.is_none() {
                        let mut r = HttpResponse::new(
                            429,
                            r#"{"result":false,"error":{"code":1671,"text":"slow down"}}"#,
                        );
                        r.headers = headers.clone();
                        up.on_response(id, &r, now).unwrap();
                        limited_at = Some(now);
                        continue;
                    }
                    if is_chunk && limited_at.is_some() && sent_again_at.is_none() {
                        sent_again_at = Some(now);
                        break;
                    }
                    let body = body_bytes(&request, &[]);
                    let resp = server.handle(&request, &body);
                    up.on_response(id, &resp, now).unwrap();
                }
                Some(Action::Read { id, offset, len }) => {
                    let end = (offset + len).min(file.len() as u64) as usize;
                    up.on_data(id, file[offset as usize..end].to_vec(), now)
                        .unwrap();
                }
                Some(Action::Wait { until_ms }) => {
                    assert!(until_ms > now, "a wait in the past");
                    // Jump to the moment the machine asked for.
                    let next = until_ms;
                    up.on_timeout(next);
                    let a = up.next_action(next);
                    if let Some(Action::Send { request, .. }) = &a
                        && request.url.contains("/chunk/")
                    {
                        sent_again_at = Some(next);
                        break;
                    }
                    panic!("after the wait: {a:?}");
                }
                Some(Action::Progress(_)) => {}
                other => panic!("{other:?}"),
            }
        }
        let (limited, again) = (limited_at.expect("limited"), sent_again_at.expect("resent"));
        assert_eq!(again - limited, want_ms, "headers {headers:?}");
    }
}

/// A create answer whose session id is blank names no session: a typed
/// protocol failure, never a session nothing could resume or complete.
#[test]
fn a_blank_session_id_is_a_protocol_failure() {
    let spec = UploadSpec::file("f.bin", 3_000, "ws1");
    let mut up = Upload::new(client(), spec, config(1_000, 500, 1, 3)).unwrap();
    let Some(Action::Send { id, request, .. }) = up.next_action(T0) else {
        panic!("expected the create request")
    };
    assert!(request.url.ends_with("/upload/"), "{}", request.url);
    let r = HttpResponse::new(200, r#"{"result":true,"response":{"id":"  "}}"#);
    up.on_response(id, &r, T0).unwrap();
    match up.next_action(T0) {
        Some(Action::Failed(UploadError::Protocol { message, .. })) => {
            assert!(message.contains("no session id"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(up.snapshot().is_none());
}
