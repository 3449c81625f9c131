//! What the cache trusts: a directory and entries that belong to this user
//! and that nobody else can write, entries opened without following a
//! symlink, and their content hashed from the very file that is mapped.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use fastio_core::hash::Hasher;

/// Creates `dir` with mode 0700 if it is missing; refuses, with the reason,
/// one that is not a directory, not this user's, or writable by group or
/// others (anyone who can write it can plant code this program would run).
#[cfg(unix)]
pub(super) fn prepare_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let created = match std::fs::metadata(dir) {
        Ok(_) => false,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("cannot create it ({e})"))?;
            true
        }
        Err(e) => return Err(format!("cannot read it ({e})")),
    };
    let meta = std::fs::metadata(dir).map_err(|e| format!("cannot read it ({e})"))?;
    if !meta.is_dir() {
        return Err("it is not a directory".into());
    }
    if created && owned_by_me(&meta) && meta.mode() & 0o7777 != 0o700 {
        // Exactly 0700 whatever the umask left.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot set its mode ({e})"))?;
        return private(&std::fs::metadata(dir).map_err(|e| format!("cannot read it ({e})"))?);
    }
    private(&meta)
}

/// Opens an entry for reading, refusing a symlink (`O_NOFOLLOW`), anything
/// but a regular file (`O_NONBLOCK`, so a FIFO cannot hang the start), and a
/// file that is not this user's or that others can write.
#[cfg(unix)]
pub(super) fn open_entry(path: &Path) -> Result<File, String> {
    use rustix::fs::{Mode, OFlags};
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(|e| {
        if e == rustix::io::Errno::LOOP {
            "it is a symlink".to_owned()
        } else {
            format!("cannot open it ({e})")
        }
    })?;
    let file = File::from(fd);
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read it ({e})"))?;
    if !meta.is_file() {
        return Err("it is not a regular file".into());
    }
    private(&meta)?;
    Ok(file)
}

#[cfg(unix)]
fn owned_by_me(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    meta.uid() == rustix::process::geteuid().as_raw()
}

/// This user's, and not writable by group or others.
#[cfg(unix)]
fn private(meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    if !owned_by_me(meta) {
        return Err(format!(
            "it belongs to uid {}, not to this user (uid {})",
            meta.uid(),
            rustix::process::geteuid().as_raw()
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(format!("group or others can write it (mode {mode:o})"));
    }
    Ok(())
}

// Where ownership and modes cannot be checked the cache is not used.
#[cfg(not(unix))]
pub(super) fn prepare_dir(_: &Path) -> Result<(), String> {
    Err("its ownership cannot be checked on this system".into())
}

#[cfg(not(unix))]
pub(super) fn open_entry(_: &Path) -> Result<File, String> {
    Err("its ownership cannot be checked on this system".into())
}

/// The hex digest of everything in `file` from its current offset, fed
/// after what `h` already holds.
pub(super) fn digest_file(mut h: Hasher, mut file: &File) -> io::Result<String> {
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(h.finish().to_hex()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A path that opens `file` itself, not whatever its name points at by
/// then: `/proc/self/fd/N`, when /proc is there and leads to the same file.
#[cfg(target_os = "linux")]
pub(super) fn same_file_path(file: &File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    let (via_proc, open) = (std::fs::metadata(&path).ok()?, file.metadata().ok()?);
    (via_proc.dev() == open.dev() && via_proc.ino() == open.ino()).then_some(path)
}

#[cfg(not(target_os = "linux"))]
pub(super) fn same_file_path(_: &File) -> Option<PathBuf> {
    None
}
