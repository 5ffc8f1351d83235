//! The timeline: which stored entries are shown, and in what order (the
//! listings and their pages are render's). Entries of disabled feeds,
//! entries not yet due (`hide_until_due`), blocklisted posts and entries
//! the planet's or their feed's filters reject are left out; the same post
//! carried by several feeds (same canonical link) is shown once, at its
//! earliest date, crediting every source; `max_entries` caps a feed's
//! share. Order is newest first by each entry's fixed place in time
//! (decided once by the store), with a total tie-break on feed id then
//! entry id, so two builds of the same inputs always give the same pages.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::config::{Block, FeedConfig, Filters};
use crate::entry::{FeedId, StoredEntry, WebUrl};
use crate::sanitize;

/// What decides the timeline besides the entries themselves.
pub struct Rules<'a> {
    pub now: DateTime<Utc>,
    /// The configured feeds, in planet.yaml order.
    pub feeds: &'a [FeedConfig],
    /// Planet-wide filters.
    pub filters: &'a Filters,
    pub blocklist: &'a [Block],
}

/// How many entries were left out, and why (for the build summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hidden {
    pub not_due: usize,
    pub blocked: usize,
    pub filtered: usize,
    pub duplicates: usize,
    pub over_max: usize,
}

/// Decides which entries are shown, newest first.
pub fn timeline(entries: Vec<StoredEntry>, rules: &Rules) -> (Vec<StoredEntry>, Hidden) {
    let feeds: HashMap<&FeedId, (usize, &FeedConfig)> = rules
        .feeds
        .iter()
        .enumerate()
        .map(|(i, f)| (&f.id, (i, f)))
        .collect();
    let blocked_links: Vec<String> = rules
        .blocklist
        .iter()
        .filter_map(|b| b.url.as_deref().map(canonical_link))
        .collect();
    let mut hidden = Hidden::default();
    // Each kept entry with its canonical link (computed once: the blocklist
    // and the dedupe both compare it).
    let mut kept: Vec<(StoredEntry, Option<String>)> = Vec::with_capacity(entries.len());
    // URL parsing is most of the work here: done on every core first.
    let canons: Vec<Option<String>> = entries
        .par_iter()
        .map(|e| e.link.as_ref().map(canonical_web_link))
        .collect();
    for (e, canon) in entries.into_iter().zip(canons) {
        let Some((_, feed)) = feeds.get(&e.feed_id).filter(|(_, f)| f.enabled) else {
            continue;
        };
        if e.sort_date > rules.now {
            hidden.not_due += 1;
            continue;
        }
        let blocked = rules
            .blocklist
            .iter()
            .any(|b| b.id.as_deref() == Some(e.id.as_str()))
            || canon.as_ref().is_some_and(|c| blocked_links.contains(c));
        if blocked {
            hidden.blocked += 1;
            continue;
        }
        let needs_text = rules.filters.needs_text() || feed.filters.needs_text();
        let text = if needs_text {
            sanitize::plain_text(e.body.as_str())
        } else {
            String::new()
        };
        let needs_tags = rules.filters.needs_tags() || feed.filters.needs_tags();
        let tags: Vec<String> = if needs_tags {
            e.categories.iter().chain(&feed.tags).cloned().collect()
        } else {
            Vec::new()
        };
        if !rules.filters.allows(&e.title, &text, &tags)
            || !feed.filters.allows(&e.title, &text, &tags)
        {
            hidden.filtered += 1;
            continue;
        }
        kept.push((e, canon));
    }

    // A feed's share first (on its own entries), then duplicates among
    // what is left, so a capped feed cannot hide another feed's copy.
    kept.sort_by(|(a, _), (b, _)| newest_first(a, b));
    // Entries shown so far, by the feed's place in planet.yaml (every kept
    // entry's feed is there).
    let mut shown = vec![0usize; rules.feeds.len()];
    kept.retain(|(e, _)| {
        let Some((i, feed)) = feeds.get(&e.feed_id) else {
            return true;
        };
        let max = feed.max_entries.unwrap_or(usize::MAX);
        shown[*i] += 1;
        shown[*i] <= max || {
            hidden.over_max += 1;
            false
        }
    });
    let (mut kept, canons): (Vec<StoredEntry>, Vec<Option<String>>) = kept.into_iter().unzip();

    // The same post in several feeds: keep the earliest (then the feed listed
    // first), credit the others.
    let mut first_of: HashMap<&str, usize> = HashMap::with_capacity(kept.len());
    let mut drop = vec![false; kept.len()];
    let rank = |e: &StoredEntry| {
        (
            e.sort_date,
            feeds.get(&e.feed_id).map_or(usize::MAX, |(i, _)| *i),
        )
    };
    for (i, canon) in canons.iter().enumerate() {
        let Some(key) = canon.as_deref() else {
            continue;
        };
        match first_of.get(&key).copied() {
            None => {
                first_of.insert(key, i);
            }
            Some(j) => {
                let (keep, lose) = if rank(&kept[i]) < rank(&kept[j]) {
                    (i, j)
                } else {
                    (j, i)
                };
                let credit = kept[lose].feed_id.clone();
                let mut carried = std::mem::take(&mut kept[lose].also_in);
                kept[keep].also_in.push(credit);
                kept[keep].also_in.append(&mut carried);
                drop[lose] = true;
                first_of.insert(key, keep);
                hidden.duplicates += 1;
            }
        }
    }
    let mut kept: Vec<StoredEntry> = kept
        .into_iter()
        .zip(drop)
        .filter(|(_, d)| !d)
        .map(|(e, _)| e)
        .collect();
    for e in &mut kept {
        e.also_in
            .sort_by_key(|id| feeds.get(id).map_or(usize::MAX, |(i, _)| *i));
        e.also_in.dedup();
    }
    (kept, hidden)
}

/// The identity of a post's URL: scheme, host case, trailing
/// slash, fragment and tracking parameters (`utm_*`, `fbclid`, `gclid`)
/// do not matter.
pub fn canonical_link(link: &str) -> String {
    let Ok(url) = url::Url::parse(link.trim()) else {
        return link.trim().to_string();
    };
    canonical_key(
        url.host_str().unwrap_or(""),
        url.port(),
        url.path(),
        url.query(),
    )
}

/// [`canonical_link`] of a checked URL, read off the url crate's
/// serialization that a [`WebUrl`] holds instead of parsing it again (a
/// timeline of 40,000 entries spent most of its time parsing): the same
/// key. In that form a web URL is `scheme://[userinfo@]host[:port]/path`,
/// then `?query` and `#fragment`; a `/`, `@`, `?` or `#` inside a part is
/// percent-encoded, and the port is there only when it is not the
/// scheme's default.
pub fn canonical_web_link(link: &WebUrl) -> String {
    let text = link.as_str();
    let Some((_, rest)) = text.split_once("://") else {
        return canonical_link(text);
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.rfind(':') {
        // Not a colon inside an IPv6 address's brackets.
        Some(i) if !host_port[i..].contains(']') => {
            (&host_port[..i], host_port[i + 1..].parse::<u16>().ok())
        }
        _ => (host_port, None),
    };
    let tail = tail.split_once('#').map_or(tail, |(t, _)| t);
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    canonical_key(host, port, path, query)
}

/// The canonical key of a URL's parts (see [`canonical_link`]).
fn canonical_key(host: &str, port: Option<u16>, path: &str, query: Option<&str>) -> String {
    let path = path.trim_end_matches('/');
    let mut key = host.to_ascii_lowercase();
    if let Some(port) = port {
        key.push(':');
        key.push_str(&port.to_string());
    }
    key.push_str(path);
    let pairs = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| !k.starts_with("utm_") && k != "fbclid" && k != "gclid");
    for (i, (k, v)) in pairs.enumerate() {
        key.push(if i == 0 { '?' } else { '&' });
        key.push_str(&k);
        key.push('=');
        key.push_str(&v);
    }
    key
}

/// Sorts newest first: date descending, then feed id, then entry id.
pub fn sort_newest_first(entries: &mut [StoredEntry]) {
    entries.sort_by(newest_first);
}

/// The timeline's total order: date descending, then feed id, then entry id.
fn newest_first(a: &StoredEntry, b: &StoredEntry) -> std::cmp::Ordering {
    b.sort_date
        .cmp(&a.sort_date)
        .then_with(|| a.feed_id.cmp(&b.feed_id))
        .then_with(|| a.id.cmp(&b.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::FeedId;
    use chrono::{TimeZone, Utc};

    fn stored(feed: &str, id: &str, day: u32) -> StoredEntry {
        let date = Utc.with_ymd_and_hms(2025, 1, day, 0, 0, 0).unwrap();
        StoredEntry::sample(FeedId::from_stored(feed.into()), id, date)
    }

    #[test]
    fn newest_first_with_a_total_tie_break() {
        let mut list = vec![
            stored("b", "1", 5),
            stored("a", "2", 5),
            stored("a", "1", 5),
            stored("z", "0", 9),
            stored("a", "9", 1),
        ];
        sort_newest_first(&mut list);
        let order: Vec<(&str, &str)> = list
            .iter()
            .map(|e| (e.feed_id.as_str(), e.id.as_str()))
            .collect();
        assert_eq!(
            order,
            [("z", "0"), ("a", "1"), ("a", "2"), ("b", "1"), ("a", "9")]
        );
    }

    fn feed(url: &str) -> FeedConfig {
        let dir = std::path::Path::new("/p/planet.yaml");
        let yaml = format!("title: T\nbase_url: https://t.example/\nfeeds:\n  - url: {url}\n");
        crate::config::parse(&yaml, dir)
            .expect("config")
            .feeds
            .remove(0)
    }

    #[test]
    fn canonical_links_fold_scheme_slash_fragment_and_trackers() {
        let a = canonical_link("http://Blog.Example/post/1/?utm_source=x&id=3&fbclid=y#top");
        let b = canonical_link("https://blog.example/post/1?id=3&gclid=z");
        assert_eq!(a, b);
        assert_eq!(a, "blog.example/post/1?id=3");
        assert_ne!(
            canonical_link("https://blog.example/post/1"),
            canonical_link("https://blog.example/post/2")
        );
    }

    #[test]
    fn a_checked_urls_canonical_key_read_off_its_text_is_the_parsed_one() {
        let hosts = [
            "blog.example",
            "Blog.EXAMPLE",
            "user:p%40ss@blog.example",
            "a@b@blog.example",
            "блог.example",
            "xn--90abjk.example",
            "127.0.0.1",
            "[::1]",
            "[2001:db8::7]",
        ];
        let ports = ["", ":80", ":443", ":8080", ":0"];
        let paths = [
            "",
            "/",
            "/post/1",
            "/post/1/",
            "//x//",
            "/a;b=c/%2F?",
            "/пост",
            "/a%3Fb",
        ];
        let queries = [
            "",
            "?",
            "?utm_source=x",
            "?id=3&utm_medium=rss&fbclid=y",
            "?q=a+b&r=%26%3D",
            "?a&b=&=c",
            "?x=1?y=2",
            "?gclid=z&utm_=1&utmx=2",
        ];
        let fragments = ["", "#", "#top", "#a?b=c"];
        let mut checked = 0;
        for scheme in ["http", "https", "HTTPS"] {
            for host in hosts {
                for port in ports {
                    for path in paths {
                        for query in queries {
                            for fragment in fragments {
                                let raw = format!("{scheme}://{host}{port}{path}{query}{fragment}");
                                let Some(web) = WebUrl::parse(&raw, None) else {
                                    continue;
                                };
                                assert_eq!(
                                    canonical_web_link(&web),
                                    canonical_link(web.as_str()),
                                    "{raw} read as {web}"
                                );
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000, "{checked} URLs checked");
    }

    #[test]
    fn timeline_dedupes_filters_blocks_caps_and_hides_future() {
        let a = feed("a.xml");
        let mut b = feed("b.xml");
        b.max_entries = Some(1);
        let (ida, idb) = (a.id.as_str().to_string(), b.id.as_str().to_string());
        let with_link = |feed: &str, id: &str, day: u32, link: &str| {
            let mut e = stored(feed, id, day);
            e.link = Some(crate::entry::WebUrl::sample(link));
            e
        };
        let entries = vec![
            with_link(&ida, "a1", 3, "https://x.example/shared/"),
            with_link(&idb, "b1", 4, "http://x.example/shared?utm_medium=rss"),
            with_link(&idb, "b2", 2, "https://x.example/b2"),
            with_link(&ida, "a2", 5, "https://x.example/a2"),
            with_link(&idb, "spam", 8, "https://x.example/spam"),
            with_link(&idb, "future", 28, "https://x.example/future"),
        ];
        let blocklist = vec![Block {
            url: Some("https://x.example/spam/".into()),
            id: None,
            reason: "spam".into(),
        }];
        let feeds = vec![a, b];
        let filters = Filters::default();
        let now = Utc.with_ymd_and_hms(2025, 1, 20, 0, 0, 0).unwrap();
        let rules = Rules {
            now,
            feeds: &feeds,
            filters: &filters,
            blocklist: &blocklist,
        };
        let (shown, hidden) = timeline(entries, &rules);
        let ids: Vec<&str> = shown.iter().map(|e| e.id.as_str()).collect();
        // b's newest (b1) survives its cap, then is a duplicate of a1, which
        // is earlier: the post is shown once, at 3 Jan, crediting b.
        assert_eq!(ids, ["a2", "a1"]);
        assert_eq!(shown[1].also_in, vec![FeedId::from_stored(idb.clone())]);
        assert_eq!(
            hidden,
            Hidden {
                not_due: 1,
                blocked: 1,
                filtered: 0,
                duplicates: 1,
                over_max: 1
            }
        );
    }
}
