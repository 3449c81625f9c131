//! Streaming multipart for uploads: text fields become parameters, file parts stream to a
//! temporary file inside the data directory while being hashed, never held whole in memory.
//!
//! What one request can make the server hold is bounded: at most [`MAX_PARTS`] parts, each
//! part's header section at most [`MAX_PART_HEADER_BYTES`] (checked as the bytes pass, since the
//! parser buffers a header section whole before looking at it), and text values, part names and
//! part headers together at most [`MAX_TEXT_BYTES`]. Names, headers and text values must be
//! UTF-8: anything else is refused, never patched with U+FFFD and stored.

use std::io::Write;
use std::path::PathBuf;

use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt;
use memchr::memmem;

use crate::envelope::{ApiError, ApiResult};
use crate::hashing::Hasher;
use crate::params::{Params, Source};
use crate::store::blobs::Blobs;

/// Most parts (text and file) in one request.
pub const MAX_PARTS: usize = 1000;
/// Longest header section of one part (the parser accepts at most 32 headers anyway).
pub const MAX_PART_HEADER_BYTES: usize = 16 * 1024;
/// Text values, part names and part headers of one request, together.
pub const MAX_TEXT_BYTES: usize = 2 << 20;
/// Longest boundary (RFC 2046).
const MAX_BOUNDARY: usize = 70;
/// Most file parts in one request.
const MAX_FILE_PARTS: usize = 200;

/// The bytes a multipart body may carry besides its file data: text and headers (within
/// [`MAX_TEXT_BYTES`]) and one delimiter line (boundary and six framing bytes) per part.
pub const ENVELOPE_BYTES: u64 =
    MAX_TEXT_BYTES as u64 + MAX_PARTS as u64 * (MAX_BOUNDARY as u64 + 8);

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

/// What to do with a part, from its name and whether it carries a filename.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Stream to a temporary file.
    File,
    /// A parameter.
    Text,
    /// Read and drop (counted as text).
    Skip,
}

/// Reads the multipart body; its text parts become body parameters. `classify` says which
/// parts carry bytes; each may be at most `limit` bytes (413 beyond), and the whole body at
/// most `whole` bytes. `hash_algo` is looked up in `algo_from` when a file part starts, so the
/// part can be hashed as it arrives.
#[allow(clippy::too_many_arguments)]
pub async fn read(
    body: Body,
    content_type: &str,
    blobs: &Blobs,
    params: &mut Params,
    algo_from: Source,
    classify: impl Fn(&str, bool) -> Part,
    limit: u64,
    whole: u64,
) -> ApiResult<Vec<FilePart>> {
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| ApiError::invalid("Expected a multipart/form-data body with a boundary."))?;
    // RFC 2046 §5.1.1 caps a boundary at 70 characters; every client keeps to it, and the
    // parser searches for it in every piece of the body.
    if boundary.is_empty() || boundary.len() > MAX_BOUNDARY {
        return Err(ApiError::invalid(format!(
            "A multipart boundary is 1 to {MAX_BOUNDARY} characters."
        )));
    }
    let mut guard = Framing::new(&boundary);
    let stream = body.into_data_stream().map(move |piece| {
        let bytes = piece.map_err(BoxError::from)?;
        guard.feed(&bytes).map_err(BoxError::from)?;
        Ok::<Bytes, BoxError>(bytes)
    });
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .per_field(limit.max(1 << 20))
            .whole_stream(whole),
    );
    let mut mp = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut files = Vec::new();
    let mut text_bytes = 0usize;
    let mut charge = |n: usize| -> ApiResult<()> {
        text_bytes = text_bytes.saturating_add(n);
        if text_bytes > MAX_TEXT_BYTES {
            return Err(ApiError::too_large(
                "The multipart text fields, part names and part headers exceed 2 MiB in total.",
            ));
        }
        Ok(())
    };
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        let mut header_bytes = 0usize;
        for (k, v) in field.headers() {
            header_bytes += k.as_str().len() + v.as_bytes().len() + 4;
            // The parser drops a name or filename that is not UTF-8 (the part would then go
            // unnoticed); refusing any such header covers both.
            if std::str::from_utf8(v.as_bytes()).is_err() {
                return Err(ApiError::invalid(format!(
                    "The multipart part header '{}' is not valid UTF-8.",
                    k.as_str()
                )));
            }
        }
        charge(header_bytes)?;
        let name = field.name().unwrap_or("").to_string();
        let kind = classify(&name, field.file_name().is_some());
        if kind == Part::File {
            if files.len() >= MAX_FILE_PARTS {
                return Err(ApiError::invalid(format!(
                    "At most {MAX_FILE_PARTS} file parts per request."
                )));
            }
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
            let mut raw = Vec::new();
            while let Some(bytes) = field.chunk().await.map_err(multipart_error)? {
                charge(bytes.len())?;
                if kind == Part::Text {
                    raw.extend_from_slice(&bytes);
                }
            }
            if kind == Part::Text && !name.is_empty() {
                let text = String::from_utf8(raw).map_err(|_| {
                    ApiError::invalid_param(
                        &name,
                        "string",
                        format!("'{name}' is not valid UTF-8."),
                    )
                })?;
                params.body_mut().insert(name, text);
            }
        }
    }
    Ok(files)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn multipart_error(e: multer::Error) -> ApiError {
    match e {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            ApiError::too_large("A multipart field is too large.")
        }
        multer::Error::StreamReadFailed(inner) => match inner.downcast_ref::<FramingError>() {
            Some(FramingError::TooManyParts) => ApiError::too_large(format!(
                "A multipart body may have at most {MAX_PARTS} parts."
            )),
            Some(FramingError::HeaderTooLong) => ApiError::too_large(format!(
                "A multipart part's headers exceed {MAX_PART_HEADER_BYTES} bytes."
            )),
            Some(FramingError::PreambleTooLong) => {
                ApiError::invalid("Malformed multipart body: no boundary where one was expected.")
            }
            None => ApiError::invalid("The request body could not be read."),
        },
        _ => ApiError::invalid("Malformed multipart body."),
    }
}

/// Why the framing check stopped a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FramingError {
    TooManyParts,
    HeaderTooLong,
    PreambleTooLong,
}

impl std::fmt::Display for FramingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FramingError::TooManyParts => "too many multipart parts",
            FramingError::HeaderTooLong => "a multipart header section is too long",
            FramingError::PreambleTooLong => "no multipart boundary found",
        })
    }
}

impl std::error::Error for FramingError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the first delimiter.
    Preamble,
    /// Just past a delimiter: `--` ends the body, anything else starts a part.
    Delimiter,
    /// A part's header section, up to the empty line.
    Headers,
    /// A part's data, up to the next delimiter.
    Data,
    /// Past the closing delimiter.
    Epilogue,
}

/// Follows the multipart framing as the bytes pass (the same delimiter search the parser does)
/// and stops a body whose preamble or part header section runs on, or that has too many parts.
struct Framing {
    /// `CRLF--boundary`: what ends a part's data.
    delimiter: Vec<u8>,
    stage: Stage,
    /// The last bytes of the current stage (fewer than the pattern searched for), so a pattern
    /// split across two pieces is still found.
    tail: Vec<u8>,
    /// Bytes of the current preamble or header section.
    count: usize,
    parts: usize,
}

const CRLF_CRLF: &[u8] = b"\r\n\r\n";

impl Framing {
    fn new(boundary: &str) -> Self {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        Framing {
            delimiter,
            stage: Stage::Preamble,
            // The first delimiter may open the body without the CRLF before it.
            tail: b"\r\n".to_vec(),
            count: 0,
            parts: 0,
        }
    }

    fn feed(&mut self, mut piece: &[u8]) -> Result<(), FramingError> {
        while !piece.is_empty() {
            match self.stage {
                Stage::Epilogue => return Ok(()),
                Stage::Delimiter => {
                    let want = 2 - self.tail.len();
                    let take = want.min(piece.len());
                    self.tail.extend_from_slice(&piece[..take]);
                    piece = &piece[take..];
                    if self.tail.len() == 2 {
                        if self.tail == b"--" {
                            self.stage = Stage::Epilogue;
                        } else {
                            // The two bytes belong to the header section: kept as its tail.
                            self.parts += 1;
                            if self.parts > MAX_PARTS {
                                return Err(FramingError::TooManyParts);
                            }
                            self.stage = Stage::Headers;
                            self.count = 2;
                        }
                    }
                }
                Stage::Preamble | Stage::Data | Stage::Headers => {
                    let (pattern, cap, over) = match self.stage {
                        Stage::Headers => (
                            CRLF_CRLF,
                            MAX_PART_HEADER_BYTES,
                            FramingError::HeaderTooLong,
                        ),
                        Stage::Preamble => (
                            self.delimiter.as_slice(),
                            MAX_PART_HEADER_BYTES,
                            FramingError::PreambleTooLong,
                        ),
                        _ => (
                            self.delimiter.as_slice(),
                            usize::MAX,
                            FramingError::HeaderTooLong,
                        ),
                    };
                    let found = find_across(&self.tail, piece, pattern);
                    let used = found.unwrap_or(piece.len());
                    if self.stage != Stage::Data {
                        self.count = self.count.saturating_add(used);
                        if self.count > cap {
                            return Err(over);
                        }
                    }
                    match found {
                        Some(end) => {
                            self.stage = match self.stage {
                                Stage::Headers => Stage::Data,
                                _ => Stage::Delimiter,
                            };
                            self.tail.clear();
                            self.count = 0;
                            piece = &piece[end..];
                        }
                        None => {
                            let keep = pattern.len() - 1;
                            self.tail
                                .extend_from_slice(&piece[piece.len().saturating_sub(keep)..]);
                            let extra = self.tail.len().saturating_sub(keep);
                            self.tail.drain(..extra);
                            piece = &[];
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Where `pattern` first ends in `tail` followed by `piece`, as a count of `piece`'s bytes up to
/// and including the match. `tail` is shorter than `pattern`.
fn find_across(tail: &[u8], piece: &[u8], pattern: &[u8]) -> Option<usize> {
    if !tail.is_empty() {
        let head = &piece[..piece.len().min(pattern.len() - 1)];
        let joint = [tail, head].concat();
        if let Some(i) = memmem::find(&joint, pattern)
            && i < tail.len()
        {
            return Some(i + pattern.len() - tail.len());
        }
    }
    memmem::find(piece, pattern).map(|i| i + pattern.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_split(body: &[u8], every: usize) -> (Result<(), FramingError>, usize, Stage) {
        let mut f = Framing::new("XyZ");
        for piece in body.chunks(every.max(1)) {
            if let Err(e) = f.feed(piece) {
                return (Err(e), f.parts, f.stage);
            }
        }
        (Ok(()), f.parts, f.stage)
    }

    #[test]
    fn framing_follows_parts_whatever_the_piece_sizes() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ\r\n\
            Content-Disposition: form-data; name=\"b\"\r\n\r\n\r\n--XyZ--\r\nafter";
        for every in [1, 2, 3, 5, 7, 64, 4096] {
            let (r, parts, stage) = feed_split(body, every);
            assert_eq!(r, Ok(()), "pieces of {every}");
            assert_eq!((parts, stage), (2, Stage::Epilogue), "pieces of {every}");
        }
    }

    #[test]
    fn framing_stops_long_headers_preambles_and_part_floods() {
        let mut long = b"--XyZ\r\nContent-Disposition: form-data; name=\"".to_vec();
        long.extend(std::iter::repeat_n(b'n', MAX_PART_HEADER_BYTES));
        long.extend_from_slice(b"\"\r\n\r\nv\r\n--XyZ--\r\n");
        assert_eq!(feed_split(&long, 1000).0, Err(FramingError::HeaderTooLong));
        let preamble = vec![b'p'; MAX_PART_HEADER_BYTES + 1];
        assert_eq!(
            feed_split(&preamble, 999).0,
            Err(FramingError::PreambleTooLong)
        );
        let mut flood = Vec::new();
        for _ in 0..=MAX_PARTS {
            flood.extend_from_slice(b"--XyZ\r\n\r\nv\r\n");
        }
        assert_eq!(feed_split(&flood, 333).0, Err(FramingError::TooManyParts));
        // File data may be as long as it likes.
        let mut data = b"--XyZ\r\n\r\n".to_vec();
        data.extend(std::iter::repeat_n(b'd', 1 << 20));
        data.extend_from_slice(b"\r\n--XyZ--");
        assert_eq!(feed_split(&data, 8192).0, Ok(()));
    }
}
