//! Versioned byte format for hasher state, so an upload resumed after the app was killed
//! continues its digests without re-reading what it already hashed.
//!
//! # Format, version 1
//!
//! All integers are big-endian unless stated otherwise.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | format version, `1` |
//! | 1 | 1 | kind: `1` [`Hasher`], `2` [`FileHasher`], `3` [`ChunkHasher`], `4` [`SequentialSha256`] |
//! | 2 | 1 | number of records `N` (1 or 2) |
//! | 3 | … | `N` records |
//!
//! A record is:
//!
//! | size | field |
//! |---|---|
//! | 1 | algorithm: `1` md5, `2` sha1, `3` sha256, `4` sha384, `5` crc32c |
//! | 8 | bytes processed (u64) |
//! | 2 | length `L` of the raw state (u16) |
//! | `L` | raw state |
//!
//! Raw state by algorithm (the digest layouts are those of the RustCrypto 0.11 series'
//! `SerializableState`, which that series keeps stable; the lengths are fixed):
//!
//! | algorithm | `L` | raw state |
//! |---|---|---|
//! | crc32c | 4 | CRC so far (u32, big-endian; `0` before any byte) |
//! | md5 | 88 | 4 chaining words (u32 LE), block count (u64 LE), buffered length (u8), 63 buffered bytes zero-padded |
//! | sha1 | 92 | 5 chaining words (u32 LE), block count (u64 LE), buffered length (u8), 63 buffered bytes zero-padded |
//! | sha256 | 104 | 8 chaining words (u32 LE), block count (u64 LE), buffered length (u8), 63 buffered bytes zero-padded |
//! | sha384 | 208 | 8 chaining words (u64 LE), block count (u128 LE), buffered length (u8), 127 buffered bytes zero-padded |
//!
//! The bytes-processed field must equal `block count × block size + buffered length` for
//! the digest algorithms; a state where they disagree is rejected as corrupt.
//!
//! Records by kind: a `Hasher` has one record; a `FileHasher` has a sha256 record then a
//! crc32c record with equal byte counts; a `ChunkHasher` has a crc32c record, then — when the
//! chunk algorithm is not crc32c — a record of the chunk algorithm with the same byte count;
//! a `SequentialSha256` has one sha256 record.
//!
//! [`HasherState`] carries these bytes, and serialises with serde as standard base64 (with
//! padding) so it can sit inside a JSON resume token.
//!
//! The state contains a digest of (and up to one block of) the hashed data: treat it as
//! being as sensitive as the data.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::digest::common::hazmat::{SerializableState, SerializedState};

use super::algo::{Hasher, Inner};
use super::multi::{ChunkHasher, FileHasher, SequentialHasher, SequentialSha256};
use super::{HashAlgo, StateError};

/// The current format version.
pub const STATE_VERSION: u8 = 1;

/// What a [`HasherState`] restores into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateKind {
    /// A [`Hasher`] (one algorithm).
    Hasher,
    /// A [`FileHasher`] (whole-file SHA-256 and CRC32C).
    File,
    /// A [`ChunkHasher`] (CRC32C plus the chunk's algorithm).
    Chunk,
    /// A [`SequentialSha256`].
    SequentialSha256,
}

impl StateKind {
    fn id(self) -> u8 {
        match self {
            StateKind::Hasher => 1,
            StateKind::File => 2,
            StateKind::Chunk => 3,
            StateKind::SequentialSha256 => 4,
        }
    }

    fn from_id(id: u8) -> Option<Self> {
        match id {
            1 => Some(StateKind::Hasher),
            2 => Some(StateKind::File),
            3 => Some(StateKind::Chunk),
            4 => Some(StateKind::SequentialSha256),
            _ => None,
        }
    }
}

/// Serialised hasher state in the format described in the [module docs](self).
///
/// Construct one from a hasher's `state()` or from bytes/base64 received back from storage;
/// parsing validates the whole structure, so a `HasherState` that exists is well formed.
#[derive(Clone, PartialEq, Eq)]
pub struct HasherState {
    bytes: Vec<u8>,
    kind: StateKind,
    records: Vec<Record>,
}

impl std::fmt::Debug for HasherState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The raw state can include buffered plaintext; show only the shape.
        f.debug_struct("HasherState")
            .field("kind", &self.kind)
            .field(
                "records",
                &self
                    .records
                    .iter()
                    .map(|r| (r.algo, r.processed))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

#[derive(Clone, PartialEq, Eq)]
/// One algorithm's state. A `HasherState` only exists after `check_record` and `check_shape`
/// accepted its records (or a hasher built them), so indexing records by the positions its
/// kind guarantees cannot fail.
struct Record {
    algo: HashAlgo,
    processed: u64,
    raw: Vec<u8>,
}

/// Layout facts for a digest algorithm's raw state.
struct Layout {
    raw_len: usize,
    counter_at: usize,
    counter_len: usize,
    block_size: u64,
}

fn layout(algo: HashAlgo) -> Layout {
    match algo {
        HashAlgo::Md5 => Layout {
            raw_len: 88,
            counter_at: 16,
            counter_len: 8,
            block_size: 64,
        },
        HashAlgo::Sha1 => Layout {
            raw_len: 92,
            counter_at: 20,
            counter_len: 8,
            block_size: 64,
        },
        HashAlgo::Sha256 => Layout {
            raw_len: 104,
            counter_at: 32,
            counter_len: 8,
            block_size: 64,
        },
        HashAlgo::Sha384 => Layout {
            raw_len: 208,
            counter_at: 64,
            counter_len: 16,
            block_size: 128,
        },
        HashAlgo::Crc32c => Layout {
            raw_len: 4,
            counter_at: 0,
            counter_len: 0,
            block_size: 1,
        },
    }
}

impl HasherState {
    /// Parses and validates state bytes.
    ///
    /// # Errors
    /// A [`StateError`] naming what is wrong: truncated, unknown version, unknown kind or
    /// algorithm, bad lengths, inconsistent counters, trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.u8()?;
        if version != STATE_VERSION {
            return Err(StateError::UnsupportedVersion(version));
        }
        let kind_id = r.u8()?;
        let kind = StateKind::from_id(kind_id).ok_or(StateError::UnknownKind(kind_id))?;
        let count = r.u8()?;
        if count == 0 || count > 2 {
            return Err(StateError::Malformed("record count must be 1 or 2"));
        }
        let mut records = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let algo_id = r.u8()?;
            let algo =
                HashAlgo::from_state_id(algo_id).ok_or(StateError::UnknownAlgorithm(algo_id))?;
            let processed = u64::from_be_bytes(r.array::<8>()?);
            let raw_len = usize::from(u16::from_be_bytes(r.array::<2>()?));
            let raw = r.take(raw_len)?.to_vec();
            let record = Record {
                algo,
                processed,
                raw,
            };
            check_record(&record)?;
            records.push(record);
        }
        if r.at != bytes.len() {
            return Err(StateError::Malformed(
                "trailing bytes after the last record",
            ));
        }
        check_shape(kind, &records)?;
        Ok(HasherState {
            bytes: bytes.to_vec(),
            kind,
            records,
        })
    }

    /// Parses standard base64 (with padding) and then the bytes.
    ///
    /// # Errors
    /// [`StateError::Base64`] or anything [`HasherState::from_bytes`] reports.
    pub fn from_base64(text: &str) -> Result<Self, StateError> {
        let bytes = BASE64.decode(text.trim()).map_err(|_| StateError::Base64)?;
        HasherState::from_bytes(&bytes)
    }

    /// The serialised bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes as standard base64 with padding.
    pub fn to_base64(&self) -> String {
        BASE64.encode(&self.bytes)
    }

    /// What this state restores into.
    pub fn kind(&self) -> StateKind {
        self.kind
    }

    /// Bytes the hasher had processed when the state was taken.
    pub fn bytes_processed(&self) -> u64 {
        // check_shape guarantees at least one record and equal counts across records.
        self.records.first().map_or(0, |r| r.processed)
    }

    fn build(kind: StateKind, records: Vec<Record>) -> Self {
        let mut bytes = vec![STATE_VERSION, kind.id()];
        // At most two records by construction.
        bytes.push(records.len() as u8);
        for rec in &records {
            bytes.push(rec.algo.state_id());
            bytes.extend_from_slice(&rec.processed.to_be_bytes());
            // Raw states are at most 208 bytes (see the table in the module docs).
            bytes.extend_from_slice(&(rec.raw.len() as u16).to_be_bytes());
            bytes.extend_from_slice(&rec.raw);
        }
        HasherState {
            bytes,
            kind,
            records,
        }
    }

    fn expect_kind(&self, kind: StateKind) -> Result<(), StateError> {
        if self.kind == kind {
            Ok(())
        } else {
            Err(StateError::WrongKind {
                expected: kind,
                found: self.kind,
            })
        }
    }
}

impl Serialize for HasherState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for HasherState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        HasherState::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        let end = self.at.checked_add(n).ok_or(StateError::Truncated)?;
        let out = self.bytes.get(self.at..end).ok_or(StateError::Truncated)?;
        self.at = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, StateError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StateError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

fn check_record(rec: &Record) -> Result<(), StateError> {
    let lay = layout(rec.algo);
    if rec.raw.len() != lay.raw_len {
        return Err(StateError::BadLength {
            algo: rec.algo,
            expected: lay.raw_len,
            found: rec.raw.len(),
        });
    }
    if rec.algo == HashAlgo::Crc32c {
        return Ok(());
    }
    let counter_bytes = &rec.raw[lay.counter_at..lay.counter_at + lay.counter_len];
    let mut le = [0u8; 16];
    le[..lay.counter_len].copy_from_slice(counter_bytes);
    let blocks = u128::from_le_bytes(le);
    let pos_at = lay.counter_at + lay.counter_len;
    let pos = u64::from(rec.raw[pos_at]);
    if pos >= lay.block_size {
        return Err(StateError::Corrupt(rec.algo));
    }
    if rec.raw[pos_at + 1 + pos as usize..].iter().any(|&b| b != 0) {
        return Err(StateError::Corrupt(rec.algo));
    }
    let total = blocks
        .checked_mul(u128::from(lay.block_size))
        .and_then(|b| b.checked_add(u128::from(pos)));
    if total != Some(u128::from(rec.processed)) {
        return Err(StateError::Corrupt(rec.algo));
    }
    Ok(())
}

fn check_shape(kind: StateKind, records: &[Record]) -> Result<(), StateError> {
    let algos: Vec<HashAlgo> = records.iter().map(|r| r.algo).collect();
    let ok = match kind {
        StateKind::Hasher => algos.len() == 1,
        StateKind::File => algos == [HashAlgo::Sha256, HashAlgo::Crc32c],
        StateKind::Chunk => {
            algos == [HashAlgo::Crc32c]
                || (algos.len() == 2
                    && algos[0] == HashAlgo::Crc32c
                    && algos[1] != HashAlgo::Crc32c)
        }
        StateKind::SequentialSha256 => algos == [HashAlgo::Sha256],
    };
    if !ok {
        return Err(StateError::Malformed(
            "the records do not match the kind of hasher",
        ));
    }
    if records.windows(2).any(|w| w[0].processed != w[1].processed) {
        return Err(StateError::Malformed(
            "the records disagree on the bytes processed",
        ));
    }
    Ok(())
}

fn raw_of<T: SerializableState>(h: &T) -> Vec<u8> {
    h.serialize().to_vec()
}

fn restore<T: SerializableState>(algo: HashAlgo, raw: &[u8]) -> Result<T, StateError> {
    let arr = SerializedState::<T>::try_from(raw).map_err(|_| StateError::BadLength {
        algo,
        expected: layout(algo).raw_len,
        found: raw.len(),
    })?;
    T::deserialize(&arr).map_err(|_| StateError::Corrupt(algo))
}

fn record_of(inner: &Inner, processed: u64) -> Record {
    let raw = match inner {
        Inner::Md5(h) => raw_of(h),
        Inner::Sha1(h) => raw_of(h),
        Inner::Sha256(h) => raw_of(h),
        Inner::Sha384(h) => raw_of(h),
        Inner::Crc32c(c) => c.to_be_bytes().to_vec(),
    };
    Record {
        algo: inner.algo(),
        processed,
        raw,
    }
}

fn inner_of(rec: &Record) -> Result<Inner, StateError> {
    Ok(match rec.algo {
        HashAlgo::Md5 => Inner::Md5(restore(rec.algo, &rec.raw)?),
        HashAlgo::Sha1 => Inner::Sha1(restore(rec.algo, &rec.raw)?),
        HashAlgo::Sha256 => Inner::Sha256(restore(rec.algo, &rec.raw)?),
        HashAlgo::Sha384 => Inner::Sha384(restore(rec.algo, &rec.raw)?),
        HashAlgo::Crc32c => {
            let mut be = [0u8; 4];
            // check_record fixed the length at 4.
            be.copy_from_slice(&rec.raw);
            Inner::Crc32c(u32::from_be_bytes(be))
        }
    })
}

fn sha256_of(rec: &Record) -> Result<sha2::Sha256, StateError> {
    restore(HashAlgo::Sha256, &rec.raw)
}

fn crc_of(rec: &Record) -> u32 {
    let mut be = [0u8; 4];
    if rec.raw.len() == 4 {
        be.copy_from_slice(&rec.raw);
    }
    u32::from_be_bytes(be)
}

impl Hasher {
    /// The current state, for a resume token.
    pub fn state(&self) -> HasherState {
        HasherState::build(StateKind::Hasher, vec![record_of(&self.inner, self.len)])
    }

    /// A hasher that continues exactly where the one that produced `state` stopped.
    ///
    /// # Errors
    /// [`StateError::WrongKind`] if the state belongs to another kind of hasher;
    /// [`StateError::Corrupt`] if the digest library rejects the raw state.
    pub fn from_state(state: &HasherState) -> Result<Self, StateError> {
        state.expect_kind(StateKind::Hasher)?;
        // The Hasher shape is exactly one record (check_shape).
        let rec = &state.records[0];
        Ok(Hasher {
            inner: inner_of(rec)?,
            len: rec.processed,
        })
    }
}

impl SequentialSha256 {
    /// The current state, for a resume token.
    pub fn state(&self) -> HasherState {
        HasherState::build(
            StateKind::SequentialSha256,
            vec![Record {
                algo: HashAlgo::Sha256,
                processed: self.offset,
                raw: raw_of(&self.sha),
            }],
        )
    }

    /// A hasher that continues exactly where the one that produced `state` stopped.
    ///
    /// # Errors
    /// As [`Hasher::from_state`].
    pub fn from_state(state: &HasherState) -> Result<Self, StateError> {
        state.expect_kind(StateKind::SequentialSha256)?;
        // The SequentialSha256 shape is exactly [sha256] (check_shape).
        let rec = &state.records[0];
        Ok(SequentialSha256 {
            sha: sha256_of(rec)?,
            offset: rec.processed,
        })
    }
}

impl SequentialHasher {
    /// The current state, for a resume token: a [`Hasher`] state, whose byte count is the
    /// offset reached.
    pub fn state(&self) -> HasherState {
        self.hasher.state()
    }

    /// A hasher that continues exactly where the one that produced `state` stopped. Takes a
    /// [`Hasher`] state, or a [`SequentialSha256`] one (what resume tokens held before the
    /// whole-file digest became optional).
    ///
    /// # Errors
    /// [`StateError::WrongKind`] for any other kind of state; as [`Hasher::from_state`].
    pub fn from_state(state: &HasherState) -> Result<Self, StateError> {
        if state.kind() == StateKind::SequentialSha256 {
            let old = SequentialSha256::from_state(state)?;
            return Ok(SequentialHasher {
                hasher: Hasher {
                    inner: Inner::Sha256(old.sha),
                    len: old.offset,
                },
            });
        }
        Ok(SequentialHasher {
            hasher: Hasher::from_state(state)?,
        })
    }
}

impl FileHasher {
    /// The current state, for a resume token.
    pub fn state(&self) -> HasherState {
        HasherState::build(
            StateKind::File,
            vec![
                Record {
                    algo: HashAlgo::Sha256,
                    processed: self.sha.offset,
                    raw: raw_of(&self.sha.sha),
                },
                Record {
                    algo: HashAlgo::Crc32c,
                    processed: self.sha.offset,
                    raw: self.crc.to_be_bytes().to_vec(),
                },
            ],
        )
    }

    /// A hasher that continues exactly where the one that produced `state` stopped.
    ///
    /// # Errors
    /// As [`Hasher::from_state`].
    pub fn from_state(state: &HasherState) -> Result<Self, StateError> {
        state.expect_kind(StateKind::File)?;
        // The File shape is exactly [sha256, crc32c] (check_shape).
        let sha = &state.records[0];
        Ok(FileHasher {
            sha: SequentialSha256 {
                sha: sha256_of(sha)?,
                offset: sha.processed,
            },
            crc: crc_of(&state.records[1]),
        })
    }
}

impl ChunkHasher {
    /// The current state, for a resume token.
    pub fn state(&self) -> HasherState {
        let mut records = vec![Record {
            algo: HashAlgo::Crc32c,
            processed: self.len,
            raw: self.crc.to_be_bytes().to_vec(),
        }];
        if let Some(inner) = &self.other {
            records.push(record_of(inner, self.len));
        }
        HasherState::build(StateKind::Chunk, records)
    }

    /// A hasher that continues exactly where the one that produced `state` stopped.
    ///
    /// # Errors
    /// As [`Hasher::from_state`].
    pub fn from_state(state: &HasherState) -> Result<Self, StateError> {
        state.expect_kind(StateKind::Chunk)?;
        // The Chunk shape is [crc32c] or [crc32c, other] (check_shape).
        let crc = &state.records[0];
        let other = match state.records.get(1) {
            Some(rec) => Some(inner_of(rec)?),
            None => None,
        };
        Ok(ChunkHasher {
            crc: crc_of(crc),
            len: crc.processed,
            other,
        })
    }
}
