//! Sanitizer throughput on the shared bench corpus (not part of `cargo test`).
//!
//! ```text
//! python3 ../shared/bench/gen_corpus.py --out /tmp/benchcorpus --sizes 500
//! PLANETOID_BENCH_FEEDS=/tmp/benchcorpus/www/feeds \
//!   cargo test --release --test suite sanitize_bench:: -- --ignored --nocapture
//! ```
//!
//! Every entry body of every feed is decoded and parsed first (not timed);
//! then all bodies are sanitized on one thread, then on all of rayon's
//! threads. MB/s counts input HTML bytes.

use std::time::Instant;

use planetoid::sanitize::Sanitizer;
use rayon::prelude::*;

#[test]
#[ignore = "benchmark: needs PLANETOID_BENCH_FEEDS and a release build"]
fn sanitizer_throughput() {
    let Ok(dir) = std::env::var("PLANETOID_BENCH_FEEDS") else {
        // An explicit benchmark (`--ignored`): run without its data, it
        // says what it needs rather than fail.
        eprintln!("SKIP: set PLANETOID_BENCH_FEEDS to a gen_corpus.py www/feeds folder");
        return;
    };
    let mut bodies: Vec<(String, Option<String>)> = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("feeds dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x != "gz"))
        .collect();
    paths.sort();
    for path in &paths {
        let bytes = std::fs::read(path).expect("feed");
        let text = planetoid::decode::decode(&bytes, None, None).text;
        let url = format!("http://127.0.0.1:18080/feeds/{}", path.display());
        if let Ok(feed) = planetoid::parse::parse(&text, &url) {
            for e in feed.entries {
                if let Some(body) = e.body_html {
                    bodies.push((body, e.base_url));
                }
            }
        }
    }
    let bytes: usize = bodies.iter().map(|(b, _)| b.len()).sum();
    let mb = bytes as f64 / 1_000_000.0;
    let hosts: Vec<String> = planetoid::sanitize::DEFAULT_IFRAME_HOSTS
        .iter()
        .map(|h| h.to_string())
        .collect();
    let sanitizer = Sanitizer::new(&hosts);
    // Warm-up (lazy statics, allocator).
    for (body, base) in bodies.iter().take(50) {
        sanitizer.clean(body, base.as_deref());
    }

    // Reference: ammonia's default policy alone (what the bench floor runs).
    let start = Instant::now();
    let floor_out: usize = bodies.iter().map(|(b, _)| ammonia::clean(b).len()).sum();
    let floor = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut out_bytes = 0;
    for (body, base) in &bodies {
        out_bytes += sanitizer.clean(body, base.as_deref()).as_str().len();
    }
    let one = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let par_out: usize = bodies
        .par_iter()
        .map(|(body, base)| sanitizer.clean(body, base.as_deref()).as_str().len())
        .sum();
    let all = start.elapsed().as_secs_f64();
    assert_eq!(out_bytes, par_out, "parallel output differs");

    eprintln!(
        "ammonia defaults alone, 1 thread: {floor:.2} s = {:.1} MB/s ({:.1} MB out)",
        mb / floor,
        floor_out as f64 / 1_000_000.0
    );
    eprintln!(
        "{} feeds, {} bodies, {mb:.1} MB in, {:.1} MB out\n1 thread: {one:.2} s = {:.1} MB/s\n{} threads: {all:.2} s = {:.1} MB/s",
        paths.len(),
        bodies.len(),
        out_bytes as f64 / 1_000_000.0,
        mb / one,
        rayon::current_num_threads(),
        mb / all
    );
}
