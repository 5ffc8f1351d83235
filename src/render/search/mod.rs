//! Search over the planet's whole history, on a static site: every shown
//! entry becomes one record of a Pagefind index ([`bundle`]) that links to
//! the entry's anchor in its month of the archive, with its title, source,
//! date and language as metadata and its source and tags as filters. Each
//! language's entries are cut into bundles of bounded size, a month (or
//! part of a big month) each ([`parts`]), stemmed the way that language is:
//! Pagefind stems a query with one stemmer per loaded script, so the search
//! page's script loads each language's root bundle (its newest), merges
//! that language's other bundles into it, asks every language and merges
//! the answers. A bundle is rebuilt only when its records changed (its key
//! covers everything a record is made of, the body by its hash); otherwise
//! the previous build's files are carried over unchanged, and bundles that
//! need building are built side by side. This module also renders the
//! search page (`search/index.html`).

mod bundle;
mod parts;

pub use bundle::BundleError;

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::Serialize;

use super::entries::{anchor, archive_url};
use super::listing::{Listings, language_code};
use super::pages::{PageBuild, Shared};
use super::{Bodies, FeedIndex, RenderError, SiteInput, Theme, i18n::Translation};
use crate::entry::StoredEntry;
use crate::keys::{Key, PageKey, body_part};
use crate::output::Site;
use crate::sanitize::search_text;
use parts::Part;

/// Where the bundles live, relative to the site's root.
const DIR: &str = "pagefind/";

/// Bodies are read this many at a time, so indexing never holds them all.
const BATCH: usize = 2_000;

/// What the search files of one build came to (for `-v`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub files: usize,
    pub bytes: u64,
    /// Bundles built again (`en`, `en/2025-02`).
    pub rebuilt: Vec<String>,
    /// How many bundles were carried over unchanged.
    pub carried: usize,
    /// The time search took: keys, carrying over, indexing, the page.
    pub elapsed: std::time::Duration,
}

impl std::fmt::Display for SearchStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "search index {} files, {:.1} MB in {} bundles, {} unchanged",
            self.files,
            self.bytes as f64 / 1e6,
            self.rebuilt.len() + self.carried,
            self.carried
        )?;
        if !self.rebuilt.is_empty() {
            write!(f, ", rebuilt: {}", self.rebuilt.join(" "))?;
        }
        write!(f, ", search took {:.2} s", self.elapsed.as_secs_f64())
    }
}

/// What the search page and the index need from the rest of render.
pub struct Inputs<'a> {
    pub theme: &'a Theme,
    pub input: &'a SiteInput<'a>,
    pub shared: &'a Shared<'a>,
    pub listings: &'a Listings,
    pub feeds: &'a FeedIndex<'a>,
    pub archive_pages: &'a [usize],
}

/// One bundle of one language, where it goes and what makes it.
struct Planned<'p> {
    lang: &'p str,
    part: &'p Part,
    /// The language's newest bundle, at `pagefind/<lang>/`.
    root: bool,
    key: PageKey,
}

impl Planned<'_> {
    /// The bundle's folder, from the site's root.
    fn prefix(&self) -> String {
        if self.root {
            format!("{DIR}{}/", self.lang)
        } else {
            format!("{DIR}{}/{}/", self.lang, self.part.name)
        }
    }

    /// How `-v` names it.
    fn label(&self) -> String {
        format!("{}/{}", self.lang, self.part.name)
    }
}

/// Writes (or carries over) the search page and every bundle.
pub fn write(inp: &Inputs, bodies: &dyn Bodies, site: &Site) -> Result<SearchStats, RenderError> {
    let started = std::time::Instant::now();
    let t = &*inp.theme.translation;
    let by_lang: BTreeMap<String, Vec<Part>> = by_language(inp)
        .into_iter()
        .map(|(lang, list)| {
            let dated: Vec<(usize, chrono::DateTime<chrono::Utc>)> = list
                .iter()
                .filter_map(|&i| inp.input.entries.get(i).map(|e| (i, e.display_date())))
                .collect();
            (lang, parts::split(&dated, parts::MAX_RECORDS))
        })
        .collect();
    let planned: Vec<Planned> = by_lang
        .iter()
        .flat_map(|(lang, parts)| {
            parts
                .iter()
                .enumerate()
                .map(move |(n, part)| (lang, n == 0, part))
        })
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(lang, root, part)| Planned {
            lang,
            part,
            root,
            key: bundle_key(inp, t, lang, root, part),
        })
        .collect();
    let mut stats = SearchStats::default();
    let mut todo = Vec::new();
    for plan in &planned {
        match site.carry_all(&plan.prefix(), plan.key) {
            Some((files, bytes)) => {
                stats.files += files;
                stats.bytes += bytes;
                stats.carried += 1;
            }
            None => todo.push(plan),
        }
    }
    let built = build_all(inp, t, &todo, bodies, site)?;
    for ((files, bytes), plan) in built.into_iter().zip(&todo) {
        stats.files += files;
        stats.bytes += bytes;
        stats.rebuilt.push(plan.label());
    }
    page(inp, t, &by_lang, site)?;
    stats.elapsed = started.elapsed();
    Ok(stats)
}

/// What building one bundle came to: its files and bytes.
type Built = Result<(usize, u64), RenderError>;

/// Builds `todo`'s bundles side by side and writes their files; how many
/// files and bytes each came to, in `todo`'s order. Each builder is a
/// thread of its own, not one of rayon's: Pagefind indexes on rayon's pool,
/// which a builder blocked waiting for it must not occupy. As many builders
/// as rayon has threads, so memory is bounded by that many bundles.
fn build_all(
    inp: &Inputs,
    t: &Translation,
    todo: &[&Planned],
    bodies: &dyn Bodies,
    site: &Site,
) -> Result<Vec<(usize, u64)>, RenderError> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let builders = rayon::current_num_threads().clamp(1, todo.len().max(1));
    let done: Vec<Vec<(usize, Built)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..builders)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(plan) = todo.get(n) else {
                            break;
                        };
                        mine.push((n, build_one(inp, t, plan, bodies, site)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut done: Vec<(usize, Built)> = done.into_iter().flatten().collect();
    done.sort_by_key(|(n, _)| *n);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Builds one bundle and writes its files: how many, and their bytes.
fn build_one(
    inp: &Inputs,
    t: &Translation,
    plan: &Planned,
    bodies: &dyn Bodies,
    site: &Site,
) -> Built {
    let records = records(inp, t, &plan.part.entries, bodies)?;
    let files = bundle::build(&plan.label(), plan.lang, plan.root, records)?;
    let prefix = plan.prefix();
    let mut bytes = 0;
    let count = files.len();
    for (name, contents) in files {
        bytes += contents.len() as u64;
        site.add_keyed(&format!("{prefix}{name}"), Some(plan.key), contents);
    }
    Ok((count, bytes))
}

/// The timeline's entries (their indexes) by the language they are in:
/// the feed's `lang` (planet.yaml's, else the feed's own), else the
/// planet's. A language Pagefind cannot stem still gets a bundle (it is
/// searched word by word).
fn by_language(inp: &Inputs) -> BTreeMap<String, Vec<usize>> {
    let planet = language_code(Some(&inp.input.planet.lang)).unwrap_or_else(|| "unknown".into());
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in inp.input.entries.iter().enumerate() {
        let lang = inp
            .feeds
            .get(&e.feed_id)
            .and_then(|f| language_code(f.language.as_deref()))
            .unwrap_or_else(|| planet.clone());
        out.entry(lang).or_default().push(i);
    }
    out
}

/// What one record shows, apart from its text.
struct Shown<'a> {
    url: String,
    title: &'a str,
    source: &'a str,
    date: String,
    date_iso: String,
    tags: Vec<&'a str>,
}

fn shown<'a>(inp: &'a Inputs, t: &'a Translation, i: usize, e: &'a StoredEntry) -> Shown<'a> {
    let page = inp.archive_pages.get(i).copied().unwrap_or(1);
    let date = e.display_date();
    let mut tags: Vec<&str> = e.categories.iter().map(|c| c.trim()).collect();
    tags.retain(|c| !c.is_empty());
    tags.sort_unstable();
    tags.dedup();
    Shown {
        url: archive_url(e, page, &anchor(e)),
        title: e.title.as_str(),
        source: inp.feeds.get(&e.feed_id).map_or("", |f| f.name.as_str()),
        date: t.date(date),
        date_iso: date.to_rfc3339(),
        tags,
    }
}

/// Everything a bundle is made of: when this is unchanged, so is every
/// file of it (planetoid's version, and so Pagefind's, is in every key).
fn bundle_key(inp: &Inputs, t: &Translation, lang: &str, root: bool, part: &Part) -> PageKey {
    let mut key = Key::new(&inp.theme.fingerprint);
    key.bytes("lang", lang.as_bytes())
        .bytes("part", part.name.as_bytes())
        .bytes("root", if root { b"1" } else { b"0" })
        .bytes("untitled", t.text("untitled").as_bytes());
    for &i in &part.entries {
        let Some(e) = inp.input.entries.get(i) else {
            continue;
        };
        let s = shown(inp, t, i, e);
        key.bytes("url", s.url.as_bytes())
            .bytes("title", s.title.as_bytes())
            .bytes("source", s.source.as_bytes())
            .bytes("date", s.date.as_bytes())
            .bytes("date_iso", s.date_iso.as_bytes());
        for tag in &s.tags {
            key.bytes("tag", tag.as_bytes());
        }
        key.bytes("body", body_part(e));
    }
    key.finish()
}

fn records(
    inp: &Inputs,
    t: &Translation,
    entries: &[usize],
    bodies: &dyn Bodies,
) -> Result<Vec<bundle::Record>, RenderError> {
    let untitled = t.text("untitled");
    let mut out = Vec::with_capacity(entries.len());
    for batch in entries.chunks(BATCH) {
        let list: Vec<(usize, &StoredEntry)> = batch
            .iter()
            .filter_map(|&i| inp.input.entries.get(i).map(|e| (i, e)))
            .collect();
        let refs: Vec<&StoredEntry> = list.iter().map(|(_, e)| *e).collect();
        let loaded = bodies.load(&refs).map_err(RenderError::Bodies)?;
        let made: Vec<bundle::Record> = list
            .par_iter()
            .zip(&loaded)
            .map(|(&(i, e), body)| {
                let s = shown(inp, t, i, e);
                let title = if s.title.trim().is_empty() {
                    untitled.as_str()
                } else {
                    s.title
                };
                let text = format!(
                    "___PAGEFIND_WEIGHT___5 {} ___END_PAGEFIND_WEIGHT___ {}",
                    inert(title),
                    inert(&search_text(body))
                );
                let meta = BTreeMap::from([
                    ("title".to_string(), title.to_string()),
                    ("source".to_string(), s.source.to_string()),
                    ("date".to_string(), s.date),
                    ("date_iso".to_string(), s.date_iso.clone()),
                ]);
                let mut filters =
                    BTreeMap::from([("source".to_string(), vec![s.source.to_string()])]);
                if !s.tags.is_empty() {
                    filters.insert(
                        "tag".to_string(),
                        s.tags.iter().map(|t| t.to_string()).collect(),
                    );
                }
                bundle::Record {
                    url: s.url,
                    text,
                    meta,
                    filters,
                    sort: BTreeMap::from([("date".to_string(), s.date_iso)]),
                }
            })
            .collect();
        out.extend(made);
    }
    Ok(out)
}

/// A post's text with Pagefind's in-band markers (words starting with
/// `___`, which steer weights and anchors) made plain words: a zero-width
/// space in front keeps Pagefind from reading them, and it drops the space
/// from what it stores.
fn inert(text: &str) -> String {
    if !text.contains("___") {
        return text.to_string();
    }
    text.split(' ')
        .map(|w| {
            if w.starts_with('_') {
                format!("\u{200B}{w}")
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Serialize)]
struct SearchCtx {
    /// One per language: code, name, how many posts, its merged bundles.
    bundles: Vec<BundleCtx>,
    /// Source names for the source filter, in the sidebar's order.
    sources: Vec<String>,
    /// Tags for the tag filter, as most feeds spell them.
    tags: Vec<String>,
    /// Plural forms of the result count, by CLDR category (for the script).
    results_plural: String,
}

#[derive(Serialize)]
struct BundleCtx {
    code: String,
    name: String,
    count: usize,
    /// The language's bundles merged into its root, newest first (their
    /// folders under `pagefind/<code>/`).
    parts: Vec<String>,
}

fn page(
    inp: &Inputs,
    t: &Translation,
    by_lang: &BTreeMap<String, Vec<Part>>,
    site: &Site,
) -> Result<(), RenderError> {
    let path = "search/index.html";
    let mut page = PageBuild::new(inp.shared, path, "search", false);
    let mut sources: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for f in inp.input.feeds {
        if seen.insert(f.name.as_str()) {
            sources.push(f.name.clone());
        }
    }
    let plural = t
        .plurals
        .get("search_results")
        .map(|forms| serde_json::to_string(forms).unwrap_or_default())
        .unwrap_or_default();
    page.insert(
        "search",
        &SearchCtx {
            bundles: by_lang
                .iter()
                .map(|(code, parts)| BundleCtx {
                    code: code.clone(),
                    name: t.language_name(code),
                    count: parts.iter().map(|p| p.entries.len()).sum(),
                    parts: parts.iter().skip(1).map(|p| p.name.clone()).collect(),
                })
                .collect(),
            sources,
            tags: inp
                .listings
                .tags
                .iter()
                .map(|tag| tag.name.clone())
                .collect(),
            results_plural: plural,
        },
    );
    page.render_keyed(inp.theme, "search.html", path, site)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagefind_markers_in_posts_are_plain_words() {
        assert_eq!(inert("a b"), "a b");
        assert_eq!(
            inert("x ___PAGEFIND_WEIGHT___10 y"),
            "x \u{200B}___PAGEFIND_WEIGHT___10 y"
        );
    }
}
