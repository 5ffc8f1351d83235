//! The timeline → the site's files, in memory: HTML pages through the theme's
//! Tera templates, the theme's static files, and the merged Atom / RSS /
//! JSON Feed / OPML documents ([`feeds`]).
//!
//! Templates receive plain, serializable contexts built here (the theme's
//! README documents every variable). Titles and names are plain text that
//! Tera escapes; the only value a template may print with `safe` is a body
//! that came out of the sanitizer. Dates are formatted here with the UI
//! language's month forms, so templates stay logic-free.

mod feeds;
mod i18n;
mod theme;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tera::Context;

pub use theme::{DEFAULT_THEME, Theme, ThemeError};

use crate::entry::{FeedId, StoredEntry};
use crate::output::Site;
use crate::report::Health;
use crate::sanitize::SafeHtml;
use crate::select::Page;

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
}

/// The planet-wide values every page shows.
#[derive(Debug, Clone)]
pub struct PlanetInfo {
    pub title: String,
    pub description: Option<SafeHtml>,
    pub base_url: String,
    pub lang: String,
    pub feed_entries: usize,
    /// CSP `frame-src` sources: the sanitizer's iframe allow-list.
    pub csp_frame_src: String,
}

/// Everything one build renders.
pub struct SiteInput<'a> {
    pub planet: &'a PlanetInfo,
    pub feeds: &'a [FeedInfo],
    /// The whole timeline, newest first.
    pub entries: &'a [StoredEntry],
    pub pages: &'a [Page],
    pub health: &'a Health,
    pub now: DateTime<Utc>,
}

/// Renders every file of the site.
pub fn render_site(theme: &Theme, input: &SiteInput) -> Result<Site, RenderError> {
    let mut site = Site::default();
    for (path, bytes) in &theme.statics {
        site.add(path, bytes.clone());
    }
    let feeds_ctx = feeds_context(theme, input);
    let planet_ctx = planet_context(theme, input);
    let total = input.pages.len().max(1);
    for page in input
        .pages
        .iter()
        .chain(input.pages.is_empty().then_some(&Page::EMPTY))
    {
        let path = page_path(page.number);
        let root = if page.number == 1 {
            "./".to_string()
        } else {
            "../../".to_string()
        };
        let entries = &input.entries[page.range.clone()];
        let mut ctx = Context::new();
        ctx.insert("planet", &planet_ctx);
        ctx.insert("feeds", &feeds_ctx);
        ctx.insert("root", &root);
        ctx.insert(
            "page",
            &PageCtx {
                number: page.number,
                total,
            },
        );
        ctx.insert("days", &days_context(theme, input, entries));
        ctx.insert("pager", &pager_context(page.number, total, &root));
        let html = theme
            .tera
            .render("index.html", &ctx)
            .map_err(|e| RenderError::Template {
                page: path.clone(),
                message: e.to_string(),
            })?;
        site.add(&path, html.into_bytes());
    }
    let newest = &input.entries[..input.entries.len().min(input.planet.feed_entries)];
    feeds::write_all(&mut site, input, newest)?;
    Ok(site)
}

/// `index.html` for page 1, `page/N/index.html` after it.
pub fn page_path(number: usize) -> String {
    if number <= 1 {
        "index.html".to_string()
    } else {
        format!("page/{number}/index.html")
    }
}

/// A page's URL relative to the site root, as links use it.
fn page_url(root: &str, number: usize) -> String {
    if number <= 1 {
        root.to_string()
    } else {
        format!("{root}page/{number}/")
    }
}

#[derive(Serialize)]
struct PlanetCtx<'a> {
    title: &'a str,
    /// Sanitized HTML (print with `safe`).
    description: Option<&'a str>,
    base_url: &'a str,
    lang: &'a str,
    csp_frame_src: &'a str,
    /// The UI language's own name ("Русский").
    language_name: &'a str,
    generated_iso: String,
    generated: String,
    entry_count: usize,
}

#[derive(Serialize)]
struct FeedCtx<'a> {
    id: &'a str,
    name: &'a str,
    url: &'a str,
    site_url: Option<&'a str>,
    status: &'a str,
    latest_post: Option<String>,
    latest_post_iso: Option<String>,
    entry_count: usize,
}

#[derive(Serialize)]
struct PageCtx {
    number: usize,
    total: usize,
}

#[derive(Serialize)]
struct DayCtx<'a> {
    heading: String,
    date_iso: String,
    entries: Vec<EntryCtx<'a>>,
}

#[derive(Serialize)]
struct EntryCtx<'a> {
    id: &'a str,
    title: &'a str,
    link: Option<&'a str>,
    feed_id: &'a str,
    feed_name: &'a str,
    feed_site: Option<&'a str>,
    author: Option<&'a str>,
    date_iso: String,
    date: String,
    /// Sanitized HTML (print with `safe`); empty for title-only entries.
    body: &'a str,
    categories: &'a [String],
    enclosures: Vec<EnclosureCtx<'a>>,
}

#[derive(Serialize)]
struct EnclosureCtx<'a> {
    url: &'a str,
    mime_type: Option<&'a str>,
    is_audio: bool,
    is_video: bool,
}

#[derive(Serialize, Debug, PartialEq)]
struct PagerCtx {
    current: usize,
    total: usize,
    first: Option<String>,
    prev: Option<String>,
    next: Option<String>,
    last: Option<String>,
    items: Vec<PagerItem>,
}

#[derive(Serialize, Debug, PartialEq)]
struct PagerItem {
    /// `None` marks a gap ("…").
    number: Option<usize>,
    url: Option<String>,
    current: bool,
}

fn planet_context<'a>(theme: &'a Theme, input: &'a SiteInput) -> PlanetCtx<'a> {
    PlanetCtx {
        title: &input.planet.title,
        description: input.planet.description.as_ref().map(SafeHtml::as_str),
        base_url: &input.planet.base_url,
        lang: &input.planet.lang,
        csp_frame_src: &input.planet.csp_frame_src,
        language_name: &theme.translation.name,
        generated_iso: input.now.to_rfc3339(),
        generated: theme.translation.date(input.now),
        entry_count: input.entries.len(),
    }
}

fn feeds_context<'a>(theme: &Theme, input: &'a SiteInput) -> Vec<FeedCtx<'a>> {
    input
        .feeds
        .iter()
        .map(|f| {
            let mine = input.entries.iter().filter(|e| e.feed_id == f.id);
            let latest = mine.clone().map(|e| e.display_date()).max();
            FeedCtx {
                id: f.id.as_str(),
                name: &f.name,
                url: &f.url,
                site_url: f.site_url.as_deref(),
                status: f.status,
                latest_post: latest.map(|d| theme.translation.date(d)),
                latest_post_iso: latest.map(|d| d.to_rfc3339()),
                entry_count: mine.count(),
            }
        })
        .collect()
}

fn days_context<'a>(
    theme: &Theme,
    input: &'a SiteInput,
    entries: &'a [StoredEntry],
) -> Vec<DayCtx<'a>> {
    let mut days: Vec<DayCtx> = Vec::new();
    for e in entries {
        let date = e.display_date();
        let day_iso = date.format("%Y-%m-%d").to_string();
        let feed = input.feeds.iter().find(|f| f.id == e.feed_id);
        let ctx = EntryCtx {
            id: &e.id,
            title: &e.title,
            link: e.link.as_deref(),
            feed_id: e.feed_id.as_str(),
            feed_name: feed.map_or("", |f| f.name.as_str()),
            feed_site: feed.and_then(|f| f.site_url.as_deref()),
            author: e.author.as_deref(),
            date_iso: date.to_rfc3339(),
            date: theme.translation.date(date),
            body: e.body.as_str(),
            categories: &e.categories,
            enclosures: e
                .enclosures
                .iter()
                .map(|enc| {
                    let mime = enc.mime_type.as_deref().unwrap_or("");
                    EnclosureCtx {
                        url: &enc.url,
                        mime_type: enc.mime_type.as_deref(),
                        is_audio: mime.starts_with("audio/"),
                        is_video: mime.starts_with("video/"),
                    }
                })
                .collect(),
        };
        match days.last_mut() {
            Some(day) if day.date_iso == day_iso => day.entries.push(ctx),
            _ => days.push(DayCtx {
                heading: theme.translation.date(date),
                date_iso: day_iso,
                entries: vec![ctx],
            }),
        }
    }
    days
}

/// First, previous, a window of numbers around the current page with gaps,
/// next, last. Links are `None` where they would point at the current page.
fn pager_context(current: usize, total: usize, root: &str) -> PagerCtx {
    const WINDOW: usize = 2;
    let link = |n: usize| Some(page_url(root, n));
    let mut items = Vec::new();
    let mut last_shown = 0;
    for n in 1..=total {
        let near = n.abs_diff(current) <= WINDOW;
        if n == 1 || n == total || near {
            if last_shown + 1 < n {
                items.push(PagerItem {
                    number: None,
                    url: None,
                    current: false,
                });
            }
            items.push(PagerItem {
                number: Some(n),
                url: if n == current { None } else { link(n) },
                current: n == current,
            });
            last_shown = n;
        }
    }
    PagerCtx {
        current,
        total,
        first: (current > 1).then(|| page_url(root, 1)),
        prev: (current > 1).then(|| page_url(root, current - 1)),
        next: (current < total).then(|| page_url(root, current + 1)),
        last: (current < total).then(|| page_url(root, total)),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_has_first_prev_window_gaps_next_last() {
        let p = pager_context(5, 9, "../../");
        assert_eq!(p.first.as_deref(), Some("../../"));
        assert_eq!(p.prev.as_deref(), Some("../../page/4/"));
        assert_eq!(p.next.as_deref(), Some("../../page/6/"));
        assert_eq!(p.last.as_deref(), Some("../../page/9/"));
        let shown: Vec<String> = p
            .items
            .iter()
            .map(|i| match (i.number, i.current) {
                (None, _) => "…".to_string(),
                (Some(n), true) => format!("[{n}]"),
                (Some(n), false) => n.to_string(),
            })
            .collect();
        assert_eq!(shown, ["1", "…", "3", "4", "[5]", "6", "7", "…", "9"]);
        let first = pager_context(1, 3, "./");
        assert_eq!((first.first, first.prev), (None, None));
        assert_eq!(first.next.as_deref(), Some("./page/2/"));
        assert_eq!(first.items.len(), 3);
    }

    #[test]
    fn page_paths() {
        assert_eq!(page_path(1), "index.html");
        assert_eq!(page_path(3), "page/3/index.html");
    }
}
