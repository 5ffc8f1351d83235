//! Building each page's template context together with its key, deciding
//! which listing pages and per-listing feeds changed ([`Plan::listing`]),
//! and rendering those ([`Plan::render`]). A context and its key are built
//! by the same calls ([`PageBuild`]), so nothing can reach a template
//! without also reaching the key that decides whether it is rendered again.

use std::collections::HashMap;
use std::ops::Range;

use serde::Serialize;
use tera::{Context, Value};

use super::budget::ArchiveCut;
use super::context::{FeedCtx, LanguageCtx, NavCtx, PlanetCtx};
use super::entries;
use super::excerpts::Excerpts;
use super::listing::paging::{page_path, root_for};
use super::listing::{Kind, Listing};
use super::{Bodies, FeedIndex, RenderError, SiteInput, Theme, feeds, i18n};
use crate::entry::{FeedId, StoredEntry};
use crate::keys::{Key, PageKey};
use crate::output::Site;

/// Up to this many subscriptions, every page's sidebar lists them all;
/// beyond it only the site-wide pages do (measured: with 150 feeds the list
/// is ~55 KB, more than the entries of a page, on each of thousands of pages).
const FULL_SIDEBAR_FEEDS: usize = 25;

/// A site-wide value serialized once (thousands of pages share it by
/// reference) with the hash that stands for it in keys.
struct SharedValue {
    value: Value,
    hash: blake3::Hash,
}

impl SharedValue {
    fn new(v: &impl Serialize) -> SharedValue {
        SharedValue {
            value: Value::from_serializable(v),
            hash: Key::bare().value("value", v).hash(),
        }
    }
}

/// The values many pages share.
pub struct Shared<'a> {
    theme: blake3::Hash,
    feeds_typed: Vec<FeedCtx<'a>>,
    /// Where each subscription is in `feeds_typed`.
    feed_at: HashMap<&'a FeedId, usize>,
    /// With the build time and entry count: the site-wide pages'.
    planet: SharedValue,
    /// Without them: listing pages stay unchanged while nothing in them does.
    planet_listing: SharedValue,
    feeds: SharedValue,
    nav: SharedValue,
    languages: SharedValue,
    sidebar_full: bool,
}

impl<'a> Shared<'a> {
    pub fn new(
        theme: &Theme,
        planet: PlanetCtx<'a>,
        feeds: Vec<FeedCtx<'a>>,
        nav: Vec<NavCtx>,
        languages: Vec<LanguageCtx>,
    ) -> Self {
        let listing_planet = PlanetCtx {
            generated: None,
            generated_iso: None,
            entry_count: None,
            ..planet.clone()
        };
        Shared {
            theme: theme.fingerprint,
            planet: SharedValue::new(&planet),
            planet_listing: SharedValue::new(&listing_planet),
            feeds: SharedValue::new(&feeds),
            nav: SharedValue::new(&nav),
            languages: SharedValue::new(&languages),
            sidebar_full: feeds.len() <= FULL_SIDEBAR_FEEDS,
            feed_at: feeds
                .iter()
                .enumerate()
                .map(|(i, f)| (&f.info.id, i))
                .collect(),
            feeds_typed: feeds,
        }
    }

    pub fn feeds(&self) -> &[FeedCtx<'a>] {
        &self.feeds_typed
    }

    /// One subscription's value.
    fn feed(&self, id: &FeedId) -> Option<&FeedCtx<'a>> {
        self.feed_at.get(id).and_then(|&i| self.feeds_typed.get(i))
    }
}

/// One page's context and key, built by the same calls.
pub struct PageBuild {
    ctx: Context,
    key: Key,
}

impl PageBuild {
    /// The variables every page has. `site_wide` pages (timeline, archive
    /// index, tags, health, extra pages) also get the build time, the entry
    /// count and every subscription; the others get the subscriptions only
    /// where the sidebar lists them.
    pub fn new(shared: &Shared, path: &str, section: &str, site_wide: bool) -> PageBuild {
        let mut page = PageBuild {
            ctx: Context::new(),
            key: Key::new(&shared.theme),
        };
        page.key.bytes("path", path.as_bytes());
        page.shared(
            "planet",
            if site_wide {
                &shared.planet
            } else {
                &shared.planet_listing
            },
        );
        if site_wide || shared.sidebar_full {
            page.shared("feeds", &shared.feeds);
        }
        page.shared("nav", &shared.nav);
        page.shared("languages", &shared.languages);
        page.insert("sidebar_full", &shared.sidebar_full);
        page.insert("feed_count", &shared.feeds_typed.len());
        page.insert("root", &root_for(path));
        page.insert("section", section);
        page
    }

    fn shared(&mut self, name: &'static str, v: &SharedValue) {
        self.ctx.insert_value(name, v.value.clone());
        self.key.bytes(name, v.hash.as_bytes());
    }

    pub fn insert<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.ctx.insert(name, value);
        self.key.value(name, value);
    }

    pub fn render(
        &self,
        theme: &Theme,
        template: &str,
        path: &str,
        site: &Site,
    ) -> Result<(), RenderError> {
        site.add(path, self.html(theme, template, path)?);
        Ok(())
    }

    /// Like [`PageBuild::render`], for a page that changes only when what
    /// it shows does: carried over unchanged when its key is.
    pub fn render_keyed(
        &self,
        theme: &Theme,
        template: &str,
        path: &str,
        site: &Site,
    ) -> Result<(), RenderError> {
        let key = self.key.finish();
        if !site.carry(path, key) {
            site.add_keyed(path, Some(key), self.html(theme, template, path)?);
        }
        Ok(())
    }

    fn html(&self, theme: &Theme, template: &str, path: &str) -> Result<Vec<u8>, RenderError> {
        theme
            .tera
            .render(template, &self.ctx)
            .map(String::into_bytes)
            .map_err(|e| RenderError::Template {
                page: path.to_string(),
                source: e.into(),
            })
    }
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
    /// Relative to the root; null for the timeline (whose feeds every page
    /// links), month archives and feeds' pages (which link the member's
    /// own feed).
    atom: Option<String>,
    /// True when the entries show excerpts, each linking to the original
    /// and to its place in the archive.
    excerpts: bool,
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

fn listing_title(
    t: &i18n::Translation,
    input: &SiteInput,
    shared: &Shared,
    list: &Listing,
) -> String {
    match &list.kind {
        Kind::Timeline => input.planet.title.clone(),
        Kind::Month { year, month } => t.month(*year, *month),
        Kind::Feed { id } => shared
            .feed(id)
            .map_or_else(String::new, |f| f.name.to_string()),
        Kind::Tag { name, .. } => t.text("tag_title").replace("{tag}", name),
        Kind::Language { code } => t
            .text("language_title")
            .replace("{language}", &t.language_name(code)),
    }
}

/// Something that changed and must be rendered.
pub struct Job {
    what: JobKind,
    path: String,
    key: PageKey,
    /// Timeline indexes of the entries it shows.
    pub entries: Vec<usize>,
    /// Whether it shows their excerpts rather than their bodies.
    pub excerpts: bool,
}

enum JobKind {
    Page {
        template: &'static str,
        page: Box<PageBuild>,
    },
    /// A listing's own Atom feed.
    Atom { title: String, dir: String },
}

/// What deciding and rendering listings needs.
pub struct Plan<'a> {
    pub theme: &'a Theme,
    pub input: &'a SiteInput<'a>,
    pub shared: &'a Shared<'a>,
    pub feed_index: &'a FeedIndex<'a>,
    pub tag_counts: &'a HashMap<&'a str, usize>,
    pub entry_keys: &'a [blake3::Hash],
    /// Each entry's page in its month of the archive, by timeline index.
    pub archive_pages: &'a [usize],
    /// The archive months that show excerpts to fit the size budget.
    pub archive_cut: Option<ArchiveCut>,
    pub site: &'a Site,
}

impl Plan<'_> {
    /// The pages (and the Atom feed) of `list` that changed; the others are
    /// carried over into the new site here.
    pub fn listing(&self, list: &Listing) -> Vec<Job> {
        let (input, t) = (self.input, &*self.theme.translation);
        let pages = input.paging().pages(list.entries.len(), list.capped);
        let (template, section) = match list.kind {
            Kind::Timeline => ("index.html", "home"),
            Kind::Month { .. } => ("list.html", "archive"),
            Kind::Tag { .. } => ("list.html", "tags"),
            Kind::Feed { .. } | Kind::Language { .. } => ("list.html", ""),
        };
        let title = listing_title(t, input, self.shared, list);
        let excerpts = input.planet.listing_excerpts.is_some()
            && match list.kind {
                Kind::Month { year, month } => {
                    self.archive_cut.is_some_and(|cut| cut.covers(year, month))
                }
                ref other => other.may_excerpt(),
            };
        // Tags and languages have their own feeds; the timeline's are the
        // planet's, and a feed's page links to the member's own feed.
        let has_atom = matches!(list.kind, Kind::Tag { .. } | Kind::Language { .. });
        let listing = SharedValue::new(&ListingCtx {
            kind: list.kind.name(),
            title: title.clone(),
            atom: has_atom.then(|| format!("{}atom.xml", list.dir)),
            excerpts,
            entry_count: list.entries.len(),
            feed: match list.kind {
                Kind::Feed { ref id } => self.shared.feed(id).cloned(),
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
        });
        let mut jobs = Vec::new();
        for page in &pages {
            let path = page_path(&list.dir, page.number);
            let site_wide = list.kind == Kind::Timeline;
            let mut build = PageBuild::new(self.shared, &path, section, site_wide);
            if site_wide && page.number == 1 {
                // The front page lists every subscription, however many;
                // the timeline's later pages link to it, as every other
                // page does (2,000 feeds make a 1 MB list).
                build.insert("sidebar_full", &true);
            }
            build.key.bytes("template", template.as_bytes());
            if excerpts {
                build
                    .key
                    .value("excerpt_words", &input.planet.listing_excerpts);
            }
            build.shared("listing", &listing);
            build.insert(
                "page",
                &PageCtx {
                    number: page.number,
                    total: page.total,
                },
            );
            build.insert("pager", &page.pager(&list.dir));
            let entries = slice(list, page.range.clone());
            self.entries_key(&mut build.key, &entries);
            let key = build.key.finish();
            if !self.site.carry(&path, key) {
                jobs.push(Job {
                    what: JobKind::Page {
                        template,
                        page: Box::new(build),
                    },
                    path,
                    key,
                    entries,
                    excerpts,
                });
            }
        }
        if has_atom {
            let title = format!("{title} · {}", input.planet.title);
            let entries = slice(list, 0..input.planet.feed_entries);
            let path = format!("{}atom.xml", list.dir);
            let mut key = Key::new(&self.shared.theme);
            key.bytes("atom", title.as_bytes())
                .bytes("path", path.as_bytes());
            input.planet.key(&mut key);
            if entries.is_empty() {
                // An empty feed is dated by the build.
                key.value("now", &input.now);
            }
            self.entries_key(&mut key, &entries);
            let key = key.finish();
            if !self.site.carry(&path, key) {
                jobs.push(Job {
                    what: JobKind::Atom {
                        title,
                        dir: list.dir.clone(),
                    },
                    path,
                    key,
                    entries,
                    excerpts,
                });
            }
        }
        jobs
    }

    fn entries_key(&self, key: &mut Key, entries: &[usize]) {
        let mut all = Vec::with_capacity(entries.len() * 32);
        for &i in entries {
            if let Some(k) = self.entry_keys.get(i) {
                all.extend_from_slice(k.as_bytes());
            }
        }
        key.bytes("entries", &all);
    }

    /// Renders one changed page or feed, reading its entries' bodies (or
    /// excerpts), and leaving in `excerpts` those other pages need.
    pub fn render(
        &self,
        job: &Job,
        bodies: &dyn Bodies,
        excerpts: &Excerpts,
    ) -> Result<(), RenderError> {
        let input = self.input;
        let indexed: Vec<(usize, &StoredEntry)> = job
            .entries
            .iter()
            .filter_map(|&i| Some((i, input.entries.get(i)?)))
            .collect();
        let entries: Vec<&StoredEntry> = indexed.iter().map(|&(_, e)| e).collect();
        let loaded = if job.excerpts {
            excerpts.get(&indexed, bodies)
        } else {
            let loaded = bodies.load(&entries);
            if let Ok(loaded) = &loaded {
                let indexes: Vec<usize> = indexed.iter().map(|&(i, _)| i).collect();
                excerpts.offer(&indexes, loaded, bodies);
            }
            loaded
        }
        .map_err(RenderError::Bodies)?;
        match &job.what {
            JobKind::Page { template, page } => {
                let t = &*self.theme.translation;
                let values: Vec<(&StoredEntry, Value)> = indexed
                    .iter()
                    .zip(&loaded)
                    .map(|(&(i, e), body)| {
                        let shown = entries::Shown {
                            body,
                            excerpt: job.excerpts,
                            archive_page: self.archive_pages.get(i).copied().unwrap_or(1),
                        };
                        let value = entries::entry_value(
                            t,
                            input,
                            self.feed_index,
                            self.tag_counts,
                            e,
                            &shown,
                        );
                        (e, value)
                    })
                    .collect();
                let mut ctx = page.ctx.clone();
                ctx.insert_value("days", entries::days(t, &values));
                let html =
                    self.theme
                        .tera
                        .render(template, &ctx)
                        .map_err(|e| RenderError::Template {
                            page: job.path.clone(),
                            source: e.into(),
                        })?;
                self.site
                    .add_keyed(&job.path, Some(job.key), html.into_bytes());
            }
            JobKind::Atom { title, dir } => {
                let items: Vec<feeds::Item> = entries
                    .iter()
                    .zip(&loaded)
                    .map(|(&e, body)| (e, body.as_str()))
                    .collect();
                let xml = feeds::atom(input, self.feed_index, &items, title, dir, job.excerpts)?;
                self.site.add_keyed(&job.path, Some(job.key), xml);
            }
        }
        Ok(())
    }
}

/// The entries of `list` within `range` (clamped).
fn slice(list: &Listing, range: Range<usize>) -> Vec<usize> {
    let end = range.end.min(list.entries.len());
    let start = range.start.min(end);
    list.entries[start..end].to_vec()
}
