//! Snapshot tests (insta) of the rendered site for a small fixed planet and a
//! fixed `--now`: the list of files and the main page kinds. A change to the
//! theme or to the page contexts shows up here as a reviewable diff; accept it
//! with `cargo insta review` (or `INSTA_UPDATE=always cargo test`) when it is
//! intended. Bodies are plain paragraphs so sanitizer changes do not churn.

use crate::common;

use common::{planetoid, snapshot, stderr, write_config};

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Alpha writes</title>
  <id>urn:alpha</id>
  <updated>2025-02-03T10:00:00Z</updated>
  <link rel="alternate" href="https://alpha.example/"/>
  <entry>
    <title>Lifetimes &amp; you</title>
    <id>urn:alpha:3</id>
    <link href="https://alpha.example/3"/>
    <updated>2025-02-03T10:00:00Z</updated>
    <category term="Rust"/>
    <category term="lifetimes"/>
    <content type="html">&lt;p&gt;Third post.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Second</title>
    <id>urn:alpha:2</id>
    <link href="https://alpha.example/2"/>
    <updated>2025-01-20T10:00:00Z</updated>
    <category term="rust"/>
    <content type="html">&lt;p&gt;Second post.&lt;/p&gt;</content>
  </entry>
</feed>
"#;

const RSS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Бета</title><link>https://beta.example/</link><description>d</description><language>ru</language>
  <item><title>Первая запись</title><link>https://beta.example/1</link><guid>https://beta.example/1</guid>
    <pubDate>Sun, 05 Jan 2025 09:00:00 GMT</pubDate><description>&lt;p&gt;Привет.&lt;/p&gt;</description></item>
  <item><title></title><link>https://beta.example/2</link><guid>https://beta.example/2</guid>
    <pubDate>Mon, 03 Feb 2025 08:00:00 GMT</pubDate></item>
</channel></rss>
"#;

#[test]
fn rendered_pages_match_their_snapshots() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("alpha.xml"), ATOM).expect("alpha");
    std::fs::write(dir.path().join("beta.xml"), RSS).expect("beta");
    std::fs::write(dir.path().join("about.md"), "We *read* blogs.\n").expect("about");
    write_config(
        dir.path(),
        "title: Snapshot Planet\nbase_url: https://snap.example/\nlang: ru\nentries_per_page: 2\nsearch: true\n\
         pages:\n  - title: О нас\n    file: about.md\n\
         feeds:\n  - url: alpha.xml\n    name: Alpha\n  - url: beta.xml\n  - url: missing.xml\n    name: Gone\n",
    );
    let out = planetoid(
        dir.path(),
        &["build", "--offline", "--now", "2025-02-04T12:00:00Z"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let files = snapshot(&dir.path().join("output"));
    let list: Vec<&str> = files.keys().map(String::as_str).collect();
    // One test binary holds every suite: name the snapshots as they were
    // named when this file was a crate of its own.
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    let _named = settings.bind_to_scope();
    insta::assert_snapshot!("snapshots__files", list.join("\n"));
    // The health page quotes the missing file's absolute path: hide the temp dir.
    let tmp = dir.path().display().to_string();
    let text = |path: &str| {
        String::from_utf8(files[path].clone())
            .expect("utf-8")
            .replace(&tmp, "[DIR]")
    };
    let alpha = files
        .keys()
        .find(|k| {
            k.starts_with("feeds/")
                && text(k).contains("<h1><span class=\"status status-ok\"")
                && text(k).contains("Alpha")
        })
        .expect("Alpha's page")
        .clone();
    for (name, path) in [
        ("snapshots__index", "index.html"),
        ("snapshots__page-2", "page/2/index.html"),
        ("snapshots__archive", "archive/index.html"),
        ("snapshots__archive-month", "archive/2025/01/index.html"),
        ("snapshots__feed", alpha.as_str()),
        ("snapshots__tag", "tags/rust/index.html"),
        ("snapshots__language", "lang/en/index.html"),
        ("snapshots__health", "health/index.html"),
        ("snapshots__about", "pages/about/index.html"),
    ] {
        insta::assert_snapshot!(name, text(path));
    }
}
