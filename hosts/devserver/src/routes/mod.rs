//! Route table: one match over method and path segments, so trailing slashes, ids given as
//! numbers or strings, and unknown routes (404, code 9992) are handled in one place.

pub mod account;
pub mod ai;
pub mod ai_extras;
pub mod comments;
pub mod dashboard;
pub mod dev;
pub mod events;
pub mod fileshares;
pub mod loopback;
pub mod members;
pub mod metadata;
pub mod multipart;
pub mod nodes;
pub mod orgs;
pub mod paging;
pub mod request;
pub mod scope;
pub mod search;
pub mod share_access;
pub mod shares;
pub mod storage;
pub mod transfer;
pub mod upload;
pub mod user;
pub mod webhooks;
pub mod workspaces;

use std::sync::Arc;

use axum::http::Method;

/// What the request pipeline asks of a route before its handler runs.
pub use request::{BATCH_MAX_BYTES, Req, body_limit, is_streaming, known_prefix, needs_auth};

use crate::envelope::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn route(st: &Arc<AppState>, rq: &mut Req) -> ApiResult {
    let segs = rq.segs.clone();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = rq.method.clone();
    let get = m == Method::GET;
    let post = m == Method::POST;
    let del = m == Method::DELETE;
    let patch = m == Method::PATCH;
    match s.as_slice() {
        // user and keys
        ["user", "auth", "check"] if get => user::auth_check(st),
        ["user", "me", "details"] | ["user", "details"] if get => user::details(st),
        ["user", "auth", "key"] if post => user::key_create(st, rq),
        ["user", "auth", "keys"] if get => user::key_list(st),
        ["user", "auth", "key", id] if get => user::key_get(st, id),
        ["user", "auth", "key", id] if post => user::key_update(st, id, rq),
        ["user", "auth", "key", id] if del => user::key_delete(st, id),

        // the account and the service
        ["user", "update"] if post => account::update(st, rq),
        ["user", "close"] if post => account::close(rq),
        ["user", "me", "allowed"] if get => account::allowed(),
        ["user", "me", "limits", "orgs"] if get => account::org_limits(st),
        ["user", "auth", "sign-out" | "invalidate-all"] if post => account::sign_out(),
        ["users", "search"] if get => account::search(st, rq),
        ["auth", "scopes"] if get => account::scopes(),
        ["ping"] if get => account::ping(),
        ["system", "status"] if get => account::status(),

        // orgs and workspaces
        ["orgs", "list"] if get => orgs::list(st, rq),
        ["orgs", "list", "external"] if get => orgs::list_external(),
        ["org", "create"] if post => orgs::create(st, rq),
        ["org", id, "details"] if get => orgs::details(st, id),
        ["org", id, "list", "workspaces"] if get => orgs::workspaces(st, Some(id), rq),
        ["workspaces", "all"] if get => orgs::workspaces(st, None, rq),
        ["org", id, "create", "workspace"] if post => orgs::create_workspace(st, id, rq),
        ["workspace", id, "details"] if get => orgs::workspace_details(st, id),
        ["workspace", id, "update"] if post => orgs::workspace_update(st, id, rq),
        ["workspace", id, "delete"] if del => workspaces::delete(st, id, rq),
        ["workspace", id, "archive"] if post => workspaces::set_archived(st, id, true),
        ["workspace", id, "unarchive"] if post => workspaces::set_archived(st, id, false),
        ["workspace", id, "limits"] if get => workspaces::limits(st, id),
        ["workspace", id, "list", "shares"] if get => workspaces::shares(st, id, rq),
        ["workspace", id, "jobs", "status"] if get => workspaces::jobs(st, id),
        ["workspace", id, "import", on @ ("enable" | "disable")] if post => {
            workspaces::set_import(st, id, *on == "enable")
        }
        ["workspaces", "check", "name", name] if get => workspaces::check_name(st, name),
        ["workspaces", "available"] if get => orgs::none_available("workspaces"),
        ["org", id, "update"] if post => orgs::update(st, id, rq),
        ["org", id, "close"] if post => orgs::close(st, id, rq),
        ["org", id, "public", "details"] if get => orgs::public_details(st, id),
        ["orgs", "available"] if get => orgs::none_available("orgs"),
        ["orgs", "all"] if get => orgs::list(st, rq),
        ["orgs", "check", "domain", domain] if get => orgs::check_domain(st, domain),

        // ownership transfer
        ["org", id, "transfer", "token", "create"] if post => transfer::create(st, id),
        ["org", id, "transfer", "token", "list"] if get => transfer::list(st, id),
        ["org", id, "transfer", "token", tid] if del => transfer::delete(st, id, tid),
        ["org", "transfer", "claim"] if post => transfer::claim(st, rq),

        // uploads
        ["upload"] if post => upload::create_or_single(st, rq).await,
        ["upload"] if del => upload::cancel_all(st),
        ["upload", "details"] if get => upload::list(st),
        ["upload", "limits"] if get => upload::limits(st),
        ["upload", "algos"] if get => upload::algos(),
        ["upload", "batch"] if post => upload::batch(st, rq).await,
        ["upload", id, "chunk"] if post => upload::chunk(st, id, rq).await,
        ["upload", id, "chunk"] if get => upload::chunk_status(st, id),
        ["upload", id, "chunk"] if del => upload::chunk_delete(st, id, rq),
        ["upload", id, "complete"] if post => upload::complete(st, id),
        ["upload", id, "details"] if get => upload::details(st, id, rq).await,
        ["upload", id, "stream"] if post => upload::stream(st, id, rq).await,
        ["upload", id] if del => upload::cancel(st, id),
        ["web_upload"] if post => upload::web_create(st, rq).await,
        ["web_upload"] if get => upload::web_list(st),
        ["web_upload"] if del => upload::web_cancel(st, rq.params.get("id").unwrap_or("")),
        ["web_upload", id] if del => upload::web_cancel(st, id),
        ["web_upload", id, "details"] if get => upload::web_details(st, id),

        // members and invitations
        [
            kind @ ("workspace" | "share" | "org"),
            id,
            first @ ("members" | "member"),
            rest @ ..,
        ] => {
            let mut tail = vec![*first];
            tail.extend_from_slice(rest);
            members::route(st, kind, id, &tail, rq)
        }
        ["user", "invitations", "list"] if get => members::mine(st, rq),

        // comments
        ["comments", rest @ ..] => comments::route(st, rest, rq),

        // metadata
        ["workspace", ws, "metadata", rest @ ..] => metadata::route(st, ws, rest, rq),

        // unified search
        ["workspace", ws, "search"] if get => search::workspace(st, ws, rq),
        ["share", id, "search"] if get => search::share(st, id, rq),

        // storage
        ["workspace", ws, "storage", rest @ ..] => storage::route(st, ws, rest, rq).await,
        ["share", id, "storage", rest @ ..] => storage::route_share(st, id, rest, rq).await,

        // shares
        ["workspace", ws, "create", "share"] if post => shares::create(st, ws, rq),
        ["share", id, "details"] if get => shares::details(st, id),
        ["share", id, "update"] if post => shares::update(st, id, rq),
        ["share", id, "delete"] if del => shares::delete(st, id, rq),
        ["shares", "all"] if get => shares::list(st, rq),
        ["shares", "available"] if get => orgs::none_available("shares"),
        ["shares", "check", "name", name] if get => share_access::check_name(st, name),
        ["share", id, "public", "details"] if get => share_access::public_details(st, id),
        ["share", id, "archive"] if post => share_access::set_archived(st, id, true),
        ["share", id, "unarchive"] if post => share_access::set_archived(st, id, false),
        ["share", id, "auth", "password"] if post => share_access::password_auth(st, id, rq),
        ["share", id, "auth", "guest"] if post => share_access::guest_auth(st, id),

        // File Shares
        ["workspace", ws, "create", "fileshare"] if post => fileshares::create(st, ws, rq),
        ["workspace", ws, "list", "fileshares"] if get => fileshares::list(st, ws, rq),
        ["fileshare", id, "update"] if post || patch => fileshares::update(st, id, rq),
        ["fileshare", id, "delete"] if del => fileshares::delete(st, id),
        ["fileshare", id, "grants"] if get => fileshares::grants(st, id),
        ["fileshare", id, "grants"] if post => fileshares::grant_add(st, id, rq),
        ["fileshare", id, "grants"] if del => fileshares::grant_remove(st, id, rq),
        ["fileshare", id, "details"] if get => fileshares::details(st, id, rq),
        ["fileshare", id, "storage", "read"] if get => fileshares::read(st, id, None, rq).await,
        ["fileshare", id, "storage", "versions"] if get => fileshares::versions(st, id, rq),
        ["fileshare", id, "storage", "versions", vid, "read"] if get => {
            fileshares::read(st, id, Some(vid), rq).await
        }
        ["fileshare", id, "storage", "preview", kind, "read"] if get => {
            fileshares::preview(st, id, kind, rq)
        }

        // events, activity, webhooks
        ["events", "search"] if get => events::search(st, rq),
        ["events", "search", "summarize"] if get => events::summarize(st, rq),
        ["event", id, "ack"] if post => events::ack(st, id, rq),
        ["event", id, "details"] if get => events::details(st, id),
        ["activity", "poll", id] if get => events::poll(st, id, rq).await,
        ["workspace", ws, "outbound_webhook_subscriptions"] if post => webhooks::create(st, ws, rq),
        ["workspace", ws, "outbound_webhook_subscriptions"] if get => webhooks::list(st, ws),
        ["outbound_webhook_subscriptions", id] if get => webhooks::get(st, id),
        ["outbound_webhook_subscriptions", id] if patch || post => webhooks::update(st, id, rq),
        ["outbound_webhook_subscriptions", id] if del => webhooks::delete(st, id),
        ["outbound_webhook_subscriptions", id, "rotate_secret"] if post => webhooks::rotate(st, id),

        // dashboard
        ["workspace", ws, "dashboard"] if get => dashboard::list(st, ws, rq),
        ["workspace", ws, "dashboard", "cards", card, "dismiss"] if post => {
            dashboard::dismiss(st, ws, card, rq)
        }
        ["workspace", ws, "dashboard", "cards", card, "dismiss"] if del => {
            dashboard::undismiss(st, ws, card)
        }

        // AI (offline stand-in)
        ["workspace", ws, "ai", "transactions"] if get => ai_extras::transactions(st, ws),
        ["share", id, "ai", "autotitle"] if post => ai_extras::autotitle(st, id, rq),
        ["share", id, "ai", kind @ ("agent" | "chat"), rest @ ..] => {
            ai::route_share(st, id, kind, rest, rq)
        }
        ["workspace", ws, "ai", kind @ ("agent" | "chat"), rest @ ..] => {
            ai::route(st, ws, kind, rest, rq)
        }

        _ => Err(ApiError::unknown_route()),
    }
}
