//! The build history behind the health page: one row per build that asked
//! any feed (`builds`), and one per feed and build (`feed_builds`) with what
//! happened (ok, not modified, failed, gone, skipped), the HTTP status, the
//! response time and how many entries were new. Builds that asked nothing
//! (`--offline` over HTTP feeds, `serve --offline`) are not recorded: they
//! observed nothing; a build at the same `now` as the last one updates it
//! rather than adding one. The history is bounded: a build goes once it is neither
//! among the newest [`KEEP_BUILDS`] nor younger than [`KEEP_DAYS`] days, in
//! the same transaction as the build that pushes it out.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};

use super::columns::from_ts;
use super::{Store, StoreError};
use crate::entry::FeedId;
use crate::ingest::FeedUpdate;

/// The newest builds always kept.
pub const KEEP_BUILDS: i64 = 90;
/// Builds younger than this many days are kept too, however many.
pub const KEEP_DAYS: i64 = 90;

/// What one build did with one feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Fetched and read.
    Ok,
    /// 304: nothing new, the feed is fine.
    NotModified,
    /// Could not be fetched or read.
    Failed,
    /// 410 Gone.
    Gone,
    /// Not asked in this build (disabled, gone earlier, or Retry-After).
    Skipped,
}

impl Attempt {
    pub fn as_str(self) -> &'static str {
        match self {
            Attempt::Ok => "ok",
            Attempt::NotModified => "not_modified",
            Attempt::Failed => "failed",
            Attempt::Gone => "gone",
            Attempt::Skipped => "skipped",
        }
    }

    fn parse(s: &str) -> Attempt {
        match s {
            "ok" => Attempt::Ok,
            "not_modified" => Attempt::NotModified,
            "gone" => Attempt::Gone,
            "skipped" => Attempt::Skipped,
            _ => Attempt::Failed,
        }
    }

    /// The feed was asked in this build.
    pub fn asked(self) -> bool {
        self != Attempt::Skipped
    }

    /// The feed was asked and did not answer with a feed.
    pub fn failed(self) -> bool {
        matches!(self, Attempt::Failed | Attempt::Gone)
    }
}

/// One feed in one build, as the history keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildCell {
    pub at: DateTime<Utc>,
    pub attempt: Attempt,
    pub http_status: Option<u16>,
    pub response_ms: Option<u32>,
    pub new_entries: u32,
}

/// The last builds, oldest first, and each feed's part in them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// When each of the builds ran, oldest first.
    pub builds: Vec<DateTime<Utc>>,
    feeds: HashMap<FeedId, Vec<Option<BuildCell>>>,
}

impl History {
    /// One cell per build in [`History::builds`]; `None` where the feed had
    /// no part in a build (it was not configured yet).
    pub fn cells(&self, id: &FeedId) -> Vec<Option<BuildCell>> {
        self.feeds
            .get(id)
            .cloned()
            .unwrap_or_else(|| vec![None; self.builds.len()])
    }
}

/// A row about to be written, built while the build's record is stored.
pub(super) struct Row {
    feed_id: FeedId,
    attempt: Attempt,
    http_status: Option<u16>,
    response_ms: Option<u32>,
    pub new_entries: u32,
}

impl Row {
    pub fn feed_id(&self) -> &FeedId {
        &self.feed_id
    }

    pub fn new(id: &FeedId, update: &FeedUpdate, elapsed: Option<Duration>) -> Row {
        let (attempt, http_status) = match update {
            FeedUpdate::Fresh { http_status, .. } => (Attempt::Ok, *http_status),
            FeedUpdate::NotModified { .. } => (Attempt::NotModified, Some(304)),
            FeedUpdate::Failed(f) if f.gone => (Attempt::Gone, f.http_status),
            FeedUpdate::Failed(f) => (Attempt::Failed, f.http_status),
            FeedUpdate::Untouched | FeedUpdate::Skipped { .. } => (Attempt::Skipped, None),
        };
        Row {
            feed_id: id.clone(),
            attempt,
            http_status,
            response_ms: elapsed
                .filter(|_| attempt.asked())
                .map(|d| d.as_millis().min(u32::MAX as u128) as u32),
            new_entries: 0,
        }
    }
}

/// Writes one build's rows, unless the build asked no feed at all.
pub(super) fn record(tx: &Transaction, now: DateTime<Utc>, rows: &[Row]) -> rusqlite::Result<()> {
    if !rows.iter().any(|r| r.attempt.asked()) {
        return Ok(());
    }
    // A build at the same `now` as the last one is that build run again
    // (a retried job with a fixed `--now`): it updates the build's rows
    // instead of adding a build, so the published site stays the same.
    let last: Option<(i64, i64)> = tx
        .query_row(
            "SELECT id, at FROM builds ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let build = match last {
        Some((id, at)) if at == now.timestamp() => id,
        _ => {
            tx.execute("INSERT INTO builds (at) VALUES (?1)", [now.timestamp()])?;
            tx.last_insert_rowid()
        }
    };
    let mut insert = tx.prepare(
        "INSERT INTO feed_builds
         (build_id, feed_id, status, http_status, response_ms, new_entries)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (build_id, feed_id) DO UPDATE SET
           status = CASE WHEN excluded.status = 'skipped' THEN status ELSE excluded.status END,
           http_status = CASE WHEN excluded.status = 'skipped' THEN http_status ELSE excluded.http_status END,
           response_ms = COALESCE(excluded.response_ms, response_ms),
           new_entries = new_entries + excluded.new_entries",
    )?;
    for r in rows {
        insert.execute(params![
            build,
            r.feed_id.as_str(),
            r.attempt.as_str(),
            r.http_status,
            r.response_ms,
            r.new_entries
        ])?;
    }
    Ok(())
}

/// Drops the builds that are neither among the newest [`KEEP_BUILDS`] nor
/// younger than [`KEEP_DAYS`] days, with their feeds' rows.
pub(super) fn prune(tx: &Transaction, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let cutoff = now.timestamp() - KEEP_DAYS * 86_400;
    let old = "SELECT id FROM builds WHERE at < ?1 AND id < (
                 SELECT COALESCE(MIN(id), 0) FROM (SELECT id FROM builds ORDER BY id DESC LIMIT ?2))";
    tx.execute(
        &format!("DELETE FROM feed_builds WHERE build_id IN ({old})"),
        params![cutoff, KEEP_BUILDS],
    )?;
    tx.execute(
        &format!("DELETE FROM builds WHERE id IN ({old})"),
        params![cutoff, KEEP_BUILDS],
    )?;
    Ok(())
}

impl Store {
    /// The last `last` recorded builds and the given feeds' part in each.
    pub fn history(&self, ids: &[FeedId], last: usize) -> Result<History, StoreError> {
        let read = || -> rusqlite::Result<History> {
            let mut stmt = self
                .conn
                .prepare("SELECT id, at FROM builds ORDER BY id DESC LIMIT ?1")?;
            let mut builds: Vec<(i64, i64)> = stmt
                .query_map([last as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            builds.reverse();
            let slot: HashMap<i64, usize> = builds
                .iter()
                .enumerate()
                .map(|(i, (id, _))| (*id, i))
                .collect();
            let mut feeds: HashMap<FeedId, Vec<Option<BuildCell>>> = ids
                .iter()
                .map(|id| (id.clone(), vec![None; builds.len()]))
                .collect();
            let Some((first, _)) = builds.first() else {
                return Ok(History::default());
            };
            let mut stmt = self.conn.prepare(
                "SELECT build_id, feed_id, status, http_status, response_ms, new_entries
                 FROM feed_builds WHERE build_id >= ?1",
            )?;
            let mut rows = stmt.query([first])?;
            while let Some(r) = rows.next()? {
                let build: i64 = r.get(0)?;
                let id = FeedId::from_stored(r.get(1)?);
                let (Some(cells), Some(&i)) = (feeds.get_mut(&id), slot.get(&build)) else {
                    continue;
                };
                cells[i] = Some(BuildCell {
                    at: from_ts(builds[i].1).unwrap_or_default(),
                    attempt: Attempt::parse(&r.get::<_, String>(2)?),
                    http_status: r.get(3)?,
                    response_ms: r.get(4)?,
                    new_entries: r.get::<_, i64>(5)?.clamp(0, u32::MAX as i64) as u32,
                });
            }
            Ok(History {
                builds: builds
                    .iter()
                    .map(|(_, at)| from_ts(*at).unwrap_or_default())
                    .collect(),
                feeds,
            })
        };
        read().map_err(|e| self.sqlite(e))
    }

    /// How many builds and feed rows the history holds (for its bound).
    pub fn history_size(&self) -> Result<(u64, u64), StoreError> {
        self.conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM builds), (SELECT COUNT(*) FROM feed_builds)",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .map_err(|e| self.sqlite(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Retention;
    use crate::ingest::{Failure, FeedRecord};
    use chrono::TimeZone;

    fn rec(id: &FeedId, update: FeedUpdate) -> FeedRecord {
        FeedRecord {
            latency: Some(Duration::from_millis(42)),
            ..crate::store::tests::rec(id, update)
        }
    }

    fn failed(status: u16) -> FeedUpdate {
        FeedUpdate::Failed(Failure {
            http_status: Some(status),
            error: format!("HTTP {status}"),
            ..Failure::default()
        })
    }

    #[test]
    fn builds_are_recorded_per_feed_and_builds_that_asked_nothing_are_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("s.db")).expect("open");
        let (a, b) = (
            FeedId::from_stored("a".into()),
            FeedId::from_stored("b".into()),
        );
        let t = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
        let not_modified = || FeedUpdate::NotModified {
            validators: Default::default(),
            moved_to: None,
        };
        let builds = [
            vec![rec(&a, not_modified()), rec(&b, failed(500))],
            vec![
                rec(&a, FeedUpdate::Untouched),
                rec(&b, FeedUpdate::Untouched),
            ],
            vec![rec(&a, failed(503)), rec(&b, FeedUpdate::Untouched)],
        ];
        for (i, records) in builds.into_iter().enumerate() {
            let now = t + chrono::Duration::hours(i as i64);
            store
                .record(now, records, &Retention::default())
                .expect("record");
        }
        let history = store.history(&[a.clone(), b.clone()], 30).expect("history");
        assert_eq!(
            history.builds.len(),
            2,
            "the build that asked nothing is not kept"
        );
        assert_eq!(history.builds[1], t + chrono::Duration::hours(2));
        let cells = history.cells(&a);
        let first = cells[0].as_ref().expect("a in build 1");
        assert_eq!(
            (first.attempt, first.http_status, first.response_ms),
            (Attempt::NotModified, Some(304), Some(42))
        );
        assert_eq!(cells[1].as_ref().map(|c| c.attempt), Some(Attempt::Failed));
        let cells = history.cells(&b);
        assert_eq!(
            cells[1].as_ref().map(|c| (c.attempt, c.response_ms)),
            Some((Attempt::Skipped, None))
        );
        assert_eq!(
            history.cells(&FeedId::from_stored("new".into())),
            vec![None, None],
            "a feed without rows gets empty cells"
        );
        assert_eq!(store.history_size().expect("size"), (2, 4));
        // The same build again (same `now`): updated, not added.
        let again = t + chrono::Duration::hours(2);
        store
            .record(
                again,
                [rec(&a, FeedUpdate::Untouched), rec(&b, failed(502))],
                &Retention::default(),
            )
            .expect("record");
        assert_eq!(store.history_size().expect("size"), (2, 4));
        let history = store.history(&[a.clone(), b.clone()], 30).expect("history");
        assert_eq!(
            history.cells(&a)[1].as_ref().map(|c| c.attempt),
            Some(Attempt::Failed),
            "a skip keeps what was seen"
        );
        assert_eq!(
            history.cells(&b)[1].as_ref().map(|c| c.http_status),
            Some(Some(502))
        );
    }

    #[test]
    fn history_stays_bounded_after_200_builds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("s.db")).expect("open");
        let ids: Vec<FeedId> = (0..5)
            .map(|i| FeedId::from_stored(format!("f{i}")))
            .collect();
        let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        // Hourly: 200 builds within 90 days, all kept ("whichever is more").
        for i in 0..200 {
            let records = ids.iter().map(|id| rec(id, failed(500)));
            store
                .record(
                    t + chrono::Duration::hours(i),
                    records,
                    &Retention::default(),
                )
                .expect("record");
        }
        assert_eq!(store.history_size().expect("size"), (200, 1000));
        // Then daily for 200 days: only the last 90 days' builds stay.
        let daily = t + chrono::Duration::days(10);
        for i in 0..200 {
            let records = ids.iter().map(|id| rec(id, failed(500)));
            store
                .record(
                    daily + chrono::Duration::days(i),
                    records,
                    &Retention::default(),
                )
                .expect("record");
        }
        let (builds, rows) = store.history_size().expect("size");
        assert_eq!(
            (builds, rows),
            (91, 91 * 5),
            "90 days of daily builds, both ends in"
        );
        let history = store.history(&ids, 1000).expect("history");
        assert_eq!(
            history.builds.last(),
            Some(&(daily + chrono::Duration::days(199)))
        );
        assert_eq!(
            history.builds.first(),
            Some(&(daily + chrono::Duration::days(109)))
        );
        // Rare builds: the newest 90 stay however old.
        let rare = daily + chrono::Duration::days(400);
        for i in 0..100 {
            store
                .record(
                    rare + chrono::Duration::days(30 * i),
                    [rec(&ids[0], failed(500))],
                    &Retention::default(),
                )
                .expect("record");
        }
        assert_eq!(store.history_size().expect("size").0, 90);
    }
}
