//! Workspace, org and account management and the health checks: the core's builders over real
//! HTTP against the local server, with the state each change leaves checked by reading it back.

use fastio_core::api::Client;
use fastio_core::config::ClientConfig;
use fastio_native as driver;
use serde_json::{Value, json};

mod common;

use common::{Local, call, status};

fn start() -> (Local, Client) {
    let l = Local::start("mg-key");
    let c = l.client();
    (l, c)
}

fn ok(c: &Client, v: Value) -> Value {
    common::payload(c, &call(v))
}

#[test]
fn a_workspace_is_archived_checked_and_deleted_only_when_confirmed() {
    let (_srv, c) = start();
    let ws = driver::create_workspace(&c, "keep-me").unwrap();
    let w = json!({"workspaces": {"op": "archive", "workspace_id": ws}});
    assert_eq!(ok(&c, w.clone())["workspace"]["archived"], json!(true));
    assert_eq!(status(&c, w), 409, "archived twice");
    let _ = ok(
        &c,
        json!({"workspaces": {"op": "unarchive", "workspace_id": ws}}),
    );
    let limits = ok(
        &c,
        json!({"workspaces": {"op": "limits", "workspace_id": ws}}),
    );
    assert_eq!(limits["limits"]["files"], json!(0));
    let taken = ok(
        &c,
        json!({"workspaces": {"op": "check_name", "name": "keep-me"}}),
    );
    assert_eq!(taken["available"], json!(false));
    let free = ok(
        &c,
        json!({"workspaces": {"op": "check_name", "name": "brand-new"}}),
    );
    assert_eq!(free["available"], json!(true));
    let jobs = ok(
        &c,
        json!({"workspaces": {"op": "jobs_status", "workspace_id": ws}}),
    );
    assert_eq!(jobs["jobs"]["metadata_extract"], json!([]));
    let shares = ok(
        &c,
        json!({"workspaces": {"op": "list_shares", "workspace_id": ws}}),
    );
    assert_eq!(shares["shares"], json!([]));

    let wrong = json!({"workspaces": {"op": "delete", "workspace_id": ws, "confirm": "other"}});
    assert_eq!(status(&c, wrong), 400);
    let _ = ok(
        &c,
        json!({"workspaces": {"op": "delete", "workspace_id": ws, "confirm": "keep-me"}}),
    );
    assert_eq!(
        status(
            &c,
            json!({"orgs": {"op": "workspace_details", "workspace_id": ws}})
        ),
        404
    );
}

#[test]
fn an_org_is_updated_seen_publicly_and_closed() {
    let (_srv, c) = start();
    let org = ok(
        &c,
        json!({"orgs": {"op": "create", "domain": "acme-co", "name": "Acme"}}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let taken = ok(
        &c,
        json!({"orgs": {"op": "check_domain", "domain": "acme-co"}}),
    );
    assert_eq!(taken["available"], json!(false));
    let up = ok(
        &c,
        json!({"orgs": {"op": "update_org", "org_id": org, "name": "Acme Inc",
                        "description": "Widgets", "use_background": false}}),
    );
    assert_eq!(up["org"]["name"], json!("Acme Inc"));
    assert_eq!(up["org"]["use_background"], json!("false"));
    let public = ok(&c, json!({"orgs": {"op": "public_details", "org_id": org}}));
    assert_eq!(public["org"]["description"], json!("Widgets"));
    let all: Vec<Value> = ok(&c, json!({"orgs": {"op": "all"}}))["orgs"]
        .as_array()
        .unwrap()
        .clone();
    assert!(all.iter().any(|o| o["id"] == json!(org)));
    assert_eq!(
        status(
            &c,
            json!({"orgs": {"op": "close_org", "org_id": org, "confirm": "nope"}})
        ),
        400
    );
    let _ = ok(
        &c,
        json!({"orgs": {"op": "close_org", "org_id": org, "confirm": "acme-co"}}),
    );
    assert_eq!(
        status(&c, json!({"orgs": {"op": "details", "org_id": org}})),
        404
    );
}

#[test]
fn the_account_changes_and_the_service_answers_without_a_key() {
    let (srv, c) = start();
    let me = ok(
        &c,
        json!({"account": {"op": "update", "first_name": "Pat"}}),
    );
    assert_eq!(me["user"]["first_name"], json!("Pat"), "{me}");
    let found = ok(&c, json!({"account": {"op": "search", "search": "pat"}}));
    assert_eq!(found["users"][0]["first_name"], json!("Pat"));
    // Sign-out ends browser sessions, not API keys.
    let _ = ok(&c, json!({"account": {"op": "sign_out"}}));
    let _ = ok(&c, json!({"account": {"op": "allowed"}}));
    let anon = srv.anonymous();
    assert_eq!(
        ok(&anon, json!({"account": {"op": "ping"}}))["pong"],
        json!(true)
    );
    assert_eq!(
        ok(&anon, json!({"account": {"op": "status"}}))["status"],
        json!("ok")
    );
    // Everything else needs the key, and is refused before anything is sent.
    assert!(matches!(
        driver::call::<Value>(&anon, &call(json!({"account": {"op": "allowed"}}))),
        Err(driver::HostError::Build(
            fastio_core::api::BuildError::MissingCredential
        ))
    ));
}

#[test]
fn billing_imports_and_apps_get_the_documented_unknown_route_error() {
    let (_srv, c) = start();
    let ws = driver::create_workspace(&c, "routes").unwrap();
    for v in [
        json!({"billing": {"op": "plans"}}),
        json!({"imports": {"op": "providers", "workspace_id": ws}}),
        json!({"apps": {"op": "list"}}),
        json!({"apps": {"op": "how_to", "question": "How do I share?"}}),
    ] {
        match driver::call::<Value>(&c, &call(v.clone())) {
            Err(driver::HostError::Api { error, .. }) => {
                assert_eq!(error.status, Some(404), "{v}");
                assert_eq!(error.code.as_deref(), Some("9992"), "{v}");
            }
            other => panic!("{v}: {other:?}"),
        }
    }
}

#[test]
fn a_visitor_reaches_a_password_share_with_its_access_token_and_nothing_else() {
    let (srv, c) = start();
    let ws = driver::create_workspace(&c, "visits").unwrap();
    let share = ok(
        &c,
        json!({"shares": {"op": "create", "workspace_id": ws, "title": "Deliverables",
                          "share_type": "send", "password": "s3cret",
                          "access_options": "Anyone with the link"}}),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let anon = srv.anonymous();
    let public = ok(
        &anon,
        json!({"shares": {"op": "public_details", "share_id": share}}),
    );
    assert_eq!(public["share"]["password_protected"], json!(true));
    assert_eq!(
        status(
            &anon,
            json!({"shares": {"op": "password_auth", "share_id": share, "password": "guess"}})
        ),
        403
    );
    // A password share admits no guest.
    assert_eq!(
        status(
            &anon,
            json!({"shares": {"op": "guest_auth", "share_id": share}})
        ),
        403
    );
    let token = ok(
        &anon,
        json!({"shares": {"op": "password_auth", "share_id": share, "password": "s3cret"}}),
    )["auth_token"]
        .as_str()
        .unwrap()
        .to_string();
    let visitor = Client::new(ClientConfig {
        credential: Some(fastio_core::config::Credential::Jwt(token.into())),
        ..ClientConfig::with_api_key(&srv.srv.base_url, "x").unwrap()
    })
    .unwrap();
    let seen = ok(
        &visitor,
        json!({"shares": {"op": "details", "share_id": share}}),
    );
    assert_eq!(seen["share"]["id"], json!(share));
    // The token opens that share alone.
    assert_eq!(status(&visitor, json!({"orgs": {"op": "list"}})), 401);

    let _ = ok(
        &c,
        json!({"shares": {"op": "set_archived", "share_id": share, "archived": true}}),
    );
    assert_eq!(
        ok(
            &anon,
            json!({"shares": {"op": "public_details", "share_id": share}})
        )["share"]["archived"],
        json!(true)
    );
    assert_eq!(
        status(
            &c,
            json!({"shares": {"op": "set_archived", "share_id": share, "archived": true}})
        ),
        409
    );
    let taken = ok(
        &c,
        json!({"shares": {"op": "check_name", "name": "free-name"}}),
    );
    assert_eq!(taken["available"], json!(true));
}

#[test]
fn dashboard_cards_are_dismissed_snoozed_and_shown_again() {
    let (_srv, c) = start();
    let ws = driver::create_workspace(&c, "dash").unwrap();
    let keys = |c: &Client| -> Vec<String> {
        ok(
            c,
            json!({"workspaces": {"op": "dashboard", "workspace_id": ws}}),
        )["cards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["card_key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&c), ["welcome", "upload_files", "invite_team"]);
    let _ = ok(
        &c,
        json!({"workspaces": {"op": "dismiss_card", "workspace_id": ws, "card_key": "welcome"}}),
    );
    let _ = ok(
        &c,
        json!({"workspaces": {"op": "dismiss_card", "workspace_id": ws, "card_key": "invite_team",
                              "snooze_until": "2999-01-01T00:00:00Z"}}),
    );
    assert_eq!(keys(&c), ["upload_files"]);
    let _ = ok(
        &c,
        json!({"workspaces": {"op": "dismiss_card", "workspace_id": ws, "card_key": "invite_team",
                              "snooze_until": "2001-01-01T00:00:00Z"}}),
    );
    let _ = ok(
        &c,
        json!({"workspaces": {"op": "undismiss_card", "workspace_id": ws, "card_key": "welcome"}}),
    );
    assert_eq!(keys(&c), ["welcome", "upload_files", "invite_team"]);
    assert_eq!(
        status(
            &c,
            json!({"workspaces": {"op": "undismiss_card", "workspace_id": ws, "card_key": "welcome"}})
        ),
        404
    );
}

#[test]
fn ai_transactions_list_and_a_share_is_titled_from_its_files() {
    let (_srv, c) = start();
    let ws = driver::create_workspace(&c, "ai-extras").unwrap();
    let tx = ok(
        &c,
        json!({"ai": {"op": "transactions", "workspace_id": ws}}),
    );
    assert_eq!(tx["transactions"], json!([]));
    let share = ok(
        &c,
        json!({"shares": {"op": "create", "workspace_id": ws, "title": "Untitled",
                          "storage_mode": "workspace_folder", "create_folder": true,
                          "folder_name": "deliverables"}}),
    );
    let id = share["id"].as_str().unwrap().to_string();
    let folder = share["share"]["folder_node_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Empty, it has nothing to be titled by.
    assert_eq!(
        status(&c, json!({"ai": {"op": "autotitle", "share_id": id}})),
        400
    );
    let mut spec = fastio_core::upload::UploadSpec::file("brief.pdf", 3, &ws);
    spec.folder_id = folder;
    driver::upload(
        &c,
        spec,
        b"abc",
        fastio_core::upload::UploadConfig::default(),
        |_| {},
    )
    .unwrap();
    let t = ok(
        &c,
        json!({"ai": {"op": "autotitle", "share_id": id, "user_context": "Q3 pack"}}),
    );
    assert_eq!(t["title"], json!("Files: brief.pdf"));
    let seen = ok(&c, json!({"shares": {"op": "details", "share_id": id}}));
    assert_eq!(seen["share"]["title"], json!("Files: brief.pdf"));
    assert_eq!(seen["share"]["description"], json!("Q3 pack (1 files)"));
}
