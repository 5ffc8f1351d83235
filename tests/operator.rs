//! The operator's side: scaffolding, linting the config, the CI job summary,
//! failure thresholds, OPML in and out, progress output, preview server,
//! shell completions — each through the real binary.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};

use std::time::{Duration, Instant};

use common::{Response, TestServer, planetoid, read, rss_feed, stderr, write_config};

fn two_good_one_bad(server: &TestServer) -> String {
    server.route(
        "/a.xml",
        Response::ok("application/rss+xml", rss_feed("alpha", 2, 20)),
    );
    server.route(
        "/b.xml",
        Response::ok("application/rss+xml", rss_feed("beta", 2, 21)),
    );
    format!(
        "title: Ops\nbase_url: https://ops.test/\nfeeds:\n  - url: {}\n    name: Alpha\n  - url: {}\n    name: Beta\n  - url: {}\n    name: Broken\n",
        server.url("/a.xml"),
        server.url("/b.xml"),
        server.url("/missing.xml")
    )
}

#[test]
fn init_scaffolds_a_repository_with_workflow_and_readme() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = planetoid(dir.path(), &["init", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let planet = dir.path().join("p");
    let workflow = read(planet.join(".github/workflows/planet.yml"));
    for needle in [
        "schedule:",
        "workflow_dispatch:",
        "permissions: {}",
        "concurrency:",
        "actions/cache@",
        "upload-pages-artifact@",
        "deploy-pages@",
        "planetoid build",
    ] {
        assert!(workflow.contains(needle), "workflow has {needle}");
    }
    assert!(read(planet.join("README.md")).contains("planetoid fix-moved"));
    assert_eq!(
        read(planet.join(".gitignore")),
        "output/\n.output.*/\n.planetoid/\n"
    );
    let out = planetoid(&planet, &["build", "--offline"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn check_reports_three_mistakes_at_once_and_probe_prints_a_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        "title: T\nbase_url: https://t.test/\nentries_per_page: lots\nfeeds:\n  - url: a.xml\n    nam: A\n  - url: mailto:x@y\n",
    );
    let out = planetoid(dir.path(), &["check"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("3 problems"), "{err}");
    assert!(
        err.contains("planet.yaml:3:19: expected a whole number"),
        "{err}"
    );
    assert!(err.contains("planet.yaml:6:5: unknown key `nam`"), "{err}");
    assert!(
        err.contains("planet.yaml:7:10: unsupported URL scheme `mailto`"),
        "{err}"
    );

    let server = TestServer::start();
    write_config(dir.path(), &two_good_one_bad(&server));
    let out = planetoid(dir.path(), &["check", "--probe"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("ok") && l.contains("Alpha") && l.contains("alpha blog")),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("FAILED") && l.contains("Broken") && l.contains("HTTP 404")),
        "{table}"
    );
    assert!(
        stderr(&out).contains("probe: 2 of 3 feeds readable"),
        "{}",
        stderr(&out)
    );
    assert!(
        !dir.path().join(".planetoid").exists() && !dir.path().join("output").exists(),
        "probe writes nothing"
    );
}

#[test]
fn step_summary_and_fail_on_thresholds() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &two_good_one_bad(&server));
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").expect("write");
    let run = |fail_on: Option<&str>| {
        let mut args = vec!["build", "--now", "2025-06-30T12:00:00Z"];
        if let Some(f) = fail_on {
            args.extend(["--fail-on", f]);
        }
        assert_cmd::Command::cargo_bin("planetoid")
            .expect("binary")
            .current_dir(dir.path())
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(&args)
            .output()
            .expect("runs")
    };
    let out = run(None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "feeds never fail a build by default"
    );
    let md = read(&summary);
    assert!(
        md.starts_with("# earlier step\n## Planet build"),
        "appended: {md}"
    );
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| [")).collect();
    assert_eq!(rows.len(), 3);
    assert!(
        rows[0].starts_with("| [Broken]")
            && rows[0].contains("| failed |")
            && rows[0].contains("HTTP 404"),
        "{md}"
    );

    assert_eq!(run(Some("failed=1")).status.code(), Some(1));
    assert_eq!(run(Some("failed=2")).status.code(), Some(0));
    let out = run(Some("failed=30%"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("1 of 3 feeds are failing (--fail-on failed=30%)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(run(Some("failed=34%")).status.code(), Some(0));
}

#[test]
fn opml_import_keeps_the_file_and_round_trips_through_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = "# Our planet\ntitle: T   # shown on top\nbase_url: https://t.test/\nfeeds:\n  # founders\n  - url: https://a.example/feed.xml\n    name: Alice\n\n# the end\n";
    let config = write_config(dir.path(), original);
    let opml = r#"<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
        <outline text="Friends">
          <outline text="Alice again" type="rss" xmlUrl="http://a.example/feed.xml/"/>
          <outline text="Bob: notes" title="Bob: notes" type="rss" xmlUrl="https://b.example/rss" htmlUrl="https://b.example/"/>
        </outline>
        <outline text="Carol" type="rss" xmlUrl="https://c.example/atom.xml"/>
        <outline text="Carol twice" type="rss" xmlUrl="https://c.example/atom.xml"/>
        <outline text="a folder without feeds"/>
      </body></opml>"#;
    std::fs::write(dir.path().join("subs.opml"), opml).expect("write");
    let out = planetoid(dir.path(), &["opml", "import", "subs.opml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("added 2 feeds, skipped 2 already listed"),
        "{}",
        stderr(&out)
    );
    let text = read(&config);
    assert!(
        text.starts_with("# Our planet\ntitle: T   # shown on top\n"),
        "{text}"
    );
    assert!(text.contains("  - url: https://b.example/rss\n    name: \"Bob: notes\"\n  - url: https://c.example/atom.xml\n    name: Carol\n"), "{text}");
    assert!(text.ends_with("\n# the end\n"), "{text}");

    let out = planetoid(dir.path(), &["opml", "export"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = opml::OPML::from_str(&String::from_utf8_lossy(&out.stdout)).expect("valid OPML");
    let urls: Vec<_> = exported
        .body
        .outlines
        .iter()
        .filter_map(|o| o.xml_url.clone())
        .collect();
    assert_eq!(
        urls,
        [
            "https://a.example/feed.xml",
            "https://b.example/rss",
            "https://c.example/atom.xml"
        ]
    );
}

#[test]
fn opml_files_from_the_corpus_import_and_export_the_same_feeds() {
    let Some(corpus) = common::corpus_with("rome/opml") else {
        return;
    };
    let files = [
        "rome/opml/opml_1.0.xml",
        "rome/opml/opml_2.0.xml",
        "planet-venus/config/opml.xml",
    ];
    let mut checked = 0;
    for file in files {
        let path = corpus.join(file);
        let Ok(source) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(doc) = opml::OPML::from_str(&source) else {
            eprintln!("{file}: not parseable by the opml crate, skipped");
            continue;
        };
        let mut expected = Vec::new();
        let mut stack: Vec<&opml::Outline> = doc.body.outlines.iter().rev().collect();
        while let Some(o) = stack.pop() {
            if let Some(u) = o
                .xml_url
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                && !expected.iter().any(|e: &String| e == u)
            {
                expected.push(u.to_string());
            }
            stack.extend(o.outlines.iter().rev());
        }
        let dir = tempfile::tempdir().expect("tempdir");
        write_config(
            dir.path(),
            "title: T\nbase_url: https://t.test/\nfeeds: []\n",
        );
        let out = planetoid(
            dir.path(),
            &["opml", "import", path.to_str().unwrap_or_default()],
        );
        assert!(out.status.success(), "{file}: {}", stderr(&out));
        let out = planetoid(dir.path(), &["opml", "export"]);
        let exported =
            opml::OPML::from_str(&String::from_utf8_lossy(&out.stdout)).expect("valid OPML");
        let urls: Vec<String> = exported
            .body
            .outlines
            .iter()
            .filter_map(|o| o.xml_url.clone())
            .collect();
        let canon = |list: &[String]| {
            list.iter()
                .map(|u| planetoid::select::canonical_link(u))
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(canon(&urls), canon(&expected), "{file}");
        checked += 1;
    }
    assert!(checked >= 1, "at least one corpus OPML file round-tripped");
}

#[test]
fn progress_is_plain_off_a_terminal_verbose_names_feeds_and_quiet_is_quiet() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(dir.path(), &two_good_one_bad(&server));
    let out = planetoid(dir.path(), &["build"]);
    let err = stderr(&out);
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "no progress bar when stderr is not a terminal: {err:?}"
    );
    assert!(!err.contains("feed Alpha"), "no per-feed lines without -v");

    let out = planetoid(dir.path(), &["-v", "build"]);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "feed Alpha <{}>: not modified (304)",
            server.url("/a.xml")
        )) || err.contains("feed Alpha <"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "feed Broken <{}>: HTTP 404 Not Found",
            server.url("/missing.xml")
        )),
        "{err}"
    );

    let out = planetoid(dir.path(), &["build", "--quiet"]);
    assert!(out.status.success());
    assert_eq!(stderr(&out), "", "quiet");
}

#[test]
fn serve_previews_and_rebuilds_on_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(planetoid(dir.path(), &["init", "p"]).status.success());
    let planet = dir.path().join("p");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("planetoid"))
        .current_dir(&planet)
        .args(["serve", "--port", "0", "--offline"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let port: u16 = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("http://127.0.0.1:")
                .nth(1)
                .and_then(|r| r.split('/').next())
                .and_then(|p| p.parse().ok())
        })
        .expect("serving line");
    std::thread::spawn(move || for _ in lines {});
    let get = |path: &str| -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .expect("send");
        let mut body = String::new();
        let _ = s.read_to_string(&mut body);
        body
    };
    let page = get("/");
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("My Planet"),
        "{page}"
    );
    assert!(get("/../planet.yaml").starts_with("HTTP/1.1 404"));

    let config = planet.join("planet.yaml");
    std::fs::write(
        &config,
        read(&config).replace("title: My Planet", "title: Renamed Planet"),
    )
    .expect("edit");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut renamed = false;
    while Instant::now() < deadline {
        if get("/").contains("Renamed Planet") {
            renamed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(renamed, "the preview was rebuilt after planet.yaml changed");
}

#[test]
fn completions_are_printed_for_bash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = planetoid(dir.path(), &["completions", "bash"]);
    assert!(out.status.success());
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(
        script.contains("_planetoid()") && script.contains("fix-moved"),
        "{script}"
    );
}
