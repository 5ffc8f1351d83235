//! What ingest produces: one [`FeedRecord`] per configured feed, saying
//! what this build learned about it ([`FeedUpdate`]: fresh entries, a 304,
//! a [`Failure`], a skip, or nothing). The store writes these; `check` and
//! `add` show them without storing anything.

use chrono::{DateTime, Utc};

use crate::entry::{CleanEntry, DatePolicy, FeedId, FeedMeta, FutureDates};
use crate::fetch::Validators;

/// What this build learned about one feed, to be written in one transaction.
#[derive(Debug, Clone)]
pub enum FeedUpdate {
    /// Fetched and parsed: the feed's current metadata and entries.
    Fresh {
        meta: FeedMeta,
        entries: Vec<CleanEntry>,
        http_status: Option<u16>,
        validators: Validators,
        moved_to: Option<String>,
        /// The encoding the document was read in (`UTF-8`, `KOI8-R`, …).
        encoding: String,
        /// What was repaired and not rejected, one line each.
        warnings: Vec<String>,
    },
    /// 304: the stored entries are current.
    NotModified {
        validators: Validators,
        moved_to: Option<String>,
    },
    /// Could not be fetched or parsed; stored entries are kept.
    Failed(Failure),
    /// Not asked in this build (`reason` says why); stored entries and the
    /// failure count are kept.
    Skipped { reason: String },
    /// Not looked at in this build (offline, gone, or asked to wait); its
    /// state stays as it was.
    Untouched,
}

/// One configured feed and what this build learned about it.
#[derive(Debug, Clone)]
pub struct FeedRecord {
    pub id: FeedId,
    pub url: String,
    pub update: FeedUpdate,
    /// How entries seen for the first time are placed in time.
    pub date_policy: DatePolicy,
    pub future_dates: FutureDates,
    /// How long its requests took in this build, when any was sent.
    pub latency: Option<std::time::Duration>,
}

/// A failed attempt, as the store records it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Failure {
    pub http_status: Option<u16>,
    pub error: String,
    /// A feed URL the page advertised, when the URL served HTML.
    pub hint: Option<String>,
    /// Do not ask again before this time (from `Retry-After`).
    pub retry_after: Option<DateTime<Utc>>,
    /// 410 Gone.
    pub gone: bool,
}
