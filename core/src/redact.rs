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

pub(crate) fn header_value(name: &str, value: &str) -> String {
    if SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
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
