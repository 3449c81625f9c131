//! Uploads: how a file is split into requests, and the machine that sends them.
//!
//! [`plan`] decides between a single request, equal chunks and a stream upload, from the
//! file size and the limits the server reports (`/upload/limits/`) or the configuration.
//! Plans are plain data and serialise, so a resume token can carry them.
//! [`machine::Upload`] drives an upload through the sans-IO run loop; [`token`]
//! is its resume format.

pub mod action;
pub mod backoff;
pub mod machine;
pub mod plan;
pub mod token;

pub use crate::outstanding::Fed;
pub use action::{Action, InputError, Progress, RequestId, StoredCheck, UploadDone, UploadError};
pub use backoff::RetryPolicy;
pub use machine::{STORED_DIGEST_ALGO, Upload, UploadConfig, UploadSpec};
pub use token::{ResumeToken, TokenError};
