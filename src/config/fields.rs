//! The field walker: typed getters over the YAML [`Node`] tree. [`Fields`]
//! hands out the keys of one mapping once each and reports whatever is left
//! as unknown (with a "did you mean"); the getters read one value as text, a
//! bounded number, a boolean, one of named options, a list of strings, a
//! language tag, an e-mail address or a web URL. Each records a [`Problem`]
//! at the value's line and column instead of stopping, so a planet.yaml with
//! many mistakes gets them all reported at once.
//!
//! [`Problem`]: super::Problem

use super::diagnostics::{Problems, closest_name};
use super::yaml::{Node, Value};
use crate::entry::WebUrl;

/// The keys of one mapping, handed out once each; whatever is left at
/// `finish` is reported as unknown, with a suggestion when one is close.
pub(super) struct Fields<'a> {
    what: &'static str,
    known: &'static [&'static str],
    entries: Vec<(&'a Node, &'a Node, bool)>,
    map: &'a Node,
}

impl<'a> Fields<'a> {
    pub(super) fn new(map: &'a Node, what: &'static str, known: &'static [&'static str]) -> Self {
        let entries = match &map.value {
            Value::Map(pairs) => pairs.iter().map(|(k, v)| (k, v, false)).collect(),
            _ => Vec::new(),
        };
        Fields {
            what,
            known,
            entries,
            map,
        }
    }

    /// The value of `key`, if present and not null.
    pub(super) fn optional(&mut self, key: &str) -> Option<&'a Node> {
        let slot = self
            .entries
            .iter_mut()
            .find(|(k, _, used)| !*used && k.value.as_str() == Some(key))?;
        slot.2 = true;
        match slot.1.value {
            Value::Null => None,
            _ => Some(slot.1),
        }
    }

    /// The value of `key`, or a problem at the mapping when it is missing.
    pub(super) fn required(&mut self, key: &str, problems: &mut Problems) -> Option<&'a Node> {
        let found = self.optional(key);
        if found.is_none() {
            problems.at(
                self.map,
                format!("missing required key `{key}` in {}", self.what),
            );
        }
        found
    }

    /// Reports every key that was not asked for.
    pub(super) fn finish(self, problems: &mut Problems) {
        for (key, _, used) in self.entries {
            if used {
                continue;
            }
            let name = key.value.as_str().unwrap_or("?");
            let message = match closest_name(name, self.known.iter().copied()) {
                Some(close) => format!(
                    "unknown key `{name}` in {} (did you mean `{close}`?)",
                    self.what
                ),
                None => format!(
                    "unknown key `{name}` in {} (expected one of: {})",
                    self.what,
                    self.known.join(", ")
                ),
            };
            problems.at(key, message);
        }
    }
}

/// The fields of a mapping section such as `fetch:`, or a problem when it
/// is not a mapping.
pub(super) fn section<'a>(
    node: &'a Node,
    name: &'static str,
    keys: &'static [&'static str],
    problems: &mut Problems,
) -> Option<Fields<'a>> {
    if !matches!(node.value, Value::Map(_)) {
        problems.at(
            node,
            format!("`{name}` must be a mapping, found {}", node.value.kind()),
        );
        return None;
    }
    Some(Fields::new(node, name, keys))
}

/// A scalar read as text (numbers and booleans are accepted as written).
pub(super) fn text(node: &Node, problems: &mut Problems) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => {
            problems.at(node, format!("expected a string, found {}", other.kind()));
            None
        }
    }
}

/// A whole number from `min` to `max`.
pub(super) fn count(node: &Node, min: u64, max: u64, problems: &mut Problems) -> Option<u64> {
    match &node.value {
        Value::Int(i) if (min as i128..=max as i128).contains(&(*i as i128)) => Some(*i as u64),
        Value::Int(i) => {
            problems.at(
                node,
                format!("expected a number from {min} to {max}, found {i}"),
            );
            None
        }
        other => {
            problems.at(
                node,
                format!("expected a whole number, found {}", other.kind()),
            );
            None
        }
    }
}

/// `true` or `false`, as YAML writes them.
pub(super) fn boolean(node: &Node, problems: &mut Problems) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        other => {
            problems.at(
                node,
                format!("expected true or false, found {}", other.kind()),
            );
            None
        }
    }
}

/// One of a key's named `options`, or a problem listing them.
pub(super) fn choice<T: Copy>(
    node: &Node,
    key: &str,
    options: &[(&str, T)],
    problems: &mut Problems,
) -> Option<T> {
    let raw = text(node, problems)?;
    let found = options.iter().find(|(name, _)| *name == raw.trim());
    if found.is_none() {
        let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
        problems.at(
            node,
            format!(
                "`{key}` must be one of: {}; found `{raw}`",
                names.join(", ")
            ),
        );
    }
    found.map(|(_, value)| *value)
}

/// A list of strings; a single string is a list of one.
pub(super) fn string_list(node: &Node, problems: &mut Problems) -> Vec<String> {
    match &node.value {
        Value::Seq(items) => items.iter().filter_map(|n| text(n, problems)).collect(),
        _ => text(node, problems).into_iter().collect(),
    }
}

/// A language tag (`lang`) such as `en` or `pt-BR`.
pub(super) fn language(node: &Node, problems: &mut Problems) -> Option<String> {
    let raw = text(node, problems)?;
    let ok = !raw.is_empty()
        && raw.len() <= 35
        && raw
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Some(raw)
    } else {
        problems.at(
            node,
            format!("`lang` must be a language tag such as `en` or `ru`, found `{raw}`"),
        );
        None
    }
}

/// An e-mail address (`owner_email`): one `@`, no spaces or angle brackets.
pub(super) fn email(node: &Node, problems: &mut Problems) -> Option<String> {
    let raw = text(node, problems)?;
    let trimmed = raw.trim();
    let ok = trimmed.split('@').count() == 2
        && trimmed.split('@').all(|part| !part.is_empty())
        && !trimmed.contains(|c: char| c.is_whitespace() || "<>\"(),;:".contains(c));
    if ok {
        Some(trimmed.to_string())
    } else {
        problems.at(
            node,
            format!(
                "`owner_email` must be an e-mail address such as `ann@example.org`, found `{raw}`"
            ),
        );
        None
    }
}

/// An absolute http(s) URL (a feed's `homepage`).
pub(super) fn web_url(node: &Node, problems: &mut Problems) -> Option<WebUrl> {
    let raw = text(node, problems)?;
    match WebUrl::parse(raw.trim(), None) {
        Some(url) => Some(url),
        None => {
            problems.at(
                node,
                format!("expected an absolute http(s) URL, found `{raw}`"),
            );
            None
        }
    }
}
