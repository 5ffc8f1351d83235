//! Which lists of entries the site publishes, and where: the timeline, one
//! list per month (archives), per feed, per tag and per language. Each
//! listing is a set of indexes into the timeline (so it keeps its
//! newest-first order) plus the folder it lives in; [`paging`] cuts each
//! into pages. Everything is grouped with `BTreeMap`s so two builds of the
//! same input produce the same listings in the same order. Tag and
//! language listings only exist when the planet actually uses tags, or
//! feeds in several languages.

pub mod paging;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Datelike;

use super::{FeedIndex, FeedInfo};
use crate::entry::{FeedId, StoredEntry};
use paging::Paging;

/// What a listing lists; drives the heading and the template variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Timeline,
    Month { year: i32, month: u32 },
    Feed { id: FeedId },
    Tag { slug: String, name: String },
    Language { code: String },
}

impl Kind {
    /// The name templates see as `listing.kind`.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Timeline => "timeline",
            Kind::Month { .. } => "month",
            Kind::Feed { .. } => "feed",
            Kind::Tag { .. } => "tag",
            Kind::Language { .. } => "language",
        }
    }

    /// Whether the listing may show excerpts instead of the full text:
    /// everything but the timeline and the monthly archive, which are
    /// where a post's full text lives.
    pub fn may_excerpt(&self) -> bool {
        matches!(
            self,
            Kind::Feed { .. } | Kind::Tag { .. } | Kind::Language { .. }
        )
    }
}

/// One list of entries and the folder its pages go to.
#[derive(Debug, Clone)]
pub struct Listing {
    pub kind: Kind,
    /// Folder relative to the site root, empty or ending in `/`.
    pub dir: String,
    /// Indexes into the timeline, newest first.
    pub entries: Vec<usize>,
    /// Whether `max_pages` applies (everything but the monthly archives).
    pub capped: bool,
}

/// A tag as the tag index shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    pub slug: String,
    pub name: String,
    pub count: usize,
}

/// Every listing of the site, plus the summaries the index pages need.
#[derive(Debug, Default)]
pub struct Listings {
    pub all: Vec<Listing>,
    /// Months with entries, newest first: (year, month, count).
    pub months: Vec<(i32, u32, usize)>,
    /// Tags by slug; empty when no entry has a tag.
    pub tags: Vec<TagInfo>,
    /// Language codes with entries; empty unless there are at least two.
    pub languages: Vec<(String, usize)>,
    /// Entry indexes of each feed that has entries, by its id.
    pub per_feed: HashMap<FeedId, Vec<usize>>,
}

/// The folder of a feed's pages.
pub fn feed_dir(id: &FeedId) -> String {
    format!("feeds/{id}/")
}

/// The folder of a tag's pages.
pub fn tag_dir(slug: &str) -> String {
    format!("tags/{slug}/")
}

/// The folder of a month's archive pages.
pub fn month_dir(year: i32, month: u32) -> String {
    format!("archive/{year:04}/{month:02}/")
}

/// The folder of a language's pages.
pub fn language_dir(code: &str) -> String {
    format!("lang/{code}/")
}

/// A feed's declared language reduced to its primary subtag (`en-US` → `en`),
/// or `None` when it is missing or not a plausible tag.
pub fn language_code(raw: Option<&str>) -> Option<String> {
    let primary = raw?.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    let plausible =
        (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
    plausible.then_some(primary)
}

/// A file-name-safe, URL-friendly form of a tag: lower case, letters and
/// digits of any script kept, every run of anything else becomes one `-`.
/// A tag with no letters or digits gets a short hash instead.
pub fn tag_slug(tag: &str) -> String {
    let mut slug = String::new();
    for c in tag.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.chars().count() >= 60 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        let hash = blake3::hash(tag.as_bytes()).to_hex();
        format!("tag-{}", &hash[..8])
    } else {
        slug
    }
}

/// Each entry's page in its month of the archive (1 for the first), by
/// timeline index: where its permanent `#anchor` is.
pub fn archive_pages(listings: &Listings, entries: usize, paging: &Paging) -> Vec<usize> {
    let mut pages = vec![1; entries];
    for list in &listings.all {
        if let Kind::Month { .. } = list.kind {
            for (pos, &i) in list.entries.iter().enumerate() {
                if let Some(page) = pages.get_mut(i) {
                    *page = paging.page_of(pos);
                }
            }
        }
    }
    pages
}

/// Groups the timeline into every listing the site publishes; `feeds` in
/// the order their listings go, `index` the same feeds by id.
pub fn build(entries: &[StoredEntry], feeds: &[FeedInfo], index: &FeedIndex) -> Listings {
    let mut out = Listings {
        all: vec![Listing {
            kind: Kind::Timeline,
            dir: String::new(),
            entries: (0..entries.len()).collect(),
            capped: true,
        }],
        ..Listings::default()
    };

    let mut months: BTreeMap<(i32, u32), Vec<usize>> = BTreeMap::new();
    // slug → (spelling → uses, entry indexes)
    let mut tags: BTreeMap<String, (BTreeMap<&str, usize>, Vec<usize>)> = BTreeMap::new();
    let mut languages: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        let date = e.display_date();
        months
            .entry((date.year(), date.month()))
            .or_default()
            .push(i);
        if let Some(feed) = index.get(&e.feed_id) {
            out.per_feed.entry(feed.id.clone()).or_default().push(i);
            if let Some(code) = language_code(feed.language.as_deref()) {
                languages.entry(code).or_default().push(i);
            }
        }
        let mut seen = BTreeSet::new();
        for tag in &e.categories {
            if tag.trim().is_empty() {
                continue;
            }
            let slug = tag_slug(tag);
            let slot = tags.entry(slug.clone()).or_default();
            *slot.0.entry(tag.trim()).or_default() += 1;
            if seen.insert(slug) {
                slot.1.push(i);
            }
        }
    }
    for ((year, month), list) in months.into_iter().rev() {
        out.months.push((year, month, list.len()));
        out.all.push(Listing {
            kind: Kind::Month { year, month },
            dir: month_dir(year, month),
            entries: list,
            capped: false,
        });
    }
    for feed in feeds {
        out.all.push(Listing {
            kind: Kind::Feed {
                id: feed.id.clone(),
            },
            dir: feed_dir(&feed.id),
            entries: out.per_feed.get(&feed.id).cloned().unwrap_or_default(),
            capped: true,
        });
    }
    for (slug, (spellings, list)) in tags {
        // The most used spelling names the tag; ties go to the first in order.
        let name = spellings
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map_or_else(|| slug.clone(), |(s, _)| (*s).to_string());
        out.tags.push(TagInfo {
            slug: slug.clone(),
            name: name.clone(),
            count: list.len(),
        });
        out.all.push(Listing {
            kind: Kind::Tag {
                slug: slug.clone(),
                name,
            },
            dir: tag_dir(&slug),
            entries: list,
            capped: true,
        });
    }
    if languages.len() >= 2 {
        for (code, list) in languages {
            out.languages.push((code.clone(), list.len()));
            out.all.push(Listing {
                kind: Kind::Language { code: code.clone() },
                dir: language_dir(&code),
                entries: list,
                capped: true,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn entry(feed: &FeedId, id: &str, month: u32, day: u32, tags: &[&str]) -> StoredEntry {
        let date = Utc.with_ymd_and_hms(2025, month, day, 9, 0, 0).unwrap();
        StoredEntry {
            categories: tags.iter().map(|t| t.to_string()).collect(),
            ..StoredEntry::sample(feed.clone(), id, date)
        }
    }

    fn feed(url: &str, lang: Option<&str>) -> FeedInfo {
        FeedInfo {
            id: FeedId::from_source(url),
            name: url.into(),
            url: url.into(),
            feed_url: None,
            site_url: None,
            status: crate::feed_state::FeedStatus::Ok,
            language: lang.map(str::to_string),
            avatar: None,
            moved_to: None,
        }
    }

    #[test]
    fn slugs_are_safe_and_keep_any_script() {
        assert_eq!(tag_slug("Rust Lang"), "rust-lang");
        assert_eq!(tag_slug("  Асинхронность!! "), "асинхронность");
        assert_eq!(tag_slug("../etc/passwd"), "etc-passwd");
        assert_eq!(tag_slug("C++"), "c");
        assert!(tag_slug("!!!").starts_with("tag-"));
        assert_eq!(tag_slug("!!!"), tag_slug("!!!"));
        assert_eq!(language_code(Some("en-US")), Some("en".into()));
        assert_eq!(language_code(Some("RU")), Some("ru".into()));
        assert_eq!(language_code(Some("x")), None);
        assert_eq!(language_code(None), None);
    }

    #[test]
    fn months_feeds_tags_and_languages_are_grouped() {
        let feeds = [feed("a", Some("en-GB")), feed("b", Some("ru"))];
        let (a, b) = (&feeds[0].id, &feeds[1].id);
        let entries = [
            entry(a, "1", 3, 2, &["Rust", "rust"]),
            entry(b, "2", 3, 1, &["rust", "async"]),
            entry(a, "3", 2, 20, &[]),
            entry(b, "4", 1, 5, &["Rust"]),
        ];
        let l = build(&entries, &feeds, &FeedIndex::new(&feeds));
        assert_eq!(l.months, [(2025, 3, 2), (2025, 2, 1), (2025, 1, 1)]);
        assert_eq!(l.per_feed[a], [0, 2]);
        assert_eq!(l.per_feed[b], [1, 3]);
        assert_eq!(
            l.tags,
            [
                TagInfo {
                    slug: "async".into(),
                    name: "async".into(),
                    count: 1
                },
                TagInfo {
                    slug: "rust".into(),
                    name: "Rust".into(),
                    count: 3
                }
            ]
        );
        assert_eq!(l.languages, [("en".into(), 2), ("ru".into(), 2)]);
        let dirs: Vec<&str> = l.all.iter().map(|x| x.dir.as_str()).collect();
        assert_eq!(
            dirs[..4],
            [
                "",
                "archive/2025/03/",
                "archive/2025/02/",
                "archive/2025/01/"
            ]
        );
        assert!(dirs.contains(&"tags/rust/") && dirs.contains(&"lang/ru/"));
        assert!(!l.all[1].capped && l.all[0].capped);
    }

    #[test]
    fn one_language_means_no_language_pages() {
        let feeds = [feed("a", Some("en")), feed("b", None)];
        let entries = [
            entry(&feeds[0].id, "1", 1, 1, &[]),
            entry(&feeds[1].id, "2", 1, 1, &[]),
        ];
        let l = build(&entries, &feeds, &FeedIndex::new(&feeds));
        assert!(l.languages.is_empty());
        assert!(l.tags.is_empty());
        assert!(
            !l.all
                .iter()
                .any(|x| matches!(x.kind, Kind::Language { .. }))
        );
    }
}
