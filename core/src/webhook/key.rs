//! Keyed HMAC state, set up once per secret, and fixed-size MAC values.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::scheme::Algorithm;

/// A MAC value held inline (no allocation): up to 64 bytes, enough for
/// HMAC-SHA512.
#[derive(Clone, Copy)]
pub struct MacBytes {
    buf: [u8; MacBytes::MAX],
    len: usize,
}

impl MacBytes {
    /// The largest MAC this crate produces (HMAC-SHA512).
    pub const MAX: usize = 64;

    pub(crate) const EMPTY: MacBytes = MacBytes {
        buf: [0; Self::MAX],
        len: 0,
    };

    pub(crate) fn empty() -> Self {
        Self::EMPTY
    }

    /// Copies `bytes`; `None` when longer than [`MacBytes::MAX`].
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut out = Self::empty();
        out.buf.get_mut(..bytes.len())?.copy_from_slice(bytes);
        out.len = bytes.len();
        Some(out)
    }

    /// Appends one byte; callers bound the length beforehand, extra bytes are
    /// dropped rather than panicking.
    pub(crate) fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    /// The MAC bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Constant-time equality over the bytes. Lengths are public (they follow
    /// from the algorithm), so a length mismatch returns early.
    pub(crate) fn ct_eq(&self, other: &MacBytes) -> subtle::Choice {
        if self.len != other.len {
            return subtle::Choice::from(0);
        }
        self.as_slice().ct_eq(other.as_slice())
    }
}

impl fmt::Debug for MacBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacBytes({} bytes)", self.len)
    }
}

/// HMAC state already keyed with a secret. Cloning it skips the key schedule
/// (two compression-function calls), which is most of the cost for small
/// bodies.
#[derive(Clone)]
pub(crate) enum MacKey {
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

impl MacKey {
    /// Keys an HMAC. HMAC accepts keys of any length, so this only fails if
    /// the underlying crate changes that contract.
    pub(crate) fn new(algorithm: Algorithm, key: &[u8]) -> Option<Self> {
        match algorithm {
            Algorithm::Sha256 => Hmac::<Sha256>::new_from_slice(key).ok().map(MacKey::Sha256),
            Algorithm::Sha512 => Hmac::<Sha512>::new_from_slice(key).ok().map(MacKey::Sha512),
        }
    }

    /// The MAC of the concatenation of `parts`.
    pub(crate) fn compute(&self, parts: &[&[u8]]) -> MacBytes {
        match self {
            MacKey::Sha256(keyed) => {
                let mut mac = keyed.clone();
                for part in parts {
                    mac.update(part);
                }
                MacBytes::from_slice(&mac.finalize().into_bytes()).unwrap_or_else(MacBytes::empty)
            }
            MacKey::Sha512(keyed) => {
                let mut mac = keyed.clone();
                for part in parts {
                    mac.update(part);
                }
                MacBytes::from_slice(&mac.finalize().into_bytes()).unwrap_or_else(MacBytes::empty)
            }
        }
    }
}

/// A key a verifier checks signatures with.
#[derive(Clone)]
pub(crate) enum VerifyKey {
    /// HMAC: the shared secret, keyed once.
    Mac(MacKey),
    /// Standard Webhooks `v1a`: an ed25519 public key.
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A key a signer signs with.
#[derive(Clone)]
pub(crate) enum SignKey {
    /// HMAC: the shared secret, keyed once.
    Mac(MacKey),
    /// Standard Webhooks `v1a`: an ed25519 secret key.
    Ed25519(ed25519_dalek::SigningKey),
}

impl fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyKey::Mac(key) => key.fmt(f),
            VerifyKey::Ed25519(_) => f.write_str("Ed25519PublicKey([redacted])"),
        }
    }
}

impl fmt::Debug for SignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignKey::Mac(key) => key.fmt(f),
            SignKey::Ed25519(_) => f.write_str("Ed25519SecretKey([redacted])"),
        }
    }
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            MacKey::Sha256(_) => "HMAC-SHA256",
            MacKey::Sha512(_) => "HMAC-SHA512",
        };
        write!(f, "{name}([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = MacKey::new(Algorithm::Sha256, b"Jefe").unwrap();
        let mac = key.compute(&[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            super::super::header::encode_hex(mac.as_slice()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let key = MacKey::new(Algorithm::Sha512, b"Jefe").unwrap();
        let mac = key.compute(&[b"what do ya want for nothing?"]);
        assert_eq!(
            super::super::header::encode_hex(mac.as_slice()),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let key = MacKey::new(Algorithm::Sha256, b"topsecret").unwrap();
        assert_eq!(format!("{key:?}"), "HMAC-SHA256([redacted])");
    }
}
