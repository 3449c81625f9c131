//! Uploads: how a file is split into requests.
//!
//! [`plan`] decides between a single request, equal chunks and a stream upload, from the
//! file size and the limits the server reports (`/upload/limits/`) or the configuration.
//! Plans are plain data and serialise, so a resume token can carry them.

pub mod plan;
