//! What this server accepts: chunk and file size limits and the hash algorithms.

use serde_json::json;

use crate::envelope::{ApiResult, ok};
use crate::hashing;
use crate::state::AppState;

/// The limits response. Field names are this server's (the reference leaves them open) and
/// are documented in the README.
pub fn limits(st: &AppState) -> ApiResult {
    let c = &st.cfg;
    let chunk = c.max_chunk_size.min(5 * 1024 * 1024).max(c.min_chunk_size);
    Ok(ok(json!({
        "chunk_size": chunk,
        "min_chunk_size": c.min_chunk_size,
        "max_chunk_size": c.max_chunk_size,
        "max_file_size": c.max_file_size,
        "max_single_upload_size": c.max_single_upload_size,
        "max_parallel_chunks": c.max_parallel_chunks,
        "max_chunks": c.max_file_size.div_ceil(c.min_chunk_size.max(1)),
        "algos": hashing::ALGOS,
    })))
}

pub fn algos() -> ApiResult {
    Ok(ok(json!({"algos": hashing::ALGOS})))
}
