//! Workspace management beyond create, details and update (fastio_cli
//! src/api/workspace.rs:117-250, 386-445 @96b1551): delete with its
//! confirmation in the query, archive and unarchive, limits, the shares a
//! workspace holds, importing a share, name checks and background jobs.

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Req, invalid};

/// Workspace management calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WorkspacesCall {
    /// `DELETE workspace/{id}/delete/?confirm=…` (src/api/workspace.rs:117-129):
    /// `confirm` repeats the workspace's folder name or id, so a stray id
    /// cannot delete the wrong workspace.
    Delete {
        /// The workspace.
        workspace_id: String,
        /// Its folder name or id, repeated.
        confirm: String,
    },
    /// `POST workspace/{id}/archive/` with a JSON `{}` (src/api/workspace.rs:175-181).
    Archive {
        /// The workspace.
        workspace_id: String,
    },
    /// `POST workspace/{id}/unarchive/` with a JSON `{}` (src/api/workspace.rs:183-195).
    Unarchive {
        /// The workspace.
        workspace_id: String,
    },
    /// `GET workspace/{id}/limits/` (src/api/workspace.rs:137-146).
    Limits {
        /// The workspace.
        workspace_id: String,
    },
    /// `GET workspace/{id}/list/shares/` with `limit` and `offset`
    /// (src/api/workspace.rs:197-222).
    ListShares {
        /// The workspace.
        workspace_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST workspace/{id}/import/share/{share_id}/` with a JSON `{}`
    /// (src/api/workspace.rs:224-238).
    ImportShare {
        /// The workspace.
        workspace_id: String,
        /// The share imported.
        share_id: String,
    },
    /// `POST workspace/{id}/import/enable/` or `…/disable/` with a JSON `{}`
    /// (src/api/workspace.rs:386-407).
    SetImport {
        /// The workspace.
        workspace_id: String,
        /// Enable (`true`) or disable.
        enabled: bool,
    },
    /// `GET workspaces/available/`: workspaces the caller may join
    /// (src/api/workspace.rs:240-245).
    Available,
    /// `GET workspaces/check/name/{name}/` (src/api/workspace.rs:247-253).
    CheckName {
        /// The folder name wanted.
        name: String,
    },
    /// `GET workspace/{id}/jobs/status/`: background jobs (metadata
    /// extraction, AI indexing) (src/api/workspace.rs:409-444).
    JobsStatus {
        /// The workspace.
        workspace_id: String,
    },
    /// `GET workspace/{id}/dashboard/` with `limit`, `offset`
    /// (src/api/dashboard.rs:41-70).
    Dashboard {
        /// The workspace.
        workspace_id: String,
        /// Cards per page.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST workspace/{id}/dashboard/cards/{key}/dismiss/`: with a JSON
    /// `{snooze_until}` it snoozes, without it dismisses for good with no
    /// body at all (a JSON body without the field is an error there;
    /// src/api/dashboard.rs:72-120).
    DismissCard {
        /// The workspace.
        workspace_id: String,
        /// The card.
        card_key: String,
        /// Until when (a date and time).
        #[serde(default)]
        snooze_until: Option<String>,
    },
    /// `DELETE workspace/{id}/dashboard/cards/{key}/dismiss/`: shows the card
    /// again (src/api/dashboard.rs:122-131).
    UndismissCard {
        /// The workspace.
        workspace_id: String,
        /// The card.
        card_key: String,
    },
}

fn ws(id: &str, tail: &[&str]) -> Result<String, BuildError> {
    let id = seg("workspace_id", id)?;
    let mut parts = vec!["workspace", id.as_str()];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

fn empty_json(path: String) -> Req {
    Req::post_json(path, serde_json::json!({}))
}

pub(crate) fn build(c: &WorkspacesCall) -> Result<Req, BuildError> {
    use WorkspacesCall as W;
    Ok(match c {
        W::Delete {
            workspace_id,
            confirm,
        } => {
            if confirm.trim().is_empty() {
                return Err(invalid(
                    "confirm",
                    "repeat the workspace's folder name or id",
                ));
            }
            Req::delete(ws(workspace_id, &["delete"])?)
                .query(Params::new().put("confirm", confirm).done())
        }
        W::Archive { workspace_id } => empty_json(ws(workspace_id, &["archive"])?),
        W::Unarchive { workspace_id } => empty_json(ws(workspace_id, &["unarchive"])?),
        W::Limits { workspace_id } => Req::get(ws(workspace_id, &["limits"])?),
        W::ListShares {
            workspace_id,
            limit,
            offset,
        } => Req::get(ws(workspace_id, &["list", "shares"])?).query(
            Params::new()
                .opt("limit", limit)
                .opt("offset", offset)
                .done(),
        ),
        W::ImportShare {
            workspace_id,
            share_id,
        } => empty_json(ws(
            workspace_id,
            &["import", "share", &seg("share_id", share_id)?],
        )?),
        W::SetImport {
            workspace_id,
            enabled,
        } => empty_json(ws(
            workspace_id,
            &["import", if *enabled { "enable" } else { "disable" }],
        )?),
        W::Available => Req::get("workspaces/available/".into()),
        W::CheckName { name } => {
            Req::get(join(&["workspaces", "check", "name", &seg("name", name)?]))
        }
        W::JobsStatus { workspace_id } => Req::get(ws(workspace_id, &["jobs", "status"])?),
        W::Dashboard {
            workspace_id,
            limit,
            offset,
        } => Req::get(ws(workspace_id, &["dashboard"])?).query(
            Params::new()
                .opt("limit", limit)
                .opt("offset", offset)
                .done(),
        ),
        W::DismissCard {
            workspace_id,
            card_key,
            snooze_until,
        } => {
            let path = ws(
                workspace_id,
                &["dashboard", "cards", &seg("card_key", card_key)?, "dismiss"],
            )?;
            match snooze_until {
                Some(t) if t.trim().is_empty() => {
                    return Err(invalid("snooze_until", "is empty"));
                }
                Some(t) => Req::post_json(path, serde_json::json!({ "snooze_until": t })),
                None => Req::new(crate::http::Method::Post, path),
            }
        }
        W::UndismissCard {
            workspace_id,
            card_key,
        } => Req::delete(ws(
            workspace_id,
            &["dashboard", "cards", &seg("card_key", card_key)?, "dismiss"],
        )?),
    })
}
