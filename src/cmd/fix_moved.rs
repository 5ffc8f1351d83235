//! `planetoid fix-moved`: rewrite the URLs of feeds that moved permanently
//! (301/308, recorded by earlier builds) inside planet.yaml, in place.
//!
//! Only the URL scalars change: comments, ordering, quoting and formatting
//! of planet.yaml stay as they were, so a CI job can propose the edit as a
//! small pull request. The store moves each feed's history to its new id in
//! the same step, so no post is seen "for the first time" again.

use std::path::{Path, PathBuf};

use crate::cmd::planet_edit::{self, EditError};
use crate::config::FeedSource;
use crate::entry::FeedId;
use crate::lock::{LockError, Wait, lock_planet};
use crate::store::{Store, StoreError};

/// One URL rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub line: u64,
    pub from: String,
    pub to: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FixMovedError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot update {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot find the url of the feed at line {line} in {}", path.display())]
    NotFound { path: PathBuf, line: u64 },
}

/// Rewrites every moved feed's URL in `config_path`; returns what changed.
/// Holds the planet's lock meanwhile (see `lock`), waiting as `wait` says.
pub fn fix_moved(config_path: &Path, wait: Wait) -> Result<Vec<Move>, FixMovedError> {
    let (config, _lock) = lock_planet(config_path, "fix-moved run", wait)?;
    let mut store = Store::open(&config.state)?;
    let ids: Vec<FeedId> = config.feeds.iter().map(|f| f.id.clone()).collect();
    let states = store.feed_states(&ids)?;
    let mut text = std::fs::read_to_string(config_path).map_err(|source| FixMovedError::Io {
        path: config_path.to_path_buf(),
        source,
    })?;
    let configured: Vec<&str> = config.feeds.iter().map(|f| f.url.as_str()).collect();

    let mut edits: Vec<(usize, usize, String, Move)> = Vec::new();
    let mut renames = Vec::new();
    for feed in &config.feeds {
        let Some(to) = states.get(&feed.id).and_then(|s| s.moved_to.clone()) else {
            continue;
        };
        if !matches!(feed.source, FeedSource::Http(_)) || configured.contains(&to.as_str()) {
            continue;
        }
        let (start, end, replacement) =
            scalar_span(&text, feed.url_at, &to).ok_or_else(|| FixMovedError::NotFound {
                path: config_path.to_path_buf(),
                line: feed.url_at.0,
            })?;
        renames.push((feed.id.clone(), FeedId::from_source(&to), to.clone()));
        edits.push((
            start,
            end,
            replacement,
            Move {
                line: feed.url_at.0,
                from: feed.url.clone(),
                to,
            },
        ));
    }
    if edits.is_empty() {
        return Ok(Vec::new());
    }
    edits.sort_by_key(|(start, ..)| std::cmp::Reverse(*start));
    for (start, end, replacement, _) in &edits {
        text.replace_range(*start..*end, replacement);
    }
    store.rename_feeds(&renames)?;
    // planet.yaml is saved only if planetoid accepts the new text; if not,
    // or if it cannot be written, the store's ids go back.
    if let Err(e) = planet_edit::save(config_path, &text) {
        let back: Vec<_> = renames
            .iter()
            .zip(&edits)
            .map(|((old, new, _), (.., m))| (new.clone(), old.clone(), m.from.clone()))
            .collect();
        let _ = store.rename_feeds(&back);
        return Err(e.into());
    }
    let mut moves: Vec<Move> = edits.into_iter().map(|(.., m)| m).collect();
    moves.sort_by_key(|m| m.line);
    Ok(moves)
}

/// The byte range of the scalar starting at (line, column) and its
/// replacement in the same quoting style.
fn scalar_span(
    text: &str,
    (line, column): (u64, u64),
    new: &str,
) -> Option<(usize, usize, String)> {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line as usize - 2)?.0 + 1
    };
    let line_text = &text[line_start..];
    let line_end = line_start + line_text.find('\n').unwrap_or(line_text.len());
    let offset = line_start
        + text[line_start..line_end]
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map(|(i, _)| i)?;
    let rest = &text[offset..line_end];
    match rest.chars().next()? {
        q @ ('"' | '\'') => {
            let close = rest[1..].find(q)? + 2;
            let escaped = if q == '"' {
                new.replace('\\', "\\\\").replace('"', "\\\"")
            } else {
                new.replace('\'', "''")
            };
            Some((offset, offset + close, format!("{q}{escaped}{q}")))
        }
        _ => {
            let end = rest.find(" #").unwrap_or(rest.len());
            let value = rest[..end].trim_end();
            let plain_ok = !new.contains(": ")
                && !new.contains(" #")
                && !new.starts_with(['"', '\'', '&', '*', '!']);
            let replacement = if plain_ok {
                new.to_string()
            } else {
                format!("\"{}\"", new.replace('\\', "\\\\").replace('"', "\\\""))
            };
            Some((offset, offset + value.len(), replacement))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_replaced_in_place_keeping_quotes_and_comments() {
        let text = "feeds:\n  - url: https://old.example/feed   # Alice\n  - url: \"https://q.example/f\"\n";
        let (s, e, r) = scalar_span(text, (2, 10), "https://new.example/feed").expect("plain");
        let mut out = text.to_string();
        out.replace_range(s..e, &r);
        assert_eq!(
            out,
            "feeds:\n  - url: https://new.example/feed   # Alice\n  - url: \"https://q.example/f\"\n"
        );
        let (s, e, r) = scalar_span(&out, (3, 10), "https://n.example/f").expect("quoted");
        out.replace_range(s..e, &r);
        assert!(out.ends_with("  - url: \"https://n.example/f\"\n"), "{out}");
    }
}
