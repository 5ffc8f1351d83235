//! Getting every feed's bytes, politely: HTTP(S) through one reqwest client on
//! a tokio runtime, local files (paths and `file://` URLs) from disk.
//!
//! Requests run concurrently, bounded twice: `fetch.concurrency` requests
//! open overall and `fetch.per_host` open per host; [`schedule`] decides
//! which feed goes next (busiest hosts first) and gives up feeds still
//! waiting at the build deadline (`fetch.deadline_secs`) or queued on a host
//! that does not answer. Each feed gets one budget (`timeout_secs`, see
//! [`budget`]) from the moment its first request is sent, covering retries,
//! redirects and the body; waiting for a slot is not part of it. Bodies are
//! streamed and refused past `max_body_mb` *after* decompression (a gzip
//! bomb stops at the cap). Conditional GET uses the validators the store kept;
//! a 304 comes back as [`Fetched::not_modified`] with no body. Redirects are
//! followed by hand (at most 5, loops detected) so a permanent move (301/308)
//! is seen and reported. Transient failures (timeouts, resets, 5xx, 408, 429)
//! are retried with jittered backoff, at most `retries` times; a `Retry-After`
//! on 429/503 is returned to the caller to be remembered instead. reqwest and
//! tokio types never leave this module.

mod budget;
mod schedule;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::time::Instant;

use crate::config::{FeedSource, FetchConfig};
use budget::Budget;
use schedule::{Gate, Held, Job, Limits, Permit};
pub use schedule::{HostStats, Skip};

/// Redirect hops followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// Cache validators from an earlier response, sent back as a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One feed to fetch.
#[derive(Debug, Clone)]
pub struct Request {
    pub source: FeedSource,
    /// Sent as `If-None-Match` / `If-Modified-Since` when present.
    pub validators: Validators,
    /// How long this feed took last time, for the order of the queue.
    pub latency: Option<Duration>,
    /// Goes first on its host (it was skipped last build).
    pub first: bool,
}

impl Request {
    /// A feed with nothing known about it but its validators.
    pub fn new(source: FeedSource, validators: Validators) -> Request {
        Request {
            source,
            validators,
            latency: None,
            first: false,
        }
    }
}

/// One feed's result and how long its requests were open.
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<Fetched, FetchError>,
    /// Sent to last byte, over every request of the feed (redirects and
    /// retries, not the waits between them); `None` when nothing was sent.
    pub elapsed: Option<Duration>,
}

/// What the fetch phase as a whole did.
#[derive(Debug, Clone, Default)]
pub struct FetchSummary {
    /// From the first request to the last result.
    pub wall: Duration,
    /// Per host, busiest first.
    pub hosts: Vec<HostStats>,
}

/// A feed response as it arrived.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fetched {
    /// Empty when `not_modified`.
    pub body: Vec<u8>,
    /// True for a 304: the stored entries are current.
    pub not_modified: bool,
    /// URL (or file URL) the body finally came from, after redirects.
    pub final_url: String,
    /// `None` for local files.
    pub http_status: Option<u16>,
    /// The media type of the Content-Type (`text/html`, …), lower-cased.
    pub content_type: Option<String>,
    /// `charset=` of the Content-Type, for the decoder.
    pub charset: Option<String>,
    /// Host the body came from, for the charset detector's TLD hint.
    pub host: Option<String>,
    /// Validators of this response, for the next build's conditional GET.
    pub validators: Validators,
    /// Where a chain of permanent redirects (301/308) from the configured URL
    /// ends, when it does not end where it started.
    pub moved_to: Option<String>,
}

/// When a server asked us to come back later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    Seconds(u64),
    Date(DateTime<Utc>),
}

impl RetryAfter {
    /// The moment before which the feed must not be asked again.
    pub fn after(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            RetryAfter::Seconds(s) => now + chrono::Duration::seconds(s.min(30 * 24 * 3600) as i64),
            RetryAfter::Date(d) => d,
        }
    }
}

/// Why one feed could not be fetched. Never fatal to the build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Status {
        status: u16,
        reason: Option<String>,
        retry_after: Option<RetryAfter>,
    },
    #[error("HTTP 410 Gone: the feed was removed for good")]
    Gone,
    #[error("timed out after {0} s")]
    Timeout(u64),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("body larger than the {0} MB limit (fetch.max_body_mb)")]
    TooLarge(u64),
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("bad redirect: {0}")]
    BadRedirect(String),
    #[error("request failed: {0}")]
    Request(String),
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    /// Not asked in this build; not a failure of the feed.
    #[error(transparent)]
    Skipped(#[from] Skip),
}

impl FetchError {
    /// The HTTP status behind this error, if there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            FetchError::Gone => Some(410),
            _ => None,
        }
    }

    /// What the server said about when to come back, if anything.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Worth another try within this build.
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Status {
                status,
                retry_after: None,
                ..
            } => *status >= 500 || *status == 408 || *status == 429,
            FetchError::Connect(_) | FetchError::Request(_) => true,
            _ => false,
        }
    }
}

/// The User-Agent planetoid identifies itself with unless configured.
pub fn default_user_agent(base_url: &str) -> String {
    format!("planetoid/{} (+{base_url})", env!("CARGO_PKG_VERSION"))
}

/// Receives each result as soon as its feed is done, with its index in
/// `requests`, so the caller can process it while others download.
pub type Sink<'a> = &'a (dyn Fn(usize, Outcome, Slot) + Sync);

/// One of the `held` results [`fetch_each`] may have handed on and not yet
/// seen dropped: whoever processes a result drops its slot when done, and
/// no new feed starts while every slot is taken. Downloads on loopback
/// outrun parsing several times over; unbounded, every body of a
/// 2,000-feed planet waited in memory at once (250 MB). Waiting happens
/// before a feed starts (its time budget not yet running) and never
/// stalls the requests already in flight. The bound costs time where
/// downloads are faster than parsing (measured on loopback, 2,000 feeds,
/// against no bound, on a noisy machine: 288 slots +40% ingest time, 544
/// slots +17-41%; peak RSS 335 -> 160 MB).
pub struct Slot {
    _held: Option<Held>,
}

/// Tells [`fetch_each`] to stop early, from any thread: once stopped, no
/// further feed is started, the requests still open are dropped, and their
/// feeds get no result.
#[derive(Debug, Default)]
pub struct Stop {
    stopped: AtomicBool,
    wake: tokio::sync::Notify,
}

impl Stop {
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}

/// Fetches every request, handing each result to `sink` as it arrives;
/// at most `held` results are downloading or handed on at a time. Ends
/// early when `stop` is stopped.
pub fn fetch_each(
    requests: &[Request],
    config: &FetchConfig,
    user_agent: &str,
    held: usize,
    stop: &Stop,
    sink: Sink,
) -> FetchSummary {
    let started = std::time::Instant::now();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let err = FetchError::Request(format!("cannot start the network runtime: {e}"));
            fail_all(requests, &err, sink);
            return FetchSummary::default();
        }
    };
    let hosts = runtime.block_on(fetch_each_async(
        requests, config, user_agent, held, stop, sink,
    ));
    FetchSummary {
        wall: started.elapsed(),
        hosts,
    }
}

fn fail_all(requests: &[Request], err: &FetchError, sink: Sink) {
    for i in 0..requests.len() {
        let outcome = Outcome {
            result: Err(err.clone()),
            elapsed: None,
        };
        sink(i, outcome, Slot { _held: None });
    }
}

/// Fetches every request; results are in the same order as `requests`.
pub fn fetch_all(
    requests: &[Request],
    config: &FetchConfig,
    user_agent: &str,
) -> Vec<Result<Fetched, FetchError>> {
    let slots = std::sync::Mutex::new(vec![None; requests.len()]);
    let held = requests.len().max(1);
    fetch_each(
        requests,
        config,
        user_agent,
        held,
        &Stop::default(),
        &|i, outcome, _| {
            if let Ok(mut slots) = slots.lock() {
                slots[i] = Some(outcome.result);
            }
        },
    );
    slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(FetchError::Request("fetch did not complete".into()))))
        .collect()
}

/// The host a URL's requests count against.
fn host_key(url: &url::Url) -> String {
    url.host_str().unwrap_or_default().to_ascii_lowercase()
}

async fn fetch_each_async(
    requests: &[Request],
    config: &FetchConfig,
    user_agent: &str,
    held: usize,
    stop: &Stop,
    sink: Sink<'_>,
) -> Vec<HostStats> {
    let client = match build_client(config, user_agent) {
        Ok(c) => c,
        Err(e) => {
            fail_all(requests, &e, sink);
            return Vec::new();
        }
    };
    let jobs: Vec<Job> = requests
        .iter()
        .map(|r| Job {
            host: match &r.source {
                FeedSource::Http(url) => Some(host_key(url)),
                FeedSource::File(_) => None,
            },
            latency: r.latency,
            first: r.first,
        })
        .collect();
    let gate = Gate::new(
        &jobs,
        Limits {
            concurrency: config.concurrency,
            per_host: config.per_host,
            held: held.max(1),
        },
    );
    let deadline = Instant::now() + Duration::from_secs(config.deadline_secs);
    let mut past_deadline = false;
    let mut left = requests.len();
    let mut running = FuturesUnordered::new();
    while left > 0 {
        for (i, reason) in gate.take_skipped() {
            let outcome = Outcome {
                result: Err(FetchError::Skipped(reason)),
                elapsed: None,
            };
            sink(i, outcome, Slot { _held: None });
            left -= 1;
        }
        if stop.is_stopped() {
            break;
        }
        for (start, held) in gate.dispatch() {
            let request = &requests[start.index];
            running.push(run(start, held, request, &client, config, &gate));
        }
        if left == 0 {
            break;
        }
        tokio::select! {
            Some((i, outcome, held)) = running.next(), if !running.is_empty() => {
                sink(i, outcome, Slot { _held: Some(held) });
                left -= 1;
            }
            () = gate.changed() => {}
            () = stop.wake.notified() => {}
            () = tokio::time::sleep_until(deadline), if !past_deadline => {
                past_deadline = true;
                gate.deadline();
            }
        }
    }
    gate.stats()
}

/// One feed from its first request to its result.
async fn run(
    start: schedule::Start,
    held: Held,
    request: &Request,
    client: &reqwest::Client,
    config: &FetchConfig,
    gate: &Arc<Gate>,
) -> (usize, Outcome, Held) {
    let (result, elapsed) = match &request.source {
        FeedSource::File(path) => {
            let result = read_file(path, config.max_body_mb).await;
            drop(start.permit);
            (result, None)
        }
        FeedSource::Http(url) => {
            let mut budget = Budget::new(start.index, config.timeout_secs);
            let result = get_with_retries(
                client,
                url,
                &request.validators,
                config,
                gate,
                start.permit,
                &mut budget,
            )
            .await;
            (result, Some(budget.open))
        }
    };
    (start.index, Outcome { result, elapsed }, held)
}

fn build_client(config: &FetchConfig, user_agent: &str) -> Result<reqwest::Client, FetchError> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(Duration::from_secs(config.timeout_secs.min(10)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| FetchError::Request(format!("cannot build the HTTP client: {}", chain(&e))))
}

async fn get_with_retries(
    client: &reqwest::Client,
    url: &url::Url,
    validators: &Validators,
    config: &FetchConfig,
    gate: &Arc<Gate>,
    permit: Permit,
    budget: &mut Budget,
) -> Result<Fetched, FetchError> {
    let mut permit = Some(permit);
    let mut attempt = 0;
    loop {
        let result =
            get_following_redirects(client, url, validators, config, gate, &mut permit, budget)
                .await;
        match result {
            Err(e) if e.is_transient() && attempt < config.retries => {
                // The slot is not held while backing off.
                drop(permit.take());
                if !budget.pause(backoff(attempt, url.as_str())).await {
                    return Err(e);
                }
                permit = gate.again(&host_key(url)).await;
                if permit.is_none() {
                    // Its host was given up meanwhile.
                    return Err(e);
                }
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// 0.5 s, 1 s, 2 s … each scaled by a jitter in [0.5, 1.5) so that many
/// planets (or many feeds of one host) do not retry in lock-step.
fn backoff(attempt: u32, seed: &str) -> Duration {
    let base = 500u64.saturating_mul(1 << attempt.min(6));
    let mut hasher = blake3::Hasher::new();
    hasher.update(seed.as_bytes());
    hasher.update(&attempt.to_le_bytes());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    hasher.update(&nanos.to_le_bytes());
    let bytes = hasher.finalize();
    let jitter = u16::from_le_bytes([bytes.as_bytes()[0], bytes.as_bytes()[1]]) as u64; // 0..65535
    Duration::from_millis(base / 2 + base * jitter / 65536)
}

/// What one request led to.
enum Hop {
    Redirect { status: u16, location: String },
    Done(Fetched),
}

async fn get_following_redirects(
    client: &reqwest::Client,
    start: &url::Url,
    validators: &Validators,
    config: &FetchConfig,
    gate: &Arc<Gate>,
    permit: &mut Option<Permit>,
    budget: &mut Budget,
) -> Result<Fetched, FetchError> {
    let mut url = start.clone();
    let mut seen = HashSet::from([url.to_string()]);
    // The end of the chain of permanent redirects from the configured URL.
    let mut permanent: Option<url::Url> = None;
    let mut still_permanent = true;
    for _ in 0..=MAX_REDIRECTS {
        // A redirect to the same host keeps its slot; to another host, it
        // waits for one there (outside the budget).
        let host = host_key(&url);
        if !permit.as_ref().is_some_and(|p| p.is_for(&host)) {
            *permit = None;
            *permit = gate.again(&host).await;
        }
        let Some(slot) = permit.as_ref() else {
            return Err(FetchError::Connect(format!(
                "host {host} was given up: it does not answer"
            )));
        };
        let moved_to = permanent
            .as_ref()
            .filter(|p| *p != start)
            .map(|p| p.to_string());
        let heard = AtomicBool::new(false);
        let hop = budget
            .request(slot, async {
                let mut request = client.get(url.clone()).header(
                    reqwest::header::ACCEPT,
                    "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
                );
                if let Some(etag) = &validators.etag {
                    request = request.header(reqwest::header::IF_NONE_MATCH, etag);
                }
                if let Some(date) = &validators.last_modified {
                    request = request.header(reqwest::header::IF_MODIFIED_SINCE, date);
                }
                let response = request.send().await.map_err(request_error)?;
                heard.store(true, Ordering::Relaxed);
                gate.heard_from(&host);
                let status = response.status().as_u16();
                if matches!(status, 301 | 302 | 303 | 307 | 308) {
                    let location = response
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .ok_or_else(|| {
                            FetchError::BadRedirect(format!(
                                "HTTP {status} without a Location header"
                            ))
                        })?;
                    return Ok(Hop::Redirect {
                        status,
                        location: location.to_string(),
                    });
                }
                read_response(response, config, moved_to).await.map(Hop::Done)
            })
            .await;
        let hop = match hop {
            Err(e @ (FetchError::Connect(_) | FetchError::Timeout(_)))
                if !heard.load(Ordering::Relaxed) =>
            {
                gate.unreachable(&host, budget.feed, &e.to_string());
                return Err(e);
            }
            other => other?,
        };
        let (status, location) = match hop {
            Hop::Done(fetched) => return Ok(fetched),
            Hop::Redirect { status, location } => (status, location),
        };
        let next = url
            .join(location.trim())
            .map_err(|e| FetchError::BadRedirect(format!("Location `{location}`: {e}")))?;
        if !matches!(next.scheme(), "http" | "https") {
            return Err(FetchError::BadRedirect(format!(
                "to a non-HTTP URL `{next}`"
            )));
        }
        if !seen.insert(next.to_string()) {
            return Err(FetchError::RedirectLoop(next.to_string()));
        }
        if still_permanent && matches!(status, 301 | 308) {
            permanent = Some(next.clone());
        } else {
            still_permanent = false;
        }
        url = next;
    }
    Err(FetchError::TooManyRedirects)
}

async fn read_response(
    mut response: reqwest::Response,
    config: &FetchConfig,
    moved_to: Option<String>,
) -> Result<Fetched, FetchError> {
    let status = response.status();
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let validators = Validators {
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let retry_after = header(reqwest::header::RETRY_AFTER).and_then(|v| parse_retry_after(&v));
    let final_url = response.url().to_string();
    let host = response.url().host_str().map(str::to_string);
    if status.as_u16() == 304 {
        return Ok(Fetched {
            not_modified: true,
            final_url,
            http_status: Some(304),
            host,
            validators,
            moved_to,
            ..Fetched::default()
        });
    }
    if status.as_u16() == 410 {
        return Err(FetchError::Gone);
    }
    if !status.is_success() {
        return Err(FetchError::Status {
            status: status.as_u16(),
            reason: status.canonical_reason().map(str::to_string),
            retry_after: retry_after.filter(|_| matches!(status.as_u16(), 429 | 503)),
        });
    }
    let cap = config.max_body_mb * 1024 * 1024;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(request_error)? {
        if (body.len() + chunk.len()) as u64 > cap {
            return Err(FetchError::TooLarge(config.max_body_mb));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        body,
        not_modified: false,
        final_url,
        http_status: Some(status.as_u16()),
        charset: content_type.as_deref().and_then(content_type_charset),
        content_type: content_type.as_deref().map(media_type),
        host,
        validators,
        moved_to,
    })
}

fn request_error(e: reqwest::Error) -> FetchError {
    if e.is_connect() {
        // The innermost cause says it best: "Connection refused (os error 111)",
        // "failed to lookup address information: …", "invalid peer certificate: …".
        let mut cause: &dyn std::error::Error = &e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        FetchError::Connect(cause.to_string())
    } else {
        FetchError::Request(chain(&e))
    }
}

/// `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`.
fn parse_retry_after(value: &str) -> Option<RetryAfter> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(RetryAfter::Seconds(seconds));
    }
    DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|d| RetryAfter::Date(d.with_timezone(&Utc)))
}

async fn read_file(path: &Path, max_body_mb: u64) -> Result<Fetched, FetchError> {
    let err = |reason: String| FetchError::File {
        path: path.display().to_string(),
        reason,
    };
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| err(e.to_string()))?;
    if meta.len() > max_body_mb * 1024 * 1024 {
        return Err(FetchError::TooLarge(max_body_mb));
    }
    let body = tokio::fs::read(path)
        .await
        .map_err(|e| err(e.to_string()))?;
    let final_url = url::Url::from_file_path(path)
        .map(|u| u.to_string())
        .unwrap_or_else(|()| path.display().to_string());
    Ok(Fetched {
        body,
        final_url,
        ..Fetched::default()
    })
}

/// `text/xml; charset="windows-1251"` → `windows-1251`.
fn content_type_charset(value: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|param| {
        let (key, val) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| val.trim().trim_matches(['"', '\'']).to_string())
            .filter(|v| !v.is_empty())
    })
}

/// `Text/HTML; charset=utf-8` → `text/html`.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// An error and its causes on one line ("error sending request: connection refused").
fn chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_and_media_type_are_read_from_content_type() {
        assert_eq!(
            content_type_charset("text/xml; charset=\"windows-1251\"").as_deref(),
            Some("windows-1251")
        );
        assert_eq!(
            content_type_charset("application/rss+xml;Charset=KOI8-R").as_deref(),
            Some("KOI8-R")
        );
        assert_eq!(content_type_charset("application/xml"), None);
        assert_eq!(media_type("Text/HTML; charset=utf-8"), "text/html");
    }

    #[test]
    fn user_agent_identifies_planetoid_and_the_planet() {
        let ua = default_user_agent("https://planet.example.org/");
        assert!(ua.starts_with("planetoid/"), "{ua}");
        assert!(ua.ends_with("(+https://planet.example.org/)"), "{ua}");
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .expect("date");
        assert_eq!(
            parse_retry_after("120")
                .map(|r| r.after(now).to_rfc3339())
                .as_deref(),
            Some("2025-01-01T00:02:00+00:00")
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT")
                .map(|r| r.after(now).to_rfc3339())
                .as_deref(),
            Some("2026-10-21T07:28:00+00:00")
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn backoff_grows_and_is_jittered_within_bounds() {
        for attempt in 0..4 {
            let base = 500u64 << attempt;
            let d = backoff(attempt, "https://x.example/feed").as_millis() as u64;
            assert!(
                (base / 2..base * 3 / 2).contains(&d),
                "attempt {attempt}: {d} ms"
            );
        }
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let status = |s: u16, retry_after| FetchError::Status {
            status: s,
            reason: None,
            retry_after,
        };
        assert!(status(500, None).is_transient());
        assert!(status(503, None).is_transient());
        assert!(status(408, None).is_transient());
        assert!(status(429, None).is_transient());
        assert!(
            !status(429, Some(RetryAfter::Seconds(60))).is_transient(),
            "Retry-After is remembered, not retried"
        );
        assert!(!status(404, None).is_transient());
        assert!(!FetchError::Gone.is_transient());
        assert!(!FetchError::TooLarge(1).is_transient());
        assert!(FetchError::Connect("reset".into()).is_transient());
    }
}
