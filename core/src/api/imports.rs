//! Cloud import: connecting a workspace to another storage provider, the
//! folders it syncs, their jobs and the changes written back (fastio_cli
//! src/api/import.rs:17-440 @96b1551). Every write is a JSON body; an action
//! without parameters sends `{}`.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::path::{join, seg};
use super::{BuildError, Params, Req, invalid};

/// Cloud import calls.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ImportsCall {
    /// `GET imports/workspace/{ws}/providers/` (import.rs:17-26).
    Providers {
        /// The workspace.
        workspace_id: String,
    },
    /// `GET imports/workspace/{ws}/identities/` with `limit`, `offset`
    /// (import.rs:28-53).
    Identities {
        /// The workspace.
        workspace_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST imports/workspace/{ws}/identities/provision/` with JSON
    /// `{provider}` (import.rs:55-69).
    ProvisionIdentity {
        /// The workspace.
        workspace_id: String,
        /// The provider's name.
        provider: String,
    },
    /// `GET imports/workspace/{ws}/identities/{id}/` (import.rs:71-85).
    Identity {
        /// The workspace.
        workspace_id: String,
        /// The identity.
        identity_id: String,
    },
    /// `POST imports/workspace/{ws}/identities/{id}/revoke/` (import.rs:87-101).
    RevokeIdentity {
        /// The workspace.
        workspace_id: String,
        /// The identity.
        identity_id: String,
    },
    /// `GET imports/workspace/{ws}/sources/` with `status`, `limit`,
    /// `offset` (import.rs:103-132).
    Sources {
        /// The workspace.
        workspace_id: String,
        /// Only sources in this state.
        #[serde(default)]
        status: Option<String>,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST imports/workspace/{ws}/sources/discover/` with JSON
    /// `{identity_id}` (import.rs:134-146).
    Discover {
        /// The workspace.
        workspace_id: String,
        /// The identity whose folders are listed.
        identity_id: String,
    },
    /// `POST imports/workspace/{ws}/sources/create/` with JSON
    /// `{identity_id, remote_path, remote_name?, sync_interval?,
    /// access_mode?}` (import.rs:148-191).
    CreateSource {
        /// The workspace.
        workspace_id: String,
        /// The identity.
        identity_id: String,
        /// The remote folder.
        remote_path: String,
        /// A name for it.
        #[serde(default)]
        remote_name: Option<String>,
        /// Seconds between syncs.
        #[serde(default)]
        sync_interval: Option<u32>,
        /// How it is reached.
        #[serde(default)]
        access_mode: Option<String>,
    },
    /// `GET imports/details/{source}/` (import.rs:193-199).
    Source {
        /// The source.
        source_id: String,
    },
    /// `POST imports/details/{source}/update/` with JSON (import.rs:201-232):
    /// pausing or resuming is `action`.
    UpdateSource {
        /// The source.
        source_id: String,
        /// Seconds between syncs.
        #[serde(default)]
        sync_interval: Option<u32>,
        /// A new name.
        #[serde(default)]
        remote_name: Option<String>,
        /// How it is reached.
        #[serde(default)]
        access_mode: Option<String>,
        /// Pause (`true`) or resume the sync.
        #[serde(default)]
        paused: Option<bool>,
    },
    /// `POST imports/details/{source}/delete/` (import.rs:234-243).
    DeleteSource {
        /// The source.
        source_id: String,
    },
    /// `POST imports/details/{source}/disconnect/` with JSON `{action}`
    /// (import.rs:245-259).
    Disconnect {
        /// The source.
        source_id: String,
        /// What happens to the imported files.
        action: String,
    },
    /// `POST imports/details/{source}/refresh/` (import.rs:261-270).
    Refresh {
        /// The source.
        source_id: String,
    },
    /// `GET imports/details/{source}/jobs/` with `limit`, `offset`
    /// (import.rs:272-294).
    Jobs {
        /// The source.
        source_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET imports/details/{source}/jobs/{job}/` (import.rs:296-310).
    Job {
        /// The source.
        source_id: String,
        /// The job.
        job_id: String,
    },
    /// `POST imports/details/{source}/jobs/{job}/cancel/` (import.rs:312-326).
    CancelJob {
        /// The source.
        source_id: String,
        /// The job.
        job_id: String,
    },
    /// `GET imports/details/{source}/writebacks/` with `status`, `limit`,
    /// `offset` (import.rs:328-357).
    Writebacks {
        /// The source.
        source_id: String,
        /// Only write-backs in this state.
        #[serde(default)]
        status: Option<String>,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET imports/details/{source}/writebacks/{id}/` (import.rs:359-373).
    Writeback {
        /// The source.
        source_id: String,
        /// The write-back.
        writeback_id: String,
    },
    /// `POST imports/details/{source}/writebacks/push/{node}/`: writes one
    /// file back (import.rs:375-389).
    PushWriteback {
        /// The source.
        source_id: String,
        /// The file.
        node_id: String,
    },
    /// `POST imports/details/{source}/writebacks/{id}/retry/` (import.rs:391-405).
    RetryWriteback {
        /// The source.
        source_id: String,
        /// The write-back.
        writeback_id: String,
    },
    /// `POST imports/details/{source}/writebacks/{id}/resolve/` with JSON
    /// `{resolution}` (import.rs:407-423).
    ResolveConflict {
        /// The source.
        source_id: String,
        /// The write-back.
        writeback_id: String,
        /// How the conflict ends.
        resolution: String,
    },
    /// `POST imports/details/{source}/writebacks/{id}/cancel/` (import.rs:425-440).
    CancelWriteback {
        /// The source.
        source_id: String,
        /// The write-back.
        writeback_id: String,
    },
}

fn ws(id: &str, tail: &[&str]) -> Result<String, BuildError> {
    let id = seg("workspace_id", id)?;
    let mut parts = vec!["imports", "workspace", id.as_str()];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

fn source(id: &str, tail: &[&str]) -> Result<String, BuildError> {
    let id = seg("source_id", id)?;
    let mut parts = vec!["imports", "details", id.as_str()];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

fn word(field: &'static str, v: &str) -> Result<(), BuildError> {
    if v.trim().is_empty() {
        return Err(invalid(field, "is empty"));
    }
    Ok(())
}

fn paged(limit: &Option<u32>, offset: &Option<u64>) -> Params {
    Params::new().opt("limit", limit).opt("offset", offset)
}

/// A listing filtered by state, then paged.
fn by_status(
    status: &Option<String>,
    limit: &Option<u32>,
    offset: &Option<u64>,
) -> Vec<(String, String)> {
    Params::new()
        .opt("status", status)
        .opt("limit", limit)
        .opt("offset", offset)
        .done()
}

fn action(path: String) -> Req {
    Req::post_json(path, json!({}))
}

pub(crate) fn build(c: &ImportsCall) -> Result<Req, BuildError> {
    use ImportsCall as I;
    Ok(match c {
        I::Providers { workspace_id } => Req::get(ws(workspace_id, &["providers"])?),
        I::Identities {
            workspace_id,
            limit,
            offset,
        } => Req::get(ws(workspace_id, &["identities"])?).query(paged(limit, offset).done()),
        I::ProvisionIdentity {
            workspace_id,
            provider,
        } => {
            word("provider", provider)?;
            Req::post_json(
                ws(workspace_id, &["identities", "provision"])?,
                json!({ "provider": provider }),
            )
        }
        I::Identity {
            workspace_id,
            identity_id,
        } => Req::get(ws(
            workspace_id,
            &["identities", &seg("identity_id", identity_id)?],
        )?),
        I::RevokeIdentity {
            workspace_id,
            identity_id,
        } => action(ws(
            workspace_id,
            &["identities", &seg("identity_id", identity_id)?, "revoke"],
        )?),
        I::Sources {
            workspace_id,
            status,
            limit,
            offset,
        } => Req::get(ws(workspace_id, &["sources"])?).query(by_status(status, limit, offset)),
        I::Discover {
            workspace_id,
            identity_id,
        } => {
            word("identity_id", identity_id)?;
            Req::post_json(
                ws(workspace_id, &["sources", "discover"])?,
                json!({ "identity_id": identity_id }),
            )
        }
        I::CreateSource {
            workspace_id,
            identity_id,
            remote_path,
            remote_name,
            sync_interval,
            access_mode,
        } => {
            word("identity_id", identity_id)?;
            word("remote_path", remote_path)?;
            let mut body = Map::new();
            body.insert("identity_id".into(), json!(identity_id));
            body.insert("remote_path".into(), json!(remote_path));
            if let Some(v) = remote_name {
                body.insert("remote_name".into(), json!(v));
            }
            if let Some(v) = sync_interval {
                body.insert("sync_interval".into(), json!(v));
            }
            if let Some(v) = access_mode {
                body.insert("access_mode".into(), json!(v));
            }
            Req::post_json(
                ws(workspace_id, &["sources", "create"])?,
                Value::Object(body),
            )
        }
        I::Source { source_id } => Req::get(source(source_id, &[])?),
        I::UpdateSource {
            source_id,
            sync_interval,
            remote_name,
            access_mode,
            paused,
        } => {
            let mut body = Map::new();
            if let Some(v) = sync_interval {
                body.insert("sync_interval".into(), json!(v));
            }
            if let Some(v) = remote_name {
                body.insert("remote_name".into(), json!(v));
            }
            if let Some(v) = access_mode {
                body.insert("access_mode".into(), json!(v));
            }
            if let Some(p) = paused {
                body.insert("action".into(), json!(if *p { "pause" } else { "resume" }));
            }
            if body.is_empty() {
                return Err(invalid("source_id", "an update needs at least one change"));
            }
            Req::post_json(source(source_id, &["update"])?, Value::Object(body))
        }
        I::DeleteSource { source_id } => action(source(source_id, &["delete"])?),
        I::Disconnect {
            source_id,
            action: a,
        } => {
            word("action", a)?;
            Req::post_json(source(source_id, &["disconnect"])?, json!({ "action": a }))
        }
        I::Refresh { source_id } => action(source(source_id, &["refresh"])?),
        I::Jobs {
            source_id,
            limit,
            offset,
        } => Req::get(source(source_id, &["jobs"])?).query(paged(limit, offset).done()),
        I::Job { source_id, job_id } => {
            Req::get(source(source_id, &["jobs", &seg("job_id", job_id)?])?)
        }
        I::CancelJob { source_id, job_id } => action(source(
            source_id,
            &["jobs", &seg("job_id", job_id)?, "cancel"],
        )?),
        I::Writebacks {
            source_id,
            status,
            limit,
            offset,
        } => Req::get(source(source_id, &["writebacks"])?).query(by_status(status, limit, offset)),
        I::Writeback {
            source_id,
            writeback_id,
        } => Req::get(source(
            source_id,
            &["writebacks", &seg("writeback_id", writeback_id)?],
        )?),
        I::PushWriteback { source_id, node_id } => action(source(
            source_id,
            &["writebacks", "push", &seg("node_id", node_id)?],
        )?),
        I::RetryWriteback {
            source_id,
            writeback_id,
        } => action(source(
            source_id,
            &["writebacks", &seg("writeback_id", writeback_id)?, "retry"],
        )?),
        I::ResolveConflict {
            source_id,
            writeback_id,
            resolution,
        } => {
            word("resolution", resolution)?;
            Req::post_json(
                source(
                    source_id,
                    &["writebacks", &seg("writeback_id", writeback_id)?, "resolve"],
                )?,
                json!({ "resolution": resolution }),
            )
        }
        I::CancelWriteback {
            source_id,
            writeback_id,
        } => action(source(
            source_id,
            &["writebacks", &seg("writeback_id", writeback_id)?, "cancel"],
        )?),
    })
}
