//! The data model every stage after `parse` shares: feed ids, entries as parsed
//! (`Entry`), and entries as the store remembers them (`StoredEntry`). Nothing
//! in here knows about HTTP, XML, SQL or templates; third-party types stop at
//! their own stage and only these plain types cross stage boundaries.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::config::{DatePolicy, FutureDates};
use crate::sanitize::SafeHtml;

/// A stable, filesystem-safe identifier for a configured feed.
///
/// Derived from the URL as written in `planet.yaml` with blake3, so it is the
/// same on every machine and across planetoid releases (never `DefaultHasher`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeedId(String);

impl FeedId {
    /// The id of the feed configured with this URL (or path) string.
    pub fn from_source(source: &str) -> Self {
        let hash = blake3::hash(source.trim().as_bytes());
        FeedId(hash.to_hex()[..12].to_string())
    }

    /// Rebuilds an id read back from the store.
    pub fn from_stored(id: String) -> Self {
        FeedId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FeedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Feed-level metadata found in the document itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedMeta {
    /// The feed's own title, plain text.
    pub title: Option<String>,
    /// The site the feed belongs to (its `alternate` link), absolute.
    pub site_url: Option<String>,
    /// The feed's declared language, if any.
    pub language: Option<String>,
}

/// An enclosure (podcast audio, attached file) of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosure {
    pub url: String,
    pub mime_type: Option<String>,
    pub length: Option<u64>,
}

/// One entry as the parse stage hands it on: plain-text metadata and the raw,
/// *unsanitized* HTML body. Only `sanitize` turns `body_html` into `SafeHtml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Stable id: guid/id, else the link, else a hash of feed URL + title + date.
    pub id: String,
    /// Plain text (markup stripped, entities decoded once).
    pub title: String,
    /// Absolute URL of the post, if any.
    pub link: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Raw (untrusted) HTML of the full content, else the summary.
    pub body_html: Option<String>,
    /// Raw (untrusted) HTML of the summary, when the entry has one (it may
    /// equal `body_html` when there is no separate full content).
    pub summary_html: Option<String>,
    /// The base URL relative references in `body_html` resolve against.
    pub base_url: Option<String>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    /// The entry's language (`xml:lang` / `language`), else the feed's.
    pub language: Option<String>,
}

/// An entry after sanitizing, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanEntry {
    pub id: String,
    pub title: String,
    pub link: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub body: SafeHtml,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    /// blake3 of the visible parts, to tell a real edit from an `updated` bump.
    pub content_hash: String,
    /// blake3 of the raw parsed entry (and sanitizing policy): when a later
    /// fetch brings the same raw entry, it is not sanitized again.
    pub raw_hash: String,
}

/// An entry as the store remembers it, with its place in time decided once.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    pub feed_id: FeedId,
    pub id: String,
    pub title: String,
    pub link: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Empty when the timeline was loaded without bodies (the usual case:
    /// render fetches the bodies of the pages it writes).
    pub body: SafeHtml,
    /// Stands for the body wherever its identity matters but its text does
    /// not (render keys); empty for entries built in memory.
    pub body_hash: String,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    /// When planetoid first saw this entry.
    pub first_seen: DateTime<Utc>,
    /// The date the timeline sorts by: decided once, when the entry is
    /// first stored ([`place_in_time`]).
    pub sort_date: DateTime<Utc>,
    /// Other feeds that carried the same post (deduplicated by the timeline).
    pub also_in: Vec<FeedId>,
}

impl StoredEntry {
    /// The date shown to readers: the feed's own date when it has one that is
    /// not in the future of first sight, else when planetoid first saw it.
    pub fn display_date(&self) -> DateTime<Utc> {
        self.sort_date
    }
}

#[cfg(test)]
impl StoredEntry {
    /// A plain entry dated `date` (published, first seen and placed there),
    /// titled by its id, for tests of the stages that read the store.
    pub fn sample(feed_id: FeedId, id: &str, date: DateTime<Utc>) -> StoredEntry {
        StoredEntry {
            feed_id,
            id: id.into(),
            title: id.into(),
            link: None,
            author: None,
            published: Some(date),
            updated: None,
            body: SafeHtml::default(),
            body_hash: String::new(),
            categories: vec![],
            enclosures: vec![],
            first_seen: date,
            sort_date: date,
            also_in: vec![],
        }
    }
}

/// Decides an entry's place in time when it is first seen; `None` means
/// "do not store it yet" (a future date under `future_dates: drop`).
///
/// - `date_policy: first_seen`: the moment it was first seen.
/// - otherwise its published (else updated) date; missing → first seen;
///   in the future → first seen (`clamp`), kept (`hide_until_due`: the
///   timeline shows it once due), or not stored (`drop`).
pub fn place_in_time(
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    first_seen: DateTime<Utc>,
    date_policy: DatePolicy,
    future: FutureDates,
) -> Option<DateTime<Utc>> {
    if date_policy == DatePolicy::FirstSeen {
        return Some(first_seen);
    }
    match published.or(updated) {
        Some(date) if date <= first_seen => Some(date),
        Some(date) => match future {
            FutureDates::Clamp => Some(first_seen),
            FutureDates::HideUntilDue => Some(date),
            FutureDates::Drop => None,
        },
        None => Some(first_seen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn feed_id_is_stable_and_short() {
        let a = FeedId::from_source("https://example.org/feed.xml");
        let b = FeedId::from_source(" https://example.org/feed.xml ");
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 12);
        assert_ne!(a, FeedId::from_source("https://example.org/other.xml"));
        // Pinned: changing the derivation would orphan every stored entry.
        assert_eq!(
            FeedId::from_source("x").as_str(),
            &blake3::hash(b"x").to_hex()[..12]
        );
    }

    #[test]
    fn place_in_time_clamps_future_and_fills_missing() {
        let seen = Utc.with_ymd_and_hms(2025, 1, 10, 0, 0, 0).unwrap();
        let past = Utc.with_ymd_and_hms(2025, 1, 5, 0, 0, 0).unwrap();
        let future = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let place = |p, u, policy, future| place_in_time(p, u, seen, policy, future);
        use DatePolicy::{Feed, FirstSeen};
        use FutureDates::{Clamp, Drop, HideUntilDue};
        assert_eq!(place(Some(past), None, Feed, Clamp), Some(past));
        assert_eq!(place(None, Some(past), Feed, Clamp), Some(past));
        assert_eq!(place(Some(future), Some(past), Feed, Clamp), Some(seen));
        assert_eq!(
            place(None, None, Feed, Drop),
            Some(seen),
            "missing dates are first-seen"
        );
        assert_eq!(place(Some(future), None, Feed, HideUntilDue), Some(future));
        assert_eq!(place(Some(future), None, Feed, Drop), None);
        assert_eq!(place(Some(past), None, FirstSeen, Clamp), Some(seen));
    }
}
