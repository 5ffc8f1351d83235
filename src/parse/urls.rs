//! The parse boundary for addresses: every URL value a document holds (links,
//! enclosures, a guid used as a permalink, the feed's own site link) passes
//! through [`UrlCheck`] on its way into the model, resolved against the base
//! in scope (the element's `xml:base`, else the document's final URL) and
//! kept only as a [`WebUrl`]. It counts what it drops, so `health.json` can
//! tell an operator that a feed sends junk.

use std::cell::Cell;

use crate::entry::WebUrl;

/// One document's URL checker.
pub(super) struct UrlCheck {
    /// The document's own address (after redirects), when it is a web one.
    document: Option<WebUrl>,
    dropped: Cell<usize>,
}

impl UrlCheck {
    pub(super) fn new(document_url: &str) -> UrlCheck {
        UrlCheck {
            document: WebUrl::parse(document_url, None),
            dropped: Cell::new(0),
        }
    }

    /// The document's address, as the base of last resort.
    pub(super) fn document(&self) -> Option<&WebUrl> {
        self.document.as_ref()
    }

    /// `raw` resolved against `base`, else the document's address; an empty
    /// value is simply absent, anything that is not a web address is dropped
    /// and counted.
    pub(super) fn check(&self, raw: &str, base: Option<&WebUrl>) -> Option<WebUrl> {
        if raw.trim().is_empty() {
            return None;
        }
        let url = WebUrl::parse(raw, base.or(self.document.as_ref()));
        if url.is_none() {
            self.dropped.set(self.dropped.get() + 1);
        }
        url
    }

    /// The first of `candidates` that is a web address; those tried before
    /// it are dropped and counted.
    pub(super) fn first<'a>(
        &self,
        candidates: impl IntoIterator<Item = &'a str>,
        base: Option<&WebUrl>,
    ) -> Option<WebUrl> {
        candidates.into_iter().find_map(|raw| self.check(raw, base))
    }

    /// How many values were dropped so far.
    pub(super) fn dropped(&self) -> usize {
        self.dropped.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_resolve_against_the_base_and_junk_is_counted() {
        let check = UrlCheck::new("https://blog.example/feed.xml");
        let base = WebUrl::parse("https://blog.example/posts/", None);
        assert_eq!(
            check.check("1.html", base.as_ref()).map(|u| u.to_string()),
            Some("https://blog.example/posts/1.html".into())
        );
        assert_eq!(
            check.check("/about", None).map(|u| u.to_string()),
            Some("https://blog.example/about".into())
        );
        assert_eq!(check.check("  ", None), None);
        assert_eq!(check.dropped(), 0);
        assert_eq!(check.check("javascript:alert(1)", None), None);
        assert_eq!(
            check
                .first(["data:text/html,x", "https://ok.example/"], None)
                .map(|u| u.to_string()),
            Some("https://ok.example/".into())
        );
        assert_eq!(check.dropped(), 2);
    }

    #[test]
    fn a_document_without_a_web_address_keeps_only_absolute_links() {
        let check = UrlCheck::new("file:///srv/feeds/a.xml");
        assert_eq!(check.check("post.html", None), None);
        assert!(check.check("https://a.example/p", None).is_some());
        assert_eq!(check.dropped(), 1);
    }
}
