//! Upload sessions: single request, chunked (with background assembly), stream, batch, web
//! import, and the session bookkeeping around them.
//!
//! Durability: a chunk is written to a temporary file, fsynced, renamed into the session's
//! directory and the directory fsynced; only then is its row committed and the request
//! answered. Assembly writes the whole file to a temporary path and renames it into `blobs/`
//! before the node row is committed, so a half-written file is never visible.

mod addfile;
mod assemble;
mod chunks;
mod create;
mod hash;
mod limits;
mod session;
mod status;
mod stream;
mod web;

pub use addfile::addfile;
pub use assemble::{complete, resume_after_restart, run_assembly};
pub use chunks::{chunk, chunk_delete, chunk_status};
pub use create::{batch, create_or_single};
pub use limits::{algos, limits};
pub use session::{Session, TERMINAL, load, session_json};
pub use status::{cancel, cancel_all, details, list};
pub use stream::stream;
pub use web::{web_cancel, web_create, web_details, web_list};
