//! `wfc serve`'s durable state: one SQLite file (`.wfc/serve.sqlite3` by default) holding the
//! registered task and workflow definitions and the issued access tokens, so that a restarted
//! server has everything a client gave it.
//!
//! Definitions are stored as the JSON the server answers with (already normalised by
//! [`crate::normalize`]); the handlers never see SQL. The database is in WAL mode and every write
//! is one committed transaction before the answer goes out, so a killed server loses nothing it
//! acknowledged.
//!
//! The runtime's run store (`wfc_runtime::store`) keeps runs, not definitions; this small store
//! sits next to it rather than inside it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

/// The schema version in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS task_defs (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workflow_defs (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
";

/// Why the store failed.
#[derive(Debug)]
pub enum StoreError {
    Open {
        path: PathBuf,
        message: String,
    },
    Database(rusqlite::Error),
    /// A stored definition is not JSON (the file was edited or is corrupt).
    Corrupt(String),
    NewerSchema(i64),
}

impl fmt::Display for StoreError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Open { path, message } => {
                write!(formatter, "cannot open `{}`: {message}", path.display())
            }
            StoreError::Database(error) => write!(formatter, "{error}"),
            StoreError::Corrupt(message) => write!(formatter, "a stored definition: {message}"),
            StoreError::NewerSchema(version) => write!(
                formatter,
                "the state file has schema version {version}, newer than this wfc understands ({SCHEMA_VERSION})"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Database(error)
    }
}

/// One version of a workflow definition, without its body.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionSummary {
    pub name: String,
    pub version: i64,
    pub create_time: i64,
    pub update_time: i64,
}

/// The state file. Cheap calls under one connection; callers share it behind an `Arc`.
#[derive(Debug)]
pub struct Store {
    connection: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the state file, and its directory.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_error = |message: String| StoreError::Open {
            path: path.to_path_buf(),
            message,
        };
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|error| open_error(error.to_string()))?;
        }
        let connection = Connection::open(path).map_err(|error| open_error(error.to_string()))?;
        Store::with_connection(connection)
    }

    /// A store that lives in memory only (tests).
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::with_connection(Connection::open_in_memory()?)
    }

    fn with_connection(connection: Connection) -> Result<Store, StoreError> {
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema(version));
        }
        connection.execute_batch(SCHEMA)?;
        connection.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Store {
            connection: Mutex::new(connection),
        })
    }

    fn with<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is still usable.
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        work(&connection)
    }

    // ----- task definitions ---------------------------------------------------------------

    pub fn task_def(&self, name: &str) -> Result<Option<Value>, StoreError> {
        self.with(|connection| {
            let text: Option<String> = connection
                .query_row(
                    "SELECT definition FROM task_defs WHERE name = ?1",
                    params![name],
                    |row| row.get(0),
                )
                .optional()?;
            text.map(|text| parse(&text)).transpose()
        })
    }

    /// Every task definition, by name.
    pub fn task_defs(&self) -> Result<Vec<Value>, StoreError> {
        self.with(|connection| {
            let mut statement =
                connection.prepare("SELECT definition FROM task_defs ORDER BY name")?;
            let texts = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<String>, _>>()?;
            texts.iter().map(|text| parse(text)).collect()
        })
    }

    /// Creates or replaces task definitions, all in one transaction.
    pub fn put_task_defs(&self, definitions: &[(String, Value)]) -> Result<(), StoreError> {
        self.with(|connection| {
            let transaction = connection.unchecked_transaction()?;
            for (name, definition) in definitions {
                transaction.execute(
                    "INSERT INTO task_defs (name, definition) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET definition = excluded.definition",
                    params![name, definition.to_string()],
                )?;
            }
            transaction.commit()?;
            Ok(())
        })
    }

    /// Whether a definition was removed.
    pub fn delete_task_def(&self, name: &str) -> Result<bool, StoreError> {
        self.with(|connection| {
            let removed =
                connection.execute("DELETE FROM task_defs WHERE name = ?1", params![name])?;
            Ok(removed > 0)
        })
    }

    // ----- workflow definitions -----------------------------------------------------------

    /// A version of a workflow definition, or the latest without one.
    pub fn workflow_def(
        &self,
        name: &str,
        version: Option<i64>,
    ) -> Result<Option<Value>, StoreError> {
        self.with(|connection| {
            let text: Option<String> = match version {
                Some(version) => connection
                    .query_row(
                        "SELECT definition FROM workflow_defs WHERE name = ?1 AND version = ?2",
                        params![name, version],
                        |row| row.get(0),
                    )
                    .optional()?,
                None => connection
                    .query_row(
                        "SELECT definition FROM workflow_defs WHERE name = ?1
                         ORDER BY version DESC LIMIT 1",
                        params![name],
                        |row| row.get(0),
                    )
                    .optional()?,
            };
            text.map(|text| parse(&text)).transpose()
        })
    }

    /// Every version of every workflow definition, by name then version; only the latest of each
    /// name with `latest_only`.
    pub fn workflow_defs(&self, latest_only: bool) -> Result<Vec<Value>, StoreError> {
        let query = if latest_only {
            "SELECT definition FROM workflow_defs w WHERE version =
                 (SELECT MAX(version) FROM workflow_defs v WHERE v.name = w.name)
             ORDER BY name"
        } else {
            "SELECT definition FROM workflow_defs ORDER BY name, version"
        };
        self.with(|connection| {
            let mut statement = connection.prepare(query)?;
            let texts = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<String>, _>>()?;
            texts.iter().map(|text| parse(text)).collect()
        })
    }

    /// The versions of every workflow name (or of one), with their audit times.
    pub fn workflow_versions(&self, name: Option<&str>) -> Result<Vec<VersionSummary>, StoreError> {
        self.with(|connection| {
            let mut statement = connection.prepare(
                "SELECT name, version, definition FROM workflow_defs
                 WHERE ?1 IS NULL OR name = ?1 ORDER BY name, version",
            )?;
            let rows = statement
                .query_map(params![name], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(name, version, text)| {
                    let definition = parse(&text)?;
                    let time = |key: &str| definition.get(key).and_then(Value::as_i64).unwrap_or(0);
                    Ok(VersionSummary {
                        create_time: time("createTime"),
                        update_time: time("updateTime"),
                        name,
                        version,
                    })
                })
                .collect()
        })
    }

    /// Creates or replaces workflow definitions (by name and version), all in one transaction.
    pub fn put_workflow_defs(
        &self,
        definitions: &[(String, i64, Value)],
    ) -> Result<(), StoreError> {
        self.with(|connection| {
            let transaction = connection.unchecked_transaction()?;
            for (name, version, definition) in definitions {
                transaction.execute(
                    "INSERT INTO workflow_defs (name, version, definition) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name, version) DO UPDATE SET definition = excluded.definition",
                    params![name, version, definition.to_string()],
                )?;
            }
            transaction.commit()?;
            Ok(())
        })
    }

    /// Whether a definition was removed.
    pub fn delete_workflow_def(&self, name: &str, version: i64) -> Result<bool, StoreError> {
        self.with(|connection| {
            let removed = connection.execute(
                "DELETE FROM workflow_defs WHERE name = ?1 AND version = ?2",
                params![name, version],
            )?;
            Ok(removed > 0)
        })
    }

    // ----- tokens -------------------------------------------------------------------------

    pub fn add_token(&self, token: &str, expires_at: i64) -> Result<(), StoreError> {
        self.with(|connection| {
            connection.execute(
                "INSERT OR REPLACE INTO tokens (token, expires_at) VALUES (?1, ?2)",
                params![token, expires_at],
            )?;
            Ok(())
        })
    }

    /// When a token expires (epoch milliseconds); `None` for a token never issued.
    pub fn token_expiry(&self, token: &str) -> Result<Option<i64>, StoreError> {
        self.with(|connection| {
            Ok(connection
                .query_row(
                    "SELECT expires_at FROM tokens WHERE token = ?1",
                    params![token],
                    |row| row.get(0),
                )
                .optional()?)
        })
    }

    /// Forgets tokens that expired before `before` (epoch milliseconds), keeping the table small.
    pub fn forget_tokens(&self, before: i64) -> Result<(), StoreError> {
        self.with(|connection| {
            connection.execute("DELETE FROM tokens WHERE expires_at < ?1", params![before])?;
            Ok(())
        })
    }
}

fn parse(text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn definitions_survive_reopening() -> Result<(), Box<dyn std::error::Error>> {
        let directory = tempfile::tempdir()?;
        let path = directory.path().join("state/serve.sqlite3");
        {
            let store = Store::open(&path)?;
            store.put_task_defs(&[("charge".into(), json!({"name": "charge"}))])?;
            store.put_workflow_defs(&[
                ("flow".into(), 1, json!({"name": "flow", "version": 1})),
                ("flow".into(), 2, json!({"name": "flow", "version": 2})),
            ])?;
        }
        let store = Store::open(&path)?;
        assert_eq!(store.task_def("charge")?, Some(json!({"name": "charge"})));
        assert_eq!(
            store.workflow_def("flow", None)?,
            Some(json!({"name": "flow", "version": 2}))
        );
        assert_eq!(
            store.workflow_def("flow", Some(1))?,
            Some(json!({"name": "flow", "version": 1}))
        );
        assert_eq!(store.workflow_defs(true)?.len(), 1);
        assert_eq!(store.workflow_versions(Some("flow"))?.len(), 2);
        assert!(store.delete_workflow_def("flow", 2)?);
        assert!(!store.delete_workflow_def("flow", 2)?);
        assert_eq!(
            store.workflow_def("flow", None)?,
            Some(json!({"name": "flow", "version": 1}))
        );
        Ok(())
    }
}
