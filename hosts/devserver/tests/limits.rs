//! What a hostile or broken client can make the server hold, and for how long: slow headers
//! and bodies are cut off, lengths over a route's limit are refused before the body is read,
//! connections are capped, names that are not UTF-8 are refused, and multipart framing counts
//! against the text cap. Every exchange is bounded; the server runs in-process with the
//! timeouts shortened.

mod common;

use std::time::Duration;

use common::raw::*;
use common::*;

const BOUNDARY_RAW: &str = "hostile-boundary-5f2a";

/// A server whose header timeout and body-rate window are short.
fn quick(window_s: u64, max_connections: usize) -> Api {
    start_with(|c| {
        c.header_read_timeout = Duration::from_secs(1);
        c.body_idle_timeout = Duration::from_secs(window_s);
        c.body_min_rate = 1024;
        c.max_connections = max_connections;
    })
}

fn bearer() -> (&'static str, String) {
    ("Authorization", "Bearer test-key".to_string())
}

fn multipart_ct() -> (&'static str, String) {
    (
        "Content-Type",
        format!("multipart/form-data; boundary={BOUNDARY_RAW}"),
    )
}

fn form_ct() -> (&'static str, String) {
    (
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    )
}

fn session(api: &Api, fields: &[(&str, &str)]) -> String {
    api.post("upload/", fields).r()["id"]
        .as_str()
        .expect("session id")
        .to_string()
}

#[test]
fn headers_sent_a_byte_at_a_time_are_cut_off() {
    let api = quick(1, 256);
    let mut slow =
        b"GET /current/user/auth/check/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".to_vec();
    slow.extend(std::iter::repeat_n(b'a', 200));
    // 200 bytes at 10 per second would take 20 s; the 1 s header timeout ends it first.
    let a = trickle(
        api.addr(),
        b"",
        &slow,
        Duration::from_millis(100),
        Duration::from_secs(20),
    );
    assert!(a.closed || a.status == Some(408), "{a:?}");
    assert!(a.elapsed < Duration::from_secs(6), "{a:?}");
    assert_eq!(api.get("user/auth/check/").status, 200);
}

#[test]
fn a_body_trickling_at_one_byte_per_second_gets_408() {
    let api = quick(1, 256);
    // A form route, read whole.
    let h = head(
        "POST",
        "/current/user/auth/key/",
        &[bearer(), form_ct(), ("Content-Length", "100".into())],
    );
    let a = trickle(
        api.addr(),
        &h,
        &[b'a'; 100],
        Duration::from_secs(1),
        Duration::from_secs(30),
    );
    assert_eq!(a.status, Some(408), "{a:?}");
    assert_eq!(a.error_code(), "APP_REQUEST_TIMEOUT");
    assert!(a.head.to_ascii_lowercase().contains("connection: close"));
    assert!(a.elapsed < Duration::from_secs(8), "{a:?}");

    // An upload route, streamed: a chunk whose body stops after a few bytes.
    let id = session(&api, &[("name", "slow.bin"), ("size", "5000")]);
    let h = head(
        "POST",
        &format!("/current/upload/{id}/chunk/?order=1"),
        &[bearer(), multipart_ct(), ("Content-Length", "5000".into())],
    );
    let mut c = Conn::open(api.addr());
    c.send(&h);
    c.send(format!("--{BOUNDARY_RAW}\r\n").as_bytes());
    let a = c.finish(Duration::from_secs(10));
    assert_eq!(a.status, Some(408), "{a:?}");
    assert!(a.elapsed < Duration::from_secs(8), "{a:?}");

    // A raw stream body at 1 B/s.
    let id = session(&api, &[("name", "s.bin"), ("stream", "true")]);
    let h = head(
        "POST",
        &format!("/current/upload/{id}/stream/"),
        &[
            bearer(),
            ("Content-Type", "application/octet-stream".into()),
            ("Content-Length", "100".into()),
        ],
    );
    let a = trickle(
        api.addr(),
        &h,
        &[7u8; 100],
        Duration::from_secs(1),
        Duration::from_secs(30),
    );
    assert_eq!(a.status, Some(408), "{a:?}");
    assert!(a.elapsed < Duration::from_secs(8), "{a:?}");
    // Nothing half-received was stored.
    let s = api.get(&format!("upload/{id}/details/")).r()["session"].clone();
    assert_ne!(s["status"], "stored", "{s}");
}

#[test]
fn a_steady_body_is_not_cut_off() {
    // 8 KiB/s against a 1 KiB/s minimum over 1 s windows: slow, but within the rule.
    let api = quick(1, 256);
    let body = form(&[("name", &"k".repeat(20_000))]);
    let h = head(
        "POST",
        "/current/user/auth/key/",
        &[
            bearer(),
            form_ct(),
            ("Content-Length", body.len().to_string()),
        ],
    );
    let mut c = Conn::open(api.addr());
    c.send(&h);
    for piece in body.as_bytes().chunks(800) {
        assert!(c.send(piece));
        std::thread::sleep(Duration::from_millis(100));
    }
    let a = c.finish(Duration::from_secs(10));
    assert_eq!(a.status, Some(200), "{a:?}");
}

#[test]
fn declared_lengths_over_the_route_limit_are_refused_before_the_body() {
    let api = quick(30, 256);
    let two_gib = (2u64 << 30).to_string();
    let id = session(&api, &[("name", "c.bin"), ("size", "5000")]);
    let stream_id = session(
        &api,
        &[("name", "s.bin"), ("stream", "true"), ("max_size", "1000")],
    );
    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(&str, String, Headers, String)> = vec![
        (
            "POST",
            "/current/user/auth/key/".into(),
            vec![form_ct()],
            two_gib.clone(),
        ),
        (
            "POST",
            "/current/upload/".into(),
            vec![multipart_ct()],
            two_gib.clone(),
        ),
        (
            "POST",
            format!("/current/upload/{id}/chunk/?order=1"),
            vec![multipart_ct()],
            two_gib.clone(),
        ),
        (
            "POST",
            "/current/upload/batch/".into(),
            vec![multipart_ct()],
            two_gib.clone(),
        ),
        // The stream session's own max_size, known only once the session is loaded.
        (
            "POST",
            format!("/current/upload/{stream_id}/stream/"),
            vec![("Content-Type", "application/octet-stream".into())],
            "5000".into(),
        ),
        (
            "POST",
            "/_dev/faults".into(),
            vec![("Content-Type", "application/json".into())],
            two_gib.clone(),
        ),
    ];
    for (method, target, mut headers, len) in cases {
        headers.push(bearer());
        headers.push(("Content-Length", len));
        // Not one body byte is sent: the answer must come anyway, at once.
        let a = exchange(
            api.addr(),
            &head(method, &target, &headers),
            Duration::from_secs(5),
        );
        assert_eq!(a.status, Some(413), "{target}: {a:?}");
        assert_eq!(a.error_code(), "APP_PAYLOAD_TOO_LARGE", "{target}");
        assert!(
            a.head.to_ascii_lowercase().contains("connection: close"),
            "{target}: {a:?}"
        );
        assert!(a.elapsed < Duration::from_secs(3), "{target}: {a:?}");
    }
    // Within the limit the same routes still take their bodies.
    assert_eq!(api.post("user/auth/key/", &[("name", "ok")]).status, 200);
}

#[test]
fn excess_connections_wait_until_idle_ones_are_cut() {
    // Four connections at most; four clients stall mid-body.
    let api = quick(2, 4);
    let h = head(
        "POST",
        "/current/user/auth/key/",
        &[bearer(), form_ct(), ("Content-Length", "100".into())],
    );
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut c = Conn::open(api.addr());
        c.send(&h);
        c.send(b"name=");
        held.push(c);
    }
    std::thread::sleep(Duration::from_millis(300));
    // A fifth waits for a slot, which the body-rate window frees after about two seconds.
    let a = exchange(
        api.addr(),
        &head("GET", "/_dev/health", &[]),
        Duration::from_secs(15),
    );
    assert_eq!(a.status, Some(200), "{a:?}");
    assert!(
        a.elapsed >= Duration::from_millis(1000),
        "answered while every slot was held: {a:?}"
    );
    assert!(a.elapsed < Duration::from_secs(10), "{a:?}");
    for c in held {
        let a = c.finish(Duration::from_secs(10));
        assert!(a.status == Some(408) || a.closed, "{a:?}");
    }
}

/// A single-request upload with `fields` (raw bytes allowed) and a chunk part whose
/// Content-Disposition parameters are `chunk_disposition`.
fn single_upload(fields: &[(&[u8], &[u8])], chunk_disposition: &[u8]) -> Vec<u8> {
    let mut parts: Vec<(Vec<u8>, Vec<u8>)> = fields
        .iter()
        .map(|(k, v)| {
            let mut d = b"name=\"".to_vec();
            d.extend_from_slice(k);
            d.push(b'"');
            (d, v.to_vec())
        })
        .collect();
    parts.push((chunk_disposition.to_vec(), b"hello".to_vec()));
    multipart_raw(BOUNDARY_RAW, &parts)
}

fn post_raw(api: &Api, target: &str, headers: &[(&str, String)], body: &[u8]) -> Answer {
    let mut hs = headers.to_vec();
    hs.push(bearer());
    exchange(
        api.addr(),
        &request("POST", target, &hs, body),
        Duration::from_secs(10),
    )
}

#[test]
fn names_that_are_not_utf8_are_refused() {
    let api = quick(30, 256);
    let ok_chunk: &[u8] = b"name=\"chunk\"; filename=\"blob\"";
    // A well-formed single upload is accepted: the cases below differ from it in one place.
    let good = single_upload(&[(b"name", b"fine.bin"), (b"size", b"5")], ok_chunk);
    let a = post_raw(&api, "/current/upload/", &[multipart_ct()], &good);
    assert_eq!(a.status, Some(200), "{a:?}");

    let cases: Vec<(&str, Answer)> = vec![
        (
            "form value",
            post_raw(
                &api,
                "/current/upload/",
                &[form_ct()],
                b"name=%FF%FEbad.bin&size=10",
            ),
        ),
        (
            "raw form value",
            post_raw(
                &api,
                "/current/upload/",
                &[form_ct()],
                b"name=\xff\xfebad.bin&size=10",
            ),
        ),
        (
            "query value",
            exchange(
                api.addr(),
                &head("GET", "/current/orgs/list/?x=%C3", &[bearer()]),
                Duration::from_secs(10),
            ),
        ),
        (
            "multipart text value",
            post_raw(
                &api,
                "/current/upload/",
                &[multipart_ct()],
                &single_upload(&[(b"name", b"\xff\xfebad.bin"), (b"size", b"5")], ok_chunk),
            ),
        ),
        (
            "multipart part name",
            post_raw(
                &api,
                "/current/upload/",
                &[multipart_ct()],
                &single_upload(
                    &[(b"name", b"bad2.bin"), (b"size", b"5"), (b"\xff\xfe", b"x")],
                    ok_chunk,
                ),
            ),
        ),
        (
            "multipart filename",
            post_raw(
                &api,
                "/current/upload/",
                &[multipart_ct()],
                &single_upload(
                    &[(b"name", b"bad3.bin"), (b"size", b"5")],
                    b"name=\"chunk\"; filename=\"\xff\xfe.bin\"",
                ),
            ),
        ),
        (
            "multipart text value of a non-upload route",
            post_raw(
                &api,
                "/current/user/auth/key/",
                &[multipart_ct()],
                &multipart_raw(
                    BOUNDARY_RAW,
                    &[(b"name=\"name\"".to_vec(), b"\xc3".to_vec())],
                ),
            ),
        ),
        (
            "path segment",
            exchange(
                api.addr(),
                &head("GET", "/current/upload/%FF%FE/details/", &[bearer()]),
                Duration::from_secs(10),
            ),
        ),
    ];
    for (what, a) in cases {
        assert_eq!(a.status, Some(400), "{what}: {a:?}");
        let j = a.json();
        assert_eq!(j["result"], false, "{what}");
        assert_eq!(j["error"]["error_code"], "APP_INVALID_INPUT", "{what}: {j}");
        assert!(
            j["error"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("UTF-8")),
            "{what}: {j}"
        );
    }
    // Nothing was stored under a patched-up name.
    let sessions = api.get("upload/details/").r()["sessions"].clone();
    let names: Vec<&str> = sessions
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(names.iter().all(|n| !n.contains('\u{FFFD}')), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("bad")), "{names:?}");
}

#[test]
fn multipart_part_names_and_headers_count_against_the_text_cap() {
    let api = quick(30, 256);
    // 20,000 parts with 4.5 KB names: about 91 MB of names, none of which may be held.
    let long = "n".repeat(4500);
    let mut body = Vec::with_capacity(20_000 * 4600);
    for i in 0..20_000 {
        body.extend_from_slice(
            format!("--{BOUNDARY_RAW}\r\nContent-Disposition: form-data; name=\"p{i}{long}\"\r\n\r\n\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{BOUNDARY_RAW}--\r\n").as_bytes());
    let a = post_raw(&api, "/current/upload/batch/", &[multipart_ct()], &body);
    assert_eq!(a.status, Some(413), "{:?}", a.head);
    assert!(
        a.json()["error"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("part")),
        "{a:?}"
    );

    // A non-upload route: a body under its 1 MiB cap made of tiny parts.
    let mut tiny = Vec::new();
    for _ in 0..20_000 {
        tiny.extend_from_slice(format!("--{BOUNDARY_RAW}\r\n\r\nv\r\n").as_bytes());
    }
    tiny.extend_from_slice(format!("--{BOUNDARY_RAW}--\r\n").as_bytes());
    assert!(tiny.len() < 1 << 20);
    let a = post_raw(&api, "/current/user/auth/key/", &[multipart_ct()], &tiny);
    assert_eq!(a.status, Some(413), "{a:?}");

    // One part whose header section never ends short: 1 MiB of name on a chunk.
    let id = session(&api, &[("name", "h.bin"), ("size", "5")]);
    let huge_name = format!("name=\"chunk\"; filename=\"{}\"", "f".repeat(1 << 20));
    let body = multipart_raw(BOUNDARY_RAW, &[(huge_name.into_bytes(), b"hello".to_vec())]);
    let a = post_raw(
        &api,
        &format!("/current/upload/{id}/chunk/?order=1"),
        &[multipart_ct()],
        &body,
    );
    assert_eq!(a.status, Some(413), "{a:?}");
    assert!(
        a.json()["error"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("headers")),
        "{a:?}"
    );
}
