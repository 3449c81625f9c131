//! The download machine: verified, mismatched, unhashed, short and retried downloads.

use fastio_core::api::Client;
use fastio_core::config::{ClientConfig, ConfigError};
use fastio_core::download::{Download, DownloadAction, DownloadSpec};
use fastio_core::hash::VerifyError;
use fastio_core::http::HttpResponse;
use fastio_core::upload::{Fed, InputError, RetryPolicy, UploadError};
use serde_json::json;
use sha2::{Digest, Sha256};

fn client() -> Client {
    Client::new(ClientConfig::with_api_key("http://127.0.0.1:9/current/", "k").unwrap()).unwrap()
}

fn ok(v: serde_json::Value) -> HttpResponse {
    HttpResponse::new(
        200,
        serde_json::to_vec(&json!({"result": true, "response": v})).unwrap(),
    )
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Runs a download where the node claims `hash`, the file is `body`, and
/// `first` is answered to the first request before the normal flow.
fn run(
    node: serde_json::Value,
    body: &[u8],
    first: Option<HttpResponse>,
) -> (DownloadAction, Vec<String>) {
    let mut d = Download::new(
        client(),
        DownloadSpec::file("ws", "n1"),
        RetryPolicy::default(),
        1,
    );
    let mut now = 0;
    let mut urls = Vec::new();
    let mut first = first;
    for _ in 0..50 {
        match d.next_action(now).expect("an action") {
            DownloadAction::Send {
                id,
                request,
                stream_response,
            } => {
                urls.push(request.url.clone());
                // Only the file transfer itself streams its body back.
                assert_eq!(stream_response, request.url.contains("/read/"));
                if let Some(r) = first.take() {
                    d.on_response(id, &r, now).unwrap();
                    continue;
                }
                if request.url.contains("/details/") {
                    d.on_response(id, &ok(json!({"node": node})), now).unwrap();
                } else if request.url.contains("/requestread/") {
                    d.on_response(id, &ok(json!({"token": "tok"})), now)
                        .unwrap();
                } else {
                    assert!(
                        request.header("authorization").is_none(),
                        "read carries no bearer"
                    );
                    d.on_response(id, &HttpResponse::new(200, Vec::new()), now)
                        .unwrap();
                    let mut cut = false;
                    for piece in body.chunks(10) {
                        if d.on_data(id, piece) == Ok(Fed::Ignored) {
                            // The machine gave up on this body: stop streaming.
                            cut = true;
                            break;
                        }
                    }
                    if !cut {
                        d.on_end(id).unwrap();
                    }
                }
            }
            DownloadAction::Wait { until_ms } => {
                now = until_ms;
                d.on_timeout(now);
            }
            DownloadAction::Progress { .. } => {}
            done => return (done, urls),
        }
    }
    panic!("no end")
}

#[test]
fn verified_download() {
    let body = vec![42u8; 5000];
    let sha = hex(&Sha256::digest(&body));
    let (a, urls) = run(
        json!({"id": "n1", "size": 5000, "hash": sha, "hash_algo": "sha256"}),
        &body,
        None,
    );
    match a {
        DownloadAction::Done(d) => {
            assert_eq!(d.sha256, sha);
            assert_eq!(d.size, 5000);
            assert_eq!(d.checked, Some(("sha256".into(), sha)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(urls.len(), 3);
    assert!(urls[2].ends_with("/storage/n1/read/?token=tok"));
}

#[test]
fn mismatch_reports_both_values() {
    let body = vec![1u8; 100];
    let wrong = "0".repeat(64);
    let (a, _) = run(
        json!({"id": "n1", "size": 100, "hash": wrong, "hash_algo": "sha256"}),
        &body,
        None,
    );
    match a {
        DownloadAction::Failed(UploadError::Verify(VerifyError::Mismatch {
            expected,
            actual,
            ..
        })) => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, hex(&Sha256::digest(&body)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_algorithm_and_missing_hash_never_pass_silently() {
    let (a, _) = run(
        json!({"id": "n1", "size": 1, "hash": "ab", "hash_algo": "blake9"}),
        b"x",
        None,
    );
    assert!(
        matches!(
            a,
            DownloadAction::Failed(UploadError::Verify(VerifyError::UnsupportedAlgorithm(_)))
        ),
        "{a:?}"
    );
    // A node without a hash downloads unverified by default, as the
    // official client does (it verifies nothing), and fails only when the
    // caller demands a hash.
    let (a, _) = run(json!({"id": "n1", "size": 1}), b"x", None);
    match a {
        DownloadAction::Done(done) => assert_eq!(done.checked, None),
        other => panic!("{other:?}"),
    }
    let mut strict = DownloadSpec::file("ws", "n1");
    strict.require_hash = true;
    let (a, _) = scripted(strict, |req| match step(req) {
        "details" => Answer::Json(json!({"node": {"id": "n1", "size": 1}})),
        other => panic!("unexpected {other}"),
    });
    assert!(
        matches!(
            a,
            DownloadAction::Failed(UploadError::Verify(VerifyError::MissingHash))
        ),
        "{a:?}"
    );
}

/// What a scripted server answers to one request.
enum Answer {
    Json(serde_json::Value),
    Head(u16, Vec<(String, String)>),
    Body(Vec<u8>),
}

fn step(req: &fastio_core::http::HttpRequest) -> &'static str {
    let url = req.url.as_str();
    if url.contains("/versions/") {
        "versions"
    } else if url.contains("/details/") {
        "details"
    } else if url.contains("/requestread/") {
        "token"
    } else {
        "read"
    }
}

/// Drives a download against `answer`, returning the outcome and every
/// request sent.
fn scripted(
    spec: DownloadSpec,
    mut answer: impl FnMut(&fastio_core::http::HttpRequest) -> Answer,
) -> (DownloadAction, Vec<fastio_core::http::HttpRequest>) {
    let mut d = Download::new(client(), spec, RetryPolicy::default(), 1);
    let mut sent = Vec::new();
    let mut now = 0;
    for _ in 0..50 {
        match d.next_action(now).expect("an action") {
            DownloadAction::Send { id, request, .. } => {
                sent.push(request.clone());
                match answer(&request) {
                    Answer::Json(v) => {
                        d.on_response(id, &ok(v), now).unwrap();
                    }
                    Answer::Head(status, headers) => {
                        let mut r = HttpResponse::new(status, Vec::new());
                        r.headers = headers;
                        d.on_response(id, &r, now).unwrap();
                    }
                    Answer::Body(b) => {
                        d.on_response(id, &HttpResponse::new(200, Vec::new()), now)
                            .unwrap();
                        d.on_data(id, &b).unwrap();
                        d.on_end(id).unwrap();
                    }
                }
            }
            DownloadAction::Wait { until_ms } => {
                now = until_ms;
                d.on_timeout(now);
            }
            DownloadAction::Progress { .. } => {}
            done => return (done, sent),
        }
    }
    panic!("no end")
}

#[test]
fn an_older_version_is_checked_against_its_own_hash() {
    let old = b"first draft".to_vec();
    let old_sha = hex(&Sha256::digest(&old));
    let mut spec = DownloadSpec::file("ws", "n1");
    spec.version_id = Some("v1".into());
    let (a, sent) = scripted(spec, |req| match step(req) {
        // The node's own hash is the current version's: it must not be used.
        "details" => Answer::Json(
            json!({"node": {"id": "n1", "size": 3, "hash": "00", "hash_algo": "sha256"}}),
        ),
        "versions" => Answer::Json(json!({"versions": [
            {"id": "v2", "size": 3, "hash": "00", "hash_algo": "sha256"},
            {"version_id": "v1", "size": old.len(), "hash": old_sha, "hash_algo": "sha256"}
        ]})),
        "token" => Answer::Json(json!({"token": "tok"})),
        _ => Answer::Body(old.clone()),
    });
    match a {
        DownloadAction::Done(done) => {
            assert_eq!(done.checked, Some(("sha256".into(), old_sha.clone())));
            assert_eq!(done.size, old.len() as u64);
        }
        other => panic!("{other:?}"),
    }
    // `version_id` goes on the read only, never on requestread
    // (fastio_cli src/api/download.rs:145-192 @96b1551).
    let token = sent.iter().find(|r| step(r) == "token").unwrap();
    assert!(!token.url.contains("version_id"), "{}", token.url);
    let read = sent.iter().find(|r| step(r) == "read").unwrap();
    assert!(read.url.contains("version_id=v1"), "{}", read.url);
}

#[test]
fn a_version_missing_from_the_list_fails_typed() {
    let mut spec = DownloadSpec::file("ws", "n1");
    spec.version_id = Some("v9".into());
    let (a, _) = scripted(spec, |req| match step(req) {
        "details" => Answer::Json(json!({"node": {"id": "n1", "size": 1}})),
        "versions" => Answer::Json(json!({"versions": [{"id": "v1"}]})),
        other => panic!("unexpected {other}"),
    });
    assert!(
        matches!(a, DownloadAction::Failed(UploadError::Protocol { .. })),
        "{a:?}"
    );
}

#[test]
fn a_redirected_read_is_followed_without_credentials() {
    let body = b"hello from the edge".to_vec();
    let sha = hex(&Sha256::digest(&body));
    let mut reads = 0;
    let (a, sent) = scripted(DownloadSpec::file("ws", "n1"), |req| match step(req) {
        "details" => Answer::Json(
            json!({"node": {"id": "n1", "size": body.len(), "hash": sha, "hash_algo": "sha256"}}),
        ),
        "token" => Answer::Json(json!({"token": "tok"})),
        _ => {
            reads += 1;
            match reads {
                1 => Answer::Head(302, vec![("Location".into(), "/blob/1?sig=x".into())]),
                2 => Answer::Head(
                    307,
                    vec![("location".into(), "http://cdn.example/relative".into())],
                ),
                _ => Answer::Body(body.clone()),
            }
        }
    });
    // The base URL is http://, so an http:// hop is not a downgrade here.
    assert!(matches!(a, DownloadAction::Done(_)), "{a:?}");
    let reads: Vec<_> = sent.iter().filter(|r| step(r) == "read").collect();
    assert_eq!(reads.len(), 3);
    assert_eq!(reads[1].url, "http://127.0.0.1:9/blob/1?sig=x");
    assert_eq!(reads[2].url, "http://cdn.example/relative");
    for r in reads {
        assert!(r.header("authorization").is_none(), "{}", r.url);
    }
}

#[test]
fn read_redirects_are_bounded_and_never_downgrade() {
    let https =
        Client::new(ClientConfig::with_api_key("https://api.example/current/", "k").unwrap())
            .unwrap();
    let run_with = |location: &'static str| {
        let mut d = Download::new(
            https.clone(),
            DownloadSpec::file("ws", "n1"),
            RetryPolicy::default(),
            1,
        );
        let mut now = 0;
        for _ in 0..50 {
            match d.next_action(now).expect("an action") {
                DownloadAction::Send { id, request, .. } => match step(&request) {
                    "details" => {
                        d.on_response(id, &ok(json!({"node": {"id": "n1", "size": 1}})), now)
                            .unwrap();
                    }
                    "token" => {
                        d.on_response(id, &ok(json!({"token": "tok"})), now)
                            .unwrap();
                    }
                    _ => {
                        let mut r = HttpResponse::new(302, Vec::new());
                        r.headers = vec![("Location".into(), location.into())];
                        d.on_response(id, &r, now).unwrap();
                    }
                },
                DownloadAction::Wait { until_ms } => now = until_ms,
                DownloadAction::Progress { .. } => {}
                done => return done,
            }
        }
        panic!("no end")
    };
    // Always redirecting to itself: refused after the bound.
    let a = run_with("/current/workspace/ws/storage/n1/read/?token=tok");
    assert!(
        matches!(a, DownloadAction::Failed(UploadError::Protocol { .. })),
        "{a:?}"
    );
    // HTTPS to HTTP: refused at once.
    let a = run_with("http://api.example/x");
    assert!(
        matches!(a, DownloadAction::Failed(UploadError::Protocol { .. })),
        "{a:?}"
    );
    // No usable Location: refused.
    let a = run_with("javascript:alert(1)");
    assert!(
        matches!(a, DownloadAction::Failed(UploadError::Protocol { .. })),
        "{a:?}"
    );
}

#[test]
fn a_redirect_of_a_credentialed_request_fails_closed() {
    let (a, sent) = scripted(DownloadSpec::file("ws", "n1"), |req| match step(req) {
        "details" => Answer::Head(
            302,
            vec![("Location".into(), "https://elsewhere.example/".into())],
        ),
        other => panic!("unexpected {other}"),
    });
    assert!(matches!(a, DownloadAction::Failed(_)), "{a:?}");
    assert_eq!(
        sent.len(),
        1,
        "the bearer request's redirect is not followed"
    );
}

#[test]
fn short_and_long_bodies_fail() {
    let body = vec![1u8; 100];
    let sha = hex(&Sha256::digest(&body));
    let (a, _) = run(
        json!({"id": "n1", "size": 200, "hash": sha, "hash_algo": "sha256"}),
        &body,
        None,
    );
    assert!(
        matches!(
            a,
            DownloadAction::Failed(UploadError::ShortRead {
                expected: 200,
                got: 100,
                ..
            })
        ),
        "{a:?}"
    );
    let (a, _) = run(
        json!({"id": "n1", "size": 50, "hash": sha, "hash_algo": "sha256"}),
        &body,
        None,
    );
    assert!(
        matches!(a, DownloadAction::Failed(UploadError::ShortRead { .. })),
        "{a:?}"
    );
}

#[test]
fn server_errors_are_retried_and_404_is_final() {
    let body = vec![3u8; 10];
    let sha = hex(&Sha256::digest(&body));
    let node = json!({"id": "n1", "size": 10, "hash": sha, "hash_algo": "sha256"});
    let (a, urls) = run(node.clone(), &body, Some(HttpResponse::new(503, "busy")));
    assert!(matches!(a, DownloadAction::Done(_)), "{a:?}");
    assert_eq!(urls.len(), 4, "the details call was sent again");
    let (a, _) = run(
        node,
        &body,
        Some(HttpResponse::new(
            404,
            r#"{"result":false,"error":{"code":1609,"text":"Not Found"}}"#,
        )),
    );
    assert!(
        matches!(a, DownloadAction::Failed(UploadError::Api { .. })),
        "{a:?}"
    );
}

#[test]
fn data_for_the_wrong_request_is_refused() {
    let mut d = Download::new(
        client(),
        DownloadSpec::file("ws", "n1"),
        RetryPolicy::default(),
        1,
    );
    let Some(DownloadAction::Send { id, .. }) = d.next_action(0) else {
        panic!()
    };
    assert_eq!(d.on_data(id, b"x"), Err(InputError::NotExpectingData(id)));
    assert_eq!(
        d.on_response(id + 5, &HttpResponse::new(200, "{}"), 0),
        Err(InputError::UnknownId(id + 5))
    );
}

#[test]
fn an_unusable_configuration_is_the_first_action_never_a_default_client() {
    let config = ClientConfig {
        base_url: "ftp://not-http".into(),
        ..ClientConfig::default()
    };
    let mut d = Download::with_config(
        config,
        DownloadSpec::file("ws", "n1"),
        RetryPolicy::default(),
        1,
    );
    match d.next_action(0) {
        Some(DownloadAction::Failed(UploadError::Config(ConfigError::BaseUrl(url)))) => {
            assert_eq!(url, "ftp://not-http")
        }
        other => panic!("expected a config failure, got {other:?}"),
    }
    assert_eq!(d.next_action(0), None, "nothing after the failure");
    assert_eq!(
        d.on_response(1, &HttpResponse::new(200, "{}"), 0),
        Err(InputError::Finished)
    );

    // A usable configuration behaves exactly like `Download::new`.
    let mut d = Download::with_config(
        client().config().clone(),
        DownloadSpec::file("ws", "n1"),
        RetryPolicy::default(),
        1,
    );
    let Some(DownloadAction::Send {
        request,
        stream_response: false,
        ..
    }) = d.next_action(0)
    else {
        panic!("the first action is the details request")
    };
    assert!(request.url.starts_with("http://127.0.0.1:9/current/"));
}

/// Drives a download to the file body and answers the read's head; returns
/// the machine and the read's id.
fn at_the_body(node: serde_json::Value) -> (Download, u64) {
    let mut d = Download::new(
        client(),
        DownloadSpec::file("ws", "n1"),
        RetryPolicy::default(),
        1,
    );
    for _ in 0..10 {
        let Some(DownloadAction::Send { id, request, .. }) = d.next_action(0) else {
            panic!("expected a request")
        };
        if request.url.contains("/details/") {
            d.on_response(id, &ok(json!({"node": node})), 0).unwrap();
        } else if request.url.contains("/requestread/") {
            d.on_response(id, &ok(json!({"token": "tok"})), 0).unwrap();
        } else {
            d.on_response(id, &HttpResponse::new(200, Vec::new()), 0)
                .unwrap();
            return (d, id);
        }
    }
    panic!("no read")
}

/// A body trickling in a byte at a time would reset any per-read timeout
/// forever; the machine's own deadline (request timeout plus the size at the
/// slowest allowed rate) ends it as a typed, final transport failure.
#[test]
fn a_trickling_body_ends_at_its_deadline() {
    let size = 1_000_000u64;
    let (mut d, id) = at_the_body(json!({"id": "n1", "size": size}));
    // 120 s + 1 MB at 8 KiB/s ≈ 242 s.
    let deadline = 120_000 + size * 1000 / fastio_core::download::DEFAULT_MIN_READ_RATE;
    let mut now = 0;
    let mut failed = None;
    for _ in 0..1_000 {
        now += 1_000;
        if d.on_data(id, b"x").is_err() {
            break;
        }
        match d.next_action(now) {
            Some(DownloadAction::Progress { .. }) | Some(DownloadAction::Wait { .. }) => {}
            Some(DownloadAction::Failed(e)) => {
                failed = Some((now, e));
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let (at, e) = failed.expect("the trickle was never cut off");
    assert!(
        at >= deadline && at < deadline + 2_000,
        "cut at {at}, deadline {deadline}"
    );
    match e {
        UploadError::Api { error, .. } => {
            assert_eq!(error.kind, fastio_core::decode::ErrorKind::Transport);
            assert!(
                error.to_string().contains("did not arrive in time"),
                "{error}"
            );
        }
        other => panic!("{other:?}"),
    }
    // The body the host was still streaming is ignored: the machine gave
    // up on it.
    assert_eq!(d.on_data(id, b"x"), Ok(Fed::Ignored));

    // A host that sleeps on the machine's Wait is woken at the deadline and
    // `on_timeout` ends the body the same way.
    let (mut d, _) = at_the_body(json!({"id": "n1", "size": size}));
    let Some(DownloadAction::Wait { until_ms }) = d.next_action(0) else {
        panic!("a body in flight is a wait")
    };
    assert_eq!(until_ms, deadline);
    d.on_timeout(until_ms);
    assert!(matches!(
        d.next_action(until_ms),
        Some(DownloadAction::Failed(_))
    ));

    // At a healthy rate the same file finishes.
    let (mut d, id) = at_the_body(json!({"id": "n1", "size": 4}));
    d.on_data(id, b"abcd").unwrap();
    assert!(matches!(
        d.next_action(50),
        Some(DownloadAction::Progress { .. })
    ));
    d.on_end(id).unwrap();
    assert!(matches!(d.next_action(60), Some(DownloadAction::Done(_))));

    // A host that pulls only at the end gets the last progress, then `Done`,
    // then nothing more.
    let (mut d, id) = at_the_body(json!({"id": "n1", "size": 4}));
    d.on_data(id, b"abcd").unwrap();
    d.on_end(id).unwrap();
    assert!(matches!(
        d.next_action(70),
        Some(DownloadAction::Progress { bytes: 4, .. })
    ));
    assert!(matches!(d.next_action(70), Some(DownloadAction::Done(_))));
    assert_eq!(d.next_action(80), None);
}
