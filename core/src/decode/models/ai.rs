//! AI chat answers, read where the official client reads them
//! (`fastio-cli-contract.md` §7): the turn ids a question returns, a turn's
//! details (state, answer text, citations, clarifying question) and the
//! cancel answer.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::common::{Model, model};
use crate::decode::de;

/// The state of an AI turn, from its `state` field.
///
/// Only `complete`, `errored` and `needs_input` end a wait; `ready`,
/// `in_progress` and `processing` keep waiting, and so does any state this
/// version does not know (fastio_cli src/api/ai.rs:773-786, 855-862
/// @96b1551). `pending` and `running` are the ref's names for the status a
/// new turn reports; they keep waiting too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum TurnStatus {
    /// `complete`: the answer is in.
    Complete,
    /// `errored`: the turn failed.
    Errored,
    /// `needs_input`: the assistant asks a clarifying question instead of
    /// answering.
    NeedsInput,
    /// `ready`: queued.
    Ready,
    /// `in_progress`.
    InProgress,
    /// `processing`.
    Processing,
    /// `pending` (the status of a turn just created).
    Pending,
    /// `running`.
    Running,
    /// A state this version does not know, or none (empty); not terminal.
    Other(String),
}

impl From<String> for TurnStatus {
    fn from(s: String) -> Self {
        match s.as_str() {
            "complete" => TurnStatus::Complete,
            "errored" => TurnStatus::Errored,
            "needs_input" => TurnStatus::NeedsInput,
            "ready" => TurnStatus::Ready,
            "in_progress" => TurnStatus::InProgress,
            "processing" => TurnStatus::Processing,
            "pending" => TurnStatus::Pending,
            "running" => TurnStatus::Running,
            _ => TurnStatus::Other(s),
        }
    }
}

impl From<TurnStatus> for String {
    fn from(s: TurnStatus) -> Self {
        s.as_str().to_string()
    }
}

impl TurnStatus {
    /// The state as the server spells it.
    pub fn as_str(&self) -> &str {
        match self {
            TurnStatus::Complete => "complete",
            TurnStatus::Errored => "errored",
            TurnStatus::NeedsInput => "needs_input",
            TurnStatus::Ready => "ready",
            TurnStatus::InProgress => "in_progress",
            TurnStatus::Processing => "processing",
            TurnStatus::Pending => "pending",
            TurnStatus::Running => "running",
            TurnStatus::Other(s) => s,
        }
    }

    /// A wait for the answer stops here: `complete`, `errored` or
    /// `needs_input`.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            TurnStatus::Complete | TurnStatus::Errored | TurnStatus::NeedsInput
        )
    }
}

/// A JSON id (string or number) as text.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The ids a new chat or follow-up returns: nested `{thread:{thread_id},
/// turn:{turn_id}}` on create, flat `{turn_id, thread_id, seq, status}` on a
/// follow-up (fastio_cli src/bin/fastio/commands/ai.rs:1080-1123 @96b1551).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AiTurnRef {
    /// The chat (thread) id.
    pub thread_id: Option<String>,
    /// The turn (message) id to wait for.
    pub turn_id: Option<String>,
    /// The status, when given.
    pub status: Option<TurnStatus>,
}

impl<'de> Deserialize<'de> for AiTurnRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let pick = |outer: &str, inner: &[&str]| -> Option<String> {
            let from = |o: &Value| inner.iter().find_map(|k| o.get(*k).and_then(id_text));
            v.get(outer).and_then(from).or_else(|| from(&v))
        };
        Ok(AiTurnRef {
            thread_id: pick("thread", &["thread_id", "id", "chat_id"]),
            turn_id: pick("turn", &["turn_id", "message_id", "id"]),
            status: v
                .get("status")
                .or_else(|| v.get("turn").and_then(|t| t.get("status")))
                .and_then(Value::as_str)
                .map(|s| TurnStatus::from(s.to_string())),
        })
    }
}
model!(AiTurnRef, []);

/// The clarifying question of a `needs_input` turn: `{type, question}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clarification {
    /// `type`, when the object carries one (a bare `question` field has none).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The question to answer in a follow-up message.
    pub question: String,
}

/// A turn's details, from `GET …/ai/agent/{chat}/message/{turn}/details/`.
///
/// The turn sits under `message` on a workspace and under `turn` on a share;
/// a payload with neither is the turn itself. Fields are read from the whole
/// payload, first match wins (fastio_cli src/bin/fastio/commands/ai.rs:1135-1178,
/// src/api/ai.rs:753-835 @96b1551):
///
/// - `state`: the turn's `state`;
/// - `answer` (on `complete` or `errored`): the payload's `text`, then the
///   turn's `response.text`, then the turn's `text` — never on `needs_input`,
///   where `text` is the user's own question, nor while the turn runs;
/// - `citations`: the payload's `citations`, then the turn's
///   `response.citations`, then the turn's `citations` (the first that is a
///   list; items are kept as the server sends them, their fields being
///   undocumented);
/// - `clarification` (on `needs_input` only): the first non-empty
///   `clarification.question` of the payload, the turn, the payload's
///   `result`, the turn's `response`; else a bare `question` field of the
///   payload or the turn.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AiMessage {
    /// The state; empty (`Other("")`) when the turn has none, which keeps a
    /// wait going as the official client does.
    pub state: TurnStatus,
    /// Whether `state` ends a wait (kept in the model so every binding reads
    /// the same decision).
    pub terminal: bool,
    /// The answer text.
    pub answer: Option<String>,
    /// Citations, as sent.
    pub citations: Vec<Value>,
    /// The clarifying question of a `needs_input` turn.
    pub clarification: Option<Clarification>,
    /// The whole payload.
    pub raw: Value,
}

impl AiMessage {
    /// Reads a turn's details out of a payload (any JSON; never fails).
    pub fn from_value(raw: Value) -> Self {
        let turn = ["message", "turn"]
            .iter()
            .find_map(|k| raw.get(*k).filter(|v| v.is_object()))
            .unwrap_or(&raw);
        let state = TurnStatus::from(turn.get("state").and_then(id_text).unwrap_or_default());
        let response = turn.get("response");
        // Read only once the turn has ended with an answer or an error: on
        // `needs_input` (and while the turn runs) `text` is the user's own
        // question, not an answer.
        let answer = if !matches!(state, TurnStatus::Complete | TurnStatus::Errored) {
            None
        } else {
            [
                raw.get("text"),
                response.and_then(|r| r.get("text")),
                turn.get("text"),
            ]
            .into_iter()
            .flatten()
            .find_map(Value::as_str)
            .map(str::to_string)
        };
        let citations = [
            raw.get("citations"),
            response.and_then(|r| r.get("citations")),
            turn.get("citations"),
        ]
        .into_iter()
        .flatten()
        .find_map(Value::as_array)
        .cloned()
        .unwrap_or_default();
        let clarification = if state == TurnStatus::NeedsInput {
            clarification(&raw, turn)
        } else {
            None
        };
        AiMessage {
            terminal: state.is_terminal(),
            state,
            answer,
            citations,
            clarification,
            raw,
        }
    }
}

/// The clarifying question, from the five places it may be, in order.
fn clarification(raw: &Value, turn: &Value) -> Option<Clarification> {
    let nested = |holder: Option<&Value>| -> Option<Clarification> {
        let c = holder?.get("clarification")?;
        let q = c.get("question")?.as_str().filter(|q| !q.is_empty())?;
        Some(Clarification {
            kind: c.get("type").and_then(Value::as_str).map(str::to_string),
            question: q.to_string(),
        })
    };
    let bare = |holder: &Value| -> Option<Clarification> {
        let q = holder.get("question")?.as_str().filter(|q| !q.is_empty())?;
        Some(Clarification {
            kind: None,
            question: q.to_string(),
        })
    };
    nested(Some(raw))
        .or_else(|| nested(Some(turn)))
        .or_else(|| nested(raw.get("result")))
        .or_else(|| nested(turn.get("response")))
        .or_else(|| bare(raw))
        .or_else(|| bare(turn))
}

impl<'de> Deserialize<'de> for AiMessage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(AiMessage::from_value)
    }
}
// No nesting keys: the answer text, citations and clarification may sit
// beside the `message`/`turn` object, so the whole payload is read.
model!(AiMessage, []);

/// The answer to `POST …/ai/agent/{chat}/cancel/`: `{success: true,
/// message: {…}}` when a turn was cancelled, `{success: true,
/// no_pending_message: true}` when none was running. It has no `result`
/// (fastio_cli src/api/ai.rs:283-297 @96b1551); a refusal is a 406 with the
/// flat `{result: false, error_message, error_id}` and decodes as an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AiCancel {
    /// `success`.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub success: Option<bool>,
    /// The cancelled turn, when there was one.
    #[serde(default)]
    pub message: Option<Value>,
    /// True when no turn was running.
    #[serde(default, deserialize_with = "de::opt_flag")]
    pub no_pending_message: Option<bool>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
model!(AiCancel, []);
