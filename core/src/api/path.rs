//! Path segments: ids are percent-encoded so no value can change the route.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::BuildError;

// RFC 3986 unreserved characters stay as they are; everything else is encoded,
// including `/`, `?`, `#` and `,` (commas are added back only between bulk ids).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One encoded path segment; empty, `.` and `..` are refused.
pub(crate) fn seg(field: &'static str, value: &str) -> Result<String, BuildError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(BuildError::InvalidId {
            field,
            reason: "is empty".into(),
        });
    }
    if v == "." || v == ".." {
        return Err(BuildError::InvalidId {
            field,
            reason: format!("{v:?} is not an id"),
        });
    }
    Ok(utf8_percent_encode(v, SEGMENT).to_string())
}

/// Joins segments into a relative path ending with `/`.
pub(crate) fn join(parts: &[&str]) -> String {
    let mut s = parts.join("/");
    s.push('/');
    s
}
