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

use chrono::{DateTime, Utc};
use serde::Serialize;
use tera::Context;

pub use theme::{DEFAULT_THEME, Theme, ThemeError};

use crate::entry::{FeedId, StoredEntry};
use crate::output::Site;
use crate::report::Health;
use crate::sanitize::SafeHtml;
use crate::select::paginate;
use context::{FeedCtx, Shared, page_path, root_for};
use listing::{Kind, Listing, Listings};

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
    let t = &*theme.translation;
    let mut site = Site::default();
    for (path, bytes) in &theme.statics {
        site.add(path, bytes.clone());
    }
    let listings = listing::build(input.entries, input.feeds);
    let shared = Shared {
        planet: context::planet(t, input),
        feeds: context::feeds(t, input, &listings),
        nav: context::nav(t, input, &listings),
        languages: context::languages(t, &listings),
    };
    for list in &listings.all {
        render_listing(theme, input, &listings, &shared, list, &mut site)?;
    }

    let path = "archive/index.html";
    let mut ctx = base(&shared, path, "archive");
    ctx.insert("years", &context::archive(t, &listings));
    render(theme, "archive.html", path, &ctx, &mut site)?;

    if !listings.tags.is_empty() {
        let path = "tags/index.html";
        let mut ctx = base(&shared, path, "tags");
        ctx.insert("tags", &context::tags(&listings));
        render(theme, "tags.html", path, &ctx, &mut site)?;
    }

    let path = "health/index.html";
    let mut ctx = base(&shared, path, "health");
    ctx.insert("health", &context::health(t, input, &shared.feeds));
    ctx.insert("health_generated", &context::date_time(t, input.now));
    ctx.insert("health_generated_iso", &input.now.to_rfc3339());
    render(theme, "health.html", path, &ctx, &mut site)?;

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
        render(theme, "page.html", &path, &ctx, &mut site)?;
    }

    let newest = &input.entries[..input.entries.len().min(input.planet.feed_entries)];
    feeds::write_all(&mut site, input, newest)?;
    for list in &listings.all {
        let title = match &list.kind {
            Kind::Timeline | Kind::Month { .. } => continue,
            _ => format!("{} · {}", listing_title(t, input, list), input.planet.title),
        };
        let entries: Vec<&StoredEntry> = list
            .entries
            .iter()
            .take(input.planet.feed_entries)
            .map(|&i| &input.entries[i])
            .collect();
        let xml = feeds::atom(input, &entries, &title, &list.dir)?;
        site.add(&format!("{}atom.xml", list.dir), xml.into_bytes());
    }
    Ok(site)
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
    listings: &Listings,
    shared: &Shared,
    list: &Listing,
    site: &mut Site,
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
            Kind::Feed { index } => shared.feeds.get(index).cloned(),
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
    for page in &pages {
        let path = page_path(&list.dir, page.number);
        let mut ctx = base(shared, &path, section);
        ctx.insert("listing", &listing_ctx);
        ctx.insert(
            "page",
            &PageCtx {
                number: page.number,
                total,
            },
        );
        let slice: &[usize] = list.entries.get(page.range.clone()).unwrap_or(&[]);
        ctx.insert("days", &context::days(t, input, listings, slice));
        ctx.insert("pager", &context::pager(page.number, total, &list.dir));
        render(theme, template, &path, &ctx, site)?;
    }
    Ok(())
}

/// The variables every page has.
fn base(shared: &Shared, path: &str, section: &str) -> Context {
    let mut ctx = Context::new();
    ctx.insert("planet", &shared.planet);
    ctx.insert("feeds", &shared.feeds);
    ctx.insert("nav", &shared.nav);
    ctx.insert("languages", &shared.languages);
    ctx.insert("root", &root_for(path));
    ctx.insert("section", section);
    ctx
}

fn render(
    theme: &Theme,
    template: &str,
    path: &str,
    ctx: &Context,
    site: &mut Site,
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
