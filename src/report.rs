//! After every build, per-feed health for the operator: `health.json` (one
//! record per configured feed, in config order) and the terminal summary
//! (one line per feed that needs attention, naming the feed, its URL and the
//! reason). A failing feed is reported, never fatal.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::store::{FeedState, FeedStatus};

/// The contents of `health.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Health {
    pub generated: String,
    pub feeds: Vec<FeedHealth>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeedHealth {
    pub url: String,
    pub name: String,
    /// `ok`, `stale` (failing, older entries kept) or `failed` (nothing ever read).
    pub status: &'static str,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub entries: usize,
    pub last_success: Option<String>,
}

fn rfc3339(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Builds the health report; `states` and `names` are in config order.
pub fn health(
    config: &Config,
    states: &[Option<&FeedState>],
    names: &[String],
    now: DateTime<Utc>,
) -> Health {
    let feeds = config
        .feeds
        .iter()
        .zip(states)
        .zip(names)
        .map(|((feed, state), name)| match state {
            Some(s) => FeedHealth {
                url: feed.url.clone(),
                name: name.clone(),
                status: s.status.as_str(),
                http_status: s.http_status,
                error: s.error.clone().or_else(|| {
                    s.last_attempt
                        .is_none()
                        .then(|| "not fetched yet: every build so far was --offline".to_string())
                }),
                entries: s.entries,
                last_success: s.last_success.map(rfc3339),
            },
            None => FeedHealth {
                url: feed.url.clone(),
                name: name.clone(),
                status: FeedStatus::Failed.as_str(),
                http_status: None,
                error: Some("not fetched yet".to_string()),
                entries: 0,
                last_success: None,
            },
        })
        .collect();
    Health {
        generated: rfc3339(now),
        feeds,
    }
}

/// The terminal summary: a headline, then one line per feed that is not ok.
pub fn summary(health: &Health, entries: usize, pages: usize, output: &str) -> String {
    let count = |status: &str| health.feeds.iter().filter(|f| f.status == status).count();
    let mut out = format!(
        "built {output}: {} feeds ({} ok, {} stale, {} failed), {entries} entries on {pages} page{}",
        health.feeds.len(),
        count("ok"),
        count("stale"),
        count("failed"),
        if pages == 1 { "" } else { "s" }
    );
    for f in health.feeds.iter().filter(|f| f.status != "ok") {
        out.push_str(&format!(
            "\n  {:<6} {} <{}>: {}",
            f.status,
            f.name,
            f.url,
            f.error.as_deref().unwrap_or("unknown error")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lists_only_feeds_needing_attention() {
        let h = Health {
            generated: "2025-01-01T00:00:00Z".into(),
            feeds: vec![
                FeedHealth {
                    url: "https://a.example/f".into(),
                    name: "A".into(),
                    status: "ok",
                    http_status: Some(200),
                    error: None,
                    entries: 3,
                    last_success: None,
                },
                FeedHealth {
                    url: "https://b.example/f".into(),
                    name: "B".into(),
                    status: "failed",
                    http_status: Some(404),
                    error: Some("HTTP 404 Not Found".into()),
                    entries: 0,
                    last_success: None,
                },
            ],
        };
        let text = summary(&h, 3, 1, "output");
        assert_eq!(
            text,
            "built output: 2 feeds (1 ok, 0 stale, 1 failed), 3 entries on 1 page\n  failed B <https://b.example/f>: HTTP 404 Not Found"
        );
    }
}
