//! AI chat over a workspace or share (reference §7).

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Profile, Req, invalid};
use crate::http::Method;

/// The longest question the API accepts, in characters.
pub const MAX_QUESTION_CHARS: usize = 32_000;

/// AI calls. `profile` selects `workspace/{id}` or `share/{id}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AiCall {
    /// `POST …/ai/agent/` (form): start a chat with a question.
    AgentCreate {
        /// Workspace or share.
        profile: Profile,
        /// The question (1–32,000 characters).
        question: String,
        /// Chat name.
        #[serde(default)]
        name: Option<String>,
        /// Privacy (`public` is refused by the server).
        #[serde(default)]
        privacy: Option<String>,
        /// `user` or `agent`.
        #[serde(default)]
        kind: Option<String>,
        /// Scope: a JSON array of reference items.
        #[serde(default)]
        references: Option<serde_json::Value>,
        /// Attachments: a JSON array of reference items.
        #[serde(default)]
        subjects: Option<serde_json::Value>,
        /// Makes a retried create safe (≤ 64 characters).
        #[serde(default)]
        idempotency_key: Option<String>,
    },
    /// `POST …/ai/agent/{chat}/message/`: a follow-up question.
    AgentMessage {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
        /// The question.
        question: String,
        /// Scope.
        #[serde(default)]
        references: Option<serde_json::Value>,
        /// Attachments.
        #[serde(default)]
        subjects: Option<serde_json::Value>,
        /// Makes a retried send safe.
        #[serde(default)]
        idempotency_key: Option<String>,
    },
    /// `GET …/ai/agent/{chat}/message/{msg}/details/`: poll a turn.
    AgentPoll {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
        /// The turn.
        message_id: String,
    },
    /// `POST …/ai/agent/{chat}/cancel/` with an empty body.
    AgentCancel {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
    },
    /// `GET …/ai/agent/list/`.
    AgentList {
        /// Workspace or share.
        profile: Profile,
    },
    /// `GET …/ai/agent/{chat}/details/`.
    AgentDetails {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
    },
    /// `DELETE …/ai/agent/{chat}/`.
    AgentDelete {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
    },
    /// Legacy `POST …/ai/chat/`.
    ChatCreate {
        /// Workspace or share.
        profile: Profile,
        /// `chat` or `chat_with_files`.
        #[serde(rename = "type", default = "chat")]
        chat_type: String,
        /// The question.
        question: String,
        /// Personality.
        #[serde(default)]
        personality: Option<String>,
        /// `nodeId:versionId,…`.
        #[serde(default)]
        files_scope: Option<String>,
        /// `nodeId:depth,…` (depth 1–10).
        #[serde(default)]
        folders_scope: Option<String>,
        /// Attached files.
        #[serde(default)]
        files_attach: Option<String>,
    },
    /// Legacy `GET …/ai/chat/{chat}/message/{msg}/details/`.
    ChatPoll {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
        /// The message.
        message_id: String,
    },
}

fn chat() -> String {
    "chat".into()
}

impl AiCall {
    pub(crate) fn is_idempotent(&self) -> bool {
        match self {
            AiCall::AgentCreate {
                idempotency_key, ..
            }
            | AiCall::AgentMessage {
                idempotency_key, ..
            } => idempotency_key.is_some(),
            AiCall::ChatCreate { .. } => false,
            _ => true,
        }
    }
}

fn ai_base(profile: &Profile, kind: &str) -> Result<String, BuildError> {
    Ok(format!(
        "{}/{}/ai/{kind}",
        profile.kind(),
        seg("profile id", profile.id())?
    ))
}

fn check_question(q: &str) -> Result<(), BuildError> {
    let n = q.chars().count();
    if q.trim().is_empty() || n > MAX_QUESTION_CHARS {
        return Err(invalid(
            "question",
            format!("must be 1 to {MAX_QUESTION_CHARS} characters, got {n}"),
        ));
    }
    Ok(())
}

fn check_refs(
    field: &'static str,
    v: &Option<serde_json::Value>,
) -> Result<Option<String>, BuildError> {
    match v {
        None => Ok(None),
        Some(serde_json::Value::Array(items)) => {
            if items.len() > 100 {
                return Err(invalid(field, "at most 100 references in total"));
            }
            Ok(Some(serde_json::Value::Array(items.clone()).to_string()))
        }
        // A caller may pass the JSON-array string the API wants directly.
        Some(serde_json::Value::String(s)) => match serde_json::from_str(s) {
            Ok(serde_json::Value::Array(_)) => Ok(Some(s.clone())),
            _ => Err(invalid(field, "must be a JSON array")),
        },
        Some(_) => Err(invalid(field, "must be a JSON array")),
    }
}

fn check_idem(k: &Option<String>) -> Result<(), BuildError> {
    if let Some(k) = k
        && (k.is_empty() || k.chars().count() > 64)
    {
        return Err(invalid("idempotency_key", "must be 1 to 64 characters"));
    }
    Ok(())
}

pub(crate) fn build(call: &AiCall) -> Result<Req, BuildError> {
    Ok(match call {
        AiCall::AgentCreate {
            profile,
            question,
            name,
            privacy,
            kind,
            references,
            subjects,
            idempotency_key,
        } => {
            check_question(question)?;
            check_idem(idempotency_key)?;
            Req::post_form(
                join(&[&ai_base(profile, "agent")?]),
                Params::new()
                    .put("question", question)
                    .opt("name", name)
                    .opt("privacy", privacy)
                    .opt("kind", kind)
                    .opt("references", &check_refs("references", references)?)
                    .opt("subjects", &check_refs("subjects", subjects)?)
                    .opt("idempotency_key", idempotency_key)
                    .done(),
            )
        }
        AiCall::AgentMessage {
            profile,
            chat_id,
            question,
            references,
            subjects,
            idempotency_key,
        } => {
            check_question(question)?;
            check_idem(idempotency_key)?;
            Req::post_form(
                join(&[
                    &ai_base(profile, "agent")?,
                    &seg("chat_id", chat_id)?,
                    "message",
                ]),
                Params::new()
                    .put("question", question)
                    .opt("references", &check_refs("references", references)?)
                    .opt("subjects", &check_refs("subjects", subjects)?)
                    .opt("idempotency_key", idempotency_key)
                    .done(),
            )
        }
        AiCall::AgentPoll {
            profile,
            chat_id,
            message_id,
        } => Req::get(join(&[
            &ai_base(profile, "agent")?,
            &seg("chat_id", chat_id)?,
            "message",
            &seg("message_id", message_id)?,
            "details",
        ])),
        AiCall::AgentCancel { profile, chat_id } => Req::new(
            Method::Post,
            join(&[
                &ai_base(profile, "agent")?,
                &seg("chat_id", chat_id)?,
                "cancel",
            ]),
        ),
        AiCall::AgentList { profile } => Req::get(join(&[&ai_base(profile, "agent")?, "list"])),
        AiCall::AgentDetails { profile, chat_id } => Req::get(join(&[
            &ai_base(profile, "agent")?,
            &seg("chat_id", chat_id)?,
            "details",
        ])),
        AiCall::AgentDelete { profile, chat_id } => Req::delete(join(&[
            &ai_base(profile, "agent")?,
            &seg("chat_id", chat_id)?,
        ])),
        AiCall::ChatCreate {
            profile,
            chat_type,
            question,
            personality,
            files_scope,
            folders_scope,
            files_attach,
        } => {
            check_question(question)?;
            if chat_type != "chat" && chat_type != "chat_with_files" {
                return Err(invalid("type", "must be chat or chat_with_files"));
            }
            Req::post_form(
                join(&[&ai_base(profile, "chat")?]),
                Params::new()
                    .put("type", chat_type)
                    .put("question", question)
                    .opt("personality", personality)
                    .opt("files_scope", files_scope)
                    .opt("folders_scope", folders_scope)
                    .opt("files_attach", files_attach)
                    .done(),
            )
        }
        AiCall::ChatPoll {
            profile,
            chat_id,
            message_id,
        } => Req::get(join(&[
            &ai_base(profile, "chat")?,
            &seg("chat_id", chat_id)?,
            "message",
            &seg("message_id", message_id)?,
            "details",
        ])),
    })
}
