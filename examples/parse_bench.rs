//! Parse throughput on a directory of feed files (single thread):
//! decode + planetoid's parse wrapper, and bare feed-rs for comparison.
//!
//! ```sh
//! python3 ../shared/bench/gen_corpus.py --out /tmp/planetoid-bench --sizes 500
//! cargo run --release --example parse_bench -- /tmp/planetoid-bench/www/feeds
//! ```

use std::time::Instant;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse_bench DIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = std::env::args()
        .nth(2)
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e != "gz"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), bytes)
        })
        .collect();
    files.sort();
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mb = total as f64 / 1e6;
    println!("{} files, {mb:.1} MB", files.len());

    let mut best = f64::MAX;
    let (mut entries, mut failed) = (0, 0);
    for _ in 0..rounds {
        let t = Instant::now();
        (entries, failed) = (0, 0);
        for (_, bytes) in &files {
            let text = planetoid::decode::decode(bytes, None, Some("example.org"));
            match planetoid::parse::parse(&text.text, "https://bench.example/feed") {
                Ok(f) => entries += f.entries.len(),
                Err(_) => failed += 1,
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "planetoid decode+parse: {:.2} s, {:.1} MB/s ({entries} entries, {failed} failed)",
        best,
        mb / best
    );

    let mut best = f64::MAX;
    for _ in 0..rounds {
        let t = Instant::now();
        for (_, bytes) in &files {
            std::hint::black_box(feed_rs::parser::parse(bytes.as_slice()).ok());
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "bare feed-rs parse:     {:.2} s, {:.1} MB/s",
        best,
        mb / best
    );
}
