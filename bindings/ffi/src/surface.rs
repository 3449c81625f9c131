//! What every machine shares across the FFI: the answer to a fed input and
//! the core's defaults.

use fastio_core::upload::Fed as CoreFed;

/// What a machine did with an answer the host fed it. `Ignored` is an
/// expected event (a late answer to a request given up on), never an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Fed {
    /// The answer was used.
    Accepted,
    /// It answered a request the machine had given up on; it changed nothing.
    Ignored,
}

impl From<CoreFed> for Fed {
    fn from(f: CoreFed) -> Self {
        match f {
            CoreFed::Accepted => Fed::Accepted,
            CoreFed::Ignored => Fed::Ignored,
        }
    }
}

/// The core's defaults, declared once; each language's driver takes its own
/// from here.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
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
#[uniffi::export]
pub fn defaults() -> Defaults {
    let d = fastio_core::defaults::defaults();
    Defaults {
        base_url: d.base_url,
        parallel: d.parallel,
        chunk_size: d.chunk_size,
        single_request_max: d.single_request_max,
        chunk_size_ceiling: d.chunk_size_ceiling,
        parallel_ceiling: d.parallel_ceiling,
        max_response_bytes: d.max_response_bytes,
        request_timeout_ms: d.request_timeout_ms,
    }
}
