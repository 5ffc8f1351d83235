//! What an XML feed's values mean in our model: a [`Document`] feed-rs read,
//! with what the `scan` pass found beside it, becomes [`FeedMeta`] and
//! [`Entry`] values. Here each field is chosen among the places a feed may
//! put it (FeedBurner's `origLink` before the alternate link, Dublin Core
//! and Atom-in-RSS elements where the core ones are missing), every address
//! passes the one URL check, ids are made stable for items without one,
//! and bodies are labelled HTML or escaped from text.

use chrono::{DateTime, Utc};

use super::ParsedFeed;
use super::dates;
use super::feedrs::{Document, Format, Item, Link};
use super::scan;
use super::text::{as_html, demoronize, person_name, plain_title};
use super::urls::UrlCheck;
use super::warnings::{UNREADABLE_DATES, Warnings};
use crate::entry::{Enclosure, Entry, FeedMeta, WebUrl};
use crate::sanitize::plain_text;

/// `scanned`: what the light XML pass found (bases, languages, fallback
/// elements), when the document could be scanned and its entries line up
/// with feed-rs's.
pub(super) fn convert(
    feed: Document,
    feed_url: &str,
    scanned: Option<scan::Scan>,
    mut warnings: Warnings,
) -> ParsedFeed {
    let (feed_scan, entry_scans) = match scanned {
        Some(s) => (s.feed, Some(s.entries)),
        None => (scan::FeedScan::default(), None),
    };
    let language = feed
        .language
        .clone()
        .or(feed_scan.language)
        .map(|l| l.trim().replace('_', "-"))
        .filter(|l| !l.is_empty());
    let urls = UrlCheck::new(feed_url);
    let mut meta = FeedMeta {
        title: feed
            .title
            .as_deref()
            .map(plain_title)
            .filter(|t| !t.is_empty())
            .or_else(|| {
                feed_scan
                    .title
                    .as_deref()
                    .map(plain_text)
                    .filter(|t| !t.is_empty())
            }),
        site_url: urls
            .first(
                alternate_links(&feed.links).chain(feed_scan.link.as_deref()),
                None,
            )
            .filter(|url| Some(url) != urls.document()),
        language: language.clone(),
        dropped_urls: 0,
    };
    // RSS has no content types: descriptions are HTML by convention even
    // where feed-rs labels them text/plain (RSS 1.0).
    let rss = matches!(feed.format, Format::Rss0 | Format::Rss1 | Format::Rss2);
    let mut scans = entry_scans.map(Vec::into_iter);
    let entries = feed
        .items
        .into_iter()
        .map(|e| {
            let extra = match scans.as_mut() {
                Some(list) => list.next().unwrap_or_default(),
                None => scan::EntryScan {
                    base: e.base.clone(),
                    ..scan::EntryScan::default()
                },
            };
            convert_entry(
                e,
                feed_url,
                extra,
                rss,
                language.as_deref(),
                &urls,
                &mut warnings,
            )
        })
        .collect();
    meta.dropped_urls = urls.dropped();
    ParsedFeed {
        meta,
        entries,
        warnings,
    }
}

/// One feed-rs item → our entry; `extra` fills what feed-rs left empty;
/// `rss` says the document is RSS, whose descriptions are HTML whatever
/// their label.
fn convert_entry(
    e: Item,
    feed_url: &str,
    extra: scan::EntryScan,
    rss: bool,
    feed_language: Option<&str>,
    urls: &UrlCheck,
    warnings: &mut Warnings,
) -> Entry {
    let is_attachment = |l: &Link| l.rel.as_deref() == Some("enclosure");
    let page_links: Vec<Link> = e
        .links
        .iter()
        .filter(|l| !is_attachment(l))
        .cloned()
        .collect();
    let title = e
        .title
        .as_deref()
        .map(plain_title)
        .filter(|t| !t.is_empty())
        .or_else(|| extra.title.as_deref().map(plain_text))
        .unwrap_or_default();
    // Addresses in the entry resolve against the xml:base in scope, else
    // the document's URL (a junk xml:base is no base at all).
    let base = extra.base.as_deref().and_then(|b| WebUrl::parse(b, None));
    // FeedBurner's origLink is the post's real URL (the <link> only
    // redirects through a tracker); else the alternate link; else, in RSS,
    // a guid that is an absolute web address is the permalink when no
    // <link> is given (a guid is an id first: never resolved, never counted).
    let link = urls
        .first(
            extra
                .orig_link
                .as_deref()
                .into_iter()
                .chain(alternate_links(&page_links))
                .chain(extra.link.as_deref()),
            base.as_ref(),
        )
        .or_else(|| {
            (rss && !extra.guid_not_permalink)
                .then(|| WebUrl::parse(e.id.as_deref()?.trim(), None))
                .flatten()
        });
    let mut fallback_date = |raw: Option<&str>| {
        let raw = raw?;
        let date = dates::parse_date(raw);
        if date.is_none() {
            warnings.count(UNREADABLE_DATES, raw);
        }
        date
    };
    let published = e
        .published
        .or_else(|| fallback_date(extra.published.as_deref()));
    let updated = e
        .updated
        .or_else(|| fallback_date(extra.updated.as_deref()));
    let id = match &e.id {
        Some(id) => id.trim().to_string(),
        None => synthetic_id(feed_url, &title, published.or(updated)),
    };
    let content_html = e
        .content
        .as_ref()
        .map(|c| as_html(&c.text, &c.mime, rss))
        .filter(|b| !b.trim().is_empty())
        .or_else(|| extra.content.map(|c| demoronize(&c).into_owned()));
    let summary_html = e
        .summary
        .as_ref()
        .map(|s| as_html(&s.text, &s.mime, rss))
        .filter(|b| !b.trim().is_empty())
        .or_else(|| extra.description.map(|d| demoronize(&d).into_owned()));
    // Relative URLs in the body resolve against the xml:base in scope, else
    // the entry's own link, else the feed's URL.
    let base_url = extra
        .base
        .or_else(|| link.as_ref().map(WebUrl::to_string))
        .or_else(|| Some(feed_url.to_string()));
    let author = e
        .authors
        .iter()
        .find_map(|name| person_name(name))
        .or_else(|| extra.author.as_deref().and_then(person_name));
    let mut categories: Vec<String> = e
        .categories
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    if categories.is_empty() {
        categories = extra.categories;
    }
    let mut enclosures: Vec<Enclosure> = Vec::new();
    let media = e.media.iter().filter_map(|m| {
        Some(Enclosure {
            url: urls.check(&m.url, base.as_ref())?,
            mime_type: m.mime.clone(),
            length: m.size,
        })
    });
    let linked = e.links.iter().filter(|l| is_attachment(l)).filter_map(|l| {
        Some(Enclosure {
            url: urls.check(&l.href, base.as_ref())?,
            mime_type: l.media_type.clone(),
            length: l.length,
        })
    });
    for enclosure in media.chain(linked) {
        if !enclosures.iter().any(|x| x.url == enclosure.url) {
            enclosures.push(enclosure);
        }
    }
    let language = extra
        .lang
        .or(e.language)
        .or_else(|| feed_language.map(str::to_string))
        .map(|l| l.trim().replace('_', "-"))
        .filter(|l| !l.is_empty());
    Entry {
        id,
        title,
        link,
        author,
        published,
        updated,
        body_html: content_html.or_else(|| summary_html.clone()),
        summary_html,
        base_url,
        categories,
        enclosures,
        language,
    }
}

/// guid-less, link-less items: the same item gets the same id on every build.
pub(super) fn synthetic_id(feed_url: &str, title: &str, date: Option<DateTime<Utc>>) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(feed_url.as_bytes());
    hasher.update(b"\n");
    hasher.update(title.as_bytes());
    hasher.update(b"\n");
    hasher.update(date.map(|d| d.to_rfc3339()).unwrap_or_default().as_bytes());
    format!("urn:planetoid:{}", &hasher.finalize().to_hex()[..32])
}

/// The links that may be the page of a feed or entry, best first: the
/// `alternate` (or rel-less) ones, then any other that is not `self`, a hub
/// or an enclosure.
fn alternate_links(links: &[Link]) -> impl Iterator<Item = &str> {
    let alternate = |l: &&Link| matches!(l.rel.as_deref(), None | Some("alternate"));
    let other = |l: &&Link| !matches!(l.rel.as_deref(), Some("self" | "hub" | "enclosure"));
    let first = links.iter().filter(alternate);
    let then = links.iter().filter(move |l| !alternate(l) && other(l));
    first.chain(then).map(|l| l.href.as_str())
}
