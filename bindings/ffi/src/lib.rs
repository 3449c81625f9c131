//! `fastio-ffi`: the core exported through UniFFI for Python, Kotlin and Swift.
//!
//! Thin on purpose: every decision stays in `fastio-core`; this crate only
//! translates types. Stateful machines are objects holding the core machine
//! in a Mutex (UniFFI objects are shared and used through `&self`); calls
//! cross as JSON (the same form as `tests/vectors/requests`) so every language
//! runs the same vectors; there is one error type, [`FastioError`], carrying
//! the fields callers act on. Nothing is async: hosts do their own I/O.
//! No exported function panics on any input: errors are returned, and the
//! Mutexes recover from poisoning instead of unwinding.

// Library code answers bad input with typed errors; `unwrap`/`expect` are for tests.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// `FastioError` crosses the FFI by value as one flat enum (UniFFI cannot
// lift a boxed error), so its size is what the foreign side receives anyway.
#![allow(clippy::result_large_err)]

mod answer;
mod call;
mod download;
mod error;
mod hash;
mod http;
mod pager;
mod surface;
mod upload;
mod webhook;

pub use answer::*;
pub use call::*;
pub use download::*;
pub use error::{FastioError, ParamFailure, RetryDecision};
pub use hash::*;
pub use http::*;
pub use pager::*;
pub use surface::*;
pub use upload::*;
pub use webhook::*;

// The namespace names the generated Python module `fastio_core`.
uniffi::setup_scaffolding!("fastio_core");

/// The version of the core this library was built from.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").into()
}

/// A trivial call, to measure the cost of crossing the FFI.
#[uniffi::export]
pub fn ffi_echo(value: u64) -> u64 {
    value
}
