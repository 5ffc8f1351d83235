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

pub mod check;
pub mod cli;
pub mod config;
pub mod decode;
pub mod discover;
pub mod entry;
pub mod fetch;
pub mod fix_moved;
pub mod init;
pub mod opml_io;
pub mod output;
pub mod parse;
pub mod progress;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod select;
pub mod serve;
pub mod store;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use config::{Config, FeedConfig, FeedSource};
use entry::CleanEntry;
use fetch::{FetchError, Fetched, Request, Validators};
use render::{FeedInfo, PlanetInfo, SiteInput, Theme};
use store::{Failure, FeedRecord, FeedState, FeedStatus, FeedUpdate, Store};

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
    /// Ask feeds that answered 410 Gone again.
    pub retry_gone: bool,
    pub verbosity: progress::Verbosity,
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

    let ids: Vec<_> = config.feeds.iter().map(|f| f.id.clone()).collect();
    let before = store.feed_states(&ids)?;
    let plans: Vec<Option<Request>> = config
        .feeds
        .iter()
        .map(|f| plan(f, before.get(&f.id), now, opts))
        .collect();
    let requests: Vec<Request> = plans.iter().flatten().cloned().collect();
    let requested: Vec<&FeedConfig> = config
        .feeds
        .iter()
        .zip(&plans)
        .filter(|(_, p)| p.is_some())
        .map(|(f, _)| f)
        .collect();
    let progress = progress::Progress::new(requests.len(), opts.verbosity);
    let on_done = |i: usize, result: &Result<Fetched, FetchError>| {
        let Some(feed) = requested.get(i) else { return };
        let name = feed.name.as_deref().unwrap_or(&feed.url);
        match result {
            Ok(f) if f.not_modified => {
                progress.feed_done(name, &feed.url, "not modified (304)", None)
            }
            Ok(f) => progress.feed_done(
                name,
                &feed.url,
                &format!("fetched {} bytes", f.body.len()),
                None,
            ),
            Err(e) => progress.feed_done(name, &feed.url, "", Some(&e.to_string())),
        }
    };
    let user_agent = config
        .fetch
        .user_agent
        .clone()
        .unwrap_or_else(|| fetch::default_user_agent(config.base_url.as_str()));
    let mut fetched = fetch::fetch_all(&requests, &config.fetch, &user_agent, &on_done).into_iter();
    progress.finish();
    let results: Vec<Option<Result<Fetched, FetchError>>> = plans
        .iter()
        .map(|p| p.as_ref().and_then(|_| fetched.next()))
        .collect();
    let records: Vec<FeedRecord> = config
        .feeds
        .par_iter()
        .zip(results)
        .map(|(feed, result)| FeedRecord {
            id: feed.id.clone(),
            url: feed.url.clone(),
            update: result.map_or(FeedUpdate::Untouched, |r| ingest(r, now)),
            date_policy: feed.date_policy,
            future_dates: feed.future_dates.unwrap_or(config.future_dates),
        })
        .collect();
    store.record(now, &records, &config.retention)?;

    let states = store.feed_states(&ids)?;
    let (entries, hidden) = select::timeline(
        store.entries(&ids)?,
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
    let health = report::health(&config, &ordered, &names, now);
    let feeds: Vec<FeedInfo> = config
        .feeds
        .iter()
        .zip(all_feeds)
        .filter(|(f, _)| f.enabled)
        .map(|(_, info)| info)
        .collect();
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
        &hidden,
        entries.len(),
        pages.len(),
        &output_dir.display().to_string(),
    );
    Ok(BuildReport { health, summary })
}

/// Whether to fetch a feed in this build, and how. `None` leaves it to its
/// stored state: disabled feeds, offline builds, feeds that answered 410 Gone (unless
/// `--retry-gone`), and feeds whose `Retry-After` has not passed yet.
/// Validators are sent only when the store holds the feed's entries, so a
/// 304 can never leave a feed empty.
fn plan(
    feed: &FeedConfig,
    state: Option<&FeedState>,
    now: DateTime<Utc>,
    opts: &BuildOptions,
) -> Option<Request> {
    if !feed.enabled {
        return None;
    }
    if let FeedSource::Http(_) = feed.source {
        let gone = state.is_some_and(|s| s.status == FeedStatus::Gone);
        let waiting = state.and_then(|s| s.retry_after).is_some_and(|t| t > now);
        if opts.offline || (gone && !opts.retry_gone) || waiting {
            return None;
        }
    }
    let validators = match state {
        Some(s) if s.entries > 0 => s.validators.clone(),
        _ => Validators::default(),
    };
    Some(Request {
        source: feed.source.clone(),
        validators,
    })
}

/// One feed's fetch result → what the store should learn: decode, parse and
/// sanitize, or the reason it failed. Never panics, never aborts the build.
/// A 304 skips decoding, parsing and sanitizing entirely.
fn ingest(fetched: Result<Fetched, FetchError>, now: DateTime<Utc>) -> FeedUpdate {
    let fetched = match fetched {
        Ok(f) if f.not_modified => {
            return FeedUpdate::NotModified {
                validators: f.validators,
                moved_to: f.moved_to,
            };
        }
        Ok(f) => f,
        Err(e) => {
            return FeedUpdate::Failed(Failure {
                http_status: e.http_status(),
                error: e.to_string(),
                hint: None,
                retry_after: e.retry_after().map(|r| r.after(now)),
                gone: matches!(e, FetchError::Gone),
            });
        }
    };
    let text = decode::decode(
        &fetched.body,
        fetched.charset.as_deref(),
        fetched.host.as_deref(),
    );
    let failure = |error: String, hint: Option<String>| {
        FeedUpdate::Failed(Failure {
            http_status: fetched.http_status,
            error,
            hint,
            ..Failure::default()
        })
    };
    if discover::is_html_page(fetched.content_type.as_deref(), &text.text) {
        let hint = discover::advertised_feed(&text.text, &fetched.final_url);
        return failure("not a feed (HTML page)".to_string(), hint);
    }
    let parsed = match parse::parse(&text.text, &fetched.final_url) {
        Ok(p) => p,
        Err(e) => return failure(e.to_string(), None),
    };
    let entries = parsed.entries.into_iter().map(clean_entry).collect();
    FeedUpdate::Fresh {
        meta: parsed.meta,
        entries,
        http_status: fetched.http_status,
        validators: fetched.validators,
        moved_to: fetched.moved_to,
    }
}

fn clean_entry(e: entry::Entry) -> CleanEntry {
    let body = sanitize::clean(e.body_html.as_deref().unwrap_or(""), e.base_url.as_deref());
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
        base_url: config.base_url.to_string(),
        lang: config.lang.clone(),
        feed_entries: config.feed_entries,
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
        site_url: feed
            .homepage
            .clone()
            .or_else(|| state.and_then(|s| s.meta.site_url.clone())),
        status: state.map_or("failed", |s| s.status.as_str()),
        language: feed
            .lang
            .clone()
            .or_else(|| state.and_then(|s| s.meta.language.clone())),
    }
}
