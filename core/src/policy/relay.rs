//! Chunk relay tokens: the whole state of a relayed chunked upload, held by
//! the client and signed by the gateway, so any gateway instance can take the
//! next chunk without shared storage.
//!
//! # Format (version 1)
//!
//! Sealed like a grant: `fr1.<kid>.<payload>.<mac>`, the payload a compact
//! JSON object `{"u": upload id, "s": file size, "c": chunk size, "n": next
//! chunk order (1-based; chunk count + 1 once every chunk is in), "h": the
//! whole-file SHA-256 and CRC32C state over chunks `1..n` (a `FileHasher`
//! state, base64), "m": the largest size the grant allowed, "e": expiry (Unix
//! s)}`.
//!
//! Chunks go in order: each accepted chunk advances the hashes and yields the
//! token for the next one. A chunk the upstream refused is sent again with
//! the same token. The last chunk carries the whole-file CRC32C, so the
//! upstream's own assembly check proves it holds exactly the bytes the token
//! chain hashed.

use serde::{Deserialize, Serialize};

use super::grant::{GrantError, GrantKey, GrantKeyring};
use crate::hash::{FileDigest, FileHasher, HasherState};
use crate::upload::plan::{Chunk, UploadPlan};

/// Every relay token starts with this.
pub const RELAY_PREFIX: &str = "fr1";

/// Relay tokens are small (one hasher state); anything longer is not one.
const MAX_TOKEN_LEN: usize = 2048;

/// A relayed upload's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayState {
    /// The upstream upload session.
    #[serde(rename = "u")]
    pub upload_id: String,
    /// File size, bytes.
    #[serde(rename = "s")]
    pub size: u64,
    /// Bytes per chunk (all but the last).
    #[serde(rename = "c")]
    pub chunk_size: u64,
    /// The next chunk order the relay takes.
    #[serde(rename = "n")]
    pub next: u64,
    /// Whole-file SHA-256 and CRC32C over the chunks before `next`.
    #[serde(rename = "h")]
    pub hashes: HasherState,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires: u64,
}

/// Why a relay token or chunk is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// The token's signature or encoding is bad (HTTP 401).
    #[error(transparent)]
    Token(#[from] GrantError),
    /// The token names another upload (HTTP 409).
    #[error("the relay token is for upload {token}, not {path}")]
    OtherUpload {
        /// The token's upload.
        token: String,
        /// The upload in the request.
        path: String,
    },
    /// Not the chunk this token expects (HTTP 409).
    #[error("this relay token takes chunk {expected}, not {got}")]
    OutOfOrder {
        /// The order the token expects.
        expected: u64,
        /// The order sent.
        got: u64,
    },
    /// Every chunk is in already (HTTP 409).
    #[error("every chunk is in; complete the upload")]
    AllChunksIn,
    /// Chunks are missing at completion (HTTP 409).
    #[error("chunk {next} of {count} has not been relayed yet")]
    Incomplete {
        /// The next chunk needed.
        next: u64,
        /// Chunks in the plan.
        count: u64,
    },
    /// The chunk's length is not the plan's (HTTP 400).
    #[error("chunk {order} must be {expected} bytes, got {got}")]
    WrongLength {
        /// The chunk.
        order: u64,
        /// The plan's length.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// The chunk does not match the digest the client sent (HTTP 422).
    #[error("chunk {order} does not match its digest: the bytes were corrupted on the way")]
    DigestMismatch {
        /// The chunk.
        order: u64,
    },
    /// The token's fields contradict each other (HTTP 401: only a forger
    /// holding the key could have made it).
    #[error("inconsistent relay token: {0}")]
    Inconsistent(&'static str),
}

impl RelayError {
    /// The HTTP status a gateway answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            RelayError::Token(_) | RelayError::Inconsistent(_) => 401,
            RelayError::OtherUpload { .. }
            | RelayError::OutOfOrder { .. }
            | RelayError::AllChunksIn
            | RelayError::Incomplete { .. } => 409,
            RelayError::WrongLength { .. } => 400,
            RelayError::DigestMismatch { .. } => 422,
        }
    }

    /// A stable snake_case name for the error.
    pub fn code(&self) -> &'static str {
        match self {
            RelayError::Token(GrantError::Expired { .. }) => "relay_token_expired",
            RelayError::Token(_) | RelayError::Inconsistent(_) => "relay_token_invalid",
            RelayError::OtherUpload { .. } => "relay_token_other_upload",
            RelayError::OutOfOrder { .. } => "chunk_out_of_order",
            RelayError::AllChunksIn => "all_chunks_in",
            RelayError::Incomplete { .. } => "chunks_missing",
            RelayError::WrongLength { .. } => "chunk_wrong_length",
            RelayError::DigestMismatch { .. } => "chunk_digest_mismatch",
        }
    }
}

impl RelayState {
    /// A new relay of `size` bytes in chunks of `chunk_size`.
    pub fn new(upload_id: String, size: u64, chunk_size: u64, expires: u64) -> Self {
        RelayState {
            upload_id,
            size,
            chunk_size: chunk_size.max(1),
            next: 1,
            hashes: FileHasher::new().state(),
            expires,
        }
    }

    /// The chunk plan (chunk size and count; parallelism is the client's).
    pub fn plan(&self) -> UploadPlan {
        UploadPlan::Chunked {
            size: self.size,
            chunk_size: self.chunk_size,
            chunk_count: self.size.div_ceil(self.chunk_size),
            max_in_flight: 1,
        }
    }

    /// Chunks in the plan.
    pub fn chunk_count(&self) -> u64 {
        self.size.div_ceil(self.chunk_size)
    }

    /// Checks that chunk `order` of upload `upload_id` may be sent with this
    /// token, and returns where it lies in the file.
    pub fn expect(&self, upload_id: &str, order: u64) -> Result<Chunk, RelayError> {
        if upload_id != self.upload_id {
            return Err(RelayError::OtherUpload {
                token: self.upload_id.clone(),
                path: upload_id.to_string(),
            });
        }
        if self.next > self.chunk_count() {
            return Err(RelayError::AllChunksIn);
        }
        if order != self.next {
            return Err(RelayError::OutOfOrder {
                expected: self.next,
                got: order,
            });
        }
        self.plan()
            .chunk(order)
            .ok_or(RelayError::Inconsistent("chunk outside the plan"))
    }

    /// Checks chunk `order`'s bytes against the plan and the client's
    /// SHA-256 (lowercase or uppercase hex), and returns the state after it
    /// with the chunk's own CRC32C, and — for the last chunk — the
    /// whole file's digests.
    pub fn accept(
        &self,
        order: u64,
        data: &[u8],
        sha256_hex: &str,
    ) -> Result<(RelayState, u32, Option<FileDigest>), RelayError> {
        let chunk = self.expect(&self.upload_id, order)?;
        if data.len() as u64 != chunk.len {
            return Err(RelayError::WrongLength {
                order,
                expected: chunk.len,
                got: data.len() as u64,
            });
        }
        let mine = crate::hash::Hasher::digest(crate::hash::HashAlgo::Sha256, data).to_hex();
        if !mine.eq_ignore_ascii_case(sha256_hex.trim()) {
            return Err(RelayError::DigestMismatch { order });
        }
        let mut file = FileHasher::from_state(&self.hashes)
            .map_err(|_| RelayError::Inconsistent("hasher state"))?;
        if file.len() != chunk.offset {
            return Err(RelayError::Inconsistent(
                "hashed length is not the chunk's offset",
            ));
        }
        file.update(data);
        let crc = crate::hash::crc32c_append(0, data);
        let mut next = self.clone();
        next.next = order + 1;
        next.hashes = file.state();
        let digest = (order == self.chunk_count()).then(|| file.finish());
        Ok((next, crc, digest))
    }

    /// The whole file's digests once every chunk is in.
    pub fn finished(&self) -> Result<FileDigest, RelayError> {
        if self.next <= self.chunk_count() {
            return Err(RelayError::Incomplete {
                next: self.next,
                count: self.chunk_count(),
            });
        }
        let file = FileHasher::from_state(&self.hashes)
            .map_err(|_| RelayError::Inconsistent("hasher state"))?;
        if file.len() != self.size {
            return Err(RelayError::Inconsistent("hashed length is not the size"));
        }
        Ok(file.finish())
    }

    /// Seals the state into a token.
    pub fn seal(&self, key: &GrantKey) -> String {
        // Serialising plain data with string keys cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        key.seal(RELAY_PREFIX, &json)
    }

    /// Opens and checks a token at `now` (Unix seconds).
    pub fn open(keys: &GrantKeyring, token: &str, now: u64) -> Result<RelayState, RelayError> {
        let json = keys.open(RELAY_PREFIX, token, MAX_TOKEN_LEN)?;
        let state: RelayState =
            serde_json::from_slice(&json).map_err(|_| GrantError::Malformed("payload fields"))?;
        if now >= state.expires {
            return Err(GrantError::Expired {
                expired: state.expires,
                now,
            }
            .into());
        }
        if state.size == 0 || state.chunk_size == 0 || state.next == 0 {
            return Err(RelayError::Inconsistent("zero size, chunk size or order"));
        }
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn key() -> (GrantKey, GrantKeyring) {
        let k = GrantKey::new(Secret::new("relay-test-key")).unwrap();
        (k.clone(), GrantKeyring::new(vec![k]))
    }

    #[test]
    fn chain_of_chunks_hashes_the_whole_file() {
        let (k, ring) = key();
        let data: Vec<u8> = (0..10u32).map(|i| i as u8).collect();
        let mut token = RelayState::new("up1".into(), 10, 4, 1000).seal(&k);
        let mut last = None;
        for (i, piece) in data.chunks(4).enumerate() {
            let order = i as u64 + 1;
            let st = RelayState::open(&ring, &token, 10).unwrap();
            assert_eq!(st.expect("up1", order).unwrap().len, piece.len() as u64);
            let sha = crate::hash::Hasher::digest(crate::hash::HashAlgo::Sha256, piece).to_hex();
            let (next, crc, digest) = st.accept(order, piece, &sha).unwrap();
            assert_eq!(crc, crc32c::crc32c(piece));
            token = next.seal(&k);
            last = digest;
        }
        let st = RelayState::open(&ring, &token, 10).unwrap();
        let whole = st.finished().unwrap();
        assert_eq!(last.as_ref(), Some(&whole));
        assert_eq!(whole.crc32c, crc32c::crc32c(&data));
        let sha = crate::hash::Hasher::digest(crate::hash::HashAlgo::Sha256, &data).to_hex();
        assert_eq!(whole.sha256_hex(), sha);
        assert_eq!(st.expect("up1", 4), Err(RelayError::AllChunksIn));
    }

    #[test]
    fn refuses_corruption_order_tampering_and_expiry() {
        let (k, ring) = key();
        let st = RelayState::new("up1".into(), 10, 4, 1000);
        let token = st.seal(&k);
        let good = [1u8, 2, 3, 4];
        let sha = crate::hash::Hasher::digest(crate::hash::HashAlgo::Sha256, &good).to_hex();
        assert_eq!(
            st.accept(1, &[1, 2, 3, 5], &sha).unwrap_err(),
            RelayError::DigestMismatch { order: 1 }
        );
        assert_eq!(st.accept(2, &good, &sha).unwrap_err().http_status(), 409);
        assert_eq!(
            st.expect("up2", 1).unwrap_err().code(),
            "relay_token_other_upload"
        );
        assert_eq!(st.finished().unwrap_err().code(), "chunks_missing");
        let mut bad = token.clone().into_bytes();
        let at = bad.len() / 2;
        bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        assert_eq!(
            RelayState::open(&ring, &bad, 10).unwrap_err().http_status(),
            401
        );
        assert_eq!(
            RelayState::open(&ring, &token, 1000).unwrap_err().code(),
            "relay_token_expired"
        );
        // A grant is not a relay token, even under the same key.
        let grant = k
            .issue(&crate::policy::Grant {
                workspace: "w".into(),
                folder: "root".into(),
                max_size: 1,
                expires: 1000,
                issued: 0,
                nonce: String::new(),
            })
            .expect("a short grant is issued");
        assert!(RelayState::open(&ring, &grant, 10).is_err());
    }
}
