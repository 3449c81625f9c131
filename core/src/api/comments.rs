//! Comments on files of workspaces and shares, as the official client sends
//! them (fastio_cli src/api/comment.rs:14-310 @96b1551): every body is JSON,
//! ids are percent-encoded path segments.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::path::{join, seg};
use super::{BuildError, Params, Profile, Req, invalid};

/// The most objects one comment may attach inline (fastio_cli
/// src/bin/fastio/commands/comment.rs:46-47, 120-121 @96b1551).
pub const MAX_COMMENT_TARGETS: usize = 25;

/// Comment calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CommentsCall {
    /// `GET comments/{profile}/{id}/{node}/` with `sort`, `limit`, `offset`.
    List {
        /// Workspace or share.
        profile: Profile,
        /// The file.
        node: String,
        /// `asc` or `desc`.
        #[serde(default)]
        sort: Option<String>,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET comments/{profile}/{id}/`: every comment of a workspace or share.
    ListAll {
        /// Workspace or share.
        profile: Profile,
        /// `asc` or `desc`.
        #[serde(default)]
        sort: Option<String>,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST comments/{profile}/{id}/{node}/` with JSON `{body, parent_id?,
    /// reference?, properties?, target_id? | target_ids?}`: a comment, or a
    /// reply to `parent_id`.
    Create {
        /// Workspace or share.
        profile: Profile,
        /// The file.
        node: String,
        /// The text.
        body: String,
        /// The comment this replies to.
        #[serde(default)]
        parent_id: Option<String>,
        /// Where in the file (a page, a time, a region), sent as given.
        #[serde(default)]
        reference: Option<Value>,
        /// Free-form properties, sent as given.
        #[serde(default)]
        properties: Option<Value>,
        /// One object to attach.
        #[serde(default)]
        target_id: Option<String>,
        /// Several objects to attach (at most [`MAX_COMMENT_TARGETS`]).
        #[serde(default)]
        target_ids: Option<Vec<String>>,
    },
    /// `POST comments/{comment_id}/update/` with JSON `{body}`.
    Update {
        /// The comment.
        comment_id: String,
        /// The new text.
        body: String,
    },
    /// `DELETE comments/{comment_id}/delete/`.
    Delete {
        /// The comment.
        comment_id: String,
    },
    /// `GET comments/{comment_id}/details/`.
    Details {
        /// The comment.
        comment_id: String,
    },
    /// `POST comments/{comment_id}/reactions/` with JSON `{emoji}`.
    React {
        /// The comment.
        comment_id: String,
        /// The reaction.
        emoji: String,
    },
    /// `DELETE comments/{comment_id}/reactions/`: removes the caller's reaction.
    Unreact {
        /// The comment.
        comment_id: String,
    },
    /// `POST comments/bulk/delete/` with JSON `{comment_ids}`.
    BulkDelete {
        /// The comments.
        comment_ids: Vec<String>,
    },
    /// `GET comments/{comment_id}/attachments/`.
    Attachments {
        /// The comment.
        comment_id: String,
    },
    /// `POST comments/{comment_id}/attachments/` with JSON `{target_id}` or
    /// `{target_ids}` (exactly one of them).
    Attach {
        /// The comment.
        comment_id: String,
        /// One object.
        #[serde(default)]
        target_id: Option<String>,
        /// Several objects (at most [`MAX_COMMENT_TARGETS`]).
        #[serde(default)]
        target_ids: Option<Vec<String>>,
    },
    /// `POST comments/{comment_id}/attachments/detach/` with JSON `{target_id}`.
    Detach {
        /// The comment.
        comment_id: String,
        /// The object to detach.
        target_id: String,
    },
}

fn text(field: &'static str, v: &str) -> Result<(), BuildError> {
    if v.trim().is_empty() {
        Err(invalid(field, "is empty"))
    } else {
        Ok(())
    }
}

fn sort(s: &Option<String>) -> Result<(), BuildError> {
    match s.as_deref() {
        None | Some("asc") | Some("desc") => Ok(()),
        Some(_) => Err(invalid("sort", "must be asc or desc")),
    }
}

/// One of `target_id` and `target_ids`, checked, into `body`.
fn targets(
    body: &mut Map<String, Value>,
    one: &Option<String>,
    many: &Option<Vec<String>>,
) -> Result<(), BuildError> {
    match (one, many) {
        (Some(_), Some(_)) => Err(invalid(
            "target_ids",
            "give target_id or target_ids, not both",
        )),
        (Some(id), None) => {
            text("target_id", id)?;
            body.insert("target_id".into(), json!(id));
            Ok(())
        }
        (None, Some(ids)) => {
            if ids.is_empty() || ids.len() > MAX_COMMENT_TARGETS {
                return Err(invalid(
                    "target_ids",
                    format!("1 to {MAX_COMMENT_TARGETS} ids, got {}", ids.len()),
                ));
            }
            for id in ids {
                text("target_ids", id)?;
            }
            body.insert("target_ids".into(), json!(ids));
            Ok(())
        }
        (None, None) => Ok(()),
    }
}

fn comment_path(comment_id: &str, tail: &[&str]) -> Result<String, BuildError> {
    let id = seg("comment_id", comment_id)?;
    let mut parts = vec!["comments", id.as_str()];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

fn profile_path(profile: &Profile, node: Option<&str>) -> Result<String, BuildError> {
    let id = seg("profile id", profile.id())?;
    let node = node.map(|n| seg("node", n)).transpose()?;
    let mut parts = vec!["comments", profile.kind(), id.as_str()];
    if let Some(n) = &node {
        parts.push(n);
    }
    Ok(join(&parts))
}

fn paging(
    sort_by: &Option<String>,
    limit: &Option<u32>,
    offset: &Option<u64>,
) -> Vec<(String, String)> {
    Params::new()
        .opt("sort", sort_by)
        .opt("limit", limit)
        .opt("offset", offset)
        .done()
}

pub(crate) fn build(c: &CommentsCall) -> Result<Req, BuildError> {
    Ok(match c {
        CommentsCall::List {
            profile,
            node,
            sort: s,
            limit,
            offset,
        } => {
            sort(s)?;
            Req::get(profile_path(profile, Some(node))?).query(paging(s, limit, offset))
        }
        CommentsCall::ListAll {
            profile,
            sort: s,
            limit,
            offset,
        } => {
            sort(s)?;
            Req::get(profile_path(profile, None)?).query(paging(s, limit, offset))
        }
        CommentsCall::Create {
            profile,
            node,
            body,
            parent_id,
            reference,
            properties,
            target_id,
            target_ids,
        } => {
            text("body", body)?;
            let mut json = Map::new();
            json.insert("body".into(), json!(body));
            if let Some(p) = parent_id {
                text("parent_id", p)?;
                json.insert("parent_id".into(), json!(p));
            }
            if let Some(r) = reference {
                json.insert("reference".into(), r.clone());
            }
            if let Some(p) = properties {
                json.insert("properties".into(), p.clone());
            }
            targets(&mut json, target_id, target_ids)?;
            Req::post_json(profile_path(profile, Some(node))?, Value::Object(json))
        }
        CommentsCall::Update { comment_id, body } => {
            text("body", body)?;
            Req::post_json(
                comment_path(comment_id, &["update"])?,
                json!({ "body": body }),
            )
        }
        CommentsCall::Delete { comment_id } => Req::delete(comment_path(comment_id, &["delete"])?),
        CommentsCall::Details { comment_id } => Req::get(comment_path(comment_id, &["details"])?),
        CommentsCall::React { comment_id, emoji } => {
            text("emoji", emoji)?;
            Req::post_json(
                comment_path(comment_id, &["reactions"])?,
                json!({ "emoji": emoji }),
            )
        }
        CommentsCall::Unreact { comment_id } => {
            Req::delete(comment_path(comment_id, &["reactions"])?)
        }
        CommentsCall::BulkDelete { comment_ids } => {
            if comment_ids.is_empty() {
                return Err(invalid("comment_ids", "is empty"));
            }
            for id in comment_ids {
                text("comment_ids", id)?;
            }
            Req::post_json(
                "comments/bulk/delete/".into(),
                json!({ "comment_ids": comment_ids }),
            )
        }
        CommentsCall::Attachments { comment_id } => {
            Req::get(comment_path(comment_id, &["attachments"])?)
        }
        CommentsCall::Attach {
            comment_id,
            target_id,
            target_ids,
        } => {
            if target_id.is_none() && target_ids.is_none() {
                return Err(invalid("target_id", "give target_id or target_ids"));
            }
            let mut json = Map::new();
            targets(&mut json, target_id, target_ids)?;
            Req::post_json(
                comment_path(comment_id, &["attachments"])?,
                Value::Object(json),
            )
        }
        CommentsCall::Detach {
            comment_id,
            target_id,
        } => {
            text("target_id", target_id)?;
            Req::post_json(
                comment_path(comment_id, &["attachments", "detach"])?,
                json!({ "target_id": target_id }),
            )
        }
    })
}
