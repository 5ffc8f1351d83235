//! One "repair and retry" pass over XML feed text that failed to parse.
//!
//! Real feeds break XML in a handful of ways a person would shrug at: a
//! stray `&` in a title (`Tom & Jerry`), HTML entities the XML never
//! declared (`&nbsp;`, `&mdash;`, `&copy;`), control characters pasted from
//! a word processor, and garbage after the root element (a PHP warning, a
//! second copy of the feed, a tracking pixel). [`repair`] fixes exactly
//! those, outside CDATA sections, comments and processing instructions, and
//! reports whether it changed anything — if it did not, there is no point
//! in parsing again and the original error stands.

/// The first entity reference in `text` XML cannot resolve (`&nbsp;`,
/// `&alpha;`, a stray `&`). feed-rs does not always fail on those — it can
/// silently mangle the text around them — so these documents are repaired
/// before the first parse, not after a failure.
///
/// Returns where the first one starts and its text (`&nbsp;`, or a lone
/// `&`), for the operator's warning.
pub fn first_unknown_reference(text: &str) -> Option<(usize, &str)> {
    let mut from = 0;
    while let Some(pos) = text[from..].find(['&', '<']) {
        let at = from + pos;
        let rest = &text[at..];
        // CDATA sections, comments and processing instructions hold text,
        // not references (`&mdash;` in escaped-free HTML inside CDATA).
        if let Some((open, close)) = [("<![CDATA[", "]]>"), ("<!--", "-->"), ("<?", "?>")]
            .into_iter()
            .find(|(open, _)| rest.starts_with(open))
        {
            from = rest[open.len()..]
                .find(close)
                .map_or(text.len(), |end| at + open.len() + end + close.len());
            continue;
        }
        if rest.starts_with('<') {
            from = at + 1;
            continue;
        }
        let after = &text.as_bytes()[at + 1..];
        // The five predefined references (most of escaped HTML content) are
        // known to `reference` too; saying so here skips its name parsing.
        let predefined = [&b"lt;"[..], b"gt;", b"amp;", b"quot;", b"apos;"]
            .iter()
            .any(|r| after.starts_with(r));
        if !predefined && let (Some(_), _) = reference(&text[at..], &[]) {
            let name = after
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'#')
                .count();
            let named = name > 0 && name <= 32 && after.get(name) == Some(&b';');
            return Some((at, &text[at..at + if named { name + 2 } else { 1 }]));
        }
        from = at + 1;
    }
    None
}

/// The repaired text, or `None` when there was nothing to repair.
pub fn repair(text: &str) -> Option<String> {
    let declared = internal_entities(text);
    let mut out = String::with_capacity(text.len() + 64);
    let mut changed = false;
    let mut rest = text;
    loop {
        let pos = rest.find(['&', '<']).unwrap_or(rest.len());
        changed |= push_clean(&mut out, &rest[..pos]);
        rest = &rest[pos..];
        if rest.is_empty() {
            break;
        }
        if rest.starts_with('<') {
            let verbatim_end = [("<![CDATA[", "]]>"), ("<!--", "-->"), ("<?", "?>")]
                .iter()
                .find(|(open, _)| rest.starts_with(open))
                .map(|(open, close)| {
                    rest[open.len()..]
                        .find(close)
                        .map_or(rest.len(), |end| open.len() + end + close.len())
                });
            let len = verbatim_end.unwrap_or(1);
            changed |= push_clean(&mut out, &rest[..len]);
            rest = &rest[len..];
            continue;
        }
        // An ampersand: keep it if it starts a well-formed XML reference.
        let (replacement, consumed) = reference(rest, &declared);
        changed |= replacement.is_some();
        match replacement {
            Some(r) => out.push_str(&r),
            None => out.push_str(&rest[..consumed]),
        }
        rest = &rest[consumed..];
    }
    if let Some(end) = root_end(&out)
        && out[end..].chars().any(|c| !c.is_whitespace())
    {
        out.truncate(end);
        changed = true;
    }
    changed.then_some(out)
}

/// Copies `s` without the characters XML 1.0 forbids; true if any were dropped.
fn push_clean(out: &mut String, s: &str) -> bool {
    if !s.chars().any(forbidden) {
        out.push_str(s);
        return false;
    }
    out.extend(s.chars().filter(|c| !forbidden(*c)));
    true
}

fn forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// At an `&`: `(None, len)` to keep `len` bytes as they are, or
/// `(Some(text), len)` to replace them.
fn reference(at: &str, declared: &[(String, String)]) -> (Option<String>, usize) {
    let body = &at[1..];
    let name_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
        .unwrap_or(body.len());
    if name_len == 0 || !body[name_len..].starts_with(';') || name_len > 32 {
        return (Some("&amp;".into()), 1);
    }
    let name = &body[..name_len];
    let whole = name_len + 2;
    if let Some(num) = name.strip_prefix('#') {
        let value = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse().ok(),
        };
        return match value.and_then(char::from_u32) {
            Some(c) if !forbidden(c) => (None, whole),
            // A reference to a forbidden character is dropped.
            Some(_) => (Some(String::new()), whole),
            None => (Some("&amp;".into()), 1),
        };
    }
    if matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") {
        return (None, whole);
    }
    if let Some((_, value)) = declared.iter().find(|(n, _)| n == name) {
        return (Some(escape(value)), whole);
    }
    // HTML5's table (via markup5ever, already in the tree for ammonia);
    // quick-xml's own table maps several names wrongly (`alpha` → `;`).
    let key = format!("{name};");
    match markup5ever::data::NAMED_ENTITIES.get(key.as_str()) {
        Some(&(first, second)) => {
            let text: String = [first, second]
                .into_iter()
                .filter(|c| *c != 0)
                .filter_map(char::from_u32)
                .collect();
            (Some(escape(&text)), whole)
        }
        None => (Some("&amp;".into()), 1),
    }
}

/// Plain text with its HTML character references decoded (`Ga&#235;l`,
/// `Jos&eacute;`, `&amp;`) — for names that old planets' configs wrote
/// entity-encoded. An `&` that starts no known reference stays as it is.
pub fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let body = &rest[1..];
        let name_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(body.len());
        let name = &body[..name_len];
        let decoded = body[name_len..]
            .starts_with(';')
            .then(|| match name.strip_prefix('#') {
                Some(num) => match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse().ok(),
                }
                .and_then(char::from_u32)
                .filter(|c| !forbidden(*c))
                .map(String::from),
                None => markup5ever::data::NAMED_ENTITIES
                    .get(format!("{name};").as_str())
                    .map(|&(first, second)| {
                        [first, second]
                            .into_iter()
                            .filter(|c| *c != 0)
                            .filter_map(char::from_u32)
                            .collect()
                    }),
            })
            .flatten();
        match decoded {
            Some(text) => {
                out.push_str(&text);
                rest = &body[name_len + 1..];
            }
            None => {
                out.push('&');
                rest = body;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `<!ENTITY name "value">` declarations of an internal DTD subset, for
/// plain-text values only (no references inside, so nothing can expand
/// recursively — no "billion laughs").
fn internal_entities(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(doctype) = text.find("<!DOCTYPE") else {
        return out;
    };
    let Some(end) = text[doctype..].find("]>").map(|e| doctype + e) else {
        return out;
    };
    let mut rest = &text[doctype..end];
    while let Some(pos) = rest.find("<!ENTITY") {
        rest = &rest[pos + "<!ENTITY".len()..];
        let mut parts = rest.trim_start().splitn(2, char::is_whitespace);
        let (Some(name), Some(tail)) = (parts.next(), parts.next()) else {
            break;
        };
        let tail = tail.trim_start();
        let Some(quote) = tail.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(close) = tail[1..].find(quote) else {
            break;
        };
        let value = &tail[1..close + 1];
        if name != "%" && !value.contains(['&', '<', '%']) && out.len() < 256 {
            out.push((name.to_string(), value.to_string()));
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

/// Byte offset just after the root element's end tag, if it can be found.
fn root_end(text: &str) -> Option<usize> {
    let root = super::prepare::root_name(text)?;
    let close = format!("</{root}");
    let at = text.rfind(&close)?;
    let gt = text[at..].find('>')?;
    Some(at + gt + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_references_in_plain_text_are_decoded() {
        assert_eq!(
            decode_entities("Ga&#235;l &amp; Jos&eacute; &#x4E2D; &copy;"),
            "Gaël & José 中 ©"
        );
        assert_eq!(
            decode_entities("Tom & Jerry &nope; &#0;"),
            "Tom & Jerry &nope; &#0;"
        );
    }

    #[test]
    fn stray_ampersands_and_html_entities_become_xml() {
        let fixed =
            repair("<rss><t>Tom & Jerry&nbsp;&mdash; &amp; &#8212; &AMP; &bogus;</t></rss>")
                .expect("changed");
        assert_eq!(
            fixed,
            "<rss><t>Tom &amp; Jerry\u{a0}\u{2014} &amp; &#8212; &amp; &amp;bogus;</t></rss>"
        );
    }

    #[test]
    fn internal_dtd_entities_are_expanded_and_detected() {
        let text = "<!DOCTYPE rss [<!ENTITY id \"tag:example.com,\">]><rss><g>&id;2006</g></rss>";
        assert_eq!(first_unknown_reference(text), Some((56, "&id;")));
        let fixed = repair(text).expect("changed");
        assert!(
            fixed.ends_with("<rss><g>tag:example.com,2006</g></rss>"),
            "{fixed}"
        );
        assert_eq!(
            first_unknown_reference("<rss>&amp; &#160; &#x2014; &lt;</rss>"),
            None
        );
        assert_eq!(first_unknown_reference("<rss>AT&T</rss>"), Some((7, "&")));
        assert_eq!(
            first_unknown_reference("<rss><![CDATA[a &mdash; b]]><!-- &c; --><t>&x;</t></rss>"),
            Some((43, "&x;"))
        );
    }

    #[test]
    fn cdata_and_comments_are_left_alone() {
        let text = "<rss><![CDATA[a & b &nbsp;]]><!-- & --><t>ok &amp;</t></rss>";
        assert_eq!(repair(text), None);
    }

    #[test]
    fn control_characters_and_trailing_garbage_go() {
        let fixed =
            repair("<feed>\u{1}a\u{b}&#1;</feed>\n<b>Warning</b>: in x.php").expect("changed");
        assert_eq!(fixed, "<feed>a</feed>");
        assert_eq!(repair("<rss><t>x</t></rss>\n  "), None);
    }
}
