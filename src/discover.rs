//! Telling an HTML page from a feed, and finding the feed a page advertises.
//!
//! Members often give the planet their blog's home page instead of its feed,
//! or a blog moves its feed and the old URL starts serving HTML. Such a
//! response is reported as "not a feed (HTML page)" and, when the page has a
//! `<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">`,
//! that feed's absolute URL is offered as a hint. A small tag scanner is
//! enough here: only `<link>` tags in the page head are looked at.

use url::Url;

use crate::parse::tag_attribute as attribute;

/// True when a response is an HTML page rather than a feed: by its media
/// type, or by its first tag when the type says nothing useful.
pub fn is_html_page(content_type: Option<&str>, text: &str) -> bool {
    let head: String = text
        .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
        .chars()
        .take(256)
        .collect::<String>()
        .to_ascii_lowercase();
    let starts_html = head.starts_with("<!doctype html") || head.starts_with("<html");
    match content_type {
        Some("text/html" | "application/xhtml+xml") => !head.starts_with("<?xml") || starts_html,
        _ => starts_html,
    }
}

/// The first feed a page advertises, resolved against the page's URL.
pub fn advertised_feed(html: &str, page_url: &str) -> Option<String> {
    let base = Url::parse(page_url).ok()?;
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("<link") {
        let start = from + pos;
        let end = start + lower[start..].find('>')?;
        let tag = &html[start..end];
        from = end;
        let attr = |name: &str| attribute(tag, name);
        let rel = attr("rel").unwrap_or_default().to_ascii_lowercase();
        let kind = attr("type").unwrap_or_default().to_ascii_lowercase();
        let is_feed_type = matches!(
            kind.as_str(),
            "application/rss+xml"
                | "application/atom+xml"
                | "application/feed+json"
                | "application/json"
        );
        if rel.split_whitespace().any(|r| r == "alternate")
            && is_feed_type
            && let Some(url) = attr("href").and_then(|h| base.join(h.trim()).ok())
        {
            return Some(url.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_pages_are_recognised_by_type_or_first_tag() {
        assert!(is_html_page(
            Some("text/html"),
            "<!DOCTYPE html><html></html>"
        ));
        assert!(is_html_page(None, "\n  <HTML><head></head></HTML>"));
        assert!(is_html_page(
            Some("application/octet-stream"),
            "<!doctype html>"
        ));
        assert!(!is_html_page(
            Some("text/html"),
            "<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>"
        ));
        assert!(!is_html_page(
            Some("application/rss+xml"),
            "<rss version=\"2.0\"></rss>"
        ));
    }

    #[test]
    fn the_advertised_feed_is_found_and_made_absolute() {
        let html = "<html><head><link rel=\"stylesheet\" href=\"/s.css\">\
            <LINK REL='alternate' TYPE='application/atom+xml' HREF='/feed.atom' title=x>\
            </head></html>";
        assert_eq!(
            advertised_feed(html, "https://blog.example/about/").as_deref(),
            Some("https://blog.example/feed.atom")
        );
        assert_eq!(
            advertised_feed(
                "<html><link rel=alternate type=text/html href=/x></html>",
                "https://b.example/"
            ),
            None
        );
    }
}
