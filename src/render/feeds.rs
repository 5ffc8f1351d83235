//! The planet's machine-readable outputs: `atom.xml`, `rss.xml`, `feed.json`
//! (JSON Feed 1.1), `opml.xml` (through [`super::subscriptions`]),
//! `health.json` and the per-listing Atom feeds. Every document is built
//! with a maintained library (atom_syndication, rss, opml, serde_json),
//! never by string concatenation, and every string put into XML first
//! loses the control characters XML 1.0 forbids, so one bad byte in a
//! member's feed cannot make the merged feed invalid. Each entry credits its
//! source feed (`<source>` in Atom and RSS, `_source` in JSON Feed). Every
//! URL-valued field is written from a [`WebUrl`], never from a string, so a
//! field added later cannot skip the check.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::subscriptions::{self, Subscription};
use super::xml::{failed, xml_text};
use super::{FeedIndex, FeedInfo, RenderError, SiteInput};
use crate::entry::{StoredEntry, WebUrl};
use crate::output::Site;

/// An entry with its body (the timeline itself may be loaded without).
pub type Item<'a> = (&'a StoredEntry, &'a str);

/// Adds every machine-readable file for the `newest` entries to the site.
pub fn write_all(
    site: &Site,
    input: &SiteInput,
    feeds: &FeedIndex,
    newest: &[Item],
) -> Result<(), RenderError> {
    site.add(
        "atom.xml",
        atom(input, feeds, newest, &input.planet.title, "", false)?,
    );
    site.add("rss.xml", rss(input, feeds, newest)?.into_bytes());
    site.add("feed.json", json_feed(input, feeds, newest)?.into_bytes());
    site.add("opml.xml", opml(input)?.into_bytes());
    let health =
        serde_json::to_string_pretty(input.health).map_err(|e| failed("health.json", e))?;
    site.add("health.json", (health + "\n").into_bytes());
    Ok(())
}

fn fixed(d: DateTime<Utc>) -> DateTime<FixedOffset> {
    d.fixed_offset()
}

/// A globally unique, stable id for an entry in the merged feeds.
fn entry_uri(e: &StoredEntry) -> String {
    let looks_like_uri = e.id.contains(':') && !e.id.contains(char::is_whitespace);
    if looks_like_uri {
        xml_text(&e.id)
    } else {
        format!(
            "urn:planetoid:{}:{}",
            e.feed_id,
            blake3::hash(e.id.as_bytes())
                .to_hex()
                .get(..32)
                .unwrap_or_default()
        )
    }
}

fn feed_of<'a>(feeds: &FeedIndex<'a>, e: &StoredEntry) -> Option<&'a FeedInfo> {
    feeds.get(&e.feed_id)
}

/// The planet's own address for `file` (a path below its `base_url`).
fn self_url(input: &SiteInput, file: &str) -> WebUrl {
    input
        .planet
        .base_url
        .join(file)
        .unwrap_or_else(|| input.planet.base_url.clone())
}

fn updated<'a>(
    input: &SiteInput,
    newest: impl IntoIterator<Item = &'a StoredEntry>,
) -> DateTime<Utc> {
    newest
        .into_iter()
        .map(|e| e.updated.unwrap_or(e.sort_date).max(e.sort_date))
        .max()
        .unwrap_or(input.now)
}

/// An Atom document of `entries` titled `title`, for the listing whose pages
/// are in folder `dir` (relative to the site root; `""` for the planet, whose
/// feed is `atom.xml`, else `<dir>atom.xml`). With `excerpts`, the bodies
/// are excerpts and go in `<summary>`, each entry linking to its original.
pub fn atom(
    input: &SiteInput,
    feeds: &FeedIndex,
    entries: &[Item],
    title: &str,
    dir: &str,
    excerpts: bool,
) -> Result<Vec<u8>, RenderError> {
    let file = format!("{dir}atom.xml");
    use atom_syndication::{Content, Entry, Feed, Generator, Link, Person, Source, Text};
    let link = |href: &WebUrl, rel: &str, mime: Option<&str>| Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: mime.map(str::to_string),
        ..Link::default()
    };
    let items = entries
        .iter()
        .map(|&(e, body)| {
            let feed = feed_of(feeds, e);
            let source = feed.map(|f| Source {
                title: Text::plain(xml_text(&f.name)),
                id: xml_text(&f.url),
                updated: fixed(e.sort_date),
                links: f
                    .site_url
                    .iter()
                    .map(|s| link(s, "alternate", Some("text/html")))
                    .collect(),
                ..Source::default()
            });
            Entry {
                title: Text::plain(xml_text(&e.title)),
                id: entry_uri(e),
                updated: fixed(e.updated.unwrap_or(e.sort_date).max(e.sort_date)),
                published: Some(fixed(e.sort_date)),
                authors: e
                    .author
                    .iter()
                    .chain(feed.map(|f| &f.name).filter(|_| e.author.is_none()))
                    .map(|name| Person {
                        name: xml_text(name),
                        ..Person::default()
                    })
                    .collect(),
                links: e
                    .link
                    .iter()
                    .map(|l| link(l, "alternate", Some("text/html")))
                    .chain(
                        e.enclosures
                            .iter()
                            .map(|enc| link(&enc.url, "enclosure", enc.mime_type.as_deref())),
                    )
                    .collect(),
                categories: e
                    .categories
                    .iter()
                    .map(|c| atom_syndication::Category {
                        term: xml_text(c),
                        ..Default::default()
                    })
                    .collect(),
                content: (!excerpts && !body.is_empty()).then(|| Content {
                    value: Some(xml_text(body)),
                    content_type: Some("html".to_string()),
                    ..Content::default()
                }),
                summary: (excerpts && !body.is_empty()).then(|| Text::html(xml_text(body))),
                source,
                ..Entry::default()
            }
        })
        .collect();
    let newest = updated(input, entries.iter().map(|&(e, _)| e));
    let feed = Feed {
        title: Text::plain(xml_text(title)),
        // An id, not a link: the planet's address as written (an IRI), the
        // same in every build, so readers never see a new feed.
        id: xml_text(&format!("{}{dir}", input.planet.base_url)),
        updated: fixed(newest),
        lang: Some(input.planet.lang.clone()),
        links: vec![
            link(
                &self_url(input, &file),
                "self",
                Some("application/atom+xml"),
            ),
            link(&self_url(input, dir), "alternate", Some("text/html")),
        ],
        generator: Some(Generator {
            value: "planetoid".to_string(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
        authors: input
            .planet
            .owner_name
            .iter()
            .map(|name| Person {
                name: xml_text(name),
                email: input.planet.owner_email.as_deref().map(xml_text),
                ..Person::default()
            })
            .collect(),
        entries: items,
        ..Feed::default()
    };
    // Written from `String`s, so UTF-8 already: no second validation pass
    // over every body (a big share of rendering a feed).
    feed.write_to(Vec::new()).map_err(|e| failed(&file, e))
}

fn rss(input: &SiteInput, feeds: &FeedIndex, newest: &[Item]) -> Result<String, RenderError> {
    use rss::extension::dublincore::DublinCoreExtension;
    use rss::{Category, Channel, Enclosure, Guid, Source};
    type RssItem = rss::Item;
    let items = newest
        .iter()
        .map(|&(e, body)| {
            let feed = feed_of(feeds, e);
            RssItem {
                title: Some(xml_text(&e.title)),
                link: e.link.as_ref().map(WebUrl::to_string),
                description: (!body.is_empty()).then(|| xml_text(body)),
                guid: Some(Guid {
                    value: entry_uri(e),
                    permalink: false,
                }),
                pub_date: Some(e.sort_date.to_rfc2822()),
                source: feed.and_then(|f| {
                    Some(Source {
                        url: f.site_url.as_ref().or(f.feed_url.as_ref())?.to_string(),
                        title: Some(xml_text(&f.name)),
                    })
                }),
                categories: e
                    .categories
                    .iter()
                    .map(|c| Category {
                        name: xml_text(c),
                        domain: None,
                    })
                    .collect(),
                enclosure: e.enclosures.first().map(|enc| Enclosure {
                    url: enc.url.to_string(),
                    length: enc.length.unwrap_or(0).to_string(),
                    mime_type: enc
                        .mime_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                }),
                dublin_core_ext: e.author.as_ref().map(|a| DublinCoreExtension {
                    creators: vec![xml_text(a)],
                    ..DublinCoreExtension::default()
                }),
                ..RssItem::default()
            }
        })
        .collect();
    let channel = Channel {
        title: xml_text(&input.planet.title),
        link: input.planet.base_url.to_string(),
        description: xml_text(&input.planet.title),
        language: Some(input.planet.lang.clone()),
        last_build_date: Some(updated(input, newest.iter().map(|&(e, _)| e)).to_rfc2822()),
        generator: Some(format!("planetoid {}", env!("CARGO_PKG_VERSION"))),
        // RSS wants `email (name)` here, so only with an email.
        managing_editor: input.planet.owner_email.as_ref().map(|email| {
            xml_text(&match &input.planet.owner_name {
                Some(name) => format!("{email} ({name})"),
                None => email.clone(),
            })
        }),
        namespaces: BTreeMap::from([(
            "dc".to_string(),
            rss::extension::dublincore::NAMESPACE.to_string(),
        )]),
        items,
        ..Channel::default()
    };
    let bytes = channel
        .write_to(Vec::new())
        .map_err(|e| failed("rss.xml", e))?;
    String::from_utf8(bytes).map_err(|e| failed("rss.xml", e))
}

/// JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>).
#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a WebUrl,
    feed_url: WebUrl,
    language: &'a str,
    /// Who runs the planet (`owner_name`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a WebUrl>,
    title: &'a str,
    content_html: &'a str,
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment<'a>>,
    /// Extension (JSON Feed allows `_`-prefixed keys): where the entry came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    _source: Option<JsonSource<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: &'a WebUrl,
    mime_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

#[derive(Serialize)]
struct JsonSource<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    home_page_url: Option<&'a WebUrl>,
    /// Absent for a feed read from a local file.
    #[serde(skip_serializing_if = "Option::is_none")]
    feed_url: Option<&'a WebUrl>,
}

fn json_feed(input: &SiteInput, feeds: &FeedIndex, newest: &[Item]) -> Result<String, RenderError> {
    let items = newest
        .iter()
        .map(|&(e, body)| {
            let feed = feed_of(feeds, e);
            JsonItem {
                id: entry_uri(e),
                url: e.link.as_ref(),
                title: &e.title,
                content_html: body,
                date_published: e.sort_date.to_rfc3339(),
                date_modified: e
                    .updated
                    .filter(|u| *u > e.sort_date)
                    .map(|u| u.to_rfc3339()),
                authors: e
                    .author
                    .as_deref()
                    .map(|name| JsonAuthor { name })
                    .into_iter()
                    .collect(),
                tags: &e.categories,
                attachments: e
                    .enclosures
                    .iter()
                    .map(|enc| JsonAttachment {
                        url: &enc.url,
                        mime_type: enc
                            .mime_type
                            .as_deref()
                            .unwrap_or("application/octet-stream"),
                        size_in_bytes: enc.length,
                    })
                    .collect(),
                _source: feed.map(|f| JsonSource {
                    title: &f.name,
                    home_page_url: f.site_url.as_ref(),
                    feed_url: f.feed_url.as_ref(),
                }),
            }
        })
        .collect();
    let doc = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &input.planet.title,
        home_page_url: &input.planet.base_url,
        feed_url: self_url(input, "feed.json"),
        language: &input.planet.lang,
        authors: input
            .planet
            .owner_name
            .iter()
            .map(|name| JsonAuthor { name })
            .collect(),
        items,
    };
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(|e| failed("feed.json", e))
}

/// `opml.xml`: the enabled subscriptions, as the site names them.
fn opml(input: &SiteInput) -> Result<String, RenderError> {
    let feeds: Vec<Subscription> = input
        .feeds
        .iter()
        .map(|f| Subscription {
            name: &f.name,
            xml_url: f.feed_url.as_ref().map_or(f.url.as_str(), WebUrl::as_str),
            html_url: f.site_url.as_ref(),
            language: f.language.as_deref(),
        })
        .collect();
    subscriptions::opml(&input.planet.title, Some(input.now), &feeds)
}
