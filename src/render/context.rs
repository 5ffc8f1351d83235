//! The plain, serializable values templates receive. Every struct here is
//! documented for theme authors in `themes/default/README.md`; keep the two
//! in step. Dates are localized here (genitive months in dates, standalone in
//! month headings) and URLs are relative to the site root, so templates only
//! prefix `{{ root }}` and never compute anything.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tera::Value;

use super::i18n::Translation;
use super::listing::{self, Listings};
use super::{FeedIndex, FeedInfo, SiteInput};
use crate::config::Avatar;
use crate::entry::{StoredEntry, WebUrl};
use crate::report::FeedHealth;
use crate::sanitize::SafeHtml;

/// `root` for a file at `path`: `./` at the top, `../` per folder below it.
pub fn root_for(path: &str) -> String {
    let depth = path.matches('/').count();
    if depth == 0 {
        "./".to_string()
    } else {
        "../".repeat(depth)
    }
}

/// The file of page `number` of a listing in folder `dir`.
pub fn page_path(dir: &str, number: usize) -> String {
    if number <= 1 {
        format!("{dir}index.html")
    } else {
        format!("{dir}page/{number}/index.html")
    }
}

/// The link (relative to the site root) to page `number` of folder `dir`.
pub fn page_link(dir: &str, number: usize) -> String {
    if number <= 1 {
        dir.to_string()
    } else {
        format!("{dir}page/{number}/")
    }
}

#[derive(Serialize, Clone)]
pub struct PlanetCtx<'a> {
    pub title: &'a str,
    /// Sanitized HTML (print with `safe`).
    pub description: Option<&'a str>,
    pub base_url: &'a str,
    pub lang: &'a str,
    /// For the Content-Security-Policy: where iframes may come from.
    pub csp_frame_src: &'a str,
    /// The UI language's own name ("Русский").
    pub language_name: &'a str,
    /// The build time and the timeline's size: on site-wide pages only
    /// (timeline, archive index, tags, health, extra pages), so the other
    /// pages stay unchanged while their entries do.
    pub generated_iso: Option<String>,
    pub generated: Option<String>,
    pub entry_count: Option<usize>,
    /// The header has a search box and the site a search page.
    pub search: bool,
    pub owner_name: Option<&'a str>,
    pub owner_email: Option<&'a str>,
}

/// One item of the site navigation.
#[derive(Serialize)]
pub struct NavCtx {
    /// Compared with the page's `section` to mark the current item.
    pub id: String,
    pub label: String,
    pub url: String,
}

#[derive(Serialize, Clone)]
pub struct FeedCtx<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// The subscribed URL as written in planet.yaml (text to show).
    pub url: &'a str,
    /// The subscribed URL when it is a web address (not a local file): the
    /// one to link.
    pub feed_url: Option<&'a WebUrl>,
    /// `feed_url` is set (kept for themes written before it).
    pub url_is_web: bool,
    pub site_url: Option<&'a WebUrl>,
    /// The feed's own pages, relative to the root (they link to the
    /// member's own feed, `url`; planetoid writes no per-feed Atom feed).
    pub page: String,
    pub avatar: Option<&'a str>,
    /// True when `avatar` is a web address; else it is relative to the root.
    pub avatar_is_web: bool,
    pub status: &'a str,
    pub status_label: String,
    pub language: Option<&'a str>,
    pub latest_post: Option<String>,
    pub latest_post_iso: Option<String>,
    pub entry_count: usize,
}

#[derive(Serialize)]
pub struct LanguageCtx {
    pub code: String,
    pub name: String,
    pub url: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct TagCtx {
    pub name: String,
    pub url: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct MonthCtx {
    pub heading: String,
    pub name: String,
    pub url: String,
    pub count: usize,
}

#[derive(Serialize)]
pub struct YearCtx {
    pub year: i32,
    pub months: Vec<MonthCtx>,
}

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

#[derive(Serialize, Debug, PartialEq)]
pub struct PagerCtx {
    pub current: usize,
    pub total: usize,
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub last: Option<String>,
    pub items: Vec<PagerItem>,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct PagerItem {
    /// `None` marks a gap ("…").
    pub number: Option<usize>,
    pub url: Option<String>,
    pub current: bool,
}

#[derive(Serialize)]
pub struct HealthRowCtx<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub feed_url: Option<&'a WebUrl>,
    pub url_is_web: bool,
    pub site_url: Option<&'a WebUrl>,
    pub page: String,
    pub status: &'a str,
    pub status_label: String,
    pub http_status: Option<u16>,
    pub error: Option<&'a str>,
    pub moved_to: Option<&'a WebUrl>,
    pub last_success: Option<String>,
    pub last_success_iso: Option<String>,
    pub last_post: Option<String>,
    pub last_post_iso: Option<String>,
    /// "3 months ago", with the last post.
    pub since_post: Option<String>,
    pub entries: usize,
    /// What reading the feed needed repaired ("works, but…"), one line each.
    pub warnings: &'a [String],
    /// The encoding the feed was read in, when it was not UTF-8.
    pub encoding: Option<&'a str>,
    pub quiet: bool,
    pub flaky: bool,
    /// What to do about a quiet or flaky feed, one sentence each.
    pub advice: Vec<String>,
    pub strip: super::charts::StripCtx,
    pub spark: super::charts::ChartCtx,
}

/// "5 января 2025, 14:03 UTC".
pub fn date_time(t: &Translation, d: DateTime<Utc>) -> String {
    format!("{}, {} UTC", t.date(d), d.format("%H:%M"))
}

pub fn planet<'a>(t: &'a Translation, input: &'a SiteInput) -> PlanetCtx<'a> {
    PlanetCtx {
        title: &input.planet.title,
        description: input.planet.description.as_ref().map(SafeHtml::as_str),
        base_url: input.planet.base_url.as_str(),
        lang: &input.planet.lang,
        csp_frame_src: &input.planet.csp_frame_src,
        language_name: &t.name,
        generated_iso: Some(input.now.to_rfc3339()),
        generated: Some(t.date(input.now)),
        entry_count: Some(input.entries.len()),
        search: input.planet.search,
        owner_name: input.planet.owner_name.as_deref(),
        owner_email: input.planet.owner_email.as_deref(),
    }
}

pub fn feeds<'a>(t: &Translation, input: &'a SiteInput, listings: &Listings) -> Vec<FeedCtx<'a>> {
    input
        .feeds
        .iter()
        .zip(&listings.per_feed)
        .map(|(f, mine)| {
            // The timeline is newest first: a feed's first entry is its latest.
            let latest = mine.first().map(|&i| input.entries[i].display_date());
            let dir = listing::feed_dir(&f.id);
            FeedCtx {
                id: f.id.as_str(),
                name: &f.name,
                url: &f.url,
                feed_url: f.feed_url.as_ref(),
                url_is_web: f.feed_url.is_some(),
                site_url: f.site_url.as_ref(),
                page: dir,
                avatar: f.avatar.as_ref().map(Avatar::src),
                avatar_is_web: matches!(f.avatar, Some(Avatar::Url(_))),
                status: f.status,
                status_label: t.text(&format!("status_{}", f.status)),
                language: f.language.as_deref(),
                latest_post: latest.map(|d| t.date(d)),
                latest_post_iso: latest.map(|d| d.to_rfc3339()),
                entry_count: mine.len(),
            }
        })
        .collect()
}

pub fn nav(t: &Translation, input: &SiteInput, listings: &Listings) -> Vec<NavCtx> {
    let item = |id: &str, key: &str, url: &str| NavCtx {
        id: id.to_string(),
        label: t.text(key),
        url: url.to_string(),
    };
    let mut out = vec![
        item("home", "nav_home", ""),
        item("archive", "nav_archive", "archive/"),
    ];
    if !listings.tags.is_empty() {
        out.push(item("tags", "nav_tags", "tags/"));
    }
    out.push(item("health", "nav_health", "health/"));
    for page in input.extra_pages {
        out.push(NavCtx {
            id: format!("page-{}", page.slug),
            label: page.title.clone(),
            url: format!("pages/{}/", page.slug),
        });
    }
    out
}

pub fn languages(t: &Translation, listings: &Listings) -> Vec<LanguageCtx> {
    listings
        .languages
        .iter()
        .map(|(code, count)| LanguageCtx {
            code: code.clone(),
            name: t.language_name(code),
            url: listing::language_dir(code),
            count: *count,
        })
        .collect()
}

pub fn archive(t: &Translation, listings: &Listings) -> Vec<YearCtx> {
    let mut years: Vec<YearCtx> = Vec::new();
    for &(year, month, count) in &listings.months {
        let ctx = MonthCtx {
            heading: t.month(year, month),
            name: t.month_name(month),
            url: listing::month_dir(year, month),
            count,
        };
        match years.last_mut() {
            Some(y) if y.year == year => y.months.push(ctx),
            _ => years.push(YearCtx {
                year,
                months: vec![ctx],
            }),
        }
    }
    years
}

pub fn tags(listings: &Listings) -> Vec<TagCtx> {
    let mut tags: Vec<TagCtx> = listings
        .tags
        .iter()
        .map(|tag| TagCtx {
            name: tag.name.clone(),
            url: listing::tag_dir(&tag.slug),
            count: tag.count,
        })
        .collect();
    tags.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    tags
}

/// Each tag's number of entries, by slug.
pub fn tag_counts(listings: &Listings) -> HashMap<&str, usize> {
    listings
        .tags
        .iter()
        .map(|tag| (tag.slug.as_str(), tag.count))
        .collect()
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

/// First, previous, a window of numbers around the current page with gaps,
/// next, last. Links are relative to the site root and `None` where they
/// would point at the current page.
pub fn pager(current: usize, total: usize, dir: &str) -> PagerCtx {
    const WINDOW: usize = 2;
    let link = |n: usize| page_link(dir, n);
    let mut items = Vec::new();
    let mut last_shown = 0;
    for n in 1..=total {
        let near = n.abs_diff(current) <= WINDOW;
        if n == 1 || n == total || near {
            if last_shown + 1 < n {
                // A gap of exactly one page shows that page instead of "…".
                if last_shown + 2 == n {
                    items.push(PagerItem {
                        number: Some(n - 1),
                        url: Some(link(n - 1)),
                        current: false,
                    });
                } else {
                    items.push(PagerItem {
                        number: None,
                        url: None,
                        current: false,
                    });
                }
            }
            items.push(PagerItem {
                number: Some(n),
                url: (n != current).then(|| link(n)),
                current: n == current,
            });
            last_shown = n;
        }
    }
    PagerCtx {
        current,
        total,
        first: (current > 1).then(|| link(1)),
        prev: (current > 1).then(|| link(current - 1)),
        next: (current < total).then(|| link(current + 1)),
        last: (current < total).then(|| link(total)),
        items,
    }
}

/// One row of the health page per shown feed: problems first (failing,
/// flaky, quiet, …, see [`FeedHealth::rank`]), otherwise in config order.
pub fn health<'a>(
    t: &Translation,
    input: &'a SiteInput,
    feeds: &[FeedCtx<'a>],
) -> Vec<HealthRowCtx<'a>> {
    let records: HashMap<&str, &FeedHealth> = input
        .health
        .feeds
        .iter()
        .map(|h| (h.url.as_str(), h))
        .collect();
    let lang = input.planet.lang.as_str();
    let mut rows: Vec<(u8, HealthRowCtx)> = input
        .feeds
        .iter()
        .zip(feeds)
        .map(|(f, ctx)| {
            let record: Option<&FeedHealth> = records.get(f.url.as_str()).copied();
            let unobserved;
            let observed = match record {
                Some(r) => r,
                None => {
                    unobserved = FeedHealth::unobserved(f.url.clone(), f.name.clone());
                    &unobserved
                }
            };
            let last_post_date = observed
                .last_post
                .as_deref()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc));
            let last_success = record
                .and_then(|h| h.last_success.as_deref())
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc));
            let row = HealthRowCtx {
                name: &f.name,
                url: &f.url,
                feed_url: ctx.feed_url,
                url_is_web: ctx.url_is_web,
                site_url: f.site_url.as_ref(),
                page: ctx.page.clone(),
                status: f.status,
                status_label: ctx.status_label.clone(),
                http_status: record.and_then(|h| h.http_status),
                error: record.and_then(|h| h.error.as_deref()),
                moved_to: f.moved_to.as_ref(),
                last_success: last_success.map(|d| date_time(t, d)),
                last_success_iso: last_success.map(|d| d.to_rfc3339()),
                last_post: ctx.latest_post.clone(),
                last_post_iso: ctx.latest_post_iso.clone(),
                since_post: observed.days_since_post.map(|d| ago(t, lang, d)),
                entries: record.map_or(ctx.entry_count, |h| h.entries),
                warnings: record.map_or(&[], |h| h.warnings.as_slice()),
                encoding: record
                    .and_then(|h| h.encoding.as_deref())
                    .filter(|e| *e != "UTF-8"),
                quiet: observed.quiet,
                flaky: observed.flaky,
                advice: advice(t, lang, observed, last_post_date),
                strip: super::charts::strip(t, lang, &observed.builds),
                spark: super::charts::sparkline(t, observed, &input.health.activity),
            };
            (observed.rank(), row)
        })
        .collect();
    rows.sort_by_key(|(rank, _)| *rank);
    rows.into_iter().map(|(_, row)| row).collect()
}

/// "today", "5 days ago", "3 months ago", "2 years ago".
fn ago(t: &Translation, lang: &str, days: i64) -> String {
    match days {
        0 => t.text("ago_today"),
        1..60 => t.plural(lang, "ago_days", days),
        60..730 => t.plural(lang, "ago_months", days / 30),
        _ => t.plural(lang, "ago_years", days / 365),
    }
}

/// The health page's one line per flag: what is wrong and what to do.
fn advice(
    t: &Translation,
    lang: &str,
    feed: &FeedHealth,
    last_post: Option<DateTime<Utc>>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let (true, Some(date), Some(days)) = (feed.quiet, last_post, feed.days_since_post) {
        out.push(
            t.text("advice_quiet")
                .replace("{date}", &t.date(date))
                .replace("{ago}", &ago(t, lang, days)),
        );
    }
    if feed.flaky {
        out.push(
            t.text("advice_flaky")
                .replace("{failed}", &feed.recent_failures.to_string())
                .replace(
                    "{builds}",
                    &t.plural(lang, "of_last_builds", i64::from(feed.recent_builds)),
                ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(p: &PagerCtx) -> Vec<String> {
        p.items
            .iter()
            .map(|i| match (i.number, i.current) {
                (None, _) => "…".to_string(),
                (Some(n), true) => format!("[{n}]"),
                (Some(n), false) => n.to_string(),
            })
            .collect()
    }

    #[test]
    fn pager_has_first_prev_window_gaps_next_last() {
        let p = pager(5, 9, "");
        assert_eq!(p.first.as_deref(), Some(""));
        assert_eq!(p.prev.as_deref(), Some("page/4/"));
        assert_eq!(p.next.as_deref(), Some("page/6/"));
        assert_eq!(p.last.as_deref(), Some("page/9/"));
        assert_eq!(shown(&p), ["1", "2", "3", "4", "[5]", "6", "7", "8", "9"]);
        let p = pager(1, 9, "archive/2025/01/");
        assert_eq!(shown(&p), ["[1]", "2", "3", "…", "9"]);
        assert_eq!((p.first, p.prev), (None, None));
        assert_eq!(p.next.as_deref(), Some("archive/2025/01/page/2/"));
        let p = pager(6, 12, "");
        assert_eq!(shown(&p), ["1", "…", "4", "5", "[6]", "7", "8", "…", "12"]);
    }

    #[test]
    fn paths_and_roots() {
        assert_eq!(page_path("", 1), "index.html");
        assert_eq!(page_path("", 3), "page/3/index.html");
        assert_eq!(page_path("feeds/ab/", 2), "feeds/ab/page/2/index.html");
        assert_eq!(root_for("index.html"), "./");
        assert_eq!(root_for("page/3/index.html"), "../../");
        assert_eq!(
            root_for("archive/2025/01/page/2/index.html"),
            "../../../../../"
        );
    }
}
