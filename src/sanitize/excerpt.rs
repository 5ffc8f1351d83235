//! Excerpts cut on the document tree, never by regex. The input is the
//! sanitizer's own serialized output, where every `<` that is not a tag is
//! escaped and every attribute value is double-quoted, so one scan of its
//! tags keeps the stack of open elements exactly (as [`super::nesting`]
//! does). Words are counted in text nodes (runs of non-space characters; a
//! tag boundary ends a word); the text node holding the last kept word is
//! cut right after it and gets `…`, everything after that point goes, and
//! the elements still open there get their end tags. The result is
//! balanced HTML (the caller runs it through ammonia once more only when
//! [`super::nesting`] finds a shape a browser would rebuild). One pass over
//! bytes, where a rewriter took two: excerpts are made for every listed
//! entry.

use super::nesting::{is_void, name_len};

/// `html` cut after `limit` words, or `None` when it has no more than that.
pub(super) fn cut(html: &str, limit: usize) -> Option<String> {
    let mut open: Vec<&str> = Vec::new();
    let mut words = 0;
    let mut cut: Option<String> = None;
    let mut at = 0;
    while at < html.len() {
        let rest = &html[at..];
        if let Some(tag) = rest.strip_prefix('<') {
            let len = tag_len(tag);
            if cut.is_none() {
                let closing = tag.starts_with('/');
                let start = usize::from(closing);
                let name = &tag[start..start + name_len(&tag[start..])];
                if closing {
                    if let Some(pos) = open.iter().rposition(|n| *n == name) {
                        open.truncate(pos);
                    }
                } else if !is_void(name) && !tag[..len].ends_with("/>") {
                    open.push(name);
                }
            }
            at += 1 + len;
            continue;
        }
        let text = &rest[..rest.find('<').unwrap_or(rest.len())];
        at += text.len();
        if cut.is_some() {
            if text.split_whitespace().next().is_some() {
                return cut;
            }
            continue;
        }
        let here = text.split_whitespace().count();
        if words + here < limit {
            words += here;
            continue;
        }
        // The limit is reached inside this node: keep up to the end of the
        // last allowed word, then close what is open.
        let end = word_end(text, limit - words);
        let mut out = String::with_capacity(at + 64);
        out.push_str(&html[..at - text.len() + end]);
        out.push('…');
        for name in open.iter().rev() {
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        if text[end..].split_whitespace().next().is_some() {
            return Some(out);
        }
        // Cut only if some word follows.
        cut = Some(out);
    }
    None
}

/// The length of a tag after its `<`, up to and including its `>` (a `>`
/// inside a quoted attribute value does not end it).
fn tag_len(tag: &str) -> usize {
    let mut quoted = false;
    for (i, b) in tag.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return i + 1,
            _ => {}
        }
    }
    tag.len()
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
        assert_eq!(cut("<p>one two</p><img src=\"x\"><p> </p>", 2), None);
        assert_eq!(
            cut(
                "<p>one <b>two three</b> four</p><p>five</p><img src=\"x\">",
                2
            )
            .as_deref(),
            Some("<p>one <b>two…</b></p>")
        );
        // The limit at the end of a node, more words later.
        assert_eq!(
            cut("<p>one <i>two</i></p><br><p>three</p>", 2).as_deref(),
            Some("<p>one <i>two…</i></p>")
        );
        // A `>` in an attribute value is not the end of the tag; void
        // elements are not left open.
        assert_eq!(
            cut("<p title=\"a > b\">one<br>two <img src=\"x\"> three</p>", 2).as_deref(),
            Some("<p title=\"a > b\">one<br>two…</p>")
        );
        assert_eq!(
            cut("<ul><li>один</li><li>два три</li></ul>", 2).as_deref(),
            Some("<ul><li>один</li><li>два…</li></ul>")
        );
    }
}
