//! The timeline → the site's files, handed to the output stage as they are
//! made: the numbered timeline, monthly archives, per-feed, per-tag and
//! per-language pages ([`listing`]), the health page, extra Markdown pages,
//! the search page and index ([`search`]), the theme's static files, and
//! the merged Atom / RSS / JSON Feed / OPML documents plus per-tag and
//! per-language Atom feeds ([`feeds`], [`subscriptions`]). A post's full
//! text is on the timeline and its month in the archive; the other listings
//! show excerpts ([`excerpts`]) unless the planet asks for full text, and a
//! planet near its size budget shows its oldest archive months as excerpts
//! too ([`budget`]). Each
//! page gets a key built with its context ([`pages`], see [`crate::keys`]),
//! and a page whose key is unchanged is carried over instead of rendered.
//! Templates receive plain, serializable values ([`context`], [`entries`],
//! [`health`]; the theme's README documents every variable). Titles and
//! names are plain text that Tera escapes; the only values a template may
//! print with `safe` are bodies that came out of the sanitizer. Dates are
//! formatted here with the UI language's month forms, so templates stay
//! logic-free. Tera never leaves this module.

pub mod budget;
mod charts;
mod context;
mod entries;
mod excerpts;
mod feeds;
mod health;
mod i18n;
mod listing;
mod pages;
pub mod search;
pub mod subscriptions;
mod theme;
mod xml;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

pub use listing::paging::Paging;
use listing::{Listing, Listings};
pub use theme::{DEFAULT_THEME, Theme, ThemeError};

use crate::config::Avatar;
use crate::entry::{FeedId, StoredEntry, WebUrl};
use crate::feed_state::FeedStatus;
use crate::keys::{self, Key};
use crate::output::Site;
use crate::report::Health;
use crate::sanitize::SafeHtml;

/// Why rendering failed: a theme template that errors at render time (its
/// source is Tera's error, which names the template and, for one inside an
/// `{% include %}`, the template that included it), an output feed its
/// library could not write, the bodies that could not be read, or the
/// search index.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("rendering {page} failed:\n{source}")]
    Template { page: String, source: BoxError },
    #[error("writing {file} failed: {source}")]
    Feed { file: String, source: BoxError },
    #[error("reading entry bodies from the store failed: {0}")]
    Bodies(#[source] BodiesError),
    #[error(transparent)]
    Search(#[from] search::BundleError),
}

/// The error of a library render uses (Tera, the feed writers), kept as
/// the source without naming its type outside render.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why the bodies of entries could not be read (the store's error).
pub type BodiesError = BoxError;

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
    pub status: FeedStatus,
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
            .bytes("status", status.as_str().as_bytes())
            .opt("language", language.as_deref().map(str::as_bytes))
            .opt("moved_to", web(moved_to));
        match avatar {
            None => key.opt("avatar", None),
            Some(Avatar::Url(url)) => key.bytes("avatar_url", url.as_str().as_bytes()),
            Some(Avatar::File { published, .. }) => key.bytes("avatar_file", published.as_bytes()),
        };
        key.hash()
    }
}

/// The subscriptions by id, built once per render.
pub struct FeedIndex<'a>(HashMap<&'a FeedId, &'a FeedInfo>);

impl<'a> FeedIndex<'a> {
    pub fn new(feeds: &'a [FeedInfo]) -> Self {
        FeedIndex(feeds.iter().map(|f| (&f.id, f)).collect())
    }

    pub fn get(&self, id: &FeedId) -> Option<&'a FeedInfo> {
        self.0.get(id).copied()
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
    /// The site's size budget in bytes (`output.max_site_mb`): the
    /// archive's oldest months show excerpts when it would pass it.
    pub max_site_bytes: u64,
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
            // Decides which months show excerpts: that is in their keys.
            max_site_bytes: _,
            owner_name,
            owner_email,
        } = self;
        key.bytes("title", title.as_bytes())
            .opt(
                "description",
                description.as_ref().map(|d| d.as_str().as_bytes()),
            )
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
    pub planet: PlanetInfo,
    pub feeds: &'a [FeedInfo],
    /// The whole timeline, newest first.
    pub entries: &'a [StoredEntry],
    pub per_page: usize,
    /// Cap on numbered pages of every listing but the monthly archives.
    pub max_pages: Option<usize>,
    pub extra_pages: Vec<ExtraPage>,
    pub health: &'a Health,
    pub now: DateTime<Utc>,
}

impl SiteInput<'_> {
    /// How this build cuts listings into pages.
    fn paging(&self) -> Paging {
        Paging::new(self.per_page, self.max_pages)
    }
}

/// Where the bodies of the entries a build renders come from: the timeline
/// is normally loaded without them, and only the pages that changed need
/// theirs.
pub trait Bodies: Sync {
    /// The bodies of `entries`, in their order.
    fn load(&self, entries: &[&StoredEntry]) -> Result<Vec<SafeHtml>, BodiesError>;
    /// The first `words` words of `body`, cut on the document tree by the
    /// planet's sanitizer.
    fn excerpt(&self, body: &SafeHtml, words: usize) -> SafeHtml;
}

/// Renders every file of the site into `site`, which writes each to its
/// staging directory as it comes. Pages and per-listing feeds whose key is
/// unchanged are carried over from the previous site instead (see
/// [`crate::keys`]); only the entries of the others have their bodies
/// read. With search on, also the search page and index ([`search`]),
/// whose figures are returned.
pub fn render_site_into(
    theme: &Theme,
    input: &SiteInput,
    bodies: &dyn Bodies,
    site: &Site,
) -> Result<Rendered, RenderError> {
    let t = &*theme.translation;
    for (path, bytes) in &theme.statics {
        site.add(path, bytes.clone());
    }
    let feed_index = FeedIndex::new(input.feeds);
    let listings = listing::build(input.entries, input.feeds, &feed_index);
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
    let archive_pages = listing::archive_pages(&listings, input.entries.len(), &input.paging());
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

    // Which pages and feeds changed: the rest is carried over now. A
    // planet near its size budget makes its month pages last, once the
    // rest of the site is known (see `budget`).
    let plan = pages::Plan {
        theme,
        input,
        shared: &shared,
        feed_index: &feed_index,
        tag_counts: &tag_counts,
        entry_keys: &entry_keys,
        archive_pages: &archive_pages,
        archive_cut: None,
        site,
    };
    let budget = input.planet.max_site_bytes;
    let planned =
        input.planet.listing_excerpts.is_some() && budget::may_not_fit(input.entries, budget);
    let (later, now): (Vec<&Listing>, Vec<&Listing>) = listings
        .all
        .iter()
        .partition(|list| planned && matches!(list.kind, listing::Kind::Month { .. }));
    // The pages every build renders run beside the listings, on whichever
    // core is free: run after them, they left the last core alone at the
    // end of every build (the health page alone lists every feed).
    let (listed, every_build) = rayon::join(
        || render_listings(&plan, &now, bodies),
        || render_every_build(theme, input, &shared, &listings, &feed_index, bodies, site),
    );
    listed?;
    every_build?;

    let search = if input.planet.search {
        let inputs = search::Inputs {
            theme,
            input,
            shared: &shared,
            listings: &listings,
            feeds: &feed_index,
            archive_pages: &archive_pages,
        };
        Some(search::write(&inputs, bodies, site)?)
    } else {
        None
    };

    // The month pages of a planet near its budget, now that the rest of
    // the site is on disk.
    let archive_cut = if planned {
        let cut = archive_cut(&listings, input, site, budget);
        let plan = pages::Plan {
            archive_cut: cut,
            ..plan
        };
        render_listings(&plan, &later, bodies)?;
        cut
    } else {
        None
    };
    Ok(Rendered {
        search,
        archive_cut,
    })
}

/// The files every build writes, whatever changed: the merged feeds of the
/// newest entries, and the pages that show the build time or sums over
/// everything (archive and tag indexes, health, extra pages). They are few.
fn render_every_build(
    theme: &Theme,
    input: &SiteInput,
    shared: &pages::Shared,
    listings: &Listings,
    feed_index: &FeedIndex,
    bodies: &dyn Bodies,
    site: &Site,
) -> Result<(), RenderError> {
    let t = &*theme.translation;
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
    feeds::write_all(site, input, feed_index, &items)?;

    let path = "archive/index.html";
    let mut page = pages::PageBuild::new(shared, path, "archive", true);
    page.insert("years", &context::archive(t, listings));
    page.insert("activity", &charts::activity(t, &input.health.activity));
    page.render(theme, "archive.html", path, site)?;

    if !listings.tags.is_empty() {
        let path = "tags/index.html";
        let mut page = pages::PageBuild::new(shared, path, "tags", true);
        page.insert("tags", &context::tags(listings));
        page.render(theme, "tags.html", path, site)?;
    }

    let path = "health/index.html";
    let mut page = pages::PageBuild::new(shared, path, "health", true);
    page.insert("health", &health::health(t, input, shared.feeds()));
    page.insert("activity", &charts::activity(t, &input.health.activity));
    page.insert("health_generated", &t.date_time(input.now));
    page.insert("health_generated_iso", &input.now.to_rfc3339());
    page.render(theme, "health.html", path, site)?;

    for extra in &input.extra_pages {
        let path = format!("pages/{}/index.html", extra.slug);
        let mut page = pages::PageBuild::new(shared, &path, &format!("page-{}", extra.slug), true);
        page.insert(
            "doc",
            &DocCtx {
                title: &extra.title,
                body: extra.body.as_str(),
            },
        );
        page.render(theme, "page.html", &path, site)?;
    }

    Ok(())
}

/// What a build rendered, beyond its files: for the build's report.
#[derive(Debug, Default)]
pub struct Rendered {
    pub search: Option<search::SearchStats>,
    /// Set when the archive's oldest months show excerpts to fit the budget.
    pub archive_cut: Option<budget::ArchiveCut>,
}

/// Plans and renders `lists`: what changed is rendered, each job reading
/// its own entries' bodies, so nothing holds every body at once, however
/// big the planet; the rest is carried over. The full-text pages go first
/// and leave the excerpts the others need.
fn render_listings(
    plan: &pages::Plan,
    lists: &[&Listing],
    bodies: &dyn Bodies,
) -> Result<(), RenderError> {
    let jobs: Vec<pages::Job> = lists
        .par_iter()
        .map(|list| plan.listing(list))
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    let mut needed = vec![false; plan.input.entries.len()];
    for job in jobs.iter().filter(|j| j.excerpts) {
        for &i in &job.entries {
            if let Some(slot) = needed.get_mut(i) {
                *slot = true;
            }
        }
    }
    let words = plan.input.planet.listing_excerpts.unwrap_or(0);
    let excerpts = excerpts::Excerpts::new(words, needed);
    let (excerpt_jobs, full_jobs): (Vec<&pages::Job>, Vec<&pages::Job>) =
        jobs.iter().partition(|j| j.excerpts);
    for batch in [full_jobs, excerpt_jobs] {
        batch
            .par_iter()
            .try_for_each(|job| plan.render(job, bodies, &excerpts))?;
    }
    Ok(())
}

/// Which archive months must show excerpts for the site to fit `budget`,
/// measured on what this build has made so far: every file but the month
/// pages.
fn archive_cut(
    listings: &Listings,
    input: &SiteInput,
    site: &Site,
    budget: u64,
) -> Option<budget::ArchiveCut> {
    let paging = input.paging();
    let timeline: Vec<&StoredEntry> = paging
        .pages(input.entries.len(), true)
        .into_iter()
        .flat_map(|page| page.range)
        .filter_map(|i| input.entries.get(i))
        .collect();
    let timeline_bytes = site.bytes_listed(|p| p == "index.html" || p.starts_with("page/"));
    // Entries the feeds' pages show (their page count may be capped).
    let feed_entries: usize = listings
        .all
        .iter()
        .filter(|list| matches!(list.kind, listing::Kind::Feed { .. }))
        .flat_map(|list| paging.pages(list.entries.len(), list.capped))
        .map(|page| page.range.len())
        .sum();
    let feed_bytes = site.bytes_listed(|p| p.starts_with("feeds/") && p.ends_with(".html"));
    let words = input.planet.listing_excerpts.unwrap_or(0);
    let rates =
        budget::Rates::measured(timeline_bytes, &timeline, (feed_bytes, feed_entries), words)?;
    let used = site.bytes_listed(|_| true);

    budget::plan(listings, input.entries, rates, used, budget)
}

#[derive(Serialize)]
struct DocCtx<'a> {
    title: &'a str,
    /// Sanitized HTML (print with `safe`).
    body: &'a str,
}

#[cfg(test)]
mod tests;
