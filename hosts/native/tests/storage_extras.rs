//! Restore from the trash, restore a version, recent files by cursor, a bearer read of one
//! version and a transfer between workspaces: the core's builders over real HTTP against the
//! local server.

use fastio_core::api::{Call, Client};
use fastio_native as driver;
use serde_json::{Value, json};

mod common;

use common::{Local, payload, put};

fn start() -> (Local, Client) {
    let l = Local::start("se-key");
    let c = l.client();
    (l, c)
}

fn storage(v: Value) -> Call {
    common::call(json!({ "storage": v }))
}

#[test]
fn versions_come_back_and_trash_is_undone() {
    let (_srv, c) = start();
    let ws = driver::create_workspace(&c, "extras").unwrap();
    let node = put(&c, &ws, "plan.txt", b"first");
    assert_eq!(put(&c, &ws, "plan.txt", b"second, longer"), node);
    let p = json!({"workspace": ws});

    let versions = payload(
        &c,
        &storage(json!({"op": "versions", "profile": p, "node": node})),
    );
    let first = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["size"] == 5)
        .expect("the first version")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A bearer read of one version, without a read token.
    let read = c
        .build(&storage(
            json!({"op": "read_authorized", "profile": p, "node": node, "version_id": first}),
        ))
        .unwrap();
    assert_eq!(
        driver::send(&driver::agent(), &read).unwrap().body,
        b"first"
    );

    let _ = payload(
        &c,
        &storage(json!({"op": "restore_version", "profile": p, "node": node, "version_id": first})),
    );
    let now = c
        .build(&storage(
            json!({"op": "read_authorized", "profile": p, "node": node}),
        ))
        .unwrap();
    assert_eq!(driver::send(&driver::agent(), &now).unwrap().body, b"first");

    let _ = payload(
        &c,
        &storage(json!({"op": "trash", "profile": p, "node": node})),
    );
    let details = storage(json!({"op": "details", "profile": p, "nodes": [node]}));
    assert_eq!(payload(&c, &details)["nodes"][0]["trashed"], json!(true));
    let _ = payload(
        &c,
        &storage(json!({"op": "restore", "profile": p, "node": node})),
    );
    assert_eq!(payload(&c, &details)["nodes"][0]["trashed"], json!(false));
    // Restoring what is not in the trash is refused.
    assert!(
        driver::call::<Value>(
            &c,
            &storage(json!({"op": "restore", "profile": p, "node": node}))
        )
        .is_err()
    );
}

#[test]
fn recent_files_walk_by_cursor_and_a_transfer_moves_the_node() {
    let (_srv, c) = start();
    let ws = driver::create_workspace(&c, "from").unwrap();
    let other = driver::create_workspace(&c, "to").unwrap();
    let mut made = Vec::new();
    for i in 0..3 {
        made.push(put(&c, &ws, &format!("r{i}.bin"), &[i as u8; 10]));
    }
    let walk = fastio_core::pager::Pager::new(storage(
        json!({"op": "recent", "workspace_id": ws, "type": "file", "page_size": 100}),
    ))
    .unwrap();
    let req = walk.next_request(&c).unwrap().unwrap();
    assert!(
        req.url.contains("/storage/recent/?page_size=100&type=file"),
        "{}",
        req.url
    );
    let page = payload(&c, &storage(json!({"op": "recent", "workspace_id": ws})));
    let ids: Vec<&str> = page["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(made.iter().all(|m| ids.contains(&m.as_str())));

    let moved = payload(
        &c,
        &storage(
            json!({"op": "transfer", "workspace_id": ws, "node": made[0], "target_workspace_id": other}),
        ),
    );
    assert_eq!(moved["node"]["workspace_id"], json!(other));
    let there = payload(
        &c,
        &storage(json!({"op": "list", "profile": {"workspace": other}})),
    );
    assert_eq!(there["nodes"][0]["id"], json!(made[0]));
    let left = payload(&c, &storage(json!({"op": "recent", "workspace_id": ws})));
    assert_eq!(left["nodes"].as_array().unwrap().len(), 2);
}

#[test]
fn a_unified_search_walks_its_buckets_to_the_end() {
    let (_srv, c) = start();
    let ws = driver::create_workspace(&c, "find").unwrap();
    let mut reports = Vec::new();
    for i in 0..3 {
        reports.push(put(&c, &ws, &format!("report-{i}.txt"), b"r"));
    }
    let other = put(&c, &ws, "minutes.txt", b"m");
    let _ = payload(
        &c,
        &storage(
            json!({"op": "update", "profile": {"workspace": ws}, "node": other,
                        "metadata_title": "Quarterly report minutes"}),
        ),
    );
    let call: Call = serde_json::from_value(json!({"search": {
        "op": "unified", "profile": {"workspace": ws}, "search": "report", "files": {"limit": 2}}}))
    .unwrap();
    let mut pager = fastio_core::pager::Pager::new(call).unwrap();
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut pages = 0;
    while let Some(req) = pager.next_request(&c) {
        let resp = driver::send(&driver::agent(), &req.unwrap()).unwrap();
        let page = pager.on_response(&c, &resp).unwrap();
        assert!(page.degraded.is_empty());
        for it in page.items {
            seen.push((
                it["bucket"].as_str().unwrap().into(),
                it["id"].as_str().unwrap().into(),
            ));
        }
        pages += 1;
        assert!(pages < 10, "the walk ends");
    }
    assert_eq!(pages, 2);
    let files: Vec<&str> = seen
        .iter()
        .filter(|(b, _)| b == "files")
        .map(|(_, id)| id.as_str())
        .collect();
    assert_eq!(files.len(), 3);
    assert!(reports.iter().all(|r| files.contains(&r.as_str())));
    assert_eq!(seen.iter().filter(|(b, _)| b == "metadata").count(), 1);
    assert!(seen.contains(&("metadata".to_string(), other.clone())));
}

#[test]
fn metadata_templates_describe_files_and_their_values_are_searched_and_deleted_by_name() {
    let (_srv, c) = start();
    let ws = driver::create_workspace(&c, "meta").unwrap();
    let a = put(&c, &ws, "invoice-a.pdf", b"a");
    let b = put(&c, &ws, "invoice-b.pdf", b"b");
    let md = |v: Value| -> Value {
        let mut v = v;
        v["workspace_id"] = json!(ws);
        payload(
            &c,
            &serde_json::from_value(json!({ "metadata": v })).unwrap(),
        )
    };
    let t = md(
        json!({"op": "template_create", "name": "Invoices", "description": "Invoice fields",
                      "category": "finance", "fields": [{"name": "amount"}, {"name": "vendor"}]}),
    );
    let tid = t["template"]["id"].as_str().unwrap().to_string();
    let _ =
        md(json!({"op": "template_nodes", "template_id": tid, "add": true, "node_ids": [a, b]}));
    let _ = md(json!({"op": "update", "node": a, "template_id": tid,
                      "key_values": {"amount": 12.5, "vendor": "ACME"}}));
    let _ = md(
        json!({"op": "update", "node": b, "template_id": tid, "key_values": {"vendor": "Globex"}}),
    );
    let found = md(json!({"op": "search", "q": "acme"}));
    assert_eq!(found["results"][0]["node_id"], json!(a), "{found}");
    assert_eq!(found["results"].as_array().unwrap().len(), 1);
    let listed = md(json!({"op": "template_node_list", "template_id": tid}));
    assert_eq!(listed["nodes"].as_array().unwrap().len(), 2);
    // A key that is not a field of the template is refused.
    let bad: Call = serde_json::from_value(json!({"metadata": {"op": "update", "workspace_id": ws,
        "node": a, "template_id": tid, "key_values": {"colour": "red"}}}))
    .unwrap();
    assert!(driver::call::<Value>(&c, &bad).is_err());
    // Deleting named keys removes those alone; everything goes only when said.
    let _ = md(
        json!({"op": "delete", "node": a, "which": {"keys": {"keys": ["vendor"], "template_id": tid}}}),
    );
    let d = md(json!({"op": "details", "nodes": [a]}));
    assert_eq!(d["nodes"][0]["metadata"], json!({"amount": 12.5}), "{d}");
    let _ = md(json!({"op": "delete", "node": a, "which": "all"}));
    let d = md(json!({"op": "details", "nodes": [a, b]}));
    assert_eq!(d["nodes"][0]["metadata"], json!({}));
    assert_eq!(d["nodes"][1]["metadata"], json!({"vendor": "Globex"}));
    let _ = md(json!({"op": "template_settings", "template_id": tid, "enabled": false}));
    let enabled = md(json!({"op": "template_list", "filter": "enabled"}));
    assert_eq!(enabled["templates"], json!([]));
    let _ = md(json!({"op": "template_delete", "template_id": tid}));
    let d = md(json!({"op": "details", "nodes": [b]}));
    assert_eq!(
        d["nodes"][0]["metadata"],
        json!({}),
        "a deleted template takes its values"
    );
}
