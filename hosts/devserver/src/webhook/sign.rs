//! Signature headers for each supported scheme, computed with HMAC-SHA256.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::config::WebhookScheme;
use crate::hashing::hex;

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// A new secret in the form the scheme expects (`whsec_<base64>` for Standard Webhooks).
pub fn new_secret(scheme: WebhookScheme) -> String {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    match scheme {
        WebhookScheme::Standard => format!("whsec_{}", B64.encode(key)),
        _ => hex(&key),
    }
}

/// Headers to add to a delivery of `body`.
pub fn headers(
    scheme: WebhookScheme,
    secret: &str,
    delivery_id: &str,
    unix_s: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    match scheme {
        WebhookScheme::Fastio => {
            vec![("x-fastio-signature", hex(&hmac(secret.as_bytes(), &[body])))]
        }
        WebhookScheme::FastioTimestamped => {
            let t = unix_s.to_string();
            let sig = B64.encode(hmac(secret.as_bytes(), &[t.as_bytes(), b".", body]));
            vec![("fastio-signature", format!("t={t},v1={sig}"))]
        }
        WebhookScheme::Standard => {
            let key = secret
                .strip_prefix("whsec_")
                .and_then(|k| B64.decode(k).ok())
                .unwrap_or_else(|| secret.as_bytes().to_vec());
            let t = unix_s.to_string();
            let sig = B64.encode(hmac(
                &key,
                &[delivery_id.as_bytes(), b".", t.as_bytes(), b".", body],
            ));
            vec![
                ("webhook-id", delivery_id.to_string()),
                ("webhook-timestamp", t),
                ("webhook-signature", format!("v1,{sig}")),
            ]
        }
    }
}
