//! The compile cache: machine code wasmtime produced for a component, kept
//! on disk so a later start maps it in instead of compiling again.
//!
//! Entries are named by the component's SHA-256 and wasmtime's compatibility
//! hash (its version and every setting that affects the code), so a rebuilt
//! component or another wasmtime never picks up a stale entry. The directory
//! is private to the user (0700); entries are written aside and renamed, so
//! concurrent starts never see a torn file.

use std::hash::{Hash, Hasher as _};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Result;
use fastio_core::hash::{HashAlgo, Hasher};
use wasmtime::Engine;
use wasmtime::component::Component;

/// `$FASTIO_CACHE_DIR`, else `$XDG_CACHE_HOME/fastio`, else
/// `$HOME/.cache/fastio`; `FASTIO_CACHE_DIR=off` (or no home) disables the
/// cache.
pub fn default_dir() -> Option<PathBuf> {
    match std::env::var_os("FASTIO_CACHE_DIR") {
        Some(v) if v == "off" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(|x| PathBuf::from(x).join("fastio"))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/fastio"))),
    }
}

fn entry_name(engine: &Engine, wasm: &[u8]) -> String {
    let digest = Hasher::digest(HashAlgo::Sha256, wasm).to_hex();
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    format!("component-{}-{:016x}.cwasm", &digest[..32], compat.finish())
}

/// The component compiled from `wasm`: from the cache when a valid entry is
/// there, otherwise compiled and stored. A cache that cannot be read or
/// written only costs the compile.
pub fn load_or_compile(engine: &Engine, wasm: &[u8], dir: &Path) -> Result<Component> {
    let path = dir.join(entry_name(engine, wasm));
    if path.is_file() {
        // SAFETY: the entry was written by `Component::serialize` below into
        // the user's private cache directory, under a name derived from the
        // exact component bytes and this engine's compatibility hash;
        // wasmtime also checks the header (version, settings) and refuses a
        // mismatch. Trusting it is trusting the user's own home, as the
        // program binary itself does.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => return Ok(c),
            Err(_) => {
                // Unusable (truncated, another build): compile afresh below.
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let component = Component::from_binary(engine, wasm)?;
    if store(&component, dir, &path).is_ok() {
        prune(dir);
    }
    Ok(component)
}

/// Entries kept; each rebuilt component adds one, so older ones go.
const KEEP: usize = 8;

/// Removes all but the [`KEEP`] most recently written entries. A start that
/// still wanted a removed one compiles it again.
fn prune(dir: &Path) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = read
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("component-") && name.ends_with(".cwasm")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (_, path) in entries.into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(path);
    }
}

fn store(component: &Component, dir: &Path, path: &Path) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let bytes = component.serialize()?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
