//! The sanitizer against the shared XSS and sanitizer corpora
//! (`../shared/corpus`; skipped with a message when absent): every payload,
//! as a bare fragment and placed in Atom (escaped), RSS (CDATA) and JSON Feed
//! (`content_html`) feeds built into a planet by the real binary, must give
//! output that satisfies the README's safety predicate, and sanitizing that
//! output again must change nothing.

use crate::common;
use crate::safety;

use planetoid::sanitize;

const BASE: &str = "https://payload.example/blog/post/";

/// Excerpt lengths tried on every payload's output: cuts inside the first
/// elements, and one past most payloads.
const EXCERPT_WORDS: [usize; 4] = [1, 2, 5, 20];

#[test]
fn every_payload_as_a_fragment_is_safe_and_idempotent() {
    let Some(dir) = safety::corpus_dir() else {
        return;
    };
    let payloads = safety::payloads(&dir);
    assert!(
        payloads.len() > 1000,
        "corpus too small: {}",
        payloads.len()
    );
    let mut failures = Vec::new();
    for (id, payload) in &payloads {
        let out = sanitize::clean(payload, Some(BASE));
        let what = format!("{id} (in: {payload})");
        let dom = check_safe_and_stable(&what, &out, &mut failures);
        let text = safety::text_of(&dom.document);
        for hidden in safety::hidden_texts(payload) {
            if text.contains(&hidden) {
                failures.push(format!("{id}: leaked hidden text {hidden:?}"));
            }
        }
        // An excerpt is cut from this output and not sanitized again unless
        // its nesting needs it: every cut must be as safe and as stable.
        for words in EXCERPT_WORDS {
            let excerpt = sanitize::excerpt(&out, words);
            check_safe_and_stable(
                &format!("{id}: excerpt of {words} words"),
                &excerpt,
                &mut failures,
            );
        }
    }
    eprintln!(
        "fragments: {} payloads tried, {} predicate failures",
        payloads.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Checks sanitized `html` (`what` names it in messages): the safety
/// predicate must hold on its tree, and sanitizing it again must change
/// nothing. Returns the tree for further checks.
fn check_safe_and_stable(
    what: &str,
    html: &sanitize::SafeHtml,
    failures: &mut Vec<String>,
) -> markup5ever_rcdom::RcDom {
    let dom = safety::parse_fragment(html.as_str());
    for v in safety::violations(&dom.document) {
        failures.push(format!("{what}: {v}\n  out: {}", html.as_str()));
    }
    let again = sanitize::clean(html.as_str(), None);
    if &again != html {
        failures.push(format!(
            "{what}: not idempotent\n  once:  {}\n  twice: {}",
            html.as_str(),
            again.as_str()
        ));
    }
    dom
}

#[test]
fn every_payload_in_atom_rss_and_json_feeds_builds_a_safe_planet() {
    let Some(corpus) = safety::corpus_dir() else {
        return;
    };
    let planet = safety::build_payload_planet(&corpus);
    assert!(
        !planet
            .stderr
            .lines()
            .any(|l| l.trim_start().starts_with("failed")),
        "a payload feed failed to parse:\n{}",
        planet.stderr
    );
    let by_title: std::collections::HashMap<String, &str> = planet
        .payloads
        .iter()
        .flat_map(|(id, p)| {
            ["atom", "rss", "json"]
                .into_iter()
                .map(move |form| (format!("{id} {form}"), p.as_str()))
        })
        .collect();
    let mut failures = Vec::new();
    let mut articles = 0;
    let mut seen = std::collections::HashSet::new();
    for page in &planet.pages {
        let html = common::read(page);
        for v in safety::page_violations(&html) {
            failures.push(format!("{}: {v}", page.display()));
        }
        let dom = safety::parse_document(&html);
        for node in safety::descendants(&dom.document) {
            let is_entry = safety::element_name(&node).as_deref() == Some("article")
                && safety::attr(&node, "class").is_some_and(|c| c.split(' ').any(|c| c == "entry"));
            if !is_entry {
                continue;
            }
            articles += 1;
            let all = safety::descendants(&node);
            let title = all
                .iter()
                .find(|n| safety::attr(n, "class").as_deref() == Some("entry-title"))
                .map(|n| safety::text_of(n).trim().to_string())
                .unwrap_or_default();
            let Some(payload) = by_title.get(&title) else {
                failures.push(format!("unknown entry title {title:?}"));
                continue;
            };
            seen.insert(title.clone());
            let Some(body) = all
                .iter()
                .find(|n| safety::attr(n, "class").as_deref() == Some("entry-body"))
            else {
                continue;
            };
            let inner = safety::inner_html(body);
            let again = sanitize::clean(&inner, None);
            if again.as_str() != inner {
                failures.push(format!(
                    "{title}: page body not idempotent\n  page:  {inner}\n  again: {}",
                    again.as_str()
                ));
            }
            let text = safety::text_of(body);
            for hidden in safety::hidden_texts(payload) {
                if text.contains(&hidden) {
                    failures.push(format!("{title}: leaked hidden text {hidden:?}"));
                }
            }
        }
    }
    // Predicate 7: the merged feeds stay well-formed.
    let site = planet.dir.path().join("output");
    for feed in ["atom.xml", "rss.xml", "opml.xml"] {
        let text = common::read(site.join(feed));
        let mut reader = quick_xml::Reader::from_str(&text);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => {
                    failures.push(format!("{feed} is not well-formed XML: {e}"));
                    break;
                }
            }
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&common::read(site.join("feed.json"))).expect("feed.json is JSON");
    assert_eq!(
        json["items"].as_array().map(Vec::len),
        Some(by_title.len()),
        "every payload entry is in feed.json"
    );
    eprintln!(
        "planet: {} payloads × 3 feed forms = {} entries on {} pages, {} predicate failures",
        planet.payloads.len(),
        articles,
        planet.pages.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(articles, by_title.len(), "every payload entry is on a page");
    assert_eq!(
        seen.len(),
        by_title.len(),
        "every payload entry is distinct"
    );
}

/// The predicate itself must see what it is for, or the tests above prove
/// nothing.
#[test]
fn the_predicate_catches_unsafe_html() {
    for bad in [
        "<script>x</script>",
        "<img src=\"x\" onerror=\"alert(1)\">",
        "<a href=\" java&#x09;script:alert(1)\">x</a>",
        "<img srcset=\"https://ok.example/a 1x, data:text/html,x 2x\">",
        "<iframe src=\"https://evil.example/\" sandbox></iframe>",
        "<iframe src=\"https://www.youtube.com/embed/x\"></iframe>",
        "<p style=\"behavior: url(x.htc)\">x</p>",
        "<object data=\"x\"></object>",
        "<form action=\"https://x.example/\"></form>",
        "<p>.mjx-chtml {display: inline-block}</p>",
        "<svg><a xlink:href=\"javascript:alert(1)\">x</a></svg>",
    ] {
        let dom = safety::parse_fragment(bad);
        assert!(
            !safety::violations(&dom.document).is_empty(),
            "predicate missed {bad}"
        );
    }
    let good = "<p><a href=\"https://x.example/\">x</a> <img src=\"https://x.example/a.png\" srcset=\"https://x.example/b.png 2x\"> \
        <iframe src=\"https://www.youtube.com/embed/x\" sandbox=\"allow-scripts\"></iframe> <a href=\"mailto:a@b.example\">m</a></p>";
    let dom = safety::parse_fragment(good);
    assert_eq!(safety::violations(&dom.document), Vec::<String>::new());
    assert_eq!(
        safety::hidden_texts("<p>a</p><style>.mjx-chtml {display: inline-block}</style>"),
        [".mjx-chtml {display: inline-block}"]
    );
}
