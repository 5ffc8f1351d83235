use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

use super::schema::MIGRATIONS;
use super::*;
use crate::config::Retention;
use crate::entry::{
    CleanEntry, DatePolicy, Enclosure, FeedId, FeedMeta, FutureDates, StoredEntry, WebUrl,
};
use crate::feed_state::{FeedState, FeedStatus};
use crate::fetch::Validators;
use crate::ingest::{Failure, FeedRecord, FeedUpdate, StoredEntries};
use crate::keys::body_hash;

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

/// Records one update of feed `id` at `at` and reads its state back.
fn record_one(store: &mut Store, at: DateTime<Utc>, id: &FeedId, update: FeedUpdate) -> FeedState {
    store
        .record(at, vec![rec(id, update)], &Retention::default())
        .expect("record");
    store
        .feed_states(std::slice::from_ref(id))
        .expect("states")
        .remove(id)
        .expect("a state")
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

    let state = &record_one(
        &mut store,
        t2,
        &id,
        FeedUpdate::Failed(Failure {
            http_status: Some(500),
            error: "HTTP 500".into(),
            ..Failure::default()
        }),
    );
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
    let state = &record_one(
        &mut store,
        t3,
        &id,
        FeedUpdate::NotModified {
            validators: Validators::default(),
            moved_to: Some("https://new.example/feed".into()),
        },
    );
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

    let state = &record_one(
        &mut store,
        t3,
        &id,
        FeedUpdate::Failed(Failure {
            http_status: Some(410),
            error: "gone".into(),
            gone: true,
            ..Failure::default()
        }),
    );
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
    // v9: each body's size is known without reading it.
    assert_eq!((light[0].body_bytes, full[0].body_bytes), (8, 8));
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

#[test]
fn an_entry_retention_prunes_at_once_is_not_counted_new_and_a_rerun_publishes_the_same_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("s.db")).expect("open");
    let id = FeedId::from_stored("f".into());
    let now = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
    let old = Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap();
    let older = Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap();
    let retention = Retention {
        max_age_days: 30,
        min_per_feed: 2,
    };
    let update = || {
        fresh(vec![
            entry("a", "A", Some(now), "h1"),
            entry("b", "B", Some(old), "h2"),
            entry("c", "C", Some(older), "h3"),
        ])
    };
    let new_entries = |store: &Store| {
        store
            .history(std::slice::from_ref(&id), 5)
            .expect("history")
            .cells(&id)[0]
            .as_ref()
            .expect("a cell")
            .new_entries
    };
    store
        .record(now, [rec(&id, update())], &retention)
        .expect("record");
    assert_eq!(
        new_entries(&store),
        2,
        "c is the third entry and too old: inserted and pruned, not new"
    );
    // The same build again (a retried job with a fixed `--now`).
    store
        .record(now, [rec(&id, update())], &retention)
        .expect("record");
    assert_eq!(new_entries(&store), 2, "c is still not new");
}

#[test]
fn the_build_commit_leaves_its_pages_to_the_checkpoint_behind_it_and_loses_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    let mut store = Store::open(&path).expect("open");
    let id = FeedId::from_stored("f".into());
    let now = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
    let entries = (0..200)
        .map(|i| {
            entry(
                &format!("e{i}"),
                &format!("T{i}"),
                Some(now),
                &format!("h{i}"),
            )
        })
        .collect();
    // A store that holds an entry already: its builds write through the log.
    let before = FeedId::from_stored("before".into());
    record_one(
        &mut store,
        now,
        &before,
        fresh(vec![entry("b", "B", Some(now), "hb")]),
    );
    let reader = store.reader();
    let (sent, checkpoint) = store
        .record_while(now, &Retention::default(), &reader, |records, stored| {
            assert!(matches!(stored, Stored::Reader(_)), "reads what is stored");
            records.send(rec(&id, fresh(entries))).is_ok()
        })
        .expect("record");
    assert!(sent);
    // The commit leaves copying the log into the database to the checkpoint.
    let autocheckpoint: i64 = store
        .conn
        .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(autocheckpoint, 0);
    checkpoint.wait();
    // Every page is in the database file itself now, not only in the log.
    let pages: i64 = store
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("page count");
    let page_size: i64 = store
        .conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .expect("page size");
    assert!(pages > 10, "200 entries take more than 10 pages: {pages}");
    let on_disk = std::fs::metadata(&path).expect("database file").len();
    assert_eq!(
        on_disk,
        u64::try_from(pages * page_size).expect("positive"),
        "the checkpoint behind the build copied the log into the database"
    );
    drop(store);
    let store = Store::open(&path).expect("reopen");
    let kept = store
        .entries(std::slice::from_ref(&id), false)
        .expect("entries");
    assert_eq!(kept.len(), 200);
}

#[test]
fn a_planets_entries_read_on_two_connections_come_out_as_read_feed_by_feed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("s.db")).expect("open");
    let now = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
    let ids: Vec<FeedId> = (0..150)
        .map(|i| FeedId::from_stored(format!("f{i:03}")))
        .collect();
    // Feeds share their dates four by four, across the middle too: equal
    // dates are ordered by feed, whichever connection read them.
    let records: Vec<FeedRecord> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let day = i64::try_from(i / 4).expect("small");
            let entries = (0..3)
                .map(|n| {
                    let at = now - chrono::Duration::hours(day * 3 + n);
                    entry(&format!("{i}-{n}"), "T", Some(at), &format!("h{i}-{n}"))
                })
                .collect();
            rec(id, fresh(entries))
        })
        .collect();
    store
        .record(now, records, &Retention::default())
        .expect("record");
    let both = store.entries(&ids, true).expect("entries");
    // Ten feeds at a time is too few to split: one connection each.
    let mut one_by_one: Vec<StoredEntry> = ids
        .chunks(10)
        .flat_map(|chunk| store.entries(chunk, true).expect("entries"))
        .collect();
    crate::select::sort_newest_first(&mut one_by_one);
    assert_eq!(both.len(), 450);
    assert_eq!(both, one_by_one);
}

/// The journal mode SQLite has for `store` now.
fn journal_mode(store: &Store) -> String {
    store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal mode")
}

#[test]
fn a_first_build_writes_without_the_log_and_leaves_the_store_on_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    let mut store = Store::open(&path).expect("open");
    assert_eq!(journal_mode(&store), "wal");
    let id = FeedId::from_stored("f".into());
    let now = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
    let entries: Vec<CleanEntry> = (0..200)
        .map(|i| entry(&format!("e{i}"), "T", Some(now), &format!("h{i}")))
        .collect();
    let reader = store.reader();
    let wal = dir.path().join("s.db-wal");
    let ((sent, log_while_writing), checkpoint) = store
        .record_while(now, &Retention::default(), &reader, |records, stored| {
            // Nothing stored, and nothing asked of SQLite to learn it.
            assert!(matches!(stored, Stored::Nothing));
            assert!(stored.raw_hashes(&id).expect("no read to fail").is_empty());
            let sent = records.send(rec(&id, fresh(entries))).is_ok();
            (sent, wal.exists())
        })
        .expect("record");
    assert!(sent);
    assert!(!log_while_writing, "no log while the first build writes");
    drop(checkpoint);
    assert_eq!(journal_mode(&store), "wal", "back on the log after it");
    assert!(
        !dir.path().join("s.db-journal").exists(),
        "the rollback journal went with the commit"
    );
    assert_eq!(
        store
            .entries(std::slice::from_ref(&id), false)
            .expect("entries")
            .len(),
        200
    );
    // The next build holds entries: it writes through the log, and the
    // readers see what the first build wrote.
    let reader = store.reader();
    let (hashes, _) = store
        .record_while(now, &Retention::default(), &reader, |_records, stored| {
            assert!(matches!(stored, Stored::Reader(_)));
            stored.raw_hashes(&id).expect("raw hashes").len()
        })
        .expect("record");
    assert_eq!(hashes, 200);
    assert_eq!(journal_mode(&store), "wal");
}

#[test]
fn a_first_build_while_another_connection_reads_the_store_goes_through_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    let mut store = Store::open(&path).expect("open");
    // Someone else (`planetoid report`, say) in the middle of a read.
    let other = Connection::open(&path).expect("other");
    other
        .execute_batch("BEGIN; SELECT count(*) FROM entries;")
        .expect("read");
    let reader = store.reader();
    let now = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
    let id = FeedId::from_stored("f".into());
    let (stored_was_read, _) = store
        .record_while(now, &Retention::default(), &reader, |records, stored| {
            let _ = records.send(rec(&id, fresh(vec![entry("e", "T", Some(now), "h")])));
            matches!(stored, Stored::Reader(_))
        })
        .expect("record");
    assert!(
        stored_was_read,
        "the store stayed on the log: readers may read"
    );
    assert_eq!(journal_mode(&store), "wal");
    other.execute_batch("COMMIT").expect("end the read");
    assert_eq!(
        store
            .entries(std::slice::from_ref(&id), false)
            .expect("entries")
            .len(),
        1
    );
}

#[test]
fn a_store_locked_by_a_first_build_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    drop(Store::open(&path).expect("create"));
    // What a first build holds while it writes without the log.
    let writer = Connection::open(&path).expect("writer");
    writer
        .execute_batch("PRAGMA journal_mode = DELETE; BEGIN EXCLUSIVE;")
        .expect("lock");
    match Store::open(&path) {
        Err(StoreError::Busy { path: named, .. }) => assert_eq!(named, path),
        other => panic!("expected Busy, got {:?}", other.err()),
    }
    writer.execute_batch("COMMIT").expect("unlock");
    drop(writer);
    Store::open(&path).expect("open once the build is over");
}
