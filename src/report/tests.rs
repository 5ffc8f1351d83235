use super::*;

fn feed(name: &str, status: FeedStatus) -> FeedHealth {
    FeedHealth {
        status,
        error: (status != FeedStatus::Ok).then(|| "HTTP 500 | boom".to_string()),
        entries: 1,
        ..FeedHealth::unobserved(
            crate::entry::FeedId::from_source("test"),
            format!("https://{name}.example/feed"),
            name.into(),
        )
    }
}

#[test]
fn fail_on_thresholds_count_broken_feeds() {
    let health = Health {
        generated: String::new(),
        lock_wait_secs: 0.0,
        feeds: vec![
            feed("a", FeedStatus::Ok),
            feed("b", FeedStatus::Failed),
            feed("c", FeedStatus::Stale),
            feed("d", FeedStatus::Gone),
        ],
        activity: vec![],
    };
    assert_eq!(FailOn::parse("failed=2"), Ok(FailOn::Count(2)));
    assert_eq!(FailOn::parse("failed=50%"), Ok(FailOn::Percent(50.0)));
    assert!(FailOn::parse("broken=2").is_err() && FailOn::parse("failed=x%").is_err());
    assert_eq!(
        FailOn::Count(2).exceeded(&health).as_deref(),
        Some("2 of 4 feeds are failing (--fail-on failed=2)")
    );
    assert_eq!(FailOn::Count(3).exceeded(&health), None);
    assert!(FailOn::Percent(50.0).exceeded(&health).is_some());
    assert_eq!(FailOn::Percent(51.0).exceeded(&health), None);
    let mut with_skipped = health.clone();
    with_skipped.feeds.push(feed("e", FeedStatus::Skipped));
    assert_eq!(
        FailOn::Count(3).exceeded(&with_skipped),
        None,
        "a skipped feed is not a failing one"
    );
}

#[test]
fn step_summary_puts_problems_first_and_escapes_cells() {
    let mut moved = feed("m", FeedStatus::Ok);
    moved.moved_to = Some("https://m.example/new".into());
    let health = Health {
        generated: String::new(),
        lock_wait_secs: 0.0,
        feeds: vec![
            feed("ok1", FeedStatus::Ok),
            feed("g", FeedStatus::Gone),
            moved,
            feed("s", FeedStatus::Stale),
            feed("f", FeedStatus::Failed),
            feed("k", FeedStatus::Skipped),
        ],
        activity: vec![],
    };
    let fetch = FetchSummary {
        wall: std::time::Duration::from_millis(2500),
        hosts: vec![crate::fetch::HostStats {
            host: "a.example".into(),
            feeds: 4,
            requests: 5,
            slowest: std::time::Duration::from_millis(1250),
            skipped: 1,
        }],
    };
    let md = step_summary(&health, "built output: 6 feeds", &fetch);
    let order: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ["))
        .map(|l| l.split(['[', ']']).nth(1).unwrap_or(""))
        .collect();
    assert_eq!(order, ["f", "s", "k", "m", "g", "ok1"]);
    assert!(
        md.contains("### Hosts (fetch 2.5 s)") && md.contains("| a.example | 4 | 5 | 1.25 s | 1 |"),
        "{md}"
    );
    assert_eq!(
        fetch_text(&fetch),
        "fetch: 2.50 s over 1 host\n  host a.example: 4 feeds, 5 requests, slowest 1.25 s, 1 skipped"
    );
    assert!(md.contains("HTTP 500 \\| boom"), "{md}");
    assert!(md.contains("| moved |"), "{md}");
}

#[test]
fn summary_lists_only_feeds_needing_attention() {
    let h = Health {
        generated: "2025-01-01T00:00:00Z".into(),
        lock_wait_secs: 0.0,
        feeds: vec![
            FeedHealth {
                url: "https://a.example/f".into(),
                name: "A".into(),
                enabled: true,
                status: FeedStatus::Ok,
                http_status: Some(200),
                error: None,
                hint: None,
                entries: 3,
                last_success: None,
                last_attempt: None,
                consecutive_failures: 0,
                not_modified: true,
                retry_after: None,
                moved_to: Some("https://a.example/new".into()),
                encoding: Some("windows-1252".into()),
                warnings: vec!["the HTTP Content-Type says \"utf-8\", but the bytes are not valid UTF-8: read as windows-1252 instead".into()],
                ..FeedHealth::unobserved(crate::entry::FeedId::from_source("test"), String::new(), String::new())
            },
            FeedHealth {
                url: "https://b.example/f".into(),
                name: "B".into(),
                enabled: true,
                status: FeedStatus::Failed,
                http_status: Some(200),
                error: Some("not a feed (HTML page)".into()),
                hint: Some("https://b.example/feed".into()),
                entries: 0,
                last_success: None,
                last_attempt: None,
                consecutive_failures: 3,
                not_modified: false,
                retry_after: None,
                moved_to: None,
                ..FeedHealth::unobserved(crate::entry::FeedId::from_source("test"), String::new(), String::new())
            },
        ],
        activity: vec![],
    };
    let text = summary(&h, &Hidden::default(), 3, 1, "output");
    assert_eq!(
        text,
        "built output: 2 feeds (1 ok, 0 stale, 1 failed, 1 with warnings), 3 entries on 1 page\n  \
         moved  A <https://a.example/f> → https://a.example/new (run `planetoid fix-moved` to update planet.yaml)\n  \
         warn   A <https://a.example/f>: the HTTP Content-Type says \"utf-8\", but the bytes are not valid UTF-8: read as windows-1252 instead\n  \
         failed B <https://b.example/f>: not a feed (HTML page) (the page advertises a feed at https://b.example/feed)"
    );
}
