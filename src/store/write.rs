//! The store's writes: everything one build learned about its feeds
//! ([`FeedRecord`]s, as they arrive), the build's row in the history, and
//! retention, in one transaction; and moving feeds to new ids when their
//! URLs change.

use std::collections::HashMap;
use std::sync::mpsc::SyncSender;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, ToSql, params, params_from_iter};

use super::change::{self, Change};
use super::columns::{encode_enclosures, join_lines};
use super::{Reader, Store, StoreError, history};
use crate::config::Retention;
use crate::entry::{FeedId, WebUrl};
use crate::ingest::{FeedRecord, FeedUpdate, StoredEntries};
use crate::keys::body_hash;

impl Store {
    /// Runs `produce` with the sending end of a bounded channel and writes
    /// each [`FeedRecord`] it sends as soon as it arrives ([`Store::record`],
    /// on a thread of its own), so cleaned entries are never all held in
    /// memory at once and processing waits for a slow disk rather than
    /// piling up. A writer that fails drops its end, which tells `produce`
    /// to stop; its error is the result. `produce` reads what the store
    /// held before the build through the [`Stored`] it is given.
    ///
    /// The commit leaves the build's pages in the write-ahead log: copying
    /// them into the database (SQLite's checkpoint, which the commit would
    /// otherwise run itself) is the returned [`Checkpoint`], on a thread of
    /// its own, while the build reads on. Run by the commit, that copy took
    /// a cold build's last half second after the last feed, on one core
    /// while the others were idle.
    ///
    /// A store that holds no entry yet (a planet's first build) is written
    /// without the log: its pages go straight into the database, once, with
    /// a rollback journal that holds only the few pages that existed before
    /// (SQLite journals no page the transaction appends), and the store
    /// goes back to the log after the commit. A first build of 2,000 feeds
    /// wrote its 310 MB twice through the log, into the log and then into
    /// the database. Nothing reads the store while it is written that way
    /// (a rollback journal locks readers out): ingest gets
    /// [`Stored::Nothing`], which is what the store holds.
    pub fn record_while<T: Send>(
        &mut self,
        now: DateTime<Utc>,
        retention: &Retention,
        reader: &Reader,
        produce: impl FnOnce(SyncSender<FeedRecord>, &Stored) -> T + Send,
    ) -> Result<(T, Checkpoint), StoreError> {
        let first = self.holds_no_entries()? && self.journal_mode("delete");
        if !first {
            self.conn
                .execute_batch("PRAGMA wal_autocheckpoint = 0")
                .map_err(|e| self.sqlite(e))?;
        }
        let stored = if first {
            Stored::Nothing
        } else {
            Stored::Reader(reader)
        };
        let (send, receive) = std::sync::mpsc::sync_channel(16);
        let produced = std::thread::scope(|scope| {
            let writer = scope.spawn(|| self.record(now, receive, retention));
            let produced = produce(send, &stored);
            writer
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                .map(|()| produced)
        });
        if first {
            // Back to the log whether the build's write worked or not. A
            // store left in rollback mode is still whole and readable, and
            // the next open puts it back (`Store::open`).
            let _ = self.journal_mode("wal");
            return Ok((produced?, Checkpoint(None)));
        }
        Ok((produced?, Checkpoint::start(self.path.clone())))
    }

    /// True when the store holds no entry at all.
    fn holds_no_entries(&self) -> Result<bool, StoreError> {
        self.conn
            .query_row("SELECT NOT EXISTS (SELECT 1 FROM entries)", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.sqlite(e))
    }

    /// Sets SQLite's journal mode (`delete` or `wal`); false when SQLite
    /// kept the one it had, as it does while another connection reads the
    /// database (a failure that matters shows in the writes that follow).
    fn journal_mode(&self, mode: &str) -> bool {
        self.conn
            .query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| {
                r.get::<_, String>(0)
            })
            .is_ok_and(|now| now.eq_ignore_ascii_case(mode))
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
        // (index in `attempts`, entry id) of every entry inserted older
        // than retention's age limit (only those can be pruned at once): the
        // history counts those that retention keeps.
        let mut prunable: Vec<(usize, String)> = Vec::new();
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
                     body_hash, categories, enclosures, content_hash, body_bytes, first_seen,
                     sort_date, raw_hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                )
                .map_err(err)?;
            let mut update_entry = tx
                .prepare(
                    "UPDATE entries SET title = ?3, link = ?4, author = ?5, published = ?6, updated = ?7,
                     body_hash = ?8, categories = ?9, enclosures = ?10, content_hash = ?11,
                     body_bytes = ?12
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
                            let stored: Option<String> = existing
                                .query_row(params![id.as_str(), e.id], |r| r.get(0))
                                .optional()
                                .map_err(err)?;
                            let change = change::decide(
                                stored.as_deref(),
                                e,
                                now,
                                *date_policy,
                                *future_dates,
                            );
                            let categories = e.categories.join("\n");
                            let enclosures = encode_enclosures(&e.enclosures);
                            let published = e.published.map(|d| d.timestamp());
                            let updated = e.updated.map(|d| d.timestamp());
                            let (feed, link, body) = (
                                id.as_str(),
                                e.link.as_ref().map(WebUrl::as_str),
                                body_hash(e.body.as_str()),
                            );
                            let body_bytes = e.body.as_str().len() as i64;
                            // ?1 to ?12 of both the insert and the update.
                            let content: [&dyn ToSql; 12] = [
                                &feed,
                                &e.id,
                                &e.title,
                                &link,
                                &e.author,
                                &published,
                                &updated,
                                &body,
                                &categories,
                                &enclosures,
                                &e.content_hash,
                                &body_bytes,
                            ];
                            match change {
                                Change::Ignore => {}
                                Change::Insert { sort_date } => {
                                    let (first_seen, sort_date) =
                                        (now.timestamp(), sort_date.timestamp());
                                    let also: [&dyn ToSql; 3] =
                                        [&first_seen, &sort_date, &e.raw_hash];
                                    insert_entry
                                        .execute(params_from_iter(
                                            content.iter().chain(also.iter()),
                                        ))
                                        .map_err(err)?;
                                    put_body
                                        .execute(params![id.as_str(), e.id, e.body.as_str()])
                                        .map_err(err)?;
                                    row.new_entries += 1;
                                    if sort_date < retention_cutoff(now, retention) {
                                        prunable.push((attempts.len(), e.id.clone()));
                                    }
                                }
                                Change::Update => {
                                    update_entry
                                        .execute(params_from_iter(content.iter()))
                                        .map_err(err)?;
                                    put_body
                                        .execute(params![id.as_str(), e.id, e.body.as_str()])
                                        .map_err(err)?;
                                    touch_entry
                                        .execute(params![id.as_str(), e.id, e.raw_hash])
                                        .map_err(err)?;
                                }
                                Change::Touch => {
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
        prune(&tx, now, &configured, retention).map_err(err)?;
        // An entry older than retention allows, beyond a feed's newest
        // `min_per_feed`, is inserted and pruned again on every build: it
        // is not new to anyone, and counting it would make a rerun with
        // the same `--now` publish a different history.
        {
            let mut kept = tx
                .prepare(
                    "SELECT EXISTS (SELECT 1 FROM entries WHERE feed_id = ?1 AND entry_id = ?2)",
                )
                .map_err(err)?;
            for (at, entry_id) in &prunable {
                let Some(row) = attempts.get_mut(*at) else {
                    continue;
                };
                let exists: bool = kept
                    .query_row(params![row.feed_id().as_str(), entry_id], |r| r.get(0))
                    .map_err(err)?;
                if !exists {
                    row.new_entries -= 1;
                }
            }
        }
        history::record(&tx, now, &attempts).map_err(err)?;
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
}

/// Entries whose sort date is before this (a Unix time) are old enough for
/// retention to prune.
fn retention_cutoff(now: DateTime<Utc>, retention: &Retention) -> i64 {
    now.timestamp() - i64::from(retention.max_age_days) * 86_400
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
    let cutoff = retention_cutoff(now, retention);
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

/// What ingest reads of the store while a build writes it: the stored
/// entries through a [`Reader`], or, for a store that holds none and is
/// being written without its log, nothing (without asking SQLite, which
/// would lock the reader out).
pub enum Stored<'a> {
    Nothing,
    Reader(&'a Reader),
}

impl StoredEntries for Stored<'_> {
    type Error = StoreError;

    fn raw_hashes(&self, feed: &FeedId) -> Result<HashMap<String, String>, StoreError> {
        match self {
            Stored::Nothing => Ok(HashMap::new()),
            Stored::Reader(reader) => reader.raw_hashes(feed),
        }
    }
}

/// The copy of a build's pages from the write-ahead log into the database,
/// running on a thread of its own (a passive checkpoint: it never blocks
/// a reader, and readers go on seeing the same data). Dropping it waits
/// for the copy to end, so a build that stops early never leaves it
/// running.
pub struct Checkpoint(Option<std::thread::JoinHandle<()>>);

impl Checkpoint {
    fn start(path: std::path::PathBuf) -> Checkpoint {
        Checkpoint(Some(std::thread::spawn(move || {
            // A checkpoint that fails or stops short loses nothing: the log
            // stays valid, and closing the store's last connection copies
            // what is left (as the commit's automatic checkpoint, whose
            // failures SQLite also ignores, did before).
            if let Ok(conn) = rusqlite::Connection::open(&path) {
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
            }
        })))
    }

    /// Waits for the copy to end (dropping it does the waiting).
    pub fn wait(self) {}
}

impl Drop for Checkpoint {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}
