//! End-to-end: the real `planetoid` binary against feeds served by a local
//! HTTP server started inside each test.

use crate::common;

use common::{Response, TestServer, planetoid, read, rss_feed, snapshot, stderr, write_config};

const NOW: &str = "2025-06-30T12:00:00Z";

fn config(server: &TestServer, extra_feeds: &str) -> String {
    format!(
        "title: Test Planet\nbase_url: https://planet.test/\nlang: en\nentries_per_page: 10\nfeeds:\n  - url: {}\n    name: Alpha\n  - url: {}\n  - url: {}\n{extra_feeds}",
        server.url("/alpha.xml"),
        server.url("/beta.xml"),
        server.url("/gamma.xml"),
    )
}

/// Three good feeds served and built once at `NOW`.
fn built_planet() -> (TestServer, tempfile::TempDir) {
    let server = TestServer::start();
    serve_three(&server);
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config(&server, ""));
    let out = planetoid(dir.path(), &["build", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    (server, dir)
}

fn serve_three(server: &TestServer) {
    server.route(
        "/alpha.xml",
        Response::ok("application/rss+xml", rss_feed("alpha", 10, 29)),
    );
    server.route(
        "/beta.xml",
        Response::ok("application/rss+xml", rss_feed("beta", 10, 28)),
    );
    server.route(
        "/gamma.xml",
        Response::ok("application/rss+xml", rss_feed("gamma", 5, 27)),
    );
}

#[test]
fn builds_pages_pager_and_parseable_feeds_with_a_failing_feed_alongside() {
    let server = TestServer::start();
    serve_three(&server);
    server.route(
        "/html.xml",
        Response::ok(
            "text/html",
            "<!DOCTYPE html><html><body>moved</body></html>",
        ),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = format!(
        "  - url: {}\n    name: Missing\n  - url: {}\n    name: Webpage\n  - url: http://127.0.0.1:9/dead.xml\n    name: Dead\n",
        server.url("/missing.xml"),
        server.url("/html.xml"),
    );
    write_config(dir.path(), &config(&server, &extra));
    let out = planetoid(dir.path(), &["build", "--now", NOW]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");

    // One terminal line per failed feed: name, URL, reason.
    assert!(err.contains("25 entries on 3 pages"), "{err}");
    assert!(
        err.contains(&format!(
            "failed Missing <{}>: HTTP 404 Not Found",
            server.url("/missing.xml")
        )),
        "{err}"
    );
    assert!(
        err.contains("failed Webpage") && err.contains("not a feed (HTML page)"),
        "{err}"
    );
    assert!(
        err.contains(
            "failed Dead <http://127.0.0.1:9/dead.xml>: could not connect: Connection refused"
        ),
        "{err}"
    );

    let site = dir.path().join("output");
    for page in [
        "index.html",
        "page/2/index.html",
        "page/3/index.html",
        "static/style.css",
    ] {
        assert!(site.join(page).is_file(), "{page} exists");
    }
    assert!(!site.join("page/4").exists());
    let first = read(site.join("index.html"));
    assert_eq!(first.matches("<article").count(), 10);
    assert!(
        first.contains("<a href=\"./page/2/\" rel=\"next\">next ›</a>"),
        "{first}"
    );
    assert!(
        first.contains("<a href=\"./page/3/\">last »</a>"),
        "{first}"
    );
    assert!(!first.contains("« first"), "no first link on page 1");
    let second = read(site.join("page/2/index.html"));
    assert!(
        second.contains("<a href=\"../../\" rel=\"prev\">‹ previous</a>"),
        "{second}"
    );
    assert!(
        second.contains("<span class=\"current\" aria-current=\"page\">2</span>"),
        "{second}"
    );
    assert!(
        second.contains("href=\"../../static/style.css\""),
        "{second}"
    );
    let third = read(site.join("page/3/index.html"));
    assert_eq!(third.matches("<article").count(), 5);

    // Newest first across feeds; the title links to the post, the source to its site.
    let alpha0 = first.find("alpha post 0").expect("alpha 0 on page 1");
    let beta0 = first.find("beta post 0").expect("beta 0 on page 1");
    assert!(alpha0 < beta0, "29 June before 28 June");
    assert!(first.contains("<a href=\"https://alpha.example/p/0\">alpha post 0</a>"));
    assert!(first.contains("<a class=\"entry-source\" href=\"https://alpha.example/\">Alpha</a>"));
    assert!(
        first.contains("beta blog"),
        "name falls back to the feed's own title"
    );
    // Sanitized: relative images resolved against the entry link, style text gone.
    assert!(
        first.contains("src=\"https://alpha.example/p/img/0.png\""),
        "{first}"
    );
    assert!(!first.contains("color:red") && !first.contains(".leak"));

    // Output feeds parse back with independent libraries.
    let atom = atom_syndication::Feed::read_from(read(site.join("atom.xml")).as_bytes())
        .expect("atom parses");
    assert_eq!(atom.entries().len(), 25);
    assert_eq!(atom.entries()[0].title().as_str(), "alpha post 0");
    assert_eq!(
        atom.entries()[0].source().map(|s| s.title().as_str()),
        Some("Alpha")
    );
    let rss = rss::Channel::read_from(read(site.join("rss.xml")).as_bytes()).expect("rss parses");
    assert_eq!(rss.items().len(), 25);
    let json: serde_json::Value =
        serde_json::from_str(&read(site.join("feed.json"))).expect("json parses");
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["items"].as_array().map(Vec::len), Some(25));
    assert_eq!(json["items"][0]["url"], "https://alpha.example/p/0");
    let opml = opml::OPML::from_str(&read(site.join("opml.xml"))).expect("opml parses");
    assert_eq!(opml.body.outlines.len(), 6);
    assert_eq!(
        opml.body.outlines[0].xml_url.as_deref(),
        Some(server.url("/alpha.xml").as_str())
    );

    // health.json: one record per configured feed, in config order.
    let health: serde_json::Value =
        serde_json::from_str(&read(site.join("health.json"))).expect("health parses");
    assert_eq!(health["generated"], NOW);
    let feeds = health["feeds"].as_array().expect("feeds");
    let summary: Vec<(&str, &str, Option<i64>, i64)> = feeds
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or(""),
                f["status"].as_str().unwrap_or(""),
                f["http_status"].as_i64(),
                f["entries"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("Alpha", "ok", Some(200), 10),
            ("beta blog", "ok", Some(200), 10),
            ("gamma blog", "ok", Some(200), 5),
            ("Missing", "failed", Some(404), 0),
            ("Webpage", "failed", Some(200), 0),
            ("Dead", "failed", None, 0),
        ]
    );
    assert_eq!(feeds[0]["last_success"], NOW);
    assert!(feeds[0]["error"].is_null());
    assert_eq!(feeds[3]["error"], "HTTP 404 Not Found");
    assert!(feeds[5]["last_success"].is_null());

    // Politeness: the server saw planetoid's own User-Agent.
    let ua = server
        .requests()
        .iter()
        .find_map(|r| r.headers.get("user-agent").cloned())
        .unwrap_or_default();
    assert!(
        ua.starts_with("planetoid/") && ua.contains("(+https://planet.test/)"),
        "{ua}"
    );
}

#[test]
fn two_builds_of_unchanged_feeds_with_the_same_now_are_byte_identical() {
    let server = TestServer::start();
    serve_three(&server);
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config(&server, ""));
    let out = planetoid(dir.path(), &["build", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = snapshot(&dir.path().join("output"));
    let out = planetoid(dir.path(), &["build", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = snapshot(&dir.path().join("output"));
    assert_same_files(&before, &after, "identical builds");
    assert!(before.len() >= 10, "{:?}", before.keys());
}

#[test]
fn a_feed_that_breaks_keeps_its_entries_and_is_marked_stale() {
    let (server, dir) = built_planet();

    server.route("/alpha.xml", Response::status(500));
    server.route(
        "/beta.xml",
        Response::ok(
            "application/rss+xml",
            "<rss version=\"2.0\"><channel><title>x</channel>",
        ),
    );
    let out = planetoid(dir.path(), &["build", "--now", "2025-07-01T12:00:00Z"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("stale  Alpha"), "{err}");
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(
        err.contains("stale  beta blog") && err.contains("not well-formed XML at line 1"),
        "{err}"
    );

    let site = dir.path().join("output");
    let first = read(site.join("index.html"));
    assert!(
        first.contains("alpha post 0"),
        "stored entries of a failing feed stay on the site"
    );
    let health: serde_json::Value =
        serde_json::from_str(&read(site.join("health.json"))).expect("health");
    assert_eq!(health["feeds"][0]["status"], "stale");
    assert_eq!(health["feeds"][0]["http_status"], 500);
    assert_eq!(health["feeds"][0]["entries"], 10);
    assert_eq!(
        health["feeds"][0]["last_success"], NOW,
        "last success is the earlier build"
    );
    assert_eq!(health["feeds"][2]["status"], "ok");
}

#[test]
fn offline_builds_render_from_the_store_without_any_request() {
    let (server, dir) = built_planet();
    server.clear_requests();

    let out = planetoid(
        dir.path(),
        &["build", "--offline", "--now", NOW, "-o", "offline-site"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        server.requests().is_empty(),
        "offline build made requests: {:?}",
        server.requests()
    );
    let page = read(dir.path().join("offline-site/index.html"));
    assert!(page.contains("alpha post 0"));
    let health: serde_json::Value =
        serde_json::from_str(&read(dir.path().join("offline-site/health.json"))).expect("health");
    assert_eq!(
        health["feeds"][0]["status"], "ok",
        "offline keeps the last known status"
    );
}

#[test]
fn a_config_error_names_file_line_and_column_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        "title: T\nbase_url: https://planet.test/\nentries_per_pag: 10\nfeeds:\n  - url: ftp://x.example/feed\n",
    );
    let out = planetoid(dir.path(), &["build"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("planet.yaml:3:1: unknown key `entries_per_pag`"),
        "{err}"
    );
    assert!(err.contains("did you mean `entries_per_page`?"), "{err}");
    assert!(
        err.contains("planet.yaml:5:10: unsupported URL scheme `ftp`"),
        "{err}"
    );
    assert!(!dir.path().join("output").exists(), "no site written");
    assert!(!dir.path().join(".planetoid").exists(), "no state written");

    let out = planetoid(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("2 problems"), "{}", stderr(&out));
}

#[test]
fn init_writes_a_starter_that_checks_and_builds_offline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = planetoid(dir.path(), &["init", "myplanet"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let planet = dir.path().join("myplanet");
    assert!(planet.join("theme/templates/index.html").is_file());
    assert!(planet.join("theme/i18n/ru.yaml").is_file());

    let out = planetoid(&planet, &["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("ok (1 feeds"), "{}", stderr(&out));
    let out = planetoid(&planet, &["build", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(read(planet.join("output/index.html")).contains("Your planet is running"));

    let again = planetoid(dir.path(), &["init", "myplanet"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn help_and_version_work_for_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = planetoid(dir.path(), &["--version"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("planetoid "));
    for cmd in ["build", "check", "init"] {
        let out = planetoid(dir.path(), &[cmd, "--help"]);
        assert!(out.status.success(), "{cmd} --help");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage: planetoid"),
            "{cmd}"
        );
    }
}

/// The inode of a file (a carried-over page is a hard link to the old one).
fn inode(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .ino()
}

#[test]
fn pages_carried_over_from_the_last_build_equal_a_full_render() {
    // Past 25 feeds, pages other than the timeline stop listing every
    // subscription, so one feed's news leaves the others' pages alone.
    let server = TestServer::start();
    serve_three(&server);
    let mut extra = String::new();
    for i in 0..24 {
        let path = format!("/f{i}.xml");
        let feed = rss_feed(&format!("f{i}"), 2, 20);
        server.route(&path, Response::ok("application/rss+xml", feed));
        extra.push_str(&format!("  - url: {}\n", server.url(&path)));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config(&server, &extra));
    let out = planetoid(dir.path(), &["build", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out_dir = dir.path().join("output");
    let feed_page = |name: &str| {
        std::fs::read_dir(out_dir.join("feeds"))
            .expect("feeds")
            .map(|e| e.expect("entry").path().join("index.html"))
            .find(|p| read(p).contains(&format!(">{name} post 1<")))
            .unwrap_or_else(|| panic!("no page for {name}"))
    };
    let gamma_before = inode(&feed_page("gamma"));
    let alpha_before = inode(&feed_page("alpha"));

    // Alpha gains a post and edits one; beta and gamma do not change.
    let alpha = rss_feed("alpha", 11, 30).replace("Body of alpha 3", "Edited body of alpha 3");
    server.route("/alpha.xml", Response::ok("application/rss+xml", alpha));
    let later = "2025-06-30T13:00:00Z";
    let out = planetoid(dir.path(), &["-v", "build", "--now", later]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    let carried: usize = log
        .split(" files written, ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no render counts in:\n{log}"));
    assert!(carried > 0, "nothing carried over:\n{log}");
    assert_eq!(
        inode(&feed_page("gamma")),
        gamma_before,
        "gamma's page was rendered again"
    );
    let alpha_page = feed_page("alpha");
    assert_ne!(inode(&alpha_page), alpha_before, "alpha's page was not");
    assert!(read(&alpha_page).contains("Edited body of alpha 3"));
    assert!(read(&alpha_page).contains("alpha post 10"));

    // The same store rendered from scratch gives the same files.
    let fresh = tempfile::tempdir().expect("tempdir");
    common::copy_dir(
        &dir.path().join(".planetoid"),
        &fresh.path().join(".planetoid"),
    );
    std::fs::copy(
        dir.path().join("planet.yaml"),
        fresh.path().join("planet.yaml"),
    )
    .expect("copy config");
    let out = planetoid(fresh.path(), &["build", "--offline", "--now", later]);
    assert!(out.status.success(), "{}", stderr(&out));
    let full = snapshot(&fresh.path().join("output"));
    let incremental = snapshot(&out_dir);
    assert_same_files(&full, &incremental, "a carried-over and a full render");
}

/// The same paths with the same bytes; `what` names the two sides.
fn assert_same_files(
    a: &std::collections::BTreeMap<String, Vec<u8>>,
    b: &std::collections::BTreeMap<String, Vec<u8>>,
    what: &str,
) {
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in a {
        assert!(b[path] == *bytes, "{path} differs between {what}");
    }
}

/// The search files (`pagefind/…` and the search page) by path, with inodes.
fn search_files(out: &std::path::Path) -> std::collections::BTreeMap<String, u64> {
    snapshot(out)
        .into_keys()
        .filter(|p| p.starts_with("pagefind/") || p == "search/index.html")
        .map(|p| {
            let ino = inode(&out.join(&p));
            (p, ino)
        })
        .collect()
}

/// The text of every fragment of a language's bundles (Pagefind gzips them).
fn fragments_text(out: &std::path::Path, lang: &str) -> String {
    use std::io::Read;
    let mut text = String::new();
    let prefix = format!("pagefind/{lang}/");
    for path in snapshot(out)
        .into_keys()
        .filter(|p| p.starts_with(&prefix) && p.ends_with(".pf_fragment"))
    {
        let bytes = std::fs::read(out.join(path)).expect("read");
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut decoded)
            .expect("gzip");
        text.push_str(&String::from_utf8_lossy(&decoded));
    }
    text
}

#[test]
fn a_warm_build_with_nothing_new_rewrites_no_search_file_and_an_edit_rebuilds_the_index() {
    let (server, dir) = built_planet();
    let out = dir.path().join("output");
    // Search is opt-in: with the default, no search file is published.
    assert!(search_files(&out).is_empty());
    let config = read(dir.path().join("planet.yaml")) + "search: true\n";
    std::fs::write(dir.path().join("planet.yaml"), config).expect("config");
    let built = planetoid(dir.path(), &["build", "--now", "2025-06-30T12:30:00Z"]);
    assert!(built.status.success(), "{}", stderr(&built));
    let before = search_files(&out);
    assert!(
        before.keys().any(|p| p.ends_with(".pf_fragment"))
            && before.contains_key("search/index.html"),
        "{before:?}"
    );
    assert!(fragments_text(&out, "en").contains("Body of alpha 3"));

    // An hour later, every feed the same: the index is carried over.
    let log = stderr(&planetoid(
        dir.path(),
        &["-v", "build", "--now", "2025-06-30T13:00:00Z"],
    ));
    assert!(
        log.contains("in 1 bundles, 1 unchanged") && !log.contains("rebuilt:"),
        "{log}"
    );
    assert_eq!(
        search_files(&out),
        before,
        "a search file was written again"
    );

    // An edited post: the index is rebuilt and holds the new text.
    let alpha = rss_feed("alpha", 10, 29).replace("Body of alpha 3", "Rewritten body of alpha 3");
    server.route("/alpha.xml", Response::ok("application/rss+xml", alpha));
    let log = stderr(&planetoid(
        dir.path(),
        &["-v", "build", "--now", "2025-06-30T14:00:00Z"],
    ));
    assert!(log.contains("rebuilt: en/2025-06"), "{log}");
    let text = fragments_text(&out, "en");
    assert!(text.contains("Rewritten body of alpha 3"), "{text}");
    assert_ne!(search_files(&out), before);

    // `search: false` publishes neither the page nor the index, nor a box.
    let config = read(dir.path().join("planet.yaml")).replace("search: true", "search: false");
    std::fs::write(dir.path().join("planet.yaml"), config).expect("config");
    let built = planetoid(dir.path(), &["build", "--now", "2025-06-30T15:00:00Z"]);
    assert!(built.status.success(), "{}", stderr(&built));
    assert!(search_files(&out).is_empty());
    assert!(!read(out.join("index.html")).contains("role=\"search\""));
}

/// An RSS feed of `n` posts of about `words` words each.
fn long_feed(name: &str, n: usize, words: usize) -> String {
    let body = words_body(words);
    let items: String = (0..n)
        .map(|i| {
            format!(
                "<item><title>{name} {i}</title><link>https://{name}.example/p/{i}</link>\
                 <guid>{name}-{i}</guid><pubDate>{:02} Jun 2025 10:00:00 GMT</pubDate>\
                 <category>notes</category><description>{body}</description></item>",
                28 - (i % 28)
            )
        })
        .collect();
    rss_of(name, &items)
}

/// A post body of `words` distinct words (`word0 word1 …`), escaped for RSS.
fn words_body(words: usize) -> String {
    let text: Vec<String> = (0..words).map(|w| format!("word{w}")).collect();
    format!("&lt;p&gt;{}&lt;/p&gt;", text.join(" "))
}

/// An RSS document titled `name` around `items`.
fn rss_of(name: &str, items: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title>\
         <link>https://{name}.example/</link><description>d</description>{items}</channel></rss>"
    )
}

/// The first page of the (only) feed of a site snapshot.
fn first_feed_page(site: &std::collections::BTreeMap<String, Vec<u8>>) -> String {
    site.iter()
        .find(|(p, _)| {
            p.starts_with("feeds/") && p.ends_with("/index.html") && !p.contains("/page/")
        })
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .expect("a feed page")
}

#[test]
fn listing_content_and_the_site_size_budget_work_from_the_cli() {
    let server = TestServer::start();
    server.route(
        "/long.xml",
        Response::ok("application/rss+xml", long_feed("long", 40, 3000)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = |extra: &str| {
        format!(
            "title: Big\nbase_url: https://big.test/\nentries_per_page: 10\nexcerpt_words: 5\n{extra}feeds:\n  - url: {}\n",
            server.url("/long.xml")
        )
    };
    let summary = dir.path().join("summary.md");
    write_config(dir.path(), &yaml("output:\n  max_site_mb: 1\n"));
    let out = assert_cmd::Command::cargo_bin("planetoid")
        .expect("binary")
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["-v", "build", "--now", NOW])
        .output()
        .expect("runs");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let on_disk = common::snapshot(&dir.path().join("output"));
    let bytes: usize = on_disk.values().map(Vec::len).sum();
    // The -v line reports what is on disk (the snapshot leaves out the
    // marker and keys files, a few hundred bytes).
    let line = err
        .lines()
        .find(|l| l.starts_with("planetoid: site: "))
        .unwrap_or_else(|| panic!("{err}"));
    let reported: f64 = line["planetoid: site: ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(
        (reported - bytes as f64 / 1e6).abs() < 0.05,
        "{line} vs {bytes}"
    );
    assert!(line.contains("archive/"), "{line}");
    assert!(
        err.contains("planetoid: warning: the site is ")
            && err.contains("over output.max_site_mb (1 MB)")
            && err.contains("Largest parts: ")
            // Past the budget even with the archive as excerpts (the
            // timeline alone holds the full text of every post).
            && err.contains("archive months up to 2025-06 (1 of 1) show excerpts"),
        "{err}"
    );
    let md = read(&summary);
    assert!(md.contains("site: ") && md.contains("[!WARNING]"), "{md}");

    // Excerpts: a feed's page holds a fraction of the text its month does.
    let feed_page = first_feed_page(&on_disk);
    assert!(
        feed_page.contains("word0 word1 word2 word3 word4…"),
        "{feed_page}"
    );
    assert!(!feed_page.contains("word5 "), "{feed_page}");
    assert!(feed_page.contains("/#e-"), "links to the archive anchor");
    let tag_page = read(dir.path().join("output/tags/notes/index.html"));
    assert!(!tag_page.contains("word2999"));

    // listing_content: full: the same feed page carries every word, and a
    // budget the site fits prints no warning.
    write_config(dir.path(), &yaml("listing_content: full\n"));
    let out = planetoid(dir.path(), &["build", "--now", NOW]);
    let err = stderr(&out);
    assert!(out.status.success() && !err.contains("warning"), "{err}");
    let full = common::snapshot(&dir.path().join("output"));
    let full_feed_page = first_feed_page(&full);
    assert!(full_feed_page.contains("word2999"), "full text");
    let full_bytes: usize = full.values().map(Vec::len).sum();
    // The feed page, the tag page and the tag feed: three more copies.
    assert!(full_bytes > bytes + 2_000_000, "{full_bytes} vs {bytes}");
}

/// An RSS feed of `per_month` posts of `words` words in each of April, May
/// and June 2025.
fn three_months_feed(name: &str, per_month: usize, words: usize) -> String {
    let body = words_body(words);
    let mut items = String::new();
    for (month, label) in [(6, "Jun"), (5, "May"), (4, "Apr")] {
        for i in 0..per_month {
            let day = 28 - i;
            items.push_str(&format!(
                "<item><title>{name} {month}-{i}</title><link>https://{name}.example/{month}/{i}</link>\
                 <guid>{name}-{month}-{i}</guid><pubDate>{day:02} {label} 2025 10:00:00 GMT</pubDate>\
                 <description>{body}</description></item>"
            ));
        }
    }
    rss_of(name, &items)
}

#[test]
fn a_planet_past_its_budget_keeps_full_text_in_its_newest_months_and_excerpts_in_the_oldest() {
    let server = TestServer::start();
    // 3 months × 12 posts × ~27 kB: about 330 kB of text per month.
    server.route(
        "/big.xml",
        Response::ok("application/rss+xml", three_months_feed("big", 12, 3000)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = |budget: u64| {
        format!(
            "title: Big\nbase_url: https://big.test/\nentries_per_page: 4\nmax_pages: 1\n\
             feed_entries: 2\nexcerpt_words: 5\noutput:\n  max_site_mb: {budget}\nfeeds:\n  - url: {}\n",
            server.url("/big.xml")
        )
    };
    write_config(dir.path(), &yaml(1));
    let summary = dir.path().join("summary.md");
    let build = || {
        assert_cmd::Command::cargo_bin("planetoid")
            .expect("binary")
            .current_dir(dir.path())
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(["build", "--now", NOW])
            .output()
            .expect("runs")
    };
    let out = build();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let month = |m: &str| {
        read(
            dir.path()
                .join(format!("output/archive/2025/{m}/index.html")),
        )
    };
    let (june, may, april) = (month("06"), month("05"), month("04"));
    // The newest month keeps every word; the older ones show excerpts,
    // link each post's original, and say why.
    assert!(
        june.contains("word2999") && !june.contains("listing-note"),
        "June in full"
    );
    for old in [&may, &april] {
        assert!(!old.contains("word2999"), "an excerpt");
        assert!(old.contains("word0 word1 word2 word3 word4…"), "{old}");
        assert!(old.contains("listing-note") && old.contains("Read the original"));
        assert!(
            !old.contains("In the archive"),
            "a month page does not link itself"
        );
        assert!(old.contains("id=\"e-"), "entries keep their anchors");
    }
    assert!(
        err.contains("archive months up to 2025-05 (2 of 3) show excerpts")
            && err.contains("the newest 1 keep the full text"),
        "{err}"
    );
    assert!(!err.contains("warning"), "the site fits: {err}");
    let on_disk = snapshot(&dir.path().join("output"));
    let bytes: usize = on_disk.values().map(Vec::len).sum();
    assert!(bytes < 1_000_000, "{bytes}");
    assert!(read(&summary).contains("[!NOTE]"));

    // The same input plans the same cut: a rebuild rewrites no month.
    let before = snapshot(&dir.path().join("output"));
    let again = build();
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(snapshot(&dir.path().join("output")), before);

    // A budget the whole archive fits: every month in full, no note.
    write_config(dir.path(), &yaml(3));
    let out = build();
    let err = stderr(&out);
    assert!(
        out.status.success() && !err.contains("show excerpts"),
        "{err}"
    );
    for m in ["06", "05", "04"] {
        assert!(month(m).contains("word2999"), "{m} in full");
    }
}
