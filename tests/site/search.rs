//! Search, end to end in headless Chromium (`search.js`): a planet of
//! Russian and English posts, built by the real binary and served over
//! HTTP on loopback. A Russian word in another inflection finds the Russian
//! post (the Russian bundle stems it), an English query finds the English
//! post, a source filter narrows the results, every result link opens the
//! archive page at that entry's anchor, and a hostile post's text shows in
//! the results as text while nothing runs. With the XSS corpus present the
//! whole payload planet is searched too. Skipped with a message when node,
//! Chromium or playwright-core are missing, and a failure then when
//! `PLANETOID_REQUIRE_BROWSER=1` is set.

use std::path::{Path, PathBuf};

use super::NOW;
use super::browser::{node_tools, run_node, serve_site};
use crate::common::{TestServer, planetoid, snapshot, stderr};
use crate::safety;

fn tools() -> Option<(PathBuf, PathBuf)> {
    let found = node_tools(&["playwright-core"]);
    if found.is_none() {
        crate::common::skip(
            crate::common::Need::Browser,
            "search in Chromium needs node, chromium and playwright-core",
        );
    }
    found
}

/// Items are `(id, title, body, date)`.
fn rss(title: &str, lang: &str, items: &[(&str, &str, &str, &str)]) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>{title}</title><link>https://{lang}.example/</link><language>{lang}</language>"
    );
    for (id, title, body, date) in items {
        xml.push_str(&format!(
            "<item><title>{title}</title><link>https://{lang}.example/{id}</link><guid>https://{lang}.example/{id}</guid><pubDate>{date} 10:00:00 +0000</pubDate><description>{body}</description></item>"
        ));
    }
    xml + "</channel></rss>"
}

/// Russian and English members and one hostile post over October and
/// November 2025, so each language has its November bundle and an October
/// one merged into it; `--offline`, file feeds.
fn mixed_planet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).expect("feeds");
    let write = |name: &str, text: String| std::fs::write(feeds.join(name), text).expect("feed");
    write(
        "ivan.xml",
        rss(
            "Иван",
            "ru",
            &[
                (
                    "koshki",
                    "Про кошек",
                    "&lt;p&gt;Кошки спят весь день.&lt;/p&gt;",
                    "Wed, 12 Nov 2025",
                ),
                (
                    "planeta",
                    "Наша планета",
                    "&lt;p&gt;Эта планета собирает блоги о языке Rust.&lt;/p&gt;",
                    "Fri, 10 Oct 2025",
                ),
            ],
        ),
    );
    write(
        "anna.xml",
        rss(
            "Anna",
            "en",
            &[
                (
                    "borrow",
                    "Borrow checker errors explained",
                    "&lt;p&gt;Rust borrow checker errors are friendly once you read them.&lt;/p&gt;",
                    "Mon, 13 Oct 2025",
                ),
                (
                    "async",
                    "Async in practice",
                    "&lt;p&gt;Tokio and async Rust, with &lt;code&gt;select!&lt;/code&gt;.&lt;/p&gt;",
                    "Tue, 11 Nov 2025",
                ),
            ],
        ),
    );
    write(
        "boris.xml",
        rss(
            "Boris",
            "en",
            &[
                (
                    "embedded",
                    "Embedded adventures",
                    "&lt;p&gt;Rust runs on microcontrollers.&lt;/p&gt;",
                    "Mon, 20 Oct 2025",
                ),
                (
                    "hostile",
                    "&amp;lt;img src=x onerror=alert(1)&amp;gt; hostile title",
                    "&lt;p&gt;hostilemarker &amp;lt;script&amp;gt;alert(2)&amp;lt;/script&amp;gt; &amp;lt;mark&amp;gt;fake&amp;lt;/mark&amp;gt;&lt;/p&gt;&lt;script&gt;alert(3)&lt;/script&gt;&lt;img src=x onerror=alert(4)&gt;",
                    "Thu, 13 Nov 2025",
                ),
            ],
        ),
    );
    std::fs::write(
        dir.path().join("planet.yaml"),
        "title: Mixed planet\nbase_url: https://planet.test/\nlang: en\nsearch: true\nfeeds:\n  - url: feeds/ivan.xml\n    name: Иван\n    lang: ru\n  - url: feeds/anna.xml\n    name: Anna\n    lang: en\n  - url: feeds/boris.xml\n    name: Boris\n    lang: en\n",
    )
    .expect("planet.yaml");
    let out = planetoid(dir.path(), &["build", "--offline", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    dir
}

fn drive(modules: &Path, chromium: &Path, config: serde_json::Value) -> serde_json::Value {
    let mut config = config;
    config["chromium"] = serde_json::json!(chromium);
    run_node("search.js", modules, &config)
}

fn results<'a>(report: &'a serde_json::Value, name: &str) -> &'a Vec<serde_json::Value> {
    let q = &report["queries"][name];
    assert_eq!(q["state"], "done", "{name}: {q}");
    q["results"].as_array().expect("results")
}

fn titles(report: &serde_json::Value, name: &str) -> Vec<String> {
    results(report, name)
        .iter()
        .map(|r| r["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn russian_and_english_posts_are_found_filtered_and_linked_to_their_anchors() {
    let Some((modules, chromium)) = tools() else {
        return;
    };
    let planet = mixed_planet();
    let files = snapshot(&planet.path().join("output"));
    // Each language: November at its root, October merged into it.
    for lang in ["ru", "en"] {
        for bundle in [
            format!("pagefind/{lang}/"),
            format!("pagefind/{lang}/2025-10/"),
        ] {
            assert!(
                files.contains_key(&format!("{bundle}pagefind-entry.json")),
                "{bundle}"
            );
        }
    }
    let server = TestServer::start();
    serve_site(&server, "p", &files);
    let url = |query: &str| server.url(&format!("/p/search/?{query}"));
    let report = drive(
        &modules,
        &chromium,
        serde_json::json!({
            "queries": [
                {"name": "ru", "url": url("q=%D0%BF%D0%BB%D0%B0%D0%BD%D0%B5%D1%82%D1%8B")},
                {"name": "en", "url": url("q=errors")},
                {"name": "en-stem", "url": url("q=error")},
                {"name": "rust", "url": url("q=rust")},
                {"name": "rust-anna", "url": url("q=rust&source=Anna")},
                {"name": "rust-ru", "url": url("q=rust&lang=ru")},
                {"name": "hostile", "url": url("q=hostilemarker")},
                {"name": "filter-only", "url": url("source=Boris")},
            ],
            "follow": "rust",
        }),
    );
    // "планеты" is not in the post; "планета" is, and both stem alike.
    assert_eq!(titles(&report, "ru"), ["Наша планета"], "{report}");
    assert_eq!(results(&report, "ru")[0]["lang"], "ru");
    assert_eq!(results(&report, "ru")[0]["source"], "Иван");
    assert_eq!(titles(&report, "en"), ["Borrow checker errors explained"]);
    assert_eq!(
        titles(&report, "en-stem"),
        ["Borrow checker errors explained"]
    );
    let all = titles(&report, "rust");
    assert_eq!(
        all.len(),
        4,
        "every post mentioning Rust, both languages: {all:?}"
    );
    let anna = results(&report, "rust-anna");
    assert_eq!(anna.len(), 2, "{anna:?}");
    assert!(anna.iter().all(|r| r["source"] == "Anna"), "{anna:?}");
    assert_eq!(titles(&report, "rust-ru"), ["Наша планета"]);
    let boris = titles(&report, "filter-only");
    assert_eq!(
        boris,
        [
            "<img src=x onerror=alert(1)> hostile title",
            "Embedded adventures"
        ],
        "a filter alone lists that source's posts, newest first, across months"
    );
    assert!(
        report["queries"]["rust"]["status"]
            .as_str()
            .is_some_and(|s| s.contains('4')),
        "{report}"
    );
    let excerpt = results(&report, "en")[0]["excerpt"]
        .as_str()
        .unwrap_or_default();
    assert!(excerpt.contains("borrow checker errors"), "{excerpt}");
    assert_eq!(
        results(&report, "en")[0]["marks"],
        serde_json::json!(["errors"])
    );

    // Every result link opens the month page at the entry's anchor, in
    // both months.
    let anchors = report["anchors"].as_array().expect("anchors");
    assert_eq!(anchors.len(), 4);
    let mut months = std::collections::BTreeSet::new();
    for (a, title) in anchors.iter().zip(&all) {
        assert_eq!(a["found"], true, "{a}");
        let href = a["href"].as_str().unwrap_or_default();
        let month = ["10", "11"]
            .into_iter()
            .find(|m| href.contains(&format!("/p/archive/2025/{m}/")));
        assert!(month.is_some(), "{a}");
        months.extend(month);
        assert_eq!(a["heading"].as_str(), Some(title.as_str()), "{a}");
    }
    assert_eq!(months.len(), 2, "{anchors:?}");

    // A hostile post's text is text in the results; nothing ran.
    let hostile = results(&report, "hostile");
    assert_eq!(hostile.len(), 1, "{hostile:?}");
    let h = &hostile[0];
    assert_eq!(h["title"], "<img src=x onerror=alert(1)> hostile title");
    let excerpt = h["excerpt"].as_str().unwrap_or_default();
    assert!(excerpt.contains("<script>alert(2)</script>"), "{excerpt}");
    assert!(excerpt.contains("<mark>fake</mark>"), "{excerpt}");
    assert!(
        !excerpt.contains("alert(3)"),
        "script content never indexed: {excerpt}"
    );
    assert_eq!(h["marks"], serde_json::json!(["hostilemarker"]));
    assert_eq!(
        h["elements"],
        serde_json::json!(["a", "h2", "mark", "p", "span", "time"]),
        "only the result's own markup"
    );
    assert_eq!(report["calls"], serde_json::json!([]), "{report}");
    assert_eq!(report["dialogs"], 0);
    assert_eq!(report["popups"], 0);
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
}

#[test]
fn the_xss_corpus_planet_searched_runs_nothing() {
    let Some((modules, chromium)) = tools() else {
        return;
    };
    let Some(corpus) = safety::corpus_dir() else {
        return;
    };
    let planet = safety::build_payload_planet(&corpus);
    let files = snapshot(&planet.dir.path().join("output"));
    let server = TestServer::start();
    serve_site(&server, "x", &files);
    // Every entry's title ends with its form: three queries list them all.
    let queries: Vec<serde_json::Value> = ["atom", "rss", "json"]
        .iter()
        .map(|form| {
            serde_json::json!({"name": form, "more": 9,
                "url": server.url(&format!("/x/search/?q={form}"))})
        })
        .collect();
    let report = drive(&modules, &chromium, serde_json::json!({"queries": queries}));
    let shown: usize = ["atom", "rss", "json"]
        .iter()
        .map(|q| results(&report, q).len())
        .sum();
    eprintln!(
        "search: {shown} payload results shown ({} payloads, 3 forms each)",
        planet.payloads.len()
    );
    assert_eq!(shown, 600, "ten pages of each form's results");
    for q in ["atom", "rss", "json"] {
        let status = report["queries"][q]["status"].as_str().unwrap_or_default();
        let total: usize = status
            .split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or(0);
        assert!(
            total >= planet.payloads.len(),
            "every payload of {q} found: {status}"
        );
    }
    let allowed = ["a", "h2", "mark", "p", "span", "time"];
    for q in ["atom", "rss", "json"] {
        for r in results(&report, q) {
            let elements = r["elements"].as_array().expect("elements");
            assert!(
                elements
                    .iter()
                    .all(|e| allowed.contains(&e.as_str().unwrap_or("?"))),
                "{r}"
            );
        }
    }
    assert_eq!(report["calls"], serde_json::json!([]), "{report}");
    assert_eq!(
        (report["dialogs"].as_u64(), report["popups"].as_u64()),
        (Some(0), Some(0))
    );
}
