//! The upload policy: sniffing and grant vectors (written by an independent
//! Python generator), streaming size and type checks, and grant properties.

mod common;

use base64::Engine;
use fastio_core::policy::*;
use fastio_core::secret::Secret;
use proptest::prelude::*;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = common::vector_files("policy")
        .into_iter()
        .find(|p| p.ends_with(name))
        .expect("policy vector file");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn kind_name(s: &Sniff) -> String {
    match s {
        Sniff::Known(k) => k.name().to_string(),
        Sniff::NeedMore => "need_more".into(),
        Sniff::Unknown => "unknown".into(),
    }
}

#[test]
fn sniff_vectors() {
    let doc = load("sniff.json");
    let sniffer = Sniffer::new();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let head = base64::engine::general_purpose::STANDARD
            .decode(c["head_b64"].as_str().unwrap())
            .unwrap();
        let got = sniffer.sniff(&head, c["complete"].as_bool().unwrap());
        assert_eq!(
            kind_name(&got),
            c["expect"].as_str().unwrap(),
            "case {}",
            c["name"]
        );
        // Fed a byte at a time through a watch, the same kind comes out.
        if c["complete"].as_bool() == Some(true) {
            let mut w = UploadPolicy::default()
                .watch(Some(head.len() as u64), Sniffer::new())
                .unwrap();
            for b in &head {
                w.feed(std::slice::from_ref(b)).unwrap();
            }
            let kind = w.finish().unwrap();
            let name = kind.as_ref().map_or("unknown", FileKind::name).to_string();
            assert_eq!(name, c["expect"].as_str().unwrap(), "watch {}", c["name"]);
        }
    }
}

fn error_name(e: &GrantError) -> &'static str {
    match e {
        GrantError::Malformed(_) => "malformed",
        GrantError::WrongKey => "wrong_key",
        GrantError::Tampered => "tampered",
        GrantError::Expired { .. } => "expired",
        GrantError::NotYetValid { .. } => "not_yet_valid",
        GrantError::EmptyKey => "empty_key",
        _ => "other",
    }
}

#[test]
fn grant_vectors() {
    let doc = load("grants.json");
    for c in doc["cases"].as_array().unwrap() {
        let keys: Vec<GrantKey> = c["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| GrantKey::new(Secret::new(k.as_str().unwrap())).unwrap())
            .collect();
        let token = c["token"].as_str().unwrap();
        if let Some(g) = c.get("issue") {
            let grant: Grant = serde_json::from_value(g.clone()).unwrap();
            assert_eq!(
                keys[0].issue(&grant).unwrap(),
                token,
                "issued token is byte-identical"
            );
        }
        let ring = GrantKeyring::new(keys);
        let got = ring.verify(token, c["now"].as_u64().unwrap());
        match (&c["expect"].get("ok"), got) {
            (Some(want), Ok(g)) => {
                assert_eq!(&serde_json::to_value(&g).unwrap(), *want, "{}", c["name"])
            }
            (None, Err(e)) => assert_eq!(
                error_name(&e),
                c["expect"]["error"].as_str().unwrap(),
                "{}",
                c["name"]
            ),
            (w, g) => panic!("case {}: expected {w:?}, got {g:?}", c["name"]),
        }
    }
}

#[test]
fn size_limits_refuse_early_and_while_streaming() {
    let p = UploadPolicy {
        max_size: Some(100),
        allowed: vec![],
    };
    assert_eq!(p.check_declared(Some(101)).unwrap_err().http_status(), 413);
    assert!(
        p.watch(Some(101), Sniffer::new()).is_err(),
        "declared over the limit: before any byte"
    );
    let mut w = p.watch(None, Sniffer::new()).unwrap();
    w.feed(&[b'a'; 60]).unwrap();
    let e = w.feed(&[b'a'; 41]).unwrap_err();
    assert_eq!(
        e,
        PolicyError::TooLarge {
            size: 101,
            max: 100
        }
    );
    let mut w = p.watch(Some(50), Sniffer::new()).unwrap();
    w.feed(b"short").unwrap();
    assert!(matches!(
        w.finish(),
        Err(PolicyError::Truncated {
            declared: 50,
            got: 5
        })
    ));
    assert_eq!(p.clone().with_max_size(Some(10)).max_size, Some(10));
    assert_eq!(p.with_max_size(None).max_size, Some(100));
}

#[test]
fn disallowed_types_are_refused_on_the_first_bytes() {
    let p = UploadPolicy {
        max_size: None,
        allowed: vec![FileKind::Pdf, FileKind::Png],
    };
    let mut w = p.watch(Some(1_000_000), Sniffer::new()).unwrap();
    let e = w.feed(b"\xff\xd8\xff\xe0 a jpeg").unwrap_err();
    assert_eq!(e.http_status(), 415);
    assert!(e.to_string().contains("jpeg"), "{e}");
    let mut w = p.watch(Some(1_000_000), Sniffer::new()).unwrap();
    w.feed(b"%PDF-1.4").unwrap();
    assert_eq!(w.kind(), Some(&FileKind::Pdf));
    // Unknown bytes are refused when a list is given.
    let mut w = p.watch(None, Sniffer::new()).unwrap();
    w.feed(b"\x00\x01\x02").unwrap();
    assert!(w.finish().is_err());
}

#[test]
fn custom_signatures_extend_the_sniffer() {
    let s = Sniffer::new().with_signature(Signature {
        offset: 0,
        magic: b"\x1f\x8b".to_vec(),
        kind: FileKind::from_name("gzip"),
    });
    assert_eq!(
        s.sniff(b"\x1f\x8b\x08\x00", true),
        Sniff::Known(FileKind::Custom("gzip".into()))
    );
    assert_eq!(FileKind::from_name("JPG"), FileKind::Jpeg);
}

#[test]
fn grant_keys_are_redacted() {
    let k = GrantKey::new(Secret::new("top-secret-key")).unwrap();
    assert!(!format!("{k:?}").contains("top-secret"));
    assert!(matches!(
        GrantKey::new(Secret::new("")),
        Err(GrantError::EmptyKey)
    ));
}

proptest! {
    #[test]
    fn grants_round_trip_and_any_flip_fails(
        key in "[ -~]{1,40}",
        ws in "[0-9]{1,19}",
        max in any::<u64>(),
        ttl in 1u64..100_000,
        flip in any::<proptest::sample::Index>(),
    ) {
        let k = GrantKey::new(Secret::new(key)).unwrap();
        let g = Grant { workspace: ws, folder: "root".into(), max_size: max, expires: 1_000 + ttl, issued: 1_000, nonce: "x".into() };
        let t = k.issue(&g).unwrap();
        let ring = GrantKeyring::new(vec![k]);
        prop_assert_eq!(ring.verify(&t, 1_000).unwrap(), g);
        let mut bytes = t.into_bytes();
        let i = flip.index(bytes.len());
        bytes[i] ^= 0x01;
        if let Ok(s) = String::from_utf8(bytes) {
            prop_assert!(ring.verify(&s, 1_000).is_err());
        }
    }

    #[test]
    fn sniffing_never_panics_and_pieces_agree(data in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..300) {
        let s = Sniffer::new();
        let whole = s.sniff(&data, true);
        let mut w = UploadPolicy::default().watch(Some(data.len() as u64), Sniffer::new()).unwrap();
        let cut = cut.min(data.len());
        w.feed(&data[..cut]).unwrap();
        w.feed(&data[cut..]).unwrap();
        let k = w.finish().unwrap();
        prop_assert_eq!(kind_name(&whole), k.as_ref().map_or("unknown".to_string(), |k| k.name().to_string()));
    }
}

/// A grant whose signed token would be longer than any keyring reads (a
/// long nonce from a caller) is refused when issued, not handed out to fail
/// later; one just under the bound is issued and verifies.
#[test]
fn a_grant_too_long_to_verify_is_never_issued() {
    let k = GrantKey::new(Secret::new("grant-secret-for-tests")).unwrap();
    let ring = GrantKeyring::new(vec![k.clone()]);
    let grant = |nonce: String| Grant {
        workspace: "4000000000000000001".into(),
        folder: "root".into(),
        max_size: 1 << 30,
        expires: 2_000_000_000,
        issued: 1_767_225_600,
        nonce,
    };
    let mut fits = 0;
    for n in (2_800..3_200).step_by(7) {
        let g = grant("n".repeat(n));
        match k.issue(&g) {
            Ok(token) => {
                assert!(token.len() <= fastio_core::policy::MAX_GRANT_LEN);
                assert_eq!(ring.verify(&token, 1_767_225_601), Ok(g));
                fits += 1;
            }
            Err(e) => assert!(e.to_string().contains("too long"), "{e}"),
        }
    }
    assert!(fits > 0, "some grants near the bound fit");
    assert!(k.issue(&grant("n".repeat(5_000))).is_err());
}
