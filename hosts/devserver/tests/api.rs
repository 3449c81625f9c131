//! HTTP-level tests of the API groups, against a server started in-process.

mod common;

use std::thread;
use std::time::Duration;

use common::*;
use serde_json::Value;
use sha2::Digest;

#[test]
fn auth_envelope_errors_and_rate_headers() {
    let api = start();
    let r = api.send("GET", "user/auth/check/", None, &[], None);
    assert_eq!(r.status, 401);
    let j = r.json();
    assert_eq!(j["result"], false);
    assert_eq!(j["error"]["resource"], "GET /current/user/auth/check/");
    assert!(r.header("x-ve-limit-avail").is_some());
    assert_eq!(
        api.send("GET", "user/auth/check/", Some("wrong"), &[], None)
            .status,
        401
    );

    let r = api.get("user/auth/check/");
    assert_eq!(r.status, 200);
    let id = r.r()["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 19);
    for h in ["x-ve-limit-avail", "x-ve-limit-max", "x-ve-limit-expires"] {
        assert!(r.header(h).unwrap().parse::<i64>().is_ok(), "{h}");
    }
    // Without the trailing slash and with ?output= the route still answers.
    assert_eq!(
        api.get("user/me/details?output=full").r()["user"]["id"],
        id.as_str()
    );
    assert_eq!(api.get("user/details/").r()["user"]["id"], id.as_str());

    let r = api.send("GET", "no/such/route/", None, &[], None);
    assert_eq!(
        (r.status, r.code()),
        (404, 9992),
        "unknown even without a token"
    );
    let r = api.get("no/such/route/");
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), 9992);
    let r = api.send(
        "GET",
        &format!("{}/elsewhere", api.origin()),
        Some("test-key"),
        &[],
        None,
    );
    assert_eq!((r.status, r.code()), (404, 9992));
}

#[test]
fn rate_limit_budget_gives_429() {
    let api = start_with(|c| c.rate_limit_max = 3);
    for left in [2, 1, 0] {
        let r = api.get("user/auth/check/");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-ve-limit-avail").unwrap(), left.to_string());
    }
    let r = api.get("user/auth/check/");
    assert_eq!((r.status, r.code()), (429, 1671));
    assert_eq!(r.header("x-ve-limit-avail").unwrap(), "0");
    assert_eq!(r.header("x-ve-limit-max").unwrap(), "3");
    let exp: i64 = r.header("x-ve-limit-expires").unwrap().parse().unwrap();
    assert!(exp > 1_700_000_000);
}

#[test]
fn api_keys_lifecycle() {
    let api = start();
    let r = api
        .post("user/auth/key/", &[("memo", "ci"), ("agent_name", "bot")])
        .r();
    let key = r["api_key"].as_str().unwrap().to_string();
    let kid = r["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.send("GET", "user/auth/check/", Some(&key), &[], None)
            .status,
        200
    );
    let list = api.get("user/auth/keys/").r();
    assert_eq!(list["results"], 1);
    assert!(!list.to_string().contains(&key), "keys are shown once");
    assert_eq!(api.get(&format!("user/auth/key/{kid}/")).r()["memo"], "ci");
    assert_eq!(
        api.post(&format!("user/auth/key/{kid}/"), &[("memo", "renamed")])
            .r()["memo"],
        "renamed"
    );
    assert_eq!(
        api.post("user/auth/key/", &[("expires", "tomorrow")])
            .status,
        400
    );
    assert_eq!(api.delete(&format!("user/auth/key/{kid}/")).status, 200);
    assert_eq!(
        api.send("GET", "user/auth/check/", Some(&key), &[], None)
            .status,
        401
    );
    assert_eq!(api.get(&format!("user/auth/key/{kid}/")).status, 404);
}

#[test]
fn orgs_and_workspaces() {
    let api = start();
    let orgs = api.get("orgs/list/").r();
    assert_eq!(orgs["orgs"].as_array().unwrap().len(), 1);
    assert_eq!(orgs["orgs"][0]["member"], true);
    assert_eq!(
        api.get("orgs/list/external/").r()["orgs"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let org = api.default_org();
    assert_eq!(
        api.get(&format!("org/{org}/details/")).r()["org"]["subscriber"],
        true
    );
    assert_eq!(api.get("org/abc/details/").status, 404);
    let new = api
        .post("org/create/", &[("domain", "acme"), ("name", "Acme")])
        .r()["org"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(api.post("org/create/", &[("domain", "acme")]).status, 409);
    assert_eq!(
        api.get("orgs/list/").r()["orgs"].as_array().unwrap().len(),
        2
    );

    let ws = api
        .post(
            &format!("org/{new}/create/workspace/"),
            &[
                ("name", "Docs"),
                ("folder_name", "docs"),
                ("perm_join", "Member or above"),
                ("perm_member_manage", "Admin or above"),
                ("intelligence", "true"),
            ],
        )
        .r();
    let ws_id = ws["workspace"]["id"].as_str().unwrap().to_string();
    assert_eq!(ws["workspace"]["intelligence"], true);
    assert_eq!(
        api.post(
            &format!("org/{new}/create/workspace/"),
            &workspace_fields("Docs", "docs")
        )
        .status,
        409
    );
    assert_eq!(
        api.get(&format!("org/{new}/list/workspaces/")).r()["workspaces"][0]["id"],
        ws_id.as_str()
    );
    assert_eq!(
        api.get(&format!("org/{org}/list/workspaces/")).r()["workspaces"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(api.get("workspaces/all/").r()["pagination"]["total"], 1);
    assert_eq!(
        api.post(&format!("workspace/{ws_id}/update/"), &[("name", "Docs 2")])
            .r()["workspace"]["name"],
        "Docs 2"
    );
    assert_eq!(
        api.get(&format!("workspace/{ws_id}/details")).r()["workspace"]["name"],
        "Docs 2"
    );
    assert_eq!(api.get("workspace/not-a-number/details/").status, 404);
    assert_eq!(api.get("orgs/list/?limit=0").status, 400);
}

fn hash_hex(algo: &str, d: &[u8]) -> String {
    let b: Vec<u8> = match algo {
        "md5" => md5::Md5::digest(d).to_vec(),
        "sha1" => sha1::Sha1::digest(d).to_vec(),
        "sha256" => sha2::Sha256::digest(d).to_vec(),
        "sha384" => sha2::Sha384::digest(d).to_vec(),
        _ => return crc32c_hex(d),
    };
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn chunked_upload_three_parallel_chunks_with_hashes() {
    let api = start();
    let ws = api.workspace("uploads");
    let data = pattern(3 * 40_000 + 12_345, 7);
    let size = data.len().to_string();
    let id = api
        .post(
            "upload/",
            &[
                ("name", "big.bin"),
                ("size", &size),
                ("action", "create"),
                ("instance_id", &ws),
                ("folder_id", "root"),
            ],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.get(&format!("upload/{id}/details/")).r()["session"]["status"],
        "ready"
    );
    let parts: Vec<&[u8]> = data.chunks(40_000).collect();
    assert_eq!(parts.len(), 4);
    let file_crc = crc32c_hex(&data);
    let algos = ["sha256", "md5", "crc32c", "sha384"];
    // Chunks 1-3 go up in parallel, with order, size and hash in the query (as the CLI
    // does)...
    thread::scope(|s| {
        for (i, part) in parts.iter().take(3).enumerate() {
            let (api, id) = (&api, &id);
            let algo = algos[i];
            s.spawn(move || {
                let h = hash_hex(algo, part);
                let q = format!(
                    "upload/{id}/chunk/?order={}&size={}&hash={h}&hash_algo={algo}",
                    i + 1,
                    part.len()
                );
                let r = api.post_multipart(&q, &[], &[("chunk", part)]);
                assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            });
        }
    });
    // ...and the last one with the whole-file CRC32C too.
    let last = parts[3];
    let r = api.post_multipart(
        &format!(
            "upload/{id}/chunk/?order=4&size={}&hash={}&hash_algo=sha1&file_crc32c={file_crc}",
            last.len(),
            hash_hex("sha1", last)
        ),
        &[],
        &[("chunk", last)],
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let chunks = api.get(&format!("upload/{id}/chunk/")).r()["chunks"].clone();
    assert_eq!(chunks["1"], 40_000);
    assert_eq!(chunks["4"], 12_345);
    let r = api.post(&format!("upload/{id}/complete/"), &[]);
    assert_eq!(r.status, 200);
    let s = api.wait_stored(&id);
    assert_eq!(s["status"], "stored", "{s}");
    let node = s["new_file_id"].as_str().unwrap().to_string();
    assert_eq!(api.download(&ws, &node), data);
    let details = api
        .get(&format!("workspace/{ws}/storage/{node}/details/"))
        .r()["node"]
        .clone();
    assert_eq!(details["size"], data.len());
    assert_eq!(details["hash"], hash_hex("md5", &data));
    assert_eq!(details["hash_algo"], "md5");

    // Range read with the bearer token.
    let r = api.send(
        "GET",
        &format!("workspace/{ws}/storage/{node}/read/"),
        Some("test-key"),
        &[("Range", "bytes=10-19")],
        None,
    );
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &data[10..20]);
    assert_eq!(
        r.header("content-range").unwrap(),
        format!("bytes 10-19/{}", data.len())
    );
    let r = api.send(
        "GET",
        &format!("workspace/{ws}/storage/{node}/read/"),
        Some("test-key"),
        &[("Range", "bytes=-5")],
        None,
    );
    assert_eq!(r.body, &data[data.len() - 5..]);
    let r = api.send(
        "GET",
        &format!("workspace/{ws}/storage/{node}/read/?token=bogus"),
        None,
        &[],
        None,
    );
    assert_eq!(r.status, 403);

    // Uploading over the same name makes a new version.
    let node2 = api.put_file(&ws, "root", "big.bin", b"second version");
    assert_eq!(node2, node);
    let versions = api
        .get(&format!("workspace/{ws}/storage/{node}/versions/"))
        .r()["versions"]
        .clone();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(api.download(&ws, &node), b"second version");
    let old = versions[1]["id"].as_str().unwrap();
    let r = api.send(
        "GET",
        &format!("workspace/{ws}/storage/{node}/read/?version_id={old}"),
        Some("test-key"),
        &[],
        None,
    );
    assert_eq!(r.body, data);
}

#[test]
fn hash_and_crc_mismatches_store_nothing() {
    let api = start();
    let ws = api.workspace("bad-hashes");
    let data = pattern(5000, 3);
    let id = api
        .post(
            "upload/",
            &[("name", "x.bin"), ("size", "5000"), ("instance_id", &ws)],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api.post_multipart(
        &format!("upload/{id}/chunk/?order=1&hash=00&hash_algo=sha256"),
        &[],
        &[("chunk", &data[..3000])],
    );
    assert_eq!((r.status, r.code()), (406, 10778));
    assert_eq!(
        api.post_multipart(
            &format!("upload/{id}/chunk/?order=1&hash=00&hash_algo=whirlpool"),
            &[],
            &[("chunk", &data[..3000])]
        )
        .status,
        400
    );
    assert_eq!(
        api.get(&format!("upload/{id}/chunk/")).r()["chunks"],
        serde_json::json!({})
    );
    assert_eq!(
        api.post_multipart(
            &format!("upload/{id}/chunk/?order=1&size=3000"),
            &[],
            &[("chunk", &data[..3000])]
        )
        .status,
        200
    );
    let r = api.post_multipart(
        &format!("upload/{id}/chunk/?order=2&size=2000&file_crc32c=deadbeef"),
        &[],
        &[("chunk", &data[3000..])],
    );
    assert_eq!((r.status, r.code()), (406, 10778));
    let s = api.get(&format!("upload/{id}/details/")).r()["session"].clone();
    assert_eq!(s["status"], "assembly_failed");
    assert_eq!(s["integrity_failure"]["expected_crc32c"], "deadbeef");
    assert_eq!(
        s["integrity_failure"]["computed_crc32c"],
        crc32c_hex(&data).as_str()
    );
    assert_eq!(
        api.get(&format!("workspace/{ws}/storage/root/list/")).r()["nodes"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(api.post(&format!("upload/{id}/complete/"), &[]).status, 409);
    // Unknown and malformed upload ids.
    assert_eq!(api.get("upload/abcdef/details/").code(), 10508);
    assert_eq!(api.get("upload/..%2F..%2Fetc/details/").code(), 10507);
}

#[test]
fn single_stream_limits_algos_sessions_and_addfile() {
    let api = start();
    let ws = api.workspace("misc");
    let node = api.put_file(&ws, "root", "hello.txt", b"hello world");
    assert_eq!(api.download(&ws, &node), b"hello world");
    let too_big = vec![0u8; 4 * 1024 * 1024 + 1];
    assert_eq!(
        api.post_multipart(
            "upload/",
            &[("name", "big"), ("instance_id", &ws)],
            &[("chunk", &too_big)]
        )
        .status,
        413
    );

    let limits = api.get("upload/limits/").r();
    for k in [
        "chunk_size",
        "min_chunk_size",
        "max_chunk_size",
        "max_file_size",
        "max_single_upload_size",
        "max_parallel_chunks",
    ] {
        assert!(limits[k].as_u64().is_some(), "{k}");
    }
    assert_eq!(limits["min_chunk_size"], 1024);
    let algos = api.get("upload/algos/").r()["algos"].clone();
    assert!(algos.as_array().unwrap().iter().any(|a| a == "crc32c"));

    // Stream upload with a hash in the query; it finalises itself.
    let id = api
        .post(
            "upload/",
            &[
                ("name", "stream.bin"),
                ("stream", "true"),
                ("max_size", "100000"),
                ("instance_id", &ws),
            ],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let data = pattern(70_000, 9);
    let q = format!(
        "upload/{id}/stream/?hash={}&hash_algo=sha256",
        hash_hex("sha256", &data)
    );
    let r = api.send(
        "POST",
        &q,
        Some("test-key"),
        &[("Content-Type", "application/octet-stream")],
        Some(&data),
    );
    let resp = r.r();
    assert_eq!(resp["session"]["status"], "stored");
    assert_eq!(
        api.download(&ws, resp["new_file_id"].as_str().unwrap()),
        data
    );
    let id2 = api
        .post(
            "upload/",
            &[
                ("name", "s2"),
                ("stream", "true"),
                ("max_size", "10"),
                ("instance_id", &ws),
            ],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.send(
            "POST",
            &format!("upload/{id2}/stream/"),
            Some("test-key"),
            &[("Content-Type", "application/octet-stream")],
            Some(&data)
        )
        .status,
        413
    );

    // Unplaced session, then addfile.
    let id3 = api
        .post("upload/", &[("name", "later.txt"), ("size", "5")])
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.post_multipart(
        &format!("upload/{id3}/chunk/?order=1"),
        &[],
        &[("chunk", b"later")],
    )
    .r();
    api.post(&format!("upload/{id3}/complete/"), &[]).r();
    let s = api.wait_stored(&id3);
    assert_eq!(s["status"], "stored");
    assert!(s["new_file_id"].is_null());
    let from = format!("{{\"type\":\"upload\",\"upload\":{{\"id\":\"{id3}\"}}}}");
    let placed = api
        .post(
            &format!("workspace/{ws}/storage/root/addfile/"),
            &[("name", "later.txt"), ("from", &from)],
        )
        .r();
    let n = placed["node"]["id"].as_str().unwrap();
    assert_eq!(api.download(&ws, n), b"later");

    // Chunk delete, list, cancel, cancel all.
    let id4 = api
        .post(
            "upload/",
            &[("name", "d.bin"), ("size", "4000"), ("instance_id", &ws)],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.post_multipart(
        &format!("upload/{id4}/chunk/?order=1"),
        &[],
        &[("chunk", &[1u8; 2000])],
    )
    .r();
    assert_eq!(
        api.delete(&format!("upload/{id4}/chunk/?order=1")).status,
        200
    );
    assert_eq!(
        api.delete(&format!("upload/{id4}/chunk/?order=1")).status,
        404
    );
    assert_eq!(
        api.post(&format!("upload/{id4}/complete/"), &[]).status,
        400
    );
    let sessions = api.get("upload/details/").r();
    assert!(
        sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == id4.as_str())
    );
    assert_eq!(api.delete(&format!("upload/{id4}/")).status, 200);
    assert_eq!(api.get(&format!("upload/{id4}/details/")).code(), 10508);
    api.post("upload/", &[("name", "e.bin"), ("size", "10")])
        .r();
    assert!(api.delete("upload/").r()["cancelled"].as_u64().unwrap() >= 1);
    assert_eq!(
        api.get("upload/details/").r()["sessions"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Missing size is a 400 with the parameter listed.
    let r = api.post("upload/", &[("name", "nosize")]);
    assert_eq!((r.status, r.code()), (400, 1605));
    assert_eq!(r.json()["error"]["params"][0]["name"], "size");
}

#[test]
fn more_than_three_chunks_in_flight_is_rate_limited() {
    use std::io::Write;
    let api = start();
    let ws = api.workspace("inflight");
    let id = api
        .post(
            "upload/",
            &[("name", "f"), ("size", "40000"), ("instance_id", &ws)],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let addr = api.addr();
    // Three requests that send their headers and part of the body, then stall.
    let mut held = Vec::new();
    for order in 1..=3 {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let body = multipart(&[], &[("chunk", &[0u8; 10_000])]);
        let head = format!(
            "POST /current/upload/{id}/chunk/?order={order} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body[..100]).unwrap();
        held.push(s);
    }
    // Once the three stalled requests hold their slots, a fourth is refused (bounded wait:
    // a loaded machine may take a moment to hand the stalled requests to the handler).
    let chunk4 = || {
        api.post_multipart(
            &format!("upload/{id}/chunk/?order=4"),
            &[],
            &[("chunk", &[0u8; 10_000])],
        )
    };
    let refused = (0..50).find_map(|_| {
        thread::sleep(Duration::from_millis(100));
        let r = chunk4();
        (r.status == 429).then_some(r)
    });
    assert_eq!(
        refused.expect("a fourth chunk in flight is refused").code(),
        1671
    );
    drop(held);
    let accepted = (0..50).any(|_| {
        thread::sleep(Duration::from_millis(100));
        chunk4().status == 200
    });
    assert!(
        accepted,
        "slots are released when the stalled requests go away"
    );
}

fn names(v: &Value) -> Vec<String> {
    v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn storage_operations() {
    let api = start();
    let ws = api.workspace("storage");
    let p = |s: &str| format!("workspace/{ws}/storage/{s}");
    let folder = api.post(&p("root/createfolder/"), &[("name", "docs")]).r()["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Without force the call is idempotent; with it a renamed folder is made.
    assert_eq!(
        api.post(&p("root/createfolder/"), &[("name", "docs")]).r()["node"]["id"],
        folder.as_str()
    );
    let forced = api
        .post(
            &p("root/createfolder/"),
            &[("name", "docs"), ("force", "true")],
        )
        .r()["node"]
        .clone();
    assert_ne!(forced["id"], folder.as_str());
    assert_eq!(forced["name"], "docs (1)");
    for bad in ["..", "a/b", "", "x\u{1}y"] {
        assert_eq!(
            api.post(&p("root/createfolder/"), &[("name", bad)]).status,
            400,
            "{bad:?}"
        );
    }
    let a = api.put_file(&ws, &folder, "a.txt", b"alpha");
    let b = api.put_file(&ws, "root", "b.txt", b"bravo");

    // Paging over 260 entries with page_size 250.
    for i in 0..260 {
        api.post(
            &p(&format!("{folder}/createfolder/")),
            &[("name", &format!("sub{i:03}"))],
        )
        .r();
    }
    let first = api
        .get(&p(&format!(
            "{folder}/list/?page_size=250&sort_by=name&sort_dir=desc"
        )))
        .r();
    assert_eq!(first["nodes"].as_array().unwrap().len(), 250);
    assert_eq!(first["pagination"]["has_more"], true);
    assert_eq!(names(&first)[0], "sub259");
    let cursor = first["pagination"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let second = api
        .get(&p(&format!(
            "{folder}/list/?page_size=250&sort_by=name&sort_dir=desc&cursor={cursor}"
        )))
        .r();
    assert_eq!(second["nodes"].as_array().unwrap().len(), 11);
    assert_eq!(second["pagination"]["has_more"], false);
    assert_eq!(api.get(&p("root/list/?page_size=7")).status, 400);
    assert_eq!(api.get(&p("root/list/?sort_by=color")).status, 400);

    // Bulk details.
    let multi = api.get(&p(&format!("{a},{b},nope1/details/"))).r();
    assert_eq!(multi["format"], "multi");
    assert_eq!(multi["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(multi["errors"][0]["node_id"], "nope1");
    assert_eq!(multi["errors"][0]["code"], 133_123);
    let all_bad = api.get(&p("nope1,nope2/details/"));
    assert_eq!(all_bad.status, 404);
    assert_eq!(all_bad.json()["response"]["errors"][1]["node_id"], "nope2");

    // Move, copy, rename with if_version_id.
    api.post(&p(&format!("{b}/move/")), &[("parent", &folder)])
        .r();
    assert_eq!(
        api.get(&p(&format!("{b}/details/"))).r()["node"]["parent"],
        folder.as_str()
    );
    assert_eq!(
        api.post(&p(&format!("{folder}/move/")), &[("parent", &folder)])
            .status,
        400
    );
    let copy = api.post(
        &p(&format!("{folder}/copy/")),
        &[("parent", "root"), ("name", "ignored")],
    );
    assert_eq!(copy.status, 409, "same name in root");
    let other = api.post(&p("root/createfolder/"), &[("name", "other")]).r()["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let copied = api
        .post(&p(&format!("{a}/copy/")), &[("parent", &other)])
        .r()["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(api.download(&ws, &copied), b"alpha");
    let ver = api.get(&p(&format!("{a}/details/"))).r()["node"]["version"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.post(
            &p(&format!("{a}/update/")),
            &[("name", "a2.txt"), ("if_version_id", "stale")]
        )
        .status,
        409
    );
    assert_eq!(
        api.post(
            &p(&format!("{a}/update/")),
            &[("name", "a2.txt"), ("if_version_id", &ver)]
        )
        .r()["node"]["name"],
        "a2.txt"
    );

    // Search.
    let found = api.get(&p("search/?search=A2")).r();
    assert!(found["files"].get(&a).is_some());

    // Locks: release reads the token from the body or the query.
    let lock = api
        .post(
            &p(&format!("{a}/lock/")),
            &[("duration", "120"), ("client_info", "test")],
        )
        .r();
    let tok = lock["lock_token"].as_str().unwrap().to_string();
    assert_eq!(api.get(&p(&format!("{a}/lock/"))).r()["locked"], true);
    assert_eq!(api.post(&p(&format!("{a}/lock/")), &[]).status, 409);
    assert_eq!(
        api.post(&p(&format!("{a}/update/")), &[("name", "x.txt")])
            .status,
        409
    );
    assert_eq!(
        api.post(&p(&format!("{a}/lock/heartbeat/")), &[("lock_token", &tok)])
            .status,
        200
    );
    assert_eq!(
        api.post(
            &p(&format!("{a}/lock/heartbeat/")),
            &[("lock_token", "wrong")]
        )
        .status,
        409
    );
    assert_eq!(
        api.send(
            "DELETE",
            &p(&format!("{a}/lock/")),
            Some("test-key"),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(format!("lock_token={tok}").as_bytes())
        )
        .status,
        200
    );
    let lock = api.post(&p(&format!("{a}/lock/")), &[]).r();
    let tok = lock["lock_token"].as_str().unwrap().to_string();
    assert_eq!(
        api.delete(&p(&format!("{a}/lock/?lock_token={tok}")))
            .status,
        200
    );
    assert_eq!(api.get(&p(&format!("{a}/lock/"))).r()["locked"], false);

    // Zip of a folder (stored entries).
    let zr = api.get(&p(&format!("{folder}/zip/")));
    assert_eq!(zr.status, 200);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zr.body)).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name("a2.txt").unwrap(), &mut s).unwrap();
    assert_eq!(s, "alpha");
    let tok = api.get(&p(&format!("{folder}/requestzip/"))).r()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.send(
            "GET",
            &p(&format!("{folder}/zip/?token={tok}")),
            None,
            &[],
            None
        )
        .status,
        200
    );

    // Trash, list trash, purge, empty trash.
    api.delete(&p(&format!("{b}/delete/"))).r();
    assert_eq!(
        api.get(&p(&format!("{b}/details/"))).r()["node"]["trashed"],
        true
    );
    assert!(names(&api.get(&p("trash/list/")).r()).contains(&"b.txt".to_string()));
    api.delete(&p(&format!("{copied}/delete/"))).r();
    api.delete(&p(&format!("{copied}/purge/"))).r();
    assert_eq!(api.get(&p(&format!("{copied}/details/"))).status, 404);
    assert_eq!(
        api.download(&ws, &a),
        b"alpha",
        "purging a copy keeps the shared bytes"
    );
    api.delete(&p("trash/delete/")).r();
    assert_eq!(
        api.get(&p("trash/list/")).r()["nodes"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(api.get(&p(&format!("{b}/details/"))).status, 404);
}

#[test]
fn hostile_input_is_rejected_without_escaping_the_data_dir() {
    let api = start_with(|c| c.max_form_body = 64 * 1024);
    let ws = api.workspace("hostile");
    for name in ["../../escape.txt", "..", "a/../../b", "..\\..\\c"] {
        let r = api.post_multipart(
            "upload/",
            &[("name", name), ("instance_id", &ws)],
            &[("chunk", b"x")],
        );
        assert_eq!((r.status, r.code()), (400, 1605), "{name}");
    }
    // Malformed multipart.
    let r = api.send(
        "POST",
        "upload/",
        Some("test-key"),
        &[("Content-Type", "multipart/form-data; boundary=zzz")],
        Some(b"--zzz\r\nbroken"),
    );
    assert_eq!(r.status, 400);
    let r = api.send(
        "POST",
        "upload/",
        Some("test-key"),
        &[("Content-Type", "multipart/form-data")],
        Some(b"x"),
    );
    assert_eq!(r.status, 400);
    // Body over the cap.
    let big = "a=".to_string() + &"x".repeat(100_000);
    let r = api.send(
        "POST",
        "org/create/",
        Some("test-key"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(big.as_bytes()),
    );
    assert_eq!(r.status, 413);
    // Bad JSON, non-numeric ids, huge headers.
    assert_eq!(
        api.send(
            "POST",
            "org/create/",
            Some("test-key"),
            &[("Content-Type", "application/json")],
            Some(b"{nope")
        )
        .status,
        400
    );
    assert_eq!(api.get("org/%00%2F../details/").status, 404);
    assert_eq!(
        api.get(&format!("workspace/{ws}/storage/..%2F..%2Fx/details/"))
            .status,
        400
    );
    let huge = "y".repeat(1_000_000);
    let r = api.send(
        "GET",
        "user/auth/check/",
        Some("test-key"),
        &[("X-Huge", &huge)],
        None,
    );
    assert!(
        r.status == 431 || r.status == 0 || r.status == 400,
        "{}",
        r.status
    );
    assert_eq!(api.get("user/auth/check/").status, 200, "still serving");
    // Everything written stays inside the data directory.
    let entries: Vec<String> = std::fs::read_dir(api.dir.as_ref().unwrap().path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, vec!["data".to_string()]);
}

#[test]
fn shares_follow_the_rules() {
    let api = start();
    let ws = api.workspace("shares");
    let folder = api
        .post(
            &format!("workspace/{ws}/storage/root/createfolder/"),
            &[("name", "shared")],
        )
        .r()["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // `intelligence` is required; every create below sends it unless it tests it.
    let c = |f: &[(&str, &str)]| {
        let mut f = f.to_vec();
        if !f.iter().any(|(k, _)| *k == "intelligence") {
            f.push(("intelligence", "false"));
        }
        api.post(&format!("workspace/{ws}/create/share/"), &f)
    };
    assert_eq!(
        c(&[
            ("title", "x"),
            ("share_type", "exchange"),
            ("password", "pw")
        ])
        .status,
        400
    );
    assert_eq!(
        c(&[
            ("title", "x"),
            ("share_type", "receive"),
            ("access_options", "Anyone with the link")
        ])
        .status,
        400
    );
    let send = c(&[
        ("title", "Send"),
        ("share_type", "send"),
        ("password", "pw"),
        ("access_options", "Anyone with the link"),
    ])
    .r();
    let sid = send["share"]["id"].as_str().unwrap().to_string();
    assert_eq!(send["share"]["storage_mode"], "independent");
    assert_eq!(send["share"]["share_category"], "portal");
    let f = c(&[
        ("title", "F"),
        ("storage_mode", "workspace_folder"),
        ("folder_node_id", &folder),
    ])
    .r();
    assert_eq!(f["share"]["share_type"], "exchange");
    assert_eq!(f["share"]["share_category"], "shared_folder");
    assert_eq!(
        c(&[
            ("title", "F2"),
            ("storage_mode", "workspace_folder"),
            ("folder_node_id", &folder)
        ])
        .status,
        409
    );
    assert_eq!(
        c(&[
            ("title", "F3"),
            ("create_folder", "true"),
            ("folder_name", "fresh"),
            ("intelligence", "true")
        ])
        .status,
        400
    );
    assert_eq!(
        api.get(&format!("share/{sid}/details/")).r()["share"]["title"],
        "Send"
    );
    assert_eq!(
        api.post(&format!("share/{sid}/update/"), &[("title", "Renamed")])
            .r()["share"]["title"],
        "Renamed"
    );
    assert_eq!(
        api.get("shares/all/").r()["shares"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        api.delete_form(&format!("share/{sid}/delete/"), &[("confirm", &sid)])
            .status,
        200
    );
    assert_eq!(api.get(&format!("share/{sid}/details/")).status, 404);
}

#[test]
fn ownership_transfer_tokens() {
    let api = start();
    let org = api.default_org();
    let t = api
        .post(&format!("org/{org}/transfer/token/create/"), &[])
        .r();
    let token = t["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 64);
    let tid = t["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.get(&format!("org/{org}/transfer/token/list/")).r()["tokens"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for _ in 0..4 {
        api.post(&format!("org/{org}/transfer/token/create/"), &[])
            .r();
    }
    assert_eq!(
        api.post(&format!("org/{org}/transfer/token/create/"), &[])
            .status,
        409,
        "at most 5 active"
    );
    assert_eq!(
        api.post("org/transfer/claim/", &[("token", &token)]).r()["org_id"],
        org.as_str()
    );
    assert_eq!(
        api.post("org/transfer/claim/", &[("token", &token)]).status,
        409
    );
    assert_eq!(
        api.post("org/transfer/claim/", &[("token", "nope")]).status,
        404
    );
    assert_eq!(
        api.delete(&format!("org/{org}/transfer/token/{tid}/"))
            .status,
        200
    );
    assert_eq!(
        api.delete(&format!("org/{org}/transfer/token/{tid}/"))
            .status,
        404
    );
}

#[test]
fn ai_agent_and_legacy_chat_answer_from_text_search() {
    let api = start();
    let ws = api.workspace("ai");
    let note = api.put_file(
        &ws,
        "root",
        "notes.txt",
        b"Intro line\nThe launch date for Project Falcon is March 3rd.\nUnrelated.\n",
    );
    api.put_file(&ws, "root", "image.png", b"\x89PNG falcon");
    let r = api
        .post(
            &format!("workspace/{ws}/ai/agent/"),
            &[("question", "When is the Falcon launch?")],
        )
        .r();
    let chat = r["thread"]["thread_id"].as_str().unwrap().to_string();
    let turn = r["turn"]["turn_id"].as_str().unwrap().to_string();
    let mut seen = vec![];
    let msg = loop {
        let m = api
            .get(&format!(
                "workspace/{ws}/ai/agent/{chat}/message/{turn}/details/"
            ))
            .r()["message"]
            .clone();
        let s = m["state"].as_str().unwrap().to_string();
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == "complete" {
            break m;
        }
        assert!(seen.len() < 5);
        thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(seen.last().unwrap(), "complete");
    assert_eq!(msg["response"]["citations"][0]["node_id"], note.as_str());
    assert!(
        msg["response"]["citations"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("March 3rd")
    );
    let f = api
        .post(
            &format!("workspace/{ws}/ai/agent/{chat}/message/"),
            &[("question", "Anything unrelated?")],
        )
        .r();
    assert_eq!(f["seq"], 2);
    assert_eq!(
        api.post(
            &format!("workspace/{ws}/ai/agent/"),
            &[("question", "x"), ("privacy", "public")]
        )
        .status,
        403
    );
    assert_eq!(
        api.get(&format!("workspace/{ws}/ai/agent/list/")).r()["chats"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let r = api
        .post(
            &format!("workspace/{ws}/ai/chat/"),
            &[("type", "chat_with_files"), ("question", "launch date")],
        )
        .r();
    let (chat, msg) = (
        r["chat_id"].as_str().unwrap().to_string(),
        r["message_id"].as_str().unwrap().to_string(),
    );
    let m = (0..500)
        .map(|_| {
            thread::sleep(Duration::from_millis(10));
            api.get(&format!(
                "workspace/{ws}/ai/chat/{chat}/message/{msg}/details/"
            ))
            .r()["message"]
                .clone()
        })
        .find(|m| m["state"] == "complete")
        .expect("legacy chat completes");
    assert!(m["response"]["text"].as_str().unwrap().contains("Falcon"));
    assert_eq!(
        api.delete(&format!("workspace/{ws}/ai/chat/{chat}/"))
            .status,
        200
    );
}

#[test]
fn batch_and_web_upload() {
    let api = start();
    let ws = api.workspace("batch");
    let manifest = r#"[{"index":0,"filename":"one.txt"},{"index":1,"filename":"two.txt","hash_algo":"md5","hash":"00"},{"index":2,"filename":"../bad"}]"#;
    let r = api.post_multipart(
        "upload/batch/",
        &[
            ("instance_id", &ws),
            ("folder_id", "root"),
            ("manifest", manifest),
        ],
        &[("file_0", b"one"), ("file_1", b"two"), ("file_2", b"bad")],
    );
    let j = r.json();
    assert_eq!(j["result"], true);
    assert_eq!(j["count_total"], 3, "batch answers at top level: {j}");
    assert_eq!(j["count_succeeded"], 1);
    assert_eq!(j["results"][0]["status"], "ok");
    assert_eq!(j["results"][1]["error_code"], 10778);
    assert_eq!(
        api.download(&ws, j["results"][0]["node_id"].as_str().unwrap()),
        b"one"
    );

    // Web upload from a tiny local HTTP source.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let src = format!("http://{}/files/report.txt", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        use std::io::{Read, Write};
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut s = loop {
            match listener.accept() {
                Ok((s, _)) => break s,
                Err(_) if std::time::Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(5))
                }
                Err(_) => return,
            }
        };
        s.set_nonblocking(false).unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let body = b"imported bytes";
        let _ = s.write_all(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        let _ = s.write_all(body);
    });
    assert_eq!(
        api.post(
            "web_upload/",
            &[
                ("source_url", "http://example.com/x"),
                ("profile_id", &ws),
                ("profile_type", "workspace")
            ]
        )
        .status,
        400
    );
    let id = api
        .post(
            "web_upload/",
            &[
                ("source_url", &src),
                ("profile_id", &ws),
                ("profile_type", "workspace"),
                ("folder_id", "root"),
            ],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    server.join().unwrap();
    let w = (0..500)
        .map(|_| {
            thread::sleep(Duration::from_millis(10));
            api.get(&format!("web_upload/{id}/details/")).r()["web_upload"].clone()
        })
        .find(|w| w["status"] == "stored" || w["status"] == "store_failed")
        .expect("web upload finishes");
    assert_eq!(w["status"], "stored");
    assert_eq!(w["file_name"], "report.txt");
    assert_eq!(
        api.download(&ws, w["new_file_id"].as_str().unwrap()),
        b"imported bytes"
    );
    assert_eq!(
        api.get("web_upload/").r()["web_uploads"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn share_storage_is_scoped_to_the_share() {
    let api = start();
    let ws = api.workspace("share-storage");
    let outside = api.put_file(&ws, "root", "outside.txt", b"outside");
    let folder = api
        .post(
            &format!("workspace/{ws}/storage/root/createfolder/"),
            &[("name", "live")],
        )
        .r()["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let inside = api.put_file(&ws, &folder, "inside.txt", b"inside");

    // A folder-backed share sees the folder as its root and nothing outside it.
    let fs = api
        .post(
            &format!("workspace/{ws}/create/share/"),
            &[
                ("title", "live"),
                ("intelligence", "false"),
                ("storage_mode", "workspace_folder"),
                ("folder_node_id", &folder),
            ],
        )
        .r()["share"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let listed = api.get(&format!("share/{fs}/storage/root/list/")).r();
    assert_eq!(names(&listed), vec!["inside.txt".to_string()]);
    assert_eq!(
        api.get(&format!("share/{fs}/storage/{outside}/details/"))
            .status,
        404
    );
    assert_eq!(
        api.get(&format!("share/{fs}/storage/{inside}/details/"))
            .status,
        200
    );
    let sub = api
        .post(
            &format!("share/{fs}/storage/root/createfolder/"),
            &[("name", "sub")],
        )
        .r();
    assert_eq!(sub["node"]["parent"], folder.as_str());
    assert_eq!(
        api.post(
            &format!("share/{fs}/storage/{inside}/move/"),
            &[("parent", "root")]
        )
        .status,
        200
    );
    assert_eq!(
        api.post(
            &format!("share/{fs}/storage/{inside}/move/"),
            &[("parent", &outside)]
        )
        .status,
        404
    );
    let found = api
        .get(&format!("share/{fs}/storage/search/?search=txt"))
        .r();
    assert!(found["files"].get(&inside).is_some() && found["files"].get(&outside).is_none());

    // An independent share has storage of its own; uploads go there with profile_type=share.
    let sid = api
        .post(
            &format!("workspace/{ws}/create/share/"),
            &[
                ("title", "drop"),
                ("intelligence", "false"),
                ("share_type", "receive"),
            ],
        )
        .r()["share"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api.post_multipart(
        "upload/",
        &[
            ("name", "portal.txt"),
            ("instance_id", &sid),
            ("profile_type", "share"),
            ("folder_id", "root"),
        ],
        &[("chunk", b"portal bytes")],
    );
    let node = r.r()["new_file_id"].as_str().unwrap().to_string();
    assert_eq!(
        names(&api.get(&format!("share/{sid}/storage/root/list/")).r()),
        vec!["portal.txt".to_string()]
    );
    assert!(
        !names(&api.get(&format!("workspace/{ws}/storage/root/list/")).r())
            .contains(&"portal.txt".to_string())
    );
    let tok = api
        .get(&format!("share/{sid}/storage/{node}/requestread/"))
        .r()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = api
        .send(
            "GET",
            &format!("share/{sid}/storage/{node}/read/?token={tok}"),
            None,
            &[],
            None,
        )
        .body;
    assert_eq!(body, b"portal bytes");
    let ev = api
        .get(&format!("events/search/?share_id={sid}&category=storage"))
        .r();
    assert_eq!(ev["events"][0]["event"], "share_storage_file_added");
    assert_eq!(ev["events"][0]["workspace_id"], ws.as_str());
    assert_eq!(api.get("share/123/storage/root/list/").status, 404);

    // AI on a share answers from the share's files, wrapped in `turn`.
    let r = api
        .post(
            &format!("share/{sid}/ai/agent/"),
            &[("question", "what are the portal bytes?")],
        )
        .r();
    let (chat, turn) = (
        r["thread"]["thread_id"].as_str().unwrap().to_string(),
        r["turn"]["turn_id"].as_str().unwrap().to_string(),
    );
    let t = (0..500)
        .map(|_| {
            thread::sleep(Duration::from_millis(10));
            api.get(&format!(
                "share/{sid}/ai/agent/{chat}/message/{turn}/details/"
            ))
            .r()["turn"]
                .clone()
        })
        .find(|t| t["state"] == "complete")
        .expect("share turn completes");
    assert_eq!(t["response"]["citations"][0]["node_id"], node.as_str());
}

#[test]
fn oversized_multipart_text_fields_are_refused() {
    let api = start();
    let big = "z".repeat(3 << 20);
    let r = api.post_multipart(
        "upload/",
        &[("name", "a.txt"), ("junk", &big)],
        &[("chunk", b"x")],
    );
    assert_eq!((r.status, r.code()), (413, 1605));
    let parts: Vec<(String, Vec<u8>)> = (0..201)
        .map(|i| (format!("file_{i}"), vec![b'x']))
        .collect();
    let files: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let r = api.post_multipart("upload/batch/", &[("manifest", "[]")], &files);
    assert_eq!((r.status, r.code()), (400, 1605));
}
