//! Redaction of secrets in Debug output: header values, query and form fields.

/// Header names whose values are credentials.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// Field names (query or form) whose values are credentials.
const SECRET_FIELDS: &[&str] = &[
    "token",
    "lock_token",
    "password",
    "refresh_token",
    "access_token",
    "code",
    "code_verifier",
    "client_secret",
    "api_key",
    "secret",
    "key",
];

/// True when a field of this name carries a credential.
pub(crate) fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// True when a header of this name carries a credential or session
/// material: the listed names, and any name that speaks of a token, secret,
/// password or signature or ends in `key` (`x-ve-password`,
/// `x-fastio-signature`, `x-api-key`). Every surface that prints headers
/// asks this one rule.
pub fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SECRET_HEADERS.contains(&n.as_str())
        || ["token", "secret", "password", "signature"]
            .iter()
            .any(|w| n.contains(w))
        || n.ends_with("key")
}

pub(crate) fn header_value(name: &str, value: &str) -> String {
    if is_secret_header(name) {
        "[redacted]".into()
    } else {
        value.to_string()
    }
}

pub(crate) fn headers(h: &[(String, String)]) -> Vec<(&str, String)> {
    h.iter()
        .map(|(k, v)| (k.as_str(), header_value(k, v)))
        .collect()
}

pub(crate) fn pairs(p: &[(String, String)]) -> Vec<(&str, &str)> {
    p.iter()
        .map(|(k, v)| {
            let v = if is_secret_field(k) {
                "[redacted]"
            } else {
                v.as_str()
            };
            (k.as_str(), v)
        })
        .collect()
}

/// A URL with the values of secret query fields replaced.
pub(crate) fn url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let redacted: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if is_secret_field(k) => format!("{k}=[redacted]"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{base}?{}", redacted.join("&"))
}

#[cfg(test)]
mod rule_tests {
    use super::is_secret_header;

    #[test]
    fn credential_headers_are_secret_and_the_rest_are_not() {
        for secret in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "set-cookie",
            "x-api-key",
            "X-VE-Password",
            "x-fastio-signature",
            "webhook-signature",
            "x-upload-token",
            "client-secret",
        ] {
            assert!(is_secret_header(secret), "{secret}");
        }
        for plain in [
            "content-type",
            "accept",
            "user-agent",
            "range",
            "webhook-id",
            "x-keyed-by",
        ] {
            assert!(!is_secret_header(plain), "{plain}");
        }
    }
}
