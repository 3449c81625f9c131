//! AI chat over a workspace or share (reference §7), as the official client
//! sends it (`fastio-cli-contract.md` §7).

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Profile, Req, invalid};
use crate::http::Method;

/// The most files one AI summary covers (fastio_cli src/api/ai.rs:641-660 @96b1551).
pub const MAX_SUMMARY_FILES: usize = 25;

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
        /// Privacy (`public` is refused by the server). Workspace chats
        /// only: a share refuses it, so it is refused here for a share.
        #[serde(default)]
        privacy: Option<String>,
        /// `user` or `agent`. Workspace chats only, like `privacy`.
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
    /// `POST …/ai/agent/{chat}/cancel/` with no body and no
    /// `Content-Type`. The answer is not an envelope: decode it as
    /// [`crate::decode::models::AiCancel`].
    AgentCancel {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
    },
    /// `GET …/ai/agent/list/?kind&limit&offset`, or with `deleted` the
    /// soft-deleted chats at `…/ai/agent/list/deleted` (no trailing slash).
    AgentList {
        /// Workspace or share.
        profile: Profile,
        /// `user` (the server's default), `agent` or `all`.
        #[serde(default)]
        kind: Option<String>,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Chats to skip.
        #[serde(default)]
        offset: Option<u64>,
        /// List soft-deleted chats instead.
        #[serde(default)]
        deleted: bool,
    },
    /// `GET …/ai/agent/{chat}/messages/list/?limit&offset`: a chat's turns.
    AgentMessages {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Turns to skip.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST …/ai/agent/{chat}/update/` (form `name`): rename a chat.
    AgentUpdate {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
        /// The new name.
        name: String,
    },
    /// `POST …/ai/agent/{chat}/publish/` with an empty form: make a private
    /// chat public (one-way; a 403 means publishing is disabled).
    AgentPublish {
        /// Workspace or share.
        profile: Profile,
        /// The chat.
        chat_id: String,
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
    /// `GET workspace/{id}/ai/transactions/`: the latest (up to 40) AI
    /// credit transactions; workspaces only (fastio_cli src/api/ai.rs:499-510
    /// @96b1551).
    Transactions {
        /// The workspace.
        workspace_id: String,
    },
    /// `POST share/{id}/ai/autotitle/` (form `user_context`): the service
    /// writes a title and description onto the share; shares only
    /// (src/api/ai.rs:512-531).
    Autotitle {
        /// The share.
        share_id: String,
        /// A hint for the wording.
        #[serde(default)]
        user_context: Option<String>,
    },
    /// `POST workspace/{id}/ai/share/` (form `files`, a JSON array of 1 to
    /// 25 file ids): a shareable summary of those files
    /// (src/api/ai.rs:641-681).
    SummarizeFiles {
        /// The workspace.
        workspace_id: String,
        /// The files.
        files: Vec<String>,
    },
}

fn chat() -> String {
    "chat".into()
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

/// The chat kinds a chat list filters by.
const CHAT_KINDS: [&str; 3] = ["user", "agent", "all"];

/// `privacy` and `kind` exist on workspace chats only; a share refuses them
/// (fastio_cli src/api/ai.rs:50-56 @96b1551). Refusing here, rather than
/// dropping the field, keeps a caller from believing a share chat was made
/// with a kind or privacy it does not have.
fn check_workspace_only(
    profile: &Profile,
    field: &'static str,
    v: &Option<String>,
) -> Result<(), BuildError> {
    if v.is_some() && matches!(profile, Profile::Share(_)) {
        return Err(invalid(
            field,
            "is for workspace chats only; a share refuses it",
        ));
    }
    Ok(())
}

fn check_page(limit: &Option<u32>) -> Result<(), BuildError> {
    if *limit == Some(0) {
        return Err(invalid("limit", "must be at least 1"));
    }
    Ok(())
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
            check_workspace_only(profile, "privacy", privacy)?;
            check_workspace_only(profile, "kind", kind)?;
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
        AiCall::AgentList {
            profile,
            kind,
            limit,
            offset,
            deleted,
        } => {
            if let Some(k) = kind
                && !CHAT_KINDS.contains(&k.as_str())
            {
                return Err(invalid(
                    "kind",
                    format!("must be user, agent or all, got {k:?}"),
                ));
            }
            check_page(limit)?;
            let base = ai_base(profile, "agent")?;
            // The deleted-chats route has no trailing slash (fastio_cli
            // src/api/ai.rs:427-497 @96b1551), unlike every other AI route.
            let path = if *deleted {
                format!("{base}/list/deleted")
            } else {
                join(&[&base, "list"])
            };
            Req::get(path).query(
                Params::new()
                    .opt("kind", kind)
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .done(),
            )
        }
        AiCall::AgentMessages {
            profile,
            chat_id,
            limit,
            offset,
        } => {
            check_page(limit)?;
            Req::get(join(&[
                &ai_base(profile, "agent")?,
                &seg("chat_id", chat_id)?,
                "messages",
                "list",
            ]))
            .query(
                Params::new()
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .done(),
            )
        }
        AiCall::AgentUpdate {
            profile,
            chat_id,
            name,
        } => {
            if name.trim().is_empty() {
                return Err(invalid("name", "is empty"));
            }
            Req::post_form(
                join(&[
                    &ai_base(profile, "agent")?,
                    &seg("chat_id", chat_id)?,
                    "update",
                ]),
                Params::new().put("name", name).done(),
            )
        }
        AiCall::AgentPublish { profile, chat_id } => Req::post_form(
            join(&[
                &ai_base(profile, "agent")?,
                &seg("chat_id", chat_id)?,
                "publish",
            ]),
            Vec::new(),
        ),
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
        AiCall::Transactions { workspace_id } => Req::get(join(&[
            "workspace",
            &seg("workspace_id", workspace_id)?,
            "ai",
            "transactions",
        ])),
        AiCall::Autotitle {
            share_id,
            user_context,
        } => Req::post_form(
            join(&["share", &seg("share_id", share_id)?, "ai", "autotitle"]),
            Params::new().opt("user_context", user_context).done(),
        ),
        AiCall::SummarizeFiles {
            workspace_id,
            files,
        } => {
            if files.is_empty() || files.len() > MAX_SUMMARY_FILES {
                return Err(invalid(
                    "files",
                    format!(
                        "must name 1 to {MAX_SUMMARY_FILES} files, not {}",
                        files.len()
                    ),
                ));
            }
            if files.iter().any(|f| f.trim().is_empty()) {
                return Err(invalid("files", "holds an empty id"));
            }
            Req::post_form(
                join(&[
                    "workspace",
                    &seg("workspace_id", workspace_id)?,
                    "ai",
                    "share",
                ]),
                Params::new().put("files", serde_json::json!(files)).done(),
            )
        }
    })
}
