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
    /// `POST org/{id}/update/` (form, only the fields given; fastio_cli
    /// src/api/org.rs:69-185 @96b1551). `"null"` clears a clearable field,
    /// as the service reads it.
    UpdateOrg {
        /// The org.
        org_id: String,
        /// The fields to change (boxed: they are many, and calls are
        /// passed by value).
        #[serde(flatten)]
        fields: Box<OrgFields>,
    },
    /// `POST org/{id}/close/` (form `confirm`, the org's domain or id;
    /// src/api/org.rs:187-195).
    CloseOrg {
        /// The org.
        org_id: String,
        /// Its domain or id, repeated.
        confirm: String,
    },
    /// `GET org/{id}/public/details/`: what a non-member sees
    /// (src/api/org.rs:408-414).
    PublicDetails {
        /// The org.
        org_id: String,
    },
    /// `GET orgs/available/`: orgs the caller may join (src/api/org.rs:386-405).
    Available {
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET orgs/all/` (src/api/org.rs:706-725).
    All {
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET orgs/check/domain/{domain}/`: whether a domain is free
    /// (src/api/org.rs:728-734).
    CheckDomain {
        /// The domain wanted.
        domain: String,
    },
}

/// The org settings `UpdateOrg` may change, named as the form names them
/// (src/api/org.rs:127-185).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct OrgFields {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The org's domain (its name in URLs).
    #[serde(default)]
    pub domain: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Industry.
    #[serde(default)]
    pub industry: Option<String>,
    /// Where billing mail goes.
    #[serde(default)]
    pub billing_email: Option<String>,
    /// Homepage URL.
    #[serde(default)]
    pub homepage: Option<String>,
    /// Accent colour (JSON text, sent verbatim).
    #[serde(default)]
    pub accent_color: Option<String>,
    /// Background colour (JSON text, sent verbatim).
    #[serde(default)]
    pub background_color: Option<String>,
    /// Background mode.
    #[serde(default)]
    pub background_mode: Option<String>,
    /// Show the brand background.
    #[serde(default)]
    pub use_background: Option<bool>,
    /// Facebook URL.
    #[serde(default)]
    pub facebook: Option<String>,
    /// Twitter/X URL.
    #[serde(default)]
    pub twitter: Option<String>,
    /// Instagram URL.
    #[serde(default)]
    pub instagram: Option<String>,
    /// YouTube URL.
    #[serde(default)]
    pub youtube: Option<String>,
    /// Who manages members.
    #[serde(default)]
    pub perm_member_manage: Option<String>,
    /// E-mail domains whose users may join.
    #[serde(default)]
    pub perm_auth_domains: Option<String>,
    /// Owner-defined properties (JSON text, sent verbatim).
    #[serde(default)]
    pub owner_defined: Option<String>,
}

impl OrgFields {
    fn form(&self) -> Vec<(String, String)> {
        Params::new()
            .opt("name", &self.name)
            .opt("domain", &self.domain)
            .opt("description", &self.description)
            .opt("industry", &self.industry)
            .opt("billing_email", &self.billing_email)
            .opt("homepage", &self.homepage)
            .opt("accent_color", &self.accent_color)
            .opt("background_color", &self.background_color)
            .opt("background_mode", &self.background_mode)
            .opt_bool("use_background", self.use_background)
            .opt("facebook", &self.facebook)
            .opt("twitter", &self.twitter)
            .opt("instagram", &self.instagram)
            .opt("youtube", &self.youtube)
            .opt("perm_member_manage", &self.perm_member_manage)
            .opt("perm_auth_domains", &self.perm_auth_domains)
            .opt("owner_defined", &self.owner_defined)
            .done()
    }
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
        OrgsCall::UpdateOrg { org_id, fields } => {
            let form = fields.form();
            if form.is_empty() {
                return Err(super::invalid(
                    "org_id",
                    "an update needs at least one change",
                ));
            }
            Req::post_form(join(&["org", &seg("org_id", org_id)?, "update"]), form)
        }
        OrgsCall::CloseOrg { org_id, confirm } => {
            if confirm.trim().is_empty() {
                return Err(super::invalid("confirm", "repeat the org's domain or id"));
            }
            Req::post_form(
                join(&["org", &seg("org_id", org_id)?, "close"]),
                Params::new().put("confirm", confirm).done(),
            )
        }
        OrgsCall::PublicDetails { org_id } => {
            Req::get(join(&["org", &seg("org_id", org_id)?, "public", "details"]))
        }
        OrgsCall::Available { limit, offset } => Req::get("orgs/available/".into()).query(
            Params::new()
                .opt("limit", limit)
                .opt("offset", offset)
                .done(),
        ),
        OrgsCall::All { limit, offset } => Req::get("orgs/all/".into()).query(
            Params::new()
                .opt("limit", limit)
                .opt("offset", offset)
                .done(),
        ),
        OrgsCall::CheckDomain { domain } => {
            Req::get(join(&["orgs", "check", "domain", &seg("domain", domain)?]))
        }
    })
}
