//! planetoid: a "planet" feed aggregator. It reads `planet.yaml`, fetches
//! every feed in parallel, sanitizes their HTML, remembers entries in a
//! SQLite store, merges them newest-first and writes a static site.
//!
//! ```text
//! planet.yaml ─▶ config   (parse + validate, every problem with file:line:col)
//!             ─▶ theme    (templates + translations; fail fast, before any network)
//!             ─▶ fetch    (async, bounded, per-host limits)
//!             ─▶ decode   (bytes → UTF-8: BOM, valid UTF-8, XML decl, HTTP charset, detector)
//!             ─▶ parse    (feed-rs behind our wrapper → our own Entry)
//!             ─▶ sanitize (lol_html pre-pass + ammonia policy → SafeHtml)
//!             ─▶ store    (SQLite: feeds, entries with first-seen, health)
//!             ─▶ select   (ordering, pagination)
//!             ─▶ render   (Tera theme → files in memory)
//!             ─▶ output   (write to a temp dir, then swap into output/)
//!             ─▶ report   (health.json, terminal summary)
//! ```
//!
//! A feed that fails is data, never an abort: it keeps its stored entries
//! and shows in the report. Only config, theme, store, render and output
//! errors stop a build ([`BuildError`]).

pub mod cli;
pub mod config;
pub mod decode;
pub mod entry;
pub mod fetch;
pub mod init;
pub mod output;
pub mod parse;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod select;
pub mod store;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use config::{Config, ContentMode, FeedConfig, FeedSource};
use entry::CleanEntry;
use fetch::{FetchError, Fetched};
use render::{FeedInfo, PlanetInfo, SiteInput, Theme};
use store::{FeedState, FeedUpdate, Store};

/// A build that could not produce a site. The previous site stays as it was.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Theme(#[from] render::ThemeError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Render(#[from] render::RenderError),
    #[error(transparent)]
    Output(#[from] output::OutputError),
}

/// What `planetoid build` was asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub config: PathBuf,
    pub output: Option<PathBuf>,
    pub now: Option<DateTime<Utc>>,
    pub offline: bool,
}

/// What a finished build tells the operator.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub health: report::Health,
    pub summary: String,
}

/// The whole pipeline, config to published site.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    let config = config::load(&opts.config)?;
    let theme = Theme::load(config.theme_dir.as_deref(), &config.lang)?;
    let now = opts.now.unwrap_or_else(Utc::now);
    let output_dir = opts
        .output
        .clone()
        .unwrap_or_else(|| config.output_dir.clone());
    let mut store = Store::open(&config.state)?;

    let user_agent = config
        .fetch
        .user_agent
        .clone()
        .unwrap_or_else(|| fetch::default_user_agent(config.base_url.as_str()));
    let fetched = fetch::fetch_all(&config.feeds, &config.fetch, &user_agent, opts.offline);
    let sanitizer = sanitize::Sanitizer::new(&config.sanitize.iframe_hosts);
    let shown = |feed: &FeedConfig| Shown {
        mode: feed.content,
        excerpt_words: config.excerpt_words,
        sanitizer: &sanitizer,
    };
    let updates: Vec<_> = config
        .feeds
        .par_iter()
        .zip(fetched)
        .map(|(feed, result)| {
            (
                feed.id.clone(),
                feed.url.clone(),
                ingest(result, &shown(feed)),
            )
        })
        .collect();
    store.record(now, &updates)?;

    let ids: Vec<_> = config.feeds.iter().map(|f| f.id.clone()).collect();
    let states = store.feed_states(&ids)?;
    let entries = store.entries(&ids)?;
    let ordered: Vec<Option<&FeedState>> = ids.iter().map(|id| states.get(id)).collect();
    let feeds: Vec<FeedInfo> = config
        .feeds
        .iter()
        .zip(&ordered)
        .map(|(f, s)| feed_info(f, *s))
        .collect();
    let names: Vec<String> = feeds.iter().map(|f| f.name.clone()).collect();
    let health = report::health(&config, &ordered, &names, now);
    let pages = select::paginate(entries.len(), config.entries_per_page);

    let site = render::render_site(
        &theme,
        &SiteInput {
            planet: &planet_info(&config),
            feeds: &feeds,
            entries: &entries,
            pages: &pages,
            health: &health,
            now,
        },
    )?;
    let config_dir = config.path.parent().unwrap_or(Path::new("."));
    output::publish(&site, &output_dir, config_dir)?;
    let summary = report::summary(
        &health,
        entries.len(),
        pages.len(),
        &output_dir.display().to_string(),
    );
    Ok(BuildReport { health, summary })
}

/// `planetoid check`: config and theme, no network. Returns a one-line verdict.
pub fn check(config_path: &Path) -> Result<String, BuildError> {
    let config = config::load(config_path)?;
    Theme::load(config.theme_dir.as_deref(), &config.lang)?;
    Ok(format!(
        "{}: ok ({} feeds, lang {}, theme {})",
        config_path.display(),
        config.feeds.len(),
        config.lang,
        config
            .theme_dir
            .as_deref()
            .map_or("default".into(), |d| d.display().to_string())
    ))
}

/// How a feed's entries are shown: its `content:` mode, the planet's excerpt
/// length, and the planet's sanitizer.
struct Shown<'a> {
    mode: ContentMode,
    excerpt_words: usize,
    sanitizer: &'a sanitize::Sanitizer,
}

/// One feed's fetch result → what the store should learn: decode, parse and
/// sanitize, or the reason it failed. Never panics, never aborts the build.
fn ingest(fetched: Result<Fetched, FetchError>, shown: &Shown) -> FeedUpdate {
    let fetched = match fetched {
        Ok(f) => f,
        Err(FetchError::Offline) => return FeedUpdate::Untouched,
        Err(e) => {
            return FeedUpdate::Failed {
                http_status: e.http_status(),
                error: e.to_string(),
            };
        }
    };
    let text = decode::decode(
        &fetched.body,
        fetched.charset.as_deref(),
        fetched.host.as_deref(),
    );
    let parsed = match parse::parse(&text.text, &fetched.final_url) {
        Ok(p) => p,
        Err(e) => {
            return FeedUpdate::Failed {
                http_status: fetched.http_status,
                error: e.to_string(),
            };
        }
    };
    let entries = parsed
        .entries
        .into_iter()
        .map(|e| clean_entry(e, shown))
        .collect();
    FeedUpdate::Fresh {
        meta: parsed.meta,
        entries,
        http_status: fetched.http_status,
    }
}

/// Sanitizes what the feed's `content:` mode shows: the full body, an
/// excerpt (the summary, else the body, cut to `excerpt_words` words on the
/// DOM), or nothing.
fn clean_entry(e: entry::Entry, shown: &Shown) -> CleanEntry {
    let base = e.base_url.as_deref();
    let body = match shown.mode {
        ContentMode::Full => shown
            .sanitizer
            .clean(e.body_html.as_deref().unwrap_or(""), base),
        ContentMode::Summary => {
            let source = e.summary_html.as_deref().or(e.body_html.as_deref());
            let full = shown.sanitizer.clean(source.unwrap_or(""), base);
            shown.sanitizer.excerpt(&full, shown.excerpt_words)
        }
        ContentMode::Title => sanitize::SafeHtml::default(),
    };
    let mut hash = blake3::Hasher::new();
    for part in [
        e.title.as_str(),
        e.link.as_deref().unwrap_or(""),
        body.as_str(),
    ] {
        hash.update(part.as_bytes());
        hash.update(b"\0");
    }
    for c in &e.categories {
        hash.update(c.as_bytes());
        hash.update(b"\0");
    }
    for enc in &e.enclosures {
        hash.update(enc.url.as_bytes());
        hash.update(b"\0");
    }
    CleanEntry {
        id: e.id,
        title: e.title,
        link: e.link,
        author: e.author,
        published: e.published,
        updated: e.updated,
        body,
        categories: e.categories,
        enclosures: e.enclosures,
        content_hash: hash.finalize().to_hex().to_string(),
    }
}

fn planet_info(config: &Config) -> PlanetInfo {
    PlanetInfo {
        title: config.title.clone(),
        description: config.description.as_deref().map(sanitize::markdown),
        csp_frame_src: sanitize::csp_frame_src(&config.sanitize.iframe_hosts),
        base_url: config.base_url.to_string(),
        lang: config.lang.clone(),
        feed_entries: config.feed_entries,
    }
}

/// Display name: planet.yaml's `name`, else the feed's own title, else its host
/// or file name.
fn feed_info(feed: &FeedConfig, state: Option<&FeedState>) -> FeedInfo {
    let fallback = match &feed.source {
        FeedSource::Http(url) => url.host_str().unwrap_or(&feed.url).to_string(),
        FeedSource::File(path) => path
            .file_name()
            .map_or(feed.url.clone(), |n| n.to_string_lossy().into_owned()),
    };
    FeedInfo {
        id: feed.id.clone(),
        name: feed
            .name
            .clone()
            .or_else(|| state.and_then(|s| s.meta.title.clone()))
            .unwrap_or(fallback),
        url: feed.url.clone(),
        site_url: state.and_then(|s| s.meta.site_url.clone()),
        status: state.map_or("failed", |s| s.status.as_str()),
        language: state.and_then(|s| s.meta.language.clone()),
    }
}
