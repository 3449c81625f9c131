//! The end-to-end check of an upload against the node the service stored
//! (`UploadConfig::verify_stored`): the node's `hash` is compared with the
//! digest of the bytes read, a difference fails the upload, and a check that
//! cannot be made is reported with its reason, never passed silently.

mod common;

use common::fake_server::{BASE, FakeServer};
use fastio_core::api::Client;
use fastio_core::config::ClientConfig;
use fastio_core::hash::{HashAlgo, Hasher};
use fastio_core::http::HttpResponse;
use fastio_core::upload::plan::PlanConfig;
use fastio_core::upload::{
    Action, STORED_DIGEST_ALGO, StoredCheck, Upload, UploadConfig, UploadDone, UploadError,
    UploadSpec,
};
use serde_json::{Value, json};

const FILE: &[u8] = b"the bytes the service should store, and nothing else";

fn client() -> Client {
    Client::new(ClientConfig::with_api_key(BASE, "k").unwrap()).unwrap()
}

fn config(file_digest: Option<HashAlgo>) -> UploadConfig {
    UploadConfig {
        plan: PlanConfig {
            single_request_max: 16,
            chunk_size: 16,
            max_in_flight: 2,
            ..PlanConfig::default()
        },
        poll_wait_s: 1,
        file_digest,
        verify_stored: true,
        ..UploadConfig::default()
    }
}

fn envelope(status: u16, v: Value) -> HttpResponse {
    HttpResponse::new(status, serde_json::to_vec(&v).unwrap())
}

/// Runs an upload of `FILE` against the fake server; every node-details
/// request is answered by `details` (called with the request's path).
fn run(
    cfg: UploadConfig,
    mut details: impl FnMut(&str) -> HttpResponse,
) -> (Result<UploadDone, UploadError>, Vec<String>) {
    let mut server = FakeServer::new();
    let mut up = Upload::new(
        client(),
        UploadSpec::file("f.bin", FILE.len() as u64, "ws1"),
        cfg,
    )
    .unwrap();
    let mut now = 0;
    let mut asked = Vec::new();
    for _ in 0..500 {
        match up
            .next_action(now)
            .expect("the machine ends with an outcome")
        {
            Action::Read { id, offset, len } => {
                let end = (offset + len).min(FILE.len() as u64);
                up.on_data(id, FILE[offset as usize..end as usize].to_vec(), now)
                    .unwrap();
            }
            Action::Send { id, request } => {
                let path = request
                    .url
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let resp = if path.contains("/storage/") && path.ends_with("/details/") {
                    asked.push(path.clone());
                    details(&path)
                } else {
                    let body = request.body.encode(&[]).unwrap();
                    server.handle(&request, &body)
                };
                up.on_response(id, &resp, now).unwrap();
            }
            Action::Wait { until_ms } => {
                now = until_ms;
                up.on_timeout(now);
            }
            Action::Progress(_) | Action::Persist { .. } => {}
            Action::Done(d) => return (Ok(d), asked),
            Action::Failed(e) => return (Err(e), asked),
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("no end");
}

fn node(hash: Option<&str>, algo: Option<&str>) -> HttpResponse {
    envelope(
        200,
        json!({"result": true, "response": {"format": "multi", "errors": [], "nodes": [
            {"id": "node-up1", "name": "f.bin", "type": "file", "size": FILE.len(),
             "hash": hash, "hash_algo": algo}
        ]}}),
    )
}

fn hex(algo: HashAlgo) -> String {
    Hasher::digest(algo, FILE).to_hex()
}

#[test]
fn a_matching_stored_hash_is_reported_matched() {
    let md5 = hex(HashAlgo::Md5);
    let (done, asked) = run(config(None), |_| node(Some(&md5), Some("md5")));
    let done = done.unwrap();
    assert_eq!(done.stored, StoredCheck::Matched);
    // Without a digest named, the one the service stores nodes in is used.
    assert_eq!(STORED_DIGEST_ALGO, HashAlgo::Md5);
    assert_eq!(done.digest.unwrap().to_hex(), md5);
    // The node is asked for where it was uploaded, by its id.
    assert_eq!(
        asked,
        [format!(
            "{BASE}workspace/ws1/storage/node-up1,node-up1/details/"
        )]
    );
    // Upper-case hex from the service is the same digest.
    let upper = md5.to_uppercase();
    let (done, _) = run(config(None), |_| node(Some(&upper), Some("MD5")));
    assert_eq!(done.unwrap().stored, StoredCheck::Matched);
}

#[test]
fn a_different_stored_hash_fails_the_upload() {
    let other = Hasher::digest(HashAlgo::Md5, b"other bytes").to_hex();
    let (done, _) = run(config(None), |_| node(Some(&other), Some("md5")));
    match done {
        Err(UploadError::StoredMismatch {
            node_id,
            algo,
            computed,
            stored,
        }) => {
            assert_eq!(node_id, "node-up1");
            assert_eq!(algo, HashAlgo::Md5);
            assert_eq!(computed, hex(HashAlgo::Md5));
            assert_eq!(stored, other);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_check_that_cannot_be_made_says_why() {
    let sha1 = hex(HashAlgo::Sha1);
    let cases: Vec<(&str, HttpResponse, &str)> = vec![
        ("no hash", node(None, None), "no hash"),
        ("empty hash", node(Some(""), Some("md5")), "no hash"),
        ("other algorithm", node(Some(&sha1), Some("sha1")), "sha1"),
        (
            "unknown algorithm",
            node(Some("ab"), Some("whirlpool")),
            "whirlpool",
        ),
        (
            "not this node",
            envelope(
                200,
                json!({"result": true, "response": {"format": "multi", "errors": [], "nodes": [
                    {"id": "someone-else", "name": "x", "type": "file"}]}}),
            ),
            "node-up1",
        ),
        (
            "refused",
            envelope(
                404,
                json!({"result": false, "error": {"code": 1609, "text": "not found"}}),
            ),
            "could not be read",
        ),
    ];
    for (name, answer, why) in cases {
        let (done, _) = run(config(None), |_| answer.clone());
        match done {
            Ok(UploadDone {
                stored: StoredCheck::Unavailable { reason },
                ..
            }) => assert!(reason.contains(why), "{name}: {reason}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn a_failing_details_read_is_retried_then_reported() {
    let md5 = hex(HashAlgo::Md5);
    let mut n = 0;
    let (done, asked) = run(config(None), |_| {
        n += 1;
        if n < 3 {
            envelope(
                503,
                json!({"result": false, "error": {"code": 1, "text": "busy"}}),
            )
        } else {
            node(Some(&md5), Some("md5"))
        }
    });
    assert_eq!(done.unwrap().stored, StoredCheck::Matched);
    assert_eq!(asked.len(), 3);
    // Never answering well: bounded, then reported, the file still stored.
    let (done, asked) = run(config(None), |_| {
        envelope(
            503,
            json!({"result": false, "error": {"code": 1, "text": "busy"}}),
        )
    });
    match done.unwrap().stored {
        StoredCheck::Unavailable { reason } => assert!(reason.contains("busy"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(asked.len() <= UploadConfig::default().retry.max_attempts as usize + 1);
}

#[test]
fn the_digest_named_is_the_one_compared() {
    let sha256 = hex(HashAlgo::Sha256);
    let (done, _) = run(config(Some(HashAlgo::Sha256)), |_| {
        node(Some(&sha256), Some("sha256"))
    });
    let done = done.unwrap();
    assert_eq!(done.stored, StoredCheck::Matched);
    assert_eq!(done.digest.unwrap().algo(), HashAlgo::Sha256);
}
