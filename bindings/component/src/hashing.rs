//! `fastio:core/hashing`: digests and download verification.

use std::cell::RefCell;

use fastio_core::hash::{DownloadVerifier, HashAlgo as CoreAlgo, Hasher, HasherState, VerifyError};

use crate::Component;
use crate::convert::{algo, wit_algo};
use crate::exports::fastio::core::hashing::{self, HashError, Mismatch};
use crate::exports::fastio::core::uploads::HashAlgo;

fn hash_error(e: impl std::fmt::Display) -> HashError {
    HashError::Other(e.to_string())
}

/// An incremental digest. Component resources are reached through `&self`
/// and an instance is single-threaded, hence the `RefCell`.
pub struct Digest(RefCell<Hasher>);

impl hashing::GuestDigest for Digest {
    fn new(a: HashAlgo) -> Self {
        Digest(RefCell::new(Hasher::new(algo(a))))
    }
    fn update(&self, data: Vec<u8>) {
        self.0.borrow_mut().update(&data);
    }
    fn bytes_processed(&self) -> u64 {
        self.0.borrow().bytes_processed()
    }
    fn hex(&self) -> String {
        self.0.borrow().clone().finish().to_hex()
    }
    fn state(&self) -> String {
        self.0.borrow().state().to_base64()
    }
    fn from_state(state: String) -> Result<hashing::Digest, HashError> {
        let st = HasherState::from_base64(&state).map_err(hash_error)?;
        let h = Hasher::from_state(&st).map_err(hash_error)?;
        Ok(hashing::Digest::new(Digest(RefCell::new(h))))
    }
}

/// A streaming verifier, or the reason its expected digest was refused
/// (WIT constructors cannot fail, so the error waits for `finish`).
pub struct Check(
    RefCell<Option<DownloadVerifier>>,
    RefCell<Option<HashError>>,
);

impl hashing::GuestVerifier for Check {
    fn new(expected_hex: String, a: HashAlgo) -> Self {
        match DownloadVerifier::new(&expected_hex, algo(a)) {
            Ok(v) => Check(RefCell::new(Some(v)), RefCell::new(None)),
            Err(e) => Check(
                RefCell::new(None),
                RefCell::new(Some(HashError::BadDigest(e.to_string()))),
            ),
        }
    }
    fn update(&self, data: Vec<u8>) {
        if let Some(v) = self.0.borrow_mut().as_mut() {
            v.update(&data);
        }
    }
    fn finish(&self) -> Result<String, HashError> {
        if let Some(e) = self.1.borrow_mut().take() {
            return Err(e);
        }
        let v = self
            .0
            .borrow_mut()
            .take()
            .ok_or_else(|| HashError::Other("already finished".into()))?;
        match v.finish() {
            Ok(done) => Ok(done.file.sha256_hex()),
            Err(VerifyError::Mismatch {
                algo,
                expected,
                actual,
            }) => Err(HashError::Mismatch(Mismatch {
                algo: algo.to_string(),
                expected,
                actual,
            })),
            Err(e) => Err(hash_error(e)),
        }
    }
}

impl hashing::Guest for Component {
    type Digest = Digest;
    type Verifier = Check;

    fn parse_algo(name: String) -> Result<HashAlgo, HashError> {
        match CoreAlgo::parse(&name).ok().and_then(wit_algo) {
            Some(a) => Ok(a),
            None => Err(HashError::UnknownAlgorithm(name)),
        }
    }

    fn hash(a: HashAlgo, data: Vec<u8>) -> String {
        Hasher::digest(algo(a), &data).to_hex()
    }

    fn crc32c_combine(crc1: u32, crc2: u32, len2: u64) -> u32 {
        fastio_core::hash::crc32c_combine(crc1, crc2, len2)
    }
}
