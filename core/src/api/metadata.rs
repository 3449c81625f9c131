//! Workspace metadata: templates, the values they give files, extraction
//! jobs and search (fastio_cli src/api/metadata.rs, src/api/workspace.rs:446-545
//! and src/bin/fastio/mcp/tools.rs:4630-5180 @96b1551).
//!
//! Every write is a form (the service answers a JSON body with 406); lists of
//! ids and field definitions travel as JSON text inside a form value. A
//! node's metadata is deleted by keys or all at once, and the call says which:
//! a DELETE without keys removes everything, so that is never a default.

use serde::Deserialize;
use serde_json::Value;

use super::path::{join, seg};
use super::{BuildError, Params, Req, invalid};

/// Most node ids one bulk metadata-details call names (src/api/metadata.rs:14-19).
pub const MAX_METADATA_DETAILS_IDS: usize = 25;
/// Most ids one template node add or remove carries (src/api/metadata.rs:749).
pub const MAX_TEMPLATE_NODE_IDS: usize = 25;
/// Longest metadata search query, in characters (src/api/metadata.rs:756).
pub const MAX_METADATA_QUERY: usize = 1024;
/// Largest metadata search page (src/api/metadata.rs:758).
pub const MAX_METADATA_SEARCH_LIMIT: u32 = 100;

/// Which metadata of a node a delete removes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetadataKeys {
    /// These keys (of this template, when given).
    Keys {
        /// The keys.
        keys: Vec<String>,
        /// The template they belong to.
        #[serde(default)]
        template_id: Option<String>,
    },
    /// Every key of one template.
    Template(String),
    /// Everything: said out loud, never the default.
    All,
}

/// Metadata calls, all in one workspace.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MetadataCall {
    /// `POST …/metadata/templates/` (form `name`, `description`, `category`,
    /// `fields` as a JSON array; src/api/metadata.rs:700-737).
    TemplateCreate {
        /// The workspace.
        workspace_id: String,
        /// 1 to 255 characters.
        name: String,
        /// 1 to 1000 characters.
        description: String,
        /// 1 to 50 characters.
        category: String,
        /// The field definitions (a non-empty JSON array).
        fields: Value,
    },
    /// `GET …/metadata/templates/list/[{filter}/]` (tools.rs:4650-4660).
    TemplateList {
        /// The workspace.
        workspace_id: String,
        /// A filter the service names (`enabled`, `custom`, …).
        #[serde(default)]
        filter: Option<String>,
    },
    /// `GET …/metadata/templates/{id}/details/`.
    TemplateDetails {
        /// The workspace.
        workspace_id: String,
        /// The template.
        template_id: String,
    },
    /// `POST …/metadata/templates/{id}/settings/` (form `enabled`,
    /// `priority`; tools.rs:4688-4712).
    TemplateSettings {
        /// The workspace.
        workspace_id: String,
        /// The template.
        template_id: String,
        /// On or off.
        #[serde(default)]
        enabled: Option<bool>,
        /// Where it ranks.
        #[serde(default)]
        priority: Option<u32>,
    },
    /// `POST …/metadata/templates/{id}/update/` (form; tools.rs:4718-4765).
    TemplateUpdate {
        /// The workspace.
        workspace_id: String,
        /// The template.
        template_id: String,
        /// A new name.
        #[serde(default)]
        name: Option<String>,
        /// A new description.
        #[serde(default)]
        description: Option<String>,
        /// A new category.
        #[serde(default)]
        category: Option<String>,
        /// New field definitions (a JSON array).
        #[serde(default)]
        fields: Option<Value>,
    },
    /// `DELETE …/metadata/templates/{id}/` (tools.rs:4640-4645).
    TemplateDelete {
        /// The workspace.
        workspace_id: String,
        /// The template.
        template_id: String,
    },
    /// `POST …/metadata/templates/{id}/nodes/add/` or `…/remove/` (form
    /// `node_ids` as a JSON array; src/api/metadata.rs:318-354).
    TemplateNodes {
        /// The workspace.
        workspace_id: String,
        /// The template.
        template_id: String,
        /// Add (`true`) or remove.
        add: bool,
        /// 1 to 25 node ids.
        node_ids: Vec<String>,
    },
    /// `GET …/metadata/templates/{id}/nodes/` with `limit`, `offset`,
    /// `sort_field`, `sort_dir` (src/api/metadata.rs:368-406).
    TemplateNodeList {
        /// The workspace.
        workspace_id: String,
        /// The template.
        template_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
        /// A field to sort by.
        #[serde(default)]
        sort_field: Option<String>,
        /// `asc` or `desc`.
        #[serde(default)]
        sort_dir: Option<String>,
    },
    /// `GET …/storage/{ids}/metadata/details/`: up to 25 nodes, a lone id
    /// sent twice so the answer always has the bulk shape
    /// (src/api/metadata.rs:130-185).
    Details {
        /// The workspace.
        workspace_id: String,
        /// 1 to 25 node ids.
        nodes: Vec<String>,
    },
    /// `POST …/storage/{node}/metadata/update/{template}/` (form
    /// `key_values`, a JSON object; tools.rs:5030-5055).
    Update {
        /// The workspace.
        workspace_id: String,
        /// The file.
        node: String,
        /// The template.
        template_id: String,
        /// The values, by key.
        key_values: serde_json::Map<String, Value>,
    },
    /// `POST …/storage/{node}/metadata/extract/` (form `template_id`,
    /// `fields`): a background job; poll `WorkspacesCall::JobsStatus`
    /// (src/api/metadata.rs:520-551).
    Extract {
        /// The workspace.
        workspace_id: String,
        /// The file.
        node: String,
        /// Only this template.
        #[serde(default)]
        template_id: Option<String>,
        /// Only these fields (a JSON array).
        #[serde(default)]
        fields: Option<Value>,
    },
    /// `DELETE …/storage/{node}/metadata/` with `keys` (a JSON array) and
    /// `template_id` in the query (tools.rs:4780-4815).
    Delete {
        /// The workspace.
        workspace_id: String,
        /// The file.
        node: String,
        /// What goes.
        which: MetadataKeys,
    },
    /// `GET …/metadata/eligible/` with `limit`, `offset`: files metadata
    /// can describe (src/api/metadata.rs:286-307).
    Eligible {
        /// The workspace.
        workspace_id: String,
        /// Page size.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `GET …/metadata/search/?q=…` (src/api/metadata.rs:786-816).
    Search {
        /// The workspace.
        workspace_id: String,
        /// 1 to 1024 characters.
        q: String,
        /// Only this template's values.
        #[serde(default)]
        template_id: Option<String>,
        /// Page size, 1 to 100.
        #[serde(default)]
        limit: Option<u32>,
        /// Offset.
        #[serde(default)]
        offset: Option<u64>,
    },
    /// `POST …/metadata/view/{template}/export/` (form `parent_node_id`):
    /// the template's values as a file (src/api/metadata.rs:836-861).
    ExportView {
        /// The workspace.
        workspace_id: String,
        /// The template.
        template_id: String,
        /// The folder the export goes into.
        #[serde(default)]
        parent_node_id: Option<String>,
    },
}

fn path(ws: &str, tail: &[&str]) -> Result<String, BuildError> {
    let ws = seg("workspace_id", ws)?;
    let mut parts = vec!["workspace", ws.as_str()];
    parts.extend_from_slice(tail);
    Ok(join(&parts))
}

fn text(field: &'static str, v: &str, max: usize) -> Result<(), BuildError> {
    let n = v.trim().chars().count();
    if n == 0 {
        return Err(invalid(field, "is empty"));
    }
    if n > max {
        return Err(invalid(field, format!("is {n} characters; at most {max}")));
    }
    Ok(())
}

fn array_text(field: &'static str, v: &Value) -> Result<String, BuildError> {
    match v {
        Value::Array(a) if !a.is_empty() => Ok(v.to_string()),
        _ => Err(invalid(field, "must be a non-empty JSON array")),
    }
}

fn ids(field: &'static str, ids: &[String], max: usize) -> Result<(), BuildError> {
    if ids.is_empty() || ids.len() > max {
        return Err(invalid(
            field,
            format!("must name 1 to {max} ids, not {}", ids.len()),
        ));
    }
    if ids.iter().any(|i| i.trim().is_empty()) {
        return Err(invalid(field, "holds an empty id"));
    }
    Ok(())
}

pub(crate) fn build(c: &MetadataCall) -> Result<Req, BuildError> {
    use MetadataCall as M;
    Ok(match c {
        M::TemplateCreate {
            workspace_id,
            name,
            description,
            category,
            fields,
        } => {
            text("name", name, 255)?;
            text("description", description, 1000)?;
            text("category", category, 50)?;
            Req::post_form(
                path(workspace_id, &["metadata", "templates"])?,
                Params::new()
                    .put("name", name)
                    .put("description", description)
                    .put("category", category)
                    .put("fields", array_text("fields", fields)?)
                    .done(),
            )
        }
        M::TemplateList {
            workspace_id,
            filter,
        } => {
            let f = filter.as_deref().map(|f| seg("filter", f)).transpose()?;
            let mut tail = vec!["metadata", "templates", "list"];
            if let Some(f) = &f {
                tail.push(f);
            }
            Req::get(path(workspace_id, &tail)?)
        }
        M::TemplateDetails {
            workspace_id,
            template_id,
        } => Req::get(path(
            workspace_id,
            &[
                "metadata",
                "templates",
                &seg("template_id", template_id)?,
                "details",
            ],
        )?),
        M::TemplateSettings {
            workspace_id,
            template_id,
            enabled,
            priority,
        } => {
            if enabled.is_none() && priority.is_none() {
                return Err(invalid("enabled", "give enabled, priority or both"));
            }
            Req::post_form(
                path(
                    workspace_id,
                    &[
                        "metadata",
                        "templates",
                        &seg("template_id", template_id)?,
                        "settings",
                    ],
                )?,
                Params::new()
                    .opt_bool("enabled", *enabled)
                    .opt("priority", priority)
                    .done(),
            )
        }
        M::TemplateUpdate {
            workspace_id,
            template_id,
            name,
            description,
            category,
            fields,
        } => {
            for (f, v, max) in [
                ("name", name, 255),
                ("description", description, 1000),
                ("category", category, 50),
            ] {
                if let Some(v) = v {
                    text(f, v, max)?;
                }
            }
            let mut form = Params::new()
                .opt("name", name)
                .opt("description", description)
                .opt("category", category)
                .done();
            if let Some(f) = fields {
                form.push(("fields".into(), array_text("fields", f)?));
            }
            if form.is_empty() {
                return Err(invalid(
                    "template_id",
                    "an update needs at least one change",
                ));
            }
            Req::post_form(
                path(
                    workspace_id,
                    &[
                        "metadata",
                        "templates",
                        &seg("template_id", template_id)?,
                        "update",
                    ],
                )?,
                form,
            )
        }
        M::TemplateDelete {
            workspace_id,
            template_id,
        } => Req::delete(path(
            workspace_id,
            &["metadata", "templates", &seg("template_id", template_id)?],
        )?),
        M::TemplateNodes {
            workspace_id,
            template_id,
            add,
            node_ids,
        } => {
            ids("node_ids", node_ids, MAX_TEMPLATE_NODE_IDS)?;
            let action = if *add { "add" } else { "remove" };
            Req::post_form(
                path(
                    workspace_id,
                    &[
                        "metadata",
                        "templates",
                        &seg("template_id", template_id)?,
                        "nodes",
                        action,
                    ],
                )?,
                Params::new()
                    .put("node_ids", serde_json::json!(node_ids))
                    .done(),
            )
        }
        M::TemplateNodeList {
            workspace_id,
            template_id,
            limit,
            offset,
            sort_field,
            sort_dir,
        } => {
            if sort_dir
                .as_deref()
                .is_some_and(|d| d != "asc" && d != "desc")
            {
                return Err(invalid("sort_dir", "must be asc or desc"));
            }
            Req::get(path(
                workspace_id,
                &[
                    "metadata",
                    "templates",
                    &seg("template_id", template_id)?,
                    "nodes",
                ],
            )?)
            .query(
                Params::new()
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .opt("sort_field", sort_field)
                    .opt("sort_dir", sort_dir)
                    .done(),
            )
        }
        M::Details {
            workspace_id,
            nodes,
        } => {
            ids("nodes", nodes, MAX_METADATA_DETAILS_IDS)?;
            let encoded = nodes
                .iter()
                .map(|n| seg("nodes", n))
                .collect::<Result<Vec<_>, _>>()?;
            let list = match encoded.as_slice() {
                [one] => format!("{one},{one}"),
                many => many.join(","),
            };
            Req::get(path(
                workspace_id,
                &["storage", &list, "metadata", "details"],
            )?)
        }
        M::Update {
            workspace_id,
            node,
            template_id,
            key_values,
        } => {
            if key_values.is_empty() {
                return Err(invalid("key_values", "is empty"));
            }
            Req::post_form(
                path(
                    workspace_id,
                    &[
                        "storage",
                        &seg("node", node)?,
                        "metadata",
                        "update",
                        &seg("template_id", template_id)?,
                    ],
                )?,
                Params::new()
                    .put("key_values", Value::Object(key_values.clone()))
                    .done(),
            )
        }
        M::Extract {
            workspace_id,
            node,
            template_id,
            fields,
        } => {
            let mut form = Params::new().opt("template_id", template_id).done();
            if let Some(f) = fields {
                form.push(("fields".into(), array_text("fields", f)?));
            }
            Req::post_form(
                path(
                    workspace_id,
                    &["storage", &seg("node", node)?, "metadata", "extract"],
                )?,
                form,
            )
        }
        M::Delete {
            workspace_id,
            node,
            which,
        } => {
            let q = match which {
                MetadataKeys::Keys { keys, template_id } => {
                    ids("keys", keys, usize::MAX)?;
                    Params::new()
                        .put("keys", serde_json::json!(keys))
                        .opt("template_id", template_id)
                        .done()
                }
                MetadataKeys::Template(t) => {
                    if t.trim().is_empty() {
                        return Err(invalid("template_id", "is empty"));
                    }
                    Params::new().put("template_id", t).done()
                }
                MetadataKeys::All => Vec::new(),
            };
            Req::delete(path(
                workspace_id,
                &["storage", &seg("node", node)?, "metadata"],
            )?)
            .query(q)
        }
        M::Eligible {
            workspace_id,
            limit,
            offset,
        } => Req::get(path(workspace_id, &["metadata", "eligible"])?).query(
            Params::new()
                .opt("limit", limit)
                .opt("offset", offset)
                .done(),
        ),
        M::Search {
            workspace_id,
            q,
            template_id,
            limit,
            offset,
        } => {
            text("q", q, MAX_METADATA_QUERY)?;
            if let Some(l) = limit
                && !(1..=MAX_METADATA_SEARCH_LIMIT).contains(l)
            {
                return Err(invalid(
                    "limit",
                    format!("must be 1 to {MAX_METADATA_SEARCH_LIMIT}, got {l}"),
                ));
            }
            Req::get(path(workspace_id, &["metadata", "search"])?).query(
                Params::new()
                    .put("q", q.trim())
                    .opt("template_id", template_id)
                    .opt("limit", limit)
                    .opt("offset", offset)
                    .done(),
            )
        }
        M::ExportView {
            workspace_id,
            template_id,
            parent_node_id,
        } => {
            if let Some(p) = parent_node_id {
                text("parent_node_id", p, 64)?;
            }
            Req::post_form(
                path(
                    workspace_id,
                    &[
                        "metadata",
                        "view",
                        &seg("template_id", template_id)?,
                        "export",
                    ],
                )?,
                Params::new().opt("parent_node_id", parent_node_id).done(),
            )
        }
    })
}
