//! The resume token: everything an interrupted chunked upload needs to go on
//! without re-reading what was sent.
//!
//! # Format (version 1)
//!
//! A JSON object:
//!
//! | field | meaning |
//! |---|---|
//! | `version` | `1` |
//! | `upload_id` | the server's session id |
//! | `name`, `size` | the file |
//! | `target`, `folder_id`, `add_to` | where it goes (`target`: `{"workspace": id}` or `{"share": id}`) |
//! | `plan` | the chunk plan (`{"kind": "chunked", "size", "chunk_size", "chunk_count", "max_in_flight"}`) |
//! | `chunk_algo` | the per-chunk digest algorithm, or null |
//! | `acked` | chunks the server acknowledged: `[{"order", "crc32c", "digest"}]` |
//! | `read_crcs` | CRC32C (hex) of every chunk read, by order, to detect a changed file |
//! | `file_digest` | only when a whole-file digest is computed: its state over the bytes read so far (base64 of the versioned hasher state; tokens written before it was optional call it `sha256`, and are still read) |
//!
//! On resume the machine first asks the server which chunks it holds and
//! trusts only chunks both sides agree on.

use serde::{Deserialize, Serialize};

use crate::api::Profile;
use crate::hash::{HashAlgo, HasherState};
use crate::upload::plan::UploadPlan;

/// The token format this version writes and reads.
pub const TOKEN_VERSION: u32 = 1;

/// A chunk the server acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckedChunk {
    /// 1-based order.
    pub order: u64,
    /// Its CRC32C, 8 lowercase hex digits.
    pub crc32c: String,
    /// Its digest in the chunk algorithm, when one was sent.
    pub digest: Option<String>,
}

/// A resumable upload's state. Contains no secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResumeToken {
    /// Format version.
    pub version: u32,
    /// The session.
    pub upload_id: String,
    /// File name.
    pub name: String,
    /// File size.
    pub size: u64,
    /// Workspace or share.
    pub target: Option<Profile>,
    /// Folder id.
    pub folder_id: String,
    /// Placement after storing.
    pub add_to: Option<(String, String)>,
    /// The plan.
    pub plan: UploadPlan,
    /// Per-chunk digest algorithm.
    pub chunk_algo: Option<HashAlgo>,
    /// Acknowledged chunks.
    pub acked: Vec<AckedChunk>,
    /// CRC32C of every chunk read: (order, hex).
    pub read_crcs: Vec<(u64, String)>,
    /// The whole-file digest's state, when one is computed (only the states
    /// in use are carried).
    #[serde(default, alias = "sha256", skip_serializing_if = "Option::is_none")]
    pub file_digest: Option<HasherState>,
}

/// A token that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not JSON of the token's shape.
    #[error("malformed resume token: {0}")]
    Malformed(String),
    /// Written by a version this one cannot read.
    #[error("resume token version {found} is not supported (this version reads {TOKEN_VERSION})")]
    Version {
        /// The token's version.
        found: u32,
    },
    /// Its fields contradict each other.
    #[error("inconsistent resume token: {0}")]
    Inconsistent(String),
}

impl ResumeToken {
    /// The token as JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads and checks a token.
    pub fn from_json(text: &str) -> Result<Self, TokenError> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| TokenError::Malformed(e.to_string()))?;
        match v.get("version").and_then(serde_json::Value::as_u64) {
            Some(n) if n == u64::from(TOKEN_VERSION) => {}
            Some(n) => {
                return Err(TokenError::Version {
                    found: u32::try_from(n).unwrap_or(u32::MAX),
                });
            }
            None => return Err(TokenError::Malformed("no version".into())),
        }
        let t: ResumeToken =
            serde_json::from_value(v).map_err(|e| TokenError::Malformed(e.to_string()))?;
        t.check()?;
        Ok(t)
    }

    pub(crate) fn check(&self) -> Result<(), TokenError> {
        let bad = |m: &str| Err(TokenError::Inconsistent(m.into()));
        match self.plan {
            UploadPlan::Chunked { size, .. } if size == self.size => {}
            _ => return bad("the plan is not a chunked plan of the file's size"),
        }
        if self.upload_id.trim().is_empty() {
            return bad("no upload id");
        }
        let n = self.plan.chunk_count();
        for a in &self.acked {
            if a.order == 0 || a.order > n {
                return bad("an acknowledged chunk is outside the plan");
            }
            if u32::from_str_radix(&a.crc32c, 16).is_err() || a.crc32c.len() != 8 {
                return bad("a chunk CRC32C is not 8 hex digits");
            }
        }
        for (order, crc) in &self.read_crcs {
            if *order == 0 || *order > n || u32::from_str_radix(crc, 16).is_err() {
                return bad("a read CRC is outside the plan or not hex");
            }
        }
        if self
            .file_digest
            .as_ref()
            .is_some_and(|d| d.bytes_processed() > self.size)
        {
            return bad("the digest state covers more bytes than the file has");
        }
        Ok(())
    }
}
