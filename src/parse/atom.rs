//! Atom 0.3 (and Atom with odd text constructs) rewritten as Atom 1.0.
//!
//! feed-rs only knows the Atom 1.0 namespace and returns an empty feed for
//! Atom 0.3, which many old blogs still serve. [`to_atom10`] rewrites the
//! document in one quick-xml pass, copying everything it does not need to
//! touch byte for byte: the namespace becomes Atom 1.0; `issued` becomes
//! `published`, `modified` `updated`, `tagline` `subtitle`, `copyright`
//! `rights`, an author's `url` its `uri`; and text constructs lose their 0.3
//! content modes (`escaped`, inline `xml`, `base64`) and MIME types in favour
//! of Atom 1.0's `text` / `html` / `xhtml`. Empty text constructs are dropped
//! (feed-rs rejects the whole feed over one empty `<content/>`). The same
//! pass repairs Atom 1.0 feeds that feed-rs refused for those reasons.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

pub const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";
const ATOM03_NS: &str = "http://purl.org/atom/ns#";

/// Rewrites an Atom document as Atom 1.0; `None` if it is not well-formed
/// enough to walk. `is03` selects Atom 0.3 element names and default modes.
pub fn to_atom10(text: &str, is03: bool) -> Option<String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut atom_prefixes: Vec<String> = Vec::new();
    let mut depth = 0usize;
    // Atom 0.3 allows several <content> (alternatives): keep the first.
    let mut seen_content = false;
    loop {
        let start = usize::try_from(reader.buffer_position()).ok()?;
        let event = reader.read_event().ok()?;
        let end = usize::try_from(reader.buffer_position()).ok()?;
        let raw = text.get(start..end)?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let is_empty = raw.ends_with("/>");
                for attr in e.attributes().with_checks(false).flatten() {
                    let key = attr.key.as_ref().to_string();
                    let value = attr.value.to_string();
                    if let Some(prefix) = key.strip_prefix("xmlns:")
                        && (value == ATOM03_NS || value == ATOM10_NS)
                    {
                        atom_prefixes.push(prefix.to_string());
                    }
                }
                let qname = e.name().as_ref().to_string();
                let (prefix, local) = split_qname(&qname);
                let atom = prefix.is_none_or(|p| atom_prefixes.iter().any(|a| a == p));
                let root = depth == 0;
                if !is_empty {
                    depth += 1;
                }
                if !atom {
                    out.push_str(raw);
                    continue;
                }
                let new_local = if is03 { rename(local) } else { local };
                if new_local == "entry" {
                    seen_content = false;
                }
                if is03 && new_local == "content" && seen_content {
                    if !is_empty {
                        depth -= 1;
                        reader.read_to_end(e.name()).ok()?;
                    }
                    continue;
                }
                seen_content |= new_local == "content";
                if is_text_construct(new_local) {
                    let body = if is_empty {
                        Some(String::new())
                    } else {
                        depth -= 1;
                        let span = reader.read_to_end(e.name()).ok()?;
                        let from = usize::try_from(span.start).ok()?;
                        let to = usize::try_from(span.end).ok()?;
                        Some(text.get(from..to)?.to_string())
                    };
                    let body = body.unwrap_or_default();
                    if let Some(element) = text_construct(&e, prefix, new_local, &body, is03) {
                        out.push_str(&element);
                    } else if !is_empty {
                        // Not ours to change (inline XHTML in Atom 1.0): as it was.
                        let after = usize::try_from(reader.buffer_position()).ok()?;
                        out.push_str(text.get(start..after)?);
                    } else {
                        out.push_str(raw);
                    }
                    continue;
                }
                if root || new_local != local {
                    out.push_str(&start_tag(&e, prefix, new_local, root, &[], is_empty));
                } else {
                    out.push_str(raw);
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                let qname = e.name().as_ref().to_string();
                let (prefix, local) = split_qname(&qname);
                let atom = prefix.is_none_or(|p| atom_prefixes.iter().any(|a| a == p));
                let new_local = if is03 && atom { rename(local) } else { local };
                if new_local != local {
                    out.push_str(&format!("</{}>", join_qname(prefix, new_local)));
                } else {
                    out.push_str(raw);
                }
            }
            Event::Eof => break,
            _ => out.push_str(raw),
        }
    }
    Some(out)
}

fn split_qname(qname: &str) -> (Option<&str>, &str) {
    match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    }
}

fn join_qname(prefix: Option<&str>, local: &str) -> String {
    match prefix {
        Some(p) => format!("{p}:{local}"),
        None => local.to_string(),
    }
}

/// Atom 0.3 element names → Atom 1.0.
fn rename(local: &str) -> &str {
    match local {
        "issued" => "published",
        "modified" => "updated",
        "tagline" => "subtitle",
        "copyright" => "rights",
        "url" => "uri",
        other => other,
    }
}

fn is_text_construct(local: &str) -> bool {
    matches!(
        local,
        "title" | "subtitle" | "summary" | "content" | "rights"
    )
}

/// A start tag with the namespace fixed (on the root), the given attributes
/// dropped or replaced, and `extra` attributes appended.
fn start_tag(
    e: &BytesStart,
    prefix: Option<&str>,
    local: &str,
    root: bool,
    extra: &[(&str, &str)],
    empty: bool,
) -> String {
    let mut tag = format!("<{}", join_qname(prefix, local));
    let mut has_default_ns = false;
    for attr in e.attributes().with_checks(false).flatten() {
        let key = attr.key.as_ref().to_string();
        if extra.iter().any(|(k, _)| *k == key) || key == "mode" {
            continue;
        }
        let mut value = attr.value.to_string().replace('"', "&quot;");
        if key == "xmlns" {
            has_default_ns = true;
            if root && prefix.is_none() || value == ATOM03_NS {
                value = ATOM10_NS.to_string();
            }
        } else if key.starts_with("xmlns:") && value == ATOM03_NS {
            value = ATOM10_NS.to_string();
        }
        tag.push_str(&format!(" {key}=\"{value}\""));
    }
    if root && prefix.is_none() && !has_default_ns {
        tag.push_str(&format!(" xmlns=\"{ATOM10_NS}\""));
    }
    for (k, v) in extra {
        tag.push_str(&format!(" {k}=\"{v}\""));
    }
    tag.push_str(if empty { "/>" } else { ">" });
    tag
}

/// Rewrites one text construct; `None` to leave it exactly as written.
fn text_construct(
    e: &BytesStart,
    prefix: Option<&str>,
    local: &str,
    body: &str,
    is03: bool,
) -> Option<String> {
    let attr = |name: &str| {
        e.attributes()
            .with_checks(false)
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .map(|a| a.value.trim().to_ascii_lowercase())
    };
    let declared = attr("type");
    let mode = attr("mode").or_else(|| is03.then(|| "xml".to_string()));
    if attr("src").is_some() {
        let ty = declared.unwrap_or_else(|| "text/html".into());
        return Some(start_tag(e, prefix, local, false, &[("type", &ty)], true));
    }
    let kind = match declared.as_deref() {
        None | Some("text" | "text/plain") => "text",
        Some("html" | "text/html") => "html",
        Some("xhtml" | "application/xhtml+xml") => "xhtml",
        // Atom 1.0: any other non-text, non-XML type is base64 (RFC 4287 §4.1.3.3).
        Some(t) if !is03 && t.contains('/') && !t.starts_with("text/") && !t.ends_with("xml") => {
            "base64"
        }
        Some(_) if local == "content" && !is03 => return None,
        Some(_) => "text",
    };
    let mode = if kind == "base64" {
        Some("base64".to_string())
    } else {
        mode
    };
    let kind = if kind == "base64" { "html" } else { kind };
    let has_markup = body.contains('<') && !body.trim_start().starts_with("<![CDATA[");
    let (kind, body) = match mode.as_deref() {
        Some("base64") => {
            let raw = quick_xml::escape::unescape(body).ok()?;
            // Not base64 of UTF-8 text (`<title type="application/x-custom">
            // test</title>`): the text as written, never U+FFFD for bytes.
            match base64_decode(&raw).and_then(|bytes| String::from_utf8(bytes).ok()) {
                Some(decoded) => (
                    if kind == "text" { "text" } else { "html" },
                    escape(&decoded),
                ),
                None => ("text", body.to_string()),
            }
        }
        Some("escaped") => (
            if kind == "xhtml" { "html" } else { kind },
            body.to_string(),
        ),
        _ if has_markup => {
            if declared.as_deref() == Some("xhtml") && !is03 {
                return None;
            }
            ("html", escape(body))
        }
        _ if kind == "xhtml" => ("text", body.to_string()),
        _ if !is03 && declared.as_deref().is_none_or(|d| d == kind) && !body.trim().is_empty() => {
            return None;
        }
        _ => (kind, body.to_string()),
    };
    if body.trim().is_empty() {
        return Some(String::new());
    }
    let open = start_tag(e, prefix, local, false, &[("type", kind)], false);
    Some(format!("{open}{body}</{}>", join_qname(prefix, local)))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Standard base64 (whitespace ignored); `None` on anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom03_elements_namespace_and_modes_become_atom10() {
        let old = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title mode="escaped" type="text/html">A &amp;amp; B</title>
<modified>2004-01-01T00:00:00Z</modified><entry><issued>2003-12-31T10:00:00Z</issued>
<author><name>N</name><url>http://n.example/</url></author>
<content type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi &amp; bye</p></div></content>
<summary type="text/plain" mode="base64">PGI+YjwvYj4=</summary><title></title></entry></feed>"#;
        let new = to_atom10(old, true).expect("walks");
        assert!(new.starts_with(
            r#"<feed version="0.3" xmlns="http://www.w3.org/2005/Atom"><title type="html">A &amp;amp; B</title>"#
        ), "{new}");
        assert!(
            new.contains("<updated>2004-01-01T00:00:00Z</updated>"),
            "{new}"
        );
        assert!(
            new.contains("<published>2003-12-31T10:00:00Z</published>"),
            "{new}"
        );
        assert!(new.contains("<uri>http://n.example/</uri>"), "{new}");
        assert!(new.contains(r#"<content type="html">&lt;div xmlns="http://www.w3.org/1999/xhtml"&gt;&lt;p&gt;Hi &amp;amp; bye&lt;/p&gt;&lt;/div&gt;</content>"#), "{new}");
        assert!(
            new.contains(r#"<summary type="text">&lt;b&gt;b&lt;/b&gt;</summary>"#),
            "{new}"
        );
        assert!(!new.contains("<title></title>"), "{new}");
    }

    #[test]
    fn atom10_binary_types_are_base64_but_an_empty_type_is_text() {
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="">evil</title><content type="application/octet-stream">PGI+YjwvYj4=</content></entry></feed>"#;
        let new = to_atom10(doc, false).expect("walks");
        assert!(new.contains(r#"<title type="text">evil</title>"#), "{new}");
        assert!(
            new.contains(r#"<content type="html">&lt;b&gt;b&lt;/b&gt;</content>"#),
            "{new}"
        );
    }

    #[test]
    fn atom10_is_copied_unless_a_text_construct_is_odd() {
        let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">x</title><entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a</div></content><summary type="text/plain">s</summary><content/></entry></feed>"#;
        let new = to_atom10(doc, false).expect("walks");
        assert_eq!(
            new,
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">x</title><entry><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">a</div></content><summary type="text">s</summary></entry></feed>"#
        );
    }
}
