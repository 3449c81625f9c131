//! Webhook verification, signing, replay protection and typed events.
//! Secrets go straight into the core's `Secret`, which never prints them.

use std::sync::Mutex;

use fastio_core::secret::Secret;
use fastio_core::webhook::{
    Algorithm, CustomScheme, Encoding, ReplayGuard as CoreGuard, ReplayVerdict, Scheme, Signer,
    Template, TimestampCheck as CoreCheck, Tolerance, Verifier, parse_event,
};

use crate::error::{Result, invalid};
use crate::http::Header;

/// How a sender signs deliveries (see the core's `webhook::Scheme`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum WebhookScheme {
    /// `x-fastio-signature: <hex HMAC-SHA256 of the body>`.
    Fastio,
    /// `fastio-signature: t=<unix>,v1=<base64>`.
    FastioTimestamped,
    /// `x-fastio-signature: sha256=<hex>` over `"<t>.<body>"`, timestamp in its own header.
    FastioTimestampedHex {
        timestamp_header: String,
    },
    StandardWebhooks,
    GitHub,
    Stripe,
    Shopify,
    /// Any other HMAC scheme. `encoding`: `hex` or `base64`; `algorithm`:
    /// `sha256` or `sha512`; `template` uses `{id}`, `{timestamp}`, `{body}`.
    Custom {
        signature_header: String,
        id_header: Option<String>,
        timestamp_header: Option<String>,
        encoding: String,
        prefix: String,
        algorithm: String,
        template: String,
    },
}

fn scheme(s: WebhookScheme) -> Result<Scheme> {
    Ok(match s {
        WebhookScheme::Fastio => Scheme::Fastio,
        WebhookScheme::FastioTimestamped => Scheme::FastioTimestamped,
        WebhookScheme::FastioTimestampedHex { timestamp_header } => {
            Scheme::FastioTimestampedHex { timestamp_header }
        }
        WebhookScheme::StandardWebhooks => Scheme::StandardWebhooks,
        WebhookScheme::GitHub => Scheme::GitHub,
        WebhookScheme::Stripe => Scheme::Stripe,
        WebhookScheme::Shopify => Scheme::Shopify,
        WebhookScheme::Custom {
            signature_header,
            id_header,
            timestamp_header,
            encoding,
            prefix,
            algorithm,
            template,
        } => {
            let encoding = match encoding.as_str() {
                "hex" => Encoding::Hex,
                "base64" => Encoding::Base64,
                other => {
                    return Err(invalid_scheme(format!("unknown encoding {other:?}")));
                }
            };
            let mut c = CustomScheme::new(signature_header, encoding);
            c.id_header = id_header;
            c.timestamp_header = timestamp_header;
            c.prefix = prefix;
            c.algorithm = match algorithm.as_str() {
                "sha256" => Algorithm::Sha256,
                "sha512" => Algorithm::Sha512,
                other => return Err(invalid_scheme(format!("unknown algorithm {other:?}"))),
            };
            c.template = Template::parse(&template)?;
            Scheme::Custom(c)
        }
    })
}

/// The built-in scheme of a stable name (`fastio`, `fastio-timestamped`,
/// `fastio-timestamped-hex`, `standard-webhooks`, `github`, `stripe`,
/// `shopify`) with its default configuration: the core's one table of names.
/// Any other name is `Webhook` with kind `invalid_scheme`, naming the known ones.
#[uniffi::export]
pub fn webhook_scheme_named(name: String) -> Result<WebhookScheme> {
    Ok(match Scheme::from_name(&name)? {
        Scheme::Fastio => WebhookScheme::Fastio,
        Scheme::FastioTimestamped => WebhookScheme::FastioTimestamped,
        Scheme::FastioTimestampedHex { timestamp_header } => {
            WebhookScheme::FastioTimestampedHex { timestamp_header }
        }
        Scheme::StandardWebhooks => WebhookScheme::StandardWebhooks,
        Scheme::GitHub => WebhookScheme::GitHub,
        Scheme::Stripe => WebhookScheme::Stripe,
        Scheme::Shopify => WebhookScheme::Shopify,
        // A name never gives a custom scheme (it needs its configuration).
        other => {
            return Err(invalid_scheme(format!(
                "{} has no name-only form",
                other.name()
            )));
        }
    })
}

fn invalid_scheme(message: String) -> crate::FastioError {
    crate::FastioError::Webhook {
        kind: "invalid_scheme".into(),
        hint: None,
        detail: message,
    }
}

/// Whether and how far a signed timestamp may be from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TimestampCheck {
    Within { max_age_s: u64, max_future_s: u64 },
    Skip,
}

/// A verified delivery: scheme, id for de-duplication, signed timestamp and
/// the index of the secret that matched.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Delivery {
    pub scheme: String,
    pub id: Option<String>,
    pub timestamp: Option<u64>,
    pub secret_index: u32,
}

/// Verifies deliveries for one scheme and one or more secrets (rotation).
/// Immutable, so one instance serves every request thread.
#[derive(uniffi::Object)]
pub struct WebhookVerifier {
    inner: Verifier,
}

impl std::fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookVerifier([redacted])")
    }
}

#[uniffi::export]
impl WebhookVerifier {
    #[uniffi::constructor]
    pub fn new(
        scheme: WebhookScheme,
        secrets: Vec<String>,
        timestamp_check: TimestampCheck,
        max_body_bytes: Option<u64>,
    ) -> Result<std::sync::Arc<Self>> {
        let secrets: Vec<Secret> = secrets.into_iter().map(Secret::new).collect();
        let check = match timestamp_check {
            TimestampCheck::Skip => CoreCheck::Skip,
            TimestampCheck::Within {
                max_age_s,
                max_future_s,
            } => CoreCheck::Within(Tolerance {
                max_age_s,
                max_future_s,
            }),
        };
        let mut v = Verifier::new(self::scheme(scheme)?, &secrets, check)?;
        if let Some(m) = max_body_bytes {
            v = v.with_max_body_bytes(usize::try_from(m).unwrap_or(usize::MAX));
        }
        Ok(std::sync::Arc::new(WebhookVerifier { inner: v }))
    }

    /// Verifies the raw body as received, the headers as received, at `now`
    /// (unix seconds). A refusal is a `Webhook` error with a stable `kind`.
    pub fn verify(&self, headers: Vec<Header>, body: &[u8], now: u64) -> Result<Delivery> {
        let pairs: Vec<(String, String)> = headers.into_iter().map(|h| (h.name, h.value)).collect();
        let d = self.inner.verify(&pairs, body, now)?;
        Ok(Delivery {
            scheme: d.scheme.as_str().into(),
            id: d.id,
            timestamp: d.timestamp,
            secret_index: u32::try_from(d.secret_index).unwrap_or(u32::MAX),
        })
    }
}

/// Signs deliveries (for tests, local servers and forwarders).
#[derive(uniffi::Object)]
pub struct WebhookSigner {
    inner: Signer,
}

impl std::fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSigner([redacted])")
    }
}

#[uniffi::export]
impl WebhookSigner {
    #[uniffi::constructor]
    pub fn new(scheme: WebhookScheme, secret: String) -> Result<std::sync::Arc<Self>> {
        Ok(std::sync::Arc::new(WebhookSigner {
            inner: Signer::new(self::scheme(scheme)?, &Secret::new(secret))?,
        }))
    }

    /// The headers to attach to `body`.
    pub fn sign(
        &self,
        id: Option<String>,
        timestamp: Option<u64>,
        body: &[u8],
    ) -> Result<Vec<Header>> {
        Ok(self
            .inner
            .sign(id.as_deref(), timestamp, body)?
            .into_iter()
            .map(|(name, value)| Header { name, value })
            .collect())
    }
}

/// Remembers delivery ids for a window, in bounded memory.
#[derive(Debug, uniffi::Object)]
pub struct ReplayGuard {
    inner: Mutex<CoreGuard>,
}

#[uniffi::export]
impl ReplayGuard {
    #[uniffi::constructor]
    pub fn new(window_s: u64, capacity: u32) -> std::sync::Arc<Self> {
        std::sync::Arc::new(ReplayGuard {
            inner: Mutex::new(CoreGuard::new(window_s, capacity as usize)),
        })
    }

    /// True the first time `id` is seen within the window; false for a replay.
    pub fn check(&self, id: String, now: u64) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.check(&id, now) == ReplayVerdict::Fresh
    }
}

/// A delivery body read as a Fast.io event: the canonical name, whether this
/// version knows it, and the common details.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WebhookEvent {
    pub name: String,
    pub known: bool,
    pub event_id: Option<String>,
    pub workspace_id: Option<String>,
    pub share_id: Option<String>,
    pub org_id: Option<String>,
    pub node_id: Option<String>,
    pub actor: Option<String>,
    pub time: Option<String>,
}

/// Reads a delivery body as an event.
#[uniffi::export]
pub fn parse_webhook_event(body: &[u8]) -> Result<WebhookEvent> {
    let e = parse_event(body).map_err(|e| invalid("invalid_json", e.to_string()))?;
    let info = e.info().cloned().unwrap_or_default();
    Ok(WebhookEvent {
        name: e.name(),
        known: e.info().is_some(),
        event_id: info.event_id,
        workspace_id: info.workspace_id,
        share_id: info.share_id,
        org_id: info.org_id,
        node_id: info.node_id,
        actor: info.actor,
        time: info.time,
    })
}
