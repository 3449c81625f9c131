//! Replays the driver traces of `tests/vectors/drive/` against the core's
//! machines: every action the host is handed, in order, and what each
//! answer it feeds becomes (used, ignored, refused as misuse). Every surface
//! replays the same files through its own projection (UniFFI, the WIT).

use std::collections::HashMap;
use std::path::PathBuf;

use fastio_core::api::{Client, Profile};
use fastio_core::config::ClientConfig;
use fastio_core::download::{Download, DownloadAction, DownloadSpec};
use fastio_core::hash::HashAlgo;
use fastio_core::http::{HttpRequest, HttpResponse};
use fastio_core::pager::{PageError, Pager};
use fastio_core::upload::{
    Action, Fed, InputError, StoredCheck, Upload, UploadConfig, UploadError, UploadSpec,
};
use serde_json::Value;

fn vectors() -> Value {
    vector_file("upload.json")
}

fn vector_file(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors/drive")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("read vectors")).expect("json")
}

fn pattern(len: u64) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn config(o: &Value) -> UploadConfig {
    let mut c = UploadConfig::default();
    let u = |k: &str| o.get(k).and_then(Value::as_u64);
    if let Some(n) = u("chunk_size") {
        c.plan.chunk_size = n;
    }
    if let Some(n) = u("single_request_max") {
        c.plan.single_request_max = n;
    }
    if let Some(n) = u("parallel") {
        c.plan.max_in_flight = n as u32;
    }
    if let Some(n) = u("request_timeout_ms") {
        c.request_timeout_ms = n;
    }
    if let Some(n) = u("seed") {
        c.seed = n;
    }
    c.fetch_limits = o.get("fetch_limits").and_then(Value::as_bool) == Some(true);
    c.persist_token = o.get("persist_token").and_then(Value::as_bool) == Some(true);
    c.file_digest = o
        .get("file_digest")
        .and_then(Value::as_str)
        .map(|a| HashAlgo::parse(a).expect("an algorithm"));
    c.verify_stored = o.get("verify_stored").and_then(Value::as_bool) == Some(true);
    c
}

/// Checks a `send` expectation against a request: method, the URL's path
/// after the base URL, and a subset of its query parameters.
fn check_send(case: &str, want: &Value, base: &str, req: &HttpRequest) {
    assert_eq!(
        want["method"].as_str(),
        Some(req.method.as_str()),
        "{case}: method of {}",
        req.url
    );
    let rest = req.url.strip_prefix(base).expect("url under the base");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    assert_eq!(want["path"].as_str(), Some(path), "{case}: path");
    let got: HashMap<String, String> = url_pairs(query);
    if let Some(q) = want.get("query").and_then(Value::as_object) {
        for (k, v) in q {
            assert_eq!(
                got.get(k).map(String::as_str),
                v.as_str(),
                "{case}: query {k}"
            );
        }
    }
    for k in want
        .get("absent")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let k = k.as_str().expect("absent names a parameter");
        assert!(!got.contains_key(k), "{case}: {k} must be absent");
    }
}

fn url_pairs(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn fed_name(r: &Result<Fed, InputError>) -> &'static str {
    match r {
        Ok(Fed::Accepted) => "accepted",
        Ok(Fed::Ignored) => "ignored",
        Err(_) => "misuse",
    }
}

fn answer(v: &Value) -> HttpResponse {
    HttpResponse::new(
        v["status"].as_u64().expect("status") as u16,
        v["body"].as_str().expect("body").as_bytes().to_vec(),
    )
}

fn replay(doc: &Value, case: &Value) {
    let name = case["name"].as_str().expect("name");
    let base = doc["base_url"].as_str().expect("base");
    let key = doc["api_key"].as_str().expect("key");
    let client =
        Client::new(ClientConfig::with_api_key(base, key).expect("config")).expect("client");
    let s = &case["spec"];
    let size = s["size"].as_u64().expect("size");
    let file = pattern(size);
    let mut spec = UploadSpec::file(
        s["name"].as_str().expect("name"),
        size,
        s["workspace"].as_str().expect("workspace"),
    );
    spec.target = Some(Profile::Workspace(
        s["workspace"].as_str().expect("ws").into(),
    ));
    spec.folder_id = s["folder"].as_str().expect("folder").into();
    let mut up = Upload::new(client, spec, config(&case["options"])).expect("plan");
    let mut now = 0u64;
    let mut ids: HashMap<String, u64> = HashMap::new();
    let mut reads: HashMap<String, (u64, u64)> = HashMap::new();
    for (i, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
        let at = format!("{name} step {i}");
        if let Some(want) = step.get("pull") {
            let got = up.next_action(now);
            match (
                want.as_object()
                    .and_then(|o| o.keys().next())
                    .map(String::as_str),
                got,
            ) {
                (Some("send"), Some(Action::Send { id, request })) => {
                    check_send(&at, &want["send"], base, &request);
                    if let Some(n) = step["as"].as_str() {
                        ids.insert(n.into(), id);
                    }
                }
                (Some("read"), Some(Action::Read { id, offset, len })) => {
                    assert_eq!(want["read"]["offset"].as_u64(), Some(offset), "{at}");
                    assert_eq!(want["read"]["len"].as_u64(), Some(len), "{at}");
                    let n = step["as"].as_str().expect("a read is named");
                    ids.insert(n.into(), id);
                    reads.insert(n.into(), (offset, len));
                }
                (Some("wait"), Some(Action::Wait { until_ms })) => {
                    assert_eq!(want["wait"].as_u64(), Some(until_ms), "{at}");
                }
                (Some("persist"), Some(Action::Persist { token })) => {
                    let w = &want["persist"];
                    assert_eq!(
                        w["upload_id"].as_str(),
                        Some(token.upload_id.as_str()),
                        "{at}"
                    );
                    let acked: Vec<u64> = token.acked.iter().map(|a| a.order).collect();
                    let want_acked: Vec<u64> = w["acked"]
                        .as_array()
                        .expect("acked")
                        .iter()
                        .filter_map(Value::as_u64)
                        .collect();
                    assert_eq!(acked, want_acked, "{at}");
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
                        StoredCheck::Unavailable { .. } => "unavailable",
                        other => panic!("{at}: {other:?}"),
                    };
                    assert_eq!(want["done"]["stored"].as_str(), Some(stored), "{at}");
                    assert_eq!(
                        want["done"]["digest"],
                        serde_json::to_value(&d.digest).unwrap(),
                        "{at}"
                    );
                }
                (Some("failed"), Some(Action::Failed(e))) => {
                    let kind = match e {
                        UploadError::StoredMismatch { .. } | UploadError::Integrity { .. } => {
                            "integrity"
                        }
                        other => panic!("{at}: {other:?}"),
                    };
                    assert_eq!(want["failed"].as_str(), Some(kind), "{at}");
                }
                (Some("none"), None) => {}
                (w, g) => panic!("{at}: wanted {w:?}, got {g:?}"),
            }
        } else if let Some(n) = step.get("respond").and_then(Value::as_str) {
            let r = up.on_response(ids[n], &answer(&step["answer"]), now);
            assert_eq!(
                fed_name(&r),
                step["fed"].as_str().expect("fed"),
                "{at}: {r:?}"
            );
        } else if let Some(n) = step.get("data").and_then(Value::as_str) {
            let (offset, len) = reads[n];
            let bytes = file[offset as usize..(offset + len) as usize].to_vec();
            let r = up.on_data(ids[n], bytes, now);
            assert_eq!(
                fed_name(&r),
                step["fed"].as_str().expect("fed"),
                "{at}: {r:?}"
            );
        } else if let Some(n) = step.get("transport_error").and_then(Value::as_str) {
            let r = up.on_transport_error(ids[n], "connection reset", now);
            assert_eq!(
                fed_name(&r),
                step["fed"].as_str().expect("fed"),
                "{at}: {r:?}"
            );
        } else if let Some(t) = step.get("timeout").and_then(Value::as_u64) {
            now = t;
            up.on_timeout(now);
        } else if let Some(t) = step.get("clock").and_then(Value::as_u64) {
            now = t;
        } else {
            panic!("{at}: unknown step {step}");
        }
    }
}

#[test]
fn every_drive_trace_replays() {
    let doc = vectors();
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 5, "the traces are all there");
    for case in cases {
        replay(&doc, case);
    }
}

/// The ids of a page's items, to compare with the vector's.
fn item_ids(items: &[Value]) -> Vec<&str> {
    items
        .iter()
        .map(|i| i["id"].as_str().expect("an item id"))
        .collect()
}

fn replay_pager(doc: &Value, case: &Value) -> usize {
    let name = case["name"].as_str().expect("name");
    let base = doc["base_url"].as_str().expect("base");
    let client = Client::new(
        ClientConfig::with_api_key(base, doc["api_key"].as_str().expect("key")).expect("config"),
    )
    .expect("client");
    let call = serde_json::from_value(case["call"].clone()).expect("call");
    let made = Pager::new(call);
    if let Some(kind) = case.get("refused") {
        assert_eq!(kind, "not_pageable", "{name}");
        assert!(
            matches!(made, Err(PageError::NotPageable(_))),
            "{name}: {made:?}"
        );
        return 1;
    }
    let mut pager = made.expect("a pager");
    if let Some(max) = case.get("max_pages").and_then(Value::as_u64) {
        pager = pager.with_max_pages(max as u32);
    }
    let steps = case["steps"].as_array().expect("steps");
    for (i, step) in steps.iter().enumerate() {
        let at = format!("{name} step {i}");
        if step.get("end").is_some() {
            assert!(
                pager.next_request(&client).is_none(),
                "{at}: the walk is over"
            );
            assert!(pager.is_done(), "{at}");
        } else if let Some(kind) = step.get("next_error") {
            assert_eq!(kind, "page_limit", "{at}");
            let next = pager.next_request(&client);
            assert!(
                matches!(next, Some(Err(PageError::TooManyPages { .. }))),
                "{at}: {next:?}"
            );
        } else {
            let req = pager
                .next_request(&client)
                .expect("a page is due")
                .expect("a request");
            check_send(&at, &step["request"], base, &req);
            let got = pager.on_response(&client, &answer(&step["answer"]));
            if let Some(want) = step.get("page") {
                let page = got.expect("a page");
                let want_ids: Vec<&str> = want["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|v| v.as_str().expect("id"))
                    .collect();
                assert_eq!(item_ids(&page.items), want_ids, "{at}: items");
                assert_eq!(Some(page.done), want["done"].as_bool(), "{at}: done");
                assert_eq!(page.done, pager.is_done(), "{at}");
                let degraded: Vec<&str> = want["degraded"]
                    .as_array()
                    .map(|d| d.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                assert_eq!(page.degraded, degraded, "{at}: degraded");
            } else {
                let want = &step["error"]["api"];
                let Err(PageError::Api(e)) = got else {
                    panic!("{at}: wanted an API error, got {got:?}");
                };
                assert_eq!(
                    Some(e.status.map_or(0, u64::from)),
                    want["status"].as_u64(),
                    "{at}"
                );
                if let Some(kind) = want.get("kind") {
                    assert_eq!(serde_json::to_value(e.kind).expect("kind"), *kind, "{at}");
                }
            }
        }
    }
    steps.len()
}

#[test]
fn every_pager_trace_replays() {
    let doc = vector_file("pager.json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 8);
    let steps: usize = cases.iter().map(|c| replay_pager(&doc, c)).sum();
    assert!(steps >= 20, "{steps} steps");
}

/// The `failed` kind of a vector: the transfer error's name as every surface
/// spells it.
fn failure_kind(e: &fastio_core::upload::UploadError) -> &'static str {
    use fastio_core::upload::UploadError as E;
    match e {
        E::Integrity { .. } | E::Verify(_) => "integrity",
        E::Api { .. } => "api",
        E::RetriesExhausted { .. } => "retries_exhausted",
        E::Protocol { .. } => "protocol",
        _ => "other",
    }
}

fn replay_download(doc: &Value, case: &Value) -> usize {
    let name = case["name"].as_str().expect("name");
    let base = doc["base_url"].as_str().expect("base");
    let client = Client::new(
        ClientConfig::with_api_key(base, doc["api_key"].as_str().expect("key")).expect("config"),
    )
    .expect("client");
    let spec = &doc["spec"];
    let file = pattern(doc["file"]["size"].as_u64().expect("size"));
    let mut d = Download::new(
        client,
        DownloadSpec::file(
            spec["workspace"].as_str().expect("ws"),
            spec["node"].as_str().expect("node"),
        ),
        fastio_core::upload::RetryPolicy::default(),
        doc["seed"].as_u64().expect("seed"),
    );
    let mut now = 0u64;
    let mut ids: HashMap<String, u64> = HashMap::new();
    let steps = case["steps"].as_array().expect("steps");
    for (i, step) in steps.iter().enumerate() {
        let at = format!("{name} step {i}");
        let fed = |r: Result<Fed, InputError>| fed_name(&r);
        if let Some(want) = step.get("pull") {
            let got = d.next_action(now);
            let (kind, w) = want
                .as_object()
                .and_then(|o| o.iter().next())
                .expect("a pull");
            match (kind.as_str(), got) {
                (
                    "send",
                    Some(DownloadAction::Send {
                        id,
                        request,
                        stream_response,
                    }),
                ) => {
                    assert_eq!(Some(stream_response), w["stream"].as_bool(), "{at}: stream");
                    if let Some(url) = w.get("url").and_then(Value::as_str) {
                        assert_eq!(request.url, url, "{at}: url");
                        assert_eq!(w["method"].as_str(), Some(request.method.as_str()), "{at}");
                    } else {
                        check_send(&at, w, base, &request);
                    }
                    if let Some(creds) = w.get("credentials").and_then(Value::as_bool) {
                        let has = request
                            .headers
                            .iter()
                            .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
                        assert_eq!(has, creds, "{at}: credentials");
                    }
                    ids.insert(step["as"].as_str().expect("as").into(), id);
                }
                ("wait", Some(DownloadAction::Wait { until_ms })) => {
                    assert_eq!(Some(until_ms), w.as_u64(), "{at}: wait");
                }
                ("progress", Some(DownloadAction::Progress { bytes, total })) => {
                    assert_eq!(Some(bytes), w["bytes"].as_u64(), "{at}: bytes");
                    assert_eq!(total, w["total"].as_u64(), "{at}: total");
                }
                ("done", Some(DownloadAction::Done(done))) => {
                    assert_eq!(Some(done.size), w["size"].as_u64(), "{at}: size");
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
            let mut resp = answer(a);
            for h in a
                .get("headers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                resp.headers.push((
                    h[0].as_str().expect("name").into(),
                    h[1].as_str().expect("value").into(),
                ));
            }
            let got = fed(d.on_response(ids[n], &resp, now));
            assert_eq!(Some(got), step["fed"].as_str(), "{at}");
        } else if let Some(n) = step.get("data").and_then(Value::as_str) {
            let r = &step["range"];
            let (a, b) = (
                r[0].as_u64().expect("a") as usize,
                r[1].as_u64().expect("b") as usize,
            );
            let got = fed(d.on_data(ids[n], &file[a..b]));
            assert_eq!(Some(got), step["fed"].as_str(), "{at}");
        } else if let Some(n) = step.get("end").and_then(Value::as_str) {
            let got = fed(d.on_end(ids[n]));
            assert_eq!(Some(got), step["fed"].as_str(), "{at}");
        } else if let Some(n) = step.get("transport_error").and_then(Value::as_str) {
            let got = fed(d.on_transport_error(ids[n], "connection reset", now));
            assert_eq!(Some(got), step["fed"].as_str(), "{at}");
        } else if let Some(t) = step.get("timeout").and_then(Value::as_u64) {
            now = t;
            d.on_timeout(now);
        } else if let Some(t) = step.get("clock").and_then(Value::as_u64) {
            now = t;
        } else {
            panic!("{at}: unknown step {step}");
        }
    }
    steps.len()
}

#[test]
fn every_download_trace_replays() {
    let doc = vector_file("download.json");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 4);
    let steps: usize = cases.iter().map(|c| replay_download(&doc, c)).sum();
    assert!(steps >= 40, "{steps} steps");
}
