//! The download machine: verified, mismatched, unhashed, short and retried downloads.

use fastio_core::api::Client;
use fastio_core::config::{ClientConfig, ConfigError};
use fastio_core::download::{Download, DownloadAction, DownloadSpec};
use fastio_core::hash::VerifyError;
use fastio_core::http::HttpResponse;
use fastio_core::upload::{InputError, RetryPolicy, UploadError};
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
                        if let Err(e) = d.on_data(id, piece) {
                            // The machine gave up on this body: stop streaming.
                            assert_eq!(e, InputError::Abandoned(id));
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
    let (a, _) = run(json!({"id": "n1", "size": 1}), b"x", None);
    assert!(
        matches!(
            a,
            DownloadAction::Failed(UploadError::Verify(VerifyError::MissingHash))
        ),
        "{a:?}"
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
