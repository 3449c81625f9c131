//! The digest algorithms Fast.io accepts, and a hasher for any one of them.

use std::fmt;
use std::str::FromStr;

use md5::Md5;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha1::Sha1;
use sha2::digest::Digest as _;
use sha2::{Sha256, Sha384};

use super::HashError;

/// A digest algorithm the upload endpoints name in `hash_algo` (`/upload/algos/`).
///
/// Serialises as the server's lowercase name (`"sha256"`); parsing ignores case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HashAlgo {
    /// MD5 (16-byte digest). Stored nodes commonly report this.
    Md5,
    /// SHA-1 (20-byte digest).
    Sha1,
    /// SHA-256 (32-byte digest).
    Sha256,
    /// SHA-384 (48-byte digest).
    Sha384,
    /// CRC32C (Castagnoli); its hex form is the 32-bit value, big-endian, 8 lowercase digits.
    Crc32c,
}

impl HashAlgo {
    /// Every algorithm, in the order of their state-format identifiers.
    pub const ALL: [HashAlgo; 5] = [
        HashAlgo::Md5,
        HashAlgo::Sha1,
        HashAlgo::Sha256,
        HashAlgo::Sha384,
        HashAlgo::Crc32c,
    ];

    /// Parses a server name (`md5`, `sha1`, `sha256`, `sha384`, `crc32c`), ignoring ASCII case
    /// and surrounding whitespace.
    ///
    /// # Errors
    /// [`HashError::UnsupportedAlgorithm`] with the name as given for anything else.
    pub fn parse(name: &str) -> Result<Self, HashError> {
        let trimmed = name.trim();
        HashAlgo::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| HashError::UnsupportedAlgorithm(name.to_owned()))
    }

    /// The name the server uses in `hash_algo`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HashAlgo::Md5 => "md5",
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Sha256 => "sha256",
            HashAlgo::Sha384 => "sha384",
            HashAlgo::Crc32c => "crc32c",
        }
    }

    /// Length of the digest in bytes (4 for CRC32C).
    pub const fn digest_len(self) -> usize {
        match self {
            HashAlgo::Md5 => 16,
            HashAlgo::Sha1 => 20,
            HashAlgo::Sha256 => 32,
            HashAlgo::Sha384 => 48,
            HashAlgo::Crc32c => 4,
        }
    }

    /// Length of the lowercase hex form (twice [`HashAlgo::digest_len`]).
    pub const fn hex_len(self) -> usize {
        self.digest_len() * 2
    }

    /// The identifier used in the serialised hasher state (see [`crate::hash::state`]).
    pub(crate) const fn state_id(self) -> u8 {
        match self {
            HashAlgo::Md5 => 1,
            HashAlgo::Sha1 => 2,
            HashAlgo::Sha256 => 3,
            HashAlgo::Sha384 => 4,
            HashAlgo::Crc32c => 5,
        }
    }

    pub(crate) fn from_state_id(id: u8) -> Option<Self> {
        HashAlgo::ALL.into_iter().find(|a| a.state_id() == id)
    }
}

impl fmt::Display for HashAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HashAlgo {
    type Err = HashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HashAlgo::parse(s)
    }
}

impl Serialize for HashAlgo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HashAlgo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        HashAlgo::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// A finished digest: the algorithm and its bytes.
///
/// For CRC32C the bytes are the 32-bit value in big-endian order, so [`Digest::to_hex`]
/// gives the 8 digits the server expects. Serialises as `{"algo": "sha256", "hex": "…"}`;
/// deserialising checks the hex against the algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "DigestRepr", try_from = "DigestRepr")]
pub struct Digest {
    algo: HashAlgo,
    bytes: Vec<u8>,
}

impl Digest {
    /// Wraps raw digest bytes.
    ///
    /// # Errors
    /// [`HashError::BadDigest`] when the length does not match the algorithm.
    pub fn from_bytes(algo: HashAlgo, bytes: &[u8]) -> Result<Self, HashError> {
        if bytes.len() != algo.digest_len() {
            return Err(HashError::BadDigest {
                algo,
                value: to_hex(bytes),
            });
        }
        Ok(Digest {
            algo,
            bytes: bytes.to_vec(),
        })
    }

    /// Parses a hex digest as a server sends it (either case).
    ///
    /// # Errors
    /// [`HashError::BadDigest`] when the text is not hex of the algorithm's length.
    pub fn from_hex(algo: HashAlgo, hex: &str) -> Result<Self, HashError> {
        let bad = || HashError::BadDigest {
            algo,
            value: hex.to_owned(),
        };
        let hex = hex.trim();
        if hex.len() != algo.hex_len() {
            return Err(bad());
        }
        let bytes = from_hex(hex).ok_or_else(bad)?;
        Ok(Digest { algo, bytes })
    }

    /// A CRC32C value as a digest.
    pub fn crc32c(value: u32) -> Self {
        Digest {
            algo: HashAlgo::Crc32c,
            bytes: value.to_be_bytes().to_vec(),
        }
    }

    /// The algorithm.
    pub fn algo(&self) -> HashAlgo {
        self.algo
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Lowercase hex, as sent in `hash` and compared with a node's `hash`.
    pub fn to_hex(&self) -> String {
        to_hex(&self.bytes)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DigestRepr {
    algo: HashAlgo,
    hex: String,
}

impl From<Digest> for DigestRepr {
    fn from(d: Digest) -> Self {
        DigestRepr {
            algo: d.algo,
            hex: d.to_hex(),
        }
    }
}

impl TryFrom<DigestRepr> for Digest {
    type Error = HashError;

    fn try_from(r: DigestRepr) -> Result<Self, Self::Error> {
        Digest::from_hex(r.algo, &r.hex)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algo, self.to_hex())
    }
}

/// Lowercase hex of bytes.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Hex (either case) to bytes; `None` on odd length or a non-hex character.
pub(crate) fn from_hex(hex: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = hex.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?))
        .collect()
}

/// The running state of one algorithm.
#[derive(Clone)]
pub(crate) enum Inner {
    Md5(Md5),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
    Crc32c(u32),
}

impl Inner {
    pub(crate) fn new(algo: HashAlgo) -> Self {
        match algo {
            HashAlgo::Md5 => Inner::Md5(Md5::new()),
            HashAlgo::Sha1 => Inner::Sha1(Sha1::new()),
            HashAlgo::Sha256 => Inner::Sha256(Sha256::new()),
            HashAlgo::Sha384 => Inner::Sha384(Sha384::new()),
            HashAlgo::Crc32c => Inner::Crc32c(0),
        }
    }

    pub(crate) fn algo(&self) -> HashAlgo {
        match self {
            Inner::Md5(_) => HashAlgo::Md5,
            Inner::Sha1(_) => HashAlgo::Sha1,
            Inner::Sha256(_) => HashAlgo::Sha256,
            Inner::Sha384(_) => HashAlgo::Sha384,
            Inner::Crc32c(_) => HashAlgo::Crc32c,
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Inner::Md5(h) => h.update(data),
            Inner::Sha1(h) => h.update(data),
            Inner::Sha256(h) => h.update(data),
            Inner::Sha384(h) => h.update(data),
            Inner::Crc32c(c) => *c = super::crc::crc32c_append(*c, data),
        }
    }

    pub(crate) fn finish(self) -> Digest {
        let algo = self.algo();
        let bytes = match self {
            Inner::Md5(h) => h.finalize().to_vec(),
            Inner::Sha1(h) => h.finalize().to_vec(),
            Inner::Sha256(h) => h.finalize().to_vec(),
            Inner::Sha384(h) => h.finalize().to_vec(),
            Inner::Crc32c(c) => c.to_be_bytes().to_vec(),
        };
        Digest { algo, bytes }
    }
}

/// A hasher for any one [`HashAlgo`], with a byte count and a serialisable state.
#[derive(Clone)]
pub struct Hasher {
    pub(crate) inner: Inner,
    pub(crate) len: u64,
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hasher")
            .field("algo", &self.algo())
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Hasher {
    /// A fresh hasher.
    pub fn new(algo: HashAlgo) -> Self {
        Hasher {
            inner: Inner::new(algo),
            len: 0,
        }
    }

    /// The algorithm.
    pub fn algo(&self) -> HashAlgo {
        self.inner.algo()
    }

    /// Bytes fed so far.
    pub fn bytes_processed(&self) -> u64 {
        self.len
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
        self.len = self.len.saturating_add(data.len() as u64);
    }

    /// The digest of everything fed.
    #[must_use]
    pub fn finish(self) -> Digest {
        self.inner.finish()
    }

    /// One-shot digest of a byte slice.
    #[must_use]
    pub fn digest(algo: HashAlgo, data: &[u8]) -> Digest {
        let mut h = Hasher::new(algo);
        h.update(data);
        h.finish()
    }
}
