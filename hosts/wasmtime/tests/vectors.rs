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
use fastio_core::upload::plan::{
    PlanConfig as CorePlanConfig, PlanError as CorePlanError, UploadPlan as CorePlan,
    plan as core_plan,
};
use fastio_wasmtime::bindings::exports::fastio::core::hashing::HashAlgo;
use fastio_wasmtime::bindings::exports::fastio::core::policy::{
    FileKind, Grant, GrantError, PolicyError, Signature, Sniff, TooLarge, Truncated, UploadPolicy,
};
use fastio_wasmtime::bindings::exports::fastio::core::requests::DecodeOptions as WitDecodeOptions;
use fastio_wasmtime::bindings::exports::fastio::core::types::{
    BodySegment, ChunkParams, ClientConfig, Credential, Header, HttpResponse,
};
use fastio_wasmtime::bindings::exports::fastio::core::uploads::{
    PlanConfig, PlanError, UploadPlan,
};
use fastio_wasmtime::bindings::exports::fastio::core::webhooks::{
    CustomScheme, Encoding, HmacAlgorithm, SchemeConfig, TimestampCheck as TsCheck,
    Tolerance as WitTolerance, VerifierOptions,
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
                    Segment::External { len, .. } | Segment::Source { len, .. } => {
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
                    BodySegment::Source(r) => {
                        body.extend(std::iter::repeat_n(b'x', r.len as usize))
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
        let resendable = case["resendable"].as_bool().unwrap_or(true);
        let max = case["max_body_bytes"].as_u64().unwrap_or(16 << 20);
        let native = decode(
            &CoreResponse {
                status,
                headers: headers.clone(),
                body: body.clone(),
            },
            &DecodeOptions {
                max_body_bytes: max as usize,
                resendable,
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
                    resendable,
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

/// The scheme of a vector case, in the WIT's terms.
fn wit_scheme(v: &Value) -> SchemeConfig {
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let opt = |k: &str| v[k].as_str().map(str::to_owned);
    match v["name"].as_str().unwrap_or_default() {
        "fastio-timestamped-hex" => SchemeConfig::FastioTimestampedHex(text("timestamp_header")),
        "custom" => SchemeConfig::Custom(CustomScheme {
            signature_header: text("signature_header"),
            id_header: opt("id_header"),
            timestamp_header: opt("timestamp_header"),
            encoding: if v["encoding"] == "base64" {
                Encoding::Base64
            } else {
                Encoding::Hex
            },
            prefix: text("prefix"),
            algorithm: if v["algorithm"] == "sha512" {
                HmacAlgorithm::Sha512
            } else {
                HmacAlgorithm::Sha256
            },
            template: text("template"),
        }),
        name => SchemeConfig::Named(name.to_owned()),
    }
}

/// The same scheme for the native core.
fn native_scheme(v: &Value) -> Result<fastio_core::webhook::Scheme, String> {
    use fastio_core::webhook::{Algorithm, CustomScheme as C, Encoding as E, Scheme, Template};
    let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let kind = |e: fastio_core::webhook::WebhookError| e.kind().as_str().to_owned();
    match v["name"].as_str().unwrap_or_default() {
        "fastio-timestamped-hex" => Ok(Scheme::FastioTimestampedHex {
            timestamp_header: text("timestamp_header"),
        }),
        "custom" => {
            let mut c = C::new(
                text("signature_header"),
                if v["encoding"] == "base64" {
                    E::Base64
                } else {
                    E::Hex
                },
            );
            c.id_header = v["id_header"].as_str().map(str::to_owned);
            c.timestamp_header = v["timestamp_header"].as_str().map(str::to_owned);
            c.prefix = text("prefix");
            c.algorithm = if v["algorithm"] == "sha512" {
                Algorithm::Sha512
            } else {
                Algorithm::Sha256
            };
            c.template = Template::parse(&text("template")).map_err(kind)?;
            Ok(Scheme::Custom(c))
        }
        name => Scheme::from_name(name).map_err(kind),
    }
}

#[test]
fn webhooks_verify_the_same() {
    use fastio_core::secret::Secret;
    use fastio_core::webhook::{TimestampCheck, Tolerance, Verifier};
    let mut inst = instance();
    let (mut checked, mut by_name) = (0, 0);
    for (file, case) in vectors("webhooks") {
        let tc = &case["timestamp_check"];
        let (wit_check, core_check) = if tc == "skip" {
            (TsCheck::Skip, TimestampCheck::Skip)
        } else {
            let (age, future) = (
                tc["max_age_s"].as_u64().expect("max_age_s"),
                tc["max_future_s"].as_u64().expect("max_future_s"),
            );
            (
                TsCheck::Within(WitTolerance {
                    max_age_s: age,
                    max_future_s: future,
                }),
                TimestampCheck::Within(Tolerance {
                    max_age_s: age,
                    max_future_s: future,
                }),
            )
        };
        let max_body = case["max_body_bytes"].as_u64();
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
        let core_secrets: Vec<Secret> = secrets.iter().map(|s| Secret::new(s.clone())).collect();
        let native = native_scheme(&case["scheme"])
            .and_then(|scheme| {
                Verifier::new(scheme, &core_secrets, core_check)
                    .map(|v| match max_body {
                        Some(m) => v.with_max_body_bytes(m as usize),
                        None => v,
                    })
                    .and_then(|v| v.verify(&headers, &body, now))
                    .map_err(|e| e.kind().as_str().to_owned())
            })
            .map(|d| json!({"scheme": d.scheme.as_str(), "id": d.id, "timestamp": d.timestamp, "secret_index": d.secret_index}));
        let wh: Vec<Header> = headers
            .iter()
            .map(|(n, v)| Header {
                name: n.clone(),
                value: v.clone(),
            })
            .collect();
        let hooks = inst.core.fastio_core_webhooks();
        let run = |store: &mut wasmtime::Store<fastio_wasmtime::State>,
                   v: wasmtime::component::ResourceAny| {
            let r = hooks
                .verifier()
                .call_verify(&mut *store, v, &wh, &body, now)
                .expect("call");
            v.resource_drop(&mut *store).expect("drop");
            r.map(|d| json!({"scheme": d.scheme, "id": d.id, "timestamp": d.timestamp, "secret_index": d.secret_index}))
                .map_err(|e| e.kind)
        };
        let comp = match hooks
            .verifier()
            .call_configure(
                &mut inst.store,
                &wit_scheme(&case["scheme"]),
                &secrets,
                VerifierOptions {
                    timestamp: wit_check,
                    max_body_bytes: max_body,
                },
            )
            .expect("call")
        {
            Err(e) => Err(e.kind),
            Ok(v) => run(&mut inst.store, v),
        };
        assert_eq!(native, comp, "{file}: {}", case["name"]);
        match (&comp, case["expect"].get("ok")) {
            (Ok(c), Some(ok)) => assert_eq!(c, ok, "{file}: {}", case["name"]),
            (Err(kind), None) => {
                let want = case["expect"]["error"].as_str().unwrap_or_default();
                // Setup errors may surface when the verifier is built or when
                // it verifies; the vectors' README treats both the same.
                assert!(
                    kind == want
                        || (["invalid_secret", "invalid_scheme"].contains(&kind.as_str())
                            && ["invalid_secret", "invalid_scheme"].contains(&want)),
                    "{file}: {}: got {kind}, expected {want}",
                    case["name"]
                );
            }
            _ => panic!(
                "{file}: {}: got {comp:?}, expected {}",
                case["name"], case["expect"]
            ),
        }
        checked += 1;
        // The name-only constructor gives the same answer wherever it can
        // express the case.
        let plain = case["scheme"].as_object().is_some_and(|o| o.len() == 1)
            || (case["scheme"]["name"] == "fastio-timestamped-hex"
                && case["scheme"]["timestamp_header"] == "x-fastio-timestamp");
        let symmetric = tc == "skip" || tc["max_age_s"] == tc["max_future_s"];
        if plain && symmetric && max_body.is_none() {
            let name = case["scheme"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let r = match hooks
                .verifier()
                .call_create(&mut inst.store, &name, &secrets, tc["max_age_s"].as_u64())
                .expect("call")
            {
                Err(e) => Err(e.kind),
                Ok(v) => run(&mut inst.store, v),
            };
            assert_eq!(r, comp, "{file}: {} by name", case["name"]);
            by_name += 1;
        }
        // Signing cases: the component's signer writes exactly the headers.
        if let Some(sign) = case.get("sign").filter(|s| s.is_object()) {
            let secret = match sign["secret"].as_str() {
                Some(s) => s.to_owned(),
                None => secrets[sign["secret_index"].as_u64().unwrap_or(0) as usize].clone(),
            };
            let signed = hooks
                .call_sign_with(
                    &mut inst.store,
                    &wit_scheme(&case["scheme"]),
                    &secret,
                    sign["id"].as_str(),
                    sign["timestamp"].as_u64(),
                    &body,
                )
                .expect("call")
                .unwrap_or_else(|e| panic!("{file}: {}: signing: {e:?}", case["name"]));
            let mut got: Vec<(String, String)> = signed
                .into_iter()
                .map(|h| (h.name.to_ascii_lowercase(), h.value))
                .collect();
            let mut want: Vec<(String, String)> = headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
                .collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{file}: {} signed headers", case["name"]);
        }
    }
    eprintln!("webhook vectors: {checked} checked through `configure`, {by_name} also by name");
    assert!(checked > 150, "too few webhook vectors checked: {checked}");
    assert!(
        by_name > 50,
        "too few webhook vectors checked by name: {by_name}"
    );
}

#[test]
fn webhook_events_read_the_same_as_native() {
    let mut inst = instance();
    let bodies = [
        r#"{"id": 9001, "event": "workspace_storage_file_added", "data": {"workspace_id": 42, "node_id": "f_1"}}"#,
        r#"{"type": "ai_chat_created", "payload": {"org_id": 5}}"#,
        r#"{"event": "file.uploaded", "share_id": "s1"}"#,
        r#"{"event": "x.unknown", "data": {"k": [1, 2]}}"#,
    ];
    for body in bodies {
        let native = fastio_core::webhook::parse_event(body.as_bytes()).expect("event");
        let json = inst
            .core
            .fastio_core_webhooks()
            .call_event_json(&mut inst.store, body.as_bytes())
            .expect("call")
            .expect("event json");
        let comp: Value = serde_json::from_str(&json).expect("json");
        assert_eq!(comp, serde_json::to_value(&native).expect("ser"), "{body}");
        assert_eq!(comp["name"], native.name(), "{body}");
    }
    let bad = inst
        .core
        .fastio_core_webhooks()
        .call_event_json(&mut inst.store, b"[1]")
        .expect("call")
        .expect_err("not an object");
    assert_eq!(bad.kind, "invalid_event");
}

fn kind_name(k: &FileKind) -> String {
    match k {
        FileKind::Pdf => "pdf",
        FileKind::Png => "png",
        FileKind::Jpeg => "jpeg",
        FileKind::Gif => "gif",
        FileKind::Webp => "webp",
        FileKind::Mp4 => "mp4",
        FileKind::Mov => "mov",
        FileKind::Zip => "zip",
        FileKind::Docx => "docx",
        FileKind::Xlsx => "xlsx",
        FileKind::Pptx => "pptx",
        FileKind::Text => "text",
        FileKind::Custom(n) => n,
    }
    .to_owned()
}

fn sniff_name(s: &Sniff) -> String {
    match s {
        Sniff::Known(k) => kind_name(k),
        Sniff::NeedMore => "need_more".into(),
        Sniff::Unknown => "unknown".into(),
    }
}

fn open_policy() -> UploadPolicy {
    UploadPolicy {
        max_size: None,
        allowed: Vec::new(),
    }
}

#[test]
fn policy_sniff_vectors_match_native_and_expected() {
    use fastio_core::policy::{Sniff as CoreSniff, Sniffer as CoreSniffer};
    let mut inst = instance();
    let pol = inst.core.fastio_core_policy();
    let sniffer = pol
        .sniffer()
        .call_constructor(&mut inst.store, &[])
        .expect("sniffer");
    let cases = vectors("policy")
        .into_iter()
        .filter(|(f, _)| f == "sniff.json")
        .collect::<Vec<_>>();
    assert!(cases.len() >= 20, "too few sniff vectors");
    for (_, c) in &cases {
        let head = base64::engine::general_purpose::STANDARD
            .decode(c["head_b64"].as_str().expect("head"))
            .expect("b64");
        let complete = c["complete"].as_bool().expect("complete");
        let want = c["expect"].as_str().expect("expect");
        let got = pol
            .sniffer()
            .call_sniff(&mut inst.store, sniffer, &head, complete)
            .expect("call");
        let native = match CoreSniffer::new().sniff(&head, complete) {
            CoreSniff::Known(k) => k.name().to_owned(),
            CoreSniff::NeedMore => "need_more".into(),
            CoreSniff::Unknown => "unknown".into(),
        };
        assert_eq!(sniff_name(&got), want, "{}", c["name"]);
        assert_eq!(native, want, "{} natively", c["name"]);
        // A byte at a time through a body watch, the same kind comes out.
        if complete {
            let w = pol
                .body_watch()
                .call_start(
                    &mut inst.store,
                    &open_policy(),
                    Some(head.len() as u64),
                    &[],
                )
                .expect("call")
                .expect("watch");
            for b in &head {
                pol.body_watch()
                    .call_feed(&mut inst.store, w, std::slice::from_ref(b))
                    .expect("call")
                    .expect("feed");
            }
            let kind = pol
                .body_watch()
                .call_finish(&mut inst.store, w)
                .expect("call")
                .expect("finish");
            let name = kind.as_ref().map_or("unknown".into(), kind_name);
            assert_eq!(name, want, "watch {}", c["name"]);
            w.resource_drop(&mut inst.store).expect("drop");
        }
    }
    sniffer.resource_drop(&mut inst.store).expect("drop");
}

fn grant_error_name(e: &GrantError) -> &'static str {
    match e {
        GrantError::Malformed(_) => "malformed",
        GrantError::WrongKey => "wrong_key",
        GrantError::Tampered => "tampered",
        GrantError::Expired(_) => "expired",
        GrantError::NotYetValid(_) => "not_yet_valid",
        GrantError::EmptyKey => "empty_key",
        GrantError::Other(_) => "other",
    }
}

fn grant_json(g: &Grant) -> Value {
    json!({"w": g.workspace, "f": g.folder, "m": g.max_size, "e": g.expires, "i": g.issued, "n": g.nonce})
}

#[test]
fn policy_grant_vectors_match_native_and_expected() {
    use fastio_core::policy::{Grant as CoreGrant, GrantKey as CoreKey, GrantKeyring as CoreRing};
    use fastio_core::secret::Secret;
    let mut inst = instance();
    let pol = inst.core.fastio_core_policy();
    let cases = vectors("policy")
        .into_iter()
        .filter(|(f, _)| f == "grants.json")
        .collect::<Vec<_>>();
    assert!(cases.len() >= 10, "too few grant vectors");
    for (_, c) in &cases {
        let keys: Vec<String> = serde_json::from_value(c["keys"].clone()).expect("keys");
        let token = c["token"].as_str().expect("token");
        let now = c["now"].as_u64().expect("now");
        if let Some(g) = c.get("issue") {
            let key = pol
                .grant_key()
                .call_create(&mut inst.store, &keys[0])
                .expect("call")
                .expect("key");
            let grant = Grant {
                workspace: g["w"].as_str().expect("w").into(),
                folder: g["f"].as_str().expect("f").into(),
                max_size: g["m"].as_u64().expect("m"),
                expires: g["e"].as_u64().expect("e"),
                issued: g["i"].as_u64().expect("i"),
                nonce: g["n"].as_str().unwrap_or_default().into(),
            };
            let issued = pol
                .grant_key()
                .call_issue(&mut inst.store, key, &grant)
                .expect("call")
                .expect("issued");
            assert_eq!(
                issued, token,
                "{}: issued token is byte-identical",
                c["name"]
            );
            let kid = pol
                .grant_key()
                .call_kid(&mut inst.store, key)
                .expect("call");
            assert_eq!(token.split('.').nth(1), Some(kid.as_str()), "{}", c["name"]);
            key.resource_drop(&mut inst.store).expect("drop");
        }
        let ring = pol
            .grant_keyring()
            .call_create(&mut inst.store, &keys, None)
            .expect("call")
            .expect("keyring");
        let got = pol
            .grant_keyring()
            .call_verify(&mut inst.store, ring, token, now)
            .expect("call");
        ring.resource_drop(&mut inst.store).expect("drop");
        let native_ring = CoreRing::new(
            keys.iter()
                .map(|k| CoreKey::new(Secret::new(k.clone())).expect("key"))
                .collect(),
        );
        let native = native_ring.verify(token, now);
        match (c["expect"].get("ok"), got, native) {
            (Some(want), Ok(g), Ok(n)) => {
                assert_eq!(&grant_json(&g), want, "{}", c["name"]);
                let n: CoreGrant = n;
                assert_eq!(
                    serde_json::to_value(&n).expect("ser"),
                    *want,
                    "{}",
                    c["name"]
                );
            }
            (None, Err(e), Err(_)) => assert_eq!(
                grant_error_name(&e),
                c["expect"]["error"].as_str().expect("error"),
                "{}",
                c["name"]
            ),
            (w, g, n) => panic!("{}: expected {w:?}, got {g:?} / native {n:?}", c["name"]),
        }
    }
    // Keys and time checks the vectors do not cover: empty secrets and the
    // caller's skew allowance.
    let empty = pol
        .grant_key()
        .call_create(&mut inst.store, "")
        .expect("call");
    assert!(matches!(empty, Err(GrantError::EmptyKey)));
    let ring = pol
        .grant_keyring()
        .call_create(&mut inst.store, &["k".into(), String::new()], None)
        .expect("call");
    assert!(matches!(ring, Err(GrantError::EmptyKey)));
    let key = pol
        .grant_key()
        .call_create(&mut inst.store, "skew-key")
        .expect("call")
        .expect("key");
    let grant = Grant {
        workspace: "w".into(),
        folder: "root".into(),
        max_size: 10,
        expires: 2_000,
        issued: 1_100,
        nonce: "n".into(),
    };
    let token = pol
        .grant_key()
        .call_issue(&mut inst.store, key, &grant)
        .expect("call")
        .expect("issued");
    key.resource_drop(&mut inst.store).expect("drop");
    for (skew, now, ok) in [
        (Some(0), 1_099, false),
        (Some(200), 1_000, true),
        (None, 1_050, true),
        (None, 1_039, false),
    ] {
        let ring = pol
            .grant_keyring()
            .call_create(&mut inst.store, &["skew-key".into()], skew)
            .expect("call")
            .expect("ring");
        let r = pol
            .grant_keyring()
            .call_verify(&mut inst.store, ring, &token, now)
            .expect("call");
        ring.resource_drop(&mut inst.store).expect("drop");
        match r {
            Ok(g) => {
                assert!(ok, "skew {skew:?} now {now}: accepted");
                assert_eq!(g, grant);
            }
            Err(GrantError::NotYetValid(t)) => {
                assert!(!ok, "skew {skew:?} now {now}: refused");
                assert_eq!((t.at, t.now), (1_100, now));
            }
            Err(e) => panic!("skew {skew:?} now {now}: {e:?}"),
        }
    }
}

#[test]
fn policy_limits_types_and_extra_signatures_through_the_component() {
    let mut inst = instance();
    let pol = inst.core.fastio_core_policy();
    let limited = UploadPolicy {
        max_size: Some(100),
        allowed: vec![FileKind::Pdf, FileKind::Custom("acme".into())],
    };
    // Declared over the limit: refused before any byte, 413.
    let e = pol
        .call_check_declared(&mut inst.store, &limited, Some(101))
        .expect("call")
        .expect_err("too large");
    assert!(matches!(
        e,
        PolicyError::TooLarge(TooLarge {
            size: 101,
            max: 100
        })
    ));
    assert_eq!(
        pol.call_http_status(&mut inst.store, &e).expect("call"),
        413
    );
    assert!(
        pol.call_describe(&mut inst.store, &e)
            .expect("call")
            .contains("at most 100")
    );
    assert!(
        pol.body_watch()
            .call_start(&mut inst.store, &limited, Some(101), &[])
            .expect("call")
            .is_err()
    );
    // Growing past the limit while streaming.
    let w = pol
        .body_watch()
        .call_start(&mut inst.store, &limited, None, &[])
        .expect("call")
        .expect("watch");
    pol.body_watch()
        .call_feed(&mut inst.store, w, b"%PDF-1.7\n")
        .expect("call")
        .expect("a pdf is allowed");
    assert_eq!(
        pol.body_watch()
            .call_kind(&mut inst.store, w)
            .expect("call"),
        Some(FileKind::Pdf)
    );
    let e = pol
        .body_watch()
        .call_feed(&mut inst.store, w, &[b'x'; 92])
        .expect("call")
        .expect_err("over the limit");
    assert!(matches!(
        e,
        PolicyError::TooLarge(TooLarge {
            size: 101,
            max: 100
        })
    ));
    assert_eq!(
        pol.body_watch()
            .call_seen(&mut inst.store, w)
            .expect("call"),
        101
    );
    w.resource_drop(&mut inst.store).expect("drop");
    // A kind not allowed is refused on its first bytes, 415.
    let w = pol
        .body_watch()
        .call_start(&mut inst.store, &limited, Some(50), &[])
        .expect("call")
        .expect("watch");
    let e = pol
        .body_watch()
        .call_feed(&mut inst.store, w, b"\x89PNG\r\n\x1a\n")
        .expect("call")
        .expect_err("png not allowed");
    match &e {
        PolicyError::TypeNotAllowed(t) => {
            assert_eq!(t.found, "png");
            assert_eq!(t.allowed, "pdf, acme");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        pol.call_http_status(&mut inst.store, &e).expect("call"),
        415
    );
    w.resource_drop(&mut inst.store).expect("drop");
    // An extra signature makes a custom kind, checked before the built-ins.
    let acme = Signature {
        offset: 2,
        magic: b"ACME".to_vec(),
        kind: FileKind::Custom("acme".into()),
    };
    let w = pol
        .body_watch()
        .call_start(
            &mut inst.store,
            &limited,
            Some(10),
            std::slice::from_ref(&acme),
        )
        .expect("call")
        .expect("watch");
    pol.body_watch()
        .call_feed(&mut inst.store, w, b"..AC")
        .expect("call")
        .expect("undecided yet");
    assert_eq!(
        pol.body_watch()
            .call_kind(&mut inst.store, w)
            .expect("call"),
        None
    );
    pol.body_watch()
        .call_feed(&mut inst.store, w, b"ME")
        .expect("call")
        .expect("acme is allowed");
    // Short of the declared length: 400 at the end.
    let e = pol
        .body_watch()
        .call_finish(&mut inst.store, w)
        .expect("call")
        .expect_err("truncated");
    assert!(matches!(
        e,
        PolicyError::Truncated(Truncated {
            declared: 10,
            got: 6
        })
    ));
    assert_eq!(
        pol.call_http_status(&mut inst.store, &e).expect("call"),
        400
    );
    w.resource_drop(&mut inst.store).expect("drop");
    let s = pol
        .sniffer()
        .call_constructor(&mut inst.store, std::slice::from_ref(&acme))
        .expect("sniffer");
    assert_eq!(
        pol.sniffer()
            .call_sniff(&mut inst.store, s, b"..ACME and more", true)
            .expect("call"),
        Sniff::Known(FileKind::Custom("acme".into()))
    );
    s.resource_drop(&mut inst.store).expect("drop");
    // Names, MIME types, limits combined, the window.
    for (name, kind) in [
        ("JPG", FileKind::Jpeg),
        (" txt ", FileKind::Text),
        ("m4v", FileKind::Mp4),
        ("acme", FileKind::Custom("acme".into())),
    ] {
        assert_eq!(
            pol.call_kind_from_name(&mut inst.store, name)
                .expect("call"),
            kind,
            "{name}"
        );
    }
    assert_eq!(
        pol.call_kind_name(&mut inst.store, &FileKind::Jpeg)
            .expect("call"),
        "jpeg"
    );
    assert_eq!(
        pol.call_kind_mime(&mut inst.store, &FileKind::Pdf)
            .expect("call"),
        "application/pdf"
    );
    let merged = pol
        .call_with_max_size(&mut inst.store, &limited, Some(40))
        .expect("call");
    assert_eq!(merged.max_size, Some(40));
    assert_eq!(merged.allowed, limited.allowed);
    let merged = pol
        .call_with_max_size(&mut inst.store, &open_policy(), Some(40))
        .expect("call");
    assert_eq!(merged.max_size, Some(40));
    assert!(
        pol.call_check_kind(&mut inst.store, &limited, None)
            .expect("call")
            .is_err()
    );
    assert!(
        pol.call_check_kind(&mut inst.store, &open_policy(), None)
            .expect("call")
            .is_ok()
    );
    assert_eq!(
        pol.call_sniff_window(&mut inst.store).expect("call") as usize,
        fastio_core::policy::SNIFF_WINDOW
    );
}

fn plans_vector() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/upload/plans.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

fn wit_plan_config(c: &CorePlanConfig) -> PlanConfig {
    PlanConfig {
        single_request_max: c.single_request_max,
        chunk_size: c.chunk_size,
        max_chunks: c.max_chunks,
        max_file_size: c.max_file_size,
        max_in_flight: c.max_in_flight,
    }
}

/// A plan or its refusal in the vectors' `expect` shape.
fn wit_plan_json(r: &Result<UploadPlan, PlanError>) -> Value {
    match r {
        Ok(UploadPlan::Single(size)) => json!({"plan": {"kind": "single", "size": size}}),
        Ok(UploadPlan::Chunked(p)) => json!({"plan": {
            "kind": "chunked",
            "size": p.size,
            "chunk_size": p.chunk_size,
            "chunk_count": p.chunk_count,
            "max_in_flight": p.max_in_flight,
        }}),
        Ok(UploadPlan::Stream(max)) => json!({"plan": {"kind": "stream", "max_size": max}}),
        Err(PlanError::TooLarge(e)) => json!({"error": "too_large", "size": e.size, "max": e.max}),
        Err(PlanError::TooManyChunks(e)) => json!({
            "error": "too_many_chunks",
            "size": e.size,
            "chunk_size": e.chunk_size,
            "chunks": e.chunks,
            "max": e.max,
        }),
        Err(PlanError::InvalidConfig(_)) => json!({"error": "invalid_config"}),
    }
}

fn native_plan_json(r: Result<CorePlan, CorePlanError>) -> Value {
    match r {
        // The core's plan serialises in exactly the vectors' shape.
        Ok(p) => json!({ "plan": serde_json::to_value(p).expect("plan json") }),
        Err(CorePlanError::TooLarge { size, max }) => {
            json!({"error": "too_large", "size": size, "max": max})
        }
        Err(CorePlanError::TooManyChunks {
            size,
            chunk_size,
            chunks,
            max,
        }) => json!({
            "error": "too_many_chunks",
            "size": size,
            "chunk_size": chunk_size,
            "chunks": chunks,
            "max": max,
        }),
        Err(CorePlanError::InvalidConfig(_)) => json!({"error": "invalid_config"}),
        Err(e) => panic!("unexpected plan error {e}"),
    }
}

/// The vectors' `expect` without the chunk list, which the plan implies.
fn plan_expect(expect: &Value) -> Value {
    match expect.get("plan") {
        Some(plan) => json!({ "plan": plan }),
        None => expect.clone(),
    }
}

#[test]
fn plan_and_stream_vectors_match_native_and_expected() {
    let v = plans_vector();
    let mut inst = instance();
    let up = inst.core.fastio_core_uploads();
    let mut checked = 0;
    for (files, c) in v["plans"]
        .as_array()
        .expect("plans")
        .iter()
        .map(|c| (true, c))
        .chain(
            v["streams"]
                .as_array()
                .expect("streams")
                .iter()
                .map(|c| (false, c)),
        )
    {
        let cfg: CorePlanConfig = serde_json::from_value(c["config"].clone()).expect("config");
        let (size, stream_max) = if files {
            (Some(c["size"].as_u64().expect("size")), None)
        } else {
            (None, c["max_size"].as_u64())
        };
        let got = up
            .call_plan_upload(&mut inst.store, size, stream_max, wit_plan_config(&cfg))
            .expect("call");
        let engine = fastio_wasmtime::native::plan_upload(size, stream_max, &wit_plan_config(&cfg));
        assert_eq!(got, engine, "{}: the native engine differs", c["name"]);
        let native = native_plan_json(match size {
            Some(size) => core_plan(size, &cfg),
            None => CorePlan::stream(stream_max, &cfg),
        });
        assert_eq!(wit_plan_json(&got), native, "{}", c["name"]);
        assert_eq!(native, plan_expect(&c["expect"]), "{}", c["name"]);
        checked += 1;
    }
    assert!(checked >= 26, "only {checked} plan vectors");
}

#[test]
fn limits_vectors_match_native_and_expected() {
    let v = plans_vector();
    let mut inst = instance();
    let up = inst.core.fastio_core_uploads();
    let cases = v["limits"].as_array().expect("limits");
    assert!(cases.len() >= 17, "only {} limits vectors", cases.len());
    for c in cases {
        let fallback: CorePlanConfig =
            serde_json::from_value(c["fallback"].clone()).expect("fallback");
        let want: CorePlanConfig = serde_json::from_value(c["expect"].clone()).expect("expect");
        // serde_json keeps `4194304.0` a float, so the body sent is the
        // vector's own spelling.
        let body = c["limits"].to_string();
        let got = up
            .call_apply_limits(&mut inst.store, &body, wit_plan_config(&fallback))
            .expect("call");
        let engine = fastio_wasmtime::native::apply_limits(&body, &wit_plan_config(&fallback));
        assert_eq!(got, engine, "{}: the native engine differs", c["name"]);
        let native = CorePlanConfig::from_limits(&c["limits"], &fallback);
        assert_eq!(got, wit_plan_config(&native), "{}", c["name"]);
        assert_eq!(native, want, "{}", c["name"]);
    }
    // A body that is not JSON states no limits.
    let cfg = CorePlanConfig::default();
    let got = up
        .call_apply_limits(&mut inst.store, "<html>busy</html>", wit_plan_config(&cfg))
        .expect("call");
    assert_eq!(got, wit_plan_config(&cfg));
}

/// A file the limits refuse fails as a typed `plan` error, the same in both
/// engines, before any request exists.
#[test]
fn unplannable_uploads_are_typed_plan_errors_in_both_engines() {
    use fastio_wasmtime::bindings::exports::fastio::core::uploads::{
        UploadError, UploadOptions, UploadSpec,
    };
    use fastio_wasmtime::engine::Engine;

    let cfg = ClientConfig {
        base_url: "http://127.0.0.1:9/".into(),
        credential: Some(Credential::ApiKey("test-api-key".into())),
        user_agent: None,
        chunk_params: ChunkParams::Query,
        max_response_bytes: None,
    };
    let options = |max_chunks, max_file_size| UploadOptions {
        chunk_size: Some(1 << 20),
        single_request_max: None,
        parallel: Some(2),
        request_timeout_ms: None,
        seed: None,
        stream_max_size: None,
        max_chunks,
        max_file_size,
        fetch_limits: None,
        persist_token: None,
        file_digest: None,
        verify_stored: None,
        host_keeps_chunks: None,
    };
    for mut engine in [Engine::component(instance()), Engine::Native] {
        let name = engine.name();
        let cases = [
            // Past the core's chunk ceiling whatever the options say.
            (u64::MAX, options(None, None), "too_many_chunks"),
            (5 << 20, options(Some(4), None), "too_many_chunks"),
            (11, options(None, Some(10)), "too_large"),
        ];
        for (size, opts, want) in cases {
            let spec = UploadSpec {
                name: "big.bin".into(),
                size: Some(size),
                workspace: "ws".into(),
                folder: "root".into(),
            };
            let got = match engine.upload(&cfg, Some(&spec), None, opts).expect("call") {
                Ok(_) => panic!("{name}: a {size}-byte upload was planned"),
                Err(e) => e,
            };
            let kind = match &got {
                UploadError::Plan(PlanError::TooManyChunks(e)) => {
                    assert_eq!(e.size, size, "{name}");
                    assert!(e.chunks > e.max, "{name}: {e:?}");
                    "too_many_chunks"
                }
                UploadError::Plan(PlanError::TooLarge(e)) => {
                    assert_eq!((e.size, e.max), (size, 10), "{name}");
                    "too_large"
                }
                other => panic!("{name}: {other:?}"),
            };
            assert_eq!(kind, want, "{name}: size {size}");
        }
    }
}
