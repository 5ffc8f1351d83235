//! How one language's entries are cut into Pagefind bundles of bounded
//! size. Each month of the archive is a bundle (`2025-02`); a month with
//! more than [`MAX_RECORDS`] entries is cut, between whole days, into
//! bundles named by their first day (`2025-02`, then `2025-02-14`, …),
//! filled from the month's first day on, so posts landing on its last days
//! change only its last bundle (or start a new one). Memory while indexing is bounded by one
//! bundle, and a build re-indexes only the bundles whose entries changed.
//! The language's newest bundle is its root (`pagefind/<lang>/`, with
//! Pagefind's script and WebAssembly); the others live beneath it
//! (`pagefind/<lang>/<name>/`) and are merged into it by the browser.

use chrono::{DateTime, Datelike, Utc};

/// Entries in one bundle at most, unless one day alone has more (a day is
/// never cut). Pagefind's memory grows with the records of an index.
pub const MAX_RECORDS: usize = 2_000;

/// One bundle: its name and its entries, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `YYYY-MM` for a month's first bundle, `YYYY-MM-DD` (its first day)
    /// for the others of a cut month.
    pub name: String,
    /// Indexes into the timeline, in its order (newest first).
    pub entries: Vec<usize>,
}

/// Cuts `dated` (timeline indexes with their dates, newest first) into
/// bundles of at most `max` entries, newest bundle first.
pub fn split(dated: &[(usize, DateTime<Utc>)], max: usize) -> Vec<Part> {
    // Months, then days, oldest first: a cut depends only on the days
    // before it.
    let mut days: Vec<((i32, u32), u32, Vec<usize>)> = Vec::new();
    for &(i, date) in dated.iter().rev() {
        let month = (date.year(), date.month());
        match days.last_mut() {
            Some((m, d, list)) if *m == month && *d == date.day() => list.push(i),
            _ => days.push((month, date.day(), vec![i])),
        }
    }
    let mut parts: Vec<Part> = Vec::new();
    // The month of the last bundle.
    let mut open: Option<(i32, u32)> = None;
    for (month, day, list) in days {
        let same_month = open == Some(month);
        match parts.last_mut() {
            Some(last) if same_month && last.entries.len() + list.len() <= max => {
                last.entries.extend(list);
            }
            _ => {
                let (year, m) = month;
                let name = if same_month {
                    format!("{year:04}-{m:02}-{day:02}")
                } else {
                    format!("{year:04}-{m:02}")
                };
                open = Some(month);
                parts.push(Part {
                    name,
                    entries: list,
                });
            }
        }
    }
    // Newest first, each bundle's entries in timeline order.
    parts.reverse();
    for part in &mut parts {
        part.entries.reverse();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, month, day, hour, 0, 0)
            .single()
            .expect("a valid date")
    }

    fn names(parts: &[Part]) -> Vec<&str> {
        parts.iter().map(|p| p.name.as_str()).collect()
    }

    #[test]
    fn one_bundle_per_month_newest_first_in_timeline_order() {
        let dated = [(0, at(3, 2, 9)), (1, at(3, 1, 8)), (2, at(2, 27, 1))];
        let parts = split(&dated, 10);
        assert_eq!(names(&parts), ["2025-03", "2025-02"]);
        assert_eq!(parts[0].entries, [0, 1]);
        assert_eq!(parts[1].entries, [2]);
        assert!(split(&[], 10).is_empty());
    }

    #[test]
    fn a_big_month_is_cut_between_days_from_its_first_day_on() {
        // Days 1, 2 and 3 hold 2, 2 and 1 entries; at most 3 a bundle.
        let dated = [
            (0, at(1, 3, 5)),
            (1, at(1, 2, 5)),
            (2, at(1, 2, 4)),
            (3, at(1, 1, 5)),
            (4, at(1, 1, 4)),
        ];
        let parts = split(&dated, 3);
        assert_eq!(names(&parts), ["2025-01-02", "2025-01"]);
        assert_eq!(parts[0].entries, [0, 1, 2]);
        assert_eq!(parts[1].entries, [3, 4]);
        // A post on a new day leaves every bundle before it as it was…
        let mut more = vec![(9, at(1, 4, 6))];
        more.extend(dated);
        let after = split(&more, 3);
        assert_eq!(names(&after), ["2025-01-04", "2025-01-02", "2025-01"]);
        assert_eq!(after[1..], parts[..]);
        // …and one on the last day changes only the last bundle.
        let mut more = vec![(9, at(1, 3, 6))];
        more.extend(dated);
        let after = split(&more, 3);
        assert_eq!(names(&after), ["2025-01-03", "2025-01-02", "2025-01"]);
        assert_eq!(after[2..], parts[1..]);
        // …and a day bigger than the bound stays whole.
        assert_eq!(split(&dated[1..3], 1).len(), 1);
    }
}
