//! The health page's pictures, as plain values the templates draw as
//! inline SVG and CSS at build time (no script, nothing the CSP would have
//! to allow): each feed's status strip of its last builds (one cell per
//! build with a text label, a class per outcome and a summary sentence),
//! its posts-per-month sparkline, and the planet-wide activity chart
//! (posts and active feeds per month, with the numbers as a table). Every
//! picture carries its text alternative; bar geometry is in whole SVG units
//! so output stays byte-identical between builds.

use serde::Serialize;

use super::i18n::Translation;
use crate::report::{FeedHealth, MonthActivity};
use crate::store::{Attempt, BuildCell};

/// One build in a feed's strip.
#[derive(Debug, Serialize)]
pub struct CellCtx {
    /// `ok`, `not_modified`, `failed`, `gone`, `skipped` or `none` (the feed
    /// was not configured at that build): the CSS class is `cell-<class>`.
    pub class: &'static str,
    /// "5 January 2025, 14:03 UTC: failed (HTTP 500)". Response times are
    /// left out: they differ between two runs of the same build.
    pub label: String,
}

/// A feed's status strip, oldest build first.
#[derive(Debug, Serialize)]
pub struct StripCtx {
    pub cells: Vec<CellCtx>,
    /// "Last 30 builds: fetched 20, failed 10, not asked 0".
    pub summary: String,
}

/// One bar of a chart, in SVG user units.
#[derive(Debug, Serialize)]
pub struct BarCtx {
    pub x: u32,
    pub y: u32,
    pub height: u32,
    pub value: u32,
}

/// A bar chart: its size, its bars and what it shows in words.
#[derive(Debug, Serialize)]
pub struct ChartCtx {
    /// What the chart shows ("Posts").
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub bar_width: u32,
    pub bars: Vec<BarCtx>,
    /// The text alternative: what, over which months, every value.
    pub label: String,
    pub max: u32,
}

/// The planet-wide activity block (health page and archive index).
#[derive(Debug, Serialize)]
pub struct ActivityCtx {
    /// Posts per month, then active feeds per month.
    pub charts: Vec<ChartCtx>,
    /// The first and last month shown ("November 2023").
    pub from: String,
    pub to: String,
    pub months: Vec<MonthRowCtx>,
}

#[derive(Debug, Serialize)]
pub struct MonthRowCtx {
    pub heading: String,
    pub posts: u32,
    pub active_feeds: u32,
}

/// Builds a strip from a feed's last builds.
pub fn strip(t: &Translation, lang: &str, builds: &[Option<BuildCell>]) -> StripCtx {
    let cells = builds
        .iter()
        .map(|cell| match cell {
            None => CellCtx {
                class: "none",
                label: t.text("cell_none"),
            },
            Some(c) => {
                let mut what = t.text(match c.attempt {
                    Attempt::Ok => "cell_ok",
                    Attempt::NotModified => "cell_not_modified",
                    Attempt::Failed => "cell_failed",
                    Attempt::Gone => "cell_gone",
                    Attempt::Skipped => "cell_skipped",
                });
                let mut details = Vec::new();
                if let Some(status) = c.http_status.filter(|_| c.attempt.failed()) {
                    details.push(t.text("health_http").replace("{n}", &status.to_string()));
                }
                if c.new_entries > 0 {
                    details.push(t.plural(lang, "new_posts", i64::from(c.new_entries)));
                }
                if !details.is_empty() {
                    what = format!("{what} ({})", details.join(", "));
                }
                CellCtx {
                    class: c.attempt.as_str(),
                    label: format!("{}: {what}", t.date_time(c.at)),
                }
            }
        })
        .collect();
    let count = |pick: fn(&Attempt) -> bool| {
        builds
            .iter()
            .flatten()
            .filter(|c| pick(&c.attempt))
            .count()
            .to_string()
    };
    let summary = t
        .text("strip_summary")
        .replace(
            "{builds}",
            &t.plural(lang, "last_builds", builds.len() as i64),
        )
        .replace(
            "{ok}",
            &count(|a| matches!(a, Attempt::Ok | Attempt::NotModified)),
        )
        .replace("{failed}", &count(|a| a.failed()))
        .replace("{skipped}", &count(|a| *a == Attempt::Skipped));
    StripCtx { cells, summary }
}

/// A bar chart of `values` (oldest first), `height` units tall; a value
/// above zero is always at least one unit tall, so one post shows.
fn chart(title: String, values: &[u32], bar_width: u32, height: u32, label: String) -> ChartCtx {
    let max = values.iter().copied().max().unwrap_or(0);
    let step = bar_width + 1;
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, &value)| {
            let h = if max == 0 || value == 0 {
                0
            } else {
                (u64::from(value) * u64::from(height) / u64::from(max)).max(1) as u32
            };
            BarCtx {
                x: i as u32 * step,
                y: height - h,
                height: h,
                value,
            }
        })
        .collect();
    ChartCtx {
        title,
        width: (values.len() as u32 * step).saturating_sub(1),
        height,
        bar_width,
        bars,
        label,
        max,
    }
}

fn chart_label(t: &Translation, what: &str, from: &str, to: &str, values: &[u32]) -> String {
    let counts: Vec<String> = values.iter().map(u32::to_string).collect();
    t.text("chart_label")
        .replace("{what}", what)
        .replace("{from}", from)
        .replace("{to}", to)
        .replace("{counts}", &counts.join(", "))
}

/// A feed's posts per month over the last year.
pub fn sparkline(t: &Translation, feed: &FeedHealth, months: &[MonthActivity]) -> ChartCtx {
    let shown = &months[months.len().saturating_sub(feed.posts_per_month.len())..];
    let (from, to) = span(t, shown);
    let title = t.text("activity_posts");
    let label = chart_label(t, &title, &from, &to, &feed.posts_per_month);
    chart(title, &feed.posts_per_month, 5, 20, label)
}

/// The planet's posts and active feeds per month.
pub fn activity(t: &Translation, months: &[MonthActivity]) -> ActivityCtx {
    let (from, to) = span(t, months);
    let posts: Vec<u32> = months.iter().map(|m| m.posts).collect();
    let feeds: Vec<u32> = months.iter().map(|m| m.active_feeds).collect();
    let charts = [("activity_posts", posts), ("activity_feeds", feeds)]
        .into_iter()
        .map(|(key, values)| {
            let title = t.text(key);
            let label = chart_label(t, &title, &from, &to, &values);
            chart(title, &values, 9, 60, label)
        })
        .collect();
    ActivityCtx {
        charts,
        months: months
            .iter()
            .rev()
            .map(|m| MonthRowCtx {
                heading: t.month(m.year, m.month_number),
                posts: m.posts,
                active_feeds: m.active_feeds,
            })
            .collect(),
        from,
        to,
    }
}

fn span(t: &Translation, months: &[MonthActivity]) -> (String, String) {
    let name =
        |m: Option<&MonthActivity>| m.map_or(String::new(), |m| t.month(m.year, m.month_number));
    (name(months.first()), name(months.last()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_highest_and_small_values_still_show() {
        let c = chart(String::new(), &[0, 1, 50, 100], 5, 20, String::new());
        let heights: Vec<u32> = c.bars.iter().map(|b| b.height).collect();
        assert_eq!(heights, [0, 1, 10, 20]);
        assert_eq!(c.bars[3].y, 0);
        assert_eq!(c.bars[1].x, 6);
        assert_eq!((c.width, c.max), (23, 100));
        assert!(
            chart(String::new(), &[0, 0], 5, 20, String::new())
                .bars
                .iter()
                .all(|b| b.height == 0)
        );
    }
}
