//! One pass over the bytes: whole-file SHA-256 and CRC32C, and each chunk's digest.
//!
//! Every hasher here works through its input in 64 KiB slices, running each algorithm over a
//! slice before moving to the next, so a slice is read from memory once and hashed from cache
//! by the others.

use std::fmt;

use sha2::Sha256;
use sha2::digest::Digest as _;

use super::algo::{Digest, Inner, to_hex};
use super::{HashAlgo, HashError};

/// Slice size for interleaving algorithms: small enough to stay in L2, large enough that the
/// per-slice call overhead is noise.
const SLICE: usize = 64 * 1024;

/// Whole-file SHA-256 fed strictly in file order, tracking how far it has got.
///
/// SHA-256 cannot be combined from pieces, so while chunks go out in parallel the bytes must
/// still reach this hasher in order. [`SequentialSha256::update_at`] takes data with its file
/// offset: a repeat of bytes already hashed (a chunk read again after a retry or a resume) is
/// skipped, and a gap is refused, so a caller cannot silently corrupt the digest.
#[derive(Clone)]
pub struct SequentialSha256 {
    pub(crate) sha: Sha256,
    pub(crate) offset: u64,
}

impl fmt::Debug for SequentialSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SequentialSha256")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl Default for SequentialSha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl SequentialSha256 {
    /// A fresh hasher at offset 0.
    pub fn new() -> Self {
        SequentialSha256 {
            sha: Sha256::new(),
            offset: 0,
        }
    }

    /// The file offset of the next byte this hasher needs (= bytes hashed so far).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Feeds the next bytes of the file.
    pub fn update(&mut self, data: &[u8]) {
        self.sha.update(data);
        self.offset = self.offset.saturating_add(data.len() as u64);
    }

    /// Feeds `data`, which starts at file offset `offset`.
    ///
    /// Bytes before [`SequentialSha256::offset`] are taken to be the ones already hashed and
    /// are skipped. Returns how many new bytes were hashed.
    ///
    /// # Errors
    /// [`HashError::Gap`] when `offset` is beyond [`SequentialSha256::offset`]; nothing is
    /// hashed then. Feed the missing bytes first.
    pub fn update_at(&mut self, offset: u64, data: &[u8]) -> Result<u64, HashError> {
        let fresh = self.fresh_part(offset, data)?;
        self.update(fresh);
        Ok(fresh.len() as u64)
    }

    /// The part of `data` (at `offset`) not yet hashed, or a gap error.
    fn fresh_part<'a>(&self, offset: u64, data: &'a [u8]) -> Result<&'a [u8], HashError> {
        unseen(self.offset, offset, data)
    }

    /// The SHA-256 of everything fed.
    #[must_use]
    pub fn finish(self) -> Digest {
        Inner::Sha256(self.sha).finish()
    }
}

/// The part of `data`, which starts at file offset `offset`, that a hasher which has seen
/// the file's first `done` bytes has not seen yet; a gap error when `data` starts past them.
fn unseen(done: u64, offset: u64, data: &[u8]) -> Result<&[u8], HashError> {
    if offset > done {
        return Err(HashError::Gap {
            expected: done,
            got: offset,
        });
    }
    // `done - offset` may exceed usize on 32-bit targets; then nothing in `data` is new.
    let skip = usize::try_from(done - offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    Ok(&data[skip..])
}

/// A whole-file digest in any one algorithm, fed strictly in file order, tracking how far it
/// has got — what an upload computes when the caller asks for the file's digest or for the
/// stored node to be checked against it (the node's `hash_algo` may be any of them).
///
/// Like [`SequentialSha256`], a repeat of bytes already hashed is skipped and a gap refused.
#[derive(Clone, Debug)]
pub struct SequentialHasher {
    pub(crate) hasher: super::Hasher,
}

impl SequentialHasher {
    /// A fresh hasher at offset 0.
    pub fn new(algo: HashAlgo) -> Self {
        SequentialHasher {
            hasher: super::Hasher::new(algo),
        }
    }

    /// The algorithm.
    pub fn algo(&self) -> HashAlgo {
        self.hasher.algo()
    }

    /// The file offset of the next byte this hasher needs (= bytes hashed so far).
    pub fn offset(&self) -> u64 {
        self.hasher.bytes_processed()
    }

    /// Feeds `data`, which starts at file offset `offset`; returns how many new bytes were
    /// hashed.
    ///
    /// # Errors
    /// [`HashError::Gap`] when `offset` is beyond [`SequentialHasher::offset`]; nothing is
    /// hashed then.
    pub fn update_at(&mut self, offset: u64, data: &[u8]) -> Result<u64, HashError> {
        let fresh = unseen(self.offset(), offset, data)?;
        self.hasher.update(fresh);
        Ok(fresh.len() as u64)
    }

    /// The digest of everything fed.
    #[must_use]
    pub fn finish(self) -> Digest {
        self.hasher.finish()
    }
}

/// The digests of a whole file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileDigest {
    /// Bytes hashed.
    pub len: u64,
    /// SHA-256 of the file.
    pub sha256: Digest,
    /// CRC32C of the file (sent as `file_crc32c` with the last chunk).
    pub crc32c: u32,
}

impl FileDigest {
    /// SHA-256 as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        self.sha256.to_hex()
    }

    /// CRC32C as 8 lowercase hex digits, big-endian, as the server expects.
    pub fn crc32c_hex(&self) -> String {
        crc32c_hex(self.crc32c)
    }
}

/// Formats a CRC32C value as the server expects: 8 lowercase hex digits, big-endian.
pub fn crc32c_hex(value: u32) -> String {
    to_hex(&value.to_be_bytes())
}

/// Whole-file SHA-256 and CRC32C in one pass, fed in file order.
///
/// Use this when the bytes pass in order anyway (a single-request or stream upload, a
/// download, chunks read one after another). For chunks hashed out of order, use
/// [`SequentialSha256`] with [`ChunkHasher`] and combine the chunk CRCs
/// ([`crate::hash::Crc32cParts`]).
#[derive(Clone, Debug, Default)]
pub struct FileHasher {
    pub(crate) sha: SequentialSha256,
    pub(crate) crc: u32,
}

impl FileHasher {
    /// A fresh hasher.
    pub fn new() -> Self {
        FileHasher {
            sha: SequentialSha256::new(),
            crc: 0,
        }
    }

    /// Bytes hashed so far (= the file offset of the next byte).
    pub fn len(&self) -> u64 {
        self.sha.offset
    }

    /// True before any byte was fed.
    pub fn is_empty(&self) -> bool {
        self.sha.offset == 0
    }

    /// The CRC32C of the bytes fed so far.
    pub fn crc32c(&self) -> u32 {
        self.crc
    }

    /// Feeds the next bytes of the file.
    pub fn update(&mut self, data: &[u8]) {
        for slice in data.chunks(SLICE) {
            self.sha.update(slice);
            self.crc = super::crc::crc32c_append(self.crc, slice);
        }
    }

    /// Feeds `data` starting at file offset `offset`; bytes already hashed are skipped.
    /// Returns how many new bytes were hashed.
    ///
    /// # Errors
    /// [`HashError::Gap`] when `offset` is beyond [`FileHasher::len`]; nothing is hashed then.
    pub fn update_at(&mut self, offset: u64, data: &[u8]) -> Result<u64, HashError> {
        let fresh = self.sha.fresh_part(offset, data)?;
        self.update(fresh);
        Ok(fresh.len() as u64)
    }

    /// The digests of everything fed.
    #[must_use]
    pub fn finish(self) -> FileDigest {
        FileDigest {
            len: self.sha.offset,
            sha256: self.sha.finish(),
            crc32c: self.crc,
        }
    }
}

/// The digests of one chunk. Serialises (for a resume token's acknowledged chunks) as
/// `{"len": …, "crc32c": <u32>, "digest": {"algo": …, "hex": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChunkDigest {
    /// Bytes in the chunk.
    pub len: u64,
    /// CRC32C of the chunk, always computed (it combines into the whole-file CRC32C).
    pub crc32c: u32,
    /// The chunk's digest in the chosen algorithm (sent as `hash` with `hash_algo`).
    pub digest: Digest,
}

impl ChunkDigest {
    /// The chosen algorithm (`hash_algo`).
    pub fn algo(&self) -> HashAlgo {
        self.digest.algo()
    }

    /// The chunk's digest as lowercase hex (`hash`).
    pub fn hex(&self) -> String {
        self.digest.to_hex()
    }
}

/// One chunk's CRC32C plus its digest in a chosen algorithm.
///
/// The CRC32C is always computed because the whole-file CRC32C is combined from chunk CRCs;
/// when the chosen algorithm is CRC32C, the same value serves as the chunk digest, so the
/// bytes go through CRC32C once.
#[derive(Clone)]
pub struct ChunkHasher {
    pub(crate) crc: u32,
    pub(crate) len: u64,
    /// The chosen algorithm when it is not CRC32C.
    pub(crate) other: Option<Inner>,
}

impl fmt::Debug for ChunkHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkHasher")
            .field("algo", &self.algo())
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl ChunkHasher {
    /// A fresh chunk hasher whose digest will be in `algo`.
    pub fn new(algo: HashAlgo) -> Self {
        ChunkHasher {
            crc: 0,
            len: 0,
            other: (algo != HashAlgo::Crc32c).then(|| Inner::new(algo)),
        }
    }

    /// The chosen algorithm.
    pub fn algo(&self) -> HashAlgo {
        self.other.as_ref().map_or(HashAlgo::Crc32c, Inner::algo)
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True before any byte was fed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The CRC32C of the bytes fed so far.
    pub fn crc32c(&self) -> u32 {
        self.crc
    }

    /// Feeds the next bytes of the chunk.
    pub fn update(&mut self, data: &[u8]) {
        for slice in data.chunks(SLICE) {
            self.update_slice(slice);
        }
    }

    fn update_slice(&mut self, slice: &[u8]) {
        self.crc = super::crc::crc32c_append(self.crc, slice);
        if let Some(other) = &mut self.other {
            other.update(slice);
        }
        self.len = self.len.saturating_add(slice.len() as u64);
    }

    /// The chunk's digests.
    #[must_use]
    pub fn finish(self) -> ChunkDigest {
        let digest = match self.other {
            Some(other) => other.finish(),
            None => Digest::crc32c(self.crc),
        };
        ChunkDigest {
            len: self.len,
            crc32c: self.crc,
            digest,
        }
    }
}

/// Hashes chunk bytes in one pass: into the chunk's hasher and, in file order, into the
/// whole-file SHA-256.
///
/// `offset` is the file offset of `data`. Bytes the SHA-256 has already seen (a chunk read
/// again after a retry or resume) still go into `chunk` but are not hashed into `sha256`
/// twice.
///
/// # Errors
/// [`HashError::Gap`] when `offset` is beyond `sha256.offset()`: the bytes before this chunk
/// have not been hashed yet. Nothing is fed to either hasher then, so the caller can feed the
/// missing bytes first and call again.
pub fn hash_chunk_bytes(
    sha256: &mut SequentialSha256,
    chunk: &mut ChunkHasher,
    offset: u64,
    data: &[u8],
) -> Result<(), HashError> {
    let fresh = sha256.fresh_part(offset, data)?;
    let seen = data.len() - fresh.len();
    // The already-hashed prefix only feeds the chunk; the rest feeds both, slice by slice so
    // each slice is hashed while it is in cache.
    chunk.update(&data[..seen]);
    for slice in fresh.chunks(SLICE) {
        chunk.update_slice(slice);
        sha256.update(slice);
    }
    Ok(())
}

/// Hashes chunk bytes in one pass: into the chunk's hasher and, when the caller computes a
/// whole-file digest, in file order into `file` as well.
///
/// `offset` is the file offset of `data`. Bytes `file` has already seen (a chunk read again
/// after a retry or resume) still go into `chunk` but are not hashed twice.
///
/// # Errors
/// [`HashError::Gap`] when `offset` is beyond `file`'s offset; nothing is fed to either
/// hasher then.
pub fn hash_chunk_into(
    file: Option<&mut SequentialHasher>,
    chunk: &mut ChunkHasher,
    offset: u64,
    data: &[u8],
) -> Result<(), HashError> {
    let Some(file) = file else {
        chunk.update(data);
        return Ok(());
    };
    let fresh = unseen(file.offset(), offset, data)?;
    let seen = data.len() - fresh.len();
    chunk.update(&data[..seen]);
    for slice in fresh.chunks(SLICE) {
        chunk.update_slice(slice);
        file.hasher.update(slice);
    }
    Ok(())
}
