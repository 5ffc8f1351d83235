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
