//! An entry as templates receive it (`EntryCtx`, documented for theme
//! authors in `themes/default/README.md`): its feed's name, site and
//! avatar, its date in the UI language, its tags with their counts, its
//! enclosures, the other feeds that carried it, its stable anchor and its
//! permanent place in the month archive; and a page's entries grouped
//! under day headings.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tera::Value;

use super::context::TagCtx;
use super::i18n::Translation;
use super::listing::{self, paging::page_link};
use super::{FeedIndex, FeedInfo, SiteInput};
use crate::config::Avatar;
use crate::entry::{StoredEntry, WebUrl};
use crate::sanitize::SafeHtml;

#[derive(Serialize)]
pub struct EntryCtx<'a> {
    pub id: &'a str,
    /// A stable HTML id for the entry (`e-` and 16 hex digits), the same on
    /// every page and in every build.
    pub anchor: String,
    /// The entry's permanent place: its month page in the archive, with
    /// `#anchor`, relative to the root.
    pub archive_url: String,
    /// True when `body` is an excerpt (per-feed, per-tag and per-language
    /// pages under `listing_content: excerpt`).
    pub excerpt: bool,
    pub title: &'a str,
    pub link: Option<&'a WebUrl>,
    pub feed_id: &'a str,
    pub feed_name: &'a str,
    pub feed_site: Option<&'a WebUrl>,
    pub feed_page: String,
    pub feed_avatar: Option<&'a str>,
    /// True when `feed_avatar` is a web address; else it is relative to the root.
    pub feed_avatar_is_web: bool,
    /// The feed's language when it differs from the planet's (for `lang=`).
    pub lang: Option<String>,
    pub author: Option<&'a str>,
    pub date_iso: String,
    pub date: String,
    /// Sanitized HTML (print with `safe`); empty for title-only entries.
    pub body: &'a str,
    pub categories: &'a [String],
    pub tags: Vec<TagCtx>,
    pub enclosures: Vec<EnclosureCtx<'a>>,
    /// Other subscriptions that carried the same post (shown once).
    pub also_in: Vec<SourceCtx<'a>>,
}

/// A subscription credited for a post: its name and where to link (its
/// site, else its page on the planet).
#[derive(Serialize)]
pub struct SourceCtx<'a> {
    pub name: &'a str,
    pub site: Option<&'a WebUrl>,
    /// The feed's page, relative to the root.
    pub page: String,
}

#[derive(Serialize)]
pub struct EnclosureCtx<'a> {
    pub url: &'a WebUrl,
    pub file_name: &'a str,
    pub mime_type: Option<&'a str>,
    pub is_audio: bool,
    pub is_video: bool,
}

/// How one entry is shown on a page: its body (the full text or an
/// excerpt, as `excerpt` says) and its page in the month archive.
pub struct Shown<'a> {
    pub body: &'a SafeHtml,
    pub excerpt: bool,
    pub archive_page: usize,
}

/// An entry as templates receive it, with its body.
pub fn entry_value(
    t: &Translation,
    input: &SiteInput,
    feeds: &FeedIndex,
    tag_counts: &HashMap<&str, usize>,
    e: &StoredEntry,
    shown: &Shown,
) -> Value {
    Value::from_serializable(&entry(t, input, feeds, tag_counts, e, shown))
}

/// An entry's HTML id: stable for its feed and id, safe in any attribute.
pub fn anchor(e: &StoredEntry) -> String {
    let mut h = blake3::Hasher::new();
    h.update(e.feed_id.as_str().as_bytes());
    h.update(b"\0");
    h.update(e.id.as_bytes());
    let hex = h.finalize().to_hex();
    format!("e-{}", hex.get(..16).unwrap_or_default())
}

/// An entry's month page in the archive with its anchor, from the root.
pub fn archive_url(e: &StoredEntry, archive_page: usize, anchor: &str) -> String {
    let date = e.display_date();
    let dir = listing::month_dir(
        chrono::Datelike::year(&date),
        chrono::Datelike::month(&date),
    );
    format!("{}#{anchor}", page_link(&dir, archive_page))
}

/// The entries of one page grouped under day headings: a list of
/// `{heading, date_iso, entries}` (see the theme's README).
pub fn days(t: &Translation, entries: &[(&StoredEntry, Value)]) -> Value {
    let mut days: Vec<(String, DateTime<Utc>, Vec<Value>)> = Vec::new();
    for (e, value) in entries {
        let date = e.display_date();
        let day_iso = date.format("%Y-%m-%d").to_string();
        match days.last_mut() {
            Some((iso, _, values)) if *iso == day_iso => values.push(value.clone()),
            _ => days.push((day_iso, date, vec![value.clone()])),
        }
    }
    let days: Vec<Value> = days
        .into_iter()
        .map(|(date_iso, date, entries)| {
            let mut day: HashMap<&'static str, Value> = HashMap::with_capacity(3);
            day.insert("heading", Value::from(t.date(date)));
            day.insert("date_iso", Value::from(date_iso));
            day.insert("entries", Value::from(entries));
            Value::from(day)
        })
        .collect();
    Value::from(days)
}

fn entry<'a>(
    t: &Translation,
    input: &'a SiteInput,
    feeds: &FeedIndex<'a>,
    tag_counts: &HashMap<&str, usize>,
    e: &'a StoredEntry,
    shown: &Shown<'a>,
) -> EntryCtx<'a> {
    let feed: Option<&FeedInfo> = feeds.get(&e.feed_id);
    let date = e.display_date();
    let planet_lang = listing::language_code(Some(&input.planet.lang));
    let lang = feed
        .and_then(|f| listing::language_code(f.language.as_deref()))
        .filter(|code| Some(code) != planet_lang.as_ref());
    let mut tags: Vec<TagCtx> = Vec::new();
    for name in &e.categories {
        if name.trim().is_empty() {
            continue;
        }
        let slug = listing::tag_slug(name);
        let url = listing::tag_dir(&slug);
        if tags.iter().any(|t| t.url == url) {
            continue;
        }
        let count = tag_counts.get(slug.as_str()).copied().unwrap_or(0);
        tags.push(TagCtx {
            name: name.trim().to_string(),
            url,
            count,
        });
    }
    let anchor = anchor(e);
    EntryCtx {
        id: &e.id,
        archive_url: archive_url(e, shown.archive_page, &anchor),
        anchor,
        excerpt: shown.excerpt,
        title: &e.title,
        link: e.link.as_ref(),
        feed_id: e.feed_id.as_str(),
        feed_name: feed.map_or("", |f| f.name.as_str()),
        feed_site: feed.and_then(|f| f.site_url.as_ref()),
        feed_page: listing::feed_dir(&e.feed_id),
        feed_avatar: feed.and_then(|f| f.avatar.as_ref()).map(Avatar::src),
        feed_avatar_is_web: matches!(feed.and_then(|f| f.avatar.as_ref()), Some(Avatar::Url(_))),
        lang,
        author: e.author.as_deref(),
        date_iso: date.to_rfc3339(),
        date: t.date(date),
        body: shown.body.as_str(),
        categories: &e.categories,
        tags,
        also_in: e
            .also_in
            .iter()
            .filter_map(|id| feeds.get(id))
            .map(|f| SourceCtx {
                name: &f.name,
                site: f.site_url.as_ref(),
                page: listing::feed_dir(&f.id),
            })
            .collect(),
        enclosures: e
            .enclosures
            .iter()
            .map(|enc| {
                let mime = enc.mime_type.as_deref().unwrap_or("");
                let file_name = enc
                    .url
                    .as_str()
                    .split(['?', '#'])
                    .next()
                    .and_then(|u| u.trim_end_matches('/').rsplit('/').next())
                    .filter(|n| !n.is_empty())
                    .unwrap_or(enc.url.as_str());
                EnclosureCtx {
                    url: &enc.url,
                    file_name,
                    mime_type: enc.mime_type.as_deref(),
                    is_audio: mime.starts_with("audio/"),
                    is_video: mime.starts_with("video/"),
                }
            })
            .collect(),
    }
}
