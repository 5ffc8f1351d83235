//! One light quick-xml pass over an XML feed for what feed-rs does not
//! expose: per entry, the `xml:base` and `xml:lang` in scope for its content,
//! and the fallback elements real RSS feeds use in place of the core ones.
//!
//! feed-rs resolves links against `xml:base` internally but only exposes the
//! attribute written on `<content>` itself. Relative URLs *inside* the HTML
//! must resolve against the base in scope there, which is often inherited
//! from `<entry>` or `<feed>`; this pass records it per entry, in document
//! order, so the sanitizer can resolve `img/graph.svg` the way the author
//! meant. The same pass collects Dublin Core (`dc:title`, `dc:description`,
//! `dc:subject`, `dc:language`, `dc:creator`, `dcterms:issued` /
//! `modified`), iTunes (`itunes:author`, `itunes:summary`), Atom-in-RSS
//! (`atom:link`, `atom:author`, `atom:published`, `atom:updated`,
//! `atom:content`) and body elements (`xhtml:body`, `body`, `fullitem`),
//! which the parse wrapper uses only where feed-rs found nothing.

use quick_xml::events::{BytesStart, Event};
use url::Url;

/// What the pass found for one entry/item, in document order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryScan {
    /// The explicit `xml:base` in scope for the content, if any.
    pub base: Option<String>,
    /// The `xml:lang` in scope for the content, if any.
    pub lang: Option<String>,
    pub title: Option<String>,
    pub link: Option<String>,
    /// FeedBurner's `origLink`: the post's own URL behind the tracking link.
    pub orig_link: Option<String>,
    pub author: Option<String>,
    /// Summary-like text (HTML by RSS convention).
    pub description: Option<String>,
    /// Full-content fallbacks (HTML).
    pub content: Option<String>,
    pub categories: Vec<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    /// `<guid isPermaLink="false">`: the guid is not the entry's address.
    pub guid_not_permalink: bool,
}

/// Feed-level fallbacks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedScan {
    pub title: Option<String>,
    pub language: Option<String>,
    pub link: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scan {
    pub feed: FeedScan,
    pub entries: Vec<EntryScan>,
}

/// Well-known namespaces, by the short name this module matches on.
fn canonical(uri: &str) -> Option<&'static str> {
    Some(
        match uri
            .trim_end_matches(['/', '#'])
            .to_ascii_lowercase()
            .as_str()
        {
            "http://purl.org/dc/elements/1.1" => "dc",
            "http://purl.org/dc/terms" => "dcterms",
            "http://www.itunes.com/dtds/podcast-1.0.dtd" => "itunes",
            "http://search.yahoo.com/mrss" => "media",
            "http://www.w3.org/2005/atom" => "atom",
            "http://www.w3.org/1999/xhtml" => "xhtml",
            "http://rssnamespace.org/feedburner/ext/1.0" => "feedburner",
            _ => return None,
        },
    )
}

/// Scans `text`; `None` when it is not well-formed enough to walk.
pub fn scan(text: &str, document_url: &str) -> Option<Scan> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    let fallback = Url::parse(document_url).ok();
    // (depth at which it was declared, value)
    let mut bases: Vec<(usize, Url)> = Vec::new();
    let mut langs: Vec<(usize, String)> = Vec::new();
    let mut prefixes: Vec<(String, &'static str)> = Vec::new();
    let mut depth = 0usize;
    let mut out = Scan::default();
    let mut in_entry: Option<usize> = None;
    let mut in_author = false;
    let mut content_scope: Option<(Option<String>, Option<String>)> = None;
    loop {
        let event = reader.read_event().ok()?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                depth += 1;
                push_scope(
                    e,
                    depth,
                    &mut bases,
                    &mut langs,
                    &mut prefixes,
                    fallback.as_ref(),
                );
                let name = e.name();
                let qname: &str = name.as_ref();
                let (prefix, local) = match qname.split_once(':') {
                    Some((p, l)) => (Some(p), l),
                    None => (None, qname),
                };
                let ns = prefix
                    .and_then(|p| prefixes.iter().rev().find(|(q, _)| q == p).map(|(_, c)| *c));
                let base = bases.last().map(|(_, u)| u.to_string());
                let lang = langs.last().map(|(_, l)| l.clone());
                if in_entry.is_none() && (local == "entry" || local == "item") && ns.is_none() {
                    out.entries.push(EntryScan {
                        base: base.clone(),
                        lang: lang.clone(),
                        ..EntryScan::default()
                    });
                    if !empty {
                        in_entry = Some(depth);
                        content_scope = None;
                    }
                } else if let Some(entry) = in_entry.and(out.entries.last_mut()) {
                    if ns.is_none()
                        && matches!(local, "content" | "summary" | "description" | "encoded")
                        || (ns == Some("content") || prefix == Some("content"))
                            && local == "encoded"
                    {
                        // Full content wins over a summary for the scope too.
                        if content_scope.is_none() || local == "content" || local == "encoded" {
                            content_scope = Some((base.clone(), lang.clone()));
                        }
                    }
                    if ns == Some("atom") && local == "link" {
                        let rel = attr(e, "rel");
                        if matches!(rel.as_deref(), None | Some("alternate"))
                            && entry.link.is_none()
                        {
                            entry.link = attr(e, "href")
                                .and_then(|h| resolve(&h, base.as_deref(), fallback.as_ref()));
                        }
                    }
                    if ns == Some("itunes")
                        && local == "category"
                        && let Some(text) = attr(e, "text").filter(|t| !t.is_empty())
                    {
                        entry.categories.push(text);
                    }
                    if ns == Some("atom") && local == "author" {
                        in_author = !empty;
                    } else if !empty {
                        let field = match (ns, local) {
                            (Some("dc" | "media"), "title") => Some(Field::Title),
                            (Some("dc" | "media"), "description") | (Some("itunes"), "summary") => {
                                Some(Field::Description)
                            }
                            (Some("dc"), "creator" | "author") | (Some("itunes"), "author") => {
                                Some(Field::Author)
                            }
                            (Some("atom"), "name") if in_author => Some(Field::Author),
                            (Some("dc" | "media"), "subject" | "category") => Some(Field::Category),
                            (None, "guid")
                                if attr(e, "isPermaLink").as_deref() == Some("false") =>
                            {
                                entry.guid_not_permalink = true;
                                None
                            }
                            (Some("dc"), "language") => Some(Field::Lang),
                            (Some("dcterms"), "issued" | "created")
                            | (Some("atom"), "published") => Some(Field::Published),
                            (Some("dcterms"), "modified") | (Some("atom"), "updated") => {
                                Some(Field::Updated)
                            }
                            (Some("atom"), "content") => Some(Field::Content),
                            (Some("feedburner"), "origLink") => Some(Field::OrigLink),
                            (Some("xhtml"), "body") => Some(Field::Markup),
                            (None, "body") => Some(Field::Markup),
                            (None, "fullitem") => Some(Field::Content),
                            _ => None,
                        };
                        if let Some(field) = field {
                            let span = reader.read_to_end(e.name()).ok()?;
                            let raw = text.get(
                                usize::try_from(span.start).ok()?
                                    ..usize::try_from(span.end).ok()?,
                            )?;
                            depth -= 1;
                            while bases.last().is_some_and(|(d, _)| *d > depth) {
                                bases.pop();
                            }
                            while langs.last().is_some_and(|(d, _)| *d > depth) {
                                langs.pop();
                            }
                            let value = if matches!(field, Field::Markup) {
                                raw.trim().to_string()
                            } else {
                                text_of(raw)
                            };
                            if matches!(field, Field::Markup | Field::Content)
                                && content_scope.is_none()
                            {
                                content_scope = Some((base.clone(), lang.clone()));
                            }
                            set(entry, field, value);
                        }
                    }
                } else if in_entry.is_none() && ns == Some("atom") && local == "link" {
                    if out.feed.link.is_none()
                        && matches!(attr(e, "rel").as_deref(), None | Some("alternate"))
                    {
                        out.feed.link = attr(e, "href")
                            .and_then(|h| resolve(&h, base.as_deref(), fallback.as_ref()));
                    }
                } else if in_entry.is_none() && !empty {
                    // Feed level (outside any entry).
                    let slot = match (ns, local) {
                        (Some("dc"), "title") => Some(0),
                        (Some("dc"), "language") => Some(1),
                        _ => None,
                    };
                    if let Some(slot) = slot {
                        let span = reader.read_to_end(e.name()).ok()?;
                        let raw = text.get(
                            usize::try_from(span.start).ok()?..usize::try_from(span.end).ok()?,
                        )?;
                        depth -= 1;
                        let value = Some(text_of(raw)).filter(|v| !v.is_empty());
                        match slot {
                            0 => out.feed.title = out.feed.title.take().or(value),
                            _ => out.feed.language = out.feed.language.take().or(value),
                        }
                    }
                }
                if empty {
                    pop_scope(depth, &mut bases, &mut langs);
                    depth -= 1;
                }
            }
            Event::End(e) => {
                pop_scope(depth, &mut bases, &mut langs);
                if e.name().as_ref().ends_with("author") {
                    in_author = false;
                }
                if in_entry == Some(depth) {
                    in_entry = None;
                    if let (Some(entry), Some((base, lang))) =
                        (out.entries.last_mut(), content_scope.take())
                    {
                        entry.base = base;
                        entry.lang = lang;
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Some(out),
            _ => {}
        }
    }
}

#[derive(Clone, Copy)]
enum Field {
    Title,
    Description,
    Author,
    Category,
    Lang,
    Published,
    Updated,
    Content,
    Markup,
    OrigLink,
}

fn set(entry: &mut EntryScan, field: Field, value: String) {
    if value.is_empty() {
        return;
    }
    let slot = match field {
        Field::Title => &mut entry.title,
        Field::Description => &mut entry.description,
        Field::Author => &mut entry.author,
        Field::Lang => &mut entry.lang,
        Field::Published => &mut entry.published,
        Field::Updated => &mut entry.updated,
        Field::Content | Field::Markup => &mut entry.content,
        Field::OrigLink => &mut entry.orig_link,
        Field::Category => {
            entry.categories.push(value);
            return;
        }
    };
    if slot.is_none() {
        *slot = Some(value);
    }
}

/// Element text: entities decoded, CDATA sections kept literally.
fn text_of(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    loop {
        let (before, cdata) = match rest.find("<![CDATA[") {
            Some(at) => (&rest[..at], Some(&rest[at + 9..])),
            None => (rest, None),
        };
        match quick_xml::escape::unescape(before) {
            Ok(t) => out.push_str(&t),
            Err(_) => out.push_str(before),
        }
        let Some(cdata) = cdata else { break };
        let end = cdata.find("]]>").unwrap_or(cdata.len());
        out.push_str(&cdata[..end]);
        rest = cdata.get(end + 3..).unwrap_or("");
    }
    out.trim().to_string()
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.trim().to_string())
        })
}

fn resolve(href: &str, base: Option<&str>, fallback: Option<&Url>) -> Option<String> {
    let base = base.and_then(|b| Url::parse(b).ok());
    match base.as_ref().or(fallback) {
        Some(b) => b.join(href).ok().map(|u| u.to_string()),
        None => Url::parse(href).ok().map(|u| u.to_string()),
    }
}

fn pop_scope(depth: usize, bases: &mut Vec<(usize, Url)>, langs: &mut Vec<(usize, String)>) {
    while bases.last().is_some_and(|(d, _)| *d >= depth) {
        bases.pop();
    }
    while langs.last().is_some_and(|(d, _)| *d >= depth) {
        langs.pop();
    }
}

fn push_scope(
    e: &BytesStart,
    depth: usize,
    bases: &mut Vec<(usize, Url)>,
    langs: &mut Vec<(usize, String)>,
    prefixes: &mut Vec<(String, &'static str)>,
    fallback: Option<&Url>,
) {
    // Most elements carry no xml:* or xmlns:* attribute: skip the parse.
    if !e.attributes_raw().contains("xml") {
        return;
    }
    for a in e.attributes().with_checks(false).flatten() {
        let key = a.key.as_ref();
        if key == "xml:base" {
            let Ok(value) = a.normalized_value(quick_xml::XmlVersion::Implicit1_0) else {
                continue;
            };
            let parent = bases.last().map(|(_, u)| u).or(fallback);
            let resolved = match parent {
                Some(p) => p.join(value.trim()).ok(),
                None => Url::parse(value.trim()).ok(),
            };
            if let Some(url) = resolved {
                bases.push((depth, url));
            }
        } else if key == "xml:lang" {
            let value = a.value.trim().replace('_', "-");
            langs.push((depth, value));
        } else if let Some(prefix) = key.strip_prefix("xmlns:")
            && let Some(c) = canonical(a.value.trim())
        {
            prefixes.push((prefix.to_string(), c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inherited_and_content_level_bases_are_resolved_per_entry() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/blog/">
            <entry><id>1</id><content type="html">x</content></entry>
            <entry xml:base="posts/"><id>2</id><content type="html" xml:base="two/">x</content></entry>
            <entry><id>3</id><summary>s</summary></entry>
        </feed>"#;
        let bases = scan(atom, "https://a.example/atom.xml")
            .expect("scans")
            .entries
            .into_iter()
            .map(|e| e.base)
            .collect::<Vec<_>>();
        assert_eq!(
            bases,
            [
                Some("https://a.example/blog/".to_string()),
                Some("https://a.example/blog/posts/two/".to_string()),
                Some("https://a.example/blog/".to_string()),
            ]
        );
    }

    #[test]
    fn documents_without_xml_base_have_no_explicit_base() {
        let rss = "<rss><channel><item><description>x</description></item><item/></channel></rss>";
        assert_eq!(
            scan(rss, "https://r.example/feed").map(|s| s
                .entries
                .into_iter()
                .map(|e| e.base)
                .collect::<Vec<_>>()),
            Some(vec![None, None])
        );
    }
}
