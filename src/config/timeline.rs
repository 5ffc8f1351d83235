//! The timeline settings of planet.yaml: date policies (read into
//! `entry`'s [`DatePolicy`] and [`FutureDates`]), filters, retention and the
//! blocklist — planet-wide, and per feed where it makes sense.
//!
//! Parsed with the same typed getters as the rest of the config, so every
//! mistake (an unknown policy, a regex that does not compile) is reported
//! with its line and column alongside all the others.

use regex::{Regex, RegexBuilder};

use super::diagnostics::Problems;
use super::fields::{Fields, count, section, string_list, text};
use super::yaml::{Node, Value};
use crate::entry::{DatePolicy, FutureDates};

/// A case-insensitive regular expression from planet.yaml.
#[derive(Debug, Clone)]
pub struct Pattern {
    regex: Regex,
}

impl Pattern {
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

/// Which entries are shown: regexes on title and text, tags on categories.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub include: Option<Pattern>,
    pub exclude: Option<Pattern>,
    /// Lower-cased.
    pub tags_include: Vec<String>,
    /// Lower-cased.
    pub tags_exclude: Vec<String>,
}

impl Filters {
    /// True when an entry with this title, text and tags passes.
    pub fn allows(&self, title: &str, text: &str, tags: &[String]) -> bool {
        let matches = |p: &Pattern| p.is_match(title) || p.is_match(text);
        let has = |list: &[String]| tags.iter().any(|t| list.contains(&t.to_lowercase()));
        self.include.as_ref().is_none_or(matches)
            && !self.exclude.as_ref().is_some_and(matches)
            && (self.tags_include.is_empty() || has(&self.tags_include))
            && !has(&self.tags_exclude)
    }

    /// True when the filter looks at the entry's tags.
    pub fn needs_tags(&self) -> bool {
        !self.tags_include.is_empty() || !self.tags_exclude.is_empty()
    }

    /// True when the filter needs the entry's plain text.
    pub fn needs_text(&self) -> bool {
        self.include.is_some() || self.exclude.is_some()
    }
}

/// How long the store keeps entries that left their feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub max_age_days: u32,
    /// The newest N entries of each configured feed are kept regardless of age.
    pub min_per_feed: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age_days: 365,
            min_per_feed: 10,
        }
    }
}

/// A taken-down post: matched by its link or its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub url: Option<String>,
    pub id: Option<String>,
    pub reason: String,
}

/// Keys of [`filters`], accepted planet-wide and per feed.
#[cfg(test)]
pub(super) const FILTER_KEYS: [&str; 4] = ["include", "exclude", "tags_include", "tags_exclude"];
const RETENTION_KEYS: &[&str] = &["max_age_days", "min_per_feed"];
const BLOCK_KEYS: &[&str] = &["url", "id", "reason"];

pub(super) fn filters(fields: &mut Fields, problems: &mut Problems) -> Filters {
    Filters {
        include: fields
            .optional("include")
            .and_then(|n| pattern(n, problems)),
        exclude: fields
            .optional("exclude")
            .and_then(|n| pattern(n, problems)),
        tags_include: tag_list(fields.optional("tags_include"), problems),
        tags_exclude: tag_list(fields.optional("tags_exclude"), problems),
    }
}

/// Tags compare case-insensitively: kept lower-cased.
fn tag_list(node: Option<&Node>, problems: &mut Problems) -> Vec<String> {
    node.map(|n| {
        string_list(n, problems)
            .into_iter()
            .map(|t| t.to_lowercase())
            .collect()
    })
    .unwrap_or_default()
}

fn pattern(node: &Node, problems: &mut Problems) -> Option<Pattern> {
    let source = text(node, problems)?;
    match RegexBuilder::new(&source)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
    {
        Ok(regex) => Some(Pattern { regex }),
        Err(e) => {
            let first_line = e
                .to_string()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string();
            problems.at(
                node,
                format!("invalid regular expression `{source}`: {first_line}"),
            );
            None
        }
    }
}

pub(super) fn date_policy(node: &Node, problems: &mut Problems) -> Option<DatePolicy> {
    match text(node, problems)?.as_str() {
        "feed" => Some(DatePolicy::Feed),
        "first_seen" => Some(DatePolicy::FirstSeen),
        other => {
            problems.at(
                node,
                format!("`date_policy` must be `feed` or `first_seen`, found `{other}`"),
            );
            None
        }
    }
}

pub(super) fn future_dates(node: &Node, problems: &mut Problems) -> Option<FutureDates> {
    match text(node, problems)?.as_str() {
        "clamp" => Some(FutureDates::Clamp),
        "hide_until_due" => Some(FutureDates::HideUntilDue),
        "drop" => Some(FutureDates::Drop),
        other => {
            problems.at(
                node,
                format!(
                    "`future_dates` must be `clamp`, `hide_until_due` or `drop`, found `{other}`"
                ),
            );
            None
        }
    }
}

pub(super) fn retention(node: &Node, problems: &mut Problems) -> Retention {
    let mut out = Retention::default();
    let Some(mut fields) = section(node, "retention", RETENTION_KEYS, problems) else {
        return out;
    };
    if let Some(n) = fields
        .optional("max_age_days")
        .and_then(|n| count(n, 1, 100_000, problems))
    {
        out.max_age_days = n as u32;
    }
    if let Some(n) = fields
        .optional("min_per_feed")
        .and_then(|n| count(n, 0, 100_000, problems))
    {
        out.min_per_feed = n as usize;
    }
    fields.finish(problems);
    out
}

pub(super) fn blocklist(node: &Node, problems: &mut Problems) -> Vec<Block> {
    let Value::Seq(items) = &node.value else {
        problems.at(
            node,
            format!("`blocklist` must be a list, found {}", node.value.kind()),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        if !matches!(item.value, Value::Map(_)) {
            problems.at(
                item,
                "a blocklist item must be a mapping: `- url: …` (or `id: …`) and `reason: …`",
            );
            continue;
        }
        let mut fields = Fields::new(item, "blocklist item", BLOCK_KEYS);
        let url = fields.optional("url").and_then(|n| text(n, problems));
        let id = fields.optional("id").and_then(|n| text(n, problems));
        let reason = fields
            .required("reason", problems)
            .and_then(|n| text(n, problems));
        fields.finish(problems);
        if url.is_none() && id.is_none() {
            problems.at(item, "a blocklist item needs `url` or `id`");
            continue;
        }
        if let Some(reason) = reason {
            out.push(Block { url, id, reason });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filters_of(yaml: &str) -> Filters {
        let root = super::super::yaml::parse(yaml).expect("yaml");
        let mut problems = Problems::default();
        let mut fields = Fields::new(&root, "test", &FILTER_KEYS);
        let f = filters(&mut fields, &mut problems);
        assert!(problems.0.is_empty(), "{:?}", problems.0);
        f
    }

    #[test]
    fn filters_combine_regexes_and_tags_case_insensitively() {
        let f =
            filters_of("include: rust|ferris\nexclude: '\\bsponsored\\b'\ntags_exclude: [Ads]\n");
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(f.allows("Learning Rust", "", &tags(&[])));
        assert!(f.allows("Weekly", "ferris says hi", &tags(&["news"])));
        assert!(
            !f.allows("Go tips", "nothing", &tags(&[])),
            "include not matched"
        );
        assert!(
            !f.allows("RUST news (Sponsored)", "", &tags(&[])),
            "excluded"
        );
        assert!(!f.allows("Rust", "", &tags(&["ads"])), "tag excluded");
        let only = filters_of("tags_include: rust\n");
        assert!(only.allows("x", "", &tags(&["Rust", "other"])));
        assert!(!only.allows("x", "", &tags(&["go"])));
        assert!(Filters::default().allows("anything", "", &[]));
    }
}
