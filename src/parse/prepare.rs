//! Text-level normalisation before feed-rs sees a document: the root
//! element and its start tag, `<rss>` versions and namespaces, RSS 0.90,
//! Atom flavours (0.3, unqualified), stray XML declarations and `xml:base`
//! values that are no web base, plus the RSS 1.0 `rdf:about` → `<link>`
//! retry. Everything here works on `&str`
//! and returns borrowed text when there is nothing to change.

use std::borrow::Cow;

use super::atom;

/// Drops every `<?xml …?>` declaration (outside CDATA and comments). The
/// text is UTF-8 already, so they say nothing true any more, and a second
/// declaration later in the document (concatenated feeds, garbage after the
/// root) makes quick-xml panic inside feed-rs.
pub(super) fn without_declarations(text: &str) -> Cow<'_, str> {
    // The usual case, one leading declaration, costs a slice, not a copy.
    let text = match text.strip_prefix("<?xml") {
        Some(rest) if rest.starts_with(|c: char| c.is_whitespace() || c == '?') => {
            rest.find("?>").map_or(text, |end| &rest[end + 2..])
        }
        _ => text,
    };
    if !text.contains("<?xml") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('<') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        let verbatim = [("<![CDATA[", "]]>"), ("<!--", "-->")]
            .iter()
            .find(|(open, _)| rest.starts_with(open));
        if let Some((open, close)) = verbatim {
            let len = rest[open.len()..]
                .find(close)
                .map_or(rest.len(), |end| open.len() + end + close.len());
            out.push_str(&rest[..len]);
            rest = &rest[len..];
        } else if rest.starts_with("<?") {
            let len = rest.find("?>").map_or(rest.len(), |end| end + 2);
            let is_declaration = rest[2..].starts_with("xml")
                && rest[5..].starts_with(|c: char| c.is_whitespace() || c == '?');
            if !is_declaration {
                out.push_str(&rest[..len]);
            }
            rest = &rest[len..];
        } else {
            out.push('<');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out.into()
}

/// Normalises what feed-rs would refuse or misread but a person would not:
/// `<rss>` versions, and Atom that is not in the Atom 1.0 namespace.
pub(super) fn prepare<'t>(text: &'t str, root: &str) -> Cow<'t, str> {
    let normalised = normalise_root(text, root);
    match without_bad_bases(&normalised) {
        Some(fixed) => fixed.into(),
        None => normalised,
    }
}

/// Drops every `xml:base` attribute whose value is no base for a web
/// address (`javascript:`, `data:`, `https://` without a host…): feed-rs
/// refuses the whole document over one it cannot parse, and one it can
/// would make every relative link below it junk. Links below a dropped
/// base resolve against the enclosing one, as if it were absent. `None`
/// when there is nothing to drop.
fn without_bad_bases(text: &str) -> Option<String> {
    const NAME: &str = "xml:base";
    if !text.contains(NAME) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(NAME) {
        let after = &rest[at + NAME.len()..];
        let value = after.trim_start().strip_prefix('=').map(str::trim_start);
        let quoted = value.and_then(|v| {
            let quote = v.chars().next().filter(|q| matches!(q, '"' | '\''))?;
            let end = v[1..].find(quote)?;
            Some((&v[1..end + 1], after.len() - v.len() + end + 2))
        });
        let preceded_by_space = rest[..at].ends_with(char::is_whitespace);
        match quoted {
            Some((raw, len)) if preceded_by_space && !is_web_base(raw) => {
                out.push_str(&rest[..at]);
                rest = &after[len..];
                changed = true;
            }
            _ => {
                out.push_str(&rest[..at + NAME.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// A relative reference, or an absolute http(s) URL with a host.
fn is_web_base(raw: &str) -> bool {
    let value = quick_xml::escape::unescape(raw).unwrap_or(Cow::Borrowed(raw));
    match url::Url::parse(value.trim()) {
        Ok(url) => {
            matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some_and(|h| !h.is_empty())
        }
        Err(url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
    }
}

fn normalise_root<'t>(text: &'t str, root: &str) -> Cow<'t, str> {
    match root {
        "rss" => normalise_rss_version(text),
        "RDF" => normalise_rss090(text),
        "feed" => match atom_flavour(text) {
            // Atom 1.0 has no `mode`, but 0.3 habits (base64) live on in it.
            AtomFlavour::Atom10 if text.contains(" mode=") => {
                atom::to_atom10(text, false).map_or(text.into(), Into::into)
            }
            AtomFlavour::Atom10 => text.into(),
            flavour => atom::to_atom10(text, flavour == AtomFlavour::Atom03)
                .map_or(text.into(), Into::into),
        },
        _ => text.into(),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum AtomFlavour {
    Atom10,
    Atom03,
    /// No or an unknown namespace: read as Atom 1.0 names.
    Unqualified,
}

fn atom_flavour(text: &str) -> AtomFlavour {
    let Some(tag) = root_tag(text) else {
        return AtomFlavour::Unqualified;
    };
    let version = attribute(tag, "version");
    let has = |ns: &str| tag.contains(&format!("\"{ns}\"")) || tag.contains(&format!("'{ns}'"));
    if has("http://purl.org/atom/ns#") || version.is_some_and(|v| v.starts_with("0.")) {
        AtomFlavour::Atom03
    } else if attribute(tag, "xmlns").as_deref() == Some(atom::ATOM10_NS)
        || (root_name(text).is_some_and(|n| n.contains(':')) && has(atom::ATOM10_NS))
    {
        AtomFlavour::Atom10
    } else {
        AtomFlavour::Unqualified
    }
}

/// The RSS 1.1 namespace (`<Channel xmlns="http://purl.org/net/rss1.1#">`).
const RSS11_NS: &str = "http://purl.org/net/rss1.1#";

/// RSS 1.1 as the RSS 1.0 it simplifies: the `<Channel>` root becomes
/// `<rdf:RDF><channel>`, its `<items>` list closes the channel and its
/// `<item>`s stand beside it, as in RSS 1.0. `None` when `text` is not
/// RSS 1.1.
pub(super) fn rss11_as_rss10(text: &str) -> Option<String> {
    let tag = root_tag(text)?;
    if root_name(text) != Some("Channel") || attribute(tag, "xmlns").as_deref() != Some(RSS11_NS) {
        return None;
    }
    let start = text.find(tag)?;
    let after_tag = start + tag.len() + 1;
    let mut attributes = tag["<Channel".len()..].trim_end_matches('/').to_string();
    for quote in ['"', '\''] {
        attributes = attributes.replace(
            &format!("xmlns={quote}{RSS11_NS}{quote}"),
            "xmlns=\"http://purl.org/rss/1.0/\"",
        );
    }
    if attribute(tag, "xmlns:rdf").is_none() {
        attributes.push_str(" xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"");
    }
    let body = text.get(after_tag..)?;
    let end = body.rfind("</Channel>").unwrap_or(body.len());
    let (inner, rest) = (
        &body[..end],
        body.get(end + "</Channel>".len()..).unwrap_or(""),
    );
    let items = find_start_tag(inner, "items");
    let inner = match items {
        Some(at) => {
            let close = at + inner[at..].find('>')? + 1;
            let self_closing = inner[..close].ends_with("/>");
            let list = inner[close..].replacen("</items>", "", usize::from(!self_closing));
            format!("{}</channel>{list}", &inner[..at])
        }
        None => format!("{inner}</channel>"),
    };
    Some(format!(
        "{}<rdf:RDF{attributes}><channel>{inner}</rdf:RDF>{rest}",
        &text[..start]
    ))
}

/// Byte offset of the first `<name` start tag (not `<names…`).
fn find_start_tag(text: &str, name: &str) -> Option<usize> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(pos) = text[from..].find(&open) {
        let at = from + pos;
        let next = text[at + open.len()..].chars().next();
        if matches!(next, Some(c) if c.is_whitespace() || c == '>' || c == '/') {
            return Some(at);
        }
        from = at + open.len();
    }
    None
}

/// Adds `<link>` (from `rdf:about`) to RSS 1.0 items that have none.
pub(super) fn rdf_links_from_about(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest = text;
    let mut changed = false;
    while let Some(pos) = rest.find("<item") {
        let after = &rest[pos + 5..];
        if !after.starts_with(|c: char| c.is_whitespace() || c == '>') {
            out.push_str(&rest[..pos + 5]);
            rest = after;
            continue;
        }
        let tag_end = pos + rest[pos..].find('>')? + 1;
        let body_end = rest[tag_end..]
            .find("</item>")
            .map_or(rest.len(), |e| tag_end + e);
        out.push_str(&rest[..tag_end]);
        let tag = &rest[pos..tag_end];
        if !rest[tag_end..body_end].contains("<link")
            && let Some(about) = attribute(tag, "rdf:about")
        {
            out.push_str(&format!("<link>{about}</link>"));
            changed = true;
        }
        rest = &rest[tag_end..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// The local name of the first element, skipping the prolog, comments,
/// doctype and processing instructions.
pub(super) fn root_element(text: &str) -> Option<String> {
    let name = root_name(text)?;
    let local = name.rsplit(':').next().unwrap_or(name);
    Some(local.to_string()).filter(|n| !n.is_empty())
}

/// The qualified name of the first element (`rss`, `rdf:RDF`).
pub(super) fn root_name(text: &str) -> Option<&str> {
    let tag = root_tag(text)?;
    let name = &tag[1..];
    let end = name
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(name.len());
    Some(&name[..end]).filter(|n| !n.is_empty())
}

/// The first element's start tag, from `<` up to (not including) `>`.
fn root_tag(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        let start = rest.find('<')?;
        rest = &rest[start..];
        if rest.starts_with("<?") {
            rest = &rest[rest.find("?>")? + 2..];
        } else if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            rest = &rest[skip_doctype(rest)?..];
        } else {
            let end = rest.find('>').unwrap_or(rest.len());
            return Some(&rest[..end]);
        }
    }
}

/// Length of a `<!DOCTYPE … [ internal subset ]>` declaration.
fn skip_doctype(decl: &str) -> Option<usize> {
    match (decl.find('['), decl.find('>')) {
        (Some(open), Some(gt)) if open < gt => {
            let close = decl[open..].find("]")? + open;
            Some(close + decl[close..].find('>')? + 1)
        }
        (_, gt) => Some(gt? + 1),
    }
}

pub(super) fn is_feed_root(name: &str) -> bool {
    matches!(name, "rss" | "feed" | "RDF" | "entry" | "channel")
}

/// feed-rs refuses `<rss>` unless `version` is exactly "2.0", "0.91" or
/// "0.92"; real feeds say nothing, "2.00", "0.94"… Rewrite the attribute.
/// A default namespace on `<rss>` (UserLand's "rss2") hides every element
/// from feed-rs, so it is dropped: RSS 2.0 has no namespace.
fn normalise_rss_version(text: &str) -> Cow<'_, str> {
    let Some(start) = find_rss_tag(text) else {
        return text.into();
    };
    let Some(len) = text[start..].find('>') else {
        return text.into();
    };
    let tag = &text[start..start + len];
    let version = attribute(tag, "version");
    let default_ns = attribute(tag, "xmlns");
    let wanted = match version.as_deref() {
        Some("2.0" | "0.91" | "0.92") if default_ns.is_none() => return text.into(),
        Some(v @ ("2.0" | "0.91" | "0.92")) => v.to_string(),
        Some(v) if v.starts_with("0.9") => "0.92".to_string(),
        _ => "2.0".to_string(),
    };
    let mut new_tag = match version {
        Some(_) => replace_attribute(tag, "version", &wanted),
        None => format!("<rss version=\"{wanted}\"{}", &tag[4..]),
    };
    if let Some(ns) = default_ns {
        for quote in ['"', '\''] {
            new_tag = new_tag.replace(&format!("xmlns={quote}{ns}{quote}"), "");
        }
    }
    format!("{}{}{}", &text[..start], new_tag, &text[start + len..]).into()
}

/// RSS 0.90 (`my.netscape.com` namespace) is RSS 1.0 in all but name for
/// what planetoid reads; feed-rs only knows the RSS 1.0 namespace.
fn normalise_rss090(text: &str) -> Cow<'_, str> {
    const RSS090: &str = "http://my.netscape.com/rdf/simple/0.9/";
    match root_tag(text) {
        Some(tag) if tag.contains(RSS090) => {
            text.replacen(RSS090, "http://purl.org/rss/1.0/", 1).into()
        }
        _ => text.into(),
    }
}

fn find_rss_tag(text: &str) -> Option<usize> {
    find_start_tag(text, "rss")
}

/// The value of `name="…"`, `name='…'` or `name=bare` inside one start
/// tag's text, trimmed; the name matches regardless of case. Serves both the
/// XML fixes here and the HTML `<link>` scan of `discover`.
pub(crate) fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(&name) {
        let at = from + pos;
        from = at + name.len();
        if !lower[..at].ends_with(char::is_whitespace) {
            continue;
        }
        let Some(value) = tag[at + name.len()..].trim_start().strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start();
        return match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().map(|v| v.trim().to_string()),
            Some(_) => value.split(char::is_whitespace).next().map(str::to_string),
            None => None,
        };
    }
    None
}

fn replace_attribute(tag: &str, name: &str, value: &str) -> String {
    let Some(old) = attribute(tag, name) else {
        return tag.to_string();
    };
    for quote in ['"', '\''] {
        for spacing in ["=", " = ", "= ", " ="] {
            let needle = format!("{name}{spacing}{quote}{old}{quote}");
            if tag.contains(&needle) {
                return tag.replacen(&needle, &format!("{name}=\"{value}\""), 1);
            }
        }
    }
    tag.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_xml_bases_are_dropped_and_web_ones_kept() {
        let text = "<feed xml:base=\"https://a.example/\"><entry xml:base='https://'>\
            <link xml:base=\"java&#9;script:x\" href=\"p\"/><id xml:base=\"posts/\">i</id>\
            <content>xml:base=\"javascript:\" in text</content></entry></feed>";
        assert_eq!(
            without_bad_bases(text).as_deref(),
            Some(
                "<feed xml:base=\"https://a.example/\"><entry >\
            <link  href=\"p\"/><id xml:base=\"posts/\">i</id>\
            <content>xml:base=\"javascript:\" in text</content></entry></feed>"
            )
        );
        assert_eq!(without_bad_bases("<feed xml:base=\"/blog/\"/>"), None);
        assert_eq!(without_bad_bases("<rss/>"), None);
    }
}
