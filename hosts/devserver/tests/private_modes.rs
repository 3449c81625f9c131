//! The data directory and the SQLite files hold the API keys (a generated one included) and
//! webhook secrets, so other local users must not read them: the directory is 0700 and the
//! database files 0600 whatever the umask, and an earlier start's wider modes are tightened.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Once;

use fastio_devserver::Config;

/// The widest umask, so a mode left to it shows up as group/other access. Every test in this
/// binary wants it, so it is set once for the process.
fn open_umask() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        rustix::process::umask(rustix::fs::Mode::empty());
    });
}

/// The mode in octal, as `ls -l` users read it.
fn mode(p: &Path) -> String {
    let m = std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode();
    format!("{:o}", m & 0o7777)
}

fn side(db: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

/// Starts a server with a generated key on `data`; returns it with the key.
fn start(data: &Path) -> fastio_devserver::RunningServer {
    let cfg = Config::new(data);
    assert!(cfg.api_keys.is_empty(), "the key is generated and stored");
    fastio_devserver::spawn(cfg).expect("server starts")
}

#[test]
fn a_fresh_data_directory_and_its_database_are_private() {
    open_umask();
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("nested").join("data");
    let srv = start(&data);
    assert!(srv.api_key.starts_with("dev_"), "a generated key");
    let db = data.join("meta.sqlite3");
    assert_eq!(mode(&data), "700", "data directory");
    assert_eq!(mode(&db), "600", "database");
    // WAL mode: both side files exist while the connection is open.
    for suffix in ["-wal", "-shm"] {
        let p = side(&db, suffix);
        assert!(p.exists(), "{} exists", p.display());
        assert_eq!(mode(&p), "600", "{}", p.display());
    }
    drop(srv);
}

#[test]
fn an_earlier_start_with_wide_modes_is_tightened() {
    open_umask();
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let first = start(&data);
    let key = first.api_key.clone();
    drop(first);
    // As an earlier version left them: readable by everyone.
    let db = data.join("meta.sqlite3");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    for suffix in ["-wal", "-shm"] {
        // Present after an unclean stop; create them if the clean one removed them.
        let p = side(&db, suffix);
        if !p.exists() {
            std::fs::write(&p, b"").expect("side file");
        }
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }

    let again = start(&data);
    assert_eq!(again.api_key, key, "the stored key is kept");
    assert_eq!(mode(&data), "700", "data directory");
    assert_eq!(mode(&db), "600", "database");
    for suffix in ["-wal", "-shm"] {
        let p = side(&db, suffix);
        assert_eq!(mode(&p), "600", "{}", p.display());
    }
}
