//! Request parameters, kept apart by where they arrived: the query string, or the body (a form,
//! a JSON object or multipart text fields).
//!
//! The service reads each parameter from one place, and a client that puts it elsewhere sees it
//! ignored. So routes read from the place their method implies — GET and DELETE from the query
//! string, POST, PUT and PATCH from the body — and the few routes that differ say so where they
//! read, with the evidence.

use std::collections::HashMap;

use axum::http::Method;
use serde_json::Value;

use crate::envelope::ApiError;

/// Where a parameter arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Query,
    Body,
}

impl Source {
    /// The general rule: GET and DELETE are read from the query string, everything else from
    /// the body (the official client builds every call this way, fastio_cli src/client.rs:783-935
    /// @96b1551).
    pub fn for_method(m: &Method) -> Self {
        if *m == Method::GET || *m == Method::DELETE || *m == Method::HEAD {
            Source::Query
        } else {
            Source::Body
        }
    }
}

/// The parameters of one source.
#[derive(Default, Debug, Clone)]
pub struct Fields {
    map: HashMap<String, String>,
}

impl Fields {
    /// A repeated name keeps its first non-empty value.
    pub fn insert(&mut self, k: impl Into<String>, v: impl Into<String>) {
        let k = k.into();
        let v = v.into();
        match self.map.get(&k) {
            Some(old) if !old.is_empty() => {}
            _ => {
                self.map.insert(k, v);
            }
        }
    }

    /// Adds the pairs of a form body or query string; see [`parse_form`].
    pub fn add_urlencoded(&mut self, body: &[u8]) -> Result<(), ApiError> {
        for (k, v) in parse_form(body)? {
            self.insert(k, v);
        }
        Ok(())
    }

    /// A JSON object body: scalars become strings, nested values keep their JSON text.
    pub fn add_json(&mut self, body: &[u8]) -> Result<(), ApiError> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::invalid("The request body is not valid JSON."))?;
        let Value::Object(m) = v else {
            return Err(ApiError::invalid("The JSON body must be an object."));
        };
        for (k, v) in m {
            let s = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            self.insert(k, s);
        }
        Ok(())
    }
}

/// The pairs of an `application/x-www-form-urlencoded` text (or a query string): split on `&`
/// and the first `=`, `+` for a space, `%XX` escapes decoded (a malformed escape stays as it
/// is). Unlike `form_urlencoded::parse`, a name or value whose decoded bytes are not UTF-8 is a
/// 400, not a string with U+FFFD in it that a route might store as a file name.
pub fn parse_form(input: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for pair in input.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let k = decode_component(k, true).ok_or_else(|| ApiError::not_utf8(None))?;
        let v = decode_component(v, true).ok_or_else(|| ApiError::not_utf8(Some(&k)))?;
        out.push((k, v));
    }
    Ok(out)
}

/// Percent-decodes one component (`+` is a space when `plus_is_space`); `None` when the
/// decoded bytes are not UTF-8.
pub fn decode_component(raw: &[u8], plus_is_space: bool) -> Option<String> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        let escaped = match (b, raw.get(i + 1), raw.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) => hex(h).zip(hex(l)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match escaped {
            Some(x) => {
                out.push(x);
                i += 3;
            }
            None => {
                out.push(if b == b'+' && plus_is_space { b' ' } else { b });
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Read access to one source, or to a first source with a fallback.
#[derive(Clone, Copy)]
pub struct View<'a> {
    first: &'a Fields,
    then: Option<&'a Fields>,
}

impl<'a> View<'a> {
    fn raw(&self, k: &str) -> Option<&'a str> {
        let found = |f: &'a Fields| f.map.get(k).map(String::as_str);
        match found(self.first) {
            Some(v) if !v.is_empty() => Some(v),
            first => self.then.and_then(found).or(first),
        }
    }

    /// A non-empty value.
    pub fn get(&self, k: &str) -> Option<&'a str> {
        self.raw(k).filter(|s| !s.is_empty())
    }

    pub fn req(&self, k: &str) -> Result<&'a str, ApiError> {
        self.get(k).ok_or_else(|| ApiError::missing(k))
    }

    /// Checks that every one of `names` is present and non-empty; the 400 lists all that are
    /// missing, not only the first.
    pub fn require_all(&self, names: &[&str]) -> Result<(), ApiError> {
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| self.get(n).is_none())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ApiError::missing_all(&missing))
        }
    }

    pub fn u64(&self, k: &str) -> Result<Option<u64>, ApiError> {
        match self.get(k) {
            None => Ok(None),
            Some(s) => s.trim().parse::<u64>().map(Some).map_err(|_| {
                ApiError::invalid_param(
                    k,
                    "integer",
                    format!("'{k}' must be a non-negative integer."),
                )
            }),
        }
    }

    /// Lenient truth test for optional switches: absent or unrecognised is false.
    pub fn bool(&self, k: &str) -> bool {
        matches!(
            self.get(k),
            Some("true" | "1" | "yes" | "on" | "TRUE" | "True")
        )
    }

    /// A boolean the call must carry: `true` or `false` (also `1`/`0`); anything else is a 400
    /// naming the parameter.
    pub fn flag_req(&self, k: &str) -> Result<bool, ApiError> {
        match self.req(k)?.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(ApiError::invalid_param(
                k,
                "boolean",
                format!("'{k}' must be true or false."),
            )),
        }
    }

    /// Present, even with an empty value (an empty value can mean "clear this field").
    pub fn has(&self, k: &str) -> bool {
        self.raw(k).is_some()
    }
}

/// All parameters of a request, by source, with the source its method reads by default.
#[derive(Debug, Clone)]
pub struct Params {
    query: Fields,
    body: Fields,
    rule: Source,
}

impl Params {
    /// The query string's parameters (400 when one is not UTF-8) and none from the body yet.
    pub fn new(method: &Method, query: Option<&str>) -> Result<Self, ApiError> {
        let mut q = Fields::default();
        if let Some(s) = query {
            q.add_urlencoded(s.as_bytes())?;
        }
        Ok(Self {
            query: q,
            body: Fields::default(),
            rule: Source::for_method(method),
        })
    }

    /// Where body parameters are collected while the body is read.
    pub fn body_mut(&mut self) -> &mut Fields {
        &mut self.body
    }

    /// The query string only, for the POST routes whose parameters travel there.
    pub fn query(&self) -> View<'_> {
        View {
            first: &self.query,
            then: None,
        }
    }

    /// The body only, for the DELETE routes whose parameters travel there.
    pub fn body(&self) -> View<'_> {
        View {
            first: &self.body,
            then: None,
        }
    }

    /// The names the body carries, sorted.
    pub fn body_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.body.map.keys().cloned().collect();
        names.sort();
        names
    }

    /// The body, falling back to the query string: only where the evidence is mixed.
    pub fn body_or_query(&self) -> View<'_> {
        View {
            first: &self.body,
            then: Some(&self.query),
        }
    }

    pub fn from(&self, s: Source) -> View<'_> {
        match s {
            Source::Query => self.query(),
            Source::Body => self.body(),
        }
    }

    /// The source the request's method reads.
    pub fn view(&self) -> View<'_> {
        self.from(self.rule)
    }

    /// Replaces a value where the method reads it (used to resolve aliases such as a share's
    /// `root`).
    pub fn set(&mut self, k: &str, v: &str) {
        let f = match self.rule {
            Source::Query => &mut self.query,
            Source::Body => &mut self.body,
        };
        f.map.insert(k.to_string(), v.to_string());
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.view().get(k)
    }

    pub fn req(&self, k: &str) -> Result<&str, ApiError> {
        self.view().req(k)
    }

    pub fn u64(&self, k: &str) -> Result<Option<u64>, ApiError> {
        self.view().u64(k)
    }

    pub fn bool(&self, k: &str) -> bool {
        self.view().bool(k)
    }

    pub fn flag_req(&self, k: &str) -> Result<bool, ApiError> {
        self.view().flag_req(k)
    }

    pub fn has(&self, k: &str) -> bool {
        self.view().has(k)
    }

    pub fn require_all(&self, names: &[&str]) -> Result<(), ApiError> {
        self.view().require_all(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(query: &str, body: &str) -> Params {
        let mut p = Params::new(&Method::POST, Some(query)).unwrap();
        p.body_mut().add_urlencoded(body.as_bytes()).unwrap();
        p
    }

    #[test]
    fn methods_read_their_own_source() {
        let p = post("a=q", "b=body");
        assert_eq!(p.get("a"), None);
        assert_eq!(p.get("b"), Some("body"));
        let mut d = Params::new(&Method::DELETE, Some("a=q")).unwrap();
        d.body_mut().add_urlencoded(b"b=body").unwrap();
        assert_eq!(d.get("a"), Some("q"));
        assert_eq!(d.get("b"), None);
        assert_eq!(d.body().get("b"), Some("body"));
    }

    #[test]
    fn fallback_view_prefers_the_body() {
        let p = post("t=q&only=q", "t=b&empty=");
        let v = p.body_or_query();
        assert_eq!(v.get("t"), Some("b"));
        assert_eq!(v.get("only"), Some("q"));
        assert!(v.has("empty"));
        assert_eq!(v.get("empty"), None);
    }

    #[test]
    fn required_flags() {
        let p = post("", "a=true&b=0&c=maybe");
        assert_eq!(p.flag_req("a").ok(), Some(true));
        assert_eq!(p.flag_req("b").ok(), Some(false));
        assert_eq!(p.flag_req("c").map_err(|e| e.params.len()).err(), Some(1));
        assert!(p.flag_req("d").is_err());
    }

    #[test]
    fn form_decoding_matches_the_usual_rules_and_refuses_non_utf8() {
        let pairs = parse_form(b"a=1&&b=x+y%2Bz&c&d=%zz%4&e=%C3%A9&=v").unwrap();
        let want: Vec<(String, String)> = [
            ("a", "1"),
            ("b", "x y+z"),
            ("c", ""),
            ("d", "%zz%4"),
            ("e", "é"),
            ("", "v"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(pairs, want);
        let same: Vec<(String, String)> = form_urlencoded::parse(b"a=1&&b=x+y%2Bz&c&d=%zz%4")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(pairs[..4], same[..]);
        let e = parse_form(b"name=%FF%FE.txt").unwrap_err();
        assert_eq!((e.status.as_u16(), e.params.len()), (400, 1));
        assert!(parse_form(b"%C3=v").is_err());
        assert!(parse_form(&[b'n', b'=', 0xff]).is_err());
        assert_eq!(decode_component(b"a+b", false).as_deref(), Some("a+b"));
    }
}
