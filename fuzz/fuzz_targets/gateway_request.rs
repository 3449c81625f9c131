//! The gateway's request parsing (`hosts/spin/src`): the route table
//! (`resolve`), the file-name check (`names.rs`), query values, the bearer
//! token and `Content-Length` (`incoming.rs`; private, compiled from their
//! source by `build.rs`).
//!
//! - A resolved route matches its method and pattern, and its decoded path
//!   values, encoded again, resolve to the same route and values.
//! - An accepted file name is non-blank, not `.`/`..`, has no separator or
//!   control character or U+FFFD, and fits in 255 bytes; a refusal names the
//!   first rule the name breaks.
//! - A query value encoded as a form field reads back as itself.
//! - A bearer token is the trimmed text after a case-insensitive `Bearer `;
//!   `Content-Length` is a whole number or refused.
#![no_main]

use fastio_core_fuzz::Script;
use fastio_core_fuzz::gateway_incoming::{Request, query_value};
use fastio_core_fuzz::gateway_names::{MAX_NAME_BYTES, NameError, check};
use fastio_gateway::{Miss, Route, resolve};
use libfuzzer_sys::fuzz_target;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD"];
const PATHS: &[&str] = &[
    "/healthz",
    "/grant",
    "/upload",
    "/uploads",
    "/uploads/u1/chunks/2",
    "/uploads/u%2D1%20x/chunks/%37",
    "/uploads/u1/complete",
    "/webhooks/fastio",
    "//uploads//",
];

fn check_route(method: &str, path: &str) {
    match resolve(method, path) {
        Ok((route, values)) => {
            let (m, pattern) = route.pattern();
            assert_eq!(m, method);
            let holes = pattern.matches('{').count();
            assert_eq!(values.len(), holes, "{path:?}");
            // Encode the values again: the same route and values come back.
            let mut rebuilt = pattern.to_string();
            for (hole, v) in ["{id}", "{n}"].iter().zip(&values) {
                rebuilt = rebuilt.replacen(
                    hole,
                    &utf8_percent_encode(v, NON_ALPHANUMERIC).to_string(),
                    1,
                );
            }
            assert_eq!(
                resolve(method, &rebuilt),
                Ok((route, values)),
                "{rebuilt:?}"
            );
        }
        Err(Miss::Method) => {
            assert!(Route::ALL.iter().any(|r| {
                let first = r.pattern().1.trim_matches('/').split('/').next();
                first == path.trim_matches('/').split('/').next()
            }));
        }
        Err(Miss::Path | Miss::Encoding) => {}
    }
}

fn check_name(name: &str) {
    let r = check(name);
    let first_rule = if name.trim().is_empty() {
        Some(NameError::Empty)
    } else if name == "." || name == ".." {
        Some(NameError::DotName)
    } else if name.contains(['/', '\\']) {
        Some(NameError::PathSeparator)
    } else if name.chars().any(char::is_control) {
        Some(NameError::ControlCharacter)
    } else if name.contains('\u{FFFD}') {
        Some(NameError::NotUtf8)
    } else if name.len() > MAX_NAME_BYTES {
        Some(NameError::TooLong(name.len()))
    } else {
        None
    };
    match (r, first_rule) {
        (Ok(n), None) => assert_eq!(n, name),
        (Err(e), Some(want)) => assert_eq!(e, want, "{name:?}"),
        (r, want) => panic!("{name:?}: {r:?}, expected {want:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut s = Script::new(data);
    match s.u8() % 5 {
        0 => {
            let method = s.pick(METHODS);
            let path = if s.flag() {
                let mut p = s.pick(PATHS).to_string();
                p.push_str(&s.text());
                p
            } else {
                String::from_utf8_lossy(s.rest()).into_owned()
            };
            check_route(method, &path);
        }
        1 => check_name(&String::from_utf8_lossy(s.rest())),
        2 => {
            // A query string as the client sends it: the name is decoded, then checked.
            let name = s.text();
            let query = String::from_utf8_lossy(s.rest()).into_owned();
            let req = Request {
                query: query.clone(),
                headers: Vec::new(),
            };
            let v = req.query_param(&name);
            assert_eq!(v, query_value(&query, &name));
            if let Some(v) = &v {
                check_name(v);
                let again: String = form_urlencoded::Serializer::new(String::new())
                    .append_pair(&name, v)
                    .finish();
                assert_eq!(query_value(&again, &name).as_deref(), Some(v.as_str()));
            }
        }
        3 => {
            let auth = s.text();
            let length = s.text();
            let req = Request {
                query: String::new(),
                headers: vec![
                    ("authorization".into(), auth.clone()),
                    ("content-length".into(), length.clone()),
                ],
            };
            if let Some(token) = req.bearer() {
                assert_eq!(token, token.trim());
                let (scheme, rest) = auth.trim().split_once(' ').expect("a scheme and a token");
                assert!(scheme.eq_ignore_ascii_case("bearer"));
                assert_eq!(rest.trim(), token);
            }
            match req.content_length() {
                Ok(Some(n)) => assert_eq!(length.trim().parse::<u64>(), Ok(n)),
                Ok(None) => panic!("a present Content-Length read as absent"),
                Err(()) => assert!(length.trim().parse::<u64>().is_err()),
            }
            let none = Request {
                query: String::new(),
                headers: Vec::new(),
            };
            assert_eq!(none.bearer(), None);
            assert_eq!(none.content_length(), Ok(None));
            assert_eq!(none.header("authorization"), None);
        }
        _ => {
            // A whole request head: route, then the name the upload routes read.
            let method = s.pick(METHODS);
            let path = s.text();
            check_route(method, &path);
            let header_name = s.text();
            check_name(&header_name);
            let req = Request {
                query: String::from_utf8_lossy(s.rest()).into_owned(),
                headers: vec![("x-file-name".into(), header_name.clone())],
            };
            let name = req
                .header("x-file-name")
                .map(str::to_string)
                .or_else(|| req.query_param("name"))
                .unwrap_or_else(|| "upload".into());
            assert_eq!(name, header_name);
        }
    }
});
