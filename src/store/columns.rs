//! How values SQLite has no type for are kept in columns: times as Unix
//! seconds, lists as one item a line, enclosures as tab-separated lines,
//! and addresses checked again when read.

use chrono::{DateTime, Utc};

use crate::entry::{Enclosure, WebUrl};

pub(super) fn from_ts(ts: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(ts, 0)
}

/// One item a line (an item's own line breaks become spaces).
pub(super) fn join_lines(items: &[String]) -> String {
    items
        .iter()
        .map(|i| i.replace(['\r', '\n'], " "))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn split_lines(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Enclosures as tab-separated lines: url, type, length.
pub(super) fn encode_enclosures(list: &[Enclosure]) -> String {
    list.iter()
        .map(|e| {
            format!(
                "{}\t{}\t{}",
                e.url.as_str(),
                e.mime_type
                    .as_deref()
                    .unwrap_or("")
                    .replace(['\t', '\n'], " "),
                e.length.map(|l| l.to_string()).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Addresses are checked again on the way out, whatever wrote the state
/// file: what is not an absolute web address reads as absent.
pub(super) fn web_url(stored: Option<String>) -> Option<WebUrl> {
    WebUrl::parse(&stored?, None)
}

pub(super) fn decode_enclosures(s: &str) -> Vec<Enclosure> {
    s.lines()
        .filter_map(|line| {
            let mut parts = line.split('\t');
            let url = WebUrl::parse(parts.next()?, None)?;
            let mime_type = parts.next().filter(|t| !t.is_empty()).map(str::to_string);
            let length = parts.next().and_then(|l| l.parse().ok());
            Some(Enclosure {
                url,
                mime_type,
                length,
            })
        })
        .collect()
}
