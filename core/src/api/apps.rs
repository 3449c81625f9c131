//! The service's built-in helpers: apps (widgets launched in a workspace or
//! share) and the how-to assistant (fastio_cli src/api/apps.rs:10-50,
//! src/api/howto.rs:25-112 @96b1551).

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Profile, Req, invalid};

/// The longest how-to question, in characters (howto.rs:29).
pub const MAX_HOWTO_QUESTION: usize = 2000;
/// The longest how-to context, in characters (howto.rs:33).
pub const MAX_HOWTO_CONTEXT: usize = 8000;

/// App and how-to calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AppsCall {
    /// `GET apps/list/` (apps.rs:10-16).
    List,
    /// `GET apps/{id}/details/` (apps.rs:18-24).
    Details {
        /// The app.
        app_id: String,
    },
    /// `POST apps/{id}/launch/` with JSON `{context_type, context_id}`
    /// (apps.rs:26-41).
    Launch {
        /// The app.
        app_id: String,
        /// Where it runs.
        profile: Profile,
    },
    /// `GET apps/tool/{name}/` (apps.rs:43-49).
    ToolApps {
        /// The tool.
        tool_name: String,
    },
    /// `POST how-to/` (form `question`, `context`, `surface`): an answer or
    /// a request for clarification (howto.rs:66-112).
    HowTo {
        /// 1 to [`MAX_HOWTO_QUESTION`] characters.
        question: String,
        /// Up to [`MAX_HOWTO_CONTEXT`] characters.
        #[serde(default)]
        context: Option<String>,
        /// Where the asker is (`cli`, `api`, …).
        #[serde(default)]
        surface: Option<String>,
    },
}

pub(crate) fn build(c: &AppsCall) -> Result<Req, BuildError> {
    Ok(match c {
        AppsCall::List => Req::get("apps/list/".into()),
        AppsCall::Details { app_id } => {
            Req::get(join(&["apps", &seg("app_id", app_id)?, "details"]))
        }
        AppsCall::Launch { app_id, profile } => Req::post_json(
            join(&["apps", &seg("app_id", app_id)?, "launch"]),
            serde_json::json!({"context_type": profile.kind(), "context_id": profile.id()}),
        ),
        AppsCall::ToolApps { tool_name } => {
            Req::get(join(&["apps", "tool", &seg("tool_name", tool_name)?]))
        }
        AppsCall::HowTo {
            question,
            context,
            surface,
        } => {
            let n = question.trim().chars().count();
            if n == 0 || n > MAX_HOWTO_QUESTION {
                return Err(invalid(
                    "question",
                    format!("must be 1 to {MAX_HOWTO_QUESTION} characters, not {n}"),
                ));
            }
            if let Some(c) = context
                && c.chars().count() > MAX_HOWTO_CONTEXT
            {
                return Err(invalid(
                    "context",
                    format!("is over {MAX_HOWTO_CONTEXT} characters"),
                ));
            }
            Req::post_form(
                "how-to/".into(),
                Params::new()
                    .put("question", question)
                    .opt("context", context)
                    .opt("surface", surface)
                    .done(),
            )
        }
    })
}
