//! `planetoid check`: is this planet buildable? The config (every problem
//! with its line and column) and the theme, without network; with
//! `--probe`, each enabled feed is also fetched once, decoded and parsed,
//! and a status table printed — nothing is written, not even the store.

use std::path::Path;

use crate::BuildError;
use crate::config::{self};
use crate::fetch::{self, Request, Validators};
use crate::ingest::{Shown, ingest};
use crate::render::Theme;
use crate::store::FeedUpdate;

/// What `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// One line: the file, ok, counts.
    pub verdict: String,
    /// With `--probe`: one row per feed; empty otherwise.
    pub table: String,
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
    if !probe {
        return Ok(CheckReport {
            verdict,
            table: String::new(),
        });
    }
    let feeds: Vec<_> = config.feeds.iter().filter(|f| f.enabled).collect();
    let requests: Vec<Request> = feeds
        .iter()
        .map(|f| Request::new(f.source.clone(), Validators::default()))
        .collect();
    let user_agent = config
        .fetch
        .user_agent
        .clone()
        .unwrap_or_else(|| fetch::default_user_agent(config.base_url.as_str()));
    let results = fetch::fetch_all(&requests, &config.fetch, &user_agent);
    let now = chrono::Utc::now();
    let mut rows = vec![[
        "status".to_string(),
        "entries".into(),
        "feed".into(),
        "detail".into(),
    ]];
    let mut broken = 0;
    let sanitizer = crate::sanitize::Sanitizer::new(&config.sanitize.iframe_hosts);
    for (feed, result) in feeds.iter().zip(results) {
        let name = feed.name.clone().unwrap_or_else(|| feed.url.clone());
        let shown = Shown {
            mode: feed.content,
            excerpt_words: config.excerpt_words,
            iframe_hosts: &config.sanitize.iframe_hosts,
            sanitizer: &sanitizer,
        };
        let row = match ingest(result, now, &Default::default(), &shown) {
            FeedUpdate::Fresh {
                meta,
                entries,
                moved_to,
                ..
            } => {
                let mut detail = meta.title.unwrap_or_default();
                if let Some(to) = moved_to {
                    detail = format!("moved permanently to {to}");
                }
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
            "{verdict}; probe: {} of {} feeds readable",
            feeds.len() - broken,
            feeds.len()
        ),
        table,
    })
}
