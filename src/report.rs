//! After every build, per-feed health for the operator: `health.json` (one
//! record per configured feed, in config order) and the terminal summary
//! (one line per feed that needs attention, naming the feed, its URL and the
//! reason). A failing feed is reported, never fatal.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use std::collections::HashMap;

use crate::config::Config;
use crate::entry::FeedId;
use crate::feed_state::{FeedState, FeedStatus};
use crate::fetch::FetchSummary;
use crate::select::Hidden;
use crate::store::{BuildCell, History};

mod activity;
mod flags;
mod table;

pub use activity::{Activity, FEED_MONTHS, FeedActivity, MonthActivity, PLANET_MONTHS};
pub use flags::{Flags, STRIP_BUILDS};
pub use table::table;

/// The contents of `health.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Health {
    pub generated: String,
    /// How long this build waited for another run of the planet to finish
    /// (seconds, to a hundredth; 0 when the planet was free).
    pub lock_wait_secs: f64,
    pub feeds: Vec<FeedHealth>,
    /// Posts and active feeds per month over the last two years, oldest first.
    pub activity: Vec<MonthActivity>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeedHealth {
    /// What the site joins the record to its feed by; not published.
    #[serde(skip)]
    pub id: FeedId,
    pub url: String,
    pub name: String,
    /// `enabled: false` in planet.yaml: kept, but neither fetched nor shown.
    pub enabled: bool,
    /// `ok`, `stale` (failing, older entries kept), `failed` (nothing ever
    /// read), `gone` (410: entries kept, not asked again) or `skipped` (not
    /// asked in the last build, `error` says why: entries kept, not a
    /// failure, asked first next time).
    pub status: FeedStatus,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    /// A feed URL the page advertised, when the URL served an HTML page.
    pub hint: Option<String>,
    pub entries: usize,
    pub last_success: Option<String>,
    pub last_attempt: Option<String>,
    pub consecutive_failures: u32,
    /// The last attempt was answered 304 Not Modified.
    pub not_modified: bool,
    /// The feed is not asked again before this time (the server's Retry-After).
    pub retry_after: Option<String>,
    /// Where permanent redirects lead: update planet.yaml (`planetoid fix-moved`).
    pub moved_to: Option<String>,
    /// URL values in the feed's last fetched document that were not web
    /// addresses (`javascript:`, `data:`, `file:`, junk) and were dropped.
    pub dropped_urls: usize,
    /// The feed's newest post on the planet.
    pub last_post: Option<String>,
    pub days_since_post: Option<i64>,
    /// The newest post is older than `quiet_after_days`.
    pub quiet: bool,
    pub quiet_after_days: u32,
    /// Failed in at least a third of the recent builds that asked it.
    pub flaky: bool,
    /// Of the last 30 recorded builds: how many asked this feed, and how
    /// many of those failed.
    pub recent_builds: u32,
    pub recent_failures: u32,
    /// How long the last build that asked this feed took to get it. Shown
    /// by `planetoid report`; not published (it differs between two runs
    /// of the same build, and the site must not).
    #[serde(skip)]
    pub response_ms: Option<u32>,
    /// Posts per month over the last 12 months, oldest first.
    pub posts_per_month: Vec<u32>,
    /// What to do about a quiet or flaky feed, in one line.
    pub advice: Option<String>,
    /// The last 30 recorded builds, oldest first (`None`: the feed was not
    /// configured then); drawn on the health page, not written to JSON.
    #[serde(skip)]
    pub builds: Vec<Option<BuildCell>>,
    /// The encoding the last fetched document was read in (`UTF-8`, `KOI8-R`, …).
    pub encoding: Option<String>,
    /// What was repaired to read the last fetched document and not
    /// rejected ("your feed works, but fix this"): an overruled charset, a
    /// repaired XML error, dropped fields, unreadable dates.
    pub warnings: Vec<String>,
}

fn rfc3339(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Builds the health report, a record per configured feed in config
/// order, from each feed's stored state and display name (by id).
/// `history` holds the last [`STRIP_BUILDS`] builds, `activity` the posts
/// the planet shows.
pub fn health(
    config: &Config,
    states: &HashMap<FeedId, FeedState>,
    names: &HashMap<FeedId, String>,
    now: DateTime<Utc>,
    history: &History,
    activity: &Activity,
) -> Health {
    let feeds = config
        .feeds
        .iter()
        .map(|feed| {
            let name = names
                .get(&feed.id)
                .map_or(feed.url.as_str(), String::as_str);
            let record = current(feed, states.get(&feed.id), name, now);
            let posted = activity.feed(&feed.id);
            let quiet_after = feed.quiet_after_days.unwrap_or(config.quiet_after_days);
            let flags = Flags::of(
                feed.enabled,
                &history.cells(&feed.id),
                &posted,
                now,
                quiet_after,
            );
            flags.apply(record, posted)
        })
        .collect();
    Health {
        generated: rfc3339(now),
        lock_wait_secs: 0.0,
        feeds,
        activity: activity.planet.clone(),
    }
}

/// A feed's record as of its stored state, before history and activity.
fn current(
    feed: &crate::config::FeedConfig,
    state: Option<&FeedState>,
    name: &str,
    now: DateTime<Utc>,
) -> FeedHealth {
    let base = FeedHealth {
        enabled: feed.enabled,
        ..FeedHealth::unobserved(feed.id.clone(), feed.url.clone(), name.to_string())
    };
    match state {
        Some(s) => FeedHealth {
            status: s.status,
            http_status: s.http_status,
            error: s.error.clone().or_else(|| {
                s.last_attempt
                    .is_none()
                    .then(|| "not fetched yet: every build so far was --offline".to_string())
            }),
            hint: s.hint.clone(),
            entries: s.entries,
            last_success: s.last_success.map(rfc3339),
            last_attempt: s.last_attempt.map(rfc3339),
            consecutive_failures: s.consecutive_failures,
            not_modified: s.not_modified,
            retry_after: s.retry_after.filter(|t| *t > now).map(rfc3339),
            moved_to: s.moved_to.clone(),
            dropped_urls: s.meta.dropped_urls,
            encoding: s.encoding.clone(),
            warnings: s.warnings.clone(),
            ..base
        },
        None => FeedHealth {
            error: Some("not fetched yet".to_string()),
            ..base
        },
    }
}

impl FeedHealth {
    /// A feed with no history, no posts and no flags yet.
    pub fn unobserved(id: FeedId, url: String, name: String) -> FeedHealth {
        FeedHealth {
            id,
            url,
            name,
            enabled: true,
            status: FeedStatus::Failed,
            http_status: None,
            error: None,
            hint: None,
            entries: 0,
            last_success: None,
            last_attempt: None,
            consecutive_failures: 0,
            not_modified: false,
            retry_after: None,
            moved_to: None,
            dropped_urls: 0,
            encoding: None,
            warnings: Vec::new(),
            last_post: None,
            days_since_post: None,
            quiet: false,
            quiet_after_days: crate::config::DEFAULT_QUIET_AFTER_DAYS,
            flaky: false,
            recent_builds: 0,
            recent_failures: 0,
            response_ms: None,
            posts_per_month: vec![0; FEED_MONTHS],
            advice: None,
            builds: Vec::new(),
        }
    }

    /// Where the feed goes when problems come first: failing, stale,
    /// skipped, flaky, quiet, moved, gone, fine, then disabled feeds.
    pub fn rank(&self) -> u8 {
        match (self.enabled, self.status) {
            (false, _) => 8,
            (true, FeedStatus::Failed) => 0,
            (true, FeedStatus::Stale) => 1,
            (true, FeedStatus::Skipped) => 2,
            _ if self.flaky => 3,
            _ if self.quiet => 4,
            _ if self.moved_to.is_some() => 5,
            (true, FeedStatus::Gone) => 6,
            _ => 7,
        }
    }

    /// The feed's status with its flags: `ok`, `stale, flaky`, `ok, quiet`.
    pub fn status_and_flags(&self) -> String {
        let mut out = if !self.enabled {
            "off".to_string()
        } else if self.moved_to.is_some() && self.status == FeedStatus::Ok {
            "moved".to_string()
        } else {
            self.status.to_string()
        };
        for (on, flag) in [(self.flaky, "flaky"), (self.quiet, "quiet")] {
            if on {
                out.push_str(", ");
                out.push_str(flag);
            }
        }
        out
    }
}

/// The feeds with problems first (see [`FeedHealth::rank`]), otherwise in
/// config order.
pub fn problems_first(health: &Health) -> Vec<&FeedHealth> {
    let mut feeds: Vec<&FeedHealth> = health.feeds.iter().collect();
    feeds.sort_by_key(|f| f.rank());
    feeds
}

/// The terminal summary: a headline, then one line per feed that needs
/// attention (failing, stale, gone, waiting for Retry-After, or moved) and
/// one per warning of a feed that works but had to be repaired.
pub fn summary(
    health: &Health,
    hidden: &Hidden,
    entries: usize,
    pages: usize,
    output: &str,
) -> String {
    let active = || health.feeds.iter().filter(|f| f.enabled);
    let count = |status: FeedStatus| active().filter(|f| f.status == status).count();
    let optional = |n: usize, what: &str| {
        if n > 0 {
            format!(", {n} {what}")
        } else {
            String::new()
        }
    };
    let off = health.feeds.len() - active().count();
    let warned = active().filter(|f| !f.warnings.is_empty()).count();
    let mut out = format!(
        "built {output}: {} feeds ({} ok, {} stale, {} failed{}{}){}, {entries} entries on {pages} page{}",
        active().count(),
        count(FeedStatus::Ok),
        count(FeedStatus::Stale),
        count(FeedStatus::Failed),
        optional(count(FeedStatus::Gone), "gone")
            + &optional(count(FeedStatus::Skipped), "skipped"),
        optional(warned, "with warnings"),
        optional(off, "off"),
        if pages == 1 { "" } else { "s" }
    );
    let reasons: Vec<String> = [
        (hidden.blocked, "blocklisted"),
        (hidden.filtered, "filtered out"),
        (hidden.duplicates, "duplicates of posts in other feeds"),
        (hidden.over_max, "over a feed's max_entries"),
        (hidden.not_due, "not due yet"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, why)| format!("{n} {why}"))
    .collect();
    if !reasons.is_empty() {
        out.push_str(&format!("; not shown: {}", reasons.join(", ")));
    }
    for f in &health.feeds {
        if !f.enabled {
            out.push_str(&format!(
                "\n  off    {} <{}>: enabled: false",
                f.name, f.url
            ));
            continue;
        }
        if f.status != FeedStatus::Ok {
            out.push_str(&format!(
                "\n  {:<6} {} <{}>: {}",
                f.status,
                f.name,
                f.url,
                f.error.as_deref().unwrap_or("unknown error")
            ));
            if let Some(hint) = &f.hint {
                out.push_str(&format!(" (the page advertises a feed at {hint})"));
            }
            if let Some(t) = &f.retry_after {
                out.push_str(&format!(" (asked to wait until {t})"));
            }
        }
        if let Some(advice) = &f.advice {
            let flag = if f.flaky { "flaky" } else { "quiet" };
            out.push_str(&format!("\n  {flag:<6} {} <{}>: {advice}", f.name, f.url));
        }
        if let Some(to) = &f.moved_to {
            out.push_str(&format!(
                "\n  moved  {} <{}> → {to} (run `planetoid fix-moved` to update planet.yaml)",
                f.name, f.url
            ));
        }
        for w in &f.warnings {
            out.push_str(&format!("\n  warn   {} <{}>: {w}", f.name, f.url));
        }
    }
    out
}

/// `--fail-on failed=N` / `failed=P%`: when a build with too many broken
/// feeds should exit non-zero. "Broken" means the last attempt failed
/// (`failed` or `stale`); `gone` and disabled feeds do not count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FailOn {
    Count(usize),
    Percent(f64),
}

impl FailOn {
    /// Parses `failed=3` or `failed=10%`.
    pub fn parse(spec: &str) -> Result<FailOn, String> {
        let value = spec
            .strip_prefix("failed=")
            .ok_or_else(|| format!("expected failed=N or failed=P%, found `{spec}`"))?;
        if let Some(p) = value.strip_suffix('%') {
            match p.parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => Ok(FailOn::Percent(p)),
                _ => Err(format!("`{value}` is not a percentage from 0% to 100%")),
            }
        } else {
            value
                .parse::<usize>()
                .map(FailOn::Count)
                .map_err(|_| format!("`{value}` is not a number of feeds"))
        }
    }

    /// `Some(reason)` when the build broke the threshold.
    pub fn exceeded(&self, health: &Health) -> Option<String> {
        let active: Vec<&FeedHealth> = health.feeds.iter().filter(|f| f.enabled).collect();
        let broken = active
            .iter()
            .filter(|f| matches!(f.status, FeedStatus::Failed | FeedStatus::Stale))
            .count();
        let (hit, limit) = match *self {
            FailOn::Count(n) => (n > 0 && broken >= n, n.to_string()),
            FailOn::Percent(p) => {
                let share = if active.is_empty() {
                    0.0
                } else {
                    broken as f64 * 100.0 / active.len() as f64
                };
                (broken > 0 && share >= p, format!("{p}%"))
            }
        };
        hit.then(|| {
            format!(
                "{broken} of {} feeds are failing (--fail-on failed={limit})",
                active.len()
            )
        })
    }
}

/// What the fetch phase did per host, for `-v`: one line per host, the
/// busiest first.
pub fn fetch_text(fetch: &FetchSummary) -> String {
    let mut out = format!(
        "fetch: {:.2} s over {} host{}",
        fetch.wall.as_secs_f64(),
        fetch.hosts.len(),
        if fetch.hosts.len() == 1 { "" } else { "s" }
    );
    for h in &fetch.hosts {
        out.push_str(&format!(
            "\n  host {}: {} feeds, {} requests, slowest {:.2} s, {} skipped",
            h.host,
            h.feeds,
            h.requests,
            h.slowest.as_secs_f64(),
            h.skipped
        ));
    }
    out
}

/// A Markdown table of feed health for `$GITHUB_STEP_SUMMARY`: failed,
/// stale, skipped, flaky, quiet, moved and gone feeds first (with what to
/// do about them), then the healthy ones; then one row per host the build
/// fetched from.
pub fn step_summary(health: &Health, headline: &str, fetch: &FetchSummary) -> String {
    let feeds = problems_first(health);
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = format!(
        "## Planet build\n\n{}\n\n| Feed | Status | Entries | Last success | Details |\n|---|---|---:|---|---|\n",
        cell(headline)
    );
    for f in feeds {
        let status = f.status_and_flags();
        let mut details: Vec<String> = Vec::new();
        if let Some(a) = &f.advice {
            details.push(cell(a));
        }
        if let Some(e) = &f.error {
            details.push(cell(e));
        }
        if let Some(h) = &f.hint {
            details.push(format!("feed advertised at {}", cell(h)));
        }
        if let Some(m) = &f.moved_to {
            details.push(format!("moved to {} (run `planetoid fix-moved`)", cell(m)));
        }
        if let Some(t) = &f.retry_after {
            details.push(format!("not asked again before {t}"));
        }
        details.extend(f.warnings.iter().map(|w| format!("warning: {}", cell(w))));
        out.push_str(&format!(
            "| [{}]({}) | {} | {} | {} | {} |\n",
            cell(&f.name),
            cell(&f.url),
            status,
            f.entries,
            f.last_success.as_deref().unwrap_or("never"),
            details.join("; ")
        ));
    }
    if !fetch.hosts.is_empty() {
        out.push_str(&format!(
            "\n### Hosts (fetch {:.1} s)\n\n| Host | Feeds | Requests | Slowest response | Skipped |\n|---|---:|---:|---:|---:|\n",
            fetch.wall.as_secs_f64()
        ));
        for h in &fetch.hosts {
            out.push_str(&format!(
                "| {} | {} | {} | {:.2} s | {} |\n",
                cell(&h.host),
                h.feeds,
                h.requests,
                h.slowest.as_secs_f64(),
                h.skipped
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
