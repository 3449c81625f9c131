//! File Shares end to end: the core's builders, models and redirect rule over
//! real HTTP against the local server, as a member who shares a file and as
//! an anonymous recipient who has only the link and its password.

use fastio_core::api::{Call, Client};
use fastio_core::decode::models::{FileShare, FileShareDetails, FileShareGrants, FileShareList};
use fastio_core::http::HttpResponse;
use fastio_core::upload::{UploadConfig, UploadSpec};
use fastio_native as driver;
use serde_json::json;

mod common;

use common::Local;

fn start() -> Local {
    Local::start("fs-key")
}

fn member(s: &Local) -> Client {
    s.client()
}

fn anonymous(s: &Local) -> Client {
    s.anonymous()
}

fn call(v: serde_json::Value) -> Call {
    serde_json::from_value(json!({ "fileshares": v })).unwrap()
}

fn send(client: &Client, c: &Call) -> HttpResponse {
    let req = client.build(c).expect("builds");
    driver::send(&driver::agent(), &req).expect("sent")
}

fn api_error(client: &Client, c: &Call) -> fastio_core::decode::ApiError {
    let resp = send(client, c);
    client
        .decode(c, &resp)
        .expect_err("the server refuses the call")
}

/// A workspace with one uploaded file; returns (workspace, node, bytes).
fn shared_file(s: &Local) -> (String, String, Vec<u8>) {
    let c = member(s);
    let ws = driver::create_workspace(&c, "fs").unwrap();
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let spec = UploadSpec::file("report.bin", bytes.len() as u64, &ws);
    let done = driver::upload(&c, spec, &bytes, UploadConfig::default(), |_| {}).unwrap();
    (ws, done.node_id.expect("a node"), bytes)
}

#[test]
fn a_password_link_serves_its_file_to_an_anonymous_recipient() {
    let s = start();
    let (ws, node, bytes) = shared_file(&s);
    let m = member(&s);
    let created: FileShare = driver::call(
        &m,
        &call(
            json!({"op": "create", "workspace_id": ws, "node_id": node, "title": "Report",
                     "access_option": "anyone_with_link", "password": "open sesame",
                     "expires": {"in": 3600}}),
        ),
    )
    .unwrap();
    let id = created.id.clone().expect("an id");
    assert_eq!(created.file_name(), Some("report.bin"));
    assert_eq!(created.extra["password_protected"], json!(true));

    // Without the password, or with a wrong one, the recipient is refused.
    let anon = anonymous(&s);
    let e = api_error(&anon, &call(json!({"op": "details", "fileshare_id": id})));
    assert_eq!(e.status, Some(403), "{e:?}");
    let e = api_error(
        &anon,
        &call(json!({"op": "read", "fileshare_id": id, "password": "guess"})),
    );
    assert_eq!(e.status, Some(403), "{e:?}");

    // With it: details, the bytes, the versions.
    let pw = json!("open sesame");
    let d: FileShareDetails = driver::call(
        &anon,
        &call(json!({"op": "details", "fileshare_id": id, "password": pw})),
    )
    .unwrap();
    assert_eq!(d.capability(), Some("download"));
    assert_eq!(d.fileshare.file_name(), Some("report.bin"));
    let read = send(
        &anon,
        &call(json!({"op": "read", "fileshare_id": id, "password": pw})),
    );
    assert_eq!(read.status, 200);
    assert_eq!(read.body, bytes);
    let versions = send(
        &anon,
        &call(json!({"op": "versions", "fileshare_id": id, "password": pw})),
    );
    let v: serde_json::Value = serde_json::from_slice(&versions.body).unwrap();
    let vid = v["versions"][0]["id"]
        .as_str()
        .expect("a version")
        .to_string();
    let old = send(
        &anon,
        &call(json!({"op": "version_read", "fileshare_id": id, "version_id": vid, "password": pw})),
    );
    assert_eq!(old.body, bytes);

    // The preview answers with a redirect; the core follows it once with no
    // credential at all, and the target's token alone authorises the read.
    let preview = call(
        json!({"op": "preview", "fileshare_id": id, "preview_type": "thumbnail", "password": pw}),
    );
    let first_req = m.build(&preview).unwrap();
    let first = driver::send(&driver::agent(), &first_req).unwrap();
    assert_eq!(first.status, 307);
    let follow = m.follow_redirect(&first_req.url, &first).unwrap();
    assert!(
        follow
            .headers
            .iter()
            .all(|(k, _)| !k.eq_ignore_ascii_case("authorization")
                && !k.eq_ignore_ascii_case("x-ve-password")),
        "{follow:?}"
    );
    let got = driver::send(&driver::agent(), &follow).unwrap();
    assert_eq!((got.status, got.body), (200, bytes.clone()));
    // A 3xx to a password-carrying request is never an answer to use.
    assert!(m.decode(&preview, &first).is_err());

    // Clearing the password opens the link to anyone.
    let _: FileShare = driver::call(
        &m,
        &call(json!({"op": "update", "fileshare_id": id, "password": "clear"})),
    )
    .unwrap();
    let open = send(&anon, &call(json!({"op": "read", "fileshare_id": id})));
    assert_eq!(open.body, bytes);
}

#[test]
fn management_lists_grants_restricts_and_deletes() {
    let s = start();
    let (ws, node, _) = shared_file(&s);
    let m = member(&s);
    let mut ids = Vec::new();
    for t in ["a", "b", "c"] {
        let f: FileShare = driver::call(
            &m,
            &call(json!({"op": "create", "workspace_id": ws, "node_id": node, "title": t})),
        )
        .unwrap();
        ids.push(f.id.unwrap());
    }
    let page: FileShareList = driver::call(
        &m,
        &call(json!({"op": "list", "workspace_id": ws, "limit": 2, "offset": 1})),
    )
    .unwrap();
    let titles: Vec<_> = page
        .fileshares
        .iter()
        .map(|f| f.title.clone().unwrap())
        .collect();
    assert_eq!(titles, ["b", "c"]);
    assert_eq!(page.pagination.unwrap().total, Some(3));

    let id = &ids[0];
    for g in [
        json!({"op": "grant_add", "fileshare_id": id, "grantee": {"email": "pat+x@example.com"}, "capability": "view"}),
        json!({"op": "grant_add", "fileshare_id": id, "grantee": {"user": "1234567890123456789"}, "capability": "edit"}),
    ] {
        assert_eq!(send(&m, &call(g)).status, 200);
    }
    let grants: FileShareGrants =
        driver::call(&m, &call(json!({"op": "grants", "fileshare_id": id}))).unwrap();
    assert_eq!(grants.grants.len(), 2);
    assert!(
        grants
            .grants
            .iter()
            .any(|g| g.email.as_deref() == Some("pat+x@example.com"))
    );
    // Removed by the address in the query.
    let rm = call(
        json!({"op": "grant_remove", "fileshare_id": id, "grantee": {"email": "pat+x@example.com"}}),
    );
    assert_eq!(send(&m, &rm).status, 200);
    let grants: FileShareGrants =
        driver::call(&m, &call(json!({"op": "grants", "fileshare_id": id}))).unwrap();
    assert_eq!(grants.grants.len(), 1);

    // A named-people link admits no anonymous caller.
    let _: FileShare = driver::call(
        &m,
        &call(json!({"op": "update", "fileshare_id": id, "access_option": "named_people"})),
    )
    .unwrap();
    let e = api_error(
        &anonymous(&s),
        &call(json!({"op": "details", "fileshare_id": id})),
    );
    assert_eq!(e.status, Some(401), "{e:?}");

    assert_eq!(
        send(&m, &call(json!({"op": "delete", "fileshare_id": id}))).status,
        200
    );
    let e = api_error(&m, &call(json!({"op": "details", "fileshare_id": id})));
    assert_eq!(e.status, Some(404), "{e:?}");
}

#[test]
fn a_folder_cannot_be_shared_as_a_file_and_an_expired_link_is_gone() {
    let s = start();
    let (ws, node, _) = shared_file(&s);
    let m = member(&s);
    let e = api_error(
        &m,
        &call(json!({"op": "create", "workspace_id": ws, "node_id": "root"})),
    );
    assert_eq!(e.status, Some(400), "{e:?}");
    // An absolute expiry in the past makes a link that is already gone.
    let f: FileShare = driver::call(
        &m,
        &call(json!({"op": "create", "workspace_id": ws, "node_id": node,
                     "expires": {"at": "2001-01-01T00:00:00Z"}})),
    )
    .unwrap();
    let e = api_error(
        &m,
        &call(json!({"op": "read", "fileshare_id": f.id.unwrap()})),
    );
    assert_eq!(e.status, Some(410), "{e:?}");
}
