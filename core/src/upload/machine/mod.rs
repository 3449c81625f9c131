//! The upload state machine.
//!
//! # Run loop
//!
//! ```text
//! loop {
//!     match upload.next_action(now) {
//!         Some(Action::Send { id, request }) => start sending; later on_response(id, resp, now)
//!                                               or on_transport_error(id, msg, now)
//!         Some(Action::Read { id, offset, len }) => read; on_data(id, bytes, now)
//!         Some(Action::Progress(p)) => show it
//!         Some(Action::Persist { token }) => save the token durably (only with `persist_token`)
//!         Some(Action::Done(d)) | Some(Action::Failed(e)) => stop
//!         Some(Action::Wait { until_ms }) => wait for an input or until_ms, then on_timeout(now)
//!         None => wait for an input (a response or read data)
//!     }
//! }
//! ```
//!
//! Pull actions until `None` or `Wait` before waiting, and feed inputs one at
//! a time. An answer to a request the machine gave up on (past its deadline,
//! or after a failure or `cancel`) is [`Fed::Ignored`](crate::upload::Fed::Ignored), never an error. Several `Send`s may be outstanding at once (up to the in-flight
//! limit); at most one `Read` is. Time is the host's clock in milliseconds.
//!
//! # Flow
//!
//! - Single request (≤ 4 MB): read the file, hash it, `POST upload/`.
//!   After an ambiguous failure (5xx, no answer) the data may be committed,
//!   so the machine lists the user's sessions before sending again.
//! - Chunked: create the session; read, hash and send chunks with up to N in
//!   flight; the last carries `file_crc32c`; complete; poll details with
//!   `wait` until `stored` or a failure status.
//! - Stream (unknown size): create a stream session, stream the body; the
//!   server finalises it. After an ambiguous failure the machine asks the
//!   session's details before deciding.
//! - Placement: an unplaced session is added to a folder with `addfile`.
//! - Resume: see [`Upload::resume`].

mod answers;
mod chunks;
mod config;
mod failures;
mod resume;
mod run;
mod state;

pub use config::{PERSIST_INTERVAL_MS, STORED_DIGEST_ALGO, UploadConfig, UploadSpec};
pub use state::Upload;
