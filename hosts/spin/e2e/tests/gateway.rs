//! The gateway end to end: `wasmtime serve -Scli` running the component,
//! the devserver behind it, every answer checked against what the devserver
//! stored.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fastio_core::policy::{Grant, GrantKey};
use fastio_core::secret::Secret;
use fastio_core::webhook::{Scheme, Signer};
use serde_json::json;

fn big_grant(g: &Gateway) -> String {
    grant(g, json!({"max_size": 1u64 << 34}))
}

#[test]
fn healthz_and_misconfiguration() {
    let e = env();
    let r = call("GET", &format!("{}/healthz", e.a.url), None, &[], None);
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["uploads"], true);
    assert_eq!(r.json["webhooks"], true);
    // The strict instance has no webhook configuration: a clear 500 naming
    // the variable, no panic.
    let r = call(
        "POST",
        &format!("{}/webhooks/fastio", e.strict.url),
        None,
        &[],
        Some(b"{}"),
    );
    assert_eq!(r.status, 500, "{}", r.json);
    assert_eq!(r.error(), "gateway_misconfigured");
    assert_eq!(r.json["variable"], "WEBHOOK_SCHEME");
    let r = call("GET", &format!("{}/nowhere", e.a.url), None, &[], None);
    assert_eq!(r.status, 404);
}

#[test]
fn grant_endpoint_needs_the_secret() {
    let e = env();
    let r = call(
        "POST",
        &format!("{}/grant", e.a.url),
        Some("not-the-secret"),
        &[],
        Some(b"{}"),
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.error(), "issuer_unauthorised");
    let r = call(
        "POST",
        &format!("{}/grant", e.a.url),
        Some(GRANT_SECRET),
        &[],
        Some(json!({"max_size": 10, "ttl_s": 60}).to_string().as_bytes()),
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.json["workspace"].as_str(), Some(e.ws.as_str()));
    assert_eq!(r.json["folder"], "root");
    assert_eq!(r.json["max_size"], 10);
    assert!(r.json["expires"].as_u64().unwrap() <= now() + 61);
}

#[test]
fn uploads_of_every_size_are_stored_byte_for_byte() {
    let e = env();
    let g = big_grant(&e.a);
    for (i, len) in [0u64, 1, 4_194_304, 4_194_305, 200 * 1024 * 1024]
        .into_iter()
        .enumerate()
    {
        let name = format!("size-{len}.bin");
        let started = Instant::now();
        let (r, sha) = upload_pattern(&e.a, &g, &name, len, 7 + i as u64);
        assert_eq!(r.status, 201, "{len} bytes: {}", r.json);
        assert_eq!(r.json["size"], len);
        assert_eq!(
            reply_digest(&r.json, "sha256"),
            Some(sha.as_str()),
            "{len} bytes"
        );
        assert_eq!(r.json["crc32c"].as_str().map(str::len), Some(8));
        let node = r.json["node_id"].as_str().expect("node id");
        assert_eq!(
            stored_sha256(node),
            (len, sha),
            "{len} bytes on the devserver"
        );
        eprintln!("{len} bytes in {:?}", started.elapsed());
    }
}

#[test]
fn unknown_length_bodies_stream() {
    let e = env();
    let g = big_grant(&e.a);
    // No Content-Length: chunked transfer encoding, the stream session.
    let mut p = Pattern::new(9 * 1024 * 1024 + 17, 99);
    let req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}/upload", e.a.url))
        .header("Authorization", format!("Bearer {g}"))
        .header("x-file-name", "streamed.bin")
        .header("x-fastio-digest", "SHA256")
        .body(ureq::SendBody::from_reader(&mut p))
        .expect("request");
    let r = e.agent.run(req).expect("answer");
    let status = r.status().as_u16();
    let body: serde_json::Value =
        serde_json::from_slice(&r.into_body().read_to_vec().expect("body")).expect("json");
    assert_eq!(status, 201, "{body}");
    let sha = hex(&sha2::Digest::finalize(p.sha));
    assert_eq!(reply_digest(&body, "sha256"), Some(sha.as_str()));
    let node = body["node_id"].as_str().expect("node");
    assert_eq!(stored_sha256(node), (9 * 1024 * 1024 + 17, sha));
}

#[test]
fn query_names_are_percent_decoded_and_checked() {
    let e = env();
    let g = big_grant(&e.a);
    let body = pattern_bytes(1000, 13);
    let upload = |query: &str| {
        call(
            "POST",
            &format!("{}/upload?{query}", e.a.url),
            Some(&g),
            &[],
            Some(&body),
        )
    };
    // Spaces as %20 and +, a plus as %2B, UTF-8 as percent-escaped bytes.
    let r = upload("kind=x&name=Q3%20report+final%2B%C3%A9t%C3%A9%20%F0%9F%93%84.bin");
    assert_eq!(r.status, 201, "{}", r.json);
    let name = "Q3 report final+été 📄.bin";
    assert!(
        stored_names().iter().any(|n| n == name),
        "{name} not among {:?}",
        stored_names()
    );
    let node = r.json["node_id"].as_str().expect("node");
    assert_eq!(stored_sha256(node), (1000, sha256_hex(&body)));
    // Decoded to something that is not a file name: a typed 400, nothing
    // goes upstream.
    for (query, reason) in [
        ("name=reports%2F2024.bin", "path_separator"),
        ("name=..%5Cx.bin", "path_separator"),
        ("name=a%00b.bin", "control_character"),
        ("name=a%0Ab.bin", "control_character"),
        ("name=%FF%FE.bin", "not_utf8"),
        ("name=", "empty"),
        ("name=+", "empty"),
        ("name=..", "dot_name"),
    ] {
        let r = upload(query);
        assert_eq!(
            (r.status, r.error(), r.json["reason"].as_str()),
            (400, "bad_file_name", Some(reason)),
            "{query}: {}",
            r.json
        );
    }
    // The relay checks a JSON name the same way.
    let r = open_relay(&e.a, &g, "a/b.bin", 10);
    assert_eq!((r.status, r.error()), (400, "bad_file_name"), "{}", r.json);
    assert!(!stored_names().iter().any(|n| n.contains("2024")));
}

#[test]
fn grants_missing_bad_or_expired_are_refused() {
    let e = env();
    let url = format!("{}/upload", e.a.url);
    let r = call("POST", &url, None, &[], Some(b"hello"));
    assert_eq!((r.status, r.error()), (401, "grant_missing"));
    let r = call(
        "POST",
        &url,
        Some("fg1.nope.nope.nope"),
        &[],
        Some(b"hello"),
    );
    assert_eq!((r.status, r.error()), (401, "grant_wrong_key"));
    let good = grant(&e.a, json!({"max_size": 100}));
    let mut tampered = good.clone().into_bytes();
    let at = good.find('.').unwrap() + 12;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let r = call("POST", &url, Some(&tampered), &[], Some(b"hello"));
    assert_eq!(r.status, 401, "{}", r.json);
    assert!(r.error().starts_with("grant_"), "{}", r.json);
    let key = GrantKey::new(Secret::new(GRANT_SECRET)).unwrap();
    let expired = key
        .issue(&Grant {
            workspace: e.ws.clone(),
            folder: "root".into(),
            max_size: 100,
            expires: now() - 10,
            issued: now() - 100,
            nonce: "old".into(),
        })
        .expect("a short grant is issued");
    let r = call("POST", &url, Some(&expired), &[], Some(b"hello"));
    assert_eq!((r.status, r.error()), (401, "grant_expired"));
    assert!(!stored_names().iter().any(|n| n == "upload"));
}

#[test]
fn oversize_is_refused_before_the_body_is_read() {
    let e = env();
    let g = grant(&e.a, json!({"max_size": 1024 * 1024}));
    let head = format!(
        "POST /upload HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {g}\r\nx-file-name: big.bin\r\n\
         content-length: 53687091200\r\n\r\n"
    );
    // Not one body byte is sent: the answer must come anyway.
    let started = Instant::now();
    let answer = raw(&e.a, &head, &[], false, Duration::from_secs(20));
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("too_large"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Undeclared length: refused while streaming, once past the limit.
    let mut p = Pattern::new(3 * 1024 * 1024, 5);
    let req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{}/upload", e.a.url))
        .header("Authorization", format!("Bearer {g}"))
        .header("x-file-name", "big-stream.bin")
        .body(ureq::SendBody::from_reader(&mut p))
        .expect("request");
    if let Ok(r) = e.agent.run(req) {
        // The server may close before the client finishes sending.
        assert_eq!(r.status().as_u16(), 413);
    }
    assert!(!stored_names().iter().any(|n| n.starts_with("big")));
}

#[test]
fn wrong_magic_bytes_are_refused() {
    let e = env();
    let g = grant(&e.strict, json!({"max_size": 1024 * 1024}));
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".repeat(100);
    let url = format!("{}/upload", e.strict.url);
    let r = call(
        "POST",
        &url,
        Some(&g),
        &[("x-file-name", "pic.gif")],
        Some(&gif),
    );
    assert_eq!(
        (r.status, r.error()),
        (415, "type_not_allowed"),
        "{}",
        r.json
    );
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend(pattern_bytes(20_000, 3));
    let r = call(
        "POST",
        &url,
        Some(&g),
        &[("x-file-name", "doc.pdf")],
        Some(&pdf),
    );
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["kind"], "pdf");
    // No digest asked for: the reply carries the CRC32C the upstream
    // checked, and no other digest was computed.
    assert_eq!(r.json["digest"], serde_json::Value::Null, "{}", r.json);
    assert_eq!(
        r.json["crc32c"].as_str().map(str::to_string),
        Some(format!("{:08x}", crc32c::crc32c(&pdf)))
    );
    // The gateway's own 1 MiB limit beats a larger grant; refused from the
    // declared length, so no body is sent.
    let big = grant(&e.strict, json!({"max_size": 1u64 << 30}));
    let head = format!(
        "POST /upload HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {big}\r\n\
         x-file-name: doc2.pdf\r\ncontent-length: {}\r\n\r\n",
        (1 << 20) + 1
    );
    let answer = raw(&e.strict, &head, &[], false, Duration::from_secs(20));
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let names = stored_names();
    assert!(names.iter().any(|n| n == "doc.pdf"));
    assert!(!names.iter().any(|n| n == "pic.gif" || n == "doc2.pdf"));
}

#[test]
fn client_disconnect_cancels_the_session() {
    let e = env();
    let g = big_grant(&e.a);
    let len = 40 * 1024 * 1024;
    let head = format!(
        "POST /upload HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {g}\r\nx-file-name: cut.bin\r\n\
         content-length: {len}\r\n\r\n"
    );
    let half = pattern_bytes(len / 2, 11);
    raw(&e.a, &head, &half, true, Duration::from_secs(5));
    // The gateway notices, cancels upstream, and nothing is stored.
    let started = Instant::now();
    loop {
        let s = sessions_named("cut.bin");
        let settled = !s.is_empty() && s.iter().all(|(_, st)| st == "cancelled" || st.is_empty());
        if settled || (s.is_empty() && started.elapsed() > Duration::from_secs(5)) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "sessions not cancelled: {s:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!stored_names().iter().any(|n| n == "cut.bin"));
    let s = sessions_named("cut.bin");
    assert!(
        s.iter().all(|(_, st)| st != "stored" && st != "complete"),
        "{s:?}"
    );
}

/// A relay upload whose requests go to `targets` in turn.
fn relay(targets: &[&Gateway], name: &str, len: usize, corrupt: Option<u64>) {
    let data = pattern_bytes(len, 21);
    let g = big_grant(targets[0]);
    let r = open_relay(targets[0], &g, name, len as u64);
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["upload_id"].as_str().unwrap().to_string();
    let chunk_size = r.json["chunk_size"].as_u64().unwrap() as usize;
    let count = r.json["chunk_count"].as_u64().unwrap();
    assert_eq!(count, len.div_ceil(chunk_size) as u64);
    assert!(count >= 3);
    let mut token = r.json["token"].as_str().unwrap().to_string();
    let mut turn = 1usize;
    let mut next = || {
        turn += 1;
        targets[turn % targets.len()]
    };
    for order in 1..=count {
        let piece =
            &data[(order as usize - 1) * chunk_size..(order as usize * chunk_size).min(len)];
        let sha = sha256_hex(piece);
        let url = |g: &Gateway| format!("{}/uploads/{id}/chunks/{order}", g.url);
        if corrupt == Some(order) {
            let mut bad = piece.to_vec();
            bad[piece.len() / 2] ^= 0x40;
            let r = call(
                "PUT",
                &url(next()),
                Some(&token),
                &[("x-chunk-sha256", &sha)],
                Some(&bad),
            );
            assert_eq!(
                (r.status, r.error()),
                (422, "chunk_digest_mismatch"),
                "{}",
                r.json
            );
        }
        // A 502 `upstream_unreachable` means the chunk did not reach Fast.io
        // (the answer names the chunk to send next): a relay client re-sends
        // it, as here, at most twice.
        let mut r = call(
            "PUT",
            &url(next()),
            Some(&token),
            &[("x-chunk-sha256", &sha)],
            Some(piece),
        );
        for _ in 0..2 {
            if r.status != 502 || r.error() != "upstream_unreachable" {
                break;
            }
            assert_eq!(r.json["next"], order, "{}", r.json);
            r = call(
                "PUT",
                &url(next()),
                Some(&token),
                &[("x-chunk-sha256", &sha)],
                Some(piece),
            );
        }
        assert_eq!(r.status, 200, "chunk {order}: {}", r.json);
        assert_eq!(r.json["next"], order + 1);
        // The old token cannot skip ahead or go back.
        if order == 1 {
            // Refused before the body is read, so none is sent.
            let r = call(
                "PUT",
                &format!("{}/uploads/{id}/chunks/3", targets[0].url),
                Some(&token),
                &[("x-chunk-sha256", &sha)],
                Some(b""),
            );
            assert_eq!(r.status, 409, "{}", r.json);
        }
        token = r.json["token"].as_str().unwrap().to_string();
    }
    let r = call(
        "POST",
        &format!("{}/uploads/{id}/complete", next().url),
        Some(&token),
        &[],
        None,
    );
    assert_eq!(r.status, 201, "{}", r.json);
    let sha = sha256_hex(&data);
    assert_eq!(r.json["sha256"].as_str(), Some(sha.as_str()));
    assert_eq!(
        r.json["crc32c"].as_str().map(str::to_string),
        Some(format!("{:08x}", crc32c::crc32c(&data)))
    );
    let node = r.json["node_id"].as_str().expect("node");
    assert_eq!(stored_sha256(node), (len as u64, sha));
}

#[test]
fn chunk_relay_rejects_a_corrupted_chunk_and_takes_it_again() {
    let e = env();
    relay(&[&e.a], "relay.bin", 3 * 4 * 1024 * 1024 + 12_345, Some(2));
}

#[test]
fn chunk_relay_alternates_between_two_instances() {
    let e = env();
    relay(&[&e.a, &e.b], "scaled.bin", 5 * 4 * 1024 * 1024 + 7, None);
}

#[test]
fn webhooks_are_verified() {
    let e = env();
    let url = format!("{}/webhooks/fastio", e.a.url);
    let body = br#"{"id":"evt_1","event":"workspace_storage_file_added","event_id":"e1","created":"2025-01-01 00:00:00","workspace_id":"42","object_id":"n1","data":{"workspace_id":"42"}}"#;
    let send = |secret: &str, id: &str, ts: u64, body: &[u8]| {
        let headers = Signer::new(Scheme::StandardWebhooks, &Secret::new(secret))
            .unwrap()
            .sign(Some(id), Some(ts), body)
            .unwrap();
        let hs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        call("POST", &url, None, &hs, Some(body))
    };
    let r = send(WEBHOOK_SECRET, "msg_valid", now(), body);
    assert_eq!(r.status, 204, "{}", r.json);
    assert_eq!(
        r.header("x-fastio-event"),
        Some("workspace_storage_file_added")
    );
    assert_eq!(r.header("x-fastio-delivery-id"), Some("msg_valid"));
    // Signed with the secret being rotated out: still accepted.
    let r = send(WEBHOOK_SECRET_OLD, "msg_rotated", now(), body);
    assert_eq!(r.status, 204, "{}", r.json);
    // Tampered: signed, then changed.
    let headers = Signer::new(Scheme::StandardWebhooks, &Secret::new(WEBHOOK_SECRET))
        .unwrap()
        .sign(Some("msg_t"), Some(now()), body)
        .unwrap();
    let hs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut changed = body.to_vec();
    changed[20] ^= 1;
    let r = call("POST", &url, None, &hs, Some(&changed));
    assert_eq!((r.status, r.error()), (401, "no_matching_signature"));
    let r = send(WEBHOOK_SECRET, "msg_stale", now() - 3600, body);
    assert_eq!((r.status, r.error()), (401, "timestamp_too_old"));
    let r = send(
        "whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==",
        "msg_wrong",
        now(),
        body,
    );
    assert_eq!((r.status, r.error()), (401, "no_matching_signature"));
    let r = call("POST", &url, None, &[], Some(body));
    assert_eq!((r.status, r.error()), (400, "missing_header"));
    // Authentic but not an event.
    let r = send(WEBHOOK_SECRET, "msg_junk", now(), b"not json");
    assert_eq!((r.status, r.error()), (400, "invalid_event"), "{}", r.json);
}

#[test]
fn cors_for_configured_origins() {
    let e = env();
    let r = call(
        "OPTIONS",
        &format!("{}/upload", e.a.url),
        None,
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "POST"),
        ],
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(
        r.header("access-control-allow-headers")
            .unwrap()
            .contains("authorization")
    );
    let r = call(
        "OPTIONS",
        &format!("{}/upload", e.a.url),
        None,
        &[("origin", "https://evil.example")],
        None,
    );
    assert_eq!((r.status, r.error()), (403, "origin_not_allowed"));
    let r = call(
        "GET",
        &format!("{}/healthz", e.a.url),
        None,
        &[("origin", "https://app.example")],
        None,
    );
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let r = call(
        "GET",
        &format!("{}/healthz", e.a.url),
        None,
        &[("origin", "https://evil.example")],
        None,
    );
    assert_eq!(r.header("access-control-allow-origin"), None);
}
