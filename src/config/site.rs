//! The parts of planet.yaml that shape the published site rather than the
//! fetching: `strings:` (UI string overrides, plain or plural forms) and
//! `pages:` (extra Markdown pages, read while validating so a missing file is
//! reported with its line and column like every other problem).

use std::collections::BTreeMap;
use std::path::Path;

use super::diagnostics::Problems;
use super::fields::{Fields, text};
use super::model::{PageConfig, StringOverride};
use super::yaml::{Node, Value};

const PAGE_KEYS: &[&str] = &["title", "file", "slug"];
const PLURAL_CATEGORIES: &[&str] = &["zero", "one", "two", "few", "many", "other"];

/// `strings:`: key → text, or key → {one: …, other: …}.
pub(super) fn strings(node: &Node, problems: &mut Problems) -> BTreeMap<String, StringOverride> {
    let mut out = BTreeMap::new();
    let Value::Map(pairs) = &node.value else {
        problems.at(
            node,
            format!(
                "`strings` must be a mapping of UI string keys to text, found {}",
                node.value.kind()
            ),
        );
        return out;
    };
    for (key, value) in pairs {
        let Some(name) = text(key, problems) else {
            continue;
        };
        let parsed = match &value.value {
            Value::Map(forms) => {
                let mut plural = BTreeMap::new();
                for (category, form) in forms {
                    let Some(category_name) = text(category, problems) else {
                        continue;
                    };
                    if !PLURAL_CATEGORIES.contains(&category_name.as_str()) {
                        problems.at(
                            category,
                            format!(
                                "unknown plural category `{category_name}` in strings.{name} (expected one of: {})",
                                PLURAL_CATEGORIES.join(", ")
                            ),
                        );
                        continue;
                    }
                    if let Some(form) = text(form, problems) {
                        plural.insert(category_name, form);
                    }
                }
                if !plural.contains_key("other") {
                    problems.at(
                        key,
                        format!("plural forms of strings.{name} need at least `other`"),
                    );
                }
                StringOverride::Plural(plural)
            }
            _ => match text(value, problems) {
                Some(t) => StringOverride::Text(t),
                None => continue,
            },
        };
        out.insert(name, parsed);
    }
    out
}

/// `pages:`: a list of `{title, file, slug?}`; each file is read now, so a
/// missing one is reported with its line like any other config problem.
pub(super) fn pages(node: &Node, dir: &Path, problems: &mut Problems) -> Vec<PageConfig> {
    let Value::Seq(items) = &node.value else {
        problems.at(
            node,
            format!(
                "`pages` must be a list (`- title: …` items), found {}",
                node.value.kind()
            ),
        );
        return Vec::new();
    };
    let mut out: Vec<PageConfig> = Vec::new();
    for item in items {
        if !matches!(item.value, Value::Map(_)) {
            problems.at(
                item,
                format!(
                    "a page must be a mapping with `title:` and `file:`, found {}",
                    item.value.kind()
                ),
            );
            continue;
        }
        let mut fields = Fields::new(item, "page", PAGE_KEYS);
        let title = fields
            .required("title", problems)
            .and_then(|n| text(n, problems));
        let file_node = fields.required("file", problems);
        let file = file_node.and_then(|n| text(n, problems));
        let slug_node = fields.optional("slug");
        let slug = slug_node.and_then(|n| text(n, problems));
        fields.finish(problems);
        let (Some(title), Some(file), Some(file_node)) = (title, file, file_node) else {
            continue;
        };
        let path = dir.join(&file);
        let slug = slug.unwrap_or_else(|| {
            Path::new(&file)
                .file_stem()
                .map(|s| s.to_string_lossy().to_lowercase())
                .unwrap_or_default()
        });
        let slug_ok = !slug.is_empty()
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug_ok {
            problems.at(
                slug_node.unwrap_or(file_node),
                format!(
                    "page slug `{slug}` may only use a-z, 0-9 and `-` (set `slug:` to choose one)"
                ),
            );
            continue;
        }
        if out.iter().any(|p| p.slug == slug) {
            problems.at(
                slug_node.unwrap_or(item),
                format!("two pages have the slug `{slug}`"),
            );
            continue;
        }
        let markdown = match std::fs::read_to_string(&path) {
            Ok(m) => m,
            Err(e) => {
                problems.at(
                    file_node,
                    format!("cannot read page file {}: {e}", path.display()),
                );
                continue;
            }
        };
        out.push(PageConfig {
            title,
            slug,
            path,
            markdown,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::{ConfigError, StringOverride, parse};

    const HEAD: &str = "title: P\nbase_url: https://p.example/\nfeeds: []\n";

    #[test]
    fn strings_pages_and_max_pages_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("About.md"), "# Hi\n").expect("write");
        let text = format!(
            "{HEAD}max_pages: 5\nstrings:\n  subscriptions: Members\n  entries:\n    one: \"{{n}} note\"\n    other: \"{{n}} notes\"\npages:\n  - title: About us\n    file: About.md\n  - title: Rules\n    file: About.md\n    slug: rules\n"
        );
        let cfg = parse(&text, &dir.path().join("planet.yaml")).expect("valid");
        assert_eq!(cfg.max_pages, Some(5));
        assert_eq!(
            cfg.strings["subscriptions"],
            StringOverride::Text("Members".into())
        );
        match &cfg.strings["entries"] {
            StringOverride::Plural(forms) => assert_eq!(forms["other"], "{n} notes"),
            other => panic!("{other:?}"),
        }
        let slugs: Vec<&str> = cfg.pages.iter().map(|p| p.slug.as_str()).collect();
        assert_eq!(slugs, ["about", "rules"]);
        assert_eq!(cfg.pages[0].markdown, "# Hi\n");
        assert_eq!(cfg.pages[0].title, "About us");
    }

    #[test]
    fn bad_strings_and_pages_are_reported_with_positions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = format!(
            "{HEAD}max_pages: -1\nstrings:\n  entries:\n    several: x\npages:\n  - title: Gone\n    file: missing.md\n  - title: Bad\n    file: x.md\n    slug: Not Ok\n"
        );
        let problems = match parse(&text, &dir.path().join("planet.yaml")) {
            Err(ConfigError::Invalid { problems, .. }) => problems,
            other => panic!("expected problems, got {other:?}"),
        };
        let found: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == 4 && m.contains("from 0 to")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == 7 && m.contains("unknown plural category `several`")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == 6 && m.contains("need at least `other`")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == 10 && m.contains("cannot read page file")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == 13 && m.contains("slug `Not Ok`")),
            "{found:?}"
        );
    }
}
