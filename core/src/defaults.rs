//! The defaults every surface uses, gathered in one record so bindings and
//! drivers take them from the core (through UniFFI and the WIT) instead of
//! writing their own copies. Each value is declared where it acts; this is
//! only the one place hosts read them from.

use serde::Serialize;

use crate::config::{DEFAULT_BASE_URL, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS};
use crate::upload::plan::{
    CHUNK_SIZE_CEILING, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_IN_FLIGHT, DEFAULT_SINGLE_REQUEST_MAX,
    MAX_IN_FLIGHT_CEILING,
};

/// The core's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Defaults {
    /// The Fast.io API base URL.
    pub base_url: String,
    /// Chunk requests in flight at once.
    pub parallel: u32,
    /// Bytes per chunk.
    pub chunk_size: u64,
    /// Files up to this many bytes go in a single request.
    pub single_request_max: u64,
    /// The largest chunk size any plan uses.
    pub chunk_size_ceiling: u64,
    /// The most chunk requests in flight any plan allows.
    pub parallel_ceiling: u32,
    /// Response bodies larger than this are refused.
    pub max_response_bytes: u64,
    /// A request with no answer after this long fails (ms).
    pub request_timeout_ms: u64,
}

/// The core's defaults.
pub fn defaults() -> Defaults {
    Defaults {
        base_url: DEFAULT_BASE_URL.to_string(),
        parallel: DEFAULT_MAX_IN_FLIGHT,
        chunk_size: DEFAULT_CHUNK_SIZE,
        single_request_max: DEFAULT_SINGLE_REQUEST_MAX,
        chunk_size_ceiling: CHUNK_SIZE_CEILING,
        parallel_ceiling: MAX_IN_FLIGHT_CEILING,
        max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES as u64,
        request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
    }
}
