//! Why one feed could not be fetched ([`FetchError`], never fatal to the
//! build) and what a server said about coming back ([`RetryAfter`]). Each
//! error's message is what the operator reads in the health report; the
//! library error behind it, when there is one, is kept as its source.

use std::error::Error;
use std::io;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::schedule::Skip;

/// A library error behind one of ours, shared so a [`FetchError`] can be
/// handed to every feed of a failed run.
type Cause = Arc<dyn Error + Send + Sync>;

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
#[derive(Debug, Clone, thiserror::Error)]
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
    /// `reason` is the innermost cause ("Connection refused (os error 111)").
    #[error("could not connect: {reason}")]
    Connect {
        reason: String,
        #[source]
        source: Option<Cause>,
    },
    #[error("body larger than the {0} MB limit (fetch.max_body_mb)")]
    TooLarge(u64),
    /// More redirect hops than the given limit.
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("bad redirect: {reason}")]
    BadRedirect {
        reason: String,
        #[source]
        source: Option<Cause>,
    },
    /// `reason` is the error and its causes on one line.
    #[error("request failed: {reason}")]
    Request {
        reason: String,
        #[source]
        source: Option<Cause>,
    },
    #[error("cannot read {path}: {source}")]
    File {
        path: String,
        #[source]
        source: Arc<io::Error>,
    },
    /// Not asked in this build; not a failure of the feed.
    #[error(transparent)]
    Skipped(#[from] Skip),
}

impl FetchError {
    /// A request that failed for a reason of ours, with no library error behind it.
    pub(super) fn request(reason: impl Into<String>) -> FetchError {
        FetchError::Request {
            reason: reason.into(),
            source: None,
        }
    }

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
    pub(super) fn is_transient(&self) -> bool {
        match self {
            FetchError::Status {
                status,
                retry_after: None,
                ..
            } => *status >= 500 || *status == 408 || *status == 429,
            FetchError::Connect { .. } | FetchError::Request { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let reset = FetchError::Connect {
            reason: "reset".into(),
            source: None,
        };
        assert!(reset.is_transient());
    }

    #[test]
    fn the_message_stays_one_line_and_the_library_error_is_the_source() {
        let io = io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer");
        let error = FetchError::Request {
            reason: "error sending request: reset by peer".into(),
            source: Some(Arc::new(io)),
        };
        assert_eq!(
            error.to_string(),
            "request failed: error sending request: reset by peer"
        );
        assert_eq!(
            error.source().map(|s| s.to_string()).as_deref(),
            Some("reset by peer")
        );
        let missing = io::Error::new(io::ErrorKind::NotFound, "No such file");
        let file = FetchError::File {
            path: "feeds/a.xml".into(),
            source: Arc::new(missing),
        };
        assert_eq!(file.to_string(), "cannot read feeds/a.xml: No such file");
        assert!(file.source().is_some());
    }
}
