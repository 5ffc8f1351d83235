//! The one door to feed-rs, which reads the XML formats (RSS 0.9x/1.0/2.0,
//! Atom 1.0). This file sets it up (our date reader, no sanitizing, no
//! invented ids), keeps a panic inside it to the one document it was
//! reading, and copies what it returns at once into plain values of ours
//! ([`Document`], [`Item`]), so no feed-rs type is seen past this file.
//! Deciding what those values mean for an [`Entry`](crate::entry::Entry) is
//! `convert`'s work; saying what a failure means is [`Failure::describe`].

use std::error::Error;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use feed_rs::model;
use feed_rs::parser::{ParseErrorKind, ParseFeedError};

use super::dates;
use super::{Detail, PARSER_PANICKED, ParseError};

/// What feed-rs says for an item that carries no id of its own (our id
/// generator's answer, never a real feed's id).
const NO_ID: &str = "planetoid:no-id";

/// Which XML format a document was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Rss0,
    Rss1,
    Rss2,
    Atom,
}

/// A feed document as feed-rs read it.
pub(super) struct Document {
    pub format: Format,
    /// The title's text as written (markup and entities not yet resolved).
    pub title: Option<String>,
    pub language: Option<String>,
    pub links: Vec<Link>,
    pub items: Vec<Item>,
    /// Date strings our date reader could not read, in document order.
    pub unreadable_dates: Vec<String>,
}

/// A `<link>` of a feed or an item.
#[derive(Debug, Clone)]
pub(super) struct Link {
    pub href: String,
    pub rel: Option<String>,
    pub media_type: Option<String>,
    pub length: Option<u64>,
}

/// A text with its content type (`text/html`, `text/plain`, …).
pub(super) struct Body {
    pub text: String,
    pub mime: String,
}

/// A media object (`<media:content>`) of an item.
pub(super) struct Media {
    pub url: String,
    pub mime: Option<String>,
    pub size: Option<u64>,
}

/// One item (RSS) or entry (Atom) as feed-rs read it.
pub(super) struct Item {
    /// The item's own id, else its first link; `None` when it has neither.
    pub id: Option<String>,
    /// The title's text as written.
    pub title: Option<String>,
    /// The `xml:base` in scope.
    pub base: Option<String>,
    pub links: Vec<Link>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// The full content, when it has a body.
    pub content: Option<Body>,
    pub summary: Option<Body>,
    /// Author names, in document order.
    pub authors: Vec<String>,
    /// Each category's label, else its term, untrimmed.
    pub categories: Vec<String>,
    pub media: Vec<Media>,
    pub language: Option<String>,
}

/// What went wrong inside feed-rs.
pub(super) enum Failure {
    Failed(ParseFeedError),
    Panicked(String),
}

impl Failure {
    /// True when feed-rs found no RSS or Atom root element to read.
    pub fn is_no_root(&self) -> bool {
        matches!(
            self,
            Failure::Failed(ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot))
        )
    }

    /// The failure as the operator reads it.
    pub fn describe(self) -> ParseError {
        match self {
            Failure::Panicked(message) => {
                ParseError::Malformed(Detail::said(format!("{PARSER_PANICKED}: {message}")))
            }
            Failure::Failed(ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot)) => {
                ParseError::Unrecognised("no RSS, Atom or JSON Feed root element".into())
            }
            Failure::Failed(other) => {
                let error: Arc<dyn Error + Send + Sync> = Arc::new(other);
                ParseError::Malformed(Detail::from_error(error))
            }
        }
    }
}

/// feed-rs over `text` fetched from `feed_url`. A panic inside feed-rs or
/// its XML reader (seen with non-ASCII next to an e-mail address in RSS
/// authors) becomes an error for this one feed instead of taking the build
/// down.
pub(super) fn read(text: &str, feed_url: &str) -> Result<Document, Failure> {
    let unreadable = Arc::new(Mutex::new(Vec::new()));
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
            .id_generator(|links, _, _| match links.first() {
                Some(link) => link.href.clone(),
                None => NO_ID.to_string(),
            })
            .build()
            .parse(text.as_bytes())
            .map_err(Failure::Failed)
    };
    let parsed = std::panic::catch_unwind(run);
    let unreadable = unreadable.lock().map(|l| l.clone()).unwrap_or_default();
    match parsed {
        Ok(Ok(feed)) => Ok(document(feed, unreadable)),
        Ok(Err(failure)) => Err(failure),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Failure::Panicked(message))
        }
    }
}

fn document(feed: model::Feed, unreadable_dates: Vec<String>) -> Document {
    Document {
        format: match feed.feed_type {
            model::FeedType::RSS0 => Format::Rss0,
            model::FeedType::RSS1 => Format::Rss1,
            model::FeedType::RSS2 => Format::Rss2,
            // JSON Feed is read by `json`, never by feed-rs.
            model::FeedType::JSON | model::FeedType::Atom => Format::Atom,
        },
        title: feed.title.map(|t| t.content),
        language: feed.language,
        links: feed.links.into_iter().map(link).collect(),
        items: feed.entries.into_iter().map(item).collect(),
        unreadable_dates,
    }
}

fn link(l: model::Link) -> Link {
    Link {
        href: l.href,
        rel: l.rel,
        media_type: l.media_type,
        length: l.length,
    }
}

fn item(e: model::Entry) -> Item {
    Item {
        id: (e.id != NO_ID).then_some(e.id),
        title: e.title.map(|t| t.content),
        base: e.base,
        links: e.links.into_iter().map(link).collect(),
        published: e.published,
        updated: e.updated,
        content: e.content.and_then(|c| {
            Some(Body {
                mime: c.content_type.as_str().to_string(),
                text: c.body?,
            })
        }),
        summary: e.summary.map(|s| Body {
            mime: s.content_type.as_str().to_string(),
            text: s.content,
        }),
        authors: e.authors.into_iter().filter_map(|p| p.name).collect(),
        categories: e
            .categories
            .into_iter()
            .map(|c| c.label.unwrap_or(c.term))
            .collect(),
        media: e
            .media
            .iter()
            .flat_map(|m| m.content.iter())
            .filter_map(|c| {
                Some(Media {
                    url: c.url.as_ref()?.as_str().to_string(),
                    mime: c.content_type.as_ref().map(|t| t.to_string()),
                    size: c.size,
                })
            })
            .collect(),
        language: e.language,
    }
}
