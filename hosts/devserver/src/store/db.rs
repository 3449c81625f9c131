//! SQLite schema, migrations and connection setup.
//!
//! WAL with `synchronous=FULL` so a committed transaction survives a crash: a chunk row is
//! committed only after its bytes are fsynced, which is what makes an acknowledgement durable.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::private;

/// Each entry moves the schema one version forward; `PRAGMA user_version` records how far.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users(id TEXT PRIMARY KEY, email TEXT NOT NULL, first_name TEXT NOT NULL,
    last_name TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE api_keys(id TEXT PRIMARY KEY, key TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
    memo TEXT, scopes TEXT, agent_name TEXT, expires TEXT, created INTEGER NOT NULL,
    updated INTEGER NOT NULL);
CREATE TABLE orgs(id TEXT PRIMARY KEY, domain TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    owner_id TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE workspaces(id TEXT PRIMARY KEY, org_id TEXT NOT NULL, folder_name TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL, description TEXT, perm_join TEXT, perm_member_manage TEXT,
    intelligence INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE nodes(id TEXT PRIMARY KEY, ws_id TEXT NOT NULL, parent TEXT NOT NULL, name TEXT NOT NULL,
    type TEXT NOT NULL, mimetype TEXT, version_id TEXT, created INTEGER NOT NULL,
    modified INTEGER NOT NULL, trashed INTEGER NOT NULL DEFAULT 0, metadata_title TEXT,
    metadata_short TEXT, lock_token TEXT, lock_expires INTEGER, lock_client TEXT);
CREATE INDEX nodes_parent ON nodes(ws_id, parent);
CREATE TABLE versions(id TEXT PRIMARY KEY, node_id TEXT NOT NULL, blob TEXT NOT NULL,
    size INTEGER NOT NULL, hash TEXT NOT NULL, hash_algo TEXT NOT NULL, crc32c TEXT NOT NULL,
    name TEXT NOT NULL, created INTEGER NOT NULL);
CREATE INDEX versions_node ON versions(node_id);
CREATE TABLE uploads(id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, size INTEGER,
    instance_id TEXT, folder_id TEXT, profile_type TEXT, stream INTEGER NOT NULL DEFAULT 0,
    max_size INTEGER, status TEXT NOT NULL, status_message TEXT NOT NULL DEFAULT '',
    new_file_id TEXT, file_crc32c TEXT, expected_crc32c TEXT, computed_crc32c TEXT,
    blob TEXT, hash TEXT, stored_size INTEGER, source_url TEXT, kind TEXT NOT NULL DEFAULT 'upload',
    created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE chunks(upload_id TEXT NOT NULL, ord INTEGER NOT NULL, size INTEGER NOT NULL,
    crc32c TEXT NOT NULL, PRIMARY KEY(upload_id, ord));
CREATE TABLE events(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, event TEXT NOT NULL,
    category TEXT NOT NULL, subcategory TEXT NOT NULL, user_id TEXT, org_id TEXT, workspace_id TEXT,
    share_id TEXT, object_id TEXT, activity_key TEXT, created INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE webhooks(id TEXT PRIMARY KEY, ws_id TEXT NOT NULL, target_url TEXT NOT NULL,
    events TEXT NOT NULL, description TEXT, rate_limit_per_hour INTEGER, family_allowlist TEXT,
    secret TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE read_tokens(token TEXT PRIMARY KEY, node_id TEXT NOT NULL, version_id TEXT,
    kind TEXT NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE shares(id TEXT PRIMARY KEY, ws_id TEXT NOT NULL, title TEXT, description TEXT,
    share_type TEXT NOT NULL, storage_mode TEXT NOT NULL, folder_node_id TEXT, custom_name TEXT NOT NULL,
    access_options TEXT, password TEXT, download_security TEXT, anonymous_uploads_enabled INTEGER NOT NULL DEFAULT 0,
    intelligence INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE transfer_tokens(id TEXT PRIMARY KEY, org_id TEXT NOT NULL, token TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL, expires INTEGER NOT NULL, claimed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE ai_chats(id TEXT PRIMARY KEY, ws_id TEXT NOT NULL, name TEXT, kind TEXT NOT NULL,
    legacy INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);
CREATE TABLE ai_turns(id TEXT PRIMARY KEY, chat_id TEXT NOT NULL, seq INTEGER NOT NULL,
    question TEXT NOT NULL, status TEXT NOT NULL, answer TEXT, citations TEXT, created INTEGER NOT NULL);
"#,
    r#"
CREATE TABLE fileshares(id TEXT PRIMARY KEY, ws_id TEXT NOT NULL, node_id TEXT NOT NULL, title TEXT,
    access_option TEXT NOT NULL, password TEXT, expires INTEGER, created INTEGER NOT NULL,
    updated INTEGER NOT NULL);
CREATE INDEX fileshares_ws ON fileshares(ws_id);
CREATE TABLE fileshare_grants(fileshare_id TEXT NOT NULL, kind TEXT NOT NULL, grantee TEXT NOT NULL,
    capability TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY(fileshare_id, kind, grantee));
"#,
    r#"
CREATE TABLE comments(id TEXT PRIMARY KEY, profile_type TEXT NOT NULL, profile_id TEXT NOT NULL,
    node_id TEXT NOT NULL, parent_id TEXT, body TEXT NOT NULL, reference TEXT, properties TEXT,
    author TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE INDEX comments_profile ON comments(profile_type, profile_id, node_id);
CREATE TABLE comment_reactions(comment_id TEXT NOT NULL, user_id TEXT NOT NULL, emoji TEXT NOT NULL,
    PRIMARY KEY(comment_id, user_id));
CREATE TABLE comment_attachments(comment_id TEXT NOT NULL, target_id TEXT NOT NULL,
    PRIMARY KEY(comment_id, target_id));
CREATE TABLE members(entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, user_id TEXT NOT NULL,
    permissions TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY(entity_type, entity_id, user_id));
CREATE TABLE invitations(id TEXT PRIMARY KEY, entity_type TEXT NOT NULL, entity_id TEXT NOT NULL,
    email TEXT NOT NULL, permissions TEXT NOT NULL, state TEXT NOT NULL, key TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL);
"#,
    r#"
CREATE TABLE metadata_templates(id TEXT PRIMARY KEY, ws_id TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL, category TEXT NOT NULL, fields TEXT NOT NULL, enabled INTEGER NOT NULL,
    priority INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE metadata_assignments(template_id TEXT NOT NULL, node_id TEXT NOT NULL,
    PRIMARY KEY(template_id, node_id));
CREATE TABLE metadata_values(node_id TEXT NOT NULL, template_id TEXT NOT NULL, key TEXT NOT NULL,
    value TEXT NOT NULL, PRIMARY KEY(node_id, template_id, key));
"#,
];

/// The files SQLite keeps beside the database in WAL mode.
const SIDE_FILES: [&str; 2] = ["-wal", "-shm"];

pub fn open(path: &Path) -> std::io::Result<Connection> {
    // The database holds API keys and webhook secrets: it is created 0600 before SQLite opens
    // it. SQLite creates `-wal` and `-shm` with the database file's own mode, so they follow;
    // ones left by an earlier start with wider modes are tightened here.
    private::secret_file(path)?;
    tighten_side_files(path)?;
    let conn = connect(path).map_err(std::io::Error::other)?;
    tighten_side_files(path)?;
    Ok(conn)
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn tighten_side_files(db: &Path) -> std::io::Result<()> {
    for suffix in SIDE_FILES {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        private::tighten_existing(&PathBuf::from(name))?;
    }
    Ok(())
}

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}
