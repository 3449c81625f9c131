//! Runs the golden request vectors in `tests/vectors/requests/`.
//!
//! Set `FASTIO_BLESS=1` to write the current output into cases whose
//! `expect` is null (new cases); existing expectations are never rewritten.

mod common;

use base64::Engine;
use fastio_core::api::{BuildError, Call, Client};
use fastio_core::config::ClientConfig;
use serde_json::{Value, json};

fn base_config() -> Value {
    json!({
        "base_url": "https://api.fast.io/current/",
        "credential": {"kind": "api_key", "value": "test-api-key"},
        "user_agent": "fastio-core-vectors/1"
    })
}

fn client_for(case: &Value) -> Client {
    let mut cfg = base_config();
    if let Some(over) = case.get("config").and_then(Value::as_object) {
        for (k, v) in over {
            cfg[k] = v.clone();
        }
    }
    let cfg: ClientConfig = serde_json::from_value(cfg).expect("vector config parses");
    Client::new(cfg).expect("vector config is valid")
}

fn error_kind(e: &BuildError) -> &'static str {
    match e {
        BuildError::InvalidId { .. } => "invalid_id",
        BuildError::InvalidParam { .. } => "invalid_param",
        BuildError::MissingCredential => "missing_credential",
        BuildError::Config(_) => "config",
        _ => "other",
    }
}

fn render(client: &Client, call: &Call) -> Value {
    match client.build(call) {
        Err(e) => json!({"error": error_kind(&e)}),
        Ok(req) => {
            let external: Vec<Vec<u8>> = req
                .body
                .segments()
                .iter()
                .filter_map(|s| match s {
                    fastio_core::http::Segment::External { len, .. } => {
                        // Vectors fill host-supplied bytes with 'x'.
                        Some(vec![b'x'; *len as usize])
                    }
                    _ => None,
                })
                .collect();
            let refs: Vec<&[u8]> = external.iter().map(Vec::as_slice).collect();
            let bytes = req.body.encode(&refs).expect("body encodes");
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                match String::from_utf8(bytes.clone()) {
                    Ok(text) => json!({"text": text}),
                    Err(_) => {
                        json!({"b64": base64::engine::general_purpose::STANDARD.encode(&bytes)})
                    }
                }
            };
            assert_eq!(
                req.body.content_length(),
                bytes.len() as u64,
                "content_length matches the encoded body"
            );
            json!({
                "method": req.method.as_str(),
                "url": req.url,
                "headers": req.headers,
                "body": body,
            })
        }
    }
}

#[test]
fn request_vectors() {
    let bless = std::env::var("FASTIO_BLESS").is_ok();
    let files = common::vector_files("requests");
    assert!(files.len() >= 10, "request vectors are present");
    let mut checked = 0;
    for path in files {
        let mut doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut changed = false;
        for case in doc["cases"].as_array_mut().unwrap() {
            let name = case["name"].as_str().unwrap().to_string();
            let call: Call = serde_json::from_value(case["call"].clone())
                .unwrap_or_else(|e| panic!("{}: {name}: call does not parse: {e}", path.display()));
            let got = render(&client_for(case), &call);
            if case["expect"].is_null() && bless {
                case["expect"] = got;
                changed = true;
                continue;
            }
            assert_eq!(
                case["expect"],
                got,
                "{}: case {name} differs",
                path.display()
            );
            checked += 1;
        }
        if changed {
            std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
        }
    }
    assert!(
        checked >= 100 || bless,
        "only {checked} request cases checked"
    );
}
