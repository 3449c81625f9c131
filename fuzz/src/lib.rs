//! Helpers shared by the fuzz targets: a reader that turns the fuzzer's bytes
//! into a script of decisions, builders for plausible server answers, and the
//! hosts' private parsers compiled from their source (see `build.rs`).
//!
//! # Script layout
//!
//! Targets that drive a machine read their input front to back with
//! [`Script`]: single bytes choose, `u16`/`u32`/`u64` are little-endian, and a
//! blob is a `u16` length followed by that many bytes. An exhausted script
//! reads as zeros and empty blobs, so every input is a complete script and
//! `fuzz/seed.py` can write seeds in the same layout.

#![allow(clippy::missing_panics_doc)]

use fastio_core::http::HttpResponse;

#[allow(missing_docs, clippy::all)]
mod extracted {
    include!(concat!(env!("OUT_DIR"), "/extracted.rs"));
}
pub use extracted::{devserver_storage, gateway_incoming, gateway_names};

/// Reads decisions from the fuzzer's bytes, front to back.
#[derive(Debug, Clone)]
pub struct Script<'a> {
    data: &'a [u8],
}

impl<'a> Script<'a> {
    /// A script over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Script { data }
    }

    /// True once every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Up to `n` bytes.
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// Whatever is left.
    pub fn rest(&mut self) -> &'a [u8] {
        self.bytes(self.data.len())
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let b = self.bytes(N);
        out[..b.len()].copy_from_slice(b);
        out
    }

    /// One byte (0 once exhausted).
    pub fn u8(&mut self) -> u8 {
        self.array::<1>()[0]
    }

    /// Little-endian `u16`.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    /// Little-endian `u32`.
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    /// Little-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.array())
    }

    /// A `u16` length, then that many bytes.
    pub fn blob(&mut self) -> &'a [u8] {
        let n = self.u16() as usize;
        self.bytes(n)
    }

    /// A blob as text (invalid UTF-8 replaced).
    pub fn text(&mut self) -> String {
        String::from_utf8_lossy(self.blob()).into_owned()
    }

    /// One of `items`, by the next byte.
    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.u8() as usize % items.len()].clone()
    }

    /// True when the next byte is a multiple of `n` (about one time in `n`).
    pub fn one_in(&mut self, n: u8) -> bool {
        self.u8().is_multiple_of(n)
    }

    /// True with probability 1/2 (by the low bit of the next byte).
    pub fn flag(&mut self) -> bool {
        self.u8() & 1 == 1
    }
}

/// Status codes the API answers with; any other value comes from the script.
pub const STATUSES: &[u16] = &[
    200, 200, 200, 201, 202, 204, 206, 301, 302, 303, 307, 308, 400, 401, 403, 404, 408, 409, 410,
    413, 429, 500, 502, 503, 504,
];

/// A status: mostly from [`STATUSES`], sometimes any `u16`.
pub fn status(s: &mut Script) -> u16 {
    let i = s.u8() as usize;
    match STATUSES.get(i % (STATUSES.len() + 1)) {
        Some(code) => *code,
        None => s.u16(),
    }
}

/// Header names the decoders and machines read.
pub const HEADER_NAMES: &[&str] = &[
    "x-ve-limit-avail",
    "x-ve-limit-max",
    "x-ve-limit-expires",
    "x-rate-limit-expiry",
    "date",
    "location",
    "retry-after",
    "content-type",
];

/// Up to three headers: a known name (or any text) and a text value.
pub fn headers(s: &mut Script) -> Vec<(String, String)> {
    (0..s.u8() % 4)
        .map(|_| {
            let i = s.u8() as usize;
            let name = match HEADER_NAMES.get(i % (HEADER_NAMES.len() + 1)) {
                Some(n) => (*n).to_string(),
                None => s.text(),
            };
            (name, s.text())
        })
        .collect()
}

/// API error codes the machines treat specially.
pub const ERROR_CODES: &[u32] = &[10507, 10508, 10778, 10779, 1671, 1680, 9992, 1604];

/// The `{"result": false, "error": {...}}` envelope with a code chosen by the script.
pub fn error_body(s: &mut Script) -> serde_json::Value {
    let code = match ERROR_CODES.get(s.u8() as usize % (ERROR_CODES.len() + 1)) {
        Some(c) => *c,
        None => s.u32(),
    };
    serde_json::json!({
        "result": false,
        "error": {"code": code, "text": s.text()},
    })
}

/// A response with a status and headers from the script around `body`.
pub fn respond(s: &mut Script, body: Vec<u8>) -> HttpResponse {
    let status = status(s);
    HttpResponse {
        status,
        headers: headers(s),
        body,
    }
}

/// `{"result": true, "response": payload}`, or the payload alone, as the API sends both.
pub fn envelope(s: &mut Script, payload: serde_json::Value) -> Vec<u8> {
    let v = if s.flag() {
        payload
    } else {
        serde_json::json!({"result": true, "response": payload})
    };
    serde_json::to_vec(&v).unwrap_or_default()
}

/// Lowercase hex of SHA-256, computed by the `sha2` crate (not the core).
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    to_hex(&sha2::Sha256::digest(data))
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file of `len` bytes whose bytes depend on `seed` and on their offset.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i % 251) as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Prints what a machine target does when `FASTIO_FUZZ_TRACE` is set (to see
/// how far a seed gets); costs a flag test otherwise.
pub fn trace(what: std::fmt::Arguments<'_>) {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *TRACE.get_or_init(|| std::env::var_os("FASTIO_FUZZ_TRACE").is_some()) {
        eprintln!("{what}");
    }
}
