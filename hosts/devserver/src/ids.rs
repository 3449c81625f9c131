//! Identifier and clock helpers. Every name stored on disk comes from here, never from a request.

use rand::Rng;

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A 19-digit profile id (user, org, workspace, share), as Fast.io uses.
pub fn profile_id() -> String {
    let mut rng = rand::rng();
    let first = rng.random_range(1..=9u8);
    let mut s = first.to_string();
    for _ in 0..18 {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

/// A 30-character opaque node id shown with hyphens (6 groups of 5).
pub fn node_id() -> String {
    let raw = random_alnum(30);
    let mut out = String::with_capacity(35);
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

pub fn random_alnum(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(ALNUM[rng.random_range(0..ALNUM.len())]))
        .collect()
}

/// True when `s` could be an id we generated: safe to use as a file name component.
pub fn is_safe_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 80 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn now_s() -> i64 {
    now_ms() / 1000
}

/// ISO 8601 UTC timestamp.
pub fn iso(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn now_iso() -> String {
    iso(now_ms())
}
