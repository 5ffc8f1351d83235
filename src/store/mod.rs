//! The planet's memory: one SQLite file (rusqlite, bundled) holding every
//! feed's last known state and every entry ever seen, with the moment it was
//! first seen.
//!
//! The schema carries a version in `PRAGMA user_version` and is migrated
//! forward on open ([`schema`]). A build's writes ([`write`]: what ingest
//! learned, then retention) happen in one transaction, so a killed build
//! leaves the previous state whole; copying that transaction from SQLite's
//! write-ahead log into the database runs behind the build
//! ([`Checkpoint`]). What to do with each incoming entry is
//! decided apart from SQLite ([`change`]). Reads ([`read`]) serve the
//! timeline, the report and, from any thread, render and ingest. rusqlite
//! types stay in this module; callers see [`StoredEntry`](crate::entry::StoredEntry),
//! [`FeedState`](crate::feed_state::FeedState) and [`StoreError`].

use std::path::{Path, PathBuf};

use rusqlite::Connection;

mod change;
mod columns;
mod history;
mod read;
mod schema;
mod write;

pub use history::{Attempt, BuildCell, History};
pub use read::Reader;
pub use write::{Checkpoint, Stored};

/// Why the store could not be used. Fatal: without memory the timeline would lie.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the directory for the state file {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("state file {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("state file {} is locked by another program, most likely a planet's first build, which writes it without readers up to the end of its fetch; try again when that build is over", path.display())]
    Busy {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("state file {} was written by a newer planetoid (schema {found}, this one knows up to {known})", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the state file and migrates it forward.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let err = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )
        .map_err(|source| match source.sqlite_error_code() {
            // rusqlite waits 5 s for a lock before this.
            Some(rusqlite::ErrorCode::DatabaseBusy) => StoreError::Busy {
                path: path.to_path_buf(),
                source,
            },
            _ => err(source),
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
