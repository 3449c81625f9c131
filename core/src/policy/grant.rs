//! Short-lived signed upload grants: a backend issues one, a gateway checks it.
//!
//! # Format (version 1)
//!
//! `fg1.<kid>.<payload>.<mac>` where `payload` is base64url (no padding) of a
//! compact JSON object `{"w": workspace, "f": folder, "m": max size, "e":
//! expiry (Unix s), "i": issued (Unix s), "n": nonce}`, `kid` is the first 8
//! hex digits of SHA-256 of the key (so a wrong key is told apart from
//! tampering), and `mac` is base64url of HMAC-SHA256(key, `fg1.<kid>.<payload>`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::secret::Secret;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Every grant starts with this.
pub const GRANT_PREFIX: &str = "fg1";

/// The longest grant token, signed: [`GrantKeyring::verify`] reads no more,
/// so [`GrantKey::issue`] refuses to sign a grant that would be longer (a long
/// `nonce` or `folder` from a caller), rather than hand out one nothing accepts.
pub const MAX_GRANT_LEN: usize = 4096;

/// What a grant allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The workspace to upload into.
    #[serde(rename = "w")]
    pub workspace: String,
    /// The folder id, or `root`.
    #[serde(rename = "f")]
    pub folder: String,
    /// The largest upload allowed, bytes.
    #[serde(rename = "m")]
    pub max_size: u64,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires: u64,
    /// Issue time, Unix seconds.
    #[serde(rename = "i")]
    pub issued: u64,
    /// A value from the issuer that makes each grant distinct.
    #[serde(rename = "n", default)]
    pub nonce: String,
}

/// Why a grant is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// Not a grant: wrong prefix, parts or encoding.
    #[error("malformed grant: {0}")]
    Malformed(&'static str),
    /// Signed with a key this verifier does not hold.
    #[error("the grant was signed with a key this gateway does not hold")]
    WrongKey,
    /// The signature does not match: the grant was altered.
    #[error("the grant's signature does not match its content")]
    Tampered,
    /// Past its expiry.
    #[error("the grant expired at {expired} (now {now})")]
    Expired {
        /// Expiry.
        expired: u64,
        /// The caller's time.
        now: u64,
    },
    /// Issued in the future beyond the allowed skew.
    #[error("the grant is issued at {issued}, after now ({now}) plus the allowed skew")]
    NotYetValid {
        /// Issue time.
        issued: u64,
        /// The caller's time.
        now: u64,
    },
    /// The key is empty.
    #[error("a grant key must not be empty")]
    EmptyKey,
}

/// A signing key with its id.
#[derive(Clone)]
pub struct GrantKey {
    key: Secret,
    kid: String,
    mac: HmacSha256,
}

impl std::fmt::Debug for GrantKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GrantKey({}, [redacted])", self.kid)
    }
}

impl GrantKey {
    /// A key from a secret.
    pub fn new(key: Secret) -> Result<Self, GrantError> {
        if key.is_empty() {
            return Err(GrantError::EmptyKey);
        }
        let kid = crate::hash::to_hex(&Sha256::digest(key.expose().as_bytes())[..4]);
        // HMAC accepts keys of any length.
        let mac = <HmacSha256 as KeyInit>::new_from_slice(key.expose().as_bytes())
            .map_err(|_| GrantError::EmptyKey)?;
        Ok(GrantKey { key, kid, mac })
    }

    /// The key id carried in grants.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    fn tag(&self, signed: &str) -> [u8; 32] {
        let mut m = self.mac.clone();
        m.update(signed.as_bytes());
        m.finalize().into_bytes().into()
    }

    /// Issues a grant.
    ///
    /// # Errors
    /// [`GrantError::Malformed`] when the signed token would be longer than
    /// [`MAX_GRANT_LEN`], which no keyring accepts.
    pub fn issue(&self, grant: &Grant) -> Result<String, GrantError> {
        // Serialising a struct of strings and numbers cannot fail.
        let json = serde_json::to_vec(grant).unwrap_or_default();
        let token = self.seal(GRANT_PREFIX, &json);
        if token.len() > MAX_GRANT_LEN {
            return Err(GrantError::Malformed(
                "too long: a signed grant is at most 4096 bytes",
            ));
        }
        Ok(token)
    }

    /// Signs `payload` as `<prefix>.<kid>.<payload>.<mac>`: the format of
    /// grants, shared by the other tokens a gateway hands out.
    pub(crate) fn seal(&self, prefix: &str, payload: &[u8]) -> String {
        let signed = format!("{prefix}.{}.{}", self.kid, URL_SAFE_NO_PAD.encode(payload));
        let tag = self.tag(&signed);
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// The secret (to hand to a gateway's configuration).
    pub fn secret(&self) -> &Secret {
        &self.key
    }
}

/// The keys a gateway accepts (several during rotation).
#[derive(Debug, Clone, Default)]
pub struct GrantKeyring {
    keys: Vec<GrantKey>,
    /// Seconds a grant's issue time may be ahead of `now` (clock skew).
    pub max_skew_s: u64,
}

impl GrantKeyring {
    /// A keyring; 60 s of clock skew allowed.
    pub fn new(keys: Vec<GrantKey>) -> Self {
        GrantKeyring {
            keys,
            max_skew_s: 60,
        }
    }

    /// Checks a grant at `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: u64) -> Result<Grant, GrantError> {
        let json = self.open(GRANT_PREFIX, token, MAX_GRANT_LEN)?;
        let grant: Grant =
            serde_json::from_slice(&json).map_err(|_| GrantError::Malformed("payload fields"))?;
        if now >= grant.expires {
            return Err(GrantError::Expired {
                expired: grant.expires,
                now,
            });
        }
        if grant.issued > now.saturating_add(self.max_skew_s) {
            return Err(GrantError::NotYetValid {
                issued: grant.issued,
                now,
            });
        }
        Ok(grant)
    }

    /// Checks the signature of a token sealed by [`GrantKey::seal`] and
    /// returns its payload bytes.
    pub(crate) fn open(
        &self,
        prefix: &str,
        token: &str,
        max_len: usize,
    ) -> Result<Vec<u8>, GrantError> {
        let token = token.trim();
        if token.len() > max_len {
            return Err(GrantError::Malformed("too long"));
        }
        let mut parts = token.split('.');
        let (Some(found), Some(kid), Some(payload), Some(mac), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(GrantError::Malformed("expected four dot-separated parts"));
        };
        if found != prefix {
            return Err(GrantError::Malformed("unknown version prefix"));
        }
        let tag = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| GrantError::Malformed("signature is not base64url"))?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(GrantError::WrongKey)?;
        let signed = &token[..token.len() - mac.len() - 1];
        let want = key.tag(signed);
        if tag.len() != want.len() || !bool::from(want.ct_eq(&tag[..])) {
            return Err(GrantError::Tampered);
        }
        URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| GrantError::Malformed("payload is not base64url"))
    }
}
