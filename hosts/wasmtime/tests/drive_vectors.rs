//! Replays `tests/vectors/drive/` through the WIT: the component under
//! wasmtime and the native engine, each step as the format says
//! (`tests/vectors/drive/README.md`; `core/tests/drive_vectors.rs` is the
//! same replay against the core).

use std::collections::HashMap;
use std::path::PathBuf;

use fastio_wasmtime::bindings::exports::fastio::core::types::{
    ChunkParams, ClientConfig, Credential, Error, Header, HttpRequest, HttpResponse, Method,
};
use fastio_wasmtime::bindings::exports::fastio::core::uploads::{
    Action, DownloadAction, DownloadSpec, Fed, InputError, StoredCheck, UploadError, UploadOptions,
    UploadSpec,
};
use fastio_wasmtime::engine::Engine;
use fastio_wasmtime::{Core, describe};
use serde_json::Value;

fn vector_file(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/vectors/drive")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("read vectors")).expect("json")
}

fn method(m: Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
        Method::Head => "HEAD",
    }
}

fn fed_name(r: &Result<Fed, InputError>) -> &'static str {
    match r {
        Ok(Fed::Accepted) => "accepted",
        Ok(Fed::Ignored) => "ignored",
        Err(_) => "misuse",
    }
}

fn options(o: &Value) -> UploadOptions {
    let u = |k: &str| o.get(k).and_then(Value::as_u64);
    let b = |k: &str| o.get(k).and_then(Value::as_bool);
    UploadOptions {
        chunk_size: u("chunk_size"),
        single_request_max: u("single_request_max"),
        parallel: u("parallel").map(|n| n as u32),
        request_timeout_ms: u("request_timeout_ms"),
        seed: u("seed"),
        stream_max_size: None,
        max_chunks: None,
        max_file_size: None,
        fetch_limits: b("fetch_limits"),
        persist_token: b("persist_token"),
        file_digest: o
            .get("file_digest")
            .and_then(Value::as_str)
            .map(|a| describe::parse_algo(a).expect("an algorithm")),
        verify_stored: b("verify_stored"),
        host_keeps_chunks: None,
    }
}

/// Replays every case on `engine`; returns the steps checked.
fn config(doc: &Value) -> ClientConfig {
    ClientConfig {
        base_url: doc["base_url"].as_str().expect("base").into(),
        credential: Some(Credential::ApiKey(
            doc["api_key"].as_str().expect("key").into(),
        )),
        user_agent: None,
        chunk_params: ChunkParams::Query,
        max_response_bytes: None,
    }
}

/// Checks a request against a vector's `{method, path, query, absent}`: the
/// URL is the base plus `path`, carrying the listed query parameters among
/// its own and none of the `absent` ones.
fn check_request(at: &str, want: &Value, base: &str, req: &HttpRequest) {
    assert_eq!(want["method"].as_str(), Some(method(req.method)), "{at}");
    let rest = req.url.strip_prefix(base).expect("under the base");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    assert_eq!(want["path"].as_str(), Some(path), "{at}");
    let pairs: HashMap<&str, &str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    for (k, v) in want
        .get("query")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        assert_eq!(pairs.get(k.as_str()).copied(), v.as_str(), "{at}: {k}");
    }
    for k in want
        .get("absent")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let k = k.as_str().expect("a name");
        assert!(!pairs.contains_key(k), "{at}: {k} must be absent");
    }
}

fn replay_all(engine: &mut Engine, doc: &Value) -> usize {
    let base = doc["base_url"].as_str().expect("base");
    let cfg = config(doc);
    let mut checked = 0;
    let engine_name = engine.name();
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let s = &case["spec"];
        let size = s["size"].as_u64().expect("size");
        let file: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let spec = UploadSpec {
            name: s["name"].as_str().expect("name").into(),
            size: Some(size),
            workspace: s["workspace"].as_str().expect("ws").into(),
            folder: s["folder"].as_str().expect("folder").into(),
        };
        let mut up = engine
            .upload(&cfg, Some(&spec), None, options(&case["options"]))
            .expect("engine")
            .expect("plan");
        let mut now = 0u64;
        let mut ids: HashMap<String, u64> = HashMap::new();
        let mut reads: HashMap<String, (u64, u64)> = HashMap::new();
        for (i, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
            let at = format!("{engine_name} {name} step {i}");
            checked += 1;
            if let Some(want) = step.get("pull") {
                let got = up.next_action(now).expect("call");
                let kind = want
                    .as_object()
                    .and_then(|o| o.keys().next())
                    .map(String::as_str);
                match (kind, got) {
                    (Some("send"), Some(Action::Send(r))) => {
                        check_request(&at, &want["send"], base, &r.request);
                        if let Some(n) = step["as"].as_str() {
                            ids.insert(n.into(), r.id);
                        }
                    }
                    (Some("read"), Some(Action::Read(r))) => {
                        assert_eq!(want["read"]["offset"].as_u64(), Some(r.offset), "{at}");
                        assert_eq!(want["read"]["len"].as_u64(), Some(r.len), "{at}");
                        let n = step["as"].as_str().expect("a read is named");
                        ids.insert(n.into(), r.id);
                        reads.insert(n.into(), (r.offset, r.len));
                    }
                    (Some("wait"), Some(Action::Wait(t))) => {
                        assert_eq!(want["wait"].as_u64(), Some(t), "{at}");
                    }
                    (Some("persist"), Some(Action::Persist(token))) => {
                        let t: Value = serde_json::from_str(&token).expect("token json");
                        let w = &want["persist"];
                        assert_eq!(t["upload_id"], w["upload_id"], "{at}");
                        let acked: Vec<Value> = t["acked"]
                            .as_array()
                            .expect("acked")
                            .iter()
                            .map(|a| a["order"].clone())
                            .collect();
                        assert_eq!(&Value::Array(acked), &w["acked"], "{at}");
                    }
                    (Some("progress"), Some(Action::Progress(p))) => {
                        let w = &want["progress"];
                        assert_eq!(w["chunks_acked"].as_u64(), Some(p.chunks_acked), "{at}");
                        assert_eq!(w["bytes_acked"].as_u64(), Some(p.bytes_acked), "{at}");
                    }
                    (Some("done"), Some(Action::Done(d))) => {
                        assert_eq!(
                            want["done"]["node_id"].as_str(),
                            d.node_id.as_deref(),
                            "{at}"
                        );
                        assert_eq!(want["done"]["size"].as_u64(), Some(d.size), "{at}");
                        let stored = match &d.stored {
                            StoredCheck::NotAsked => "not_asked",
                            StoredCheck::Matched => "matched",
                            StoredCheck::Unavailable(_) => "unavailable",
                        };
                        assert_eq!(want["done"]["stored"].as_str(), Some(stored), "{at}");
                        let digest = d.digest.as_ref().map(|g| {
                            serde_json::json!({"algo": describe::algo_name(g.algo), "hex": g.hex})
                        });
                        assert_eq!(
                            want["done"]["digest"],
                            digest.unwrap_or(Value::Null),
                            "{at}"
                        );
                    }
                    (Some("failed"), Some(Action::Failed(e))) => {
                        let kind = match e {
                            UploadError::StoredMismatch(_) | UploadError::Integrity(_) => {
                                "integrity"
                            }
                            other => panic!("{at}: {other:?}"),
                        };
                        assert_eq!(want["failed"].as_str(), Some(kind), "{at}");
                    }
                    (Some("none"), None) => {}
                    (w, g) => panic!("{at}: wanted {w:?}, got {g:?}"),
                }
                continue;
            }
            let want = step["fed"].as_str();
            let r = if let Some(n) = step.get("respond").and_then(Value::as_str) {
                let a = &step["answer"];
                let resp = HttpResponse {
                    status: a["status"].as_u64().expect("status") as u16,
                    headers: Vec::new(),
                    body: a["body"].as_str().expect("body").as_bytes().to_vec(),
                };
                up.on_response(ids[n], &resp, now).expect("call")
            } else if let Some(n) = step.get("data").and_then(Value::as_str) {
                let (offset, len) = reads[n];
                up.on_data(ids[n], &file[offset as usize..(offset + len) as usize], now)
                    .expect("call")
            } else if let Some(n) = step.get("transport_error").and_then(Value::as_str) {
                up.on_transport_error(ids[n], "connection reset", now)
                    .expect("call")
            } else if let Some(t) = step.get("timeout").and_then(Value::as_u64) {
                now = t;
                up.on_timeout(now).expect("call");
                continue;
            } else if let Some(t) = step.get("clock").and_then(Value::as_u64) {
                now = t;
                continue;
            } else {
                panic!("{at}: unknown step {step}");
            };
            assert_eq!(Some(fed_name(&r)), want, "{at}: {r:?}");
        }
    }
    checked
}

/// Replays one file of `tests/vectors/drive/` on the component and on the
/// native engine: both check every step, and the same number of them.
fn on_both_engines(file: &str, replay: fn(&mut Engine, &Value) -> usize, minimum: usize) {
    let doc = vector_file(file);
    let component = Core::load(fastio_wasmtime::default_component_path())
        .expect("component (build it with hosts/wasmtime/run_tests.sh)")
        .instantiate()
        .expect("instantiate");
    let mut counts = Vec::new();
    for mut engine in [Engine::component(component), Engine::Native] {
        counts.push(replay(&mut engine, &doc));
    }
    assert!(counts[0] >= minimum, "every step was replayed: {counts:?}");
    assert_eq!(counts[0], counts[1]);
}

#[test]
fn drive_traces_replay_on_both_engines() {
    on_both_engines("upload.json", replay_all, 51);
}

/// The defaults every surface takes from the core are the same through the
/// component, the native engine and the core itself.
#[test]
fn defaults_are_the_cores_in_both_engines() {
    let core = fastio_core::defaults::defaults();
    let component = Core::load(fastio_wasmtime::default_component_path())
        .expect("component")
        .instantiate()
        .expect("instantiate");
    for mut engine in [Engine::component(component), Engine::Native] {
        let d = engine.defaults().expect("call");
        assert_eq!(d.base_url, core.base_url);
        assert_eq!(d.parallel, core.parallel);
        assert_eq!(d.chunk_size, core.chunk_size);
        assert_eq!(d.single_request_max, core.single_request_max);
        assert_eq!(d.chunk_size_ceiling, core.chunk_size_ceiling);
        assert_eq!(d.parallel_ceiling, core.parallel_ceiling);
        assert_eq!(d.max_response_bytes, core.max_response_bytes);
        assert_eq!(d.request_timeout_ms, core.request_timeout_ms);
    }
}

/// Decoding by model name reads the core's one table of names in both
/// engines: every name decodes, an unknown one is refused as input.
#[test]
fn decode_targets_are_the_cores_in_both_engines() {
    use fastio_wasmtime::bindings::exports::fastio::core::requests::DecodeOptions;
    use fastio_wasmtime::bindings::exports::fastio::core::types::Error;
    let component = Core::load(fastio_wasmtime::default_component_path())
        .expect("component")
        .instantiate()
        .expect("instantiate");
    let want: Vec<String> = fastio_core::decode::DECODE_TARGETS
        .iter()
        .map(|t| (*t).to_string())
        .collect();
    let opts = DecodeOptions {
        max_body_bytes: 1 << 20,
        resendable: true,
    };
    let node = HttpResponse {
        status: 200,
        headers: Vec::new(),
        body: br#"{"result":true,"node":{"id":"n1","name":"a.txt","size":3}}"#.to_vec(),
    };
    for mut engine in [Engine::component(component), Engine::Native] {
        assert_eq!(engine.decode_targets().expect("call"), want);
        let d = engine
            .decode_as("node_details", &node, opts)
            .expect("call")
            .expect("decoded");
        let v: Value = serde_json::from_str(&d.value_json).expect("json");
        assert_eq!(v["node"]["id"], "n1", "{v}");
        let bad = engine
            .decode_as("no_such_model", &node, opts)
            .expect("call");
        assert!(matches!(bad, Err(Error::InvalidInput(_))), "{bad:?}");
    }
}

/// Replays `pager.json` on one engine; returns the steps checked.
fn replay_pager(engine: &mut Engine, doc: &Value) -> usize {
    let base = doc["base_url"].as_str().expect("base");
    let cfg = config(doc);
    let engine_name = engine.name();
    let mut checked = 0;
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let max = case
            .get("max_pages")
            .and_then(Value::as_u64)
            .map(|m| m as u32);
        let made = engine
            .pager(&cfg, &case["call"].to_string(), max)
            .expect("engine");
        if case.get("refused").is_some() {
            assert!(
                matches!(made, Err(Error::InvalidInput(_))),
                "{engine_name} {name}: refused"
            );
            checked += 1;
            continue;
        }
        let mut pager = made.expect("a pager");
        for (i, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
            let at = format!("{engine_name} {name} step {i}");
            checked += 1;
            let next = pager.next_request().expect("call");
            if step.get("end").is_some() {
                assert!(matches!(next, Ok(None)), "{at}: the walk is over");
                continue;
            }
            if step.get("next_error").is_some() {
                assert!(matches!(next, Err(Error::Other(_))), "{at}: {next:?}");
                continue;
            }
            let req = next.expect("a request").expect("a page is due");
            check_request(&at, &step["request"], base, &req);
            let a = &step["answer"];
            let resp = HttpResponse {
                status: a["status"].as_u64().expect("status") as u16,
                headers: vec![],
                body: a["body"].as_str().expect("body").as_bytes().to_vec(),
            };
            let got = pager.on_response(&resp).expect("call");
            if let Some(w) = step.get("page") {
                let page = got.expect("a page");
                let ids: Vec<Value> = page
                    .items_json
                    .iter()
                    .map(|i| serde_json::from_str::<Value>(i).expect("item")["id"].clone())
                    .collect();
                assert_eq!(Some(&ids), w["items"].as_array(), "{at}: items");
                assert_eq!(Some(page.done), w["done"].as_bool(), "{at}: done");
                let degraded: Vec<String> = w["degraded"]
                    .as_array()
                    .map(|d| {
                        d.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                assert_eq!(page.degraded, degraded, "{at}: degraded");
            } else {
                let w = &step["error"]["api"];
                let Err(Error::Api(e)) = got else {
                    panic!("{at}: wanted an API error, got {got:?}");
                };
                assert_eq!(e.status.map(u64::from), w["status"].as_u64(), "{at}");
                if let Some(k) = w.get("kind") {
                    assert_eq!(Some(e.kind.as_str()), k.as_str(), "{at}");
                }
            }
        }
    }
    checked
}

#[test]
fn pager_traces_replay_on_both_engines() {
    on_both_engines("pager.json", replay_pager, 20);
}

/// The `failed` kind of a download vector, as the WIT names it.
fn failure_kind(e: &UploadError) -> &'static str {
    match e {
        UploadError::Integrity(_) | UploadError::Verify(_) => "integrity",
        UploadError::Api(_) => "api",
        UploadError::RetriesExhausted(_) => "retries_exhausted",
        _ => "other",
    }
}

/// Replays `download.json` on one engine; returns the steps checked.
fn replay_download(engine: &mut Engine, doc: &Value) -> usize {
    let base = doc["base_url"].as_str().expect("base");
    let cfg = config(doc);
    let engine_name = engine.name();
    let file: Vec<u8> = (0..doc["file"]["size"].as_u64().expect("size"))
        .map(|i| (i % 251) as u8)
        .collect();
    let spec = DownloadSpec {
        workspace: doc["spec"]["workspace"].as_str().expect("ws").into(),
        node_id: doc["spec"]["node"].as_str().expect("node").into(),
    };
    let mut checked = 0;
    for case in doc["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let mut d = engine
            .download(&cfg, &spec, doc["seed"].as_u64().expect("seed"))
            .expect("engine");
        let mut now = 0u64;
        let mut ids: HashMap<String, u64> = HashMap::new();
        for (i, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
            let at = format!("{engine_name} {name} step {i}");
            checked += 1;
            let want_fed = step.get("fed").and_then(Value::as_str);
            if let Some(want) = step.get("pull") {
                let got = d.next_action(now).expect("call");
                let (kind, w) = want
                    .as_object()
                    .and_then(|o| o.iter().next())
                    .expect("pull");
                match (kind.as_str(), got) {
                    ("send", Some(DownloadAction::Send(s))) => {
                        assert_eq!(Some(s.stream_response), w["stream"].as_bool(), "{at}");
                        match w.get("url").and_then(Value::as_str) {
                            Some(url) => {
                                assert_eq!(s.request.url, url, "{at}: url");
                                assert_eq!(
                                    w["method"].as_str(),
                                    Some(method(s.request.method)),
                                    "{at}"
                                );
                            }
                            None => check_request(&at, w, base, &s.request),
                        }
                        if let Some(creds) = w.get("credentials").and_then(Value::as_bool) {
                            let has = s
                                .request
                                .headers
                                .iter()
                                .any(|h| h.name.eq_ignore_ascii_case("authorization"));
                            assert_eq!(has, creds, "{at}: credentials");
                        }
                        ids.insert(step["as"].as_str().expect("as").into(), s.id);
                    }
                    ("wait", Some(DownloadAction::Wait(t))) => {
                        assert_eq!(Some(t), w.as_u64(), "{at}: wait");
                    }
                    ("progress", Some(DownloadAction::Progress(p))) => {
                        assert_eq!(Some(p.bytes), w["bytes"].as_u64(), "{at}");
                        assert_eq!(p.total, w["total"].as_u64(), "{at}");
                    }
                    ("done", Some(DownloadAction::Done(done))) => {
                        assert_eq!(Some(done.size), w["size"].as_u64(), "{at}");
                        assert_eq!(Some(done.sha256.as_str()), w["sha256"].as_str(), "{at}");
                    }
                    ("failed", Some(DownloadAction::Failed(e))) => {
                        assert_eq!(Some(failure_kind(&e)), w.as_str(), "{at}: {e:?}");
                    }
                    ("none", None) => {}
                    (k, other) => panic!("{at}: wanted {k}, got {other:?}"),
                }
            } else if let Some(n) = step.get("respond").and_then(Value::as_str) {
                let a = &step["answer"];
                let resp = HttpResponse {
                    status: a["status"].as_u64().expect("status") as u16,
                    headers: a
                        .get("headers")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|h| Header {
                            name: h[0].as_str().expect("name").into(),
                            value: h[1].as_str().expect("value").into(),
                        })
                        .collect(),
                    body: a["body"].as_str().expect("body").as_bytes().to_vec(),
                };
                let got = d.on_response(ids[n], &resp, now).expect("call");
                assert_eq!(Some(fed_name(&got)), want_fed, "{at}");
            } else if let Some(n) = step.get("data").and_then(Value::as_str) {
                let r = &step["range"];
                let (a, b) = (
                    r[0].as_u64().expect("a") as usize,
                    r[1].as_u64().expect("b") as usize,
                );
                let got = d.on_data(ids[n], &file[a..b]).expect("call");
                assert_eq!(Some(fed_name(&got)), want_fed, "{at}");
            } else if let Some(n) = step.get("end").and_then(Value::as_str) {
                let got = d.on_end(ids[n]).expect("call");
                assert_eq!(Some(fed_name(&got)), want_fed, "{at}");
            } else if let Some(n) = step.get("transport_error").and_then(Value::as_str) {
                let got = d
                    .on_transport_error(ids[n], "connection reset", now)
                    .expect("call");
                assert_eq!(Some(fed_name(&got)), want_fed, "{at}");
            } else if let Some(t) = step.get("timeout").and_then(Value::as_u64) {
                now = t;
                d.on_timeout(now).expect("call");
            } else if let Some(t) = step.get("clock").and_then(Value::as_u64) {
                now = t;
            } else {
                panic!("{at}: unknown step {step}");
            }
        }
    }
    checked
}

#[test]
fn download_traces_replay_on_both_engines() {
    on_both_engines("download.json", replay_download, 40);
}
