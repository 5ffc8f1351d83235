//! The floor of a planet build: read every feed file in a directory, parse it
//! with quick-xml (declared encodings honoured), and run ammonia over every
//! entry body on N threads. No dates, ids, store or rendering: a real build
//! can approach this, not beat it.
//!
//!     planetoid-floor DIR [--threads N]

use std::path::PathBuf;
use std::time::Instant;

use quick_xml::events::Event;
use rayon::prelude::*;

fn bodies(data: &[u8]) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_reader(data);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut in_entry = false;
    let mut collecting = false;
    let mut has_body = false;
    let mut body = String::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                b"item" | b"entry" => {
                    in_entry = true;
                    has_body = false;
                }
                // One body per entry, as a planet shows one.
                b"description" | b"content" | b"encoded" if in_entry && !has_body => {
                    has_body = true;
                    collecting = true;
                    body.clear();
                }
                _ => {}
            },
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                b"item" | b"entry" => in_entry = false,
                b"description" | b"content" | b"encoded" if collecting => {
                    collecting = false;
                    out.push(std::mem::take(&mut body));
                }
                _ => {}
            },
            Ok(Event::Text(t)) if collecting => {
                if let Ok(s) = t.unescape() {
                    body.push_str(&s);
                }
            }
            Ok(Event::CData(c)) if collecting => {
                if let Ok(s) = reader.decoder().decode(&c) {
                    body.push_str(&s);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let mut threads = 2;
    while let Some(a) = args.next() {
        if a == "--threads" {
            threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(2);
        }
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("rss" | "atom"))).collect())
        .unwrap_or_default();
    files.sort();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    let start = Instant::now();
    let (entries, bytes) = pool.install(|| {
        files
            .par_iter()
            .map(|p| {
                let data = std::fs::read(p).unwrap_or_default();
                let found = bodies(&data);
                // Sum the output so the work cannot be optimised away.
                let cleaned: usize = found.iter().map(|b| ammonia::clean(b).to_string().len()).sum();
                (found.len(), data.len() + cleaned)
            })
            .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    });
    println!(
        "floor: {} files, {} bytes in and out, {} entries parsed and sanitized on {threads} threads in {:.3} s",
        files.len(),
        bytes,
        entries,
        start.elapsed().as_secs_f64()
    );
}
