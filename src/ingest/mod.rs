//! From the network to what the store should learn, feed by feed: decide
//! which feeds to ask (and with which validators), then decode, parse and
//! sanitize each response *while the others are still downloading* — every
//! completed download becomes a rayon task at once.
//!
//! Entries whose raw content did not change since they were stored (same
//! raw hash, same sanitizing policy) are not sanitized again and not
//! rewritten; a 304 skips decoding, parsing and sanitizing entirely. One
//! feed's failure becomes a [`Failure`] record, never an abort. Ingest owns
//! the records it produces ([`record`]) and reads the store only through
//! [`StoredEntries`], which the store implements.

mod record;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;

use chrono::{DateTime, Utc};

use crate::config::{Config, ContentMode, FeedConfig, FeedSource};
use crate::entry::{CleanEntry, Entry, FeedId, WebUrl};
use crate::feed_state::{FeedState, FeedStatus};
use crate::fetch::{self, FetchError, Fetched, Request, Validators};
use crate::progress::Progress;
use crate::{BuildOptions, decode, discover, keys, parse, sanitize};
pub use record::{Failure, FeedRecord, FeedUpdate};

/// What ingest reads from the store while it works, from any thread.
pub trait StoredEntries: Sync {
    type Error;

    /// The raw hashes of a feed's stored entries, by entry id.
    fn raw_hashes(&self, feed: &FeedId) -> Result<HashMap<String, String>, Self::Error>;
}

/// Fetches the feeds that should be fetched and sends every result, as a
/// record for the store, to `records` as soon as it is ready (from any
/// thread, in completion order); feeds not fetched get `Untouched` at the
/// end. Every configured feed gets exactly one record, unless `records`
/// closes: then no further feed is fetched or processed and gather returns
/// at once (whoever closed it has the error to report). Stored raw hashes
/// are read only for feeds that sent new content. Returns what the fetch
/// phase did, host by host.
pub fn gather(
    config: &Config,
    states: &HashMap<FeedId, FeedState>,
    stored: &impl StoredEntries,
    now: DateTime<Utc>,
    opts: &BuildOptions,
    records: SyncSender<FeedRecord>,
) -> fetch::FetchSummary {
    let planned: Vec<(usize, Request)> = config
        .feeds
        .iter()
        .enumerate()
        .filter_map(|(i, f)| plan(f, states.get(&f.id), now, opts).map(|r| (i, r)))
        .collect();
    let requests: Vec<Request> = planned.iter().map(|(_, r)| r.clone()).collect();
    let user_agent = fetch::user_agent(config);
    let progress = Progress::new(requests.len(), opts.verbosity);
    let record = |feed: &FeedConfig, update: FeedUpdate, latency| FeedRecord {
        id: feed.id.clone(),
        url: feed.url.clone(),
        update,
        date_policy: feed.date_policy,
        future_dates: feed.future_dates.unwrap_or(config.future_dates),
        latency,
    };
    let stop = fetch::Stop::default();
    let send = |record: FeedRecord| {
        if records.send(record).is_err() {
            stop.stop();
        }
    };
    let done: Vec<AtomicBool> = config
        .feeds
        .iter()
        .map(|_| AtomicBool::new(false))
        .collect();
    let sanitizer = sanitize::Sanitizer::new(&config.sanitize.iframe_hosts);
    let sanitizer = &sanitizer;
    // `in_place_scope`, not `scope`: the fetch driver below blocks for the
    // whole download, and run inside the pool (as `scope` would run it when
    // called from outside) it would hold one of the workers that sanitize.
    let summary = rayon::in_place_scope(|scope| {
        // Downloads in flight plus a queue deep enough that the cores never
        // wait for the network, and shallow enough to bound memory (~64 MB
        // of feeds of the usual size); see `fetch::Slot`.
        let held = config.fetch.concurrency + 512;
        fetch::fetch_each(
            &requests,
            &config.fetch,
            &user_agent,
            held,
            &stop,
            &|i, fetch::Outcome { result, elapsed }, slot| {
                let Some((index, _)) = planned.get(i) else {
                    return;
                };
                if stop.is_stopped() {
                    return;
                }
                let feed = &config.feeds[*index];
                report(&progress, feed, &result);
                let (done, record, send, stop) = (&done, &record, &send, &stop);
                let shown = Shown {
                    mode: feed.content,
                    excerpt_words: config.excerpt_words,
                    iframe_hosts: &config.sanitize.iframe_hosts,
                    sanitizer,
                };
                scope.spawn(move |_| {
                    if stop.is_stopped() {
                        return;
                    }
                    let changed = matches!(&result, Ok(f) if !f.not_modified);
                    // An unreadable store here means sanitizing this feed's
                    // entries again; the store's writer reports the store.
                    let known = if changed {
                        stored.raw_hashes(&feed.id).unwrap_or_default()
                    } else {
                        HashMap::new()
                    };
                    let update = ingest(result, now, &known, &shown);
                    drop(slot);
                    send(record(feed, update, elapsed));
                    done[*index].store(true, Ordering::Relaxed);
                });
            },
        )
    });
    progress.finish();
    for (feed, done) in config.feeds.iter().zip(&done) {
        if stop.is_stopped() {
            break;
        }
        if !done.load(Ordering::Relaxed) {
            send(record(feed, FeedUpdate::Untouched, None));
        }
    }
    summary
}

fn report(progress: &Progress, feed: &FeedConfig, result: &Result<Fetched, FetchError>) {
    let name = feed.name.as_deref().unwrap_or(&feed.url);
    match result {
        Ok(f) if f.not_modified => progress.feed_done(name, &feed.url, "not modified (304)", None),
        Ok(f) => progress.feed_done(
            name,
            &feed.url,
            &format!("fetched {} bytes", f.body.len()),
            None,
        ),
        Err(FetchError::Skipped(why)) => {
            progress.feed_done(name, &feed.url, &format!("skipped: {why}"), None)
        }
        Err(e) => progress.feed_done(name, &feed.url, "", Some(&e.to_string())),
    }
}

/// Whether to fetch a feed in this build, and how. `None` leaves it to its
/// stored state: disabled feeds, offline builds, feeds that answered 410
/// Gone (unless `--retry-gone`), and feeds whose `Retry-After` has not
/// passed yet. Validators are sent only when the store holds the feed's
/// entries, so a 304 can never leave a feed empty. A feed skipped last
/// build goes first on its host; its last latency orders the queue.
fn plan(
    feed: &FeedConfig,
    state: Option<&FeedState>,
    now: DateTime<Utc>,
    opts: &BuildOptions,
) -> Option<Request> {
    if !feed.enabled {
        return None;
    }
    if let FeedSource::Http(_) = feed.source {
        let gone = state.is_some_and(|s| s.status == FeedStatus::Gone);
        let waiting = state.and_then(|s| s.retry_after).is_some_and(|t| t > now);
        if opts.offline || (gone && !opts.retry_gone) || waiting {
            return None;
        }
    }
    let validators = match state {
        Some(s) if s.entries > 0 => s.validators.clone(),
        _ => Validators::default(),
    };
    Some(Request {
        source: feed.source.clone(),
        validators,
        latency: state.and_then(|s| s.latency),
        first: state.is_some_and(|s| s.status == FeedStatus::Skipped),
    })
}

/// The failure of a URL that serves an HTML page (the page's advertised
/// feed, if any, is the failure's hint).
pub(crate) const NOT_A_FEED_PAGE: &str = "not a feed (HTML page)";

/// How a feed's entries are shown: its `content:` mode, the planet's excerpt
/// length and iframe allow-list, and the planet's sanitizer.
pub(crate) struct Shown<'a> {
    pub mode: ContentMode,
    pub excerpt_words: usize,
    pub iframe_hosts: &'a [String],
    pub sanitizer: &'a sanitize::Sanitizer,
}

/// One feed's fetch result → what the store should learn: decode, parse and
/// sanitize, or the reason it failed. `known`: raw hashes of this feed's
/// stored entries; unchanged entries are left out of the update.
pub(crate) fn ingest(
    fetched: Result<Fetched, FetchError>,
    now: DateTime<Utc>,
    known: &HashMap<String, String>,
    shown: &Shown,
) -> FeedUpdate {
    let fetched = match fetched {
        Ok(f) if f.not_modified => {
            return FeedUpdate::NotModified {
                validators: f.validators,
                moved_to: f.moved_to,
            };
        }
        Ok(f) => f,
        Err(FetchError::Skipped(why)) => {
            return FeedUpdate::Skipped {
                reason: why.to_string(),
            };
        }
        Err(e) => {
            return FeedUpdate::Failed(Failure {
                http_status: e.http_status(),
                error: e.to_string(),
                hint: None,
                retry_after: e.retry_after().map(|r| r.after(now)),
                gone: matches!(e, FetchError::Gone),
            });
        }
    };
    let text = decode::decode(
        &fetched.body,
        fetched.charset.as_deref(),
        fetched.host.as_deref(),
    );
    let failure = |error: String, hint: Option<String>| {
        FeedUpdate::Failed(Failure {
            http_status: fetched.http_status,
            error,
            hint,
            ..Failure::default()
        })
    };
    if discover::is_html_page(fetched.content_type.as_deref(), &text.text) {
        let hint = discover::advertised_feed(&text.text, &fetched.final_url);
        return failure(NOT_A_FEED_PAGE.to_string(), hint);
    }
    let parsed = match parse::parse(&text.text, &fetched.final_url) {
        Ok(p) => p,
        Err(e) => return failure(e.to_string(), None),
    };
    let entries = parsed
        .entries
        .into_iter()
        .filter_map(|e| {
            let raw_hash = keys::raw_hash(&e, shown.mode, shown.excerpt_words, shown.iframe_hosts);
            (known.get(&e.id) != Some(&raw_hash)).then(|| clean_entry(e, raw_hash, shown))
        })
        .collect();
    // What the bytes needed, then what the document needed.
    let mut warnings = parse::Warnings::default();
    warnings.extend(text.warnings);
    warnings.append(parsed.warnings);
    FeedUpdate::Fresh {
        meta: parsed.meta,
        entries,
        http_status: fetched.http_status,
        validators: fetched.validators,
        moved_to: fetched.moved_to,
        encoding: text.encoding.to_string(),
        warnings: warnings.messages(),
    }
}

/// Sanitizes what the feed's `content:` mode shows: the full body, an
/// excerpt (the summary, else the body, cut to `excerpt_words` words on the
/// DOM), or nothing.
fn clean_entry(e: Entry, raw_hash: String, shown: &Shown) -> CleanEntry {
    let base = e.base_url.as_deref();
    let body = match shown.mode {
        ContentMode::Full => shown
            .sanitizer
            .clean(e.body_html.as_deref().unwrap_or(""), base),
        ContentMode::Summary => {
            let source = e.summary_html.as_deref().or(e.body_html.as_deref());
            let full = shown.sanitizer.clean(source.unwrap_or(""), base);
            shown.sanitizer.excerpt(&full, shown.excerpt_words)
        }
        ContentMode::Title => sanitize::SafeHtml::default(),
    };
    let mut hash = blake3::Hasher::new();
    for part in [
        e.title.as_str(),
        e.link.as_ref().map_or("", WebUrl::as_str),
        body.as_str(),
    ] {
        hash.update(part.as_bytes());
        hash.update(b"\0");
    }
    for c in &e.categories {
        hash.update(c.as_bytes());
        hash.update(b"\0");
    }
    for enc in &e.enclosures {
        hash.update(enc.url.as_str().as_bytes());
        hash.update(b"\0");
    }
    CleanEntry {
        id: e.id,
        title: e.title,
        link: e.link,
        author: e.author,
        published: e.published,
        updated: e.updated,
        body,
        categories: e.categories,
        enclosures: e.enclosures,
        content_hash: hash.finalize().to_hex().to_string(),
        raw_hash,
    }
}

#[cfg(test)]
mod tests;
