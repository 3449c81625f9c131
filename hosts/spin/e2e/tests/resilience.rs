//! The gateway when things fail around it: chunks that fail upstream
//! (injected by the devserver) are sent again by the gateway itself, and
//! verified webhooks reach the internal endpoint, or the sender is told to
//! deliver again. These run against a devserver of their own, since the
//! devserver's fault configuration is server-wide.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fastio_core::secret::Secret;
use fastio_core::webhook::{Scheme, Signer};
use serde_json::json;

const MIB: usize = 1024 * 1024;

#[test]
fn post_upload_resends_chunks_that_failed_upstream() {
    let iso = isolated();
    let _faults = iso.faults.lock().unwrap_or_else(|e| e.into_inner());
    // The second chunk request loses its connection, the third gets a 503:
    // both chunks go again from the bytes the gateway holds.
    set_faults(
        &iso.dev,
        json!({
            "path_contains": "/chunk/",
            "schedule": [{"request": 2, "fault": "drop"}, {"request": 3, "fault": "503"}],
        }),
    );
    let g = grant(&iso.gw, json!({"max_size": 1u64 << 30}));
    let len = (3 * 4 * MIB + 12_345) as u64;
    let (r, sha) = upload_pattern(&iso.gw, &g, "resent.bin", len, 77);
    let seen = faults_seen(&iso.dev);
    set_faults(&iso.dev, json!({}));
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(reply_digest(&r.json, "sha256"), Some(sha.as_str()));
    assert_eq!(
        seen["injected"],
        json!([[2, "drop"], [3, "503"]]),
        "both faults hit a chunk: {seen}"
    );
    // Four chunks, two of them twice.
    assert_eq!(seen["requests_seen"], 6, "{seen}");
    let node = r.json["node_id"].as_str().expect("node id");
    assert_eq!(stored_sha256_on(&iso.dev, &iso.ws, node), (len, sha));
}

/// A 429 whose answer says the window reopens in a second (the devserver's
/// `x-ve-limit-expires` against its own `Date`) costs about that on the
/// gateway's streaming path, which runs the core's upload machine on the
/// runtime's monotonic clock — not the 300 s cap a misread clock gave.
#[test]
fn post_upload_waits_only_what_a_429_states() {
    let iso = isolated();
    let _faults = iso.faults.lock().unwrap_or_else(|e| e.into_inner());
    set_faults(
        &iso.dev,
        json!({"path_contains": "/upload/", "schedule": [{"request": 1, "fault": "429"}]}),
    );
    let g = grant(&iso.gw, json!({"max_size": 1u64 << 30}));
    let len = (2 * 4 * MIB + 321) as u64;
    let t0 = Instant::now();
    let (r, sha) = upload_pattern(&iso.gw, &g, "limited.bin", len, 79);
    let took = t0.elapsed();
    let seen = faults_seen(&iso.dev);
    set_faults(&iso.dev, json!({}));
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(reply_digest(&r.json, "sha256"), Some(sha.as_str()));
    assert_eq!(seen["injected"], json!([[1, "429"]]), "{seen}");
    assert!(took < Duration::from_secs(20), "one 429 cost {took:?}");
}

#[test]
fn the_relay_resends_a_chunk_that_failed_upstream() {
    let iso = isolated();
    let _faults = iso.faults.lock().unwrap_or_else(|e| e.into_inner());
    let len = 3 * 4 * MIB + 999;
    let data = pattern_bytes(len, 31);
    let g = grant(&iso.gw, json!({"max_size": 1u64 << 30}));
    let r = open_relay(&iso.gw, &g, "relayed-again.bin", len as u64);
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["upload_id"].as_str().unwrap().to_string();
    let chunk_size = r.json["chunk_size"].as_u64().unwrap() as usize;
    let count = r.json["chunk_count"].as_u64().unwrap();
    assert_eq!(count, 4);
    // Only this session's chunks are counted: the first is dropped, the
    // second chunk's first attempt (request 3) gets a 503.
    set_faults(
        &iso.dev,
        json!({
            "path_contains": format!("{id}/chunk"),
            "schedule": [{"request": 1, "fault": "drop"}, {"request": 3, "fault": "503"}],
        }),
    );
    let mut token = r.json["token"].as_str().unwrap().to_string();
    for order in 1..=count {
        let piece =
            &data[(order as usize - 1) * chunk_size..(order as usize * chunk_size).min(len)];
        // One PUT per chunk: the gateway retries upstream, not the client.
        let r = call(
            "PUT",
            &format!("{}/uploads/{id}/chunks/{order}", iso.gw.url),
            Some(&token),
            &[("x-chunk-sha256", &sha256_hex(piece))],
            Some(piece),
        );
        assert_eq!(r.status, 200, "chunk {order}: {}", r.json);
        assert_eq!(r.json["next"], order + 1);
        token = r.json["token"].as_str().unwrap().to_string();
    }
    let seen = faults_seen(&iso.dev);
    set_faults(&iso.dev, json!({}));
    assert_eq!(seen["injected"], json!([[1, "drop"], [3, "503"]]), "{seen}");
    assert_eq!(seen["requests_seen"], count + 2, "{seen}");
    let r = call(
        "POST",
        &format!("{}/uploads/{id}/complete", iso.gw.url),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let sha = sha256_hex(&data);
    assert_eq!(r.json["sha256"].as_str(), Some(sha.as_str()));
    let node = r.json["node_id"].as_str().expect("node");
    assert_eq!(stored_sha256_on(&iso.dev, &iso.ws, node), (len as u64, sha));
}

#[test]
fn the_relay_answers_502_when_every_attempt_fails() {
    let iso = isolated();
    let _faults = iso.faults.lock().unwrap_or_else(|e| e.into_inner());
    let g = grant(&iso.gw, json!({"max_size": 1u64 << 30}));
    let piece = pattern_bytes(1000, 5);
    let r = open_relay(&iso.gw, &g, "never.bin", 1000);
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["upload_id"].as_str().unwrap().to_string();
    let token = r.json["token"].as_str().unwrap().to_string();
    set_faults(
        &iso.dev,
        json!({"path_contains": format!("{id}/chunk"), "status_503": 1.0}),
    );
    let r = call(
        "PUT",
        &format!("{}/uploads/{id}/chunks/1", iso.gw.url),
        Some(&token),
        &[("x-chunk-sha256", &sha256_hex(&piece))],
        Some(&piece),
    );
    let seen = faults_seen(&iso.dev);
    set_faults(&iso.dev, json!({}));
    assert_eq!(
        (r.status, r.error()),
        (502, "upstream_failed"),
        "{}",
        r.json
    );
    assert_eq!(r.json["upstream_status"], 503);
    assert_eq!(r.json["attempts"], 2);
    // The client is told which chunk to send again.
    assert_eq!(r.json["next"], 1);
    assert_eq!(seen["requests_seen"], 2, "{seen}");
}

const EVENT: &[u8] = br#"{"id":"evt_f","event":"workspace_storage_file_added","event_id":"ef","created":"2025-01-01 00:00:00","workspace_id":"42","object_id":"n1","data":{"workspace_id":"42"}}"#;

fn signed(g: &Gateway, id: &str, body: &[u8], tamper: bool) -> Resp {
    let headers = Signer::new(Scheme::StandardWebhooks, &Secret::new(WEBHOOK_SECRET))
        .unwrap()
        .sign(Some(id), Some(now()), body)
        .unwrap();
    let hs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut sent = body.to_vec();
    if tamper {
        sent[25] ^= 1;
    }
    call(
        "POST",
        &format!("{}/webhooks/fastio", g.url),
        None,
        &hs,
        Some(&sent),
    )
}

fn received_with_id<'a>(all: &'a [Received], id: &str) -> Vec<&'a Received> {
    all.iter()
        .filter(|r| r.header("x-fastio-delivery-id") == Some(id))
        .collect()
}

#[test]
fn verified_webhooks_are_forwarded_and_others_are_not() {
    let iso = isolated();
    let r = signed(&iso.gw, "msg_fwd_ok", EVENT, false);
    assert_eq!(r.status, 204, "{}", r.json);
    let all = iso.receiver.requests();
    let got = received_with_id(&all, "msg_fwd_ok");
    assert_eq!(got.len(), 1, "{all:?}");
    let got = got[0];
    assert_eq!(got.method, "POST");
    // The configured URL, query included.
    assert_eq!(got.target, "/hook?from=gateway");
    assert_eq!(got.body, EVENT, "the body is passed on byte for byte");
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(
        got.header("x-fastio-event"),
        Some("workspace_storage_file_added")
    );
    assert_eq!(
        got.header("x-gateway-verified-scheme"),
        Some("standard-webhooks")
    );
    // The signature stays at the edge.
    assert_eq!(got.header("webhook-signature"), None);

    // Tampered after signing: refused, and the endpoint never hears of it.
    let before = iso.receiver.requests().len();
    let r = signed(&iso.gw, "msg_fwd_tampered", EVENT, true);
    assert_eq!((r.status, r.error()), (401, "no_matching_signature"));
    let all = iso.receiver.requests();
    assert_eq!(all.len(), before, "{all:?}");
    assert!(received_with_id(&all, "msg_fwd_tampered").is_empty());

    // The endpoint fails: 502, so the sender delivers again.
    let failing = String::from_utf8(EVENT.to_vec())
        .unwrap()
        .replace("\"n1\"", "\"answer-500\"");
    let r = signed(&iso.gw, "msg_fwd_500", failing.as_bytes(), false);
    assert_eq!((r.status, r.error()), (502, "forward_failed"), "{}", r.json);
    assert_eq!(r.json["forward_status"], 500);
    assert_eq!(
        received_with_id(&iso.receiver.requests(), "msg_fwd_500").len(),
        1
    );
}

#[test]
fn a_webhook_whose_endpoint_is_down_gets_503_and_retry_after() {
    let iso = isolated();
    let started = Instant::now();
    let r = signed(&iso.down, "msg_fwd_down", EVENT, false);
    assert_eq!(
        (r.status, r.error()),
        (503, "forward_unavailable"),
        "{}",
        r.json
    );
    assert_eq!(r.header("retry-after"), Some("30"));
    // Quickly, and without naming the endpoint.
    assert!(started.elapsed() < Duration::from_secs(15));
    let message = r.json["message"].as_str().unwrap_or("");
    assert!(!message.contains("127.0.0.1"), "{message}");
    // Verification still comes first: a bad signature is 401, not 503.
    let r = signed(&iso.down, "msg_fwd_down_bad", EVENT, true);
    assert_eq!((r.status, r.error()), (401, "no_matching_signature"));
}
