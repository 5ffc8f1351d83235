//! UTF-8 feed text → [`ParsedFeed`]: our own [`Entry`] values, never feed-rs types.
//!
//! feed-rs does the format work (RSS 0.9x/1.0/2.0, Atom); RSS 1.1 is read
//! as the RSS 1.0 it simplifies, and JSON Feed by our own lenient reader
//! (`json`). This wrapper fixes what it gets wrong on real feeds: `<rss>` with a missing or
//! odd `version` is normalised before parsing; items with neither guid nor
//! link get a stable id (blake3 of feed URL + title + date, instead of
//! feed-rs's random UUID, which would churn entries on every build); titles
//! become plain text; RSS `mail (Name)` authors are split; plain-text bodies
//! are escaped into HTML; and a document that is not a feed at all gets a
//! precise reason ("not a feed: root element <html>").

use chrono::{DateTime, Utc};
use feed_rs::model;

use crate::entry::{Enclosure, Entry, FeedMeta, WebUrl};
use crate::sanitize::{self, plain_text};

mod atom;
pub mod dates;
mod json;
mod prepare;
mod repair;
pub use repair::decode_entities;
mod scan;
mod urls;
mod warnings;

pub use warnings::Warnings;

pub(crate) use prepare::attribute as tag_attribute;
use prepare::{
    is_feed_root, prepare, rdf_links_from_about, root_element, rss11_as_rss10, without_declarations,
};
use urls::UrlCheck;

/// Start of the message when feed-rs panicked on a document.
pub const PARSER_PANICKED: &str = "the feed parser failed on this document";

/// Marker feed-rs's id generator puts on items that carry no id of their own.
const NO_ID: &str = "planetoid:no-id:";

/// What one feed document holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub meta: FeedMeta,
    pub entries: Vec<Entry>,
    /// What was repaired or left out to read the document.
    pub warnings: Warnings,
}

/// How unreadable dates are summed up in a feed's warnings.
const UNREADABLE_DATES: &str = "dates that could not be read (the entries keep no date from them)";

/// Why a document could not be read as a feed. The message is what the
/// operator sees in `health.json`, so it says where and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("empty document")]
    Empty,
    #[error("not a feed: root element <{0}>")]
    NotAFeed(String),
    #[error("not a feed: {0}")]
    Unrecognised(String),
    #[error("not well-formed XML at line {line}, column {column}: {reason}")]
    NotWellFormedXml {
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("not well-formed JSON at line {line}, column {column}: {reason}")]
    NotWellFormedJson {
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("malformed feed: {0}")]
    Malformed(String),
}

/// Parses feed text fetched from `feed_url` (the final URL after redirects,
/// used to resolve relative links and as the last-resort base for content).
///
/// XML goes through feed-rs after light normalisation (RSS version, Atom
/// 0.3); if that fails, one repair pass (stray `&`, HTML entities, control
/// characters, trailing garbage, odd Atom text constructs) and one retry.
///
/// URL values that are not web addresses are dropped (see `urls`); how many
/// is in `meta.dropped_urls` and, for the operator, in the warnings.
pub fn parse(text: &str, feed_url: &str) -> Result<ParsedFeed, ParseError> {
    let mut feed = parse_document(text, feed_url)?;
    let dropped = feed.meta.dropped_urls;
    if dropped > 0 {
        feed.warnings.add(format!(
            "{dropped} address{} that {} not http(s) (javascript:, data:, file:, junk) dropped: the entries show without them",
            if dropped == 1 { "" } else { "es" },
            if dropped == 1 { "is" } else { "are" },
        ));
    }
    Ok(feed)
}

fn parse_document(text: &str, feed_url: &str) -> Result<ParsedFeed, ParseError> {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if trimmed.is_empty() {
        return Err(ParseError::Empty);
    }
    if trimmed.starts_with('{') {
        return json::parse_json(trimmed, feed_url);
    }
    if !trimmed.starts_with('<') {
        let start: String = trimmed.chars().take(40).collect();
        return Err(ParseError::Unrecognised(format!(
            "document starts with {start:?}"
        )));
    }
    let rss11 = rss11_as_rss10(trimmed);
    let trimmed = rss11.as_deref().unwrap_or(trimmed);
    let root = match root_element(trimmed) {
        Some(root) if is_feed_root(&root) => root,
        Some(root) => return Err(ParseError::NotAFeed(root)),
        None => return Err(ParseError::Unrecognised("no root element found".into())),
    };
    let undeclared = without_declarations(trimmed);
    // References XML cannot resolve are fixed up front: feed-rs may mangle
    // the text around them without reporting an error.
    let unknown_reference = repair::first_unknown_reference(&undeclared).map(|(offset, text)| {
        let (line, column) = line_column(&undeclared, offset);
        format!(
            "unescaped `&` or undefined entity {text:?} at line {line}, column {column}: repaired"
        )
    });
    let entities_fixed = unknown_reference
        .is_some()
        .then(|| repair::repair(&undeclared))
        .flatten();
    let trimmed = entities_fixed.as_deref().unwrap_or(&undeclared);
    // What the document needed, in front of what reading it found.
    let found = |mut feed: ParsedFeed, repaired: bool| {
        let mut warnings = Warnings::default();
        if let Some(note) = &unknown_reference {
            warnings.add(note.clone());
        }
        // feed-rs reads past some errors by itself (garbage after the root).
        match (well_formedness(trimmed), repaired) {
            (Some(error), true) => warnings.add(format!("{error}: repaired")),
            (Some(error), false) => warnings.add(format!("{error}: read anyway")),
            (None, true) => warnings.add("the XML was repaired to be read"),
            (None, false) => {}
        }
        warnings.append(std::mem::take(&mut feed.warnings));
        Ok(feed.with_warnings(warnings))
    };
    let prepared = prepare(trimmed, &root);
    let first_error = match parse_xml(&prepared, feed_url) {
        Ok(feed) => return found(feed, false),
        // A declaration our scan took for comment or CDATA text but the XML
        // reader did not (broken markup around it): drop them all and retry.
        Err(FeedRsError::Panicked(_)) if prepared.contains("<?xml") => {
            let stripped = prepared.replace("<?xml", "<?_xml");
            match parse_xml(&stripped, feed_url) {
                Ok(feed) => return found(feed, true),
                Err(e) => e,
            }
        }
        Err(e) => e,
    };
    // One repair pass, then the Atom rewrite for feed-rs's pickiness.
    let repaired = repair::repair(trimmed).map(|r| prepare(&r, &root).into_owned());
    if let Some(fixed) = &repaired
        && let Ok(feed) = parse_xml(fixed, feed_url)
    {
        return found(feed, true);
    }
    if root == "feed" {
        let source = repaired.as_deref().unwrap_or(&prepared);
        if let Some(rewritten) = atom::to_atom10(source, false)
            && let Ok(feed) = parse_xml(&rewritten, feed_url)
        {
            return found(feed, repaired.is_some());
        }
    }
    match well_formedness(trimmed) {
        Some(error) => Err(error),
        // Well-formed `<rss>` / `<rdf:RDF>` without a channel: an empty feed.
        None if is_no_root(&first_error) && root != "feed" => Ok(ParsedFeed {
            meta: FeedMeta::default(),
            entries: Vec::new(),
            warnings: Warnings::default(),
        }),
        None => Err(describe_error(first_error)),
    }
}

impl ParsedFeed {
    fn with_warnings(mut self, warnings: Warnings) -> ParsedFeed {
        self.warnings = warnings;
        self
    }
}

fn is_no_root(error: &FeedRsError) -> bool {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    matches!(
        error,
        FeedRsError::Failed(ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot))
    )
}

fn parse_xml(text: &str, feed_url: &str) -> Result<ParsedFeed, FeedRsError> {
    let (mut feed, mut unreadable) = feed_rs_parse(text, feed_url)?;
    let scanned = scan::scan(text, feed_url);
    let scanned_items = scanned.as_ref().map_or(0, |s| s.entries.len());
    if scanned_items > feed.entries.len()
        && feed.feed_type == model::FeedType::RSS1
        && let Some(linked) = rdf_links_from_about(text)
    {
        // feed-rs drops RSS 1.0 items without <link>; their rdf:about is
        // their address, so say it as a link and read the document again.
        if let Ok(again) = feed_rs_parse(&linked, feed_url) {
            (feed, unreadable) = again;
        }
    }
    let scanned = scanned.filter(|s| s.entries.len() == feed.entries.len());
    let mut warnings = Warnings::default();
    for date in unreadable {
        warnings.count(UNREADABLE_DATES, date);
    }
    Ok(convert(feed, feed_url, scanned, warnings))
}

/// feed-rs over `text`. A panic inside feed-rs or its XML reader (seen
/// with non-ASCII next to an e-mail address in RSS authors) becomes an
/// error for this one feed instead of taking the build down.
///
/// Also returns the date strings that could not be read, in document order.
fn feed_rs_parse(text: &str, feed_url: &str) -> Result<(model::Feed, Vec<String>), FeedRsError> {
    let unreadable = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let noted = unreadable.clone();
    let run = move || {
        feed_rs::parser::Builder::new()
            .base_uri(Some(feed_url))
            .sanitize_content(false)
            .timestamp_parser(move |raw| {
                let date = dates::parse_date(raw);
                if date.is_none()
                    && !raw.trim().is_empty()
                    && let Ok(mut list) = noted.lock()
                {
                    list.push(raw.trim().to_string());
                }
                date
            })
            .id_generator(|links, title, _| {
                if let Some(link) = links.first() {
                    return link.href.clone();
                }
                let mut hasher = blake3::Hasher::new();
                hasher.update(title.as_ref().map_or("", |t| t.content.as_str()).as_bytes());
                format!("{NO_ID}{}", hasher.finalize().to_hex())
            })
            .build()
            .parse(text.as_bytes())
            .map_err(FeedRsError::Failed)
    };
    let parsed = std::panic::catch_unwind(run);
    let unreadable = unreadable.lock().map(|l| l.clone()).unwrap_or_default();
    parsed
        .map(|r| r.map(|feed| (feed, unreadable)))
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(FeedRsError::Panicked(message))
        })
}

/// What went wrong inside feed-rs.
enum FeedRsError {
    Failed(feed_rs::parser::ParseFeedError),
    Panicked(String),
}

fn describe_error(err: FeedRsError) -> ParseError {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    let err = match err {
        FeedRsError::Failed(e) => e,
        FeedRsError::Panicked(message) => {
            return ParseError::Malformed(format!("{PARSER_PANICKED}: {message}"));
        }
    };
    match err {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            ParseError::Unrecognised("no RSS, Atom or JSON Feed root element".into())
        }
        other => ParseError::Malformed(other.to_string()),
    }
}

/// The first well-formedness error in `text`, with its line and column.
fn well_formedness(text: &str) -> Option<ParseError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut open: Vec<String> = Vec::new();
    let mut seen_root = false;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => {
                if seen_root && open.is_empty() {
                    return Some(at(
                        text,
                        usize::try_from(reader.buffer_position()).ok()?,
                        "content after the root element".into(),
                    ));
                }
                seen_root = true;
                open.push(e.name().as_ref().to_string());
            }
            Ok(quick_xml::events::Event::End(_)) => {
                open.pop();
            }
            Ok(quick_xml::events::Event::Eof) => {
                return open.last().map(|name| {
                    let reason = format!("document ends before </{}>", name);
                    at(text, text.len(), reason)
                });
            }
            Ok(_) => {}
            Err(e) => {
                let offset = usize::try_from(reader.error_position()).ok()?;
                let reason = e.to_string();
                let reason = ["ill-formed document: ", "syntax error: "]
                    .iter()
                    .find_map(|p| reason.strip_prefix(p))
                    .map_or(reason.clone(), str::to_string);
                return Some(at(text, offset, reason));
            }
        }
    }
}

fn at(text: &str, offset: usize, reason: String) -> ParseError {
    let (line, column) = line_column(text, offset);
    ParseError::NotWellFormedXml {
        line,
        column,
        reason,
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// `scanned`: what the light XML pass found (bases, languages, fallback
/// elements), when the document could be scanned and its entries line up
/// with feed-rs's.
fn convert(
    feed: model::Feed,
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
            .as_ref()
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
    let kind = match feed.feed_type {
        model::FeedType::RSS0 | model::FeedType::RSS1 | model::FeedType::RSS2 => Kind::Rss,
        // JSON Feed is read by `json`, never by feed-rs.
        model::FeedType::JSON | model::FeedType::Atom => Kind::Atom,
    };
    let mut scans = entry_scans.map(Vec::into_iter);
    let entries = feed
        .entries
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
                kind,
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rss,
    Atom,
}

/// One feed-rs entry → ours; `extra` fills what feed-rs left empty.
fn convert_entry(
    e: model::Entry,
    feed_url: &str,
    extra: scan::EntryScan,
    kind: Kind,
    feed_language: Option<&str>,
    urls: &UrlCheck,
    warnings: &mut Warnings,
) -> Entry {
    let rss = kind == Kind::Rss;
    let is_attachment = |l: &model::Link| l.rel.as_deref() == Some("enclosure");
    let page_links: Vec<model::Link> = e
        .links
        .iter()
        .filter(|l| !is_attachment(l))
        .cloned()
        .collect();
    let title = e
        .title
        .as_ref()
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
                .then(|| WebUrl::parse(e.id.trim(), None))
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
    let id = match e.id.strip_prefix(NO_ID) {
        Some(_) => synthetic_id(feed_url, &title, published.or(updated)),
        None => e.id.trim().to_string(),
    };
    let content_html = e
        .content
        .as_ref()
        .and_then(|c| {
            c.body
                .as_ref()
                .map(|b| as_html(b, c.content_type.as_str(), rss))
        })
        .filter(|b| !b.trim().is_empty())
        .or_else(|| extra.content.map(|c| demoronize(&c).into_owned()));
    let summary_html = e
        .summary
        .as_ref()
        .map(|s| as_html(&s.content, s.content_type.as_str(), rss))
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
        .find_map(|p| p.name.as_deref().and_then(person_name))
        .or_else(|| extra.author.as_deref().and_then(person_name));
    let mut categories: Vec<String> = e
        .categories
        .iter()
        .map(|c| {
            c.label
                .clone()
                .unwrap_or_else(|| c.term.clone())
                .trim()
                .to_string()
        })
        .filter(|c| !c.is_empty())
        .collect();
    if categories.is_empty() {
        categories = extra.categories;
    }
    let mut enclosures: Vec<Enclosure> = Vec::new();
    let media = e
        .media
        .iter()
        .flat_map(|m| m.content.iter())
        .filter_map(|c| {
            Some(Enclosure {
                url: urls.check(c.url.as_ref()?.as_str(), base.as_ref())?,
                mime_type: c.content_type.as_ref().map(|t| t.to_string()),
                length: c.size,
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
        .or_else(|| e.language.clone())
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
fn alternate_links(links: &[model::Link]) -> impl Iterator<Item = &str> {
    let alternate = |l: &&model::Link| matches!(l.rel.as_deref(), None | Some("alternate"));
    let other = |l: &&model::Link| !matches!(l.rel.as_deref(), Some("self" | "hub" | "enclosure"));
    let first = links.iter().filter(alternate);
    let then = links.iter().filter(move |l| !alternate(l) && other(l));
    first.chain(then).map(|l| l.href.as_str())
}

/// Titles are shown as plain text: any markup is stripped and entities are
/// decoded exactly once.
fn plain_title(text: &model::Text) -> String {
    let raw = demoronize(text.content.trim());
    let raw = raw.as_ref();
    let plain = if raw.contains(['<', '&']) {
        sanitize::plain_text(raw)
    } else {
        raw.to_string()
    };
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// C1 control characters (U+0080–U+009F) never mean themselves in a feed:
/// they are windows-1252 punctuation (`&#146;` for ’) that went through a
/// Latin-1 decoder. Map them back, as browsers do.
pub(super) fn demoronize(text: &str) -> std::borrow::Cow<'_, str> {
    // U+0080–U+009F are 0xC2 0x80–0x9F in UTF-8; a memchr finds the lead byte.
    if !text.as_bytes().contains(&0xC2)
        || !text.contains(|c: char| ('\u{80}'..='\u{9f}').contains(&c))
    {
        return text.into();
    }
    text.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(byte @ 0x80..=0x9f) => encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&[byte])
                .0
                .chars()
                .next()
                .unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .into()
}

/// Text bodies become escaped HTML paragraphs; HTML bodies (and every RSS
/// body) pass as they are.
fn as_html(body: &str, mime: &str, rss: bool) -> String {
    let body = demoronize(body);
    if mime.starts_with("text/plain") && !rss {
        sanitize::text_to_html(&body)
    } else {
        body.into_owned()
    }
}

/// RSS authors come as `mail@example.org (Name)`: keep the name; a bare
/// e-mail address is not shown (it is not a name and invites spam).
fn person_name(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let (Some(open), true) = (raw.find('('), raw.ends_with(')')) {
        let name = raw[open + 1..raw.len() - 1].trim();
        if !name.is_empty() {
            return Some(name.to_string());
        }
    }
    if raw.is_empty() || (raw.contains('@') && !raw.contains(' ')) {
        None
    } else {
        Some(raw.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://blog.example.org/feed.xml";

    #[test]
    fn rss_without_version_and_odd_versions_parse() {
        for head in [
            "<rss>",
            "<rss version=\"2.00\">",
            "<rss version='0.94'>",
            "<rss\n  xmlns:dc=\"http://purl.org/dc/elements/1.1/\">",
        ] {
            let xml = format!(
                "{head}<channel><title>T</title><link>https://blog.example.org/</link><item><title>A</title><guid>g1</guid></item></channel></rss>"
            );
            let feed = parse(&xml, URL).unwrap_or_else(|e| panic!("{head}: {e}"));
            assert_eq!(feed.entries.len(), 1, "{head}");
            assert_eq!(feed.meta.title.as_deref(), Some("T"));
            assert_eq!(
                feed.meta.site_url.as_ref().map(WebUrl::as_str),
                Some("https://blog.example.org/")
            );
        }
    }

    #[test]
    fn idless_items_get_stable_ids_and_linked_items_use_the_link() {
        let xml = "<rss version=\"2.0\"><channel><title>T</title>\
            <item><title>No id</title><pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>\
            <item><title>Linked</title><link>https://blog.example.org/p/1</link></item>\
            </channel></rss>";
        let a = parse(xml, URL).expect("parses");
        let b = parse(xml, URL).expect("parses");
        assert_eq!(a.entries[0].id, b.entries[0].id);
        assert!(a.entries[0].id.starts_with("urn:planetoid:"));
        assert_eq!(a.entries[1].id, "https://blog.example.org/p/1");
        let other_feed = parse(xml, "https://other.example/feed").expect("parses");
        assert_ne!(a.entries[0].id, other_feed.entries[0].id);
    }

    #[test]
    fn titles_are_plain_text_and_authors_are_split() {
        let xml = "<rss version=\"2.0\"><channel><title>T</title><item><guid>1</guid>\
            <title>&lt;b&gt;Bold&lt;/b&gt; &amp;amp; Co</title>\
            <author>anna@example.org (Anna Petrova)</author>\
            <description>&lt;p&gt;Hi&lt;/p&gt;</description></item></channel></rss>";
        let feed = parse(xml, URL).expect("parses");
        let e = &feed.entries[0];
        assert_eq!(e.title, "Bold & Co");
        assert_eq!(e.author.as_deref(), Some("Anna Petrova"));
        assert_eq!(e.body_html.as_deref(), Some("<p>Hi</p>"));
        assert_eq!(e.base_url.as_deref(), Some(URL));
    }

    #[test]
    fn atom_xml_base_and_json_feed_text_are_mapped() {
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"https://ivan.example.ru/blog/\">\
            <title>I</title><id>urn:x</id><updated>2025-01-01T00:00:00Z</updated>\
            <entry><id>urn:e1</id><title type=\"html\">A &amp;lt; B</title><link href=\"posts/1\"/>\
            <updated>2025-01-02T00:00:00Z</updated><content type=\"html\">&lt;img src=\"a.png\"&gt;</content></entry></feed>";
        let feed = parse(atom, "https://ivan.example.ru/atom.xml").expect("atom");
        let e = &feed.entries[0];
        assert_eq!(e.title, "A < B");
        assert_eq!(
            e.link.as_ref().map(WebUrl::as_str),
            Some("https://ivan.example.ru/blog/posts/1")
        );
        assert!(
            e.base_url
                .as_deref()
                .is_some_and(|b| b.starts_with("https://ivan.example.ru/blog/")),
            "{:?}",
            e.base_url
        );

        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","content_text":"a < b\n\nsecond","date_published":"2025-01-03T00:00:00Z"}]}"#;
        let feed = parse(json, "https://j.example/feed.json").expect("json");
        assert_eq!(
            feed.entries[0].body_html.as_deref(),
            Some("<p>a &lt; b</p>\n<p>second</p>")
        );
    }

    #[test]
    fn rss1_descriptions_are_html_but_atom_text_is_escaped() {
        let rdf = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
            <channel rdf:about=\"https://t.example/\"><title>T</title><link>https://t.example/</link><description>d</description></channel>\
            <item rdf:about=\"https://t.example/1\"><title>One</title><link>https://t.example/1</link>\
            <description>&lt;p&gt;2&amp;nbsp;100 lines&lt;/p&gt;</description></item></rdf:RDF>";
        let feed = parse(rdf, URL).expect("rss 1.0");
        assert_eq!(
            feed.entries[0].body_html.as_deref(),
            Some("<p>2&nbsp;100 lines</p>")
        );
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title><id>urn:a</id><updated>2025-01-01T00:00:00Z</updated>\
            <entry><id>urn:1</id><title>t</title><updated>2025-01-01T00:00:00Z</updated><content type=\"text\">a &lt;b&gt; c</content></entry></feed>";
        let feed = parse(atom, URL).expect("atom");
        assert_eq!(
            feed.entries[0].body_html.as_deref(),
            Some("<p>a &lt;b&gt; c</p>")
        );
    }

    #[test]
    fn a_second_xml_declaration_is_harmless() {
        // quick-xml panicked inside feed-rs on this (found by the fuzzer).
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>T</title>\
            <?xml version=\"1.0\" encoding=\"windows-1251\"?><item><guid>1</guid>\
            <description><![CDATA[<?xml version=\"1.0\"?> stays]]></description></item></channel></rss>";
        let feed = parse(xml, URL).expect("parses");
        assert_eq!(
            feed.entries[0].body_html.as_deref(),
            Some("<?xml version=\"1.0\"?> stays")
        );
    }

    #[test]
    fn rss1_items_without_link_are_kept_with_their_rdf_about() {
        let rdf = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
            <channel rdf:about=\"https://t.example/\"><title>T</title></channel>\
            <item rdf:about=\"https://t.example/1\"><title>No link</title></item>\
            <item rdf:about=\"https://t.example/2\"><title>Linked</title><link>https://t.example/two</link></item></rdf:RDF>";
        let feed = parse(rdf, URL).expect("parses");
        let links: Vec<_> = feed
            .entries
            .iter()
            .map(|e| e.link.as_ref().map(WebUrl::as_str))
            .collect();
        assert_eq!(
            links,
            [Some("https://t.example/1"), Some("https://t.example/two")]
        );
    }

    #[test]
    fn rss_fallback_elements_fill_what_feed_rs_leaves_empty() {
        let xml = "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\
            <channel><dc:title>Feed</dc:title><dc:language>ru_RU</dc:language>\
            <item><dc:title>Заголовок</dc:title><guid isPermaLink=\"false\">https://x.example/?p=1</guid>\
            <atom:link rel=\"alternate\" href=\"/p/1\"/><atom:author><atom:name>Ольга</atom:name></atom:author>\
            <dcterms:modified xmlns:dcterms=\"http://purl.org/dc/terms/\">2024-01-05 10:00 MSK</dcterms:modified>\
            <dc:subject>rust</dc:subject><dc:description>&lt;p&gt;Hi&lt;/p&gt;</dc:description></item>\
            <item><guid isPermaLink=\"false\">https://x.example/?p=2</guid><title>t</title></item></channel></rss>";
        let feed = parse(xml, "https://x.example/feed").expect("parses");
        assert_eq!(feed.meta.title.as_deref(), Some("Feed"));
        assert_eq!(feed.meta.language.as_deref(), Some("ru-RU"));
        let e = &feed.entries[0];
        assert_eq!(e.title, "Заголовок");
        assert_eq!(
            e.link.as_ref().map(WebUrl::as_str),
            Some("https://x.example/p/1")
        );
        assert_eq!(e.author.as_deref(), Some("Ольга"));
        assert_eq!(e.categories, ["rust"]);
        assert_eq!(e.summary_html.as_deref(), Some("<p>Hi</p>"));
        assert_eq!(
            e.updated.map(|d| d.to_rfc3339()).as_deref(),
            Some("2024-01-05T07:00:00+00:00")
        );
        assert_eq!(e.language.as_deref(), Some("ru-RU"));
        // isPermaLink="false": the guid is an id, not an address.
        assert_eq!(feed.entries[1].link, None);
        assert_eq!(feed.entries[1].id, "https://x.example/?p=2");
    }

    #[test]
    fn atom03_is_read_with_dates_content_and_authors() {
        let atom03 = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old blog</title>
<link rel="alternate" type="text/html" href="http://old.example/"/>
<modified>2004-01-02T00:00:00Z</modified>
<entry><title mode="escaped" type="text/html">A &amp;amp; B</title>
<link rel="alternate" type="text/html" href="http://old.example/1"/><id>tag:old.example,2004:1</id>
<author><name>Ivan</name><url>http://old.example/ivan</url></author>
<issued>2004-01-01T10:00:00+03:00</issued><modified>2004-01-01T12:00:00Z</modified>
<content type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi <b>there</b></p></div></content>
<content type="text/plain">second alternative</content>
</entry></feed>"#;
        let feed = parse(atom03, "http://old.example/atom.xml").expect("atom 0.3");
        assert_eq!(feed.meta.title.as_deref(), Some("Old blog"));
        assert_eq!(
            feed.meta.site_url.as_ref().map(WebUrl::as_str),
            Some("http://old.example/")
        );
        let e = &feed.entries[0];
        assert_eq!(e.title, "A & B");
        assert_eq!(e.id, "tag:old.example,2004:1");
        assert_eq!(
            e.link.as_ref().map(WebUrl::as_str),
            Some("http://old.example/1")
        );
        assert_eq!(e.author.as_deref(), Some("Ivan"));
        assert_eq!(
            e.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2004-01-01T07:00:00+00:00")
        );
        assert_eq!(
            e.updated.map(|d| d.to_rfc3339()).as_deref(),
            Some("2004-01-01T12:00:00+00:00")
        );
        let body = e.body_html.as_deref().unwrap_or_default();
        assert!(body.contains("<p>Hi <b>there</b></p>"), "{body}");
    }

    #[test]
    fn named_zone_dates_enclosures_and_json_feed_fields() {
        let rss = "<rss version=\"2.0\"><channel><title>P</title><item><guid>e1</guid><title>Ep 1</title>\
            <pubDate>Mon, 06 Jan 2025 15:00:00 MSK</pubDate>\
            <enclosure url=\"https://p.example/1.mp3\" length=\"1234\" type=\"audio/mpeg\"/></item>\
            <item><guid>e2</guid><pubDate>someday</pubDate></item></channel></rss>";
        let feed = parse(rss, URL).expect("rss");
        let e = &feed.entries[0];
        assert_eq!(
            e.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2025-01-06T12:00:00+00:00")
        );
        assert_eq!(
            e.enclosures,
            [Enclosure {
                url: WebUrl::sample("https://p.example/1.mp3"),
                mime_type: Some("audio/mpeg".into()),
                length: Some(1234),
            }]
        );
        // Unreadable dates stay unknown: never invented.
        assert_eq!(feed.entries[1].published, None);

        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title><id>urn:a</id>\
            <updated>2025-01-01T00:00:00Z</updated><entry><id>urn:1</id><title>t</title>\
            <updated>2025-01-01T00:00:00Z</updated>\
            <link rel=\"enclosure\" href=\"https://a.example/f.pdf\" type=\"application/pdf\" length=\"10\"/></entry></feed>";
        let feed = parse(atom, URL).expect("atom");
        assert_eq!(feed.entries[0].enclosures.len(), 1);
        assert_eq!(
            feed.entries[0].enclosures[0].url.as_str(),
            "https://a.example/f.pdf"
        );

        let json = r#"{"version":"1.1","title":"J","language":"ru","items":[
            {"id":"1","url":"https://j.example/1","content_html":"<p>full</p>","summary":"short & plain",
             "date_published":"2025-01-03T00:00:00+03:00","authors":[{"name":"Анна"}],
             "attachments":[{"url":"https://j.example/a.mp3","mime_type":"audio/mpeg"}]}]}"#;
        let feed = parse(json, "https://j.example/feed.json").expect("json feed, odd version");
        let e = &feed.entries[0];
        assert_eq!(e.body_html.as_deref(), Some("<p>full</p>"));
        assert_eq!(e.summary_html.as_deref(), Some("<p>short &amp; plain</p>"));
        assert_eq!(
            e.link.as_ref().map(WebUrl::as_str),
            Some("https://j.example/1")
        );
        assert_eq!(e.author.as_deref(), Some("Анна"));
        assert_eq!(e.enclosures.len(), 1, "{:?}", e.enclosures);
        assert_eq!(
            e.published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2025-01-02T21:00:00+00:00")
        );
        assert_eq!(feed.meta.language.as_deref(), Some("ru"));
    }

    #[test]
    fn a_panic_inside_feed_rs_is_this_feeds_error_not_a_crash() {
        // feed-rs slices this author string at a non-char boundary.
        let xml = "<rss version=\"2.0\"><channel><title>T</title><item><guid>1</guid>\
            <author>Author Name (emai\u{2039}l@example.org)</author></item></channel></rss>";
        match parse(xml, URL) {
            Err(ParseError::Malformed(m)) => assert!(m.starts_with(PARSER_PANICKED), "{m}"),
            // Fine too, should a later feed-rs fix the slicing.
            Ok(feed) => assert_eq!(feed.entries.len(), 1),
            Err(other) => panic!("unexpected error: {other}"),
        }
    }

    #[test]
    fn feedburner_orig_link_wins_over_the_tracking_link() {
        let xml = "<rss version=\"2.0\" xmlns:feedburner=\"http://rssnamespace.org/feedburner/ext/1.0\"><channel><title>T</title>\
            <item><title>A</title><guid>g1</guid><link>https://feeds.feedburner.example/~r/blog/~3/abc</link>\
            <feedburner:origLink>https://blog.example.org/2025/01/post/</feedburner:origLink></item></channel></rss>";
        let feed = parse(xml, URL).expect("parses");
        assert_eq!(
            feed.entries[0].link.as_ref().map(WebUrl::as_str),
            Some("https://blog.example.org/2025/01/post/")
        );
    }

    #[test]
    fn rss11_is_read_like_rss10() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<Channel xmlns="http://purl.org/net/rss1.1#" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns:dc="http://purl.org/dc/elements/1.1/" rdf:about="http://r11.example/">
  <title>RSS 1.1 blog</title><link>http://r11.example/</link><description>d</description>
  <items rdf:parseType="Collection">
    <item rdf:about="http://r11.example/1"><title>First</title><link>http://r11.example/1</link>
      <description>&lt;p&gt;one&lt;/p&gt;</description><dc:date>2025-01-02T10:00:00Z</dc:date></item>
    <item rdf:about="http://r11.example/2"><title>Second, no link</title></item>
  </items>
</Channel>"#;
        let feed = parse(xml, URL).expect("rss 1.1");
        assert_eq!(feed.meta.title.as_deref(), Some("RSS 1.1 blog"));
        assert_eq!(
            feed.meta.site_url.as_ref().map(WebUrl::as_str),
            Some("http://r11.example/")
        );
        let got: Vec<(&str, Option<&str>)> = feed
            .entries
            .iter()
            .map(|e| (e.title.as_str(), e.link.as_ref().map(WebUrl::as_str)))
            .collect();
        assert_eq!(
            got,
            [
                ("First", Some("http://r11.example/1")),
                ("Second, no link", Some("http://r11.example/2"))
            ]
        );
        assert_eq!(feed.entries[0].body_html.as_deref(), Some("<p>one</p>"));
        assert!(feed.entries[0].published.is_some());
        assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
        // Not RSS 1.1: another <Channel> is still not a feed.
        assert_eq!(
            parse("<Channel><title>x</title></Channel>", URL),
            Err(ParseError::NotAFeed("Channel".into()))
        );
    }

    #[test]
    fn repairs_and_unreadable_dates_are_warnings() {
        let xml = "<rss version=\"2.0\"><channel><title>Tom &amp; Jerry</title>\n\
            <item><guid>1</guid><title>A&nbsp;B</title><pubDate>someday</pubDate></item>\n\
            <item><guid>2</guid><title>C</title><pubDate>never</pubDate></item></channel></rss>";
        let feed = parse(xml, URL).expect("parses");
        assert_eq!(feed.entries.len(), 2);
        assert_eq!(
            feed.warnings.messages(),
            [
                "unescaped `&` or undefined entity \"&nbsp;\" at line 2, column 29: repaired",
                "dates that could not be read (the entries keep no date from them): 2 (e.g. \"someday\")",
            ]
        );
        let broken = "<rss version=\"2.0\"><channel><title>T</title>\n<item><guid>1</guid><title>x</title></item></channel></rss>\n<b>Warning</b>: PHP";
        let feed = parse(broken, URL).expect("repaired");
        assert_eq!(
            feed.warnings.messages(),
            [
                "not well-formed XML at line 3, column 4: content after the root element: read anyway"
            ]
        );
        let clean = parse(&broken[..broken.find("\n<b>").unwrap_or(0)], URL).expect("clean");
        assert!(clean.warnings.is_empty());
    }

    #[test]
    fn junk_addresses_are_dropped_and_counted_and_relative_ones_resolved() {
        let rss = "<rss version=\"2.0\"><channel><title>T</title><link>JaVaScRiPt:alert(1)</link>\
            <item><guid isPermaLink=\"false\">1</guid><title>A</title><link>java&#9;script:alert(1)</link>\
            <enclosure url=\"data:audio/mpeg;base64,AA\" type=\"audio/mpeg\"/></item>\
            <item><guid>javascript:alert(2)</guid><title>B</title></item></channel></rss>";
        let feed = parse(rss, URL).expect("rss");
        assert_eq!(feed.meta.site_url, None);
        assert_eq!(feed.entries[0].link, None, "the entry stays, unlinked");
        assert!(feed.entries[0].enclosures.is_empty());
        assert_eq!(feed.entries[1].link, None, "a junk guid is no permalink");
        assert_eq!(feed.meta.dropped_urls, 3);

        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J",
            "home_page_url":"/","items":[{"id":"1","url":"2025/post","content_text":"x",
            "attachments":[{"url":"file:///etc/passwd","mime_type":"audio/mpeg"}]}]}"#;
        let feed = parse(json, "https://j.example/blog/feed.json").expect("json");
        let site = feed.meta.site_url.as_ref().map(WebUrl::as_str);
        assert_eq!(site, Some("https://j.example/"));
        let link = feed.entries[0].link.as_ref().map(WebUrl::as_str);
        assert_eq!(link, Some("https://j.example/blog/2025/post"));
        assert!(feed.entries[0].enclosures.is_empty());
        assert_eq!(feed.meta.dropped_urls, 1);
    }

    #[test]
    fn non_feeds_get_precise_errors() {
        assert_eq!(parse("  \n", URL), Err(ParseError::Empty));
        assert_eq!(
            parse("<!DOCTYPE html><html><body>404</body></html>", URL),
            Err(ParseError::NotAFeed("html".into()))
        );
        assert!(matches!(
            parse("Service unavailable", URL),
            Err(ParseError::Unrecognised(_))
        ));
        let broken = parse(
            "<rss version=\"2.0\">\n<channel>\n  <title>x</channel></rss>",
            URL,
        )
        .map(|_| ())
        .map_err(|e| e.to_string());
        assert_eq!(
            broken,
            Err("not well-formed XML at line 3, column 11: expected `</title>`, but `</channel>` was found".into())
        );
        assert_eq!(
            parse("<rss><channel><title>x</title>", URL).map_err(|e| e.to_string()),
            Err("not well-formed XML at line 1, column 31: document ends before </channel>".into())
        );
        let json = parse(
            "{\"version\": \"https://jsonfeed.org/version/1.1\",\n \"items\": [}",
            URL,
        )
        .map_err(|e| e.to_string());
        assert!(
            json.as_ref()
                .is_err_and(|e| e.starts_with("not well-formed JSON at line 2, column")),
            "{json:?}"
        );
    }
}
