//! The vocabulary every stage shares: feed ids, checked web addresses
//! (`WebUrl`), the date policies that decide an entry's place in time
//! (`DatePolicy`, `FutureDates`, [`place_in_time`]), entries as parsed
//! (`Entry`), and entries as the store remembers them (`StoredEntry`).
//! `config` reads planet.yaml into these types and every later stage uses
//! them; this module uses no other but `sanitize` (for [`SafeHtml`], the
//! proof that markup was cleaned) and knows nothing of HTTP, XML, YAML, SQL
//! or templates, so only these plain types cross stage boundaries.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

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

/// An absolute `http`/`https` URL, checked: the only form in which an
/// address taken from a feed, a host or planet.yaml reaches the models, the
/// templates and the output feeds (as [`SafeHtml`] is for markup).
///
/// [`WebUrl::parse`] is the one way to make one. It reads the text the way a
/// browser does (WHATWG: leading and trailing C0 controls and spaces
/// trimmed, tabs and newlines removed, `\` as `/`, IDN hosts to punycode),
/// resolves it against a base, and keeps it only when the result is `http`
/// or `https` with a host. The serialized form is percent-encoded, so it
/// holds no quote, space, `<` or `>`: it cannot break out of an attribute
/// even where a template forgot to escape. It serializes as a plain string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct WebUrl(String);

impl WebUrl {
    /// `raw` resolved against `base` (else taken as absolute), when that is
    /// an `http(s)` address; `None` for anything else (`javascript:`,
    /// `data:`, `file:`, `ftp:`, `mailto:`, a relative reference without a
    /// base, text that is no URL at all).
    pub fn parse(raw: &str, base: Option<&WebUrl>) -> Option<WebUrl> {
        let url = match base {
            Some(base) => Url::parse(&base.0).ok()?.join(raw).ok()?,
            None => Url::parse(raw).ok()?,
        };
        let web = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| !h.is_empty());
        web.then(|| WebUrl(url.into()))
    }

    /// A checked [`Url`] (planet.yaml's, or a feed's subscribed address).
    pub fn from_url(url: &Url) -> Option<WebUrl> {
        WebUrl::parse(url.as_str(), None)
    }

    /// `raw` resolved against this address (see [`WebUrl::parse`]).
    pub fn join(&self, raw: &str) -> Option<WebUrl> {
        WebUrl::parse(raw, Some(self))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
impl WebUrl {
    /// A URL written in a test, which must be a web address.
    pub fn sample(url: &str) -> WebUrl {
        WebUrl::parse(url, None).unwrap_or_else(|| panic!("not a web URL: {url}"))
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Feed-level metadata found in the document itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedMeta {
    /// The feed's own title, plain text.
    pub title: Option<String>,
    /// The site the feed belongs to (its `alternate` link).
    pub site_url: Option<WebUrl>,
    /// The feed's declared language, if any.
    pub language: Option<String>,
    /// URL values in the document that were not web addresses and were
    /// dropped (`javascript:`, `data:`, `file:`, junk…).
    pub dropped_urls: usize,
}

/// An enclosure (podcast audio, attached file) of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosure {
    pub url: WebUrl,
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
    /// The post's address, if it gave one that is a web address.
    pub link: Option<WebUrl>,
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
    pub link: Option<WebUrl>,
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
    pub link: Option<WebUrl>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// Empty when the timeline was loaded without bodies (the usual case:
    /// render fetches the bodies of the pages it writes).
    pub body: SafeHtml,
    /// Stands for the body wherever its identity matters but its text does
    /// not (render keys); empty for entries built in memory.
    pub body_hash: String,
    /// The body's size in bytes (known without reading it).
    pub body_bytes: u64,
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
    /// The date shown to readers: the entry's place in time, as
    /// [`place_in_time`] decided it when the entry was first stored.
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
            body_bytes: 0,
            categories: vec![],
            enclosures: vec![],
            first_seen: date,
            sort_date: date,
            also_in: vec![],
        }
    }
}

/// Which date an entry is placed at (`date_policy:` of a feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DatePolicy {
    /// The feed's published (else updated) date, never later than first seen.
    #[default]
    Feed,
    /// When planetoid first saw the entry (for feeds whose dates lie).
    FirstSeen,
}

/// What to do with an entry dated in the future when first seen
/// (`future_dates:`, planet-wide and per feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FutureDates {
    /// Place it at the moment it was first seen.
    #[default]
    Clamp,
    /// Keep its date and show it only once that date has come.
    HideUntilDue,
    /// Do not store it (it is taken when it is no longer in the future).
    Drop,
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
        assert_eq!(FeedId::from_source("x").as_str(), "3ae7d805f678");
        assert_eq!(a.as_str(), "fc78ea3f15d2");
    }

    #[test]
    fn web_urls_are_read_as_browsers_do_and_only_http_s_is_kept() {
        let base = WebUrl::parse("https://blog.example/feed/", None);
        let check = |raw: &str| WebUrl::parse(raw, base.as_ref()).map(|u| u.to_string());
        for junk in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "\u{1}\u{1f} javascript:alert(1)",
            "java\tscr\nipt:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "ftp://ftp.example/f",
            "mailto:a@example.org",
            "https://",
            "http://[::1",
        ] {
            assert_eq!(check(junk), None, "{junk:?}");
        }
        let kept = [
            ("/2025/post", "https://blog.example/2025/post"),
            ("p.html", "https://blog.example/feed/p.html"),
            ("//cdn.example/x", "https://cdn.example/x"),
            ("  https://ok.example/a b  ", "https://ok.example/a%20b"),
            (
                "https://ok.example/a\" onmouseover=\"x",
                "https://ok.example/a%22%20onmouseover=%22x",
            ),
            ("HTTPS://Пример.Example/", "https://xn--e1afmkfd.example/"),
        ];
        for (raw, want) in kept {
            assert_eq!(check(raw).as_deref(), Some(want), "{raw:?}");
        }
        assert_eq!(
            WebUrl::parse("/relative", None),
            None,
            "no base, no address"
        );
        let url = WebUrl::parse("https://a.example/x?q=1&r=2", None);
        assert_eq!(
            serde_json::to_string(&url).ok().as_deref(),
            Some("\"https://a.example/x?q=1&r=2\""),
            "serialized as a plain string"
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
