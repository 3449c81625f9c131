//! The compile cache through the embedding API: a directory others can write
//! is not used (the component still loads, compiled in memory), a private one
//! is, with entries only the user can read or write.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use fastio_wasmtime::Core;

/// The smallest component: the preamble alone.
const EMPTY: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn component(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("empty.wasm");
    std::fs::write(&p, EMPTY).expect("component");
    p
}

#[test]
fn a_cache_directory_others_can_write_is_not_used() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let wasm = component(tmp.path());
    for mode in [0o777, 0o775, 0o1777] {
        let cache = tmp.path().join(format!("cache-{mode:o}"));
        std::fs::create_dir(&cache).expect("mkdir");
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let core = Core::load_with_cache(&wasm, Some(&cache)).expect("loads anyway");
        assert_eq!(core.imports(), Vec::<String>::new());
        assert_eq!(
            files_in(&cache),
            Vec::<String>::new(),
            "mode {mode:o}: machine code was written where others can replace it"
        );
    }
}

#[test]
fn a_private_cache_directory_is_used() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let wasm = component(tmp.path());
    let cache = tmp.path().join("cache");
    Core::load_with_cache(&wasm, Some(&cache)).expect("compiles and stores");
    let meta = std::fs::metadata(&cache).expect("created");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o700);
    let names = files_in(&cache);
    assert_eq!(names.len(), 1, "one entry: {names:?}");
    let entry = cache.join(&names[0]);
    let mode = std::fs::symlink_metadata(&entry)
        .expect("entry")
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o600, "{}", names[0]);
    // The next load maps the entry in and leaves it as it was.
    let before = std::fs::read(&entry).expect("entry");
    let core = Core::load_with_cache(&wasm, Some(&cache)).expect("loads from the cache");
    assert_eq!(core.imports(), Vec::<String>::new());
    assert_eq!(files_in(&cache), names);
    assert_eq!(std::fs::read(&entry).expect("entry"), before);
}
