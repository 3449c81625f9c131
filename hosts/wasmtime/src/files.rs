//! Files written next to the user's own (a download, a resume token, a
//! compiled component): the bytes go to a temporary file of a random name in
//! the target's directory, created exclusively — never an existing file, never
//! through a symlink planted at the name — and renamed over the target only
//! when complete. A temporary file that is not renamed is removed when
//! dropped, so a failure leaves the directory as it was.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::path::Path;

use tempfile::NamedTempFile;

/// Random characters in a temporary name: enough that nobody predicts it,
/// and a collision only means another try.
const RANDOM_CHARS: usize = 12;

/// Longest target name copied into a temporary name; longer ones are left
/// out so the temporary name stays within the system's limit (255 bytes).
const MAX_NAME_IN_TEMP: usize = 200;

/// A new, empty temporary file in `dir`, named `<prefix><random><suffix>`
/// and created with `O_CREAT|O_EXCL` and `mode` (less the umask); another
/// random name is tried while one exists.
pub(crate) fn temp_in(
    dir: &Path,
    prefix: &OsStr,
    suffix: &str,
    mode: u32,
) -> io::Result<NamedTempFile> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix).suffix(suffix).rand_bytes(RANDOM_CHARS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    b.tempfile_in(dir)
}

/// A new temporary file beside `target`: `.<target name>.<random><suffix>`,
/// hidden, and never the name of a file the user keeps there.
pub(crate) fn temp_beside(target: &Path, suffix: &str, mode: u32) -> io::Result<NamedTempFile> {
    let name = target.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", target.display()),
        )
    })?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut prefix = OsString::from(".");
    if name.len() <= MAX_NAME_IN_TEMP {
        prefix.push(name);
        prefix.push(".");
    } else {
        prefix.push("fastio.");
    }
    temp_in(dir, &prefix, suffix, mode)
}

/// Moves a complete temporary file over `target`: flushed to disk first, so
/// a crash leaves the old target or the new one, never a torn file.
/// `rename(2)` replaces the name `target` itself, even when it is a symlink.
pub(crate) fn commit(tmp: NamedTempFile, target: &Path) -> io::Result<()> {
    tmp.as_file().sync_all()?;
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `bytes` to `target` through a temporary file beside it (see the
/// module). Used for resume tokens, which a kill must never leave torn.
pub(crate) fn replace(target: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut tmp = temp_beside(target, ".tmp", mode)?;
    tmp.write_all(bytes)?;
    commit(tmp, target)
}
