//! An in-process fake of Fast.io's upload endpoints, for deterministic
//! simulations of the upload machine. It parses the requests the core builds
//! (with the independent parsers of this folder) and answers as the reference
//! documents, so a bug on either side shows up as a failed run.

use std::collections::{BTreeMap, HashMap};

use fastio_core::http::{Body, HttpRequest, HttpResponse};
use serde_json::{Value, json};

use super::{parse_form, parse_multipart};

pub const BASE: &str = "http://fake.invalid/current/";

#[derive(Debug, Clone, Default)]
pub struct Session {
    pub name: String,
    pub size: Option<u64>,
    pub stream: bool,
    pub chunks: BTreeMap<u64, Vec<u8>>,
    pub file_crc32c: Option<String>,
    pub status: String,
    pub stored: Option<Vec<u8>>,
    pub integrity: Option<(String, String)>,
    pub polls_left: u32,
}

#[derive(Debug, Default)]
pub struct FakeServer {
    pub sessions: HashMap<String, Session>,
    next_id: u64,
    /// Chunk uploads received, by (session, order).
    pub chunk_posts: BTreeMap<(String, u64), u32>,
    /// Flip a byte of this chunk order when it is stored.
    pub corrupt_order: Option<u64>,
    pub requests: u64,
    /// The chunk size `upload/limits/` reports.
    pub limits_chunk_size: Option<u64>,
}

fn ok(v: Value) -> HttpResponse {
    HttpResponse::new(
        200,
        serde_json::to_vec(&json!({"result": true, "response": v, "current_api_version": "1"}))
            .unwrap(),
    )
}

fn err(status: u16, code: u32, text: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        serde_json::to_vec(&json!({"result": false, "error": {"code": code, "text": text}}))
            .unwrap(),
    )
}

pub fn crc32c_of(data: &[u8]) -> u32 {
    // Bitwise CRC32C (Castagnoli, reflected 0x82F63B78): independent of the core.
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

impl FakeServer {
    pub fn new() -> Self {
        FakeServer::default()
    }

    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("up{}", self.next_id)
    }

    /// Applies a request and returns the response the server would send.
    pub fn handle(&mut self, req: &HttpRequest, body: &[u8]) -> HttpResponse {
        self.requests += 1;
        let rest = req
            .url
            .strip_prefix(BASE)
            .expect("request under the base URL");
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let q: HashMap<String, String> = parse_form(query).into_iter().collect();
        let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let method = req.method.as_str();
        // Fields from a form or multipart body.
        let mut fields: HashMap<String, String> = HashMap::new();
        let mut file: Option<Vec<u8>> = None;
        match &req.body {
            Body::Form(_) => {
                fields.extend(parse_form(std::str::from_utf8(body).unwrap()));
            }
            Body::Multipart(m) => {
                for (name, filename, _, data) in parse_multipart(body, &m.boundary) {
                    if filename.is_some() {
                        file = Some(data);
                    } else {
                        fields.insert(name, String::from_utf8(data).unwrap());
                    }
                }
            }
            _ => {}
        }
        let param = |k: &str| q.get(k).or_else(|| fields.get(k)).cloned();
        match (method, segs.as_slice()) {
            ("POST", ["upload"]) => {
                let id = self.new_id();
                let name = param("name").unwrap_or_default();
                let size = param("size").and_then(|s| s.parse().ok());
                if let Some(data) = file {
                    if size != Some(data.len() as u64) {
                        return err(400, 1605, "size does not match the chunk");
                    }
                    let s = Session {
                        name,
                        size,
                        status: "stored".into(),
                        stored: Some(data),
                        ..Session::default()
                    };
                    self.sessions.insert(id.clone(), s);
                    return ok(json!({"id": id, "new_file_id": format!("node-{id}")}));
                }
                let stream = param("stream").as_deref() == Some("true");
                if !stream && size.is_none() {
                    return err(400, 1605, "size is required");
                }
                self.sessions.insert(
                    id.clone(),
                    Session {
                        name,
                        size,
                        stream,
                        status: "ready".into(),
                        ..Session::default()
                    },
                );
                ok(json!({"id": id}))
            }
            ("GET", ["upload", "limits"]) => ok(json!({
                "chunk_size": self.limits_chunk_size.unwrap_or(4_194_304),
                "max_parallel_chunks": 2,
            })),
            ("GET", ["upload", "details"]) => {
                let list: Vec<Value> = self
                    .sessions
                    .iter()
                    .map(|(id, s)| json!({"id": id, "name": s.name, "size": s.size, "status": s.status}))
                    .collect();
                ok(json!({"sessions": list}))
            }
            ("POST", ["upload", id, "chunk"]) => {
                let corrupt = self.corrupt_order;
                let key = id.to_string();
                let Some(s) = self.sessions.get_mut(&key) else {
                    return err(404, 10508, "upload not found");
                };
                let (Some(order), Some(size), Some(data)) = (
                    param("order").and_then(|v| v.parse::<u64>().ok()),
                    param("size").and_then(|v| v.parse::<u64>().ok()),
                    file,
                ) else {
                    return err(400, 1605, "order, size and chunk are required");
                };
                if order == 0 || data.len() as u64 != size {
                    return err(400, 1605, "bad order or size");
                }
                if let (Some(h), Some(a)) = (param("hash"), param("hash_algo"))
                    && a == "crc32c"
                    && h != format!("{:08x}", crc32c_of(&data))
                {
                    return err(406, 10778, "chunk CRC32C mismatch");
                }
                if let Some(c) = param("file_crc32c") {
                    s.file_crc32c = Some(c);
                }
                let mut data = data;
                if corrupt == Some(order) && !data.is_empty() {
                    data[0] ^= 0xff;
                }
                s.chunks.insert(order, data);
                s.status = "uploading".into();
                *self.chunk_posts.entry((key, order)).or_default() += 1;
                ok(json!({}))
            }
            ("GET", ["upload", id, "chunk"]) => match self.sessions.get(*id) {
                None => err(404, 10508, "upload not found"),
                Some(s) => {
                    let chunks: BTreeMap<String, u64> = s
                        .chunks
                        .iter()
                        .map(|(o, d)| (o.to_string(), d.len() as u64))
                        .collect();
                    ok(json!({"chunks": chunks}))
                }
            },
            ("POST", ["upload", id, "complete"]) => {
                let Some(s) = self.sessions.get_mut(*id) else {
                    return err(404, 10508, "upload not found");
                };
                if s.status == "uploading" || s.status == "ready" {
                    let mut all = Vec::new();
                    for d in s.chunks.values() {
                        all.extend_from_slice(d);
                    }
                    let computed = format!("{:08x}", crc32c_of(&all));
                    let expected = s.file_crc32c.clone().unwrap_or_default();
                    if Some(all.len() as u64) != s.size {
                        return err(400, 1605, "chunks do not add up to the size");
                    }
                    if computed != expected {
                        s.status = "assembly_failed".into();
                        s.integrity = Some((expected, computed));
                    } else {
                        s.status = "assembling".into();
                        s.polls_left = 2;
                        s.stored = Some(all);
                    }
                }
                ok(json!({}))
            }
            ("GET", ["upload", id, "details"]) => {
                let Some(s) = self.sessions.get_mut(*id) else {
                    return err(404, 10508, "upload not found");
                };
                if s.status == "assembling" || s.status == "storing" {
                    if s.polls_left == 0 {
                        s.status = "stored".into();
                    } else {
                        s.polls_left -= 1;
                        s.status = "storing".into();
                    }
                }
                let mut sess = json!({"id": id, "status": s.status});
                if s.status == "stored" {
                    sess["new_file_id"] = json!(format!("node-{id}"));
                }
                if let Some((e, c)) = &s.integrity {
                    sess["integrity_failure"] = json!({"expected_crc32c": e, "computed_crc32c": c});
                }
                ok(json!({"session": sess}))
            }
            ("POST", ["upload", id, "stream"]) => {
                let Some(s) = self.sessions.get_mut(*id) else {
                    return err(404, 10508, "upload not found");
                };
                s.stored = Some(body.to_vec());
                s.size = Some(body.len() as u64);
                s.status = "stored".into();
                ok(json!({"id": id, "status": "stored", "new_file_id": format!("node-{id}")}))
            }
            ("DELETE", ["upload", id]) => {
                if let Some(s) = self.sessions.get_mut(*id) {
                    s.status = "cancelled".into();
                    s.stored = None;
                }
                ok(json!({}))
            }
            ("POST", ["workspace", _, "storage", _, "addfile"]) => {
                let from: Value =
                    serde_json::from_str(&param("from").unwrap_or_default()).unwrap_or(Value::Null);
                let id = from["upload"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                match self.sessions.get(&id) {
                    Some(s) if s.status == "stored" => ok(json!({"id": format!("placed-{id}")})),
                    _ => err(404, 10508, "upload not found"),
                }
            }
            _ => err(404, 9992, "route not found"),
        }
    }

    /// The stored file of a session.
    pub fn stored(&self, upload_id: &str) -> Option<&[u8]> {
        self.sessions.get(upload_id)?.stored.as_deref()
    }
}
