//! Failures: transport errors, deadlines, cancelling, and the retry rule.

use super::state::{ChunkState, Kind, Phase, Upload};
use crate::decode::{ApiError, Retry};
use crate::outstanding::Fed;
use crate::upload::action::{Action, InputError, RequestId, StoredCheck, UploadError};
use crate::upload::backoff::step_retry;

impl Upload {
    /// A request failed without a response (connection refused or reset,
    /// timed out, body could not be sent).
    pub fn on_transport_error(
        &mut self,
        id: RequestId,
        message: &str,
        now: u64,
    ) -> Result<Fed, InputError> {
        let p = match self.take_pending(id) {
            Ok(p) => p,
            Err(answer) => return answer,
        };
        let e = ApiError::transport(message, true);
        self.handle_failure(p.kind, e, now, true);
        Ok(Fed::Accepted)
    }

    /// Checks deadlines: a request past its deadline counts as a transport
    /// failure and its late answer is ignored ([`Fed::Ignored`](crate::upload::Fed::Ignored)).
    pub fn on_timeout(&mut self, now: u64) {
        if self.phase == Phase::Finished {
            return;
        }
        for (_, kind) in self.out.expire(now) {
            let e = ApiError::transport("no response before the deadline", true);
            self.handle_failure(kind, e, now, true);
        }
    }

    /// Stops the upload: outstanding requests are abandoned and the session,
    /// if any, is cancelled on the server (`DELETE upload/{id}/`).
    pub fn cancel(&mut self) {
        if self.phase == Phase::Finished {
            return;
        }
        self.abandon_everything();
        self.outcome = None;
        self.phase = Phase::Cancelling;
    }

    pub(super) fn bump(&mut self, kind: Kind) -> u32 {
        let key = match kind {
            Kind::Chunk(_) => kind,
            // One budget for the single send and the checks around it.
            Kind::FindSingle => Kind::Single,
            Kind::StreamCheck => Kind::Stream,
            k => k,
        };
        let n = self.attempts.entry(key).or_insert(1);
        *n += 1;
        *n
    }

    pub(super) fn handle_failure(&mut self, kind: Kind, e: ApiError, now: u64, transport: bool) {
        if self.phase == Phase::Cancelling {
            if kind == Kind::Cancel {
                self.attempts.insert(Kind::Cancel, 1);
                self.outcome = Some(Action::Failed(UploadError::Cancelled));
            }
            return;
        }
        // Whether this failure may be retried at all, and when.
        let mut retry = if transport {
            Retry::Backoff
        } else {
            step_retry(&e)
        };
        if kind == Kind::VerifyStored {
            return self.verify_failed(e, retry, now);
        }
        let session_gone = matches!(e.status, Some(404) | Some(410))
            || matches!(e.code_number(), Some(10507) | Some(10508));
        if session_gone && self.upload_id.is_some() && kind != Kind::FindSingle {
            let upload_id = self.upload_id.clone().unwrap_or_default();
            self.outcome = Some(Action::Failed(UploadError::SessionExpired { upload_id }));
            return;
        }
        if matches!(e.code_number(), Some(10778) | Some(10779)) {
            // A chunk whose own hash failed was damaged on the way: send it
            // once more. A second refusal, or one outside a chunk, means the
            // file's CRC does not match what the server holds: terminal.
            let strike = match kind {
                Kind::Chunk(order) => self.integrity_strikes.insert(order),
                _ => false,
            };
            if !strike {
                self.outcome = Some(Action::Failed(UploadError::Integrity {
                    expected: None,
                    computed: None,
                }));
                return;
            }
            retry = Retry::Backoff;
        }
        let wait_ms = match retry {
            // The limits are advice: a server that refuses them (or never
            // answers, below) leaves the plan as configured.
            Retry::Never if kind == Kind::Limits => {
                self.phase = Phase::Start;
                return;
            }
            Retry::Never => {
                self.outcome = Some(Action::Failed(UploadError::Api {
                    what: kind.what(),
                    error: Box::new(e),
                }));
                return;
            }
            r => self.cfg.retry.rate_limit_wait_ms(r),
        };
        let attempts = self.bump(kind);
        if attempts > self.cfg.retry.max_attempts && kind == Kind::Limits {
            self.phase = Phase::Start;
            return;
        }
        if attempts > self.cfg.retry.max_attempts {
            self.outcome = Some(Action::Failed(UploadError::RetriesExhausted {
                what: kind.what(),
                attempts: attempts - 1,
                last: Box::new(e),
            }));
            return;
        }
        let delay = wait_ms.unwrap_or_else(|| {
            self.cfg
                .retry
                .delay_ms(attempts.saturating_sub(1), &mut self.jitter)
        });
        let at = now.saturating_add(delay);
        match kind {
            Kind::Chunk(order) => {
                let i = (order - 1) as usize;
                if let Some(ChunkState::InFlight { data, digest }) = self.chunks.get(i).cloned() {
                    self.chunks.set(
                        i,
                        ChunkState::Ready {
                            data,
                            digest,
                            not_before_ms: at,
                        },
                    );
                }
            }
            Kind::Single => {
                // The data may be committed: ask the server before resending.
                if retry == Retry::Backoff {
                    self.phase = Phase::Start;
                    self.not_before_ms = at;
                    self.find_single = true;
                } else {
                    self.phase = Phase::Start;
                    self.not_before_ms = at;
                }
            }
            Kind::Stream => {
                if self.upload_id.is_some() {
                    self.stream_check = true;
                    self.phase = Phase::Start;
                    self.not_before_ms = at;
                } else {
                    self.outcome = Some(Action::Failed(UploadError::StreamInterrupted));
                }
            }
            // A failed check is asked again, never turned into a resend.
            Kind::FindSingle => {
                self.find_single = true;
                self.not_before_ms = at;
            }
            Kind::StreamCheck => {
                self.stream_check = true;
                self.not_before_ms = at;
            }
            _ => self.not_before_ms = at,
        }
    }

    /// The stored node's details could not be read. The file is stored, so
    /// the upload does not fail: after the allowed retries the check is
    /// reported as not made, with the reason.
    fn verify_failed(&mut self, e: ApiError, retry: Retry, now: u64) {
        let attempts = self.bump(Kind::VerifyStored);
        if retry == Retry::Never || attempts > self.cfg.retry.max_attempts {
            self.finish_stored(StoredCheck::Unavailable {
                reason: format!("the stored node's details could not be read: {e}"),
            });
            return;
        }
        let delay = self.cfg.retry.rate_limit_wait_ms(retry).unwrap_or_else(|| {
            self.cfg
                .retry
                .delay_ms(attempts.saturating_sub(1), &mut self.jitter)
        });
        self.not_before_ms = now.saturating_add(delay);
    }
}
