//! `planetoid opml import|export`: moving a subscription list in and out.
//!
//! Import reads an OPML file (nested outlines too), skips feeds planet.yaml
//! already lists (and repeats inside the file), and appends the rest to the
//! `feeds:` list as text — the rest of planet.yaml, comments and formatting
//! included, is left exactly as it was. Export prints the enabled feeds as
//! OPML 2.0.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::{self, ConfigError};
use crate::entry::WebUrl;
use crate::select::canonical_link;

#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a usable OPML file: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot find where the `feeds:` list ends in {}", path.display())]
    NoFeedsList { path: PathBuf },
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub added: Vec<String>,
    pub skipped: usize,
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "added {} feeds, skipped {} already listed",
            self.added.len(),
            self.skipped
        )
    }
}

/// One subscription found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Subscription {
    url: String,
    title: Option<String>,
}

pub fn import(config_path: &Path, opml_path: &Path) -> Result<Imported, OpmlError> {
    let config = config::load(config_path)?;
    let opml_text = std::fs::read_to_string(opml_path).map_err(|source| OpmlError::Read {
        path: opml_path.to_path_buf(),
        source,
    })?;
    let document = opml::OPML::from_str(&opml_text).map_err(|e| OpmlError::Invalid {
        path: opml_path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut found = Vec::new();
    collect(&document.body.outlines, &mut found);

    let mut known: HashSet<String> = config
        .feeds
        .iter()
        .map(|f| canonical_link(&f.url))
        .collect();
    let mut added = Vec::new();
    let mut skipped = 0;
    let mut block = String::new();
    let text = std::fs::read_to_string(config_path).map_err(|source| OpmlError::Read {
        path: config_path.to_path_buf(),
        source,
    })?;
    let InsertPoint {
        at: insert_at,
        indent,
        flow_empty,
    } = feeds_end(&text).ok_or_else(|| OpmlError::NoFeedsList {
        path: config_path.to_path_buf(),
    })?;
    for sub in found {
        if !known.insert(canonical_link(&sub.url)) {
            skipped += 1;
            continue;
        }
        block.push_str(&format!("{indent}- url: {}\n", yaml_string(&sub.url)));
        if let Some(title) = sub.title.filter(|t| !t.trim().is_empty()) {
            block.push_str(&format!("{indent}  name: {}\n", yaml_string(title.trim())));
        }
        added.push(sub.url);
    }
    if added.is_empty() {
        return Ok(Imported { added, skipped });
    }
    let mut new_text = text.clone();
    if let Some((start, end)) = flow_empty {
        // `feeds: []` becomes a block list.
        new_text.replace_range(start..end, "");
        let at = insert_at - (end - start);
        new_text.insert_str(at, &block);
    } else {
        new_text.insert_str(insert_at, &block);
    }
    // Never write a file planetoid itself would reject.
    config::parse(&new_text, &config.path)?;
    let tmp = config_path.with_extension("yaml.planetoid-tmp");
    let write = |source| OpmlError::Write {
        path: config_path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, &new_text).map_err(write)?;
    std::fs::rename(&tmp, config_path).map_err(write)?;
    Ok(Imported { added, skipped })
}

pub fn export(config_path: &Path) -> Result<String, OpmlError> {
    let config = config::load(config_path)?;
    let outlines = config
        .feeds
        .iter()
        .filter(|f| f.enabled)
        .map(|f| {
            let name = f.name.clone().unwrap_or_else(|| f.url.clone());
            opml::Outline {
                text: name.clone(),
                title: Some(name),
                r#type: Some("rss".to_string()),
                xml_url: Some(f.url.clone()),
                html_url: f.homepage.as_ref().map(WebUrl::to_string),
                ..opml::Outline::default()
            }
        })
        .collect();
    let document = opml::OPML {
        version: "2.0".to_string(),
        head: Some(opml::Head {
            title: Some(config.title.clone()),
            ..opml::Head::default()
        }),
        body: opml::Body { outlines },
    };
    let xml = document.to_string().map_err(|e| OpmlError::Invalid {
        path: config_path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}\n"
    ))
}

/// Every outline with an `xmlUrl`, depth first (categories are folders).
fn collect(outlines: &[opml::Outline], out: &mut Vec<Subscription>) {
    for o in outlines {
        if let Some(url) = o
            .xml_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            out.push(Subscription {
                url: url.to_string(),
                title: o.title.clone().or_else(|| Some(o.text.clone())),
            });
        }
        collect(&o.outlines, out);
    }
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
                let start = offset + content.find("[]")?;
                flow_empty = Some((start, start + 2));
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
fn yaml_string(s: &str) -> String {
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
    if plain {
        s.to_string()
    } else {
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
        assert_eq!(flow, Some((16, 18)));
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
    }
}
