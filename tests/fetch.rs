//! The fetch stage against a fault-injection server (loopback only, started
//! by the test): every fault sits beside good feeds, the build always
//! finishes, each faulty feed's status and error are exact, and a second
//! build against unchanged servers sends only conditional requests.

use crate::common;

use std::io::Write;
use std::time::Duration;

use common::{Mode, Response, TestServer, planetoid, read, rss_feed, stderr, write_config};
use serde_json::Value;

const T1: &str = "2025-06-30T12:00:00Z";
const T2: &str = "2025-06-30T12:10:00Z";

fn gzip_bomb() -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..40 {
        enc.write_all(&zeros).expect("gzip");
    }
    enc.finish().expect("gzip")
}

fn cp1251_feed() -> Vec<u8> {
    let xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>События</title><link>https://events.example.ru/</link>\
        <item><title>Митап в пятницу</title><guid>ev-1</guid><pubDate>Sun, 29 Jun 2025 10:00:00 GMT</pubDate></item></channel></rss>";
    encoding_rs::WINDOWS_1251.encode(xml).0.into_owned()
}

/// (path, display name, response) for every fault; good feeds first.
fn routes(server: &TestServer) -> Vec<(&'static str, Response)> {
    let rss =
        |name: &str, start: u32| Response::ok("application/rss+xml", rss_feed(name, 3, start));
    let full = rss_feed("cut", 3, 20);
    vec![
        ("/good-etag.xml", rss("etag", 29).header("ETag", "\"v1\"")),
        (
            "/good-lastmod.xml",
            rss("lastmod", 28).header("Last-Modified", "Sat, 28 Jun 2025 10:00:00 GMT"),
        ),
        (
            "/octet.xml",
            Response::ok("application/octet-stream", rss_feed("octet", 2, 27))
                .header("ETag", "\"o\""),
        ),
        (
            "/cp1251.xml",
            Response::ok("application/rss+xml; charset=windows-1251", cp1251_feed())
                .header("ETag", "\"c\""),
        ),
        ("/e500", Response::status(500)),
        ("/e404", Response::status(404)),
        ("/e410", Response::status(410)),
        ("/e429", Response::status(429).header("Retry-After", "3600")),
        ("/m301", Response::redirect(301, "/m301b")),
        ("/m301b", Response::redirect(308, &server.url("/moved.xml"))),
        ("/moved.xml", rss("moved", 26).header("ETag", "\"m\"")),
        ("/t302", Response::redirect(302, "/temp.xml")),
        ("/temp.xml", rss("temp", 25).header("ETag", "\"t\"")),
        ("/loop1", Response::redirect(302, "/loop2")),
        ("/loop2", Response::redirect(307, "/loop1")),
        (
            "/trickle",
            rss("trickle", 24).mode(Mode::Trickle(Duration::from_millis(400))),
        ),
        (
            "/endless",
            Response::ok("application/rss+xml", "").mode(Mode::Endless),
        ),
        (
            "/bomb",
            Response::ok("application/rss+xml", gzip_bomb()).header("Content-Encoding", "gzip"),
        ),
        ("/reset", Response::status(200).mode(Mode::Reset)),
        (
            "/html-alt",
            Response::ok(
                "text/html; charset=utf-8",
                "<!DOCTYPE html><html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/good-etag.xml\"></head><body>Blog</body></html>",
            ),
        ),
        (
            "/html",
            Response::ok("text/html", "<!DOCTYPE html><html><body>Home</body></html>"),
        ),
        (
            "/truncated",
            Response::ok("application/rss+xml", full[..full.len() / 2].to_string()),
        ),
    ]
}

fn config(server: &TestServer, paths: &[&str]) -> String {
    let mut feeds = String::new();
    for p in paths {
        feeds.push_str(&format!(
            "  - url: {}   # {p}\n    name: {}\n",
            server.url(p),
            p.trim_start_matches('/')
        ));
    }
    format!(
        "title: Faults\nbase_url: https://faults.test/\nfetch:\n  timeout_secs: 3\n  retries: 1\n  max_body_mb: 1\n  per_host: 4\nfeeds:\n{feeds}"
    )
}

fn health(dir: &std::path::Path) -> Vec<Value> {
    let v: Value =
        serde_json::from_str(&read(dir.join("output/health.json"))).expect("health.json");
    v["feeds"].as_array().cloned().unwrap_or_default()
}

fn by_name<'a>(feeds: &'a [Value], name: &str) -> &'a Value {
    feeds
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("{name} in health.json"))
}

#[test]
fn every_fault_is_reported_exactly_and_good_feeds_are_published() {
    let server = TestServer::start();
    let all = routes(&server);
    for (path, response) in &all {
        server.route(path, response.clone());
    }
    let configured: Vec<&str> = all
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !matches!(*p, "/m301b" | "/moved.xml" | "/temp.xml" | "/loop2"))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config(&server, &configured));

    let out = planetoid(dir.path(), &["build", "--now", T1]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let feeds = health(dir.path());
    let row = |name: &str| {
        let f = by_name(&feeds, name);
        (
            f["status"].as_str().unwrap_or("").to_string(),
            f["http_status"].as_i64(),
            f["error"].as_str().unwrap_or("").to_string(),
        )
    };
    let ok = |name: &str, http: i64| {
        assert_eq!(
            row(name),
            ("ok".into(), Some(http), String::new()),
            "{name}"
        )
    };
    ok("good-etag.xml", 200);
    ok("good-lastmod.xml", 200);
    ok("octet.xml", 200);
    ok("cp1251.xml", 200);
    ok("m301", 200);
    ok("t302", 200);
    assert_eq!(
        row("e500"),
        (
            "failed".into(),
            Some(500),
            "HTTP 500 Internal Server Error".into()
        )
    );
    assert_eq!(
        row("e404"),
        ("failed".into(), Some(404), "HTTP 404 Not Found".into())
    );
    assert_eq!(
        row("e410"),
        (
            "gone".into(),
            Some(410),
            "HTTP 410 Gone: the feed was removed for good".into()
        )
    );
    assert_eq!(
        row("e429"),
        (
            "failed".into(),
            Some(429),
            "HTTP 429 Too Many Requests".into()
        )
    );
    assert_eq!(
        by_name(&feeds, "e429")["retry_after"],
        "2025-06-30T13:00:00Z"
    );
    assert_eq!(
        row("loop1"),
        (
            "failed".into(),
            None,
            format!("redirect loop at {}", server.url("/loop1"))
        )
    );
    assert_eq!(
        row("trickle"),
        ("failed".into(), None, "timed out after 3 s".into())
    );
    assert_eq!(
        row("endless"),
        (
            "failed".into(),
            None,
            "body larger than the 1 MB limit (fetch.max_body_mb)".into()
        )
    );
    assert_eq!(
        row("bomb"),
        (
            "failed".into(),
            None,
            "body larger than the 1 MB limit (fetch.max_body_mb)".into()
        )
    );
    let (status, _, reset_error) = row("reset");
    assert_eq!(status, "failed");
    assert!(
        reset_error.starts_with("request failed") || reset_error.starts_with("could not connect"),
        "{reset_error}"
    );
    assert_eq!(
        row("html-alt"),
        ("failed".into(), Some(200), "not a feed (HTML page)".into())
    );
    assert_eq!(
        by_name(&feeds, "html-alt")["hint"],
        server.url("/good-etag.xml")
    );
    assert_eq!(
        row("html"),
        ("failed".into(), Some(200), "not a feed (HTML page)".into())
    );
    assert!(by_name(&feeds, "html")["hint"].is_null());
    let (status, http, truncated) = row("truncated");
    assert_eq!((status.as_str(), http), ("failed", Some(200)));
    assert!(
        truncated.starts_with("not well-formed XML at line 1, column ")
            && truncated.contains("document ends before"),
        "{truncated}"
    );

    // Permanent moves are reported; temporary ones are not.
    assert_eq!(
        by_name(&feeds, "m301")["moved_to"],
        server.url("/moved.xml")
    );
    assert!(by_name(&feeds, "t302")["moved_to"].is_null());
    assert!(
        err.contains(&format!(
            "moved  m301 <{}> → {}",
            server.url("/m301"),
            server.url("/moved.xml")
        )),
        "{err}"
    );

    // Compressed transfer is offered.
    let encodings = server
        .requests()
        .iter()
        .find(|r| r.path == "/good-etag.xml")
        .and_then(|r| r.headers.get("accept-encoding").cloned())
        .unwrap_or_default();
    for enc in ["gzip", "br", "zstd"] {
        assert!(encodings.contains(enc), "Accept-Encoding: {encodings}");
    }

    // Every good feed's entries are on the site, decoded.
    let page = read(dir.path().join("output/index.html"));
    for title in [
        "etag post 0",
        "lastmod post 0",
        "octet post 0",
        "moved post 0",
        "temp post 0",
        "Митап в пятницу",
    ] {
        assert!(page.contains(title), "{title} on the site");
    }

    // Second build: only conditional requests for the good feeds, all 304;
    // 410 and Retry-After feeds are not asked at all.
    server.clear_requests();
    let out = planetoid(dir.path(), &["build", "--now", T2]);
    assert!(out.status.success(), "{}", stderr(&out));
    let seen = server.requests();
    for path in [
        "/good-etag.xml",
        "/good-lastmod.xml",
        "/octet.xml",
        "/cp1251.xml",
        "/moved.xml",
        "/temp.xml",
    ] {
        let hits: Vec<_> = seen.iter().filter(|r| r.path == path).collect();
        assert_eq!(hits.len(), 1, "{path} asked once");
        assert!(
            hits[0].is_conditional(),
            "{path} asked conditionally: {:?}",
            hits[0].headers
        );
        assert_eq!(hits[0].status, 304, "{path}");
    }
    assert!(
        !seen.iter().any(|r| r.path == "/e410" || r.path == "/e429"),
        "gone and waiting feeds are left alone"
    );
    let feeds = health(dir.path());
    let etag = by_name(&feeds, "good-etag.xml");
    assert_eq!(
        (etag["status"].as_str(), etag["not_modified"].as_bool()),
        (Some("ok"), Some(true))
    );
    assert_eq!(etag["entries"], 3);
    assert_eq!(by_name(&feeds, "e500")["consecutive_failures"], 2);
    assert_eq!(
        by_name(&feeds, "e410")["consecutive_failures"],
        1,
        "gone feed not asked again"
    );
    let page = read(dir.path().join("output/index.html"));
    assert!(
        page.contains("etag post 0"),
        "304 keeps the stored entries on the site"
    );
}

#[test]
fn a_feed_that_worked_and_then_fails_keeps_its_entries() {
    let server = TestServer::start();
    server.route(
        "/a.xml",
        Response::ok("application/rss+xml", rss_feed("alpha", 3, 29)),
    );
    server.route(
        "/b.xml",
        Response::ok("application/rss+xml", rss_feed("beta", 3, 28)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &config(&server, &["/a.xml", "/b.xml"]));
    assert!(
        planetoid(dir.path(), &["build", "--now", T1])
            .status
            .success()
    );

    server.route("/a.xml", Response::status(200).mode(Mode::Reset));
    server.route("/b.xml", Response::status(503));
    let out = planetoid(dir.path(), &["build", "--now", T2]);
    assert!(out.status.success(), "{}", stderr(&out));
    let feeds = health(dir.path());
    for name in ["a.xml", "b.xml"] {
        let f = by_name(&feeds, name);
        assert_eq!(
            (f["status"].as_str(), f["entries"].as_i64()),
            (Some("stale"), Some(3)),
            "{name}"
        );
        assert_eq!(f["last_success"], T1);
        assert_eq!(f["last_attempt"], T2);
    }
    let page = read(dir.path().join("output/index.html"));
    assert!(page.contains("alpha post 2") && page.contains("beta post 2"));
}

#[test]
fn per_host_concurrency_is_never_exceeded() {
    let servers: Vec<TestServer> = (1..=4)
        .map(|i| TestServer::start_on(&format!("127.0.0.{i}")))
        .collect();
    let mut feeds = String::new();
    for (h, server) in servers.iter().enumerate() {
        for i in 0..12 {
            let path = format!("/f{i}.xml");
            let response =
                Response::ok("application/rss+xml", rss_feed(&format!("h{h}f{i}"), 1, 29))
                    .delay(Duration::from_millis(60));
            server.route(&path, response);
            feeds.push_str(&format!("  - url: {}\n", server.url(&path)));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        &format!(
            "title: Hosts\nbase_url: https://hosts.test/\nfetch:\n  per_host: 2\n  concurrency: 32\nfeeds:\n{feeds}"
        ),
    );
    let out = planetoid(dir.path(), &["build", "--now", T1]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("48 feeds (48 ok"), "{}", stderr(&out));
    for server in &servers {
        let peak = server.peak_in_flight();
        assert!(peak <= 2, "{} saw {peak} requests at once", server.host);
        assert_eq!(server.requests().len(), 12);
    }
    assert!(
        servers.iter().any(|s| s.peak_in_flight() == 2),
        "hosts are fetched concurrently"
    );
}

#[test]
fn fix_moved_rewrites_planet_yaml_in_place_and_keeps_history() {
    let server = TestServer::start();
    server.route("/old.xml", Response::redirect(301, "/new.xml"));
    server.route(
        "/new.xml",
        Response::ok("application/rss+xml", rss_feed("mover", 2, 20)),
    );
    server.route(
        "/stay.xml",
        Response::ok("application/rss+xml", rss_feed("stay", 2, 21)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = format!(
        "# my planet\ntitle: Moves\nbase_url: https://moves.test/\nfeeds:\n  - url: {}   # Alice's blog\n    name: Alice\n  - url: \"{}\"\n    name: Stay\n",
        server.url("/old.xml"),
        server.url("/stay.xml")
    );
    let path = write_config(dir.path(), &yaml);
    assert!(
        planetoid(dir.path(), &["build", "--now", T1])
            .status
            .success()
    );
    let before = read(dir.path().join("output/feed.json"));

    let out = planetoid(dir.path(), &["fix-moved"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 moved feed URL(s) updated"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        read(&path),
        yaml.replace(&server.url("/old.xml"), &server.url("/new.xml")),
        "only the URL changed"
    );

    let out = planetoid(dir.path(), &["build", "--now", T2]);
    assert!(out.status.success(), "{}", stderr(&out));
    let feeds = health(dir.path());
    assert!(by_name(&feeds, "Alice")["moved_to"].is_null());
    assert_eq!(by_name(&feeds, "Alice")["url"], server.url("/new.xml"));
    // Same entries with the same dates: the history moved with the feed
    // (the order of equal dates may differ: ties break on the feed id).
    let dates = |json: &str| -> Vec<(String, String)> {
        let v: Value = serde_json::from_str(json).expect("feed.json");
        v["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| {
                        (
                            i["title"].as_str().unwrap_or("").to_string(),
                            i["date_published"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .map(|mut list| {
                list.sort();
                list
            })
            .unwrap_or_default()
    };
    assert_eq!(
        dates(&before),
        dates(&read(dir.path().join("output/feed.json")))
    );

    let out = planetoid(dir.path(), &["fix-moved"]);
    assert!(
        stderr(&out).contains("0 moved feed URL(s) updated"),
        "{}",
        stderr(&out)
    );
}
