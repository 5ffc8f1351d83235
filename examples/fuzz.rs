//! A mutation fuzzer for the feed intake path that runs on stable Rust:
//! bytes → `decode` → `parse` → `sanitize::clean` for every entry body.
//!
//! cargo-fuzz needs a nightly toolchain; this harness needs nothing but the
//! corpus. It seeds itself with every feed file listed in
//! `../shared/corpus/feeds_index.jsonl` (plus a few built-in seeds), then
//! mutates them (bit flips, byte and chunk insertions, deletions, splices
//! between seeds, and "interesting" fragments such as `&`, `]]>`, `&nbsp;`,
//! `<![CDATA[`, odd dates, encodings and Atom 0.3 modes) for a time budget.
//!
//! A panic saves the input to `$TMPDIR/planetoid-fuzz/crash-*.bin`; one input
//! taking over 2 s is saved as `slow-*.bin`; a watchdog aborts the run
//! (after saving the input as `hang-*.bin`) if one input runs for 20 s.
//!
//! ```sh
//! cargo run --release --example fuzz -- 600          # 10 minutes, seed 1
//! cargo run --release --example fuzz -- 60 42        # 1 minute, seed 42
//! cargo run --release --example fuzz -- 0 0 crash.bin # replay one input
//! ```

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use planetoid::{decode, parse, sanitize};

const INTERESTING: &[&[u8]] = &[
    b"&",
    b"&nbsp;",
    b"&#0;",
    b"&#x110000;",
    b"&amp;amp;",
    b"<",
    b">",
    b"]]>",
    b"<![CDATA[",
    b"<!--",
    b"-->",
    b"\0",
    b"\x0b",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xd0\xd1\xe0",
    b"<?xml version=\"1.0\" encoding=\"windows-1251\"?>",
    b"<?xml version=\"1.0\" encoding=\"utf-16\"?>",
    b" xml:base=\"../a/\"",
    b" xml:base=\"javascript:x\"",
    b" xml:lang=\"ru\"",
    b" mode=\"base64\"",
    b" mode=\"xml\"",
    b" type=\"xhtml\"",
    b" type=\"text/plain\"",
    b"<content type=\"html\"></content>",
    b"<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\">",
    b"<rss>",
    b"<rss version=\"0.94\">",
    b"</item>",
    b"</entry>",
    b"<item><title>t</title></item>",
    b"<pubDate>Mon, 06 Jan 2025 15:00:00 MSK</pubDate>",
    b"<pubDate>31.12.99 25:61</pubDate>",
    b"<updated>2025-13-45T99:99:99+99:99</updated>",
    b"5 \xd1\x8f\xd0\xbd\xd0\xb2\xd0\xb0\xd1\x80\xd1\x8f 2024",
    b"<script>alert(1)</script>",
    b"<style>@font-face{}</style>",
    b"<img src=x onerror=alert(1)>",
    b"\"content_html\":\"<p>x</p>\"",
    b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{}]}",
    b"<!DOCTYPE x [<!ENTITY a \"&a;&a;\">]>",
];

const BUILTIN_SEEDS: &[&str] = &[
    "<rss version=\"2.0\"><channel><title>T</title><item><title>A &amp; B</title><link>/p/1</link><description>&lt;p&gt;x&lt;/p&gt;</description><pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate></item></channel></rss>",
    "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"https://a.example/\"><title>A</title><entry><id>1</id><title type=\"html\">x</title><content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p>y</p></div></content></entry></feed>",
    "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title>Old</title><entry><issued>2004-01-01T00:00:00Z</issued><content type=\"text/html\" mode=\"escaped\">&lt;b&gt;x&lt;/b&gt;</content></entry></feed>",
    "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"J\",\"items\":[{\"id\":\"1\",\"content_html\":\"<p>x</p>\",\"date_published\":\"2025-01-01T00:00:00Z\"}]}",
];

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(60);
    let seed: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let out_dir = std::env::temp_dir().join("planetoid-fuzz");
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        eprintln!("cannot create {}: {e}", out_dir.display());
        std::process::exit(2);
    }
    if let Some(replay) = args.get(2) {
        let bytes = std::fs::read(replay).unwrap_or_else(|e| panic!("{replay}: {e}"));
        let started = Instant::now();
        let contained = run_one(&bytes, 0);
        println!(
            "{replay}: ok in {:?}{}",
            started.elapsed(),
            if contained {
                " (feed-rs panic contained)"
            } else {
                ""
            }
        );
        return;
    }

    let seeds = load_seeds();
    println!(
        "fuzz: {} seeds, {seconds} s budget, rng seed {seed}, findings in {}",
        seeds.len(),
        out_dir.display()
    );

    // Watchdog: the input under test and when it started.
    let current: Arc<Mutex<Vec<u8>>> = Arc::default();
    let started_ms = Arc::new(AtomicU64::new(0));
    let epoch = Instant::now();
    {
        let current = Arc::clone(&current);
        let started_ms = Arc::clone(&started_ms);
        let out_dir = out_dir.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let began = started_ms.load(Ordering::Relaxed);
                let now = epoch.elapsed().as_millis() as u64;
                if began > 0 && now.saturating_sub(began) > 20_000 {
                    let input = current.lock().map(|c| c.clone()).unwrap_or_default();
                    let path = save(&out_dir, "hang", &input);
                    eprintln!(
                        "HANG: one input ran for over 20 s; saved {}",
                        path.display()
                    );
                    std::process::exit(3);
                }
            }
        });
    }

    panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let deadline = Duration::from_secs(seconds);
    let (mut runs, mut crashes, mut slow, mut contained) = (0u64, 0u64, 0u64, 0u64);
    let mut slowest = Duration::ZERO;
    let mut last_report = Instant::now();
    while epoch.elapsed() < deadline {
        let input = mutate(&seeds, &mut rng);
        if let Ok(mut c) = current.lock() {
            c.clone_from(&input);
        }
        started_ms.store(epoch.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
        let began = Instant::now();
        let variant = rng.next();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| run_one(&input, variant)));
        let took = began.elapsed();
        started_ms.store(0, Ordering::Relaxed);
        runs += 1;
        slowest = slowest.max(took);
        if matches!(outcome, Ok(true)) {
            contained += 1;
            save(&out_dir, "contained", &input);
        }
        if outcome.is_err() {
            crashes += 1;
            let path = save(&out_dir, "crash", &input);
            eprintln!("CRASH: saved {}", path.display());
        } else if took > Duration::from_secs(2) {
            slow += 1;
            let path = save(&out_dir, "slow", &input);
            eprintln!("SLOW ({took:?}): saved {}", path.display());
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            println!(
                "{:>5} s: {runs} runs, {crashes} crashes, {slow} slow, {contained} contained feed-rs panics, slowest {slowest:?}",
                epoch.elapsed().as_secs()
            );
        }
    }
    println!(
        "done: {runs} runs in {} s, {crashes} crashes, {slow} slow inputs, {contained} contained feed-rs panics, slowest {slowest:?}",
        epoch.elapsed().as_secs()
    );
    if crashes > 0 || slow > 0 {
        std::process::exit(1);
    }
}

/// The whole intake path for one input; `variant` picks the simulated HTTP
/// charset and host. True when parse contained a panic inside feed-rs
/// (reported as a per-feed error, but still worth knowing about).
fn run_one(bytes: &[u8], variant: u64) -> bool {
    let charset = [
        None,
        Some("windows-1251"),
        Some("koi8-r"),
        Some("utf-8"),
        Some("bogus"),
    ][(variant % 5) as usize];
    let host = [None, Some("blog.example.ru"), Some("example.jp")][(variant / 5 % 3) as usize];
    let text = decode::decode(bytes, charset, host);
    match parse::parse(&text.text, "https://blog.example.org/feed/") {
        Ok(feed) => {
            for entry in &feed.entries {
                let body = sanitize::clean(
                    entry.body_html.as_deref().unwrap_or(""),
                    entry.base_url.as_deref(),
                );
                std::hint::black_box(body);
            }
            false
        }
        Err(parse::ParseError::Malformed(m)) => m.to_string().starts_with(parse::PARSER_PANICKED),
        Err(_) => false,
    }
}

fn mutate(seeds: &[Vec<u8>], rng: &mut Rng) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        let len = data.len();
        match rng.below(8) {
            0 if len > 0 => {
                let at = rng.below(len);
                data[at] ^= 1 << rng.below(8);
            }
            1 => {
                let at = rng.below(len + 1);
                data.insert(at, rng.next() as u8);
            }
            2 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below((len - at).min(64));
                data.drain(at..at + n);
            }
            3 | 4 => {
                let at = rng.below(len + 1);
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                data.splice(at..at, piece.iter().copied());
            }
            5 => {
                // Splice a chunk of another seed in.
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - from).min(512));
                    let at = rng.below(len + 1);
                    data.splice(at..at, other[from..from + n].iter().copied());
                }
            }
            6 if len > 0 => {
                // Truncate.
                data.truncate(rng.below(len));
            }
            _ if len > 1 => {
                // Duplicate a chunk (deep nesting, repeated items).
                let from = rng.below(len);
                let n = 1 + rng.below((len - from).min(256));
                let chunk: Vec<u8> = data[from..from + n].to_vec();
                let at = rng.below(len + 1);
                data.splice(at..at, chunk);
            }
            _ => {}
        }
    }
    data.truncate(2 << 20);
    data
}

fn load_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = BUILTIN_SEEDS
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(index) = std::fs::read_to_string(corpus.join("feeds_index.jsonl")) else {
        println!(
            "fuzz: {} not found, using built-in seeds only",
            corpus.display()
        );
        return seeds;
    };
    for line in index.lines() {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(file) = record.get("file").and_then(|f| f.as_str()) else {
            continue;
        };
        if let Ok(bytes) = std::fs::read(corpus.join(file))
            && bytes.len() < 256 * 1024
        {
            seeds.push(bytes);
        }
    }
    seeds
}

fn save(dir: &Path, kind: &str, input: &[u8]) -> PathBuf {
    let name = format!(
        "{kind}-{}.bin",
        blake3::hash(input).to_hex().get(..16).unwrap_or("x")
    );
    let path = dir.join(name);
    if let Err(e) = std::fs::write(&path, input) {
        eprintln!("cannot save {}: {e}", path.display());
    }
    path
}
