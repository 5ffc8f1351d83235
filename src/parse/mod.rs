//! UTF-8 feed text → [`ParsedFeed`]: our own [`Entry`] values, never feed-rs types.
//!
//! feed-rs does the format work (RSS 0.9x/1.0/2.0, Atom) behind `feedrs`,
//! the one file that names it; RSS 1.1 is read as the RSS 1.0 it
//! simplifies, and JSON Feed by our own lenient reader (`json`). This
//! module owns the way through a document: `<rss>` with a missing or odd
//! `version` and Atom 0.3 are normalised before parsing (`prepare`), a
//! document that fails gets one repair pass and one retry (`repair`,
//! `atom`), and a document that is not a feed at all gets a precise reason
//! ("not a feed: root element <html>"). What the values mean (stable ids
//! for items with neither guid nor link, plain-text titles, split RSS
//! authors, escaped text bodies) is `convert`'s and `text`'s work.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::entry::{Entry, FeedMeta};

mod atom;
mod convert;
pub mod dates;
mod feedrs;
mod json;
mod prepare;
mod repair;
pub use repair::decode_entities;
mod scan;
mod text;
mod urls;
mod warnings;

pub use warnings::Warnings;

use feedrs::{Failure, Format};
pub(crate) use prepare::attribute as tag_attribute;
use prepare::{
    is_feed_root, prepare, rdf_links_from_about, root_element, rss11_as_rss10, without_declarations,
};
use warnings::UNREADABLE_DATES;

/// Start of the message when feed-rs panicked on a document.
pub const PARSER_PANICKED: &str = "the feed parser failed on this document";

/// What one feed document holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub meta: FeedMeta,
    pub entries: Vec<Entry>,
    /// What was repaired or left out to read the document.
    pub warnings: Warnings,
}

/// Why a document could not be read as a feed. The message is what the
/// operator sees in `health.json`, so it says where and what; the library
/// error it came from, if any, is its source.
#[derive(Debug, Clone, thiserror::Error)]
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
        /// The XML reader's error, when it found the fault.
        #[source]
        source: Option<Arc<dyn Error + Send + Sync>>,
    },
    #[error("not well-formed JSON at line {line}, column {column}: {reason}")]
    NotWellFormedJson {
        line: usize,
        column: usize,
        reason: String,
        #[source]
        source: Arc<dyn Error + Send + Sync>,
    },
    #[error("malformed feed: {0}")]
    Malformed(#[source] Detail),
}

/// What was wrong with a feed, in words. When a library found it, a
/// `Detail` stands for that library's error: its message is the error's
/// message and its source the error's source.
#[derive(Debug, Clone)]
pub struct Detail {
    message: String,
    error: Option<Arc<dyn Error + Send + Sync>>,
}

impl Detail {
    /// A fault our own checks found.
    fn said(message: String) -> Detail {
        Detail {
            message,
            error: None,
        }
    }

    /// A fault a library reported.
    fn from_error(error: Arc<dyn Error + Send + Sync>) -> Detail {
        Detail {
            message: error.to_string(),
            error: Some(error),
        }
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for Detail {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.error.as_ref().and_then(|e| e.source())
    }
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
        Err(Failure::Panicked(_)) if prepared.contains("<?xml") => {
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
        None if first_error.is_no_root() && root != "feed" => Ok(ParsedFeed {
            meta: FeedMeta::default(),
            entries: Vec::new(),
            warnings: Warnings::default(),
        }),
        None => Err(first_error.describe()),
    }
}

impl ParsedFeed {
    fn with_warnings(mut self, warnings: Warnings) -> ParsedFeed {
        self.warnings = warnings;
        self
    }
}

/// feed-rs over prepared XML text, with the scan pass's findings beside it.
fn parse_xml(text: &str, feed_url: &str) -> Result<ParsedFeed, Failure> {
    let mut feed = feedrs::read(text, feed_url)?;
    let scanned = scan::scan(text, feed_url);
    let scanned_items = scanned.as_ref().map_or(0, |s| s.entries.len());
    if scanned_items > feed.items.len()
        && feed.format == Format::Rss1
        && let Some(linked) = rdf_links_from_about(text)
    {
        // feed-rs drops RSS 1.0 items without <link>; their rdf:about is
        // their address, so say it as a link and read the document again.
        if let Ok(again) = feedrs::read(&linked, feed_url) {
            feed = again;
        }
    }
    let scanned = scanned.filter(|s| s.entries.len() == feed.items.len());
    let mut warnings = Warnings::default();
    for date in std::mem::take(&mut feed.unreadable_dates) {
        warnings.count(UNREADABLE_DATES, date);
    }
    Ok(convert::convert(feed, feed_url, scanned, warnings))
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
                let (line, column) = line_column(text, offset);
                return Some(ParseError::NotWellFormedXml {
                    line,
                    column,
                    reason,
                    source: Some(Arc::new(e)),
                });
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
        source: None,
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
