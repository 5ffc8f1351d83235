//! Feeds a person would call feeds, end to end through the real binary:
//! servers that lie about charsets (every fixture is served over the local
//! test server with a `Content-Type` that is wrong), an XML declaration the
//! bytes contradict, sloppy JSON Feeds and RSS 1.1. For each: the exact
//! titles on the page, no U+FFFD anywhere in the site, and the encoding and
//! warnings in `health.json` — kept through a 304, and shown by
//! `check --probe` and on the health page.

use crate::common;

use common::{
    Response, TestServer, assert_no_replacement_chars_unless_sourced, pages_with_replacement_chars,
    planetoid, read, stderr, write_config,
};
use serde_json::Value;

const NOW: &str = "2025-06-30T12:00:00Z";

/// An RSS 2.0 document (as text) with these item titles and descriptions.
fn rss(declaration: &str, title: &str, items: &[(&str, &str)]) -> String {
    let mut out = format!(
        "{declaration}<rss version=\"2.0\"><channel><title>{title}</title><link>https://lie.example/</link>"
    );
    for (i, (t, d)) in items.iter().enumerate() {
        out.push_str(&format!(
            "<item><guid>https://lie.example/{title}/{i}</guid><title>{t}</title>\
             <pubDate>{:02} Jun 2025 10:00:00 GMT</pubDate><description>{d}</description></item>",
            20 - i
        ));
    }
    out + "</channel></rss>"
}

fn encode(encoding: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "{text} fits {}", encoding.name());
    bytes.into_owned()
}

const PT: &[(&str, &str)] = &[
    (
        "Últimas Notícias",
        "A programação da conferência já está disponível.",
    ),
    (
        "Inscrições abertas",
        "As inscrições para a próxima reunião começam hoje.",
    ),
    (
        "Ação e reação",
        "Uma discussão sobre a evolução da linguagem.",
    ),
];
const FR: &[(&str, &str)] = &[
    (
        "“Déjà vu” — l’été",
        "Un café à côté de la gare, coût 5 € par personne.",
    ),
    (
        "Réunion générale",
        "L’ordre du jour est très chargé cette année.",
    ),
];
const RU: &[(&str, &str)] = &[
    (
        "Новости сообщества",
        "Встреча в пятницу: доклады о языке и библиотеках.",
    ),
    (
        "Привет, мир",
        "Первая запись нашего нового блога о программировании.",
    ),
    (
        "Итоги года",
        "Мы провели двенадцать встреч и выпустили три версии.",
    ),
];
const UK: &[(&str, &str)] = &[
    (
        "Їжак і ґава",
        "Пишемо українською: це звичайний текст у кодуванні UTF-8.",
    ),
    (
        "Зустріч у Києві",
        "Наступна зустріч відбудеться в четвер увечері.",
    ),
];

/// One lying feed: path, bytes, Content-Type, the titles it must show, the
/// encoding `health.json` must name and a piece of its warning (or none).
struct Case {
    path: &'static str,
    bytes: Vec<u8>,
    content_type: &'static str,
    titles: Vec<&'static str>,
    encoding: &'static str,
    warning: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    let titles = |items: &[(&'static str, &'static str)]| items.iter().map(|(t, _)| *t).collect();
    vec![
        Case {
            path: "/latin1.xml",
            bytes: encode(encoding_rs::WINDOWS_1252, &rss("", "pt", PT)),
            content_type: "application/xml; charset=utf-8",
            titles: titles(PT),
            encoding: "windows-1252",
            warning: Some(
                "the HTTP Content-Type says \"utf-8\", but the bytes are not valid UTF-8: read as windows-1252 instead",
            ),
        },
        Case {
            path: "/cp1252.xml",
            bytes: encode(encoding_rs::WINDOWS_1252, &rss("", "fr", FR)),
            content_type: "application/rss+xml; charset=UTF-8",
            titles: titles(FR),
            encoding: "windows-1252",
            warning: Some("the bytes are not valid UTF-8: read as windows-1252 instead"),
        },
        Case {
            path: "/cp1251.xml",
            bytes: encode(encoding_rs::WINDOWS_1251, &rss("", "ru1", RU)),
            content_type: "text/xml; charset=utf-8",
            titles: titles(RU),
            encoding: "windows-1251",
            warning: Some("the bytes are not valid UTF-8: read as windows-1251 instead"),
        },
        Case {
            path: "/koi8.xml",
            bytes: encode(encoding_rs::KOI8_R, &rss("", "ru2", RU)),
            content_type: "application/rss+xml; charset=utf-8",
            titles: titles(RU),
            encoding: "KOI8-R",
            warning: Some("the bytes are not valid UTF-8: read as KOI8-R instead"),
        },
        Case {
            path: "/utf8.xml",
            bytes: rss("", "uk", UK).into_bytes(),
            content_type: "application/rss+xml; charset=windows-1251",
            titles: titles(UK),
            encoding: "UTF-8",
            warning: Some(
                "the HTTP Content-Type says \"windows-1251\", but the bytes are valid UTF-8: read as UTF-8 instead",
            ),
        },
        Case {
            // Declared Latin-1, really windows-1251: a single-byte label
            // "decodes" any bytes, but into no words.
            path: "/declared.xml",
            bytes: encode(
                encoding_rs::WINDOWS_1251,
                &rss(
                    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n",
                    "ru3",
                    RU,
                ),
            ),
            content_type: "application/rss+xml",
            titles: titles(RU),
            encoding: "windows-1251",
            warning: Some(
                "the XML declaration says \"ISO-8859-1\", but the text reads as words only in windows-1251",
            ),
        },
        Case {
            // And a true label is simply believed.
            path: "/honest.xml",
            bytes: encode(encoding_rs::KOI8_R, &rss("", "ru4", RU)),
            content_type: "application/rss+xml; charset=koi8-r",
            titles: titles(RU),
            encoding: "KOI8-R",
            warning: None,
        },
    ]
}

fn config(server: &TestServer, paths: &[&str]) -> String {
    let mut feeds = String::new();
    for p in paths {
        feeds.push_str(&format!("  - url: {}\n    name: \"{p}\"\n", server.url(p)));
    }
    format!(
        "title: Lies\nbase_url: https://lies.test/\nlang: en\nentries_per_page: 50\nfeeds:\n{feeds}"
    )
}

fn health_of<'h>(health: &'h Value, server: &TestServer, path: &str) -> &'h Value {
    health["feeds"]
        .as_array()
        .and_then(|feeds| feeds.iter().find(|f| f["url"] == server.url(path).as_str()))
        .unwrap_or_else(|| panic!("{path} in health.json"))
}

fn warnings(record: &Value) -> Vec<String> {
    record["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn lying_charsets_are_overruled_by_the_bytes_and_say_so() {
    let server = TestServer::start();
    let cases = cases();
    for c in &cases {
        server.route(
            c.path,
            Response::ok(c.content_type, c.bytes.clone())
                .header("ETag", &format!("\"{}\"", c.path)),
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let paths: Vec<&str> = cases.iter().map(|c| c.path).collect();
    write_config(dir.path(), &config(&server, &paths));
    let out = planetoid(dir.path(), &["build", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let site = dir.path().join("output");
    let page = read(site.join("index.html"));
    let health: Value = serde_json::from_str(&read(site.join("health.json"))).expect("health");
    for c in &cases {
        for title in &c.titles {
            assert!(
                page.contains(&format!(">{title}<")),
                "{}: {title} on the page",
                c.path
            );
        }
        let record = health_of(&health, &server, c.path);
        assert_eq!(record["status"], "ok", "{}", c.path);
        assert_eq!(record["encoding"], c.encoding, "{}", c.path);
        let w = warnings(record);
        match c.warning {
            Some(want) => assert!(
                w.len() == 1 && w[0].contains(want),
                "{}: {w:?} should say {want:?}",
                c.path
            ),
            None => assert!(w.is_empty(), "{}: {w:?}", c.path),
        }
    }
    assert_eq!(
        pages_with_replacement_chars(&site),
        [],
        "no U+FFFD anywhere"
    );
    let sources: Vec<(String, Vec<u8>)> = cases
        .iter()
        .map(|c| (server.url(c.path), c.bytes.clone()))
        .collect();
    assert_no_replacement_chars_unless_sourced(&site, &sources);
    // The terminal summary names what to fix.
    let err = stderr(&out);
    assert!(err.contains("6 with warnings"), "{err}");
    assert!(
        err.contains("warn   /latin1.xml <") && err.contains("read as windows-1252 instead"),
        "{err}"
    );
    // The health page shows them, escaped once.
    let health_page = read(site.join("health/index.html"));
    assert!(health_page.contains("Works, but:"), "{health_page}");
    assert!(
        health_page.contains(
            "the HTTP Content-Type says &quot;utf-8&quot;, but the bytes are not valid UTF-8"
        ),
        "{health_page}"
    );
    assert!(health_page.contains("(read as KOI8-R)"), "{health_page}");

    // A 304 next time: the warnings of the fetch that read the entries stay.
    let out = planetoid(dir.path(), &["build", "--now", "2025-06-30T13:00:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let again: Value = serde_json::from_str(&read(site.join("health.json"))).expect("health");
    let latin1 = health_of(&again, &server, "/latin1.xml");
    assert_eq!(latin1["not_modified"], true, "{latin1}");
    assert_eq!(latin1["encoding"], "windows-1252");
    assert_eq!(
        warnings(latin1),
        warnings(health_of(&health, &server, "/latin1.xml"))
    );

    // `check --probe` says it too, under the feed's row.
    let out = planetoid(dir.path(), &["check", "--probe"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.lines().any(|l| l.trim_start().starts_with(
            "warning: the XML declaration says \"ISO-8859-1\", but the text reads as words only in windows-1251"
        )),
        "{table}"
    );
    assert!(
        stderr(&out).contains("7 of 7 feeds readable, 6 with warnings"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn sloppy_json_feeds_and_rss11_are_read_with_their_warnings() {
    let server = TestServer::start();
    // JSON Feed 1.0 habits, no version, a string where a list belongs.
    let json = r#"{"title":"Sloppy JSON","home_page_url":"https://json.example/",
        "author":{"name":"Old Style"},
        "items":[
          {"id":7,"url":"https://json.example/7","title":"Plain text post",
           "content_text":"Use <script> tags & see.\n\nSecond paragraph.",
           "tags":"rust","date_published":"2025-06-20T10:00:00Z"},
          {"id":"b","url":"/8","title":"Authored post","content_html":"<p>Hello <b>HTML</b></p>",
           "authors":[{"name":"New Style"}],"tags":["json",5],"date_published":"yesterday"},
          {"id":"c","title":"Dated","summary":"only a summary","date_published":"2025-06-18T10:00:00+03:00"}
        ]}"#;
    server.route("/feed.json", Response::ok("application/json", json));
    let rss11 = r#"<?xml version="1.0" encoding="utf-8"?>
<Channel xmlns="http://purl.org/net/rss1.1#" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about="https://r11.example/">
  <title>RSS one one</title><link>https://r11.example/</link><description>old and valid</description>
  <items rdf:parseType="Collection">
    <item rdf:about="https://r11.example/a"><title>Eleven A</title><link>https://r11.example/a</link>
      <description>&lt;p&gt;first&lt;/p&gt;</description><dc:date>2025-06-21T09:00:00Z</dc:date></item>
    <item rdf:about="https://r11.example/b"><title>Eleven B</title><dc:date>2025-06-19T09:00:00Z</dc:date></item>
  </items>
</Channel>"#;
    server.route("/rss11.xml", Response::ok("application/xml", rss11));
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config(&server, &["/feed.json", "/rss11.xml"]));
    let out = planetoid(dir.path(), &["build", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let site = dir.path().join("output");
    let page = read(site.join("index.html"));
    for title in [
        "Plain text post",
        "Authored post",
        "Dated",
        "Eleven A",
        "Eleven B",
    ] {
        assert!(page.contains(&format!(">{title}<")), "{title} on the page");
    }
    // content_text is text: shown escaped, never as markup.
    assert!(
        page.contains("Use &lt;script&gt; tags &amp; see."),
        "{page}"
    );
    assert!(!page.contains("<script> tags"), "{page}");
    assert!(
        page.contains("<b>HTML</b>") && page.contains("first"),
        "{page}"
    );
    assert!(
        page.contains("New Style") && page.contains("Old Style"),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"{}\"", server.url("/8"))),
        "a relative url resolves against the feed's"
    );
    let health: Value = serde_json::from_str(&read(site.join("health.json"))).expect("health");
    let json_health = health_of(&health, &server, "/feed.json");
    assert_eq!(json_health["status"], "ok");
    assert_eq!(json_health["entries"], 3);
    assert_eq!(
        warnings(json_health),
        [
            "the JSON Feed has no `version`: read as JSON Feed 1.1",
            "JSON Feed fields of the wrong type, dropped: 2 (e.g. \"items[0].tags is text, not a list\")",
            "dates that could not be read (the entries keep no date from them): 1 (e.g. \"yesterday\")",
        ]
    );
    let rss11_health = health_of(&health, &server, "/rss11.xml");
    assert_eq!(rss11_health["status"], "ok", "{rss11_health}");
    assert_eq!(rss11_health["entries"], 2);
    assert_eq!(warnings(rss11_health), Vec::<String>::new());
    assert_eq!(pages_with_replacement_chars(&site), []);
}
