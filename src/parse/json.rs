//! JSON Feed (1.0 and 1.1) read leniently, straight from `serde_json::Value`
//! into our [`Entry`]: a JSON object with `items`, each with an `id` or a
//! `url` and some content, is a feed to a person, so it is one here.
//! `version` may be missing or odd; `authors` (1.1) and `author` (1.0) are
//! both read; a field of the wrong type (`"tags": "rust"`) is dropped with
//! a warning instead of rejecting the feed; `content_text` and `summary`
//! are plain text and become escaped HTML. Links resolve against the feed's
//! URL and pass the parse stage's one URL check, like the XML formats' do.

use serde_json::{Map, Value};

use std::sync::Arc;

use super::convert::synthetic_id;
use super::text::demoronize;
use super::urls::UrlCheck;
use super::warnings::{UNREADABLE_DATES, Warnings};
use super::{Detail, ParseError, ParsedFeed, dates};
use crate::entry::{Enclosure, Entry, FeedMeta, WebUrl};
use crate::sanitize;

/// How the wrong-typed fields of a feed are summed up in its warnings.
const WRONG_TYPE: &str = "JSON Feed fields of the wrong type, dropped";

/// Parses JSON Feed text fetched from `feed_url`.
pub(super) fn parse_json(text: &str, feed_url: &str) -> Result<ParsedFeed, ParseError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ParseError::NotWellFormedJson {
        line: e.line(),
        column: e.column(),
        reason: e
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string(),
        source: Arc::new(e),
    })?;
    let Value::Object(top) = value else {
        return Err(ParseError::Unrecognised(format!(
            "a JSON {} is not a JSON Feed (an object with `items`)",
            kind(&value)
        )));
    };
    let mut warnings = Warnings::default();
    let version = top.get("version").and_then(Value::as_str);
    let says_json_feed = version.is_some_and(|v| v.contains("jsonfeed.org"));
    let items = match top.get("items") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => {
            return Err(ParseError::Malformed(Detail::said(format!(
                "not a JSON Feed: `items` is {}, not a list",
                kind(other)
            ))));
        }
        None if says_json_feed => {
            warnings.add("the JSON Feed has no `items`");
            &[]
        }
        None => {
            return Err(ParseError::Unrecognised(
                "a JSON object without `items` is not a JSON Feed".into(),
            ));
        }
    };
    match top.get("version") {
        None => warnings.add("the JSON Feed has no `version`: read as JSON Feed 1.1"),
        Some(_) if says_json_feed => {}
        Some(v) => warnings.add(format!(
            "the JSON Feed's `version` is {}, not a jsonfeed.org version URL: read as JSON Feed 1.1",
            short(v)
        )),
    }
    let urls = UrlCheck::new(feed_url);
    let mut feed = Fields {
        map: &top,
        at: String::new(),
        warnings: &mut warnings,
        urls: &urls,
    };
    let language = feed.text("language").map(|l| l.replace('_', "-"));
    let mut meta = FeedMeta {
        title: feed.text("title").map(|t| one_line(&t)),
        site_url: feed
            .url("home_page_url")
            .filter(|u| Some(u) != urls.document()),
        language: language.clone(),
        dropped_urls: 0,
    };
    let feed_author = feed.author();
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(map) = item else {
            warnings.count(
                WRONG_TYPE,
                format!("items[{i}] is {}, not an object", kind(item)),
            );
            continue;
        };
        let mut fields = Fields {
            map,
            at: format!("items[{i}]."),
            warnings: &mut warnings,
            urls: &urls,
        };
        entries.push(fields.entry(feed_url, &feed_author, &language));
    }
    meta.dropped_urls = urls.dropped();
    Ok(ParsedFeed {
        meta,
        entries,
        warnings,
    })
}

/// One JSON object's fields, read by type; a field of another type is
/// dropped and counted in `warnings` under its path (`items[3].tags`).
struct Fields<'a> {
    map: &'a Map<String, Value>,
    at: String,
    warnings: &'a mut Warnings,
    /// Every URL field goes through the parse stage's one URL check.
    urls: &'a UrlCheck,
}

impl Fields<'_> {
    fn entry(
        &mut self,
        feed_url: &str,
        feed_author: &Option<String>,
        feed_language: &Option<String>,
    ) -> Entry {
        let title = self.text("title").map(|t| one_line(&t)).unwrap_or_default();
        let link = self.url("url").or_else(|| self.url("external_url"));
        let published = self.date("date_published");
        let updated = self.date("date_modified");
        // JSON Feed 1.0 allowed numbers as ids; they are the same id as text.
        let id = match self.map.get("id") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => self.text("id"),
        };
        let id = id
            .or_else(|| link.as_ref().map(WebUrl::to_string))
            .unwrap_or_else(|| synthetic_id(feed_url, &title, published.or(updated)));
        let content_html = self
            .text("content_html")
            .map(|h| demoronize(&h).into_owned());
        let content_text = self
            .text("content_text")
            .map(|t| sanitize::text_to_html(&t));
        let summary_html = self.text("summary").map(|t| sanitize::text_to_html(&t));
        let categories = self.strings("tags");
        let enclosures = self.attachments();
        let author = self.author().or_else(|| feed_author.clone());
        let language = self
            .text("language")
            .map(|l| l.replace('_', "-"))
            .or_else(|| feed_language.clone());
        Entry {
            id,
            base_url: link
                .as_ref()
                .map(WebUrl::to_string)
                .or_else(|| Some(feed_url.to_string())),
            title,
            link,
            author,
            published,
            updated,
            body_html: content_html
                .or(content_text)
                .or_else(|| summary_html.clone()),
            summary_html,
            categories,
            enclosures,
            language,
        }
    }

    /// A non-empty string field.
    fn text(&mut self, key: &str) -> Option<String> {
        match self.map.get(key)? {
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Value::Null => None,
            other => {
                self.wrong(key, other, "text");
                None
            }
        }
    }

    /// A URL field, resolved against the feed's URL; anything but an
    /// http(s) address is dropped and counted.
    fn url(&mut self, key: &str) -> Option<WebUrl> {
        let raw = self.text(key)?;
        self.urls.check(&raw, None)
    }

    fn date(&mut self, key: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        let raw = self.text(key)?;
        let date = dates::parse_date(&raw);
        if date.is_none() {
            self.warnings.count(UNREADABLE_DATES, raw);
        }
        date
    }

    /// A list of strings; wrong-typed members are dropped one by one.
    fn strings(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.map.get(key) else {
            return Vec::new();
        };
        let Value::Array(list) = value else {
            if !value.is_null() {
                self.wrong(key, value, "a list");
            }
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, v) in list.iter().enumerate() {
            match v {
                Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                Value::String(_) | Value::Null => {}
                other => self.wrong(&format!("{key}[{i}]"), other, "text"),
            }
        }
        out
    }

    /// `authors` (1.1), else `author` (1.0): the first name given.
    fn author(&mut self) -> Option<String> {
        let first_named = |list: &[Value]| {
            list.iter()
                .filter_map(|a| a.get("name")?.as_str())
                .map(str::trim)
                .find(|n| !n.is_empty())
                .map(str::to_string)
        };
        let authors = match self.map.get("authors") {
            Some(Value::Array(list)) => first_named(list),
            Some(Value::Null) | None => None,
            Some(other) => {
                self.wrong("authors", other, "a list");
                None
            }
        };
        authors.or_else(|| match self.map.get("author") {
            Some(Value::Object(_)) => first_named(std::slice::from_ref(&self.map["author"])),
            Some(Value::Null) | None => None,
            Some(other) => {
                self.wrong("author", other, "an object");
                None
            }
        })
    }

    fn attachments(&mut self) -> Vec<Enclosure> {
        let list = match self.map.get("attachments") {
            Some(Value::Array(list)) => list,
            Some(Value::Null) | None => return Vec::new(),
            Some(other) => {
                self.wrong("attachments", other, "a list");
                return Vec::new();
            }
        };
        let mut out: Vec<Enclosure> = Vec::new();
        for (i, a) in list.iter().enumerate() {
            let Value::Object(map) = a else {
                self.wrong(&format!("attachments[{i}]"), a, "an object");
                continue;
            };
            let mut fields = Fields {
                map,
                at: format!("{}attachments[{i}].", self.at),
                warnings: self.warnings,
                urls: self.urls,
            };
            let Some(url) = fields.url("url") else {
                continue;
            };
            let mime_type = fields.text("mime_type");
            let length = match map.get("size_in_bytes") {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::Null) | None => None,
                Some(other) => {
                    fields.wrong("size_in_bytes", other, "a number");
                    None
                }
            };
            if !out.iter().any(|e| e.url == url) {
                out.push(Enclosure {
                    url,
                    mime_type,
                    length,
                });
            }
        }
        out
    }

    fn wrong(&mut self, key: &str, found: &Value, wanted: &str) {
        self.warnings.count(
            WRONG_TYPE,
            format!("{}{key} is {}, not {wanted}", self.at, kind(found)),
        );
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://j.example/feed.json";

    #[test]
    fn sloppy_feeds_are_read_and_every_repair_is_a_warning() {
        let json = r#"{"title":"J","home_page_url":"/","author":{"name":"Feed Author"},"items":[
            {"id":1,"title":"Numbered","content_text":"a < b","tags":"rust","date_published":"someday"},
            {"url":"/p/2","title":"No id","content_html":"<p>hi</p>","authors":[{"name":"Анна"}],
             "tags":["x",3,"y"],"attachments":[{"url":"a.mp3","mime_type":"audio/mpeg","size_in_bytes":"big"}]},
            "not an item"]}"#;
        let feed = parse_json(json, URL).expect("read");
        assert_eq!(feed.meta.title.as_deref(), Some("J"));
        assert_eq!(
            feed.meta.site_url.as_ref().map(WebUrl::as_str),
            Some("https://j.example/")
        );
        let [a, b] = feed.entries.as_slice() else {
            panic!("{:?}", feed.entries)
        };
        assert_eq!((a.id.as_str(), a.title.as_str()), ("1", "Numbered"));
        assert_eq!(a.body_html.as_deref(), Some("<p>a &lt; b</p>"));
        assert_eq!(a.author.as_deref(), Some("Feed Author"));
        assert!(a.categories.is_empty() && a.published.is_none());
        assert_eq!(b.id, "https://j.example/p/2");
        assert_eq!(b.author.as_deref(), Some("Анна"));
        assert_eq!(b.categories, ["x", "y"]);
        assert_eq!(b.enclosures[0].url.as_str(), "https://j.example/a.mp3");
        assert_eq!(b.enclosures[0].length, None);
        assert_eq!(
            feed.warnings.messages(),
            [
                "the JSON Feed has no `version`: read as JSON Feed 1.1",
                "dates that could not be read (the entries keep no date from them): 1 (e.g. \"someday\")",
                "JSON Feed fields of the wrong type, dropped: 4 (e.g. \"items[0].tags is text, not a list\")",
            ]
        );
    }

    #[test]
    fn a_valid_feed_has_no_warnings_and_non_feeds_are_refused() {
        let json = r#"{"version":"https://jsonfeed.org/version/1","title":"J","items":[{"id":"1","content_html":"x"}]}"#;
        assert!(parse_json(json, URL).expect("1.0").warnings.is_empty());
        assert!(matches!(
            parse_json("[1, 2]", URL),
            Err(ParseError::Unrecognised(_))
        ));
        assert!(matches!(
            parse_json(r#"{"name": "package.json"}"#, URL),
            Err(ParseError::Unrecognised(_))
        ));
    }
}
