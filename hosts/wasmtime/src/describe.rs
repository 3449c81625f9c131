//! One-line descriptions of the WIT's transfer errors, for people: the
//! generated types print only as their Debug form. The texts use nothing but
//! the error's own fields, which never hold a credential.

use crate::bindings::exports::fastio::core::types::{ApiError, Error};
use crate::bindings::exports::fastio::core::uploads::{
    HashAlgo, PlanError, StepError, StoredCheck, UploadDone, UploadError,
};

fn api(e: &ApiError) -> String {
    let mut head = Vec::new();
    if let Some(status) = e.status {
        head.push(status.to_string());
    }
    if let Some(code) = e.error_code.as_ref().or(e.code.as_ref()) {
        head.push(code.clone());
    }
    if head.is_empty() {
        e.message.clone()
    } else {
        format!("{}: {}", head.join(" "), e.message)
    }
}

fn step(s: &StepError) -> String {
    if s.attempts > 1 {
        format!(
            "{} failed after {} attempts: {}",
            s.what,
            s.attempts,
            api(&s.error)
        )
    } else {
        format!("{} failed: {}", s.what, api(&s.error))
    }
}

/// Why an upload could not be planned.
pub fn plan_error(e: &PlanError) -> String {
    match e {
        PlanError::TooLarge(t) => format!(
            "a file of {} bytes is larger than the maximum of {} bytes",
            t.size, t.max
        ),
        PlanError::TooManyChunks(t) => format!(
            "a file of {} bytes needs {} chunks of {} bytes, more than the maximum of {}",
            t.size, t.chunks, t.chunk_size, t.max
        ),
        PlanError::InvalidConfig(why) => {
            format!("the upload configuration cannot produce a plan: {why}")
        }
    }
}

/// Why an upload or a download failed.
pub fn upload_error(e: &UploadError) -> String {
    match e {
        UploadError::Api(s) | UploadError::RetriesExhausted(s) => step(s),
        UploadError::Integrity(f) => format!(
            "the file the server assembled does not match what was sent (CRC32C sent {}, server computed {})",
            f.expected.as_deref().unwrap_or("none"),
            f.computed.as_deref().unwrap_or("none"),
        ),
        UploadError::StoredMismatch(m) => format!(
            "the stored node {} has {} {}, but the bytes read hash to {}",
            m.node_id,
            algo_name(m.algo),
            m.stored,
            m.computed
        ),
        UploadError::SessionExpired(id) => {
            format!("upload session {id} no longer exists on the server")
        }
        UploadError::SourceChanged(order) => {
            format!("chunk {order} changed since it was first read; the file was modified")
        }
        UploadError::StreamTooLarge(max) => {
            format!("the stream passed its maximum of {max} bytes")
        }
        UploadError::Plan(p) => plan_error(p),
        UploadError::Cancelled => "cancelled".to_owned(),
        UploadError::Assembly(m)
        | UploadError::ShortRead(m)
        | UploadError::Verify(m)
        | UploadError::Config(m)
        | UploadError::Other(m) => m.clone(),
    }
}

/// Why a call (or a listing) could not be built, sent or read.
pub fn error(e: &Error) -> String {
    match e {
        Error::Api(a) => api(a),
        Error::Build(m) | Error::Config(m) | Error::InvalidInput(m) | Error::Other(m) => m.clone(),
    }
}

/// The whole-file digest of a stored upload, as ` sha256 <hex>`, or nothing
/// when none was asked for (or it could not be completed after a resume).
pub fn upload_digest(d: &UploadDone) -> String {
    match &d.digest {
        Some(g) => format!(" {} {}", algo_name(g.algo), g.hex),
        None => String::new(),
    }
}

/// The end-to-end check's line, when one was asked for.
pub fn stored_check(c: &StoredCheck) -> Option<String> {
    match c {
        StoredCheck::NotAsked => None,
        StoredCheck::Matched => {
            Some("stored            the stored node's hash matches the bytes read".to_owned())
        }
        StoredCheck::Unavailable(why) => Some(format!("stored            not checked: {why}")),
    }
}

/// The server's name for an algorithm.
pub fn algo_name(a: HashAlgo) -> &'static str {
    crate::convert::algo(a).as_str()
}

/// An algorithm named as the server names it (`sha256`, `MD5`…).
pub fn parse_algo(name: &str) -> Option<HashAlgo> {
    fastio_core::hash::HashAlgo::parse(name)
        .ok()
        .and_then(crate::convert::wit_algo)
}
