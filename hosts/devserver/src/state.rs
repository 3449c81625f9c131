//! The state every request handler shares: configuration, the database, blob storage, the
//! account, rate and fault bookkeeping, and the webhook deliverer.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::watch;

use crate::config::Config;
use crate::faults::FaultState;
use crate::ids;
use crate::ratelimit::RateLimiter;
use crate::store::{blobs::Blobs, db, private};
use crate::sync::lock;
use crate::webhook::deliver::Deliverer;

pub struct AppState {
    pub cfg: Config,
    db: Mutex<Connection>,
    pub blobs: Blobs,
    /// The one account every key belongs to.
    pub user_id: String,
    pub default_org: String,
    configured_keys: HashSet<String>,
    /// Bumped whenever an upload session or the event log changes; long-polls wait on it.
    pub changes: watch::Sender<u64>,
    pub inflight: Mutex<HashMap<String, usize>>,
    pub rate: Mutex<RateLimiter>,
    pub faults: Mutex<FaultState>,
    pub hooks: Deliverer,
}

impl AppState {
    pub fn db(&self) -> MutexGuard<'_, Connection> {
        lock(&self.db)
    }

    pub fn notify(&self) {
        self.changes.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// True when `token` is an unexpired visitor token for share `share` (from the share's
    /// password or guest auth).
    pub(crate) fn share_access_valid(&self, token: &str, share: &str) -> bool {
        let db = self.db();
        let found: Option<String> = db
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [format!("share_access:{token}")],
                |r| r.get(0),
            )
            .optional()
            .unwrap_or(None);
        found
            .and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok())
            .is_some_and(|v| {
                v["share"] == share && v["expires"].as_i64().is_some_and(|e| e > ids::now_s())
            })
    }

    pub(crate) fn key_valid(&self, key: &str) -> bool {
        if self.configured_keys.contains(key) {
            return true;
        }
        let db = self.db();
        let found: Option<Option<String>> = db
            .query_row("SELECT expires FROM api_keys WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .unwrap_or(None);
        match found {
            None => false,
            Some(None) => true,
            Some(Some(exp)) => {
                exp.is_empty() || exp.as_str() > ids::now_iso().replace('T', " ").as_str()
            }
        }
    }
}

/// Opens the data directory and builds the state, with the first API key (configured or
/// generated).
pub(crate) fn init_state(cfg: Config) -> std::io::Result<(AppState, String)> {
    // 0700: the database in it holds the API keys and webhook secrets.
    private::data_dir(&cfg.data_dir)?;
    let blobs = Blobs::new(&cfg.data_dir)?;
    let conn = db::open(&cfg.data_dir.join("meta.sqlite3"))?;
    let (user_id, org_id) = bootstrap(&conn).map_err(std::io::Error::other)?;
    let mut keys = cfg.api_keys.clone();
    if keys.is_empty() {
        // Kept in the data directory so a restart without --api-key accepts the same key.
        let stored: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'generated_key'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(std::io::Error::other)?;
        let key = match stored {
            Some(k) => k,
            None => {
                let k = format!("dev_{}", ids::random_alnum(40));
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('generated_key', ?1)",
                    [&k],
                )
                .map_err(std::io::Error::other)?;
                k
            }
        };
        keys.push(key);
    }
    let first = keys[0].clone();
    let (changes, _) = watch::channel(0u64);
    let st = AppState {
        rate: Mutex::new(RateLimiter::new(
            cfg.rate_limit_max,
            cfg.rate_limit_window_s,
        )),
        faults: Mutex::new(FaultState::new(cfg.faults.clone(), cfg.seed)),
        hooks: Deliverer::new(cfg.webhook_scheme),
        db: Mutex::new(conn),
        blobs,
        user_id,
        default_org: org_id,
        configured_keys: keys.into_iter().collect(),
        changes,
        inflight: Mutex::new(HashMap::new()),
        cfg,
    };
    Ok((st, first))
}

/// Creates the single account and its default org on first start; reads them afterwards.
fn bootstrap(conn: &Connection) -> rusqlite::Result<(String, String)> {
    let existing: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'user_id'", [], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(u) = existing {
        let org: String = conn.query_row(
            "SELECT value FROM meta WHERE key = 'default_org'",
            [],
            |r| r.get(0),
        )?;
        return Ok((u, org));
    }
    let user = ids::profile_id();
    let org = ids::profile_id();
    let now = ids::now_ms();
    conn.execute_batch("BEGIN")?;
    conn.execute(
        "INSERT INTO users(id, email, first_name, last_name, created) VALUES (?1, 'dev@localhost', 'Dev', 'User', ?2)",
        params![user, now],
    )?;
    conn.execute(
        "INSERT INTO orgs(id, domain, name, owner_id, created) VALUES (?1, 'devserver', 'Devserver', ?2, ?3)",
        params![org, user, now],
    )?;
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('user_id', ?1), ('default_org', ?2)",
        params![user, org],
    )?;
    conn.execute_batch("COMMIT")?;
    Ok((user, org))
}
