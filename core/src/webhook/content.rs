//! The exact bytes each scheme signs, assembled without copying the body.

use super::error::WebhookError;
use super::key::{MacKey, SignKey, VerifyKey};
use super::scheme::{Scheme, Template, TemplatePart};
use crate::secret::Secret;

/// The signed content as a list of borrowed pieces, fed to the MAC one after
/// another so the body is never copied.
#[derive(Clone, Copy)]
pub(crate) struct Content<'a> {
    parts: [&'a [u8]; Template::MAX_PARTS],
    len: usize,
    body_at: usize,
}

impl<'a> Content<'a> {
    fn new() -> Self {
        Content {
            parts: [&[]; Template::MAX_PARTS],
            len: 0,
            body_at: 0,
        }
    }

    fn push(&mut self, part: &'a [u8]) {
        // Templates are capped at MAX_PARTS and built-in schemes use at most
        // five pieces, so the slot always exists.
        if let Some(slot) = self.parts.get_mut(self.len) {
            *slot = part;
            self.len += 1;
        }
    }

    fn push_body(&mut self, body: &'a [u8]) {
        self.body_at = self.len;
        self.push(body);
    }

    pub(crate) fn parts(&self) -> &[&'a [u8]] {
        self.parts.get(..self.len).unwrap_or(&[])
    }

    /// The same content with another body, for diagnosing a mismatch.
    pub(crate) fn with_body<'b>(&self, body: &'b [u8]) -> Content<'b>
    where
        'a: 'b,
    {
        let mut out: Content<'b> = Content {
            parts: self.parts,
            len: self.len,
            body_at: self.body_at,
        };
        if let Some(slot) = out.parts.get_mut(self.body_at) {
            *slot = body;
        }
        out
    }
}

/// Builds the signed content for `scheme` from the id and timestamp text as
/// they appear on the wire. Missing values the scheme does not sign are
/// ignored; callers check presence beforehand.
pub(crate) fn signed_content<'a>(
    scheme: &'a Scheme,
    id: Option<&'a str>,
    timestamp: Option<&'a str>,
    body: &'a [u8],
) -> Content<'a> {
    let mut content = Content::new();
    let id = id.unwrap_or("").as_bytes();
    let timestamp = timestamp.unwrap_or("").as_bytes();
    match scheme {
        Scheme::Fastio | Scheme::GitHub | Scheme::Shopify => content.push_body(body),
        Scheme::FastioTimestamped | Scheme::FastioTimestampedHex { .. } | Scheme::Stripe => {
            content.push(timestamp);
            content.push(b".");
            content.push_body(body);
        }
        Scheme::StandardWebhooks => {
            content.push(id);
            content.push(b".");
            content.push(timestamp);
            content.push(b".");
            content.push_body(body);
        }
        Scheme::Custom(custom) => {
            for part in custom.template.parts() {
                match part {
                    TemplatePart::Literal(text) => content.push(text.as_bytes()),
                    TemplatePart::Id => content.push(id),
                    TemplatePart::Timestamp => content.push(timestamp),
                    TemplatePart::Body => content.push_body(body),
                }
            }
        }
    }
    content
}

/// Checks a scheme's configuration for contradictions.
pub(crate) fn validate_scheme(scheme: &Scheme) -> Result<(), WebhookError> {
    let invalid = |reason: &str| {
        Err(WebhookError::InvalidScheme {
            reason: reason.to_owned(),
        })
    };
    match scheme {
        Scheme::FastioTimestampedHex { timestamp_header } if timestamp_header.trim().is_empty() => {
            invalid("empty timestamp header name")
        }
        Scheme::Custom(custom) => {
            if custom.signature_header.trim().is_empty() {
                return invalid("empty signature header name");
            }
            let named = |h: &Option<String>| h.as_deref().is_some_and(|h| !h.trim().is_empty());
            if custom.template.uses(TemplatePart::Id) && !named(&custom.id_header) {
                return invalid("the template uses {id} but no id header is named");
            }
            match (
                custom.template.uses(TemplatePart::Timestamp),
                named(&custom.timestamp_header),
            ) {
                (true, false) => {
                    invalid("the template uses {timestamp} but no timestamp header is named")
                }
                (false, true) => invalid(
                    "a timestamp header is named but the template does not sign {timestamp}, so it could be forged",
                ),
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// A usable key parsed from a secret string.
pub(crate) enum KeyMaterial {
    /// HMAC secret.
    Mac(MacKey),
    /// Standard Webhooks `whpk_` ed25519 public key (verify only).
    Ed25519Public(ed25519_dalek::VerifyingKey),
    /// Standard Webhooks `whsk_` ed25519 secret key.
    Ed25519Secret(ed25519_dalek::SigningKey),
}

impl KeyMaterial {
    pub(crate) fn into_verify_key(self) -> VerifyKey {
        match self {
            KeyMaterial::Mac(key) => VerifyKey::Mac(key),
            KeyMaterial::Ed25519Public(key) => VerifyKey::Ed25519(key),
            KeyMaterial::Ed25519Secret(key) => VerifyKey::Ed25519(key.verifying_key()),
        }
    }

    pub(crate) fn into_sign_key(self, index: usize) -> Result<SignKey, WebhookError> {
        match self {
            KeyMaterial::Mac(key) => Ok(SignKey::Mac(key)),
            KeyMaterial::Ed25519Secret(key) => Ok(SignKey::Ed25519(key)),
            KeyMaterial::Ed25519Public(_) => Err(WebhookError::InvalidSecret {
                index,
                reason: "a `whpk_` public key can verify but not sign; sign with the `whsk_` secret key",
                hint: None,
            }),
        }
    }
}

/// Turns a secret into a key for `scheme`, rejecting the usual copy-paste
/// mistakes. Also returns whether the secret is a `whsec_` secret used with
/// a scheme that signs with the text itself.
///
/// Standard Webhooks secrets are `whsec_<base64>` (HMAC, `v1`; the prefix may
/// be left off), `whpk_<base64 of 32 bytes>` (ed25519 public key, `v1a`) or
/// `whsk_<base64 of the 32-byte seed, or seed and public key (64 bytes)>`.
pub(crate) fn prepare_key(
    scheme: &Scheme,
    index: usize,
    secret: &Secret,
) -> Result<(KeyMaterial, bool), WebhookError> {
    use super::error::Hint;
    use super::header::decode_base64_secret;
    let invalid = |reason, hint| WebhookError::InvalidSecret {
        index,
        reason,
        hint,
    };
    let text = secret.expose();
    if text.is_empty() {
        return Err(invalid("empty", None));
    }
    if text.trim() != text {
        return Err(invalid(
            "leading or trailing whitespace",
            Some(Hint::SecretWhitespace),
        ));
    }
    if ["v1,", "v1a,", "sha256="]
        .iter()
        .any(|p| text.starts_with(p))
    {
        return Err(invalid(
            "looks like a signature, not a secret",
            Some(Hint::SecretLooksLikeSignature),
        ));
    }
    let mac = |bytes: &[u8]| {
        MacKey::new(scheme.algorithm(), bytes)
            .map(KeyMaterial::Mac)
            .ok_or_else(|| invalid("rejected by the HMAC implementation", None))
    };
    if *scheme != Scheme::StandardWebhooks {
        // Stripe's endpoint secrets also start with `whsec_`, and Stripe
        // signs with the whole text, so that is no mistake there.
        let whsec_elsewhere = text.starts_with("whsec_") && *scheme != Scheme::Stripe;
        return Ok((mac(text.as_bytes())?, whsec_elsewhere));
    }
    if let Some(encoded) = text.strip_prefix("whpk_") {
        let bytes: [u8; 32] = decode_base64_secret(encoded)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                invalid(
                    "`whpk_` is not base64 of a 32-byte ed25519 public key",
                    None,
                )
            })?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| invalid("`whpk_` is not a valid ed25519 public key", None))?;
        return Ok((KeyMaterial::Ed25519Public(key), false));
    }
    if let Some(encoded) = text.strip_prefix("whsk_") {
        let bytes = decode_base64_secret(encoded)
            .filter(|b| b.len() == 32 || b.len() == 64)
            .ok_or_else(|| {
                invalid(
                    "`whsk_` is not base64 of a 32- or 64-byte ed25519 key",
                    None,
                )
            })?;
        let mut seed = [0u8; 32];
        seed.copy_from_slice(bytes.get(..32).unwrap_or(&[0; 32]));
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        return Ok((KeyMaterial::Ed25519Secret(key), false));
    }
    let encoded = text.strip_prefix("whsec_").unwrap_or(text);
    let decoded = decode_base64_secret(encoded)
        .ok_or_else(|| invalid("not base64 after `whsec_`", Some(Hint::SecretNotWhsec)))?;
    if decoded.is_empty() {
        return Err(invalid("decodes to no bytes", Some(Hint::SecretNotWhsec)));
    }
    Ok((mac(&decoded)?, false))
}
