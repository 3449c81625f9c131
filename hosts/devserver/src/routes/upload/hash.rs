//! The optional whole-body hash a client sends with its bytes, and its check against what
//! arrived (contract §4 item 1).

use crate::envelope::{ApiError, ApiResult};
use crate::hashing::{self, Hasher};
use crate::routes::multipart::FilePart;

/// A checked `(algo, hash)` pair.
type HashPair = (String, String);

/// Validates an optional `hash` + `hash_algo`: they come as a pair (half a pair is a 400 naming
/// the missing one), the algorithm must be known, and a CRC-32C must be in the wire format of
/// 8 lowercase hex digits (contract §4 item 1).
pub(super) fn hash_pair(hash: Option<&str>, algo: Option<&str>) -> ApiResult<Option<HashPair>> {
    let (hash, algo) = match (hash, algo) {
        (None, None) => return Ok(None),
        (Some(_), None) => return Err(ApiError::missing("hash_algo")),
        (None, Some(_)) => return Err(ApiError::missing("hash")),
        (Some(h), Some(a)) => (h, a.to_ascii_lowercase()),
    };
    if Hasher::new(&algo).is_none() {
        return Err(ApiError::invalid_param(
            "hash_algo",
            "string",
            format!(
                "Unsupported hash_algo; use one of {}.",
                hashing::ALGOS.join(", ")
            ),
        ));
    }
    if algo == "crc32c" && hashing::parse_wire_crc(hash).is_none() {
        return Err(ApiError::invalid_param(
            "hash",
            "string",
            "A crc32c 'hash' is 8 lowercase hex digits.",
        ));
    }
    Ok(Some((algo, hash.to_string())))
}

/// Checks a validated hash pair against the received bytes: a mismatch is HTTP 406, code 10778.
pub(super) async fn verify_hash(pair: Option<&HashPair>, part: &FilePart) -> ApiResult<()> {
    let Some((algo, expected)) = pair else {
        return Ok(());
    };
    let computed = match &part.hash {
        Some((a, h)) if a == algo => h.clone(),
        _ if algo == "crc32c" => hashing::crc_hex(part.crc32c),
        _ => {
            let path = part.tmp.clone();
            let a = algo.clone();
            tokio::task::spawn_blocking(move || hashing::hash_file(&path, &a))
                .await
                .map_err(|_| ApiError::internal("hashing failed"))??
                .unwrap_or_default()
        }
    };
    if !expected.trim().eq_ignore_ascii_case(&computed) {
        return Err(ApiError::crc_mismatch(format!(
            "The {algo} hash does not match the received bytes (computed {computed}); nothing was stored."
        )));
    }
    Ok(())
}
