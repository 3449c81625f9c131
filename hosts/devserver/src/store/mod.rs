//! Persistent state: SQLite metadata (`db`), file bytes on disk (`blobs`), and the modes that
//! keep both private to the user (`private`).

pub mod blobs;
pub mod db;
pub mod private;
