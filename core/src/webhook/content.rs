//! The exact bytes each scheme signs, assembled without copying the body.

use super::error::WebhookError;
use super::key::MacKey;
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

/// Turns a secret into a keyed MAC for `scheme`, rejecting the usual
/// copy-paste mistakes. Returns the key and whether the secret is a `whsec_`
/// secret used with a scheme that signs with the text itself.
pub(crate) fn prepare_key(
    scheme: &Scheme,
    index: usize,
    secret: &Secret,
) -> Result<(MacKey, bool), WebhookError> {
    use super::error::Hint;
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
    let (bytes, whsec_elsewhere): (std::borrow::Cow<'_, [u8]>, bool) = match scheme {
        Scheme::StandardWebhooks => {
            let encoded = text.strip_prefix("whsec_").unwrap_or(text);
            let decoded = super::header::decode_base64_secret(encoded)
                .ok_or_else(|| invalid("not base64 after `whsec_`", Some(Hint::SecretNotWhsec)))?;
            if decoded.is_empty() {
                return Err(invalid("decodes to no bytes", Some(Hint::SecretNotWhsec)));
            }
            (decoded.into(), false)
        }
        _ => (text.as_bytes().into(), text.starts_with("whsec_")),
    };
    let key = MacKey::new(scheme.algorithm(), &bytes)
        .ok_or_else(|| invalid("rejected by the HMAC implementation", None))?;
    Ok((key, whsec_elsewhere))
}
