//! Waiting for an AI answer without polling the turn in a tight loop.
//!
//! The official client reads the turn's details; while the turn is not
//! terminal it long-polls the profile's activity (`GET activity/poll/{id}/`,
//! which the server holds until something changes or `wait` runs out),
//! carrying the string cursor of the previous poll, and reads the details
//! again after each poll — all within a 300 s budget; a 401 ends it
//! (fastio_cli src/bin/fastio/commands/ai.rs:786-796, 930-1070 @96b1551).
//! Reading the details over and over is the documented anti-pattern
//! (src/bin/fastio/commands/ai.rs:936-942).
//!
//! # Run loop
//!
//! Pull [`AnswerAction`]s with [`AnswerWait::next_action`]: for `Send`, pass
//! the response to [`AnswerWait::on_response`] (or the failure to
//! [`AnswerWait::on_transport_error`]); for `Wait`, sleep until `until_ms`
//! unless an answer arrives, then call [`AnswerWait::on_timeout`]. `Done`
//! carries the decoded turn, `Failed` why there is none. Time is the host's
//! monotonic clock in ms, given to every call.

use crate::api::{AiCall, BuildError, Call, Client, EventsCall, Profile};
use crate::decode::models::{Activity, AiMessage, TurnStatus};
use crate::decode::{ApiError, ErrorKind, Retry, decode_as};
use crate::http::{HttpRequest, HttpResponse};
use crate::outstanding::Outstanding;
use crate::upload::action::{InputError, RequestId};
use crate::upload::backoff::{Jitter, RetryPolicy};

pub use crate::api::MAX_ACTIVITY_WAIT_S;

/// A poll answered sooner than this did not hold the request.
const QUICK_MS: u64 = 1_000;

/// Quick polls that did report a new cursor, in a row, before they are
/// slowed down too: real activity passes at once, a server that never holds
/// the request does not make the wait spin.
const QUICK_STREAK: u32 = 3;

/// Limits of an answer wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerWaitConfig {
    /// How long the whole wait may take, ms, from the first `next_action`
    /// (the official client allows 300 s).
    pub budget_ms: u64,
    /// The `wait` of each activity poll, seconds, 1 to 95 (the official
    /// client uses 20 so the budget is checked often).
    pub poll_wait_s: u32,
    /// The least pause before the next request after a poll that answered at
    /// once without news, or after a failure, ms.
    pub min_gap_ms: u64,
    /// The longest pause between requests, ms.
    pub max_gap_ms: u64,
    /// How long a request may go unanswered beyond the time the server may
    /// hold it, ms.
    pub request_timeout_ms: u64,
    /// Seeds the jitter of retry backoffs.
    pub seed: u64,
}

impl Default for AnswerWaitConfig {
    fn default() -> Self {
        AnswerWaitConfig {
            budget_ms: 300_000,
            poll_wait_s: 20,
            min_gap_ms: 2_000,
            max_gap_ms: 30_000,
            request_timeout_ms: 30_000,
            seed: 0x5EED,
        }
    }
}

/// The next thing the host must do.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AnswerAction {
    /// Send this request; pass its response to `on_response(id, …)`, or its
    /// failure to `on_transport_error(id, …)`.
    Send {
        /// The request's id.
        id: RequestId,
        /// The request.
        request: HttpRequest,
    },
    /// Nothing to do before this time (host clock, ms) unless an answer
    /// arrives; then call `on_timeout(now)`.
    Wait {
        /// When to call `on_timeout`.
        until_ms: u64,
    },
    /// The turn reached `complete`, `errored` or `needs_input`.
    Done(AiMessage),
    /// No answer; nothing more will happen.
    Failed(AnswerError),
}

/// Why a wait ended without a terminal turn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// The server refused the credential (HTTP 401): sign in again.
    #[error("{what} was refused (401): the credential is not accepted; sign in again")]
    Unauthorized {
        /// Which step.
        what: String,
        /// The server's answer.
        error: Box<ApiError>,
    },
    /// The server refused a request for good (403, 404, a malformed answer…).
    #[error("{what} failed: {error}")]
    Api {
        /// Which step.
        what: String,
        /// The server's answer.
        error: Box<ApiError>,
    },
    /// The budget ran out before the turn was terminal.
    #[error("no final answer within {budget_ms} ms (last state: {})", last_state.as_deref().unwrap_or("unknown"))]
    TimedOut {
        /// The budget, ms.
        budget_ms: u64,
        /// The last state read, when any.
        last_state: Option<String>,
    },
    /// A request could not be built (an empty id, a `wait` over 95).
    #[error(transparent)]
    Build(#[from] BuildError),
}

pub use crate::outstanding::Fed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Details,
    Poll,
}

impl Step {
    fn what(self) -> &'static str {
        match self {
            Step::Details => "reading the turn's details",
            Step::Poll => "polling the activity",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    step: Step,
    sent_ms: u64,
}

/// One wait for one AI turn, driven by the host.
#[derive(Debug)]
pub struct AnswerWait {
    client: Client,
    profile: Profile,
    chat_id: String,
    turn_id: String,
    cfg: AnswerWaitConfig,
    retry: RetryPolicy,
    jitter: Jitter,
    /// The end of the budget, fixed by the first `next_action`.
    deadline_ms: Option<u64>,
    step: Step,
    /// The one outstanding request and the ids given up on.
    out: Outstanding<Pending>,
    not_before_ms: u64,
    cursor: Option<String>,
    failures: u32,
    quick_streak: u32,
    slowdowns: u32,
    last_state: Option<TurnStatus>,
    outcome: Option<AnswerAction>,
    finished: bool,
}

impl AnswerWait {
    /// A wait for turn `turn_id` of chat `chat_id` in `profile`. Refuses a
    /// `poll_wait_s` outside 1–95 with [`BuildError::InvalidParam`] naming
    /// `wait`.
    pub fn new(
        client: Client,
        profile: Profile,
        chat_id: impl Into<String>,
        turn_id: impl Into<String>,
        cfg: AnswerWaitConfig,
    ) -> Result<Self, AnswerError> {
        if cfg.poll_wait_s == 0 || cfg.poll_wait_s > MAX_ACTIVITY_WAIT_S {
            return Err(BuildError::InvalidParam {
                field: "wait",
                reason: format!(
                    "must be 1 to {MAX_ACTIVITY_WAIT_S} seconds, got {}",
                    cfg.poll_wait_s
                ),
            }
            .into());
        }
        let retry = RetryPolicy {
            base_ms: cfg.min_gap_ms.max(1),
            max_ms: cfg.max_gap_ms.max(cfg.min_gap_ms),
            ..RetryPolicy::default()
        };
        Ok(AnswerWait {
            client,
            profile,
            chat_id: chat_id.into(),
            turn_id: turn_id.into(),
            jitter: Jitter::new(cfg.seed),
            retry,
            cfg,
            deadline_ms: None,
            step: Step::Details,
            out: Outstanding::default(),
            not_before_ms: 0,
            cursor: None,
            failures: 0,
            quick_streak: 0,
            slowdowns: 0,
            last_state: None,
            outcome: None,
            finished: false,
        })
    }

    /// The activity cursor the next poll carries.
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// True once `Done` or `Failed` has been handed out.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn finish(&mut self, action: AnswerAction) {
        self.out.abandon_all();
        self.outcome = Some(action);
    }

    fn timed_out(&mut self) {
        let e = AnswerError::TimedOut {
            budget_ms: self.cfg.budget_ms,
            last_state: self.last_state.as_ref().map(|s| s.as_str().to_string()),
        };
        self.finish(AnswerAction::Failed(e));
    }

    /// The next action; `None` once the wait has ended.
    #[must_use = "the host must carry out the action"]
    pub fn next_action(&mut self, now: u64) -> Option<AnswerAction> {
        if self.finished {
            return None;
        }
        if let Some(a) = self.outcome.take() {
            self.finished = true;
            return Some(a);
        }
        let deadline = *self
            .deadline_ms
            .get_or_insert_with(|| now.saturating_add(self.cfg.budget_ms));
        if let Some(until_ms) = self.out.next_deadline() {
            return Some(AnswerAction::Wait { until_ms });
        }
        if now >= deadline {
            self.timed_out();
            return self.next_action(now);
        }
        if now < self.not_before_ms {
            return Some(AnswerAction::Wait {
                until_ms: self.not_before_ms.min(deadline),
            });
        }
        let (call, hold_ms) = match self.step {
            Step::Details => (
                Call::Ai(AiCall::AgentPoll {
                    profile: self.profile.clone(),
                    chat_id: self.chat_id.clone(),
                    message_id: self.turn_id.clone(),
                }),
                0,
            ),
            Step::Poll => {
                let remaining_s = (deadline - now) / 1000;
                if remaining_s == 0 {
                    // Less than a second left: a poll could not be held.
                    self.timed_out();
                    return self.next_action(now);
                }
                let wait = u32::try_from(remaining_s)
                    .unwrap_or(u32::MAX)
                    .min(self.cfg.poll_wait_s);
                (
                    Call::Events(EventsCall::ActivityPoll {
                        entity_id: self.profile.id().to_string(),
                        wait: Some(wait),
                        lastactivity: self.cursor.clone(),
                        updated: None,
                    }),
                    u64::from(wait) * 1000,
                )
            }
        };
        match self.client.build(&call) {
            Ok(request) => {
                let limit = now
                    .saturating_add(hold_ms)
                    .saturating_add(self.cfg.request_timeout_ms);
                let sent = Pending {
                    step: self.step,
                    sent_ms: now,
                };
                let id = self.out.insert(sent, limit.min(deadline));
                Some(AnswerAction::Send { id, request })
            }
            Err(e) => {
                self.finish(AnswerAction::Failed(e.into()));
                self.next_action(now)
            }
        }
    }

    /// Matches an answer to the outstanding request. A late answer (to a
    /// request abandoned on its deadline or when the wait ended) is
    /// `Ok(None)`; an id never issued or already answered is a misuse.
    fn take(&mut self, id: RequestId) -> Result<Option<Pending>, InputError> {
        Ok(self.out.take(id)?.map(|e| e.kind))
    }

    /// The response to a `Send`.
    pub fn on_response(
        &mut self,
        id: RequestId,
        resp: &HttpResponse,
        now: u64,
    ) -> Result<Fed, InputError> {
        let Some(p) = self.take(id)? else {
            return Ok(Fed::Ignored);
        };
        // Both calls are reads, so any failure may be retried.
        let opts = self.client.decode_options_with(true);
        match p.step {
            Step::Details => match decode_as::<AiMessage>(resp, &opts) {
                Ok(d) => {
                    self.failures = 0;
                    let turn = d.value;
                    self.last_state = Some(turn.state.clone());
                    if turn.state.is_terminal() {
                        self.finish(AnswerAction::Done(turn));
                    } else {
                        self.step = Step::Poll;
                    }
                }
                Err(e) => self.failed(p.step, e, now),
            },
            Step::Poll => match decode_as::<Activity>(resp, &opts) {
                Ok(d) => {
                    self.failures = 0;
                    self.polled(p, d.value.lastactivity, now);
                }
                Err(e) => self.failed(p.step, e, now),
            },
        }
        Ok(Fed::Accepted)
    }

    /// A poll answered: keep its cursor, and pause before the next request
    /// when the server did not hold this one.
    fn polled(&mut self, p: Pending, cursor: Option<String>, now: u64) {
        let advanced = cursor.is_some() && cursor != self.cursor;
        if cursor.is_some() {
            self.cursor = cursor;
        }
        let quick = now.saturating_sub(p.sent_ms) < QUICK_MS;
        if quick {
            self.quick_streak += 1;
        } else {
            self.quick_streak = 0;
            self.slowdowns = 0;
        }
        if quick && (!advanced || self.quick_streak > QUICK_STREAK) {
            self.slowdowns += 1;
            let shift = self.slowdowns.saturating_sub(1).min(20);
            let cap = self
                .cfg
                .max_gap_ms
                .min(u64::from(self.cfg.poll_wait_s) * 1000)
                .max(self.cfg.min_gap_ms);
            let delay = self.cfg.min_gap_ms.saturating_mul(1 << shift).min(cap);
            self.not_before_ms = now.saturating_add(delay);
        }
        self.step = Step::Details;
    }

    /// A failed request: a 401 ends the wait; a 5xx, 408, 429 or transport
    /// failure is retried after a pause within the budget (both calls are
    /// reads; the official client classifies poll errors so,
    /// src/bin/fastio/commands/mod.rs:172-193 @96b1551); anything else ends
    /// the wait.
    fn failed(&mut self, step: Step, e: ApiError, now: u64) {
        if e.status == Some(401) {
            return self.finish(AnswerAction::Failed(AnswerError::Unauthorized {
                what: step.what().into(),
                error: Box::new(e),
            }));
        }
        let transient =
            e.kind == ErrorKind::Transport || matches!(e.status, Some(408 | 429 | 500..=599));
        if !transient {
            return self.finish(AnswerAction::Failed(AnswerError::Api {
                what: step.what().into(),
                error: Box::new(e),
            }));
        }
        self.failures += 1;
        let backoff = self
            .retry
            .delay_ms(self.failures, &mut self.jitter)
            .max(self.cfg.min_gap_ms);
        // A 429's expiry arrives already turned into a relative wait (against
        // the answer's own `Date`); an expiry without a `Date` cannot be
        // compared with this monotonic clock, so it backs off instead.
        let delay = match e.retry {
            Retry::After { seconds } => seconds.saturating_mul(1000).max(self.cfg.min_gap_ms),
            _ => backoff,
        };
        self.not_before_ms = now.saturating_add(delay);
    }

    /// A request failed without a response (refused, reset, timed out).
    pub fn on_transport_error(
        &mut self,
        id: RequestId,
        message: &str,
        now: u64,
    ) -> Result<Fed, InputError> {
        let Some(p) = self.take(id)? else {
            return Ok(Fed::Ignored);
        };
        self.failed(p.step, ApiError::transport(message, true), now);
        Ok(Fed::Accepted)
    }

    /// Checks the outstanding request's deadline and the budget.
    pub fn on_timeout(&mut self, now: u64) {
        if self.finished || self.outcome.is_some() {
            return;
        }
        if let Some((_, p)) = self.out.expire(now).into_iter().next() {
            if self.deadline_ms.is_some_and(|d| now >= d) {
                return self.timed_out();
            }
            self.failed(
                p.step,
                ApiError::transport("no response before the deadline", true),
                now,
            );
        }
    }
}

#[cfg(test)]
mod tests;
