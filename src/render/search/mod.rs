//! Search over the planet's whole history, on a static site: every shown
//! entry becomes one record of a Pagefind index ([`bundle`]) that links to
//! the entry's anchor in its month of the archive, with its title, source,
//! date and language as metadata and its source and tags as filters. Each
//! language gets a bundle of its own (`pagefind/<lang>/`), stemmed the way
//! that language is, because Pagefind stems a query with one language's
//! stemmer per bundle: the search page's script asks every bundle and
//! merges the answers. A bundle is rebuilt only when its records changed
//! (its key covers everything a record is made of, the body by its hash);
//! otherwise the previous build's files are carried over unchanged. This
//! module also renders the search page (`search/index.html`).

mod bundle;

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

/// Where the bundles live, relative to the site's root.
const DIR: &str = "pagefind/";

/// Bodies are read this many at a time, so indexing never holds them all.
const BATCH: usize = 2_000;

/// What the search files of one build came to (for `-v`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchStats {
    pub files: usize,
    pub bytes: u64,
    /// Languages whose bundle was built again.
    pub rebuilt: Vec<String>,
    /// Languages whose bundle was carried over unchanged.
    pub carried: Vec<String>,
}

impl std::fmt::Display for SearchStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "search index {} files, {:.1} MB",
            self.files,
            self.bytes as f64 / 1e6
        )?;
        if !self.rebuilt.is_empty() {
            write!(f, ", rebuilt: {}", self.rebuilt.join(" "))?;
        }
        if !self.carried.is_empty() {
            write!(f, ", unchanged: {}", self.carried.join(" "))?;
        }
        Ok(())
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

/// Writes (or carries over) the search page and every language's bundle.
pub fn write(inp: &Inputs, bodies: &dyn Bodies, site: &Site) -> Result<SearchStats, RenderError> {
    let t = &*inp.theme.translation;
    let by_lang = by_language(inp);
    let mut stats = SearchStats::default();
    for (lang, entries) in &by_lang {
        let prefix = format!("{DIR}{lang}/");
        let key = bundle_key(inp, t, lang, entries);
        if let Some((files, bytes)) = site.carry_all(&prefix, key) {
            stats.files += files;
            stats.bytes += bytes;
            stats.carried.push(lang.clone());
            continue;
        }
        let records = records(inp, t, entries, bodies)?;
        let files = bundle::build(lang, records)?;
        for (name, bytes) in files {
            stats.files += 1;
            stats.bytes += bytes.len() as u64;
            site.add_keyed(&format!("{prefix}{name}"), Some(key), bytes);
        }
        stats.rebuilt.push(lang.clone());
    }
    page(inp, t, &by_lang, site)?;
    Ok(stats)
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
fn bundle_key(inp: &Inputs, t: &Translation, lang: &str, entries: &[usize]) -> PageKey {
    let mut key = Key::new(&inp.theme.fingerprint);
    key.bytes("lang", lang.as_bytes());
    key.bytes("untitled", t.text("untitled").as_bytes());
    for &i in entries {
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
    /// Bundles, one per language: code, name and how many posts.
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
}

fn page(
    inp: &Inputs,
    t: &Translation,
    by_lang: &BTreeMap<String, Vec<usize>>,
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
                .map(|(code, list)| BundleCtx {
                    code: code.clone(),
                    name: t.language_name(code),
                    count: list.len(),
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
