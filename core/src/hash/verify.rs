//! Checking what we computed against what the server reports.

use super::HashAlgo;
use super::algo::{Digest, Hasher};
use super::multi::{FileDigest, FileHasher};

/// Why a verification did not pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The server named an algorithm this library does not know.
    #[error("the server reports hash algorithm {0:?}, which this client cannot compute")]
    UnsupportedAlgorithm(String),
    /// The algorithm is known but no local digest in it was computed; nothing was compared.
    #[error("no local {algo} digest to compare with (computed: {computed:?})")]
    NotComputed {
        /// The server's algorithm.
        algo: HashAlgo,
        /// The algorithms that were computed locally.
        computed: Vec<HashAlgo>,
    },
    /// The server's hash is empty, so there is nothing to verify against.
    #[error("the server reports no hash for this file")]
    MissingHash,
    /// The expected value is not a hex digest of the algorithm's length.
    #[error("expected {algo} digest {value:?} is not valid hex of the right length")]
    BadExpected {
        /// The algorithm.
        algo: HashAlgo,
        /// The value as received.
        value: String,
    },
    /// The digests differ.
    #[error("{algo} mismatch: expected {expected}, computed {actual}")]
    Mismatch {
        /// The algorithm compared.
        algo: HashAlgo,
        /// The server's value, lowercase hex.
        expected: String,
        /// Our value, lowercase hex.
        actual: String,
    },
}

/// Compares a finished node's `hash` / `hash_algo` with digests computed locally.
///
/// `local` may hold several algorithms; the one the server used is picked. Returns the local
/// digest that matched.
///
/// # Errors
/// [`VerifyError::UnsupportedAlgorithm`] for an unknown `hash_algo`,
/// [`VerifyError::NotComputed`] when none of `local` is in that algorithm (never a silent
/// pass), [`VerifyError::MissingHash`] for an empty `hash`, [`VerifyError::BadExpected`] for
/// a malformed one, and [`VerifyError::Mismatch`] with both values when they differ.
pub fn verify_node_hash(
    node_hash: &str,
    node_hash_algo: &str,
    local: &[Digest],
) -> Result<Digest, VerifyError> {
    let algo = HashAlgo::parse(node_hash_algo)
        .map_err(|_| VerifyError::UnsupportedAlgorithm(node_hash_algo.to_owned()))?;
    let Some(ours) = local.iter().find(|d| d.algo() == algo) else {
        return Err(VerifyError::NotComputed {
            algo,
            computed: local.iter().map(Digest::algo).collect(),
        });
    };
    compare(algo, node_hash, ours)?;
    Ok(ours.clone())
}

fn parse_expected(algo: HashAlgo, expected: &str) -> Result<Digest, VerifyError> {
    if expected.trim().is_empty() {
        return Err(VerifyError::MissingHash);
    }
    Digest::from_hex(algo, expected).map_err(|_| VerifyError::BadExpected {
        algo,
        value: expected.to_owned(),
    })
}

fn compare(algo: HashAlgo, expected: &str, ours: &Digest) -> Result<(), VerifyError> {
    let theirs = parse_expected(algo, expected)?;
    if theirs.as_bytes() == ours.as_bytes() {
        Ok(())
    } else {
        Err(VerifyError::Mismatch {
            algo,
            expected: theirs.to_hex(),
            actual: ours.to_hex(),
        })
    }
}

/// What a download verifier computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDownload {
    /// SHA-256, CRC32C and length of the bytes received.
    pub file: FileDigest,
    /// The digest that was checked against the expected value, when there was one.
    pub checked: Option<Digest>,
}

/// Verifies a download as its bytes stream past, without holding them.
///
/// Always computes SHA-256 and CRC32C; when an expected digest is given in another algorithm,
/// that one too.
#[derive(Debug, Clone)]
pub struct DownloadVerifier {
    file: FileHasher,
    /// The expected digest, and a hasher for it unless it is SHA-256 or CRC32C (which the
    /// file hasher computes anyway).
    expected: Option<(Digest, Option<Hasher>)>,
}

impl DownloadVerifier {
    /// Verifies against `expected_hex` in `algo`.
    ///
    /// # Errors
    /// [`VerifyError::MissingHash`] or [`VerifyError::BadExpected`] when `expected_hex` is
    /// empty or malformed, so a bad expectation fails before any byte is downloaded.
    pub fn new(expected_hex: &str, algo: HashAlgo) -> Result<Self, VerifyError> {
        let expected = parse_expected(algo, expected_hex)?;
        let extra = match algo {
            HashAlgo::Sha256 | HashAlgo::Crc32c => None,
            other => Some(Hasher::new(other)),
        };
        Ok(DownloadVerifier {
            file: FileHasher::new(),
            expected: Some((expected, extra)),
        })
    }

    /// Verifies against a node's `hash` / `hash_algo` as the server reports them.
    ///
    /// # Errors
    /// [`VerifyError::UnsupportedAlgorithm`] for an unknown algorithm, and as
    /// [`DownloadVerifier::new`].
    pub fn for_node(node_hash: &str, node_hash_algo: &str) -> Result<Self, VerifyError> {
        let algo = HashAlgo::parse(node_hash_algo)
            .map_err(|_| VerifyError::UnsupportedAlgorithm(node_hash_algo.to_owned()))?;
        DownloadVerifier::new(node_hash, algo)
    }

    /// No expected digest: only computes SHA-256 and CRC32C for the caller.
    pub fn unchecked() -> Self {
        DownloadVerifier {
            file: FileHasher::new(),
            expected: None,
        }
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.file.len()
    }

    /// True before any byte was fed.
    pub fn is_empty(&self) -> bool {
        self.file.is_empty()
    }

    /// Feeds the next downloaded bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.file.update(data);
        if let Some((_, Some(h))) = &mut self.expected {
            h.update(data);
        }
    }

    /// Finishes and compares.
    ///
    /// # Errors
    /// [`VerifyError::Mismatch`] with both values when the digest differs.
    #[must_use = "a download is verified only if this result is checked"]
    pub fn finish(self) -> Result<VerifiedDownload, VerifyError> {
        let file = self.file.finish();
        let Some((expected, extra)) = self.expected else {
            return Ok(VerifiedDownload {
                file,
                checked: None,
            });
        };
        let ours = match (expected.algo(), extra) {
            (_, Some(h)) => h.finish(),
            (HashAlgo::Crc32c, None) => Digest::crc32c(file.crc32c),
            (_, None) => file.sha256.clone(),
        };
        if ours.as_bytes() != expected.as_bytes() {
            return Err(VerifyError::Mismatch {
                algo: expected.algo(),
                expected: expected.to_hex(),
                actual: ours.to_hex(),
            });
        }
        Ok(VerifiedDownload {
            file,
            checked: Some(ours),
        })
    }
}
