//! planetoid: a "planet" feed aggregator. It reads `planet.yaml`, fetches
//! every feed in parallel, sanitizes their HTML, remembers entries in a
//! SQLite store, merges them newest-first and writes a static site.
//!
//! ```text
//! planet.yaml ─▶ config   (parse + validate, every problem with file:line:col)
//!             ─▶ theme    (render::theme: templates + translations, before any network)
//!             ─▶ ingest   (fetch → decode → parse → sanitize, on rayon as each download
//!                          completes; new and changed entries only)
//!                 ├ fetch    (async, bounded, per-host limits, conditional GET)
//!                 ├ decode   (bytes → UTF-8: BOM, valid UTF-8, XML decl, HTTP charset, detector)
//!                 ├ parse    (feed-rs behind our wrapper → our own Entry)
//!                 └ sanitize (pre-pass + ammonia policy → SafeHtml)
//!             ─▶ store    (SQLite: feeds, entries with first-seen, build history)
//!             ─▶ assess   (select: the timeline's order and filters; report: health)
//!             ─▶ render   (Tera theme → pages, feeds, search index; keys say what changed)
//!             ─▶ output   (staged beside the live site, unchanged files carried over,
//!                          then swapped in)
//!             ─▶ report   (health.json, terminal summary, site size)
//! ```
//!
//! [`build`] makes those calls in that order. A feed that fails is data,
//! never an abort: it keeps its stored entries and shows in the report.
//! Only config, theme, store, render, output and lock (another run of the
//! planet still going after `--wait`) errors stop a build ([`BuildError`]).

// The vocabulary every stage shares: entries and their URLs and ids,
// what is remembered of a feed, and the keys that say what changed.
pub mod entry;

pub mod feed_state;

pub mod keys;

// The stages, in pipeline order (the diagram above).
pub mod config;

pub mod ingest;

pub mod fetch;

pub mod decode;

pub mod parse;

pub mod discover;

pub mod sanitize;

pub mod store;

pub mod assess;

pub mod select;

pub mod render;

pub mod output;

pub mod report;

// What runs them: one run at a time per planet, what the operator sees,
// and the commands besides `build`.
pub mod lock;

pub mod progress;

pub mod cmd;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use assess::Assessed;
use config::Config;
use entry::StoredEntry;
use render::{ExtraPage, SiteInput, Theme};
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
    /// Set when the archive's oldest months show excerpts so that the site
    /// stays under `output.max_site_mb`: which ones.
    pub archive_excerpts: Option<String>,
    /// What the fetch phase did, host by host (`-v`, the job summary).
    pub fetch: fetch::FetchSummary,
}

/// The whole pipeline, config to published site: one call per stage, in
/// the order of the diagram above.
pub fn build(opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    let mut clock = progress::Stopwatch::new();
    // Held until the build returns: one run at a time per planet.
    let wait = lock::Wait {
        limit: opts.wait,
        verbosity: opts.verbosity,
    };
    let (config, lock) = lock::lock_planet(&opts.config, "build", wait)?;
    clock.lap("config and waiting for other runs of the planet");
    let theme = Theme::load(config.theme_dir.as_deref(), &config.lang, &config.strings)?;
    let mut store = Store::open(&config.state)?;
    clock.lap("theme and store");

    let now = opts.now.unwrap_or_else(Utc::now);
    let before = store.feed_states(&config.feed_ids())?;
    let reader = store.reader();
    let (fetched, checkpoint) =
        store.record_while(now, &config.retention, &reader, |records, stored| {
            ingest::gather(&config, &before, stored, now, opts, records)
        })?;
    clock.lap("fetch, decode, parse, sanitize and store");

    let mut assessed = assess::assess(&config, &store, now)?;
    assessed.health.lock_wait_secs = (lock.waited().as_secs_f64() * 100.0).round() / 100.0;
    clock.lap("timeline");

    let output_dir = opts
        .output
        .clone()
        .unwrap_or_else(|| config.output_dir.clone());
    let site = output::Site::staged(&output_dir, config.dir())?;
    let bodies = StoredBodies {
        reader: &reader,
        sanitizer: sanitize::Sanitizer::new(&config.sanitize.iframe_hosts),
    };
    let rendered =
        render::render_site_into(&theme, &site_input(&config, &assessed, now), &bodies, &site)?;
    publish_avatars(&config, &site)?;
    let (written, carried) = site.counts();
    let search = rendered
        .search
        .map_or_else(String::new, |s| format!("; {s}"));
    clock.lap(format!(
        "render and write ({written} files written, {carried} unchanged carried over{search})"
    ));
    let published = site.commit()?;
    clock.lap("publish");
    checkpoint.wait();
    clock.lap("store checkpoint");

    let archive_cut = rendered.archive_cut.map(|cut| cut.to_string());
    Ok(finish(
        &config,
        assessed,
        fetched,
        &output_dir,
        published.size,
        &clock,
        archive_cut,
    ))
}

/// What render is given: the planet, its enabled feeds, the timeline, its
/// extra pages and the health report.
fn site_input<'a>(config: &'a Config, assessed: &'a Assessed, now: DateTime<Utc>) -> SiteInput<'a> {
    SiteInput {
        planet: assess::planet_info(config),
        feeds: &assessed.feeds,
        entries: &assessed.entries,
        per_page: config.entries_per_page,
        max_pages: config.max_pages,
        extra_pages: config
            .pages
            .iter()
            .map(|p| ExtraPage {
                title: p.title.clone(),
                slug: p.slug.clone(),
                body: sanitize::markdown(&p.markdown),
            })
            .collect(),
        health: &assessed.health,
        now,
    }
}

/// The build's report: the summary, the site's size against its budget,
/// the stage timings.
fn finish(
    config: &Config,
    assessed: Assessed,
    fetched: fetch::FetchSummary,
    output_dir: &Path,
    site_size: output::size::SiteSize,
    clock: &progress::Stopwatch,
    archive_excerpts: Option<String>,
) -> BuildReport {
    let pages = render::Paging::new(config.entries_per_page, config.max_pages)
        .timeline_pages(assessed.entries.len());
    let size_warning = site_size.over_budget(config.output.max_site_mb);
    let summary = report::summary(
        &assessed.health,
        &assessed.hidden,
        assessed.entries.len(),
        pages,
        &output_dir.display().to_string(),
    );
    BuildReport {
        health: assessed.health,
        summary,
        timings: clock.report(),
        fetch: fetched,
        site_size,
        size_warning,
        archive_excerpts,
    }
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
