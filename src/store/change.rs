//! What writing one incoming entry does to the store, decided without
//! SQLite: a new entry is placed in time once (or not stored at all), a
//! stored one keeps its place and has its content replaced only when what
//! it shows changed. The writer applies the decision.

use chrono::{DateTime, Utc};

use crate::entry::{CleanEntry, DatePolicy, FutureDates, place_in_time};

/// What to do with one incoming entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    /// New: stored, first seen now, at this place in the timeline.
    Insert { sort_date: DateTime<Utc> },
    /// New, but its feed drops entries dated in the future: not stored.
    Ignore,
    /// Stored, and what it shows changed: its content and raw hash are
    /// replaced; its first-seen time and place stay.
    Update,
    /// Stored, and only its raw form changed (an `updated` bump): the raw
    /// hash is remembered, nothing else.
    Touch,
}

/// Decides for `entry`, given the content hash the store holds for its id
/// (`None`: not stored). `now`, `date_policy` and `future_dates` place a new
/// entry in time.
pub(super) fn decide(
    stored: Option<&str>,
    entry: &CleanEntry,
    now: DateTime<Utc>,
    date_policy: DatePolicy,
    future_dates: FutureDates,
) -> Change {
    match stored {
        None => match place_in_time(
            entry.published,
            entry.updated,
            now,
            date_policy,
            future_dates,
        ) {
            Some(sort_date) => Change::Insert { sort_date },
            None => Change::Ignore,
        },
        Some(hash) if hash != entry.content_hash => Change::Update,
        Some(_) => Change::Touch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap()
    }

    fn entry(published: Option<DateTime<Utc>>, content_hash: &str) -> CleanEntry {
        CleanEntry {
            id: "e".into(),
            title: "T".into(),
            link: None,
            author: None,
            published,
            updated: None,
            body: crate::sanitize::SafeHtml::default(),
            categories: Vec::new(),
            enclosures: Vec::new(),
            content_hash: content_hash.into(),
            raw_hash: "raw".into(),
        }
    }

    fn feed(stored: Option<&str>, entry: &CleanEntry, future: FutureDates) -> Change {
        decide(stored, entry, now(), DatePolicy::Feed, future)
    }

    #[test]
    fn a_new_entry_is_inserted_at_its_date_and_future_dates_follow_the_policy() {
        let past = Utc.with_ymd_and_hms(2024, 12, 1, 0, 0, 0).unwrap();
        let future = Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            feed(None, &entry(Some(past), "h"), FutureDates::Clamp),
            Change::Insert { sort_date: past }
        );
        assert_eq!(
            feed(None, &entry(None, "h"), FutureDates::Clamp),
            Change::Insert { sort_date: now() },
            "undated: first seen"
        );
        let ahead = entry(Some(future), "h");
        assert_eq!(
            feed(None, &ahead, FutureDates::Clamp),
            Change::Insert { sort_date: now() }
        );
        assert_eq!(
            feed(None, &ahead, FutureDates::HideUntilDue),
            Change::Insert { sort_date: future }
        );
        assert_eq!(feed(None, &ahead, FutureDates::Drop), Change::Ignore);
        assert_eq!(
            decide(
                None,
                &entry(Some(past), "h"),
                now(),
                DatePolicy::FirstSeen,
                FutureDates::Clamp
            ),
            Change::Insert { sort_date: now() },
            "first-seen policy ignores the feed's date"
        );
    }

    #[test]
    fn a_stored_entry_is_updated_only_when_what_it_shows_changed() {
        let e = entry(None, "h1");
        assert_eq!(feed(Some("h1"), &e, FutureDates::Clamp), Change::Touch);
        assert_eq!(feed(Some("h0"), &e, FutureDates::Clamp), Change::Update);
        let ahead = entry(
            Some(Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap()),
            "h1",
        );
        assert_eq!(
            feed(Some("h0"), &ahead, FutureDates::Drop),
            Change::Update,
            "a stored entry is not placed again"
        );
    }
}
