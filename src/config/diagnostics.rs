//! What is wrong with a planet.yaml, said so a person can fix it: the
//! [`Problem`]s the field walker collects (each at a line and column), the
//! [`ConfigError`] that carries them (or the unreadable file, or the YAML
//! syntax error with its source kept), their rustc-style rendering with the
//! offending line quoted, and [`closest_name`], the "did you mean" helper that
//! config's unknown keys and the theme's unknown UI strings both use.

use std::path::{Path, PathBuf};

use super::yaml::{Node, SyntaxError};

/// One problem found in planet.yaml, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Why planet.yaml could not be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not valid YAML:\n{source}", path.display())]
    Syntax {
        path: PathBuf,
        #[source]
        source: SyntaxError,
    },
    #[error("{}", render_problems(path, text, problems))]
    Invalid {
        path: PathBuf,
        text: String,
        problems: Vec<Problem>,
    },
}

/// The problems found so far while walking one planet.yaml.
#[derive(Debug, Default)]
pub(super) struct Problems(pub(super) Vec<Problem>);

impl Problems {
    /// Records a problem at `node`'s position.
    pub(super) fn at(&mut self, node: &Node, message: impl Into<String>) {
        self.0.push(Problem {
            line: node.line,
            column: node.column,
            message: message.into(),
        });
    }

    /// The problems in the order of the file.
    pub(super) fn into_sorted(self) -> Vec<Problem> {
        let mut list = self.0;
        list.sort_by_key(|p| (p.line, p.column));
        list
    }
}

/// The name in `known` closest to a misspelt `name`, when one is within a
/// small edit distance (2, or a quarter of the candidate's length for long
/// names). Of equally close names, the first in `known` wins: callers that
/// want another tie-break order their candidates.
pub fn closest_name<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance, counted in chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// rustc-style: `path:line:col: message`, the line quoted, a caret under it.
fn render_problems(path: &Path, text: &str, problems: &[Problem]) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = format!(
        "{} has {} problem{}:",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str(&format!(
            "\n{}:{}:{}: {}",
            path.display(),
            p.line,
            p.column,
            p.message
        ));
        if let Some(src) = (p.line as usize).checked_sub(1).and_then(|i| lines.get(i)) {
            let gutter = p.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_at = (p.column as usize).saturating_sub(1);
            let indent: String = src
                .chars()
                .take(caret_at)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            out.push_str(&format!("\n{pad} |\n{gutter} | {src}\n{pad} | {indent}^"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_name_suggests_near_names_and_breaks_ties_by_order() {
        let known = ["title", "tags_include", "tags_exclude", "feeds"];
        assert_eq!(closest_name("titel", known), Some("title"));
        assert_eq!(closest_name("feed", known), Some("feeds"));
        assert_eq!(closest_name("colour", known), None);
        // Two edits from both: the first listed wins.
        assert_eq!(closest_name("tags_clude", known), Some("tags_include"));
        assert_eq!(
            closest_name("tags_clude", ["tags_exclude", "tags_include"]),
            Some("tags_exclude")
        );
        // Long names allow a quarter of their length in edits.
        assert_eq!(
            closest_name("subscribtionz_lst", ["subscriptions_list"]),
            Some("subscriptions_list")
        );
        assert_eq!(edit_distance("ёж", "еж"), 1, "chars, not bytes");
    }

    #[test]
    fn problems_render_with_the_line_quoted_and_a_caret() {
        let problems = [
            Problem {
                line: 2,
                column: 7,
                message: "expected a string, found a list".into(),
            },
            Problem {
                line: 9,
                column: 1,
                message: "past the end".into(),
            },
        ];
        let text = render_problems(Path::new("/x/planet.yaml"), "a: 1\nlang: [en]\n", &problems);
        assert_eq!(
            text,
            "/x/planet.yaml has 2 problems:\n\
             /x/planet.yaml:2:7: expected a string, found a list\n  |\n2 | lang: [en]\n  |       ^\n\
             /x/planet.yaml:9:1: past the end"
        );
    }
}
