//! The search index's bundles on a mixed Russian and English planet whose
//! posts span two months: each language has a root bundle (its newest
//! month, with Pagefind's script) and a bundle per older month merged into
//! it, and a post added to the newest month re-indexes only that month's
//! bundle. What a reader finds in Chromium is `site/search.rs`'s.

use crate::common::{planetoid, read, snapshot, stderr};

use std::path::Path;

const NOW: &str = "2025-02-28T12:00:00Z";

/// An RSS feed of `(title, RFC 2822 date, HTML body)` items.
fn feed(name: &str, items: &[(&str, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, date, body)| {
            let body = body.replace('&', "&amp;").replace('<', "&lt;");
            let slug = blake3::hash(title.as_bytes()).to_hex();
            let slug = &slug[..12];
            format!(
                "<item><title>{title}</title><link>https://{name}.example/{slug}</link>\
                 <guid>https://{name}.example/{slug}</guid><pubDate>{date}</pubDate>\
                 <description>{body}</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>\
         <title>{name}</title><link>https://{name}.example/</link><description>d</description>\
         {items}</channel></rss>"
    )
}

const VASYA: &[(&str, &str, &str)] = &[
    (
        "Про кошек",
        "Wed, 12 Feb 2025 10:00:00 GMT",
        "<p>Кошки спят весь день.</p>",
    ),
    (
        "Наша планета",
        "Fri, 10 Jan 2025 10:00:00 GMT",
        "<p>Эта планета вращается вокруг Солнца.</p>",
    ),
];

const ALICE: &[(&str, &str, &str)] = &[
    (
        "Borrow checker errors",
        "Thu, 20 Feb 2025 10:00:00 GMT",
        "<p>Fighting the borrow checker in Rust.</p><pre><code>let x = &mut y;</code></pre>",
    ),
    (
        "Gardening",
        "Sun, 05 Jan 2025 10:00:00 GMT",
        "<p>Tomatoes in spring.</p>",
    ),
];

const BOB: &[(&str, &str, &str)] = &[(
    "Lifetimes",
    "Wed, 15 Jan 2025 10:00:00 GMT",
    "<p>The borrow checker and lifetimes, explained.</p>",
)];

/// The mixed planet, built once at [`NOW`].
fn mixed_planet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).expect("feeds");
    for (file, name, items) in [
        ("vasya.xml", "vasya", VASYA),
        ("alice.xml", "alice", ALICE),
        ("bob.xml", "bob", BOB),
    ] {
        std::fs::write(feeds.join(file), feed(name, items)).expect("feed");
    }
    std::fs::write(
        dir.path().join("planet.yaml"),
        "title: Mixed\nbase_url: https://mixed.test/\nlang: en\nsearch: true\nfeeds:\n\
         \x20 - url: feeds/vasya.xml\n    name: Вася\n    lang: ru\n\
         \x20 - url: feeds/alice.xml\n    name: Alice\n    lang: en\n\
         \x20 - url: feeds/bob.xml\n    name: Bob\n    lang: en\n",
    )
    .expect("planet.yaml");
    let built = planetoid(dir.path(), &["-v", "build", "--now", NOW]);
    assert!(built.status.success(), "{}", stderr(&built));
    dir
}

/// The search files by path, with their inodes.
fn search_inodes(out: &Path) -> std::collections::BTreeMap<String, u64> {
    use std::os::unix::fs::MetadataExt;
    snapshot(out)
        .into_keys()
        .filter(|p| p.starts_with("pagefind/"))
        .map(|p| {
            let ino = std::fs::metadata(out.join(&p)).expect("stat").ino();
            (p, ino)
        })
        .collect()
}

#[test]
fn each_language_has_a_root_bundle_and_one_merged_bundle_per_older_month() {
    let dir = mixed_planet();
    let out = dir.path().join("output");
    let files = search_inodes(&out);
    for root in ["pagefind/en/", "pagefind/ru/"] {
        for name in ["pagefind.js", "pagefind-worker.js", "pagefind-entry.json"] {
            assert!(files.contains_key(&format!("{root}{name}")), "{root}{name}");
        }
        let merged = format!("{root}2025-01/");
        assert!(
            files.contains_key(&format!("{merged}pagefind-entry.json")),
            "{files:?}"
        );
        // A merged bundle uses its root's script and WebAssembly.
        assert!(
            !files
                .keys()
                .any(|p| p.starts_with(&merged) && (p.ends_with(".js") || p.contains("wasm."))),
            "{files:?}"
        );
    }
    let page = read(out.join("search/index.html"));
    assert!(
        page.contains("data-bundles=\"en:2025-01 ru:2025-01\""),
        "{page}"
    );
}

#[test]
fn a_post_in_the_newest_month_reindexes_only_that_months_bundle() {
    let dir = mixed_planet();
    let out = dir.path().join("output");
    let before = search_inodes(&out);
    let mut alice = ALICE.to_vec();
    alice.insert(
        0,
        (
            "More borrowing",
            "Fri, 21 Feb 2025 10:00:00 GMT",
            "<p>Borrowing again.</p>",
        ),
    );
    std::fs::write(dir.path().join("feeds/alice.xml"), feed("alice", &alice)).expect("feed");
    let built = planetoid(dir.path(), &["-v", "build", "--now", NOW]);
    let log = stderr(&built);
    assert!(built.status.success(), "{log}");
    assert!(
        log.contains("in 4 bundles, 3 unchanged, rebuilt: en/2025-02"),
        "{log}"
    );
    let after = search_inodes(&out);
    let is_root_file = |p: &str| {
        p.strip_prefix("pagefind/en/")
            .is_some_and(|rest| !rest.starts_with("2025-01/"))
    };
    for (path, ino) in &before {
        if !is_root_file(path) {
            assert_eq!(after.get(path), Some(ino), "{path} was written again");
        }
    }
    // The root's index and fragments are new files (its script is too).
    let changed = after
        .iter()
        .filter(|(p, ino)| is_root_file(p) && before.get(*p) != Some(*ino))
        .count();
    assert!(changed > 3, "{after:?}");
}
