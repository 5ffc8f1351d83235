//! The two judgements the health page and `planetoid report` lead with:
//! a feed is **quiet** when its newest post is older than its
//! `quiet_after_days`, and **flaky** when it failed in at least a third of
//! the last [`STRIP_BUILDS`] builds that asked it (and at least
//! [`FLAKY_MIN_FAILURES`] times, so one bad night of a new feed is not a
//! pattern). A feed failing every third build is flaky: that is the
//! pattern operators ask about. Builds that did not ask the feed (skipped)
//! do not count either way. Disabled feeds get no flags.

use chrono::{DateTime, Utc};

use super::{FeedActivity, FeedHealth, rfc3339};
use crate::store::BuildCell;

/// Builds in each feed's status strip, and the window flakiness is judged on.
pub const STRIP_BUILDS: usize = 30;
/// Fewer failures than this in the window are not called flaky.
pub const FLAKY_MIN_FAILURES: u32 = 3;

/// A feed's flags, and the counts they were judged on.
#[derive(Debug, Clone, PartialEq)]
pub struct Flags {
    pub quiet: bool,
    pub flaky: bool,
    /// Builds in the window that asked the feed, and how many failed.
    pub asked: u32,
    pub failed: u32,
    pub days_since_post: Option<i64>,
    pub quiet_after_days: u32,
    builds: Vec<Option<BuildCell>>,
}

impl Flags {
    /// Judges a feed by its last builds (oldest first) and its posts.
    pub fn of(
        enabled: bool,
        builds: &[Option<BuildCell>],
        posted: &FeedActivity,
        now: DateTime<Utc>,
        quiet_after_days: u32,
    ) -> Flags {
        let recent = &builds[builds.len().saturating_sub(STRIP_BUILDS)..];
        let asked = recent
            .iter()
            .flatten()
            .filter(|c| c.attempt.asked())
            .count() as u32;
        let failed = recent
            .iter()
            .flatten()
            .filter(|c| c.attempt.failed())
            .count() as u32;
        let days_since_post = posted.last_post.map(|d| (now - d).num_days().max(0));
        Flags {
            quiet: enabled && days_since_post.is_some_and(|d| d > i64::from(quiet_after_days)),
            flaky: enabled && failed >= FLAKY_MIN_FAILURES && failed * 3 >= asked,
            asked,
            failed,
            days_since_post,
            quiet_after_days,
            builds: recent.to_vec(),
        }
    }

    /// The record with the flags, the counts and the one-line advice.
    pub fn apply(self, record: FeedHealth, posted: FeedActivity) -> FeedHealth {
        let advice = advice(&self, posted.last_post);
        FeedHealth {
            last_post: posted.last_post.map(rfc3339),
            days_since_post: self.days_since_post,
            quiet: self.quiet,
            quiet_after_days: self.quiet_after_days,
            flaky: self.flaky,
            recent_builds: self.asked,
            recent_failures: self.failed,
            response_ms: self
                .builds
                .iter()
                .rev()
                .flatten()
                .find(|c| c.attempt.asked())
                .and_then(|c| c.response_ms),
            posts_per_month: posted.per_month,
            advice,
            builds: self.builds,
            ..record
        }
    }
}

/// "no post since 2025-03-01 (270 days), consider removing it; failing 12
/// of the last 30 builds: …", or `None` for a feed without flags.
fn advice(flags: &Flags, last_post: Option<DateTime<Utc>>) -> Option<String> {
    let mut parts = Vec::new();
    if let (true, Some(date), Some(days)) = (flags.quiet, last_post, flags.days_since_post) {
        parts.push(format!(
            "no post since {} ({days} days), consider removing it",
            date.format("%Y-%m-%d")
        ));
    }
    if flags.flaky {
        parts.push(format!(
            "failing {} of the last {} builds: check the host and the URL, or write to the feed's owner",
            flags.failed, flags.asked
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Attempt;
    use chrono::TimeZone;

    fn cells(pattern: &str) -> Vec<Option<BuildCell>> {
        let at = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        pattern
            .chars()
            .map(|c| {
                let attempt = match c {
                    'o' => Attempt::Ok,
                    'x' => Attempt::Failed,
                    's' => Attempt::Skipped,
                    _ => return None,
                };
                Some(BuildCell {
                    at,
                    attempt,
                    http_status: None,
                    response_ms: Some(7),
                    new_entries: 0,
                })
            })
            .collect()
    }

    #[test]
    fn flaky_is_a_third_of_the_asked_builds_in_the_window() {
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
        let none = FeedActivity::default();
        let judge = |p: &str| Flags::of(true, &cells(p), &none, now, 180);
        let every_third = "oox".repeat(10);
        let f = judge(&every_third);
        assert_eq!((f.flaky, f.failed, f.asked), (true, 10, 30));
        // Older failures fall out of the 30-build window.
        let f = judge(&format!("{}{}", "x".repeat(20), "o".repeat(30)));
        assert_eq!((f.flaky, f.failed), (false, 0));
        assert!(!judge("xxoooooo").flaky, "2 of 8: not a third");
        assert!(!judge("xo").flaky, "too few failures to call it a pattern");
        assert!(judge("xxxoooooo").flaky, "3 of 9");
        assert!(!judge("xxxooooooo").flaky, "3 of 10");
        // Skipped builds (and builds before the feed existed) do not count.
        let f = judge("--sssxoxoxo");
        assert_eq!((f.flaky, f.asked), (true, 6));
        assert!(!Flags::of(false, &cells("xxx"), &none, now, 180).flaky);
    }

    #[test]
    fn quiet_past_its_days_with_advice() {
        let now = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
        let posted = |days: i64| FeedActivity {
            last_post: Some(now - chrono::Duration::days(days)),
            per_month: vec![0; 12],
        };
        assert!(!Flags::of(true, &[], &posted(180), now, 180).quiet);
        let flags = Flags::of(true, &cells(&"xo".repeat(5)), &posted(181), now, 180);
        assert!(flags.quiet && flags.flaky);
        let record = flags.apply(
            FeedHealth::unobserved(
                crate::entry::FeedId::from_source("test"),
                "u".into(),
                "n".into(),
            ),
            posted(181),
        );
        assert_eq!(
            record.advice.as_deref(),
            Some(
                "no post since 2024-12-02 (181 days), consider removing it; failing 5 of the last 10 builds: check the host and the URL, or write to the feed's owner"
            )
        );
        assert_eq!(
            (record.response_ms, record.days_since_post),
            (Some(7), Some(181))
        );
        assert!(
            !Flags::of(true, &[], &FeedActivity::default(), now, 1).quiet,
            "no posts: unknown"
        );
    }
}
