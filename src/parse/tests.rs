//! Tests of the whole parse stage through [`parse`]: each XML and JSON
//! format, the repairs and their warnings, ids, titles, links, dates and
//! enclosures, and the precise errors for what is not a feed.

use super::*;
use crate::entry::{Enclosure, WebUrl};

const URL: &str = "https://blog.example.org/feed.xml";

#[test]
fn rss_without_version_and_odd_versions_parse() {
    for head in [
        "<rss>",
        "<rss version=\"2.00\">",
        "<rss version='0.94'>",
        "<rss\n  xmlns:dc=\"http://purl.org/dc/elements/1.1/\">",
    ] {
        let xml = format!(
            "{head}<channel><title>T</title><link>https://blog.example.org/</link><item><title>A</title><guid>g1</guid></item></channel></rss>"
        );
        let feed = parse(&xml, URL).unwrap_or_else(|e| panic!("{head}: {e}"));
        assert_eq!(feed.entries.len(), 1, "{head}");
        assert_eq!(feed.meta.title.as_deref(), Some("T"));
        assert_eq!(
            feed.meta.site_url.as_ref().map(WebUrl::as_str),
            Some("https://blog.example.org/")
        );
    }
}

#[test]
fn idless_items_get_stable_ids_and_linked_items_use_the_link() {
    let xml = "<rss version=\"2.0\"><channel><title>T</title>\
            <item><title>No id</title><pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item>\
            <item><title>Linked</title><link>https://blog.example.org/p/1</link></item>\
            </channel></rss>";
    let a = parse(xml, URL).expect("parses");
    let b = parse(xml, URL).expect("parses");
    assert_eq!(a.entries[0].id, b.entries[0].id);
    assert!(a.entries[0].id.starts_with("urn:planetoid:"));
    assert_eq!(a.entries[1].id, "https://blog.example.org/p/1");
    let other_feed = parse(xml, "https://other.example/feed").expect("parses");
    assert_ne!(a.entries[0].id, other_feed.entries[0].id);
}

#[test]
fn titles_are_plain_text_and_authors_are_split() {
    let xml = "<rss version=\"2.0\"><channel><title>T</title><item><guid>1</guid>\
            <title>&lt;b&gt;Bold&lt;/b&gt; &amp;amp; Co</title>\
            <author>anna@example.org (Anna Petrova)</author>\
            <description>&lt;p&gt;Hi&lt;/p&gt;</description></item></channel></rss>";
    let feed = parse(xml, URL).expect("parses");
    let e = &feed.entries[0];
    assert_eq!(e.title, "Bold & Co");
    assert_eq!(e.author.as_deref(), Some("Anna Petrova"));
    assert_eq!(e.body_html.as_deref(), Some("<p>Hi</p>"));
    assert_eq!(e.base_url.as_deref(), Some(URL));
}

#[test]
fn atom_xml_base_and_json_feed_text_are_mapped() {
    let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"https://ivan.example.ru/blog/\">\
            <title>I</title><id>urn:x</id><updated>2025-01-01T00:00:00Z</updated>\
            <entry><id>urn:e1</id><title type=\"html\">A &amp;lt; B</title><link href=\"posts/1\"/>\
            <updated>2025-01-02T00:00:00Z</updated><content type=\"html\">&lt;img src=\"a.png\"&gt;</content></entry></feed>";
    let feed = parse(atom, "https://ivan.example.ru/atom.xml").expect("atom");
    let e = &feed.entries[0];
    assert_eq!(e.title, "A < B");
    assert_eq!(
        e.link.as_ref().map(WebUrl::as_str),
        Some("https://ivan.example.ru/blog/posts/1")
    );
    assert!(
        e.base_url
            .as_deref()
            .is_some_and(|b| b.starts_with("https://ivan.example.ru/blog/")),
        "{:?}",
        e.base_url
    );

    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","content_text":"a < b\n\nsecond","date_published":"2025-01-03T00:00:00Z"}]}"#;
    let feed = parse(json, "https://j.example/feed.json").expect("json");
    assert_eq!(
        feed.entries[0].body_html.as_deref(),
        Some("<p>a &lt; b</p>\n<p>second</p>")
    );
}

#[test]
fn rss1_descriptions_are_html_but_atom_text_is_escaped() {
    let rdf = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
            <channel rdf:about=\"https://t.example/\"><title>T</title><link>https://t.example/</link><description>d</description></channel>\
            <item rdf:about=\"https://t.example/1\"><title>One</title><link>https://t.example/1</link>\
            <description>&lt;p&gt;2&amp;nbsp;100 lines&lt;/p&gt;</description></item></rdf:RDF>";
    let feed = parse(rdf, URL).expect("rss 1.0");
    assert_eq!(
        feed.entries[0].body_html.as_deref(),
        Some("<p>2&nbsp;100 lines</p>")
    );
    let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title><id>urn:a</id><updated>2025-01-01T00:00:00Z</updated>\
            <entry><id>urn:1</id><title>t</title><updated>2025-01-01T00:00:00Z</updated><content type=\"text\">a &lt;b&gt; c</content></entry></feed>";
    let feed = parse(atom, URL).expect("atom");
    assert_eq!(
        feed.entries[0].body_html.as_deref(),
        Some("<p>a &lt;b&gt; c</p>")
    );
}

#[test]
fn a_second_xml_declaration_is_harmless() {
    // A declaration inside the document, which makes quick-xml panic inside
    // feed-rs unless it is taken out first (a case found by fuzzing).
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>T</title>\
            <?xml version=\"1.0\" encoding=\"windows-1251\"?><item><guid>1</guid>\
            <description><![CDATA[<?xml version=\"1.0\"?> stays]]></description></item></channel></rss>";
    let feed = parse(xml, URL).expect("parses");
    assert_eq!(
        feed.entries[0].body_html.as_deref(),
        Some("<?xml version=\"1.0\"?> stays")
    );
}

#[test]
fn rss1_items_without_link_are_kept_with_their_rdf_about() {
    let rdf = "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://purl.org/rss/1.0/\">\
            <channel rdf:about=\"https://t.example/\"><title>T</title></channel>\
            <item rdf:about=\"https://t.example/1\"><title>No link</title></item>\
            <item rdf:about=\"https://t.example/2\"><title>Linked</title><link>https://t.example/two</link></item></rdf:RDF>";
    let feed = parse(rdf, URL).expect("parses");
    let links: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.link.as_ref().map(WebUrl::as_str))
        .collect();
    assert_eq!(
        links,
        [Some("https://t.example/1"), Some("https://t.example/two")]
    );
}

#[test]
fn rss_fallback_elements_fill_what_the_xml_reader_leaves_empty() {
    let xml = "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\
            <channel><dc:title>Feed</dc:title><dc:language>ru_RU</dc:language>\
            <item><dc:title>Заголовок</dc:title><guid isPermaLink=\"false\">https://x.example/?p=1</guid>\
            <atom:link rel=\"alternate\" href=\"/p/1\"/><atom:author><atom:name>Ольга</atom:name></atom:author>\
            <dcterms:modified xmlns:dcterms=\"http://purl.org/dc/terms/\">2024-01-05 10:00 MSK</dcterms:modified>\
            <dc:subject>rust</dc:subject><dc:description>&lt;p&gt;Hi&lt;/p&gt;</dc:description></item>\
            <item><guid isPermaLink=\"false\">https://x.example/?p=2</guid><title>t</title></item></channel></rss>";
    let feed = parse(xml, "https://x.example/feed").expect("parses");
    assert_eq!(feed.meta.title.as_deref(), Some("Feed"));
    assert_eq!(feed.meta.language.as_deref(), Some("ru-RU"));
    let e = &feed.entries[0];
    assert_eq!(e.title, "Заголовок");
    assert_eq!(
        e.link.as_ref().map(WebUrl::as_str),
        Some("https://x.example/p/1")
    );
    assert_eq!(e.author.as_deref(), Some("Ольга"));
    assert_eq!(e.categories, ["rust"]);
    assert_eq!(e.summary_html.as_deref(), Some("<p>Hi</p>"));
    assert_eq!(
        e.updated.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-01-05T07:00:00+00:00")
    );
    assert_eq!(e.language.as_deref(), Some("ru-RU"));
    // isPermaLink="false": the guid is an id, not an address.
    assert_eq!(feed.entries[1].link, None);
    assert_eq!(feed.entries[1].id, "https://x.example/?p=2");
}

#[test]
fn atom03_is_read_with_dates_content_and_authors() {
    let atom03 = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old blog</title>
<link rel="alternate" type="text/html" href="http://old.example/"/>
<modified>2004-01-02T00:00:00Z</modified>
<entry><title mode="escaped" type="text/html">A &amp;amp; B</title>
<link rel="alternate" type="text/html" href="http://old.example/1"/><id>tag:old.example,2004:1</id>
<author><name>Ivan</name><url>http://old.example/ivan</url></author>
<issued>2004-01-01T10:00:00+03:00</issued><modified>2004-01-01T12:00:00Z</modified>
<content type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi <b>there</b></p></div></content>
<content type="text/plain">second alternative</content>
</entry></feed>"#;
    let feed = parse(atom03, "http://old.example/atom.xml").expect("atom 0.3");
    assert_eq!(feed.meta.title.as_deref(), Some("Old blog"));
    assert_eq!(
        feed.meta.site_url.as_ref().map(WebUrl::as_str),
        Some("http://old.example/")
    );
    let e = &feed.entries[0];
    assert_eq!(e.title, "A & B");
    assert_eq!(e.id, "tag:old.example,2004:1");
    assert_eq!(
        e.link.as_ref().map(WebUrl::as_str),
        Some("http://old.example/1")
    );
    assert_eq!(e.author.as_deref(), Some("Ivan"));
    assert_eq!(
        e.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2004-01-01T07:00:00+00:00")
    );
    assert_eq!(
        e.updated.map(|d| d.to_rfc3339()).as_deref(),
        Some("2004-01-01T12:00:00+00:00")
    );
    let body = e.body_html.as_deref().unwrap_or_default();
    assert!(body.contains("<p>Hi <b>there</b></p>"), "{body}");
}

#[test]
fn named_zone_dates_enclosures_and_json_feed_fields() {
    let rss = "<rss version=\"2.0\"><channel><title>P</title><item><guid>e1</guid><title>Ep 1</title>\
            <pubDate>Mon, 06 Jan 2025 15:00:00 MSK</pubDate>\
            <enclosure url=\"https://p.example/1.mp3\" length=\"1234\" type=\"audio/mpeg\"/></item>\
            <item><guid>e2</guid><pubDate>someday</pubDate></item></channel></rss>";
    let feed = parse(rss, URL).expect("rss");
    let e = &feed.entries[0];
    assert_eq!(
        e.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2025-01-06T12:00:00+00:00")
    );
    assert_eq!(
        e.enclosures,
        [Enclosure {
            url: WebUrl::sample("https://p.example/1.mp3"),
            mime_type: Some("audio/mpeg".into()),
            length: Some(1234),
        }]
    );
    // Unreadable dates stay unknown: never invented.
    assert_eq!(feed.entries[1].published, None);

    let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>A</title><id>urn:a</id>\
            <updated>2025-01-01T00:00:00Z</updated><entry><id>urn:1</id><title>t</title>\
            <updated>2025-01-01T00:00:00Z</updated>\
            <link rel=\"enclosure\" href=\"https://a.example/f.pdf\" type=\"application/pdf\" length=\"10\"/></entry></feed>";
    let feed = parse(atom, URL).expect("atom");
    assert_eq!(feed.entries[0].enclosures.len(), 1);
    assert_eq!(
        feed.entries[0].enclosures[0].url.as_str(),
        "https://a.example/f.pdf"
    );

    let json = r#"{"version":"1.1","title":"J","language":"ru","items":[
            {"id":"1","url":"https://j.example/1","content_html":"<p>full</p>","summary":"short & plain",
             "date_published":"2025-01-03T00:00:00+03:00","authors":[{"name":"Анна"}],
             "attachments":[{"url":"https://j.example/a.mp3","mime_type":"audio/mpeg"}]}]}"#;
    let feed = parse(json, "https://j.example/feed.json").expect("json feed, odd version");
    let e = &feed.entries[0];
    assert_eq!(e.body_html.as_deref(), Some("<p>full</p>"));
    assert_eq!(e.summary_html.as_deref(), Some("<p>short &amp; plain</p>"));
    assert_eq!(
        e.link.as_ref().map(WebUrl::as_str),
        Some("https://j.example/1")
    );
    assert_eq!(e.author.as_deref(), Some("Анна"));
    assert_eq!(e.enclosures.len(), 1, "{:?}", e.enclosures);
    assert_eq!(
        e.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2025-01-02T21:00:00+00:00")
    );
    assert_eq!(feed.meta.language.as_deref(), Some("ru"));
}

#[test]
fn a_panic_inside_the_feed_parser_is_this_feeds_error_not_a_crash() {
    // feed-rs slices this author string at a non-char boundary.
    let xml = "<rss version=\"2.0\"><channel><title>T</title><item><guid>1</guid>\
            <author>Author Name (emai\u{2039}l@example.org)</author></item></channel></rss>";
    match parse(xml, URL) {
        Err(ParseError::Malformed(m)) => {
            assert!(m.to_string().starts_with(PARSER_PANICKED), "{m}")
        }
        // Fine too, should a later feed-rs fix the slicing.
        Ok(feed) => assert_eq!(feed.entries.len(), 1),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

#[test]
fn feedburner_orig_link_wins_over_the_tracking_link() {
    let xml = "<rss version=\"2.0\" xmlns:feedburner=\"http://rssnamespace.org/feedburner/ext/1.0\"><channel><title>T</title>\
            <item><title>A</title><guid>g1</guid><link>https://feeds.feedburner.example/~r/blog/~3/abc</link>\
            <feedburner:origLink>https://blog.example.org/2025/01/post/</feedburner:origLink></item></channel></rss>";
    let feed = parse(xml, URL).expect("parses");
    assert_eq!(
        feed.entries[0].link.as_ref().map(WebUrl::as_str),
        Some("https://blog.example.org/2025/01/post/")
    );
}

#[test]
fn rss11_is_read_like_rss10() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<Channel xmlns="http://purl.org/net/rss1.1#" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns:dc="http://purl.org/dc/elements/1.1/" rdf:about="http://r11.example/">
  <title>RSS 1.1 blog</title><link>http://r11.example/</link><description>d</description>
  <items rdf:parseType="Collection">
    <item rdf:about="http://r11.example/1"><title>First</title><link>http://r11.example/1</link>
      <description>&lt;p&gt;one&lt;/p&gt;</description><dc:date>2025-01-02T10:00:00Z</dc:date></item>
    <item rdf:about="http://r11.example/2"><title>Second, no link</title></item>
  </items>
</Channel>"#;
    let feed = parse(xml, URL).expect("rss 1.1");
    assert_eq!(feed.meta.title.as_deref(), Some("RSS 1.1 blog"));
    assert_eq!(
        feed.meta.site_url.as_ref().map(WebUrl::as_str),
        Some("http://r11.example/")
    );
    let got: Vec<(&str, Option<&str>)> = feed
        .entries
        .iter()
        .map(|e| (e.title.as_str(), e.link.as_ref().map(WebUrl::as_str)))
        .collect();
    assert_eq!(
        got,
        [
            ("First", Some("http://r11.example/1")),
            ("Second, no link", Some("http://r11.example/2"))
        ]
    );
    assert_eq!(feed.entries[0].body_html.as_deref(), Some("<p>one</p>"));
    assert!(feed.entries[0].published.is_some());
    assert!(feed.warnings.is_empty(), "{:?}", feed.warnings);
    // Not RSS 1.1: another <Channel> is still not a feed.
    assert!(matches!(
        parse("<Channel><title>x</title></Channel>", URL),
        Err(ParseError::NotAFeed(root)) if root == "Channel"
    ));
}

#[test]
fn repairs_and_unreadable_dates_are_warnings() {
    let xml = "<rss version=\"2.0\"><channel><title>Tom &amp; Jerry</title>\n\
            <item><guid>1</guid><title>A&nbsp;B</title><pubDate>someday</pubDate></item>\n\
            <item><guid>2</guid><title>C</title><pubDate>never</pubDate></item></channel></rss>";
    let feed = parse(xml, URL).expect("parses");
    assert_eq!(feed.entries.len(), 2);
    assert_eq!(
        feed.warnings.messages(),
        [
            "unescaped `&` or undefined entity \"&nbsp;\" at line 2, column 29: repaired",
            "dates that could not be read (the entries keep no date from them): 2 (e.g. \"someday\")",
        ]
    );
    let broken = "<rss version=\"2.0\"><channel><title>T</title>\n<item><guid>1</guid><title>x</title></item></channel></rss>\n<b>Warning</b>: PHP";
    let feed = parse(broken, URL).expect("repaired");
    assert_eq!(
        feed.warnings.messages(),
        ["not well-formed XML at line 3, column 4: content after the root element: read anyway"]
    );
    let clean = parse(&broken[..broken.find("\n<b>").unwrap_or(0)], URL).expect("clean");
    assert!(clean.warnings.is_empty());
}

#[test]
fn junk_addresses_are_dropped_and_counted_and_relative_ones_resolved() {
    let rss = "<rss version=\"2.0\"><channel><title>T</title><link>JaVaScRiPt:alert(1)</link>\
            <item><guid isPermaLink=\"false\">1</guid><title>A</title><link>java&#9;script:alert(1)</link>\
            <enclosure url=\"data:audio/mpeg;base64,AA\" type=\"audio/mpeg\"/></item>\
            <item><guid>javascript:alert(2)</guid><title>B</title></item></channel></rss>";
    let feed = parse(rss, URL).expect("rss");
    assert_eq!(feed.meta.site_url, None);
    assert_eq!(feed.entries[0].link, None, "the entry stays, unlinked");
    assert!(feed.entries[0].enclosures.is_empty());
    assert_eq!(feed.entries[1].link, None, "a junk guid is no permalink");
    assert_eq!(feed.meta.dropped_urls, 3);

    let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J",
            "home_page_url":"/","items":[{"id":"1","url":"2025/post","content_text":"x",
            "attachments":[{"url":"file:///etc/passwd","mime_type":"audio/mpeg"}]}]}"#;
    let feed = parse(json, "https://j.example/blog/feed.json").expect("json");
    let site = feed.meta.site_url.as_ref().map(WebUrl::as_str);
    assert_eq!(site, Some("https://j.example/"));
    let link = feed.entries[0].link.as_ref().map(WebUrl::as_str);
    assert_eq!(link, Some("https://j.example/blog/2025/post"));
    assert!(feed.entries[0].enclosures.is_empty());
    assert_eq!(feed.meta.dropped_urls, 1);
}

#[test]
fn non_feeds_get_precise_errors() {
    assert!(matches!(parse("  \n", URL), Err(ParseError::Empty)));
    assert!(matches!(
        parse("<!DOCTYPE html><html><body>404</body></html>", URL),
        Err(ParseError::NotAFeed(root)) if root == "html"
    ));
    assert!(matches!(
        parse("Service unavailable", URL),
        Err(ParseError::Unrecognised(_))
    ));
    let broken = parse(
        "<rss version=\"2.0\">\n<channel>\n  <title>x</channel></rss>",
        URL,
    )
    .map(|_| ())
    .map_err(|e| e.to_string());
    assert_eq!(
            broken,
            Err("not well-formed XML at line 3, column 11: expected `</title>`, but `</channel>` was found".into())
        );
    assert_eq!(
        parse("<rss><channel><title>x</title>", URL).map_err(|e| e.to_string()),
        Err("not well-formed XML at line 1, column 31: document ends before </channel>".into())
    );
    let json = parse(
        "{\"version\": \"https://jsonfeed.org/version/1.1\",\n \"items\": [}",
        URL,
    )
    .map_err(|e| e.to_string());
    assert!(
        json.as_ref()
            .is_err_and(|e| e.starts_with("not well-formed JSON at line 2, column")),
        "{json:?}"
    );
}
