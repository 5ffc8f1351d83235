//! The timeline: stored entries in their final order, cut into pages.
//!
//! Order is newest first by each entry's fixed place in time (decided once by
//! the store), with a total tie-break on feed id then entry id, so two builds
//! of the same inputs always give the same pages.

use std::ops::Range;

use crate::entry::StoredEntry;

/// One page of the timeline: its 1-based number and which entries it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub number: usize,
    pub range: Range<usize>,
}

impl Page {
    /// The single page of a planet with no entries yet.
    pub const EMPTY: Page = Page {
        number: 1,
        range: 0..0,
    };
}

/// Sorts newest first: date descending, then feed id, then entry id.
pub fn sort_newest_first(entries: &mut [StoredEntry]) {
    entries.sort_by(|a, b| {
        b.sort_date
            .cmp(&a.sort_date)
            .then_with(|| a.feed_id.cmp(&b.feed_id))
            .then_with(|| a.id.cmp(&b.id))
    });
}

/// Cuts `len` entries into pages of `per_page` (at least one page).
pub fn paginate(len: usize, per_page: usize) -> Vec<Page> {
    let per_page = per_page.max(1);
    if len == 0 {
        return vec![Page::EMPTY];
    }
    (0..len.div_ceil(per_page))
        .map(|i| Page {
            number: i + 1,
            range: i * per_page..((i + 1) * per_page).min(len),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::FeedId;
    use chrono::{TimeZone, Utc};

    fn stored(feed: &str, id: &str, day: u32) -> StoredEntry {
        let date = Utc.with_ymd_and_hms(2025, 1, day, 0, 0, 0).unwrap();
        StoredEntry {
            feed_id: FeedId::from_stored(feed.into()),
            id: id.into(),
            title: id.into(),
            link: None,
            author: None,
            published: Some(date),
            updated: None,
            body: Default::default(),
            categories: vec![],
            enclosures: vec![],
            first_seen: date,
            sort_date: date,
        }
    }

    #[test]
    fn newest_first_with_a_total_tie_break() {
        let mut list = vec![
            stored("b", "1", 5),
            stored("a", "2", 5),
            stored("a", "1", 5),
            stored("z", "0", 9),
            stored("a", "9", 1),
        ];
        sort_newest_first(&mut list);
        let order: Vec<(&str, &str)> = list
            .iter()
            .map(|e| (e.feed_id.as_str(), e.id.as_str()))
            .collect();
        assert_eq!(
            order,
            [("z", "0"), ("a", "1"), ("a", "2"), ("b", "1"), ("a", "9")]
        );
    }

    #[test]
    fn pages_cover_every_entry_once() {
        let pages = paginate(45, 20);
        assert_eq!(
            pages.iter().map(|p| p.range.clone()).collect::<Vec<_>>(),
            [0..20, 20..40, 40..45]
        );
        assert_eq!(pages[2].number, 3);
        assert_eq!(paginate(0, 20), vec![Page::EMPTY]);
        assert_eq!(paginate(20, 20).len(), 1);
    }
}
