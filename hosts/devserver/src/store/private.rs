//! Modes of what holds secrets: the data directory (0700) and the SQLite files (0600), which
//! keep the generated API key, webhook secrets and share passwords.
//!
//! Modes are set explicitly after creation, so they do not depend on the umask. Something that
//! already exists is tightened (group and other bits cleared) only when this user owns it: the
//! server may run as root on a directory another user prepared, and changing their modes is not
//! its business, so that case is logged instead.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

#[cfg(unix)]
use std::fs::Permissions;
#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};

/// Creates the data directory with mode 0700 (its parents as the umask says), or tightens an
/// existing one this user owns.
pub fn data_dir(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    builder.mode(0o700);
    match builder.create(path) {
        Ok(()) => exact(path, &std::fs::metadata(path)?, 0o700),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let meta = std::fs::metadata(path)?;
            if !meta.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a directory", path.display()),
                ));
            }
            tighten(path, &meta)
        }
        Err(e) => Err(e),
    }
}

/// Creates `path` as an empty file with mode 0600 if it is missing, or tightens the existing
/// one this user owns. Never truncates.
pub fn secret_file(path: &Path) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    match opts.open(path) {
        Ok(f) => exact_file(&f, 0o600),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => tighten_existing(path),
        Err(e) => Err(e),
    }
}

/// Tightens `path` if it exists (a SQLite `-wal` or `-shm` file left by an earlier start).
pub fn tighten_existing(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        // A symlink is left alone: changing its target's mode is not what was asked.
        Ok(meta) if meta.file_type().is_symlink() => Ok(()),
        Ok(meta) => tighten(path, &meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn owned_by_us(meta: &std::fs::Metadata) -> bool {
    meta.uid() == rustix::process::geteuid().as_raw()
}

/// Sets exactly `mode` on what was just created (the umask may have left it narrower or, with
/// an unusual umask, wider).
#[cfg(unix)]
fn exact(path: &Path, meta: &std::fs::Metadata, mode: u32) -> io::Result<()> {
    if meta.mode() & 0o7777 != mode {
        std::fs::set_permissions(path, Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(unix)]
fn exact_file(f: &File, mode: u32) -> io::Result<()> {
    // fchmod on the open file: nothing can swap the path in between.
    if f.metadata()?.mode() & 0o7777 != mode {
        f.set_permissions(Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// Clears the group and other bits of something that already existed, if this user owns it.
#[cfg(unix)]
fn tighten(path: &Path, meta: &std::fs::Metadata) -> io::Result<()> {
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    if !owned_by_us(meta) {
        tracing::warn!(
            path = %path.display(),
            mode = format_args!("{mode:o}"),
            "not owned by this user, so its mode is left as it is: other users may read the secrets in it"
        );
        return Ok(());
    }
    std::fs::set_permissions(path, Permissions::from_mode(mode & 0o700))
}

// Elsewhere there are no Unix modes to set; the platform's defaults apply.
#[cfg(not(unix))]
fn exact(_: &Path, _: &std::fs::Metadata, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn exact_file(_: &File, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_: &Path, _: &std::fs::Metadata) -> io::Result<()> {
    Ok(())
}
