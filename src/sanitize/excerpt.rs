//! Excerpts cut on the document tree, never by regex: a lol_html pass over
//! sanitized (well-formed) HTML counts words in text nodes; the text node
//! holding the last kept word is cut right after it and gets `…`, and every
//! element and text node after that point is removed whole, while the
//! elements still open there keep their end tags. The result is balanced
//! HTML (the caller runs it through the sanitizer once more, which proves
//! it). Words are runs of non-space characters; a tag boundary ends a word.

use std::cell::{Cell, RefCell};

use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, doc_comments, doc_text, element, rewrite_str};

/// `html` cut after `limit` words, or `None` when it has no more than that
/// (or the rewriter fails, in which case the whole text is kept).
pub(super) fn cut(html: &str, limit: usize) -> Option<String> {
    if count_words(html)? <= limit {
        return None;
    }
    let seen = Cell::new(0usize);
    let done = Cell::new(false);
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!("*", |el| {
            if done.get() {
                el.remove();
            }
            Ok(())
        }))
        .append_document_content_handler(doc_comments!(|c| {
            if done.get() {
                c.remove();
            }
            Ok(())
        }))
        .append_document_content_handler(doc_text!(|t| {
            if done.get() {
                t.remove();
                return Ok(());
            }
            let text = t.as_str();
            let words = text.split_whitespace().count();
            if seen.get() + words < limit {
                seen.set(seen.get() + words);
                return Ok(());
            }
            // The limit is reached inside this node: keep up to the end of
            // the last allowed word.
            let keep = limit - seen.get();
            let end = word_end(text, keep);
            let kept = format!("{}…", &text[..end]);
            t.replace(&kept, ContentType::Html);
            seen.set(limit);
            done.set(true);
            Ok(())
        }));
    rewrite_str(html, settings).ok()
}

/// Words in the text nodes of `html`, counted the way [`cut`] counts them.
fn count_words(html: &str) -> Option<usize> {
    let total = RefCell::new(0usize);
    let settings = RewriteStrSettings::new().append_document_content_handler(doc_text!(|t| {
        *total.borrow_mut() += t.as_str().split_whitespace().count();
        Ok(())
    }));
    rewrite_str(html, settings).ok()?;
    Some(total.into_inner())
}

/// Byte offset just after the `n`-th word of `text` (0 when `n` is 0).
fn word_end(text: &str, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    let mut count = 0;
    let mut in_word = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if in_word {
                count += 1;
                if count == n {
                    return i;
                }
            }
            in_word = false;
        } else {
            in_word = true;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_end_stops_after_the_nth_word() {
        assert_eq!(word_end("  one two  three", 2), 9);
        assert_eq!(word_end("one", 1), 3);
        assert_eq!(word_end("one two", 0), 0);
    }

    #[test]
    fn short_html_is_not_cut_and_long_html_is_cut_on_elements() {
        assert_eq!(cut("<p>one two</p>", 2), None);
        assert_eq!(
            cut(
                "<p>one <b>two three</b> four</p><p>five</p><img src=\"x\">",
                2
            )
            .as_deref(),
            Some("<p>one <b>two…</b></p>")
        );
    }
}
