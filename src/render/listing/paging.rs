//! Pagination, for every listing alike: how a listing of entries is cut
//! into numbered pages ([`Paging`]; `max_pages` caps every listing but the
//! monthly archives, whose pages are where each entry stays), the file and
//! the link of each page, how deep a file is below the site root, and the
//! pager templates show ([`Page::pager`]).

use std::ops::Range;

use serde::Serialize;

/// How listings are cut into pages: `per_page` entries a page, at most
/// `max_pages` pages for a listing the cap applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    per_page: usize,
    max_pages: Option<usize>,
}

/// One page of a listing: its number (from 1), how many pages the listing
/// has, and which of its entries (positions in the listing) it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub number: usize,
    pub total: usize,
    pub range: Range<usize>,
}

impl Paging {
    pub fn new(per_page: usize, max_pages: Option<usize>) -> Paging {
        Paging {
            per_page: per_page.max(1),
            max_pages,
        }
    }

    /// The pages of a listing of `len` entries, `capped` when `max_pages`
    /// applies to it. There is always a first page, empty for no entries.
    pub fn pages(&self, len: usize, capped: bool) -> Vec<Page> {
        let mut total = len.div_ceil(self.per_page).max(1);
        if let (true, Some(max)) = (capped, self.max_pages) {
            total = total.min(max.max(1));
        }
        (0..total)
            .map(|i| Page {
                number: i + 1,
                total,
                range: (i * self.per_page).min(len)..((i + 1) * self.per_page).min(len),
            })
            .collect()
    }

    /// The number of the page that shows the entry at `position` of a
    /// listing without a cap (a month of the archive).
    pub fn page_of(&self, position: usize) -> usize {
        position / self.per_page + 1
    }

    /// How many pages the timeline gets.
    pub fn timeline_pages(&self, len: usize) -> usize {
        self.pages(len, true).len()
    }
}

/// `root` for a file at `path`: `./` at the top, `../` per folder below it.
pub fn root_for(path: &str) -> String {
    let depth = path.matches('/').count();
    if depth == 0 {
        "./".to_string()
    } else {
        "../".repeat(depth)
    }
}

/// The file of page `number` of a listing in folder `dir`.
pub fn page_path(dir: &str, number: usize) -> String {
    if number <= 1 {
        format!("{dir}index.html")
    } else {
        format!("{dir}page/{number}/index.html")
    }
}

/// The link (relative to the site root) to page `number` of folder `dir`.
pub fn page_link(dir: &str, number: usize) -> String {
    if number <= 1 {
        dir.to_string()
    } else {
        format!("{dir}page/{number}/")
    }
}

#[derive(Serialize, Debug, PartialEq)]
pub struct PagerCtx {
    pub current: usize,
    pub total: usize,
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub last: Option<String>,
    pub items: Vec<PagerItem>,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct PagerItem {
    /// `None` marks a gap ("…").
    pub number: Option<usize>,
    pub url: Option<String>,
    pub current: bool,
}

impl Page {
    /// The pager of this page of the listing in folder `dir`: first,
    /// previous, a window of numbers around this page with gaps, next,
    /// last. Links are relative to the site root and `None` where they
    /// would point at this page.
    pub fn pager(&self, dir: &str) -> PagerCtx {
        pager(self.number, self.total, dir)
    }
}

fn pager(current: usize, total: usize, dir: &str) -> PagerCtx {
    const WINDOW: usize = 2;
    let link = |n: usize| page_link(dir, n);
    let mut items = Vec::new();
    let mut last_shown = 0;
    for n in 1..=total {
        let near = n.abs_diff(current) <= WINDOW;
        if n == 1 || n == total || near {
            if last_shown + 1 < n {
                // A gap of exactly one page shows that page instead of "…".
                if last_shown + 2 == n {
                    items.push(PagerItem {
                        number: Some(n - 1),
                        url: Some(link(n - 1)),
                        current: false,
                    });
                } else {
                    items.push(PagerItem {
                        number: None,
                        url: None,
                        current: false,
                    });
                }
            }
            items.push(PagerItem {
                number: Some(n),
                url: (n != current).then(|| link(n)),
                current: n == current,
            });
            last_shown = n;
        }
    }
    PagerCtx {
        current,
        total,
        first: (current > 1).then(|| link(1)),
        prev: (current > 1).then(|| link(current - 1)),
        next: (current < total).then(|| link(current + 1)),
        last: (current < total).then(|| link(total)),
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(p: &PagerCtx) -> Vec<String> {
        p.items
            .iter()
            .map(|i| match (i.number, i.current) {
                (None, _) => "…".to_string(),
                (Some(n), true) => format!("[{n}]"),
                (Some(n), false) => n.to_string(),
            })
            .collect()
    }

    #[test]
    fn pager_has_first_prev_window_gaps_next_last() {
        let p = pager(5, 9, "");
        assert_eq!(p.first.as_deref(), Some(""));
        assert_eq!(p.prev.as_deref(), Some("page/4/"));
        assert_eq!(p.next.as_deref(), Some("page/6/"));
        assert_eq!(p.last.as_deref(), Some("page/9/"));
        assert_eq!(shown(&p), ["1", "2", "3", "4", "[5]", "6", "7", "8", "9"]);
        let p = pager(1, 9, "archive/2025/01/");
        assert_eq!(shown(&p), ["[1]", "2", "3", "…", "9"]);
        assert_eq!((p.first, p.prev), (None, None));
        assert_eq!(p.next.as_deref(), Some("archive/2025/01/page/2/"));
        let p = pager(6, 12, "");
        assert_eq!(shown(&p), ["1", "…", "4", "5", "[6]", "7", "8", "…", "12"]);
    }

    #[test]
    fn pages_cover_every_entry_once_and_the_cap_applies_where_asked() {
        let ranges = |pages: Vec<Page>| -> Vec<(usize, usize, Range<usize>)> {
            pages
                .into_iter()
                .map(|p| (p.number, p.total, p.range))
                .collect()
        };
        let paging = Paging::new(20, Some(2));
        assert_eq!(
            ranges(paging.pages(45, false)),
            [(1, 3, 0..20), (2, 3, 20..40), (3, 3, 40..45)]
        );
        assert_eq!(
            ranges(paging.pages(45, true)),
            [(1, 2, 0..20), (2, 2, 20..40)]
        );
        assert_eq!(ranges(paging.pages(0, true)), [(1, 1, 0..0)]);
        assert_eq!(paging.pages(20, false).len(), 1);
        assert_eq!(paging.timeline_pages(45), 2);
        assert_eq!(Paging::new(20, None).timeline_pages(45), 3);
        assert_eq!(
            Paging::new(0, None).pages(2, false).len(),
            2,
            "at least one a page"
        );
        assert_eq!(
            (paging.page_of(0), paging.page_of(19), paging.page_of(20)),
            (1, 1, 2)
        );
    }

    #[test]
    fn paths_and_roots() {
        assert_eq!(page_path("", 1), "index.html");
        assert_eq!(page_path("", 3), "page/3/index.html");
        assert_eq!(page_path("feeds/ab/", 2), "feeds/ab/page/2/index.html");
        assert_eq!(root_for("index.html"), "./");
        assert_eq!(root_for("page/3/index.html"), "../../");
        assert_eq!(
            root_for("archive/2025/01/page/2/index.html"),
            "../../../../../"
        );
    }
}
