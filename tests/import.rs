//! Moving an existing planet over (`planetoid import venus|pluto|rawdog`)
//! and adding one member (`planetoid add`), through the real binary: import
//! → check → build --offline, merging into a planet.yaml with comments, and
//! `add` against the local test server.
//!
//! Each format has a hand-written messy fixture (tests/fixtures/import/)
//! and a big one generated here, deterministically, with a few hundred
//! feeds, entity-encoded names, faces, filters, comments, repeated URLs and
//! `[DEFAULT]`; the test knows what each generated feed must become.

use crate::common;

use std::path::Path;

use common::{Response, TestServer, copy_dir, planetoid, read, rss_feed, stderr, write_config};
use planetoid::config::{self, Avatar};
use planetoid::entry::{DatePolicy, FutureDates};

const NOW: &str = "2025-06-30T12:00:00Z";

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

/// import → check → build --offline; returns the import's report.
fn import_check_build(dir: &Path, format: &str, file: &str) -> String {
    let out = planetoid(dir, &["import", format, file]);
    assert!(out.status.success(), "import: {}", stderr(&out));
    let report = stderr(&out);
    let out = planetoid(dir, &["check"]);
    assert!(out.status.success(), "check: {}", stderr(&out));
    let out = planetoid(dir, &["build", "--offline", "--now", NOW]);
    assert!(out.status.success(), "build: {}", stderr(&out));
    report
}

fn load(dir: &Path) -> config::Config {
    config::load(&dir.join("planet.yaml")).expect("planet.yaml is valid")
}

/// The generated Venus planet: what feed `i` must become.
struct VenusFeed {
    url: String,
    name: String,
    avatar: Option<String>,
    include: Option<String>,
    exclude: Option<String>,
    future: Option<FutureDates>,
    first_seen: bool,
    max_entries: usize,
}

fn big_venus(dir: &Path) -> Vec<VenusFeed> {
    std::fs::create_dir_all(dir.join("images")).expect("mkdir");
    let mut ini = String::from(
        "# A big Venus planet\n[DEFAULT]\nroot = https://big.example\nfacewidth = 48\n\n[Planet]\nname = Big &amp; Busy Planet\nlink = %(root)s/planet/\nowner_name = The Admins\nowner_email = admins@big.example\nitems_per_page = 40\nnew_feed_items = 4\ncache_directory = cache\ntemplate_files = index.html.tmpl\nlog_level = WARNING\n\n[index.html.tmpl]\ndays_per_page = 2\n\n",
    );
    let mut expected = Vec::new();
    for i in 0..320 {
        let url = format!("https://m{i}.example/feed/");
        if i % 10 == 0 {
            ini.push_str(&format!("; member {i}\n"));
        } else if i % 10 == 5 {
            ini.push_str(&format!("# member {i}\n"));
        }
        ini.push_str(&format!("[{url}]\n"));
        let (written, name) = match i % 4 {
            0 => (format!("Ga&#235;l {i}"), format!("Gaël {i}")),
            1 => (
                format!("Jos&eacute; {i}   ; inline comment"),
                format!("José {i}"),
            ),
            2 => (
                format!("Member\n  number {i}"),
                format!("Member number {i}"),
            ),
            _ => (format!("Plain {i}"), format!("Plain {i}")),
        };
        ini.push_str(&format!("name = {written}\n"));
        let mut feed = VenusFeed {
            url,
            name,
            avatar: None,
            include: None,
            exclude: None,
            future: None,
            first_seen: false,
            max_entries: 4,
        };
        if i % 3 == 0 {
            let file = format!("face{i}.png");
            std::fs::write(dir.join("images").join(&file), format!("png {i}")).expect("face");
            ini.push_str(&format!("face = {file}\n"));
            feed.avatar = Some(format!("images/{file}"));
        } else if i % 3 == 1 {
            ini.push_str("face = %(root)s/heads/x.png\n");
            feed.avatar = Some("https://big.example/heads/x.png".into());
        }
        if i % 7 == 0 {
            ini.push_str("filter = [Rr]ust|%(lang)s\nlang = python\n");
            feed.include = Some("[Rr]ust|python".into());
        }
        if i % 11 == 0 {
            ini.push_str("exclude = sponsored\n");
            feed.exclude = Some("sponsored".into());
        }
        if i % 13 == 0 {
            ini.push_str("future_dates = ignore_date\n");
            feed.future = Some(FutureDates::Clamp);
        }
        if i % 17 == 0 {
            ini.push_str("ignore_in_feed = updated\n");
            feed.first_seen = true;
        }
        if i % 19 == 0 {
            ini.push_str("new_feed_items = 12\n");
            feed.max_entries = 12;
        }
        if i % 5 == 0 {
            ini.push_str("nick = m\n");
        }
        ini.push('\n');
        expected.push(feed);
    }
    // Repeats: another spelling of ten URLs.
    for i in (0..100).step_by(10) {
        ini.push_str(&format!("[http://M{i}.EXAMPLE/feed]\nname = again {i}\n\n"));
    }
    std::fs::write(dir.join("config.ini"), ini).expect("write");
    expected
}

#[test]
fn a_big_venus_planet_is_imported_checked_and_built() {
    let dir = tempfile::tempdir().expect("tempdir");
    let expected = big_venus(dir.path());
    std::fs::write(dir.path().join("images/left-over.png"), "old").expect("write");
    let report = import_check_build(dir.path(), "venus", "config.ini");
    assert!(
        report.contains("added 320 feeds, skipped 10 already listed"),
        "{report}"
    );
    for needle in [
        "[Planet] new_feed_items → max_entries of every feed (nearest equivalent",
        "name → name (HTML entities decoded) ×160",
        "face → avatar ×214",
        "  nick ×64: ",
        "  lang ×46: ",
        "  [DEFAULT] facewidth ×1: the theme sizes avatars",
        "  [DEFAULT] root ×1: used for `%(…)s` interpolation",
        "  [Planet] cache_directory ×1: ",
        "  [Planet] template_files ×1: ",
        "  [index.html.tmpl] ×1: template settings",
    ] {
        assert!(
            report.contains(needle),
            "report lacks {needle:?}:\n{report}"
        );
    }
    let cfg = load(dir.path());
    assert_eq!(cfg.title, "Big & Busy Planet");
    assert_eq!(cfg.base_url.as_str(), "https://big.example/planet/");
    assert_eq!(cfg.owner_name.as_deref(), Some("The Admins"));
    assert_eq!(cfg.owner_email.as_deref(), Some("admins@big.example"));
    assert_eq!(cfg.entries_per_page, 40);
    assert_eq!(cfg.avatar_dir, Some(dir.path().join("images")));
    assert_eq!(cfg.feeds.len(), expected.len());
    for (got, want) in cfg.feeds.iter().zip(&expected) {
        assert_eq!(got.url, want.url);
        assert_eq!(
            got.name.as_deref(),
            Some(want.name.as_str()),
            "{}",
            want.url
        );
        let avatar = got.avatar.as_ref().map(|a| match a {
            Avatar::Url(u) => u.to_string(),
            Avatar::File { path, .. } => path
                .strip_prefix(dir.path())
                .expect("inside")
                .to_string_lossy()
                .into_owned(),
        });
        assert_eq!(avatar, want.avatar, "{}", want.url);
        assert_eq!(
            got.filters.include.as_ref().map(|p| p.as_str().to_string()),
            want.include,
            "{}",
            want.url
        );
        assert_eq!(
            got.filters.exclude.as_ref().map(|p| p.as_str().to_string()),
            want.exclude
        );
        assert_eq!(got.future_dates, want.future, "{}", want.url);
        assert_eq!(
            got.date_policy == DatePolicy::FirstSeen,
            want.first_seen,
            "{}",
            want.url
        );
        assert_eq!(got.max_entries, Some(want.max_entries), "{}", want.url);
    }

    // check: the unused image in avatar_dir is a warning, not an error.
    let out = planetoid(dir.path(), &["check"]);
    assert!(
        stderr(&out).contains("warning: images/left-over.png: no feed uses this image"),
        "{}",
        stderr(&out)
    );
    // The build copied each used local face under a content-hashed name,
    // and shows the owner.
    let avatars: Vec<String> = std::fs::read_dir(dir.path().join("output/avatars"))
        .expect("avatars published")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(avatars.len(), 107, "{avatars:?}");
    // The name is the file's stem and the first 16 hex digits of the
    // blake3 of its bytes (b"png 0"), pinned: a published URL must not move.
    let face0 = "face0-77af3838e8e300f5.png".to_string();
    assert!(avatars.contains(&face0), "{avatars:?}");
    assert_eq!(
        std::fs::read(dir.path().join("output/avatars").join(&face0)).expect("copied"),
        b"png 0"
    );
    let index = read(dir.path().join("output/index.html"));
    assert!(
        index.contains(&format!("src=\"./avatars/{face0}\"")),
        "sidebar shows the local face relative to the root"
    );
    assert!(
        index.contains("Run by <a href=\"mailto:admins@big.example\">The Admins</a>"),
        "footer names the owner"
    );
    assert!(
        read(dir.path().join("output/rss.xml"))
            .contains("<managingEditor>admins@big.example (The Admins)</managingEditor>")
    );
    let json: serde_json::Value =
        serde_json::from_str(&read(dir.path().join("output/feed.json"))).expect("json");
    assert_eq!(json["authors"][0]["name"], "The Admins");
    let atom = read(dir.path().join("output/atom.xml"));
    assert!(
        atom.contains("<author><name>The Admins</name><email>admins@big.example</email></author>"),
        "{}",
        &atom[..atom.len().min(800)]
    );
}

#[test]
fn the_messy_venus_fixture_maps_what_it_can_and_lists_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("venus"), dir.path());
    let report = import_check_build(dir.path(), "venus", "config.ini");
    assert!(report.contains("added 6 feeds, skipped 1"), "{report}");
    for needle in [
        "content_type = opml ×1: a subscription list",
        "ignore_in_feed = tags ×1",
        "[Planet] output_dir ×1",
        "config.ini:64: avatar image `nobody.png` not found",
        "config.ini: `exclude` not imported: invalid regular expression `(?<!not )sponsored`",
    ] {
        assert!(
            report.contains(needle),
            "report lacks {needle:?}:\n{report}"
        );
    }
    let cfg = load(dir.path());
    assert_eq!(cfg.title, "Planet Python");
    assert_eq!(cfg.fetch.timeout_secs, 20);
    let by_url = |u: &str| {
        cfg.feeds
            .iter()
            .find(|f| f.url == u)
            .unwrap_or_else(|| panic!("{u} imported"))
    };
    assert_eq!(
        by_url("https://gael.example/blog/feed.xml").name.as_deref(),
        Some("Gaël Varoquaux")
    );
    let jose = by_url("https://jose.example/feed");
    assert_eq!(jose.name.as_deref(), Some("José María & friends"));
    assert_eq!(jose.future_dates, Some(FutureDates::Drop));
    let pycon = by_url("https://pycon.example/news/rss");
    assert_eq!(pycon.name.as_deref(), Some("PyCon News"));
    assert_eq!(pycon.max_entries, Some(10));
    assert_eq!(pycon.future_dates, Some(FutureDates::HideUntilDue));
    assert!(
        cfg.feeds
            .iter()
            .all(|f| f.date_policy == DatePolicy::FirstSeen),
        "[Planet] ignore_in_feed = updated applies to every feed"
    );
    let barry = by_url("https://barry.example/feed/atom/");
    assert!(barry.filters.allows("Python 3.14", "", &[]));
    assert!(!barry.filters.allows("Gardening", "", &[]));
    let out = planetoid(dir.path(), &["check"]);
    assert!(
        stderr(&out).contains("images/departed.gif: no feed uses this image"),
        "{}",
        stderr(&out)
    );
    // A face that goes missing is a check error with its line and column.
    std::fs::remove_file(dir.path().join("images/barry.png")).expect("rm");
    let out = planetoid(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let line = read(dir.path().join("planet.yaml"))
        .lines()
        .position(|l| l == "    avatar: images/barry.png")
        .expect("barry's avatar")
        + 1;
    assert!(
        stderr(&out).contains(&format!(
            "planet.yaml:{line}:13: avatar file `images/barry.png` cannot be read"
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn importing_into_an_existing_planet_keeps_its_comments_and_feeds() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("venus"), dir.path());
    let original = "# Our planet: hand-edited, keep these notes\ntitle: Python Planet (new)   # our own title\nbase_url: https://pp.example/\nfeeds:\n  # founders first\n  - url: https://neopythonic.example/feeds/posts/default\n    name: BDFL   # not Guido's full name\n\n# trailing notes stay last\n";
    write_config(dir.path(), original);
    let out = planetoid(dir.path(), &["import", "venus", "config.ini"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = stderr(&out);
    assert!(
        report.contains("added 5 feeds, skipped 2 already listed"),
        "{report}"
    );
    assert!(
        report.contains("settings kept as planet.yaml has them (the imported values were not applied): title, base_url"),
        "{report}"
    );
    let text = read(dir.path().join("planet.yaml"));
    assert!(
        text.starts_with("# Our planet: hand-edited, keep these notes\ntitle: Python Planet (new)   # our own title\nbase_url: https://pp.example/\nowner_name: Planet Python Team\n"),
        "{text}"
    );
    assert!(
        text.contains("  # founders first\n  - url: https://neopythonic.example/feeds/posts/default\n    name: BDFL   # not Guido's full name\n  - url: https://barry.example/feed/atom/\n"),
        "{text}"
    );
    assert!(text.ends_with("\n# trailing notes stay last\n"), "{text}");
    assert_eq!(load(dir.path()).feeds.len(), 6);
    // A second import adds nothing and leaves the file byte for byte.
    let out = planetoid(dir.path(), &["import", "venus", "config.ini"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("added 0 feeds, skipped 7"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(dir.path().join("planet.yaml")), text);
    // --dry-run prints the result and changes nothing.
    std::fs::remove_file(dir.path().join("planet.yaml")).expect("rm");
    let out = planetoid(dir.path(), &["import", "venus", "config.ini", "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("title: Planet Python\n"));
    assert!(
        stderr(&out).contains("would write planet.yaml: added 6 feeds"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("planet.yaml").exists());
}

#[test]
fn a_big_pluto_planet_and_the_messy_fixture_are_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("hackergotchi")).expect("mkdir");
    let langs = ["en", "de", "cs_CZ", "Nuremberg", "zh_CN"];
    let mut ini = String::from("# generated\ntitle = Planet &quot;Big&quot; Pluto\n\n");
    for i in 0..300 {
        ini.push_str(&format!("[member{i}]\n"));
        if i % 6 == 0 {
            ini.push_str("  # indented comment\n");
        }
        ini.push_str(&format!(
            "  title    = Memb&eacute;r {i}\n  feed     = https://p{}.example/feed.xml\n  link     = https://p{i}.example/\n  location = {}\n",
            i % 290,
            langs[i % langs.len()]
        ));
        if i % 2 == 0 {
            std::fs::write(
                dir.path().join(format!("hackergotchi/p{i}.png")),
                format!("{i}"),
            )
            .expect("avatar");
            ini.push_str(&format!("  avatar   = p{i}.png\n"));
        }
        if i % 9 == 0 {
            ini.push_str("  twitter = @m\n");
        }
    }
    std::fs::write(dir.path().join("planet.ini"), ini).expect("write");
    let report = import_check_build(dir.path(), "pluto", "planet.ini");
    assert!(
        report.contains("added 290 feeds, skipped 10 already listed"),
        "{report}"
    );
    assert!(
        report.contains("location (not a language code) ×60"),
        "{report}"
    );
    assert!(report.contains("  twitter ×34: "), "{report}");
    let cfg = load(dir.path());
    assert_eq!(cfg.title, "Planet \"Big\" Pluto");
    assert_eq!(cfg.feeds.len(), 290);
    for (i, f) in cfg.feeds.iter().enumerate() {
        assert_eq!(f.url, format!("https://p{i}.example/feed.xml"));
        assert_eq!(f.name.as_deref(), Some(format!("Membér {i}").as_str()));
        assert_eq!(
            f.homepage.as_ref().map(|h| h.as_str()),
            Some(format!("https://p{i}.example/").as_str())
        );
        let lang = ["en", "de", "cs-CZ", "", "zh-CN"][i % 5];
        assert_eq!(f.lang.as_deref().unwrap_or(""), lang, "{}", f.url);
        assert_eq!(f.avatar.is_some(), i % 2 == 0, "{}", f.url);
    }
    // The hand-written one, with hackergotchi/ and an unusable section.
    let messy = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("pluto"), messy.path());
    let report = import_check_build(messy.path(), "pluto", "planet.ini");
    assert!(report.contains("added 4 feeds"), "{report}");
    assert!(report.contains("[drafts] has no `feed` key"), "{report}");
    let cfg = load(messy.path());
    let ancor = &cfg.feeds[1];
    assert_eq!(ancor.name.as_deref(), Some("Ancor González Sosa"));
    assert_eq!(ancor.lang.as_deref(), Some("es"));
    assert!(
        matches!(&ancor.avatar, Some(Avatar::File { published, .. }) if published.starts_with("avatars/ancorgs-") && published.ends_with(".jpg")),
        "{:?}",
        ancor.avatar
    );
    assert_eq!(cfg.feeds[2].lang, None, "Nuremberg is not a language");
    assert_eq!(cfg.feeds[3].lang.as_deref(), Some("pt-BR"));
}

#[test]
fn a_big_rawdog_planet_and_the_messy_fixture_are_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config =
        String::from("# rawdog\nmaxarticles 60\nexpireage 2w\ntimeout 1m\nshowfeeds true\n\n");
    for i in 0..250 {
        match i % 3 {
            0 => config.push_str(&format!(
                "feed 1h https://r{i}.example/atom.xml\n\tdefine_name R&ocirc;b {i}\n"
            )),
            1 => config.push_str(&format!(
                "feed 30m https://r{i}.example/atom.xml define_name=R{i}\n"
            )),
            _ => config.push_str(&format!(
                "# no name\nfeed 2h https://r{i}.example/atom.xml\n"
            )),
        }
    }
    config.push_str("feed 1h https://R0.example/atom.xml/\n\tdefine_name repeat\n");
    let bad_line = config.lines().count() + 1;
    config.push_str("feed 1h\n");
    std::fs::write(dir.path().join("config"), config).expect("write");
    let report = import_check_build(dir.path(), "rawdog", "config");
    assert!(
        report.contains("added 250 feeds, skipped 1 already listed"),
        "{report}"
    );
    assert!(
        report.contains("feed period ×251: planetoid fetches every feed on each build"),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "config:{bad_line}: `feed` needs a period and a URL"
        )),
        "{report}"
    );
    assert!(report.contains("  showfeeds ×1: "), "{report}");
    let cfg = load(dir.path());
    assert_eq!(cfg.entries_per_page, 60);
    assert_eq!(cfg.retention.max_age_days, 14);
    assert_eq!(cfg.fetch.timeout_secs, 60);
    for (i, f) in cfg.feeds.iter().enumerate() {
        let name = match i % 3 {
            0 => Some(format!("Rôb {i}")),
            1 => Some(format!("R{i}")),
            _ => None,
        };
        assert_eq!(f.name, name, "{}", f.url);
    }
    let messy = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture("rawdog"), messy.path());
    let report = import_check_build(messy.path(), "rawdog", "config");
    assert!(report.contains("added 4 feeds, skipped 1"), "{report}");
    assert!(
        report.contains("  password ×1: planetoid does not send credentials"),
        "{report}"
    );
    let cfg = load(messy.path());
    assert_eq!(cfg.title, "Planet Rawdog");
    assert_eq!(cfg.feeds[0].name.as_deref(), Some("Alice & Bob"));
    assert_eq!(
        cfg.feeds[3].url, "https://erin.example/index.xml",
        "from the included file"
    );
}

#[test]
fn import_refuses_a_file_without_feeds_and_says_what_it_expected() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("config.ini"), "[Planet]\nname = Empty\n").expect("write");
    let out = planetoid(dir.path(), &["import", "venus", "config.ini"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out)
            .contains("config.ini has no feeds a venus planet would read (no [http…] sections)"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("planet.yaml").exists());
}

const BASE: &str = "# members' feeds\ntitle: Add\nbase_url: https://add.test/\nfeeds:\n  # the founder\n  - url: https://founder.example/feed.xml   # keep me\n\n# end of file\n";

fn add(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["add"];
    all.extend_from_slice(args);
    let out = planetoid(dir, &all);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr(&out),
    )
}

#[test]
fn add_takes_a_feed_or_a_site_and_refuses_what_it_cannot_use() {
    let server = TestServer::start();
    server.route(
        "/feed.xml",
        Response::ok("application/rss+xml", rss_feed("alice", 5, 20)),
    );
    server.route(
        "/bob/",
        Response::ok(
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>Bob</title><link rel=\"alternate\" type=\"application/atom+xml\" href=\"/bob/atom.xml\"></head><body>hi</body></html>",
        ),
    );
    server.route(
        "/bob/atom.xml",
        Response::ok(
            "application/atom+xml",
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Bob &amp; Co</title><id>urn:bob</id><updated>2025-06-01T00:00:00Z</updated>\
             <entry><title>Older</title><id>urn:1</id><updated>2025-05-01T00:00:00Z</updated></entry>\
             <entry><title>Newest</title><id>urn:2</id><updated>2025-06-01T00:00:00Z</updated></entry></feed>",
        ),
    );
    server.route(
        "/carol/",
        Response::ok("text/html", "<!doctype html><html><head><title>Carol</title></head><body>no feed here</body></html>"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), BASE);

    // A dry run checks and tells, and changes nothing.
    let feed = server.url("/feed.xml");
    let (ok, out, err) = add(dir.path(), &["--dry-run", &feed]);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("would add {feed}")), "{out}");
    assert_eq!(read(&config), BASE);

    // A feed URL: named by its own title, with its newest three titles,
    // fetched once.
    server.clear_requests();
    let (ok, out, err) = add(dir.path(), &[&feed, "--tag", "team", "--tag", "rust"]);
    assert!(ok, "{err}");
    assert_eq!(server.requests().len(), 1, "{:?}", server.requests());
    assert!(out.contains("  name: alice blog\n"), "{out}");
    assert!(out.contains("  entries: 5\n"), "{out}");
    assert!(
        out.contains("  latest:\n    - alice post 0\n    - alice post 1\n    - alice post 2\n"),
        "{out}"
    );
    let text = read(&config);
    assert_eq!(
        text,
        BASE.replace(
            "   # keep me\n",
            &format!(
                "   # keep me\n  - url: {feed}\n    name: alice blog\n    tags: [team, rust]\n"
            )
        )
    );

    // A site URL advertising its feed: the feed is added, named by --name.
    let (ok, out, err) = add(
        dir.path(),
        &[&server.url("/bob/"), "--name", "Bob: the builder"],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("added {}", server.url("/bob/atom.xml"))),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "found as the feed {} advertises",
            server.url("/bob/")
        )),
        "{out}"
    );
    assert!(
        out.contains("  latest:\n    - Newest\n    - Older\n"),
        "{out}"
    );
    assert!(read(&config).contains("    name: \"Bob: the builder\"\n"));

    // Refusals, each with its reason; planet.yaml stays as it was.
    let before = read(&config);
    let (ok, _, err) = add(dir.path(), &[&server.url("/carol/")]);
    assert!(!ok);
    assert!(
        err.contains("is a web page, not a feed, and it advertises none"),
        "{err}"
    );
    let (ok, _, err) = add(dir.path(), &[&format!("{feed}?utm_source=x")]);
    assert!(!ok);
    assert!(err.contains("is already in planet.yaml (line 7"), "{err}");
    let (ok, _, err) = add(dir.path(), &[&server.url("/bob/")]);
    assert!(!ok, "the site's feed is listed already");
    assert!(
        err.contains(&format!(
            "{} is already in planet.yaml",
            server.url("/bob/atom.xml")
        )),
        "{err}"
    );
    let (ok, _, err) = add(dir.path(), &[&server.url("/gone.xml")]);
    assert!(!ok);
    assert!(err.contains("cannot be added: HTTP 404"), "{err}");
    let (ok, _, err) = add(dir.path(), &["ftp://x.example/feed"]);
    assert!(!ok);
    assert!(err.contains("is not an http(s) URL"), "{err}");
    assert_eq!(read(&config), before);
    let out = planetoid(dir.path(), &["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn init_writes_the_add_feed_form_and_workflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = planetoid(dir.path(), &["init", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let form = read(dir.path().join("p/.github/ISSUE_TEMPLATE/add-feed.yml"));
    for needle in ["id: url", "id: name", "id: tags", "labels: [\"add-feed\"]"] {
        assert!(form.contains(needle), "form has {needle}");
    }
    let workflow = read(dir.path().join("p/.github/workflows/add-feed.yml"));
    assert!(workflow.contains("planetoid \"${args[@]}\""));
    assert!(workflow.contains("args=(add --dry-run \"$url\")"));
    assert!(workflow.contains("feed-approved"));
    assert!(workflow.contains("permissions: {}"));
    // Issue text never reaches a `run:` through an expression.
    let mut in_run = false;
    for line in workflow.lines() {
        let t = line.trim_start();
        if t.starts_with("run:") {
            in_run = true;
        } else if t.starts_with("- ") || t.starts_with("env:") || t.starts_with("with:") {
            in_run = false;
        }
        if in_run {
            assert!(!line.contains("${{"), "expression in a run block: {line}");
        }
    }
    assert!(workflow.contains("BODY: ${{ github.event.issue.body }}"));
}
