//! Bad input never panics or hangs, query strings round-trip, and secrets
//! never reach Debug output or errors.

use fastio_core::api::{AuthCall, Call, Client, Profile, StorageCall};
use fastio_core::config::{ClientConfig, Credential};
use fastio_core::decode::models::{ApiKey, Node, UploadSession, WebhookSubscription};
use fastio_core::decode::{DecodeOptions, ErrorKind, decode, decode_as};
use fastio_core::http::HttpResponse;
use fastio_core::secret::Secret;
use proptest::prelude::*;

mod common;

fn client() -> Client {
    Client::new(
        ClientConfig::with_api_key("http://127.0.0.1:8080/current/", "sk_live_SECRET123").unwrap(),
    )
    .unwrap()
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    common::parse_form(url.split_once('?').map(|(_, q)| q).unwrap_or(""))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoder_never_panics_on_bytes(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let resp = HttpResponse::new(status, body);
        let _ = decode(&resp, &DecodeOptions::default());
        let _ = decode_as::<UploadSession>(&resp, &DecodeOptions::default());
        let _ = decode_as::<Node>(&resp, &DecodeOptions::default());
    }

    #[test]
    fn decoder_never_panics_on_json(status in prop_oneof![Just(200u16), Just(400), Just(429), Just(503)], v in arb_json()) {
        let resp = HttpResponse::new(status, serde_json::to_vec(&v).unwrap());
        let r = decode(&resp, &DecodeOptions::default());
        if status != 200 {
            prop_assert!(r.is_err());
        }
        let _ = decode_as::<UploadSession>(&resp, &DecodeOptions::default());
        let _ = decode_as::<WebhookSubscription>(&resp, &DecodeOptions::default());
    }

    #[test]
    fn hostile_headers_never_panic(name in "[ -~]{0,40}", value in "[ -~]{0,80}") {
        let resp = HttpResponse { status: 429, headers: vec![(name, value)], body: b"{}".to_vec() };
        let _ = decode(&resp, &DecodeOptions::default());
    }

    #[test]
    fn query_round_trips(search in "[ -~éß漢😀]{1,40}", cursor in "[ -~]{1,40}") {
        let c = client();
        let call = Call::Storage(StorageCall::Search {
            profile: Profile::Workspace("1".into()), search: search.clone(),
            files_scope: None, folders_scope: None, limit: None, offset: None, details: None, output: None,
        });
        let req = c.build(&call).unwrap();
        prop_assert_eq!(query_pairs(&req.url), vec![("search".to_string(), search)]);
        let call: Call = serde_json::from_value(serde_json::json!({"storage": {"op": "list", "profile": {"workspace": "1"}, "cursor": cursor}})).unwrap();
        let req = c.build(&call).unwrap();
        prop_assert_eq!(query_pairs(&req.url), vec![("cursor".to_string(), cursor)]);
    }

    #[test]
    fn ids_never_escape_their_segment(id in "[ -~]{1,30}") {
        let c = client();
        let call = Call::Storage(StorageCall::Versions { profile: Profile::Workspace("1".into()), node: id });
        if let Ok(req) = c.build(&call) {
            let path = req.url.strip_prefix("http://127.0.0.1:8080/current/").unwrap();
            prop_assert!(!path.contains('?') && !path.contains('#'));
            let segs: Vec<&str> = path.split('/').collect();
            prop_assert_eq!(segs.len(), 6, "{}", path);
            prop_assert!(segs[3] != ".." && segs[3] != ".");
        }
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z0-9_]{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("result".to_string()),
                    Just("response".to_string()),
                    Just("error".to_string()),
                    Just("session".to_string()),
                    Just("chunks".to_string()),
                    Just("status".to_string()),
                    Just("id".to_string()),
                    "[a-z]{1,6}".prop_map(String::from)
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn deep_nesting_and_huge_bodies_are_typed_errors() {
    let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let e = decode(&HttpResponse::new(200, deep), &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedResponse);
    let huge = vec![b' '; 17 * 1024 * 1024];
    let e = decode(&HttpResponse::new(200, huge), &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BodyTooLarge);
}

#[test]
fn secrets_never_reach_debug_or_errors() {
    let c = client();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("sk_live_SECRET123"), "{dbg}");
    let req = c.build(&Call::Auth(AuthCall::Check)).unwrap();
    assert_eq!(
        req.header("authorization"),
        Some("Bearer sk_live_SECRET123")
    );
    let dbg = format!("{req:?}");
    assert!(!dbg.contains("SECRET123"), "{dbg}");

    let sign_in = Call::Auth(AuthCall::SignIn {
        email: "a@b.c".into(),
        password: Secret::new("hunter2"),
    });
    assert!(!format!("{sign_in:?}").contains("hunter2"));
    let req = c.build(&sign_in).unwrap();
    assert!(
        !format!("{req:?}").contains("aHVudGVy"),
        "basic credentials redacted"
    );

    let refresh = Call::Auth(AuthCall::OAuthRefresh {
        refresh_token: Secret::new("rt_TOPSECRET"),
        client_id: "c".into(),
    });
    let req = c.build(&refresh).unwrap();
    assert!(!format!("{refresh:?}").contains("TOPSECRET"));
    assert!(!format!("{req:?}").contains("TOPSECRET"));

    let resp = HttpResponse::new(200, r#"{"result":true,"api_key":"fio_live_NEWKEY","id":1}"#);
    let key = decode_as::<ApiKey>(&resp, &DecodeOptions::default())
        .unwrap()
        .value;
    assert_eq!(
        key.api_key.as_ref().map(Secret::expose),
        Some("fio_live_NEWKEY")
    );
    assert!(!format!("{key:?}").contains("NEWKEY"));

    let resp = HttpResponse::new(
        200,
        r#"{"result":true,"outbound_webhook_subscription":{"id":"s","secret":"whsec_ZZZ"}}"#,
    );
    let sub = decode_as::<WebhookSubscription>(&resp, &DecodeOptions::default())
        .unwrap()
        .value;
    assert!(!format!("{sub:?}").contains("whsec_ZZZ"));

    let cred = Credential::Jwt(Secret::new("eyJhbGciOi.jwt"));
    assert!(!format!("{cred:?} {cred}").contains("eyJ"));

    let err_resp = HttpResponse {
        status: 401,
        headers: vec![("Set-Cookie".into(), "session=abc".into())],
        body: b"{}".to_vec(),
    };
    let e = decode(&err_resp, &DecodeOptions::default()).unwrap_err();
    assert!(!format!("{e:?} {e}").contains("session=abc"));
}
