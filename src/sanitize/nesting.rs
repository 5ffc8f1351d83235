//! Whether ammonia's serialized output has a nesting the HTML parser would
//! rebuild differently (a block inside `p`, a heading directly inside a
//! heading, `a` inside `a`, `li` inside `li`, stray table parts). ammonia can
//! produce these when it unwraps an element that used to separate them;
//! sanitizing such output once more settles it (see `Sanitizer::clean`).
//!
//! A cheap tag scan, run on every sanitized post: ammonia's output escapes
//! every `<` that is not a tag. Each tag name is classified once, by a
//! `match`, into [`Kind`] bits that the open-element stack keeps, so the
//! scope walks compare bits rather than strings. The name lists at the
//! bottom are the specification; a test checks [`kind`] against them.

/// What the scan needs to know about an element name, as bits.
struct Kind;

impl Kind {
    const VOID: u16 = 1 << 0;
    /// Start tags that close an open `p` ("p in button scope").
    const CLOSES_P: u16 = 1 << 1;
    /// Elements that stop the parser's search for an open `p` or `li`.
    const SCOPE: u16 = 1 << 2;
    const HEADING: u16 = 1 << 3;
    const P: u16 = 1 << 4;
    const LI: u16 = 1 << 5;
    const DD_DT: u16 = 1 << 6;
    const OL_UL: u16 = 1 << 7;
    const DL: u16 = 1 << 8;
    const A: u16 = 1 << 9;
    const TABLE: u16 = 1 << 10;
    /// `table`, `tbody`, `thead`, `tfoot`: only table rows and sections
    /// (and captions, column groups) may sit directly inside.
    const TABLE_BODY: u16 = 1 << 11;
    const TR: u16 = 1 << 12;
    const TD_TH: u16 = 1 << 13;
    /// Table parts that are misplaced outside any `table`.
    const TABLE_PART: u16 = 1 << 14;
    /// What may sit directly inside a [`Kind::TABLE_BODY`] element.
    const IN_TABLE_BODY: u16 = 1 << 15;
}

/// The [`Kind`] bits of an element name.
fn kind(name: &str) -> u16 {
    match name {
        "area" | "base" | "br" | "embed" | "img" | "input" | "link" | "meta" | "source"
        | "track" | "wbr" | "param" | "keygen" | "mprescripts" | "none" => Kind::VOID,
        "col" => Kind::VOID | Kind::IN_TABLE_BODY,
        "hr" => Kind::VOID | Kind::CLOSES_P,
        "address" | "article" | "aside" | "blockquote" | "center" | "details" | "dialog"
        | "dir" | "div" | "fieldset" | "figcaption" | "figure" | "footer" | "header" | "hgroup"
        | "main" | "menu" | "nav" | "search" | "section" | "summary" | "pre" | "listing"
        | "form" | "plaintext" | "xmp" => Kind::CLOSES_P,
        "dl" => Kind::CLOSES_P | Kind::DL,
        "ol" | "ul" => Kind::CLOSES_P | Kind::OL_UL,
        "p" => Kind::CLOSES_P | Kind::P,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Kind::CLOSES_P | Kind::HEADING,
        "table" => Kind::CLOSES_P | Kind::SCOPE | Kind::TABLE | Kind::TABLE_BODY,
        "applet" | "html" | "marquee" | "object" | "template" | "mi" | "mo" | "mn" | "ms"
        | "mtext" | "annotation-xml" | "button" | "math" => Kind::SCOPE,
        "caption" => Kind::SCOPE | Kind::TABLE_PART | Kind::IN_TABLE_BODY,
        "td" | "th" => Kind::SCOPE | Kind::TD_TH | Kind::TABLE_PART,
        "tbody" | "thead" | "tfoot" => Kind::TABLE_BODY | Kind::TABLE_PART | Kind::IN_TABLE_BODY,
        "tr" => Kind::TR | Kind::TABLE_PART | Kind::IN_TABLE_BODY,
        "colgroup" => Kind::IN_TABLE_BODY,
        "li" => Kind::LI,
        "dd" | "dt" => Kind::DD_DT,
        "a" => Kind::A,
        _ => 0,
    }
}

/// Whether `name` is an element without an end tag.
pub(super) fn is_void(name: &str) -> bool {
    kind(name) & Kind::VOID != 0
}

/// The length of the tag name at the start of `s`: up to whitespace, `>`
/// or `/` (or the end). ASCII bytes are tested directly; from the first
/// non-ASCII character on, `char::is_whitespace` decides, as it always did.
pub(super) fn name_len(s: &str) -> usize {
    let ascii = s
        .bytes()
        .position(|b| {
            !b.is_ascii() || matches!(b, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' | b'>' | b'/')
        })
        .unwrap_or(s.len());
    if s.as_bytes().get(ascii).is_some_and(|b| !b.is_ascii()) {
        ascii
            + s[ascii..]
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(s.len() - ascii)
    } else {
        ascii
    }
}

/// True when serialized, well-formed HTML has a nesting the HTML parser
/// would rebuild differently; see the module documentation.
pub(super) fn may_not_round_trip(html: &str) -> bool {
    let mut open: Vec<(&str, u16)> = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        let closing = rest.starts_with('/');
        let name_start = usize::from(closing);
        let name = &rest[name_start..name_start + name_len(&rest[name_start..])];
        if closing {
            if let Some(pos) = open.iter().rposition(|(n, _)| *n == name) {
                open.truncate(pos);
            }
            continue;
        }
        let k = kind(name);
        let in_scope = |wanted: u16, extra: u16| {
            for (_, f) in open.iter().rev() {
                if f & wanted != 0 {
                    return true;
                }
                if f & (Kind::SCOPE | extra) != 0 {
                    return false;
                }
            }
            false
        };
        let any_open = |bit: u16| open.iter().any(|(_, f)| f & bit != 0);
        let top = open.last().map_or(0, |(_, f)| *f);
        let is = |bits: u16, bit: u16| bits & bit != 0;
        let suspicious = (is(k, Kind::CLOSES_P) && in_scope(Kind::P, 0))
            || (is(k, Kind::HEADING) && is(top, Kind::HEADING))
            || (is(k, Kind::A) && any_open(Kind::A))
            || (is(k, Kind::LI) && in_scope(Kind::LI, Kind::OL_UL))
            || (is(k, Kind::DD_DT) && in_scope(Kind::DD_DT, Kind::DL))
            || (is(top, Kind::TABLE_BODY) && !is(k, Kind::IN_TABLE_BODY))
            || (is(top, Kind::TR) && !is(k, Kind::TD_TH))
            || (is(k, Kind::TABLE_PART) && !any_open(Kind::TABLE));
        if suspicious {
            return true;
        }
        if !is(k, Kind::VOID) {
            open.push((name, k));
        }
        // Text directly inside table structure is moved out by the parser.
        if is(k, Kind::TABLE_BODY | Kind::TR)
            && let Some(gt) = rest.find('>')
        {
            let after = &rest[gt + 1..];
            let text = &after[..after.find('<').unwrap_or(after.len())];
            if !text.trim().is_empty() {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn kinds_follow_the_name_lists() {
        let sets: &[(u16, &[&str])] = &[
            (Kind::VOID, VOID),
            (Kind::CLOSES_P, CLOSES_P),
            (Kind::SCOPE, SCOPE),
            (Kind::HEADING, &["h1", "h2", "h3", "h4", "h5", "h6"]),
            (Kind::P, &["p"]),
            (Kind::LI, &["li"]),
            (Kind::DD_DT, &["dd", "dt"]),
            (Kind::OL_UL, &["ol", "ul"]),
            (Kind::DL, &["dl"]),
            (Kind::A, &["a"]),
            (Kind::TABLE, &["table"]),
            (Kind::TABLE_BODY, &["table", "tbody", "thead", "tfoot"]),
            (Kind::TR, &["tr"]),
            (Kind::TD_TH, &["td", "th"]),
            (
                Kind::TABLE_PART,
                &["tr", "td", "th", "tbody", "thead", "tfoot", "caption"],
            ),
            (
                Kind::IN_TABLE_BODY,
                &[
                    "tr", "tbody", "thead", "tfoot", "caption", "colgroup", "col",
                ],
            ),
        ];
        let mut names: Vec<&str> = sets
            .iter()
            .flat_map(|(_, list)| list.iter().copied())
            .collect();
        names.extend(["", "b", "span", "H1", "h7", "tablex", "mrow", "annotation"]);
        for name in names {
            for (bit, list) in sets {
                assert_eq!(
                    kind(name) & bit != 0,
                    list.contains(&name),
                    "{name:?} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn names_end_where_they_always_did() {
        let by_char = |s: &str| {
            s.find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(s.len())
        };
        for s in [
            "p>",
            "h4 class",
            "br/>",
            "td\u{b}x",
            "x\u{a0}y z",
            "é\u{2003}",
            "ab\u{85}c",
            "a\u{200b}b>",
            "abc",
            "",
        ] {
            assert_eq!(name_len(s), by_char(s), "{s:?}");
        }
    }

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
