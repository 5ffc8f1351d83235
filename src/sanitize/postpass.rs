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
//! serializer's output. Both steps are skipped when there is nothing to do.
//! It also tells when ammonia's output has a nesting a browser would re-parse
//! differently ([`may_not_round_trip`]), so the caller can settle it.

use lol_html::html_content::ContentType;
use lol_html::{RewriteStrSettings, element, rewrite_str};

use super::policy::{IFRAME_ALLOW, IFRAME_REFERRER, IFRAME_SANDBOX, iframe_src_allowed};

/// The page's own headings go down to `h3`; posts start below.
const FIRST_POST_LEVEL: u8 = 4;

pub(super) fn run(html: String, hosts: &[String]) -> String {
    let html = if html.contains("<iframe") {
        check_iframes(html, hosts)
    } else {
        html
    };
    match highest_heading(&html) {
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
            el.set_attribute("sandbox", IFRAME_SANDBOX)?;
            el.set_attribute("allow", IFRAME_ALLOW)?;
            el.set_attribute("loading", "lazy")?;
            el.set_attribute("referrerpolicy", IFRAME_REFERRER)?;
            el.set_inner_content("", ContentType::Text);
            Ok(())
        }));
    // On a rewriter error ammonia's output stands: its attribute filter has
    // already dropped every `src` off the allow-list and forced the sandbox.
    rewrite_str(&html, settings).unwrap_or(html)
}

/// The highest (smallest-numbered) heading level in serialized HTML.
fn highest_heading(html: &str) -> Option<u8> {
    let bytes = html.as_bytes();
    let mut best: Option<u8> = None;
    let mut from = 0;
    while let Some(pos) = html[from..].find("<h") {
        let at = from + pos;
        from = at + 2;
        if let (Some(d), Some(next)) = (bytes.get(at + 2), bytes.get(at + 3))
            && (b'1'..=b'6').contains(d)
            && matches!(next, b'>' | b' ')
        {
            let level = d - b'0';
            best = Some(best.map_or(level, |b| b.min(level)));
            if level == 1 {
                break;
            }
        }
    }
    best
}

/// Renames every heading tag, start and end, by `shift` levels (at most
/// `h6`). A token-level rewrite of the serializer's output, exact for the
/// reason [`highest_heading`] is: `<hN` and `</hN>` occur in it only as tags.
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

/// Elements without an end tag.
const VOID: &[&str] = &[
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
    "param",
    "keygen",
    "mprescripts",
    "none",
];

/// Start tags that close an open `p` (the HTML parser's "p in button scope").
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hgroup",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "search",
    "section",
    "summary",
    "ul",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "listing",
    "form",
    "plaintext",
    "table",
    "hr",
    "xmp",
];

/// Elements that stop the parser's search for an open `p` or `li`.
const SCOPE: &[&str] = &[
    "applet",
    "caption",
    "html",
    "table",
    "td",
    "th",
    "marquee",
    "object",
    "template",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "annotation-xml",
    "button",
    "math",
];

/// True when serialized, well-formed HTML has a nesting the HTML parser
/// would rebuild differently (a block inside `p`, a heading directly inside
/// a heading, `a` inside `a`, `li` inside `li`, stray table parts). ammonia
/// can produce these when it unwraps an element that used to separate them;
/// sanitizing such output once more settles it. A cheap tag scan: ammonia's
/// output escapes every `<` that is not a tag.
pub(super) fn may_not_round_trip(html: &str) -> bool {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        let closing = rest.starts_with('/');
        let name_start = usize::from(closing);
        let name_len = rest[name_start..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len() - name_start);
        let name = &rest[name_start..name_start + name_len];
        if closing {
            if let Some(pos) = open.iter().rposition(|n| *n == name) {
                open.truncate(pos);
            }
            continue;
        }
        let in_scope = |wanted: &[&str], extra: &[&str]| {
            for n in open.iter().rev() {
                if wanted.contains(n) {
                    return true;
                }
                if SCOPE.contains(n) || extra.contains(n) {
                    return false;
                }
            }
            false
        };
        let top = open.last().copied().unwrap_or("");
        let heading = |n: &str| matches!(n, "h1" | "h2" | "h3" | "h4" | "h5" | "h6");
        let suspicious = (CLOSES_P.contains(&name) && in_scope(&["p"], &[]))
            || (heading(name) && heading(top))
            || (name == "a" && open.contains(&"a"))
            || (name == "li" && in_scope(&["li"], &["ol", "ul"]))
            || (matches!(name, "dd" | "dt") && in_scope(&["dd", "dt"], &["dl"]))
            || (matches!(top, "table" | "tbody" | "thead" | "tfoot")
                && !matches!(
                    name,
                    "tr" | "tbody" | "thead" | "tfoot" | "caption" | "colgroup" | "col"
                ))
            || (top == "tr" && !matches!(name, "td" | "th"))
            || (matches!(
                name,
                "tr" | "td" | "th" | "tbody" | "thead" | "tfoot" | "caption"
            ) && !open.contains(&"table"));
        if suspicious {
            return true;
        }
        if !VOID.contains(&name) {
            open.push(name);
        }
        // Text directly inside table structure is moved out by the parser.
        if let Some(gt) = rest.find('>') {
            let after = &rest[gt + 1..];
            let text = &after[..after.find('<').unwrap_or(after.len())];
            if matches!(name, "table" | "tbody" | "thead" | "tfoot" | "tr")
                && !text.trim().is_empty()
            {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nestings_the_parser_rebuilds_are_spotted() {
        for bad in [
            "<p><div>x</div></p>",
            "<h4><a></a><h6>x</h6></h4>",
            "<a href=\"x\"><a href=\"y\">z</a></a>",
            "<ul><li><li>x</li></li></ul>",
            "<table><p>x</p></table>",
            "<table><tbody><tr>text<td>x</td></tr></tbody></table>",
            "<td>x</td>",
        ] {
            assert!(may_not_round_trip(bad), "{bad}");
        }
        for good in [
            "<p>a <b>b</b> <img src=\"x\"> c</p><div><p>x</p></div>",
            "<h4><a href=\"x\">t</a></h4><h5>u</h5>",
            "<ul><li>a<ul><li>b</li></ul></li></ul>",
            "<table><tbody><tr><td><p>x</p><table><tbody><tr><td>y</td></tr></tbody></table></td></tr></tbody></table>",
            "<p><math><mtext><b>x</b></mtext></math></p>",
        ] {
            assert!(!may_not_round_trip(good), "{good}");
        }
    }
}
