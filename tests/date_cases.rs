//! The date tables of feedparser and gofeed (`../shared/corpus/*/date_cases.json`)
//! against planetoid's date parser: every case parses to the expected UTC
//! time or is rejected — a wrong date is never acceptable, a missing one is.
//! Skips with a message when the corpus is absent.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use planetoid::parse::dates::parse_date;

/// Cases read correctly at the time of writing; fewer means a regression.
const MIN_ACCEPTED: usize = 80;

fn corpus() -> Option<PathBuf> {
    crate::common::corpus_with("")
}

fn cases(value: &serde_json::Value) -> Vec<serde_json::Value> {
    value
        .as_object()
        .and_then(|o| o.values().find_map(|v| v.as_array()).cloned())
        .or_else(|| value.as_array().cloned())
        .expect("a list of cases")
}

#[test]
fn every_date_case_is_right_or_rejected() {
    let Some(dir) = corpus() else { return };
    let mut expected: Vec<(String, Option<DateTime<Utc>>)> = Vec::new();

    let feedparser: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("feedparser/date_cases.json")).expect("readable"),
    )
    .expect("JSON");
    for case in cases(&feedparser) {
        let input = case["input_value"].as_str().expect("input").to_string();
        let want = case["expected_value"].as_array().map(|v| {
            let n = |i: usize| v[i].as_i64().expect("number");
            Utc.with_ymd_and_hms(
                n(0) as i32,
                n(1) as u32,
                n(2) as u32,
                n(3) as u32,
                n(4) as u32,
                n(5) as u32,
            )
            .single()
            .expect("valid expected date")
        });
        expected.push((input, want));
    }
    let gofeed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("gofeed/date_cases.json")).expect("readable"),
    )
    .expect("JSON");
    for case in cases(&gofeed) {
        let input = case["input"].as_str().expect("input").to_string();
        let want = case["expected_utc"].as_str().map(|s| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .expect("expected_utc format")
                .and_utc()
        });
        expected.push((input, want));
    }

    let (mut right, mut rejected, mut invented) = (0, Vec::new(), Vec::new());
    for (input, want) in &expected {
        // feedparser's expectations drop fractions of a second; so do we.
        let got = parse_date(input).map(|d| d.with_timezone(&Utc));
        let got_secs = got.map(|d| d.timestamp());
        match (got_secs, want.map(|w| w.timestamp())) {
            (g, w) if g == w => right += 1,
            (None, Some(_)) => rejected.push(input.clone()),
            _ => invented.push(format!("{input:?}: got {got:?}, expected {want:?}")),
        }
    }
    println!(
        "date cases: {} total, {right} right (incl. expected rejections), {} rejected without need",
        expected.len(),
        rejected.len()
    );
    for r in &rejected {
        println!("  not read: {r:?}");
    }
    assert!(invented.is_empty(), "wrong dates: {invented:#?}");
    assert!(
        right >= MIN_ACCEPTED,
        "only {right} cases right, expected at least {MIN_ACCEPTED}"
    );
}
