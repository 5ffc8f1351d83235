//! Keeping the site under `output.max_site_mb` at any planet size. A post's
//! full text lives on the timeline and on its month page in the archive;
//! everywhere else it is an excerpt. When the archive's full text would not
//! fit beside the rest of the site, the oldest months show excerpts too
//! (each linking to the original post), from one month back: the newest
//! months keep their full text. The plan is made from numbers that do not
//! depend on the order anything was rendered in: the bytes of every other
//! file of this build, each entry's body size (from the store), and two
//! per-entry rates measured on this build's own pages (what the markup
//! around a full entry weighs on the timeline, what an excerpt entry weighs
//! on the feeds' pages). So two builds of the same input make the same
//! plan, and a warm build, which renders nothing, makes it again for free.

use super::listing::{Kind, Listing, Listings};
use crate::entry::StoredEntry;

/// Whether the archive might not fit in `budget` bytes with its full text,
/// so the site must be measured before the month pages are made. Planets
/// well under the budget skip the plan and render as they always did.
pub fn may_not_fit(entries: &[StoredEntry], budget: u64) -> bool {
    // Two copies of every body (archive and listings' markup around them)
    // plus a generous allowance for the markup of each listing an entry is
    // on: a site this size has never been seen to pass it.
    let bodies: u64 = entries.iter().map(|e| e.body_bytes).sum();
    2 * bodies + ENTRY_ALLOWANCE * entries.len() as u64 > budget
}

/// Bytes of markup, per entry, that [`may_not_fit`] allows for.
const ENTRY_ALLOWANCE: u64 = 8_000;

/// What one month of the archive weighs in either form.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MonthCost {
    year: i32,
    month: u32,
    full: f64,
    excerpt: f64,
}

/// The per-entry rates measured on this build's pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Markup around a full entry (its page's bytes less its bodies, per
    /// entry), from the timeline.
    pub full_markup: f64,
    /// An excerpt entry, markup included, from the feeds' pages.
    pub excerpt: f64,
}

impl Rates {
    /// Rates from the timeline's pages (`timeline_bytes` for the entries
    /// `timeline`) and the feeds' pages (`feed_pages`: their bytes and how
    /// many entries they show). A planet without feed pages (a single
    /// feed) is assumed to spend on an excerpt what a full entry spends on
    /// markup, plus `words` words of its text. `None` when the timeline has
    /// nothing to measure.
    pub fn measured(
        timeline_bytes: u64,
        timeline: &[&StoredEntry],
        feed_pages: (u64, usize),
        words: usize,
    ) -> Option<Rates> {
        if timeline.is_empty() {
            return None;
        }
        let n = timeline.len() as f64;
        let bodies: u64 = timeline.iter().map(|e| e.body_bytes).sum();
        let full_markup = timeline_bytes.saturating_sub(bodies) as f64 / n;
        let excerpt = match feed_pages {
            (bytes, entries) if bytes > 0 && entries > 0 => bytes as f64 / entries as f64,
            // A word and its space, marked up, rarely pass 12 bytes.
            _ => full_markup + (bodies as f64 / n).min(words as f64 * 12.0),
        };
        Some(Rates {
            full_markup,
            excerpt,
        })
    }
}

/// Which months of the archive show excerpts: this month and every one
/// before it. What the build tells the operator comes from here too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveCut {
    pub year: i32,
    pub month: u32,
    /// How many months show excerpts, and how many keep the full text.
    pub excerpt_months: usize,
    pub full_months: usize,
}

impl ArchiveCut {
    /// Whether the month `year`-`month` shows excerpts.
    pub fn covers(&self, year: i32, month: u32) -> bool {
        (year, month) <= (self.year, self.month)
    }
}

impl std::fmt::Display for ArchiveCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "to stay under output.max_site_mb, archive months up to {}-{:02} ({} of {}) show excerpts that link to the original posts; the newest {} keep the full text",
            self.year,
            self.month,
            self.excerpt_months,
            self.excerpt_months + self.full_months,
            self.full_months
        )
    }
}

/// The plan: every month that fits keeps its full text, newest first,
/// while the rest of the site (`used` bytes) and every older month as
/// excerpts still fit in `budget`. `None` when the whole archive fits.
pub fn plan(
    listings: &Listings,
    entries: &[StoredEntry],
    rates: Rates,
    used: u64,
    budget: u64,
) -> Option<ArchiveCut> {
    let mut months: Vec<MonthCost> = listings
        .all
        .iter()
        .filter_map(|list| month_cost(list, entries, rates))
        .collect();
    months.sort_by_key(|m| std::cmp::Reverse((m.year, m.month)));
    cut(&months, used, budget)
}

fn month_cost(list: &Listing, entries: &[StoredEntry], rates: Rates) -> Option<MonthCost> {
    let Kind::Month { year, month } = list.kind else {
        return None;
    };
    let bodies: u64 = list
        .entries
        .iter()
        .filter_map(|&i| entries.get(i))
        .map(|e| e.body_bytes)
        .sum();
    let n = list.entries.len() as f64;
    Some(MonthCost {
        year,
        month,
        full: bodies as f64 + n * rates.full_markup,
        excerpt: n * rates.excerpt,
    })
}

/// The share of the budget the plan leaves unspent.
const MARGIN: f64 = 0.05;

/// `months` newest first.
fn cut(months: &[MonthCost], used: u64, budget: u64) -> Option<ArchiveCut> {
    // The rates are averages over other pages; a margin absorbs what a
    // month's own pages (their pagers, their longest entries) add.
    let aim = budget as f64 * (1.0 - MARGIN);
    let mut room = aim - used as f64 - months.iter().map(|m| m.excerpt).sum::<f64>();
    for (i, m) in months.iter().enumerate() {
        let extra = (m.full - m.excerpt).max(0.0);
        if extra > room {
            return Some(ArchiveCut {
                year: m.year,
                month: m.month,
                excerpt_months: months.len() - i,
                full_months: i,
            });
        }
        room -= extra;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::FeedId;
    use chrono::Utc;

    fn month(month: u32, full: f64) -> MonthCost {
        MonthCost {
            year: 2025,
            month,
            full,
            excerpt: 10.0,
        }
    }

    #[test]
    fn the_newest_months_keep_full_text_while_the_rest_fits_as_excerpts() {
        // Newest first: March, February, January.
        let months = [month(3, 100.0), month(2, 100.0), month(1, 100.0)];
        // Everything fits: 50 used + 300 full.
        assert_eq!(cut(&months, 50, 370), None);
        // Room for two months in full (50 + 100 + 100 + 10, and the margin).
        let two = cut(&months, 50, 280).expect("a cut");
        assert!(cut(&months, 50, 260).is_some_and(|c| c.full_months == 1));
        assert_eq!((two.year, two.month), (2025, 1));
        assert_eq!((two.excerpt_months, two.full_months), (1, 2));
        assert!(two.covers(2025, 1) && !two.covers(2025, 2) && two.covers(2024, 12));
        // Not even one: every month shows excerpts.
        let none = cut(&months, 50, 100).expect("a cut");
        assert_eq!(
            (none.month, none.excerpt_months, none.full_months),
            (3, 3, 0)
        );
    }

    #[test]
    fn a_month_that_does_not_fit_ends_the_full_text_even_if_an_older_one_would() {
        // A huge February: January would fit, but the archive is cut once,
        // so a reader finds full text from one month on, never in patches.
        let months = [month(3, 100.0), month(2, 10_000.0), month(1, 20.0)];
        let c = cut(&months, 0, 200).expect("a cut");
        assert_eq!((c.month, c.excerpt_months, c.full_months), (2, 2, 1));
    }

    #[test]
    fn rates_come_from_the_pages_measured() {
        let mut a = StoredEntry::sample(FeedId::from_stored("f".into()), "a", Utc::now());
        a.body_bytes = 600;
        let b = a.clone();
        let r = Rates::measured(2_000, &[&a, &b], (900, 3), 5).expect("rates");
        assert_eq!((r.full_markup, r.excerpt), (400.0, 300.0));
        // No feed pages: the markup plus five words' worth of text.
        let r = Rates::measured(2_000, &[&a, &b], (0, 0), 5).expect("rates");
        assert_eq!((r.full_markup, r.excerpt), (400.0, 460.0));
        assert_eq!(Rates::measured(2_000, &[], (900, 3), 5), None);
    }

    #[test]
    fn only_planets_near_the_budget_are_planned() {
        let mut e = StoredEntry::sample(FeedId::from_stored("f".into()), "a", Utc::now());
        e.body_bytes = 1_000;
        let entries = vec![e; 10];
        // 2 × 10 kB of bodies + 10 × 8 kB of markup = 100 kB.
        assert!(!may_not_fit(&entries, 100_000));
        assert!(may_not_fit(&entries, 99_999));
    }
}
