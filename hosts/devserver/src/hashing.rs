//! The hash algorithms clients may send with a chunk (`/upload/algos/`).

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384};

pub const ALGOS: &[&str] = &["md5", "sha1", "sha256", "sha384", "crc32c"];

pub enum Hasher {
    Md5(Md5),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
    Crc32c(u32),
}

impl Hasher {
    pub fn new(algo: &str) -> Option<Self> {
        Some(match algo.to_ascii_lowercase().as_str() {
            "md5" => Self::Md5(Md5::new()),
            "sha1" => Self::Sha1(Sha1::new()),
            "sha256" => Self::Sha256(Sha256::new()),
            "sha384" => Self::Sha384(Sha384::new()),
            "crc32c" => Self::Crc32c(0),
            _ => return None,
        })
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Md5(h) => h.update(data),
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
            Self::Sha384(h) => h.update(data),
            Self::Crc32c(c) => *c = crc32c::crc32c_append(*c, data),
        }
    }

    /// Lowercase hex; CRC32C as 8 hex digits.
    pub fn finish_hex(self) -> String {
        match self {
            Self::Md5(h) => hex(&h.finalize()),
            Self::Sha1(h) => hex(&h.finalize()),
            Self::Sha256(h) => hex(&h.finalize()),
            Self::Sha384(h) => hex(&h.finalize()),
            Self::Crc32c(c) => crc_hex(c),
        }
    }
}

pub fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(char::from(D[usize::from(x >> 4)]));
        s.push(char::from(D[usize::from(x & 15)]));
    }
    s
}

pub fn crc_hex(c: u32) -> String {
    format!("{c:08x}")
}

/// Parses a client CRC32C: 8 hex digits (optionally `0x`-prefixed) or a decimal number.
pub fn parse_crc(s: &str) -> Option<u32> {
    let t = s.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    if t.len() == 8
        && let Ok(v) = u32::from_str_radix(t, 16)
    {
        return Some(v);
    }
    t.parse::<u32>().ok()
}

/// Parses a CRC-32C in the wire format the service documents: exactly 8 lowercase hex digits,
/// big-endian (`crc32c("123456789")` is `e3069283`; contract §4 item 1, fastio_cli
/// src/api/upload_integrity.rs @e6b1955).
pub fn parse_wire_crc(s: &str) -> Option<u32> {
    let ok = s.len() == 8
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        u32::from_str_radix(s, 16).ok()
    } else {
        None
    }
}

/// Hashes the whole file at `path` with `algo`.
pub fn hash_file(path: &std::path::Path, algo: &str) -> std::io::Result<Option<String>> {
    use std::io::Read;
    let Some(mut h) = Hasher::new(algo) else {
        return Ok(None);
    };
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(Some(h.finish_hex()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_crc_is_eight_lowercase_hex_digits() {
        assert_eq!(crc_hex(crc32c::crc32c(b"123456789")), "e3069283");
        assert_eq!(parse_wire_crc("e3069283"), Some(0xe306_9283));
        assert_eq!(parse_wire_crc("00000000"), Some(0));
        for bad in [
            "E3069283",
            "0xe3069283",
            "3808858755",
            "e306928",
            "e30692830",
            "",
        ] {
            assert_eq!(parse_wire_crc(bad), None, "{bad}");
        }
    }
}
