//! The devserver's parameter parsing (`hosts/devserver/src/params.rs`): form
//! and query text, JSON bodies, and the typed readers over them.
//!
//! - A form decodes exactly as `form_urlencoded` does, except that a name or
//!   value that is not UTF-8 is refused rather than patched with U+FFFD.
//! - Encoding pairs and decoding them gives the pairs back.
//! - A JSON body is accepted only as an object, and every member reads back.
//! - Readers agree with the values they read: a repeated name keeps its first
//!   non-empty value, `u64`, `bool` and `flag_req` parse what `get` returns,
//!   and each view reads the source it names.
#![no_main]

use std::collections::HashMap;

use axum::http::{HeaderMap, HeaderValue, Method, header};
use fastio_core_fuzz::Script;
use fastio_devserver::params::{Fields, Params, Source, View, decode_component, parse_form};
use fastio_devserver::routes::{is_streaming, known_prefix};
use fastio_devserver::server::declared_length;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn lossy(input: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(input)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// What a field set must hold after `pairs` were inserted in order.
fn expected(pairs: &[(String, String)]) -> HashMap<&str, &str> {
    let mut out: HashMap<&str, &str> = HashMap::new();
    for (k, v) in pairs {
        match out.get(k.as_str()) {
            Some(old) if !old.is_empty() => {}
            _ => {
                out.insert(k, v);
            }
        }
    }
    out
}

fn check_view(v: View<'_>, want: &HashMap<&str, &str>) {
    for (k, val) in want {
        assert!(v.has(k), "{k:?} missing");
        assert_eq!(v.get(k), (!val.is_empty()).then_some(*val), "{k:?}");
        readers_agree(v, k);
    }
}

fn readers_agree(v: View<'_>, k: &str) {
    let got = v.get(k);
    assert!(
        got.is_none_or(|g| !g.is_empty()),
        "get returned an empty value"
    );
    match v.u64(k) {
        Ok(Some(n)) => assert_eq!(got.map(|g| g.trim().parse::<u64>().ok()), Some(Some(n))),
        Ok(None) => assert!(got.is_none()),
        Err(e) => {
            assert_eq!(e.status.as_u16(), 400);
            assert!(got.is_some_and(|g| g.trim().parse::<u64>().is_err()));
        }
    }
    if v.bool(k) {
        assert!(matches!(
            got,
            Some("true" | "1" | "yes" | "on" | "TRUE" | "True")
        ));
    }
    match v.flag_req(k) {
        Ok(b) => {
            let want = if b { ["true", "1"] } else { ["false", "0"] };
            assert!(got.is_some_and(|g| want.contains(&g.to_ascii_lowercase().as_str())));
        }
        Err(e) => assert_eq!(e.status.as_u16(), 400),
    }
    assert_eq!(v.req(k).ok(), got);
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script::new(data);
    match s.u8() % 5 {
        // Any form text.
        0 => {
            let input = s.rest();
            let lossy = lossy(input);
            match parse_form(input) {
                Ok(pairs) => {
                    assert_eq!(pairs, lossy, "differs from form_urlencoded");
                    let mut f = Fields::default();
                    assert!(f.add_urlencoded(input).is_ok());
                    let p = {
                        let mut p = match Params::new(&Method::POST, None) {
                            Ok(p) => p,
                            Err(e) => panic!("no query refused: {e:?}"),
                        };
                        if p.body_mut().add_urlencoded(input).is_err() {
                            panic!("a form parse_form accepts was refused");
                        }
                        p
                    };
                    check_view(p.body(), &expected(&pairs));
                }
                Err(e) => {
                    assert_eq!(e.status.as_u16(), 400);
                    assert!(
                        lossy
                            .iter()
                            .any(|(k, v)| k.contains('\u{FFFD}') || v.contains('\u{FFFD}')),
                        "refused a form whose every part is UTF-8"
                    );
                    assert!(Fields::default().add_urlencoded(input).is_err());
                    let q = String::from_utf8_lossy(input);
                    if q.as_bytes() == input {
                        assert!(Params::new(&Method::GET, Some(&q)).is_err());
                    }
                }
            }
        }
        // Pairs, encoded then decoded.
        1 => {
            let pairs: Vec<(String, String)> =
                (0..s.u8() % 8).map(|_| (s.text(), s.text())).collect();
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                ser.append_pair(k, v);
            }
            let text = ser.finish();
            match parse_form(text.as_bytes()) {
                Ok(back) => assert_eq!(back, pairs, "{text:?}"),
                Err(e) => panic!("its own encoding refused: {text:?}: {e:?}"),
            }
            let p = match Params::new(&Method::GET, Some(&text)) {
                Ok(p) => p,
                Err(e) => panic!("a UTF-8 query refused: {e:?}"),
            };
            check_view(p.query(), &expected(&pairs));
            check_view(p.view(), &expected(&pairs));
            assert!(p.body().get("a").is_none());
        }
        // A JSON body.
        2 => {
            let body = s.rest();
            let mut f = Fields::default();
            let parsed: Option<Value> = serde_json::from_slice(body).ok();
            match (f.add_json(body), parsed) {
                (Ok(()), Some(Value::Object(m))) => {
                    let mut p = match Params::new(&Method::PUT, None) {
                        Ok(p) => p,
                        Err(e) => panic!("no query refused: {e:?}"),
                    };
                    assert!(p.body_mut().add_json(body).is_ok());
                    for (k, v) in &m {
                        let want = match v {
                            Value::String(s) => s.clone(),
                            Value::Null => String::new(),
                            other => other.to_string(),
                        };
                        assert!(p.has(k));
                        assert_eq!(p.get(k), (!want.is_empty()).then_some(want.as_str()));
                        readers_agree(p.view(), k);
                    }
                }
                (Ok(()), other) => panic!("accepted a body that is not an object: {other:?}"),
                (Err(e), Some(Value::Object(_))) => panic!("refused an object: {e:?}"),
                (Err(e), _) => assert_eq!(e.status.as_u16(), 400),
            }
        }
        // A request path and head: segments decode as percent-decoding does
        // (no `+` for a space) or are refused as not UTF-8; the declared length
        // is the header's number.
        4 => {
            let path = String::from_utf8_lossy(s.blob()).into_owned();
            let mut segs = Vec::new();
            for seg in path.split('/').filter(|x| !x.is_empty()) {
                let want = percent_encoding::percent_decode_str(seg).decode_utf8().ok();
                let got = decode_component(seg.as_bytes(), false);
                assert_eq!(got.as_deref(), want.as_deref(), "{seg:?}");
                match got {
                    Some(g) => segs.push(g),
                    None => return,
                }
            }
            let _ = known_prefix(&segs);
            let ct = String::from_utf8_lossy(s.blob()).into_owned();
            let streaming = is_streaming(&Method::POST, &segs, &ct);
            assert!(!streaming || segs.first().is_some_and(|x| x == "upload"));
            assert!(!is_streaming(&Method::GET, &segs, &ct));
            let raw = s.rest();
            if let Ok(v) = HeaderValue::from_bytes(raw) {
                let mut h = HeaderMap::new();
                h.insert(header::CONTENT_LENGTH, v);
                let want = std::str::from_utf8(raw)
                    .ok()
                    .and_then(|t| t.trim().parse::<u64>().ok());
                assert_eq!(declared_length(&h), want);
            }
            assert_eq!(declared_length(&HeaderMap::new()), None);
        }
        // A query and a body under each method; views read their own source.
        _ => {
            let method = s.pick(&[
                Method::GET,
                Method::POST,
                Method::DELETE,
                Method::PUT,
                Method::HEAD,
            ]);
            let query = s.text();
            let body = s.blob();
            let keys: Vec<String> = (0..4).map(|_| s.text()).collect();
            let Ok(mut p) = Params::new(&method, Some(&query)) else {
                return;
            };
            let _ = p.body_mut().add_urlencoded(body);
            let rule = Source::for_method(&method);
            for k in keys.iter().map(String::as_str).chain(["a", "name", "id"]) {
                assert_eq!(p.get(k), p.from(rule).get(k));
                assert_eq!(p.has(k), p.from(rule).has(k));
                let both = p.body_or_query().get(k);
                assert_eq!(both, p.body().get(k).or(p.query().get(k)), "{k:?}");
                readers_agree(p.view(), k);
                readers_agree(p.body_or_query(), k);
                let _ = p.require_all(&[k, "a"]);
            }
            p.set("a", "b");
            assert_eq!(p.get("a"), Some("b"));
        }
    }
});
