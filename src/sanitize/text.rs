//! Sanitized HTML → the words a reader sees, for the search index: tags
//! dropped, a space wherever an element other than inline text markup
//! starts or ends (so paragraphs, list items, table cells, math tokens and
//! `<br>` never glue words together, while `<b>R</b>ust` stays one word),
//! entities decoded once. Code blocks and math stay as their text (TeX from the
//! pre-pass is plain text already; MathML keeps its `<mi>`/`<mn>` text).
//! Only [`SafeHtml`] comes in: the sanitizer's serializer quotes every
//! attribute with `"` and escapes `&`, `<` and `>` in text, which is what
//! lets one linear scan read it without a parser.

use super::SafeHtml;

/// The text of `html`, whitespace runs collapsed to one space.
pub fn search_text(html: &SafeHtml) -> String {
    let src = html.as_str();
    let mut raw = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(open) = rest.find('<') {
        decode_into(&rest[..open], &mut raw);
        rest = &rest[open..];
        let end = tag_end(rest);
        if !is_inline(rest.get(..end).unwrap_or_default()) {
            raw.push(' ');
        }
        rest = rest.get(end..).unwrap_or_default();
    }
    decode_into(rest, &mut raw);
    let mut out = String::with_capacity(raw.len());
    for word in raw.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Inline text markup: the words on either side of it may be one word.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "dfn", "em", "i", "ins", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
];

fn is_inline(tag: &str) -> bool {
    let name = tag.trim_start_matches(['<', '/']);
    let len = name
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    INLINE.contains(&&name[..len])
}

/// The length of the tag (or comment) `s` starts with, `>` included; a
/// `>` inside a quoted attribute value does not end it.
fn tag_end(s: &str) -> usize {
    if s.starts_with("<!--") {
        return s.find("-->").map_or(s.len(), |at| at + 3);
    }
    let mut quoted = false;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'>' if !quoted => return i + 1,
            _ => {}
        }
    }
    s.len()
}

/// Appends `text` with its entities decoded: the ones the serializer
/// writes, plus numeric references for robustness.
fn decode_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.get(..rest.len().min(12)).and_then(|h| h.find(';')) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sanitize::clean;

    #[test]
    fn blocks_are_separated_and_entities_decoded_once() {
        let html = clean(
            "<p>One<br>two</p><ul><li>three</li><li>four &amp;amp; &lt;b&gt;</li></ul>",
            None,
        );
        assert_eq!(search_text(&html), "One two three four &amp; <b>");
        let html = clean(
            "<p><b>R</b>ust and <a href=\"https://r.example/\">link</a>s</p>",
            None,
        );
        assert_eq!(search_text(&html), "Rust and links");
    }

    #[test]
    fn code_and_math_stay_as_text_and_attributes_do_not_leak() {
        let html = clean(
            concat!(
                "<pre><code class=\"language-rust\">fn main() {\n    let x = a > b;\n}</code></pre>",
                "<img alt=\"a > b\" src=\"https://x.example/i.png\">",
                "<script type=\"math/tex\">E = mc^2</script>",
                "<math><mi>x</mi><mo>+</mo><mn>1</mn></math>",
            ),
            None,
        );
        let text = search_text(&html);
        assert!(text.contains("fn main() { let x = a > b; }"), "{text}");
        assert!(text.contains("E = mc^2"), "{text}");
        assert!(text.contains("x + 1"), "{text}");
        assert!(!text.contains("alt") && !text.contains("png"), "{text}");
    }

    #[test]
    fn hostile_text_stays_text() {
        let html = clean("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>", None);
        assert_eq!(search_text(&html), "<script>alert(1)</script>");
    }
}
