//! Several runs of one planet at once: builds started together take turns
//! (each exits 0), a build killed at any moment leaves the old site or the
//! new one and nothing the next build cannot take back, `--wait` bounds the
//! wait, and `serve`'s rebuilds take turns with builds too.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Response, TestServer, planetoid, read, rss_feed, stderr, write_config};
use planetoid::lock::{PlanetLock, lock_path};
use planetoid::progress::Verbosity;

/// A small offline planet like the demo: two member feeds that do not
/// change and one that gains a post each round, on several pages.
fn planet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("feeds")).expect("mkdir");
    for (name, n) in [("alpha", 12), ("beta", 9)] {
        std::fs::write(
            dir.path().join(format!("feeds/{name}.xml")),
            rss_feed(name, n, 25),
        )
        .expect("write feed");
    }
    write_round(dir.path(), 0);
    write_config(
        dir.path(),
        "title: Overlap\nbase_url: https://planet.test/\nlang: ru\nentries_per_page: 5\n\
         feeds:\n  - url: feeds/alpha.xml\n    name: Alpha\n  - url: feeds/beta.xml\n  - url: feeds/rounds.xml\n",
    );
    dir
}

/// The changing feed as of `round`: its newest post names the round.
fn write_round(dir: &Path, round: u32) {
    let items: String = (0..=round)
        .map(|r| {
            format!(
                "<item><title>round-{r:02}-post</title><link>https://rounds.example/{r}</link>\
                 <guid>https://rounds.example/{r}</guid><pubDate>{:02} Jul 2025 10:00:00 GMT</pubDate>\
                 <description>Round {r}.</description></item>",
                r + 1
            )
        })
        .collect();
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Rounds</title>\
         <link>https://rounds.example/</link><description>d</description>{items}</channel></rss>"
    );
    std::fs::write(dir.join("feeds/rounds.xml"), feed).expect("write feed");
}

/// The build's `--now` in `round`.
fn now(round: u32) -> String {
    format!("2025-07-{:02}T12:00:00Z", round + 1)
}

fn spawn_build(dir: &Path, round: u32) -> Child {
    Command::new(env!("CARGO_BIN_EXE_planetoid"))
        .current_dir(dir)
        .args(["build", "--offline", "--now", &now(round)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("planetoid starts")
}

/// Checks the published site is whole — the keys file lists exactly the
/// files there are, every page is complete, the store opens — and that it
/// is all of one build: returns the round it shows.
fn whole_site(dir: &Path) -> u32 {
    let site = dir.join("output");
    assert!(site.join(".planetoid-site").is_file(), "marker");
    let mut files: Vec<String> = common::snapshot(&site)
        .into_keys()
        .filter(|p| ![".planetoid-site", ".nojekyll", ".planetoid-keys"].contains(&p.as_str()))
        .collect();
    files.sort();
    let mut listed: Vec<String> = read(site.join(".planetoid-keys"))
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, p)| p.to_string()))
        .collect();
    listed.sort();
    assert_eq!(
        files, listed,
        "the site holds exactly the files of one build"
    );
    for page in files.iter().filter(|p| p.ends_with(".html")) {
        assert!(
            read(site.join(page)).trim_end().ends_with("</html>"),
            "{page} is complete"
        );
    }
    let health: serde_json::Value =
        serde_json::from_str(&read(site.join("health.json"))).expect("health.json parses");
    let generated = health["generated"].as_str().expect("generated");
    let round = (0..40)
        .find(|r| generated == now(*r))
        .unwrap_or_else(|| panic!("health.json from an unknown build: {generated}"));
    // The front page and the feed are from that same build.
    let newest = format!("round-{round:02}-post");
    let later = format!("round-{:02}-post", round + 1);
    for file in ["index.html", "atom.xml"] {
        let text = read(site.join(file));
        assert!(
            text.contains(&newest) && !text.contains(&later),
            "{file} is of round {round}"
        );
    }
    planetoid::store::Store::open(&dir.join(".planetoid/state.db")).expect("the store opens");
    round
}

/// Nothing but the site, its spare and the planet's own files beside it.
fn no_leftovers(dir: &Path) {
    let strays: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            ![
                ".output.spare",
                ".planetoid",
                "feeds",
                "output",
                "planet.yaml",
                "more.opml",
            ]
            .contains(&n.as_str())
        })
        .collect();
    assert!(strays.is_empty(), "left behind: {strays:?}");
}

fn lock_wait(dir: &Path) -> f64 {
    let health: serde_json::Value =
        serde_json::from_str(&read(dir.join("output/health.json"))).expect("health.json parses");
    health["lock_wait_secs"].as_f64().expect("lock_wait_secs")
}

fn finish(child: Child) -> (std::process::ExitStatus, String) {
    let out = child.wait_with_output().expect("wait");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn five_builds_started_at_once_take_turns_and_all_succeed() {
    let dir = planet();
    let (rounds, builds) = (10, 5);
    let mut longest: f64 = 0.0;
    let mut waited_lines = 0;
    for round in 1..=rounds {
        write_round(dir.path(), round);
        let children: Vec<Child> = (0..builds)
            .map(|_| spawn_build(dir.path(), round))
            .collect();
        for child in children {
            let (status, err) = finish(child);
            assert!(status.success(), "round {round}: {err}");
            waited_lines += usize::from(err.contains("waiting for the build started at "));
        }
        assert_eq!(whole_site(dir.path()), round);
        // The last build to publish waited for the four before it.
        let wait = lock_wait(dir.path());
        assert!(wait > 0.0, "round {round}: the last build waited");
        longest = longest.max(wait);
        no_leftovers(dir.path());
    }
    assert!(
        waited_lines >= rounds as usize,
        "builds said what they waited for"
    );
    let out = planetoid(dir.path(), &["build", "--offline", "--now", &now(rounds)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(lock_wait(dir.path()), 0.0, "nobody to wait for");
    eprintln!(
        "overlap: {rounds} rounds × {builds} builds, all exited 0; longest wait {longest:.2} s"
    );
}

/// A small deterministic generator (xorshift), seeded from the clock or
/// `PLANETOID_TEST_SEED` to replay a failure.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("PLANETOID_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("kill rounds: PLANETOID_TEST_SEED={seed}");
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

#[test]
fn a_build_killed_at_any_moment_leaves_the_old_site_or_the_new_one() {
    let dir = planet();
    let first = Instant::now();
    let out = planetoid(dir.path(), &["build", "--offline", "--now", &now(0)]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Kills land anywhere from start-up to well past one build's time.
    let span = (first.elapsed().as_millis() as u64 * 3 / 2).max(50);
    let mut rng = Rng::new();
    let (mut killed, mut finished, mut old_sites, mut longest) = (0, 0, 0, 0.0f64);
    let rounds = 20;
    for round in 1..=rounds {
        write_round(dir.path(), round);
        // One, two or three builds at once; one of them is killed.
        let builds = 1 + round as usize % 3;
        let mut children: Vec<Child> = (0..builds)
            .map(|_| spawn_build(dir.path(), round))
            .collect();
        let victim = rng.below(builds as u64) as usize;
        std::thread::sleep(Duration::from_millis(rng.below(span)));
        let _ = children[victim].kill();
        for (i, child) in children.into_iter().enumerate() {
            let (status, err) = finish(child);
            if i == victim {
                if status.success() {
                    finished += 1;
                } else {
                    assert!(
                        status.code().is_none(),
                        "round {round}: killed, not failed: {err}"
                    );
                    killed += 1;
                }
            } else {
                assert!(status.success(), "round {round}: {err}");
            }
        }
        let shown = whole_site(dir.path());
        assert!(
            shown == round || shown == round - 1,
            "round {round}: the site is the old one or the new one, not round {shown}"
        );
        if shown == round - 1 {
            old_sites += 1;
        } else {
            longest = longest.max(lock_wait(dir.path()));
        }
        // The next plain build goes on with no manual step.
        let out = planetoid(dir.path(), &["build", "--offline", "--now", &now(round)]);
        assert!(out.status.success(), "round {round}: {}", stderr(&out));
        assert_eq!(whole_site(dir.path()), round);
        no_leftovers(dir.path());
    }
    eprintln!(
        "kill: {rounds} rounds, victim killed {killed} times, finished first {finished} times; \
         {old_sites} rounds left the old site; longest wait {longest:.2} s"
    );
}

#[test]
fn wait_bounds_the_wait_and_a_run_that_gives_up_changes_nothing() {
    let dir = planet();
    let out = planetoid(dir.path(), &["build", "--offline", "--now", &now(0)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let state = dir.path().join(".planetoid/state.db");
    let site_before = common::snapshot(&dir.path().join("output"));
    let store_before = std::fs::read(&state).expect("store");
    let yaml_before = read(dir.path().join("planet.yaml"));
    write_round(dir.path(), 1);

    let held = PlanetLock::acquire(
        &lock_path(&state),
        "build",
        Duration::ZERO,
        Verbosity::Quiet,
    )
    .expect("the planet is free");
    let start = Instant::now();
    let out = planetoid(
        dir.path(),
        &["build", "--offline", "--wait", "1", "--now", &now(1)],
    );
    let took = start.elapsed();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(4),
        "gave up after about a second: {took:?}"
    );
    let pid = format!("(pid {})", std::process::id());
    assert!(
        err.contains("waiting for the build started at ") && err.contains(&pid),
        "{err}"
    );
    assert!(
        err.contains("error: gave up after 1 s waiting for the build started at")
            && err.contains("nothing was changed"),
        "{err}"
    );
    // fix-moved and opml import take the same lock.
    std::fs::write(
        dir.path().join("more.opml"),
        "<opml version=\"2.0\"><head/><body><outline type=\"rss\" xmlUrl=\"https://new.example/feed\"/></body></opml>",
    )
    .expect("write opml");
    let others: [&[&str]; 2] = [
        &["fix-moved", "--wait", "0.2"],
        &["opml", "import", "more.opml", "--wait", "0.2"],
    ];
    for args in others {
        let out = planetoid(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("gave up after"), "{}", stderr(&out));
    }
    assert_eq!(common::snapshot(&dir.path().join("output")), site_before);
    assert_eq!(std::fs::read(&state).expect("store"), store_before);
    assert_eq!(read(dir.path().join("planet.yaml")), yaml_before);
    no_leftovers(dir.path());

    // Once the holder lets go, the same build goes through.
    drop(held);
    let out = planetoid(
        dir.path(),
        &["build", "--offline", "--wait", "1", "--now", &now(1)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(whole_site(dir.path()), 1);
}

#[test]
fn a_build_started_while_serve_rebuilds_waits_for_it_and_both_finish() {
    let server = TestServer::start();
    // Slow enough that the build surely starts while serve's rebuild runs.
    server.route(
        "/slow.xml",
        Response::ok("application/rss+xml", rss_feed("slow", 3, 20))
            .delay(Duration::from_millis(1500)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "title: Served\nbase_url: https://planet.test/\nfeeds:\n  - url: {}\n",
        server.url("/slow.xml")
    );
    write_config(dir.path(), &config);
    let mut serve = Command::new(env!("CARGO_BIN_EXE_planetoid"))
        .current_dir(dir.path())
        .args(["serve", "--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let reader = {
        let lines = lines.clone();
        let pipe = serve.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().expect("lines").push(line);
            }
        })
    };
    let said = |what: &str| {
        lines
            .lock()
            .expect("lines")
            .iter()
            .any(|l| l.contains(what))
    };
    let until = |what: &dyn Fn() -> bool, why: &str| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !what() {
            assert!(
                Instant::now() < deadline,
                "timed out: {why}: {:?}",
                lines.lock().expect("lines")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    until(&|| said("serving http://127.0.0.1:"), "serve's first build");
    // An edit makes serve rebuild; its fetch shows it is under way.
    write_config(dir.path(), &format!("{config}# edited\n"));
    until(&|| server.requests().len() >= 2, "serve's rebuild");

    let out = planetoid(dir.path(), &["build"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("waiting for the build started at ")
            && err.contains(&format!("(pid {})", serve.id())),
        "the build waited for serve's: {err}"
    );
    until(&|| said("rebuilt:"), "serve's rebuild finished");
    assert!(lock_wait(dir.path()) > 0.0, "health.json says it waited");
    assert_eq!(
        server.requests().len(),
        3,
        "one fetch per build, none overlapping"
    );
    let _ = serve.kill();
    let _ = serve.wait();
    let _ = reader.join();
    assert!(
        !said("rebuild failed"),
        "{:?}",
        lines.lock().expect("lines")
    );
}
