//! The verifier: one configured scheme, one or more secrets, a timestamp
//! policy and a body cap.

use subtle::Choice;

use super::DEFAULT_MAX_BODY_BYTES;
use super::content::{Content, prepare_key, signed_content, validate_scheme};
use super::error::{Hint, WebhookError};
use super::header::{self, MalformedHeader, decode_signature};
use super::key::{MacBytes, VerifyKey};
use super::scheme::{Encoding, Scheme, SchemeKind};
use crate::secret::Secret;

/// How far a delivery's timestamp may be from `now`, in each direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    /// Oldest accepted timestamp, in seconds before `now`.
    pub max_age_s: u64,
    /// Furthest accepted timestamp, in seconds after `now` (clock skew).
    pub max_future_s: u64,
}

impl Tolerance {
    /// The same bound both ways.
    pub fn symmetric(seconds: u64) -> Self {
        Tolerance {
            max_age_s: seconds,
            max_future_s: seconds,
        }
    }

    /// Five minutes both ways, the window Standard Webhooks, Stripe and
    /// Fast.io's articles use.
    pub const DEFAULT: Tolerance = Tolerance {
        max_age_s: 300,
        max_future_s: 300,
    };

    /// How long a delivery id must be remembered to catch every replay this
    /// tolerance would otherwise accept.
    pub fn window_s(&self) -> u64 {
        self.max_age_s.saturating_add(self.max_future_s)
    }
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance::DEFAULT
    }
}

/// What to do with a delivery's timestamp. There is no default: skipping the
/// check has to be written down.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampCheck {
    /// Reject timestamps outside the tolerance (for schemes that sign one).
    Within(Tolerance),
    /// Accept any timestamp. Replays are then only caught by a
    /// [`ReplayGuard`](super::ReplayGuard) that never forgets.
    Skip,
}

/// A verified delivery.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The scheme that verified it.
    pub scheme: SchemeKind,
    /// The delivery id for de-duplication, when the scheme carries one
    /// (`webhook-id`, `x-github-delivery`, `x-shopify-webhook-id`, a custom id
    /// header). Ids outside the signed content (GitHub, Shopify) are not
    /// authenticated.
    pub id: Option<String>,
    /// The signed timestamp (unix seconds), when the scheme carries one.
    pub timestamp: Option<u64>,
    /// Index of the secret that matched, in the order given to
    /// [`Verifier::new`].
    pub secret_index: usize,
}

/// Largest body for which a mismatch is diagnosed by re-hashing altered
/// copies of it (whitespace trimmed, JSON re-encoded).
const DIAGNOSE_BODY_BYTES: usize = 64 * 1024;

/// Most signatures considered in one header; more is treated as malformed so
/// a hostile header cannot multiply the work.
const MAX_CANDIDATES: usize = 16;

/// Checks deliveries signed with one scheme against one or more secrets.
/// Build it once (keys are set up here) and reuse it for every request.
#[derive(Debug, Clone)]
pub struct Verifier {
    scheme: Scheme,
    keys: Vec<VerifyKey>,
    whsec_elsewhere: bool,
    timestamp: TimestampCheck,
    max_body_bytes: usize,
}

impl Verifier {
    /// A verifier for `scheme` that accepts a signature by any of `secrets`
    /// (list the new secret and the old one while rotating).
    ///
    /// Fails with [`WebhookError::InvalidSecret`] for an empty list or an
    /// unusable secret, and [`WebhookError::InvalidScheme`] for an
    /// inconsistent custom scheme.
    pub fn new(
        scheme: Scheme,
        secrets: &[Secret],
        timestamp: TimestampCheck,
    ) -> Result<Self, WebhookError> {
        validate_scheme(&scheme)?;
        if secrets.is_empty() {
            return Err(WebhookError::InvalidSecret {
                index: 0,
                reason: "no secrets given",
                hint: None,
            });
        }
        let mut keys = Vec::with_capacity(secrets.len());
        let mut whsec_elsewhere = false;
        for (index, secret) in secrets.iter().enumerate() {
            let (key, whsec) = prepare_key(&scheme, index, secret)?;
            keys.push(key.into_verify_key());
            whsec_elsewhere |= whsec;
        }
        Ok(Verifier {
            scheme,
            keys,
            whsec_elsewhere,
            timestamp,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        })
    }

    /// Sets the largest body accepted (default
    /// [`DEFAULT_MAX_BODY_BYTES`](super::DEFAULT_MAX_BODY_BYTES)).
    #[must_use]
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The configured scheme.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The configured timestamp policy.
    pub fn timestamp_check(&self) -> TimestampCheck {
        self.timestamp
    }

    /// Verifies one delivery. `headers` are the request headers in any case,
    /// `body` the raw bytes exactly as received, `now` the current unix time
    /// in seconds.
    ///
    /// The signature is checked before the timestamp, so the timestamp errors
    /// only ever describe authentic (replayed or delayed) deliveries.
    #[must_use = "a delivery is only genuine if this returns Ok"]
    pub fn verify<N, V>(
        &self,
        headers: &[(N, V)],
        body: &[u8],
        now: u64,
    ) -> Result<Delivery, WebhookError>
    where
        N: AsRef<str>,
        V: AsRef<str>,
    {
        if body.len() > self.max_body_bytes {
            return Err(WebhookError::BodyTooLarge {
                len: body.len(),
                max: self.max_body_bytes,
            });
        }
        let parsed = parse_headers(&self.scheme, headers)?;
        let content = signed_content(&self.scheme, parsed.id, parsed.timestamp_text, body);

        let mut candidates = [Candidate::EMPTY; MAX_CANDIDATES];
        let count = decode_candidates(&parsed, &mut candidates)
            .map_err(|reason| malformed(self.scheme.signature_header(), reason, None))?;
        let candidates = candidates.get(..count).unwrap_or(&[]);

        let secret_index = self.matching_secret(&content, candidates).ok_or_else(|| {
            WebhookError::NoMatchingSignature {
                secrets: self.keys.len(),
                hint: self
                    .other_fastio_form(headers, candidates, body)
                    .or_else(|| self.mismatch_hint(&content, candidates, body)),
            }
        })?;

        if let (Some(timestamp), TimestampCheck::Within(tolerance)) =
            (parsed.timestamp, self.timestamp)
        {
            check_timestamp(timestamp, now, tolerance)?;
        }
        Ok(Delivery {
            scheme: self.scheme.kind(),
            id: parsed.id.map(str::to_owned),
            timestamp: parsed.timestamp,
            secret_index,
        })
    }

    /// Index of the first key that accepts any candidate. MAC candidates are
    /// all compared (no early exit) so timing does not reveal which one came
    /// closest; ed25519 signatures need no such care, the key is public.
    fn matching_secret(&self, content: &Content<'_>, candidates: &[Candidate]) -> Option<usize> {
        self.keys.iter().position(|key| match key {
            VerifyKey::Mac(key) => {
                let expected = key.compute(content.parts());
                let hit = candidates
                    .iter()
                    .filter(|c| !c.ed25519)
                    .fold(Choice::from(0), |acc, c| acc | expected.ct_eq(&c.bytes));
                bool::from(hit)
            }
            VerifyKey::Ed25519(key) => candidates.iter().filter(|c| c.ed25519).any(|c| {
                use ed25519_dalek::ed25519::signature::MultipartVerifier as _;
                let Ok(bytes) = <[u8; 64]>::try_from(c.bytes.as_slice()) else {
                    return false;
                };
                let signature = ed25519_dalek::Signature::from_bytes(&bytes);
                key.multipart_verify(content.parts(), &signature).is_ok()
            }),
        })
    }

    /// Fast.io's articles describe two `x-fastio-signature` forms, over the
    /// body alone and over `"<timestamp>.<body>"`. After a mismatch, checks
    /// whether the delivery matches the form not configured.
    #[cold]
    fn other_fastio_form<N, V>(
        &self,
        headers: &[(N, V)],
        candidates: &[Candidate],
        body: &[u8],
    ) -> Option<Hint>
    where
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let (other, timestamp) = match &self.scheme {
            Scheme::Fastio => (
                Scheme::fastio_timestamped_hex(),
                Some(header::find(
                    headers,
                    super::DEFAULT_FASTIO_TIMESTAMP_HEADER,
                )?),
            ),
            Scheme::FastioTimestampedHex { .. } => (Scheme::Fastio, None),
            _ => return None,
        };
        let content = signed_content(&other, None, timestamp, body);
        self.matching_secret(&content, candidates)
            .map(|_| Hint::OtherFastioForm)
    }

    /// Looks for the usual reason a genuine delivery fails to match. Runs
    /// only after a failure, so it may re-hash the body a few times.
    #[cold]
    fn mismatch_hint(
        &self,
        content: &Content<'_>,
        candidates: &[Candidate],
        body: &[u8],
    ) -> Option<Hint> {
        if self.whsec_elsewhere {
            return Some(Hint::WhsecWithOtherScheme);
        }
        let checkable = candidates.iter().any(|c| {
            self.keys
                .iter()
                .any(|k| matches!(k, VerifyKey::Ed25519(_)) == c.ed25519)
        });
        if !checkable {
            return Some(Hint::NoKeyForSignatureVersion);
        }
        // Re-hashing altered copies of a large body would let forged requests
        // cost several times a genuine one; common mistakes show on small
        // bodies just as well.
        if body.len() > DIAGNOSE_BODY_BYTES {
            return None;
        }
        let trimmed = body.trim_ascii();
        if trimmed.len() != body.len()
            && self
                .matching_secret(&content.with_body(trimmed), candidates)
                .is_some()
        {
            return Some(Hint::BodyWhitespaceChanged);
        }
        let value: serde_json::Value = serde_json::from_slice(trimmed).ok()?;
        let reencodings = [
            serde_json::to_vec(&value),
            serde_json::to_vec_pretty(&value),
        ];
        for reencoded in reencodings.into_iter().flatten() {
            if reencoded != body
                && self
                    .matching_secret(&content.with_body(&reencoded), candidates)
                    .is_some()
            {
                return Some(Hint::BodyReserialised);
            }
        }
        Some(Hint::UseRawBody)
    }
}

fn check_timestamp(timestamp: u64, now: u64, tolerance: Tolerance) -> Result<(), WebhookError> {
    // Plausible unix seconds stay below 10^11 for another thousand years;
    // anything at 10^12 or above is almost surely milliseconds.
    const MILLIS: u64 = 1_000_000_000_000;
    if now > timestamp && now - timestamp > tolerance.max_age_s {
        return Err(WebhookError::TimestampTooOld {
            timestamp,
            now,
            max_age_s: tolerance.max_age_s,
            hint: (now >= MILLIS && timestamp < MILLIS).then_some(Hint::NowInMilliseconds),
        });
    }
    if timestamp > now && timestamp - now > tolerance.max_future_s {
        return Err(WebhookError::TimestampInFuture {
            timestamp,
            now,
            max_future_s: tolerance.max_future_s,
            hint: (timestamp >= MILLIS && now < MILLIS).then_some(Hint::TimestampInMilliseconds),
        });
    }
    Ok(())
}

/// Where the signatures are, and the id and timestamp as sent.
struct Parsed<'a> {
    signatures: Signatures<'a>,
    encoding: Encoding,
    id: Option<&'a str>,
    timestamp_text: Option<&'a str>,
    timestamp: Option<u64>,
}

enum Signatures<'a> {
    One(&'a str),
    Timestamped(header::TimestampedSignatures<'a>),
    Standard(header::StandardSignatures<'a>),
}

fn malformed(name: &str, reason: &'static str, hint: Option<Hint>) -> WebhookError {
    WebhookError::MalformedHeader {
        name: name.to_ascii_lowercase(),
        reason,
        hint,
    }
}

fn required<'a, N, V>(headers: &'a [(N, V)], name: &str) -> Result<&'a str, WebhookError>
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    header::find(headers, name).ok_or_else(|| WebhookError::MissingHeader {
        name: name.to_ascii_lowercase(),
    })
}

fn timestamp_header<'a, N, V>(
    headers: &'a [(N, V)],
    name: &str,
) -> Result<(&'a str, u64), WebhookError>
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let text = required(headers, name)?;
    let value = header::parse_timestamp(text).map_err(|e| malformed(name, e.reason, None))?;
    Ok((text, value))
}

/// Reads every header the scheme needs and checks its shape; no MAC work.
fn parse_headers<'a, N, V>(
    scheme: &'a Scheme,
    headers: &'a [(N, V)],
) -> Result<Parsed<'a>, WebhookError>
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let sig_name = scheme.signature_header();
    let sig = required(headers, sig_name)?;
    let shape = |e: MalformedHeader| malformed(sig_name, e.reason, None);
    if sig.starts_with("whsec_") {
        return Err(malformed(
            sig_name,
            "holds a secret, not a signature",
            Some(Hint::SignatureLooksLikeSecret),
        ));
    }
    let one = |signatures, encoding| Parsed {
        signatures,
        encoding,
        id: None,
        timestamp_text: None,
        timestamp: None,
    };
    let parsed = match scheme {
        Scheme::Fastio => one(
            Signatures::One(sig.strip_prefix("sha256=").unwrap_or(sig)),
            Encoding::Hex,
        ),
        Scheme::FastioTimestamped | Scheme::Stripe => {
            let list = header::parse_timestamped(sig).map_err(shape)?;
            Parsed {
                timestamp_text: Some(list.timestamp_text),
                timestamp: Some(list.timestamp),
                signatures: Signatures::Timestamped(list),
                encoding: if matches!(scheme, Scheme::Stripe) {
                    Encoding::Hex
                } else {
                    Encoding::Base64
                },
                id: None,
            }
        }
        Scheme::FastioTimestampedHex {
            timestamp_header: name,
        } => {
            let (text, value) = timestamp_header(headers, name)?;
            Parsed {
                timestamp_text: Some(text),
                timestamp: Some(value),
                ..one(
                    Signatures::One(sig.strip_prefix("sha256=").unwrap_or(sig)),
                    Encoding::Hex,
                )
            }
        }
        Scheme::StandardWebhooks => {
            let id = required(headers, "webhook-id")?;
            if id.is_empty() {
                return Err(malformed("webhook-id", "empty id", None));
            }
            let (text, value) = timestamp_header(headers, "webhook-timestamp")?;
            let list = header::parse_standard(sig).map_err(|e| {
                let other_only = sig
                    .split_ascii_whitespace()
                    .any(|entry| entry.contains(','))
                    && !sig
                        .split_ascii_whitespace()
                        .any(|entry| entry.starts_with("v1,"));
                malformed(
                    sig_name,
                    e.reason,
                    other_only.then_some(Hint::UnsupportedSignatureVersion),
                )
            })?;
            Parsed {
                signatures: Signatures::Standard(list),
                encoding: Encoding::Base64,
                id: Some(id),
                timestamp_text: Some(text),
                timestamp: Some(value),
            }
        }
        Scheme::GitHub => {
            let hex = sig
                .strip_prefix("sha256=")
                .ok_or_else(|| malformed(sig_name, "expected `sha256=<hex>`", None))?;
            Parsed {
                id: header::find(headers, "x-github-delivery").filter(|id| !id.is_empty()),
                ..one(Signatures::One(hex), Encoding::Hex)
            }
        }
        Scheme::Shopify => Parsed {
            id: header::find(headers, "x-shopify-webhook-id").filter(|id| !id.is_empty()),
            ..one(Signatures::One(sig), Encoding::Base64)
        },
        Scheme::Custom(custom) => {
            let text = sig.strip_prefix(custom.prefix.as_str()).ok_or_else(|| {
                malformed(sig_name, "does not start with the configured prefix", None)
            })?;
            let signed_id = custom.template.uses(super::TemplatePart::Id);
            let id = match &custom.id_header {
                Some(name) if signed_id => Some(required(headers, name)?),
                Some(name) => header::find(headers, name).filter(|id| !id.is_empty()),
                None => None,
            };
            let (timestamp_text, timestamp) = match &custom.timestamp_header {
                Some(name) => {
                    let (text, value) = timestamp_header(headers, name)?;
                    (Some(text), Some(value))
                }
                None => (None, None),
            };
            Parsed {
                id,
                timestamp_text,
                timestamp,
                ..one(Signatures::One(text), custom.encoding)
            }
        }
    };
    Ok(parsed)
}

/// One decoded signature and whether it is an ed25519 (`v1a`) signature
/// rather than a MAC.
#[derive(Clone, Copy)]
struct Candidate {
    bytes: MacBytes,
    ed25519: bool,
}

impl Candidate {
    const EMPTY: Candidate = Candidate {
        bytes: MacBytes::EMPTY,
        ed25519: false,
    };
}

/// Decodes every signature in the header into `out`; returns how many.
/// Undecodable entries in a list are skipped (a sender may add formats this
/// verifier does not know), but a header with nothing decodable is malformed.
fn decode_candidates(
    parsed: &Parsed<'_>,
    out: &mut [Candidate; MAX_CANDIDATES],
) -> Result<usize, &'static str> {
    let mut count = 0;
    let mut push = |text: &str, ed25519: bool| -> Result<(), &'static str> {
        if let Some(bytes) = decode_signature(text, parsed.encoding) {
            let slot = out.get_mut(count).ok_or("too many signatures")?;
            *slot = Candidate { bytes, ed25519 };
            count += 1;
        }
        Ok(())
    };
    match &parsed.signatures {
        Signatures::One(text) => push(text, false)?,
        Signatures::Timestamped(list) => list.signatures().try_for_each(|t| push(t, false))?,
        Signatures::Standard(list) => {
            list.v1().try_for_each(|t| push(t, false))?;
            list.v1a().try_for_each(|t| push(t, true))?;
        }
    }
    if count == 0 {
        return Err(match parsed.encoding {
            Encoding::Hex => "signature is not hex",
            Encoding::Base64 => "signature is not base64",
        });
    }
    Ok(count)
}
