//! What the end-to-end tests share: a local server on 127.0.0.1 with its own data directory,
//! a client with or without its key, and the calls every test makes.

// Each test crate uses part of this module.
#![allow(dead_code)]

use fastio_core::api::{Call, Client};
use fastio_core::config::ClientConfig;
use fastio_core::upload::{UploadConfig, UploadSpec};
use fastio_native as driver;
use serde_json::Value;

/// A running local server; it stops and its data directory goes when this is dropped.
pub struct Local {
    pub srv: fastio_devserver::RunningServer,
    pub key: String,
    _dir: tempfile::TempDir,
}

impl Local {
    /// A server accepting `key`.
    pub fn start(key: &str) -> Local {
        let dir = tempfile::tempdir().expect("a data directory");
        let mut cfg = fastio_devserver::Config::new(dir.path());
        cfg.api_keys = vec![key.into()];
        let srv = fastio_devserver::spawn(cfg).expect("devserver starts");
        Local {
            srv,
            key: key.into(),
            _dir: dir,
        }
    }

    /// A client with the server's key.
    pub fn client(&self) -> Client {
        Client::new(
            ClientConfig::with_api_key(&self.srv.base_url, self.key.as_str()).expect("config"),
        )
        .expect("client")
    }

    /// A client with no credential at all.
    pub fn anonymous(&self) -> Client {
        let mut c = self.client();
        c.set_credential(None);
        c
    }
}

/// A call from its JSON form.
pub fn call(v: Value) -> Call {
    serde_json::from_value(v).expect("a call")
}

/// Sends a call that must succeed; its payload.
pub fn payload(c: &Client, call: &Call) -> Value {
    driver::call::<Value>(c, call).unwrap_or_else(|e| panic!("{call:?}: {e}"))
}

/// The HTTP status a call is refused with (200 when it is not).
pub fn status(c: &Client, v: Value) -> u16 {
    match driver::call::<Value>(c, &call(v)) {
        Ok(_) => 200,
        Err(driver::HostError::Api { error, .. }) => error.status.unwrap_or(0),
        Err(e) => panic!("{e}"),
    }
}

/// Uploads `bytes` as `name` to the workspace's root; the node id.
pub fn put(c: &Client, ws: &str, name: &str, bytes: &[u8]) -> String {
    let spec = UploadSpec::file(name, bytes.len() as u64, ws);
    driver::upload(c, spec, bytes, UploadConfig::default(), |_| {})
        .expect("uploaded")
        .node_id
        .expect("a node")
}
