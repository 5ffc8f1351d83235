//! `planet.yaml` → a validated [`Config`].
//!
//! The YAML is read into a small tree of nodes that remember their line and
//! column (`yaml`); the field walker (`fields`) reads that tree with typed
//! getters, so *every* problem (unknown key, wrong type, bad URL, missing
//! key, duplicate feed) is collected and reported at once, each as
//! `planet.yaml:LINE:COL` with the offending line quoted (`diagnostics`).
//! This module is the front door: [`load`] and [`parse`], and the walk of the
//! top level, which hands each section to its module (`feeds`, `sections`,
//! `timeline`, `site`, `avatar`). Nothing downstream sees YAML: the rest of
//! planetoid only knows the plain types of `model`, and the shared
//! vocabulary (feed ids, date policies, `WebUrl`) comes from `entry`.

mod avatar;
mod diagnostics;
mod feeds;
mod fields;
mod model;
mod sections;
mod site;
mod timeline;
mod yaml;

#[cfg(test)]
mod tests;

use std::path::Path;

use url::Url;

use crate::entry::WebUrl;
pub use avatar::unused as unused_avatars;
use diagnostics::Problems;
pub use diagnostics::{ConfigError, Problem, closest_name};
use fields::{Fields, boolean, count, email, language, text};
pub use model::{
    Avatar, Config, ContentMode, DEFAULT_MAX_PAGES, DEFAULT_QUIET_AFTER_DAYS, FeedConfig,
    FeedSource, FetchConfig, ListingContent, OutputConfig, PageConfig, SanitizeConfig,
    StringOverride,
};
pub use timeline::{Block, Filters, Pattern, Retention};
pub use yaml::SyntaxError;
use yaml::{Node, Value};

/// Every key planet.yaml accepts at the top level.
const TOP_KEYS: &[&str] = &[
    "title",
    "base_url",
    "lang",
    "description",
    "owner_name",
    "owner_email",
    "avatar_dir",
    "output_dir",
    "state",
    "entries_per_page",
    "feed_entries",
    "theme_dir",
    "max_pages",
    "strings",
    "pages",
    "fetch",
    "future_dates",
    "include",
    "exclude",
    "tags_include",
    "tags_exclude",
    "retention",
    "blocklist",
    "sanitize",
    "excerpt_words",
    "listing_content",
    "output",
    "search",
    "quiet_after_days",
    "feeds",
];

/// Reads and validates a planet.yaml file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    parse(&text, &abs)
}

/// Validates planet.yaml text; `path` names the file in messages and anchors
/// relative paths.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let root = yaml::parse(text).map_err(|source| ConfigError::Syntax {
        path: path.to_path_buf(),
        source,
    })?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut problems = Problems::default();
    let config = validate(&root, path, &dir, &mut problems);
    match config {
        Some(config) if problems.0.is_empty() => Ok(config),
        _ => Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            text: text.to_string(),
            problems: problems.into_sorted(),
        }),
    }
}

/// The top level of planet.yaml, read into a [`Config`]; `None` when a
/// required key is unusable (its problem is recorded).
fn validate(root: &Node, path: &Path, dir: &Path, problems: &mut Problems) -> Option<Config> {
    let Value::Map(_) = &root.value else {
        problems.at(
            root,
            "planet.yaml must be a mapping of keys (title:, base_url:, feeds:, …)",
        );
        return None;
    };
    let mut top = Fields::new(root, "top level", TOP_KEYS);
    let title = top
        .required("title", problems)
        .and_then(|n| text(n, problems));
    let base_url = top
        .required("base_url", problems)
        .and_then(|n| base_url(n, problems));
    let lang = top
        .optional("lang")
        .and_then(|n| language(n, problems))
        .unwrap_or_else(|| "en".to_string());
    let description = top.optional("description").and_then(|n| text(n, problems));
    let owner_name = top.optional("owner_name").and_then(|n| text(n, problems));
    let owner_email = top.optional("owner_email").and_then(|n| email(n, problems));
    let avatar_dir = top
        .optional("avatar_dir")
        .and_then(|n| avatar::avatar_dir(n, dir, problems));
    let output_dir = top
        .optional("output_dir")
        .and_then(|n| text(n, problems))
        .map_or_else(|| dir.join("output"), |p| dir.join(p));
    let state = top
        .optional("state")
        .and_then(|n| text(n, problems))
        .map_or_else(|| dir.join(".planetoid/state.db"), |p| dir.join(p));
    let entries_per_page = top
        .optional("entries_per_page")
        .and_then(|n| count(n, 1, 10_000, problems))
        .unwrap_or(20) as usize;
    let feed_entries = top
        .optional("feed_entries")
        .and_then(|n| count(n, 1, 10_000, problems))
        .unwrap_or(50) as usize;
    let theme_dir = top
        .optional("theme_dir")
        .and_then(|n| text(n, problems))
        .map(|p| dir.join(p));
    // Default 10 pages of timeline (and per feed, tag, language); older
    // entries stay in the archives. `max_pages: 0` removes the cap.
    let max_pages = match top
        .optional("max_pages")
        .and_then(|n| count(n, 0, 100_000, problems))
    {
        Some(0) => None,
        Some(n) => Some(n as usize),
        None => Some(DEFAULT_MAX_PAGES),
    };
    let strings = top
        .optional("strings")
        .map(|n| site::strings(n, problems))
        .unwrap_or_default();
    let pages = top
        .optional("pages")
        .map(|n| site::pages(n, dir, problems))
        .unwrap_or_default();
    let fetch = top
        .optional("fetch")
        .map(|n| sections::fetch_config(n, problems))
        .unwrap_or_default();
    let future_dates = top
        .optional("future_dates")
        .and_then(|n| timeline::future_dates(n, problems))
        .unwrap_or_default();
    let filters = timeline::filters(&mut top, problems);
    let retention = top
        .optional("retention")
        .map(|n| timeline::retention(n, problems))
        .unwrap_or_default();
    let blocklist = top
        .optional("blocklist")
        .map(|n| timeline::blocklist(n, problems))
        .unwrap_or_default();
    let sanitize = top
        .optional("sanitize")
        .map(|n| sections::sanitize_config(n, problems))
        .unwrap_or_default();
    let excerpt_words = top
        .optional("excerpt_words")
        .and_then(|n| count(n, 1, 100_000, problems))
        .unwrap_or(60) as usize;
    let listing_content = top
        .optional("listing_content")
        .and_then(|n| sections::listing_content(n, problems))
        .unwrap_or_default();
    let output = top
        .optional("output")
        .map(|n| sections::output_config(n, problems))
        .unwrap_or_default();
    let search = top
        .optional("search")
        .and_then(|n| boolean(n, problems))
        // Opt-in: the cost of indexing 2,000 feeds (40,000 entries) is not measured.
        .unwrap_or(false);
    let quiet_after_days = top
        .optional("quiet_after_days")
        .and_then(|n| count(n, 1, 36_500, problems))
        .map_or(DEFAULT_QUIET_AFTER_DAYS, |n| n as u32);
    let feeds = top
        .required("feeds", problems)
        .map(|n| feeds::list(n, dir, problems))
        .unwrap_or_default();
    top.finish(problems);

    Some(Config {
        path: path.to_path_buf(),
        title: title?,
        base_url: base_url?,
        lang,
        description,
        owner_name,
        owner_email,
        avatar_dir,
        output_dir,
        state,
        entries_per_page,
        theme_dir,
        feed_entries,
        max_pages,
        strings,
        pages,
        fetch,
        future_dates,
        filters,
        retention,
        blocklist,
        sanitize,
        excerpt_words,
        listing_content,
        output,
        search,
        quiet_after_days,
        feeds,
    })
}

/// `base_url:`: an http(s) URL, given a trailing `/` when it lacks one.
fn base_url(node: &Node, problems: &mut Problems) -> Option<WebUrl> {
    let raw = text(node, problems)?;
    let with_slash = if raw.ends_with('/') {
        raw.clone()
    } else {
        format!("{raw}/")
    };
    match Url::parse(&with_slash) {
        Ok(url) => match WebUrl::from_url(&url) {
            Some(url) => Some(url),
            None => {
                problems.at(
                    node,
                    format!("`base_url` must be an http(s) URL, found `{raw}`"),
                );
                None
            }
        },
        Err(e) => {
            problems.at(node, format!("`base_url` `{raw}` is not a valid URL: {e}"));
            None
        }
    }
}
