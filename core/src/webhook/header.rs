//! Header lookup and the parsers for every signature header format.
//!
//! These functions see attacker-controlled text first, so they never panic,
//! never allocate and bound their work by the input length. They are public so
//! the fuzz target and other hosts can drive them directly.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

pub use super::key::MacBytes;
use super::scheme::Encoding;

/// Standard base64 that accepts the padding present or absent: senders differ,
/// and the padding carries no information.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a header value could not be parsed. The reason is a fixed phrase, never
/// a copy of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedHeader {
    /// What was wrong, in a few words.
    pub reason: &'static str,
}

fn malformed(reason: &'static str) -> MalformedHeader {
    MalformedHeader { reason }
}

/// Returns the value of the first header called `name`, compared without
/// regard to ASCII case, with surrounding whitespace removed.
pub fn find<'a, N, V>(headers: &'a [(N, V)], name: &str) -> Option<&'a str>
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    headers
        .iter()
        .find(|(n, _)| n.as_ref().trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref().trim())
}

/// Parses a unix timestamp in seconds: 1 to 20 ASCII digits, no sign, no
/// fraction, no surrounding text (trim before calling).
pub fn parse_timestamp(text: &str) -> Result<u64, MalformedHeader> {
    if text.is_empty() {
        return Err(malformed("empty timestamp"));
    }
    if text.len() > 20 {
        return Err(malformed("timestamp too long"));
    }
    let mut value: u64 = 0;
    for b in text.bytes() {
        if !b.is_ascii_digit() {
            return Err(malformed("timestamp is not a whole number of seconds"));
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(malformed("timestamp out of range"))?;
    }
    Ok(value)
}

/// A parsed `t=<unix>,v1=<sig>[,v1=<sig>…]` header (Fast.io's timestamped
/// form and Stripe). Other keys (`v0`, future versions) are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampedSignatures<'a> {
    /// The `t` value exactly as sent; the signed content uses this text.
    pub timestamp_text: &'a str,
    /// The `t` value as a number.
    pub timestamp: u64,
    header: &'a str,
}

impl<'a> TimestampedSignatures<'a> {
    /// The `v1` values in order of appearance.
    pub fn signatures(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.header.split(',').filter_map(|item| {
            let (key, value) = item.split_once('=')?;
            (key.trim() == "v1").then(|| value.trim())
        })
    }
}

/// Parses a `t=<unix>,v1=<sig>[,…]` header value.
pub fn parse_timestamped(header: &str) -> Result<TimestampedSignatures<'_>, MalformedHeader> {
    let mut timestamp_text = None;
    let mut has_v1 = false;
    for item in header.split(',') {
        let (key, value) = item
            .split_once('=')
            .ok_or(malformed("expected comma-separated key=value pairs"))?;
        match key.trim() {
            "t" if timestamp_text.is_some() => return Err(malformed("more than one `t`")),
            "t" => timestamp_text = Some(value.trim()),
            "v1" => {
                if value.trim().is_empty() {
                    return Err(malformed("empty `v1` signature"));
                }
                has_v1 = true;
            }
            "" => return Err(malformed("empty key")),
            _ => {}
        }
    }
    let timestamp_text = timestamp_text.ok_or(malformed("no `t=` timestamp"))?;
    let timestamp = parse_timestamp(timestamp_text)?;
    if !has_v1 {
        return Err(malformed("no `v1=` signature"));
    }
    Ok(TimestampedSignatures {
        timestamp_text,
        timestamp,
        header,
    })
}

/// A parsed Standard Webhooks `webhook-signature` value: space-separated
/// `<version>,<base64>` entries. `v1` (HMAC-SHA256) and `v1a` (ed25519)
/// entries are checked; unknown versions are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandardSignatures<'a> {
    header: &'a str,
}

impl<'a> StandardSignatures<'a> {
    /// The base64 text of each `v1` entry in order of appearance.
    pub fn v1(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.header
            .split_ascii_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1,"))
    }

    /// The base64 text of each `v1a` entry in order of appearance.
    pub fn v1a(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.header
            .split_ascii_whitespace()
            .filter_map(|entry| entry.strip_prefix("v1a,"))
    }

    /// True when an entry of a version other than `v1` and `v1a` is present.
    pub fn has_other_versions(&self) -> bool {
        self.header
            .split_ascii_whitespace()
            .any(|entry| !entry.starts_with("v1,") && !entry.starts_with("v1a,"))
    }
}

/// Parses a Standard Webhooks signature list.
pub fn parse_standard(header: &str) -> Result<StandardSignatures<'_>, MalformedHeader> {
    let mut has_known = false;
    let mut any = false;
    for entry in header.split_ascii_whitespace() {
        any = true;
        let (version, sig) = entry
            .split_once(',')
            .ok_or(malformed("expected space-separated `v1,<base64>` entries"))?;
        if version.is_empty() || sig.is_empty() {
            return Err(malformed("empty version or signature in an entry"));
        }
        has_known |= version == "v1" || version == "v1a";
    }
    if !any {
        return Err(malformed("empty signature list"));
    }
    if !has_known {
        return Err(malformed(
            "no `v1` or `v1a` signature (only other versions)",
        ));
    }
    Ok(StandardSignatures { header })
}

/// Decodes one signature into MAC bytes. Hex accepts either case. Returns
/// `None` when the text is not valid in the encoding or longer than any MAC
/// this crate produces.
pub fn decode_signature(text: &str, encoding: Encoding) -> Option<MacBytes> {
    match encoding {
        Encoding::Hex => decode_hex(text),
        Encoding::Base64 => decode_base64(text),
    }
}

fn decode_hex(text: &str) -> Option<MacBytes> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(2) || bytes.len() > 2 * MacBytes::MAX {
        return None;
    }
    let mut out = MacBytes::empty();
    for pair in bytes.chunks_exact(2) {
        let &[hi, lo] = pair else { return None };
        out.push((hex_value(hi)? << 4) | hex_value(lo)?);
    }
    Some(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn decode_base64(text: &str) -> Option<MacBytes> {
    // 4 base64 characters per 3 bytes; anything longer cannot be a MAC we make.
    if text.is_empty() || text.len() > MacBytes::MAX.div_ceil(3) * 4 {
        return None;
    }
    // The decoder's size estimate rounds up to whole groups, so give it room.
    let mut buf = [0u8; MacBytes::MAX + 3];
    let len = BASE64.decode_slice(text.as_bytes(), &mut buf).ok()?;
    MacBytes::from_slice(buf.get(..len)?)
}

/// Encodes MAC bytes as lowercase hex.
pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    crate::hash::to_hex(bytes)
}

/// Encodes bytes as standard padded base64.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes a base64 secret (Standard Webhooks `whsec_` payload).
pub(crate) fn decode_base64_secret(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_headers_regardless_of_case_and_trims_values() {
        let headers = [("Content-Type", "x"), ("X-Fastio-Signature", "  abc \t")];
        assert_eq!(find(&headers, "x-fastio-signature"), Some("abc"));
        assert_eq!(find(&headers, "X-FASTIO-SIGNATURE"), Some("abc"));
        assert_eq!(find(&headers, "x-fastio-timestamp"), None);
    }

    #[test]
    fn timestamps_are_plain_digits() {
        assert_eq!(parse_timestamp("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_timestamp("0"), Ok(0));
        for bad in [
            "",
            "-1",
            "+1",
            "1.5",
            "1e9",
            " 1",
            "99999999999999999999",
            "123456789012345678901",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn timestamped_header_keeps_every_v1_and_ignores_other_keys() {
        let parsed = parse_timestamped("t=1700000000, v1=abc,v0=zzz,v1=def").unwrap();
        assert_eq!(parsed.timestamp, 1_700_000_000);
        assert_eq!(parsed.timestamp_text, "1700000000");
        assert_eq!(parsed.signatures().collect::<Vec<_>>(), ["abc", "def"]);
    }

    #[test]
    fn timestamped_header_rejects_missing_or_repeated_parts() {
        for bad in [
            "v1=abc",
            "t=1",
            "t=1,t=2,v1=a",
            "t=x,v1=a",
            "t=1,v1=",
            "garbage",
            "t=1,=a,v1=b",
        ] {
            assert!(parse_timestamped(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn standard_list_selects_v1_entries() {
        let parsed = parse_standard("v1a,AAAA v1,Zm9v  v1,YmFy v2,Zg").unwrap();
        assert_eq!(parsed.v1().collect::<Vec<_>>(), ["Zm9v", "YmFy"]);
        assert_eq!(parsed.v1a().collect::<Vec<_>>(), ["AAAA"]);
        assert!(parsed.has_other_versions());
        assert!(!parse_standard("v1a,AAAA").unwrap().has_other_versions());
        for bad in ["", "   ", "v2,AAAA", "Zm9v", "v1,", ",abc"] {
            assert!(parse_standard(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn decodes_hex_in_either_case_and_base64_with_or_without_padding() {
        let lower = decode_signature("00ff10", Encoding::Hex).unwrap();
        let upper = decode_signature("00FF10", Encoding::Hex).unwrap();
        assert_eq!(lower.as_slice(), &[0x00, 0xff, 0x10]);
        assert_eq!(lower.as_slice(), upper.as_slice());
        assert!(decode_signature("0g", Encoding::Hex).is_none());
        assert!(decode_signature("abc", Encoding::Hex).is_none());
        assert_eq!(
            decode_signature("Zm9vYg==", Encoding::Base64)
                .unwrap()
                .as_slice(),
            b"foob"
        );
        assert_eq!(
            decode_signature("Zm9vYg", Encoding::Base64)
                .unwrap()
                .as_slice(),
            b"foob"
        );
        assert!(decode_signature("Zm9vY!==", Encoding::Base64).is_none());
        assert!(decode_signature(&"A".repeat(200), Encoding::Base64).is_none());
    }

    #[test]
    fn encoders_match_known_values() {
        assert_eq!(encode_hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(encode_base64(b"foob"), "Zm9vYg==");
    }
}
