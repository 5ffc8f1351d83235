//! Shared test fixtures: a tiny HTTP/1.1 server on 127.0.0.1 that the test
//! itself starts (no test ever reaches the internet), feed generators, and a
//! helper that runs the real `planetoid` binary.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How the body goes out on the wire.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// All at once.
    Normal,
    /// One byte at a time with this pause between bytes.
    Trickle(Duration),
    /// Headers without a length, then an endless stream of bytes.
    Endless,
    /// Read the request, then close the connection without answering.
    Reset,
}

/// One canned response. With an `ETag` or `Last-Modified` header, a
/// matching conditional request is answered 304 automatically.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sleep before answering (for timeout tests and latency).
    pub delay: Duration,
    pub mode: Mode,
}

impl Response {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            delay: Duration::ZERO,
            mode: Mode::Normal,
        }
    }

    pub fn status(status: u16) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: format!("status {status}").into_bytes(),
            delay: Duration::ZERO,
            mode: Mode::Normal,
        }
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Response {
        Response::status(status).header("Location", location)
    }

    pub fn mode(mut self, mode: Mode) -> Response {
        self.mode = mode;
        self
    }

    pub fn delay(mut self, delay: Duration) -> Response {
        self.delay = delay;
        self
    }

    fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A request the server saw: path, lower-cased headers, status answered.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub status: u16,
}

impl Seen {
    pub fn is_conditional(&self) -> bool {
        self.headers.contains_key("if-none-match") || self.headers.contains_key("if-modified-since")
    }
}

/// Requests being answered right now, and the most there ever were.
#[derive(Default, Debug)]
pub struct InFlight {
    pub now: usize,
    pub peak: usize,
}

/// A local HTTP server whose routes can change between builds.
pub struct TestServer {
    pub host: String,
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Response>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    in_flight: Arc<Mutex<InFlight>>,
}

/// Shared state of one server's connection threads.
#[derive(Clone)]
struct Shared {
    routes: Arc<Mutex<HashMap<String, Response>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    in_flight: Arc<Mutex<InFlight>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_on("127.0.0.1")
    }

    /// A server on another loopback address (127.0.0.2, …), so tests can
    /// have several "hosts" on one machine.
    pub fn start_on(host: &str) -> TestServer {
        let listener = TcpListener::bind(format!("{host}:0")).expect("bind a loopback port");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Shared {
            routes: Arc::default(),
            seen: Arc::default(),
            in_flight: Arc::default(),
        };
        let for_thread = shared.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = for_thread.clone();
                thread::spawn(move || serve(stream, &shared));
            }
        });
        TestServer {
            host: host.to_string(),
            port,
            routes: shared.routes,
            seen: shared.seen,
            in_flight: shared.in_flight,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}:{}{path}", self.host, self.port)
    }

    /// The most requests this server was answering at the same time.
    pub fn peak_in_flight(&self) -> usize {
        self.in_flight.lock().expect("in flight").peak
    }

    pub fn route(&self, path: &str, response: Response) {
        self.routes
            .lock()
            .expect("routes")
            .insert(path.to_string(), response);
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }

    pub fn clear_requests(&self) {
        self.seen.lock().expect("seen").clear();
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    // Without it, a body written after its headers waits for the client's
    // delayed ACK (Nagle): ~40 ms added to every response.
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        let mut headers = HashMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        if let Some(len) = headers
            .get("content-length")
            .and_then(|l| l.parse::<usize>().ok())
        {
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
        }
        {
            let mut f = shared.in_flight.lock().expect("in flight");
            f.now += 1;
            f.peak = f.peak.max(f.now);
        }
        // A route without a query also answers for that path with one
        // (a static site ignores `?q=…`), unless the query has its own.
        let response = {
            let routes = shared.routes.lock().expect("routes");
            routes
                .get(&path)
                .or_else(|| path.split_once('?').and_then(|(bare, _)| routes.get(bare)))
                .cloned()
                .unwrap_or_else(|| Response::status(404))
        };
        shared.seen.lock().expect("seen").push(Seen {
            path: path.clone(),
            status: effective_status(&response, &headers),
            headers: headers.clone(),
        });
        let hung_up = wait_unless_hung_up(&writer, response.delay);
        // Counted out before answering: once the client has the response it
        // may start its next request, which must not overlap this one here.
        shared.in_flight.lock().expect("in flight").now -= 1;
        if hung_up {
            return;
        }
        let keep_going = answer(&mut writer, &response, &headers);
        if !keep_going {
            return;
        }
    }
}

/// Sleeps `delay`, but stops early when the client closes the connection
/// (it gave up): from then on the request is no longer open, and counting
/// it would blame the client for a request it no longer has. True when the
/// client hung up.
fn wait_unless_hung_up(stream: &TcpStream, delay: Duration) -> bool {
    let until = std::time::Instant::now() + delay;
    let step = Duration::from_millis(5);
    loop {
        let now = std::time::Instant::now();
        if now >= until {
            return false;
        }
        thread::sleep(step.min(until - now));
        if stream.set_nonblocking(true).is_err() {
            continue;
        }
        let peeked = stream.peek(&mut [0u8; 1]);
        let _ = stream.set_nonblocking(false);
        match peeked {
            Ok(0) => return true,
            Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => return true,
            _ => {}
        }
    }
}

/// The base URL of a "host" that refuses every connection: a loopback
/// port that was bound and then let go.
pub fn refusing_base(host: &str) -> String {
    let listener = TcpListener::bind(format!("{host}:0")).expect("bind a loopback port");
    let port = listener.local_addr().expect("local addr").port();
    drop(listener);
    format!("http://{host}:{port}")
}

/// 304 when a conditional request matches the response's validators.
fn effective_status(response: &Response, request: &HashMap<String, String>) -> u16 {
    let etag_matches = response
        .header_value("etag")
        .is_some_and(|e| request.get("if-none-match").is_some_and(|r| r == e));
    let date_matches = response
        .header_value("last-modified")
        .is_some_and(|d| request.get("if-modified-since").is_some_and(|r| r == d));
    if response.status == 200 && (etag_matches || date_matches) {
        304
    } else {
        response.status
    }
}

/// Writes one response; false when the connection must close.
fn answer(writer: &mut TcpStream, response: &Response, request: &HashMap<String, String>) -> bool {
    if response.mode == Mode::Reset {
        let _ = writer.shutdown(std::net::Shutdown::Both);
        return false;
    }
    let status = effective_status(response, request);
    let body: &[u8] = if status == 304 { b"" } else { &response.body };
    let reason = match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    if response.mode != Mode::Endless {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (k, v) in &response.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut head = head.into_bytes();
    if matches!(response.mode, Mode::Normal | Mode::Reset) {
        // One write: the response goes out in one piece.
        head.extend_from_slice(body);
        return writer.write_all(&head).is_ok();
    }
    if writer.write_all(&head).is_err() {
        return false;
    }
    match &response.mode {
        Mode::Normal | Mode::Reset => true,
        Mode::Trickle(pause) => {
            for byte in body {
                if writer
                    .write_all(std::slice::from_ref(byte))
                    .and_then(|()| writer.flush())
                    .is_err()
                {
                    return false;
                }
                thread::sleep(*pause);
            }
            true
        }
        Mode::Endless => {
            let chunk = vec![b'x'; 64 * 1024];
            // Bounded: stops by itself after 1 GiB even if nobody hangs up.
            for _ in 0..16 * 1024 {
                if writer.write_all(&chunk).is_err() {
                    break;
                }
            }
            false
        }
    }
}

/// An RSS 2.0 feed with `n` items, one per day going back from 2025-06-`start_day`.
pub fn rss_feed(name: &str, n: usize, start_day: u32) -> String {
    let mut items = String::new();
    for i in 0..n {
        let day = start_day - i as u32;
        items.push_str(&format!(
            "<item><title>{name} post {i}</title><link>https://{name}.example/p/{i}</link>\
             <guid>https://{name}.example/p/{i}</guid><pubDate>{day:02} Jun 2025 10:00:00 GMT</pubDate>\
             <description>&lt;p&gt;Body of {name} {i} &lt;img src=\"img/{i}.png\"&gt;&lt;/p&gt;&lt;style&gt;.leak{{color:red}}&lt;/style&gt;</description></item>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>{name} blog</title>\
         <link>https://{name}.example/</link><description>d</description>{items}</channel></rss>"
    )
}

/// Writes `text` as planet.yaml in `dir` and returns its path.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("planet.yaml");
    std::fs::write(&path, text).expect("write planet.yaml");
    path
}

/// Runs the real binary with `args` in `dir`.
pub fn planetoid(dir: &Path, args: &[&str]) -> Output {
    assert_cmd::Command::cargo_bin("planetoid")
        .expect("binary is built")
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .expect("planetoid runs")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path.as_ref())
        .unwrap_or_else(|e| panic!("read {}: {e}", path.as_ref().display()))
}

/// Copies a directory tree (fixtures into a test's temporary planet).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// Every file under `dir`, relative path → bytes.
pub fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).expect("read"));
            }
        }
    }
    out
}

/// Formats (as the corpus's `feeds_index.jsonl` names them) that are feeds
/// planetoid must read.
pub const FEED_FORMATS: &[&str] = &[
    "rss",
    "rss1.0-rdf",
    "atom1.0",
    "atom0.3",
    "jsonfeed",
    "json-other",
];

/// Something a test needs from outside the repository.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// The third-party data in `../shared/corpus`.
    Corpus,
    /// node, Debian's chromium and the npm packages (playwright-core, axe-core).
    Browser,
    /// java and the Nu HTML Checker's vnu.jar.
    NuChecker,
}

impl Need {
    /// The variable `.ci/run` sets to 1 once it has provided this: from
    /// then on a test that cannot find it fails instead of skipping.
    pub fn required_by(self) -> &'static str {
        match self {
            Need::Corpus => "PLANETOID_REQUIRE_CORPUS",
            Need::Browser => "PLANETOID_REQUIRE_BROWSER",
            Need::NuChecker => "PLANETOID_REQUIRE_VNU",
        }
    }
}

/// A test that cannot run here says why on stderr (shown by the harness)
/// and returns; when the run requires what is missing, it fails instead.
pub fn skip(need: Need, why: &str) {
    let var = need.required_by();
    if std::env::var(var).as_deref() == Ok("1") {
        panic!("{why}, but {var}=1 says it is provided");
    }
    eprintln!("SKIP: {why}");
}

/// `../shared/corpus` beside the project, when `part` is there in it (a
/// file or folder; "" for the corpus itself); else the test skips.
pub fn corpus_with(part: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.join(part).exists() {
        Some(dir)
    } else {
        skip(
            Need::Corpus,
            &format!("{} not found", dir.join(part).display()),
        );
        None
    }
}

/// `../shared/corpus` beside the project, when its feed index is there.
pub fn feed_corpus() -> Option<PathBuf> {
    corpus_with("feeds_index.jsonl")
}

/// How often U+FFFD (the replacement character) occurs in `bytes`: as
/// UTF-8 text or as a numeric character reference (`&#65533;`, `&#xFFFD;`).
pub fn replacement_chars(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let literal = bytes
        .windows(3)
        .filter(|w| *w == "\u{FFFD}".as_bytes())
        .count();
    let lower = text.to_ascii_lowercase();
    let references = ["&#65533;", "&#xfffd;", "&#x0fffd;", "&#x00fffd;"]
        .iter()
        .map(|r| lower.matches(r).count())
        .sum::<usize>();
    literal + references
}

/// Every text file of the built site with U+FFFD in it, and how many.
pub fn pages_with_replacement_chars(site: &Path) -> Vec<(String, usize)> {
    snapshot(site)
        .into_iter()
        .filter(|(path, _)| {
            [".html", ".xml", ".json", ".txt", ".opml"]
                .iter()
                .any(|ext| path.ends_with(ext))
        })
        .map(|(path, bytes)| (path, replacement_chars(&bytes)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The site-wide assertion every test planet can make: no page holds
/// U+FFFD unless the feed it shows held one in its source bytes. `sources`
/// are (feed URL as in planet.yaml, bytes served). A feed's own pages
/// (`feeds/<id>/`) answer for that feed alone; the shared pages (timeline,
/// archive, merged feeds) may hold U+FFFD only when some source did. A
/// replacement character planetoid made is a post shown as `�ltimas Not�cias`.
pub fn assert_no_replacement_chars_unless_sourced(site: &Path, sources: &[(String, Vec<u8>)]) {
    let sourced: std::collections::HashSet<String> = sources
        .iter()
        .filter(|(_, bytes)| replacement_chars(bytes) > 0)
        .map(|(url, _)| planetoid::entry::FeedId::from_source(url).to_string())
        .collect();
    let unexplained: Vec<(String, usize)> = pages_with_replacement_chars(site)
        .into_iter()
        .filter(|(path, _)| match path.strip_prefix("feeds/") {
            Some(rest) => !sourced.contains(rest.split('/').next().unwrap_or("")),
            None => sourced.is_empty(),
        })
        .collect();
    let total: usize = unexplained.iter().map(|(_, n)| n).sum();
    assert!(
        unexplained.is_empty(),
        "{total} U+FFFD in the site that no source held: {:#?}",
        unexplained.iter().take(20).collect::<Vec<_>>()
    );
}
/// Builds in the health-history scenario (`history_planet`).
pub const BUILDS: usize = 40;

/// When build `b` (1-based) of the health-history scenario runs.
pub fn build_time(b: usize) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap()
        + chrono::Duration::days(5 * (b as i64 - 1))
}

/// An RSS feed with one item per date.
pub fn dated_feed(name: &str, dates: &[chrono::DateTime<chrono::Utc>]) -> String {
    let items: String = dates
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "<item><title>{name} {i}</title><link>https://{name}.example/{i}</link>\
                 <guid>https://{name}.example/{i}</guid><pubDate>{}</pubDate>\
                 <description>post</description></item>",
                d.to_rfc2822()
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{name}</title>\
         <link>https://{name}.example/</link><description>d</description>{items}</channel></rss>"
    )
}

/// A planet built `builds` times, five days apart from 2025-01-01.
pub struct History {
    pub server: TestServer,
    pub dir: tempfile::TempDir,
    /// `$GITHUB_STEP_SUMMARY` as the last build wrote it.
    pub summary: String,
    /// The quiet feed's only posts (December 2024).
    pub silent_posts: [chrono::DateTime<chrono::Utc>; 2],
}

/// The health-history scenario: "Steady" posts at every build, "Shaky"
/// answers 500 at every third build, "Silent" stopped posting in December
/// 2024 (and answers 304 to its ETag).
pub fn history_planet(builds: usize, lang: &str) -> History {
    use chrono::TimeZone;
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_config(
        dir.path(),
        &format!(
            "title: History\nbase_url: https://planet.test/\nlang: {lang}\nfetch:\n  retries: 0\nfeeds:\n  \
             - url: {}\n    name: Steady\n  - url: {}\n    name: Shaky\n  - url: {}\n    name: Silent\n",
            server.url("/steady.xml"),
            server.url("/shaky.xml"),
            server.url("/silent.xml"),
        ),
    );
    let silent_posts = [
        chrono::Utc.with_ymd_and_hms(2024, 12, 20, 9, 0, 0).unwrap(),
        chrono::Utc.with_ymd_and_hms(2024, 12, 25, 9, 0, 0).unwrap(),
    ];
    server.route(
        "/silent.xml",
        Response::ok("application/rss+xml", dated_feed("silent", &silent_posts))
            .header("ETag", "\"s1\""),
    );
    let mut summary = String::new();
    for b in 1..=builds {
        let dates: Vec<_> = (1..=b).map(build_time).collect();
        server.route(
            "/steady.xml",
            Response::ok("application/rss+xml", dated_feed("steady", &dates)),
        );
        let shaky = if b % 3 == 0 {
            Response::status(500)
        } else {
            Response::ok("application/rss+xml", dated_feed("shaky", &dates))
        };
        server.route("/shaky.xml", shaky);
        let now = build_time(b).to_rfc3339();
        let step_summary = dir.path().join("summary.md");
        let out = assert_cmd::Command::cargo_bin("planetoid")
            .expect("binary")
            .current_dir(dir.path())
            .env("GITHUB_STEP_SUMMARY", &step_summary)
            .args(["build", "--now", &now])
            .output()
            .expect("runs");
        assert!(out.status.success(), "build {b}: {}", stderr(&out));
        summary = read(&step_summary);
        std::fs::remove_file(&step_summary).expect("rm summary");
    }
    History {
        server,
        dir,
        summary,
        silent_posts,
    }
}
