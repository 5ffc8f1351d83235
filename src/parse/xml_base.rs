//! The `xml:base` in scope for each entry's content, found by a light
//! quick-xml pass over the document.
//!
//! feed-rs resolves links against `xml:base` internally but only exposes the
//! attribute written on `<content>` itself. Relative URLs *inside* the HTML
//! must resolve against the base in scope there, which is often inherited
//! from `<entry>` or `<feed>`; this pass records it per entry, in document
//! order, so the sanitizer can resolve `img/graph.svg` the way the author meant.

use quick_xml::events::{BytesStart, Event};
use url::Url;

/// Per entry/item in document order: the explicit base in scope for its
/// content (`None` where no `xml:base` applies). `None` overall when the
/// document could not be scanned.
pub fn content_bases(text: &str, document_url: &str) -> Option<Vec<Option<String>>> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = false;
    let fallback = Url::parse(document_url).ok();
    // (depth at which it was declared, resolved base)
    let mut stack: Vec<(usize, Url)> = Vec::new();
    let mut depth = 0usize;
    let mut out: Vec<Option<String>> = Vec::new();
    let mut in_entry: Option<usize> = None;
    let mut content_base: Option<Option<String>> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                push_base(&e, depth, &mut stack, fallback.as_ref());
                let name = e.local_name();
                let name = name.as_ref();
                let current = stack.last().map(|(_, u)| u.to_string());
                if in_entry.is_none() && (name == "entry" || name == "item") {
                    in_entry = Some(depth);
                    content_base = None;
                    out.push(current);
                } else if in_entry.is_some()
                    && matches!(name, "content" | "summary" | "description" | "encoded")
                {
                    // Full content wins over a summary for the base too.
                    if content_base.is_none() || name == "content" || name == "encoded" {
                        content_base = Some(current);
                    }
                }
            }
            Ok(Event::Empty(e)) => {
                let name = e.local_name();
                if in_entry.is_none() && matches!(name.as_ref(), "entry" | "item") {
                    out.push(stack.last().map(|(_, u)| u.to_string()));
                }
            }
            Ok(Event::End(_)) => {
                while stack.last().is_some_and(|(d, _)| *d == depth) {
                    stack.pop();
                }
                if in_entry == Some(depth) {
                    in_entry = None;
                    if let (Some(slot), Some(base)) = (out.last_mut(), content_base.take()) {
                        *slot = base;
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::Eof) => return Some(out),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

fn push_base(e: &BytesStart, depth: usize, stack: &mut Vec<(usize, Url)>, fallback: Option<&Url>) {
    let Some(attr) = e
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == "xml:base")
    else {
        return;
    };
    let Ok(value) = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) else {
        return;
    };
    let parent = stack.last().map(|(_, u)| u).or(fallback);
    let resolved = match parent {
        Some(p) => p.join(value.trim()).ok(),
        None => Url::parse(value.trim()).ok(),
    };
    if let Some(url) = resolved {
        stack.push((depth, url));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inherited_and_content_level_bases_are_resolved_per_entry() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/blog/">
            <entry><id>1</id><content type="html">x</content></entry>
            <entry xml:base="posts/"><id>2</id><content type="html" xml:base="two/">x</content></entry>
            <entry><id>3</id><summary>s</summary></entry>
        </feed>"#;
        let bases = content_bases(atom, "https://a.example/atom.xml").expect("scans");
        assert_eq!(
            bases,
            [
                Some("https://a.example/blog/".to_string()),
                Some("https://a.example/blog/posts/two/".to_string()),
                Some("https://a.example/blog/".to_string()),
            ]
        );
    }

    #[test]
    fn documents_without_xml_base_have_no_explicit_base() {
        let rss = "<rss><channel><item><description>x</description></item><item/></channel></rss>";
        assert_eq!(
            content_bases(rss, "https://r.example/feed"),
            Some(vec![None, None])
        );
    }
}
