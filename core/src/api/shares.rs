//! Shares (reference §6).

use serde::Deserialize;

use super::path::{join, seg};
use super::{Auth, BuildError, Params, Req, invalid};
use crate::http::Body;
use crate::secret::Secret;

/// Share settings, for create and update. `None` fields are not sent.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ShareFields {
    /// Title.
    pub title: Option<String>,
    /// `send`, `receive` or `exchange` (the server's default).
    pub share_type: Option<String>,
    /// `independent` (default) or `workspace_folder`; fixed at creation.
    pub storage_mode: Option<String>,
    /// A workspace folder to share (each folder only once).
    pub folder_node_id: Option<String>,
    /// Create a new folder for the share.
    pub create_folder: Option<bool>,
    /// Its name.
    pub folder_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Such as `Anyone with the link` (send shares only).
    pub access_options: Option<String>,
    /// A password (send shares only).
    pub password: Option<Secret>,
    /// `off`, `medium` or `high`.
    pub download_security: Option<String>,
    /// Let people without an account upload.
    pub anonymous_uploads_enabled: Option<bool>,
    /// Share AI (not on folder-backed shares).
    pub intelligence: Option<bool>,
}

/// Share calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SharesCall {
    /// `POST workspace/{workspace_id}/create/share/` (form).
    Create {
        /// The workspace.
        workspace_id: String,
        /// The settings.
        #[serde(flatten)]
        fields: ShareFields,
    },
    /// `GET share/{share_id}/details/`.
    Details {
        /// The share.
        share_id: String,
    },
    /// `POST share/{share_id}/update/` (form).
    Update {
        /// The share.
        share_id: String,
        /// The settings to change.
        #[serde(flatten)]
        fields: ShareFields,
    },
    /// `DELETE share/{share_id}/delete/` with `confirm` in the form body.
    Delete {
        /// The share.
        share_id: String,
        /// Required: the share id or its custom name, as the server checks it
        /// (fastio_cli src/api/share.rs:303-315 @96b1551).
        confirm: String,
    },
    /// `GET shares/all/`.
    List {
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET share/{id}/public/details/`: what a visitor sees; the bearer
    /// goes along only when configured (fastio_cli src/api/share.rs:448-456
    /// @96b1551).
    PublicDetails {
        /// The share.
        share_id: String,
    },
    /// `POST share/{id}/archive/` or `…/unarchive/` with a JSON `{}`
    /// (src/api/share.rs:458-474).
    SetArchived {
        /// The share.
        share_id: String,
        /// Archive (`true`) or bring back.
        archived: bool,
    },
    /// `POST share/{id}/auth/password/` (form `password`): a visitor's
    /// access to a password-protected share (src/api/share.rs:476-488).
    PasswordAuth {
        /// The share.
        share_id: String,
        /// Its password.
        password: Secret,
    },
    /// `POST share/{id}/auth/guest/` with a JSON `{}`: guest access
    /// (src/api/share.rs:490-496).
    GuestAuth {
        /// The share.
        share_id: String,
    },
    /// `GET shares/available/` (src/api/share.rs:498-502).
    Available,
    /// `GET shares/check/name/{name}/`: whether a custom name is free
    /// (src/api/share.rs:504-510).
    CheckName {
        /// The name wanted.
        name: String,
    },
}

// The documented rules, checked before a request costs a round trip.
fn check_rules(f: &ShareFields, creating: bool) -> Result<(), BuildError> {
    let share_type = f
        .share_type
        .as_deref()
        .unwrap_or(if creating { "exchange" } else { "" });
    if let Some(t) = &f.share_type
        && !["send", "receive", "exchange"].contains(&t.as_str())
    {
        return Err(invalid("share_type", "must be send, receive or exchange"));
    }
    if let Some(m) = &f.storage_mode
        && !["independent", "workspace_folder"].contains(&m.as_str())
    {
        return Err(invalid(
            "storage_mode",
            "must be independent or workspace_folder",
        ));
    }
    if creating || f.share_type.is_some() {
        if f.password.is_some() && share_type != "send" {
            return Err(invalid(
                "password",
                "a password is allowed on send shares only",
            ));
        }
        if f.access_options
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("Anyone with the link"))
            && share_type != "send"
        {
            return Err(invalid(
                "access_options",
                "\"Anyone with the link\" is allowed on send shares only",
            ));
        }
    }
    if f.storage_mode.as_deref() == Some("workspace_folder") && f.intelligence == Some(true) {
        return Err(invalid(
            "intelligence",
            "a folder-backed share cannot have intelligence",
        ));
    }
    if let Some(d) = &f.download_security
        && !["off", "medium", "high"].contains(&d.as_str())
    {
        return Err(invalid("download_security", "must be off, medium or high"));
    }
    Ok(())
}

fn fields(f: &ShareFields) -> Vec<(String, String)> {
    Params::new()
        .opt("title", &f.title)
        .opt("share_type", &f.share_type)
        .opt("storage_mode", &f.storage_mode)
        .opt("folder_node_id", &f.folder_node_id)
        .opt_bool("create_folder", f.create_folder)
        .opt("folder_name", &f.folder_name)
        .opt("description", &f.description)
        .opt("access_options", &f.access_options)
        .opt(
            "password",
            &f.password.as_ref().map(|p| p.expose().to_string()),
        )
        .opt("download_security", &f.download_security)
        .opt_bool("anonymous_uploads_enabled", f.anonymous_uploads_enabled)
        .opt_bool("intelligence", f.intelligence)
        .done()
}

pub(crate) fn build(call: &SharesCall) -> Result<Req, BuildError> {
    Ok(match call {
        SharesCall::Create {
            workspace_id,
            fields: f,
        } => {
            check_rules(f, true)?;
            // `title` and `intelligence` are required by the server
            // (fastio_cli src/api/share.rs:56-66, 124-131 @96b1551): the
            // title must be given, intelligence defaults to off as there.
            if f.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return Err(invalid("title", "is required to create a share"));
            }
            let mut f = f.clone();
            f.intelligence.get_or_insert(false);
            Req::post_form(
                join(&[
                    "workspace",
                    &seg("workspace_id", workspace_id)?,
                    "create",
                    "share",
                ]),
                fields(&f),
            )
        }
        SharesCall::Details { share_id } => {
            Req::get(join(&["share", &seg("share_id", share_id)?, "details"]))
        }
        SharesCall::Update {
            share_id,
            fields: f,
        } => {
            check_rules(f, false)?;
            Req::post_form(
                join(&["share", &seg("share_id", share_id)?, "update"]),
                fields(f),
            )
        }
        SharesCall::Delete { share_id, confirm } => {
            if confirm.trim().is_empty() {
                return Err(invalid(
                    "confirm",
                    "is required: the share id or its custom name",
                ));
            }
            let mut r = Req::delete(join(&["share", &seg("share_id", share_id)?, "delete"]));
            r.body = Body::Form(Params::new().put("confirm", confirm).done());
            r
        }
        SharesCall::List { limit, offset } => {
            super::orgs::check_limit(limit, 500)?;
            Req::get(join(&["shares", "all"])).query(
                Params::new()
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .done(),
            )
        }
        SharesCall::PublicDetails { share_id } => Req::get(join(&[
            "share",
            &seg("share_id", share_id)?,
            "public",
            "details",
        ]))
        .auth(Auth::Optional),
        SharesCall::SetArchived { share_id, archived } => Req::post_json(
            join(&[
                "share",
                &seg("share_id", share_id)?,
                if *archived { "archive" } else { "unarchive" },
            ]),
            serde_json::json!({}),
        ),
        SharesCall::PasswordAuth { share_id, password } => {
            if password.is_empty() {
                return Err(invalid("password", "is empty"));
            }
            Req::post_form(
                join(&["share", &seg("share_id", share_id)?, "auth", "password"]),
                vec![("password".into(), password.expose().to_string())],
            )
            .auth(Auth::Optional)
        }
        SharesCall::GuestAuth { share_id } => Req::post_json(
            join(&["share", &seg("share_id", share_id)?, "auth", "guest"]),
            serde_json::json!({}),
        )
        .auth(Auth::Optional),
        SharesCall::Available => Req::get("shares/available/".into()),
        SharesCall::CheckName { name } => {
            Req::get(join(&["shares", "check", "name", &seg("name", name)?]))
        }
    })
}
