//! The safety predicate of `../shared/corpus/README.md`, checked on HTML
//! parsed by a real HTML5 parser (html5ever), plus the corpus loaders and feed
//! writers the sanitizer tests share. A page is safe when its body has no
//! script-capable element (iframes only from the allow-list, sandboxed), no
//! `on*` attribute, no URL attribute with a scheme other than http, https or
//! mailto (after entity decoding and stripping whitespace and control
//! characters), no dangerous CSS, and no text that came from inside a
//! `<script>`/`<style>`-like element of the payload.

#![allow(dead_code)]

use std::path::PathBuf;

use html5ever::tendril::TendrilSink;
use html5ever::{QualName, local_name, ns};
use markup5ever_rcdom::{Handle, NodeData, RcDom, SerializableHandle};

/// The default iframe allow-list (planet.yaml says nothing).
pub const IFRAME_HOSTS: &[&str] = &[
    "www.youtube.com",
    "youtube.com",
    "www.youtube-nocookie.com",
    "youtube-nocookie.com",
    "player.vimeo.com",
];

/// `../shared/corpus` beside the project, when it is there.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.join("xss_vectors.visible.txt").is_file() && dir.join("sanitizer_cases.jsonl").is_file()
    {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: {} is absent; the corpus-driven sanitizer tests did not run",
            dir.display()
        );
        None
    }
}

/// Every payload: the XSS vectors, then every sanitizer case input.
pub fn payloads(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let vectors = std::fs::read_to_string(dir.join("xss_vectors.visible.txt")).expect("vectors");
    for (i, line) in vectors.lines().enumerate() {
        if !line.trim().is_empty() {
            out.push((format!("xss#{i}"), line.to_string()));
        }
    }
    let cases = std::fs::read_to_string(dir.join("sanitizer_cases.jsonl")).expect("cases");
    for (i, line) in cases.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: serde_json::Value = serde_json::from_str(line).expect("jsonl line");
        let input = case["input"].as_str().expect("input").to_string();
        let id = case["id"].as_str().unwrap_or("?");
        out.push((format!("case#{i} {id}"), input));
    }
    out
}

pub fn parse_document(html: &str) -> RcDom {
    html5ever::parse_document(RcDom::default(), Default::default()).one(html)
}

pub fn parse_fragment(html: &str) -> RcDom {
    html5ever::parse_fragment(
        RcDom::default(),
        Default::default(),
        QualName::new(None, ns!(html), local_name!("div")),
        vec![],
        false,
    )
    .one(html)
}

/// Children of `node` serialized as HTML.
pub fn inner_html(node: &Handle) -> String {
    let mut out = Vec::new();
    for child in node.children.borrow().iter() {
        let handle: SerializableHandle = child.clone().into();
        let opts = html5ever::serialize::SerializeOpts {
            traversal_scope: html5ever::serialize::TraversalScope::IncludeNode,
            ..Default::default()
        };
        html5ever::serialize(&mut out, &handle, opts).expect("serialize");
    }
    String::from_utf8(out).expect("utf-8")
}

pub fn element_name(node: &Handle) -> Option<String> {
    match &node.data {
        NodeData::Element { name, .. } => Some(name.local.to_string()),
        _ => None,
    }
}

pub fn attr(node: &Handle, wanted: &str) -> Option<String> {
    match &node.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| &*a.name.local == wanted)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

/// Depth-first, document order.
pub fn descendants(root: &Handle) -> Vec<Handle> {
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(node) = stack.pop() {
        out.push(node.clone());
        for child in node.children.borrow().iter().rev() {
            stack.push(child.clone());
        }
    }
    out
}

pub fn text_of(node: &Handle) -> String {
    let mut out = String::new();
    for n in descendants(node) {
        if let NodeData::Text { contents } = &n.data {
            out.push_str(&contents.borrow());
        }
    }
    out
}

/// Text a browser would never show: the contents of script/style-like
/// elements in the payload as parsed (long enough to be recognisable).
pub fn hidden_texts(payload: &str) -> Vec<String> {
    let dom = parse_fragment(payload);
    let mut out = Vec::new();
    for node in descendants(&dom.document) {
        if let Some(name) = element_name(&node)
            && matches!(
                name.as_str(),
                "script"
                    | "style"
                    | "noscript"
                    | "template"
                    | "textarea"
                    | "xmp"
                    | "noembed"
                    | "noframes"
                    | "title"
            )
        {
            let text = text_of(&node);
            let text = text.trim();
            if text.len() >= 8 && text.contains(['(', '{', ':', '<', '=']) {
                out.push(text.to_string());
            }
        }
    }
    out
}

/// The scheme of a URL as a browser sees it, lower-cased; `None` if relative.
fn scheme(url: &str) -> Option<String> {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    let colon = cleaned.find(':')?;
    let candidate = &cleaned[..colon];
    let mut chars = candidate.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then(|| candidate.to_ascii_lowercase())
}

const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "action",
    "formaction",
    "poster",
    "background",
    "xlink:href",
    "srcset",
    "data",
    "cite",
];

/// One attribute of an element: its local and qualified (`xlink:href`)
/// names and its value.
pub struct Attribute {
    pub local: String,
    pub qualified: String,
    pub value: String,
}

impl Attribute {
    /// `onclick`, `ONERROR`, …
    pub fn is_event_handler(&self) -> bool {
        self.local.to_ascii_lowercase().starts_with("on")
    }
}

pub fn attributes(attrs: &std::cell::RefCell<Vec<html5ever::Attribute>>) -> Vec<Attribute> {
    attrs
        .borrow()
        .iter()
        .map(|a| {
            let local = a.name.local.to_string();
            let qualified = match &a.name.prefix {
                Some(p) => format!("{p}:{local}"),
                None => local.clone(),
            };
            Attribute {
                local,
                qualified,
                value: a.value.to_string(),
            }
        })
        .collect()
}

/// The URLs an attribute holds: each candidate of a `srcset`, else the value.
pub fn urls_in<'v>(local: &str, value: &'v str) -> Vec<&'v str> {
    if local == "srcset" {
        value
            .split(',')
            .filter_map(|c| c.split_whitespace().next())
            .collect()
    } else {
        vec![value]
    }
}

/// Every violation of the predicate under `root` (an element whose subtree
/// holds untrusted content), as readable strings.
pub fn violations(root: &Handle) -> Vec<String> {
    let mut found = Vec::new();
    for node in descendants(root) {
        let NodeData::Element { name, attrs, .. } = &node.data else {
            if let NodeData::Text { contents } = &node.data {
                let text = contents.borrow();
                for leak in ["{display:", "@font-face", "{ display:"] {
                    if text.contains(leak) {
                        found.push(format!("leaked CSS text {leak:?}"));
                    }
                }
            }
            continue;
        };
        let tag = name.local.to_string();
        match tag.as_str() {
            "script" | "object" | "embed" | "applet" | "frame" | "frameset" | "base" | "form"
            | "style" | "link" => found.push(format!("element <{tag}>")),
            "meta" if attr(&node, "http-equiv").is_some() => {
                found.push("element <meta http-equiv>".into())
            }
            "iframe" => {
                let src = attr(&node, "src").unwrap_or_default();
                let host_ok = src.starts_with("https://")
                    && IFRAME_HOSTS.iter().any(|h| {
                        src["https://".len()..].split(['/', '?', '#', ':']).next() == Some(h)
                    });
                if !host_ok || attr(&node, "sandbox").is_none() {
                    found.push(format!("iframe off the allow-list or unsandboxed: {src:?}"));
                }
            }
            _ => {}
        }
        for a in attributes(attrs) {
            if a.is_event_handler() {
                found.push(format!("<{tag} {}> event handler", a.qualified));
            }
            let Attribute {
                local,
                qualified,
                value,
            } = a;
            if local == "formaction" {
                found.push(format!("<{tag} formaction>"));
            }
            if URL_ATTRS.contains(&qualified.as_str()) || URL_ATTRS.contains(&local.as_str()) {
                for url in urls_in(&local, &value) {
                    if let Some(s) = scheme(url)
                        && !matches!(s.as_str(), "http" | "https" | "mailto")
                    {
                        found.push(format!("<{tag} {qualified}={value:?}> scheme {s}"));
                    }
                }
            }
            let lower = value.to_ascii_lowercase();
            for css in [
                "expression(",
                "-moz-binding",
                "behavior:",
                "url(javascript:",
            ] {
                if lower.contains(css) && local == "style" {
                    found.push(format!("<{tag} style> with {css}"));
                }
            }
        }
    }
    found
}

/// Violations in a rendered page: the predicate over `<body>`, and a head
/// that holds only the theme's own elements. The theme's own search box
/// (a `form.site-search` in the body's `header.site-header`, where no post
/// goes) is taken out first: forms are otherwise never allowed.
pub fn page_violations(html: &str) -> Vec<String> {
    let dom = parse_document(html);
    for header in descendants(&dom.document) {
        let is_site_header = element_name(&header).as_deref() == Some("header")
            && attr(&header, "class").as_deref() == Some("site-header");
        if is_site_header {
            for inner in header.children.borrow().iter() {
                inner.children.borrow_mut().retain(|el| {
                    !(element_name(el).as_deref() == Some("form")
                        && attr(el, "class").as_deref() == Some("site-search"))
                });
            }
        }
    }
    let mut found = Vec::new();
    for node in descendants(&dom.document) {
        match element_name(&node).as_deref() {
            Some("body") => found.extend(violations(&node)),
            Some("head") => {
                for el in descendants(&node) {
                    match element_name(&el).as_deref() {
                        Some("script" | "base" | "style" | "iframe") => {
                            found.push("scriptable element in <head>".into())
                        }
                        Some("meta")
                            if attr(&el, "http-equiv").is_some_and(|v| {
                                !v.eq_ignore_ascii_case("Content-Security-Policy")
                            }) =>
                        {
                            found.push("foreign <meta http-equiv> in <head>".into())
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Replaces XML-illegal characters (a feed cannot carry them).
pub fn xml_safe(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => '\u{fffd}',
            c => c,
        })
        .collect()
}

pub fn xml_escape(s: &str) -> String {
    xml_safe(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An Atom feed whose entries carry the payloads as escaped `type="html"`.
pub fn atom_feed(items: &[(String, String)], base: &str) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Atom payloads</title><id>{base}</id><link href=\"{base}\"/><updated>2025-06-01T00:00:00Z</updated>\n"
    );
    for (i, (title, payload)) in items.iter().enumerate() {
        out.push_str(&format!(
            "<entry><title>{}</title><id>{base}e{i}</id><link href=\"{base}e{i}\"/><updated>2025-06-01T00:{:02}:{:02}Z</updated><content type=\"html\">{}</content></entry>\n",
            xml_escape(title),
            (i / 60) % 60,
            i % 60,
            xml_escape(payload)
        ));
    }
    out.push_str("</feed>\n");
    out
}

/// An RSS 2.0 feed whose items carry the payloads in CDATA descriptions.
pub fn rss_feed(items: &[(String, String)], base: &str) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>RSS payloads</title><link>{base}</link><description>d</description>\n"
    );
    for (i, (title, payload)) in items.iter().enumerate() {
        let cdata = xml_safe(payload).replace("]]>", "]]]]><![CDATA[>");
        out.push_str(&format!(
            "<item><title>{}</title><guid>{base}i{i}</guid><link>{base}i{i}</link><pubDate>Sun, 01 Jun 2025 01:{:02}:{:02} GMT</pubDate><description><![CDATA[{cdata}]]></description></item>\n",
            xml_escape(title),
            (i / 60) % 60,
            i % 60,
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

/// A JSON Feed 1.1 whose items carry the payloads as `content_html`.
pub fn json_feed(items: &[(String, String)], base: &str) -> String {
    let entries: Vec<serde_json::Value> = items
        .iter()
        .enumerate()
        .map(|(i, (title, payload))| {
            serde_json::json!({
                "id": format!("{base}j{i}"),
                "url": format!("{base}j{i}"),
                "title": title,
                "date_published": format!("2025-06-01T02:{:02}:{:02}Z", (i / 60) % 60, i % 60),
                "content_html": payload,
            })
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON payloads",
        "home_page_url": base,
        "items": entries,
    })
    .to_string()
}

/// A planet built by the real binary from every payload in three feed
/// forms: where its pages are and what went in.
pub struct PayloadPlanet {
    pub dir: tempfile::TempDir,
    pub payloads: Vec<(String, String)>,
    /// Rendered HTML pages, page 1 first.
    pub pages: Vec<PathBuf>,
    pub stderr: String,
}

pub const NOW: &str = "2025-06-30T12:00:00Z";
pub const FEED_BASE: &str = "https://payload.example/blog/";

/// Writes the payload feeds (Atom escaped, RSS CDATA, JSON Feed
/// `content_html`, 100 payloads a feed) and builds them with the binary.
pub fn build_payload_planet(corpus: &std::path::Path) -> PayloadPlanet {
    let payloads = payloads(corpus);
    let dir = tempfile::tempdir().expect("tempdir");
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).expect("feeds dir");
    let mut config = String::from(
        "title: Payload planet\nbase_url: https://planet.test/\nlang: en\nsearch: true\nentries_per_page: 500\nfeed_entries: 10000\nfeeds:\n",
    );
    for (n, chunk) in payloads.chunks(100).enumerate() {
        for form in ["atom", "rss", "json"] {
            let items: Vec<(String, String)> = chunk
                .iter()
                .map(|(id, p)| (format!("{id} {form}"), p.clone()))
                .collect();
            // Distinct links and ids for every entry: the timeline dedupes.
            let base = format!("{FEED_BASE}{n:02}/");
            let (text, ext) = match form {
                "atom" => (atom_feed(&items, &base), "xml"),
                "rss" => (rss_feed(&items, &base), "xml"),
                _ => (json_feed(&items, &base), "json"),
            };
            let name = format!("{form}-{n:02}.{ext}");
            std::fs::write(feeds.join(&name), text).expect("write feed");
            config.push_str(&format!("  - url: feeds/{name}\n"));
        }
    }
    std::fs::write(dir.path().join("planet.yaml"), config).expect("planet.yaml");
    let out = assert_cmd::Command::cargo_bin("planetoid")
        .expect("binary")
        .current_dir(dir.path())
        .args(["build", "--now", NOW])
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .expect("planetoid runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "build failed:\n{stderr}");
    let site = dir.path().join("output");
    let mut pages = vec![site.join("index.html")];
    let mut n = 2;
    while site.join(format!("page/{n}/index.html")).is_file() {
        pages.push(site.join(format!("page/{n}/index.html")));
        n += 1;
    }
    PayloadPlanet {
        dir,
        payloads,
        pages,
        stderr,
    }
}
