//! planetoid: a "planet" feed aggregator. It reads `planet.yaml`, fetches
//! every feed in parallel, sanitizes their HTML, remembers entries in a
//! SQLite store, merges them newest-first and writes a static site.
//!
//! ```text
//! planet.yaml ─▶ config   (parse + validate, every problem with file:line:col)
//!             ─▶ theme    (templates + translations; fail fast, before any network)
//!             ─▶ fetch    (async, bounded, per-host limits, conditional GET)
//!             ─▶ decode   (bytes → UTF-8: BOM, valid UTF-8, XML decl, HTTP charset, detector)
//!             ─▶ parse    (feed-rs behind our wrapper → our own Entry)
//!             ─▶ sanitize (lol_html pre-pass + ammonia policy → SafeHtml; new/changed only)
//!                         (decode → sanitize run on rayon as each download completes: ingest)
//!             ─▶ store    (SQLite: feeds, entries with first-seen, health)
//!             ─▶ select   (ordering, pagination)
//!             ─▶ render   (Tera theme → files in memory)
//!             ─▶ output   (write to a temp dir, then swap into output/)
//!             ─▶ report   (health.json, terminal summary)
//! ```
//!
//! A feed that fails is data, never an abort: it keeps its stored entries
//! and shows in the report. Only config, theme, store, render, output and
//! lock (another run of the planet still going after `--wait`)
//! errors stop a build ([`BuildError`]).

// The vocabulary every stage shares.
pub mod entry;
pub mod feed_state;
pub mod keys;

// The stages, in pipeline order (the diagram above).
pub mod config;
pub mod decode;
pub mod discover;
pub mod fetch;
pub mod ingest;
pub mod output;
pub mod parse;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod select;
pub mod store;

// What runs them: one run at a time per planet, what the operator sees,
// and the commands besides `build`.
pub mod cmd;
pub mod lock;
pub mod progress;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use config::{Config, FeedConfig, FeedSource};
use entry::{StoredEntry, WebUrl};
use feed_state::FeedState;
use render::{ExtraPage, FeedInfo, PlanetInfo, SiteInput, Theme};
use store::Store;

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
    #[error("cannot read avatar {}: {source}", path.display())]
    Avatar {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Lock(#[from] lock::LockError),
}

/// What `planetoid build` was asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub config: PathBuf,
    pub output: Option<PathBuf>,
    pub now: Option<DateTime<Utc>>,
    pub offline: bool,
    /// Ask feeds that answered 410 Gone again.
    pub retry_gone: bool,
    pub verbosity: progress::Verbosity,
    /// How long to wait for another run of the planet (`None`: the default).
    pub wait: Option<std::time::Duration>,
}

/// What a finished build tells the operator.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub health: report::Health,
    pub summary: String,
    /// Where the time went, stage by stage (shown with `-v`).
    pub timings: String,
    /// The published site's size (shown with `-v` and in the job summary).
    pub site_size: output::size::SiteSize,
    /// Set when the site is over `output.max_site_mb`: what to shrink.
    pub size_warning: Option<String>,
    /// What the fetch phase did, host by host (`-v`, the job summary).
    pub fetch: fetch::FetchSummary,
}

/// The whole pipeline, config to published site.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    let mut clock = progress::Stopwatch::new();
    // Held until the build returns: one run at a time per planet.
    let (config, lock) = lock::lock_planet::<BuildError>(
        &opts.config,
        "build",
        lock::Wait {
            limit: opts.wait,
            verbosity: opts.verbosity,
        },
    )?;
    clock.lap("config and waiting for other runs of the planet");
    let theme = Theme::load(config.theme_dir.as_deref(), &config.lang, &config.strings)?;
    let now = opts.now.unwrap_or_else(Utc::now);
    let output_dir = opts
        .output
        .clone()
        .unwrap_or_else(|| config.output_dir.clone());
    let mut store = Store::open(&config.state)?;
    clock.lap("theme and store");

    let ids: Vec<_> = config.feeds.iter().map(|f| f.id.clone()).collect();
    let before = store.feed_states(&ids)?;
    let reader = store.reader();
    let fetched = store.record_while(now, &config.retention, |records| {
        ingest::gather(&config, &before, &reader, now, opts, records)
    })?;
    clock.lap("fetch, decode, parse, sanitize and store");

    let Assessed {
        entries,
        hidden,
        all_feeds,
        mut health,
    } = assess(&config, &store, now)?;
    health.lock_wait_secs = (lock.waited().as_secs_f64() * 100.0).round() / 100.0;
    let feeds: Vec<FeedInfo> = config
        .feeds
        .iter()
        .zip(all_feeds)
        .filter(|(f, _)| f.enabled)
        .map(|(_, info)| info)
        .collect();
    let pages = render::Paging::new(config.entries_per_page, config.max_pages)
        .timeline_pages(entries.len());
    let extra_pages: Vec<ExtraPage> = config
        .pages
        .iter()
        .map(|p| ExtraPage {
            title: p.title.clone(),
            slug: p.slug.clone(),
            body: sanitize::markdown(&p.markdown),
        })
        .collect();

    clock.lap("timeline");
    let config_dir = config.path.parent().unwrap_or(Path::new("."));
    let site = output::Site::staged(&output_dir, config_dir)?;
    let search = render::render_site_into(
        &theme,
        &SiteInput {
            planet: &planet_info(&config),
            feeds: &feeds,
            entries: &entries,
            per_page: config.entries_per_page,
            max_pages: config.max_pages,
            extra_pages: &extra_pages,
            health: &health,
            now,
        },
        &StoredBodies {
            reader: &reader,
            sanitizer: sanitize::Sanitizer::new(&config.sanitize.iframe_hosts),
        },
        &site,
    )?;
    publish_avatars(&config, &site)?;
    let (written, carried) = site.counts();
    let search = search.map_or_else(String::new, |s| format!("; {s}"));
    clock.lap(format!(
        "render and write ({written} files written, {carried} unchanged carried over{search})"
    ));
    site.commit()?;
    clock.lap("publish");
    let site_size = output::size::measure(&output_dir);
    let size_warning = site_size.over_budget(config.output.max_site_mb);
    let summary = report::summary(
        &health,
        &hidden,
        entries.len(),
        pages,
        &output_dir.display().to_string(),
    );
    Ok(BuildReport {
        health,
        summary,
        timings: clock.report(),
        fetch: fetched,
        site_size,
        size_warning,
    })
}

/// The timeline and every feed's health, as of the store and `now`.
pub(crate) struct Assessed {
    entries: Vec<StoredEntry>,
    hidden: select::Hidden,
    /// Every configured feed, in config order.
    all_feeds: Vec<FeedInfo>,
    health: report::Health,
}

pub(crate) fn assess(
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Assessed, BuildError> {
    let ids: Vec<_> = config.feeds.iter().map(|f| f.id.clone()).collect();
    let states = store.feed_states(&ids)?;
    // Bodies are read with the timeline only when a filter looks at them;
    // otherwise render reads just the ones of the pages that changed.
    let needs_text =
        config.filters.needs_text() || config.feeds.iter().any(|f| f.filters.needs_text());
    let (entries, hidden) = select::timeline(
        store.entries(&ids, needs_text)?,
        &select::Rules {
            now,
            feeds: &config.feeds,
            filters: &config.filters,
            blocklist: &config.blocklist,
        },
    );
    let ordered: Vec<Option<&FeedState>> = ids.iter().map(|id| states.get(id)).collect();
    let all_feeds: Vec<FeedInfo> = config
        .feeds
        .iter()
        .zip(&ordered)
        .map(|(f, s)| feed_info(f, *s))
        .collect();
    let names: Vec<String> = all_feeds.iter().map(|f| f.name.clone()).collect();
    let history = store.history(&ids, report::STRIP_BUILDS)?;
    let activity = report::Activity::of(&entries, now);
    let health = report::health(config, &ordered, &names, now, &history, &activity);
    Ok(Assessed {
        entries,
        hidden,
        all_feeds,
        health,
    })
}

/// Copies the local avatar images of the enabled feeds into the site, under
/// their content-hashed names (read again here: `check` saw them exist, but
/// one may have gone since).
fn publish_avatars(config: &Config, site: &output::Site) -> Result<(), BuildError> {
    let mut done = std::collections::HashSet::new();
    for feed in config.feeds.iter().filter(|f| f.enabled) {
        let Some(config::Avatar::File { path, published }) = &feed.avatar else {
            continue;
        };
        if !done.insert(published) {
            continue;
        }
        let bytes = std::fs::read(path).map_err(|source| BuildError::Avatar {
            path: path.clone(),
            source,
        })?;
        site.add(published, bytes);
    }
    Ok(())
}

/// Bodies for render: read from the store, cut into excerpts by the
/// planet's sanitizer (its iframe allow-list).
struct StoredBodies<'a> {
    reader: &'a store::Reader,
    sanitizer: sanitize::Sanitizer,
}

impl render::Bodies for StoredBodies<'_> {
    fn load(
        &self,
        entries: &[&StoredEntry],
    ) -> Result<Vec<sanitize::SafeHtml>, render::BodiesError> {
        self.reader.bodies(entries).map_err(Into::into)
    }

    fn excerpt(&self, body: &sanitize::SafeHtml, words: usize) -> sanitize::SafeHtml {
        self.sanitizer.excerpt(body, words)
    }
}

fn planet_info(config: &Config) -> PlanetInfo {
    PlanetInfo {
        title: config.title.clone(),
        description: config.description.as_deref().map(sanitize::markdown),
        csp_frame_src: sanitize::csp_frame_src(&config.sanitize.iframe_hosts),
        base_url: config.base_url.clone(),
        lang: config.lang.clone(),
        feed_entries: config.feed_entries,
        listing_excerpts: (config.listing_content == config::ListingContent::Excerpt)
            .then_some(config.excerpt_words),
        search: config.search,
        owner_name: config.owner_name.clone(),
        owner_email: config.owner_email.clone(),
    }
}

/// Display name: planet.yaml's `name`, else the feed's own title, else its host
/// or file name; `homepage` and `lang` from planet.yaml win over the feed's.
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
        feed_url: match &feed.source {
            FeedSource::Http(url) => WebUrl::from_url(url),
            FeedSource::File(_) => None,
        },
        site_url: feed
            .homepage
            .clone()
            .or_else(|| state.and_then(|s| s.meta.site_url.clone())),
        status: state.map_or("failed", |s| s.status.as_str()),
        language: feed
            .lang
            .clone()
            .or_else(|| state.and_then(|s| s.meta.language.clone())),
        avatar: feed.avatar.clone(),
        moved_to: state
            .and_then(|s| s.moved_to.as_deref())
            .and_then(|m| WebUrl::parse(m, None)),
    }
}
