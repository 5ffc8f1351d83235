//! The store's reads: every feed's state and the timeline's entries for
//! the build, and a [`Reader`] that any thread may use while the build's
//! transaction is still being written (render's bodies, ingest's raw
//! hashes).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::columns::{decode_enclosures, from_ts, split_lines, web_url};
use super::{Store, StoreError};
use crate::entry::{FeedId, FeedMeta, StoredEntry};
use crate::feed_state::{FeedState, FeedStatus};
use crate::fetch::Validators;
use crate::ingest::StoredEntries;
use crate::sanitize::SafeHtml;

impl Store {
    /// The stored state of the given feeds (feeds never seen are absent).
    pub fn feed_states(&self, ids: &[FeedId]) -> Result<HashMap<FeedId, FeedState>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT f.title, f.site_url, f.language, f.status, f.http_status, f.error,
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
                        meta: FeedMeta {
                            title: r.get(0)?,
                            site_url: web_url(r.get(1)?),
                            language: r.get(2)?,
                            dropped_urls: r.get::<_, i64>(17)?.max(0) as usize,
                        },
                        status: FeedStatus::parse(&r.get::<_, String>(3)?),
                        http_status: r.get(4)?,
                        error: r.get(5)?,
                        last_attempt: r.get::<_, Option<i64>>(6)?.and_then(from_ts),
                        last_success: r.get::<_, Option<i64>>(7)?.and_then(from_ts),
                        entries: r.get::<_, i64>(8)? as usize,
                        validators: Validators {
                            etag: r.get(9)?,
                            last_modified: r.get(10)?,
                        },
                        retry_after: r.get::<_, Option<i64>>(11)?.and_then(from_ts),
                        moved_to: r.get(12)?,
                        hint: r.get(13)?,
                        consecutive_failures: r.get::<_, i64>(14)?.clamp(0, u32::MAX as i64) as u32,
                        not_modified: r.get::<_, i64>(15)? != 0,
                        latency: r
                            .get::<_, Option<i64>>(16)?
                            .and_then(|ms| u64::try_from(ms).ok())
                            .map(std::time::Duration::from_millis),
                        encoding: r.get(18)?,
                        warnings: split_lines(&r.get::<_, String>(19)?),
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
    /// empty and [`Reader::bodies`] fetches the ones a build renders.
    pub fn entries(
        &self,
        ids: &[FeedId],
        with_bodies: bool,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let sql = if with_bodies {
            "SELECT e.feed_id, e.entry_id, title, link, author, published, updated, body_hash,
             categories, enclosures, first_seen, sort_date, b.body, e.body_bytes
             FROM entries e JOIN bodies b USING (feed_id, entry_id) WHERE e.feed_id = ?1"
        } else {
            "SELECT feed_id, entry_id, title, link, author, published, updated, body_hash,
             categories, enclosures, first_seen, sort_date, '', body_bytes
             FROM entries WHERE feed_id = ?1"
        };
        // Half the feeds are read beside the rest, on a connection of their
        // own: a warm build waits for these rows before anything else.
        let (mine, theirs) = ids.split_at(if ids.len() >= 64 {
            ids.len() / 2
        } else {
            ids.len()
        });
        let reader = self.reader();
        let (out, rest) = std::thread::scope(|scope| {
            let rest = (!theirs.is_empty())
                .then(|| scope.spawn(|| reader.with_conn(|conn| entries_of(conn, sql, theirs))));
            let out = entries_of(&self.conn, sql, mine).map_err(|e| self.sqlite(e));
            let rest = rest.map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            });
            (out, rest)
        });
        let mut out = out?;
        if let Some(rest) = rest {
            out.extend(rest?);
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

/// The stored entries of `ids`, feed by feed, in the order of `sql`'s rows.
fn entries_of(conn: &Connection, sql: &str, ids: &[FeedId]) -> rusqlite::Result<Vec<StoredEntry>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut out = Vec::new();
    for id in ids {
        let rows = stmt.query_map([id.as_str()], |r| {
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
                body_bytes: r.get::<_, i64>(13)?.try_into().unwrap_or(0),
                also_in: Vec::new(),
            })
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
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
}

impl StoredEntries for Reader {
    type Error = StoreError;

    fn raw_hashes(&self, feed: &FeedId) -> Result<HashMap<String, String>, StoreError> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT entry_id, raw_hash FROM entries WHERE feed_id = ?1 AND raw_hash != ''",
            )?;
            let rows = stmt.query_map([feed.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }
}
