//! Hashing for uploads and downloads: every digest an upload needs in one pass over the
//! bytes, CRC32C combination for chunks hashed out of order, hasher state that survives a
//! restart, and verification against what the server reports.
//!
//! # What an upload computes
//!
//! - per chunk ([`ChunkHasher`]): the digest in the algorithm the server accepts
//!   (`hash` + `hash_algo`), and always the chunk's CRC32C;
//! - whole file: the CRC32C (`file_crc32c` on the last chunk), combined from the chunk CRCs
//!   with [`Crc32cParts`] so chunks may be hashed in any order; and, only when the caller asks
//!   for it or for the stored node to be checked, a digest in one algorithm fed in file order
//!   through [`SequentialHasher`] ([`hash_chunk_into`] feeds a chunk to both at once). The
//!   server checks the CRC32C alone, so nothing else is computed by default: in a
//!   WebAssembly component, SHA-256 costs more CPU than sending the bytes.
//! - when the bytes pass in order anyway (single-request and stream uploads, downloads):
//!   [`FileHasher`], SHA-256 and CRC32C together.
//!
//! Hardware acceleration comes from the digest crates: `sha2` detects the SHA extensions at
//! run time, `crc32c` uses SSE4.2 or the ARM CRC instructions. No cryptography is written
//! here.
//!
//! # Persisting
//!
//! Every hasher has `state()` and `from_state()`; the bytes are described in [`state`].

mod algo;
mod crc;
mod multi;
pub mod state;
mod verify;

pub use algo::{Digest, HashAlgo, Hasher, to_hex};
pub use crc::{Crc32cParts, ZeroShift, crc32c_append, crc32c_combine, crc32c_concat};
pub use multi::{
    ChunkDigest, ChunkHasher, FileDigest, FileHasher, SequentialHasher, SequentialSha256,
    crc32c_hex, hash_chunk_bytes, hash_chunk_into,
};
pub use state::{HasherState, StateKind};
pub use verify::{DownloadVerifier, VerifiedDownload, VerifyError, verify_node_hash};

/// Errors from hashing inputs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashError {
    /// An algorithm name the server may send but this library does not know.
    #[error("unsupported hash algorithm {0:?} (supported: md5, sha1, sha256, sha384, crc32c)")]
    UnsupportedAlgorithm(String),
    /// A digest value that is not valid for its algorithm.
    #[error("{value:?} is not a valid {algo} digest")]
    BadDigest {
        /// The algorithm.
        algo: HashAlgo,
        /// The value as given.
        value: String,
    },
    /// Bytes were fed past the point hashed so far; the whole-file SHA-256 needs file order.
    #[error(
        "bytes at offset {got} arrived before the bytes at offset {expected}; feed the file hash in order"
    )]
    Gap {
        /// The offset the hasher needs next.
        expected: u64,
        /// The offset that was fed.
        got: u64,
    },
    /// A CRC part overlaps another part.
    #[error("the part of {len} bytes at offset {offset} overlaps another part")]
    Overlap {
        /// Offset of the refused part.
        offset: u64,
        /// Length of the refused part.
        len: u64,
    },
}

/// Errors from decoding a [`HasherState`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// The bytes end too early.
    #[error("hasher state is truncated")]
    Truncated,
    /// A format version this library does not read.
    #[error("hasher state version {0} is not supported (this library reads version 1)")]
    UnsupportedVersion(u8),
    /// An unknown kind byte.
    #[error("hasher state has unknown kind {0}")]
    UnknownKind(u8),
    /// An unknown algorithm byte.
    #[error("hasher state has unknown algorithm id {0}")]
    UnknownAlgorithm(u8),
    /// A raw state of the wrong length for its algorithm.
    #[error("{algo} state is {found} bytes, expected {expected}")]
    BadLength {
        /// The algorithm.
        algo: HashAlgo,
        /// The length the format requires.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// A raw state whose contents are inconsistent.
    #[error("{0} state is corrupt")]
    Corrupt(HashAlgo),
    /// The structure is wrong.
    #[error("hasher state is malformed: {0}")]
    Malformed(&'static str),
    /// The state belongs to another kind of hasher.
    #[error("hasher state is for {found:?}, not {expected:?}")]
    WrongKind {
        /// The kind asked for.
        expected: StateKind,
        /// The kind in the state.
        found: StateKind,
    },
    /// Not valid base64.
    #[error("hasher state is not valid base64")]
    Base64,
}
