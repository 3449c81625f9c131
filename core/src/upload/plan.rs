//! Upload planning: one request, equal chunks, or a stream.
//!
//! - Up to [`PlanConfig::single_request_max`] bytes (4 MB, 4,194,304 bytes, by default) the
//!   file goes in a single request, including the empty file.
//! - Larger files are split into chunks of [`PlanConfig::chunk_size`] bytes; only the last
//!   may be smaller, and orders are 1-based, as the chunk endpoint numbers them.
//! - Data of unknown length goes as a stream upload ([`UploadPlan::stream`]).
//!
//! A chunked plan stores the size, the chunk size and the count, not a list: chunk `n` is
//! computed on demand ([`UploadPlan::chunk`]), so a 40 GB file costs no more to plan or to
//! store in a resume token than a small one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Single-request limit documented for `POST /upload/` (4 MB): the request
/// builder's own limit, which no configuration or limits answer may raise,
/// since a single request's body is held whole by the host.
pub const DEFAULT_SINGLE_REQUEST_MAX: u64 = crate::api::SINGLE_REQUEST_MAX;

/// Default chunk size, 4 MiB.
///
/// The server's own command-line client uploads in 4 MiB chunks, so the service is known to
/// accept them on every plan; older documentation said 5 MB, but nothing confirms that larger
/// chunks are accepted everywhere. A chunk equal to the single-request limit also means a
/// file one byte over that limit becomes two chunks rather than one oversized request.
pub const DEFAULT_CHUNK_SIZE: u64 = 4 * 1024 * 1024;

/// Default chunks in flight per session; the documented limit is 3.
pub const DEFAULT_MAX_IN_FLIGHT: u32 = 3;

/// Chunks a plan may have whatever [`PlanConfig::max_chunks`] says.
///
/// The upload machine keeps a small record per chunk, so a plan is a promise to allocate one
/// for each. The service's own maximum is undocumented; this one (4 TiB in 4 MiB chunks, 40
/// times the largest documented file size) turns a size no service accepts, such as
/// `u64::MAX` from a confused caller or a hostile resume token, into
/// [`PlanError::TooManyChunks`] instead of an allocation the host cannot satisfy.
pub const CHUNK_COUNT_CEILING: u64 = 1 << 20;

/// The largest chunk a plan may use, whoever asks: a host holds up to
/// `max_in_flight` chunks in memory, so a chunk size from a `/upload/limits/`
/// answer or a resume token is a promise to allocate it. 64 MiB is 16 times
/// the chunk the official client sends (4 MiB, fastio_cli
/// src/bin/fastio/commands/upload.rs:18 @96b1551).
pub const CHUNK_SIZE_CEILING: u64 = 64 * 1024 * 1024;

/// The most chunks in flight a plan may ask for (hosts open a connection and
/// hold a buffer for each).
pub const MAX_IN_FLIGHT_CEILING: u32 = 16;

/// The most chunk bytes a plan may keep in flight at once
/// (`chunk_size × max_in_flight`), so a host's memory stays bounded whatever
/// the two figures are.
pub const IN_FLIGHT_BYTES_CEILING: u64 = 256 * 1024 * 1024;

/// Limits that shape a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanConfig {
    /// Files up to this many bytes go in a single request.
    pub single_request_max: u64,
    /// Bytes per chunk (all chunks but the last). Must be at least 1.
    pub chunk_size: u64,
    /// Refuse files that need more chunks than this ([`CHUNK_COUNT_CEILING`] applies when
    /// unset or larger).
    pub max_chunks: Option<u64>,
    /// Refuse files (and stream `max_size` values) larger than this.
    pub max_file_size: Option<u64>,
    /// Chunks in flight at once. Must be at least 1.
    pub max_in_flight: u32,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            single_request_max: DEFAULT_SINGLE_REQUEST_MAX,
            chunk_size: DEFAULT_CHUNK_SIZE,
            max_chunks: None,
            max_file_size: None,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// Keys looked for in a `/upload/limits/` response, by what they set. The response's fields
/// are not documented, so these are the plausible spellings; matching ignores ASCII case.
const CHUNK_SIZE_KEYS: &[&str] = &[
    "chunk_size",
    "chunksize",
    "default_chunk_size",
    "preferred_chunk_size",
    "recommended_chunk_size",
    "optimal_chunk_size",
];
const MIN_CHUNK_SIZE_KEYS: &[&str] = &["min_chunk_size", "chunk_size_min", "minimum_chunk_size"];
const MAX_CHUNK_SIZE_KEYS: &[&str] = &["max_chunk_size", "chunk_size_max", "maximum_chunk_size"];
const MAX_CHUNKS_KEYS: &[&str] = &[
    "max_chunks",
    "chunks_max",
    "max_chunk_count",
    "max_number_of_chunks",
    "maximum_chunks",
];
const MAX_FILE_SIZE_KEYS: &[&str] = &[
    "max_file_size",
    "max_size",
    "file_size_max",
    "max_upload_size",
    "size_max",
    "maximum_file_size",
    "max_filesize",
];
const SINGLE_MAX_KEYS: &[&str] = &[
    "single_request_max",
    "max_single_upload_size",
    "max_single_size",
    "single_upload_max",
    "max_direct_upload_size",
];
const MAX_PARALLEL_KEYS: &[&str] = &[
    "max_parallel",
    "max_parallel_chunks",
    "max_concurrent_chunks",
    "max_in_flight",
    "parallel_chunks",
    "max_concurrency",
    "concurrency",
];
/// Objects the limits may be nested under (the envelope's `response`, or a named group).
const NESTING_KEYS: &[&str] = &["response", "limits", "upload", "chunk", "chunks"];

impl PlanConfig {
    /// Configuration from a decoded `/upload/limits/` response, with `fallback` for whatever
    /// the response does not state.
    ///
    /// The fields of that response are not documented, so this looks for plausible keys at
    /// the top level and inside `response`, `limits`, `upload`, `chunk` or `chunks` objects
    /// (case-insensitive). Values may be JSON numbers or decimal strings; zero, negative,
    /// fractional and non-numeric values are ignored. What is accepted:
    ///
    /// | sets | keys |
    /// |---|---|
    /// | `chunk_size` | `chunk_size`, `chunksize`, `default_chunk_size`, `preferred_chunk_size`, `recommended_chunk_size`, `optimal_chunk_size` |
    /// | lower bound on `chunk_size` | `min_chunk_size`, `chunk_size_min`, `minimum_chunk_size` |
    /// | upper bound on `chunk_size` | `max_chunk_size`, `chunk_size_max`, `maximum_chunk_size` |
    /// | `max_chunks` | `max_chunks`, `chunks_max`, `max_chunk_count`, `max_number_of_chunks`, `maximum_chunks` |
    /// | `max_file_size` | `max_file_size`, `max_size`, `file_size_max`, `max_upload_size`, `size_max`, `maximum_file_size`, `max_filesize` |
    /// | `single_request_max` | `single_request_max`, `max_single_upload_size`, `max_single_size`, `single_upload_max`, `max_direct_upload_size` |
    /// | upper bound on `max_in_flight` | `max_parallel`, `max_parallel_chunks`, `max_concurrent_chunks`, `max_in_flight`, `parallel_chunks`, `max_concurrency`, `concurrency` |
    ///
    /// The server's chunk size replaces the fallback's, then is clamped into the stated
    /// minimum and maximum, and never above [`CHUNK_SIZE_CEILING`] (nor a single request above
    /// [`DEFAULT_SINGLE_REQUEST_MAX`]): an answer may shrink what a host allocates, never make
    /// it allocate more than the ceilings. A stated maximum file size or chunk count is combined with the
    /// fallback's by taking the smaller. The in-flight count is the smaller of the fallback's
    /// and the server's, so the server's figure is never exceeded and raising parallelism
    /// beyond the default stays the caller's choice.
    pub fn from_limits(limits: &Value, fallback: &PlanConfig) -> PlanConfig {
        let mut cfg = fallback.clone();
        if let Some(v) = find_limit(limits, CHUNK_SIZE_KEYS) {
            cfg.chunk_size = v;
        }
        if let Some(min) = find_limit(limits, MIN_CHUNK_SIZE_KEYS) {
            cfg.chunk_size = cfg.chunk_size.max(min);
        }
        if let Some(max) = find_limit(limits, MAX_CHUNK_SIZE_KEYS) {
            cfg.chunk_size = cfg.chunk_size.min(max);
        }
        cfg.chunk_size = cfg.chunk_size.min(CHUNK_SIZE_CEILING);
        if let Some(v) = find_limit(limits, MAX_CHUNKS_KEYS) {
            cfg.max_chunks = Some(cfg.max_chunks.map_or(v, |c| c.min(v)));
        }
        if let Some(v) = find_limit(limits, MAX_FILE_SIZE_KEYS) {
            cfg.max_file_size = Some(cfg.max_file_size.map_or(v, |c| c.min(v)));
        }
        if let Some(v) = find_limit(limits, SINGLE_MAX_KEYS) {
            cfg.single_request_max = v.min(DEFAULT_SINGLE_REQUEST_MAX);
        }
        if let Some(v) = find_limit(limits, MAX_PARALLEL_KEYS) {
            let v = u32::try_from(v).unwrap_or(u32::MAX);
            cfg.max_in_flight = cfg.max_in_flight.min(v);
        }
        // A larger chunk from the server means fewer of them at once, so the
        // bytes in flight stay under their ceiling.
        let fits = IN_FLIGHT_BYTES_CEILING / cfg.chunk_size.max(1);
        cfg.max_in_flight = cfg
            .max_in_flight
            .min(u32::try_from(fits).unwrap_or(u32::MAX))
            .max(1);
        cfg
    }

    fn validate(&self) -> Result<(), PlanError> {
        if self.chunk_size == 0 {
            return Err(PlanError::InvalidConfig("chunk_size must be at least 1"));
        }
        if self.max_in_flight == 0 {
            return Err(PlanError::InvalidConfig("max_in_flight must be at least 1"));
        }
        if self.max_chunks == Some(0) {
            return Err(PlanError::InvalidConfig("max_chunks must be at least 1"));
        }
        check_ceilings(self.chunk_size, self.max_in_flight).map_err(PlanError::InvalidConfig)?;
        if self.single_request_max > DEFAULT_SINGLE_REQUEST_MAX {
            return Err(PlanError::InvalidConfig(
                "single_request_max is over the single-request limit",
            ));
        }
        Ok(())
    }
}

/// Refuses a chunk size or in-flight count over its ceiling, before anything
/// is allocated for it.
fn check_ceilings(chunk_size: u64, max_in_flight: u32) -> Result<(), &'static str> {
    if chunk_size > CHUNK_SIZE_CEILING {
        return Err("chunk_size is over the 64 MiB ceiling");
    }
    if max_in_flight > MAX_IN_FLIGHT_CEILING {
        return Err("max_in_flight is over the ceiling of 16");
    }
    if chunk_size.saturating_mul(u64::from(max_in_flight)) > IN_FLIGHT_BYTES_CEILING {
        return Err("chunk_size × max_in_flight is over the 256 MiB in-flight ceiling");
    }
    Ok(())
}

/// A positive integer under one of `keys`, at the top level or in a nesting object.
fn find_limit(value: &Value, keys: &[&str]) -> Option<u64> {
    let obj = value.as_object()?;
    for (k, v) in obj {
        if keys.iter().any(|key| key.eq_ignore_ascii_case(k))
            && let Some(n) = positive_integer(v)
        {
            return Some(n);
        }
    }
    for (k, v) in obj {
        if NESTING_KEYS.iter().any(|key| key.eq_ignore_ascii_case(k))
            && let Some(n) = find_limit(v, keys)
        {
            return Some(n);
        }
    }
    None
}

fn positive_integer(v: &Value) -> Option<u64> {
    let n = match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            let f = n.as_f64()?;
            // Whole floats such as 4194304.0; u64 range checked so the cast is exact.
            (f.fract() == 0.0 && (1.0..18_446_744_073_709_551_616.0).contains(&f))
                .then_some(f as u64)
        })?,
        Value::String(s) => s.trim().parse::<u64>().ok()?,
        _ => return None,
    };
    (n > 0).then_some(n)
}

/// Why a file cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Larger than the maximum file size.
    #[error("file of {size} bytes exceeds the maximum file size of {max} bytes")]
    TooLarge {
        /// The file size (or stream `max_size`).
        size: u64,
        /// The maximum.
        max: u64,
    },
    /// Needs more chunks than allowed.
    #[error(
        "file of {size} bytes needs {chunks} chunks of {chunk_size} bytes, more than the maximum of {max} chunks"
    )]
    TooManyChunks {
        /// The file size.
        size: u64,
        /// The chunk size.
        chunk_size: u64,
        /// Chunks needed.
        chunks: u64,
        /// The maximum.
        max: u64,
    },
    /// The configuration cannot produce a plan.
    #[error("invalid upload configuration: {0}")]
    InvalidConfig(&'static str),
}

/// One chunk of a chunked upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Chunk {
    /// 1-based position, as the chunk endpoint's `order`.
    pub order: u64,
    /// File offset of the first byte.
    pub offset: u64,
    /// Bytes in the chunk (the endpoint's `size`).
    pub len: u64,
}

impl Chunk {
    /// File offset one past the last byte.
    pub fn end(&self) -> u64 {
        self.offset + self.len
    }
}

/// How a file is uploaded.
///
/// Serialises as a tagged object, e.g. `{"kind":"chunked","size":10,"chunk_size":4,
/// "chunk_count":3,"max_in_flight":3}`; deserialising checks that the fields agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "PlanRepr")]
#[non_exhaustive]
pub enum UploadPlan {
    /// The whole file in one `POST /upload/` request.
    Single {
        /// File size in bytes.
        size: u64,
    },
    /// A session with equal chunks; only the last may be smaller.
    Chunked {
        /// File size in bytes (more than zero).
        size: u64,
        /// Bytes per chunk, all but the last.
        chunk_size: u64,
        /// Number of chunks, `ceil(size / chunk_size)`.
        chunk_count: u64,
        /// Chunks to keep in flight at once.
        max_in_flight: u32,
    },
    /// Unknown length: a stream session (`stream=true`), the body sent as it comes.
    Stream {
        /// The `max_size` to announce, if any.
        max_size: Option<u64>,
    },
}

/// Unvalidated mirror of [`UploadPlan`] for deserialising.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum PlanRepr {
    Single {
        size: u64,
    },
    Chunked {
        size: u64,
        chunk_size: u64,
        chunk_count: u64,
        max_in_flight: u32,
    },
    Stream {
        max_size: Option<u64>,
    },
}

impl TryFrom<PlanRepr> for UploadPlan {
    type Error = String;

    fn try_from(repr: PlanRepr) -> Result<Self, Self::Error> {
        Ok(match repr {
            PlanRepr::Single { size } => UploadPlan::Single { size },
            PlanRepr::Stream { max_size } => UploadPlan::Stream { max_size },
            PlanRepr::Chunked {
                size,
                chunk_size,
                chunk_count,
                max_in_flight,
            } => {
                if size == 0 || chunk_size == 0 || max_in_flight == 0 {
                    return Err(
                        "chunked plan needs size, chunk_size and max_in_flight above zero".into(),
                    );
                }
                check_ceilings(chunk_size, max_in_flight)
                    .map_err(|m| format!("chunked plan refused: {m}"))?;
                if chunk_count > CHUNK_COUNT_CEILING {
                    return Err(format!(
                        "chunked plan of {chunk_count} chunks exceeds the ceiling of {CHUNK_COUNT_CEILING}"
                    ));
                }
                if chunk_count != size.div_ceil(chunk_size) {
                    return Err(format!(
                        "chunked plan of {size} bytes in chunks of {chunk_size} has {} chunks, not {chunk_count}",
                        size.div_ceil(chunk_size)
                    ));
                }
                UploadPlan::Chunked {
                    size,
                    chunk_size,
                    chunk_count,
                    max_in_flight,
                }
            }
        })
    }
}

/// Plans the upload of a file of `size` bytes.
///
/// # Errors
/// [`PlanError::TooLarge`] past `max_file_size`, [`PlanError::TooManyChunks`] past
/// `max_chunks` or [`CHUNK_COUNT_CEILING`], [`PlanError::InvalidConfig`] for a zero chunk size, in-flight count or chunk
/// maximum.
pub fn plan(size: u64, config: &PlanConfig) -> Result<UploadPlan, PlanError> {
    config.validate()?;
    if let Some(max) = config.max_file_size
        && size > max
    {
        return Err(PlanError::TooLarge { size, max });
    }
    if size <= config.single_request_max {
        return Ok(UploadPlan::Single { size });
    }
    let chunk_count = size.div_ceil(config.chunk_size);
    let max = config
        .max_chunks
        .map_or(CHUNK_COUNT_CEILING, |m| m.min(CHUNK_COUNT_CEILING));
    if chunk_count > max {
        return Err(PlanError::TooManyChunks {
            size,
            chunk_size: config.chunk_size,
            chunks: chunk_count,
            max,
        });
    }
    Ok(UploadPlan::Chunked {
        size,
        chunk_size: config.chunk_size,
        chunk_count,
        max_in_flight: config.max_in_flight,
    })
}

impl UploadPlan {
    /// A stream upload of unknown length, announcing `max_size` if given.
    ///
    /// # Errors
    /// [`PlanError::TooLarge`] when `max_size` exceeds the configured maximum file size;
    /// [`PlanError::InvalidConfig`] as [`plan`].
    pub fn stream(max_size: Option<u64>, config: &PlanConfig) -> Result<UploadPlan, PlanError> {
        config.validate()?;
        if let (Some(size), Some(max)) = (max_size, config.max_file_size)
            && size > max
        {
            return Err(PlanError::TooLarge { size, max });
        }
        Ok(UploadPlan::Stream { max_size })
    }

    /// The file size, when known (not for streams).
    pub fn size(&self) -> Option<u64> {
        match *self {
            UploadPlan::Single { size } | UploadPlan::Chunked { size, .. } => Some(size),
            UploadPlan::Stream { .. } => None,
        }
    }

    /// Number of chunks: 0 unless chunked.
    pub fn chunk_count(&self) -> u64 {
        match *self {
            UploadPlan::Chunked { chunk_count, .. } => chunk_count,
            _ => 0,
        }
    }

    /// Chunks in flight at once: 1 unless chunked.
    pub fn max_in_flight(&self) -> u32 {
        match *self {
            UploadPlan::Chunked { max_in_flight, .. } => max_in_flight,
            _ => 1,
        }
    }

    /// Chunk `order` (1-based), or `None` if the plan is not chunked or has no such chunk.
    pub fn chunk(&self, order: u64) -> Option<Chunk> {
        let UploadPlan::Chunked {
            size,
            chunk_size,
            chunk_count,
            ..
        } = *self
        else {
            return None;
        };
        if order == 0 || order > chunk_count {
            return None;
        }
        // order ≤ chunk_count = ceil(size / chunk_size), so the offset is below size.
        let offset = (order - 1) * chunk_size;
        Some(Chunk {
            order,
            offset,
            len: chunk_size.min(size - offset),
        })
    }

    /// The chunk containing file offset `offset`.
    pub fn chunk_at_offset(&self, offset: u64) -> Option<Chunk> {
        match *self {
            UploadPlan::Chunked {
                size, chunk_size, ..
            } if offset < size => self.chunk(offset / chunk_size + 1),
            _ => None,
        }
    }

    /// All chunks in order (none unless chunked).
    pub fn chunks(&self) -> impl Iterator<Item = Chunk> + '_ {
        (1..=self.chunk_count()).filter_map(move |order| self.chunk(order))
    }
}
