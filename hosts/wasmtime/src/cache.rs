//! The compile cache: machine code wasmtime produced for a component, kept
//! on disk so a later start maps it in instead of compiling again.
//!
//! Machine code from the cache is executed as it is, so the cache trusts
//! nothing it did not write itself:
//!
//! - The directory must belong to this user and be writable by nobody else;
//!   one that is not is refused (one warning line, the component is compiled
//!   in memory). A missing one is created with mode 0700.
//! - An entry's name holds the SHA-256 of the component's bytes and of
//!   wasmtime's compatibility hash (its version and every setting that
//!   affects the code), so an entry for another component or another
//!   wasmtime is never looked up, and the SHA-256 of the code written
//!   (bound to those two), which is checked before the code is mapped in.
//!   An entry that is a symlink, not this user's, writable by others or
//!   failing its check is removed and compiled again, never run.
//! - Entries are written to a temporary file of a random name created
//!   exclusively (`O_CREAT|O_EXCL`, mode 0600: never an existing file or a
//!   symlink) and renamed into place, so concurrent starts never see a torn
//!   file and nothing planted in the directory is written through.

mod trust;

use std::ffi::OsStr;
use std::fs::File;
use std::hash::Hash as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use fastio_core::hash::{HashAlgo, Hasher};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::files;

/// `$FASTIO_CACHE_DIR`, else `$XDG_CACHE_HOME/fastio`, else
/// `$HOME/.cache/fastio`; `FASTIO_CACHE_DIR=off` (or no home) disables the
/// cache. Off where file ownership cannot be checked (not Unix).
pub fn default_dir() -> Option<PathBuf> {
    if !cfg!(unix) {
        return None;
    }
    match std::env::var_os("FASTIO_CACHE_DIR") {
        Some(v) if v == "off" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(|x| PathBuf::from(x).join("fastio"))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/fastio"))),
    }
}

/// The component compiled from `wasm`: from the cache when a valid entry is
/// there, otherwise compiled and stored. A cache that is refused, or cannot
/// be read or written, only costs the compile.
pub fn load_or_compile(engine: &Engine, wasm: &[u8], dir: &Path) -> Result<Component> {
    if let Err(why) = trust::prepare_dir(dir) {
        warn_once(&format!(
            "not using the compile cache {}: {why}; compiling in memory",
            dir.display()
        ));
        return Ok(Component::from_binary(engine, wasm)?);
    }
    let key = Key::new(engine, wasm);
    if let Some(component) = lookup(engine, &key, dir) {
        return Ok(component);
    }
    let component = Component::from_binary(engine, wasm)?;
    if store(&component, &key, dir).is_ok() {
        prune(dir);
    }
    Ok(component)
}

/// What an entry was compiled from: the component and the engine, as hex
/// digests.
struct Key {
    wasm: String,
    engine: String,
}

/// Bumped when the entries' naming or check changes, so old entries are
/// never read under new rules (they age out through [`prune`]).
const FORMAT: &str = "fastio-cwasm-v2";

impl Key {
    fn new(engine: &Engine, wasm: &[u8]) -> Key {
        let mut h = DigestHasher(Hasher::new(HashAlgo::Sha256));
        engine.precompile_compatibility_hash().hash(&mut h);
        Key {
            wasm: Hasher::digest(HashAlgo::Sha256, wasm).to_hex(),
            engine: h.0.finish().to_hex()[..32].to_owned(),
        }
    }

    /// Names of entries for this key start so.
    fn prefix(&self) -> String {
        format!("component-{}-{}-", self.wasm, self.engine)
    }

    fn entry_name(&self, check: &str) -> String {
        format!("{}{check}.cwasm", self.prefix())
    }

    /// The digest an entry's code must have: SHA-256 over the format, the
    /// key and the code, so code renamed from another key's entry fails.
    fn hasher(&self) -> Hasher {
        let mut h = Hasher::new(HashAlgo::Sha256);
        for part in [FORMAT, &self.wasm, &self.engine] {
            h.update(part.as_bytes());
            h.update(b"\n");
        }
        h
    }

    fn check_of(&self, code: &[u8]) -> String {
        let mut h = self.hasher();
        h.update(code);
        h.finish().to_hex()
    }
}

/// Feeds what [`std::hash::Hash`] writes into a SHA-256, so the engine's
/// compatibility hash names entries the same way in every build of this
/// program (std's own hashers promise no stable output).
struct DigestHasher(Hasher);

impl std::hash::Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Never called: the digest is taken from the inner hasher.
        0
    }
}

/// The first entry for `key` that passes its checks, deserialized. Entries
/// that fail are removed (the directory is this user's own, checked above).
fn lookup(engine: &Engine, key: &Key, dir: &Path) -> Option<Component> {
    let prefix = key.prefix();
    let candidates: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let check = name.strip_prefix(&prefix)?.strip_suffix(".cwasm")?;
            let is_hex = check.len() == 64 && check.bytes().all(|b| b.is_ascii_hexdigit());
            is_hex.then(|| (e.path(), check.to_owned()))
        })
        .collect();
    for (path, expected) in candidates {
        let checked = trust::open_entry(&path).and_then(|file| {
            let actual = trust::digest_file(key.hasher(), &file)
                .map_err(|e| format!("cannot read it ({e})"))?;
            Ok((file, actual))
        });
        match checked {
            Ok((file, actual)) if actual == expected => {
                if let Some(c) = deserialize(engine, &file, &path) {
                    return Some(c);
                }
                let _ = std::fs::remove_file(&path);
            }
            Ok(_) => {
                warn(&format!(
                    "{}: its content is not what was written; compiling again",
                    path.display()
                ));
                let _ = std::fs::remove_file(&path);
            }
            Err(why) => {
                warn(&format!("{}: {why}; compiling again", path.display()));
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    None
}

/// Maps the checked entry in. The path handed to wasmtime is, where the
/// system offers one, the open file itself (`/proc/self/fd/N`): the bytes
/// mapped are then those just checked, whatever happens to the name.
fn deserialize(engine: &Engine, file: &File, path: &Path) -> Option<Component> {
    let mapped = trust::same_file_path(file).unwrap_or_else(|| path.to_path_buf());
    // SAFETY: `Component::deserialize_file` runs the file's machine code as
    // it is. This file was opened without following symlinks, is a regular
    // file owned by this user and writable by no one else, in a directory
    // with the same guarantees, and its SHA-256 (bound to these component
    // bytes and this engine) matches the one this program computed when it
    // wrote the code with `Component::serialize`. wasmtime also checks the
    // header (version, settings) and refuses a mismatch.
    unsafe { Component::deserialize_file(engine, &mapped) }.ok()
}

fn store(component: &Component, key: &Key, dir: &Path) -> Result<()> {
    let code = component.serialize()?;
    let path = dir.join(key.entry_name(&key.check_of(&code)));
    let mut tmp = files::temp_in(dir, OsStr::new(TEMP_PREFIX), TEMP_SUFFIX, 0o600)?;
    tmp.write_all(&code)?;
    files::commit(tmp, &path)?;
    Ok(())
}

/// Temporary files of entries being written are named so.
const TEMP_PREFIX: &str = ".component-";
const TEMP_SUFFIX: &str = ".tmp";

/// Entries kept; each rebuilt component adds one, so older ones go.
const KEEP: usize = 8;

/// A temporary file older than this was left by a start that died while
/// writing it.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// Removes all but the [`KEEP`] most recently written entries, and
/// temporary files left behind. A start that still wanted a removed entry
/// compiles it again.
fn prune(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    let mut entries: Vec<(SystemTime, PathBuf)> = Vec::new();
    for e in read.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        // `DirEntry::metadata` does not follow symlinks.
        let Some(modified) = e.metadata().ok().and_then(|m| m.modified().ok()) else {
            continue;
        };
        if name.starts_with("component-") && name.ends_with(".cwasm") {
            entries.push((modified, e.path()));
        } else if name.starts_with(TEMP_PREFIX)
            && name.ends_with(TEMP_SUFFIX)
            && now.duration_since(modified).unwrap_or_default() > STALE_TEMP
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (_, path) in entries.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(path);
    }
}

fn warn(msg: &str) {
    eprintln!("fastio: {msg}");
}

/// A refused directory is reported once per process, however many times
/// the component is loaded.
fn warn_once(msg: &str) {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| warn(msg));
}

#[cfg(all(test, unix))]
mod tests;
