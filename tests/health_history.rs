//! The health page over time, end to end with the real binary: 40 builds
//! with `--now` five days apart against a local server — a feed that fails
//! every third build, a feed that stopped posting, a healthy one — then the
//! status strips (cell count and classes), the flaky and quiet flags in
//! `health.json`, on the page (sorted to the top, with advice), in the job
//! summary and in `planetoid report`, and the monthly counts.

use crate::common;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use common::{BUILDS, History, build_time, history_planet, planetoid, read, stderr, write_config};

/// The classes of the strip cells in the page's row for `name`.
fn strip_of(page: &str, name: &str) -> Vec<String> {
    let row = page
        .split("<tr class=\"status-")
        .find(|r| r.contains(&format!(">{name}</a>")))
        .unwrap_or_else(|| panic!("no row for {name}"));
    let strip = row
        .split("<ol class=\"strip\"")
        .nth(1)
        .and_then(|s| s.split("</ol>").next())
        .unwrap_or_else(|| panic!("no strip for {name}"));
    strip
        .split("<li class=\"cell cell-")
        .skip(1)
        .map(|c| c.split('"').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn forty_builds_show_strips_flags_advice_and_monthly_counts() {
    let History {
        server: _server,
        dir,
        summary,
        silent_posts,
    } = history_planet(BUILDS, "en");
    let out = dir.path().join("output");

    // health.json: the flags and the counts they rest on.
    let health: serde_json::Value =
        serde_json::from_str(&read(out.join("health.json"))).expect("json");
    let by_name: BTreeMap<&str, &serde_json::Value> = health["feeds"]
        .as_array()
        .expect("feeds")
        .iter()
        .map(|f| (f["name"].as_str().unwrap_or_default(), f))
        .collect();
    let (steady, shaky, silent) = (by_name["Steady"], by_name["Shaky"], by_name["Silent"]);
    // Builds 11..=40 are the last 30; every third of them failed.
    assert_eq!(shaky["flaky"], true, "{shaky}");
    assert_eq!(
        (
            shaky["recent_failures"].as_u64(),
            shaky["recent_builds"].as_u64()
        ),
        (Some(10), Some(30))
    );
    assert_eq!(shaky["quiet"], false);
    let last = build_time(BUILDS);
    let silent_days = (last - silent_posts[1]).num_days();
    assert!(silent_days > 180, "the scenario must pass quiet_after_days");
    assert_eq!(silent["quiet"], true, "{silent}");
    assert_eq!(silent["flaky"], false);
    assert_eq!(silent["days_since_post"].as_i64(), Some(silent_days));
    assert!(
        silent["advice"]
            .as_str()
            .unwrap_or_default()
            .starts_with("no post since 2024-12-25"),
        "{silent}"
    );
    assert_eq!(
        (steady["quiet"].as_bool(), steady["flaky"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(steady["advice"], serde_json::Value::Null);
    assert_eq!(steady["days_since_post"].as_i64(), Some(0));
    assert!(
        steady.get("response_ms").is_none(),
        "timings stay out of the site"
    );

    // Monthly counts, against the build dates counted here.
    let mut per_month: BTreeMap<String, u64> = BTreeMap::new();
    for b in 1..=BUILDS {
        let d = build_time(b);
        *per_month
            .entry(format!("{:04}-{:02}", d.year(), d.month()))
            .or_default() += 1;
    }
    let months = health["activity"].as_array().expect("activity");
    assert_eq!(months.len(), 24);
    assert_eq!(
        months.last().map(|m| m["month"].clone()),
        Some("2025-07".into())
    );
    for m in months {
        let month = m["month"].as_str().unwrap_or_default();
        let builds = per_month.get(month).copied().unwrap_or(0);
        let (posts, active) = if month == "2024-12" {
            (2, 1)
        } else {
            (2 * builds, if builds > 0 { 2 } else { 0 })
        };
        assert_eq!(
            (m["posts"].as_u64(), m["active_feeds"].as_u64()),
            (Some(posts), Some(active)),
            "{month}"
        );
    }
    let steady_year: Vec<u64> = steady["posts_per_month"]
        .as_array()
        .expect("sparkline data")
        .iter()
        .filter_map(|v| v.as_u64())
        .collect();
    let expected: Vec<u64> = months[12..]
        .iter()
        .map(|m| {
            per_month
                .get(m["month"].as_str().unwrap_or_default())
                .copied()
                .unwrap_or(0)
        })
        .collect();
    assert_eq!(steady_year, expected);

    // The page: problems first, 30 cells per strip with the right classes.
    let page = read(out.join("health/index.html"));
    let at = |name: &str| page.find(&format!(">{name}</a>")).unwrap_or(usize::MAX);
    assert!(
        at("Shaky") < at("Silent") && at("Silent") < at("Steady"),
        "flaky, then quiet, then the rest"
    );
    let shaky_cells = strip_of(&page, "Shaky");
    let expected: Vec<&str> = (11..=BUILDS)
        .map(|b| if b % 3 == 0 { "failed" } else { "ok" })
        .collect();
    assert_eq!(shaky_cells, expected);
    assert_eq!(strip_of(&page, "Steady"), vec!["ok"; 30]);
    assert_eq!(
        strip_of(&page, "Silent"),
        vec!["not_modified"; 30],
        "its ETag is answered 304"
    );
    assert!(
        page.contains("Last 30 builds: fetched 20, failed 10, not asked 0."),
        "strip summary"
    );
    assert!(
        page.contains("Failing 10 of the last 30 builds: check the host"),
        "flaky advice"
    );
    assert!(
        page.contains("No post since 25 December 2024 (6 months ago): consider removing"),
        "quiet advice"
    );
    assert_eq!(
        page.matches("<span class=\"flag flag-flaky\">flaky</span>")
            .count(),
        2,
        "summary and row"
    );
    let t = build_time(39);
    let failed_label = format!(
        "title=\"{} {} {}, 12:00 UTC: failed (HTTP 500)\"",
        t.day(),
        month_name(t),
        t.year()
    );
    assert!(
        page.contains(&failed_label),
        "a failed cell names its time and status"
    );
    assert!(page.contains("role=\"img\" aria-label=\"Posts per month, August 2024 to July 2025: "));
    assert!(!page.contains("<script"), "no script");
    let archive = read(out.join("archive/index.html"));
    assert!(
        archive.contains("<section class=\"activity\""),
        "the chart is on the archive index"
    );

    // The job summary of the last build and `planetoid report`.
    assert!(
        summary.contains("| ok, flaky |") && summary.contains("failing 10 of the last 30 builds"),
        "{summary}"
    );
    assert!(
        summary.contains("| ok, quiet |") && summary.contains("no post since 2024-12-25"),
        "{summary}"
    );
    let report = planetoid(dir.path(), &["report", "--now", &last.to_rfc3339()]);
    assert!(report.status.success(), "{}", stderr(&report));
    let text = String::from_utf8_lossy(&report.stdout);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        format!(
            "3 feeds at {}: 0 failing, 1 flaky, 1 quiet",
            last.format("%Y-%m-%dT%H:%M:%SZ")
        )
    );
    assert!(
        rows[2].starts_with("Shaky") && rows[2].contains("ok, flaky"),
        "{text}"
    );
    assert!(
        rows[2].contains("++x++x") && rows[2].ends_with(" ms"),
        "{text}"
    );
    assert!(
        rows[3].contains("failing 10 of the last 30 builds"),
        "{text}"
    );
    assert!(
        rows[4].starts_with("Silent") && rows[4].contains(&format!("{silent_days} d ago")),
        "{text}"
    );
    let json = planetoid(
        dir.path(),
        &["report", "--json", "--now", &last.to_rfc3339()],
    );
    let again: serde_json::Value = serde_json::from_slice(&json.stdout).expect("report --json");
    assert_eq!(again, health, "report --json is health.json");
}

fn month_name(d: DateTime<Utc>) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][d.month0() as usize]
}

#[test]
fn report_without_a_state_file_says_to_build_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        "title: T\nbase_url: https://t.example/\nfeeds:\n  - url: a.xml\n",
    );
    let out = planetoid(dir.path(), &["report"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("run `planetoid build` first"),
        "{}",
        stderr(&out)
    );
}
