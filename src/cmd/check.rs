//! `planetoid check`: is this planet buildable? The config (every problem
//! with its line and column) and the theme, without network; with
//! `--probe`, each enabled feed is also fetched once, decoded and parsed,
//! and a status table printed, with what each readable feed needed
//! repaired under it — nothing is written, not even the store.

use std::path::Path;

use crate::BuildError;
use crate::config::{self, Config, ContentMode, FeedSource};
use crate::fetch::{self, Request, Validators};
use crate::ingest::{FeedUpdate, Shown, ingest};
use crate::render::Theme;

/// What `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// One line: the file, ok, counts.
    pub verdict: String,
    /// With `--probe`: one row per feed; empty otherwise.
    pub table: String,
    /// Worth fixing, but not stopping a build (an unused avatar image).
    pub warnings: Vec<String>,
}

pub fn check(config_path: &Path, probe: bool) -> Result<CheckReport, BuildError> {
    let config = config::load(config_path)?;
    Theme::load(config.theme_dir.as_deref(), &config.lang, &config.strings)?;
    let verdict = format!(
        "{}: ok ({} feeds, lang {}, theme {})",
        config_path.display(),
        config.feeds.len(),
        config.lang,
        config
            .theme_dir
            .as_deref()
            .map_or("default".into(), |d| d.display().to_string())
    );
    let warnings = avatar_warnings(&config);
    if !probe {
        return Ok(CheckReport {
            verdict,
            table: String::new(),
            warnings,
        });
    }
    let feeds: Vec<_> = config.feeds.iter().filter(|f| f.enabled).collect();
    let sources: Vec<_> = feeds
        .iter()
        .map(|f| (f.source.clone(), f.content))
        .collect();
    let updates = probe_feeds(&config, &sources, chrono::Utc::now());
    let mut rows = vec![[
        "status".to_string(),
        "entries".into(),
        "feed".into(),
        "detail".into(),
    ]];
    let mut broken = 0;
    let mut warned = 0;
    for (feed, update) in feeds.iter().zip(updates) {
        let name = feed.name.clone().unwrap_or_else(|| feed.url.clone());
        let mut notes = Vec::new();
        let row = match update {
            FeedUpdate::Fresh {
                meta,
                entries,
                moved_to,
                warnings,
                ..
            } => {
                let mut detail = meta.title.unwrap_or_default();
                if let Some(to) = moved_to {
                    detail = format!("moved permanently to {to}");
                }
                warned += usize::from(!warnings.is_empty());
                notes = warnings;
                ["ok".to_string(), entries.len().to_string(), name, detail]
            }
            FeedUpdate::NotModified { .. } | FeedUpdate::Untouched => {
                ["ok".into(), "-".into(), name, String::new()]
            }
            FeedUpdate::Skipped { reason } => ["skipped".into(), "-".into(), name, reason],
            FeedUpdate::Failed(f) => {
                broken += 1;
                let mut detail = f.error;
                if let Some(hint) = f.hint {
                    detail.push_str(&format!("; the page advertises {hint}"));
                }
                ["FAILED".into(), "-".into(), name, detail]
            }
        };
        rows.push(row);
        // Works, but: each warning on a line of its own under the feed.
        for w in notes {
            rows.push([
                String::new(),
                String::new(),
                String::new(),
                format!("warning: {w}"),
            ]);
        }
    }
    let widths: Vec<usize> = (0..3)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let table = rows
        .iter()
        .map(|r| {
            format!(
                "{:<w0$}  {:>w1$}  {:<w2$}  {}",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
            .trim_end()
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    Ok(CheckReport {
        verdict: format!(
            "{verdict}; probe: {} of {} feeds readable{}",
            feeds.len() - broken,
            feeds.len(),
            if warned > 0 {
                format!(", {warned} with warnings")
            } else {
                String::new()
            }
        ),
        table,
        warnings,
    })
}

/// Fetches each source once (no validators: a full answer), then decodes,
/// parses and sanitizes it exactly as a build would, with the planet's
/// fetch settings; nothing is stored. Results are in the order given.
pub(crate) fn probe_feeds(
    config: &Config,
    sources: &[(FeedSource, ContentMode)],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<FeedUpdate> {
    let requests: Vec<Request> = sources
        .iter()
        .map(|(source, _)| Request::new(source.clone(), Validators::default()))
        .collect();
    let user_agent = fetch::user_agent(config);
    let results = fetch::fetch_all(&requests, &config.fetch, &user_agent);
    let sanitizer = crate::sanitize::Sanitizer::new(&config.sanitize.iframe_hosts);
    sources
        .iter()
        .zip(results)
        .map(|((_, mode), result)| {
            let shown = Shown {
                mode: *mode,
                excerpt_words: config.excerpt_words,
                iframe_hosts: &config.sanitize.iframe_hosts,
                sanitizer: &sanitizer,
            };
            ingest(result, now, &Default::default(), &shown)
        })
        .collect()
}

/// One warning per image in `avatar_dir` that no feed uses.
fn avatar_warnings(config: &config::Config) -> Vec<String> {
    let shown = |p: &Path| {
        let dir = config.path.parent().unwrap_or(Path::new("."));
        p.strip_prefix(dir).unwrap_or(p).display().to_string()
    };
    match config::unused_avatars(config) {
        Ok(unused) => unused
            .iter()
            .map(|p| {
                format!(
                    "{}: no feed uses this image from avatar_dir; remove it or set it as a feed's `avatar`",
                    shown(p)
                )
            })
            .collect(),
        Err(e) => vec![format!(
            "cannot list avatar_dir {}: {e}",
            config
                .avatar_dir
                .as_deref()
                .map_or(String::new(), shown)
        )],
    }
}
