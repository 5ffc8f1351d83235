//! The post-pass over ammonia's output, which is well-formed HTML serialized
//! by html5ever (every `<` in text and attribute values is escaped, comments
//! are gone), so a tag seen here is exactly a tag the browser will see. It
//! re-checks iframes — an iframe stays only with an https `src` on the
//! allow-list, sandboxed and empty, else it is removed — and re-levels
//! headings: the page uses `h1` (site), `h2` (day) and `h3` (entry title), so
//! a post's highest heading becomes `h4` and the others keep their distance
//! below it (capped at `h6`). A post whose headings already start at `h4` or
//! lower is left alone, which makes the pass idempotent. Iframes go through
//! lol_html; heading tags are renamed by a token-level rewrite, exact on this
//! serializer's output. Both steps are skipped when there is nothing to do,
//! which one look at the tags ([`survey`]) tells, and the iframe step also
//! when every iframe already is what it would write. Whether the output has a
//! nesting a browser would re-parse differently is [`super::nesting`]'s.

use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, rewrite_str};

use super::policy::{IFRAME_ALLOW, IFRAME_REFERRER, IFRAME_SANDBOX, iframe_src_allowed};

/// The page's own headings go down to `h3`; posts start below.
const FIRST_POST_LEVEL: u8 = 4;

/// What every iframe that stays carries, in the order it is set.
const IFRAME_FORCED: [(&str, &str); 4] = [
    ("sandbox", IFRAME_SANDBOX),
    ("allow", IFRAME_ALLOW),
    ("loading", "lazy"),
    ("referrerpolicy", IFRAME_REFERRER),
];

pub(super) fn run(html: String, hosts: &[String]) -> String {
    let (has_iframe, highest) = survey(&html);
    let (html, highest) = if has_iframe && !iframes_already_checked(&html, hosts) {
        let html = check_iframes(html, hosts);
        let highest = survey(&html).1;
        (html, highest)
    } else {
        (html, highest)
    };
    match highest {
        Some(level) if level < FIRST_POST_LEVEL => relevel(html, FIRST_POST_LEVEL - level),
        _ => html,
    }
}

fn check_iframes(html: String, hosts: &[String]) -> String {
    let settings =
        RewriteStrSettings::new().append_element_content_handler(element!("iframe", |el| {
            let allowed = el
                .get_attribute("src")
                .is_some_and(|src| iframe_src_allowed(&src, hosts));
            if !allowed {
                el.remove();
                return Ok(());
            }
            for (name, value) in IFRAME_FORCED {
                el.set_attribute(name, value)?;
            }
            el.set_inner_content("", ContentType::Text);
            Ok(())
        }));
    // On a rewriter error ammonia's output stands: its attribute filter has
    // already dropped every `src` off the allow-list and forced the sandbox.
    rewrite_str(&html, settings).unwrap_or(html)
}

/// Whether [`check_iframes`] would give back `html` unchanged: every
/// iframe in it is empty, has a `src` the allow-list keeps, and already
/// carries the four forced attributes with their forced values. lol_html
/// writes a start tag it touched as ` name="value"` per attribute, in the
/// order it read them, which is how html5ever serializes one; so setting an
/// attribute to the value it already has changes no byte, and only a
/// missing attribute (appended) or a content (emptied) would. The
/// serializer escapes every `"` in values, so a value ends at the next `"`.
fn iframes_already_checked(html: &str, hosts: &[String]) -> bool {
    let mut rest = html;
    while let Some(at) = rest.find("<iframe") {
        let Some((attributes, after)) = start_tag_attributes(&rest[at + "<iframe".len()..]) else {
            return false;
        };
        let value = |name: &str| attributes.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let canonical = value("src").is_some_and(|src| iframe_src_allowed(src, hosts))
            && IFRAME_FORCED
                .iter()
                .all(|(name, forced)| value(name) == Some(forced))
            && after.starts_with("</iframe>");
        if !canonical {
            return false;
        }
        rest = after;
    }
    true
}

/// The attributes of a start tag as html5ever serializes it (` name="value"`
/// each, then `>`), given what follows its name, and what follows the tag;
/// `None` for any other shape.
fn start_tag_attributes(mut tag: &str) -> Option<(Vec<(&str, &str)>, &str)> {
    let mut attributes = Vec::new();
    loop {
        if let Some(after) = tag.strip_prefix('>') {
            return Some((attributes, after));
        }
        let (name, value_and_rest) = tag.strip_prefix(' ')?.split_once("=\"")?;
        if name.is_empty() || name.contains([' ', '>', '"']) {
            return None;
        }
        let (value, rest) = value_and_rest.split_once('"')?;
        attributes.push((name, value));
        tag = rest;
    }
}

/// One look at every `<` of serialized HTML: whether `<iframe` occurs, and
/// the highest (smallest-numbered) heading level (`<hN` followed by `>` or
/// a space).
fn survey(html: &str) -> (bool, Option<u8>) {
    let bytes = html.as_bytes();
    let mut iframe = false;
    let mut best: Option<u8> = None;
    let mut from = 0;
    while let Some(pos) = html[from..].find('<') {
        let at = from + pos;
        from = at + 1;
        match bytes.get(at + 1) {
            Some(b'h') => {
                if let (Some(d), Some(next)) = (bytes.get(at + 2), bytes.get(at + 3))
                    && (b'1'..=b'6').contains(d)
                    && matches!(next, b'>' | b' ')
                {
                    let level = d - b'0';
                    best = Some(best.map_or(level, |b| b.min(level)));
                }
            }
            Some(b'i') => iframe |= bytes[at + 1..].starts_with(b"iframe"),
            _ => {}
        }
    }
    (iframe, best)
}

/// Renames every heading tag, start and end, by `shift` levels (at most
/// `h6`). A token-level rewrite of the serializer's output, exact for the
/// reason [`survey`] is: `<hN` and `</hN>` occur in it only as tags.
fn relevel(html: String, shift: u8) -> String {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(pos) = html[from..].find('<') {
        let at = from + pos;
        from = at + 1;
        let name = if bytes.get(at + 1) == Some(&b'/') {
            at + 2
        } else {
            at + 1
        };
        if let (Some(b'h'), Some(d), Some(next)) =
            (bytes.get(name), bytes.get(name + 1), bytes.get(name + 2))
            && (b'1'..=b'6').contains(d)
            && matches!(next, b'>' | b' ')
        {
            out.push_str(&html[copied..name + 1]);
            out.push(char::from(b'0' + ((d - b'0') + shift).min(6)));
            copied = name + 2;
        }
    }
    out.push_str(&html[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANONICAL: &str = "<iframe src=\"https://www.youtube.com/embed/x?rel=0&amp;t=3\" width=\"560\" \
        sandbox=\"allow-scripts allow-popups allow-presentation\" \
        allow=\"accelerometer; encrypted-media; gyroscope; picture-in-picture; fullscreen\" \
        loading=\"lazy\" referrerpolicy=\"strict-origin-when-cross-origin\"></iframe>";

    fn hosts() -> Vec<String> {
        vec!["www.youtube.com".to_string()]
    }

    #[test]
    fn iframes_left_alone_are_exactly_what_the_rewrite_would_give() {
        let variants = [
            CANONICAL.to_string(),
            format!("<p>{CANONICAL}</p><h2>x</h2>{CANONICAL}"),
            CANONICAL.replace("loading=\"lazy\" ", ""),
            CANONICAL.replace("lazy", "eager"),
            CANONICAL.replace("></iframe>", ">text</iframe>"),
            CANONICAL.replace("www.youtube.com", "evil.example"),
            CANONICAL.replace("https:", "http:"),
            CANONICAL.replace(" width=\"560\"", " allowfullscreen=\"\""),
            format!("{CANONICAL}<iframe src=\"https://evil.example/\"></iframe>"),
            "<iframe></iframe>".to_string(),
            "<p>&lt;iframe src=\"x\"&gt;</p>".to_string(),
        ];
        let mut left_alone = 0;
        for html in &variants {
            if iframes_already_checked(html, &hosts()) {
                left_alone += 1;
                assert_eq!(&check_iframes(html.clone(), &hosts()), html);
            } else {
                assert_ne!(
                    &check_iframes(html.clone(), &hosts()),
                    html,
                    "rewritten for nothing"
                );
            }
        }
        // The canonical shapes (one, two with other markup, an extra
        // attribute, no iframe at all) skip the rewrite; the rest do not.
        assert_eq!(left_alone, 4);
    }
}
