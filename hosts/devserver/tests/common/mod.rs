//! A plain blocking HTTP client over `ureq` and helpers to start the server in-process.
#![allow(dead_code)]

pub mod raw;

use std::io::Read;
use std::time::{Duration, Instant};

use fastio_devserver::{Config, RunningServer};
use serde_json::Value;

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    /// The `response` of a success (`result` true or "yes").
    pub fn r(&self) -> Value {
        let j = self.json();
        assert!(
            j["result"] == true || j["result"] == "yes",
            "expected success, got {} {}",
            self.status,
            j
        );
        j["response"].clone()
    }
    pub fn header(&self, n: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    }
    pub fn code(&self) -> i64 {
        self.json()["error"]["code"].as_i64().unwrap_or(-1)
    }
}

pub struct Api {
    pub srv: Option<RunningServer>,
    pub base: String,
    pub key: String,
    pub dir: Option<tempfile::TempDir>,
    agent: ureq::Agent,
}

pub fn config(dir: &std::path::Path) -> Config {
    let mut c = Config::new(dir.join("data"));
    c.api_keys = vec!["test-key".into()];
    c.min_chunk_size = 1024;
    c
}

pub fn start() -> Api {
    start_with(|_| {})
}

pub fn start_with(f: impl FnOnce(&mut Config)) -> Api {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config(dir.path());
    f(&mut c);
    // The server closes a connection idle for its header timeout; with one of a second, a
    // pooled connection may be closed just as it is reused, so such tests use each once.
    let idle_pool = if c.header_read_timeout < Duration::from_secs(5) {
        0
    } else {
        100
    };
    let srv = fastio_devserver::spawn(c).expect("server starts");
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .max_idle_connections(idle_pool)
        .build();
    Api {
        base: srv.base_url.clone(),
        key: srv.api_key.clone(),
        srv: Some(srv),
        dir: Some(dir),
        agent,
    }
}

/// A client for a server running elsewhere (a child process).
pub fn remote(base: &str, key: &str) -> Api {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    Api {
        srv: None,
        base: base.to_string(),
        key: key.to_string(),
        dir: None,
        agent,
    }
}

pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn form(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

pub const BOUNDARY: &str = "----devserver-test-boundary-7d1f";

pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in fields {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, data) in files {
        b.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"blob\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path.trim_start_matches('/'))
        }
    }

    pub fn origin(&self) -> String {
        self.base
            .trim_end_matches('/')
            .trim_end_matches("/current")
            .to_string()
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.origin()
            .trim_start_matches("http://")
            .parse()
            .expect("socket address")
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Resp {
        let mut req = self.agent.request(method, &self.url(path));
        if let Some(k) = key {
            req = req.set("Authorization", &format!("Bearer {k}"));
        }
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let res = match body {
            Some(b) => req.send_bytes(b),
            None => req.call(),
        };
        let resp = match res {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => {
                return Resp {
                    status: 0,
                    headers: vec![],
                    body: e.to_string().into_bytes(),
                };
            }
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .map(|n| {
                let v = resp.header(&n).unwrap_or("").to_string();
                (n, v)
            })
            .collect();
        let mut body = Vec::new();
        if resp.into_reader().read_to_end(&mut body).is_err() {
            return Resp {
                status: 0,
                headers,
                body: b"body read failed".to_vec(),
            };
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn get(&self, path: &str) -> Resp {
        self.send("GET", path, Some(&self.key), &[], None)
    }
    pub fn delete(&self, path: &str) -> Resp {
        self.send("DELETE", path, Some(&self.key), &[], None)
    }
    /// A DELETE with a form body (share delete's `confirm`, lock release's `lock_token`).
    pub fn delete_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = form(fields);
        self.send(
            "DELETE",
            path,
            Some(&self.key),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(body.as_bytes()),
        )
    }
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = form(fields);
        self.send(
            "POST",
            path,
            Some(&self.key),
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(body.as_bytes()),
        )
    }
    pub fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Resp {
        let body = multipart(fields, files);
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        self.send(
            "POST",
            path,
            Some(&self.key),
            &[("Content-Type", &ct)],
            Some(&body),
        )
    }

    pub fn default_org(&self) -> String {
        self.get("orgs/list/").r()["orgs"][0]["id"]
            .as_str()
            .expect("org id")
            .to_string()
    }

    pub fn workspace(&self, folder: &str) -> String {
        let org = self.default_org();
        let r = self
            .post(
                &format!("org/{org}/create/workspace/"),
                &workspace_fields(folder, folder),
            )
            .r();
        r["workspace"]["id"].as_str().expect("ws id").to_string()
    }

    /// Single-request upload of `data` as `name` into the workspace root.
    pub fn put_file(&self, ws: &str, folder: &str, name: &str, data: &[u8]) -> String {
        let size = data.len().to_string();
        let r = self.post_multipart(
            "upload/",
            &[
                ("name", name),
                ("size", &size),
                ("action", "create"),
                ("instance_id", ws),
                ("folder_id", folder),
                ("profile_type", "workspace"),
            ],
            &[("chunk", data)],
        );
        r.r()["new_file_id"]
            .as_str()
            .expect("new_file_id")
            .to_string()
    }

    pub fn download(&self, ws: &str, node: &str) -> Vec<u8> {
        let tok = self
            .get(&format!("workspace/{ws}/storage/{node}/requestread/"))
            .r()["token"]
            .as_str()
            .expect("token")
            .to_string();
        let r = self.send(
            "GET",
            &format!("workspace/{ws}/storage/{node}/read/?token={tok}"),
            None,
            &[],
            None,
        );
        assert_eq!(r.status, 200);
        r.body
    }

    /// Polls upload details with `wait` until a terminal status (bounded).
    pub fn wait_stored(&self, id: &str) -> Value {
        let start = Instant::now();
        loop {
            let s = self.get(&format!("upload/{id}/details/?wait=5")).r()["session"].clone();
            let st = s["status"].as_str().unwrap_or("");
            if ["stored", "assembly_failed", "store_failed"].contains(&st) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "upload did not finish: {s}"
            );
        }
    }
}

/// Every field `create/workspace` requires, with the official client's defaults.
pub fn workspace_fields<'a>(name: &'a str, folder: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("folder_name", folder),
        ("perm_join", "Member or above"),
        ("perm_member_manage", "Admin or above"),
        ("intelligence", "false"),
    ]
}

pub fn crc32c_hex(d: &[u8]) -> String {
    format!("{:08x}", crc32c::crc32c(d))
}

pub fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[1] ^ seed)
        .collect()
}
