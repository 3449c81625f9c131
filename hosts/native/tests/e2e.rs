//! End to end: the core's upload and download machines, driven over real HTTP
//! (ureq, several chunk requests truly in flight on threads) against the
//! local Fast.io-compatible server started in-process on 127.0.0.1.

use fastio_core::api::{Call, Client};
use fastio_core::config::ClientConfig;
use fastio_core::decode::models::NodeList;
use fastio_core::download::DownloadAction;
use fastio_core::hash::{HashAlgo, Hasher};
use fastio_core::upload::{
    RetryPolicy, StoredCheck, UploadConfig, UploadDone, UploadError, UploadSpec,
};
use fastio_native as driver;
use sha2::{Digest, Sha256};

struct Server {
    srv: fastio_devserver::RunningServer,
    _dir: tempfile::TempDir,
}

fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = fastio_devserver::Config::new(dir.path());
    cfg.api_keys = vec!["e2e-key".into()];
    let srv = fastio_devserver::spawn(cfg).expect("devserver starts");
    Server { srv, _dir: dir }
}

fn client(s: &Server) -> Client {
    Client::new(ClientConfig::with_api_key(&s.srv.base_url, "e2e-key").unwrap()).unwrap()
}

fn workspace(s: &Server) -> String {
    driver::create_workspace(&client(s), "e2e").expect("a workspace")
}

fn upload(s: &Server, ws: &str, data: &[u8], cfg: UploadConfig) -> Result<UploadDone, UploadError> {
    let spec = UploadSpec::file("e2e.bin", data.len() as u64, ws);
    match driver::upload(&client(s), spec, data, cfg, |_| {}) {
        Ok(done) => Ok(done),
        Err(driver::HostError::Upload(e)) => Err(e),
        Err(other) => panic!("the host failed: {other}"),
    }
}

fn download(s: &Server, ws: &str, node: &str) -> (DownloadAction, Vec<u8>) {
    driver::download(&client(s), ws, node).expect("the download ran")
}

fn data(n: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn uploads_of_every_size_store_and_download_verified() {
    let s = start();
    let ws = workspace(&s);
    for size in [0usize, 1, 4_194_304, 4_194_305, 20 * 1024 * 1024 + 7] {
        let file = data(size);
        // The end-to-end check against the node the server stored (MD5, as
        // the service and this server store it).
        let cfg = UploadConfig {
            verify_stored: true,
            ..UploadConfig::default()
        };
        let done = upload(&s, &ws, &file, cfg).unwrap_or_else(|e| panic!("size {size}: {e}"));
        assert_eq!(done.size, size as u64);
        assert_eq!(done.stored, StoredCheck::Matched, "size {size}");
        let md5 = done.digest.as_ref().expect("the digest checked");
        assert_eq!(md5.to_hex(), Hasher::digest(HashAlgo::Md5, &file).to_hex());
        let node = done.node_id.clone().expect("a stored node");
        let (end, bytes) = download(&s, &ws, &node);
        match end {
            DownloadAction::Done(d) => {
                assert_eq!(d.sha256, hex(&Sha256::digest(&file)), "size {size}");
                assert_eq!(d.crc32c, done.crc32c, "size {size}");
                assert!(d.checked.is_some(), "the server's hash was checked");
            }
            other => panic!("size {size}: {other:?}"),
        }
        assert_eq!(bytes, file, "size {size}: downloaded bytes are identical");
    }
}

#[test]
fn server_limits_and_faults_are_survived() {
    let s = start();
    let ws = workspace(&s);
    // 503s on a third of chunk requests: retried with backoff until stored.
    let faults = r#"{"seed": 3, "path_contains": "/chunk/", "status_503": 0.3}"#;
    ureq::post(&format!("{}/_dev/faults", s.srv.origin()))
        .set("Content-Type", "application/json")
        .send_string(faults)
        .unwrap();
    let file = data(9 * 1024 * 1024);
    let cfg = UploadConfig {
        fetch_limits: true,
        plan: fastio_core::upload::plan::PlanConfig {
            chunk_size: 1024 * 1024,
            ..Default::default()
        },
        retry: RetryPolicy {
            max_attempts: 10,
            base_ms: 20,
            max_ms: 200,
            ..RetryPolicy::default()
        },
        file_digest: Some(HashAlgo::Sha256),
        ..UploadConfig::default()
    };
    let done = upload(&s, &ws, &file, cfg).unwrap();
    let sha = done.digest.expect("the SHA-256 asked for");
    assert_eq!(sha.to_hex(), hex(&Sha256::digest(&file)));
    // Asked for but not the algorithm the node is stored in: said, not
    // passed.
    let cfg = UploadConfig {
        file_digest: Some(HashAlgo::Sha256),
        verify_stored: true,
        ..UploadConfig::default()
    };
    let done = upload(&s, &ws, &data(1000), cfg).unwrap();
    match done.stored {
        StoredCheck::Unavailable { reason } => assert!(reason.contains("md5"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_corrupted_stored_chunk_fails_typed_and_stores_nothing() {
    let s = start();
    let ws = workspace(&s);
    let faults =
        r#"{"path_contains": "/chunk/", "schedule": [{"request": 2, "fault": "corrupt_chunk"}]}"#;
    ureq::post(&format!("{}/_dev/faults", s.srv.origin()))
        .set("Content-Type", "application/json")
        .send_string(faults)
        .unwrap();
    let file = data(10 * 1024 * 1024);
    match upload(&s, &ws, &file, UploadConfig::default()) {
        Err(UploadError::Integrity { expected, computed }) => {
            assert!(expected.is_some() && computed.is_some() && expected != computed);
        }
        other => panic!("expected an integrity failure, got {other:?}"),
    }
    let c = client(&s);
    let list: Call = serde_json::from_value(serde_json::json!(
        {"storage": {"op": "list", "profile": {"workspace": ws}}}
    ))
    .unwrap();
    let resp = driver::send(&driver::agent(), &c.build(&list).unwrap()).unwrap();
    let nodes = c.decode_as::<NodeList>(&list, &resp).unwrap().value.nodes;
    assert!(nodes.is_empty(), "nothing was stored: {nodes:?}");
}
