//! Gateway decisions: what an upload may be (size, type by magic bytes) and
//! short-lived signed upload grants.
//!
//! A gateway in front of Fast.io checks a client's grant, refuses a declared
//! length over the limit before reading the body (413), watches the size
//! while the body streams, and refuses a type it does not allow as soon as the
//! first bytes show it (415). All of it is here, sans-IO, so every host makes
//! the same decisions. A chunk relay keeps its state in [`RelayState`]
//! tokens the client carries, so a fleet of gateways needs no shared store.

mod grant;
mod relay;
mod sniff;

pub use grant::{GRANT_PREFIX, Grant, GrantError, GrantKey, GrantKeyring, MAX_GRANT_LEN};
pub use relay::{RELAY_PREFIX, RelayError, RelayState};
pub use sniff::{FileKind, SNIFF_WINDOW, Signature, Sniff, Sniffer};

use serde::{Deserialize, Serialize};

/// What an upload may be.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadPolicy {
    /// The largest file, in bytes.
    pub max_size: Option<u64>,
    /// The kinds allowed; empty allows every kind, unknown ones included.
    pub allowed: Vec<FileKind>,
}

/// Why an upload is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Larger than allowed (HTTP 413).
    #[error("the upload is {size} bytes or more; at most {max} are allowed")]
    TooLarge {
        /// Bytes declared or seen so far.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A kind that is not allowed (HTTP 415).
    #[error("{found} files are not allowed here (allowed: {allowed})")]
    TypeNotAllowed {
        /// What the bytes are (`unknown` when unrecognised).
        found: String,
        /// The allowed kinds, comma-separated.
        allowed: String,
    },
    /// The body ended with fewer bytes than its declared length.
    #[error("the body ended after {got} of {declared} declared bytes")]
    Truncated {
        /// Declared length.
        declared: u64,
        /// Bytes received.
        got: u64,
    },
}

impl PolicyError {
    /// The HTTP status a gateway answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            PolicyError::TooLarge { .. } => 413,
            PolicyError::TypeNotAllowed { .. } => 415,
            PolicyError::Truncated { .. } => 400,
        }
    }
}

impl UploadPolicy {
    /// The policy with the smaller size limit of the two (a grant's limit
    /// and the gateway's).
    pub fn with_max_size(mut self, max: Option<u64>) -> Self {
        self.max_size = match (self.max_size, max) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self
    }

    /// Checks a declared length (`Content-Length`) before reading the body.
    pub fn check_declared(&self, len: Option<u64>) -> Result<(), PolicyError> {
        match (len, self.max_size) {
            (Some(size), Some(max)) if size > max => Err(PolicyError::TooLarge { size, max }),
            _ => Ok(()),
        }
    }

    /// Checks a kind.
    pub fn check_kind(&self, kind: Option<&FileKind>) -> Result<(), PolicyError> {
        if self.allowed.is_empty() || kind.is_some_and(|k| self.allowed.contains(k)) {
            return Ok(());
        }
        Err(PolicyError::TypeNotAllowed {
            found: kind.map_or("unknown", FileKind::name).to_string(),
            allowed: self
                .allowed
                .iter()
                .map(FileKind::name)
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// Starts watching a body as it streams.
    pub fn watch(&self, declared: Option<u64>, sniffer: Sniffer) -> Result<BodyWatch, PolicyError> {
        self.check_declared(declared)?;
        Ok(BodyWatch {
            policy: self.clone(),
            sniffer,
            declared,
            seen: 0,
            head: Vec::new(),
            kind: None,
            decided: false,
        })
    }
}

/// Watches a streaming body: size against the limit, type from the first
/// bytes. Feed every piece to [`BodyWatch::feed`], then call
/// [`BodyWatch::finish`].
#[derive(Debug, Clone)]
pub struct BodyWatch {
    policy: UploadPolicy,
    sniffer: Sniffer,
    declared: Option<u64>,
    seen: u64,
    head: Vec<u8>,
    kind: Option<FileKind>,
    decided: bool,
}

impl BodyWatch {
    /// Takes the next piece. An error means: stop reading and refuse.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), PolicyError> {
        self.seen += piece.len() as u64;
        if let Some(max) = self.policy.max_size
            && self.seen > max
        {
            return Err(PolicyError::TooLarge {
                size: self.seen,
                max,
            });
        }
        if !self.decided {
            let room = SNIFF_WINDOW - self.head.len();
            self.head.extend_from_slice(&piece[..piece.len().min(room)]);
            let complete = self.declared.is_some_and(|d| self.seen >= d);
            self.decide(complete)?;
        }
        Ok(())
    }

    fn decide(&mut self, complete: bool) -> Result<(), PolicyError> {
        match self.sniffer.sniff(&self.head, complete) {
            Sniff::NeedMore => return Ok(()),
            Sniff::Known(k) => self.kind = Some(k),
            Sniff::Unknown => self.kind = None,
        }
        self.decided = true;
        self.head = Vec::new();
        self.policy.check_kind(self.kind.as_ref())
    }

    /// True once the kind is decided (and allowed: a refused kind is an
    /// error from [`BodyWatch::feed`]). Until then a gateway holds the bytes
    /// back from the upstream.
    pub fn is_decided(&self) -> bool {
        self.decided
    }

    /// The kind, once decided.
    pub fn kind(&self) -> Option<&FileKind> {
        self.kind.as_ref()
    }

    /// Bytes seen.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The body ended: decides the kind if still open and checks the
    /// declared length was met.
    pub fn finish(mut self) -> Result<Option<FileKind>, PolicyError> {
        if !self.decided {
            self.decide(true)?;
        }
        if let Some(declared) = self.declared
            && self.seen < declared
        {
            return Err(PolicyError::Truncated {
                declared,
                got: self.seen,
            });
        }
        Ok(self.kind)
    }
}
