//! Properties of sign-then-verify over random schemes, secrets and bodies.

use base64::Engine as _;
use fastio_core::secret::Secret;
use fastio_core::webhook::{
    Algorithm, CustomScheme, Encoding, Scheme, Signer, Template, TimestampCheck, Verifier,
};
use proptest::prelude::*;

fn custom_scheme() -> impl Strategy<Value = Scheme> {
    let template = prop_oneof![
        Just("{body}"),
        Just("{timestamp}.{body}"),
        Just("{id}.{timestamp}.{body}"),
        Just("v0:{timestamp}:{id}:{body}"),
        Just("{body}|{id}"),
    ];
    (
        template,
        prop_oneof![Just(Encoding::Hex), Just(Encoding::Base64)],
        prop_oneof![Just(Algorithm::Sha256), Just(Algorithm::Sha512)],
        prop_oneof![Just(""), Just("sha256="), Just("v1=")],
    )
        .prop_map(|(template, encoding, algorithm, prefix)| {
            let mut custom = CustomScheme::new("X-Sig", encoding);
            custom.algorithm = algorithm;
            custom.prefix = prefix.to_owned();
            custom.template = Template::parse(template).unwrap();
            if template.contains("{id}") {
                custom.id_header = Some("X-Id".to_owned());
            }
            if template.contains("{timestamp}") {
                custom.timestamp_header = Some("X-Ts".to_owned());
            }
            Scheme::Custom(custom)
        })
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop_oneof![
        Just(Scheme::Fastio),
        Just(Scheme::FastioTimestamped),
        Just(Scheme::fastio_timestamped_hex()),
        Just(Scheme::StandardWebhooks),
        Just(Scheme::GitHub),
        Just(Scheme::Stripe),
        Just(Scheme::Shopify),
        custom_scheme(),
    ]
}

/// A secret of the right shape for the scheme: for Standard Webhooks
/// `whsec_` + base64 of random bytes (HMAC, `v1`) or `whsk_` + base64 of a
/// random ed25519 seed (`v1a`); printable text otherwise.
fn secret_for(scheme: &Scheme) -> BoxedStrategy<Secret> {
    if *scheme == Scheme::StandardWebhooks {
        let b64 = |k: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(k);
        prop_oneof![
            prop::collection::vec(any::<u8>(), 16..48)
                .prop_map(move |k| Secret::new(format!("whsec_{}", b64(k)))),
            prop::collection::vec(any::<u8>(), 32..=32)
                .prop_map(move |k| Secret::new(format!("whsk_{}", b64(k)))),
        ]
        .boxed()
    } else {
        "[A-Za-z0-9_][A-Za-z0-9_.:/+=-]{0,63}"
            .prop_map(Secret::new)
            .boxed()
    }
}

#[derive(Debug, Clone)]
struct Delivery {
    scheme: Scheme,
    secret: Secret,
    id: String,
    timestamp: u64,
    body: Vec<u8>,
}

fn delivery() -> impl Strategy<Value = Delivery> {
    scheme().prop_flat_map(|scheme| {
        (
            Just(scheme.clone()),
            secret_for(&scheme),
            "[A-Za-z0-9_-]{1,40}",
            1_000_000_000u64..4_000_000_000,
            prop::collection::vec(any::<u8>(), 0..1500),
        )
            .prop_map(|(scheme, secret, id, timestamp, body)| Delivery {
                scheme,
                secret,
                id,
                timestamp,
                body,
            })
    })
}

fn signed(d: &Delivery) -> Vec<(String, String)> {
    Signer::new(d.scheme.clone(), &d.secret)
        .unwrap()
        .sign(Some(&d.id), Some(d.timestamp), &d.body)
        .unwrap()
}

/// Skipping the timestamp check isolates what the signature covers.
fn verifier(d: &Delivery) -> Verifier {
    Verifier::new(
        d.scheme.clone(),
        std::slice::from_ref(&d.secret),
        TimestampCheck::Skip,
    )
    .unwrap()
}

/// Flips one bit (of the low seven, so the text stays ASCII) in the value of
/// header `index`; returns the original byte.
fn flip(headers: &mut [(String, String)], index: usize, at: usize, bit: u8) -> u8 {
    let value = &mut headers[index].1;
    let mut bytes = std::mem::take(value).into_bytes();
    let at = at % bytes.len();
    let original = bytes[at];
    bytes[at] ^= 1 << bit;
    *value = String::from_utf8(bytes).unwrap();
    original
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn sign_then_verify_round_trips(d in delivery(), shuffle in any::<bool>()) {
        let mut headers = signed(&d);
        if shuffle {
            headers.reverse();
            for (name, _) in &mut headers {
                *name = name.to_ascii_uppercase();
            }
        }
        let strict = Verifier::new(
            d.scheme.clone(),
            std::slice::from_ref(&d.secret),
            TimestampCheck::Within(fastio_core::webhook::Tolerance::DEFAULT),
        )
        .unwrap();
        let got = strict.verify(&headers, &d.body, d.timestamp).unwrap();
        prop_assert_eq!(got.scheme, d.scheme.kind());
        prop_assert_eq!(got.secret_index, 0);
        prop_assert_eq!(got.timestamp.is_some(), d.scheme.has_timestamp());
        if let Some(ts) = got.timestamp {
            prop_assert_eq!(ts, d.timestamp);
        }
        if let Some(id) = got.id {
            prop_assert_eq!(id, d.id.clone());
        }
    }

    #[test]
    fn rotation_reports_the_matching_secret(d in delivery(), before in 0usize..3) {
        let headers = signed(&d);
        let mut secrets: Vec<Secret> = (0..before)
            .map(|i| match d.scheme {
                Scheme::StandardWebhooks => Secret::new(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode([i as u8 + 1; 24]))),
                _ => Secret::new(format!("old-secret-{i}")),
            })
            .collect();
        secrets.push(d.secret.clone());
        let v = Verifier::new(d.scheme.clone(), &secrets, TimestampCheck::Skip).unwrap();
        prop_assert_eq!(v.verify(&headers, &d.body, d.timestamp).unwrap().secret_index, before);
    }

    #[test]
    fn flipping_a_body_bit_fails(d in delivery(), at in any::<usize>(), bit in 0u8..8) {
        prop_assume!(!d.body.is_empty());
        let headers = signed(&d);
        let mut body = d.body.clone();
        let at = at % body.len();
        body[at] ^= 1 << bit;
        prop_assert!(verifier(&d).verify(&headers, &body, d.timestamp).is_err());
    }

    #[test]
    fn flipping_a_signature_bit_fails(d in delivery(), at in any::<usize>(), bit in 0u8..7) {
        let mut headers = signed(&d);
        // The signer puts the signature header first.
        let original = flip(&mut headers, 0, at, bit);
        let result = verifier(&d).verify(&headers, &d.body, d.timestamp);
        // Hex is accepted in either case, so toggling the case bit of a hex
        // letter is the one flip that leaves the signature intact.
        let case_of_hex_letter = bit == 5 && original.is_ascii_hexdigit() && original.is_ascii_alphabetic();
        prop_assert!(result.is_err() || case_of_hex_letter, "accepted after flip: {:?}", headers);
    }

    #[test]
    fn flipping_a_signed_timestamp_or_id_bit_fails(d in delivery(), at in any::<usize>(), bit in 0u8..7, pick in any::<prop::sample::Index>()) {
        let headers = signed(&d);
        let ts = d.timestamp.to_string();
        // Signed values outside the signature header: Standard Webhooks' id
        // and timestamp, the hex Fast.io timestamp, custom id/timestamp.
        let signed_elsewhere: Vec<usize> = headers
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, (name, value))| {
                let id_signed = matches!(&d.scheme, Scheme::StandardWebhooks)
                    || matches!(&d.scheme, Scheme::Custom(c) if c.template.to_string().contains("{id}"));
                *value == ts || (id_signed && *value == d.id && name != "x-github-delivery")
            })
            .map(|(i, _)| i)
            .collect();
        prop_assume!(!signed_elsewhere.is_empty());
        let index = signed_elsewhere[pick.index(signed_elsewhere.len())];
        let mut headers = headers;
        flip(&mut headers, index, at, bit);
        prop_assert!(verifier(&d).verify(&headers, &d.body, d.timestamp).is_err(), "accepted after flip: {:?}", headers);
    }

    #[test]
    fn verify_never_panics_on_arbitrary_headers(
        d in delivery(),
        values in prop::collection::vec("\\PC{0,80}", 1..4),
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in any::<u64>(),
    ) {
        let names = ["x-fastio-signature", "fastio-signature", "webhook-signature", "webhook-id",
                     "webhook-timestamp", "stripe-signature", "x-sig", "x-ts", "x-id", "x-fastio-timestamp"];
        let headers: Vec<(String, String)> = names
            .iter()
            .zip(values.iter().cycle())
            .map(|(n, v)| (n.to_string(), v.clone()))
            .collect();
        let v = Verifier::new(d.scheme.clone(), std::slice::from_ref(&d.secret), TimestampCheck::Within(fastio_core::webhook::Tolerance::DEFAULT)).unwrap();
        // Random text must not verify; the call must return either way.
        prop_assert!(v.verify(&headers, &body, now).is_err());
    }
}
