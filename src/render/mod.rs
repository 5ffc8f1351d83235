//! The timeline → the site's files, in memory: the numbered timeline, monthly
//! archives, per-feed, per-tag and per-language pages ([`listing`]), the
//! health page, extra Markdown pages, the theme's static files, and the
//! merged Atom / RSS / JSON Feed / OPML documents plus per-feed and per-tag
//! Atom feeds ([`feeds`]).
//!
//! Templates receive plain, serializable contexts ([`context`]; the theme's
//! README documents every variable). Titles and names are plain text that
//! Tera escapes; the only values a template may print with `safe` are bodies
//! that came out of the sanitizer. Dates are formatted here with the UI
//! language's month forms, so templates stay logic-free. Tera never leaves
//! this module.

mod context;
mod feeds;
mod i18n;
mod listing;
mod theme;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;
use tera::{Context, Value};

pub use theme::{DEFAULT_THEME, Theme, ThemeError};

use crate::entry::{FeedId, StoredEntry};
use crate::output::Site;
use crate::report::Health;
use crate::sanitize::SafeHtml;
use crate::select::paginate;
use context::{FeedCtx, LanguageCtx, NavCtx, PlanetCtx, page_path, root_for};
use listing::{Kind, Listing};

/// Why rendering failed (a theme template that errors at render time).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("rendering {page} failed:\n{message}")]
    Template { page: String, message: String },
    #[error("writing {file} failed: {message}")]
    Feed { file: String, message: String },
}

/// What the renderer needs to know about one subscription.
#[derive(Debug, Clone)]
pub struct FeedInfo {
    pub id: FeedId,
    pub name: String,
    /// The subscribed URL as written in planet.yaml.
    pub url: String,
    pub site_url: Option<String>,
    pub status: &'static str,
    pub language: Option<String>,
    /// An image URL shown beside the feed's name. Always `None` for now:
    /// there is no per-feed setting for it yet; the theme renders it when set.
    pub avatar: Option<String>,
    /// Where the feed said it moved (a permanent redirect). Always `None`
    /// for now: the fetch stage does not record it yet; the health page
    /// shows it when set.
    pub moved_to: Option<String>,
}

/// The subscriptions by id, built once per render.
pub struct FeedIndex<'a>(HashMap<&'a str, &'a FeedInfo>);

impl<'a> FeedIndex<'a> {
    pub fn new(feeds: &'a [FeedInfo]) -> Self {
        FeedIndex(feeds.iter().map(|f| (f.id.as_str(), f)).collect())
    }

    pub fn get(&self, id: &FeedId) -> Option<&'a FeedInfo> {
        self.0.get(id.as_str()).copied()
    }
}

/// An extra page from a Markdown file (`pages:` in planet.yaml).
#[derive(Debug, Clone)]
pub struct ExtraPage {
    pub title: String,
    /// Published at `pages/<slug>/index.html`.
    pub slug: String,
    pub body: SafeHtml,
}

/// The planet-wide values every page shows.
#[derive(Debug, Clone)]
pub struct PlanetInfo {
    pub title: String,
    pub description: Option<SafeHtml>,
    /// The CSP `frame-src` sources (the iframe allow-list), or `'none'`.
    pub csp_frame_src: String,
    pub base_url: String,
    pub lang: String,
    pub feed_entries: usize,
}

/// Everything one build renders.
pub struct SiteInput<'a> {
    pub planet: &'a PlanetInfo,
    pub feeds: &'a [FeedInfo],
    /// The whole timeline, newest first.
    pub entries: &'a [StoredEntry],
    pub per_page: usize,
    /// Cap on numbered pages of every listing but the monthly archives.
    pub max_pages: Option<usize>,
    pub extra_pages: &'a [ExtraPage],
    pub health: &'a Health,
    pub now: DateTime<Utc>,
}

/// Renders every file of the site.
pub fn render_site(theme: &Theme, input: &SiteInput) -> Result<Site, RenderError> {
    let site = Site::default();
    render_site_into(theme, input, &site)?;
    Ok(site)
}

/// Renders every file of the site into `site` (in memory, or straight to a
/// staging directory, see [`Site::staged`]).
pub fn render_site_into(theme: &Theme, input: &SiteInput, site: &Site) -> Result<(), RenderError> {
    let t = &*theme.translation;
    for (path, bytes) in &theme.statics {
        site.add(path, bytes.clone());
    }
    let listings = listing::build(input.entries, input.feeds);
    let feed_index = FeedIndex::new(input.feeds);
    let shared = Shared::new(Values {
        planet: context::planet(t, input),
        feeds: context::feeds(t, input, &listings),
        nav: context::nav(t, input, &listings),
        languages: context::languages(t, &listings),
        entries: context::entry_values(t, input, &feed_index, &listings),
    });
    // Listings render in parallel; Tera and the contexts are shared read-only
    // and the site takes files from every thread.
    let shared_site: &Site = site;
    listings
        .all
        .par_iter()
        .try_for_each(|list| render_listing(theme, input, &shared, list, shared_site))?;

    let path = "archive/index.html";
    let mut ctx = base(&shared, path, "archive");
    ctx.insert("years", &context::archive(t, &listings));
    render(theme, "archive.html", path, &ctx, site)?;

    if !listings.tags.is_empty() {
        let path = "tags/index.html";
        let mut ctx = base(&shared, path, "tags");
        ctx.insert("tags", &context::tags(&listings));
        render(theme, "tags.html", path, &ctx, site)?;
    }

    let path = "health/index.html";
    let mut ctx = base(&shared, path, "health");
    ctx.insert("health", &context::health(t, input, &shared.values.feeds));
    ctx.insert("health_generated", &context::date_time(t, input.now));
    ctx.insert("health_generated_iso", &input.now.to_rfc3339());
    render(theme, "health.html", path, &ctx, site)?;

    for page in input.extra_pages {
        let path = format!("pages/{}/index.html", page.slug);
        let mut ctx = base(&shared, &path, &format!("page-{}", page.slug));
        ctx.insert(
            "doc",
            &DocCtx {
                title: &page.title,
                body: page.body.as_str(),
            },
        );
        render(theme, "page.html", &path, &ctx, site)?;
    }

    let newest = &input.entries[..input.entries.len().min(input.planet.feed_entries)];
    feeds::write_all(site, input, &feed_index, newest)?;
    listings.all.par_iter().try_for_each(|list| {
        let title = match &list.kind {
            Kind::Timeline | Kind::Month { .. } => return Ok(()),
            _ => format!("{} · {}", listing_title(t, input, list), input.planet.title),
        };
        let entries: Vec<&StoredEntry> = list
            .entries
            .iter()
            .take(input.planet.feed_entries)
            .map(|&i| &input.entries[i])
            .collect();
        let xml = feeds::atom(input, &feed_index, &entries, &title, &list.dir)?;
        shared_site.add(&format!("{}atom.xml", list.dir), xml.into_bytes());
        Ok(())
    })
}

/// How many pages the timeline gets (what the build summary reports).
pub fn timeline_pages(entries: usize, per_page: usize, max_pages: Option<usize>) -> usize {
    let pages = paginate(entries, per_page).len();
    max_pages.map_or(pages, |m| pages.min(m))
}

#[derive(Serialize)]
struct DocCtx<'a> {
    title: &'a str,
    /// Sanitized HTML (print with `safe`).
    body: &'a str,
}

#[derive(Serialize)]
struct PageCtx {
    number: usize,
    total: usize,
}

#[derive(Serialize)]
struct ListingCtx<'a> {
    kind: &'static str,
    title: String,
    /// Relative to the root; null for month archives.
    atom: Option<String>,
    entry_count: usize,
    /// Set on a feed's pages: that feed, as in `feeds`.
    feed: Option<FeedCtx<'a>>,
    /// Set on month pages.
    year: Option<i32>,
    month: Option<u32>,
    /// Set on tag pages: the tag as most feeds spell it.
    tag: Option<&'a str>,
    /// Set on language pages: the language code.
    language: Option<&'a str>,
}

fn listing_title(t: &i18n::Translation, input: &SiteInput, list: &Listing) -> String {
    match &list.kind {
        Kind::Timeline => input.planet.title.clone(),
        Kind::Month { year, month } => t.month(*year, *month),
        Kind::Feed { index } => input
            .feeds
            .get(*index)
            .map_or_else(String::new, |f| f.name.clone()),
        Kind::Tag { name, .. } => t.text("tag_title").replace("{tag}", name),
        Kind::Language { code } => t
            .text("language_title")
            .replace("{language}", &t.language_name(code)),
    }
}

fn render_listing(
    theme: &Theme,
    input: &SiteInput,
    shared: &Shared,
    list: &Listing,
    site: &Site,
) -> Result<(), RenderError> {
    let t = &*theme.translation;
    let mut pages = paginate(list.entries.len(), input.per_page);
    if let (true, Some(max)) = (list.capped, input.max_pages) {
        pages.truncate(max.max(1));
    }
    let total = pages.len();
    let (template, section) = match list.kind {
        Kind::Timeline => ("index.html", "home"),
        Kind::Month { .. } => ("list.html", "archive"),
        Kind::Tag { .. } => ("list.html", "tags"),
        Kind::Feed { .. } | Kind::Language { .. } => ("list.html", ""),
    };
    let listing_ctx = ListingCtx {
        kind: list.kind.name(),
        title: listing_title(t, input, list),
        atom: match list.kind {
            Kind::Month { .. } => None,
            _ => Some(format!("{}atom.xml", list.dir)),
        },
        entry_count: list.entries.len(),
        feed: match list.kind {
            Kind::Feed { index } => shared.values.feeds.get(index).cloned(),
            _ => None,
        },
        year: match list.kind {
            Kind::Month { year, .. } => Some(year),
            _ => None,
        },
        month: match list.kind {
            Kind::Month { month, .. } => Some(month),
            _ => None,
        },
        tag: match &list.kind {
            Kind::Tag { name, .. } => Some(name),
            _ => None,
        },
        language: match &list.kind {
            Kind::Language { code } => Some(code),
            _ => None,
        },
    };
    let listing_ctx = Value::from_serializable(&listing_ctx);
    for page in &pages {
        let path = page_path(&list.dir, page.number);
        let mut ctx = base(shared, &path, section);
        if list.kind == Kind::Timeline {
            ctx.insert("sidebar_full", &true);
        }
        ctx.insert_value("listing", listing_ctx.clone());
        ctx.insert(
            "page",
            &PageCtx {
                number: page.number,
                total,
            },
        );
        let slice: &[usize] = list.entries.get(page.range.clone()).unwrap_or(&[]);
        ctx.insert_value(
            "days",
            context::days(t, input, &shared.values.entries, slice),
        );
        ctx.insert("pager", &context::pager(page.number, total, &list.dir));
        render(theme, template, &path, &ctx, site)?;
    }
    Ok(())
}

/// Up to this many subscriptions, every page's sidebar lists them all;
/// beyond it only the timeline pages do (measured: with 150 feeds the list
/// is ~55 KB, more than the entries of a page, on each of thousands of pages).
const FULL_SIDEBAR_FEEDS: usize = 25;

/// The values every page shows, typed.
struct Values<'a> {
    planet: PlanetCtx<'a>,
    feeds: Vec<FeedCtx<'a>>,
    nav: Vec<NavCtx>,
    languages: Vec<LanguageCtx>,
    /// The timeline's entries, in its order (see [`context::entry_values`]).
    entries: Vec<Value>,
}

/// [`Values`] plus the site-wide ones serialized once: thousands of pages
/// share them by reference instead of each serializing every subscription.
struct Shared<'a> {
    values: Values<'a>,
    planet: Value,
    feeds: Value,
    nav: Value,
    languages: Value,
    sidebar_full: bool,
}

impl<'a> Shared<'a> {
    fn new(values: Values<'a>) -> Self {
        Shared {
            planet: Value::from_serializable(&values.planet),
            feeds: Value::from_serializable(&values.feeds),
            nav: Value::from_serializable(&values.nav),
            languages: Value::from_serializable(&values.languages),
            sidebar_full: values.feeds.len() <= FULL_SIDEBAR_FEEDS,
            values,
        }
    }
}

/// The variables every page has.
fn base(shared: &Shared, path: &str, section: &str) -> Context {
    let mut ctx = Context::new();
    ctx.insert("sidebar_full", &shared.sidebar_full);
    ctx.insert_value("planet", shared.planet.clone());
    ctx.insert_value("feeds", shared.feeds.clone());
    ctx.insert_value("nav", shared.nav.clone());
    ctx.insert_value("languages", shared.languages.clone());
    ctx.insert("root", &root_for(path));
    ctx.insert("section", section);
    ctx
}

fn render(
    theme: &Theme,
    template: &str,
    path: &str,
    ctx: &Context,
    site: &Site,
) -> Result<(), RenderError> {
    let html = theme
        .tera
        .render(template, ctx)
        .map_err(|e| RenderError::Template {
            page: path.to_string(),
            message: e.to_string(),
        })?;
    site.add(path, html.into_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::BTreeMap;

    fn feed(url: &str, name: &str) -> FeedInfo {
        FeedInfo {
            id: FeedId::from_source(url),
            name: name.into(),
            url: url.into(),
            site_url: Some("https://site.example/".into()),
            status: "ok",
            language: None,
            avatar: None,
            moved_to: None,
        }
    }

    fn entry(feed: &FeedInfo, id: &str, day: u32, title: &str) -> StoredEntry {
        let date = Utc.with_ymd_and_hms(2025, 1, day, 8, 0, 0).unwrap();
        StoredEntry {
            title: title.into(),
            link: Some(format!("https://site.example/{id}")),
            body: crate::sanitize::clean("<p>Hello <b>there</b><script>x()</script></p>", None),
            categories: vec!["Rust".into()],
            ..StoredEntry::sample(feed.id.clone(), id, date)
        }
    }

    fn site(feeds: &[FeedInfo], entries: &[StoredEntry], lang: &str) -> Site {
        let theme = Theme::load(None, lang, &BTreeMap::new()).expect("theme");
        let planet = PlanetInfo {
            title: "P <&>".into(),
            description: None,
            csp_frame_src: "'none'".into(),
            base_url: "https://p.example/".into(),
            lang: lang.into(),
            feed_entries: 10,
        };
        let health = Health {
            generated: "2025-01-31T00:00:00Z".into(),
            feeds: vec![],
        };
        let input = SiteInput {
            planet: &planet,
            feeds,
            entries,
            per_page: 2,
            max_pages: Some(2),
            extra_pages: &[],
            health: &health,
            now: Utc.with_ymd_and_hms(2025, 1, 31, 0, 0, 0).unwrap(),
        };
        render_site(&theme, &input).expect("renders")
    }

    fn text(site: &Site, path: &str) -> String {
        String::from_utf8(site.get(path).unwrap_or_else(|| panic!("{path}")).to_vec())
            .expect("utf-8")
    }

    #[test]
    fn plain_text_is_escaped_and_only_sanitized_bodies_are_markup() {
        let a = feed("https://a.example/feed", "<script>alert(1)</script>");
        let entries = [entry(&a, "1", 5, "Fish & <chips>")];
        let site = site(&[a], &entries, "en");
        let index = text(&site, "index.html");
        assert!(index.contains("Fish &amp; &lt;chips&gt;"), "{index}");
        assert!(
            index.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{index}"
        );
        assert!(!index.contains("<script>"), "{index}");
        assert!(index.contains("<p>Hello <b>there</b></p>"), "{index}");
        assert!(index.contains("<title>P &lt;&amp;&gt;</title>"), "{index}");
    }

    #[test]
    fn avatar_and_moved_to_render_when_the_data_has_them() {
        let mut a = feed("https://a.example/feed", "Alpha");
        a.avatar = Some("https://a.example/me.png".into());
        a.moved_to = Some("https://new.example/feed".into());
        let b = feed("https://b.example/feed", "Beta");
        let entries = [entry(&a, "1", 5, "One"), entry(&b, "2", 4, "Two")];
        let site = site(&[a.clone(), b], &entries, "en");
        let index = text(&site, "index.html");
        assert_eq!(
            index
                .matches("<img class=\"avatar\" src=\"https://a.example/me.png\"")
                .count(),
            2,
            "sidebar and entry: {index}"
        );
        let health = text(&site, "health/index.html");
        assert!(
            health.contains("Moved to <a href=\"https://new.example/feed\">"),
            "{health}"
        );
        let feed_page = text(&site, &format!("feeds/{}/index.html", a.id));
        assert!(
            feed_page.contains("width=\"32\" height=\"32\""),
            "{feed_page}"
        );
        // The sidebar marks the feed whose page this is, and only that one.
        assert_eq!(feed_page.matches("aria-current=\"page\">").count(), 1);
        assert!(
            feed_page.contains("aria-current=\"page\">Alpha</a>"),
            "{feed_page}"
        );
    }

    #[test]
    fn max_pages_caps_lists_but_not_month_archives() {
        let a = feed("https://a.example/feed", "Alpha");
        let entries: Vec<StoredEntry> = (1..=9)
            .rev()
            .map(|d| entry(&a, &d.to_string(), d, &format!("Post {d}")))
            .collect();
        let site = site(std::slice::from_ref(&a), &entries, "ru");
        assert!(site.get("page/2/index.html").is_some());
        assert!(site.get("page/3/index.html").is_none());
        assert!(
            site.get(&format!("feeds/{}/page/3/index.html", a.id))
                .is_none()
        );
        assert!(site.get("tags/rust/page/3/index.html").is_none());
        assert!(site.get("archive/2025/01/page/5/index.html").is_some());
        let month = text(&site, "archive/2025/01/page/5/index.html");
        assert!(
            month.contains("<h1>январь 2025 <small>Страница 5</small></h1>"),
            "{month}"
        );
        assert!(month.contains("1 января 2025</time></h2>"), "{month}");
        assert!(
            month.contains("<link rel=\"prev\" href=\"../../../../../archive/2025/01/page/4/\">"),
            "{month}"
        );
        let archive = text(&site, "archive/index.html");
        assert!(archive.contains("9 записей"), "{archive}");
    }

    #[test]
    fn past_25_feeds_only_the_timeline_lists_every_subscription() {
        let feeds: Vec<FeedInfo> = (0..26)
            .map(|i| feed(&format!("https://f{i}.example/feed"), &format!("F{i}")))
            .collect();
        let entries = [entry(&feeds[0], "1", 5, "One")];
        let big = site(&feeds, &entries, "en");
        assert!(text(&big, "index.html").contains("<ul class=\"subscriptions\">"));
        let archive = text(&big, "archive/index.html");
        assert!(
            !archive.contains("<ul class=\"subscriptions\">"),
            "{archive}"
        );
        assert!(archive.contains("<a href=\"../#subscriptions-heading\">the full list</a>"));
        let small = site(&feeds[..25], &entries, "en");
        assert!(text(&small, "archive/index.html").contains("<ul class=\"subscriptions\">"));
    }
}
