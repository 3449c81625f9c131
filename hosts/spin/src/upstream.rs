//! Upstream calls of the chunk relay, each answered by one decoded upload
//! session. A call the core calls resendable (every envelope call: a chunk's
//! same `order` replaces it, a repeated complete is refused and the status
//! poll answers) is sent again on a fresh request when the
//! connection fails or Fast.io answers 5xx/408/429, before the relay answers
//! 502: the gateway holds the whole request, so the client need not resend
//! the chunk for a blip between the edge and Fast.io. The decision and the
//! backoff are the core's ([`RetryPolicy`]), with short waits because a
//! client is waiting on the answer.

use fastio_core::api::{Call, Client};
use fastio_core::decode::ApiError;
use fastio_core::decode::decode_as;
use fastio_core::decode::models::UploadSession;
use fastio_core::upload::RetryPolicy;
use fastio_core::upload::backoff::Jitter;
use serde_json::json;

use crate::exchange::exchange_for;
use crate::incoming::mono_ms;
use crate::reply::Reply;

/// The relay's retries: one more attempt, after at most a second (a 429's
/// own wait is honoured up to five seconds).
pub const RELAY_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 2,
    base_ms: 250,
    max_ms: 1_000,
    max_rate_limit_wait_ms: 5_000,
};

/// What went wrong on one attempt.
enum Failure {
    /// No answer: connection refused, reset or closed, timed out.
    Transport(String),
    /// An answer that is an error.
    Api(Box<ApiError>),
}

impl Failure {
    /// The wait before the next attempt, if the core's rule for a
    /// resendable step allows one.
    fn wait_ms(&self, policy: &RetryPolicy, retry: u32, jitter: &mut Jitter) -> Option<u64> {
        match self {
            Failure::Transport(m) => {
                policy.step_wait_ms(&ApiError::transport(m.as_str(), true), retry, jitter)
            }
            Failure::Api(e) => policy.step_wait_ms(e, retry, jitter),
        }
    }

    fn reply(self, attempts: u32) -> Reply {
        let reply = match self {
            Failure::Transport(e) => Reply::error(502, "upstream_unreachable", e),
            Failure::Api(e) => {
                let status = if e.status == Some(406) { 422 } else { 502 };
                let code = if status == 422 {
                    "upstream_rejected_chunk"
                } else {
                    "upstream_failed"
                };
                Reply::error(status, code, e.to_string()).with("upstream_status", json!(e.status))
            }
        };
        reply.with("attempts", json!(attempts))
    }
}

fn sleep_ms(ms: u64) {
    if ms > 0 {
        wasip2::clocks::monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
    }
}

/// Sends `call` (waiting up to `wait_s` more than usual for a long poll)
/// and decodes the session it answers, re-sending it per [`RELAY_RETRY`]
/// when the core says the call may be resent.
pub fn send(client: &Client, call: &Call, wait_s: u32) -> Result<UploadSession, Reply> {
    let req = client
        .build(call)
        .map_err(|e| Reply::error(400, "bad_request", e.to_string()))?;
    let policy = RELAY_RETRY;
    let max_attempts = if call.is_resendable() {
        policy.max_attempts.max(1)
    } else {
        1
    };
    let mut jitter = Jitter::new(mono_ms());
    let mut attempt = 1;
    loop {
        // Each attempt is a new outgoing request, so a new connection.
        let failure = match exchange_for(&req, 120_000 + u64::from(wait_s) * 1000) {
            Err(e) => Failure::Transport(e),
            Ok(resp) => {
                match decode_as::<UploadSession>(&resp, &client.decode_options_with(true)) {
                    Ok(d) => return Ok(d.value),
                    Err(e) => Failure::Api(Box::new(e)),
                }
            }
        };
        if attempt >= max_attempts {
            return Err(failure.reply(attempt));
        }
        match failure.wait_ms(&policy, attempt, &mut jitter) {
            Some(ms) => sleep_ms(ms),
            None => return Err(failure.reply(attempt)),
        }
        attempt += 1;
    }
}
