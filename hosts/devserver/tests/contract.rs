//! Parameter placement, required fields and answer shapes as the official client speaks them:
//! each group shows the right placement working and a misplaced or missing parameter refused.

mod common;

use common::*;
use sha2::Digest;

/// The names listed in `error.params[]` of a 400.
fn named(r: &Resp) -> Vec<String> {
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    r.json()["error"]["params"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn session(api: &Api, fields: &[(&str, &str)]) -> String {
    api.post("upload/", fields).r()["id"]
        .as_str()
        .expect("session id")
        .to_string()
}

#[test]
fn post_reads_the_body_and_get_reads_the_query() {
    let api = start();
    let ws = api.workspace("placement");
    // A POST parameter in the query string is not read.
    let r = api.post(
        &format!("workspace/{ws}/storage/root/createfolder/?name=docs"),
        &[],
    );
    assert_eq!(named(&r), ["name"]);
    // A GET parameter in a body is not read either.
    let r = api.send(
        "GET",
        &format!("workspace/{ws}/storage/search/"),
        Some(&api.key),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"search=docs"),
    );
    assert_eq!(named(&r), ["search"]);
    assert_eq!(
        api.get(&format!("workspace/{ws}/storage/search/?search=docs"))
            .status,
        200
    );
    // JSON object bodies count as the body.
    let r = api.send(
        "POST",
        &format!("workspace/{ws}/storage/root/createfolder/"),
        Some(&api.key),
        &[("Content-Type", "application/json")],
        Some(br#"{"name":"json-docs"}"#),
    );
    assert_eq!(r.r()["node"]["name"], "json-docs");
}

#[test]
fn workspace_create_requires_all_five_fields() {
    let api = start();
    let org = api.default_org();
    let path = format!("org/{org}/create/workspace/");
    let all = workspace_fields("Team", "team");
    for missing in [
        "folder_name",
        "name",
        "perm_join",
        "perm_member_manage",
        "intelligence",
    ] {
        let fields: Vec<_> = all.iter().copied().filter(|(k, _)| *k != missing).collect();
        assert_eq!(named(&api.post(&path, &fields)), [missing], "{missing}");
    }
    // With nothing at all, every field is listed.
    assert_eq!(named(&api.post(&path, &[])).len(), 5);
    // In the query string they do not count.
    let q = form(&all);
    assert_eq!(named(&api.post(&format!("{path}?{q}"), &[])).len(), 5);
    // Values outside the documented sets are refused, naming the field.
    let with = |k: &str, v: &'static str| {
        let mut f = all.clone();
        for e in f.iter_mut() {
            if e.0 == k {
                e.1 = v;
            }
        }
        api.post(&path, &f)
    };
    assert_eq!(named(&with("perm_join", "Anyone")), ["perm_join"]);
    assert_eq!(
        named(&with("perm_member_manage", "Only Org Owners")),
        ["perm_member_manage"]
    );
    assert_eq!(named(&with("intelligence", "maybe")), ["intelligence"]);
    // The complete form creates the workspace with exactly what was sent.
    let w = with("perm_join", "Only Org Owners").r()["workspace"].clone();
    assert_eq!(w["perm_join"], "Only Org Owners");
    assert_eq!(w["perm_member_manage"], "Admin or above");
    assert_eq!(w["intelligence"], false);
}

#[test]
fn share_create_and_delete() {
    let api = start();
    let ws = api.workspace("shares");
    let path = format!("workspace/{ws}/create/share/");
    assert_eq!(
        named(&api.post(&path, &[("intelligence", "false")])),
        ["title"]
    );
    assert_eq!(named(&api.post(&path, &[("title", "T")])), ["intelligence"]);
    assert_eq!(
        named(&api.post(&path, &[("title", "T"), ("intelligence", "sure")])),
        ["intelligence"]
    );
    let share = api
        .post(&path, &[("title", "T"), ("intelligence", "false")])
        .r()["share"]
        .clone();
    assert_eq!(share["share_type"], "exchange", "the default share_type");
    let sid = share["id"].as_str().unwrap().to_string();
    let custom = share["custom_name"].as_str().unwrap().to_string();

    // `confirm` goes in the DELETE body; in the query it is missing.
    let del = format!("share/{sid}/delete/");
    assert_eq!(
        named(&api.delete(&format!("{del}?confirm={sid}"))),
        ["confirm"]
    );
    assert_eq!(named(&api.delete_form(&del, &[])), ["confirm"]);
    assert_eq!(
        named(&api.delete_form(&del, &[("confirm", "not-it")])),
        ["confirm"]
    );
    assert_eq!(api.get(&format!("share/{sid}/details/")).status, 200);
    // The custom name confirms as well as the id.
    assert_eq!(api.delete_form(&del, &[("confirm", &custom)]).status, 200);
    assert_eq!(api.get(&format!("share/{sid}/details/")).status, 404);
}

#[test]
fn lock_release_reads_the_token_from_body_or_query() {
    let api = start();
    let ws = api.workspace("locks");
    let node = api.put_file(&ws, "root", "l.txt", b"locked");
    let p = |s: &str| format!("workspace/{ws}/storage/{node}/{s}");
    let take = || {
        api.post(&p("lock/"), &[("duration", "120")]).r()["lock_token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // In the form body, as the official client sends it.
    let tok = take();
    assert_eq!(
        api.delete_form(&p("lock/"), &[("lock_token", &tok)]).status,
        200
    );
    // In the query string, which is accepted too.
    let tok = take();
    assert_eq!(
        api.delete(&p(&format!("lock/?lock_token={tok}"))).status,
        200
    );
    // Nowhere: a 400 naming it.
    let tok = take();
    assert_eq!(named(&api.delete(&p("lock/"))), ["lock_token"]);
    // The heartbeat is a POST: its token is read from the body only.
    assert_eq!(
        named(&api.post(&p(&format!("lock/heartbeat/?lock_token={tok}")), &[])),
        ["lock_token"]
    );
    assert_eq!(
        api.post(&p("lock/heartbeat/"), &[("lock_token", &tok)])
            .status,
        200
    );
}

#[test]
fn createfolder_is_idempotent_unless_forced() {
    let api = start();
    let ws = api.workspace("folders");
    let path = format!("workspace/{ws}/storage/root/createfolder/");
    let first = api.post(&path, &[("name", "reports")]).r()["node"].clone();
    let again = api.post(&path, &[("name", "reports")]).r()["node"].clone();
    assert_eq!(again["id"], first["id"]);
    let forced = api
        .post(&path, &[("name", "reports"), ("force", "true")])
        .r()["node"]
        .clone();
    assert_ne!(forced["id"], first["id"]);
    assert_eq!(forced["name"], "reports (1)");
    let forced2 = api
        .post(&path, &[("name", "reports"), ("force", "true")])
        .r()["node"]
        .clone();
    assert_eq!(forced2["name"], "reports (2)");
    // A file of that name is not a folder to hand back.
    api.put_file(&ws, "root", "notes", b"n");
    assert_eq!(api.post(&path, &[("name", "notes")]).status, 409);
    assert_eq!(
        api.post(&path, &[("name", "notes"), ("force", "true")]).r()["node"]["name"],
        "notes (1)"
    );
}

#[test]
fn bulk_details_shapes() {
    let api = start();
    let ws = api.workspace("bulk");
    let a = api.put_file(&ws, "root", "a.txt", b"a");
    let p = |s: &str| format!("workspace/{ws}/storage/{s}/details/");

    let single = api.get(&p(&a)).r();
    assert_eq!(single["format"], "single");
    assert_eq!(single["node"]["id"], a.as_str());

    // A lone id sent twice answers the multi shape with the node once.
    let twice = api.get(&p(&format!("{a},{a}")));
    assert_eq!(twice.status, 200);
    assert_eq!(twice.json()["result"], "yes");
    let r = twice.r();
    assert_eq!(r["format"], "multi");
    assert_eq!(r["nodes"].as_array().unwrap().len(), 1);

    let partial = api.get(&p(&format!("{a},missing1"))).r();
    assert_eq!(partial["nodes"][0]["id"], a.as_str());
    assert_eq!(partial["errors"][0]["node_id"], "missing1");
    assert_eq!(partial["errors"][0]["code"], 133_123);

    // All failed: 404, `result: "no"`, and the multi shape under `response`, not `error`.
    let none = api.get(&p("missing1,bad%2Fid"));
    assert_eq!(none.status, 404);
    let j = none.json();
    assert_eq!(j["result"], "no");
    assert!(j.get("error").is_none(), "{j}");
    assert_eq!(j["response"]["format"], "multi");
    assert_eq!(j["response"]["nodes"], serde_json::json!([]));
    let errors = j["response"]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["code"], 133_123);
    assert_eq!(errors[1]["code"], 191_878);
    assert!(errors.iter().all(|e| e["message"].is_string()));

    // More than 25 ids: 400, code 115519.
    let many: Vec<String> = (0..26).map(|i| format!("n{i}")).collect();
    let r = api.get(&p(&many.join(",")));
    assert_eq!((r.status, r.code()), (400, 115_519));

    // Through a folder-backed share, an id outside the folder is one of the errors.
    let folder = api
        .post(
            &format!("workspace/{ws}/storage/root/createfolder/"),
            &[("name", "shared")],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let inside = api.put_file(&ws, &folder, "in.txt", b"in");
    let sid = api
        .post(
            &format!("workspace/{ws}/create/share/"),
            &[
                ("title", "shared"),
                ("intelligence", "false"),
                ("storage_mode", "workspace_folder"),
                ("folder_node_id", &folder),
            ],
        )
        .r()["share"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api
        .get(&format!("share/{sid}/storage/{inside},{a}/details/"))
        .r();
    assert_eq!(r["nodes"][0]["id"], inside.as_str());
    assert_eq!(r["errors"][0]["node_id"], a.as_str());
    assert_eq!(r["errors"][0]["code"], 133_123);
}

#[test]
fn api_key_answers_hold_the_secret_as_a_string() {
    let api = start();
    let created = api.post("user/auth/key/", &[("memo", "ci")]).r();
    let secret = created["api_key"].as_str().expect("api_key is a string");
    assert!(created.get("key").is_none(), "{created}");
    assert!(
        created
            .as_object()
            .unwrap()
            .values()
            .all(|v| !v.is_object() && !v.is_array()),
        "flat: {created}"
    );
    let kid = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.send("GET", "user/auth/check/", Some(secret), &[], None)
            .status,
        200
    );

    let list = api.get("user/auth/keys/").r();
    assert_eq!(list["results"], 1);
    assert_eq!(list["api_keys"][0]["id"], kid.as_str());

    let one = api.get(&format!("user/auth/key/{kid}/")).r();
    assert_eq!(one["id"], kid.as_str());
    assert_eq!(one["memo"], "ci");
    assert!(one.get("api_key").is_none(), "{one}");

    // An empty `expires` clears the expiry.
    let upd = api
        .post(
            &format!("user/auth/key/{kid}/"),
            &[("expires", "2999-01-01 00:00:00 UTC")],
        )
        .r();
    assert_eq!(upd["expires"], "2999-01-01 00:00:00");
    let upd = api
        .post(&format!("user/auth/key/{kid}/"), &[("expires", "")])
        .r();
    assert!(upd["expires"].is_null(), "{upd}");
}

#[test]
fn addfile_requires_name_and_from() {
    let api = start();
    let ws = api.workspace("addfile");
    let stored = |name: &str, data: &[u8]| {
        let size = data.len().to_string();
        let id = session(&api, &[("name", name), ("size", &size)]);
        api.post_multipart(
            &format!("upload/{id}/chunk/?order=1&size={size}"),
            &[],
            &[("chunk", data)],
        )
        .r();
        api.post(&format!("upload/{id}/complete/"), &[]).r();
        assert_eq!(api.wait_stored(&id)["status"], "stored");
        format!("{{\"type\":\"upload\",\"upload\":{{\"id\":\"{id}\"}}}}")
    };
    let path = format!("workspace/{ws}/storage/root/addfile/");
    let from = stored("one.txt", b"one");
    assert_eq!(named(&api.post(&path, &[("from", &from)])), ["name"]);
    assert_eq!(named(&api.post(&path, &[("name", "x")])), ["from"]);
    assert_eq!(named(&api.post(&path, &[])), ["name", "from"]);
    let q = form(&[("name", "one.txt"), ("from", &from)]);
    assert_eq!(
        named(&api.post(&format!("{path}?{q}"), &[])),
        ["name", "from"]
    );
    let placed = api
        .post(&path, &[("name", "renamed.txt"), ("from", &from)])
        .r();
    assert_eq!(placed["node"]["name"], "renamed.txt");
    assert_eq!(
        api.download(&ws, placed["new_file_id"].as_str().unwrap()),
        b"one"
    );

    // A hash source is for shares only.
    let sha = |d: &[u8]| -> String {
        sha2::Sha256::digest(d)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let by_hash = |h: &str| {
        format!("{{\"type\":\"hash\",\"hash\":{{\"hash\":\"{h}\",\"hash_type\":\"sha256\"}}}}")
    };
    assert_eq!(
        named(&api.post(
            &path,
            &[("name", "h.txt"), ("from", &by_hash(&sha(b"one")))]
        )),
        ["from"]
    );
    let sid = api
        .post(
            &format!("workspace/{ws}/create/share/"),
            &[("title", "portal"), ("intelligence", "false")],
        )
        .r()["share"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let spath = format!("share/{sid}/storage/root/addfile/");
    let node = api
        .post(
            &spath,
            &[("name", "copy.txt"), ("from", &by_hash(&sha(b"one")))],
        )
        .r()["new_file_id"]
        .as_str()
        .unwrap()
        .to_string();
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
    assert_eq!(body, b"one");
    assert_eq!(
        api.post(
            &spath,
            &[("name", "none.txt"), ("from", &by_hash(&sha(b"unknown")))]
        )
        .status,
        404
    );
    // The upload source works through a share too.
    let from2 = stored("two.txt", b"two");
    assert_eq!(
        api.post(&spath, &[("name", "two.txt"), ("from", &from2)])
            .r()["node"]["name"],
        "two.txt"
    );
}

#[test]
fn chunk_parameters_travel_in_the_query() {
    let api = start();
    let ws = api.workspace("chunks");
    let data = pattern(3000, 1);
    let id = session(
        &api,
        &[("name", "c.bin"), ("size", "3000"), ("instance_id", &ws)],
    );
    // Form fields beside the part are not where `order` is read.
    let r = api.post_multipart(
        &format!("upload/{id}/chunk/"),
        &[("order", "1"), ("size", "3000")],
        &[("chunk", &data)],
    );
    assert_eq!(named(&r), ["order"]);
    // An order no file can reach is refused (it used to be taken up to 2^64-1).
    let r = api.post_multipart(
        &format!("upload/{id}/chunk/?order=9223372036854775808"),
        &[],
        &[("chunk", &data)],
    );
    assert_eq!(named(&r), ["order"]);
    // Half a hash pair is refused; so is a CRC-32C not in the 8-lowercase-hex wire format.
    let crc = crc32c_hex(&data);
    let r = api.post_multipart(
        &format!("upload/{id}/chunk/?order=1&hash={crc}"),
        &[],
        &[("chunk", &data)],
    );
    assert_eq!(named(&r), ["hash_algo"]);
    let r = api.post_multipart(
        &format!("upload/{id}/chunk/?order=1&hash_algo=crc32c"),
        &[],
        &[("chunk", &data)],
    );
    assert_eq!(named(&r), ["hash"]);
    let decimal = u32::from_str_radix(&crc, 16).unwrap();
    let r = api.post_multipart(
        &format!("upload/{id}/chunk/?order=1&hash_algo=crc32c&hash={decimal}"),
        &[],
        &[("chunk", &data)],
    );
    assert_eq!(named(&r), ["hash"]);
    let r = api.post_multipart(
        &format!("upload/{id}/chunk/?order=1&hash_algo=crc32c&hash=E3069283"),
        &[],
        &[("chunk", &data)],
    );
    assert_eq!(named(&r), ["hash"]);
    let r = api.post_multipart(
        &format!(
            "upload/{id}/chunk/?order=1&size=3000&hash_algo=crc32c&hash={crc}&file_crc32c={crc}"
        ),
        &[],
        &[("chunk", &data)],
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // Complete is sent as an empty form.
    let r = api.send(
        "POST",
        &format!("upload/{id}/complete/"),
        Some(&api.key),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b""),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(api.wait_stored(&id)["status"], "stored");
    // And without any body or content type.
    let id2 = session(
        &api,
        &[("name", "d.bin"), ("size", "3"), ("instance_id", &ws)],
    );
    api.post_multipart(
        &format!("upload/{id2}/chunk/?order=1"),
        &[],
        &[("chunk", b"abc")],
    )
    .r();
    let r = api.send(
        "POST",
        &format!("upload/{id2}/complete/"),
        Some(&api.key),
        &[],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(api.wait_stored(&id2)["status"], "stored");
}

#[test]
fn single_call_and_stream_verify_a_whole_body_crc32c() {
    let api = start();
    let ws = api.workspace("crc");
    assert_eq!(crc32c_hex(b"123456789"), "e3069283");
    let single = |name: &str, extra: &[(&str, &str)], data: &[u8]| {
        let size = data.len().to_string();
        let mut fields = vec![
            ("name", name),
            ("size", size.as_str()),
            ("action", "create"),
            ("instance_id", ws.as_str()),
            ("folder_id", "root"),
            ("profile_type", "workspace"),
        ];
        fields.extend_from_slice(extra);
        api.post_multipart("upload/", &fields, &[("chunk", data)])
    };
    let ok = single(
        "good.txt",
        &[("hash_algo", "crc32c"), ("hash", "e3069283")],
        b"123456789",
    );
    let node = ok.r()["new_file_id"].as_str().unwrap().to_string();
    assert_eq!(api.download(&ws, &node), b"123456789");
    let bad = single(
        "bad.txt",
        &[("hash_algo", "crc32c"), ("hash", "00000000")],
        b"123456789",
    );
    assert_eq!((bad.status, bad.code()), (406, 10778));
    assert_eq!(
        named(&single("half.txt", &[("hash", "e3069283")], b"123456789")),
        ["hash_algo"]
    );
    assert_eq!(
        named(&single(
            "half.txt",
            &[("hash_algo", "crc32c")],
            b"123456789"
        )),
        ["hash"]
    );
    let listed: Vec<String> = api.get(&format!("workspace/{ws}/storage/root/list/")).r()["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, ["good.txt"], "nothing else was stored");

    // Stream: the hash pair rides in the query of the raw-body send.
    let stream = |name: &str| {
        session(
            &api,
            &[("name", name), ("stream", "true"), ("instance_id", &ws)],
        )
    };
    let send = |id: &str, q: &str| {
        api.send(
            "POST",
            &format!("upload/{id}/stream/{q}"),
            Some(&api.key),
            &[("Content-Type", "application/octet-stream")],
            Some(b"123456789"),
        )
    };
    let id = stream("s-good.txt");
    assert_eq!(
        send(&id, "?hash_algo=crc32c&hash=e3069283").r()["session"]["status"],
        "stored"
    );
    let id = stream("s-half.txt");
    assert_eq!(named(&send(&id, "?hash=e3069283")), ["hash_algo"]);
    let id = stream("s-bad.txt");
    let r = send(&id, "?hash_algo=crc32c&hash=00000000");
    assert_eq!((r.status, r.code()), (406, 10778));
    let s = api.get(&format!("upload/{id}/details/")).r()["session"].clone();
    assert_eq!(s["status"], "assembly_failed");
    assert_eq!(s["integrity_failure"]["expected_crc32c"], "00000000");
    assert_eq!(s["integrity_failure"]["computed_crc32c"], "e3069283");
    assert!(s["new_file_id"].is_null());
}

#[test]
fn requestread_takes_no_version_and_read_does() {
    let api = start();
    let ws = api.workspace("versions");
    let node = api.put_file(&ws, "root", "v.txt", b"first");
    api.put_file(&ws, "root", "v.txt", b"second");
    let versions = api
        .get(&format!("workspace/{ws}/storage/{node}/versions/"))
        .r()["versions"]
        .clone();
    let old = versions[1]["id"].as_str().unwrap().to_string();
    let p = |s: &str| format!("workspace/{ws}/storage/{node}/{s}");
    assert_eq!(
        named(&api.get(&p(&format!("requestread/?version_id={old}")))),
        ["version_id"]
    );
    let tok = api.get(&p("requestread/")).r()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api.send(
        "GET",
        &p(&format!("read/?token={tok}&version_id={old}")),
        None,
        &[],
        None,
    );
    assert_eq!(r.body, b"first");
    let r = api.send("GET", &p(&format!("read/?token={tok}")), None, &[], None);
    assert_eq!(r.body, b"second");
}

#[test]
fn multipart_boundary_keeps_its_case() {
    let api = start();
    let ws = api.workspace("boundary");
    let boundary = "----WebKitFormBoundaryAbC7xYz";
    let fields = [
        ("name", "browser.txt"),
        ("size", "5"),
        ("action", "create"),
        ("instance_id", ws.as_str()),
        ("folder_id", "root"),
        ("profile_type", "workspace"),
    ];
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"chunk\"; filename=\"b\"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n--{boundary}--\r\n")
            .as_bytes(),
    );
    // The media type in mixed case is still recognised; the boundary is matched verbatim.
    let ct = format!("Multipart/Form-Data; boundary={boundary}");
    let r = api.send(
        "POST",
        "upload/",
        Some(&api.key),
        &[("Content-Type", &ct)],
        Some(&body),
    );
    let node = r.r()["new_file_id"].as_str().unwrap().to_string();
    assert_eq!(api.download(&ws, &node), b"hello");
    // The same for a small (non-upload) form body with a mixed-case media type.
    let r = api.send(
        "POST",
        &format!("workspace/{ws}/storage/root/createfolder/"),
        Some(&api.key),
        &[(
            "Content-Type",
            "Application/X-WWW-Form-Urlencoded; Charset=UTF-8",
        )],
        Some(b"name=mixed"),
    );
    assert_eq!(r.r()["node"]["name"], "mixed");
}
