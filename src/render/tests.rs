//! Tests of whole renders, published into a temporary directory: escaping,
//! avatars and moved feeds, full text against excerpts, the `max_pages`
//! cap, the sidebar past 25 feeds, and errors that keep their sources.

use super::*;
use chrono::TimeZone;
use std::collections::BTreeMap;

fn feed(url: &str, name: &str) -> FeedInfo {
    FeedInfo {
        id: FeedId::from_source(url),
        name: name.into(),
        url: url.into(),
        feed_url: None,
        site_url: Some(WebUrl::sample("https://site.example/")),
        status: crate::feed_state::FeedStatus::Ok,
        language: None,
        avatar: None,
        moved_to: None,
    }
}

fn entry(feed: &FeedInfo, id: &str, day: u32, title: &str) -> StoredEntry {
    let date = Utc.with_ymd_and_hms(2025, 1, day, 8, 0, 0).unwrap();
    StoredEntry {
        title: title.into(),
        link: Some(WebUrl::sample(&format!("https://site.example/{id}"))),
        body: crate::sanitize::clean("<p>Hello <b>there</b><script>x()</script></p>", None),
        categories: vec!["Rust".into()],
        ..StoredEntry::sample(feed.id.clone(), id, date)
    }
}

/// The bodies are in the entries already (a timeline built in memory).
struct InlineBodies;

impl Bodies for InlineBodies {
    fn load(&self, entries: &[&StoredEntry]) -> Result<Vec<SafeHtml>, BodiesError> {
        Ok(entries.iter().map(|e| e.body.clone()).collect())
    }

    fn excerpt(&self, body: &SafeHtml, words: usize) -> SafeHtml {
        crate::sanitize::excerpt(body, words)
    }
}

/// A site rendered and published into a temporary directory.
struct Built {
    _tmp: tempfile::TempDir,
    out: std::path::PathBuf,
}

impl Built {
    fn has(&self, path: &str) -> bool {
        self.out.join(path).is_file()
    }

    fn text(&self, path: &str) -> String {
        std::fs::read_to_string(self.out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }
}

fn site(feeds: &[FeedInfo], entries: &[StoredEntry], lang: &str) -> Built {
    site_with(feeds, entries, lang, Some(4))
}

fn site_with(
    feeds: &[FeedInfo],
    entries: &[StoredEntry],
    lang: &str,
    listing_excerpts: Option<usize>,
) -> Built {
    let theme = Theme::load(None, lang, &BTreeMap::new()).expect("theme");
    render(
        &theme,
        lang,
        feeds,
        entries,
        listing_excerpts,
        &InlineBodies,
    )
    .expect("renders")
}

/// Renders and publishes a site of `feeds` and `entries` with `theme`
/// (loaded for `lang`).
fn render(
    theme: &Theme,
    lang: &str,
    feeds: &[FeedInfo],
    entries: &[StoredEntry],
    listing_excerpts: Option<usize>,
    bodies: &dyn Bodies,
) -> Result<Built, RenderError> {
    let planet = PlanetInfo {
        title: "P <&>".into(),
        description: None,
        csp_frame_src: "'none'".into(),
        owner_name: None,
        owner_email: None,
        base_url: WebUrl::sample("https://p.example/"),
        lang: lang.into(),
        feed_entries: 10,
        listing_excerpts,
        search: true,
        max_site_bytes: 950_000_000,
    };
    let health = Health {
        generated: "2025-01-31T00:00:00Z".into(),
        lock_wait_secs: 0.0,
        feeds: vec![],
        activity: vec![],
    };
    let input = SiteInput {
        planet: planet.clone(),
        feeds,
        entries,
        per_page: 2,
        max_pages: Some(2),
        extra_pages: Vec::new(),
        health: &health,
        now: Utc.with_ymd_and_hms(2025, 1, 31, 0, 0, 0).unwrap(),
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("output");
    let site = Site::staged(&out, &tmp.path().join("cfg")).expect("staged");
    render_site_into(theme, &input, bodies, &site)?;
    site.commit().expect("commit");
    Ok(Built { _tmp: tmp, out })
}

#[test]
fn plain_text_is_escaped_and_only_sanitized_bodies_are_markup() {
    let a = feed("https://a.example/feed", "<script>alert(1)</script>");
    let entries = [entry(&a, "1", 5, "Fish & <chips>")];
    let site = site(&[a], &entries, "en");
    let index = site.text("index.html");
    assert!(index.contains("Fish &amp; &lt;chips&gt;"), "{index}");
    assert!(
        index.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{index}"
    );
    assert!(!index.contains("<script>"), "{index}");
    assert!(index.contains("<p>Hello <b>there</b></p>"), "{index}");
    assert!(index.contains("<title>P &lt;&amp;&gt;</title>"), "{index}");
}

#[test]
fn avatar_and_moved_to_render_when_the_data_has_them() {
    let mut a = feed("https://a.example/feed", "Alpha");
    a.avatar = Some(Avatar::Url(WebUrl::sample("https://a.example/me.png")));
    a.moved_to = Some(WebUrl::sample("https://new.example/feed"));
    let b = feed("https://b.example/feed", "Beta");
    let entries = [entry(&a, "1", 5, "One"), entry(&b, "2", 4, "Two")];
    let site = site(&[a.clone(), b], &entries, "en");
    let index = site.text("index.html");
    assert_eq!(
        index
            .matches("<img class=\"avatar\" src=\"https://a.example/me.png\"")
            .count(),
        2,
        "sidebar and entry: {index}"
    );
    let health = site.text("health/index.html");
    assert!(
        health.contains("Moved to <a href=\"https://new.example/feed\">"),
        "{health}"
    );
    let feed_page = site.text(&format!("feeds/{}/index.html", a.id));
    assert!(
        feed_page.contains("width=\"32\" height=\"32\""),
        "{feed_page}"
    );
    // The sidebar marks the feed whose page this is, and only that one.
    assert_eq!(feed_page.matches("aria-current=\"page\">").count(), 1);
    assert!(
        feed_page.contains("aria-current=\"page\">Alpha</a>"),
        "{feed_page}"
    );
}

#[test]
fn full_text_is_on_the_timeline_and_in_the_archive_and_listings_show_excerpts() {
    let a = feed("https://a.example/feed", "Alpha");
    let long = |id: &str, day: u32| StoredEntry {
        body: crate::sanitize::clean(
            &format!("<p>Post {id} <b>one two three</b> four five</p><p>six</p>"),
            None,
        ),
        ..entry(&a, id, day, &format!("Post {id}"))
    };
    // Newest first: 5, 4, 3 — page 2 of January holds the third.
    let entries = [long("5", 5), long("4", 4), long("3", 3)];
    let site = site(std::slice::from_ref(&a), &entries, "en");
    let full = "<p>Post 3 <b>one two three</b> four five</p><p>six</p>";
    let anchor = entries::anchor(&entries[2]);
    let month = site.text("archive/2025/01/page/2/index.html");
    assert!(month.contains(full), "{month}");
    assert!(month.contains(&format!("id=\"{anchor}\"")), "{month}");
    assert!(site.text("page/2/index.html").contains(full));

    let feed_page = site.text(&format!("feeds/{}/page/2/index.html", a.id));
    assert!(!feed_page.contains(full), "{feed_page}");
    assert!(
        feed_page.contains("<p>Post 3 <b>one two…</b></p>"),
        "cut on the tree after 4 words: {feed_page}"
    );
    // The title links the original; the excerpt, the entry's home.
    assert!(
        feed_page.contains("<a href=\"https://site.example/3\">Post 3</a>"),
        "{feed_page}"
    );
    assert!(
        feed_page.contains(&format!(
            "<p class=\"entry-more\"><a href=\"../../../../archive/2025/01/page/2/#{anchor}\">In the archive</a></p>"
        )),
        "{feed_page}"
    );
    // What the full text's pages carry, an excerpt leaves there: the
    // anchor, the tags, and (on the feed's own page) the feed's name.
    assert!(
        !feed_page.contains(&format!("id=\"{anchor}\"")),
        "{feed_page}"
    );
    assert!(!feed_page.contains("rel=\"tag\""), "{feed_page}");
    assert!(!feed_page.contains("class=\"entry-source\""), "{feed_page}");
    assert!(month.contains("rel=\"tag\""), "{month}");
    assert!(month.contains("<a class=\"entry-source\""), "{month}");
    let tag_page = site.text("tags/rust/index.html");
    assert!(tag_page.contains("<b>one two…</b>") && !tag_page.contains(full));
    assert!(
        !site.has(&format!("feeds/{}/atom.xml", a.id)),
        "a feed's page links the member's own feed instead"
    );
    let tag_feed = site.text("tags/rust/atom.xml");
    let parsed = atom_syndication::Feed::read_from(tag_feed.as_bytes()).expect("atom");
    assert_eq!(parsed.entries().len(), 3);
    for e in parsed.entries() {
        assert!(e.content().is_none(), "{tag_feed}");
        let summary = e.summary().expect("an excerpt");
        assert!(summary.value.contains("one two…"), "{tag_feed}");
    }

    // listing_content: full keeps the full text everywhere.
    let full_site = site_with(std::slice::from_ref(&a), &entries, "en", None);
    let feed_page = full_site.text(&format!("feeds/{}/page/2/index.html", a.id));
    assert!(feed_page.contains(full), "{feed_page}");
    assert!(!feed_page.contains("Read the original"), "{feed_page}");
    let tag_feed = full_site.text("tags/rust/atom.xml");
    assert!(tag_feed.contains("<content type=\"html\">"), "{tag_feed}");
}

#[test]
fn max_pages_caps_lists_but_not_month_archives() {
    let a = feed("https://a.example/feed", "Alpha");
    let entries: Vec<StoredEntry> = (1..=9)
        .rev()
        .map(|d| entry(&a, &d.to_string(), d, &format!("Post {d}")))
        .collect();
    let site = site(std::slice::from_ref(&a), &entries, "ru");
    assert!(site.has("page/2/index.html"));
    assert!(!site.has("page/3/index.html"));
    assert!(!site.has(&format!("feeds/{}/page/3/index.html", a.id)));
    assert!(!site.has("tags/rust/page/3/index.html"));
    assert!(site.has("archive/2025/01/page/5/index.html"));
    let month = site.text("archive/2025/01/page/5/index.html");
    assert!(
        month.contains("<h1>январь 2025 <small>Страница 5</small></h1>"),
        "{month}"
    );
    assert!(month.contains("1 января 2025</time></h2>"), "{month}");
    assert!(
        month.contains("<link rel=\"prev\" href=\"../../../../../archive/2025/01/page/4/\">"),
        "{month}"
    );
    let archive = site.text("archive/index.html");
    assert!(archive.contains("9 записей"), "{archive}");
}

#[test]
fn past_25_feeds_only_the_front_page_lists_every_subscription() {
    let feeds: Vec<FeedInfo> = (0..26)
        .map(|i| feed(&format!("https://f{i}.example/feed"), &format!("F{i}")))
        .collect();
    let entries = [
        entry(&feeds[0], "1", 5, "One"),
        entry(&feeds[0], "2", 4, "Two"),
        entry(&feeds[0], "3", 3, "Three"),
    ];
    let big = site(&feeds, &entries, "en");
    assert!(
        big.text("index.html")
            .contains("<ul class=\"subscriptions\">")
    );
    // The timeline's later pages link to the list, as every other page.
    let second = big.text("page/2/index.html");
    assert!(second.contains("Three"), "{second}");
    assert!(!second.contains("<ul class=\"subscriptions\">"), "{second}");
    assert!(second.contains("<a href=\"../../#subscriptions-heading\">the full list</a>"));
    let archive = big.text("archive/index.html");
    assert!(
        !archive.contains("<ul class=\"subscriptions\">"),
        "{archive}"
    );
    assert!(archive.contains("<a href=\"../#subscriptions-heading\">the full list</a>"));
    let small = site(&feeds[..25], &entries, "en");
    assert!(
        small
            .text("archive/index.html")
            .contains("<ul class=\"subscriptions\">")
    );
}

#[test]
fn an_error_inside_an_include_keeps_its_cause_as_the_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
    std::fs::write(
        dir.path().join("templates/pager.html"),
        "{{ nothing.here }}",
    )
    .expect("write");
    let theme = Theme::load(Some(dir.path()), "en", &BTreeMap::new()).expect("theme");
    let a = feed("https://a.example/feed", "Alpha");
    let entries = [entry(&a, "1", 5, "One")];
    let err = render(&theme, "en", &[a], &entries, None, &InlineBodies)
        .err()
        .expect("the pager fails");
    assert!(matches!(err, RenderError::Template { .. }), "{err}");
    assert!(err.to_string().starts_with("rendering "), "{err}");
    let cause = std::error::Error::source(&err)
        .expect("Tera's error")
        .to_string();
    assert!(
        cause.contains("pager.html") && cause.contains("nothing"),
        "{cause}"
    );
}

#[test]
fn bodies_that_cannot_be_read_keep_the_reason_as_the_source() {
    struct Unreadable;
    impl Bodies for Unreadable {
        fn load(&self, _: &[&StoredEntry]) -> Result<Vec<SafeHtml>, BodiesError> {
            Err(std::io::Error::other("disk on fire").into())
        }
        fn excerpt(&self, body: &SafeHtml, _: usize) -> SafeHtml {
            body.clone()
        }
    }
    let theme = Theme::load(None, "en", &BTreeMap::new()).expect("theme");
    let a = feed("https://a.example/feed", "Alpha");
    let entries = [entry(&a, "1", 5, "One")];
    let err = render(&theme, "en", &[a], &entries, None, &Unreadable)
        .err()
        .expect("no bodies");
    assert_eq!(
        err.to_string(),
        "reading entry bodies from the store failed: disk on fire"
    );
    let source = std::error::Error::source(&err).expect("a source");
    assert!(source.downcast_ref::<std::io::Error>().is_some());
}
