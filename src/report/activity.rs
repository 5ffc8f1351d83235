//! Posts over time, counted from the timeline the planet shows (filters,
//! blocklist and duplicates already applied, so the numbers agree with the
//! archive): per feed, the newest post and posts per month over the last
//! [`FEED_MONTHS`] months; for the planet, posts and active feeds (feeds
//! with at least one post) per month over the last [`PLANET_MONTHS`].
//! Months are calendar months in UTC, ending with the build's own.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

use crate::entry::{FeedId, StoredEntry};

/// Months in each feed's sparkline.
pub const FEED_MONTHS: usize = 12;
/// Months in the planet-wide chart.
pub const PLANET_MONTHS: usize = 24;

/// One month of the planet-wide chart.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonthActivity {
    /// `2025-01`.
    pub month: String,
    #[serde(skip)]
    pub year: i32,
    #[serde(skip)]
    pub month_number: u32,
    pub posts: u32,
    pub active_feeds: u32,
}

/// One feed's posting over time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedActivity {
    pub last_post: Option<DateTime<Utc>>,
    /// The last [`FEED_MONTHS`] months, oldest first.
    pub per_month: Vec<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Activity {
    pub planet: Vec<MonthActivity>,
    feeds: HashMap<FeedId, FeedActivity>,
}

impl Activity {
    /// Counts `entries` (any order) as of `now`.
    pub fn of(entries: &[StoredEntry], now: DateTime<Utc>) -> Activity {
        let months = last_months(now, PLANET_MONTHS);
        let index: HashMap<(i32, u32), usize> =
            months.iter().enumerate().map(|(i, m)| (*m, i)).collect();
        let mut posts = vec![0u32; months.len()];
        let mut active: Vec<HashSet<&FeedId>> = vec![HashSet::new(); months.len()];
        let mut feeds: HashMap<FeedId, FeedActivity> = HashMap::new();
        let feed_from = PLANET_MONTHS - FEED_MONTHS;
        for e in entries.iter().filter(|e| e.sort_date <= now) {
            let feed = feeds
                .entry(e.feed_id.clone())
                .or_insert_with(|| FeedActivity {
                    last_post: None,
                    per_month: vec![0; FEED_MONTHS],
                });
            feed.last_post = feed.last_post.max(Some(e.sort_date));
            let Some(&i) = index.get(&(e.sort_date.year(), e.sort_date.month())) else {
                continue;
            };
            posts[i] += 1;
            active[i].insert(&e.feed_id);
            if i >= feed_from {
                feed.per_month[i - feed_from] += 1;
            }
        }
        let planet = months
            .iter()
            .zip(posts)
            .zip(active)
            .map(|((&(year, month), posts), active)| MonthActivity {
                month: format!("{year:04}-{month:02}"),
                year,
                month_number: month,
                posts,
                active_feeds: active.len() as u32,
            })
            .collect();
        Activity { planet, feeds }
    }

    /// A feed's activity (no posts: no last post, zeros).
    pub fn feed(&self, id: &FeedId) -> FeedActivity {
        self.feeds.get(id).cloned().unwrap_or_else(|| FeedActivity {
            last_post: None,
            per_month: vec![0; FEED_MONTHS],
        })
    }
}

/// The `n` calendar months ending with `now`'s, oldest first.
pub fn last_months(now: DateTime<Utc>, n: usize) -> Vec<(i32, u32)> {
    let mut out = Vec::with_capacity(n);
    let (mut year, mut month) = (now.year(), now.month());
    for _ in 0..n {
        out.push((year, month));
        if month == 1 {
            year -= 1;
            month = 12;
        } else {
            month -= 1;
        }
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn counts_posts_and_active_feeds_per_month() {
        let now = Utc.with_ymd_and_hms(2025, 2, 10, 0, 0, 0).unwrap();
        let (a, b) = (
            FeedId::from_stored("a".into()),
            FeedId::from_stored("b".into()),
        );
        let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
        let entries = [
            StoredEntry::sample(a.clone(), "1", at(2025, 2, 1)),
            StoredEntry::sample(a.clone(), "2", at(2025, 1, 31)),
            StoredEntry::sample(b.clone(), "3", at(2025, 1, 2)),
            StoredEntry::sample(b.clone(), "4", at(2024, 1, 2)),
            StoredEntry::sample(b.clone(), "5", at(2020, 1, 2)),
            StoredEntry::sample(b.clone(), "6", at(2025, 3, 1)),
        ];
        let act = Activity::of(&entries, now);
        assert_eq!(act.planet.len(), PLANET_MONTHS);
        let last = &act.planet[PLANET_MONTHS - 1];
        assert_eq!(
            (last.month.as_str(), last.posts, last.active_feeds),
            ("2025-02", 1, 1)
        );
        let jan = &act.planet[PLANET_MONTHS - 2];
        assert_eq!(
            (jan.month.as_str(), jan.posts, jan.active_feeds),
            ("2025-01", 2, 2)
        );
        assert_eq!(act.planet[PLANET_MONTHS - 14].month, "2024-01");
        assert_eq!(act.planet[PLANET_MONTHS - 14].posts, 1);
        let fb = act.feed(&b);
        assert_eq!(
            fb.last_post,
            Some(at(2025, 1, 2)),
            "future posts do not count"
        );
        assert_eq!(
            fb.per_month.iter().sum::<u32>(),
            1,
            "2024-01 is outside the year"
        );
        assert_eq!(fb.per_month[FEED_MONTHS - 2], 1);
        assert_eq!(
            act.feed(&FeedId::from_stored("c".into())).per_month,
            vec![0; 12]
        );
        assert_eq!(last_months(now, 3), [(2024, 12), (2025, 1), (2025, 2)]);
    }
}
