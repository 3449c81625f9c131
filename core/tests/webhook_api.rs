//! The public webhook API used the way a receiver uses it: redaction,
//! error messages, the replay guard and events after verification.

use fastio_core::secret::Secret;
use fastio_core::webhook::{
    ErrorKind, Event, Hint, ReplayGuard, ReplayVerdict, Scheme, Signer, StorageAction,
    TimestampCheck, Tolerance, Verifier, WebhookError, parse_event,
};

const SECRET: &str = "sk_webhook_7f3a9c1e2d";
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[test]
fn secrets_never_appear_in_debug_output() {
    for scheme in [Scheme::Fastio, Scheme::StandardWebhooks, Scheme::Stripe] {
        let secret = if scheme == Scheme::StandardWebhooks {
            WHSEC
        } else {
            SECRET
        };
        let secrets = [Secret::new(secret)];
        let verifier = Verifier::new(scheme.clone(), &secrets, TimestampCheck::Skip).unwrap();
        let signer = Signer::new(scheme, &secrets[0]).unwrap();
        for text in [
            format!("{verifier:?}"),
            format!("{signer:?}"),
            format!("{secrets:?}"),
        ] {
            assert!(!text.contains(secret), "secret in {text}");
            assert!(!text.contains(&secret[6..]), "secret in {text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
    }
}

#[test]
fn secrets_never_appear_in_errors() {
    let bad = [
        format!("{SECRET}\n"),
        format!("v1,{SECRET}"),
        "whsec_!!not-base64!!".to_owned(),
    ];
    for secret in bad {
        for scheme in [Scheme::Fastio, Scheme::StandardWebhooks] {
            let Err(e) =
                Verifier::new(scheme, &[Secret::new(secret.clone())], TimestampCheck::Skip)
            else {
                continue;
            };
            assert_eq!(e.kind(), ErrorKind::InvalidSecret);
            let core = secret
                .trim()
                .trim_start_matches("v1,")
                .trim_start_matches("whsec_");
            for text in [e.to_string(), format!("{e:?}")] {
                assert!(!text.contains(core), "secret in {text}");
            }
        }
    }
    // A failed verification says nothing about the expected signature.
    let verifier =
        Verifier::new(Scheme::Fastio, &[Secret::new(SECRET)], TimestampCheck::Skip).unwrap();
    let expected = &Signer::new(Scheme::Fastio, &Secret::new(SECRET))
        .unwrap()
        .sign(None, None, b"{}")
        .unwrap()[0]
        .1;
    let e = verifier
        .verify(&[("x-fastio-signature", "00".repeat(32))], b"{}", 0)
        .unwrap_err();
    assert!(!e.to_string().contains(expected.as_str()));
    assert!(!format!("{e:?}").contains(expected.as_str()));
}

#[test]
fn errors_read_well_and_carry_hints() {
    let e = Verifier::new(
        Scheme::Fastio,
        &[Secret::new(format!("{SECRET}\n"))],
        TimestampCheck::Skip,
    )
    .unwrap_err();
    assert_eq!(e.hint(), Some(Hint::SecretWhitespace));
    assert_eq!(
        e.to_string(),
        "secret #0 is invalid: leading or trailing whitespace (hint: the secret has leading or trailing whitespace, often a copied newline; trim it)"
    );

    let verifier = Verifier::new(
        Scheme::StandardWebhooks,
        &[Secret::new(WHSEC)],
        TimestampCheck::Within(Tolerance::DEFAULT),
    )
    .unwrap();
    let e = verifier
        .verify(
            &[("Webhook-Timestamp", "1"), ("webhook-signature", "v1,AA==")],
            b"",
            1,
        )
        .unwrap_err();
    assert_eq!(
        e,
        WebhookError::MissingHeader {
            name: "webhook-id".into()
        }
    );
    assert_eq!(e.to_string(), "missing header `webhook-id`");

    let e = verifier
        .verify(
            &[
                ("webhook-id", "m"),
                ("webhook-timestamp", "1"),
                ("webhook-signature", WHSEC),
            ],
            b"",
            1,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedHeader);
    assert_eq!(e.hint(), Some(Hint::SignatureLooksLikeSecret));
    assert!(!e.to_string().contains(&WHSEC[6..]));
}

#[test]
fn timestamp_errors_are_distinct_and_only_for_genuine_deliveries() {
    let secret = Secret::new(SECRET);
    let signer = Signer::new(Scheme::Stripe, &secret).unwrap();
    let tolerance = Tolerance {
        max_age_s: 60,
        max_future_s: 5,
    };
    let verifier =
        Verifier::new(Scheme::Stripe, &[secret], TimestampCheck::Within(tolerance)).unwrap();
    let old = signer.sign(None, Some(1_000), b"x").unwrap();
    let future = signer.sign(None, Some(2_006), b"x").unwrap();
    assert!(matches!(
        verifier.verify(&old, b"x", 2_000),
        Err(WebhookError::TimestampTooOld {
            timestamp: 1_000,
            now: 2_000,
            max_age_s: 60,
            ..
        })
    ));
    assert!(matches!(
        verifier.verify(&future, b"x", 2_000),
        Err(WebhookError::TimestampInFuture {
            timestamp: 2_006,
            max_future_s: 5,
            ..
        })
    ));
    // The same stale header with a forged signature is just a mismatch.
    let forged = [(
        "stripe-signature".to_owned(),
        format!("t=1000,v1={}", "ab".repeat(32)),
    )];
    assert_eq!(
        verifier.verify(&forged, b"x", 2_000).unwrap_err().kind(),
        ErrorKind::NoMatchingSignature
    );
}

#[test]
fn signing_needs_what_the_scheme_signs() {
    let signer = Signer::new(Scheme::StandardWebhooks, &Secret::new(WHSEC)).unwrap();
    assert_eq!(
        signer.sign(None, Some(1), b"").unwrap_err(),
        WebhookError::MissingSigningInput { what: "id" }
    );
    assert_eq!(
        signer.sign(Some("msg"), None, b"").unwrap_err(),
        WebhookError::MissingSigningInput { what: "timestamp" }
    );
}

#[test]
fn a_receiver_verifies_deduplicates_and_reads_the_event() {
    let secret = Secret::new(WHSEC);
    let signer = Signer::new(Scheme::StandardWebhooks, &secret).unwrap();
    let tolerance = Tolerance::DEFAULT;
    let verifier = Verifier::new(
        Scheme::StandardWebhooks,
        &[secret],
        TimestampCheck::Within(tolerance),
    )
    .unwrap();
    let mut guard = ReplayGuard::new(tolerance.window_s(), 1024);

    let body = br#"{"type":"share_storage_file_moved","data":{"share_id":77,"node_id":"n_5","actor":{"id":"u_1"}}}"#;
    let now = 1_750_000_000;
    let headers = signer.sign(Some("msg_1"), Some(now - 10), body).unwrap();

    let delivery = verifier.verify(&headers, body, now).unwrap();
    assert_eq!(delivery.id.as_deref(), Some("msg_1"));
    assert_eq!(delivery.timestamp, Some(now - 10));
    let id = delivery.id.as_deref().unwrap();
    assert_eq!(guard.check(id, now), ReplayVerdict::Fresh);

    // The same delivery again a minute later: still valid, but a replay.
    let again = verifier.verify(&headers, body, now + 60).unwrap();
    assert_eq!(
        guard.check(again.id.as_deref().unwrap(), now + 60),
        ReplayVerdict::Replayed
    );

    let event = parse_event(body).unwrap();
    let Event::Storage { action, info, .. } = &event else {
        panic!("not a storage event: {event:?}");
    };
    assert_eq!(*action, StorageAction::Moved);
    assert_eq!(info.share_id.as_deref(), Some("77"));
    assert_eq!(info.actor.as_deref(), Some("u_1"));
    assert_eq!(event.name(), "share_storage_file_moved");
}

#[test]
fn verifier_signer_and_guard_can_be_shared_across_threads() {
    // Bindings hand these objects to other threads (UniFFI objects are
    // Send + Sync; web servers verify on a pool).
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<Verifier>();
    shareable::<Signer>();
    shareable::<ReplayGuard>();
    shareable::<WebhookError>();
    shareable::<Event>();
}

#[test]
fn interoperates_with_the_standardwebhooks_crate() {
    // That crate reads the system clock itself, so use the real time here.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let body = br#"{"type":"ai_chat_new_message","data":{"chat_id":"c_1"}}"#;
    let theirs = standardwebhooks::Webhook::new(WHSEC).unwrap();
    let secret = Secret::new(WHSEC);

    // Ours signs, theirs verifies.
    let headers = Signer::new(Scheme::StandardWebhooks, &secret)
        .unwrap()
        .sign(Some("msg_interop"), Some(now), body)
        .unwrap();
    let mut map = http::HeaderMap::new();
    for (name, value) in &headers {
        map.insert(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    theirs.verify(body, &map).unwrap();

    // Theirs signs, ours verifies.
    let signature = theirs.sign("msg_interop", now as i64, body).unwrap();
    let headers = [
        ("webhook-id", "msg_interop".to_owned()),
        ("webhook-timestamp", now.to_string()),
        ("webhook-signature", signature),
    ];
    let verifier = Verifier::new(
        Scheme::StandardWebhooks,
        &[secret],
        TimestampCheck::Within(Tolerance::DEFAULT),
    )
    .unwrap();
    let delivery = verifier.verify(&headers, body, now).unwrap();
    assert_eq!(delivery.id.as_deref(), Some("msg_interop"));
}
