//! Multi-build scenarios: feeds change between builds (driven by `--now`)
//! and the timeline must stay trustworthy — repushes do not move posts,
//! future and missing dates follow the policy, duplicates show once, history
//! survives, moderation works, and a build killed at any moment loses nothing.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{Response, TestServer, planetoid, read, stderr, write_config};
use serde_json::Value;

/// (id, title, published, updated, html)
type Post<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);

fn atom(name: &str, posts: &[Post]) -> String {
    let mut entries = String::new();
    for (id, title, published, updated, html) in posts {
        entries.push_str(&format!(
            "<entry><id>urn:{name}:{id}</id><title>{title}</title><link href=\"https://{name}.example/{id}\"/>{}{}\
             <content type=\"html\">{}</content></entry>",
            published.map(|d| format!("<published>{d}</published>")).unwrap_or_default(),
            updated.map(|d| format!("<updated>{d}</updated>")).unwrap_or_default(),
            html.replace('&', "&amp;").replace('<', "&lt;"),
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>{name}</title>\
         <id>urn:{name}</id><updated>2025-06-01T00:00:00Z</updated><link href=\"https://{name}.example/\"/>{entries}</feed>"
    )
}

fn serve(server: &TestServer, path: &str, name: &str, posts: &[Post]) {
    server.route(
        path,
        Response::ok("application/atom+xml", atom(name, posts)),
    );
}

fn build(dir: &Path, now: &str) -> String {
    let out = planetoid(dir, &["build", "--now", now]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    err
}

/// (title, date_published) of feed.json, newest first.
fn items(dir: &Path) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(&read(dir.join("output/feed.json"))).expect("feed.json");
    v["items"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|i| {
                    (
                        i["title"].as_str().unwrap_or("").to_string(),
                        i["date_published"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn titles(dir: &Path) -> Vec<String> {
    items(dir).into_iter().map(|(t, _)| t).collect()
}

fn config(server: &TestServer, extra_top: &str, feeds: &[(&str, &str)]) -> String {
    let mut text = format!("title: T\nbase_url: https://t.test/\n{extra_top}feeds:\n");
    for (path, extra) in feeds {
        text.push_str(&format!("  - url: {}\n{extra}", server.url(path)));
    }
    text
}

#[test]
fn repushed_future_undated_and_vanished_posts_keep_their_place() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config(&server, "", &[("/a.xml", "")]));
    serve(
        &server,
        "/a.xml",
        "a",
        &[
            (
                "old",
                "Old post",
                Some("2025-06-01T10:00:00Z"),
                None,
                "<p>v1</p>",
            ),
            (
                "mid",
                "Middle post",
                Some("2025-06-10T10:00:00Z"),
                None,
                "<p>m</p>",
            ),
            (
                "future",
                "Future post",
                Some("2031-01-01T00:00:00Z"),
                None,
                "<p>f</p>",
            ),
            ("undated", "Undated post", None, None, "<p>u</p>"),
        ],
    );
    build(dir.path(), "2025-06-20T12:00:00Z");
    let first = items(dir.path());
    let date_of = |list: &[(String, String)], t: &str| {
        list.iter()
            .find(|(title, _)| title == t)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("{t} in {list:?}"))
    };
    assert_eq!(
        date_of(&first, "Future post"),
        "2025-06-20T12:00:00+00:00",
        "future clamped to first seen"
    );
    assert_eq!(
        date_of(&first, "Undated post"),
        "2025-06-20T12:00:00+00:00",
        "undated: first seen"
    );

    // The blog engine bumps `updated` and edits "Old post"; "Middle post"
    // scrolls out of the feed; the undated post is seen again later.
    serve(
        &server,
        "/a.xml",
        "a",
        &[
            (
                "old",
                "Old post (edited)",
                Some("2025-06-01T10:00:00Z"),
                Some("2025-06-25T09:00:00Z"),
                "<p>v2</p>",
            ),
            (
                "future",
                "Future post",
                Some("2031-01-01T00:00:00Z"),
                None,
                "<p>f</p>",
            ),
            ("undated", "Undated post", None, None, "<p>u</p>"),
        ],
    );
    build(dir.path(), "2025-06-26T12:00:00Z");
    let second = items(dir.path());
    assert_eq!(
        date_of(&second, "Old post (edited)"),
        "2025-06-01T10:00:00+00:00",
        "an updated bump does not move it"
    );
    assert_eq!(
        second.last().map(|(t, _)| t.as_str()),
        Some("Old post (edited)"),
        "still the oldest"
    );
    assert!(
        read(dir.path().join("output/index.html")).contains("v2"),
        "content replaced"
    );
    assert_eq!(
        date_of(&second, "Middle post"),
        "2025-06-10T10:00:00+00:00",
        "a post that left the feed stays"
    );
    assert_eq!(
        date_of(&second, "Undated post"),
        "2025-06-20T12:00:00+00:00",
        "undated keeps its first sight"
    );
    assert_eq!(date_of(&second, "Future post"), "2025-06-20T12:00:00+00:00");
}

#[test]
fn future_date_policies_hide_until_due_and_drop() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let posts_b: &[Post] = &[(
        "soon",
        "Scheduled post",
        Some("2025-07-01T00:00:00Z"),
        None,
        "<p>s</p>",
    )];
    let posts_c: &[Post] = &[(
        "later",
        "Dropped post",
        Some("2025-07-01T00:00:00Z"),
        None,
        "<p>d</p>",
    )];
    serve(&server, "/b.xml", "b", posts_b);
    serve(&server, "/c.xml", "c", posts_c);
    write_config(
        dir.path(),
        &config(
            &server,
            "future_dates: drop\n",
            &[
                ("/b.xml", "    future_dates: hide_until_due\n"),
                ("/c.xml", ""),
            ],
        ),
    );
    build(dir.path(), "2025-06-20T12:00:00Z");
    assert!(titles(dir.path()).is_empty(), "{:?}", titles(dir.path()));
    build(dir.path(), "2025-07-02T00:00:00Z");
    let list = items(dir.path());
    assert!(
        list.contains(&("Scheduled post".into(), "2025-07-01T00:00:00+00:00".into())),
        "{list:?}"
    );
    assert!(
        list.contains(&("Dropped post".into(), "2025-07-01T00:00:00+00:00".into())),
        "taken once no longer future: {list:?}"
    );
}

#[test]
fn duplicates_filters_blocklist_disabled_and_removed_feeds() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    // b carries a's post under a tracking-decorated, http, slash-ended URL.
    let shared_b = atom(
        "b",
        &[(
            "x",
            "Shared post",
            Some("2025-06-05T00:00:00Z"),
            None,
            "<p>b copy</p>",
        )],
    )
    .replace(
        "https://b.example/x",
        "http://a.example/shared/?utm_source=team",
    );
    serve(
        &server,
        "/a.xml",
        "a",
        &[
            (
                "shared",
                "Shared post",
                Some("2025-06-04T00:00:00Z"),
                None,
                "<p>a copy</p>",
            ),
            (
                "casino",
                "Win at the casino",
                Some("2025-06-06T00:00:00Z"),
                None,
                "<p>ad</p>",
            ),
            (
                "bad",
                "Taken down",
                Some("2025-06-07T00:00:00Z"),
                None,
                "<p>x</p>",
            ),
            (
                "ok",
                "Rust notes",
                Some("2025-06-08T00:00:00Z"),
                None,
                "<p>fine</p>",
            ),
        ],
    );
    server.route("/b.xml", Response::ok("application/atom+xml", shared_b));
    serve(
        &server,
        "/c.xml",
        "c",
        &[(
            "c1",
            "From C",
            Some("2025-06-09T00:00:00Z"),
            None,
            "<p>c</p>",
        )],
    );
    serve(
        &server,
        "/d.xml",
        "d",
        &[(
            "d1",
            "From D",
            Some("2025-06-10T00:00:00Z"),
            None,
            "<p>d</p>",
        )],
    );
    let top = "exclude: casino\nblocklist:\n  - url: https://a.example/bad\n    reason: takedown request\n";
    let feeds = [
        ("/a.xml", ""),
        ("/b.xml", ""),
        ("/c.xml", "    enabled: false\n"),
        ("/d.xml", ""),
    ];
    write_config(dir.path(), &config(&server, top, &feeds));
    let err = build(dir.path(), "2025-06-20T12:00:00Z");
    let list = titles(dir.path());
    assert_eq!(list, ["From D", "Rust notes", "Shared post"], "{err}");
    assert!(
        err.contains("1 blocklisted")
            && err.contains("1 filtered out")
            && err.contains("1 duplicates"),
        "{err}"
    );
    let page = read(dir.path().join("output/index.html"));
    assert!(
        page.contains("a copy") && !page.contains("b copy"),
        "the earliest copy is shown"
    );
    assert!(!page.contains("From C"), "disabled feed not shown");
    assert!(
        err.contains("3 feeds (3 ok, 0 stale, 0 failed), 1 off"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "off    127.0.0.1 <{}>: enabled: false",
            server.url("/c.xml")
        )),
        "{err}"
    );

    // Remove feed d from planet.yaml: its posts leave the site.
    write_config(dir.path(), &config(&server, top, &feeds[..3]));
    build(dir.path(), "2025-06-21T12:00:00Z");
    assert_eq!(titles(dir.path()), ["Rust notes", "Shared post"]);
}

#[test]
fn retention_drops_old_entries_but_keeps_the_newest_per_feed() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    serve(
        &server,
        "/a.xml",
        "a",
        &[
            (
                "1",
                "Ancient one",
                Some("2020-01-01T00:00:00Z"),
                None,
                "<p>1</p>",
            ),
            (
                "2",
                "Ancient two",
                Some("2020-02-01T00:00:00Z"),
                None,
                "<p>2</p>",
            ),
            (
                "3",
                "Ancient three",
                Some("2020-03-01T00:00:00Z"),
                None,
                "<p>3</p>",
            ),
        ],
    );
    serve(
        &server,
        "/b.xml",
        "b",
        &[(
            "1",
            "Recent",
            Some("2025-06-01T00:00:00Z"),
            None,
            "<p>r</p>",
        )],
    );
    write_config(
        dir.path(),
        &config(
            &server,
            "retention:\n  max_age_days: 30\n  min_per_feed: 1\n",
            &[("/a.xml", ""), ("/b.xml", "")],
        ),
    );
    build(dir.path(), "2025-06-20T12:00:00Z");
    assert_eq!(
        titles(dir.path()),
        ["Recent", "Ancient three"],
        "newest of a kept, older ones pruned"
    );
}

#[test]
fn builds_killed_at_random_moments_lose_nothing() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut feeds = String::new();
    for i in 0..6 {
        let path = format!("/k{i}.xml");
        let posts: Vec<(String, String)> = (0..15)
            .map(|n| (format!("{n}"), format!("k{i} post {n}")))
            .collect();
        let list: Vec<Post> = posts
            .iter()
            .map(|(id, title)| {
                (
                    id.as_str(),
                    title.as_str(),
                    Some("2025-06-01T00:00:00Z"),
                    None,
                    "<p>body</p>",
                )
            })
            .collect();
        server.route(
            &path,
            Response::ok("application/atom+xml", atom(&format!("k{i}"), &list))
                .delay(Duration::from_millis(20)),
        );
        feeds.push_str(&format!("  - url: {}\n", server.url(&path)));
    }
    write_config(
        dir.path(),
        &format!("title: K\nbase_url: https://k.test/\nentries_per_page: 10\nfeeds:\n{feeds}"),
    );
    build(dir.path(), "2025-06-20T12:00:00Z");
    let baseline = titles(dir.path());
    assert_eq!(baseline.len(), 50, "feed_entries caps the merged feed");

    // Deterministic "random" kill points spread over a build's lifetime.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..20 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let after = Duration::from_millis(seed % 400);
        kill_a_build_after(dir.path(), after);
        // Whatever the moment, the published site is whole.
        let index = dir.path().join("output/index.html");
        assert!(
            index.is_file(),
            "round {round}: site missing after a kill at {after:?}"
        );
        assert!(
            read(&index).contains("</html>"),
            "round {round}: truncated page"
        );
    }
    build(dir.path(), "2025-06-20T12:00:00Z");
    assert_eq!(titles(dir.path()), baseline, "nothing lost, nothing moved");
    let health: Value =
        serde_json::from_str(&read(dir.path().join("output/health.json"))).expect("health");
    assert!(
        health["feeds"]
            .as_array()
            .is_some_and(|f| f.iter().all(|f| f["entries"] == 15))
    );
}

/// Starts `planetoid build` in `dir` and kills it (SIGKILL) after `after`.
fn kill_a_build_after(dir: &Path, after: Duration) {
    let binary = assert_cmd::cargo::cargo_bin("planetoid");
    let mut child = std::process::Command::new(&binary)
        .current_dir(dir)
        .args(["build", "--now", "2025-06-20T12:00:00Z"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(after);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn first_builds_killed_at_random_moments_leave_a_store_the_next_build_completes() {
    // A first build writes its store without SQLite's log, under a
    // rollback journal (store::write): killed while it writes, it leaves
    // that journal behind, and the next build must roll it back and
    // finish as if nothing had happened.
    let server = TestServer::start();
    let mut feeds = String::new();
    for i in 0..6 {
        let path = format!("/first{i}.xml");
        let titles: Vec<String> = (0..15).map(|n| format!("first{i} post {n}")).collect();
        let ids: Vec<String> = (0..15).map(|n| n.to_string()).collect();
        let list: Vec<Post> = ids
            .iter()
            .zip(&titles)
            .map(|(id, title)| {
                let body = "<p>body</p>";
                (
                    id.as_str(),
                    title.as_str(),
                    Some("2025-06-01T00:00:00Z"),
                    None,
                    body,
                )
            })
            .collect();
        // The last feed answers late: the first build's write stays open
        // (its journal on disk) while it waits.
        let delay = if i == 5 { 600 } else { 20 };
        server.route(
            &path,
            Response::ok("application/atom+xml", atom(&format!("first{i}"), &list))
                .delay(Duration::from_millis(delay)),
        );
        feeds.push_str(&format!("  - url: {}\n", server.url(&path)));
    }
    let config =
        format!("title: K\nbase_url: https://k.test/\nentries_per_page: 10\nfeeds:\n{feeds}");
    let clean = tempfile::tempdir().expect("tempdir");
    write_config(clean.path(), &config);
    build(clean.path(), "2025-06-20T12:00:00Z");
    let baseline = titles(clean.path());
    assert_eq!(baseline.len(), 50);

    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut journals_left = 0;
    for round in 0..8 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let dir = tempfile::tempdir().expect("tempdir");
        write_config(dir.path(), &config);
        kill_a_build_after(dir.path(), Duration::from_millis(150 + seed % 400));
        let state = dir.path().join(".planetoid");
        if state.join("state.db-journal").exists() {
            journals_left += 1;
        }
        build(dir.path(), "2025-06-20T12:00:00Z");
        assert_eq!(titles(dir.path()), baseline, "round {round}: nothing lost");
        assert!(
            !state.join("state.db-journal").exists(),
            "round {round}: the journal was rolled back and is gone"
        );
        // SQLite's file header: read and write versions 2 mean the log.
        let header = std::fs::read(state.join("state.db")).expect("state file");
        assert_eq!(
            header.get(18..20),
            Some(&[2u8, 2][..]),
            "round {round}: the store is back on the log"
        );
    }
    assert!(
        journals_left > 0,
        "no kill landed while the first build wrote its store: the test tested nothing"
    );
}
