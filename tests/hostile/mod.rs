//! The hostile-metadata planet and the URL checks run on what it publishes.
//!
//! The fixture is generated, not hand-written, so every URL-valued field of
//! RSS 2.0, Atom and JSON Feed holds every variant in [`VARIANTS`]: one feed
//! per variant and format, whose feed-level fields all hold the variant and
//! which has one entry per entry-level field. It is served by the test's own
//! HTTP server and built through the CLI. The checks then read every page
//! (html5ever) and every published feed (quick-xml, serde_json) and list each
//! URL that is not absolute `http(s)` (or `mailto:` on a page), each relative
//! link that does not lead to a file of the site itself, and each `on*`
//! attribute.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use markup5ever_rcdom::NodeData;

use crate::common::{Response, TestServer, planetoid, snapshot, stderr, write_config};
use crate::safety::{attr, attributes, descendants, parse_document, urls_in};

pub const NOW: &str = "2025-07-01T00:00:00Z";

/// One hostile (or merely odd) URL: its name, its text inside XML (already
/// escaped, so entity tricks stay tricks) and its value as a JSON string.
pub struct Variant {
    pub name: &'static str,
    pub xml: &'static str,
    pub json: &'static str,
}

pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "javascript",
        xml: "javascript:alert(document.domain)",
        json: "javascript:alert(document.domain)",
    },
    Variant {
        name: "mixed-case",
        xml: "JaVaScRiPt:alert(1)",
        json: "JaVaScRiPt:alert(1)",
    },
    Variant {
        name: "leading-controls",
        xml: "&#13;&#10;&#9;  javascript:alert(1)",
        json: "\u{1}\u{8}\u{1f} javascript:alert(1)",
    },
    Variant {
        name: "tab-in-scheme",
        xml: "java&#9;script:alert(1)",
        json: "java\tscript:alert(1)",
    },
    Variant {
        name: "newline-in-scheme",
        xml: "java&#10;scr&#13;ipt:alert(1)",
        json: "java\nscr\ript:alert(1)",
    },
    Variant {
        name: "entity-scheme",
        xml: "&#106;avascript&#x3A;alert(1)",
        json: "\u{6a}avascript\u{3a}alert(1)",
    },
    Variant {
        name: "double-entity",
        xml: "&amp;#106;avascript&amp;colon;alert(1)",
        json: "&#106;avascript&colon;alert(1)",
    },
    Variant {
        name: "data-html",
        xml: "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        json: "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    },
    Variant {
        name: "vbscript",
        xml: "vbscript:msgbox(1)",
        json: "vbscript:msgbox(1)",
    },
    Variant {
        name: "javascript-slashes",
        xml: "javascript://%0Aalert(1)",
        json: "javascript://%0Aalert(1)",
    },
    Variant {
        name: "breakout-double",
        xml: "https://ok.example/a&quot; onmouseover=&quot;alert(1)",
        json: "https://ok.example/a\" onmouseover=\"alert(1)",
    },
    Variant {
        name: "breakout-single",
        xml: "https://ok.example/b' onmouseover='alert(1)'&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
        json: "https://ok.example/b' onmouseover='alert(1)'><script>alert(1)</script>",
    },
    Variant {
        name: "relative-path",
        xml: "/2025/post",
        json: "/2025/post",
    },
    Variant {
        name: "relative-file",
        xml: "post.html?x=1#y",
        json: "post.html?x=1#y",
    },
    Variant {
        name: "protocol-relative",
        xml: "//evil.example/x",
        json: "//evil.example/x",
    },
    Variant {
        name: "garbage",
        xml: "not a url at all",
        json: "not a url at all",
    },
    Variant {
        name: "file",
        xml: "file:///etc/passwd",
        json: "file:///etc/passwd",
    },
    Variant {
        name: "ftp",
        xml: "ftp://ftp.example/file.mp3",
        json: "ftp://ftp.example/file.mp3",
    },
    Variant {
        name: "mailto",
        xml: "mailto:someone@example.org",
        json: "mailto:someone@example.org",
    },
    Variant {
        name: "idn",
        xml: "https://пример.испытание/путь?q=ё",
        json: "https://пример.испытание/путь?q=ё",
    },
    Variant {
        name: "whitespace",
        xml: "   https://ok.example/spaced   ",
        json: "   https://ok.example/spaced   ",
    },
    Variant {
        name: "empty-host",
        xml: "https://",
        json: "https://",
    },
];

/// Entry-level fields of each format (one entry per field and variant).
pub const RSS_FIELDS: &[&str] = &[
    "link",
    "guid",
    "comments",
    "enclosure",
    "source",
    "origLink",
    "atom:link",
    "media:content",
    "itunes:image",
];
pub const ATOM_FIELDS: &[&str] = &[
    "link",
    "link-enclosure",
    "link-related",
    "author-uri",
    "content-src",
    "xml:base",
];
pub const JSON_FIELDS: &[&str] = &[
    "url",
    "external_url",
    "image",
    "banner_image",
    "attachments",
    "author-url",
    "author-avatar",
];

/// The three documents for variant `v` (served at `/<format>-<n>.<ext>`).
pub fn documents(n: usize, v: &Variant) -> [(String, String, &'static str); 3] {
    [
        (format!("/rss-{n}.xml"), rss(n, v), "application/rss+xml"),
        (format!("/atom-{n}.xml"), atom(n, v), "application/atom+xml"),
        (
            format!("/json-{n}.json"),
            json(n, v),
            "application/feed+json",
        ),
    ]
}

fn date(n: usize, field: usize) -> String {
    format!("2025-06-{:02}T{:02}:{:02}:00Z", 1 + n % 28, field, n % 60)
}

fn rss(n: usize, v: &Variant) -> String {
    let u = v.xml;
    let mut items = String::new();
    for (i, field) in RSS_FIELDS.iter().enumerate() {
        let id = format!("<guid isPermaLink=\"false\">urn:rss:{n}:{i}</guid>");
        let inner = match *field {
            "link" => format!("{id}<link>{u}</link>"),
            "guid" => format!("<guid>{u}</guid>"),
            "comments" => format!("{id}<comments>{u}</comments>"),
            "enclosure" => {
                format!("{id}<enclosure url=\"{u}\" length=\"10\" type=\"audio/mpeg\"/>")
            }
            "source" => format!("{id}<source url=\"{u}\">Elsewhere</source>"),
            "origLink" => format!("{id}<feedburner:origLink>{u}</feedburner:origLink>"),
            "atom:link" => format!("{id}<atom:link rel=\"alternate\" href=\"{u}\"/>"),
            "media:content" => format!("{id}<media:content url=\"{u}\" type=\"video/mp4\"/>"),
            _ => format!("{id}<itunes:image href=\"{u}\"/>"),
        };
        let pub_date = chrono::DateTime::parse_from_rfc3339(&date(n, i))
            .expect("date")
            .to_rfc2822();
        items.push_str(&format!(
            "<item><title>rss {} {field}</title>{inner}<pubDate>{pub_date}</pubDate>\
             <description>&lt;p&gt;body&lt;/p&gt;</description></item>\n",
            v.name
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" \
         xmlns:atom=\"http://www.w3.org/2005/Atom\" \
         xmlns:feedburner=\"http://rssnamespace.org/feedburner/ext/1.0\" \
         xmlns:media=\"http://search.yahoo.com/mrss/\" \
         xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\">\
         <channel><title>RSS {name}</title><link>{u}</link><description>d</description>\
         <atom:link rel=\"alternate\" href=\"{u}\"/>\
         <image><url>{u}</url><title>i</title><link>{u}</link></image>\
         <itunes:image href=\"{u}\"/>\n{items}</channel></rss>\n",
        name = v.name
    )
}

fn atom(n: usize, v: &Variant) -> String {
    let u = v.xml;
    let mut entries = String::new();
    for (i, field) in ATOM_FIELDS.iter().enumerate() {
        let (attrs, inner) = match *field {
            "link" => (String::new(), format!("<link href=\"{u}\"/>")),
            "link-enclosure" => (
                String::new(),
                format!("<link rel=\"enclosure\" type=\"audio/mpeg\" length=\"1\" href=\"{u}\"/>"),
            ),
            "link-related" => (
                String::new(),
                format!("<link rel=\"related\" href=\"{u}\"/>"),
            ),
            "author-uri" => (
                String::new(),
                format!("<author><name>A</name><uri>{u}</uri></author>"),
            ),
            "content-src" => (
                String::new(),
                format!("<content type=\"text/html\" src=\"{u}\"/>"),
            ),
            _ => (
                format!(" xml:base=\"{u}\""),
                "<link href=\"posts/1\"/>".to_string(),
            ),
        };
        entries.push_str(&format!(
            "<entry{attrs}><title>atom {} {field}</title><id>urn:atom:{n}:{i}</id>\
             <updated>{}</updated>{inner}<summary>body</summary></entry>\n",
            v.name,
            date(n, i)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>Atom {name}</title><id>urn:atom:{n}</id><updated>2025-06-01T00:00:00Z</updated>\
         <link rel=\"alternate\" href=\"{u}\"/><icon>{u}</icon><logo>{u}</logo>\
         <author><name>Feed author</name><uri>{u}</uri></author>\n{entries}</feed>\n",
        name = v.name
    )
}

fn json(n: usize, v: &Variant) -> String {
    let u = v.json;
    let items: Vec<serde_json::Value> = JSON_FIELDS
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let mut item = serde_json::json!({
                "id": format!("urn:json:{n}:{i}"),
                "title": format!("json {} {field}", v.name),
                "content_html": "<p>body</p>",
                "date_published": date(n, i),
            });
            let extra = match *field {
                "attachments" => serde_json::json!({
                    "attachments": [{"url": u, "mime_type": "audio/mpeg"}]
                }),
                "author-url" => serde_json::json!({"authors": [{"name": "A", "url": u}]}),
                "author-avatar" => serde_json::json!({"authors": [{"name": "A", "avatar": u}]}),
                other => serde_json::json!({ other: u }),
            };
            if let (Some(item), Some(extra)) = (item.as_object_mut(), extra.as_object()) {
                item.extend(extra.clone());
            }
            item
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": format!("JSON {}", v.name),
        "home_page_url": u,
        "icon": u,
        "favicon": u,
        "authors": [{"name": "Feed author", "url": u, "avatar": u}],
        "items": items,
    })
    .to_string()
}

/// The planet's config for `server`: every variant in every format.
pub fn config(server: &TestServer) -> String {
    let mut text = String::from(
        "title: Hostile planet\nbase_url: https://planet.test/\nlang: en\n\
         entries_per_page: 100\nfeed_entries: 10000\nfeeds:\n",
    );
    for (n, v) in VARIANTS.iter().enumerate() {
        for (path, body, kind) in documents(n, v) {
            server.route(&path, Response::ok(kind, body));
            text.push_str(&format!("  - url: {}\n", server.url(&path)));
        }
    }
    text
}

/// Placements (feed-level ones included) times variants.
pub fn placements() -> usize {
    // RSS: link, atom:link, image url and link, itunes:image; Atom: link,
    // icon, logo, author uri; JSON: home_page_url, icon, favicon, author
    // url and avatar.
    let feed_level = 5 + 4 + 5;
    (RSS_FIELDS.len() + ATOM_FIELDS.len() + JSON_FIELDS.len() + feed_level) * VARIANTS.len()
}

pub struct Built {
    pub dir: tempfile::TempDir,
    pub server: TestServer,
    pub out: PathBuf,
    pub files: BTreeMap<String, Vec<u8>>,
}

/// Serves the fixture and builds it through the CLI.
pub fn build() -> Built {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config(&server));
    let out = planetoid(dir.path(), &["build", "--now", NOW]);
    assert!(out.status.success(), "build failed: {}", stderr(&out));
    let site = dir.path().join("output");
    let files = snapshot(&site);
    Built {
        dir,
        server,
        out: site,
        files,
    }
}

/// Attributes that hold URLs on a page.
const PAGE_URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "srcset",
    "poster",
    "action",
    "formaction",
    "data",
    "cite",
    "background",
    "longdesc",
    "ping",
    "xlink:href",
];

fn is_web(url: &str, mailto: bool) -> bool {
    // Exactly what a browser would make of it, no trimming on our side.
    url == url.trim()
        && url::Url::parse(url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
                || (mailto && u.scheme() == "mailto")
        })
}

/// A relative reference on page `page` (site-relative path) that leads to
/// a file of the site itself (internal navigation, the theme's assets).
fn is_internal(page: &str, link: &str, files: &BTreeMap<String, Vec<u8>>) -> bool {
    let Ok(root) = url::Url::parse("https://site.invalid/") else {
        return false;
    };
    if link.is_empty() || url::Url::parse(link).is_ok() || link.starts_with("//") {
        return false;
    }
    let (Ok(base), Ok(resolved)) = (root.join(page), root.join(page).and_then(|b| b.join(link)))
    else {
        return false;
    };
    if link.starts_with('#') {
        return resolved.path() == base.path();
    }
    if resolved.host_str() != Some("site.invalid") {
        return false;
    }
    let path = resolved.path().trim_start_matches('/');
    let path = percent_decode(path);
    files.contains_key(&path)
        || files.contains_key(&format!("{path}index.html"))
        || files.contains_key(&format!("{path}/index.html"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every bad URL and `on*` attribute of one page.
pub fn page_problems(page: &str, html: &str, files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let dom = parse_document(html);
    let mut found = Vec::new();
    for node in descendants(&dom.document) {
        let NodeData::Element { name, attrs, .. } = &node.data else {
            continue;
        };
        let tag = name.local.to_string();
        // The theme's "no favicon" marker: an empty data URL, no content.
        let empty_icon = tag == "link" && attr(&node, "rel").as_deref() == Some("icon");
        for a in attributes(attrs) {
            if a.is_event_handler() {
                found.push(format!("{page}: <{tag} {}=\"{}\">", a.qualified, a.value));
            }
            if !PAGE_URL_ATTRS.contains(&a.qualified.as_str()) {
                continue;
            }
            let qualified = &a.qualified;
            for url in urls_in(&a.local, &a.value) {
                let ok = is_web(url, true)
                    || is_internal(page, url, files)
                    || (empty_icon && url == "data:,");
                if !ok {
                    found.push(format!("{page}: <{tag} {qualified}={url:?}>"));
                }
            }
        }
    }
    found
}

/// URL-valued attributes and elements of the published XML feeds (Atom,
/// RSS, OPML), by local name.
const XML_URL_ATTRS: &[&str] = &["href", "url", "src", "uri", "xmlUrl", "htmlUrl"];
const XML_URL_ELEMENTS: &[&str] = &["link", "comments", "uri", "icon", "logo", "url", "docs"];

/// Every URL in one XML feed that is not absolute http(s).
pub fn xml_problems(file: &str, xml: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut found = Vec::new();
    let mut check = |what: String, value: &str| {
        if !is_web(value, false) {
            found.push(format!("{file}: {what} {value:?}"));
        }
    };
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                check(format!("not well-formed ({e})"), "");
                break;
            }
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let qname = e.name().as_ref().to_string();
                let local = qname.rsplit(':').next().unwrap_or(&qname).to_string();
                let mut permalink_guid = local == "guid";
                for a in e.attributes().flatten() {
                    let key = a.key.as_ref().to_string();
                    let key_local = key.rsplit(':').next().unwrap_or(&key).to_string();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(|v| v.into_owned())
                        .unwrap_or_default();
                    if key == "isPermaLink" && value == "false" {
                        permalink_guid = false;
                    }
                    if XML_URL_ATTRS.contains(&key_local.as_str()) && !key.starts_with("xmlns") {
                        check(format!("<{qname} {key}>"), &value);
                    }
                }
                let text_url = XML_URL_ELEMENTS.contains(&local.as_str()) || permalink_guid;
                if text_url && matches!(event, Event::Start(_)) {
                    let Ok(span) = reader.read_to_end(e.name()) else {
                        break;
                    };
                    let raw = xml
                        .get(span.start as usize..span.end as usize)
                        .unwrap_or_default();
                    // Elements with children (`<image>`, `<author>`) hold no URL text.
                    if !raw.contains('<') || raw.trim_start().starts_with("<![CDATA[") {
                        let text = raw
                            .trim()
                            .trim_start_matches("<![CDATA[")
                            .trim_end_matches("]]>");
                        let text = quick_xml::escape::unescape(text)
                            .map(|t| t.into_owned())
                            .unwrap_or_else(|_| text.to_string());
                        check(format!("<{qname}>"), &text);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    found
}

const JSON_URL_KEYS: &[&str] = &[
    "url",
    "external_url",
    "home_page_url",
    "feed_url",
    "image",
    "banner_image",
    "icon",
    "favicon",
    "avatar",
];

/// Every URL-valued member of a JSON Feed that is not absolute http(s).
pub fn json_problems(file: &str, value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if JSON_URL_KEYS.contains(&key.as_str()) {
                    let ok = v.as_str().is_some_and(|s| is_web(s, false));
                    if !ok {
                        found.push(format!("{file}: {key} {v}"));
                    }
                }
                json_problems(file, v, found);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                json_problems(file, v, found);
            }
        }
        _ => {}
    }
}

/// Problems on pages and in feeds, each list sorted.
pub fn site_problems(files: &BTreeMap<String, Vec<u8>>) -> (Vec<String>, Vec<String>) {
    let mut pages = Vec::new();
    let mut feeds = Vec::new();
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(bytes);
        if path.ends_with(".html") {
            pages.extend(page_problems(path, &text, files));
        } else if path.ends_with("atom.xml") || path.ends_with("rss.xml") || path == "opml.xml" {
            feeds.extend(xml_problems(path, &text));
        } else if path.ends_with("feed.json") {
            match serde_json::from_str(&text) {
                Ok(value) => json_problems(path, &value, &mut feeds),
                Err(e) => feeds.push(format!("{path}: not JSON: {e}")),
            }
        }
    }
    (pages, feeds)
}

/// The built site's HTML pages, as paths.
pub fn html_pages(built: &Built) -> Vec<PathBuf> {
    built
        .files
        .keys()
        .filter(|p| p.ends_with(".html"))
        .map(|p| built.out.join(p))
        .collect()
}

/// `path` with the theme's CSP `<meta>` removed.
pub fn without_csp(path: &Path) -> String {
    let html = std::fs::read_to_string(path).expect("page");
    let Some(start) = html.find("<meta http-equiv=\"Content-Security-Policy\"") else {
        return html;
    };
    let end = html[start..]
        .find('>')
        .map_or(html.len(), |e| start + e + 1);
    format!("{}{}", &html[..start], &html[end..])
}
