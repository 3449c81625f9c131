//! Files and folders in a workspace or share (reference §5).

use serde::Deserialize;

use super::path::{join, seg};
use super::{Auth, BuildError, Params, Profile, Req, invalid};
use crate::http::Body;

/// The most node ids one bulk details call accepts.
pub const MAX_BULK_DETAILS: usize = 25;

/// Storage calls. `profile` selects `workspace/{id}` or `share/{id}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StorageCall {
    /// `GET …/storage/{folder}/list/` with cursor paging.
    List {
        /// Workspace or share.
        profile: Profile,
        /// A folder id, `root` or `trash`.
        #[serde(default = "root")]
        folder: String,
        /// `name`, `updated`, `created` or `type`.
        #[serde(default)]
        sort_by: Option<String>,
        /// `asc` or `desc`.
        #[serde(default)]
        sort_dir: Option<String>,
        /// 100, 250 or 500.
        #[serde(default)]
        page_size: Option<u32>,
        /// The cursor from the previous page.
        #[serde(default)]
        cursor: Option<String>,
    },
    /// `GET …/storage/{ids}/details/`: up to 25 ids joined by unencoded
    /// commas, answered with `format: "multi"` (partial failures listed in
    /// `errors`). A lone id is sent twice (`id,id`) so the answer always has
    /// that shape, as the official client does (fastio_cli
    /// src/api/storage.rs:195-231 @96b1551).
    Details {
        /// Workspace or share.
        profile: Profile,
        /// Node ids (1 to 25).
        nodes: Vec<String>,
    },
    /// `POST …/storage/{parent}/createfolder/`.
    CreateFolder {
        /// Workspace or share.
        profile: Profile,
        /// The parent folder id or `root`.
        #[serde(default = "root")]
        parent: String,
        /// The new folder's name.
        name: String,
        /// `true`: always create a new folder, renamed on a name clash.
        /// Without it an existing folder of that name is returned, so the
        /// call is safe to repeat (fastio_cli src/api/storage.rs:316-327
        /// @96b1551).
        #[serde(default)]
        force: Option<bool>,
    },
    /// `POST …/storage/{node}/move/`.
    Move {
        /// Workspace or share.
        profile: Profile,
        /// The node to move.
        node: String,
        /// The destination folder id or `root`.
        parent: String,
    },
    /// `POST …/storage/{node}/copy/`.
    Copy {
        /// Workspace or share.
        profile: Profile,
        /// The node to copy.
        node: String,
        /// The destination folder id or `root`.
        parent: String,
    },
    /// `POST …/storage/{node}/update/`: rename or change metadata.
    Update {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
        /// A new name.
        #[serde(default)]
        name: Option<String>,
        /// Replace the content from a source (a JSON object as a string).
        #[serde(default)]
        from: Option<String>,
        /// Metadata title.
        #[serde(default)]
        metadata_title: Option<String>,
        /// Short metadata description.
        #[serde(default)]
        metadata_short: Option<String>,
        /// Fail with 409 unless the node is still at this version.
        #[serde(default)]
        if_version_id: Option<String>,
    },
    /// `DELETE …/storage/{node}/delete/`: move to trash.
    Trash {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
    },
    /// `DELETE …/storage/{node}/purge/`: delete for good.
    Purge {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
    },
    /// `DELETE …/storage/trash/delete/`: empty the trash.
    EmptyTrash {
        /// Workspace or share.
        profile: Profile,
    },
    /// `POST …/storage/{parent}/createnote/` (form `name`, `content`): a
    /// note, a file the server versions like any other (fastio_cli
    /// src/api/workspace.rs:262-287 @96b1551).
    CreateNote {
        /// Workspace or share.
        profile: Profile,
        /// The parent folder id or `root`.
        #[serde(default = "root")]
        parent: String,
        /// The note's name.
        name: String,
        /// Its text.
        content: String,
    },
    /// `POST …/storage/{node}/updatenote/` (form): renames or rewrites a
    /// note. With `if_version_id` the server refuses a note that changed
    /// since that version: 409, code 1660, the current state in
    /// `error.params.current` (the API error's `raw_params`) (fastio_cli
    /// src/api/workspace.rs:279-337 @96b1551).
    UpdateNote {
        /// Workspace or share.
        profile: Profile,
        /// The note.
        node: String,
        /// A new name.
        #[serde(default)]
        name: Option<String>,
        /// New text.
        #[serde(default)]
        content: Option<String>,
        /// Only if the note is still at this version.
        #[serde(default)]
        if_version_id: Option<String>,
    },
    /// `GET …/storage/{node}/readnote/[?version_id=…]`: `{content, note}`
    /// (fastio_cli src/api/workspace.rs:340-386 @96b1551).
    ReadNote {
        /// Workspace or share.
        profile: Profile,
        /// The note.
        node: String,
        /// An older version.
        #[serde(default)]
        version_id: Option<String>,
    },
    /// `GET …/storage/{node}/versions/`.
    Versions {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
    },
    /// `GET …/storage/search/?search=…`, with the parameters the official
    /// client sends (fastio_cli src/api/storage.rs:533-640 @96b1551). Rows
    /// come back as a `files` map keyed by node id or as `results[]` whose
    /// rows carry `node_id`; both decode as a node list.
    Search {
        /// Workspace or share.
        profile: Profile,
        /// The query.
        search: String,
        /// Restrict to files (`nodeId:versionId,…`).
        #[serde(default)]
        files_scope: Option<String>,
        /// Restrict to folders (`nodeId:depth,…`).
        #[serde(default)]
        folders_scope: Option<String>,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
        /// Include details (the server then caps the default page at 10).
        #[serde(default)]
        details: Option<bool>,
        /// Snippet verbosity (`terse`, `standard` or `full`).
        #[serde(default)]
        output: Option<String>,
    },
    /// `POST …/storage/{node}/lock/`: take a lock (60–3600 s).
    Lock {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
        /// Lock duration in seconds.
        #[serde(default)]
        duration: Option<u32>,
        /// Free text naming the client.
        #[serde(default)]
        client_info: Option<String>,
    },
    /// `GET …/storage/{node}/lock/`: lock status.
    LockStatus {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
    },
    /// `POST …/storage/{node}/lock/heartbeat/`.
    LockHeartbeat {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
        /// The lock token.
        lock_token: String,
    },
    /// `DELETE …/storage/{node}/lock/` with `lock_token` in the form body,
    /// where the official client puts it (fastio_cli
    /// src/api/storage.rs:942-960, src/api/locking.rs:80-101 @96b1551).
    Unlock {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
        /// The lock token.
        lock_token: String,
    },
    /// `GET …/storage/{node}/requestread/`: a download token (about 2 h).
    /// It takes no parameters: a version is chosen on `read`
    /// (fastio_cli src/api/download.rs:145-192 @96b1551).
    RequestRead {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
    },
    /// `GET …/storage/{node}/read/?token=…`: the bytes, with no
    /// `Authorization` header (the token authorises).
    Read {
        /// Workspace or share.
        profile: Profile,
        /// The node.
        node: String,
        /// The token from `requestread`.
        token: String,
        /// A specific version.
        #[serde(default)]
        version_id: Option<String>,
    },
    /// `GET …/storage/{folder}/zip/` with the bearer.
    Zip {
        /// Workspace or share.
        profile: Profile,
        /// The folder id or `root`.
        folder: String,
    },
    /// `GET …/storage/{folder}/requestzip/`: a zip token (7200 s).
    RequestZip {
        /// Workspace or share.
        profile: Profile,
        /// The folder id or `root`.
        folder: String,
    },
    /// `GET …/storage/{folder}/zip/?token=…` with no `Authorization` header.
    ZipWithToken {
        /// Workspace or share.
        profile: Profile,
        /// The folder id or `root`.
        folder: String,
        /// The token from `requestzip`.
        token: String,
    },
    /// `POST …/storage/{node}/restore/` (an empty form): back out of the
    /// trash (fastio_cli src/api/storage.rs:461-476 @96b1551).
    Restore {
        /// Workspace or share.
        profile: Profile,
        /// The trashed node.
        node: String,
    },
    /// `POST …/storage/{node}/restore-version/` (form `version_id`): makes
    /// an earlier version current (src/api/storage.rs:870-885).
    RestoreVersion {
        /// Workspace or share.
        profile: Profile,
        /// The file.
        node: String,
        /// The version to bring back.
        version_id: String,
    },
    /// `GET workspace/{id}/storage/recent/` with `page_size`, `cursor` and
    /// `type` (src/api/storage.rs:745-789).
    Recent {
        /// The workspace.
        workspace_id: String,
        /// Items per page.
        #[serde(default)]
        page_size: Option<u32>,
        /// The cursor from the previous page.
        #[serde(default)]
        cursor: Option<String>,
        /// `file`, `folder`, … as the service names node types.
        #[serde(default, rename = "type")]
        node_type: Option<String>,
    },
    /// `POST workspace/{id}/storage/{parent}/addlink/` (form `type=share`,
    /// `share`): a link to a share inside a folder (src/api/storage.rs:791-806).
    AddLink {
        /// The workspace.
        workspace_id: String,
        /// The folder id or `root`.
        parent: String,
        /// The share linked.
        share_id: String,
    },
    /// `POST workspace/{id}/storage/{node}/transfer/` (form
    /// `target_workspace_id`): moves a node to another workspace
    /// (src/api/storage.rs:846-868).
    Transfer {
        /// The workspace the node is in.
        workspace_id: String,
        /// The node.
        node: String,
        /// The workspace it goes to.
        target_workspace_id: String,
    },
    /// `GET …/storage/{node}/read/[?version_id=…]` with the bearer: the
    /// bytes without a read token (src/api/storage.rs:982-1004).
    ReadAuthorized {
        /// Workspace or share.
        profile: Profile,
        /// The file.
        node: String,
        /// A specific version.
        #[serde(default)]
        version_id: Option<String>,
    },
    /// `GET …/storage/{node}/preview/{type}/preauthorize/`: a preview URL
    /// that needs no credential (fastio_cli src/api/preview.rs:27-45).
    PreviewUrl {
        /// Workspace or share.
        profile: Profile,
        /// The file.
        node: String,
        /// `thumbnail`, `image`, `pdf`, …
        preview_type: String,
    },
}

/// The most a note holds: 100 KB (fastio_cli src/api/workspace.rs:255-262
/// @96b1551).
pub const MAX_NOTE_BYTES: usize = 100 * 1024;

/// A note's name is not empty and ends in `.md` (src/api/workspace.rs:255-262).
fn note_name(name: &str) -> Result<(), BuildError> {
    if name.trim().is_empty() {
        return Err(invalid("name", "is empty"));
    }
    if !name.to_ascii_lowercase().ends_with(".md") {
        return Err(invalid(
            "name",
            format!("a note's name ends in .md: {name:?}"),
        ));
    }
    Ok(())
}

fn note_content(content: &str) -> Result<(), BuildError> {
    if content.len() > MAX_NOTE_BYTES {
        return Err(invalid(
            "content",
            format!(
                "{} bytes; a note holds at most {MAX_NOTE_BYTES}",
                content.len()
            ),
        ));
    }
    Ok(())
}

fn root() -> String {
    "root".into()
}

/// `workspace/{id}/storage` or `share/{id}/storage`, encoded.
pub(crate) fn storage_base(profile: &Profile) -> Result<String, BuildError> {
    Ok(format!(
        "{}/{}/storage",
        profile.kind(),
        seg("profile id", profile.id())?
    ))
}

fn node_path(profile: &Profile, node: &str, tail: &[&str]) -> Result<String, BuildError> {
    let base = storage_base(profile)?;
    let node = seg("node", node)?;
    let mut parts = vec![base.as_str(), node.as_str()];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

pub(crate) fn build(call: &StorageCall) -> Result<Req, BuildError> {
    Ok(match call {
        StorageCall::List {
            profile,
            folder,
            sort_by,
            sort_dir,
            page_size,
            cursor,
        } => {
            if let Some(ps) = page_size
                && ![100, 250, 500].contains(ps)
            {
                return Err(invalid(
                    "page_size",
                    format!("must be 100, 250 or 500, got {ps}"),
                ));
            }
            if let Some(d) = sort_dir
                && d != "asc"
                && d != "desc"
            {
                return Err(invalid("sort_dir", "must be asc or desc"));
            }
            Req::get(node_path(profile, folder, &["list"])?).query(
                Params::new()
                    .opt("sort_by", sort_by)
                    .opt("sort_dir", sort_dir)
                    .opt("page_size", page_size)
                    .opt("cursor", cursor)
                    .done(),
            )
        }
        StorageCall::Details { profile, nodes } => {
            if nodes.is_empty() || nodes.len() > MAX_BULK_DETAILS {
                return Err(invalid(
                    "nodes",
                    format!("1 to {MAX_BULK_DETAILS} ids per call, got {}", nodes.len()),
                ));
            }
            let mut ids = nodes
                .iter()
                .map(|n| seg("node", n))
                .collect::<Result<Vec<_>, _>>()?;
            if let [one] = ids.as_slice() {
                ids.push(one.clone());
            }
            let ids = ids.join(",");
            Req::get(join(&[&storage_base(profile)?, &ids, "details"]))
        }
        StorageCall::CreateFolder {
            profile,
            parent,
            name,
            force,
        } => {
            if name.trim().is_empty() {
                return Err(invalid("name", "is empty"));
            }
            Req::post_form(
                node_path(profile, parent, &["createfolder"])?,
                Params::new()
                    .put("name", name)
                    .opt_bool("force", *force)
                    .done(),
            )
        }
        StorageCall::Move {
            profile,
            node,
            parent,
        } => Req::post_form(
            node_path(profile, node, &["move"])?,
            Params::new().put("parent", parent).done(),
        ),
        StorageCall::Copy {
            profile,
            node,
            parent,
        } => Req::post_form(
            node_path(profile, node, &["copy"])?,
            Params::new().put("parent", parent).done(),
        ),
        StorageCall::Update {
            profile,
            node,
            name,
            from,
            metadata_title,
            metadata_short,
            if_version_id,
        } => Req::post_form(
            node_path(profile, node, &["update"])?,
            Params::new()
                .opt("name", name)
                .opt("from", from)
                .opt("metadata_title", metadata_title)
                .opt("metadata_short", metadata_short)
                .opt("if_version_id", if_version_id)
                .done(),
        ),
        StorageCall::Trash { profile, node } => Req::delete(node_path(profile, node, &["delete"])?),
        StorageCall::Purge { profile, node } => Req::delete(node_path(profile, node, &["purge"])?),
        StorageCall::EmptyTrash { profile } => {
            Req::delete(join(&[&storage_base(profile)?, "trash", "delete"]))
        }
        StorageCall::CreateNote {
            profile,
            parent,
            name,
            content,
        } => {
            note_name(name)?;
            note_content(content)?;
            Req::post_form(
                node_path(profile, parent, &["createnote"])?,
                Params::new()
                    .put("name", name)
                    .put("content", content)
                    .done(),
            )
        }
        StorageCall::UpdateNote {
            profile,
            node,
            name,
            content,
            if_version_id,
        } => {
            if name.is_none() && content.is_none() {
                return Err(invalid("content", "give a new name, new content or both"));
            }
            if let Some(n) = name {
                note_name(n)?;
            }
            if let Some(c) = content {
                note_content(c)?;
            }
            Req::post_form(
                node_path(profile, node, &["updatenote"])?,
                Params::new()
                    .opt("name", name)
                    .opt("content", content)
                    .opt("if_version_id", if_version_id)
                    .done(),
            )
        }
        StorageCall::ReadNote {
            profile,
            node,
            version_id,
        } => Req::get(node_path(profile, node, &["readnote"])?)
            .query(Params::new().opt("version_id", version_id).done()),
        StorageCall::Versions { profile, node } => {
            Req::get(node_path(profile, node, &["versions"])?)
        }
        StorageCall::Search {
            profile,
            search,
            files_scope,
            folders_scope,
            limit,
            offset,
            details,
            output,
        } => {
            super::orgs::check_limit(limit, 500)?;
            if let Some(o) = output
                && !["terse", "standard", "full"].contains(&o.as_str())
            {
                return Err(invalid("output", "must be terse, standard or full"));
            }
            Req::get(join(&[&storage_base(profile)?, "search"])).query(
                Params::new()
                    .put("search", search)
                    .opt("files_scope", files_scope)
                    .opt("folders_scope", folders_scope)
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .opt_bool("details", *details)
                    .opt("output", output)
                    .done(),
            )
        }
        StorageCall::Lock {
            profile,
            node,
            duration,
            client_info,
        } => {
            if let Some(d) = duration
                && !(60..=3600).contains(d)
            {
                return Err(invalid(
                    "duration",
                    format!("must be 60 to 3600 seconds, got {d}"),
                ));
            }
            Req::post_form(
                node_path(profile, node, &["lock"])?,
                Params::new()
                    .opt("duration", duration)
                    .opt("client_info", client_info)
                    .done(),
            )
        }
        StorageCall::LockStatus { profile, node } => Req::get(node_path(profile, node, &["lock"])?),
        StorageCall::LockHeartbeat {
            profile,
            node,
            lock_token,
        } => Req::post_form(
            node_path(profile, node, &["lock", "heartbeat"])?,
            Params::new().put("lock_token", lock_token).done(),
        ),
        StorageCall::Unlock {
            profile,
            node,
            lock_token,
        } => {
            let mut r = Req::delete(node_path(profile, node, &["lock"])?);
            r.body = Body::Form(Params::new().put("lock_token", lock_token).done());
            r
        }
        StorageCall::RequestRead { profile, node } => {
            Req::get(node_path(profile, node, &["requestread"])?)
        }
        StorageCall::Read {
            profile,
            node,
            token,
            version_id,
        } => Req::get(node_path(profile, node, &["read"])?)
            .query(
                Params::new()
                    .put("token", token)
                    .opt("version_id", version_id)
                    .done(),
            )
            .auth(Auth::None),
        StorageCall::Zip { profile, folder } => Req::get(node_path(profile, folder, &["zip"])?),
        StorageCall::RequestZip { profile, folder } => {
            Req::get(node_path(profile, folder, &["requestzip"])?)
        }
        StorageCall::ZipWithToken {
            profile,
            folder,
            token,
        } => Req::get(node_path(profile, folder, &["zip"])?)
            .query(Params::new().put("token", token).done())
            .auth(Auth::None),
        StorageCall::Restore { profile, node } => {
            Req::post_form(node_path(profile, node, &["restore"])?, Vec::new())
        }
        StorageCall::RestoreVersion {
            profile,
            node,
            version_id,
        } => {
            if version_id.trim().is_empty() {
                return Err(invalid("version_id", "is empty"));
            }
            Req::post_form(
                node_path(profile, node, &["restore-version"])?,
                Params::new().put("version_id", version_id).done(),
            )
        }
        StorageCall::Recent {
            workspace_id,
            page_size,
            cursor,
            node_type,
        } => {
            // The sizes the official client allows (src/bin/fastio/commands/files.rs:312-320).
            if let Some(ps) = page_size
                && ![100, 250, 500].contains(ps)
            {
                return Err(invalid(
                    "page_size",
                    format!("must be 100, 250 or 500, got {ps}"),
                ));
            }
            Req::get(join(&[
                &storage_base(&Profile::Workspace(workspace_id.clone()))?,
                "recent",
            ]))
            .query(
                Params::new()
                    .opt("page_size", page_size)
                    .opt("cursor", cursor)
                    .opt("type", node_type)
                    .done(),
            )
        }
        StorageCall::AddLink {
            workspace_id,
            parent,
            share_id,
        } => {
            if share_id.trim().is_empty() {
                return Err(invalid("share_id", "is empty"));
            }
            Req::post_form(
                node_path(
                    &Profile::Workspace(workspace_id.clone()),
                    parent,
                    &["addlink"],
                )?,
                Params::new()
                    .put("type", "share")
                    .put("share", share_id)
                    .done(),
            )
        }
        StorageCall::Transfer {
            workspace_id,
            node,
            target_workspace_id,
        } => {
            let target = seg("target_workspace_id", target_workspace_id)?;
            if target == seg("workspace_id", workspace_id)? {
                return Err(invalid(
                    "target_workspace_id",
                    "is the workspace the node is already in",
                ));
            }
            Req::post_form(
                node_path(
                    &Profile::Workspace(workspace_id.clone()),
                    node,
                    &["transfer"],
                )?,
                Params::new()
                    .put("target_workspace_id", target_workspace_id.trim())
                    .done(),
            )
        }
        StorageCall::ReadAuthorized {
            profile,
            node,
            version_id,
        } => Req::get(node_path(profile, node, &["read"])?)
            .query(Params::new().opt("version_id", version_id).done()),
        StorageCall::PreviewUrl {
            profile,
            node,
            preview_type,
        } => Req::get(node_path(
            profile,
            node,
            &[
                "preview",
                &seg("preview_type", preview_type)?,
                "preauthorize",
            ],
        )?),
    })
}
