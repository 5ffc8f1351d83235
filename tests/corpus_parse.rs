//! Every feed file of the third-party corpus (`../shared/corpus`, listed in
//! `feeds_index.jsonl`) through decode + parse: no panics, each file well
//! under a second, and every well-formed feed document actually parses.
//! Skips with a message when the corpus is not checked out beside the repo.

use crate::common;

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use common::{FEED_FORMATS, feed_corpus};
use planetoid::{decode, parse};

/// Why a document was rejected, as a short class for the summary.
fn class(error: &parse::ParseError) -> &'static str {
    match error {
        parse::ParseError::Empty => "empty document",
        parse::ParseError::NotAFeed(_) => "not a feed (root element)",
        parse::ParseError::Unrecognised(_) => "not a feed (unrecognised)",
        parse::ParseError::NotWellFormedXml { .. } => "not well-formed XML",
        parse::ParseError::NotWellFormedJson { .. } => "not well-formed JSON",
        parse::ParseError::Malformed(_) => "malformed feed",
    }
}

#[test]
fn every_corpus_feed_decodes_and_parses_without_panic() {
    let Some(dir) = feed_corpus() else { return };
    let index = std::fs::read_to_string(dir.join("feeds_index.jsonl")).expect("index readable");
    let mut read = 0usize;
    let mut parsed = 0usize;
    let mut panics: Vec<String> = Vec::new();
    let mut slow: Vec<String> = Vec::new();
    let mut rejected: BTreeMap<&str, usize> = BTreeMap::new();
    let mut must_parse_failures: Vec<String> = Vec::new();
    let mut rejections: Vec<String> = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    let mut bytes_total = 0usize;
    let started = Instant::now();
    for line in index.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("index line is JSON");
        let file = record["file"].as_str().expect("file").to_string();
        if file.ends_with("index.jsonl") {
            continue; // the expectation files themselves are listed too
        }
        let Ok(bytes) = std::fs::read(dir.join(&file)) else {
            panic!("{file} listed but unreadable");
        };
        read += 1;
        bytes_total += bytes.len();
        let t = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let text = decode::decode(&bytes, None, None);
            parse::parse(&text.text, "https://corpus.example/feed.xml")
        }));
        let took = t.elapsed();
        if took > slowest.0 {
            slowest = (took, file.clone());
        }
        // A guard against pathological (say quadratic) inputs, not a speed
        // target: every corpus file is a few KB, so even a debug build on a
        // loaded machine reads one in well under this.
        if took > Duration::from_secs(10) {
            slow.push(format!("{file}: {took:?}"));
        }
        let wellformed = record["wellformed"].as_bool() == Some(true);
        let format = record["format"].as_str().unwrap_or("");
        let must_parse = wellformed && FEED_FORMATS.contains(&format);
        match outcome {
            Err(_) => panics.push(file),
            Ok(Ok(_)) => parsed += 1,
            Ok(Err(e)) => {
                *rejected.entry(class(&e)).or_default() += 1;
                rejections.push(format!("{file} ({format}): {e}"));
                if must_parse {
                    must_parse_failures.push(format!("{file} ({format}): {e}"));
                }
            }
        }
    }
    println!(
        "corpus: {read} files ({} KB) read in {:?}: {parsed} parsed, {} rejected, {} panicked; slowest {:?} ({})",
        bytes_total / 1024,
        started.elapsed(),
        read - parsed - panics.len(),
        panics.len(),
        slowest.0,
        slowest.1
    );
    for (reason, n) in &rejected {
        println!("  rejected: {n:>4} {reason}");
    }
    for r in &rejections {
        println!("    {r}");
    }
    for f in &must_parse_failures {
        println!("  SHOULD PARSE: {f}");
    }
    assert!(panics.is_empty(), "panicked on: {panics:#?}");
    assert!(slow.is_empty(), "over ten seconds: {slow:#?}");
    assert!(
        must_parse_failures.is_empty(),
        "{} well-formed feeds were rejected",
        must_parse_failures.len()
    );
}
