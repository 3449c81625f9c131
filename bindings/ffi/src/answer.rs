//! The AI-answer wait, wrapped for the FFI like the download: the host sends,
//! sleeps until a `Wait` deadline and feeds answers back; the core decides.

use std::sync::{Arc, Mutex, MutexGuard};

use fastio_core::ai_wait::{
    AnswerAction as CoreAction, AnswerError, AnswerWait as CoreWait, AnswerWaitConfig,
};
use fastio_core::decode::models::AiMessage;

use crate::error::{FastioError, Result, usage};
use crate::http::{CoreClient, Request, Response};
use crate::surface::Fed;
use crate::upload::Target;

/// Limits of an answer wait; `None` keeps the default.
#[derive(Debug, Clone, PartialEq, Eq, Default, uniffi::Record)]
pub struct AnswerWaitOptions {
    /// The whole wait, ms (default 300 000).
    #[uniffi(default = None)]
    pub budget_ms: Option<u64>,
    /// The `wait` of each activity poll, seconds, 1 to 95 (default 20).
    #[uniffi(default = None)]
    pub poll_wait_s: Option<u32>,
    /// The least pause after a poll that answered at once without news, or
    /// after a failure, ms (default 2 000).
    #[uniffi(default = None)]
    pub min_gap_ms: Option<u64>,
    /// How long a request may go unanswered beyond the time the server may
    /// hold it, ms (default 30 000).
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<u64>,
    #[uniffi(default = None)]
    pub seed: Option<u64>,
}

/// The clarifying question of a `needs_input` turn.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AiClarification {
    /// Its `type`, when given.
    pub kind: Option<String>,
    pub question: String,
}

/// A decoded AI turn.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AiTurn {
    /// `complete`, `errored`, `needs_input`, or a state still running.
    pub state: String,
    /// True for `complete`, `errored` and `needs_input`.
    pub terminal: bool,
    /// The answer text (never the user's own question).
    pub answer: Option<String>,
    /// The citations as a JSON array, items as the server sent them.
    pub citations_json: String,
    pub clarification: Option<AiClarification>,
    /// The whole details payload as JSON.
    pub raw_json: String,
}

impl From<AiMessage> for AiTurn {
    fn from(m: AiMessage) -> Self {
        AiTurn {
            state: m.state.as_str().to_string(),
            terminal: m.terminal,
            answer: m.answer,
            citations_json: serde_json::Value::Array(m.citations).to_string(),
            clarification: m.clarification.map(|c| AiClarification {
                kind: c.kind,
                question: c.question,
            }),
            raw_json: m.raw.to_string(),
        }
    }
}

/// The next thing the host must do. A failure comes back as an error from
/// `next_action`: an API error (a 401 among them) keeps its status, a spent
/// budget is `Transfer` with kind `timed_out`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AnswerWaitAction {
    /// Send this request and feed its answer to `on_response`.
    Send { id: u64, request: Request },
    /// Sleep until this time unless an answer arrives; then `on_timeout`.
    Wait { until_ms: u64 },
    /// The turn is terminal.
    Done { turn: AiTurn },
}

fn answer_error(e: AnswerError) -> FastioError {
    let message = e.to_string();
    match e {
        AnswerError::Unauthorized { error, .. } | AnswerError::Api { error, .. } => {
            let mut out = FastioError::from(&*error);
            if let FastioError::Api { detail, .. } = &mut out {
                *detail = message;
            }
            out
        }
        AnswerError::TimedOut { .. } => FastioError::Transfer {
            kind: "timed_out".into(),
            detail: message,
        },
        AnswerError::Build(b) => b.into(),
        _ => FastioError::Transfer {
            kind: "protocol".into(),
            detail: message,
        },
    }
}

/// A wait for one AI turn's answer, driven by the host.
#[derive(uniffi::Object)]
pub struct AnswerWait {
    inner: Mutex<CoreWait>,
}

impl std::fmt::Debug for AnswerWait {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnswerWait")
    }
}

impl AnswerWait {
    fn lock(&self) -> MutexGuard<'_, CoreWait> {
        // See `Upload::lock`: a poisoned lock is recovered rather than propagated as a panic.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[uniffi::export]
impl AnswerWait {
    /// A wait for turn `turn_id` of chat `chat_id`. A `poll_wait_s` over 95
    /// is refused (`InvalidInput`, kind `invalid_param`).
    #[uniffi::constructor]
    pub fn new(
        client: Arc<CoreClient>,
        target: Target,
        chat_id: String,
        turn_id: String,
        options: AnswerWaitOptions,
    ) -> Result<Arc<Self>> {
        let d = AnswerWaitConfig::default();
        let cfg = AnswerWaitConfig {
            budget_ms: options.budget_ms.unwrap_or(d.budget_ms),
            poll_wait_s: options.poll_wait_s.unwrap_or(d.poll_wait_s),
            min_gap_ms: options.min_gap_ms.unwrap_or(d.min_gap_ms),
            request_timeout_ms: options.request_timeout_ms.unwrap_or(d.request_timeout_ms),
            seed: options.seed.unwrap_or(d.seed),
            ..d
        };
        let w = CoreWait::new(client.inner.clone(), target.into(), chat_id, turn_id, cfg)
            .map_err(answer_error)?;
        Ok(Arc::new(AnswerWait {
            inner: Mutex::new(w),
        }))
    }

    /// The next action; `None` once `Done` (or the failure) was handed out.
    pub fn next_action(&self, now_ms: u64) -> Result<Option<AnswerWaitAction>> {
        let action = self.lock().next_action(now_ms);
        Ok(match action {
            None => None,
            Some(CoreAction::Send { id, request }) => Some(AnswerWaitAction::Send {
                id,
                request: Request::from(&request),
            }),
            Some(CoreAction::Wait { until_ms }) => Some(AnswerWaitAction::Wait { until_ms }),
            Some(CoreAction::Done(m)) => Some(AnswerWaitAction::Done { turn: m.into() }),
            Some(CoreAction::Failed(e)) => return Err(answer_error(e)),
            Some(_) => {
                return Err(usage(
                    "the core asked for an action this binding does not know",
                ));
            }
        })
    }

    /// The response to a `Send`. `Ignored` when it answers a request the
    /// wait no longer expects (timed out, or the wait ended).
    pub fn on_response(&self, id: u64, response: Response, now_ms: u64) -> Result<Fed> {
        Ok(self
            .lock()
            .on_response(id, &response.into(), now_ms)?
            .into())
    }

    /// A request that got no response (refused, reset, timed out).
    /// `Ignored` when the wait no longer expected it.
    pub fn on_transport_error(&self, id: u64, message: String, now_ms: u64) -> Result<Fed> {
        Ok(self.lock().on_transport_error(id, &message, now_ms)?.into())
    }

    pub fn on_timeout(&self, now_ms: u64) {
        self.lock().on_timeout(now_ms)
    }
}
