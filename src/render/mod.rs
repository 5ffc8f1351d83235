//! The timeline → the site's files, in memory: the numbered timeline, monthly
//! archives, per-feed, per-tag and per-language pages ([`listing`]), the
//! health page, extra Markdown pages, the theme's static files, and the
//! merged Atom / RSS / JSON Feed / OPML documents plus per-tag and
//! per-language Atom feeds ([`feeds`]). A post's full text is on the
//! timeline and its month in the archive; the other listings show
//! excerpts ([`excerpts`]) unless the planet asks for full text.
//!
//! Templates receive plain, serializable contexts ([`context`]; the theme's
//! README documents every variable). Titles and names are plain text that
//! Tera escapes; the only values a template may print with `safe` are bodies
//! that came out of the sanitizer. Dates are formatted here with the UI
//! language's month forms, so templates stay logic-free. Tera never leaves
//! this module.

mod charts;
mod context;
mod excerpts;
mod feeds;
mod i18n;
mod listing;
mod pages;
pub mod search;
mod theme;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

pub use theme::{DEFAULT_THEME, Theme, ThemeError};

use crate::config::Avatar;
use crate::entry::{FeedId, StoredEntry, WebUrl};
use crate::keys::{self, Key};
use crate::output::Site;
use crate::report::Health;
use crate::sanitize::SafeHtml;
use crate::select::paginate;

/// Why rendering failed (a theme template that errors at render time).
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("rendering {page} failed:\n{message}")]
    Template { page: String, message: String },
    #[error("writing {file} failed: {message}")]
    Feed { file: String, message: String },
    #[error("reading entry bodies from the store failed: {0}")]
    Bodies(String),
    #[error("{0}")]
    Search(String),
}

/// What the renderer needs to know about one subscription.
#[derive(Debug, Clone)]
pub struct FeedInfo {
    pub id: FeedId,
    pub name: String,
    /// The subscribed URL as written in planet.yaml.
    pub url: String,
    /// The subscribed URL when it is a web address (not a local file).
    pub feed_url: Option<WebUrl>,
    pub site_url: Option<WebUrl>,
    pub status: &'static str,
    pub language: Option<String>,
    /// The image shown beside the feed's name: a checked http(s) URL, or a
    /// local file the build copies into the site.
    pub avatar: Option<Avatar>,
    /// Where permanent redirects now lead; the health page shows it.
    pub moved_to: Option<WebUrl>,
}

impl FeedInfo {
    /// What stands for the feed in the keys of the entries it carries:
    /// every field pages show.
    fn key(&self) -> blake3::Hash {
        // No `..`: a new field must be decided on here.
        let FeedInfo {
            id,
            name,
            url,
            feed_url,
            site_url,
            status,
            language,
            avatar,
            moved_to,
        } = self;
        fn web(u: &Option<WebUrl>) -> Option<&[u8]> {
            u.as_ref().map(|u| u.as_str().as_bytes())
        }
        let mut key = Key::bare();
        key.bytes("id", id.as_str().as_bytes())
            .bytes("name", name.as_bytes())
            .bytes("url", url.as_bytes())
            .opt("feed_url", web(feed_url))
            .opt("site_url", web(site_url))
            .bytes("status", status.as_bytes())
            .opt("language", language.as_deref().map(str::as_bytes))
            .opt("moved_to", web(moved_to));
        match avatar {
            None => key.opt("avatar", None),
            Some(Avatar::Url(url)) => key.bytes("avatar_url", url.as_str().as_bytes()),
            Some(Avatar::File { published, .. }) => {
                key.bytes("avatar_file", published.as_bytes())
            }
        };
        key.hash()
    }
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
    pub base_url: WebUrl,
    pub lang: String,
    pub feed_entries: usize,
    /// `Some(words)`: per-feed, per-tag and per-language pages and feeds
    /// show excerpts of that many words (`listing_content: excerpt`);
    /// `None`: the full text.
    pub listing_excerpts: Option<usize>,
    /// Publish the search page and index (`search:` in planet.yaml).
    pub search: bool,
    /// Who runs the planet (footer, Atom `author`).
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
}

impl PlanetInfo {
    /// Adds every field to `key` (for files that show planet-wide values
    /// but get no template context, such as per-listing feeds).
    fn key(&self, key: &mut Key) {
        // No `..`: a new field must be decided on here.
        let PlanetInfo {
            title,
            description,
            csp_frame_src,
            base_url,
            lang,
            feed_entries,
            listing_excerpts,
            search,
            owner_name,
            owner_email,
        } = self;
        key.bytes("title", title.as_bytes())
            .opt("description", description.as_ref().map(|d| d.as_str().as_bytes()))
            .bytes("csp_frame_src", csp_frame_src.as_bytes())
            .bytes("base_url", base_url.as_str().as_bytes())
            .bytes("lang", lang.as_bytes())
            .value("feed_entries", feed_entries)
            .value("listing_excerpts", listing_excerpts)
            .value("search", search)
            .opt("owner_name", owner_name.as_deref().map(str::as_bytes))
            .opt("owner_email", owner_email.as_deref().map(str::as_bytes));
    }
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

/// Where the bodies of the entries a build renders come from: the timeline
/// is normally loaded without them, and only the pages that changed need
/// theirs.
pub trait Bodies: Sync {
    /// The bodies of `entries`, in their order.
    fn load(&self, entries: &[&StoredEntry]) -> Result<Vec<SafeHtml>, String>;
    /// The first `words` words of `body`, cut on the document tree by the
    /// planet's sanitizer.
    fn excerpt(&self, body: &SafeHtml, words: usize) -> SafeHtml;
}

/// The bodies are in the entries already (a timeline built in memory).
pub struct InlineBodies;

impl Bodies for InlineBodies {
    fn load(&self, entries: &[&StoredEntry]) -> Result<Vec<SafeHtml>, String> {
        Ok(entries.iter().map(|e| e.body.clone()).collect())
    }

    fn excerpt(&self, body: &SafeHtml, words: usize) -> SafeHtml {
        crate::sanitize::excerpt(body, words)
    }
}

/// Renders every file of the site, in memory.
pub fn render_site(theme: &Theme, input: &SiteInput) -> Result<Site, RenderError> {
    let site = Site::default();
    render_site_into(theme, input, &InlineBodies, &site)?;
    Ok(site)
}

/// Renders every file of the site into `site` (in memory, or straight to a
/// staging directory, see [`Site::staged`]). Pages and per-listing feeds
/// whose key is unchanged are carried over from the live site instead
/// (see [`crate::keys`]); only the entries of the others have their bodies
/// read.
/// With search on, also the search page and index ([`search`]), whose
/// figures are returned.
pub fn render_site_into(
    theme: &Theme,
    input: &SiteInput,
    bodies: &dyn Bodies,
    site: &Site,
) -> Result<Option<search::SearchStats>, RenderError> {
    let t = &*theme.translation;
    for (path, bytes) in &theme.statics {
        site.add(path, bytes.clone());
    }
    let listings = listing::build(input.entries, input.feeds);
    let feed_index = FeedIndex::new(input.feeds);
    let shared = pages::Shared::new(
        theme,
        context::planet(t, input),
        context::feeds(t, input, &listings),
        context::nav(t, input, &listings),
        context::languages(t, &listings),
    );
    let tag_counts = context::tag_counts(&listings);
    let feed_keys: HashMap<&FeedId, blake3::Hash> =
        input.feeds.iter().map(|f| (&f.id, f.key())).collect();
    let archive_pages = listing::archive_pages(&listings, input.entries.len(), input.per_page);
    let entry_keys: Vec<blake3::Hash> = input
        .entries
        .par_iter()
        .zip(&archive_pages)
        .map(|(e, &page)| {
            keys::entry_key(
                e,
                page,
                |id| feed_keys.get(id).copied(),
                |tag| {
                    let slug = listing::tag_slug(tag);
                    tag_counts.get(slug.as_str()).copied().unwrap_or(0)
                },
            )
        })
        .collect();

    // 1. Which pages and feeds changed: the rest is carried over now.
    let plan = pages::Plan {
        theme,
        input,
        shared: &shared,
        feed_index: &feed_index,
        tag_counts: &tag_counts,
        entry_keys: &entry_keys,
        archive_pages: &archive_pages,
        site,
    };
    let jobs: Vec<pages::Job> = listings
        .all
        .par_iter()
        .map(|list| plan.listing(list))
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();

    // 2. Render what changed, each job reading its own entries' bodies:
    //    nothing holds every body at once, however big the planet. The
    //    full-text pages go first and leave the excerpts the others need.
    let mut needed = vec![false; input.entries.len()];
    for job in jobs.iter().filter(|j| j.excerpts) {
        for &i in &job.entries {
            if let Some(slot) = needed.get_mut(i) {
                *slot = true;
            }
        }
    }
    let excerpts = excerpts::Excerpts::new(input.planet.listing_excerpts.unwrap_or(0), needed);
    let (excerpt_jobs, full_jobs): (Vec<&pages::Job>, Vec<&pages::Job>) =
        jobs.iter().partition(|j| j.excerpts);
    for batch in [full_jobs, excerpt_jobs] {
        batch
            .par_iter()
            .try_for_each(|job| plan.render(job, bodies, &excerpts))?;
    }
    let newest: Vec<&StoredEntry> = input
        .entries
        .iter()
        .take(input.planet.feed_entries)
        .collect();
    let newest_bodies = bodies.load(&newest).map_err(RenderError::Bodies)?;
    let items: Vec<feeds::Item> = newest
        .iter()
        .zip(&newest_bodies)
        .map(|(&e, body)| (e, body.as_str()))
        .collect();
    feeds::write_all(site, input, &feed_index, &items)?;

    // 4. The pages every build renders: they show the build time or sums
    //    over everything, and are few.
    let path = "archive/index.html";
    let mut page = pages::PageBuild::new(&shared, path, "archive", true);
    page.insert("years", &context::archive(t, &listings));
    page.insert("activity", &charts::activity(t, &input.health.activity));
    page.render(theme, "archive.html", path, site)?;

    if !listings.tags.is_empty() {
        let path = "tags/index.html";
        let mut page = pages::PageBuild::new(&shared, path, "tags", true);
        page.insert("tags", &context::tags(&listings));
        page.render(theme, "tags.html", path, site)?;
    }

    let path = "health/index.html";
    let mut page = pages::PageBuild::new(&shared, path, "health", true);
    page.insert("health", &context::health(t, input, shared.feeds()));
    page.insert("activity", &charts::activity(t, &input.health.activity));
    page.insert("health_generated", &context::date_time(t, input.now));
    page.insert("health_generated_iso", &input.now.to_rfc3339());
    page.render(theme, "health.html", path, site)?;

    for extra in input.extra_pages {
        let path = format!("pages/{}/index.html", extra.slug);
        let mut page = pages::PageBuild::new(&shared, &path, &format!("page-{}", extra.slug), true);
        page.insert(
            "doc",
            &DocCtx {
                title: &extra.title,
                body: extra.body.as_str(),
            },
        );
        page.render(theme, "page.html", &path, site)?;
    }

    if !input.planet.search {
        return Ok(None);
    }
    let inputs = search::Inputs {
        theme,
        input,
        shared: &shared,
        listings: &listings,
        feeds: &feed_index,
        archive_pages: &archive_pages,
    };
    search::write(&inputs, bodies, site).map(Some)
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
            feed_url: None,
            site_url: Some(WebUrl::sample("https://site.example/")),
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
            link: Some(WebUrl::sample(&format!("https://site.example/{id}"))),
            body: crate::sanitize::clean("<p>Hello <b>there</b><script>x()</script></p>", None),
            categories: vec!["Rust".into()],
            ..StoredEntry::sample(feed.id.clone(), id, date)
        }
    }

    fn site(feeds: &[FeedInfo], entries: &[StoredEntry], lang: &str) -> Site {
        site_with(feeds, entries, lang, Some(4))
    }

    fn site_with(
        feeds: &[FeedInfo],
        entries: &[StoredEntry],
        lang: &str,
        listing_excerpts: Option<usize>,
    ) -> Site {
        let theme = Theme::load(None, lang, &BTreeMap::new()).expect("theme");
        let planet = PlanetInfo {
            title: "P <&>".into(),
            description: None,
            csp_frame_src: "'none'".into(),
            owner_name: None,
            owner_email: None,
            base_url: WebUrl::sample("https://p.example/"),
            lang: lang.into(),
            feed_entries: 10,
            listing_excerpts,
            search: true,
        };
        let health = Health {
            generated: "2025-01-31T00:00:00Z".into(),
            lock_wait_secs: 0.0,
            feeds: vec![],
            activity: vec![],
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
        a.avatar = Some(Avatar::Url(WebUrl::sample("https://a.example/me.png")));
        a.moved_to = Some(WebUrl::sample("https://new.example/feed"));
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
    fn full_text_is_on_the_timeline_and_in_the_archive_and_listings_show_excerpts() {
        let a = feed("https://a.example/feed", "Alpha");
        let long = |id: &str, day: u32| StoredEntry {
            body: crate::sanitize::clean(
                &format!("<p>Post {id} <b>one two three</b> four five</p><p>six</p>"),
                None,
            ),
            ..entry(&a, id, day, &format!("Post {id}"))
        };
        // Newest first: 5, 4, 3 — page 2 of January holds the third.
        let entries = [long("5", 5), long("4", 4), long("3", 3)];
        let site = site(std::slice::from_ref(&a), &entries, "en");
        let full = "<p>Post 3 <b>one two three</b> four five</p><p>six</p>";
        let anchor = context::anchor(&entries[2]);
        let month = text(&site, "archive/2025/01/page/2/index.html");
        assert!(month.contains(full), "{month}");
        assert!(month.contains(&format!("id=\"{anchor}\"")), "{month}");
        assert!(text(&site, "page/2/index.html").contains(full));

        let feed_page = text(&site, &format!("feeds/{}/page/2/index.html", a.id));
        assert!(!feed_page.contains(full), "{feed_page}");
        assert!(
            feed_page.contains("<p>Post 3 <b>one two…</b></p>"),
            "cut on the tree after 4 words: {feed_page}"
        );
        assert!(
            feed_page.contains("<a href=\"https://site.example/3\">Read the original</a>"),
            "{feed_page}"
        );
        assert!(
            feed_page.contains(&format!(
                "<a href=\"../../../../archive/2025/01/page/2/#{anchor}\">In the archive</a>"
            )),
            "{feed_page}"
        );
        let tag_page = text(&site, "tags/rust/index.html");
        assert!(tag_page.contains("<b>one two…</b>") && !tag_page.contains(full));
        assert!(
            site.get(&format!("feeds/{}/atom.xml", a.id)).is_none(),
            "a feed's page links the member's own feed instead"
        );
        let tag_feed = text(&site, "tags/rust/atom.xml");
        let parsed = atom_syndication::Feed::read_from(tag_feed.as_bytes()).expect("atom");
        assert_eq!(parsed.entries().len(), 3);
        for e in parsed.entries() {
            assert!(e.content().is_none(), "{tag_feed}");
            let summary = e.summary().expect("an excerpt");
            assert!(summary.value.contains("one two…"), "{tag_feed}");
        }

        // listing_content: full keeps the full text everywhere.
        let full_site = site_with(std::slice::from_ref(&a), &entries, "en", None);
        let feed_page = text(&full_site, &format!("feeds/{}/page/2/index.html", a.id));
        assert!(feed_page.contains(full), "{feed_page}");
        assert!(!feed_page.contains("Read the original"), "{feed_page}");
        let tag_feed = text(&full_site, "tags/rust/atom.xml");
        assert!(tag_feed.contains("<content type=\"html\">"), "{tag_feed}");
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
