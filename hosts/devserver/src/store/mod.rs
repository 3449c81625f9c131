//! Persistent state: SQLite metadata (`db`) and file bytes on disk (`blobs`).

pub mod blobs;
pub mod db;
