//! The conformance vectors through the component and through the native core:
//! both must produce the same result, and that result must be the expected one.

use std::path::Path;

use base64::Engine as _;
use serde_json::{Value, json};

use fastio_core::api::{Call, Client};
use fastio_core::config::ClientConfig as CoreConfig;
use fastio_core::decode::{DecodeOptions, decode};
use fastio_core::hash::{HashAlgo as CoreAlgo, Hasher};
use fastio_core::http::{HttpResponse as CoreResponse, Segment};
use fastio_wasmtime::bindings::exports::fastio::core::hashing::HashAlgo;
use fastio_wasmtime::bindings::exports::fastio::core::requests::DecodeOptions as WitDecodeOptions;
use fastio_wasmtime::bindings::exports::fastio::core::types::{
    BodySegment, ChunkParams, ClientConfig, Credential, Header, HttpResponse,
};
use fastio_wasmtime::{Core, Instance};

fn vectors(dir: &str) -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors")
        .join(dir);
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .expect("vector dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files {
        if f.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&f).expect("read")).expect("json");
        for c in v["cases"].as_array().cloned().unwrap_or_default() {
            out.push((f.file_name().unwrap().to_string_lossy().into_owned(), c));
        }
    }
    out
}

fn instance() -> Instance {
    Core::load(fastio_wasmtime::default_component_path())
        .expect("component (build it with hosts/wasmtime/run_tests.sh)")
        .instantiate()
        .expect("instantiate")
}

fn merged_config(case: &Value) -> Value {
    let mut base = json!({
        "base_url": "https://api.fast.io/current/",
        "credential": {"kind": "api_key", "value": "test-api-key"},
        "user_agent": "fastio-core-vectors/1"
    });
    if let Some(o) = case["config"].as_object() {
        for (k, v) in o {
            base[k] = v.clone();
        }
    }
    base
}

fn wit_config(c: &Value) -> ClientConfig {
    let cred = c["credential"].as_object().map(|o| {
        let v = o["value"].as_str().unwrap_or_default().to_owned();
        match o["kind"].as_str() {
            Some("jwt") => Credential::Jwt(v),
            Some("o_auth") | Some("oauth") => Credential::Oauth(v),
            _ => Credential::ApiKey(v),
        }
    });
    ClientConfig {
        base_url: c["base_url"].as_str().unwrap_or_default().to_owned(),
        credential: cred,
        user_agent: c["user_agent"].as_str().map(str::to_owned),
        chunk_params: if c["chunk_params"] == "form" {
            ChunkParams::Form
        } else {
            ChunkParams::Query
        },
        max_response_bytes: None,
    }
}

/// A request reduced to comparable JSON: method, URL, headers, body bytes.
fn native_request(case: &Value) -> Value {
    let cfg: CoreConfig = serde_json::from_value(merged_config(case)).expect("config");
    let client = Client::new(cfg).expect("client");
    let call: Call = match serde_json::from_value(case["call"].clone()) {
        Ok(c) => c,
        Err(e) => return json!({"error": format!("parse: {e}")}),
    };
    match client.build(&call) {
        Err(_) => json!({"error": true}),
        Ok(r) => {
            let mut body = Vec::new();
            for s in r.body.segments() {
                match s {
                    Segment::Owned(b) => body.extend_from_slice(&b),
                    Segment::Borrowed(b) => body.extend_from_slice(b),
                    Segment::External { len, .. } => {
                        body.extend(std::iter::repeat_n(b'x', len as usize))
                    }
                }
            }
            json!({"method": r.method.as_str(), "url": r.url, "headers": r.headers, "body": body})
        }
    }
}

fn component_request(inst: &mut Instance, case: &Value) -> Value {
    let cfg = wit_config(&merged_config(case));
    let r = inst
        .core
        .fastio_core_requests()
        .call_build(&mut inst.store, &cfg, &case["call"].to_string())
        .expect("call");
    match r {
        Err(_) => json!({"error": true}),
        Ok(r) => {
            let mut body = Vec::new();
            for s in r.body {
                match s {
                    BodySegment::Bytes(b) => body.extend_from_slice(&b),
                    BodySegment::External(e) => {
                        body.extend(std::iter::repeat_n(b'x', e.len as usize))
                    }
                }
            }
            let method = {
                use fastio_wasmtime::bindings::exports::fastio::core::types::Method;
                match r.method {
                    Method::Get => "GET",
                    Method::Post => "POST",
                    Method::Put => "PUT",
                    Method::Patch => "PATCH",
                    Method::Delete => "DELETE",
                    Method::Head => "HEAD",
                }
            };
            let headers: Vec<(String, String)> =
                r.headers.into_iter().map(|h| (h.name, h.value)).collect();
            json!({"method": method, "url": r.url, "headers": headers, "body": body})
        }
    }
}

#[test]
fn requests_match_native_and_expected() {
    let mut inst = instance();
    let cases = vectors("requests");
    assert!(cases.len() > 50, "too few request vectors");
    for (file, case) in &cases {
        let native = native_request(case);
        let comp = component_request(&mut inst, case);
        assert_eq!(
            native, comp,
            "{file}: {} differs between component and native",
            case["name"]
        );
        let expect = &case["expect"];
        if expect.get("error").is_some() {
            assert_eq!(
                comp,
                json!({"error": true}),
                "{file}: {} should be refused",
                case["name"]
            );
            continue;
        }
        if expect.is_null() {
            continue;
        }
        assert_eq!(comp["method"], expect["method"], "{file}: {}", case["name"]);
        assert_eq!(comp["url"], expect["url"], "{file}: {}", case["name"]);
        assert_eq!(
            comp["headers"], expect["headers"],
            "{file}: {}",
            case["name"]
        );
        let want: Vec<u8> = match &expect["body"] {
            Value::Null => Vec::new(),
            b if b["text"].is_string() => {
                b["text"].as_str().unwrap_or_default().as_bytes().to_vec()
            }
            b => base64::engine::general_purpose::STANDARD
                .decode(b["b64"].as_str().unwrap_or_default())
                .expect("b64"),
        };
        assert_eq!(comp["body"], json!(want), "{file}: {} body", case["name"]);
    }
}

#[test]
fn responses_decode_the_same() {
    let mut inst = instance();
    let mut checked = 0;
    for (file, case) in vectors("responses") {
        // Typed models are the core's Rust types; the component returns the
        // unwrapped payload, so only `payload` cases compare one to one.
        if case["decode"] != "payload" {
            continue;
        }
        let r = &case["response"];
        let body: Vec<u8> = match r["body"].as_str() {
            Some(t) => t.as_bytes().to_vec(),
            None => base64::engine::general_purpose::STANDARD
                .decode(r["body_b64"].as_str().unwrap_or_default())
                .expect("b64"),
        };
        let headers: Vec<(String, String)> =
            serde_json::from_value(r["headers"].clone()).unwrap_or_default();
        let status = r["status"].as_u64().unwrap_or(0) as u16;
        let idempotent = case["idempotent"].as_bool().unwrap_or(true);
        let max = case["max_body_bytes"].as_u64().unwrap_or(16 << 20);
        let native = decode(
            &CoreResponse {
                status,
                headers: headers.clone(),
                body: body.clone(),
            },
            &DecodeOptions {
                max_body_bytes: max as usize,
                idempotent,
            },
        );
        let comp = inst
            .core
            .fastio_core_requests()
            .call_decode(
                &mut inst.store,
                &HttpResponse {
                    status,
                    headers: headers
                        .iter()
                        .map(|(n, v)| Header {
                            name: n.clone(),
                            value: v.clone(),
                        })
                        .collect(),
                    body,
                },
                WitDecodeOptions {
                    max_body_bytes: max,
                    idempotent,
                },
            )
            .expect("call");
        match (native, comp) {
            (Ok(n), Ok(c)) => {
                let cv: Value = serde_json::from_str(&c.value_json).expect("json");
                assert_eq!(n.value, cv, "{file}: {}", case["name"]);
                if let Some(v) = case["expect"]["ok"].get("value") {
                    assert_eq!(&cv, v, "{file}: {}", case["name"]);
                }
            }
            (Err(n), Err(c)) => {
                let nj = serde_json::to_value(&n).expect("ser");
                let cj: Value = serde_json::from_str(&c.detail_json).expect("json");
                assert_eq!(nj, cj, "{file}: {}", case["name"]);
                let e = &case["expect"]["error"];
                if e.is_object() {
                    assert_eq!(cj["status"], e["status"], "{file}: {}", case["name"]);
                    assert_eq!(cj["retry"], e["retry"], "{file}: {}", case["name"]);
                    assert_eq!(cj["kind"], e["kind"], "{file}: {}", case["name"]);
                }
            }
            (n, c) => panic!(
                "{file}: {}: native {:?} vs component {:?}",
                case["name"],
                n.is_ok(),
                c.is_ok()
            ),
        }
        checked += 1;
    }
    assert!(checked > 10, "too few payload vectors: {checked}");
}

#[test]
fn digests_match() {
    let mut inst = instance();
    for (_, case) in vectors("upload")
        .into_iter()
        .filter(|(f, _)| f == "digests.json")
    {
        let input = &case["input"];
        let data: Vec<u8> = match input["kind"].as_str() {
            Some("ascii") => input["value"]
                .as_str()
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
            Some("hex") => (0..input["value"].as_str().unwrap_or_default().len() / 2)
                .map(|i| {
                    u8::from_str_radix(
                        &input["value"].as_str().unwrap_or_default()[2 * i..2 * i + 2],
                        16,
                    )
                    .unwrap_or(0)
                })
                .collect(),
            Some("pattern") | Some("repeat") | Some(_) | None => {
                // Generated inputs follow the upload README; compare
                // native and component on whatever the case describes.
                let len = case["len"].as_u64().unwrap_or(0) as usize;
                (0..len).map(|i| (i % 251) as u8).collect()
            }
        };
        for (name, algo, core) in [
            ("md5", HashAlgo::Md5, CoreAlgo::Md5),
            ("sha1", HashAlgo::Sha1, CoreAlgo::Sha1),
            ("sha256", HashAlgo::Sha256, CoreAlgo::Sha256),
            ("sha384", HashAlgo::Sha384, CoreAlgo::Sha384),
            ("crc32c", HashAlgo::Crc32c, CoreAlgo::Crc32c),
        ] {
            let c = inst.hash(algo, &data).expect("call");
            let n = Hasher::digest(core, &data).to_hex();
            assert_eq!(c, n, "{}: {name}", case["name"]);
            if matches!(input["kind"].as_str(), Some("ascii") | Some("hex")) {
                assert_eq!(
                    Some(c.as_str()),
                    case["digests"][name].as_str(),
                    "{}: {name}",
                    case["name"]
                );
            }
        }
    }
}

#[test]
fn webhooks_verify_the_same() {
    use fastio_core::secret::Secret;
    use fastio_core::webhook::{Scheme, TimestampCheck, Tolerance, Verifier};
    let mut inst = instance();
    let (mut checked, mut skipped) = (0, 0);
    for (file, case) in vectors("webhooks") {
        let scheme_name = case["scheme"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let tc = &case["timestamp_check"];
        // The WIT verifier takes a scheme by name and a symmetric tolerance;
        // cases that configure more are covered by the core's own tests.
        let tolerance = if tc == "skip" {
            None
        } else if tc["max_age_s"] == tc["max_future_s"] {
            tc["max_age_s"].as_u64()
        } else {
            skipped += 1;
            continue;
        };
        if case["scheme"].as_object().map(|o| o.len()).unwrap_or(0) > 1
            || case.get("max_body_bytes").is_some()
            || scheme_name == "custom"
        {
            skipped += 1;
            continue;
        }
        let native_scheme = match scheme_name.as_str() {
            "fastio" => Scheme::Fastio,
            "fastio-timestamped" => Scheme::FastioTimestamped,
            "fastio-timestamped-hex" => Scheme::fastio_timestamped_hex(),
            "standard-webhooks" => Scheme::StandardWebhooks,
            "github" => Scheme::GitHub,
            "stripe" => Scheme::Stripe,
            "shopify" => Scheme::Shopify,
            _ => {
                skipped += 1;
                continue;
            }
        };
        let secrets: Vec<String> =
            serde_json::from_value(case["secrets"].clone()).unwrap_or_default();
        let headers: Vec<(String, String)> =
            serde_json::from_value(case["headers"].clone()).unwrap_or_default();
        let body: Vec<u8> = match case["body"].as_str() {
            Some(t) => t.as_bytes().to_vec(),
            None => base64::engine::general_purpose::STANDARD
                .decode(case["body_b64"].as_str().unwrap_or_default())
                .expect("b64"),
        };
        let now = case["now"].as_u64().unwrap_or(0);
        let check = match tolerance {
            Some(t) => TimestampCheck::Within(Tolerance::symmetric(t)),
            None => TimestampCheck::Skip,
        };
        let core_secrets: Vec<Secret> = secrets.iter().map(|s| Secret::new(s.clone())).collect();
        let native = Verifier::new(native_scheme, &core_secrets, check)
            .and_then(|v| v.verify(&headers, &body, now))
            .map(|d| json!({"scheme": d.scheme.as_str(), "id": d.id, "timestamp": d.timestamp, "secret_index": d.secret_index}))
            .map_err(|e| e.kind().as_str().to_owned());
        let hooks = inst.core.fastio_core_webhooks();
        let comp = match hooks
            .verifier()
            .call_create(&mut inst.store, &scheme_name, &secrets, tolerance)
            .expect("call")
        {
            Err(e) => Err(e.kind),
            Ok(v) => {
                let wh: Vec<Header> = headers
                    .iter()
                    .map(|(n, v)| Header {
                        name: n.clone(),
                        value: v.clone(),
                    })
                    .collect();
                let r = hooks
                    .verifier()
                    .call_verify(&mut inst.store, v, &wh, &body, now)
                    .expect("call");
                v.resource_drop(&mut inst.store).expect("drop");
                r.map(|d| json!({"scheme": d.scheme, "id": d.id, "timestamp": d.timestamp, "secret_index": d.secret_index}))
                    .map_err(|e| e.kind)
            }
        };
        assert_eq!(native, comp, "{file}: {}", case["name"]);
        match (&comp, case["expect"].get("ok")) {
            (Ok(c), Some(ok)) => assert_eq!(c, ok, "{file}: {}", case["name"]),
            (Err(_), None) => {}
            _ => panic!(
                "{file}: {}: got {comp:?}, expected {}",
                case["name"], case["expect"]
            ),
        }
        checked += 1;
    }
    eprintln!(
        "webhook vectors: {checked} checked, {skipped} need configuration the WIT does not expose"
    );
    assert!(checked > 50, "too few webhook vectors checked: {checked}");
}
