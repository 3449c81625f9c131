//! Runs every case in `tests/vectors/webhooks/*.json` through the verifier,
//! and through the signer where a case says how it was signed. The vectors
//! come from `generate.py` beside them (Python's hmac/hashlib/base64), not
//! from this crate.

use std::path::PathBuf;

use base64::Engine as _;
use fastio_core::secret::Secret;
use fastio_core::webhook::{
    Algorithm, CustomScheme, Encoding, Scheme, Signer, Template, TimestampCheck, Tolerance,
    Verifier, WebhookError,
};
use serde_json::Value;

fn vector_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/webhooks")
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` missing in {v}"))
}

fn opt_text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Builds a scheme from its vector description; `Err` carries the error the
/// core reports for an invalid template.
fn scheme(v: &Value) -> Result<Scheme, WebhookError> {
    Ok(match text(v, "name") {
        "fastio" => Scheme::Fastio,
        "fastio-timestamped" => Scheme::FastioTimestamped,
        "fastio-timestamped-hex" => Scheme::FastioTimestampedHex {
            timestamp_header: text(v, "timestamp_header").to_owned(),
        },
        "standard-webhooks" => Scheme::StandardWebhooks,
        "github" => Scheme::GitHub,
        "stripe" => Scheme::Stripe,
        "shopify" => Scheme::Shopify,
        "custom" => {
            let encoding = match text(v, "encoding") {
                "hex" => Encoding::Hex,
                "base64" => Encoding::Base64,
                other => panic!("unknown encoding {other}"),
            };
            let mut custom = CustomScheme::new(text(v, "signature_header"), encoding);
            custom.id_header = opt_text(v, "id_header");
            custom.timestamp_header = opt_text(v, "timestamp_header");
            custom.prefix = opt_text(v, "prefix").unwrap_or_default();
            custom.algorithm = match text(v, "algorithm") {
                "sha256" => Algorithm::Sha256,
                "sha512" => Algorithm::Sha512,
                other => panic!("unknown algorithm {other}"),
            };
            custom.template = Template::parse(text(v, "template"))?;
            Scheme::Custom(custom)
        }
        other => panic!("unknown scheme {other}"),
    })
}

fn timestamp_check(v: &Value) -> TimestampCheck {
    match v {
        Value::String(s) if s == "skip" => TimestampCheck::Skip,
        Value::Object(_) => TimestampCheck::Within(Tolerance {
            max_age_s: v["max_age_s"].as_u64().unwrap(),
            max_future_s: v["max_future_s"].as_u64().unwrap(),
        }),
        other => panic!("bad timestamp_check {other}"),
    }
}

fn body(case: &Value) -> Vec<u8> {
    match (case.get("body"), case.get("body_b64")) {
        (Some(Value::String(s)), None) => s.as_bytes().to_vec(),
        (None, Some(Value::String(b))) => {
            base64::engine::general_purpose::STANDARD.decode(b).unwrap()
        }
        _ => panic!("a case needs exactly one of body / body_b64"),
    }
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn run_case(case: &Value) -> Result<(), String> {
    let secrets: Vec<Secret> = case["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Secret::new(s.as_str().unwrap()))
        .collect();
    let body = body(case);
    let headers = pairs(&case["headers"]);
    let now = case["now"].as_u64().unwrap();
    let result = scheme(&case["scheme"]).and_then(|scheme| {
        let mut verifier =
            Verifier::new(scheme, &secrets, timestamp_check(&case["timestamp_check"]))?;
        if let Some(max) = case.get("max_body_bytes").and_then(Value::as_u64) {
            verifier = verifier.with_max_body_bytes(max as usize);
        }
        verifier.verify(&headers, &body, now)
    });

    let expect = &case["expect"];
    match (expect.get("ok"), result) {
        (Some(want), Ok(got)) => {
            let checks = [
                (
                    want["scheme"].as_str() == Some(got.scheme.as_str()),
                    "scheme",
                ),
                (want["id"].as_str() == got.id.as_deref(), "id"),
                (want["timestamp"].as_u64() == got.timestamp, "timestamp"),
                (
                    want["secret_index"].as_u64() == Some(got.secret_index as u64),
                    "secret_index",
                ),
            ];
            for (same, field) in checks {
                if !same {
                    return Err(format!("{field}: want {want}, got {got:?}"));
                }
            }
        }
        (Some(want), Err(e)) => return Err(format!("want ok {want}, got error {e}")),
        (None, Ok(got)) => return Err(format!("want {expect}, got ok {got:?}")),
        (None, Err(e)) => {
            if Some(e.kind().as_str()) != expect["error"].as_str() {
                return Err(format!("want {expect}, got {} ({e})", e.kind()));
            }
            if let Some(hint) = expect.get("hint")
                && hint.as_str() != e.hint().map(|h| h.as_str())
            {
                return Err(format!("want hint {hint}, got {:?} ({e})", e.hint()));
            }
            // Error text must never carry a secret.
            for secret in &secrets {
                let s = secret.expose().trim();
                if s.len() >= 8 && (e.to_string().contains(s) || format!("{e:?}").contains(s)) {
                    return Err(format!("error shows a secret: {e}"));
                }
            }
        }
    }

    if let Some(sign) = case.get("sign") {
        // A separate signing secret is given where the verifier holds only
        // the public half (ed25519 `whpk_`).
        let signing_secret = match sign.get("secret").and_then(Value::as_str) {
            Some(secret) => Secret::new(secret),
            None => secrets[sign["secret_index"].as_u64().unwrap() as usize].clone(),
        };
        let signer = Signer::new(scheme(&case["scheme"]).unwrap(), &signing_secret)
            .map_err(|e| format!("signer: {e}"))?;
        let mut produced = signer
            .sign(sign["id"].as_str(), sign["timestamp"].as_u64(), &body)
            .map_err(|e| format!("sign: {e}"))?;
        let mut want = headers.clone();
        produced.sort();
        want.sort();
        if produced != want {
            return Err(format!("signer produced {produced:?}, vector has {want:?}"));
        }
    }
    Ok(())
}

#[test]
fn every_vector_file_passes() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vector_dir())
        .expect("vector folder")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 9, "vector files missing: {files:?}");

    let mut failures = Vec::new();
    let mut total = 0;
    let mut kinds = std::collections::BTreeSet::new();
    for file in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        assert_eq!(doc["format"], "fastio-webhook-vectors/1");
        for case in doc["cases"].as_array().unwrap() {
            total += 1;
            if let Some(kind) = case["expect"]["error"].as_str() {
                kinds.insert(kind.to_owned());
            }
            if let Err(why) = run_case(case) {
                let file = file.file_name().unwrap().to_string_lossy();
                failures.push(format!("{file}: {}: {why}", text(case, "name")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Every error kind a delivery can produce is exercised.
    for kind in [
        "missing_header",
        "malformed_header",
        "no_matching_signature",
        "timestamp_too_old",
        "timestamp_in_future",
        "invalid_secret",
        "body_too_large",
        "invalid_scheme",
    ] {
        assert!(kinds.contains(kind), "no vector expects {kind}");
    }
}
