//! The store's schema: the migrations that bring a state file from any
//! earlier version to [`SCHEMA_VERSION`], applied in one transaction on
//! open. A state file from a newer planetoid is refused, never downgraded.

use super::{Store, StoreError};

/// One version per migration: a new migration is a new version.
const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Migrations, in order; entry N brings the schema from version N to N+1.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE feeds (
        id            TEXT PRIMARY KEY,
        url           TEXT NOT NULL,
        title         TEXT,
        site_url      TEXT,
        language      TEXT,
        status        TEXT NOT NULL,
        http_status   INTEGER,
        error         TEXT,
        last_attempt  INTEGER,
        last_success  INTEGER
    );
    CREATE TABLE entries (
        feed_id       TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        entry_id      TEXT NOT NULL,
        title         TEXT NOT NULL,
        link          TEXT,
        author        TEXT,
        published     INTEGER,
        updated       INTEGER,
        body          TEXT NOT NULL,
        categories    TEXT NOT NULL,
        enclosures    TEXT NOT NULL,
        content_hash  TEXT NOT NULL,
        first_seen    INTEGER NOT NULL,
        sort_date     INTEGER NOT NULL,
        PRIMARY KEY (feed_id, entry_id)
    );
    CREATE INDEX entries_by_date ON entries (sort_date DESC, feed_id, entry_id);
"#,
    r#"
    ALTER TABLE feeds ADD COLUMN etag TEXT;
    ALTER TABLE feeds ADD COLUMN last_modified TEXT;
    ALTER TABLE feeds ADD COLUMN retry_after INTEGER;
    ALTER TABLE feeds ADD COLUMN moved_to TEXT;
    ALTER TABLE feeds ADD COLUMN hint TEXT;
    ALTER TABLE feeds ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE feeds ADD COLUMN not_modified INTEGER NOT NULL DEFAULT 0;
"#,
    r#"
    ALTER TABLE entries ADD COLUMN raw_hash TEXT NOT NULL DEFAULT '';
"#,
    // Bodies move to their own table so the timeline (and the checks of
    // what changed) read small rows; a build that changed nothing reads no
    // body at all. `body_hash` stands for the body in render keys.
    r#"
    CREATE TABLE bodies (
        feed_id   TEXT NOT NULL,
        entry_id  TEXT NOT NULL,
        body      TEXT NOT NULL,
        PRIMARY KEY (feed_id, entry_id),
        FOREIGN KEY (feed_id, entry_id) REFERENCES entries(feed_id, entry_id)
            ON DELETE CASCADE ON UPDATE CASCADE
    );
    INSERT INTO bodies (feed_id, entry_id, body) SELECT feed_id, entry_id, body FROM entries;
    ALTER TABLE entries ADD COLUMN body_hash TEXT NOT NULL DEFAULT '';
    UPDATE entries SET body_hash = 'v3:' || content_hash;
    ALTER TABLE entries DROP COLUMN body;
"#,
    // The last observed time a feed's requests took, so the next build
    // starts the busiest hosts first.
    r#"
    ALTER TABLE feeds ADD COLUMN latency_ms INTEGER;
"#,
    // How many URL values the feed's last fetched document held that were
    // dropped, so a 304 still reports them.
    r#"
    ALTER TABLE feeds ADD COLUMN dropped_urls INTEGER NOT NULL DEFAULT 0;
"#,
    // Build history for the health page: one row per build that asked
    // any feed, one per feed and build (see `history`).
    r#"
    CREATE TABLE builds (
        id  INTEGER PRIMARY KEY,
        at  INTEGER NOT NULL
    );
    CREATE TABLE feed_builds (
        build_id     INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
        feed_id      TEXT NOT NULL,
        status       TEXT NOT NULL,
        http_status  INTEGER,
        response_ms  INTEGER,
        new_entries  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (build_id, feed_id)
    ) WITHOUT ROWID;
"#,
    // What reading the last fetched document took (its encoding, and what
    // was repaired), so a feed answered 304 next time still shows it.
    r#"
    ALTER TABLE feeds ADD COLUMN encoding TEXT;
    ALTER TABLE feeds ADD COLUMN warnings TEXT NOT NULL DEFAULT '';
"#,
    // Each body's size in bytes, so render can tell what the archive's full
    // text will weigh without reading the bodies (`output.max_site_mb`).
    r#"
    ALTER TABLE entries ADD COLUMN body_bytes INTEGER NOT NULL DEFAULT 0;
    UPDATE entries SET body_bytes = COALESCE((SELECT length(CAST(b.body AS BLOB)) FROM bodies b
        WHERE b.feed_id = entries.feed_id AND b.entry_id = entries.entry_id), 0);
"#,
];

impl Store {
    pub(super) fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        let tx = self.conn.transaction().map_err(|e| StoreError::Sqlite {
            path: self.path.clone(),
            source: e,
        })?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)
                .and_then(|()| tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1)))
                .map_err(|source| StoreError::Sqlite {
                    path: self.path.clone(),
                    source,
                })?;
        }
        tx.commit().map_err(|e| self.sqlite(e))
    }
}
