//! Feeds arbitrary text to every webhook header parser and to the verifier
//! of every scheme. Nothing may panic, and random input must never verify.

#![no_main]

use fastio_core::secret::Secret;
use fastio_core::webhook::header::{
    decode_signature, find, parse_standard, parse_timestamp, parse_timestamped,
};
use fastio_core::webhook::{
    CustomScheme, Encoding, Scheme, Template, TimestampCheck, Tolerance, Verifier,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    // The parsers on their own.
    let _ = parse_timestamp(&text);
    if let Ok(list) = parse_timestamped(&text) {
        for sig in list.signatures() {
            let _ = decode_signature(sig, Encoding::Hex);
            let _ = decode_signature(sig, Encoding::Base64);
        }
    }
    if let Ok(list) = parse_standard(&text) {
        let _ = list.has_other_versions();
        for sig in list.v1() {
            let _ = decode_signature(sig, Encoding::Base64);
        }
    }
    let _ = decode_signature(&text, Encoding::Hex);
    let _ = decode_signature(&text, Encoding::Base64);
    let _ = Template::parse(&text);

    // The whole verifier: split the input into header values and a body.
    let mut parts = text.split('\n');
    let values: Vec<&str> = parts.by_ref().take(4).collect();
    let body: String = parts.collect::<Vec<_>>().join("\n");
    let value = |i: usize| values.get(i).copied().unwrap_or("").to_owned();
    let names = [
        "x-fastio-signature",
        "fastio-signature",
        "x-fastio-timestamp",
        "webhook-signature",
        "webhook-id",
        "webhook-timestamp",
        "x-hub-signature-256",
        "stripe-signature",
        "x-shopify-hmac-sha256",
        "x-sig",
        "x-id",
        "x-ts",
    ];
    let headers: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| ((*n).to_owned(), value(i % 4)))
        .collect();
    let _ = find(&headers, "WEBHOOK-ID");

    let mut custom = CustomScheme::new("x-sig", Encoding::Base64);
    custom.id_header = Some("x-id".into());
    custom.timestamp_header = Some("x-ts".into());
    if let Ok(template) = Template::parse("{id}.{timestamp}.{body}") {
        custom.template = template;
    }
    let schemes = [
        Scheme::Fastio,
        Scheme::FastioTimestamped,
        Scheme::fastio_timestamped_hex(),
        Scheme::StandardWebhooks,
        Scheme::GitHub,
        Scheme::Stripe,
        Scheme::Shopify,
        Scheme::Custom(custom),
    ];
    for scheme in schemes {
        let secret = if scheme == Scheme::StandardWebhooks {
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        } else {
            "fuzz-secret"
        };
        let Ok(verifier) = Verifier::new(
            scheme,
            &[Secret::new(secret)],
            TimestampCheck::Within(Tolerance::DEFAULT),
        ) else {
            continue;
        };
        let now = parse_timestamp(&value(1)).unwrap_or(0);
        assert!(verifier.verify(&headers, body.as_bytes(), now).is_err());
    }
});
