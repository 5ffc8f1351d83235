//! The `feeds:` list of planet.yaml: each item read into a [`FeedConfig`]
//! (its source, a URL or a file; its display, date and filter settings),
//! with an unusable source, a misspelt key or a feed listed twice reported
//! at its line and column.

use std::path::Path;

use url::Url;

use super::diagnostics::Problems;
use super::fields::{Fields, boolean, choice, count, language, string_list, text, web_url};
use super::model::{ContentMode, FeedConfig, FeedSource};
use super::yaml::{Node, Value};
use super::{avatar, timeline};
use crate::entry::FeedId;

/// Every key a feed item accepts.
pub(super) const FEED_KEYS: &[&str] = &[
    "url",
    "name",
    "enabled",
    "avatar",
    "homepage",
    "lang",
    "tags",
    "max_entries",
    "date_policy",
    "future_dates",
    "include",
    "exclude",
    "tags_include",
    "tags_exclude",
    "content",
    "quiet_after_days",
];

/// `feeds:`: the subscriptions, in config order.
pub(super) fn list(node: &Node, dir: &Path, problems: &mut Problems) -> Vec<FeedConfig> {
    let Value::Seq(items) = &node.value else {
        problems.at(
            node,
            format!(
                "`feeds` must be a list (`- url: …` items), found {}",
                node.value.kind()
            ),
        );
        return Vec::new();
    };
    let mut out: Vec<FeedConfig> = Vec::new();
    for item in items {
        if !matches!(item.value, Value::Map(_)) {
            problems.at(
                item,
                format!(
                    "a feed must be a mapping with `url:`, found {}",
                    item.value.kind()
                ),
            );
            continue;
        }
        let mut fields = Fields::new(item, "feed", FEED_KEYS);
        let url_node = fields.required("url", problems);
        let name = fields.optional("name").and_then(|n| text(n, problems));
        let enabled = fields
            .optional("enabled")
            .and_then(|n| boolean(n, problems))
            .unwrap_or(true);
        let avatar = fields
            .optional("avatar")
            .and_then(|n| avatar::avatar(n, dir, problems));
        let homepage = fields
            .optional("homepage")
            .and_then(|n| web_url(n, problems));
        let lang = fields.optional("lang").and_then(|n| language(n, problems));
        let tags = fields
            .optional("tags")
            .map(|n| string_list(n, problems))
            .unwrap_or_default();
        let max_entries = fields
            .optional("max_entries")
            .and_then(|n| count(n, 1, 100_000, problems))
            .map(|n| n as usize);
        let date_policy = fields
            .optional("date_policy")
            .and_then(|n| timeline::date_policy(n, problems))
            .unwrap_or_default();
        let future_dates = fields
            .optional("future_dates")
            .and_then(|n| timeline::future_dates(n, problems));
        let filters = timeline::filters(&mut fields, problems);
        let content = fields
            .optional("content")
            .and_then(|n| content_mode(n, problems))
            .unwrap_or_default();
        let quiet_after_days = fields
            .optional("quiet_after_days")
            .and_then(|n| count(n, 1, 36_500, problems))
            .map(|n| n as u32);
        fields.finish(problems);
        let Some(url_node) = url_node else { continue };
        let Some(url) = text(url_node, problems) else {
            continue;
        };
        let Some(source) = feed_source(&url, dir, url_node, problems) else {
            continue;
        };
        if let Some(first) = out.iter().find(|f| f.source == source) {
            problems.at(
                url_node,
                format!(
                    "feed `{url}` is listed twice (first at line {})",
                    first.line
                ),
            );
            continue;
        }
        out.push(FeedConfig {
            id: FeedId::from_source(&url),
            url,
            source,
            name,
            content,
            line: item.line,
            url_at: (url_node.line, url_node.column),
            enabled,
            avatar,
            homepage,
            lang,
            tags,
            max_entries,
            date_policy,
            future_dates,
            filters,
            quiet_after_days,
        });
    }
    out
}

/// Where a feed's `url:` points: an http(s) URL, a `file://` URL, or a path
/// relative to planet.yaml's folder.
fn feed_source(raw: &str, dir: &Path, node: &Node, problems: &mut Problems) -> Option<FeedSource> {
    let raw = raw.trim();
    if raw.is_empty() {
        problems.at(node, "feed `url` is empty");
        return None;
    }
    // `scheme:…` is a URL (`mailto:x` is rejected below, not read as a file);
    // a one-letter "scheme" is a Windows drive (`C:\feeds\a.xml`).
    let scheme_len = raw
        .find(':')
        .filter(|&i| {
            raw[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        })
        .unwrap_or(0);
    if scheme_len <= 1 {
        return Some(FeedSource::File(dir.join(raw)));
    }
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Some(FeedSource::Http(url))
        }
        Ok(url) if url.scheme() == "file" => match url.to_file_path() {
            Ok(path) => Some(FeedSource::File(path)),
            Err(()) => {
                problems.at(node, format!("`{raw}` is not a usable file:// URL"));
                None
            }
        },
        Ok(url) => {
            problems.at(
                node,
                format!(
                    "unsupported URL scheme `{}` in `{raw}`: use http, https, file, or a path",
                    url.scheme()
                ),
            );
            None
        }
        Err(e) => {
            problems.at(node, format!("`{raw}` is not a valid URL: {e}"));
            None
        }
    }
}

/// `content:` of a feed: `full`, `summary` or `title`.
fn content_mode(node: &Node, problems: &mut Problems) -> Option<ContentMode> {
    let options = [
        ("full", ContentMode::Full),
        ("summary", ContentMode::Summary),
        ("title", ContentMode::Title),
    ];
    choice(node, "content", &options, problems)
}
