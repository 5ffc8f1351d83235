//! What the planet remembers about each feed between builds: its health
//! ([`FeedStatus`]) and last known state ([`FeedState`]). The store reads
//! and writes it; ingest plans the next fetch from it (validators, backoff,
//! queue order); the report and the site show it. It lives apart from all
//! of them so that each can use it without depending on another.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::entry::FeedMeta;
use crate::fetch::Validators;

/// A feed's health, as of the last build that looked at it. Serialized
/// (health.json, the theme) as its [`FeedStatus::as_str`] name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedStatus {
    /// The last fetch worked.
    Ok,
    /// The last fetch failed, but entries from an earlier success are kept.
    Stale,
    /// The last fetch failed and nothing was ever read from this feed.
    Failed,
    /// The server said 410 Gone: entries are kept, the feed is not asked again.
    Gone,
    /// Not asked in the last build (build deadline, or its host was not
    /// answering): entries are kept, it is not a failure, and it goes first
    /// on its host next build.
    Skipped,
}

impl FeedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedStatus::Ok => "ok",
            FeedStatus::Stale => "stale",
            FeedStatus::Failed => "failed",
            FeedStatus::Gone => "gone",
            FeedStatus::Skipped => "skipped",
        }
    }

    /// The status [`FeedStatus::as_str`] names; anything else reads as
    /// `Failed`.
    pub(crate) fn parse(s: &str) -> FeedStatus {
        match s {
            "ok" => FeedStatus::Ok,
            "stale" => FeedStatus::Stale,
            "gone" => FeedStatus::Gone,
            "skipped" => FeedStatus::Skipped,
            _ => FeedStatus::Failed,
        }
    }
}

impl std::fmt::Display for FeedStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// What the store remembers about one feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedState {
    pub meta: FeedMeta,
    pub status: FeedStatus,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// Entries of this feed in the store.
    pub entries: usize,
    /// Validators of the last good response, for conditional GET.
    pub validators: Validators,
    /// The server asked not to be asked again before this time.
    pub retry_after: Option<DateTime<Utc>>,
    /// Where permanent redirects (301/308) now lead.
    pub moved_to: Option<String>,
    /// A feed URL the failing page advertised (`<link rel="alternate">`).
    pub hint: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// The last attempt was answered 304 Not Modified.
    pub not_modified: bool,
    /// The encoding the last fetched document was read in.
    pub encoding: Option<String>,
    /// What was repaired to read the last fetched document (kept through
    /// 304s and failures: they describe the entries the store holds).
    pub warnings: Vec<String>,
    /// How long the feed's requests took the last time it was fetched.
    pub latency: Option<std::time::Duration>,
}
