//! The resume token vector (`tests/vectors/upload/resume_token.json`): its
//! format is pinned, and resuming from it finishes the upload correctly.
//!
//! The file is written by this test when missing (`FASTIO_BLESS=1`), from an
//! upload of the `pattern` input (byte i = i mod 251) stopped after its first
//! chunk was acknowledged.

mod common;

use std::path::PathBuf;

use common::fake_server::{BASE, FakeServer, crc32c_of};
use fastio_core::api::Client;
use fastio_core::config::ClientConfig;
use fastio_core::hash::HashAlgo;
use fastio_core::http::HttpResponse;
use fastio_core::upload::plan::PlanConfig;
use fastio_core::upload::{Action, ResumeToken, TokenError, Upload, UploadConfig, UploadSpec};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const LEN: usize = 10_000;

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/upload/resume_token.json")
}

fn pattern() -> Vec<u8> {
    (0..LEN).map(|i| (i % 251) as u8).collect()
}

fn client() -> Client {
    Client::new(ClientConfig::with_api_key(BASE, "k").unwrap()).unwrap()
}

fn config() -> UploadConfig {
    UploadConfig {
        plan: PlanConfig {
            single_request_max: 4096,
            chunk_size: 4096,
            max_in_flight: 1,
            ..PlanConfig::default()
        },
        poll_wait_s: 1,
        ..UploadConfig::default()
    }
}

/// Drives `up` against `server`; stops when `stop` says so, or at the end.
fn drive(
    up: &mut Upload,
    server: &mut FakeServer,
    stop: impl Fn(&Upload) -> bool,
) -> Option<Action> {
    let file = pattern();
    let mut now = 0;
    for _ in 0..1000 {
        if stop(up) {
            return None;
        }
        match up.next_action(now)? {
            Action::Read { id, offset, len } => {
                up.on_data(
                    id,
                    file[offset as usize..(offset + len) as usize].to_vec(),
                    now,
                )
                .unwrap();
            }
            Action::Send { id, request } => {
                let body = request.body.encode(&[]).unwrap();
                let resp: HttpResponse = server.handle(&request, &body);
                up.on_response(id, &resp, now).unwrap();
            }
            Action::Wait { until_ms } => {
                now = until_ms;
                up.on_timeout(now);
            }
            Action::Progress(_) => {}
            end => return Some(end),
        }
    }
    panic!("no end");
}

fn digest_config() -> UploadConfig {
    UploadConfig {
        file_digest: Some(HashAlgo::Sha256),
        ..config()
    }
}

/// The token an upload of `pattern` writes after its first chunk.
fn token_after_chunk_one(cfg: UploadConfig) -> Value {
    let mut server = FakeServer::new();
    let mut up = Upload::new(
        client(),
        UploadSpec::file("pattern.bin", LEN as u64, "ws1"),
        cfg,
    )
    .unwrap();
    drive(&mut up, &mut server, |u| u.progress().chunks_acked == 1);
    serde_json::from_str::<Value>(&up.snapshot().unwrap().to_json()).unwrap()
}

fn make_vector(legacy: Value) -> Value {
    json!({
        "description": "Resume tokens after chunk 1 of 3 was acknowledged. Input: the `pattern` bytes (byte i = i mod 251), 10000 bytes, chunks of 4096. The server holds chunk 1; resuming must send chunks 2 and 3 only. `token` is written by an upload that computes no whole-file digest (the default), so it carries no digest state; `digest_token` by one asked for the SHA-256 (`file_digest: sha256`), resumed with the same option it reports `expect.sha256`; `legacy_token` is the format written before the digest became optional (its state under `sha256`), still read, resumed with `file_digest: sha256` it reports the same digest.",
        "input": {"kind": "pattern", "len": LEN},
        "token": token_after_chunk_one(config()),
        "digest_token": token_after_chunk_one(digest_config()),
        "legacy_token": legacy,
        "expect": {
            "resend": [2, 3],
            "sha256": hex(&Sha256::digest(pattern())),
            "crc32c": format!("{:08x}", crc32c_of(&pattern())),
        }
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Resumes `token` against a server holding chunk 1 and checks what is sent
/// again and what the result reports.
fn resume_and_check(
    v: &Value,
    token: &Value,
    cfg: UploadConfig,
) -> fastio_core::upload::UploadDone {
    let token = ResumeToken::from_json(&token.to_string()).unwrap();
    assert_eq!(token.acked.len(), 1);
    let mut server = FakeServer::new();
    let mut up = Upload::new(
        client(),
        UploadSpec::file("pattern.bin", LEN as u64, "ws1"),
        config(),
    )
    .unwrap();
    drive(&mut up, &mut server, |u| u.progress().chunks_acked == 1);
    let id = token.upload_id.clone();
    assert!(
        server.sessions.contains_key(&id),
        "the fake server numbers sessions the same way"
    );
    let before = server.chunk_posts.clone();
    let mut resumed = Upload::resume(client(), &token, cfg).unwrap();
    let Some(Action::Done(done)) = drive(&mut resumed, &mut server, |_| false) else {
        panic!("resume did not finish")
    };
    assert_eq!(done.crc32c, v["expect"]["crc32c"].as_str().unwrap());
    let resent: Vec<u64> = server
        .chunk_posts
        .iter()
        .filter(|(k, n)| k.0 == id && before.get(k) != Some(n))
        .map(|(k, _)| k.1)
        .collect();
    let want: Vec<u64> = serde_json::from_value(v["expect"]["resend"].clone()).unwrap();
    assert_eq!(resent, want);
    assert_eq!(server.stored(&id).unwrap(), &pattern()[..]);
    done
}

#[test]
fn resume_token_vector() {
    let v: Value =
        serde_json::from_slice(&std::fs::read(path()).expect("resume_token.json")).unwrap();
    // The format is stable: what this version writes for the same state is
    // what the file holds (`FASTIO_BLESS=1` rewrites it, keeping the legacy
    // token as it was written).
    let fresh = make_vector(v["legacy_token"].clone());
    if std::env::var("FASTIO_BLESS").is_ok() && fresh != v {
        std::fs::write(path(), serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
    }
    assert_eq!(fresh["token"], v["token"], "the token format changed");
    assert_eq!(
        fresh["digest_token"], v["digest_token"],
        "the token format changed"
    );
    assert!(
        v["token"].get("file_digest").is_none() && v["token"].get("sha256").is_none(),
        "a token carries only the states in use"
    );

    // No digest asked for: none computed, none reported.
    let done = resume_and_check(&v, &v["token"], config());
    assert_eq!(done.digest, None);
    // Asked for now, but the token has no state: the digest of the whole
    // file cannot be known without reading it all again, so it is missing,
    // never a digest of the bytes read after resuming.
    let done = resume_and_check(&v, &v["token"], digest_config());
    assert_eq!(done.digest, None);
    // Asked for and carried: the whole file's SHA-256, new and old format.
    for key in ["digest_token", "legacy_token"] {
        let done = resume_and_check(&v, &v[key], digest_config());
        let d = done.digest.expect(key);
        assert_eq!(d.algo(), HashAlgo::Sha256, "{key}");
        assert_eq!(d.to_hex(), v["expect"]["sha256"].as_str().unwrap(), "{key}");
    }
    // A state in another algorithm than the one asked for is not used.
    let md5 = UploadConfig {
        file_digest: Some(HashAlgo::Md5),
        ..config()
    };
    assert_eq!(resume_and_check(&v, &v["digest_token"], md5).digest, None);
}

#[test]
fn bad_tokens_are_typed_errors() {
    assert!(matches!(
        ResumeToken::from_json("not json"),
        Err(TokenError::Malformed(_))
    ));
    assert!(matches!(
        ResumeToken::from_json(r#"{"version": 99}"#),
        Err(TokenError::Version { found: 99 })
    ));
    let v: Value = serde_json::from_slice(&std::fs::read(path()).unwrap()).unwrap();
    let mut t = v["token"].clone();
    t["acked"][0]["order"] = json!(99);
    assert!(matches!(
        ResumeToken::from_json(&t.to_string()),
        Err(TokenError::Inconsistent(_))
    ));
    let mut t = v["token"].clone();
    t["size"] = json!(5);
    assert!(matches!(
        ResumeToken::from_json(&t.to_string()),
        Err(TokenError::Inconsistent(_))
    ));
    // A plan of more chunks than any upload may have (the machine would
    // allocate a record for each) is refused while reading the token.
    let mut t = v["token"].clone();
    t["size"] = json!(u64::MAX);
    t["plan"] = json!({"kind": "chunked", "size": u64::MAX, "chunk_size": 1,
        "chunk_count": u64::MAX, "max_in_flight": 1});
    assert!(ResumeToken::from_json(&t.to_string()).is_err());
    // Chunk sizes and in-flight counts a host would allocate for: a 4 TiB
    // or 2 GiB chunk, or a thousand chunks in flight, are refused while
    // reading the token, before any buffer exists.
    for (size, chunk_size, in_flight) in [
        (1u64 << 43, 1u64 << 42, 1u32),
        (4u64 << 30, 2u64 << 30, 1),
        (1 << 30, 1 << 20, 1000),
        (1 << 30, 64 << 20, 8),
    ] {
        let mut t = v["token"].clone();
        t["size"] = json!(size);
        t["acked"] = json!([]);
        t["read_crcs"] = json!([]);
        t["plan"] = json!({"kind": "chunked", "size": size, "chunk_size": chunk_size,
            "chunk_count": size.div_ceil(chunk_size), "max_in_flight": in_flight});
        match ResumeToken::from_json(&t.to_string()) {
            Err(TokenError::Malformed(m)) => assert!(m.contains("ceiling"), "{m}"),
            other => panic!("chunk {chunk_size} × {in_flight}: {other:?}"),
        }
    }
    for key in ["file_digest", "sha256"] {
        let mut t = v["token"].clone();
        t[key] = json!("AAAA");
        assert!(ResumeToken::from_json(&t.to_string()).is_err(), "{key}");
    }
    // A digest state that claims more bytes than the file has.
    let mut t = v["digest_token"].clone();
    t["size"] = json!(100);
    t["plan"] = json!({"kind": "chunked", "size": 100, "chunk_size": 64,
        "chunk_count": 2, "max_in_flight": 1});
    t["acked"] = json!([]);
    t["read_crcs"] = json!([]);
    assert!(matches!(
        ResumeToken::from_json(&t.to_string()),
        Err(TokenError::Inconsistent(_))
    ));
    // Truncations of a valid token never panic.
    let text = v["token"].to_string();
    for n in 0..text.len() {
        let _ = ResumeToken::from_json(&text[..n]);
    }
}
