//! The published site, end to end with the real binary: the demo planet (plus
//! an About page, a `strings:` override and a feed whose file is missing) is
//! built once, offline, and every test reads that output. Checks: every
//! internal link resolves, archives / per-feed / tag / language / health pages
//! exist and say the right things in Russian (plural and month forms), every
//! output feed parses back (feed-rs, atom_syndication, rss, opml, strict XML)
//! and feed.json validates against the JSON Feed 1.1 schema, and the Nu HTML
//! Checker finds zero errors and axe-core no violations ([`browser`]; skipped
//! with a message when Java, vnu.jar, node or Chromium are missing). Other
//! languages, `max_pages` and a local HTTP server are covered by a second,
//! small planet.

mod browser;
mod schema;
mod search;

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{Response, TestServer, planetoid, read, rss_feed, snapshot, stderr, write_config};

const NOW: &str = "2025-11-25T12:00:00Z";

pub struct Built {
    _dir: tempfile::TempDir,
    pub out: PathBuf,
    pub files: BTreeMap<String, Vec<u8>>,
}

pub use common::copy_dir;

/// The demo planet with an About page, a reworded label and a broken feed.
pub fn demo() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&root.join("demo"), &dir.path().join("demo"));
        let mut config = read(root.join("planet.yaml"));
        config.push_str("  - url: demo/feeds/gone.xml\n    name: Пропавшая лента\n");
        config.push_str(
            "strings:\n  subscribe: Читать планету\npages:\n  - title: О планете\n    file: about.md\n",
        );
        std::fs::write(dir.path().join("planet.yaml"), config).expect("config");
        std::fs::write(
            dir.path().join("about.md"),
            "Планета собирает **блоги** участников.\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        )
        .expect("about.md");
        let out = planetoid(dir.path(), &["build", "--offline", "--now", NOW]);
        assert!(out.status.success(), "{}", stderr(&out));
        let site = dir.path().join("output");
        Built {
            files: snapshot(&site),
            out: site,
            _dir: dir,
        }
    })
}

pub fn page(path: &str) -> String {
    let bytes = demo()
        .files
        .get(path)
        .unwrap_or_else(|| panic!("{path} is missing from the site"));
    String::from_utf8(bytes.clone()).expect("utf-8")
}

/// Every `href="…"`/`src="…"` value of an HTML page, entities left as they are.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

/// Resolves a relative link of the page at `from` to a file of the site.
fn resolve(from: &str, link: &str) -> String {
    let link = link.split(['#', '?']).next().unwrap_or("");
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in link.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                assert!(parts.pop().is_some(), "{link} in {from} leaves the site");
            }
            s => parts.push(s),
        }
    }
    let mut path = parts.join("/");
    if link.is_empty() || link.ends_with('/') {
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str("index.html");
    }
    path
}

#[test]
fn every_internal_link_of_every_page_resolves() {
    let files = &demo().files;
    let pages: Vec<&String> = files.keys().filter(|p| p.ends_with(".html")).collect();
    assert!(pages.len() > 40, "only {} pages", pages.len());
    let mut checked = 0;
    for path in pages {
        let html = page(path);
        for link in links(&html) {
            let external = ["http:", "https:", "data:", "mailto:", "#"]
                .iter()
                .any(|p| link.starts_with(p));
            if external {
                continue;
            }
            let target = resolve(path, &link);
            assert!(
                files.contains_key(&target),
                "{path} links to {link} → {target}, which does not exist"
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} internal links checked");
}

#[test]
fn archives_use_standalone_months_and_russian_plurals() {
    let archive = page("archive/index.html");
    assert!(archive.contains("<h1>Архив</h1>"), "{archive}");
    // Standalone month forms in headings, linked to the month's pages.
    assert!(
        archive.contains("<a href=\"../archive/2025/11/\">ноябрь 2025</a>"),
        "{archive}"
    );
    assert!(archive.contains(">октябрь 2025</a>"), "{archive}");
    assert!(
        !archive.contains("ноября 2025</a>"),
        "genitive in a heading"
    );
    let month = page("archive/2025/10/index.html");
    assert!(month.contains("<h1>октябрь 2025</h1>"), "{month}");
    // Day headings inside use the genitive.
    assert!(month.contains("октября 2025</time></h2>"), "{month}");
    // Paginated with a localized pager and rel links.
    assert!(
        demo()
            .files
            .contains_key("archive/2025/10/page/2/index.html")
    );
    assert!(month.contains("<link rel=\"next\" href=\"../../../archive/2025/10/page/2/\">"));
    assert!(month.contains("следующая ›"));

    // Three Russian plural forms on real pages.
    let index = page("index.html");
    assert!(index.contains("60 записей"), "footer count");
    assert!(index.contains("9 лент"), "feed count");
    let counts: Vec<String> = [1usize, 2, 5, 21, 22]
        .iter()
        .map(|n| {
            let form = match (n % 10, n % 100) {
                (1, m) if m != 11 => "запись",
                (2..=4, m) if !(12..=14).contains(&m) => "записи",
                _ => "записей",
            };
            format!("{n} {form}")
        })
        .collect();
    let tags = page("tags/index.html");
    let seen: Vec<&String> = counts
        .iter()
        .filter(|c| tags.contains(c.as_str()))
        .collect();
    assert!(seen.len() >= 2, "tag counts use several forms: {tags}");
    assert!(!tags.contains("1 записей") && !tags.contains("2 записей"));
}

#[test]
fn feed_tag_language_health_and_extra_pages_exist_and_say_the_right_things() {
    let files = &demo().files;
    let index = page("index.html");
    // Sidebar: each feed links to its own page, with status and newest post.
    let feed_pages: Vec<&String> = files
        .keys()
        .filter(|p| p.starts_with("feeds/") && p.ends_with("/index.html") && !p.contains("/page/"))
        .collect();
    assert_eq!(feed_pages.len(), 9, "{feed_pages:?}");
    for p in &feed_pages {
        let dir = p.trim_end_matches("index.html");
        assert!(
            index.contains(&format!("href=\"./{dir}\"")),
            "sidebar links {dir}"
        );
        // No per-feed Atom copy: the page links the member's own feed.
        assert!(
            !files.contains_key(&format!("{dir}atom.xml")),
            "{dir}atom.xml"
        );
    }
    assert!(index.contains("title=\"работает\""), "status mark");
    assert!(
        index.contains("title=\"не работает\""),
        "failed status mark"
    );
    assert!(
        index.contains("<time datetime=\"2025-11-25T"),
        "newest post date"
    );
    let anna = feed_pages
        .iter()
        .map(|p| page(p))
        .find(|h| h.contains("<h1><span class=\"status status-ok\""))
        .expect("a feed page with a status heading");
    // No Atom copy of a member's feed (these are local files, so no link
    // to the feed itself either), and its posts as excerpts that link to
    // their full text in the archive.
    assert!(!anna.contains("Atom-лента этих записей"), "{anna}");
    assert!(anna.contains("\">В архиве</a>"), "{anna}");
    assert!(anna.contains("href=\"../../archive/20"), "{anna}");

    // Tag pages and the language pages (the demo has en and ru feeds).
    assert!(files.contains_key("tags/index.html"));
    let rust_tag = files
        .keys()
        .find(|p| p.starts_with("tags/") && p.ends_with("/index.html") && p.len() > 16)
        .expect("a tag page");
    assert!(page(rust_tag).contains("<h1>Метка: "));
    assert!(page("lang/en/index.html").contains("Записи на языке: английский"));
    assert!(page("lang/ru/index.html").contains("Записи на языке: русский"));
    assert!(index.contains("<h2>Языки</h2>"));
    // English posts are marked as English for screen readers and hyphenation.
    assert!(index.contains("<h3 class=\"entry-title\" lang=\"en\">"));

    // Health: every feed, its status, its last success, the error of the broken one.
    let health = page("health/index.html");
    assert!(health.contains("<h1>Состояние лент</h1>"));
    assert_eq!(health.matches("<tr class=\"status-").count(), 9);
    assert_eq!(health.matches("<tr class=\"status-ok\">").count(), 8);
    assert!(health.contains("Пропавшая лента"));
    assert!(
        health.contains("<span class=\"error\">"),
        "error text shown"
    );
    assert!(
        health.contains("25 ноября 2025, 12:00 UTC"),
        "last success, localized"
    );
    assert!(
        health.contains(">никогда</td>"),
        "the broken feed never succeeded"
    );

    // The About page: Markdown rendered, then sanitized; linked from the nav.
    let about = page("pages/about/index.html");
    assert!(about.contains("<h1>О планете</h1>"));
    assert!(about.contains("<strong>блоги</strong>") && about.contains("<table>"));
    assert!(!about.contains("alert(1)"), "{about}");
    assert!(index.contains("<a href=\"./pages/about/\">О планете</a>"));
    // The strings: override replaced the theme's label.
    assert!(index.contains("<h2>Читать планету</h2>"));
    assert!(!index.contains("Подписаться"));
}

#[test]
fn every_output_feed_parses_back() {
    let files = &demo().files;
    let xml: Vec<&String> = files.keys().filter(|p| p.ends_with(".xml")).collect();
    assert!(xml.len() > 20, "{xml:?}");
    for path in &xml {
        let bytes = &files[*path];
        // Strict XML: well-formed to the end, no control characters.
        let mut reader = quick_xml::Reader::from_reader(bytes.as_slice());
        reader.config_mut().check_end_names = true;
        let mut buf = Vec::new();
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{path} is not well-formed XML: {e}"),
            }
            buf.clear();
        }
        assert!(
            !bytes
                .iter()
                .any(|b| *b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')),
            "{path} has control characters"
        );
        if path.ends_with("atom.xml") || path.as_str() == "rss.xml" {
            let feed = feed_rs::parser::parse(bytes.as_slice())
                .unwrap_or_else(|e| panic!("{path}: feed-rs: {e}"));
            // Only the broken feed's own Atom feed may be empty.
            assert!(
                !feed.entries.is_empty() || path.starts_with("feeds/"),
                "{path} has entries"
            );
        }
        if path.ends_with("atom.xml") {
            let atom = atom_syndication::Feed::read_from(bytes.as_slice())
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            let self_link = atom
                .links()
                .iter()
                .find(|l| l.rel() == "self")
                .expect("self");
            // Percent-encoded, as every published address.
            let want = url::Url::parse(&format!("https://planet.spb-rust.example.org/{path}"))
                .map(String::from);
            assert_eq!(Ok(self_link.href().to_string()), want, "{path}");
            for entry in atom.entries() {
                assert!(entry.source().is_some(), "{path}: entry credits its source");
            }
        }
    }
    // A tag's Atom feed holds only that tag's entries, as excerpts (the
    // full text lives on the timeline and in the archive).
    assert!(!xml.iter().any(|p| p.starts_with("feeds/")), "{xml:?}");
    let tag_atom = xml
        .iter()
        .find(|p| p.starts_with("tags/"))
        .expect("per-tag atom");
    let atom = atom_syndication::Feed::read_from(files[*tag_atom].as_slice()).expect("atom");
    assert!(!atom.entries().is_empty(), "{tag_atom}");
    let tag_name = atom
        .title()
        .as_str()
        .split(" · ")
        .next()
        .unwrap_or_default()
        .to_lowercase();
    for entry in atom.entries() {
        assert!(entry.content().is_none(), "{tag_atom}: no full text");
        assert!(
            entry.summary().is_some_and(|s| !s.value.is_empty()),
            "{tag_atom}: an excerpt"
        );
        assert!(
            entry
                .categories()
                .iter()
                .any(|c| tag_name.contains(&c.term().to_lowercase())),
            "{tag_atom}: {tag_name} vs {:?}",
            entry.categories()
        );
    }
    rss::Channel::read_from(files["rss.xml"].as_slice()).expect("rss parses");
    let opml = opml::OPML::from_str(&page("opml.xml")).expect("opml parses");
    assert_eq!(opml.body.outlines.len(), 9);
}

// ---- Another planet: English/Ukrainian/…, max_pages, served over HTTP ----

fn small_planet(server: &TestServer, lang: &str, extra: &str) -> String {
    format!(
        "title: Small\nbase_url: https://small.test/\nlang: {lang}\nentries_per_page: 4\n{extra}feeds:\n  - url: {}\n    name: Alpha\n  - url: {}\n    name: Beta\n",
        server.url("/a.xml"),
        server.url("/b.xml"),
    )
}

#[test]
fn max_pages_caps_the_timeline_but_archives_keep_everything() {
    let server = TestServer::start();
    server.route(
        "/a.xml",
        Response::ok("application/rss+xml", rss_feed("alpha", 10, 29)),
    );
    server.route(
        "/b.xml",
        Response::ok("application/rss+xml", rss_feed("beta", 10, 28)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &small_planet(&server, "en", "max_pages: 2\n"));
    let out = planetoid(dir.path(), &["build", "--now", "2025-06-30T12:00:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("20 entries on 2 pages"),
        "{}",
        stderr(&out)
    );
    let site = dir.path().join("output");
    assert!(site.join("page/2/index.html").is_file());
    assert!(!site.join("page/3").exists(), "max_pages");
    let second = read(site.join("page/2/index.html"));
    assert!(!second.contains("rel=\"next\""), "page 2 is the last one");
    // The June archive has all 20 posts over 5 pages.
    let june = read(site.join("archive/2025/06/index.html"));
    assert!(
        june.contains("<h1>June 2025</h1>") && june.contains("20 posts"),
        "{june}"
    );
    assert!(site.join("archive/2025/06/page/5/index.html").is_file());
    // Per-feed pages are capped too, English plurals and dates.
    assert!(read(site.join("index.html")).contains("29 June 2025</time></h2>"));
    // No tags and a single (unknown) language: no tag or language pages.
    assert!(!site.join("tags").exists() && !site.join("lang").exists());
    assert!(!read(site.join("index.html")).contains("href=\"./tags/\""));
}

#[test]
fn ukrainian_german_french_spanish_pages_use_their_own_forms() {
    let server = TestServer::start();
    server.route(
        "/a.xml",
        Response::ok("application/rss+xml", rss_feed("alpha", 3, 5)),
    );
    server.route(
        "/b.xml",
        Response::ok("application/rss+xml", rss_feed("beta", 2, 4)),
    );
    for (lang, expect) in [
        (
            "uk",
            [
                "5 червня 2025 р.",
                "червень 2025 р.",
                "5 дописів",
                "2 стрічки",
            ],
        ),
        (
            "de",
            ["5. Juni 2025", ">Juni 2025<", "5 Beiträge", "2 Feeds"],
        ),
        ("fr", ["5 juin 2025", ">juin 2025<", "5 articles", "2 flux"]),
        (
            "es",
            [
                "5 de junio de 2025",
                ">junio de 2025<",
                "5 entradas",
                "2 feeds",
            ],
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        write_config(dir.path(), &small_planet(&server, lang, ""));
        let out = planetoid(dir.path(), &["build", "--now", "2025-06-30T12:00:00Z"]);
        assert!(out.status.success(), "{lang}: {}", stderr(&out));
        let site = dir.path().join("output");
        let all = read(site.join("index.html")) + &read(site.join("archive/index.html"));
        assert!(all.contains(&format!("<html lang=\"{lang}\">")));
        for text in expect {
            assert!(all.contains(text), "{lang}: missing {text}");
        }
    }
}

#[test]
fn unknown_strings_override_fails_before_any_fetch() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        &small_planet(&server, "ru", "strings:\n  subscribtions: Ленты\n"),
    );
    let out = planetoid(dir.path(), &["build"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("strings.subscribtions is not a UI string"),
        "{err}"
    );
    assert!(
        server.requests().is_empty(),
        "no fetch before the theme is checked"
    );
}

#[test]
fn the_demo_site_is_byte_identical_when_built_twice() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root.join("demo"), &dir.path().join("demo"));
    std::fs::copy(root.join("planet.yaml"), dir.path().join("planet.yaml")).expect("config");
    let mut snapshots = Vec::new();
    for output in ["one", "two"] {
        let out = planetoid(
            dir.path(),
            &["build", "--offline", "--now", NOW, "-o", output],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        snapshots.push(snapshot(&dir.path().join(output)));
    }
    assert!(snapshots[0].keys().any(|k| k.starts_with("tags/")));
    assert!(snapshots[0].keys().any(|k| k.starts_with("lang/")));
    assert_eq!(
        snapshots[0].keys().collect::<Vec<_>>(),
        snapshots[1].keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &snapshots[0] {
        assert!(
            snapshots[1][path] == *bytes,
            "{path} differs between identical builds"
        );
    }
}
