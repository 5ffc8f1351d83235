//! The whole third-party feed corpus (`../shared/corpus`, every file
//! `feeds_index.jsonl` lists) as one planet: each file served over the local
//! test server with the `Content-Type` its suite simulates (feedparser's
//! `Header:` lines), else a plain `application/xml` / `application/json`,
//! and built by the real binary. Prints how many feeds were read, rejected
//! and warned about, and how many U+FFFD the rendered site holds; fails if
//! a page shows a replacement character its feed's bytes did not hold, or
//! if a well-formed feed document was not read. Skips with a message when
//! the corpus is absent.

use crate::common;

use common::{
    FEED_FORMATS, Response, TestServer, assert_no_replacement_chars_unless_sourced, feed_corpus,
    pages_with_replacement_chars, planetoid, read, stderr, write_config,
};
use serde_json::Value;

/// feedparser's simulated `Content-Type` per file (relative to `feedparser/`).
fn feedparser_content_types(dir: &std::path::Path) -> std::collections::HashMap<String, String> {
    let index = read(dir.join("feedparser/index.jsonl"));
    index
        .lines()
        .filter_map(|line| {
            let record: Value = serde_json::from_str(line).ok()?;
            let headers = record["http_headers"].as_object()?;
            let content_type = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))?
                .1
                .as_str()?;
            Some((
                record["file"].as_str()?.to_string(),
                content_type.to_string(),
            ))
        })
        .collect()
}

#[test]
fn the_corpus_as_one_planet_reads_its_feeds_without_replacement_characters() {
    let Some(dir) = feed_corpus() else { return };
    let content_types = feedparser_content_types(&dir);
    let server = TestServer::start();
    let mut feeds = String::new();
    let mut sources: Vec<(String, Vec<u8>)> = Vec::new();
    let mut must_read: Vec<(String, String)> = Vec::new();
    for (i, line) in read(dir.join("feeds_index.jsonl")).lines().enumerate() {
        let record: Value = serde_json::from_str(line).expect("index line is JSON");
        let file = record["file"].as_str().expect("file");
        if file.ends_with("index.jsonl") {
            continue;
        }
        let bytes = std::fs::read(dir.join(file)).expect("listed file is readable");
        let content_type = file
            .strip_prefix("feedparser/")
            .and_then(|f| content_types.get(f).cloned())
            .unwrap_or_else(|| match record["syntax"].as_str() {
                Some("json") => "application/json".to_string(),
                _ => "application/xml".to_string(),
            });
        let path = format!("/{i}");
        server.route(&path, Response::ok(&content_type, bytes.clone()));
        let url = server.url(&path);
        feeds.push_str(&format!("  - url: {url}\n    name: \"{file}\"\n"));
        let format = record["format"].as_str().unwrap_or("");
        if record["wellformed"].as_bool() == Some(true) && FEED_FORMATS.contains(&format) {
            must_read.push((url.clone(), file.to_string()));
        }
        sources.push((url, bytes));
    }
    let planet = tempfile::tempdir().expect("tempdir");
    write_config(
        planet.path(),
        &format!(
            "title: Corpus\nbase_url: https://corpus.test/\nlang: en\n\
             fetch:\n  concurrency: 32\n  per_host: 32\nfeeds:\n{feeds}"
        ),
    );
    let out = planetoid(planet.path(), &["build", "--now", "2025-06-30T12:00:00Z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let site = planet.path().join("output");
    let health: Value = serde_json::from_str(&read(site.join("health.json"))).expect("health");
    let records = health["feeds"].as_array().expect("feeds");
    let read_ok = records.iter().filter(|f| f["status"] == "ok").count();
    let warned: Vec<&Value> = records
        .iter()
        .filter(|f| f["warnings"].as_array().is_some_and(|w| !w.is_empty()))
        .collect();
    let fffd: usize = pages_with_replacement_chars(&site)
        .iter()
        .map(|(_, n)| n)
        .sum();
    println!(
        "corpus planet: {} feeds: {read_ok} read, {} rejected, {} warned; {fffd} U+FFFD in the rendered site",
        records.len(),
        records.len() - read_ok,
        warned.len()
    );
    for f in &warned {
        println!("  warned {}: {}", f["name"], f["warnings"]);
    }
    let unread: Vec<String> = must_read
        .iter()
        .filter_map(|(url, file)| {
            let record = records.iter().find(|f| f["url"] == url.as_str())?;
            (record["status"] != "ok").then(|| format!("{file}: {}", record["error"]))
        })
        .collect();
    assert!(unread.is_empty(), "well-formed feeds not read: {unread:#?}");
    assert_no_replacement_chars_unless_sourced(&site, &sources);
}
