//! Digests: one algorithm, the whole-file pair (SHA-256 + CRC32C), and the
//! download verifier. Each object is consumed by `finish`; using it again is a
//! usage error rather than a panic.

use std::sync::Mutex;

use fastio_core::hash::{
    DownloadVerifier as CoreVerifier, FileHasher, HashAlgo, Hasher as CoreHasher, crc32c_hex,
};

use crate::error::{FastioError, Result, invalid, usage};

fn algo(name: &str) -> Result<HashAlgo> {
    HashAlgo::parse(name).map_err(|e| invalid("invalid_argument", e.to_string()))
}

fn take<T>(slot: &Mutex<Option<T>>) -> Result<T> {
    slot.lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .ok_or_else(|| usage("this digest was already finished"))
}

fn with<T, R>(slot: &Mutex<Option<T>>, f: impl FnOnce(&mut T) -> R) -> Result<R> {
    let mut g = slot.lock().unwrap_or_else(|p| p.into_inner());
    g.as_mut()
        .map(f)
        .ok_or_else(|| usage("this digest was already finished"))
}

/// One digest: `md5`, `sha1`, `sha256`, `sha384` or `crc32c`.
#[derive(Debug, uniffi::Object)]
pub struct Digest {
    inner: Mutex<Option<CoreHasher>>,
}

#[uniffi::export]
impl Digest {
    #[uniffi::constructor]
    pub fn new(algorithm: String) -> Result<Self> {
        Ok(Digest {
            inner: Mutex::new(Some(CoreHasher::new(algo(&algorithm)?))),
        })
    }

    pub fn update(&self, data: &[u8]) -> Result<()> {
        with(&self.inner, |h| h.update(data))
    }

    /// Bytes hashed so far.
    pub fn bytes_hashed(&self) -> Result<u64> {
        with(&self.inner, |h| h.bytes_processed())
    }

    /// Lowercase hex (CRC32C: 8 digits, big-endian).
    pub fn finish_hex(&self) -> Result<String> {
        Ok(take(&self.inner)?.finish().to_hex())
    }
}

/// The digest of `data` in one call, lowercase hex.
#[uniffi::export]
pub fn digest_hex(algorithm: String, data: &[u8]) -> Result<String> {
    Ok(CoreHasher::digest(algo(&algorithm)?, data).to_hex())
}

/// CRC32C of `A ‖ B` from `crc32c(A)`, `crc32c(B)` and `|B|`.
#[uniffi::export]
pub fn crc32c_combine(crc1: u32, crc2: u32, len2: u64) -> u32 {
    fastio_core::hash::crc32c_combine(crc1, crc2, len2)
}

/// A whole file's digests.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FileDigests {
    pub len: u64,
    pub sha256: String,
    pub crc32c: String,
}

/// SHA-256 and CRC32C of a whole file in one pass.
#[derive(Debug, uniffi::Object)]
pub struct FileDigest {
    inner: Mutex<Option<FileHasher>>,
}

#[uniffi::export]
impl FileDigest {
    #[uniffi::constructor]
    pub fn new() -> Self {
        FileDigest {
            inner: Mutex::new(Some(FileHasher::new())),
        }
    }

    pub fn update(&self, data: &[u8]) -> Result<()> {
        with(&self.inner, |h| h.update(data))
    }

    pub fn finish(&self) -> Result<FileDigests> {
        let d = take(&self.inner)?.finish();
        Ok(FileDigests {
            len: d.len,
            sha256: d.sha256_hex(),
            crc32c: d.crc32c_hex(),
        })
    }
}

impl Default for FileDigest {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks bytes against an expected digest as they stream past.
#[derive(Debug, uniffi::Object)]
pub struct StreamVerifier {
    inner: Mutex<Option<CoreVerifier>>,
}

#[uniffi::export]
impl StreamVerifier {
    /// Expects `expected_hex` in `algorithm`.
    #[uniffi::constructor]
    pub fn new(expected_hex: String, algorithm: String) -> Result<Self> {
        let v = CoreVerifier::new(&expected_hex, algo(&algorithm)?).map_err(FastioError::from)?;
        Ok(StreamVerifier {
            inner: Mutex::new(Some(v)),
        })
    }

    pub fn update(&self, data: &[u8]) -> Result<()> {
        with(&self.inner, |v| v.update(data))
    }

    /// The digests of what passed; an `Integrity` error when it does not match.
    pub fn finish(&self) -> Result<FileDigests> {
        let d = take(&self.inner)?.finish()?;
        Ok(FileDigests {
            len: d.file.len,
            sha256: d.file.sha256_hex(),
            crc32c: crc32c_hex(d.file.crc32c),
        })
    }
}
