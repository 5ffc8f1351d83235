//! Tests of [`parse`] as a whole: defaults, every section read and checked,
//! and every problem reported at once with its position.

use std::path::{Path, PathBuf};

use super::feeds::FEED_KEYS;
use super::*;
use crate::entry::{DatePolicy, FutureDates};

/// Whether a problem on `line` says `text` (of `(line, column, message)`).
fn names(summary: &[(u64, u64, &str)], line: u64, text: &str) -> bool {
    summary
        .iter()
        .any(|(l, _, m)| *l == line && m.contains(text))
}

fn problems(yaml: &str) -> Vec<Problem> {
    match parse(yaml, Path::new("/planet/planet.yaml")) {
        Err(ConfigError::Invalid { problems, .. }) => problems,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn filter_keys_are_accepted_planet_wide_and_per_feed() {
    for key in timeline::FILTER_KEYS {
        assert!(TOP_KEYS.contains(&key) && FEED_KEYS.contains(&key), "{key}");
    }
}

#[test]
fn timeline_settings_are_parsed_and_checked() {
    let yaml = r#"title: P
base_url: https://p.example/
future_dates: drop
exclude: casino
retention:
  max_age_days: 30
blocklist:
  - url: https://x.example/bad
    reason: spam
feeds:
  - url: a.xml
    enabled: false
    date_policy: first_seen
    future_dates: hide_until_due
    max_entries: 3
    tags: [team, ru]
    avatar: https://a.example/me.png
    tags_exclude: [Ads]
"#;
    let cfg = parse(yaml, Path::new("/p/planet.yaml")).expect("valid");
    assert_eq!(cfg.future_dates, FutureDates::Drop);
    assert!(!cfg.filters.allows("Casino night", "", &[]));
    assert_eq!(
        cfg.retention,
        Retention {
            max_age_days: 30,
            min_per_feed: 10
        }
    );
    assert_eq!(cfg.blocklist[0].reason, "spam");
    let f = &cfg.feeds[0];
    assert!(!f.enabled);
    assert_eq!(
        (f.date_policy, f.future_dates, f.max_entries),
        (
            DatePolicy::FirstSeen,
            Some(FutureDates::HideUntilDue),
            Some(3)
        )
    );
    assert_eq!(f.tags, ["team", "ru"]);
    assert_eq!(f.filters.tags_exclude, ["ads"]);

    let found = problems(
        "title: P\nbase_url: https://p.example/\nfuture_dates: later\ninclude: '('\nblocklist:\n  - reason: x\nfeeds:\n  - url: a.xml\n    enabled: nope\n    avatar: me.png\n",
    );
    let lines: Vec<u64> = found.iter().map(|p| p.line).collect();
    assert_eq!(lines, [3, 4, 6, 9, 10], "{found:?}");
    assert!(
        found[1].message.contains("invalid regular expression"),
        "{found:?}"
    );
}

#[test]
fn minimal_config_gets_defaults_and_absolute_paths() {
    let cfg = parse(
            "title: P\nbase_url: https://p.example.org\nfeeds:\n  - url: feeds/a.xml\n  - url: https://x.example/f\n    name: X\n",
            Path::new("/planet/planet.yaml"),
        )
        .expect("valid");
    assert_eq!(cfg.base_url.as_str(), "https://p.example.org/");
    assert_eq!(cfg.lang, "en");
    assert_eq!(cfg.entries_per_page, 20);
    assert_eq!(cfg.output_dir, PathBuf::from("/planet/output"));
    assert_eq!(cfg.state, PathBuf::from("/planet/.planetoid/state.db"));
    assert_eq!(
        cfg.feeds[0].source,
        FeedSource::File(PathBuf::from("/planet/feeds/a.xml"))
    );
    assert_eq!(cfg.feeds[1].name.as_deref(), Some("X"));
    assert_eq!(cfg.feeds[1].line, 5);
    assert_eq!(cfg.fetch, FetchConfig::default());
    assert_eq!(cfg.max_pages, Some(DEFAULT_MAX_PAGES));
    let uncapped = parse(
        "title: P\nbase_url: https://p.example\nmax_pages: 0\nfeeds: []\n",
        Path::new("/planet/planet.yaml"),
    )
    .expect("valid");
    assert_eq!(uncapped.max_pages, None, "0 removes the cap");
    assert_eq!(cfg.feeds[0].content, ContentMode::Full);
    assert_eq!(cfg.excerpt_words, 60);
    assert!(
        cfg.sanitize
            .iframe_hosts
            .contains(&"www.youtube-nocookie.com".to_string())
    );
}

#[test]
fn listing_content_and_the_site_size_budget_are_read_and_checked() {
    let cfg = parse(
        "title: P\nbase_url: https://p.example/\nfeeds: []\n",
        Path::new("/p/planet.yaml"),
    )
    .expect("valid");
    assert_eq!(cfg.listing_content, ListingContent::Excerpt);
    assert_eq!(cfg.output.max_site_mb, 950);
    let cfg = parse(
            "title: P\nbase_url: https://p.example/\nlisting_content: full\noutput:\n  max_site_mb: 400\nfeeds: []\n",
            Path::new("/p/planet.yaml"),
        )
        .expect("valid");
    assert_eq!(cfg.listing_content, ListingContent::Full);
    assert_eq!(cfg.output.max_site_mb, 400);
    let found = problems(
        "title: P\nbase_url: https://p.example/\nlisting_content: summary\noutput:\n  max_site: 10\nfeeds: []\n",
    );
    let summary: Vec<(u64, u64, &str)> = found
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect();
    assert!(names(&summary, 3, "one of: excerpt, full"), "{summary:?}");
    assert!(names(&summary, 5, "max_site_mb"), "{summary:?}");
}

#[test]
fn the_fetch_deadline_is_read_and_checked() {
    let cfg = parse(
        "title: P\nbase_url: https://p.example/\nfetch:\n  deadline_secs: 120\nfeeds: []\n",
        Path::new("/p/planet.yaml"),
    )
    .expect("valid");
    assert_eq!(cfg.fetch.deadline_secs, 120);
    assert_eq!(FetchConfig::default().deadline_secs, 600);
    let found = problems(
        "title: P\nbase_url: https://p.example/\nfetch:\n  deadline_secs: 0\n  deadline: 5\nfeeds: []\n",
    );
    let lines: Vec<u64> = found.iter().map(|p| p.line).collect();
    assert_eq!(lines, [4, 5], "{found:?}");
    assert!(
        found[0].message.contains("from 1 to 86400, found 0"),
        "{found:?}"
    );
    assert!(found[1].message.contains("deadline_secs"), "{found:?}");
}

#[test]
fn content_modes_excerpts_and_iframe_hosts_are_read_and_checked() {
    let cfg = parse(
            "title: P\nbase_url: https://p.example/\nexcerpt_words: 25\nsanitize:\n  iframe_hosts: [Player.Vimeo.com]\nfeeds:\n  - url: a.xml\n    content: summary\n  - url: b.xml\n    content: title\n",
            Path::new("/p/planet.yaml"),
        )
        .expect("valid");
    assert_eq!(cfg.excerpt_words, 25);
    assert_eq!(cfg.sanitize.iframe_hosts, ["player.vimeo.com"]);
    assert_eq!(cfg.feeds[0].content, ContentMode::Summary);
    assert_eq!(cfg.feeds[1].content, ContentMode::Title);
    let empty = parse(
        "title: P\nbase_url: https://p.example/\nsanitize:\n  iframe_hosts: []\nfeeds: []\n",
        Path::new("/p/planet.yaml"),
    )
    .expect("valid");
    assert!(empty.sanitize.iframe_hosts.is_empty());

    let found = problems(
        "title: P\nbase_url: https://p.example/\nexcerpt_words: 0\nsanitize:\n  iframe_hosts: [https://www.youtube.com/embed]\n  iframe_host: 1\nfeeds:\n  - url: a.xml\n    content: everything\n",
    );
    let summary: Vec<(u64, u64, &str)> = found
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect();
    assert!(
        summary
            .iter()
            .any(|(l, c, m)| *l == 3 && *c == 16 && m.contains("from 1 to")),
        "{summary:?}"
    );
    assert!(
        summary
            .iter()
            .any(|(l, c, m)| *l == 5 && *c == 18 && m.contains("not a host name")),
        "{summary:?}"
    );
    assert!(
        summary
            .iter()
            .any(|(l, c, m)| *l == 6 && *c == 3 && m.contains("did you mean `iframe_hosts`")),
        "{summary:?}"
    );
    assert!(
        summary
            .iter()
            .any(|(l, c, m)| *l == 9 && *c == 14 && m.contains("full, summary, title")),
        "{summary:?}"
    );
}

#[test]
fn all_problems_are_reported_at_once_with_positions() {
    let found = problems(
        "titel: P\nbase_url: ftp://x\nentries_per_page: many\nfeeds:\n  - url: https://a.example/f\n    nmae: A\n  - name: no url\n  - url: gopher://x/y\n",
    );
    let summary: Vec<(u64, u64, &str)> = found
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect();
    assert!(
        summary.iter().any(|(l, c, m)| *l == 1
            && *c == 1
            && m.contains("unknown key `titel`")
            && m.contains("did you mean `title`")),
        "{summary:?}"
    );
    assert!(
        summary
            .iter()
            .any(|(_, _, m)| m.contains("missing required key `title`")),
        "{summary:?}"
    );
    assert!(names(&summary, 2, "http(s)"), "{summary:?}");
    assert!(
        summary
            .iter()
            .any(|(l, c, m)| *l == 3 && *c == 19 && m.contains("whole number")),
        "{summary:?}"
    );
    assert!(
        summary
            .iter()
            .any(|(l, c, m)| *l == 6 && *c == 5 && m.contains("did you mean `name`")),
        "{summary:?}"
    );
    assert!(
        names(&summary, 7, "missing required key `url`"),
        "{summary:?}"
    );
    assert!(names(&summary, 8, "gopher"), "{summary:?}");
}

#[test]
fn rendered_message_names_file_line_and_quotes_source() {
    let err = parse(
        "title: P\nbase_url: https://p.example/\nfeeds: []\nlang: [en]\n",
        Path::new("/x/planet.yaml"),
    )
    .expect_err("lang is a list");
    let text = err.to_string();
    assert!(
        text.contains("/x/planet.yaml:4:7: expected a string, found a list"),
        "{text}"
    );
    assert!(text.contains("4 | lang: [en]"), "{text}");
}

#[test]
fn duplicate_feeds_and_yaml_syntax_errors_are_reported() {
    let found = problems(
        "title: P\nbase_url: https://p.example/\nfeeds:\n  - url: a.xml\n  - url: a.xml\n",
    );
    assert!(
        found
            .iter()
            .any(|p| p.line == 5 && p.message.contains("listed twice (first at line 4)")),
        "{found:?}"
    );
    let err = parse("title: [unclosed\n", Path::new("/x/planet.yaml")).expect_err("syntax");
    assert!(matches!(err, ConfigError::Syntax { .. }), "{err:?}");
    assert!(err.to_string().contains("planet.yaml"), "{err}");
}
