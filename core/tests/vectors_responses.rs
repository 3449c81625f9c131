//! Runs the response vectors in `tests/vectors/responses/`.
//!
//! Set `FASTIO_BLESS=1` to fill expectations that are null (new cases).

// The helpers pass ApiError through unchanged.
#![allow(clippy::result_large_err)]

mod common;

use base64::Engine;
use fastio_core::decode::{ApiError, DecodeOptions, NamedDecodeError};
use fastio_core::http::HttpResponse;
use serde_json::{Value, json};

/// The core's one table of decode targets, as every binding reaches it.
fn decode_named(name: &str, resp: &HttpResponse, opts: &DecodeOptions) -> Result<Value, ApiError> {
    match fastio_core::decode::decode_named(name, resp, opts) {
        Ok(d) => Ok(json!({"value": d.value, "rate_limit": d.rate_limit})),
        Err(NamedDecodeError::Api(e)) => Err(*e),
        Err(e @ NamedDecodeError::UnknownTarget(_)) => panic!("{e}"),
    }
}

fn error_json(e: &ApiError, expect: &Value) -> Value {
    let mut v = json!({
        "kind": e.kind,
        "status": e.status,
        "code": e.code,
        "error_code": e.error_code,
        "message": e.message,
        "retry": e.retry,
    });
    if expect.get("params").is_some() {
        v["params"] = serde_json::to_value(&e.params).unwrap();
    }
    // A null expected message means the text comes from a parser and is not
    // part of the contract; only its presence is.
    if expect.get("message").is_some_and(Value::is_null) {
        assert!(!e.message.is_empty(), "error message is empty");
        v["message"] = Value::Null;
    }
    v
}

#[test]
fn response_vectors() {
    let bless = std::env::var("FASTIO_BLESS").is_ok();
    let files = common::vector_files("responses");
    let mut checked = 0;
    for path in files {
        let mut doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut changed = false;
        for case in doc["cases"].as_array_mut().unwrap() {
            let name = case["name"].as_str().unwrap().to_string();
            let r = &case["response"];
            let body = match (r.get("body"), r.get("body_b64")) {
                (_, Some(Value::String(b))) => {
                    base64::engine::general_purpose::STANDARD.decode(b).unwrap()
                }
                (Some(Value::String(t)), _) => t.as_bytes().to_vec(),
                _ => Vec::new(),
            };
            let resp = HttpResponse {
                status: r["status"].as_u64().unwrap() as u16,
                headers: serde_json::from_value(r["headers"].clone()).unwrap(),
                body,
            };
            let mut opts = DecodeOptions {
                resendable: case
                    .get("resendable")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                ..DecodeOptions::default()
            };
            if let Some(cap) = case.get("max_body_bytes").and_then(Value::as_u64) {
                opts.max_body_bytes = cap as usize;
            }
            let got = match decode_named(case["decode"].as_str().unwrap(), &resp, &opts) {
                Ok(v) => json!({"ok": v}),
                Err(e) => {
                    let mut got = json!({"error": error_json(&e, &case["expect"]["error"])});
                    // The raw error detail (`params` as sent, `validation_report`,
                    // `reason`), checked where a case names it.
                    if let Some(want) = case["expect"]
                        .get("error_detail")
                        .and_then(Value::as_object)
                    {
                        let all = serde_json::to_value(&e).unwrap();
                        let detail: serde_json::Map<String, Value> = want
                            .keys()
                            .map(|k| (k.clone(), all.get(k).cloned().unwrap_or(Value::Null)))
                            .collect();
                        got["error_detail"] = Value::Object(detail);
                    }
                    got
                }
            };
            if case["expect"].is_null() && bless {
                case["expect"] = got;
                changed = true;
                continue;
            }
            assert_eq!(case["expect"], got, "{}: case {name}", path.display());
            checked += 1;
        }
        if changed {
            std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
        }
    }
    assert!(
        checked >= 50 || bless,
        "only {checked} response cases checked"
    );
}
