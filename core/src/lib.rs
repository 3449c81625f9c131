//! `fastio-core`: everything a Fast.io client decides, with no I/O.
//!
//! The core never opens a socket, reads a file, looks at a clock, reads the
//! environment or asks the OS for randomness. Hosts (a wasmtime program, an edge
//! gateway, a phone app, a Python script) do the I/O and feed results back in;
//! time arrives as arguments and randomness as a seed. See `design.md` for the
//! contract each machine follows.
//!
//! # Clocks
//!
//! Two clocks cross the boundary, and each input says which it is:
//!
//! - **`now` of every machine** (upload, download, the AI-answer wait) is the
//!   host's *monotonic* clock in milliseconds, from any epoch, never going
//!   back (`Instant`, `time.monotonic()`, `System.nanoTime()`,
//!   `performance.now()`, `wasi:clocks/monotonic-clock`). A `Wait { until }`
//!   is a moment on that same clock. The core never compares it with a time a
//!   server gave.
//! - **`now` of webhook verification** is the *wall clock* in Unix seconds,
//!   because a delivery's signed timestamp is one.
//!
//! A server's absolute time is turned into a relative one once, here, when a
//! response is decoded: a 429's `x-ve-limit-expires` less the same response's
//! `Date` (both the server's clock) becomes [`decode::Retry::After`], so
//! neither a host's clock nor its skew enters a retry decision. Only an expiry
//! without a `Date` stays a [`decode::Retry::At`] (a Unix time for a caller
//! with a wall clock); the machines wait the 60 s default on it.

// Library code answers bad input with typed errors; `unwrap`/`expect` are for tests.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
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
pub mod defaults;
pub mod download;
pub mod hash;
pub mod http;
pub mod outstanding;
pub mod pager;
pub mod policy;
pub mod redact;
pub mod redirect;
pub mod secret;
pub mod upload;
pub mod webhook;
