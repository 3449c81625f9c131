//! Members and invitations of workspaces, shares and orgs, as the official
//! client sends them (fastio_cli src/api/member.rs:13-250,
//! src/api/share.rs:391-446, src/api/invitation.rs:10-113,
//! src/api/user.rs:234-272 @96b1551): forms for writes, a JSON `{}` for
//! joins, ids and e-mail addresses as percent-encoded path segments.

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Req, invalid};

/// Whose members: a workspace, a share or an org, by id.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// A workspace.
    Workspace(String),
    /// A share.
    Share(String),
    /// An organisation.
    Org(String),
}

impl Entity {
    fn kind(&self) -> &'static str {
        match self {
            Entity::Workspace(_) => "workspace",
            Entity::Share(_) => "share",
            Entity::Org(_) => "org",
        }
    }

    fn id(&self) -> &str {
        match self {
            Entity::Workspace(id) | Entity::Share(id) | Entity::Org(id) => id,
        }
    }

    /// `{kind}/{id}` followed by `tail`, each part a checked segment.
    fn path(&self, tail: &[&str]) -> Result<String, BuildError> {
        let id = seg("entity id", self.id())?;
        let mut parts = vec![self.kind(), id.as_str()];
        parts.extend_from_slice(tail);
        Ok(join(&parts))
    }
}

/// Member and invitation calls. Orgs differ where the official client
/// differs: a form (not JSON) join, paged invitation lists, invitations
/// without notification settings.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MembersCall {
    /// `GET {entity}/{id}/members/list/` with `limit` and `offset`.
    List {
        /// Whose members.
        entity: Entity,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST {entity}/{id}/members/{email_or_user_id}/` (form): adds a member
    /// or invites an address. `permissions` is always sent, `member` unless
    /// given, as the official client does. The other fields are the share
    /// invitation's and are refused elsewhere.
    Add {
        /// Whose members.
        entity: Entity,
        /// An e-mail address or a user id.
        member: String,
        /// `member`, `admin`, `view`, …
        #[serde(default)]
        permissions: Option<String>,
        /// Notification settings (shares).
        #[serde(default)]
        notify_options: Option<String>,
        /// When the membership ends (shares).
        #[serde(default)]
        expires: Option<String>,
        /// Notify even when the user was notified before (shares).
        #[serde(default)]
        force_notification: Option<bool>,
        /// A message for the invitation (shares).
        #[serde(default)]
        message: Option<String>,
        /// When the invitation ends (shares).
        #[serde(default)]
        invitation_expires: Option<String>,
    },
    /// `DELETE {entity}/{id}/members/{member_id}/`.
    Remove {
        /// Whose members.
        entity: Entity,
        /// The member.
        member_id: String,
    },
    /// `POST {entity}/{id}/member/{member_id}/update/` (form).
    Update {
        /// Whose members.
        entity: Entity,
        /// The member.
        member_id: String,
        /// New permissions.
        #[serde(default)]
        permissions: Option<String>,
        /// Notification settings.
        #[serde(default)]
        notify_options: Option<String>,
        /// When the membership ends.
        #[serde(default)]
        expires: Option<String>,
    },
    /// `GET {entity}/{id}/member/{member_id}/details/`.
    Details {
        /// Whose members.
        entity: Entity,
        /// The member.
        member_id: String,
    },
    /// `POST {entity}/{id}/member/{member_id}/transfer_ownership/` (an
    /// empty form); for an org it is the same request as
    /// `TransferCall::TransferToMember` (fastio-api.md §9).
    TransferOwnership {
        /// Whose ownership.
        entity: Entity,
        /// The member who becomes owner.
        member_id: String,
    },
    /// `DELETE {entity}/{id}/member/`: the caller leaves.
    Leave {
        /// What to leave.
        entity: Entity,
    },
    /// `POST {entity}/{id}/members/join/`: a JSON `{}` body for workspaces
    /// and shares, an empty form for orgs (fastio_cli src/api/org.rs:472-476).
    Join {
        /// What to join.
        entity: Entity,
    },
    /// `POST workspace/{id}/members/join/{invitation_key}/{action}/` with a
    /// JSON `{}` body; `action` is `accept` or `decline`.
    AnswerInvitation {
        /// The workspace.
        workspace_id: String,
        /// The invitation's key.
        invitation_key: String,
        /// `accept` or `decline`.
        action: String,
    },
    /// `GET {entity}/{id}/members/invitations/list/[{state}/]`; an org's
    /// list also pages with `limit` and `offset` (fastio_cli
    /// src/api/org.rs:571-604), refused for workspaces and shares.
    Invitations {
        /// Whose invitations.
        entity: Entity,
        /// Only invitations in this state.
        #[serde(default)]
        state: Option<String>,
        /// Page size (orgs).
        #[serde(default)]
        limit: Option<u32>,
        /// Offset (orgs).
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST {entity}/{id}/members/invitation/{invitation_id}/` (form).
    UpdateInvitation {
        /// Whose invitation.
        entity: Entity,
        /// The invitation.
        invitation_id: String,
        /// Its new state (the form field is `state`).
        #[serde(default)]
        state: Option<String>,
        /// Permissions it grants.
        #[serde(default)]
        permissions: Option<String>,
        /// Notification settings.
        #[serde(default)]
        notify_options: Option<String>,
        /// When the membership it grants ends.
        #[serde(default)]
        expires: Option<String>,
    },
    /// `DELETE {entity}/{id}/members/invitation/{invitation_id}/`: revokes it.
    RevokeInvitation {
        /// Whose invitation.
        entity: Entity,
        /// The invitation.
        invitation_id: String,
    },
    /// `GET user/invitations/list/`: the caller's own invitations.
    UserInvitations {
        /// Only the invitation with this key.
        #[serde(default)]
        invitation_key: Option<String>,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET user/invitation/{invitation_id}/details/`.
    UserInvitationDetails {
        /// The invitation.
        invitation_id: String,
    },
    /// `POST user/invitations/acceptall/` (form): accepts every invitation,
    /// or the one with `invitation_key`.
    AcceptAllInvitations {
        /// Only the invitation with this key.
        #[serde(default)]
        invitation_key: Option<String>,
    },
}

pub(crate) fn build(c: &MembersCall) -> Result<Req, BuildError> {
    Ok(match c {
        MembersCall::List {
            entity,
            limit,
            offset,
        } => Req::get(entity.path(&["members", "list"])?).query(
            Params::new()
                .opt("limit", limit)
                .opt("offset", offset)
                .done(),
        ),
        MembersCall::Add {
            entity,
            member,
            permissions,
            notify_options,
            expires,
            force_notification,
            message,
            invitation_expires,
        } => {
            let share_only = notify_options.is_some()
                || expires.is_some()
                || force_notification.is_some()
                || message.is_some()
                || invitation_expires.is_some();
            if share_only && !matches!(entity, Entity::Share(_)) {
                return Err(invalid(
                    "notify_options",
                    "invitation settings apply to share members only",
                ));
            }
            let member = seg("member", member)?;
            Req::post_form(
                entity.path(&["members", &member])?,
                Params::new()
                    .put("permissions", permissions.as_deref().unwrap_or("member"))
                    .opt("notify_options", notify_options)
                    .opt("expires", expires)
                    .opt_bool("force_notification", *force_notification)
                    .opt("message", message)
                    .opt("invitation_expires", invitation_expires)
                    .done(),
            )
        }
        MembersCall::Remove { entity, member_id } => {
            Req::delete(entity.path(&["members", &seg("member_id", member_id)?])?)
        }
        MembersCall::Update {
            entity,
            member_id,
            permissions,
            notify_options,
            expires,
        } => Req::post_form(
            entity.path(&["member", &seg("member_id", member_id)?, "update"])?,
            Params::new()
                .opt("permissions", permissions)
                .opt("notify_options", notify_options)
                .opt("expires", expires)
                .done(),
        ),
        MembersCall::Details { entity, member_id } => {
            Req::get(entity.path(&["member", &seg("member_id", member_id)?, "details"])?)
        }
        MembersCall::TransferOwnership { entity, member_id } => Req::post_form(
            entity.path(&[
                "member",
                &seg("member_id", member_id)?,
                "transfer_ownership",
            ])?,
            Vec::new(),
        ),
        MembersCall::Leave { entity } => Req::delete(entity.path(&["member"])?),
        MembersCall::Join { entity } => {
            let path = entity.path(&["members", "join"])?;
            match entity {
                Entity::Org(_) => Req::post_form(path, Vec::new()),
                _ => Req::post_json(path, serde_json::json!({})),
            }
        }
        MembersCall::AnswerInvitation {
            workspace_id,
            invitation_key,
            action,
        } => {
            if action != "accept" && action != "decline" {
                return Err(invalid("action", "must be accept or decline"));
            }
            let path = join(&[
                "workspace",
                &seg("workspace_id", workspace_id)?,
                "members",
                "join",
                &seg("invitation_key", invitation_key)?,
                action,
            ]);
            Req::post_json(path, serde_json::json!({}))
        }
        MembersCall::Invitations {
            entity,
            state,
            limit,
            offset,
        } => {
            if (limit.is_some() || offset.is_some()) && !matches!(entity, Entity::Org(_)) {
                return Err(invalid("limit", "only an org's invitations are paged"));
            }
            let state = state.as_deref().map(|s| seg("state", s)).transpose()?;
            let mut tail = vec!["members", "invitations", "list"];
            if let Some(s) = &state {
                tail.push(s);
            }
            Req::get(entity.path(&tail)?).query(
                Params::new()
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .done(),
            )
        }
        MembersCall::UpdateInvitation {
            entity,
            invitation_id,
            state,
            permissions,
            notify_options,
            expires,
        } => {
            // An org's invitation takes a state and permissions only
            // (fastio_cli src/api/org.rs:607-630).
            if matches!(entity, Entity::Org(_)) && (notify_options.is_some() || expires.is_some()) {
                return Err(invalid(
                    "notify_options",
                    "an org's invitation takes a state and permissions only",
                ));
            }
            Req::post_form(
                entity.path(&[
                    "members",
                    "invitation",
                    &seg("invitation_id", invitation_id)?,
                ])?,
                Params::new()
                    .opt("state", state)
                    .opt("permissions", permissions)
                    .opt("notify_options", notify_options)
                    .opt("expires", expires)
                    .done(),
            )
        }
        MembersCall::RevokeInvitation {
            entity,
            invitation_id,
        } => Req::delete(entity.path(&[
            "members",
            "invitation",
            &seg("invitation_id", invitation_id)?,
        ])?),
        MembersCall::UserInvitations {
            invitation_key,
            limit,
            offset,
        } => Req::get("user/invitations/list/".into()).query(
            Params::new()
                .opt("invitation_key", invitation_key)
                .opt("limit", limit)
                .opt("offset", offset)
                .done(),
        ),
        MembersCall::UserInvitationDetails { invitation_id } => Req::get(join(&[
            "user",
            "invitation",
            &seg("invitation_id", invitation_id)?,
            "details",
        ])),
        MembersCall::AcceptAllInvitations { invitation_key } => Req::post_form(
            "user/invitations/acceptall/".into(),
            Params::new().opt("invitation_key", invitation_key).done(),
        ),
    })
}
