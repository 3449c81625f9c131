//! Streaming multipart for uploads: text fields become parameters, file parts stream to a
//! temporary file inside the data directory while being hashed, never held whole in memory.

use std::io::Write;
use std::path::PathBuf;

use axum::body::Body;
use futures_util::TryStreamExt;

use crate::envelope::{ApiError, ApiResult};
use crate::hashing::Hasher;
use crate::params::{Params, Source};
use crate::store::blobs::Blobs;

/// A received file part, written to `tmp` but not yet fsynced or moved into place.
pub struct FilePart {
    pub field: String,
    pub tmp: PathBuf,
    pub file: std::fs::File,
    pub size: u64,
    pub crc32c: u32,
    /// `(algo, hex)` when the algorithm was known before the bytes arrived.
    pub hash: Option<(String, String)>,
}

impl Drop for FilePart {
    fn drop(&mut self) {
        // Removed unless moved into place first (then the path no longer exists).
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Reads the multipart body; its text fields become body parameters. `is_file(name)` says
/// which fields carry bytes; each may be at most `limit` bytes (413 beyond). `hash_algo` is
/// looked up in `algo_from` when a file part starts, so the part can be hashed as it arrives.
pub async fn read(
    body: Body,
    content_type: &str,
    blobs: &Blobs,
    params: &mut Params,
    algo_from: Source,
    is_file: impl Fn(&str) -> bool,
    limit: u64,
) -> ApiResult<Vec<FilePart>> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| ApiError::invalid("Expected a multipart/form-data body with a boundary."))?;
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let constraints = multer::Constraints::new()
        .size_limit(multer::SizeLimit::new().per_field(limit.max(1 << 20)));
    let mut mp = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut files = Vec::new();
    // Bounds on what one request may make us hold: text fields in memory, file parts on disk.
    let mut text_bytes = 0usize;
    const MAX_TEXT_BYTES: usize = 2 << 20;
    const MAX_FILE_PARTS: usize = 200;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        let name = field.name().unwrap_or("").to_string();
        if is_file(&name) {
            if files.len() >= MAX_FILE_PARTS {
                return Err(ApiError::invalid(format!(
                    "At most {MAX_FILE_PARTS} file parts per request."
                )));
            }
            let mut field = field;
            let tmp = blobs.tmp_path();
            let file = std::fs::File::create(&tmp)?;
            let algo = params.from(algo_from).get("hash_algo").map(str::to_string);
            let mut part = FilePart {
                field: name,
                tmp,
                file,
                size: 0,
                crc32c: 0,
                hash: None,
            };
            let mut hasher = algo.as_deref().and_then(Hasher::new);
            // Network frames are small; batching them into 1 MiB writes saves most syscalls.
            let mut w = std::io::BufWriter::with_capacity(1 << 20, part.file.try_clone()?);
            while let Some(bytes) = field.chunk().await.map_err(multipart_error)? {
                part.size += bytes.len() as u64;
                if part.size > limit {
                    return Err(ApiError::too_large(format!(
                        "The part '{}' exceeds {limit} bytes.",
                        part.field
                    )));
                }
                part.crc32c = crc32c::crc32c_append(part.crc32c, &bytes);
                if let Some(h) = hasher.as_mut() {
                    h.update(&bytes);
                }
                // A page-cache write: fast enough to do inline; fsync happens later on a
                // blocking thread.
                w.write_all(&bytes)?;
            }
            w.flush()?;
            if let (Some(h), Some(a)) = (hasher, algo) {
                part.hash = Some((a.to_ascii_lowercase(), h.finish_hex()));
            }
            files.push(part);
        } else {
            // Read piecewise so an oversized field is refused before it is all in memory.
            let mut field = field;
            let mut raw = Vec::new();
            while let Some(bytes) = field.chunk().await.map_err(multipart_error)? {
                text_bytes += bytes.len();
                if text_bytes > MAX_TEXT_BYTES {
                    return Err(ApiError::too_large(
                        "The multipart text fields exceed 2 MiB in total.",
                    ));
                }
                raw.extend_from_slice(&bytes);
            }
            let text = String::from_utf8_lossy(&raw).into_owned();
            if !name.is_empty() {
                params.body_mut().insert(name, text);
            }
        }
    }
    Ok(files)
}

fn multipart_error(e: multer::Error) -> ApiError {
    match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            ApiError::too_large("A multipart field is too large.")
        }
        _ => ApiError::invalid("Malformed multipart body."),
    }
}
