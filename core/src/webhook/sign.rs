//! The signer: the headers a sender attaches to a delivery.

use super::content::{prepare_key, signed_content, validate_scheme};
use super::error::WebhookError;
use super::header::{encode_base64, encode_hex};
use super::key::MacBytes;
use super::key::SignKey;
use super::scheme::{Encoding, Scheme, TemplatePart};
use crate::secret::Secret;

/// Signs deliveries with one scheme and one secret.
#[derive(Debug, Clone)]
pub struct Signer {
    scheme: Scheme,
    key: SignKey,
}

impl Signer {
    /// A signer for `scheme`. The secret is checked as [`Verifier::new`]
    /// checks it. For Standard Webhooks a `whsk_` ed25519 secret key signs
    /// `v1a`; a `whsec_` secret signs `v1`.
    ///
    /// [`Verifier::new`]: super::Verifier::new
    pub fn new(scheme: Scheme, secret: &Secret) -> Result<Self, WebhookError> {
        validate_scheme(&scheme)?;
        let (key, _) = prepare_key(&scheme, 0, secret)?;
        let key = key.into_sign_key(0)?;
        Ok(Signer { scheme, key })
    }

    /// The configured scheme.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The headers to send with `body`, names in lower case, the signature
    /// header first. `id` and `timestamp` (unix seconds) are required by the
    /// schemes that sign them; schemes with an unsigned id header (GitHub,
    /// Shopify, custom) send it when given.
    pub fn sign(
        &self,
        id: Option<&str>,
        timestamp: Option<u64>,
        body: &[u8],
    ) -> Result<Vec<(String, String)>, WebhookError> {
        let timestamp_text = timestamp.map(|t| t.to_string());
        let needs = |what| WebhookError::MissingSigningInput { what };
        let uses_id = match &self.scheme {
            Scheme::StandardWebhooks => true,
            Scheme::Custom(custom) => custom.template.uses(TemplatePart::Id),
            _ => false,
        };
        if uses_id && id.is_none_or(str::is_empty) {
            return Err(needs("id"));
        }
        if self.scheme.has_timestamp() && timestamp_text.is_none() {
            return Err(needs("timestamp"));
        }
        let content = signed_content(&self.scheme, id, timestamp_text.as_deref(), body);
        let mac = match &self.key {
            SignKey::Mac(key) => key.compute(content.parts()),
            SignKey::Ed25519(key) => {
                use ed25519_dalek::ed25519::signature::MultipartSigner as _;
                // Ed25519 signing cannot fail; the error type is the trait's.
                let signature = key.try_multipart_sign(content.parts()).map_err(|_| {
                    WebhookError::InvalidSecret {
                        index: 0,
                        reason: "ed25519 signing failed",
                        hint: None,
                    }
                })?;
                MacBytes::from_slice(&signature.to_bytes()).unwrap_or(MacBytes::EMPTY)
            }
        };
        let version = match self.key {
            SignKey::Ed25519(_) => "v1a",
            SignKey::Mac(_) => "v1",
        };
        let mac = mac.as_slice();
        let ts = timestamp_text.unwrap_or_default();
        let pair = |name: &str, value: String| (name.to_owned(), value);

        let mut headers = Vec::with_capacity(3);
        match &self.scheme {
            Scheme::Fastio => headers.push(pair("x-fastio-signature", encode_hex(mac))),
            Scheme::FastioTimestamped => headers.push(pair(
                "fastio-signature",
                format!("t={ts},v1={}", encode_base64(mac)),
            )),
            Scheme::FastioTimestampedHex { timestamp_header } => {
                headers.push(pair(
                    "x-fastio-signature",
                    format!("sha256={}", encode_hex(mac)),
                ));
                headers.push(pair(&timestamp_header.to_ascii_lowercase(), ts));
            }
            Scheme::StandardWebhooks => {
                headers.push(pair(
                    "webhook-signature",
                    format!("{version},{}", encode_base64(mac)),
                ));
                headers.push(pair("webhook-id", id.unwrap_or_default().to_owned()));
                headers.push(pair("webhook-timestamp", ts));
            }
            Scheme::GitHub => {
                headers.push(pair(
                    "x-hub-signature-256",
                    format!("sha256={}", encode_hex(mac)),
                ));
                if let Some(id) = id {
                    headers.push(pair("x-github-delivery", id.to_owned()));
                }
            }
            Scheme::Stripe => headers.push(pair(
                "stripe-signature",
                format!("t={ts},v1={}", encode_hex(mac)),
            )),
            Scheme::Shopify => {
                headers.push(pair("x-shopify-hmac-sha256", encode_base64(mac)));
                if let Some(id) = id {
                    headers.push(pair("x-shopify-webhook-id", id.to_owned()));
                }
            }
            Scheme::Custom(custom) => {
                let encoded = match custom.encoding {
                    Encoding::Hex => encode_hex(mac),
                    Encoding::Base64 => encode_base64(mac),
                };
                headers.push(pair(
                    &custom.signature_header.to_ascii_lowercase(),
                    format!("{}{encoded}", custom.prefix),
                ));
                if let (Some(name), Some(id)) = (&custom.id_header, id) {
                    headers.push(pair(&name.to_ascii_lowercase(), id.to_owned()));
                }
                if let Some(name) = &custom.timestamp_header {
                    headers.push(pair(&name.to_ascii_lowercase(), ts));
                }
            }
        }
        Ok(headers)
    }
}
