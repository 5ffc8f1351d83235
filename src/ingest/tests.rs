use super::*;

const FEED: &str = "<rss version=\"2.0\"><channel><title>T</title>\
    <item><guid>a</guid><title>A</title><description>&lt;p&gt;one&lt;/p&gt;</description></item>\
    <item><guid>b</guid><title>B</title><description>&lt;p&gt;two&lt;/p&gt;</description></item>\
    </channel></rss>";

fn fetched(body: &str) -> Result<Fetched, FetchError> {
    Ok(Fetched {
        body: body.as_bytes().to_vec(),
        final_url: "https://t.example/feed".into(),
        http_status: Some(200),
        ..Fetched::default()
    })
}

fn shown(mode: ContentMode) -> Shown<'static> {
    static SANITIZER: std::sync::LazyLock<sanitize::Sanitizer> =
        std::sync::LazyLock::new(|| sanitize::Sanitizer::new(&[]));
    Shown {
        mode,
        excerpt_words: 60,
        iframe_hosts: &[],
        sanitizer: &SANITIZER,
    }
}

fn fresh_ids(update: &FeedUpdate) -> Vec<String> {
    match update {
        FeedUpdate::Fresh { entries, .. } => entries.iter().map(|e| e.id.clone()).collect(),
        other => panic!("expected Fresh, got {other:?}"),
    }
}

#[test]
fn unchanged_entries_are_not_sanitized_again() {
    let now = Utc::now();
    let first = ingest(
        fetched(FEED),
        now,
        &HashMap::new(),
        &shown(ContentMode::Full),
    );
    assert_eq!(fresh_ids(&first), ["a", "b"]);
    let FeedUpdate::Fresh { entries, .. } = &first else {
        unreachable!()
    };
    let known: HashMap<String, String> = entries
        .iter()
        .map(|e| (e.id.clone(), e.raw_hash.clone()))
        .collect();
    let again = ingest(fetched(FEED), now, &known, &shown(ContentMode::Full));
    assert!(fresh_ids(&again).is_empty(), "nothing changed");
    let edited = ingest(
        fetched(&FEED.replace("two", "TWO")),
        now,
        &known,
        &shown(ContentMode::Full),
    );
    assert_eq!(
        fresh_ids(&edited),
        ["b"],
        "only the edited entry is processed"
    );
    // A new content mode changes what is stored: everything again.
    let summary = ingest(fetched(FEED), now, &known, &shown(ContentMode::Summary));
    assert_eq!(fresh_ids(&summary), ["a", "b"], "content mode is policy");
    let title = ingest(fetched(FEED), now, &known, &shown(ContentMode::Title));
    let FeedUpdate::Fresh { entries, .. } = &title else {
        unreachable!()
    };
    assert!(entries.iter().all(|e| e.body.is_empty()), "title mode");
}

#[test]
fn html_pages_and_fetch_errors_become_failures() {
    let page = ingest(
        fetched(
            "<!DOCTYPE html><html><head><link rel=alternate type=application/rss+xml href=/rss></head></html>",
        ),
        Utc::now(),
        &HashMap::new(),
        &shown(ContentMode::Full),
    );
    match page {
        FeedUpdate::Failed(f) => {
            assert_eq!(f.error, "not a feed (HTML page)");
            assert_eq!(f.hint.as_deref(), Some("https://t.example/rss"));
        }
        other => panic!("{other:?}"),
    }
    let gone = ingest(
        Err(FetchError::Gone),
        Utc::now(),
        &HashMap::new(),
        &shown(ContentMode::Full),
    );
    assert!(matches!(
        gone,
        FeedUpdate::Failed(Failure {
            gone: true,
            http_status: Some(410),
            ..
        })
    ));
    let skipped = ingest(
        Err(FetchError::Skipped(fetch::Skip::Deadline {
            host: "t.example".into(),
            waiting: 1,
        })),
        Utc::now(),
        &HashMap::new(),
        &shown(ContentMode::Full),
    );
    match skipped {
        FeedUpdate::Skipped { reason } => {
            assert_eq!(reason, "build deadline: host t.example had 1 feed waiting");
        }
        other => panic!("a skip is not a failure: {other:?}"),
    }
}

/// A store with nothing in it.
struct Empty;

impl StoredEntries for Empty {
    type Error = std::convert::Infallible;

    fn raw_hashes(&self, _: &FeedId) -> Result<HashMap<String, String>, Self::Error> {
        Ok(HashMap::new())
    }
}

/// A loopback server answering every request with `FEED` after `delay`;
/// returns its port and the count of requests it received.
fn slow_server(
    delay: std::time::Duration,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counted = counted.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                counted.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(delay);
                let _ = write!(
                    &stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{FEED}",
                    FEED.len()
                );
            });
        }
    });
    (port, count)
}

#[test]
fn a_writer_that_fails_stops_the_downloads() {
    const FEEDS: usize = 20;
    let (port, requests) = slow_server(std::time::Duration::from_millis(100));
    let feeds: String = (0..FEEDS)
        .map(|i| format!("  - url: http://127.0.0.1:{port}/f{i}.xml\n"))
        .collect();
    let yaml = format!(
        "title: T\nbase_url: https://planet.example/\n\
         fetch:\n  concurrency: 1\n  per_host: 1\nfeeds:\n{feeds}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = crate::config::parse(&yaml, &dir.path().join("planet.yaml")).expect("config");
    let opts = BuildOptions {
        config: dir.path().join("planet.yaml"),
        output: None,
        now: None,
        offline: false,
        retry_gone: false,
        verbosity: crate::progress::Verbosity::Quiet,
        wait: None,
    };
    // A writer that fails on the first record: it takes one and stops.
    let (send, receive) = std::sync::mpsc::sync_channel::<FeedRecord>(0);
    let writer = std::thread::spawn(move || receive.recv().is_ok());
    gather(&config, &HashMap::new(), &Empty, Utc::now(), &opts, send);
    assert!(writer.join().expect("writer"), "the first record arrived");
    let asked = requests.load(Ordering::SeqCst);
    assert!(
        asked < FEEDS / 2,
        "{asked} of {FEEDS} feeds were requested: the downloads went on without a writer"
    );
}
