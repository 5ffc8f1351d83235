//! Getting every feed's bytes, politely: HTTP(S) through one reqwest client on
//! a tokio runtime, local files (paths and `file://` URLs) from disk.
//!
//! All requests run concurrently, bounded twice: `fetch.concurrency` in flight
//! overall and `fetch.per_host` per host. Each feed gets one whole-request
//! budget (`timeout_secs`) covering retries, redirects and the body; bodies
//! are streamed and refused past `max_body_mb` *after* decompression (a gzip
//! bomb stops at the cap). Conditional GET uses the validators the store kept;
//! a 304 comes back as [`Fetched::not_modified`] with no body. Redirects are
//! followed by hand (at most 5, loops detected) so a permanent move (301/308)
//! is seen and reported. Transient failures (timeouts, resets, 5xx, 408, 429)
//! are retried with jittered backoff, at most `retries` times; a `Retry-After`
//! on 429/503 is returned to the caller to be remembered instead. reqwest and
//! tokio types never leave this module.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::config::{FeedSource, FetchConfig};

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

/// Receives each result as soon as its request completes, with its index
/// in `requests` (so the caller can process it while others download) and
/// its response time: from the request's start (its slot taken) to the
/// whole body read or the failure, retries and redirects included.
pub type Sink<'a> = &'a (dyn Fn(usize, Result<Fetched, FetchError>, Duration, Slot) + Sync);

/// One of the `held` results [`fetch_each`] may have handed on and not yet
/// seen dropped: whoever processes a result drops its slot when done, and
/// no new request starts while every slot is taken. Downloads on loopback
/// outrun parsing several times over; unbounded, every body of a
/// 2,000-feed planet waited in memory at once (250 MB). Waiting happens
/// before a request starts (its time budget not yet running) and never
/// stalls the requests already in flight. The bound costs time where
/// downloads are faster than parsing (measured on loopback, 2,000 feeds,
/// against no bound, on a noisy machine: 288 slots +40% ingest time, 544
/// slots +17-41%; peak RSS 335 -> 160 MB).
pub struct Slot {
    _permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// Fetches every request, handing each result to `sink` as it arrives;
/// at most `held` results are downloading or handed on at a time.
pub fn fetch_each(
    requests: &[Request],
    config: &FetchConfig,
    user_agent: &str,
    held: usize,
    sink: Sink,
) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let err = FetchError::Request(format!("cannot start the network runtime: {e}"));
            for i in 0..requests.len() {
                sink(i, Err(err.clone()), Duration::ZERO, Slot { _permit: None });
            }
            return;
        }
    };
    runtime.block_on(fetch_each_async(requests, config, user_agent, held, sink));
}

/// Fetches every request; results are in the same order as `requests`.
pub fn fetch_all(
    requests: &[Request],
    config: &FetchConfig,
    user_agent: &str,
) -> Vec<Result<Fetched, FetchError>> {
    let slots = std::sync::Mutex::new(vec![None; requests.len()]);
    let held = requests.len().max(1);
    fetch_each(requests, config, user_agent, held, &|i, result, _, _| {
        if let Ok(mut slots) = slots.lock() {
            slots[i] = Some(result);
        }
    });
    slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(FetchError::Request("fetch did not complete".into()))))
        .collect()
}

async fn fetch_each_async(
    requests: &[Request],
    config: &FetchConfig,
    user_agent: &str,
    held: usize,
    sink: Sink<'_>,
) {
    let client = match build_client(config, user_agent) {
        Ok(c) => c,
        Err(e) => {
            for i in 0..requests.len() {
                sink(i, Err(e.clone()), Duration::ZERO, Slot { _permit: None });
            }
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(held.max(1)));
    let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let jobs = requests.iter().enumerate().map(|(i, request)| {
        let limit = match &request.source {
            FeedSource::Http(url) => Some(
                per_host
                    .entry(url.host_str().unwrap_or_default().to_ascii_lowercase())
                    .or_insert_with(|| Arc::new(Semaphore::new(config.per_host)))
                    .clone(),
            ),
            FeedSource::File(_) => None,
        };
        let client = client.clone();
        let slots = slots.clone();
        async move {
            // Never closed, so this always yields a permit.
            let slot = Slot {
                _permit: slots.acquire_owned().await.ok(),
            };
            let started = Instant::now();
            // Time spent asking, retries and redirects included, but not
            // waiting for the host's limit or between retries.
            let asking = std::sync::Mutex::new(Duration::ZERO);
            let result = match &request.source {
                FeedSource::File(path) => read_file(path, config.max_body_mb).await,
                FeedSource::Http(url) => {
                    let budget = Duration::from_secs(config.timeout_secs);
                    let deadline = Instant::now() + budget;
                    match tokio::time::timeout_at(
                        deadline,
                        get_with_retries(
                            &client,
                            url,
                            &request.validators,
                            config,
                            limit.as_deref(),
                            deadline,
                            &asking,
                        ),
                    )
                    .await
                    {
                        Ok(result) => result,
                        Err(_) => Err(FetchError::Timeout(config.timeout_secs)),
                    }
                }
            };
            let elapsed = match &request.source {
                FeedSource::File(_) => started.elapsed(),
                FeedSource::Http(_) => asking.into_inner().unwrap_or_default(),
            };
            (i, result, elapsed, slot)
        }
    });
    let mut stream = futures::stream::iter(jobs).buffer_unordered(config.concurrency);
    while let Some((i, result, elapsed, slot)) = stream.next().await {
        sink(i, result, elapsed, slot);
    }
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
    limit: Option<&Semaphore>,
    deadline: Instant,
    asking: &std::sync::Mutex<Duration>,
) -> Result<Fetched, FetchError> {
    let mut attempt = 0;
    loop {
        let result = {
            // The configured host's limit; a redirect to another host still
            // counts against it, so one feed never opens more than that.
            let _permit = match limit {
                Some(sem) => sem.acquire().await.ok(),
                None => None,
            };
            let _timer = Timer::new(asking);
            get_following_redirects(client, url, validators, config).await
        };
        match result {
            Err(e) if e.is_transient() && attempt < config.retries => {
                let wait = backoff(attempt, url.as_str());
                if Instant::now() + wait >= deadline {
                    return Err(e);
                }
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Adds the time until it is dropped to a total: the request's own time
/// is counted even when the feed's time budget cuts it off.
struct Timer<'a> {
    started: Instant,
    total: &'a std::sync::Mutex<Duration>,
}

impl<'a> Timer<'a> {
    fn new(total: &'a std::sync::Mutex<Duration>) -> Self {
        Timer {
            started: Instant::now(),
            total,
        }
    }
}

impl Drop for Timer<'_> {
    fn drop(&mut self) {
        if let Ok(mut total) = self.total.lock() {
            *total += self.started.elapsed();
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

async fn get_following_redirects(
    client: &reqwest::Client,
    start: &url::Url,
    validators: &Validators,
    config: &FetchConfig,
) -> Result<Fetched, FetchError> {
    let mut url = start.clone();
    let mut seen = HashSet::from([url.to_string()]);
    // The end of the chain of permanent redirects from the configured URL.
    let mut permanent: Option<url::Url> = None;
    let mut still_permanent = true;
    for _ in 0..=MAX_REDIRECTS {
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
        let status = response.status().as_u16();
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    FetchError::BadRedirect(format!("HTTP {status} without a Location header"))
                })?;
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
            continue;
        }
        let moved_to = permanent.filter(|p| p != start).map(|p| p.to_string());
        return read_response(response, config, moved_to).await;
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
