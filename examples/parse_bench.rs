//! Ingest throughput on a directory of feed files, and a digest of
//! everything the ingest path produces, so a speed-up can be checked to
//! change no output byte.
//!
//! ```sh
//! python3 ../shared/bench/gen_corpus.py --out /tmp/planetoid-bench --sizes 500
//! cargo run --release --example parse_bench -- /tmp/planetoid-bench/www/feeds
//! cargo run --release --example parse_bench -- DIR --sanitize --threads 1,2
//! cargo run --release --example parse_bench -- DIR --digest --also ../shared/corpus
//! ```
//!
//! Default: decode + planetoid's parse wrapper on one thread, and bare
//! feed-rs for comparison. `--sanitize` adds what a cold build does per feed
//! (decode, parse, then [`Sanitizer::clean`] of every entry body with the
//! default iframe allow-list, as `ingest` does) on each of `--threads`,
//! the sanitizer alone over the parsed bodies, and plain `ammonia::clean`
//! over the same bodies (the floor's sanitizer), all in the same run so the
//! ratios hold on a busy machine. MB/s count feed bytes (pipeline) or body
//! bytes (sanitizer, ammonia).
//!
//! `--digest` prints one blake3 over every file of DIR and of each `--also`
//! path (walked recursively, in sorted order): the decoded text, the parse
//! result (`Debug`), every entry's sanitized body and summary and their
//! 60-word excerpt; lines of `.txt` files and the `input` of `.jsonl`
//! records (the sanitizer corpora) are sanitized as fragments, and so is
//! any file that is not a feed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use planetoid::sanitize::{DEFAULT_IFRAME_HOSTS, Sanitizer};
use rayon::prelude::*;

const USAGE: &str = "usage: parse_bench DIR [ROUNDS] [--rounds N] [--limit N] \
    [--sanitize] [--threads 1,2] [--only pipeline] [--digest] [--also PATH]...";

struct Args {
    dir: PathBuf,
    rounds: usize,
    limit: usize,
    sanitize: bool,
    threads: Vec<usize>,
    digest: bool,
    also: Vec<PathBuf>,
    /// `--only pipeline`: only the decode+parse+sanitize loop (for perf).
    only_pipeline: bool,
}

fn args() -> Result<Args, String> {
    let mut out = Args {
        dir: PathBuf::new(),
        rounds: 3,
        limit: usize::MAX,
        sanitize: false,
        threads: vec![1, 2],
        digest: false,
        also: Vec::new(),
        only_pipeline: false,
    };
    let mut dir = None;
    let mut it = std::env::args().skip(1);
    let number = |v: Option<String>| -> Result<usize, String> {
        v.and_then(|v| v.parse().ok()).ok_or_else(|| USAGE.into())
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" => out.rounds = number(it.next())?,
            "--limit" => out.limit = number(it.next())?,
            "--sanitize" => out.sanitize = true,
            "--digest" => out.digest = true,
            "--only" if it.next().as_deref() == Some("pipeline") => out.only_pipeline = true,
            "--also" => out.also.push(it.next().ok_or(USAGE)?.into()),
            "--threads" => {
                out.threads = it
                    .next()
                    .ok_or(USAGE)?
                    .split(',')
                    .map(|n| n.parse().map_err(|_| USAGE.to_string()))
                    .collect::<Result<_, _>>()?;
            }
            _ if dir.is_none() => dir = Some(PathBuf::from(a)),
            _ => out.rounds = a.parse().map_err(|_| USAGE.to_string())?,
        }
    }
    out.dir = dir.ok_or(USAGE)?;
    Ok(out)
}

fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let hosts: Vec<String> = DEFAULT_IFRAME_HOSTS.iter().map(|h| h.to_string()).collect();
    let sanitizer = Sanitizer::new(&hosts);
    if args.digest {
        let mut all = blake3::Hasher::new();
        for path in std::iter::once(&args.dir).chain(&args.also) {
            let t = Instant::now();
            let (hash, files) = digest_tree(path, &sanitizer);
            all.update(hash.as_bytes());
            println!(
                "digest {}: {} ({files} files, {:.1} s)",
                path.display(),
                hash.to_hex(),
                t.elapsed().as_secs_f64()
            );
        }
        println!("digest all: {}", all.finalize().to_hex());
        return;
    }

    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&args.dir)
        .unwrap_or_else(|e| panic!("{}: {e}", args.dir.display()))
        .flatten()
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e != "gz"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            (name.unwrap_or_default(), bytes)
        })
        .collect();
    files.sort();
    files.truncate(args.limit);
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mb = total as f64 / 1e6;
    println!("{} files, {mb:.1} MB", files.len());
    if args.only_pipeline {
        let (t, bytes) = best_of(args.rounds, || {
            files
                .iter()
                .map(|(name, bytes)| ingest_one(name, bytes, &sanitizer))
                .sum::<usize>()
        });
        println!(
            "decode+parse+sanitize: {:.2} s, {:.1} MB/s; cpu {:.2} s, {:.1} MB/s ({bytes} B out)",
            t.wall,
            mb / t.wall,
            t.cpu,
            mb / t.cpu
        );
        return;
    }

    let (t, (entries, failed)) = best_of(args.rounds, || {
        let (mut entries, mut failed) = (0, 0);
        for (name, bytes) in &files {
            match decode_parse(name, bytes) {
                Ok(f) => entries += f.entries.len(),
                Err(_) => failed += 1,
            }
        }
        (entries, failed)
    });
    println!(
        "planetoid decode+parse: {:.2} s, {:.1} MB/s; cpu {:.2} s ({entries} entries, {failed} failed)",
        t.wall,
        mb / t.wall,
        t.cpu
    );

    let (t, ()) = best_of(args.rounds, || {
        for (_, bytes) in &files {
            std::hint::black_box(feed_rs::parser::parse(bytes.as_slice()).ok());
        }
    });
    println!(
        "bare feed-rs parse:     {:.2} s, {:.1} MB/s; cpu {:.2} s",
        t.wall,
        mb / t.wall,
        t.cpu
    );

    if args.sanitize {
        sanitize_bench(&args, &files, &sanitizer, mb);
    }
}

/// The URL a feed file is served at by the bench's nginx.
fn feed_url(name: &str) -> String {
    format!("http://127.0.0.1:18080/feeds/{name}")
}

/// What `ingest` does to a 200 response before sanitizing.
fn decode_parse(
    name: &str,
    bytes: &[u8],
) -> Result<planetoid::parse::ParsedFeed, planetoid::parse::ParseError> {
    let text = planetoid::decode::decode(bytes, None, Some("127.0.0.1"));
    if planetoid::discover::is_html_page(None, &text.text) {
        return Err(planetoid::parse::ParseError::NotAFeed("html".into()));
    }
    planetoid::parse::parse(&text.text, &feed_url(name))
}

/// Decode, parse and sanitize one feed, as a cold build does; the sanitized
/// bytes.
fn ingest_one(name: &str, bytes: &[u8], sanitizer: &Sanitizer) -> usize {
    let Ok(feed) = decode_parse(name, bytes) else {
        return 0;
    };
    feed.entries
        .iter()
        .map(|e| {
            let body = e.body_html.as_deref().unwrap_or("");
            sanitizer.clean(body, e.base_url.as_deref()).as_str().len()
        })
        .sum()
}

fn sanitize_bench(args: &Args, files: &[(String, Vec<u8>)], sanitizer: &Sanitizer, mb: f64) {
    let bodies: Vec<(String, Option<String>)> = files
        .iter()
        .filter_map(|(name, bytes)| decode_parse(name, bytes).ok())
        .flat_map(|f| f.entries)
        .map(|e| (e.body_html.unwrap_or_default(), e.base_url))
        .collect();
    let body_mb = bodies.iter().map(|(b, _)| b.len()).sum::<usize>() as f64 / 1e6;
    let n = bodies.len() as f64;
    println!("{} bodies, {body_mb:.1} MB of HTML", bodies.len());
    for &threads in &args.threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap_or_else(|e| panic!("thread pool: {e}"));
        let (pipeline, _) = best_of(args.rounds, || {
            pool.install(|| {
                files
                    .par_iter()
                    .map(|(name, bytes)| ingest_one(name, bytes, sanitizer))
                    .sum::<usize>()
            })
        });
        let (ours, _) = best_of(args.rounds, || {
            pool.install(|| {
                bodies
                    .par_iter()
                    .map(|(b, base)| sanitizer.clean(b, base.as_deref()).as_str().len())
                    .sum::<usize>()
            })
        });
        let (floor, _) = best_of(args.rounds, || {
            pool.install(|| {
                bodies
                    .par_iter()
                    .map(|(b, _)| ammonia::clean(b).len())
                    .sum::<usize>()
            })
        });
        println!(
            "{threads} thread(s): decode+parse+sanitize {:.2} s, {:.1} MB/s, {:.0} entries/s (cpu {:.2} s) | \
             sanitize {:.2} s, {:.1} MB/s (cpu {:.2} s) | plain ammonia {:.2} s, {:.1} MB/s (cpu {:.2} s) | \
             sanitize/ammonia {:.2}× (cpu {:.2}×)",
            pipeline.wall,
            mb / pipeline.wall,
            n / pipeline.wall,
            pipeline.cpu,
            ours.wall,
            body_mb / ours.wall,
            ours.cpu,
            floor.wall,
            body_mb / floor.wall,
            floor.cpu,
            ours.wall / floor.wall,
            ours.cpu / floor.cpu,
        );
    }
}

/// Best (smallest) wall-clock and CPU seconds of `rounds` runs, and the
/// last result. CPU time (all threads of the process) is what to compare
/// on a machine others are using too: it does not count time waiting for
/// a core.
struct Timing {
    wall: f64,
    cpu: f64,
}

fn best_of<T>(rounds: usize, mut f: impl FnMut() -> T) -> (Timing, T) {
    let mut run = || {
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let out = f();
        let timing = Timing {
            wall: t.elapsed().as_secs_f64(),
            cpu: cpu_seconds() - cpu,
        };
        (timing, out)
    };
    let (mut best, mut out) = run();
    for _ in 1..rounds {
        let (t, o) = run();
        best.wall = best.wall.min(t.wall);
        best.cpu = best.cpu.min(t.cpu);
        out = o;
    }
    (best, out)
}

/// CPU time (user + system) of this process so far, threads that have
/// exited included, from `/proc/self/stat` (clock ticks, 100 per second on
/// Linux); 0 elsewhere.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) in parentheses:
    // state is field 3, utime and stime are fields 14 and 15.
    let after = stat.rsplit(')').next().unwrap_or("");
    let ticks: u64 = after
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    ticks as f64 / 100.0
}

/// Every file under `root` (itself, if it is a file), sorted.
fn walk(root: &Path, out: &mut Vec<PathBuf>) {
    match std::fs::read_dir(root) {
        Ok(dir) => {
            for entry in dir.flatten() {
                walk(&entry.path(), out);
            }
        }
        Err(_) if root.is_file() => out.push(root.to_path_buf()),
        Err(_) => {}
    }
}

/// One hash over everything decode, parse and sanitize make of the files
/// under `root` (in parallel, combined in sorted order); and the file count.
fn digest_tree(root: &Path, sanitizer: &Sanitizer) -> (blake3::Hash, usize) {
    let mut paths = Vec::new();
    walk(root, &mut paths);
    paths.retain(|p| p.extension().is_none_or(|e| e != "gz"));
    paths.sort();
    let hashes: Vec<blake3::Hash> = paths
        .par_iter()
        .map(|p| digest_file(root, p, sanitizer))
        .collect();
    let mut all = blake3::Hasher::new();
    for h in &hashes {
        all.update(h.as_bytes());
    }
    (all.finalize(), paths.len())
}

fn digest_file(root: &Path, path: &Path, sanitizer: &Sanitizer) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    let mut part = |s: &str| {
        h.update(s.as_bytes());
        h.update(b"\0");
    };
    let name = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
    part(&name);
    let Ok(bytes) = std::fs::read(path) else {
        part("unreadable");
        return h.finalize();
    };
    let fragment = |html: &str, part: &mut dyn FnMut(&str)| {
        for base in [Some("https://payload.example/blog/post/"), None] {
            let once = sanitizer.clean(html, base);
            part(once.as_str());
            part(sanitizer.excerpt(&once, 60).as_str());
        }
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext == "txt" || ext == "jsonl" {
        for line in String::from_utf8_lossy(&bytes).lines() {
            let record = serde_json::from_str::<serde_json::Value>(line).ok();
            let input = match &record {
                Some(v) if ext == "jsonl" => v.get("input").and_then(|i| i.as_str()),
                _ => Some(line),
            };
            if let Some(input) = input {
                fragment(input, &mut part);
            }
        }
        return h.finalize();
    }
    let text = planetoid::decode::decode(&bytes, None, Some("example.org"));
    part(&format!(
        "{} {} {}",
        text.encoding, text.decided_by, text.had_errors
    ));
    part(&text.text);
    let url = format!("https://digest.example/{name}");
    let parsed = planetoid::parse::parse(&text.text, &url);
    part(&format!("{parsed:?}"));
    match parsed {
        Ok(feed) => {
            for e in &feed.entries {
                let base = e.base_url.as_deref();
                let body = sanitizer.clean(e.body_html.as_deref().unwrap_or(""), base);
                part(body.as_str());
                part(sanitizer.excerpt(&body, 60).as_str());
                if let Some(summary) = &e.summary_html {
                    part(sanitizer.clean(summary, base).as_str());
                }
                part(&planetoid::sanitize::plain_text(&e.title));
            }
        }
        Err(_) if bytes.len() < 200_000 => fragment(&text.text, &mut part),
        Err(_) => {}
    }
    h.finalize()
}
