//! The demo planet at the repository root builds offline and shows what the
//! README promises: a Russian pager, decoded windows-1251 titles, and no text
//! from any `<style>`, `<script>`, `<textarea>` or `<template>` body.

use crate::common;

use std::path::Path;

use common::{copy_dir, planetoid, read, stderr};

/// A scratch copy of the demo planet (planet.yaml and demo/).
fn demo_copy() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(root.join("planet.yaml"), dir.path().join("planet.yaml")).expect("copy config");
    copy_dir(&root.join("demo"), &dir.path().join("demo"));
    dir
}

#[test]
fn demo_planet_builds_offline_in_russian_without_leaks() {
    let dir = demo_copy();

    let out = planetoid(
        dir.path(),
        &["build", "--offline", "--now", "2025-11-25T12:00:00Z"],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("8 feeds (8 ok, 0 stale, 0 failed)"), "{err}");

    let site = dir.path().join("output");
    let pages: Vec<String> = ["index.html", "page/2/index.html", "page/3/index.html"]
        .iter()
        .map(|p| read(site.join(p)))
        .collect();
    let first = &pages[0];
    assert!(first.contains("<html lang=\"ru\">"));
    for label in ["Страницы", "следующая ›", "последняя »"] {
        assert!(first.contains(label), "page 1 shows {label}");
    }
    for label in ["« первая", "‹ предыдущая"] {
        assert!(pages[1].contains(label), "page 2 shows {label}");
    }
    // Localized dates with genitive month names.
    assert!(
        pages.iter().any(|p| p.contains("ноября 2025")),
        "Russian dates"
    );

    // windows-1251 titles decoded, not mojibake.
    let all = pages.join("\n");
    assert!(
        all.contains("Митап: асинхронный Rust, 12 октября"),
        "cp1251 feed decoded"
    );
    assert!(
        !all.contains("Ð") && !all.contains('\u{FFFD}'),
        "no mojibake"
    );

    // Nothing from style/script/textarea/template bodies leaks as text.
    for leak in [
        "mjx-chtml",
        "@font-face",
        "alert(",
        "tracker",
        "color:red",
        "СЕКРЕТНЫЙ ТЕКСТ",
        "track.example",
    ] {
        assert!(!all.contains(leak), "{leak} leaked into the site");
    }
    // TeX source in a math/tex script is kept as text a theme can typeset.
    assert!(all.contains("\\(E = mc^2\\)"), "TeX kept as text");
    // Escaped HTML is rendered, not shown as tags (RSS 1.0 descriptions).
    assert!(!all.contains("&lt;p&gt;"), "escaped HTML shown as text");
    // Code keeps its indentation; relative images are absolute.
    assert!(
        all.contains("<pre><code class=\"language-rust\">"),
        "code blocks kept"
    );
    assert!(
        all.contains("src=\"https://anna.example.org/"),
        "relative image resolved"
    );
    assert!(
        all.contains("https://ivan.example.ru/blog/img/graph.svg"),
        "xml:base honoured"
    );

    for file in [
        "atom.xml",
        "rss.xml",
        "feed.json",
        "opml.xml",
        "health.json",
    ] {
        assert!(site.join(file).is_file(), "{file}");
    }
}

#[test]
fn demo_planet_exports_its_subscriptions_as_opml() {
    let dir = demo_copy();
    let out = planetoid(dir.path(), &["opml", "export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let expected = concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<opml version=\"2.0\"><head><title>Планета Rust СПб</title></head><body>",
        "<outline text=\"Anna Petrova\" type=\"rss\" xmlUrl=\"demo/feeds/anna-blog.xml\" title=\"Anna Petrova\"/>",
        "<outline text=\"Иван Смирнов\" type=\"rss\" xmlUrl=\"demo/feeds/ivan-blog.xml\" title=\"Иван Смирнов\"/>",
        "<outline text=\"Мероприятия SPb Rust\" type=\"rss\" xmlUrl=\"demo/feeds/spb-events.xml\" title=\"Мероприятия SPb Rust\"/>",
        "<outline text=\"demo/feeds/rust-digest.json\" type=\"rss\" xmlUrl=\"demo/feeds/rust-digest.json\" title=\"demo/feeds/rust-digest.json\"/>",
        "<outline text=\"Olga Kuznetsova\" type=\"rss\" xmlUrl=\"demo/feeds/olga-notes.xml\" title=\"Olga Kuznetsova\"/>",
        "<outline text=\"demo/feeds/mikhail-ru.xml\" type=\"rss\" xmlUrl=\"demo/feeds/mikhail-ru.xml\" title=\"demo/feeds/mikhail-ru.xml\"/>",
        "<outline text=\"demo/feeds/team-blog.xml\" type=\"rss\" xmlUrl=\"demo/feeds/team-blog.xml\" title=\"demo/feeds/team-blog.xml\"/>",
        "<outline text=\"demo/feeds/podcast.xml\" type=\"rss\" xmlUrl=\"demo/feeds/podcast.xml\" title=\"demo/feeds/podcast.xml\"/>",
        "</body></opml>",
        "\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
