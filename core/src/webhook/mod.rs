//! Webhook signatures: verify and sign every scheme a Fast.io receiver may meet,
//! guard against replays, and read delivery bodies as typed Fast.io events.
//!
//! Fast.io does not publish its outbound signature format (its integration
//! articles describe several), so every scheme is configurable and none is
//! assumed. The contract:
//!
//! - The caller hands over the raw body bytes exactly as received, the request
//!   headers as `(name, value)` pairs (looked up case-insensitively) and the
//!   current wall-clock time in unix seconds. Nothing here reads a clock.
//! - [`Verifier`] holds one or more secrets (rotation) with their HMAC keys set
//!   up once, so each verification costs one HMAC pass per secret and no
//!   allocation on the success path. Signatures are compared in constant time.
//! - Success is a [`Delivery`]: scheme, delivery id for de-duplication,
//!   timestamp, and the index of the secret that matched. Failure is a
//!   [`WebhookError`] whose [`kind`](WebhookError::kind) is stable across
//!   languages and which carries a [`Hint`] when a common mistake is detected.
//! - [`Signer`] produces the headers a sender attaches, for tests, local
//!   servers and services that forward deliveries.
//! - [`ReplayGuard`] remembers delivery ids for the tolerance window in bounded
//!   memory.
//! - [`parse_event`] reads a body into an [`Event`].
//!
//! Secrets are held as [`Secret`](crate::secret::Secret) and never appear in
//! `Debug` output or error messages.
//!
//! A receiver, start to finish:
//!
//! ```
//! use fastio_core::secret::Secret;
//! use fastio_core::webhook::{
//!     parse_event, ReplayGuard, ReplayVerdict, Scheme, Signer, TimestampCheck, Tolerance,
//!     Verifier,
//! };
//!
//! let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
//! let tolerance = Tolerance::DEFAULT;
//! // Once, at start-up:
//! let verifier = Verifier::new(
//!     Scheme::StandardWebhooks,
//!     &[secret.clone()],
//!     TimestampCheck::Within(tolerance),
//! )?;
//! let mut seen = ReplayGuard::new(tolerance.window_s(), 10_000);
//!
//! // What a sender would attach (here, to have something to verify):
//! let body = br#"{"event":"workspace_storage_file_added","data":{"workspace_id":"42"}}"#;
//! let now = 1_700_000_000; // the host's clock, unix seconds
//! let headers = Signer::new(Scheme::StandardWebhooks, &secret)?
//!     .sign(Some("msg_1"), Some(now), body)?;
//!
//! // Per request: raw body bytes, headers as pairs, the host's clock.
//! let delivery = verifier.verify(&headers, body, now)?;
//! if let Some(id) = &delivery.id {
//!     assert_eq!(seen.check(id, now), ReplayVerdict::Fresh);
//! }
//! let event = parse_event(body)?;
//! assert_eq!(event.name(), "workspace_storage_file_added");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod content;
mod error;
pub mod event;
pub mod header;
mod key;
pub mod replay;
mod scheme;
mod sign;
mod verify;

pub use error::{ErrorKind, Hint, WebhookError};
pub use event::{Event, EventError, EventInfo, Scope, StorageAction, StorageObject, parse_event};
pub use replay::{ReplayGuard, ReplayVerdict};
pub use scheme::{
    Algorithm, CustomScheme, DEFAULT_FASTIO_TIMESTAMP_HEADER, Encoding, Scheme, SchemeKind,
    Template, TemplatePart,
};
pub use sign::Signer;
pub use verify::{Delivery, TimestampCheck, Tolerance, Verifier};

/// Default cap on the body size a [`Verifier`] accepts: 1 MiB. Fast.io event
/// payloads are a few kilobytes; the cap stops a forged multi-gigabyte body
/// from being hashed before it is rejected.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
