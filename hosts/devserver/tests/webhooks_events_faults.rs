//! Webhook deliveries checked with an independent HMAC, events and activity, and faults.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use common::*;
use fastio_devserver::WebhookScheme;
use hmac::{KeyInit, Mac};
use serde_json::Value;

struct Delivery {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Delivery {
    fn h(&self, n: &str) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A tiny HTTP receiver: answers `statuses[i]` to the i-th request (then 200), reports each
/// request on the channel, and stops by itself after 60 s.
fn receiver(statuses: Vec<u16>) -> (String, mpsc::Receiver<Delivery>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut n = 0;
        while Instant::now() < deadline {
            let Ok((mut s, _)) = l.accept() else {
                thread::sleep(Duration::from_millis(5));
                continue;
            };
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = Vec::new();
            let mut tmp = [0u8; 8192];
            let head_end = loop {
                match s.read(&mut tmp) {
                    Ok(0) | Err(_) => break None,
                    Ok(k) => buf.extend_from_slice(&tmp[..k]),
                }
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(p);
                }
            };
            let Some(he) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..he]).to_string();
            let headers: Vec<(String, String)> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = buf[he + 4..].to_vec();
            while body.len() < len {
                match s.read(&mut tmp) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => body.extend_from_slice(&tmp[..k]),
                }
            }
            let status = statuses.get(n).copied().unwrap_or(200);
            n += 1;
            let _ = s.write_all(
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            if tx.send(Delivery { headers, body }).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn next(rx: &mpsc::Receiver<Delivery>) -> Delivery {
    rx.recv_timeout(Duration::from_secs(20))
        .expect("a webhook delivery")
}

#[test]
fn webhook_subscriptions_deliver_signed_events_with_retries() {
    let api = start();
    let ws = api.workspace("hooks");
    let (url, rx) = receiver(vec![500]);
    let subs = format!("workspace/{ws}/outbound_webhook_subscriptions/");
    assert_eq!(
        api.post(&subs, &[("target_url", "https://example.com/hook")])
            .status,
        400
    );
    assert_eq!(
        api.post(&subs, &[("target_url", "http://10.0.0.1/hook")])
            .status,
        400
    );
    let created = api
        .post(
            &subs,
            &[
                ("target_url", &url),
                (
                    "event_type_subscriptions",
                    r#"["workspace_storage_file_added"]"#,
                ),
                ("description", "test"),
            ],
        )
        .r();
    let sub = &created["outbound_webhook_subscription"];
    let sid = sub["id"].as_str().unwrap().to_string();
    let secret = sub["secret"].as_str().unwrap().to_string();
    let listed = api.get(&subs).r();
    assert_eq!(
        listed["outbound_webhook_subscriptions"][0]["id"],
        sid.as_str()
    );
    assert!(
        !listed.to_string().contains(&secret),
        "secret is shown once"
    );
    assert!(
        !api.get(&format!("outbound_webhook_subscriptions/{sid}/"))
            .r()
            .to_string()
            .contains(&secret)
    );
    let patched = api.send(
        "PATCH",
        &format!("outbound_webhook_subscriptions/{sid}/"),
        Some("test-key"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"description=changed"),
    );
    assert_eq!(
        patched.r()["outbound_webhook_subscription"]["description"],
        "changed"
    );

    api.post(
        &format!("workspace/{ws}/storage/root/createfolder/"),
        &[("name", "not-subscribed")],
    )
    .r();
    let node = api.put_file(&ws, "root", "a.txt", b"hello");
    let first = next(&rx);
    let second = next(&rx);
    assert_eq!(first.h("x-fastio-delivery-attempt"), "1");
    assert_eq!(second.h("x-fastio-delivery-attempt"), "2");
    let delivery_id = first.h("x-fastio-delivery-id");
    assert!(!delivery_id.is_empty());
    assert_eq!(
        second.h("x-fastio-delivery-id"),
        delivery_id,
        "retries keep the delivery id"
    );
    for d in [&first, &second] {
        assert_eq!(
            d.h("x-fastio-signature"),
            hex(&hmac_sha256(secret.as_bytes(), &d.body))
        );
    }
    let ev = second.json();
    assert_eq!(ev["event"], "workspace_storage_file_added");
    assert_eq!(ev["object_id"], node.as_str());
    assert_eq!(ev["workspace_id"], ws.as_str());

    let rotated = api
        .post(
            &format!("outbound_webhook_subscriptions/{sid}/rotate_secret/"),
            &[],
        )
        .r();
    let new_secret = rotated["outbound_webhook_subscription"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_secret, secret);
    api.put_file(&ws, "root", "b.txt", b"again");
    let d = next(&rx);
    assert_eq!(d.json()["event"], "workspace_storage_file_added");
    assert_eq!(
        d.h("x-fastio-signature"),
        hex(&hmac_sha256(new_secret.as_bytes(), &d.body))
    );
    assert_ne!(
        d.h("x-fastio-signature"),
        hex(&hmac_sha256(secret.as_bytes(), &d.body))
    );
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "folder events were not subscribed"
    );

    assert_eq!(
        api.delete(&format!("outbound_webhook_subscriptions/{sid}/"))
            .status,
        200
    );
    assert_eq!(
        api.get(&format!("outbound_webhook_subscriptions/{sid}/"))
            .status,
        404
    );
}

#[test]
fn standard_and_timestamped_schemes_verify_independently() {
    let b64 = base64::engine::general_purpose::STANDARD;
    for scheme in [WebhookScheme::Standard, WebhookScheme::FastioTimestamped] {
        let api = start_with(|c| c.webhook_scheme = scheme);
        let ws = api.workspace("schemes");
        let (url, rx) = receiver(vec![]);
        let created = api
            .post(
                &format!("workspace/{ws}/outbound_webhook_subscriptions/"),
                &[("target_url", &url)],
            )
            .r();
        let secret = created["outbound_webhook_subscription"]["secret"]
            .as_str()
            .unwrap()
            .to_string();
        api.put_file(&ws, "root", "x.txt", b"x");
        let d = next(&rx);
        match scheme {
            WebhookScheme::Standard => {
                let key = b64
                    .decode(secret.strip_prefix("whsec_").expect("whsec_ secret"))
                    .unwrap();
                let (id, ts) = (d.h("webhook-id"), d.h("webhook-timestamp"));
                assert_eq!(id, d.h("x-fastio-delivery-id"));
                let signed = [id.as_bytes(), b".", ts.as_bytes(), b".", &d.body].concat();
                assert_eq!(
                    d.h("webhook-signature"),
                    format!("v1,{}", b64.encode(hmac_sha256(&key, &signed)))
                );
            }
            _ => {
                let h = d.h("fastio-signature");
                let (t, v1) = h.split_once(',').unwrap();
                let t = t.strip_prefix("t=").unwrap();
                let signed = [t.as_bytes(), b".", &d.body].concat();
                assert_eq!(
                    v1,
                    format!("v1={}", b64.encode(hmac_sha256(secret.as_bytes(), &signed)))
                );
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64;
                assert!((t.parse::<i64>().unwrap() - now).abs() < 60);
            }
        }
    }
}

#[test]
fn events_search_details_and_activity_poll() {
    let api = start();
    let ws = api.workspace("events");
    let folder = api
        .post(
            &format!("workspace/{ws}/storage/root/createfolder/"),
            &[("name", "f")],
        )
        .r()["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let node = api.put_file(&ws, "root", "a.txt", b"a");
    let all = api.get(&format!("events/search/?workspace_id={ws}")).r();
    let names: Vec<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"workspace_storage_folder_added"));
    assert!(names.contains(&"workspace_storage_file_added"));
    let only = api
        .get(&format!(
            "events/search/?workspace_id={ws}&event=workspace_storage_file_added"
        ))
        .r();
    assert_eq!(only["events"].as_array().unwrap().len(), 1);
    assert_eq!(only["events"][0]["object_id"], node.as_str());
    let by_obj = api
        .get(&format!(
            "events/search/?workspace_id={ws}&object_id={folder}&category=storage"
        ))
        .r();
    assert_eq!(by_obj["events"].as_array().unwrap().len(), 1);
    assert_eq!(
        api.get(&format!(
            "events/search/?workspace_id={ws}&created-min=2999-01-01 00:00:00"
        ))
        .r()["events"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        api.get(&format!("events/search/?workspace_id={ws}&limit=1"))
            .r()["pagination"]["has_more"],
        true
    );
    assert_eq!(api.get("events/search/").status, 400);
    assert_eq!(
        api.get(&format!("events/search/?workspace_id={ws}&limit=251"))
            .status,
        400
    );
    let eid = only["events"][0]["event_id"].as_str().unwrap();
    assert_eq!(
        api.get(&format!("event/{eid}/details/")).r()["event"]["event"],
        "workspace_storage_file_added"
    );
    assert_eq!(api.get("event/nope/details/").status, 404);
    assert_eq!(
        api.post(&format!("event/{eid}/ack/"), &[("event_id", eid)])
            .r()["acknowledged"],
        true
    );
    let summary = api
        .get(&format!(
            "events/search/summarize/?workspace_id={ws}&category=storage"
        ))
        .r();
    assert_eq!(summary["summary"]["workspace_storage_file_added"], 1);
    assert_eq!(summary["summary"]["workspace_storage_folder_added"], 1);

    // Long-poll: returns as soon as something happens after lastactivity.
    let last = api.get(&format!("activity/poll/{ws}/")).r()["lastactivity"]
        .as_str()
        .unwrap()
        .to_string();
    let t0 = Instant::now();
    let poll = api
        .get(&format!(
            "activity/poll/{ws}/?wait=1&lastactivity={last}&updated=1"
        ))
        .r();
    assert!(poll["activity"].as_object().unwrap().is_empty());
    assert!(t0.elapsed() >= Duration::from_millis(900));
    let creator = {
        let base = api.base.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(300));
            let c = remote(&base, "test-key");
            c.post(
                &format!("workspace/{ws}/storage/root/createfolder/"),
                &[("name", "late")],
            )
            .r()["node"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
    };
    let t0 = Instant::now();
    let poll = api
        .get(&format!(
            "activity/poll/{}/?wait=20&lastactivity={last}",
            api.get("user/auth/check/").r()["id"].as_str().unwrap()
        ))
        .r();
    let late = creator.join().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert!(
        poll["activity"].get(format!("storage:{late}")).is_some(),
        "{poll}"
    );
    let next: i64 = poll["lastactivity"].as_str().unwrap().parse().unwrap();
    assert!(next > last.parse::<i64>().unwrap());
}

type Outcome = Vec<u16>;

/// One request on a fresh connection, so no client-side retry hides a dropped connection.
/// Returns the status, or 0 when the reply is empty or shorter than its Content-Length.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> u16 {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return 0;
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!(
        "GET /current/{path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-key\r\nConnection: close\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_err() {
        return 0;
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let Some(he) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return 0;
    };
    let head = String::from_utf8_lossy(&buf[..he]).to_string();
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let len: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    if buf.len() - (he + 4) < len {
        0
    } else {
        status
    }
}

fn hammer(api: &Api, n: usize) -> Outcome {
    (0..n)
        .map(|_| raw_get(api.addr(), "user/auth/check/"))
        .collect()
}

#[test]
fn fault_schedules_are_reproducible_by_seed() {
    let faults = fastio_devserver::FaultConfig {
        path_contains: Some("/user/auth/check".into()),
        status_503: 0.25,
        status_500: 0.05,
        drop: 0.1,
        truncate: 0.1,
        ..Default::default()
    };
    let run = |seed| {
        let f = faults.clone();
        let api = start_with(move |c| {
            c.faults = f;
            c.seed = seed;
        });
        hammer(&api, 40)
    };
    let a = run(42);
    assert_eq!(a, run(42));
    assert_ne!(a, run(43));
    assert!(a.contains(&503), "{a:?}");
    assert!(
        a.contains(&0),
        "drops and truncations surface as client errors: {a:?}"
    );
    assert!(a.contains(&200));
}

#[test]
fn faults_change_at_runtime_through_the_control_path() {
    let api = start();
    let ctl = format!("{}/_dev/faults", api.origin());
    let set = |body: &str| {
        api.send(
            "POST",
            &ctl,
            None,
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        )
    };
    assert_eq!(set(r#"{"nope": 1}"#).status, 400);
    set(
        r#"{"path_contains": "/user/", "schedule": [{"request": 2, "fault": "502"}, {"request": 3, "fault": "429"}]}"#,
    );
    assert_eq!(api.get("user/auth/check/").status, 200);
    assert_eq!(api.get("user/auth/check/").status, 502);
    let r = api.get("user/auth/check/");
    assert_eq!((r.status, r.code()), (429, 1671));
    assert!(r.header("x-ve-limit-expires").is_some());
    assert_eq!(api.get("user/auth/check/").status, 200);
    let view = api.send("GET", &ctl, None, &[], None).json();
    assert_eq!(view["requests_seen"], 4);
    assert_eq!(view["injected"][0], serde_json::json!([2, "502"]));

    set(r#"{"latency": 1.0, "latency_ms": 300}"#);
    let t0 = Instant::now();
    assert_eq!(api.get("user/auth/check/").status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!(api.send("DELETE", &ctl, None, &[], None).status, 200);

    // A corrupted stored chunk makes assembly fail its CRC check.
    let ws = api.workspace("corrupt");
    set(r#"{"path_contains": "/chunk/", "schedule": [{"request": 1, "fault": "corrupt_chunk"}]}"#);
    let data = pattern(4000, 5);
    let id = api
        .post(
            "upload/",
            &[("name", "c.bin"), ("size", "4000"), ("instance_id", &ws)],
        )
        .r()["id"]
        .as_str()
        .unwrap()
        .to_string();
    api.post_multipart(
        &format!("upload/{id}/chunk/?order=1"),
        &[],
        &[("chunk", &data[..2000])],
    )
    .r();
    api.post_multipart(
        &format!(
            "upload/{id}/chunk/?order=2&file_crc32c={}",
            crc32c_hex(&data)
        ),
        &[],
        &[("chunk", &data[2000..])],
    )
    .r();
    api.post(&format!("upload/{id}/complete/"), &[]).r();
    let s = api.wait_stored(&id);
    assert_eq!(s["status"], "assembly_failed");
    assert_eq!(
        s["integrity_failure"]["expected_crc32c"],
        crc32c_hex(&data).as_str()
    );
    assert_ne!(
        s["integrity_failure"]["computed_crc32c"],
        s["integrity_failure"]["expected_crc32c"]
    );
    assert!(s["new_file_id"].is_null());
}

#[test]
fn webhook_hourly_budget_limits_deliveries() {
    let api = start();
    let ws = api.workspace("budget");
    let (url, rx) = receiver(vec![]);
    api.post(
        &format!("workspace/{ws}/outbound_webhook_subscriptions/"),
        &[("target_url", &url), ("rate_limit_per_hour", "1")],
    )
    .r();
    api.put_file(&ws, "root", "one.txt", b"1");
    api.put_file(&ws, "root", "two.txt", b"2");
    assert_eq!(next(&rx).json()["data"]["name"], "one.txt");
    assert!(
        rx.recv_timeout(Duration::from_millis(500)).is_err(),
        "the second event is over the budget"
    );
}
