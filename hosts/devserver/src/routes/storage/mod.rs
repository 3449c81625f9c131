//! `/workspace/{id}/storage/…`: listing, details, folders, move/copy/update, trash and purge,
//! versions, search, downloads (token or bearer, with `Range`), locks and folder zips.

mod browse;
mod checks;
mod download;
mod edit;
mod locks;
mod notes;
mod restore;
mod trash;

use std::sync::Arc;

use axum::http::Method;

use self::browse::{details, list, recent, search, versions};
use self::download::{read, request_token, zip};
use self::edit::{copy, createfolder, move_node, update};
use self::locks::{heartbeat, lock, lock_status, unlock};
use self::restore::{restore, restore_version, transfer};
use self::trash::{empty_trash, purge_route, trash};
use super::request::Req;
use super::{metadata, nodes, scope, upload};
use crate::envelope::{ApiError, ApiResult};
use crate::state::AppState;

pub use self::download::{file_body, serve_file};

pub async fn route(st: &Arc<AppState>, ws: &str, rest: &[&str], rq: &mut Req) -> ApiResult {
    scope::workspace(&st.db(), ws)?;
    route_in(st, ws, "root", None, rest, rq).await
}

/// `/share/{id}/storage/…`: the same operations inside the share's storage scope. For a
/// folder-backed share, `root` means the shared folder and nothing outside it is reachable.
pub async fn route_share(st: &Arc<AppState>, id: &str, rest: &[&str], rq: &mut Req) -> ApiResult {
    let (ns, root) = scope::storage_scope(&st.db(), id)?;
    let mut path: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
    if root != "root" {
        if path.first().is_some_and(|s| s == "root") {
            path[0] = root.clone();
        }
        for k in ["parent", "folder_id"] {
            if rq.params.get(k) == Some("root") {
                rq.params.set(k, &root);
            }
        }
        let db = st.db();
        let mut ids: Vec<String> = Vec::new();
        // A bulk-details list is checked id by id inside `details`, so that an id outside the
        // share is one entry of `errors` rather than a failure of the whole call.
        let bulk = path.len() == 2 && path[1] == "details" && path[0].contains(',');
        if let Some(first) = path.first()
            && path.len() > 1
            && first != "trash"
            && !bulk
        {
            ids.extend(first.split(',').map(str::to_string));
        }
        if let Some(p) = rq.params.get("parent") {
            ids.push(p.to_string());
        }
        for n in ids {
            if !nodes::is_descendant(&db, &n, &root)? {
                return Err(ApiError::not_found(format!(
                    "The node '{n}' is not in this share."
                )));
            }
        }
    }
    let refs: Vec<&str> = path.iter().map(String::as_str).collect();
    route_in(st, &ns, &root, Some(id), &refs, rq).await
}

/// Storage operations in namespace `ws` (a workspace id, or an independent share's id), where
/// `scope_root` is the folder searches are limited to and `share` the share the call came
/// through, if any.
async fn route_in(
    st: &Arc<AppState>,
    ws: &str,
    scope_root: &str,
    share: Option<&str>,
    rest: &[&str],
    rq: &mut Req,
) -> ApiResult {
    let m = rq.method.clone();
    let (get, post, del) = (m == Method::GET, m == Method::POST, m == Method::DELETE);
    match rest {
        ["search"] if get => search(st, ws, scope_root, rq),
        ["recent"] if get && share.is_none() => recent(st, ws, rq),
        ["trash", "delete"] if del => empty_trash(st, ws),
        [node, "list"] if get => list(st, ws, node, rq),
        [node, "details"] if get => details(st, ws, scope_root, node),
        [node, "createfolder"] if post => createfolder(st, ws, node, rq),
        [node, "move"] if post => move_node(st, ws, node, rq),
        [node, "copy"] if post => copy(st, ws, node, rq),
        [node, "update"] if post => update(st, ws, node, rq),
        [node, "delete"] if del => trash(st, ws, node, rq),
        [node, "purge"] if del => purge_route(st, ws, node),
        [node, "versions"] if get => versions(st, ws, node),
        [node, "restore"] if post => restore(st, ws, node),
        [node, "createnote"] if post => notes::create(st, ws, node, rq),
        [list, "metadata", "details"] if get && share.is_none() => metadata::details(st, ws, list),
        [node, "metadata", "update", tid] if post && share.is_none() => {
            metadata::set_values(st, ws, node, tid, rq)
        }
        [node, "metadata"] if del && share.is_none() => metadata::delete_values(st, ws, node, rq),
        [node, "updatenote"] if post => notes::update(st, ws, node, rq),
        [node, "readnote"] if get => notes::read(st, ws, node, rq),
        [node, "restore-version"] if post => restore_version(st, ws, node, rq),
        [node, "transfer"] if post && share.is_none() => transfer(st, ws, node, rq),
        [node, "requestread"] if get || post => request_token(st, ws, node, "read", rq),
        [node, "requestzip"] if get || post => request_token(st, ws, node, "zip", rq),
        [node, "read"] if get => read(st, ws, node, rq).await,
        [node, "zip"] if get => zip(st, ws, node, rq).await,
        [node, "lock"] if post => lock(st, ws, node, rq),
        [node, "lock"] if get => lock_status(st, ws, node),
        [node, "lock"] if del => unlock(st, ws, node, rq),
        [node, "lock", "heartbeat"] if post => heartbeat(st, ws, node, rq),
        [node, "addfile"] if post => {
            let folder = nodes::folder(&st.db(), ws, node)?;
            upload::addfile(st, ws, &folder, share, rq).await
        }
        _ => Err(ApiError::unknown_route()),
    }
}
