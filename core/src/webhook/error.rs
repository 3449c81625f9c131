//! Why a delivery was rejected, and what the caller probably did wrong.

use std::fmt;

/// A failed verification, or a verifier or signer that could not be built.
/// Messages never contain a secret or a signature.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// A header the scheme needs is absent.
    #[error("missing header `{name}`")]
    MissingHeader {
        /// The header name, lower case.
        name: String,
    },
    /// A header is present but not in the scheme's format.
    #[error("malformed header `{name}`: {reason}{}", suffix(.hint))]
    MalformedHeader {
        /// The header name, lower case.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
        /// A likely cause, when one is recognised.
        hint: Option<Hint>,
    },
    /// The header is well formed but no signature in it matches any secret.
    #[error("no signature matches any of the {secrets} secret(s){}", suffix(.hint))]
    NoMatchingSignature {
        /// How many secrets were tried.
        secrets: usize,
        /// A likely cause, when one is recognised.
        hint: Option<Hint>,
    },
    /// The signature matches but the timestamp is older than the tolerance.
    #[error(
        "timestamp {timestamp} is {} s older than now ({now}); at most {max_age_s} s allowed{}",
        .now.saturating_sub(*.timestamp), suffix(.hint)
    )]
    TimestampTooOld {
        /// The delivery's timestamp (unix seconds).
        timestamp: u64,
        /// The caller's `now` (unix seconds).
        now: u64,
        /// The configured maximum age.
        max_age_s: u64,
        /// A likely cause, when one is recognised.
        hint: Option<Hint>,
    },
    /// The signature matches but the timestamp is further in the future than
    /// the tolerance.
    #[error(
        "timestamp {timestamp} is {} s ahead of now ({now}); at most {max_future_s} s allowed{}",
        .timestamp.saturating_sub(*.now), suffix(.hint)
    )]
    TimestampInFuture {
        /// The delivery's timestamp (unix seconds).
        timestamp: u64,
        /// The caller's `now` (unix seconds).
        now: u64,
        /// The configured maximum skew into the future.
        max_future_s: u64,
        /// A likely cause, when one is recognised.
        hint: Option<Hint>,
    },
    /// A secret cannot be used for the scheme.
    #[error("secret #{index} is invalid: {reason}{}", suffix(.hint))]
    InvalidSecret {
        /// Position of the secret in the list given.
        index: usize,
        /// What is wrong with it.
        reason: &'static str,
        /// A likely cause, when one is recognised.
        hint: Option<Hint>,
    },
    /// The body is larger than the verifier's cap; it was not hashed.
    #[error("body of {len} bytes is larger than the {max}-byte limit")]
    BodyTooLarge {
        /// The body's length.
        len: usize,
        /// The configured cap.
        max: usize,
    },
    /// The scheme's configuration is inconsistent (custom schemes).
    #[error("invalid scheme configuration: {reason}")]
    InvalidScheme {
        /// What is wrong with it.
        reason: String,
    },
    /// Signing needs a value the caller did not give (an id or timestamp).
    #[error("signing with this scheme needs a {what}")]
    MissingSigningInput {
        /// `id` or `timestamp`.
        what: &'static str,
    },
}

fn suffix(hint: &Option<Hint>) -> String {
    match hint {
        Some(hint) => format!(" (hint: {hint})"),
        None => String::new(),
    }
}

impl WebhookError {
    /// The error's kind, a stable name shared with the test vectors and the
    /// bindings.
    pub fn kind(&self) -> ErrorKind {
        match self {
            WebhookError::MissingHeader { .. } => ErrorKind::MissingHeader,
            WebhookError::MalformedHeader { .. } => ErrorKind::MalformedHeader,
            WebhookError::NoMatchingSignature { .. } => ErrorKind::NoMatchingSignature,
            WebhookError::TimestampTooOld { .. } => ErrorKind::TimestampTooOld,
            WebhookError::TimestampInFuture { .. } => ErrorKind::TimestampInFuture,
            WebhookError::InvalidSecret { .. } => ErrorKind::InvalidSecret,
            WebhookError::BodyTooLarge { .. } => ErrorKind::BodyTooLarge,
            WebhookError::InvalidScheme { .. } => ErrorKind::InvalidScheme,
            WebhookError::MissingSigningInput { .. } => ErrorKind::MissingSigningInput,
        }
    }

    /// The hint attached to the error, if any.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            WebhookError::MalformedHeader { hint, .. }
            | WebhookError::NoMatchingSignature { hint, .. }
            | WebhookError::TimestampTooOld { hint, .. }
            | WebhookError::TimestampInFuture { hint, .. }
            | WebhookError::InvalidSecret { hint, .. } => *hint,
            _ => None,
        }
    }
}

/// The kind of a [`WebhookError`], without its details.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `missing_header`
    MissingHeader,
    /// `malformed_header`
    MalformedHeader,
    /// `no_matching_signature`
    NoMatchingSignature,
    /// `timestamp_too_old`
    TimestampTooOld,
    /// `timestamp_in_future`
    TimestampInFuture,
    /// `invalid_secret`
    InvalidSecret,
    /// `body_too_large`
    BodyTooLarge,
    /// `invalid_scheme`
    InvalidScheme,
    /// `missing_signing_input`
    MissingSigningInput,
}

impl ErrorKind {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::MissingHeader => "missing_header",
            ErrorKind::MalformedHeader => "malformed_header",
            ErrorKind::NoMatchingSignature => "no_matching_signature",
            ErrorKind::TimestampTooOld => "timestamp_too_old",
            ErrorKind::TimestampInFuture => "timestamp_in_future",
            ErrorKind::InvalidSecret => "invalid_secret",
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::InvalidScheme => "invalid_scheme",
            ErrorKind::MissingSigningInput => "missing_signing_input",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A common mistake recognised behind an error. [`Hint::as_str`] is a stable
/// name; `Display` tells the user what to do.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hint {
    /// The secret has leading or trailing whitespace, usually a copied newline.
    SecretWhitespace,
    /// The secret looks like a signature (`v1,…`, `sha256=…`), not a secret.
    SecretLooksLikeSignature,
    /// A Standard Webhooks secret is not `whsec_` followed by base64.
    SecretNotWhsec,
    /// A `whsec_` secret is used with a scheme other than Standard Webhooks
    /// (or Stripe, whose secrets look the same), which signs with the text
    /// rather than the decoded bytes.
    WhsecWithOtherScheme,
    /// The signature header holds a `whsec_` value: a secret, not a signature.
    SignatureLooksLikeSecret,
    /// Only unknown signature versions are present.
    UnsupportedSignatureVersion,
    /// The header's signatures are all of a kind no configured key checks:
    /// `v1a` (ed25519) without a `whpk_` key, or `v1` without a `whsec_` one.
    NoKeyForSignatureVersion,
    /// The signature matches the body with surrounding whitespace removed:
    /// the body was altered (a trailing newline added) after signing.
    BodyWhitespaceChanged,
    /// The signature matches the JSON body re-serialised compactly: a
    /// framework parsed and re-encoded the body.
    BodyReserialised,
    /// The body is JSON; if a framework parsed it, the bytes differ from what
    /// was signed.
    UseRawBody,
    /// The signature matches the other Fast.io `x-fastio-signature` form
    /// (body alone versus `"<timestamp>.<body>"`).
    OtherFastioForm,
    /// The timestamp looks like milliseconds, not seconds.
    TimestampInMilliseconds,
    /// `now` looks like milliseconds, not seconds.
    NowInMilliseconds,
}

impl Hint {
    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Hint::SecretWhitespace => "secret_whitespace",
            Hint::SecretLooksLikeSignature => "secret_looks_like_signature",
            Hint::SecretNotWhsec => "secret_not_whsec",
            Hint::WhsecWithOtherScheme => "whsec_with_other_scheme",
            Hint::SignatureLooksLikeSecret => "signature_looks_like_secret",
            Hint::UnsupportedSignatureVersion => "unsupported_signature_version",
            Hint::NoKeyForSignatureVersion => "no_key_for_signature_version",
            Hint::BodyWhitespaceChanged => "body_whitespace_changed",
            Hint::BodyReserialised => "body_reserialised",
            Hint::UseRawBody => "use_raw_body",
            Hint::OtherFastioForm => "other_fastio_form",
            Hint::TimestampInMilliseconds => "timestamp_in_milliseconds",
            Hint::NowInMilliseconds => "now_in_milliseconds",
        }
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Hint::SecretWhitespace => {
                "the secret has leading or trailing whitespace, often a copied newline; trim it"
            }
            Hint::SecretLooksLikeSignature => {
                "the secret looks like a signature (`v1,…` or `sha256=…`); pass the signing secret instead"
            }
            Hint::SecretNotWhsec => {
                "Standard Webhooks secrets are `whsec_` followed by base64; do not pass a `v1,…` signature or a raw string"
            }
            Hint::WhsecWithOtherScheme => {
                "this secret starts with `whsec_`; if the sender uses Standard Webhooks, choose that scheme"
            }
            Hint::SignatureLooksLikeSecret => {
                "the signature header holds a `whsec_` secret; signatures look like `v1,<base64>`"
            }
            Hint::UnsupportedSignatureVersion => {
                "only unknown signature versions are present; this verifier checks `v1` (HMAC) and `v1a` (ed25519)"
            }
            Hint::NoKeyForSignatureVersion => {
                "no key checks these signatures: `v1a` needs a `whpk_` public key, `v1` a `whsec_` secret"
            }
            Hint::BodyWhitespaceChanged => {
                "the signature matches the body without its surrounding whitespace; pass the raw request bytes unchanged"
            }
            Hint::BodyReserialised => {
                "the signature matches a re-serialised copy of this JSON; a framework parsed and re-encoded the body, pass the raw request bytes"
            }
            Hint::UseRawBody => {
                "the body is JSON; if your framework parsed and re-encoded it, verify the raw request bytes instead"
            }
            Hint::OtherFastioForm => {
                "the signature matches the other Fast.io form: `fastio` signs the body alone, `fastio-timestamped-hex` signs \"<timestamp>.<body>\"; switch schemes"
            }
            Hint::TimestampInMilliseconds => {
                "the timestamp looks like milliseconds; the scheme expects unix seconds"
            }
            Hint::NowInMilliseconds => "`now` looks like milliseconds; pass unix seconds",
        })
    }
}
