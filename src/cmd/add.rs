//! `planetoid add URL [--name N] [--tag T] [--dry-run]`: one member's feed
//! into planet.yaml, checked first.
//!
//! The URL is fetched once through the fetch stage and read as a build
//! would read it ([`crate::cmd::check::probe_feeds`]). A site's page is not a
//! feed, but when it advertises one (`<link rel="alternate">`, the hint the
//! build reports for such pages) that feed is fetched and read instead. The
//! feed is refused, with the reason, when it is already listed, answers with
//! an error, is not a feed, or is a page that advertises none. Otherwise it
//! is appended to planet.yaml ([`planet_edit`]: comments kept) with the
//! feed's own title as `name`, and [`Added`] tells what was added with its
//! newest entry titles, so a maintainer sees at once whether it is the
//! right feed.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use crate::cmd::check::probe_feeds;
use crate::cmd::planet_edit::{self, EditError, NewFeed, Scalar};
use crate::config::{self, Config, ConfigError, ContentMode, FeedSource};
use crate::ingest::{FeedUpdate, NOT_A_FEED_PAGE};
use crate::lock::{LockError, Wait, lock_planet};
use crate::select::canonical_link;

/// Why a feed was not added. Each names the URL.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("`{url}` is not an http(s) URL")]
    NotAUrl { url: String },
    #[error("{url} is already in {} (line {line}{})", config.display(), name.as_deref().map(|n| format!(", as {n}")).unwrap_or_default())]
    Duplicate {
        url: String,
        config: PathBuf,
        line: u64,
        name: Option<String>,
    },
    #[error("{url} cannot be added: {reason}")]
    Failed { url: String, reason: String },
    #[error(
        "{url} is a web page, not a feed, and it advertises none (no <link rel=\"alternate\" type=\"application/rss+xml\"> or atom+xml in its head): give the feed's own URL"
    )]
    NoFeedAdvertised { url: String },
}

/// What `add` added (or, with `--dry-run`, would add).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// The feed's URL as written into planet.yaml.
    pub url: String,
    /// The page it was found on, when a site URL was given.
    pub found_on: Option<String>,
    pub name: String,
    pub tags: Vec<String>,
    /// How many entries the feed has now.
    pub entries: usize,
    /// The newest (at most three) entry titles, newest first.
    pub latest: Vec<String>,
    pub config: PathBuf,
    pub dry_run: bool,
}

impl fmt::Display for Added {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would add" } else { "added" };
        writeln!(f, "{verb} {} to {}", self.url, self.config.display())?;
        if let Some(page) = &self.found_on {
            writeln!(f, "  found as the feed {page} advertises")?;
        }
        writeln!(f, "  name: {}", self.name)?;
        if !self.tags.is_empty() {
            writeln!(f, "  tags: {}", self.tags.join(", "))?;
        }
        writeln!(f, "  entries: {}", self.entries)?;
        if !self.latest.is_empty() {
            writeln!(f, "  latest:")?;
            for title in &self.latest {
                writeln!(f, "    - {title}")?;
            }
        }
        Ok(())
    }
}

/// Adds `url` (a feed, or a page advertising one) to the planet at
/// `config_path`.
pub fn add(
    config_path: &Path,
    url: &str,
    name: Option<&str>,
    tags: &[String],
    dry_run: bool,
    wait: Wait,
) -> Result<Added, AddError> {
    // A dry run writes nothing, so it needs no turn; a real one holds the
    // planet's lock from reading planet.yaml to writing it back.
    let (config, _lock) = if dry_run {
        (config::load(config_path)?, None)
    } else {
        let (config, lock) = lock_planet(config_path, "add", wait)?;
        (config, Some(lock))
    };
    let given = web_url(url)?;
    refuse_duplicate(&config, config_path, given.as_str())?;
    let now = chrono::Utc::now();
    let mut found_on = None;
    let mut feed_url = given.to_string();
    let mut update = probe_one(&config, &given, now);
    if let FeedUpdate::Failed(failure) = &update
        && failure.error == NOT_A_FEED_PAGE
    {
        let Some(hint) = failure.hint.clone() else {
            return Err(AddError::NoFeedAdvertised {
                url: given.to_string(),
            });
        };
        let advertised = web_url(&hint)?;
        refuse_duplicate(&config, config_path, advertised.as_str())?;
        found_on = Some(given.to_string());
        feed_url = advertised.to_string();
        update = probe_one(&config, &advertised, now);
    }
    let (meta, mut entries, moved_to) = match update {
        FeedUpdate::Fresh {
            meta,
            entries,
            moved_to,
            ..
        } => (meta, entries, moved_to),
        FeedUpdate::Failed(failure) => {
            let mut reason = failure.error;
            if let Some(hint) = failure.hint {
                reason.push_str(&format!("; the page advertises {hint}"));
            }
            return Err(AddError::Failed {
                url: feed_url,
                reason,
            });
        }
        FeedUpdate::Skipped { reason } => {
            return Err(AddError::Failed {
                url: feed_url,
                reason,
            });
        }
        FeedUpdate::NotModified { .. } | FeedUpdate::Untouched => {
            return Err(AddError::Failed {
                url: feed_url,
                reason: "the server sent no content".into(),
            });
        }
    };
    // A feed that moved for good is subscribed at its new address.
    if let Some(to) = moved_to {
        refuse_duplicate(&config, config_path, &to)?;
        feed_url = to;
    }
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(|| meta.title.clone().filter(|t| !t.trim().is_empty()))
        .unwrap_or_else(|| given.host_str().unwrap_or(url).to_string());
    let tags: Vec<String> = tags
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    let mut feed = NewFeed::new(feed_url.clone());
    feed.set("name", Scalar::Str(name.clone()));
    if !tags.is_empty() {
        feed.set("tags", Scalar::List(tags.clone()));
    }
    let edit = planet_edit::append(config_path, &[], &[feed], dry_run)?;
    if edit.added.is_empty() {
        // Listed under another spelling of the same URL.
        refuse_duplicate(&config, config_path, &feed_url)?;
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.published.or(e.updated)));
    Ok(Added {
        url: feed_url,
        found_on,
        name,
        tags,
        entries: entries.len(),
        latest: entries
            .iter()
            .take(3)
            .map(|e| {
                if e.title.trim().is_empty() {
                    "(untitled)".to_string()
                } else {
                    e.title.clone()
                }
            })
            .collect(),
        config: config_path.to_path_buf(),
        dry_run,
    })
}

fn probe_one(config: &Config, url: &Url, now: chrono::DateTime<chrono::Utc>) -> FeedUpdate {
    probe_feeds(
        config,
        &[(FeedSource::Http(url.clone()), ContentMode::Full)],
        now,
    )
    .pop()
    .unwrap_or(FeedUpdate::Untouched)
}

fn web_url(raw: &str) -> Result<Url, AddError> {
    match Url::parse(raw.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(AddError::NotAUrl {
            url: raw.to_string(),
        }),
    }
}

fn refuse_duplicate(config: &Config, config_path: &Path, url: &str) -> Result<(), AddError> {
    let canon = canonical_link(url);
    match config
        .feeds
        .iter()
        .find(|f| canonical_link(&f.url) == canon)
    {
        Some(f) => Err(AddError::Duplicate {
            url: url.to_string(),
            config: config_path.to_path_buf(),
            line: f.line,
            name: f.name.clone(),
        }),
        None => Ok(()),
    }
}
