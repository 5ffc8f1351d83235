//! Getting every feed's bytes: HTTP(S) through one reqwest client on a tokio
//! runtime, local files (paths and `file://` URLs) from disk.
//!
//! All feeds are fetched concurrently, bounded twice: `fetch.concurrency`
//! requests in flight overall and `fetch.per_host` per host, so a planet with
//! many feeds on one host does not hammer it. Every request has a connect
//! timeout and a whole-request budget (`timeout_secs`); bodies are streamed
//! and refused past `max_body_mb` *after* decompression (a gzip bomb stops at
//! the cap). Bodies stay bytes — decoding is the next stage's job. reqwest and
//! tokio types never leave this module.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Semaphore;

use crate::config::{FeedConfig, FeedSource, FetchConfig};

/// A feed body as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub body: Vec<u8>,
    /// URL (or file path) the body finally came from, after redirects.
    pub final_url: String,
    /// `None` for local files.
    pub http_status: Option<u16>,
    /// `charset=` of the Content-Type, for the decoder.
    pub charset: Option<String>,
    /// Host the body came from, for the charset detector's TLD hint.
    pub host: Option<String>,
}

/// Why one feed could not be fetched. Never fatal to the build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Status { status: u16, reason: Option<String> },
    #[error("timed out after {0} s")]
    Timeout(u64),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("body larger than the {0} MB limit (fetch.max_body_mb)")]
    TooLarge(u64),
    #[error("request failed: {0}")]
    Request(String),
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    #[error("not fetched: --offline build")]
    Offline,
}

impl FetchError {
    /// The HTTP status behind this error, if there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The User-Agent planetoid identifies itself with unless configured.
pub fn default_user_agent(base_url: &str) -> String {
    format!("planetoid/{} (+{base_url})", env!("CARGO_PKG_VERSION"))
}

/// Fetches every feed; results are in the same order as `feeds`. With
/// `offline`, HTTP feeds are not requested (local files still are read).
pub fn fetch_all(
    feeds: &[FeedConfig],
    config: &FetchConfig,
    user_agent: &str,
    offline: bool,
) -> Vec<Result<Fetched, FetchError>> {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let err = FetchError::Request(format!("cannot start the network runtime: {e}"));
            return feeds.iter().map(|_| Err(err.clone())).collect();
        }
    };
    runtime.block_on(fetch_all_async(feeds, config, user_agent, offline))
}

async fn fetch_all_async(
    feeds: &[FeedConfig],
    config: &FetchConfig,
    user_agent: &str,
    offline: bool,
) -> Vec<Result<Fetched, FetchError>> {
    let client = match build_client(config, user_agent) {
        Ok(c) => c,
        Err(e) => return feeds.iter().map(|_| Err(e.clone())).collect(),
    };
    let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let jobs = feeds.iter().enumerate().map(|(i, feed)| {
        let limit = match &feed.source {
            FeedSource::Http(url) => Some(
                per_host
                    .entry(url.host_str().unwrap_or_default().to_ascii_lowercase())
                    .or_insert_with(|| Arc::new(Semaphore::new(config.per_host)))
                    .clone(),
            ),
            FeedSource::File(_) => None,
        };
        let client = client.clone();
        async move {
            let result = match &feed.source {
                FeedSource::File(path) => read_file(path, config.max_body_mb).await,
                FeedSource::Http(_) if offline => Err(FetchError::Offline),
                FeedSource::Http(url) => {
                    let _permit = match &limit {
                        Some(sem) => sem.acquire().await.ok(),
                        None => None,
                    };
                    get(&client, url.as_str(), config).await
                }
            };
            (i, result)
        }
    });
    let mut results: Vec<Option<Result<Fetched, FetchError>>> = vec![None; feeds.len()];
    let mut stream = futures::stream::iter(jobs).buffer_unordered(config.concurrency);
    while let Some((i, result)) = stream.next().await {
        results[i] = Some(result);
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(FetchError::Request("fetch did not complete".into()))))
        .collect()
}

fn build_client(config: &FetchConfig, user_agent: &str) -> Result<reqwest::Client, FetchError> {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(Duration::from_secs(config.timeout_secs.min(10)))
        .timeout(Duration::from_secs(config.timeout_secs))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .map_err(|e| FetchError::Request(format!("cannot build the HTTP client: {}", chain(&e))))
}

async fn get(
    client: &reqwest::Client,
    url: &str,
    config: &FetchConfig,
) -> Result<Fetched, FetchError> {
    let map_err = |e: reqwest::Error| {
        if e.is_timeout() {
            FetchError::Timeout(config.timeout_secs)
        } else if e.is_connect() {
            FetchError::Connect(chain(&e))
        } else {
            FetchError::Request(chain(&e))
        }
    };
    let mut response = client
        .get(url)
        .header(
            reqwest::header::ACCEPT,
            "application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        )
        .send()
        .await
        .map_err(map_err)?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            status: status.as_u16(),
            reason: status.canonical_reason().map(str::to_string),
        });
    }
    let charset = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(content_type_charset);
    let final_url = response.url().to_string();
    let host = response.url().host_str().map(str::to_string);
    let cap = config.max_body_mb * 1024 * 1024;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(map_err)? {
        if (body.len() + chunk.len()) as u64 > cap {
            return Err(FetchError::TooLarge(config.max_body_mb));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        body,
        final_url,
        http_status: Some(status.as_u16()),
        charset,
        host,
    })
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
        http_status: None,
        charset: None,
        host: None,
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
    fn charset_is_read_from_content_type() {
        assert_eq!(
            content_type_charset("text/xml; charset=\"windows-1251\"").as_deref(),
            Some("windows-1251")
        );
        assert_eq!(
            content_type_charset("application/rss+xml;Charset=KOI8-R").as_deref(),
            Some("KOI8-R")
        );
        assert_eq!(content_type_charset("application/xml"), None);
    }

    #[test]
    fn user_agent_identifies_planetoid_and_the_planet() {
        let ua = default_user_agent("https://planet.example.org/");
        assert!(ua.starts_with("planetoid/"), "{ua}");
        assert!(ua.ends_with("(+https://planet.example.org/)"), "{ua}");
    }
}
