//! Every URL a feed hands us is checked: the hostile-metadata planet (see
//! `hostile/mod.rs`) built through the CLI publishes no URL that is not
//! absolute http(s) on any page or in any merged feed, no `on*` attribute,
//! and still shows every entry; `health.json` counts what was dropped; a
//! store written by the previous version comes out clean; and titles,
//! names and category terms are plain text, escaped exactly once.

use crate::common;
use crate::hostile;
use crate::safety;

use std::collections::BTreeMap;

use common::{Response, TestServer, planetoid, snapshot, stderr, write_config};
use safety::{attr, descendants, element_name, parse_document, text_of};

/// Variants no check can turn into a web address: every value is dropped.
const JUNK: &[&str] = &[
    "javascript",
    "mixed-case",
    "leading-controls",
    "tab-in-scheme",
    "newline-in-scheme",
    "entity-scheme",
    "data-html",
    "vbscript",
    "javascript-slashes",
    "file",
    "ftp",
    "mailto",
    "empty-host",
];

#[test]
fn no_page_or_feed_of_the_hostile_planet_carries_a_bad_url() {
    let built = hostile::build();
    let (pages, feeds) = hostile::site_problems(&built.files);
    let html_pages = built.files.keys().filter(|p| p.ends_with(".html")).count();
    eprintln!(
        "hostile planet: {} placements x variants ({} variants), {html_pages} pages; \
         bad URLs: {} on pages, {} in feeds",
        hostile::placements(),
        hostile::VARIANTS.len(),
        pages.len(),
        feeds.len()
    );
    for line in pages.iter().chain(&feeds).take(40) {
        eprintln!("  {line}");
    }
    assert!(
        pages.is_empty() && feeds.is_empty(),
        "{} bad URLs on pages, {} in feeds",
        pages.len(),
        feeds.len()
    );
}

#[test]
fn entries_with_dropped_links_still_show_and_health_counts_the_drops() {
    let built = hostile::build();
    let health: serde_json::Value =
        serde_json::from_slice(&built.files["health.json"]).expect("health.json");
    let feeds = health["feeds"].as_array().expect("feeds");
    assert_eq!(feeds.len(), hostile::VARIANTS.len() * 3);
    let mut report = Vec::new();
    for (n, v) in hostile::VARIANTS.iter().enumerate() {
        for (i, format) in ["rss", "atom", "json"].iter().enumerate() {
            let record = &feeds[n * 3 + i];
            assert_eq!(record["status"], "ok", "{record}");
            let dropped = record["dropped_urls"].as_u64();
            report.push(format!("{format} {}: {dropped:?}", v.name));
            if JUNK.contains(&v.name) {
                assert!(
                    dropped.is_some_and(|d| d > 0),
                    "{format} {}: {record}",
                    v.name
                );
            } else {
                assert_eq!(dropped, Some(0), "{format} {}: {record}", v.name);
            }
        }
    }
    eprintln!("health.json dropped_urls: {}", report.join(", "));
    // Every entry whose only link was junk is on a page, its title unlinked.
    let mut titles: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (path, bytes) in &built.files {
        if !path.ends_with(".html") {
            continue;
        }
        let dom = parse_document(&String::from_utf8_lossy(bytes));
        for node in descendants(&dom.document) {
            if element_name(&node).as_deref() != Some("h3")
                || attr(&node, "class").as_deref() != Some("entry-title")
            {
                continue;
            }
            let linked = descendants(&node)
                .iter()
                .any(|n| element_name(n).as_deref() == Some("a"));
            let seen = titles.entry(text_of(&node).trim().to_string()).or_default();
            if linked {
                seen.1 += 1;
            } else {
                seen.0 += 1;
            }
        }
    }
    for v in JUNK {
        for title in [
            format!("rss {v} link"),
            format!("atom {v} link"),
            format!("json {v} url"),
        ] {
            let (unlinked, linked) = titles.get(&title).copied().unwrap_or_default();
            assert!(
                unlinked > 0,
                "{title:?} is not shown unlinked ({linked} linked)"
            );
            assert_eq!(linked, 0, "{title:?} is linked somewhere");
        }
    }
    // A relative link is resolved against the feed's own URL.
    let index = common::read(built.out.join("index.html"));
    let feed_host = built.server.url("/2025/post");
    assert!(
        built.files.iter().any(|(p, b)| p.ends_with(".html")
            && String::from_utf8_lossy(b).contains(&format!("href=\"{feed_host}\""))),
        "no page links {feed_host}; index has {} bytes",
        index.len()
    );
}

/// A planet of the one feed `body`, served by `server`, built once.
fn one_feed_planet(server: &TestServer, kind: &str, body: &str) -> tempfile::TempDir {
    server.route("/feed", Response::ok(kind, body));
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        &format!(
            "title: T\nbase_url: https://planet.test/\nlang: en\nfeeds:\n  - url: {}\n",
            server.url("/feed")
        ),
    );
    let out = planetoid(dir.path(), &["build", "--now", hostile::NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

#[test]
fn a_store_from_the_previous_version_comes_out_clean() {
    let server = TestServer::start();
    let feed = "<rss version=\"2.0\"><channel><title>Old</title><link>https://old.example/</link>\
        <item><guid>https://old.example/1</guid><title>One</title><link>https://old.example/1</link>\
        <enclosure url=\"https://old.example/1.mp3\" type=\"audio/mpeg\" length=\"1\"/>\
        <pubDate>Mon, 02 Jun 2025 10:00:00 GMT</pubDate></item></channel></rss>";
    let dir = one_feed_planet(&server, "application/rss+xml", feed);

    // What an earlier planetoid, which checked nothing, stored from a
    // hostile feed; then the schema as that version left it (v4).
    let state = dir.path().join(".planetoid/state.db");
    let db = rusqlite::Connection::open(&state).expect("state db");
    db.execute_batch(
        "UPDATE entries SET link = 'javascript:alert(document.domain)',
           enclosures = 'JaVaScRiPt:alert(1)' || char(9) || 'audio/mpeg' || char(9) || '1';
         UPDATE feeds SET site_url = 'data:text/html;base64,PHNjcmlwdD4=';
         ALTER TABLE feeds DROP COLUMN dropped_urls;
         ALTER TABLE feeds DROP COLUMN latency_ms;
         ALTER TABLE feeds DROP COLUMN encoding;
         ALTER TABLE feeds DROP COLUMN warnings;
         ALTER TABLE entries DROP COLUMN body_bytes;
         DROP TABLE feed_builds;
         DROP TABLE builds;
         PRAGMA user_version = 4;",
    )
    .expect("downgrade the store");
    let stored: String = db
        .query_row("SELECT enclosures FROM entries", [], |r| r.get(0))
        .expect("enclosure row");
    drop(db);
    assert!(stored.starts_with("JaVaScRiPt:"), "{stored:?}");

    let out = planetoid(dir.path(), &["build", "--offline", "--now", hostile::NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let files = snapshot(&dir.path().join("output"));
    let (pages, feeds) = hostile::site_problems(&files);
    assert!(
        pages.is_empty() && feeds.is_empty(),
        "{pages:#?}\n{feeds:#?}"
    );
    let index = String::from_utf8_lossy(&files["index.html"]).into_owned();
    assert!(index.contains(">One</h3>"), "the entry is still shown");
    for junk in ["javascript:", "JaVaScRiPt:", "data:text"] {
        let hits = files
            .iter()
            .filter(|(_, b)| String::from_utf8_lossy(b).contains(junk))
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>();
        assert!(hits.is_empty(), "{junk} still in {hits:?}");
    }
}

#[test]
fn titles_names_and_terms_are_plain_text_escaped_exactly_once() {
    let server = TestServer::start();
    let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title><id>urn:t</id>\
        <updated>2025-06-01T00:00:00Z</updated>\
        <entry><id>urn:t:1</id><title type=\"text\">Tom &amp; Jerry: 1 &lt; 2 \"ok\"</title>\
        <link href=\"https://t.example/1\"/><author><name>R&amp;D &lt;team&gt;</name></author>\
        <category term=\"C&amp;C &lt;ops&gt;\"/><updated>2025-06-02T00:00:00Z</updated>\
        <summary>s</summary></entry></feed>";
    let dir = one_feed_planet(&server, "application/atom+xml", atom);
    let files = snapshot(&dir.path().join("output"));
    let title = "Tom & Jerry: 1 < 2 \"ok\"";
    let index = String::from_utf8_lossy(&files["index.html"]).into_owned();
    let dom = parse_document(&index);
    let texts: Vec<String> = descendants(&dom.document)
        .iter()
        .filter(|n| attr(n, "class").as_deref() == Some("entry-title"))
        .map(|n| text_of(n).trim().to_string())
        .collect();
    assert_eq!(texts, [title], "the title as the author wrote it");
    let body = text_of(&dom.document);
    assert!(body.contains("R&D <team>"), "author name shown as text");
    assert!(body.contains("C&C <ops>"), "category shown as text");
    assert!(
        !descendants(&dom.document)
            .iter()
            .any(|n| matches!(element_name(n).as_deref(), Some("team" | "ops"))),
        "no markup made from text"
    );
    assert!(
        index.contains("Tom &amp; Jerry: 1 &lt; 2") && !index.contains("&amp;amp;"),
        "escaped once, not twice"
    );

    let atom_out = String::from_utf8_lossy(&files["atom.xml"]).into_owned();
    let feed = feed_rs::parser::parse(atom_out.as_bytes()).expect("atom.xml parses");
    let entry = &feed.entries[0];
    assert_eq!(
        entry.title.as_ref().map(|t| t.content.as_str()),
        Some(title)
    );
    assert_eq!(entry.authors[0].name.as_deref(), Some("R&D <team>"));
    assert_eq!(entry.categories[0].term, "C&C <ops>");
    let json: serde_json::Value = serde_json::from_slice(&files["feed.json"]).expect("json");
    assert_eq!(json["items"][0]["title"], title);
    assert_eq!(json["items"][0]["authors"][0]["name"], "R&D <team>");
    assert_eq!(json["items"][0]["tags"][0], "C&C <ops>");
}
