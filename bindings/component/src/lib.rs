//! fastio-core as a WebAssembly component: thin adapters between the WIT
//! types in `wit/` and the core. Every decision is the core's; these modules
//! only convert values. One module per exported interface; the conversions
//! they share are in `convert`, which the wasmtime host's native engine
//! compiles too.

// Library code answers bad input with typed errors; `unwrap`/`expect` are for tests.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]
// The generated bindings carry their own unsafe glue.
#![deny(unsafe_op_in_unsafe_fn)]

mod convert;
mod hashing;
mod pager;
mod policy;
mod requests;
mod uploads;
mod webhooks;

wit_bindgen::generate!({
    path: "../../wit",
    world: "core",
});

// The generated interfaces under one name, as `convert` expects them.
use exports::fastio::core as wit;

struct Component;
export!(Component);
