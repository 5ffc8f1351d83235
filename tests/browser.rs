//! The strongest form of the safety check: the planet built from every XSS
//! vector and sanitizer case (see `sanitize_corpus.rs`) is loaded in headless
//! Chromium with `alert`, `confirm`, `prompt`, `print` and `fetch`
//! instrumented and the page's CSP bypassed, so only the sanitizer stands in
//! the way: zero calls, zero dialogs, zero popups, zero navigations away.
//! A control page with known-bad HTML must register calls, proving the
//! instrumentation works.
//!
//! Needs node, Debian's chromium (`/usr/bin/chromium`, or `$CHROMIUM`) and
//! `playwright-core` installed in `tests/browser/` or in the `node_modules`
//! folder named by `$PLANETOID_NODE_MODULES` (`.ci/run` installs all three). Without them the test is skipped with a message, unless
//! `PLANETOID_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.

use crate::common;
use crate::hostile;
use crate::safety;

use std::path::{Path, PathBuf};
use std::process::Command;

struct Browser {
    script: PathBuf,
}

fn browser() -> Option<Browser> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let modules = std::env::var_os("PLANETOID_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("node_modules"));
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing = if !node_ok {
        Some("node is not installed".to_string())
    } else if !Path::new(&chromium).is_file() {
        Some(format!("{chromium} is not installed"))
    } else if !modules.join("playwright-core").is_dir() {
        Some(format!(
            "playwright-core is not installed in {} (npm ci in tests/browser, or set PLANETOID_NODE_MODULES)",
            modules.display()
        ))
    } else {
        None
    };
    match missing {
        None => Some(Browser {
            script: dir.join("check.mjs"),
        }),
        Some(why) => {
            common::skip(common::Need::Browser, &format!("browser test: {why}"));
            None
        }
    }
}

#[derive(Debug)]
struct Report {
    pages: u64,
    calls: usize,
    navigations: usize,
    dialogs: u64,
    popups: i64,
    clicked: u64,
    played: u64,
    bad_links: usize,
    raw: String,
}

fn run(browser: &Browser, pages: &[PathBuf]) -> Report {
    run_with(browser, pages, false)
}

/// `click`: also click every link and play every media element.
fn run_with(browser: &Browser, pages: &[PathBuf], click: bool) -> Report {
    let out = Command::new("node")
        .arg(&browser.script)
        .args(pages)
        .env("PLANETOID_CLICK", if click { "1" } else { "0" })
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "check.mjs failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().last().unwrap_or("");
    let json: serde_json::Value = serde_json::from_str(line).expect("check.mjs prints JSON");
    let count = |key: &str| json[key].as_array().map_or(usize::MAX, Vec::len);
    Report {
        pages: json["pages"].as_u64().unwrap_or(0),
        calls: count("calls"),
        navigations: count("navigations"),
        dialogs: json["dialogs"].as_u64().unwrap_or(u64::MAX),
        popups: json["popups"].as_i64().unwrap_or(i64::MAX),
        clicked: json["clicked"].as_u64().unwrap_or(0),
        played: json["played"].as_u64().unwrap_or(0),
        bad_links: count("bad_links"),
        raw: line.chars().take(4000).collect(),
    }
}

/// A page holding `html`, in a directory that lives as long as the guard.
fn control_page(html: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("control.html");
    std::fs::write(&page, html).expect("write control page");
    (dir, page)
}

#[test]
fn no_payload_executes_in_chromium() {
    let Some(browser) = browser() else {
        return;
    };
    // Control: unsanitized HTML must trip the instrumentation.
    let (_control_dir, control) = control_page(
        "<!DOCTYPE html><p>control</p><img src=\"missing.png\" onerror=\"alert(1)\">\
         <script>confirm('2'); fetch('https://x.example/');</script>",
    );
    let report = run(&browser, &[control]);
    assert!(
        report.calls >= 3,
        "instrumentation saw nothing on the control page: {report:?}"
    );

    let Some(corpus) = safety::corpus_dir() else {
        return;
    };
    let planet = safety::build_payload_planet(&corpus);
    let shown: usize = planet
        .pages
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap_or_default()
                .matches("<article class=\"entry")
                .count()
        })
        .sum();
    assert_eq!(
        shown,
        planet.payloads.len() * 3,
        "every payload entry is on a page"
    );
    let report = run(&browser, &planet.pages);
    eprintln!(
        "browser: {} pages with {} payload entries loaded; {} calls, {} dialogs, {} popups, {} navigations away",
        report.pages,
        planet.payloads.len() * 3,
        report.calls,
        report.dialogs,
        report.popups,
        report.navigations
    );
    assert_eq!(report.pages, planet.pages.len() as u64);
    assert_eq!(
        (
            report.calls,
            report.dialogs,
            report.popups,
            report.navigations
        ),
        (0, 0, 0, 0),
        "something ran: {}",
        report.raw
    );
}

/// The hostile-metadata planet (`hostile/mod.rs`) with the theme's CSP
/// removed from every page: every link clicked and every audio/video played
/// calls nothing, opens no dialog or popup and leads nowhere but http(s).
#[test]
fn no_link_or_media_of_the_hostile_planet_runs_in_chromium() {
    let Some(browser) = browser() else {
        return;
    };
    // Control: a javascript: link, clicked, must trip the instrumentation.
    let (_control_dir, control) = control_page(
        "<!DOCTYPE html><p><a href=\"javascript:alert(1)\">x</a>\
         <audio src=\"data:audio/mpeg;base64,AAAA\"></audio></p>",
    );
    let report = run_with(&browser, &[control], true);
    assert!(
        report.calls >= 1 && report.bad_links == 2,
        "clicking saw nothing on the control page: {report:?}"
    );

    let built = hostile::build();
    let site = tempfile::tempdir().expect("tempdir");
    let mut pages = Vec::new();
    for page in hostile::html_pages(&built) {
        let rel = page.strip_prefix(&built.out).expect("page in the site");
        let html = hostile::without_csp(&page);
        assert!(
            !html.contains("Content-Security-Policy"),
            "{}",
            rel.display()
        );
        let copy = site.path().join(rel);
        std::fs::create_dir_all(copy.parent().expect("parent")).expect("dirs");
        std::fs::write(&copy, html).expect("write page");
        pages.push(copy);
    }
    let report = run_with(&browser, &pages, true);
    eprintln!(
        "browser, CSP removed: {} pages, {} links clicked, {} media played; {} calls, {} dialogs, \
         {} popups, {} navigations away, {} links or sources not http(s)",
        report.pages,
        report.clicked,
        report.played,
        report.calls,
        report.dialogs,
        report.popups,
        report.navigations,
        report.bad_links
    );
    assert_eq!(report.pages, pages.len() as u64);
    assert!(report.clicked > 1000 && report.played > 0, "{report:?}");
    assert_eq!(
        (
            report.calls,
            report.dialogs,
            report.popups,
            report.navigations,
            report.bad_links
        ),
        (0, 0, 0, 0, 0),
        "{}",
        report.raw
    );
}
