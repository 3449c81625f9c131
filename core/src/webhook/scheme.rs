//! The signature schemes and their configuration.

use std::fmt;

use super::error::WebhookError;

/// Default name of the timestamp header in [`Scheme::FastioTimestampedHex`].
pub const DEFAULT_FASTIO_TIMESTAMP_HEADER: &str = "x-fastio-timestamp";

/// How a sender signs a delivery. Each variant names the headers it reads and
/// the exact bytes it signs.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// `x-fastio-signature: <hex>`: HMAC-SHA256 of the raw body, hex in either
    /// case, optionally prefixed `sha256=`. No timestamp, no id.
    Fastio,
    /// `fastio-signature: t=<unix>,v1=<base64>[,v1=…]`: HMAC-SHA256 of
    /// `"<t>.<body>"`. Several `v1` values may be present (rotation).
    FastioTimestamped,
    /// `x-fastio-signature: sha256=<hex>` over `"<timestamp>.<body>"`, with the
    /// timestamp in its own header.
    FastioTimestampedHex {
        /// Header that carries the unix timestamp
        /// (default [`DEFAULT_FASTIO_TIMESTAMP_HEADER`]).
        timestamp_header: String,
    },
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp` and
    /// `webhook-signature` (space-separated `v1,<base64>` HMAC-SHA256 and
    /// `v1a,<base64>` ed25519 entries), signed content
    /// `"<id>.<timestamp>.<body>"`. Secrets are `whsec_<base64>` (HMAC),
    /// `whpk_<base64>` (ed25519 public key, verify only) or `whsk_<base64>`
    /// (ed25519 secret key: the 32-byte seed, or seed and public key).
    StandardWebhooks,
    /// GitHub: `x-hub-signature-256: sha256=<hex>` of the raw body; delivery id
    /// from `x-github-delivery`.
    GitHub,
    /// Stripe: `stripe-signature: t=<unix>,v1=<hex>[,v1=…]` over
    /// `"<t>.<body>"`.
    Stripe,
    /// Shopify: `x-shopify-hmac-sha256: <base64>` of the raw body; delivery id
    /// from `x-shopify-webhook-id`.
    Shopify,
    /// Any other HMAC scheme, described by its headers, encoding and template.
    Custom(CustomScheme),
}

impl Scheme {
    /// [`Scheme::FastioTimestampedHex`] with the default timestamp header.
    pub fn fastio_timestamped_hex() -> Self {
        Scheme::FastioTimestampedHex {
            timestamp_header: DEFAULT_FASTIO_TIMESTAMP_HEADER.to_owned(),
        }
    }

    /// The scheme of a stable name (`fastio`, `fastio-timestamped`,
    /// `fastio-timestamped-hex`, `standard-webhooks`, `github`, `stripe`,
    /// `shopify`), with its default configuration; the inverse of
    /// [`Scheme::name`]. Names are matched exactly, so every host accepts the
    /// same spellings.
    ///
    /// `custom` needs its headers, encoding and template, so it is refused
    /// here with [`WebhookError::InvalidScheme`] like any unknown name; build a
    /// [`CustomScheme`] instead.
    pub fn from_name(name: &str) -> Result<Self, WebhookError> {
        match SchemeKind::from_name(name) {
            Some(SchemeKind::Fastio) => Ok(Scheme::Fastio),
            Some(SchemeKind::FastioTimestamped) => Ok(Scheme::FastioTimestamped),
            Some(SchemeKind::FastioTimestampedHex) => Ok(Scheme::fastio_timestamped_hex()),
            Some(SchemeKind::StandardWebhooks) => Ok(Scheme::StandardWebhooks),
            Some(SchemeKind::GitHub) => Ok(Scheme::GitHub),
            Some(SchemeKind::Stripe) => Ok(Scheme::Stripe),
            Some(SchemeKind::Shopify) => Ok(Scheme::Shopify),
            Some(SchemeKind::Custom) => Err(WebhookError::InvalidScheme {
                reason: "the custom scheme needs its configuration (headers, encoding, \
                         template); it has no name-only form"
                    .to_owned(),
            }),
            None => Err(WebhookError::InvalidScheme {
                reason: format!(
                    "unknown scheme name {name:?}; expected one of {}",
                    SchemeKind::NAMED.map(SchemeKind::as_str).join(", ")
                ),
            }),
        }
    }

    /// The scheme a configuration value names (an environment variable, a
    /// settings file): [`Scheme::from_name`] after trimming, lower-casing and
    /// reading `_` as `-`, with `standard` for `standard-webhooks`. The one
    /// lenient reading every host's configuration shares; APIs take the
    /// exact names.
    pub fn from_config_name(name: &str) -> Result<Self, WebhookError> {
        let n = name.trim().to_ascii_lowercase().replace('_', "-");
        Self::from_name(if n == "standard" {
            "standard-webhooks"
        } else {
            &n
        })
    }

    /// The stable name of the scheme (its [`kind`](Scheme::kind)'s name),
    /// as [`Scheme::from_name`] reads it.
    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The scheme's name without its configuration.
    pub fn kind(&self) -> SchemeKind {
        match self {
            Scheme::Fastio => SchemeKind::Fastio,
            Scheme::FastioTimestamped => SchemeKind::FastioTimestamped,
            Scheme::FastioTimestampedHex { .. } => SchemeKind::FastioTimestampedHex,
            Scheme::StandardWebhooks => SchemeKind::StandardWebhooks,
            Scheme::GitHub => SchemeKind::GitHub,
            Scheme::Stripe => SchemeKind::Stripe,
            Scheme::Shopify => SchemeKind::Shopify,
            Scheme::Custom(_) => SchemeKind::Custom,
        }
    }

    /// The HMAC hash function the scheme uses.
    pub fn algorithm(&self) -> Algorithm {
        match self {
            Scheme::Custom(custom) => custom.algorithm,
            _ => Algorithm::Sha256,
        }
    }

    /// Whether the scheme carries a signed timestamp (so a tolerance applies).
    pub fn has_timestamp(&self) -> bool {
        match self {
            Scheme::Fastio | Scheme::GitHub | Scheme::Shopify => false,
            Scheme::FastioTimestamped
            | Scheme::FastioTimestampedHex { .. }
            | Scheme::StandardWebhooks
            | Scheme::Stripe => true,
            Scheme::Custom(custom) => custom.template.uses(TemplatePart::Timestamp),
        }
    }

    /// The header that carries the signature.
    pub fn signature_header(&self) -> &str {
        match self {
            Scheme::Fastio | Scheme::FastioTimestampedHex { .. } => "x-fastio-signature",
            Scheme::FastioTimestamped => "fastio-signature",
            Scheme::StandardWebhooks => "webhook-signature",
            Scheme::GitHub => "x-hub-signature-256",
            Scheme::Stripe => "stripe-signature",
            Scheme::Shopify => "x-shopify-hmac-sha256",
            Scheme::Custom(custom) => &custom.signature_header,
        }
    }
}

/// A scheme's name, without configuration. [`SchemeKind::as_str`] gives the
/// stable name used in test vectors and bindings.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemeKind {
    /// [`Scheme::Fastio`]: `fastio`.
    Fastio,
    /// [`Scheme::FastioTimestamped`]: `fastio-timestamped`.
    FastioTimestamped,
    /// [`Scheme::FastioTimestampedHex`]: `fastio-timestamped-hex`.
    FastioTimestampedHex,
    /// [`Scheme::StandardWebhooks`]: `standard-webhooks`.
    StandardWebhooks,
    /// [`Scheme::GitHub`]: `github`.
    GitHub,
    /// [`Scheme::Stripe`]: `stripe`.
    Stripe,
    /// [`Scheme::Shopify`]: `shopify`.
    Shopify,
    /// [`Scheme::Custom`]: `custom`.
    Custom,
}

impl SchemeKind {
    /// Every kind that [`Scheme::from_name`] builds from its name alone.
    pub const NAMED: [SchemeKind; 7] = [
        SchemeKind::Fastio,
        SchemeKind::FastioTimestamped,
        SchemeKind::FastioTimestampedHex,
        SchemeKind::StandardWebhooks,
        SchemeKind::GitHub,
        SchemeKind::Stripe,
        SchemeKind::Shopify,
    ];

    /// The kind of a stable name; `None` for a name no scheme has.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "fastio" => SchemeKind::Fastio,
            "fastio-timestamped" => SchemeKind::FastioTimestamped,
            "fastio-timestamped-hex" => SchemeKind::FastioTimestampedHex,
            "standard-webhooks" => SchemeKind::StandardWebhooks,
            "github" => SchemeKind::GitHub,
            "stripe" => SchemeKind::Stripe,
            "shopify" => SchemeKind::Shopify,
            "custom" => SchemeKind::Custom,
            _ => return None,
        })
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemeKind::Fastio => "fastio",
            SchemeKind::FastioTimestamped => "fastio-timestamped",
            SchemeKind::FastioTimestampedHex => "fastio-timestamped-hex",
            SchemeKind::StandardWebhooks => "standard-webhooks",
            SchemeKind::GitHub => "github",
            SchemeKind::Stripe => "stripe",
            SchemeKind::Shopify => "shopify",
            SchemeKind::Custom => "custom",
        }
    }
}

impl fmt::Display for SchemeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scheme described by configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomScheme {
    /// Header carrying the signature.
    pub signature_header: String,
    /// Header carrying the delivery id; required when the template uses `{id}`.
    pub id_header: Option<String>,
    /// Header carrying the unix timestamp; required when the template uses
    /// `{timestamp}`, and rejected otherwise (an unsigned timestamp would
    /// look like replay protection without being any).
    pub timestamp_header: Option<String>,
    /// How the MAC is written in the header.
    pub encoding: Encoding,
    /// Text before the encoded MAC, such as `sha256=`; may be empty. Matched
    /// exactly.
    pub prefix: String,
    /// Hash function of the HMAC.
    pub algorithm: Algorithm,
    /// The signed content.
    pub template: Template,
}

impl CustomScheme {
    /// A scheme signing the raw body, with the given header and encoding,
    /// HMAC-SHA256 and no prefix; adjust the public fields from there.
    pub fn new(signature_header: impl Into<String>, encoding: Encoding) -> Self {
        CustomScheme {
            signature_header: signature_header.into(),
            id_header: None,
            timestamp_header: None,
            encoding,
            prefix: String::new(),
            algorithm: Algorithm::Sha256,
            template: Template::body_only(),
        }
    }
}

/// How a MAC is written as text.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Hex; lower case when signing, either case when verifying.
    Hex,
    /// Standard base64 (`+/`), padded when signing, padding optional when
    /// verifying.
    Base64,
}

/// The HMAC hash function.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA256 (32-byte MAC).
    Sha256,
    /// HMAC-SHA512 (64-byte MAC).
    Sha512,
}

/// One piece of a signed-content [`Template`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    /// Literal text.
    Literal(String),
    /// The delivery id, as sent in the id header.
    Id,
    /// The timestamp, exactly as sent in the timestamp header.
    Timestamp,
    /// The raw body bytes.
    Body,
}

/// The content a custom scheme signs, written as text with the placeholders
/// `{id}`, `{timestamp}` and `{body}`; `{{` and `}}` stand for literal braces.
/// `{body}` must appear exactly once. Example: `"{id}.{timestamp}.{body}"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<TemplatePart>,
}

impl Template {
    /// The most parts a template may have; bounds the work of building the
    /// signed content without allocating.
    pub const MAX_PARTS: usize = 16;

    /// `{body}`: the raw body alone.
    pub fn body_only() -> Self {
        Template {
            parts: vec![TemplatePart::Body],
        }
    }

    /// Parses template text; fails with [`WebhookError::InvalidScheme`].
    pub fn parse(text: &str) -> Result<Self, WebhookError> {
        Self::parse_text(text).map_err(|reason| WebhookError::InvalidScheme { reason })
    }

    fn parse_text(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("{{") {
                literal.push('{');
                rest = after;
            } else if let Some(after) = rest.strip_prefix("}}") {
                literal.push('}');
                rest = after;
            } else if c == '{' {
                let end = rest
                    .find('}')
                    .ok_or_else(|| "unclosed `{` in template".to_owned())?;
                let part = match rest.get(1..end) {
                    Some("id") => TemplatePart::Id,
                    Some("timestamp") => TemplatePart::Timestamp,
                    Some("body") => TemplatePart::Body,
                    Some(other) => {
                        return Err(format!(
                            "unknown placeholder `{{{other}}}`; use {{id}}, {{timestamp}} or {{body}}"
                        ));
                    }
                    None => return Err("unclosed `{` in template".to_owned()),
                };
                if !literal.is_empty() {
                    parts.push(TemplatePart::Literal(std::mem::take(&mut literal)));
                }
                parts.push(part);
                rest = rest.get(end + 1..).unwrap_or("");
            } else if c == '}' {
                return Err("lone `}` in template; write `}}` for a literal brace".to_owned());
            } else {
                literal.push(c);
                rest = rest.get(c.len_utf8()..).unwrap_or("");
            }
        }
        if !literal.is_empty() {
            parts.push(TemplatePart::Literal(literal));
        }
        Self::check_parts(parts)
    }

    /// Builds a template from parts, checking the same rules as
    /// [`Template::parse`].
    pub fn from_parts(parts: Vec<TemplatePart>) -> Result<Self, WebhookError> {
        Self::check_parts(parts).map_err(|reason| WebhookError::InvalidScheme { reason })
    }

    fn check_parts(parts: Vec<TemplatePart>) -> Result<Self, String> {
        let bodies = parts.iter().filter(|p| **p == TemplatePart::Body).count();
        if bodies != 1 {
            return Err("template must contain `{body}` exactly once".to_owned());
        }
        if parts.len() > Self::MAX_PARTS {
            return Err(format!("template has more than {} parts", Self::MAX_PARTS));
        }
        Ok(Template { parts })
    }

    /// The parts in order.
    pub fn parts(&self) -> &[TemplatePart] {
        &self.parts
    }

    /// Whether the template contains `part`.
    pub fn uses(&self, part: TemplatePart) -> bool {
        self.parts.contains(&part)
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                TemplatePart::Literal(text) => {
                    f.write_str(&text.replace('{', "{{").replace('}', "}}"))?
                }
                TemplatePart::Id => f.write_str("{id}")?,
                TemplatePart::Timestamp => f.write_str("{timestamp}")?,
                TemplatePart::Body => f.write_str("{body}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_placeholders_literals_and_escapes() {
        let t = Template::parse("{{v}}:{id}.{timestamp}.{body}!").unwrap();
        assert_eq!(
            t.parts(),
            [
                TemplatePart::Literal("{v}:".into()),
                TemplatePart::Id,
                TemplatePart::Literal(".".into()),
                TemplatePart::Timestamp,
                TemplatePart::Literal(".".into()),
                TemplatePart::Body,
                TemplatePart::Literal("!".into()),
            ]
        );
        assert_eq!(t.to_string(), "{{v}}:{id}.{timestamp}.{body}!");
        assert_eq!(Template::parse(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn template_rejects_bad_text() {
        for bad in ["{id}", "{body}{body}", "{bdy}", "{body", "{body}}", "é{"] {
            assert!(Template::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Template::parse("ünï{body}çødé").is_ok());
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_typed_errors() {
        for kind in SchemeKind::NAMED {
            let scheme = Scheme::from_name(kind.as_str()).unwrap();
            assert_eq!(scheme.kind(), kind);
            assert_eq!(scheme.name(), kind.as_str());
            assert_eq!(SchemeKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(
            Scheme::from_name("fastio-timestamped-hex").unwrap(),
            Scheme::fastio_timestamped_hex()
        );
        assert_eq!(SchemeKind::from_name("custom"), Some(SchemeKind::Custom));
        for bad in ["custom", "GitHub", "", " stripe", "standard_webhooks"] {
            let e = Scheme::from_name(bad).unwrap_err();
            assert!(
                matches!(e, WebhookError::InvalidScheme { .. }),
                "{bad:?}: {e:?}"
            );
        }
        let custom = Scheme::Custom(CustomScheme::new("x-sig", Encoding::Hex));
        assert_eq!(custom.name(), "custom");
    }

    #[test]
    fn configuration_spellings_are_read_leniently() {
        for (text, kind) in [
            ("standard", SchemeKind::StandardWebhooks),
            (" Standard_Webhooks ", SchemeKind::StandardWebhooks),
            ("FASTIO_TIMESTAMPED", SchemeKind::FastioTimestamped),
            ("GitHub", SchemeKind::GitHub),
        ] {
            assert_eq!(
                Scheme::from_config_name(text).unwrap().kind(),
                kind,
                "{text}"
            );
        }
        for bad in ["custom", "", "nope", "standard webhooks"] {
            assert!(Scheme::from_config_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn kinds_have_stable_names() {
        assert_eq!(
            Scheme::fastio_timestamped_hex().kind().as_str(),
            "fastio-timestamped-hex"
        );
        assert_eq!(
            Scheme::StandardWebhooks.kind().to_string(),
            "standard-webhooks"
        );
    }
}
