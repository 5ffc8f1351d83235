//! `planetoid report`: the health report as a terminal table for operators
//! on a server — problems first, one row per feed with its status and
//! flags, the last builds as a strip of characters (`+` ok, `=` not
//! modified, `x` failed, `g` gone, `-` not asked, ` ` not configured yet),
//! time since the last post, posts in the last year and the last response
//! time; under a row, what to do and the last error.

use super::{FeedHealth, Health, STRIP_BUILDS, problems_first};
use crate::feed_state::FeedStatus;
use crate::store::Attempt;

/// The whole table, headed by a one-line count of feeds and problems.
pub fn table(health: &Health) -> String {
    let feeds = problems_first(health);
    let flagged = |pick: fn(&FeedHealth) -> bool| health.feeds.iter().filter(|f| pick(f)).count();
    let mut out = format!(
        "{} feeds at {}: {} failing, {} flaky, {} quiet\n",
        health.feeds.len(),
        health.generated,
        flagged(|f| f.enabled && matches!(f.status, FeedStatus::Failed | FeedStatus::Stale)),
        flagged(|f| f.flaky),
        flagged(|f| f.quiet),
    );
    let rows: Vec<[String; 6]> = feeds
        .iter()
        .map(|f| {
            [
                clip(&f.name, 32),
                f.status_and_flags(),
                strip(f),
                f.days_since_post
                    .map_or("never".to_string(), |d| format!("{d} d ago")),
                f.posts_per_month.iter().sum::<u32>().to_string(),
                f.response_ms
                    .map_or("-".to_string(), |ms| format!("{ms} ms")),
            ]
        })
        .collect();
    let head = [
        "FEED".to_string(),
        "STATUS".to_string(),
        format!("LAST {STRIP_BUILDS} BUILDS"),
        "LAST POST".to_string(),
        "POSTS/YEAR".to_string(),
        "RESPONSE".to_string(),
    ];
    let mut widths = head.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String; 6]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    out.push_str(&line(&head));
    for (f, row) in feeds.iter().zip(&rows) {
        out.push_str(&line(row));
        let mut notes: Vec<&str> = f.advice.iter().map(String::as_str).collect();
        if f.status != FeedStatus::Ok {
            notes.extend(f.error.as_deref());
        }
        for note in notes {
            out.push_str(&format!("    {} <{}>: {note}\n", f.name, f.url));
        }
    }
    out
}

/// The last builds as characters, oldest first, always `STRIP_BUILDS` wide.
fn strip(f: &FeedHealth) -> String {
    let cells: String = f
        .builds
        .iter()
        .map(|c| match c.as_ref().map(|c| c.attempt) {
            Some(Attempt::Ok) => '+',
            Some(Attempt::NotModified) => '=',
            Some(Attempt::Failed) => 'x',
            Some(Attempt::Gone) => 'g',
            Some(Attempt::Skipped) => '-',
            None => ' ',
        })
        .collect();
    format!("{cells:>STRIP_BUILDS$}")
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BuildCell;

    #[test]
    fn problems_come_first_with_their_advice() {
        let cell = |attempt| {
            Some(BuildCell {
                at: chrono::DateTime::default(),
                attempt,
                http_status: None,
                response_ms: Some(12),
                new_entries: 0,
            })
        };
        let mut fine = FeedHealth::unobserved(
            crate::entry::FeedId::from_source("test"),
            "https://a.example/f".into(),
            "Fine".into(),
        );
        fine.status = FeedStatus::Ok;
        fine.builds = vec![cell(Attempt::Ok), cell(Attempt::NotModified)];
        fine.response_ms = Some(12);
        let mut flaky = FeedHealth::unobserved(
            crate::entry::FeedId::from_source("test"),
            "https://b.example/f".into(),
            "Flaky".into(),
        );
        flaky.status = FeedStatus::Ok;
        flaky.flaky = true;
        flaky.advice = Some("failing 3 of the last 9 builds: …".into());
        flaky.builds = vec![None, cell(Attempt::Failed), cell(Attempt::Skipped)];
        let health = Health {
            generated: "2025-01-01T00:00:00Z".into(),
            lock_wait_secs: 0.0,
            feeds: vec![fine, flaky],
            activity: vec![],
        };
        let text = table(&health);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "2 feeds at 2025-01-01T00:00:00Z: 0 failing, 1 flaky, 0 quiet"
        );
        assert!(lines[1].starts_with("FEED   STATUS"), "{text}");
        assert!(lines[2].starts_with("Flaky  ok, flaky"), "{text}");
        assert!(lines[2].contains(&format!("{:>30}", " x-")), "{text}");
        assert_eq!(
            lines[3],
            "    Flaky <https://b.example/f>: failing 3 of the last 9 builds: …"
        );
        let fine: Vec<&str> = lines[4].split_whitespace().collect();
        assert_eq!(
            fine,
            ["Fine", "ok", "+=", "never", "0", "12", "ms"],
            "{text}"
        );
    }
}
