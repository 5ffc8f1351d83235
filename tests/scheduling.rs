//! Scheduling of the fetch stage against several loopback "hosts" (started
//! by the test): many feeds on one slow host, a host that stalls, a host
//! that refuses connections, fast hosts beside them. Every healthy feed
//! arrives, no host ever sees more than `per_host` requests open, the fetch
//! phase stays near its politeness bound, waiting for a slot never eats a
//! feed's `timeout_secs`, and what is given up is `skipped` (not failed).
//! Latencies are scaled down: this tests scheduling, not patience.

use crate::common;

use std::collections::HashSet;
use std::time::Duration;

use common::{Response, TestServer, planetoid, refusing_base, rss_feed, stderr, write_config};
use serde_json::Value;

const T1: &str = "2025-06-30T12:00:00Z";
const T2: &str = "2025-06-30T13:00:00Z";

/// `n` feeds on `server`, each answering after `delay`, with an ETag.
fn serve_feeds(server: &TestServer, tag: &str, n: usize, delay: Duration) -> Vec<String> {
    (0..n)
        .map(|i| {
            let path = format!("/{tag}{i}.xml");
            let response =
                Response::ok("application/rss+xml", rss_feed(&format!("{tag}{i}"), 1, 29))
                    .header("ETag", &format!("\"{tag}{i}\""))
                    .delay(delay);
            server.route(&path, response);
            server.url(&path)
        })
        .collect()
}

fn config(fetch: &str, urls: &[String]) -> String {
    let feeds: String = urls.iter().map(|u| format!("  - url: {u}\n")).collect();
    format!("title: Hosts\nbase_url: https://hosts.test/\nfetch:\n{fetch}feeds:\n{feeds}")
}

fn health(dir: &std::path::Path) -> Vec<Value> {
    let text = common::read(dir.join("output/health.json"));
    let json: Value = serde_json::from_str(&text).expect("health.json");
    json["feeds"].as_array().expect("feeds").clone()
}

fn of<'a>(feeds: &'a [Value], urls: &[String]) -> Vec<&'a Value> {
    urls.iter()
        .map(|u| {
            feeds
                .iter()
                .find(|f| f["url"] == u.as_str())
                .unwrap_or_else(|| panic!("{u} in health.json"))
        })
        .collect()
}

/// The fetch phase's wall time, from `-v`'s "fetch: 3.12 s over 5 hosts".
fn fetch_seconds(err: &str) -> f64 {
    err.lines()
        .find_map(|l| l.strip_prefix("planetoid: fetch: "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no fetch line in:\n{err}"))
}

fn path_of(url: &str) -> String {
    url.splitn(4, '/')
        .nth(3)
        .map_or(String::new(), |p| format!("/{p}"))
}

#[test]
fn one_slow_host_a_stalled_and_a_refusing_one_every_healthy_feed_arrives_in_time() {
    let slow = TestServer::start_on("127.0.1.2");
    let stalled = TestServer::start_on("127.0.1.3");
    let refusing = refusing_base("127.0.1.4");
    let fast_a = TestServer::start_on("127.0.1.5");
    let fast_b = TestServer::start_on("127.0.1.6");
    // 120 feeds × 50 ms ÷ 2 per host: the politeness bound is 3 s.
    let latency = Duration::from_millis(50);
    let slow_urls = serve_feeds(&slow, "s", 120, latency);
    let stalled_urls = serve_feeds(&stalled, "st", 40, Duration::from_secs(120));
    let refusing_urls: Vec<String> = (0..40).map(|i| format!("{refusing}/r{i}.xml")).collect();
    let fast_urls: Vec<String> = [
        serve_feeds(&fast_a, "a", 50, Duration::from_millis(5)),
        serve_feeds(&fast_b, "b", 50, Duration::from_millis(5)),
    ]
    .concat();
    // Config order interleaves the hosts, as a real planet.yaml does.
    let mut urls = Vec::new();
    for i in 0..120 {
        urls.push(slow_urls[i].clone());
        if i < 40 {
            urls.push(stalled_urls[i].clone());
            urls.push(refusing_urls[i].clone());
        }
        if i < 100 {
            urls.push(fast_urls[i].clone());
        }
    }
    assert_eq!(urls.len(), 300);
    let bound = 120.0 * latency.as_secs_f64() / 2.0;

    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        &config("  per_host: 2\n  timeout_secs: 1\n", &urls),
    );
    let out = planetoid(dir.path(), &["build", "-v", "--now", T1]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let wall = fetch_seconds(&err);
    let hosts: Vec<&str> = err.lines().filter(|l| l.starts_with("  host ")).collect();
    eprintln!(
        "fetch wall {wall:.2} s, politeness bound {bound:.2} s\n{}",
        hosts.join("\n")
    );
    assert!(
        wall <= bound * 1.5,
        "fetch took {wall:.2} s, bound {bound:.2} s"
    );

    let feeds = health(dir.path());
    for f in of(&feeds, &[slow_urls.clone(), fast_urls.clone()].concat()) {
        assert_eq!(f["status"], "ok", "{f}");
    }
    let check_unreachable = |urls: &[String], host: &str, cause_starts: &str| {
        let group = of(&feeds, urls);
        let failed: Vec<&&Value> = group.iter().filter(|f| f["status"] == "failed").collect();
        let skipped: Vec<&&Value> = group.iter().filter(|f| f["status"] == "skipped").collect();
        assert_eq!(failed.len() + skipped.len(), urls.len(), "{group:?}");
        // Given up after its first 3 feeds; with 2 open at a time, one
        // more may have been under way.
        assert!((3..=4).contains(&failed.len()), "{failed:?}");
        let cause = failed[0]["error"].as_str().expect("error").to_string();
        assert!(cause.starts_with(cause_starts), "{cause}");
        assert!(failed.iter().all(|f| f["error"] == cause.as_str()));
        let reason = format!(
            "host {host} not asked again in this build: its first 3 feeds failed ({cause})"
        );
        for f in &skipped {
            assert_eq!(f["error"], reason.as_str(), "{f}");
            assert_eq!(f["consecutive_failures"], 0, "skipped is not a failure");
        }
    };
    check_unreachable(&stalled_urls, "127.0.1.3", "timed out after 1 s");
    check_unreachable(&refusing_urls, "127.0.1.4", "could not connect: ");
    let count = |status: &str| feeds.iter().filter(|f| f["status"] == status).count();
    let headline = format!(
        "300 feeds (220 ok, 0 stale, {} failed, {} skipped)",
        count("failed"),
        count("skipped")
    );
    assert!(err.contains(&headline), "{headline} in:\n{err}");

    let peaks: Vec<(String, usize)> = [&slow, &stalled, &fast_a, &fast_b]
        .iter()
        .map(|s| (s.host.clone(), s.peak_in_flight()))
        .collect();
    eprintln!("per-host peaks: {peaks:?}");
    for (host, peak) in &peaks {
        assert!(*peak <= 2, "{host} saw {peak} requests open at once");
    }
    assert_eq!(slow.peak_in_flight(), 2, "the slow host is used fully");
    assert!(
        err.contains("host 127.0.1.2: 120 feeds, 120 requests, slowest 0.")
            && err.contains("host 127.0.1.3: 40 feeds, "),
        "-v shows hosts:\n{err}"
    );
    let skipped_before: HashSet<String> = of(&feeds, &stalled_urls)
        .iter()
        .filter(|f| f["status"] == "skipped")
        .map(|f| path_of(f["url"].as_str().unwrap_or_default()))
        .collect();

    // Second build: the healthy hosts get only conditional requests, one
    // per feed; the stalled host's skipped feeds go first.
    for s in [&slow, &stalled, &fast_a, &fast_b] {
        s.clear_requests();
    }
    let out = planetoid(dir.path(), &["build", "--now", T2]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (server, n) in [(&slow, 120), (&fast_a, 50), (&fast_b, 50)] {
        let seen = server.requests();
        assert_eq!(seen.len(), n, "{}", server.host);
        assert!(
            seen.iter().all(|r| r.is_conditional() && r.status == 304),
            "{} got an unconditional request",
            server.host
        );
    }
    let first_two: Vec<String> = stalled
        .requests()
        .iter()
        .take(2)
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(first_two.len(), 2);
    assert!(
        first_two.iter().all(|p| skipped_before.contains(p)),
        "{first_two:?} were not skipped last time"
    );
}

#[test]
fn waiting_for_a_busy_host_is_not_part_of_a_feeds_timeout() {
    let server = TestServer::start_on("127.0.1.7");
    // First, 3 feeds whose bodies trickle past the budget: the host
    // answered, so their timeouts do not get it given up.
    let trickling: Vec<String> = (0..3)
        .map(|i| {
            let path = format!("/trickle{i}.xml");
            let body = rss_feed(&format!("t{i}"), 1, 29);
            server.route(
                &path,
                Response::ok("application/rss+xml", body)
                    .mode(common::Mode::Trickle(Duration::from_millis(100))),
            );
            server.url(&path)
        })
        .collect();
    // Then 8 × 300 ms one at a time: 2.4 s of waiting, each request well
    // within its 1 s budget.
    let healthy = serve_feeds(&server, "w", 8, Duration::from_millis(300));
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        &config(
            "  per_host: 1\n  timeout_secs: 1\n",
            &[trickling.clone(), healthy].concat(),
        ),
    );
    let out = planetoid(dir.path(), &["build", "--now", T1]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("11 feeds (8 ok, 0 stale, 3 failed)"),
        "{}",
        stderr(&out)
    );
    for f in of(&health(dir.path()), &trickling) {
        assert_eq!(f["error"], "timed out after 1 s", "{f}");
    }
    assert_eq!(server.peak_in_flight(), 1);
}

#[test]
fn feeds_still_waiting_at_the_build_deadline_are_skipped_not_failed() {
    let server = TestServer::start_on("127.0.1.8");
    let urls = serve_feeds(&server, "d", 12, Duration::from_millis(400));
    let dir = tempfile::tempdir().expect("tempdir");
    let fetch = "  per_host: 1\n  timeout_secs: 5\n  deadline_secs: 1\n";
    write_config(dir.path(), &config(fetch, &urls));
    let out = planetoid(dir.path(), &["build", "--now", T1, "--fail-on", "failed=1"]);
    assert!(
        out.status.success(),
        "skipped feeds do not trip --fail-on: {}",
        stderr(&out)
    );
    let feeds = health(dir.path());
    let ok = feeds.iter().filter(|f| f["status"] == "ok").count();
    let skipped: Vec<&Value> = feeds.iter().filter(|f| f["status"] == "skipped").collect();
    assert!((1..=4).contains(&ok), "about 1 s / 400 ms started: {ok}");
    assert_eq!(ok + skipped.len(), 12, "{feeds:?}");
    let reason = format!(
        "build deadline: host 127.0.1.8 had {} feeds waiting",
        skipped.len()
    );
    for f in &skipped {
        assert_eq!(f["error"], reason.as_str());
        assert_eq!(f["consecutive_failures"], 0);
        assert_eq!(f["entries"], 0);
    }
    assert!(
        stderr(&out).contains(&format!("{} skipped", skipped.len())),
        "{}",
        stderr(&out)
    );
    let skipped_paths: HashSet<String> = skipped
        .iter()
        .map(|f| path_of(f["url"].as_str().unwrap_or_default()))
        .collect();

    // Next build, with time to spare: the skipped feeds go first, and all
    // arrive.
    server.clear_requests();
    write_config(
        dir.path(),
        &config("  per_host: 1\n  timeout_secs: 5\n", &urls),
    );
    let out = planetoid(dir.path(), &["build", "--now", T2]);
    assert!(out.status.success(), "{}", stderr(&out));
    let order: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    let n = skipped_paths.len();
    assert!(
        order[..n].iter().all(|p| skipped_paths.contains(p)),
        "skipped feeds first: {order:?}"
    );
    assert!(health(dir.path()).iter().all(|f| f["status"] == "ok"));
}

#[test]
fn a_redirect_to_another_host_counts_against_that_hosts_limit() {
    let front = TestServer::start_on("127.0.1.9");
    let back = TestServer::start_on("127.0.1.10");
    let direct = serve_feeds(&back, "direct", 6, Duration::from_millis(150));
    let targets = serve_feeds(&back, "moved", 6, Duration::from_millis(150));
    let redirected: Vec<String> = targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            let path = format!("/old{i}.xml");
            front.route(&path, Response::redirect(302, target));
            front.url(&path)
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        &config("  per_host: 2\n", &[direct, redirected].concat()),
    );
    let out = planetoid(dir.path(), &["build", "--now", T1]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("12 feeds (12 ok"), "{}", stderr(&out));
    assert_eq!(back.requests().len(), 12);
    assert!(
        back.peak_in_flight() <= 2,
        "the redirect target saw {} requests at once",
        back.peak_in_flight()
    );
}
