//! File bytes on disk. Every path is built from generated ids checked by `ids::is_safe_id`,
//! never from names in a request, so nothing can be written outside the data directory.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::ids;

#[derive(Clone, Debug)]
pub struct Blobs {
    root: PathBuf,
}

impl Blobs {
    pub fn new(root: &Path) -> io::Result<Self> {
        for d in ["blobs", "chunks", "tmp"] {
            std::fs::create_dir_all(root.join(d))?;
        }
        // Leftovers from a crash: never acknowledged, safe to drop.
        if let Ok(rd) = std::fs::read_dir(root.join("tmp")) {
            for e in rd.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn checked(id: &str) -> io::Result<&str> {
        if ids::is_safe_id(id) {
            Ok(id)
        } else {
            Err(io::Error::new(io::ErrorKind::InvalidInput, "unsafe id"))
        }
    }

    /// A fresh temporary file path inside the data directory.
    pub fn tmp_path(&self) -> PathBuf {
        self.root.join("tmp").join(ids::random_alnum(24))
    }

    pub fn blob_path(&self, blob: &str) -> io::Result<PathBuf> {
        Ok(self.root.join("blobs").join(Self::checked(blob)?))
    }

    pub fn session_dir(&self, upload: &str) -> io::Result<PathBuf> {
        Ok(self.root.join("chunks").join(Self::checked(upload)?))
    }

    pub fn chunk_path(&self, upload: &str, order: u64) -> io::Result<PathBuf> {
        Ok(self.session_dir(upload)?.join(format!("{order}")))
    }

    /// fsync the file, rename it into place, fsync the directory: after this returns the
    /// bytes are at `dest` even if the machine loses power.
    pub fn commit_file(&self, tmp: &Path, file: &File, dest: &Path) -> io::Result<()> {
        file.sync_all()?;
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::rename(tmp, dest)?;
        if let Some(dir) = dest.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    pub fn remove_session(&self, upload: &str) {
        if let Ok(d) = self.session_dir(upload) {
            let _ = std::fs::remove_dir_all(d);
        }
    }

    pub fn remove_blob(&self, blob: &str) {
        if let Ok(p) = self.blob_path(blob) {
            let _ = std::fs::remove_file(p);
        }
    }
}
