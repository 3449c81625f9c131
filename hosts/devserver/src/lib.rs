//! A local Fast.io-compatible server.
//!
//! It speaks the REST API described in `fastio-api.md` (paths under `/current/`, the
//! `{"result": …}` envelope, the documented error codes and `x-ve-limit-*` headers) so a client
//! written against Fast.io's public documentation works against it unchanged. File bytes live on
//! disk under the data directory, metadata in SQLite; a chunk is acknowledged only once it is
//! durable, so a killed process restarted on the same directory loses nothing it acknowledged.
//!
//! Start it in-process with [`start`] (inside a tokio runtime) or [`spawn`] (own runtime on a
//! background thread); both hand back a [`RunningServer`] with the base URL and API key.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod body;
pub mod bodyrate;
pub mod config;
pub mod envelope;
pub mod events;
pub mod faults;
pub mod hashing;
pub mod ids;
pub mod params;
pub mod ratelimit;
pub mod routes;
pub mod server;
pub mod state;
pub mod store;
pub mod sync;
pub mod webhook;

pub use config::{Config, WebhookScheme};
pub use faults::FaultConfig;
pub use server::{RunningServer, spawn, start};
