//! The machines as the drivers see them, whichever engine makes the
//! decisions: the one pull-one run loop of the WIT, each answer the machine
//! is fed coming back as `fed` (used, or ignored as late) or as misuse.

use anyhow::Result;

use crate::bindings::exports::fastio::core::requests::Page;
use crate::bindings::exports::fastio::core::types::{Error, HttpRequest, HttpResponse};
use crate::bindings::exports::fastio::core::uploads::{Action, DownloadAction, Fed, InputError};

/// An upload machine as the drivers see it. The outer `Result` is a fault of
/// the engine itself (a trap in the component); the inner one is the
/// machine refusing an input.
pub trait UploadMachine {
    /// The next action (`None`: wait for an answer); see the WIT's run loop.
    fn next_action(&mut self, now: u64) -> Result<Option<Action>>;
    /// Bytes for a read, or a piece of a streamed request body.
    fn on_data(&mut self, id: u64, data: &[u8], now: u64) -> Result<Result<Fed, InputError>>;
    /// The response to a send.
    fn on_response(
        &mut self,
        id: u64,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Result<Fed, InputError>>;
    /// A send that got no response.
    fn on_transport_error(
        &mut self,
        id: u64,
        message: &str,
        now: u64,
    ) -> Result<Result<Fed, InputError>>;
    /// The time of a `wait` has come.
    fn on_timeout(&mut self, now: u64) -> Result<()>;
    /// The resume token, when the upload can be resumed.
    fn snapshot(&mut self) -> Result<Option<String>>;
}

/// A download machine as the drivers see it (same `Result` layering as
/// [`UploadMachine`]).
pub trait DownloadMachine {
    /// The next action.
    fn next_action(&mut self, now: u64) -> Result<Option<DownloadAction>>;
    /// A response, or the head of a streamed one.
    fn on_response(
        &mut self,
        id: u64,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Result<Fed, InputError>>;
    /// A piece of a streamed body.
    fn on_data(&mut self, id: u64, data: &[u8]) -> Result<Result<Fed, InputError>>;
    /// The streamed body ended.
    fn on_end(&mut self, id: u64) -> Result<Result<Fed, InputError>>;
    /// A send that got no response, or a body that broke off.
    fn on_transport_error(
        &mut self,
        id: u64,
        message: &str,
        now: u64,
    ) -> Result<Result<Fed, InputError>>;
    /// The time of a `wait` has come.
    fn on_timeout(&mut self, now: u64) -> Result<()>;
}

/// A listing walk as the drivers see it (same `Result` layering as
/// [`UploadMachine`]): send what `next_request` gives, feed the answer back,
/// until `next_request` is `None`.
pub trait PagerMachine {
    /// The request for the next page; `None` once the last page was read.
    fn next_request(&mut self) -> Result<Result<Option<HttpRequest>, Error>>;
    /// Reads the answer to the last request and advances.
    fn on_response(&mut self, resp: &HttpResponse) -> Result<Result<Page, Error>>;
}
