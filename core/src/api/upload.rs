//! Uploads: single request, chunked sessions, streams, batches, URL imports
//! (reference §4).

use serde::Deserialize;

use super::path::{join, seg};
use super::storage::storage_base;
use super::{BuildError, Params, Profile, Req, invalid};
use crate::config::{ChunkParams, ClientConfig};
use crate::http::{Body, Method, Multipart, Part, PartData};

/// The largest file sent in one request (4 MB = 4,194,304 bytes).
pub const SINGLE_REQUEST_MAX: u64 = 4_194_304;
/// The longest `wait` a details poll may ask for, in seconds.
pub const MAX_DETAILS_WAIT_S: u32 = 590;
/// Batch limits: files per batch, bytes per file, bytes in all.
pub const BATCH_MAX_FILES: usize = 200;
/// The largest file in a batch.
pub const BATCH_MAX_FILE_BYTES: u64 = SINGLE_REQUEST_MAX;
/// The most bytes in one batch (100 MB).
pub const BATCH_MAX_TOTAL_BYTES: u64 = 100 * 1024 * 1024;

/// One file of a batch upload.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BatchFile {
    /// The file name.
    pub filename: String,
    /// A path below the target folder.
    #[serde(default)]
    pub relative_path: Option<String>,
    /// The hash algorithm of `hash`.
    #[serde(default)]
    pub hash_algo: Option<String>,
    /// A hex digest of the file.
    #[serde(default)]
    pub hash: Option<String>,
    /// The bytes.
    pub data: PartData,
}

/// Upload calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UploadCall {
    /// `POST upload/` (multipart) with the whole file in part `chunk`; for
    /// files up to 4 MB.
    Single {
        /// Where the file goes.
        profile: Profile,
        /// The folder id or `root`.
        #[serde(default = "root")]
        folder_id: String,
        /// The file name.
        name: String,
        /// The org domain (documented, optional; the official client sends
        /// none).
        #[serde(default)]
        org: Option<String>,
        /// The bytes.
        data: PartData,
        /// Hex digest of the whole body (8 hex digits for `crc32c`), checked
        /// by the server; only together with `hash_algo`.
        #[serde(default)]
        hash: Option<String>,
        /// Algorithm of `hash` (`crc32c`, as the newest official client
        /// sends it: fastio_cli src/api/upload_integrity.rs @e6b1955).
        #[serde(default)]
        hash_algo: Option<String>,
        /// Parameters the reference leaves unknown (such as a whole-file
        /// hash at creation), sent as extra fields.
        #[serde(default)]
        extra: Vec<(String, String)>,
    },
    /// `POST upload/` (form): open a chunked session, or a stream session
    /// with `stream`.
    CreateSession {
        /// Where the file goes; `None` leaves it unplaced (place it later
        /// with [`UploadCall::AddFile`]).
        #[serde(default)]
        profile: Option<Profile>,
        /// The folder id or `root`.
        #[serde(default = "root")]
        folder_id: String,
        /// The file name.
        name: String,
        /// The size in bytes; omitted for stream sessions of unknown size.
        #[serde(default)]
        size: Option<u64>,
        /// The org domain.
        #[serde(default)]
        org: Option<String>,
        /// A stream session (size unknown; finalises itself).
        #[serde(default)]
        stream: bool,
        /// For streams: the most bytes the stream may carry.
        #[serde(default)]
        max_size: Option<u64>,
        /// Extra fields for parameters the reference leaves unknown.
        #[serde(default)]
        extra: Vec<(String, String)>,
    },
    /// `POST upload/{id}/chunk/`: one chunk in multipart part `chunk`.
    Chunk {
        /// The session.
        upload_id: String,
        /// 1-based chunk number.
        order: u64,
        /// The bytes.
        data: PartData,
        /// Hex digest of this chunk.
        #[serde(default)]
        hash: Option<String>,
        /// Algorithm of `hash` (`md5`, `sha1`, `sha256`, `sha384`, `crc32c`).
        #[serde(default)]
        hash_algo: Option<String>,
        /// Whole-file CRC32C (8 lowercase hex digits), sent with the last chunk.
        #[serde(default)]
        file_crc32c: Option<String>,
    },
    /// `GET upload/{id}/chunk/`: which chunks the server holds.
    ChunkStatus {
        /// The session.
        upload_id: String,
    },
    /// `DELETE upload/{id}/chunk/?order=N`.
    DeleteChunk {
        /// The session.
        upload_id: String,
        /// 1-based chunk number.
        order: u64,
    },
    /// `POST upload/{id}/complete/` with an empty body: assemble the chunks.
    Complete {
        /// The session.
        upload_id: String,
    },
    /// `GET upload/{id}/details/?wait=N`: status, long-polling up to 590 s.
    Details {
        /// The session.
        upload_id: String,
        /// Seconds to wait for a change.
        #[serde(default)]
        wait: Option<u32>,
    },
    /// `DELETE upload/{id}/`: abort (after `stored` it only removes the record).
    Cancel {
        /// The session.
        upload_id: String,
    },
    /// `GET upload/details/`: the user's sessions.
    ListSessions,
    /// `GET upload/limits/extensions/[?plan=…]`: the file extensions a plan
    /// refuses (fastio_cli src/api/upload.rs:1094-1108 @96b1551).
    LimitsExtensions {
        /// The plan asked about (the caller's own otherwise).
        #[serde(default)]
        plan: Option<String>,
    },
    /// `DELETE upload/`: cancel every session.
    CancelAll,
    /// `GET upload/limits/`.
    Limits {
        /// Optional action.
        #[serde(default)]
        action: Option<String>,
        /// Workspace or share id.
        #[serde(default)]
        instance_id: Option<String>,
        /// Folder id.
        #[serde(default)]
        folder_id: Option<String>,
        /// File id.
        #[serde(default)]
        file_id: Option<String>,
    },
    /// `GET upload/algos/`: accepted chunk hash algorithms.
    Algos,
    /// `POST upload/{id}/stream/`: the raw bytes of a stream session.
    StreamSend {
        /// The stream session.
        upload_id: String,
        /// The bytes, or `None` for a body the host streams from its source
        /// ([`crate::http::Body::Stream`]).
        #[serde(default)]
        data: Option<PartData>,
        /// Hex digest of the whole stream.
        #[serde(default)]
        hash: Option<String>,
        /// Algorithm of `hash`.
        #[serde(default)]
        hash_algo: Option<String>,
    },
    /// `POST upload/batch/` (multipart): up to 200 files of ≤ 4 MB, ≤ 100 MB in all.
    Batch {
        /// Workspace or share.
        profile: Profile,
        /// The folder id or `root`.
        #[serde(default = "root")]
        folder_id: String,
        /// Creator label.
        #[serde(default)]
        creator: Option<String>,
        /// The files.
        files: Vec<BatchFile>,
    },
    /// `POST web_upload/`: import a file from a URL.
    WebUploadStart {
        /// The source URL (HTTP(S), Google Drive, OneDrive, Dropbox).
        source_url: String,
        /// Workspace or share.
        profile: Profile,
        /// The folder id or `root`.
        #[serde(default = "root")]
        folder_id: String,
        /// The stored name.
        #[serde(default)]
        file_name: Option<String>,
    },
    /// `GET web_upload/{id}/details/`.
    WebUploadStatus {
        /// The import.
        id: String,
    },
    /// `GET web_upload/`.
    WebUploadList {
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
        /// Filter by status.
        #[serde(default)]
        status: Option<String>,
    },
    /// `DELETE web_upload/?id=…`.
    WebUploadCancel {
        /// The import.
        id: String,
    },
    /// `POST {workspace|share}/{id}/storage/{folder}/addfile/` with form
    /// fields `name` and `from`: place a finished upload session's file, or
    /// (shares only) a file the server already holds, by hash (fastio_cli
    /// src/api/storage.rs:805-841, src/bin/fastio/commands/files.rs:918-925
    /// @96b1551).
    AddFile {
        /// Where it goes.
        profile: Profile,
        /// The folder id or `root`.
        #[serde(default = "root")]
        folder: String,
        /// The file's name.
        name: String,
        /// The upload session (`from: {"type":"upload",…}`).
        #[serde(default)]
        upload_id: Option<String>,
        /// A content hash (`from: {"type":"hash",…}`), in a share only.
        #[serde(default)]
        hash: Option<String>,
        /// The hash's algorithm (default `sha256`).
        #[serde(default)]
        hash_type: Option<String>,
    },
}

fn root() -> String {
    "root".into()
}

impl UploadCall {
    pub(crate) fn is_resendable(&self) -> bool {
        // Every envelope call is resent after a 502/503/504 or a transport
        // failure (fastio_cli src/client.rs:1946-2021 @96b1551); a stream's
        // bytes went out as they came and are not (src/api/upload.rs:1227-1320).
        !matches!(self, UploadCall::StreamSend { .. })
    }
}

fn upload_path(id: &str, tail: &[&str]) -> Result<String, BuildError> {
    let id = seg("upload_id", id)?;
    let mut parts = vec!["upload", id.as_str()];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

fn check_hex(field: &'static str, v: &Option<String>) -> Result<(), BuildError> {
    if let Some(h) = v
        && (h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(invalid(field, "must be a hex digest"));
    }
    Ok(())
}

fn multipart_req(path: String, fields: Vec<(String, String)>, files: Vec<Part>) -> Req {
    let mut parts: Vec<Part> = fields.into_iter().map(|(k, v)| Part::text(k, v)).collect();
    parts.extend(files);
    let mut r = Req::new(Method::Post, path);
    r.body = Body::Multipart(Multipart::new(parts));
    r
}

pub(crate) fn build(call: &UploadCall, config: &ClientConfig) -> Result<Req, BuildError> {
    Ok(match call {
        UploadCall::Single {
            profile,
            folder_id,
            name,
            org,
            data,
            hash,
            hash_algo,
            extra,
        } => {
            check_hex("hash", hash)?;
            if hash.is_some() != hash_algo.is_some() {
                return Err(invalid("hash", "hash and hash_algo go together"));
            }
            if data.len() > SINGLE_REQUEST_MAX {
                return Err(invalid(
                    "data",
                    format!(
                        "{} bytes is over the single-request limit of {SINGLE_REQUEST_MAX}; use a chunked session",
                        data.len()
                    ),
                ));
            }
            check_name(name)?;
            let mut fields = Params::new()
                .put("name", name)
                .put("size", data.len())
                .put("action", "create")
                .put("instance_id", profile.id())
                .put("folder_id", folder_id)
                .put("profile_type", profile.kind())
                .opt("org", org)
                .opt("hash_algo", hash_algo)
                .opt("hash", hash)
                .done();
            fields.extend(extra.iter().cloned());
            multipart_req(
                join(&["upload"]),
                fields,
                vec![Part::file("chunk", name.as_str(), data.clone())],
            )
        }
        UploadCall::CreateSession {
            profile,
            folder_id,
            name,
            size,
            org,
            stream,
            max_size,
            extra,
        } => {
            check_name(name)?;
            if !stream && size.is_none() {
                return Err(invalid("size", "a chunked session needs the file size"));
            }
            let mut p = Params::new()
                .put("name", name)
                .opt("size", size)
                .put("action", "create");
            if let Some(profile) = profile {
                p = p
                    .put("instance_id", profile.id())
                    .put("folder_id", folder_id)
                    .put("profile_type", profile.kind());
            }
            p = p.opt("org", org);
            if *stream {
                p = p.put("stream", "true").opt("max_size", max_size);
            }
            let mut fields = p.done();
            fields.extend(extra.iter().cloned());
            Req::post_form(join(&["upload"]), fields)
        }
        UploadCall::Chunk {
            upload_id,
            order,
            data,
            hash,
            hash_algo,
            file_crc32c,
        } => {
            if *order == 0 {
                return Err(invalid("order", "chunk orders are 1-based"));
            }
            check_hex("hash", hash)?;
            check_hex("file_crc32c", file_crc32c)?;
            if hash.is_some() != hash_algo.is_some() {
                return Err(invalid("hash_algo", "hash and hash_algo go together"));
            }
            let fields = Params::new()
                .put("order", order)
                .put("size", data.len())
                .opt("hash", hash)
                .opt("hash_algo", hash_algo)
                .opt("file_crc32c", file_crc32c)
                .done();
            let path = upload_path(upload_id, &["chunk"])?;
            let chunk = Part::file("chunk", "chunk", data.clone());
            match config.chunk_params {
                ChunkParams::Query => multipart_req(path, Vec::new(), vec![chunk]).query(fields),
                ChunkParams::Form => multipart_req(path, fields, vec![chunk]),
            }
        }
        UploadCall::ChunkStatus { upload_id } => Req::get(upload_path(upload_id, &["chunk"])?),
        UploadCall::DeleteChunk { upload_id, order } => {
            if *order == 0 {
                return Err(invalid("order", "chunk orders are 1-based"));
            }
            let mut r = Req::delete(upload_path(upload_id, &["chunk"])?);
            r.body = Body::Query(Params::new().put("order", order).done());
            r
        }
        UploadCall::Complete { upload_id } => {
            // An empty form, as the official client sends it (fastio_cli
            // src/api/upload.rs:877-885 @96b1551).
            Req::post_form(upload_path(upload_id, &["complete"])?, Vec::new())
        }
        UploadCall::Details { upload_id, wait } => {
            if let Some(w) = wait
                && *w > MAX_DETAILS_WAIT_S
            {
                return Err(invalid(
                    "wait",
                    format!("at most {MAX_DETAILS_WAIT_S} seconds, got {w}"),
                ));
            }
            Req::get(upload_path(upload_id, &["details"])?)
                .query(Params::new().opt("wait", wait).done())
        }
        UploadCall::Cancel { upload_id } => Req::delete(upload_path(upload_id, &[])?),
        UploadCall::ListSessions => Req::get(join(&["upload", "details"])),
        UploadCall::LimitsExtensions { plan } => {
            Req::get(join(&["upload", "limits", "extensions"]))
                .query(Params::new().opt("plan", plan).done())
        }
        UploadCall::CancelAll => Req::delete(join(&["upload"])),
        UploadCall::Limits {
            action,
            instance_id,
            folder_id,
            file_id,
        } => Req::get(join(&["upload", "limits"])).query(
            Params::new()
                .opt("action", action)
                .opt("instance_id", instance_id)
                .opt("folder_id", folder_id)
                .opt("file_id", file_id)
                .done(),
        ),
        UploadCall::Algos => Req::get(join(&["upload", "algos"])),
        UploadCall::StreamSend {
            upload_id,
            data,
            hash,
            hash_algo,
        } => {
            check_hex("hash", hash)?;
            if hash.is_some() != hash_algo.is_some() {
                return Err(invalid("hash_algo", "hash and hash_algo go together"));
            }
            let mut r = Req::new(Method::Post, upload_path(upload_id, &["stream"])?).query(
                Params::new()
                    .opt("hash", hash)
                    .opt("hash_algo", hash_algo)
                    .done(),
            );
            let content_type = "application/octet-stream".to_string();
            r.body = match data {
                Some(data) => Body::Bytes {
                    content_type,
                    data: data.clone(),
                },
                None => Body::Stream { content_type },
            };
            r
        }
        UploadCall::Batch {
            profile,
            folder_id,
            creator,
            files,
        } => {
            if files.is_empty() || files.len() > BATCH_MAX_FILES {
                return Err(invalid(
                    "files",
                    format!(
                        "1 to {BATCH_MAX_FILES} files per batch, got {}",
                        files.len()
                    ),
                ));
            }
            let mut total = 0u64;
            let mut manifest = Vec::with_capacity(files.len());
            let mut parts = Vec::with_capacity(files.len());
            for (i, f) in files.iter().enumerate() {
                check_name(&f.filename)?;
                if f.data.len() > BATCH_MAX_FILE_BYTES {
                    return Err(invalid(
                        "files",
                        format!(
                            "{} is {} bytes; batch files are at most {BATCH_MAX_FILE_BYTES}",
                            f.filename,
                            f.data.len()
                        ),
                    ));
                }
                total += f.data.len();
                let mut entry = serde_json::json!({"index": i, "filename": f.filename});
                if let Some(p) = &f.relative_path {
                    entry["relative_path"] = p.clone().into();
                }
                // Only as a pair (fastio_cli src/api/upload.rs:1559-1562
                // @96b1551): half a pair is refused before sending.
                match (&f.hash_algo, &f.hash) {
                    (Some(a), Some(h)) => {
                        entry["hash_algo"] = a.clone().into();
                        entry["hash"] = h.clone().into();
                    }
                    (None, None) => {}
                    _ => {
                        return Err(invalid(
                            "files",
                            format!("{}: hash and hash_algo go together", f.filename),
                        ));
                    }
                }
                manifest.push(entry);
                parts.push(Part::file(
                    format!("file_{i}"),
                    f.filename.as_str(),
                    f.data.clone(),
                ));
            }
            if total > BATCH_MAX_TOTAL_BYTES {
                return Err(invalid(
                    "files",
                    format!(
                        "{total} bytes in all; a batch carries at most {BATCH_MAX_TOTAL_BYTES}"
                    ),
                ));
            }
            let fields = Params::new()
                .put("instance_id", profile.id())
                .put("folder_id", folder_id)
                .opt("creator", creator)
                .put("manifest", serde_json::Value::Array(manifest))
                .done();
            multipart_req(join(&["upload", "batch"]), fields, parts)
        }
        UploadCall::WebUploadStart {
            source_url,
            profile,
            folder_id,
            file_name,
        } => {
            let lower = source_url.to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                return Err(invalid("source_url", "must be an http:// or https:// URL"));
            }
            Req::post_form(
                join(&["web_upload"]),
                Params::new()
                    .put("source_url", source_url)
                    .put("profile_id", profile.id())
                    .put("profile_type", profile.kind())
                    .put("folder_id", folder_id)
                    .opt("file_name", file_name)
                    .done(),
            )
        }
        UploadCall::WebUploadStatus { id } => {
            Req::get(join(&["web_upload", &seg("id", id)?, "details"]))
        }
        UploadCall::WebUploadList {
            limit,
            offset,
            status,
        } => {
            super::orgs::check_limit(limit, 500)?;
            Req::get(join(&["web_upload"])).query(
                Params::new()
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .opt("status", status)
                    .done(),
            )
        }
        UploadCall::WebUploadCancel { id } => {
            seg("id", id)?;
            let mut r = Req::delete(join(&["web_upload"]));
            r.body = Body::Query(Params::new().put("id", id).done());
            r
        }
        UploadCall::AddFile {
            profile,
            folder,
            name,
            upload_id,
            hash,
            hash_type,
        } => {
            check_name(name)?;
            let base = storage_base(profile)?;
            let from = match (upload_id, hash) {
                (Some(id), None) => {
                    seg("upload_id", id)?;
                    serde_json::json!({"type": "upload", "upload": {"id": id}})
                }
                (None, Some(h)) if matches!(profile, Profile::Share(_)) => {
                    if h.trim().is_empty() {
                        return Err(invalid("hash", "is empty"));
                    }
                    let algo = hash_type.as_deref().unwrap_or("sha256");
                    serde_json::json!({"type": "hash", "hash": {"hash": h, "hash_type": algo}})
                }
                (None, Some(_)) => {
                    return Err(invalid("hash", "a hash source is accepted in a share only"));
                }
                _ => {
                    return Err(invalid(
                        "upload_id",
                        "give an upload_id or (in a share) a hash, not both",
                    ));
                }
            };
            Req::post_form(
                join(&[&base, &seg("folder", folder)?, "addfile"]),
                Params::new().put("name", name).put("from", from).done(),
            )
        }
    })
}

fn check_name(name: &str) -> Result<(), BuildError> {
    if name.trim().is_empty() {
        return Err(invalid("name", "is empty"));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(invalid("name", "contains control characters"));
    }
    Ok(())
}
