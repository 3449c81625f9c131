//! Ownership transfer tokens (reference §9).

use serde::Deserialize;

use super::path::{join, seg};
use super::{BuildError, Params, Req};
use crate::secret::Secret;

/// Ownership transfer calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransferCall {
    /// `POST org/{org_id}/transfer/token/create/` (empty form; agent accounts only).
    CreateToken {
        /// The org.
        org_id: String,
    },
    /// `GET org/{org_id}/transfer/token/list/`.
    ListTokens {
        /// The org.
        org_id: String,
    },
    /// `DELETE org/{org_id}/transfer/token/{token_id}/`.
    DeleteToken {
        /// The org.
        org_id: String,
        /// The token's id.
        token_id: String,
    },
    /// `POST org/transfer/claim/` with `token`.
    Claim {
        /// The 64-character transfer token.
        token: Secret,
    },
    /// `POST org/{org_id}/member/{user_id}/transfer_ownership/`.
    TransferToMember {
        /// The org.
        org_id: String,
        /// The member who becomes owner.
        user_id: String,
    },
}

pub(crate) fn build(call: &TransferCall) -> Result<Req, BuildError> {
    Ok(match call {
        TransferCall::CreateToken { org_id } => Req::post_form(
            join(&[
                "org",
                &seg("org_id", org_id)?,
                "transfer",
                "token",
                "create",
            ]),
            Vec::new(),
        ),
        TransferCall::ListTokens { org_id } => Req::get(join(&[
            "org",
            &seg("org_id", org_id)?,
            "transfer",
            "token",
            "list",
        ])),
        TransferCall::DeleteToken { org_id, token_id } => Req::delete(join(&[
            "org",
            &seg("org_id", org_id)?,
            "transfer",
            "token",
            &seg("token_id", token_id)?,
        ])),
        TransferCall::Claim { token } => Req::post_form(
            join(&["org", "transfer", "claim"]),
            Params::new().put("token", token.expose()).done(),
        ),
        TransferCall::TransferToMember { org_id, user_id } => Req::post_form(
            join(&[
                "org",
                &seg("org_id", org_id)?,
                "member",
                &seg("user_id", user_id)?,
                "transfer_ownership",
            ]),
            Vec::new(),
        ),
    })
}
