//! The cache refuses what it did not write itself: directories and entries
//! others can write or own, symlinks, and entries whose content changed.

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

use super::*;

/// The smallest component: the preamble alone.
const EMPTY: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/// Another component, which compiles to other code: one empty core module.
fn with_module() -> Vec<u8> {
    let mut c = EMPTY.to_vec();
    // Section 1 (core module) of 8 bytes: an empty core module.
    c.extend_from_slice(&[0x01, 0x08, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    c
}

fn engine() -> Engine {
    crate::engine().expect("engine")
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).expect("metadata").mode() & 0o7777
}

/// A fresh private directory (0700) for one test.
fn private_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("component-") && n.ends_with(".cwasm"))
        })
        .collect();
    v.sort();
    v
}

fn only_entry(dir: &Path) -> PathBuf {
    let e = entries(dir);
    assert_eq!(e.len(), 1, "one entry: {e:?}");
    e[0].clone()
}

fn is_me_root() -> bool {
    rustix::process::geteuid().is_root()
}

#[test]
fn a_missing_directory_is_created_private_and_then_hit() {
    let engine = engine();
    let tmp = private_dir();
    let dir = tmp.path().join("a/b/fastio");
    load_or_compile(&engine, EMPTY, &dir).expect("compiled");
    assert_eq!(mode(&dir), 0o700, "cache directory");
    let entry = only_entry(&dir);
    assert_eq!(mode(&entry), 0o600, "entry");
    let key = Key::new(&engine, EMPTY);
    let name = entry.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        name.starts_with(&key.prefix()),
        "{name} names the component and the engine"
    );
    assert!(
        lookup(&engine, &key, &dir).is_some(),
        "a later start maps it in"
    );
    // Nothing else was left behind (no temporary files).
    assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 1);
}

#[test]
fn a_directory_others_can_write_is_refused() {
    let engine = engine();
    let tmp = private_dir();
    let dir = tmp.path().join("shared");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let why = trust::prepare_dir(&dir).expect_err("refused");
    assert!(why.contains("others can write"), "{why}");

    // Someone who can write there plants another component's code under the
    // name this one looks up, with a check that matches: it is not run.
    let other = Component::from_binary(&engine, &with_module()).expect("other");
    let planted = other.serialize().expect("serialize");
    let key = Key::new(&engine, EMPTY);
    std::fs::write(dir.join(key.entry_name(&key.check_of(&planted))), &planted).expect("plant");
    let c = load_or_compile(&engine, EMPTY, &dir).expect("compiled in memory");
    assert_ne!(
        c.serialize().expect("serialize"),
        planted,
        "the planted code was loaded"
    );
    assert_eq!(
        entries(&dir).len(),
        1,
        "nothing written to a refused directory"
    );
}

#[test]
fn a_group_writable_directory_is_refused() {
    let tmp = private_dir();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o770)).expect("chmod");
    assert!(trust::prepare_dir(tmp.path()).is_err());
}

#[test]
fn a_directory_of_another_user_is_refused() {
    let tmp = private_dir();
    let dir = if is_me_root() {
        std::os::unix::fs::chown(tmp.path(), Some(65534), Some(65534)).expect("chown");
        tmp.path().to_path_buf()
    } else {
        // Owned by root, writable by no one else.
        PathBuf::from("/")
    };
    let why = trust::prepare_dir(&dir).expect_err("refused");
    assert!(why.contains("not to this user"), "{why}");
}

#[test]
fn a_tampered_entry_is_rebuilt_not_run() {
    let engine = engine();
    let tmp = private_dir();
    let dir = tmp.path();
    load_or_compile(&engine, EMPTY, dir).expect("compiled");
    let entry = only_entry(dir);
    let mut code = std::fs::read(&entry).expect("read");
    let last = code.len() - 1;
    code[last] ^= 0x55;
    std::fs::write(&entry, &code).expect("tamper");

    let key = Key::new(&engine, EMPTY);
    assert!(
        lookup(&engine, &key, dir).is_none(),
        "the tampered entry was used"
    );
    assert!(!entry.exists(), "the tampered entry is removed");
    load_or_compile(&engine, EMPTY, dir).expect("compiled again");
    let fresh = only_entry(dir);
    assert!(
        std::fs::read(&fresh).expect("read") != code,
        "the tampered code"
    );
    assert!(
        lookup(&engine, &key, dir).is_some(),
        "the rebuilt entry is used"
    );
}

#[test]
fn another_components_entry_is_never_used() {
    let engine = engine();
    let tmp = private_dir();
    let dir = tmp.path();
    let other = with_module();
    load_or_compile(&engine, &other, dir).expect("compiled");
    let theirs = only_entry(dir);
    let key = Key::new(&engine, EMPTY);
    assert!(lookup(&engine, &key, dir).is_none(), "looked up by name");

    // Renamed to this component's name (with its own check): refused.
    let check = theirs
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_suffix(".cwasm"))
        .and_then(|n| n.rsplit('-').next())
        .expect("check")
        .to_owned();
    let renamed = dir.join(key.entry_name(&check));
    std::fs::rename(&theirs, &renamed).expect("rename");
    assert!(
        lookup(&engine, &key, dir).is_none(),
        "renamed code was used"
    );
    assert!(!renamed.exists());
}

#[test]
fn an_entry_others_can_write_is_refused() {
    let engine = engine();
    let tmp = private_dir();
    let dir = tmp.path();
    load_or_compile(&engine, EMPTY, dir).expect("compiled");
    let entry = only_entry(dir);
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let key = Key::new(&engine, EMPTY);
    assert!(lookup(&engine, &key, dir).is_none());
    assert!(!entry.exists());
}

#[test]
fn an_entry_of_another_user_is_refused() {
    if !is_me_root() {
        // Only root can give a file away; the check is the directory's, above.
        return;
    }
    let engine = engine();
    let tmp = private_dir();
    let dir = tmp.path();
    load_or_compile(&engine, EMPTY, dir).expect("compiled");
    let entry = only_entry(dir);
    std::os::unix::fs::chown(&entry, Some(65534), None).expect("chown");
    assert!(trust::open_entry(&entry).is_err());
    let key = Key::new(&engine, EMPTY);
    assert!(lookup(&engine, &key, dir).is_none());
}

#[test]
fn a_symlinked_entry_is_refused_and_its_target_untouched() {
    let engine = engine();
    let tmp = private_dir();
    let dir = tmp.path().join("cache");
    load_or_compile(&engine, EMPTY, &dir).expect("compiled");
    let entry = only_entry(&dir);
    // The genuine code moves elsewhere; the entry's name becomes a symlink.
    let elsewhere = tmp.path().join("elsewhere.cwasm");
    std::fs::rename(&entry, &elsewhere).expect("move");
    symlink(&elsewhere, &entry).expect("symlink");
    let before = std::fs::read(&elsewhere).expect("read");

    let why = trust::open_entry(&entry).expect_err("refused");
    assert!(why.contains("symlink"), "{why}");
    let key = Key::new(&engine, EMPTY);
    assert!(
        lookup(&engine, &key, &dir).is_none(),
        "followed the symlink"
    );
    load_or_compile(&engine, EMPTY, &dir).expect("compiled again");
    let fresh = only_entry(&dir);
    assert!(
        !std::fs::symlink_metadata(&fresh)
            .expect("meta")
            .file_type()
            .is_symlink(),
        "the entry is a file of its own again"
    );
    assert!(
        std::fs::read(&elsewhere).expect("read") == before,
        "the symlink's target changed"
    );
}

#[test]
fn symlinks_at_an_entry_or_a_predictable_temporary_name_are_not_written_through() {
    let engine = engine();
    let tmp = private_dir();
    let dir = tmp.path().join("cache");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, b"precious").expect("victim");

    // Where the entry will land (its name is fixed by the code compiled),
    // and where earlier versions wrote it aside (`<entry>.tmp<pid>`).
    let key = Key::new(&engine, EMPTY);
    let code = Component::from_binary(&engine, EMPTY)
        .and_then(|c| c.serialize())
        .expect("serialize");
    let entry = dir.join(key.entry_name(&key.check_of(&code)));
    let aside = entry.with_extension(format!("tmp{}", std::process::id()));
    for planted in [&entry, &aside] {
        symlink(&victim, planted).expect("plant");
    }

    let victim_mode = mode(&victim);
    load_or_compile(&engine, EMPTY, &dir).expect("compiled");
    assert!(
        std::fs::read(&victim).expect("victim") == b"precious",
        "machine code was written through a planted symlink"
    );
    assert_eq!(mode(&victim), victim_mode);
    // The same code compiles to the same entry name: the planted symlink
    // there was replaced by the file itself, not written through.
    let meta = std::fs::symlink_metadata(&entry).expect("entry");
    assert!(meta.is_file(), "the entry is a regular file");
    // Any entry there now is a regular file written by this program.
    for e in entries(&dir) {
        let meta = std::fs::symlink_metadata(&e).expect("meta");
        if meta.file_type().is_symlink() {
            continue;
        }
        assert!(meta.is_file());
        assert_eq!(meta.mode() & 0o077, 0, "{} is private", e.display());
    }
}

#[test]
fn temporary_files_are_created_exclusively_and_private() {
    let tmp = private_dir();
    let a = files::temp_in(tmp.path(), OsStr::new(TEMP_PREFIX), TEMP_SUFFIX, 0o600).expect("a");
    let b = files::temp_in(tmp.path(), OsStr::new(TEMP_PREFIX), TEMP_SUFFIX, 0o600).expect("b");
    assert_ne!(a.path(), b.path(), "unique names");
    assert_eq!(mode(a.path()) & 0o077, 0);
    let (pa, pb) = (a.path().to_path_buf(), b.path().to_path_buf());
    drop(a);
    drop(b);
    assert!(!pa.exists() && !pb.exists(), "removed when not committed");
}
