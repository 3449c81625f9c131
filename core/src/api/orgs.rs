//! Orgs and workspaces (reference §3).

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Req};

/// Org and workspace calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrgsCall {
    /// `GET orgs/list/`: orgs the user is a member of.
    List {
        /// Page size (default 100, max 500).
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET orgs/list/external/`: orgs reached only through a workspace.
    ListExternal {
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET org/{org_id}/details/`.
    Details {
        /// The org.
        org_id: String,
    },
    /// `POST org/create/`.
    Create {
        /// Org domain (subdomain).
        domain: String,
        /// Display name.
        name: String,
    },
    /// `GET org/{org_id}/list/workspaces/`.
    ListWorkspaces {
        /// The org.
        org_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET workspaces/all/`: every reachable workspace.
    AllWorkspaces {
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST org/{org_id}/create/workspace/`. The server requires all five
    /// fields and has no defaults, so they are always sent, with the official
    /// client's defaults when not given (fastio_cli src/api/org.rs:880-933,
    /// src/bin/fastio/cli.rs:1846-1861 @96b1551).
    CreateWorkspace {
        /// The org.
        org_id: String,
        /// Folder name (URL name).
        folder_name: String,
        /// Display name.
        name: String,
        /// Who may join: `Member or above` (default), `Admin or above` or
        /// `Only Org Owners`.
        #[serde(default)]
        perm_join: Option<String>,
        /// Who may manage members: `Admin or above` (default) or
        /// `Member or above`.
        #[serde(default)]
        perm_member_manage: Option<String>,
        /// Turn workspace AI on (default off).
        #[serde(default)]
        intelligence: Option<bool>,
        /// Description.
        #[serde(default)]
        description: Option<String>,
    },
    /// `GET workspace/{workspace_id}/details/`.
    WorkspaceDetails {
        /// The workspace.
        workspace_id: String,
    },
    /// `POST workspace/{workspace_id}/update/`.
    UpdateWorkspace {
        /// The workspace.
        workspace_id: String,
        /// New display name.
        #[serde(default)]
        name: Option<String>,
        /// New folder name.
        #[serde(default)]
        folder_name: Option<String>,
        /// New description.
        #[serde(default)]
        description: Option<String>,
        /// Turn workspace AI on or off (off deletes the embeddings).
        #[serde(default)]
        intelligence: Option<bool>,
    },
}

/// `perm_join` values; the first is the default.
pub const PERM_JOIN: &[&str] = &["Member or above", "Admin or above", "Only Org Owners"];
/// `perm_member_manage` values; the first is the default.
pub const PERM_MEMBER_MANAGE: &[&str] = &["Admin or above", "Member or above"];

/// The value given, or the default (the first allowed), refused when it is
/// not one the server accepts.
fn one_of<'a>(
    field: &'static str,
    given: &'a Option<String>,
    allowed: &'static [&'static str],
) -> Result<&'a str, BuildError> {
    match given.as_deref() {
        None => Ok(allowed[0]),
        Some(v) if allowed.contains(&v) => Ok(v),
        Some(v) => Err(super::invalid(
            field,
            format!("{v:?} is not one of {}", allowed.join(", ")),
        )),
    }
}

pub(crate) fn check_limit(limit: &Option<u32>, max: u32) -> Result<(), BuildError> {
    match limit {
        Some(l) if *l == 0 || *l > max => Err(super::invalid(
            "limit",
            format!("must be between 1 and {max}, got {l}"),
        )),
        _ => Ok(()),
    }
}

fn paged(limit: &Option<u32>, offset: &Option<u64>) -> Result<Vec<(String, String)>, BuildError> {
    check_limit(limit, 500)?;
    Ok(Params::new()
        .opt("limit", limit)
        .opt("offset", offset)
        .done())
}

pub(crate) fn build(call: &OrgsCall) -> Result<Req, BuildError> {
    Ok(match call {
        OrgsCall::List { limit, offset } => {
            Req::get(join(&["orgs", "list"])).query(paged(limit, offset)?)
        }
        OrgsCall::ListExternal { limit, offset } => {
            Req::get(join(&["orgs", "list", "external"])).query(paged(limit, offset)?)
        }
        OrgsCall::Details { org_id } => {
            Req::get(join(&["org", &seg("org_id", org_id)?, "details"]))
        }
        OrgsCall::Create { domain, name } => Req::post_form(
            join(&["org", "create"]),
            Params::new().put("domain", domain).put("name", name).done(),
        ),
        OrgsCall::ListWorkspaces {
            org_id,
            limit,
            offset,
        } => Req::get(join(&[
            "org",
            &seg("org_id", org_id)?,
            "list",
            "workspaces",
        ]))
        .query(paged(limit, offset)?),
        OrgsCall::AllWorkspaces { limit, offset } => {
            Req::get(join(&["workspaces", "all"])).query(paged(limit, offset)?)
        }
        OrgsCall::CreateWorkspace {
            org_id,
            folder_name,
            name,
            perm_join,
            perm_member_manage,
            intelligence,
            description,
        } => {
            if folder_name.trim().is_empty() {
                return Err(super::invalid("folder_name", "is required"));
            }
            if name.trim().is_empty() {
                return Err(super::invalid("name", "is required"));
            }
            let perm_join = one_of("perm_join", perm_join, PERM_JOIN)?;
            let perm_member_manage =
                one_of("perm_member_manage", perm_member_manage, PERM_MEMBER_MANAGE)?;
            Req::post_form(
                join(&["org", &seg("org_id", org_id)?, "create", "workspace"]),
                Params::new()
                    .put("folder_name", folder_name)
                    .put("name", name)
                    .put("perm_join", perm_join)
                    .put("perm_member_manage", perm_member_manage)
                    .put("intelligence", intelligence.unwrap_or(false))
                    .opt("description", description)
                    .done(),
            )
        }
        OrgsCall::WorkspaceDetails { workspace_id } => Req::get(join(&[
            "workspace",
            &seg("workspace_id", workspace_id)?,
            "details",
        ])),
        OrgsCall::UpdateWorkspace {
            workspace_id,
            name,
            folder_name,
            description,
            intelligence,
        } => Req::post_form(
            join(&["workspace", &seg("workspace_id", workspace_id)?, "update"]),
            Params::new()
                .opt("name", name)
                .opt("folder_name", folder_name)
                .opt("description", description)
                .opt_bool("intelligence", *intelligence)
                .done(),
        ),
    })
}
