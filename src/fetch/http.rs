//! One feed over HTTP(S): the one reqwest client every request shares, a
//! request with its conditional-GET validators, redirects followed by hand
//! (at most [`MAX_REDIRECTS`], loops detected, the end of a chain of
//! permanent ones remembered as the feed's new address), retries of
//! transient failures with jittered backoff, and a body streamed under its
//! size cap. Slots come from the scheduler's [`Gate`] and time from the
//! feed's [`Budget`]. reqwest types never leave this file.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::budget::Budget;
use super::error::{FetchError, RetryAfter};
use super::schedule::{Gate, Permit};
use super::types::{Fetched, Validators};
use crate::config::FetchConfig;

/// Redirect hops followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// The host a URL's requests count against.
pub(super) fn host_key(url: &url::Url) -> String {
    url.host_str().unwrap_or_default().to_ascii_lowercase()
}

/// The HTTP client every request of a build shares (one connection pool).
pub(super) struct Client(reqwest::Client);

pub(super) fn build_client(config: &FetchConfig, user_agent: &str) -> Result<Client, FetchError> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(Duration::from_secs(config.timeout_secs.min(10)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map(Client)
        .map_err(|e| FetchError::Request {
            reason: format!("cannot build the HTTP client: {}", chain(&e)),
            source: Some(Arc::new(e)),
        })
}

pub(super) async fn get_with_retries(
    client: &Client,
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
    Client(client): &Client,
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
            return Err(FetchError::Connect {
                reason: format!("host {host} was given up: it does not answer"),
                source: None,
            });
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
                            FetchError::BadRedirect {
                                reason: format!("HTTP {status} without a Location header"),
                                source: None,
                            }
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
            Err(e @ (FetchError::Connect { .. } | FetchError::Timeout(_)))
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
            .map_err(|e| FetchError::BadRedirect {
                reason: format!("Location `{location}`: {e}"),
                source: Some(Arc::new(e)),
            })?;
        if !matches!(next.scheme(), "http" | "https") {
            return Err(FetchError::BadRedirect {
                reason: format!("to a non-HTTP URL `{next}`"),
                source: None,
            });
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
    Err(FetchError::TooManyRedirects(MAX_REDIRECTS))
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
        FetchError::Connect {
            reason: cause.to_string(),
            source: Some(Arc::new(e)),
        }
    } else {
        FetchError::Request {
            reason: chain(&e),
            source: Some(Arc::new(e)),
        }
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
}
