//! `fastio:core/policy`: upload policy, magic-byte sniffing, upload grants.

use std::cell::RefCell;

use fastio_core::policy::{
    BodyWatch, FileKind as CoreKind, Grant as CoreGrant, GrantError as CoreGrantError, GrantKey,
    GrantKeyring, PolicyError as CorePolicyError, SNIFF_WINDOW, Signature as CoreSignature,
    Sniff as CoreSniff, Sniffer as CoreSniffer, UploadPolicy as CorePolicy,
};
use fastio_core::secret::Secret;

use crate::Component;
use crate::exports::fastio::core::policy::{
    self, FileKind, Grant, GrantError, GrantTime, OtherRefusal, PolicyError, Signature, Sniff,
    TooLarge, Truncated, TypeNotAllowed, UploadPolicy,
};

fn core_kind(k: FileKind) -> CoreKind {
    match k {
        FileKind::Pdf => CoreKind::Pdf,
        FileKind::Png => CoreKind::Png,
        FileKind::Jpeg => CoreKind::Jpeg,
        FileKind::Gif => CoreKind::Gif,
        FileKind::Webp => CoreKind::Webp,
        FileKind::Mp4 => CoreKind::Mp4,
        FileKind::Mov => CoreKind::Mov,
        FileKind::Zip => CoreKind::Zip,
        FileKind::Docx => CoreKind::Docx,
        FileKind::Xlsx => CoreKind::Xlsx,
        FileKind::Pptx => CoreKind::Pptx,
        FileKind::Text => CoreKind::Text,
        FileKind::Custom(name) => CoreKind::Custom(name),
    }
}

fn kind(k: CoreKind) -> FileKind {
    match k {
        CoreKind::Pdf => FileKind::Pdf,
        CoreKind::Png => FileKind::Png,
        CoreKind::Jpeg => FileKind::Jpeg,
        CoreKind::Gif => FileKind::Gif,
        CoreKind::Webp => FileKind::Webp,
        CoreKind::Mp4 => FileKind::Mp4,
        CoreKind::Mov => FileKind::Mov,
        CoreKind::Zip => FileKind::Zip,
        CoreKind::Docx => FileKind::Docx,
        CoreKind::Xlsx => FileKind::Xlsx,
        CoreKind::Pptx => FileKind::Pptx,
        CoreKind::Text => FileKind::Text,
        CoreKind::Custom(name) => FileKind::Custom(name),
        // `FileKind` is non-exhaustive: a kind this adapter does not know
        // keeps its stable name.
        other => FileKind::Custom(other.name().to_owned()),
    }
}

fn core_policy(p: UploadPolicy) -> CorePolicy {
    CorePolicy {
        max_size: p.max_size,
        allowed: p.allowed.into_iter().map(core_kind).collect(),
    }
}

fn sniffer(extra: Vec<Signature>) -> CoreSniffer {
    extra.into_iter().fold(CoreSniffer::new(), |s, sig| {
        s.with_signature(CoreSignature {
            offset: sig.offset as usize,
            magic: sig.magic,
            kind: core_kind(sig.kind),
        })
    })
}

/// The core's error for a WIT one; `Err` for an `other` refusal, which has
/// no core counterpart and carries its own status and message.
fn core_policy_error(e: &PolicyError) -> Result<CorePolicyError, &OtherRefusal> {
    Ok(match e {
        PolicyError::TooLarge(TooLarge { size, max }) => CorePolicyError::TooLarge {
            size: *size,
            max: *max,
        },
        PolicyError::TypeNotAllowed(TypeNotAllowed { found, allowed }) => {
            CorePolicyError::TypeNotAllowed {
                found: found.clone(),
                allowed: allowed.clone(),
            }
        }
        PolicyError::Truncated(Truncated { declared, got }) => CorePolicyError::Truncated {
            declared: *declared,
            got: *got,
        },
        PolicyError::Other(other) => return Err(other),
    })
}

fn policy_error(e: CorePolicyError) -> PolicyError {
    match e {
        CorePolicyError::TooLarge { size, max } => PolicyError::TooLarge(TooLarge { size, max }),
        CorePolicyError::TypeNotAllowed { found, allowed } => {
            PolicyError::TypeNotAllowed(TypeNotAllowed { found, allowed })
        }
        CorePolicyError::Truncated { declared, got } => {
            PolicyError::Truncated(Truncated { declared, got })
        }
        // `PolicyError` is non-exhaustive: a future case keeps the core's
        // status and message.
        other => PolicyError::Other(OtherRefusal {
            status: other.http_status(),
            message: other.to_string(),
        }),
    }
}

fn grant_error(e: CoreGrantError) -> GrantError {
    match e {
        CoreGrantError::Malformed(why) => GrantError::Malformed(why.to_owned()),
        CoreGrantError::WrongKey => GrantError::WrongKey,
        CoreGrantError::Tampered => GrantError::Tampered,
        CoreGrantError::Expired { expired, now } => {
            GrantError::Expired(GrantTime { at: expired, now })
        }
        CoreGrantError::NotYetValid { issued, now } => {
            GrantError::NotYetValid(GrantTime { at: issued, now })
        }
        CoreGrantError::EmptyKey => GrantError::EmptyKey,
        // Non-exhaustive: a future refusal is still a refusal.
        other => GrantError::Other(other.to_string()),
    }
}

fn grant(g: CoreGrant) -> Grant {
    Grant {
        workspace: g.workspace,
        folder: g.folder,
        max_size: g.max_size,
        expires: g.expires,
        issued: g.issued,
        nonce: g.nonce,
    }
}

fn core_grant(g: Grant) -> CoreGrant {
    CoreGrant {
        workspace: g.workspace,
        folder: g.folder,
        max_size: g.max_size,
        expires: g.expires,
        issued: g.issued,
        nonce: g.nonce,
    }
}

/// A sniffer with its extra signatures.
pub struct WSniffer(CoreSniffer);

impl policy::GuestSniffer for WSniffer {
    fn new(extra: Vec<Signature>) -> Self {
        WSniffer(sniffer(extra))
    }

    fn sniff(&self, head: Vec<u8>, complete: bool) -> Sniff {
        match self.0.sniff(&head, complete) {
            CoreSniff::Known(k) => Sniff::Known(kind(k)),
            CoreSniff::NeedMore => Sniff::NeedMore,
            CoreSniff::Unknown => Sniff::Unknown,
        }
    }
}

/// A body being watched; `feed` mutates it, hence the `RefCell`.
pub struct Watch(RefCell<BodyWatch>);

impl policy::GuestBodyWatch for Watch {
    fn start(
        p: UploadPolicy,
        declared: Option<u64>,
        extra: Vec<Signature>,
    ) -> Result<policy::BodyWatch, PolicyError> {
        let w = core_policy(p)
            .watch(declared, sniffer(extra))
            .map_err(policy_error)?;
        Ok(policy::BodyWatch::new(Watch(RefCell::new(w))))
    }

    fn feed(&self, piece: Vec<u8>) -> Result<(), PolicyError> {
        self.0.borrow_mut().feed(&piece).map_err(policy_error)
    }

    fn kind(&self) -> Option<FileKind> {
        self.0.borrow().kind().cloned().map(kind)
    }

    fn seen(&self) -> u64 {
        self.0.borrow().seen()
    }

    fn finish(&self) -> Result<Option<FileKind>, PolicyError> {
        // The core's `finish` consumes the watch; a copy keeps the resource
        // answerable (the same verdict) if the host asks again.
        self.0
            .borrow()
            .clone()
            .finish()
            .map(|k| k.map(kind))
            .map_err(policy_error)
    }
}

/// A grant signing key.
pub struct WGrantKey(GrantKey);

impl policy::GuestGrantKey for WGrantKey {
    fn create(secret: String) -> Result<policy::GrantKey, GrantError> {
        let key = GrantKey::new(Secret::new(secret)).map_err(grant_error)?;
        Ok(policy::GrantKey::new(WGrantKey(key)))
    }

    fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    fn issue(&self, g: Grant) -> Result<String, GrantError> {
        self.0.issue(&core_grant(g)).map_err(grant_error)
    }
}

/// The keys a gateway accepts.
pub struct WKeyring(GrantKeyring);

impl policy::GuestGrantKeyring for WKeyring {
    fn create(
        secrets: Vec<String>,
        max_skew_s: Option<u64>,
    ) -> Result<policy::GrantKeyring, GrantError> {
        let keys = secrets
            .into_iter()
            .map(|s| GrantKey::new(Secret::new(s)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(grant_error)?;
        let mut ring = GrantKeyring::new(keys);
        if let Some(skew) = max_skew_s {
            ring.max_skew_s = skew;
        }
        Ok(policy::GrantKeyring::new(WKeyring(ring)))
    }

    fn verify(&self, token: String, now: u64) -> Result<Grant, GrantError> {
        self.0.verify(&token, now).map(grant).map_err(grant_error)
    }
}

impl policy::Guest for Component {
    type Sniffer = WSniffer;
    type BodyWatch = Watch;
    type GrantKey = WGrantKey;
    type GrantKeyring = WKeyring;

    fn kind_from_name(name: String) -> FileKind {
        kind(CoreKind::from_name(&name))
    }

    fn kind_name(k: FileKind) -> String {
        core_kind(k).name().to_owned()
    }

    fn kind_mime(k: FileKind) -> String {
        core_kind(k).mime().to_owned()
    }

    fn sniff_window() -> u32 {
        u32::try_from(SNIFF_WINDOW).unwrap_or(u32::MAX)
    }

    fn http_status(e: PolicyError) -> u16 {
        match core_policy_error(&e) {
            Ok(core) => core.http_status(),
            Err(other) => other.status,
        }
    }

    fn describe(e: PolicyError) -> String {
        match core_policy_error(&e) {
            Ok(core) => core.to_string(),
            Err(other) => other.message.clone(),
        }
    }

    fn with_max_size(p: UploadPolicy, max: Option<u64>) -> UploadPolicy {
        let merged = core_policy(p).with_max_size(max);
        UploadPolicy {
            max_size: merged.max_size,
            allowed: merged.allowed.into_iter().map(kind).collect(),
        }
    }

    fn check_declared(p: UploadPolicy, len: Option<u64>) -> Result<(), PolicyError> {
        core_policy(p).check_declared(len).map_err(policy_error)
    }

    fn check_kind(p: UploadPolicy, k: Option<FileKind>) -> Result<(), PolicyError> {
        core_policy(p)
            .check_kind(k.map(core_kind).as_ref())
            .map_err(policy_error)
    }
}
