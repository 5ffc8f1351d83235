//! In other programs: the Nu HTML Checker (java + vnu.jar) on every page, and
//! headless Chromium (node + playwright-core + axe-core, `check.js`) for
//! accessibility and screenshots. Each test skips with a message when its
//! tools are missing; `.ci/run` installs the npm packages into a cache dir.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{NOW, copy_dir, demo};
use crate::common::{Need, Response, TestServer, planetoid, read, skip, snapshot, stderr};

fn vnu_jar() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("VNU_JAR")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/vnu-jar/build/dist/vnu.jar"),
    );
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    if let Some(cache) = cache {
        candidates.push(cache.join("planetoid-ci/vnu/node_modules/vnu-jar/build/dist/vnu.jar"));
    }
    candidates.into_iter().find(|p| p.is_file())
}

fn run_vnu(jar: &Path, files: &[PathBuf]) -> String {
    let out = std::process::Command::new("java")
        .arg("-jar")
        .arg(jar)
        .args(["--errors-only", "--format", "gnu"])
        .args(files)
        .output()
        .expect("java runs");
    String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
}

#[test]
fn nu_html_checker_finds_no_errors_on_any_page() {
    let java = std::process::Command::new("java").arg("-version").output();
    let Some(jar) = vnu_jar().filter(|_| java.is_ok_and(|o| o.status.success())) else {
        skip(
            Need::NuChecker,
            "Nu HTML Checker not available (needs `java` and vnu.jar: set VNU_JAR, or run .ci/run which installs vnu-jar)",
        );
        return;
    };
    // The checker must be able to fail: a page with known errors.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><html><head></head><body><p><div></p></body></html>",
    )
    .expect("write");
    assert!(
        run_vnu(&jar, &[bad]).contains("error"),
        "vnu reports errors"
    );

    let built = demo();
    let pages: Vec<PathBuf> = built
        .files
        .keys()
        .filter(|p| p.ends_with(".html"))
        .map(|p| built.out.join(p))
        .collect();
    let report = run_vnu(&jar, &pages);
    assert!(
        report.trim().is_empty(),
        "vnu errors on {} pages:\n{report}",
        pages.len()
    );
}

/// The demo planet in English (the shared build above is Russian).
fn english_demo() -> (tempfile::TempDir, BTreeMap<String, Vec<u8>>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root.join("demo"), &dir.path().join("demo"));
    let config = read(root.join("planet.yaml")).replace("lang: ru", "lang: en");
    assert!(config.contains("lang: en"));
    std::fs::write(dir.path().join("planet.yaml"), config).expect("config");
    let out = planetoid(dir.path(), &["build", "--offline", "--now", NOW]);
    assert!(out.status.success(), "{}", stderr(&out));
    let files = snapshot(&dir.path().join("output"));
    (dir, files)
}

/// Serves a built site under `/<prefix>/` on the test server.
pub fn serve_site(server: &TestServer, prefix: &str, files: &BTreeMap<String, Vec<u8>>) {
    for (path, bytes) in files {
        let kind = match path.rsplit('.').next() {
            Some("html") => "text/html; charset=utf-8",
            Some("css") => "text/css",
            Some("xml") => "application/xml",
            Some("json") => "application/json",
            Some("js") => "text/javascript",
            _ => "application/octet-stream",
        };
        let response = Response::ok(kind, bytes.clone());
        server.route(&format!("/{prefix}/{path}"), response.clone());
        if let Some(dir) = path.strip_suffix("index.html") {
            server.route(&format!("/{prefix}/{dir}"), response);
        }
    }
}

/// The node_modules folder holding `packages` (`PLANETOID_NODE_MODULES`,
/// else the CI cache) and Chromium, when node, they and Chromium are there.
pub fn node_tools(packages: &[&str]) -> Option<(PathBuf, PathBuf)> {
    let modules = std::env::var_os("PLANETOID_NODE_MODULES")
        .map(PathBuf::from)
        .or_else(|| {
            let home = std::env::var_os("HOME")?;
            Some(PathBuf::from(home).join(".cache/planetoid-ci/browser/node_modules"))
        })
        .filter(|m| packages.iter().all(|p| m.join(p).exists()));
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    modules
        .filter(|_| node_ok && chromium.is_file())
        .map(|m| (m, chromium))
}

/// Runs `check.js`: axe on every `axe` page (none may have a violation),
/// then the `screenshots` into `shots_dir`; returns what it says of each shot.
fn axe_and_screenshots(
    modules: &Path,
    chromium: &Path,
    shots_dir: &Path,
    axe: &[serde_json::Value],
    screenshots: &[serde_json::Value],
) -> Vec<serde_json::Value> {
    std::fs::create_dir_all(shots_dir).expect("screenshot dir");
    let config = serde_json::json!({
        "chromium": chromium, "dir": shots_dir, "axe": axe, "screenshots": screenshots,
    });
    let report = run_node("check.js", modules, &config);
    let violations = report["violations"].as_array().expect("violations");
    assert!(violations.is_empty(), "axe-core:\n{violations:#?}");
    report["screenshots"]
        .as_array()
        .expect("screenshots")
        .clone()
}

/// Runs `tests/site/<script>` with `config` (written to a file) and returns
/// the JSON it prints.
pub fn run_node(script: &str, modules: &Path, config: &serde_json::Value) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("config.json");
    std::fs::write(&config_path, config.to_string()).expect("config");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/site")
        .join(script);
    let out = std::process::Command::new("node")
        .arg(script)
        .arg(&config_path)
        .env("NODE_PATH", modules)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json report")
}

#[test]
fn axe_finds_no_violations_and_screenshots_are_not_blank() {
    let Some((modules, chromium)) = node_tools(&["axe-core/axe.min.js", "playwright-core"]) else {
        skip(
            Need::Browser,
            "needs node, chromium and playwright-core + axe-core (PLANETOID_NODE_MODULES, or run .ci/run)",
        );
        return;
    };
    let server = TestServer::start();
    serve_site(&server, "ru", &demo().files);
    let (_en_dir, en_files) = english_demo();
    serve_site(&server, "en", &en_files);
    let feed = demo()
        .files
        .keys()
        .find(|p| p.starts_with("feeds/") && p.ends_with("/index.html"))
        .expect("a feed page")
        .trim_end_matches("index.html")
        .to_string();
    let mut axe = Vec::new();
    for lang in ["en", "ru"] {
        // Colours differ by scheme, markup by page: every page in light,
        // the two busiest also in dark.
        for page in [
            "",
            "archive/2025/10/",
            feed.as_str(),
            "health/",
            "search/?q=rust",
        ] {
            let url = server.url(&format!("/{lang}/{page}"));
            axe.push(serde_json::json!({"url": url, "scheme": "light"}));
            if page.is_empty() || page == "health/" {
                axe.push(serde_json::json!({"url": url, "scheme": "dark"}));
            }
        }
    }
    let shots_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("site-screenshots");
    let mut screenshots = Vec::new();
    for lang in ["en", "ru"] {
        for (width, height, scheme) in [(1280, 900, "light"), (390, 844, "dark")] {
            screenshots.push(serde_json::json!({
                "url": server.url(&format!("/{lang}/")),
                "name": format!("index-{lang}-{width}-{scheme}.png"),
                "width": width, "height": height, "scheme": scheme,
            }));
        }
    }
    let shots = axe_and_screenshots(&modules, &chromium, &shots_dir, &axe, &screenshots);
    assert_eq!(shots.len(), 4);
    for shot in shots {
        let file = shot["file"].as_str().unwrap_or_default();
        assert!(Path::new(file).is_file(), "{file}");
        assert!(
            shot["colours"].as_u64().unwrap_or(0) > 20,
            "{file} looks blank: {shot}"
        );
        assert!(
            shot["textLength"].as_u64().unwrap_or(0) > 500,
            "{file} has little text: {shot}"
        );
    }
    eprintln!(
        "axe: 0 violations in {} page loads; screenshots in {}",
        axe.len(),
        shots_dir.display()
    );
}

/// The health page with a history (a flaky, a quiet and a healthy feed):
/// the Nu checker finds no errors, axe no violations in light and dark,
/// and Chromium screenshots at desktop and phone widths show the strips.
#[test]
fn health_page_with_history_passes_vnu_and_axe_and_is_screenshotted() {
    let planets: Vec<(&str, crate::common::History)> = ["en", "ru"]
        .into_iter()
        .map(|lang| (lang, crate::common::history_planet(12, lang)))
        .collect();
    let java = std::process::Command::new("java").arg("-version").output();
    match vnu_jar().filter(|_| java.is_ok_and(|o| o.status.success())) {
        Some(jar) => {
            let pages: Vec<PathBuf> = planets
                .iter()
                .flat_map(|(_, p)| {
                    let out = p.dir.path().join("output");
                    [
                        out.join("health/index.html"),
                        out.join("archive/index.html"),
                    ]
                })
                .collect();
            let report = run_vnu(&jar, &pages);
            assert!(report.trim().is_empty(), "vnu errors:\n{report}");
        }
        None => skip(
            Need::NuChecker,
            "Nu HTML Checker on the health page: needs java and vnu.jar",
        ),
    }
    let Some((modules, chromium)) = node_tools(&["axe-core/axe.min.js", "playwright-core"]) else {
        skip(
            Need::Browser,
            "axe and screenshots of the health page: needs node, chromium, playwright-core and axe-core",
        );
        return;
    };
    let server = TestServer::start();
    let mut axe = Vec::new();
    let mut screenshots = Vec::new();
    for (lang, planet) in &planets {
        serve_site(&server, lang, &snapshot(&planet.dir.path().join("output")));
        for page in ["health/", "archive/"] {
            for scheme in ["light", "dark"] {
                axe.push(serde_json::json!({"url": server.url(&format!("/{lang}/{page}")), "scheme": scheme}));
            }
        }
        for (width, height, scheme) in [
            (1280, 900, "light"),
            (390, 844, "dark"),
            (390, 844, "light"),
        ] {
            screenshots.push(serde_json::json!({
                "url": server.url(&format!("/{lang}/health/")),
                "name": format!("health-{lang}-{width}-{scheme}.png"),
                "width": width, "height": height, "scheme": scheme, "fullPage": width < 600,
            }));
        }
    }
    let shots_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("health-screenshots");
    let shots = axe_and_screenshots(&modules, &chromium, &shots_dir, &axe, &screenshots);
    assert_eq!(shots.len(), 6);
    for shot in shots {
        assert!(
            shot["colours"].as_u64().unwrap_or(0) > 20,
            "looks blank: {shot}"
        );
    }
    eprintln!(
        "health page: 0 axe violations in {} loads; screenshots in {}",
        axe.len(),
        shots_dir.display()
    );
}
