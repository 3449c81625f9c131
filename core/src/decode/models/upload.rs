//! Upload answers: session status and chunks, hash algorithms, limits and
//! batches.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, model};
use crate::decode::de;

/// Upload session status (reference §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", from = "String", into = "String")]
#[non_exhaustive]
pub enum UploadStatus {
    /// `ready`
    Ready,
    /// `uploading`
    Uploading,
    /// `assemble`
    Assemble,
    /// `assembling`
    Assembling,
    /// `complete`: assembled, not yet in storage.
    Complete,
    /// `store`
    Store,
    /// `storing`
    Storing,
    /// `stored`: done.
    Stored,
    /// `assembly_failed`
    AssemblyFailed,
    /// `store_failed`
    StoreFailed,
    /// A status this version does not know.
    Other(String),
}

impl From<String> for UploadStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "ready" => UploadStatus::Ready,
            "uploading" => UploadStatus::Uploading,
            "assemble" => UploadStatus::Assemble,
            "assembling" => UploadStatus::Assembling,
            "complete" => UploadStatus::Complete,
            "store" => UploadStatus::Store,
            "storing" => UploadStatus::Storing,
            "stored" => UploadStatus::Stored,
            "assembly_failed" => UploadStatus::AssemblyFailed,
            "store_failed" => UploadStatus::StoreFailed,
            _ => UploadStatus::Other(s),
        }
    }
}

impl From<UploadStatus> for String {
    fn from(s: UploadStatus) -> Self {
        s.as_str().to_string()
    }
}

impl UploadStatus {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            UploadStatus::Ready => "ready",
            UploadStatus::Uploading => "uploading",
            UploadStatus::Assemble => "assemble",
            UploadStatus::Assembling => "assembling",
            UploadStatus::Complete => "complete",
            UploadStatus::Store => "store",
            UploadStatus::Storing => "storing",
            UploadStatus::Stored => "stored",
            UploadStatus::AssemblyFailed => "assembly_failed",
            UploadStatus::StoreFailed => "store_failed",
            UploadStatus::Other(s) => s,
        }
    }

    /// A final status: `stored` or `complete` (both success; the official
    /// client ends on either, fastio_cli src/bin/fastio/commands/upload.rs:750-760
    /// @96b1551), `assembly_failed` or `store_failed`. Whether polling may stop
    /// also depends on the node id: see [`UploadSession::is_final`].
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            UploadStatus::Stored
                | UploadStatus::Complete
                | UploadStatus::AssemblyFailed
                | UploadStatus::StoreFailed
        )
    }
}

/// A whole-file CRC32C mismatch found at assembly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityFailure {
    /// The CRC the client sent.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub expected_crc32c: Option<String>,
    /// The CRC of the assembled bytes.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub computed_crc32c: Option<String>,
}

/// The chunks a server holds: order → bytes. Accepts a map (`{"1": 4194304}`),
/// an array of sizes (1-based by position) or an array of `{order, size}`.
pub(crate) fn chunk_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u64, u64>, D::Error> {
    let v = Value::deserialize(d)?;
    parse_chunks(&v).ok_or_else(|| serde::de::Error::custom(format!("unexpected chunks: {v}")))
}

fn num(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a chunk list in any of the accepted shapes.
pub fn parse_chunks(v: &Value) -> Option<BTreeMap<u64, u64>> {
    let mut out = BTreeMap::new();
    match v {
        Value::Null => {}
        Value::Object(m) => {
            for (k, size) in m {
                let size = match size {
                    Value::Object(o) => o.get("size").and_then(num)?,
                    other => num(other)?,
                };
                out.insert(k.trim().parse().ok()?, size);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Object(o) => {
                        let order = o.get("order").and_then(num)?;
                        let size = o.get("size").and_then(num).unwrap_or(0);
                        out.insert(order, size);
                    }
                    other => {
                        out.insert(i as u64 + 1, num(other)?);
                    }
                }
            }
        }
        _ => return None,
    }
    Some(out)
}

/// An upload session, from `upload/{id}/details/` (under `session`) or the
/// create call (just `id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadSession {
    /// The session id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub id: Option<String>,
    /// The status.
    #[serde(default)]
    pub status: Option<UploadStatus>,
    /// A human-readable status.
    #[serde(default)]
    pub status_message: Option<String>,
    /// The stored file's node id.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub new_file_id: Option<String>,
    /// Chunks received: order → bytes.
    #[serde(default, deserialize_with = "chunk_map")]
    pub chunks: BTreeMap<u64, u64>,
    /// Set when assembly failed its CRC32C check.
    #[serde(default)]
    pub integrity_failure: Option<IntegrityFailure>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(UploadSession, ["session"]);

impl UploadSession {
    /// Polling is over: the file is stored, or `complete` with its node id
    /// (the official client ends on `complete`, fastio_cli
    /// src/bin/fastio/commands/upload.rs:750-760 @96b1551; without the node
    /// id there is nothing to hand back yet, so polling goes on to `stored`),
    /// or the session failed.
    pub fn is_final(&self) -> bool {
        match &self.status {
            Some(UploadStatus::Complete) => self.new_file_id.is_some(),
            Some(s) => s.is_terminal(),
            None => false,
        }
    }
}

/// The answer to `GET upload/{id}/chunk/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChunkList {
    /// Chunks received: order → bytes.
    #[serde(default, deserialize_with = "chunk_map")]
    pub chunks: BTreeMap<u64, u64>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(ChunkList, []);

/// `GET upload/algos/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Algos {
    /// Accepted chunk hash algorithms.
    #[serde(default, deserialize_with = "de::string_list")]
    pub algos: Vec<String>,
}
model!(Algos, []);

/// `GET upload/limits/`. The reference does not document its fields, so the
/// payload is kept whole and the planner reads what it recognises.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadLimits {
    /// The payload.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}
model!(UploadLimits, ["limits"]);

/// One file of a batch upload's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchResult {
    /// Index in the manifest.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub index: Option<u64>,
    /// The file name.
    #[serde(default)]
    pub filename: Option<String>,
    /// `ok` or `error`.
    #[serde(default)]
    pub status: Option<String>,
    /// The upload session.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub upload_id: Option<String>,
    /// The stored node (may be null).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub node_id: Option<String>,
    /// Error code.
    #[serde(default, deserialize_with = "de::opt_id")]
    pub error_code: Option<String>,
    /// Error message.
    #[serde(default)]
    pub error_message: Option<String>,
}

/// `POST upload/batch/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The batch id (valid 1 h).
    #[serde(default, deserialize_with = "de::opt_id")]
    pub batch_id: Option<String>,
    /// Files in the batch.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub count_total: Option<u64>,
    /// Files stored.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub count_succeeded: Option<u64>,
    /// Files failed.
    #[serde(default, deserialize_with = "de::opt_u64")]
    pub count_errored: Option<u64>,
    /// Per-file results.
    #[serde(default)]
    pub results: Vec<BatchResult>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(Batch, []);
