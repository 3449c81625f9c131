//! `fastio-core`: everything a Fast.io client decides, with no I/O.
//!
//! The core never opens a socket, reads a file, looks at a clock, reads the
//! environment or asks the OS for randomness. Hosts (a wasmtime program, an edge
//! gateway, a phone app, a Python script) do the I/O and feed results back in;
//! time arrives as arguments and randomness as a seed. See `design.md` for the
//! contract each machine follows.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// `ApiError` is deliberately one flat struct (status, codes, params, retry)
// so every binding maps it field for field; errors are the slow path, so its
// size in `Result` costs nothing that matters.
#![allow(clippy::result_large_err)]

pub mod ai_wait;
pub mod api;
mod b64;
pub mod config;
pub mod decode;
pub mod download;
pub mod hash;
pub mod http;
pub mod pager;
pub mod policy;
mod redact;
pub mod secret;
pub mod upload;
pub mod webhook;
