//! Editing planet.yaml as text, for every command that changes it
//! (`opml import`, `import`, `add`, `fix-moved`).
//!
//! planet.yaml belongs to its operators: its comments, order and quoting
//! must survive a tool's edit. So nothing here re-serializes the YAML: new
//! feeds are appended as text at the end of the `feeds:` list (in the list's
//! own indentation), new top-level settings go just before `feeds:`, and
//! settings the file already has are left alone and reported. Feeds the file
//! already lists (by canonical URL), and repeats among the new ones, are
//! skipped. The edited text must pass the same validation as a build before
//! it replaces the file, and it replaces it atomically (a temporary file
//! renamed over it), so a crash or a bad edit never leaves a broken planet.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::config::{self, ConfigError};
use crate::select::canonical_link;

/// A value written into planet.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    Str(String),
    Int(u64),
    Bool(bool),
    List(Vec<String>),
}

impl Scalar {
    /// As written in planet.yaml.
    pub fn to_yaml(&self) -> String {
        match self {
            Scalar::Str(s) => yaml_string(s),
            Scalar::Int(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| flow_string(i))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// One feed to append: its URL and its other keys, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeed {
    pub url: String,
    pub fields: Vec<(&'static str, Scalar)>,
}

impl NewFeed {
    pub fn new(url: impl Into<String>) -> Self {
        NewFeed {
            url: url.into(),
            fields: Vec::new(),
        }
    }

    pub fn set(&mut self, key: &'static str, value: Scalar) {
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Scalar> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// A planet-wide setting: a top-level key, or `section.key` for one level
/// of nesting (`fetch.timeout_secs`).
pub type Setting = (String, Scalar);

/// What an edit did (or, on a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    /// URLs appended, in order.
    pub added: Vec<String>,
    /// URLs not appended because planet.yaml (or an earlier new feed) has them.
    pub skipped: Vec<String>,
    /// Settings written.
    pub settings_written: Vec<String>,
    /// Settings not written because planet.yaml already sets them.
    pub settings_kept: Vec<String>,
    /// The file's new text.
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot find where the `feeds:` list ends in {} (a flow list `[…]` with items is not edited; write it as a block list)", path.display())]
    NoFeedsList { path: PathBuf },
    #[error("{} already exists; not overwriting it", path.display())]
    Exists { path: PathBuf },
}

/// Appends `feeds` (and the `settings` planet.yaml lacks) to the planet.yaml
/// at `path`; with `dry_run` the file is left as it was.
pub fn append(
    path: &Path,
    settings: &[Setting],
    feeds: &[NewFeed],
    dry_run: bool,
) -> Result<Edit, EditError> {
    let text = std::fs::read_to_string(path).map_err(|source| EditError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let edit = edit_text(&text, &abs, settings, feeds)?;
    if !dry_run && edit.text != text {
        save(path, &edit.text)?;
    }
    Ok(edit)
}

/// Writes a new planet.yaml at `path` from a header (top-level keys, ending
/// with `feeds: []`) plus `settings` and `feeds`; refuses to overwrite.
pub fn create(
    path: &Path,
    header: &str,
    settings: &[Setting],
    feeds: &[NewFeed],
    dry_run: bool,
) -> Result<Edit, EditError> {
    if path.exists() {
        return Err(EditError::Exists {
            path: path.to_path_buf(),
        });
    }
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let edit = edit_text(header, &abs, settings, feeds)?;
    if !dry_run {
        save(path, &edit.text)?;
    }
    Ok(edit)
}

/// planet.yaml text with the settings and feeds added, validated.
pub fn edit_text(
    text: &str,
    path: &Path,
    settings: &[Setting],
    feeds: &[NewFeed],
) -> Result<Edit, EditError> {
    let config = config::parse(text, path)?;
    let mut known: HashSet<String> = config
        .feeds
        .iter()
        .map(|f| canonical_link(&f.url))
        .collect();
    let mut edit = Edit::default();
    let mut new_text = text.to_string();

    let settings_block = settings_block(&new_text, settings, &mut edit);
    if !settings_block.is_empty() {
        let at = top_level_line(&new_text, "feeds").ok_or_else(|| EditError::NoFeedsList {
            path: path.to_path_buf(),
        })?;
        new_text.insert_str(at, &settings_block);
    }

    let InsertPoint {
        at,
        indent,
        flow_empty,
    } = feeds_end(&new_text).ok_or_else(|| EditError::NoFeedsList {
        path: path.to_path_buf(),
    })?;
    let mut block = String::new();
    for feed in feeds {
        if !known.insert(canonical_link(&feed.url)) {
            edit.skipped.push(feed.url.clone());
            continue;
        }
        block.push_str(&format!("{indent}- url: {}\n", yaml_string(&feed.url)));
        for (key, value) in &feed.fields {
            block.push_str(&format!("{indent}  {key}: {}\n", value.to_yaml()));
        }
        edit.added.push(feed.url.clone());
    }
    if !block.is_empty() {
        match flow_empty {
            // `feeds: []` becomes a block list.
            Some((start, end)) => {
                new_text.replace_range(start..end, "");
                new_text.insert_str(at - (end - start), &block);
            }
            None => new_text.insert_str(at, &block),
        }
    }
    // Never write a file planetoid itself would reject.
    config::parse(&new_text, path)?;
    edit.text = new_text;
    Ok(edit)
}

/// Replaces the planet.yaml at `path` with `text`, the one way every
/// command writes it: only when planetoid accepts the new text, and
/// through a temporary file and a rename, so a build sees the old file or
/// the new one, never a part of it.
pub fn save(path: &Path, text: &str) -> Result<(), EditError> {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    config::parse(text, &abs)?;
    let write = |source| EditError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("yaml.planetoid-tmp");
    std::fs::write(&tmp, text).map_err(write)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        write(e)
    })
}

/// The lines for the settings `text` does not set yet, grouped by section.
fn settings_block(text: &str, settings: &[Setting], edit: &mut Edit) -> String {
    let mut block = String::new();
    let mut sections: Vec<(&str, Vec<(&str, &Scalar)>)> = Vec::new();
    for (key, value) in settings {
        match key.split_once('.') {
            None if top_level_line(text, key).is_some() => edit.settings_kept.push(key.clone()),
            None => {
                block.push_str(&format!("{key}: {}\n", value.to_yaml()));
                edit.settings_written.push(key.clone());
            }
            Some((section, _)) if top_level_line(text, section).is_some() => {
                edit.settings_kept.push(key.clone());
            }
            Some((section, sub)) => {
                match sections.iter_mut().find(|(s, _)| *s == section) {
                    Some((_, list)) => list.push((sub, value)),
                    None => sections.push((section, vec![(sub, value)])),
                }
                edit.settings_written.push(key.clone());
            }
        }
    }
    for (section, list) in sections {
        block.push_str(&format!("{section}:\n"));
        for (sub, value) in list {
            block.push_str(&format!("  {sub}: {}\n", value.to_yaml()));
        }
    }
    block
}

/// Byte offset of the top-level line `key:`, if the file has one.
fn top_level_line(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(key)
            && (rest.starts_with(':') || rest.trim_start().starts_with(':'))
        {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// Where new feed items go in planet.yaml.
#[derive(Debug, PartialEq, Eq)]
struct InsertPoint {
    /// Byte offset just after the `feeds:` list's last line.
    at: usize,
    /// The indentation its items use.
    indent: String,
    /// The span of a `[]` to remove when the list is empty flow style.
    flow_empty: Option<(usize, usize)>,
}

fn feeds_end(text: &str) -> Option<InsertPoint> {
    let mut offset = 0;
    let mut in_feeds = false;
    let mut end = None;
    let mut indent: Option<String> = None;
    let mut flow_empty = None;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let top_level = !content.starts_with([' ', '\t'])
            && !content.trim().is_empty()
            && !content.starts_with('#');
        if in_feeds && top_level {
            break;
        }
        if top_level && content.starts_with("feeds:") {
            in_feeds = true;
            let rest = content["feeds:".len()..].trim();
            let rest = rest.split(" #").next().unwrap_or("").trim();
            if rest == "[]" {
                let at = content.find("[]")?;
                // The space before `[]` goes with it.
                let start = offset + content[..at].trim_end().len();
                flow_empty = Some((start, offset + at + 2));
            } else if !rest.is_empty() {
                return None; // a non-empty flow list: not edited by hand here
            }
            end = Some(offset + line.len());
        } else if in_feeds && !content.trim().is_empty() && !content.trim_start().starts_with('#') {
            if indent.is_none() && content.trim_start().starts_with('-') {
                indent = Some(content[..content.len() - content.trim_start().len()].to_string());
            }
            end = Some(offset + line.len());
        }
        offset += line.len();
    }
    let end = end?;
    // A file without a final newline: the block must start on a new line.
    if !text[..end].ends_with('\n') {
        return None;
    }
    Some(InsertPoint {
        at: end,
        indent: indent.unwrap_or_else(|| "  ".to_string()),
        flow_empty,
    })
}

/// A YAML scalar: plain when unambiguous, double-quoted otherwise.
pub fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.starts_with(|c: char| "!&*[]{}|>'\"%@`#,?-: ".contains(c))
        && !s.ends_with([':', ' '])
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "~"
        )
        && s.parse::<f64>().is_err()
        && s.chars().all(|c| !c.is_control());
    if plain { s.to_string() } else { quoted(s) }
}

/// Inside a flow list `[…]`, commas and brackets need quotes too.
fn flow_string(s: &str) -> String {
    if s.contains([',', '[', ']', '{', '}']) {
        quoted(s)
    } else {
        yaml_string(s)
    }
}

fn quoted(s: &str) -> String {
    let escaped: String = s
        .chars()
        .map(|c| match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            c if c.is_control() => format!("\\u{:04x}", c as u32),
            c => c.to_string(),
        })
        .collect();
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_the_feeds_list_is_found_with_its_indentation() {
        let text =
            "title: T\nfeeds:\n    - url: a.xml\n      name: A\n\n# trailing comment\nlang: en\n";
        let InsertPoint {
            at,
            indent,
            flow_empty: flow,
        } = feeds_end(text).expect("found");
        assert_eq!(
            &text[..at],
            "title: T\nfeeds:\n    - url: a.xml\n      name: A\n"
        );
        assert_eq!((indent.as_str(), flow), ("    ", None));
        let empty = "title: T\nfeeds: []   # none yet\n";
        let InsertPoint {
            at,
            flow_empty: flow,
            ..
        } = feeds_end(empty).expect("found");
        assert_eq!(at, empty.len());
        assert_eq!(flow, Some((15, 18)));
    }

    #[test]
    fn yaml_strings_are_quoted_only_when_needed() {
        assert_eq!(
            yaml_string("https://a.example/feed?x=1"),
            "https://a.example/feed?x=1"
        );
        assert_eq!(yaml_string("Alice: notes"), "\"Alice: notes\"");
        assert_eq!(yaml_string("yes"), "\"yes\"");
        assert_eq!(yaml_string("\"hi\" she said"), "\"\\\"hi\\\" she said\"");
        assert_eq!(yaml_string("- dash"), "\"- dash\"");
        assert_eq!(
            Scalar::List(vec!["a,b".into(), "c".into()]).to_yaml(),
            "[\"a,b\", c]"
        );
    }

    #[test]
    fn settings_go_before_feeds_only_when_missing_and_feeds_are_deduplicated() {
        let text = "# my planet\ntitle: Mine   # keep\nbase_url: https://p.example/\nfeeds:\n  # members\n  - url: https://a.example/feed\n";
        let mut b = NewFeed::new("https://b.example/feed");
        b.set("name", Scalar::Str("Gaël: notes".into()));
        b.set("max_entries", Scalar::Int(3));
        let settings = vec![
            ("title".to_string(), Scalar::Str("Theirs".into())),
            ("owner_name".to_string(), Scalar::Str("Ann".into())),
            ("fetch.timeout_secs".to_string(), Scalar::Int(20)),
        ];
        let edit = edit_text(
            text,
            Path::new("/p/planet.yaml"),
            &settings,
            &[NewFeed::new("http://A.example/feed/"), b.clone(), b.clone()],
        )
        .expect("valid");
        assert_eq!(edit.added, ["https://b.example/feed"]);
        assert_eq!(edit.skipped.len(), 2);
        assert_eq!(edit.settings_kept, ["title"]);
        assert_eq!(
            edit.text,
            "# my planet\ntitle: Mine   # keep\nbase_url: https://p.example/\nowner_name: Ann\nfetch:\n  timeout_secs: 20\nfeeds:\n  # members\n  - url: https://a.example/feed\n  - url: https://b.example/feed\n    name: \"Gaël: notes\"\n    max_entries: 3\n"
        );
    }
}
