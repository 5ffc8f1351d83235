//! What the fetch stage is asked and what it answers: one [`Request`] per
//! feed (its source, its validators, what was measured last time), and per
//! feed an [`Outcome`] holding the response as it arrived ([`Fetched`]) or
//! why there is none, plus the [`FetchSummary`] of the whole phase.

use std::time::Duration;

use super::error::FetchError;
use super::schedule::HostStats;
use crate::config::FeedSource;

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
