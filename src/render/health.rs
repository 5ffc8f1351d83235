//! The health page's rows (`HealthRowCtx`, documented for theme authors
//! in `themes/default/README.md`): one per shown feed, problems first,
//! each with its status, last success and last post in the UI language,
//! what reading it needed repaired, the advice for a quiet or flaky feed,
//! and its pictures ([`super::charts`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::SiteInput;
use super::charts;
use super::context::FeedCtx;
use super::i18n::Translation;
use crate::entry::{FeedId, WebUrl};
use crate::report::FeedHealth;

#[derive(Serialize)]
pub struct HealthRowCtx<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub feed_url: Option<&'a WebUrl>,
    pub url_is_web: bool,
    pub site_url: Option<&'a WebUrl>,
    pub page: String,
    pub status: &'a str,
    pub status_label: String,
    pub http_status: Option<u16>,
    pub error: Option<&'a str>,
    pub moved_to: Option<&'a WebUrl>,
    pub last_success: Option<String>,
    pub last_success_iso: Option<String>,
    pub last_post: Option<String>,
    pub last_post_iso: Option<String>,
    /// "3 months ago", with the last post.
    pub since_post: Option<String>,
    pub entries: usize,
    /// What reading the feed needed repaired ("works, but…"), one line each.
    pub warnings: &'a [String],
    /// The encoding the feed was read in, when it was not UTF-8.
    pub encoding: Option<&'a str>,
    pub quiet: bool,
    pub flaky: bool,
    /// What to do about a quiet or flaky feed, one sentence each.
    pub advice: Vec<String>,
    pub strip: charts::StripCtx,
    pub spark: charts::ChartCtx,
}

/// One row of the health page per shown feed: problems first (failing,
/// flaky, quiet, …, see [`FeedHealth::rank`]), otherwise in config order.
pub fn health<'a>(
    t: &Translation,
    input: &'a SiteInput,
    feeds: &[FeedCtx<'a>],
) -> Vec<HealthRowCtx<'a>> {
    let records: HashMap<&FeedId, &FeedHealth> =
        input.health.feeds.iter().map(|h| (&h.id, h)).collect();
    let lang = input.planet.lang.as_str();
    let mut rows: Vec<(u8, HealthRowCtx)> = feeds
        .iter()
        .map(|ctx| {
            let f = ctx.info;
            let record: Option<&FeedHealth> = records.get(&f.id).copied();
            let unobserved;
            let observed = match record {
                Some(r) => r,
                None => {
                    unobserved =
                        FeedHealth::unobserved(f.id.clone(), f.url.clone(), f.name.clone());
                    &unobserved
                }
            };
            let last_post_date = observed
                .last_post
                .as_deref()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc));
            let last_success = record
                .and_then(|h| h.last_success.as_deref())
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc));
            let row = HealthRowCtx {
                name: &f.name,
                url: &f.url,
                feed_url: ctx.feed_url,
                url_is_web: ctx.url_is_web,
                site_url: f.site_url.as_ref(),
                page: ctx.page.clone(),
                status: f.status.as_str(),
                status_label: ctx.status_label.clone(),
                http_status: record.and_then(|h| h.http_status),
                error: record.and_then(|h| h.error.as_deref()),
                moved_to: f.moved_to.as_ref(),
                last_success: last_success.map(|d| t.date_time(d)),
                last_success_iso: last_success.map(|d| d.to_rfc3339()),
                last_post: ctx.latest_post.clone(),
                last_post_iso: ctx.latest_post_iso.clone(),
                since_post: observed.days_since_post.map(|d| ago(t, lang, d)),
                entries: record.map_or(ctx.entry_count, |h| h.entries),
                warnings: record.map_or(&[], |h| h.warnings.as_slice()),
                encoding: record
                    .and_then(|h| h.encoding.as_deref())
                    .filter(|e| *e != "UTF-8"),
                quiet: observed.quiet,
                flaky: observed.flaky,
                advice: advice(t, lang, observed, last_post_date),
                strip: charts::strip(t, lang, &observed.builds),
                spark: charts::sparkline(t, observed, &input.health.activity),
            };
            (observed.rank(), row)
        })
        .collect();
    rows.sort_by_key(|(rank, _)| *rank);
    rows.into_iter().map(|(_, row)| row).collect()
}

/// "today", "5 days ago", "3 months ago", "2 years ago".
fn ago(t: &Translation, lang: &str, days: i64) -> String {
    match days {
        0 => t.text("ago_today"),
        1..60 => t.plural(lang, "ago_days", days),
        60..730 => t.plural(lang, "ago_months", days / 30),
        _ => t.plural(lang, "ago_years", days / 365),
    }
}

/// The health page's one line per flag: what is wrong and what to do.
fn advice(
    t: &Translation,
    lang: &str,
    feed: &FeedHealth,
    last_post: Option<DateTime<Utc>>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let (true, Some(date), Some(days)) = (feed.quiet, last_post, feed.days_since_post) {
        out.push(
            t.text("advice_quiet")
                .replace("{date}", &t.date(date))
                .replace("{ago}", &ago(t, lang, days)),
        );
    }
    if feed.flaky {
        out.push(
            t.text("advice_flaky")
                .replace("{failed}", &feed.recent_failures.to_string())
                .replace(
                    "{builds}",
                    &t.plural(lang, "of_last_builds", i64::from(feed.recent_builds)),
                ),
        );
    }
    out
}
