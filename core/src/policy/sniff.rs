//! Magic-byte sniffing: what a file is, from its first bytes, not from the
//! name or the client's `Content-Type`.

use serde::{Deserialize, Serialize};

/// How many leading bytes the sniffer looks at, at most. Office documents are
/// zip files whose first entries name `word/`, `xl/` or `ppt/`; those names
/// are within the first few kilobytes in practice.
pub const SNIFF_WINDOW: usize = 8 * 1024;

/// A file type the sniffer recognises.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileKind {
    /// `%PDF-`
    Pdf,
    /// PNG signature.
    Png,
    /// JPEG SOI marker.
    Jpeg,
    /// `GIF87a` / `GIF89a`.
    Gif,
    /// RIFF….WEBP
    Webp,
    /// ISO base media with an MP4 brand.
    Mp4,
    /// ISO base media with the QuickTime brand.
    Mov,
    /// A zip archive that is not an office document.
    Zip,
    /// Word (OOXML).
    Docx,
    /// Excel (OOXML).
    Xlsx,
    /// PowerPoint (OOXML).
    Pptx,
    /// UTF-8 text without control characters.
    Text,
    /// A kind from a signature the caller added.
    Custom(String),
}

impl FileKind {
    /// A stable name: `pdf`, `png`, …, or the custom name.
    pub fn name(&self) -> &str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Png => "png",
            FileKind::Jpeg => "jpeg",
            FileKind::Gif => "gif",
            FileKind::Webp => "webp",
            FileKind::Mp4 => "mp4",
            FileKind::Mov => "mov",
            FileKind::Zip => "zip",
            FileKind::Docx => "docx",
            FileKind::Xlsx => "xlsx",
            FileKind::Pptx => "pptx",
            FileKind::Text => "text",
            FileKind::Custom(n) => n,
        }
    }

    /// Parses a name (`pdf`, `jpeg`/`jpg`, `mp4`, …); other names become
    /// [`FileKind::Custom`].
    pub fn from_name(name: &str) -> FileKind {
        match name.trim().to_ascii_lowercase().as_str() {
            "pdf" => FileKind::Pdf,
            "png" => FileKind::Png,
            "jpeg" | "jpg" => FileKind::Jpeg,
            "gif" => FileKind::Gif,
            "webp" => FileKind::Webp,
            "mp4" | "m4v" => FileKind::Mp4,
            "mov" | "quicktime" => FileKind::Mov,
            "zip" => FileKind::Zip,
            "docx" => FileKind::Docx,
            "xlsx" => FileKind::Xlsx,
            "pptx" => FileKind::Pptx,
            "text" | "txt" | "plain" => FileKind::Text,
            other => FileKind::Custom(other.to_string()),
        }
    }

    /// The usual MIME type.
    pub fn mime(&self) -> &str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Gif => "image/gif",
            FileKind::Webp => "image/webp",
            FileKind::Mp4 => "video/mp4",
            FileKind::Mov => "video/quicktime",
            FileKind::Zip => "application/zip",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileKind::Text => "text/plain",
            FileKind::Custom(_) => "application/octet-stream",
        }
    }
}

/// A signature the caller adds: `magic` at byte `offset` means `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Where the magic starts.
    pub offset: usize,
    /// The bytes.
    pub magic: Vec<u8>,
    /// What they mean.
    pub kind: FileKind,
}

/// The sniffer's answer for the bytes seen so far.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Sniff {
    /// Recognised.
    Known(FileKind),
    /// Not enough bytes yet to decide.
    NeedMore,
    /// No known signature (and not text).
    Unknown,
}

/// Recognises file kinds from leading bytes, with extra signatures checked
/// before the built-in ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sniffer {
    extra: Vec<Signature>,
}

fn starts(b: &[u8], at: usize, magic: &[u8]) -> Option<bool> {
    if b.len() < at + magic.len() {
        // Decide early when the bytes already differ.
        let have = b.get(at..)?;
        return if magic.starts_with(have) {
            None
        } else {
            Some(false)
        };
    }
    Some(&b[at..at + magic.len()] == magic)
}

impl Sniffer {
    /// The built-in signatures only.
    pub fn new() -> Self {
        Sniffer::default()
    }

    /// Adds a signature, checked before the built-in ones.
    pub fn with_signature(mut self, sig: Signature) -> Self {
        self.extra.push(sig);
        self
    }

    /// Sniffs `head` (the first bytes of the file). `complete` says the file
    /// has no more bytes than these, so `NeedMore` is never the answer.
    pub fn sniff(&self, head: &[u8], complete: bool) -> Sniff {
        let head = &head[..head.len().min(SNIFF_WINDOW)];
        let full = complete || head.len() >= SNIFF_WINDOW;
        let mut undecided = false;
        let mut check = |at: usize, magic: &[u8]| match starts(head, at, magic) {
            Some(m) => m,
            None => {
                undecided = true;
                false
            }
        };
        for s in &self.extra {
            if check(s.offset, &s.magic) {
                return Sniff::Known(s.kind.clone());
            }
        }
        let fixed: [(usize, &[u8], FileKind); 6] = [
            (0, b"%PDF-", FileKind::Pdf),
            (0, b"\x89PNG\r\n\x1a\n", FileKind::Png),
            (0, b"\xff\xd8\xff", FileKind::Jpeg),
            (0, b"GIF87a", FileKind::Gif),
            (0, b"GIF89a", FileKind::Gif),
            (8, b"WEBP", FileKind::Webp),
        ];
        for (at, magic, kind) in fixed {
            if check(at, magic) && (kind != FileKind::Webp || check(0, b"RIFF")) {
                return Sniff::Known(kind);
            }
        }
        if check(4, b"ftyp") {
            return match head.get(8..12) {
                Some(b"qt  ") => Sniff::Known(FileKind::Mov),
                Some(_) => Sniff::Known(FileKind::Mp4),
                None if !full => Sniff::NeedMore,
                None => Sniff::Unknown,
            };
        }
        if check(0, b"PK\x03\x04") {
            return zip_kind(head, full);
        }
        if undecided && !full {
            return Sniff::NeedMore;
        }
        match text_kind(head, full) {
            Some(true) => Sniff::Known(FileKind::Text),
            Some(false) => Sniff::Unknown,
            None => Sniff::NeedMore,
        }
    }
}

/// An OOXML file is a zip whose entries live under `word/`, `xl/` or `ppt/`.
fn zip_kind(head: &[u8], full: bool) -> Sniff {
    let finder = |needle: &[u8]| memchr::memmem::find(head, needle).is_some();
    if finder(b"word/") {
        Sniff::Known(FileKind::Docx)
    } else if finder(b"xl/") {
        Sniff::Known(FileKind::Xlsx)
    } else if finder(b"ppt/") {
        Sniff::Known(FileKind::Pptx)
    } else if full {
        Sniff::Known(FileKind::Zip)
    } else {
        Sniff::NeedMore
    }
}

/// `Some(true)` for UTF-8 text without control characters other than tab,
/// newline, carriage return and form feed; `None` while undecided.
fn text_kind(head: &[u8], full: bool) -> Option<bool> {
    if head.is_empty() {
        return if full { Some(false) } else { None };
    }
    let bad_control = head
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c) || b == 0x7f);
    if bad_control {
        return Some(false);
    }
    match std::str::from_utf8(head) {
        Ok(_) => {
            if full {
                Some(true)
            } else {
                None
            }
        }
        // A multi-byte character cut at the end of the window is fine.
        Err(e) if e.error_len().is_none() => {
            if full {
                Some(true)
            } else {
                None
            }
        }
        Err(_) => Some(false),
    }
}
