//! The planet's memory: one SQLite file (rusqlite, bundled) holding every
//! feed's last known state and every entry ever seen, with the moment it was
//! first seen.
//!
//! The schema carries a version in `PRAGMA user_version` and is migrated
//! forward on open. A build's writes happen in one transaction, so a killed
//! build leaves the previous state whole. rusqlite types stay in this module;
//! callers see [`StoredEntry`], [`FeedState`] and [`StoreError`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::config::{DatePolicy, FutureDates, Retention};
use crate::entry::{CleanEntry, Enclosure, FeedId, FeedMeta, StoredEntry, WebUrl, place_in_time};
use crate::fetch::Validators;
use crate::sanitize::SafeHtml;

mod history;

pub use history::{Attempt, BuildCell, History};

/// Why the store could not be used. Fatal: without memory the timeline would lie.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the directory for the state file {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state file {}: {source}", path.display())]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("state file {} was written by a newer planetoid (schema {found}, this one knows up to {known})", path.display())]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

/// A feed's health, as of the last build that looked at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedStatus {
    /// The last fetch worked.
    Ok,
    /// The last fetch failed, but entries from an earlier success are kept.
    Stale,
    /// The last fetch failed and nothing was ever read from this feed.
    Failed,
    /// The server said 410 Gone: entries are kept, the feed is not asked again.
    Gone,
    /// Not asked in the last build (build deadline, or its host was not
    /// answering): entries are kept, it is not a failure, and it goes first
    /// on its host next build.
    Skipped,
}

impl FeedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedStatus::Ok => "ok",
            FeedStatus::Stale => "stale",
            FeedStatus::Failed => "failed",
            FeedStatus::Gone => "gone",
            FeedStatus::Skipped => "skipped",
        }
    }

    fn parse(s: &str) -> FeedStatus {
        match s {
            "ok" => FeedStatus::Ok,
            "stale" => FeedStatus::Stale,
            "gone" => FeedStatus::Gone,
            "skipped" => FeedStatus::Skipped,
            _ => FeedStatus::Failed,
        }
    }
}

/// What the store remembers about one feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedState {
    pub id: FeedId,
    pub url: String,
    pub meta: FeedMeta,
    pub status: FeedStatus,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// Entries of this feed in the store.
    pub entries: usize,
    /// Validators of the last good response, for conditional GET.
    pub validators: Validators,
    /// The server asked not to be asked again before this time.
    pub retry_after: Option<DateTime<Utc>>,
    /// Where permanent redirects (301/308) now lead.
    pub moved_to: Option<String>,
    /// A feed URL the failing page advertised (`<link rel="alternate">`).
    pub hint: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// The last attempt was answered 304 Not Modified.
    pub not_modified: bool,
    /// The encoding the last fetched document was read in.
    pub encoding: Option<String>,
    /// What was repaired to read the last fetched document (kept through
    /// 304s and failures: they describe the entries the store holds).
    pub warnings: Vec<String>,
    /// How long the feed's requests took the last time it was fetched.
    pub latency: Option<std::time::Duration>,
}

/// What this build learned about one feed, to be written in one transaction.
#[derive(Debug, Clone)]
pub enum FeedUpdate {
    /// Fetched and parsed: the feed's current metadata and entries.
    Fresh {
        meta: FeedMeta,
        entries: Vec<CleanEntry>,
        http_status: Option<u16>,
        validators: Validators,
        moved_to: Option<String>,
        /// The encoding the document was read in (`UTF-8`, `KOI8-R`, …).
        encoding: String,
        /// What was repaired and not rejected, one line each.
        warnings: Vec<String>,
    },
    /// 304: the stored entries are current.
    NotModified {
        validators: Validators,
        moved_to: Option<String>,
    },
    /// Could not be fetched or parsed; stored entries are kept.
    Failed(Failure),
    /// Not asked in this build (`reason` says why); stored entries and the
    /// failure count are kept.
    Skipped { reason: String },
    /// Not looked at in this build (offline, gone, or asked to wait); its
    /// state stays as it was.
    Untouched,
}

/// One configured feed and what this build learned about it.
#[derive(Debug, Clone)]
pub struct FeedRecord {
    pub id: FeedId,
    pub url: String,
    pub update: FeedUpdate,
    /// How entries seen for the first time are placed in time.
    pub date_policy: DatePolicy,
    pub future_dates: FutureDates,
    /// How long its requests took in this build, when any was sent.
    pub latency: Option<std::time::Duration>,
}

/// A failed attempt, as the store records it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Failure {
    pub http_status: Option<u16>,
    pub error: String,
    /// A feed URL the page advertised, when the URL served HTML.
    pub hint: Option<String>,
    /// Do not ask again before this time (from `Retry-After`).
    pub retry_after: Option<DateTime<Utc>>,
    /// 410 Gone.
    pub gone: bool,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const SCHEMA_VERSION: i64 = 8;

/// Migrations, in order; entry N brings the schema from version N to N+1.
const MIGRATIONS: &[&str] = &[
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
];

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
        .map_err(err)?;
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

    fn migrate(&mut self) -> Result<(), StoreError> {
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

    /// Writes everything one build learned, then applies the retention
    /// policy, in a single transaction. `records` lists every configured
    /// feed. A `Fresh` entry already in the store keeps its `first_seen` and
    /// `sort_date`; its content is replaced only when it really changed.
    pub fn record(
        &mut self,
        now: DateTime<Utc>,
        records: impl IntoIterator<Item = FeedRecord>,
        retention: &Retention,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let mut configured: Vec<FeedId> = Vec::new();
        let mut attempts: Vec<history::Row> = Vec::new();
        {
            let mut upsert_feed = tx
                .prepare(
                    "INSERT INTO feeds (id, url, status) VALUES (?1, ?2, 'failed')
                     ON CONFLICT(id) DO UPDATE SET url = excluded.url",
                )
                .map_err(err)?;
            let mut fresh_feed = tx
                .prepare(
                    "UPDATE feeds SET title = ?2, site_url = ?3, language = ?4, status = 'ok',
                     http_status = ?5, error = NULL, hint = NULL, retry_after = NULL,
                     consecutive_failures = 0, not_modified = 0, etag = ?7, last_modified = ?8,
                     moved_to = ?9, last_attempt = ?6, last_success = ?6, dropped_urls = ?10,
                     encoding = ?11, warnings = ?12 WHERE id = ?1",
                )
                .map_err(err)?;
            let mut unchanged_feed = tx
                .prepare(
                    "UPDATE feeds SET status = 'ok', http_status = 304, error = NULL, hint = NULL,
                     retry_after = NULL, consecutive_failures = 0, not_modified = 1,
                     etag = COALESCE(?3, etag), last_modified = COALESCE(?4, last_modified),
                     moved_to = ?5, last_attempt = ?2, last_success = ?2 WHERE id = ?1",
                )
                .map_err(err)?;
            let mut failed_feed = tx
                .prepare(
                    "UPDATE feeds SET status = CASE WHEN ?6 THEN 'gone'
                       WHEN last_success IS NULL THEN 'failed' ELSE 'stale' END,
                     http_status = ?2, error = ?3, hint = ?5, retry_after = ?7, not_modified = 0,
                     consecutive_failures = consecutive_failures + 1, last_attempt = ?4 WHERE id = ?1",
                )
                .map_err(err)?;
            let mut skipped_feed = tx
                .prepare(
                    "UPDATE feeds SET status = 'skipped', error = ?2, hint = NULL WHERE id = ?1",
                )
                .map_err(err)?;
            let mut measured = tx
                .prepare("UPDATE feeds SET latency_ms = ?2 WHERE id = ?1")
                .map_err(err)?;
            let mut existing = tx
                .prepare("SELECT content_hash FROM entries WHERE feed_id = ?1 AND entry_id = ?2")
                .map_err(err)?;
            let mut touch_entry = tx
                .prepare("UPDATE entries SET raw_hash = ?3 WHERE feed_id = ?1 AND entry_id = ?2")
                .map_err(err)?;
            let mut insert_entry = tx
                .prepare(
                    "INSERT INTO entries (feed_id, entry_id, title, link, author, published, updated,
                     body_hash, categories, enclosures, content_hash, first_seen, sort_date, raw_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .map_err(err)?;
            let mut update_entry = tx
                .prepare(
                    "UPDATE entries SET title = ?3, link = ?4, author = ?5, published = ?6, updated = ?7,
                     body_hash = ?8, categories = ?9, enclosures = ?10, content_hash = ?11
                     WHERE feed_id = ?1 AND entry_id = ?2",
                )
                .map_err(err)?;
            let mut put_body = tx
                .prepare(
                    "INSERT INTO bodies (feed_id, entry_id, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (feed_id, entry_id) DO UPDATE SET body = excluded.body",
                )
                .map_err(err)?;

            // Records may arrive while other feeds still download (a
            // channel): each is written and dropped at once.
            for record in records {
                let FeedRecord {
                    id,
                    url,
                    update,
                    date_policy,
                    future_dates,
                    latency,
                } = &record;
                configured.push(id.clone());
                let mut row = history::Row::new(id, update, *latency);
                upsert_feed
                    .execute(params![id.as_str(), url])
                    .map_err(err)?;
                if let Some(latency) = latency {
                    let ms = i64::try_from(latency.as_millis()).unwrap_or(i64::MAX);
                    measured.execute(params![id.as_str(), ms]).map_err(err)?;
                }
                match update {
                    FeedUpdate::Untouched => {}
                    FeedUpdate::Skipped { reason } => {
                        skipped_feed
                            .execute(params![id.as_str(), reason])
                            .map_err(err)?;
                    }
                    FeedUpdate::Failed(f) => {
                        failed_feed
                            .execute(params![
                                id.as_str(),
                                f.http_status,
                                f.error,
                                now.timestamp(),
                                f.hint,
                                f.gone,
                                f.retry_after.map(|d| d.timestamp())
                            ])
                            .map_err(err)?;
                    }
                    FeedUpdate::NotModified {
                        validators,
                        moved_to,
                    } => {
                        unchanged_feed
                            .execute(params![
                                id.as_str(),
                                now.timestamp(),
                                validators.etag,
                                validators.last_modified,
                                moved_to
                            ])
                            .map_err(err)?;
                    }
                    FeedUpdate::Fresh {
                        meta,
                        entries,
                        http_status,
                        validators,
                        moved_to,
                        encoding,
                        warnings,
                    } => {
                        fresh_feed
                            .execute(params![
                                id.as_str(),
                                meta.title,
                                meta.site_url.as_ref().map(WebUrl::as_str),
                                meta.language,
                                http_status,
                                now.timestamp(),
                                validators.etag,
                                validators.last_modified,
                                moved_to,
                                meta.dropped_urls as i64,
                                encoding,
                                join_lines(warnings)
                            ])
                            .map_err(err)?;
                        for e in entries {
                            let known: Option<String> = existing
                                .query_row(params![id.as_str(), e.id], |r| r.get(0))
                                .optional()
                                .map_err(err)?;
                            let categories = e.categories.join("\n");
                            let enclosures = encode_enclosures(&e.enclosures);
                            let published = e.published.map(|d| d.timestamp());
                            let updated = e.updated.map(|d| d.timestamp());
                            match known {
                                None => {
                                    let Some(sort_date) = place_in_time(
                                        e.published,
                                        e.updated,
                                        now,
                                        *date_policy,
                                        *future_dates,
                                    ) else {
                                        continue;
                                    };
                                    insert_entry
                                        .execute(params![
                                            id.as_str(),
                                            e.id,
                                            e.title,
                                            e.link.as_ref().map(WebUrl::as_str),
                                            e.author,
                                            published,
                                            updated,
                                            body_hash(e.body.as_str()),
                                            categories,
                                            enclosures,
                                            e.content_hash,
                                            now.timestamp(),
                                            sort_date.timestamp(),
                                            e.raw_hash
                                        ])
                                        .map_err(err)?;
                                    put_body
                                        .execute(params![id.as_str(), e.id, e.body.as_str()])
                                        .map_err(err)?;
                                    row.new_entries += 1;
                                }
                                Some(hash) if hash != e.content_hash => {
                                    update_entry
                                        .execute(params![
                                            id.as_str(),
                                            e.id,
                                            e.title,
                                            e.link.as_ref().map(WebUrl::as_str),
                                            e.author,
                                            published,
                                            updated,
                                            body_hash(e.body.as_str()),
                                            categories,
                                            enclosures,
                                            e.content_hash
                                        ])
                                        .map_err(err)?;
                                    put_body
                                        .execute(params![id.as_str(), e.id, e.body.as_str()])
                                        .map_err(err)?;
                                    touch_entry
                                        .execute(params![id.as_str(), e.id, e.raw_hash])
                                        .map_err(err)?;
                                }
                                // Raw change without a visible one (an
                                // `updated` bump): remember the new raw form.
                                Some(_) => {
                                    touch_entry
                                        .execute(params![id.as_str(), e.id, e.raw_hash])
                                        .map_err(err)?;
                                }
                            }
                        }
                    }
                }
                attempts.push(row);
            }
        }
        history::record(&tx, now, &attempts).map_err(err)?;
        prune(&tx, now, &configured, retention).map_err(err)?;
        history::prune(&tx, now).map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Moves feeds' history to new ids (a feed's URL changed in planet.yaml),
    /// in one transaction: entries keep their first-seen dates and places,
    /// and the recorded move is cleared. `renames`: (old id, new id, new URL).
    pub fn rename_feeds(&mut self, renames: &[(FeedId, FeedId, String)]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        for (old, new, url) in renames {
            tx.execute(
                "INSERT OR IGNORE INTO feeds (id, url, title, site_url, language, status, http_status, error,
                 last_attempt, last_success, etag, last_modified, retry_after, moved_to, hint,
                 consecutive_failures, not_modified, encoding, warnings)
                 SELECT ?2, ?3, title, site_url, language, status, http_status, error, last_attempt,
                 last_success, NULL, NULL, NULL, NULL, hint, consecutive_failures, 0, encoding, warnings
                 FROM feeds WHERE id = ?1",
                params![old.as_str(), new.as_str(), url],
            )
            .map_err(err)?;
            tx.execute(
                "UPDATE OR IGNORE entries SET feed_id = ?2 WHERE feed_id = ?1",
                params![old.as_str(), new.as_str()],
            )
            .map_err(err)?;
            tx.execute(
                "UPDATE OR IGNORE feed_builds SET feed_id = ?2 WHERE feed_id = ?1",
                params![old.as_str(), new.as_str()],
            )
            .map_err(err)?;
            tx.execute("DELETE FROM feeds WHERE id = ?1", params![old.as_str()])
                .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// The stored state of the given feeds (feeds never seen are absent).
    pub fn feed_states(&self, ids: &[FeedId]) -> Result<HashMap<FeedId, FeedState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT f.id, f.url, f.title, f.site_url, f.language, f.status, f.http_status, f.error,
                 f.last_attempt, f.last_success, (SELECT COUNT(*) FROM entries e WHERE e.feed_id = f.id),
                 f.etag, f.last_modified, f.retry_after, f.moved_to, f.hint, f.consecutive_failures,
                 f.not_modified, f.latency_ms, f.dropped_urls, f.encoding, f.warnings
                 FROM feeds f WHERE f.id = ?1",
            )
            .map_err(|e| self.sqlite(e))?;
        let mut out = HashMap::new();
        for id in ids {
            let state = stmt
                .query_row([id.as_str()], |r| {
                    Ok(FeedState {
                        id: FeedId::from_stored(r.get(0)?),
                        url: r.get(1)?,
                        meta: FeedMeta {
                            title: r.get(2)?,
                            site_url: web_url(r.get(3)?),
                            language: r.get(4)?,
                            dropped_urls: r.get::<_, i64>(19)?.max(0) as usize,
                        },
                        status: FeedStatus::parse(&r.get::<_, String>(5)?),
                        http_status: r.get(6)?,
                        error: r.get(7)?,
                        last_attempt: r.get::<_, Option<i64>>(8)?.and_then(from_ts),
                        last_success: r.get::<_, Option<i64>>(9)?.and_then(from_ts),
                        entries: r.get::<_, i64>(10)? as usize,
                        validators: Validators {
                            etag: r.get(11)?,
                            last_modified: r.get(12)?,
                        },
                        retry_after: r.get::<_, Option<i64>>(13)?.and_then(from_ts),
                        moved_to: r.get(14)?,
                        hint: r.get(15)?,
                        consecutive_failures: r.get::<_, i64>(16)?.clamp(0, u32::MAX as i64) as u32,
                        not_modified: r.get::<_, i64>(17)? != 0,
                        latency: r
                            .get::<_, Option<i64>>(18)?
                            .and_then(|ms| u64::try_from(ms).ok())
                            .map(std::time::Duration::from_millis),
                        encoding: r.get(20)?,
                        warnings: split_lines(&r.get::<_, String>(21)?),
                    })
                })
                .optional()
                .map_err(|e| self.sqlite(e))?;
            if let Some(state) = state {
                out.insert(id.clone(), state);
            }
        }
        Ok(out)
    }

    /// Every stored entry of the given feeds, newest first with the fixed
    /// tie-break (date, feed id, entry id). Bodies are read only when
    /// `with_bodies` (filters that look at the text); otherwise they stay
    /// empty and [`Store::bodies`] fetches the ones a build renders.
    pub fn entries(
        &self,
        ids: &[FeedId],
        with_bodies: bool,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let sql = if with_bodies {
            "SELECT e.feed_id, e.entry_id, title, link, author, published, updated, body_hash,
             categories, enclosures, first_seen, sort_date, b.body
             FROM entries e JOIN bodies b USING (feed_id, entry_id) WHERE e.feed_id = ?1"
        } else {
            "SELECT feed_id, entry_id, title, link, author, published, updated, body_hash,
             categories, enclosures, first_seen, sort_date, '' FROM entries WHERE feed_id = ?1"
        };
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.sqlite(e))?;
        let mut out = Vec::new();
        for id in ids {
            let rows = stmt
                .query_map([id.as_str()], |r| {
                    Ok(StoredEntry {
                        feed_id: FeedId::from_stored(r.get(0)?),
                        id: r.get(1)?,
                        title: r.get(2)?,
                        link: web_url(r.get(3)?),
                        author: r.get(4)?,
                        published: r.get::<_, Option<i64>>(5)?.and_then(from_ts),
                        updated: r.get::<_, Option<i64>>(6)?.and_then(from_ts),
                        body_hash: r.get(7)?,
                        categories: split_lines(&r.get::<_, String>(8)?),
                        enclosures: decode_enclosures(&r.get::<_, String>(9)?),
                        first_seen: from_ts(r.get(10)?).unwrap_or_default(),
                        sort_date: from_ts(r.get(11)?).unwrap_or_default(),
                        body: SafeHtml::trusted_from_store(r.get(12)?),
                        also_in: Vec::new(),
                    })
                })
                .map_err(|e| self.sqlite(e))?;
            for row in rows {
                out.push(row.map_err(|e| self.sqlite(e))?);
            }
        }
        crate::select::sort_newest_first(&mut out);
        Ok(out)
    }

    /// A reader that any thread may use: render reads the bodies of the
    /// pages it writes on every core, ingest the raw hashes of the feeds
    /// that changed.
    pub fn reader(&self) -> Reader {
        Reader {
            path: self.path.clone(),
            pool: Mutex::new(Vec::new()),
        }
    }
}

/// Reads through a pool of read-only connections, one per thread using it
/// at a time. It sees what the store held when the read began (WAL), not
/// a transaction still being written.
pub struct Reader {
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
}

impl Reader {
    fn with_conn<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let err = |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let pooled = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        let conn = match pooled {
            Some(conn) => conn,
            // Not memory-mapped: mapped pages of the whole database would
            // count in the process's resident memory once per connection.
            None => Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(err)?,
        };
        // One read transaction per call, not one lock round per row.
        let out = conn
            .execute_batch("BEGIN")
            .and_then(|()| read(&conn))
            .map_err(err);
        let _ = conn.execute_batch("COMMIT");
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(conn);
        }
        out
    }

    /// The stored bodies of `entries`, in their order (empty for an entry
    /// the store no longer has).
    pub fn bodies(&self, entries: &[&StoredEntry]) -> Result<Vec<SafeHtml>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn
                .prepare_cached("SELECT body FROM bodies WHERE feed_id = ?1 AND entry_id = ?2")?;
            entries
                .iter()
                .map(|e| {
                    stmt.query_row(params![e.feed_id.as_str(), e.id], |r| r.get::<_, String>(0))
                        .optional()
                        .map(|body| SafeHtml::trusted_from_store(body.unwrap_or_default()))
                })
                .collect()
        })
    }

    /// One feed's stored entries' raw hashes, by entry id.
    pub fn raw_hashes(&self, id: &FeedId) -> Result<HashMap<String, String>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT entry_id, raw_hash FROM entries WHERE feed_id = ?1 AND raw_hash != ''",
            )?;
            let rows = stmt.query_map([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }
}

/// What stands for a body in render keys (see `render`'s reuse of pages).
pub fn body_hash(body: &str) -> String {
    blake3::hash(body.as_bytes()).to_hex().to_string()
}

/// Retention: entries older than `max_age_days` go, except the newest
/// `min_per_feed` of each configured feed; feeds no longer configured keep
/// nothing past the age limit, and their rows go once they hold no entries.
fn prune(
    tx: &rusqlite::Transaction,
    now: DateTime<Utc>,
    configured: &[FeedId],
    retention: &Retention,
) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS configured (id TEXT PRIMARY KEY); DELETE FROM configured;",
    )?;
    {
        let mut add = tx.prepare("INSERT OR IGNORE INTO configured (id) VALUES (?1)")?;
        for id in configured {
            add.execute([id.as_str()])?;
        }
    }
    let cutoff = now.timestamp() - i64::from(retention.max_age_days) * 86_400;
    // Ranking every entry is the costly part: skip it when nothing is old
    // enough to go (one index lookup).
    let any_old: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM entries WHERE sort_date < ?1)",
        [cutoff],
        |r| r.get(0),
    )?;
    if any_old {
        tx.execute(
        "DELETE FROM entries WHERE sort_date < ?1 AND rowid NOT IN (
           SELECT rowid FROM (
             SELECT rowid, feed_id,
                    ROW_NUMBER() OVER (PARTITION BY feed_id ORDER BY sort_date DESC, entry_id) AS rank
             FROM entries)
           WHERE rank <= ?2 AND feed_id IN (SELECT id FROM configured))",
        params![cutoff, retention.min_per_feed as i64],
    )?;
    }
    tx.execute(
        "DELETE FROM feeds WHERE id NOT IN (SELECT id FROM configured)
         AND NOT EXISTS (SELECT 1 FROM entries WHERE entries.feed_id = feeds.id)",
        [],
    )?;
    tx.execute_batch("DROP TABLE configured;")
}

fn from_ts(ts: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(ts, 0)
}

/// One item a line (an item's own line breaks become spaces).
fn join_lines(items: &[String]) -> String {
    items
        .iter()
        .map(|i| i.replace(['\r', '\n'], " "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Enclosures as tab-separated lines: url, type, length.
fn encode_enclosures(list: &[Enclosure]) -> String {
    list.iter()
        .map(|e| {
            format!(
                "{}\t{}\t{}",
                e.url.as_str(),
                e.mime_type
                    .as_deref()
                    .unwrap_or("")
                    .replace(['\t', '\n'], " "),
                e.length.map(|l| l.to_string()).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Addresses are checked again on the way out: a store written by an
/// earlier planetoid, which did not check them, may hold anything. What is
/// not an absolute web address reads as absent.
fn web_url(stored: Option<String>) -> Option<WebUrl> {
    WebUrl::parse(&stored?, None)
}

fn decode_enclosures(s: &str) -> Vec<Enclosure> {
    s.lines()
        .filter_map(|line| {
            let mut parts = line.split('\t');
            let url = WebUrl::parse(parts.next()?, None)?;
            let mime_type = parts.next().filter(|t| !t.is_empty()).map(str::to_string);
            let length = parts.next().and_then(|l| l.parse().ok());
            Some(Enclosure {
                url,
                mime_type,
                length,
            })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    fn entry(id: &str, title: &str, published: Option<DateTime<Utc>>, hash: &str) -> CleanEntry {
        CleanEntry {
            id: id.into(),
            title: title.into(),
            link: Some(WebUrl::sample(&format!("https://x.example/{id}"))),
            author: None,
            published,
            updated: None,
            body: crate::sanitize::clean("<p>body</p>", None),
            categories: vec!["rust".into(), "talks".into()],
            enclosures: vec![Enclosure {
                url: WebUrl::sample("https://x.example/a.mp3"),
                mime_type: Some("audio/mpeg".into()),
                length: Some(12),
            }],
            content_hash: hash.into(),
            raw_hash: format!("raw-{hash}"),
        }
    }

    pub(super) fn rec(id: &FeedId, update: FeedUpdate) -> FeedRecord {
        FeedRecord {
            id: id.clone(),
            url: "x".into(),
            update,
            date_policy: DatePolicy::Feed,
            future_dates: FutureDates::Clamp,
            latency: None,
        }
    }

    fn fresh(entries: Vec<CleanEntry>) -> FeedUpdate {
        FeedUpdate::Fresh {
            meta: FeedMeta {
                title: Some("X".into()),
                ..FeedMeta::default()
            },
            entries,
            http_status: Some(200),
            validators: Validators {
                etag: Some("\"v1\"".into()),
                last_modified: None,
            },
            moved_to: None,
            encoding: "UTF-8".into(),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn the_last_fetchs_encoding_and_warnings_outlive_a_304_and_a_failure() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("state.db")).expect("open");
        let id = FeedId::from_source("x");
        let t = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
        let mut update = fresh(vec![entry("a", "A", Some(t), "h1")]);
        if let FeedUpdate::Fresh {
            encoding, warnings, ..
        } = &mut update
        {
            *encoding = "KOI8-R".into();
            *warnings = vec!["first\nline".into(), "second".into()];
        }
        let retention = Retention {
            max_age_days: 3650,
            min_per_feed: 10,
        };
        store
            .record(t, [rec(&id, update)], &retention)
            .expect("fresh");
        let not_modified = FeedUpdate::NotModified {
            validators: Validators::default(),
            moved_to: None,
        };
        store
            .record(t, [rec(&id, not_modified)], &retention)
            .expect("304");
        let failed = FeedUpdate::Failed(Failure {
            error: "HTTP 500".into(),
            ..Failure::default()
        });
        store
            .record(t, [rec(&id, failed)], &retention)
            .expect("failed");
        let states = store
            .feed_states(std::slice::from_ref(&id))
            .expect("states");
        let state = &states[&id];
        assert_eq!(state.encoding.as_deref(), Some("KOI8-R"));
        assert_eq!(state.warnings, ["first line", "second"]);
        store
            .record(t, [rec(&id, fresh(Vec::new()))], &retention)
            .expect("fresh again");
        let states = store
            .feed_states(std::slice::from_ref(&id))
            .expect("states");
        assert!(states[&id].warnings.is_empty(), "a clean fetch clears them");
    }

    #[test]
    fn first_seen_and_sort_date_survive_updates_and_failures_keep_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/state.db");
        let id = FeedId::from_source("x");
        let t1 = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
        let t2 = Utc.with_ymd_and_hms(2025, 1, 11, 0, 0, 0).unwrap();
        let future = Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap();
        {
            let mut store = Store::open(&path).expect("open");
            store
                .record(
                    t1,
                    vec![rec(
                        &id,
                        fresh(vec![
                            entry("a", "A", Some(future), "h1"),
                            entry("b", "B", None, "h2"),
                        ]),
                    )],
                    &Retention::default(),
                )
                .expect("record");
        }
        let mut store = Store::open(&path).expect("reopen");
        store
            .record(
                t2,
                vec![rec(
                    &id,
                    fresh(vec![entry("a", "A edited", Some(t2), "h3")]),
                )],
                &Retention::default(),
            )
            .expect("record");
        let entries = store
            .entries(std::slice::from_ref(&id), true)
            .expect("entries");
        assert_eq!(entries.len(), 2, "entries that left the feed stay");
        let a = entries.iter().find(|e| e.id == "a").expect("a");
        assert_eq!(a.title, "A edited");
        assert_eq!(
            (a.first_seen, a.sort_date),
            (t1, t1),
            "future date clamped, not moved by the update"
        );
        assert_eq!(a.categories, vec!["rust", "talks"]);
        assert_eq!(a.enclosures[0].length, Some(12));

        store
            .record(
                t2,
                vec![rec(
                    &id,
                    FeedUpdate::Failed(Failure {
                        http_status: Some(500),
                        error: "HTTP 500".into(),
                        ..Failure::default()
                    }),
                )],
                &Retention::default(),
            )
            .expect("record");
        let state = &store
            .feed_states(std::slice::from_ref(&id))
            .expect("states")[&id];
        assert_eq!(state.status, FeedStatus::Stale);
        assert_eq!(state.entries, 2);
        assert_eq!(state.last_success, Some(t2));
        assert_eq!(state.error.as_deref(), Some("HTTP 500"));
        assert_eq!(state.consecutive_failures, 1);
        assert_eq!(
            state.validators.etag.as_deref(),
            Some("\"v1\""),
            "validators survive a failure"
        );

        let t3 = t2 + chrono::Duration::hours(1);
        store
            .record(
                t3,
                vec![rec(
                    &id,
                    FeedUpdate::NotModified {
                        validators: Validators::default(),
                        moved_to: Some("https://new.example/feed".into()),
                    },
                )],
                &Retention::default(),
            )
            .expect("record");
        let state = &store
            .feed_states(std::slice::from_ref(&id))
            .expect("states")[&id];
        assert_eq!(
            (state.status, state.not_modified, state.consecutive_failures),
            (FeedStatus::Ok, true, 0)
        );
        assert_eq!(state.last_success, Some(t3));
        assert_eq!(
            state.validators.etag.as_deref(),
            Some("\"v1\""),
            "a 304 without validators keeps the old ones"
        );
        assert_eq!(state.moved_to.as_deref(), Some("https://new.example/feed"));

        store
            .record(
                t3,
                vec![rec(
                    &id,
                    FeedUpdate::Failed(Failure {
                        http_status: Some(410),
                        error: "gone".into(),
                        gone: true,
                        ..Failure::default()
                    }),
                )],
                &Retention::default(),
            )
            .expect("record");
        let state = &store
            .feed_states(std::slice::from_ref(&id))
            .expect("states")[&id];
        assert_eq!((state.status, state.entries), (FeedStatus::Gone, 2));
    }

    #[test]
    fn a_skipped_feed_keeps_entries_and_failure_count_and_latency_is_remembered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("s.db")).expect("open");
        let id = FeedId::from_stored("f".into());
        let t1 = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
        let t2 = t1 + chrono::Duration::hours(1);
        let mut first = rec(&id, fresh(vec![entry("a", "A", Some(t1), "h1")]));
        first.latency = Some(std::time::Duration::from_millis(420));
        let failed = rec(
            &id,
            FeedUpdate::Failed(Failure {
                error: "HTTP 500".into(),
                ..Failure::default()
            }),
        );
        store
            .record(t1, [first, failed], &Retention::default())
            .expect("record");
        let skipped = rec(
            &id,
            FeedUpdate::Skipped {
                reason: "build deadline: host x.example had 3 feeds waiting".into(),
            },
        );
        store
            .record(t2, [skipped], &Retention::default())
            .expect("record");
        let state = &store
            .feed_states(std::slice::from_ref(&id))
            .expect("states")[&id];
        assert_eq!(state.status, FeedStatus::Skipped);
        assert_eq!(
            state.error.as_deref(),
            Some("build deadline: host x.example had 3 feeds waiting")
        );
        assert_eq!(
            (
                state.entries,
                state.consecutive_failures,
                state.last_attempt
            ),
            (1, 1, Some(t1)),
            "entries, failure count and last attempt stay as they were"
        );
        assert_eq!(
            state.latency,
            Some(std::time::Duration::from_millis(420)),
            "a record without a measurement keeps the last one"
        );
    }

    #[test]
    fn a_version_1_store_is_migrated_and_keeps_its_entries() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.db");
        let conn = Connection::open(&path).expect("open");
        conn.execute_batch(MIGRATIONS[0]).expect("v1 schema");
        conn.execute_batch(
            "PRAGMA user_version = 1;
             INSERT INTO feeds (id, url, status, last_success) VALUES ('f1', 'https://a.example/f', 'ok', 1700000000);
             INSERT INTO entries VALUES ('f1', 'e1', 'T', NULL, NULL, NULL, NULL, '<p>b</p>', '', '', 'h', 1700000000, 1700000000);",
        )
        .expect("v1 data");
        drop(conn);
        let store = Store::open(&path).expect("migrates");
        let id = FeedId::from_stored("f1".into());
        let state = &store
            .feed_states(std::slice::from_ref(&id))
            .expect("states")[&id];
        assert_eq!(
            (
                state.entries,
                state.consecutive_failures,
                state.not_modified
            ),
            (1, 0, false)
        );
        let full = store
            .entries(std::slice::from_ref(&id), true)
            .expect("entries");
        assert_eq!(
            (full[0].title.as_str(), full[0].body.as_str()),
            ("T", "<p>b</p>")
        );
        // v4: bodies live apart; the old content hash stands for the body.
        let light = store.entries(&[id], false).expect("entries");
        assert_eq!(
            (light[0].body.as_str(), light[0].body_hash.as_str()),
            ("", "v3:h")
        );
        let bodies = store.reader().bodies(&[&light[0]]).expect("bodies");
        assert_eq!(bodies[0].as_str(), "<p>b</p>");
    }

    #[test]
    fn bodies_follow_their_entries_out_of_the_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("s.db")).expect("open");
        let id = FeedId::from_stored("f".into());
        let now = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
        let old = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
        let update = fresh(vec![
            entry("a", "A", Some(now), "h1"),
            entry("b", "B", Some(old), "h2"),
        ]);
        let retention = Retention {
            max_age_days: 30,
            min_per_feed: 1,
        };
        store
            .record(now, [rec(&id, update)], &retention)
            .expect("record");
        let kept = store
            .entries(std::slice::from_ref(&id), false)
            .expect("entries");
        assert_eq!(kept.len(), 1, "the old entry is pruned");
        assert_eq!(kept[0].body_hash, body_hash("<p>body</p>"));
        let orphans: i64 = store
            .conn
            .query_row(
                "SELECT COUNT(*) FROM bodies WHERE entry_id NOT IN (SELECT entry_id FROM entries)",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(orphans, 0, "a pruned entry's body goes with it");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.db");
        drop(Store::open(&path).expect("open"));
        Connection::open(&path)
            .and_then(|c| c.execute_batch("PRAGMA user_version = 99"))
            .expect("bump");
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
