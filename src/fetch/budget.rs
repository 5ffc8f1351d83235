//! One feed's time budget (`fetch.timeout_secs`): it starts when the feed's
//! first request is sent and runs while requests are open and while the
//! feed backs off between retries, never while it waits for a slot. It also
//! measures how long the feed's requests were open, the figure the store
//! keeps as the feed's latency.

use std::time::Duration;

use tokio::time::Instant;

use super::error::FetchError;
use super::schedule::Permit;

/// How long a timed-out request keeps its slot: the HTTP client closes the
/// abandoned connection in a task of its own, a moment later, and until
/// then the host still sees the request open.
const CLOSE_GRACE: Duration = Duration::from_millis(250);

/// One feed's `timeout_secs`: spent while its requests are open and while
/// it backs off between retries, never while it waits for a slot.
pub(super) struct Budget {
    /// The feed's index, as the scheduler knows it.
    pub(super) feed: usize,
    secs: u64,
    left: Duration,
    /// Time requests were open (sent to last byte).
    pub(super) open: Duration,
}

impl Budget {
    pub(super) fn new(feed: usize, secs: u64) -> Budget {
        Budget {
            feed,
            secs,
            left: Duration::from_secs(secs),
            open: Duration::ZERO,
        }
    }

    /// Runs one request (send, then the body) on what is left of the budget.
    pub(super) async fn request<T>(
        &mut self,
        permit: &Permit,
        request: impl Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        let started = Instant::now();
        let out = tokio::time::timeout(self.left, request).await;
        let took = started.elapsed();
        if out.is_err() {
            tokio::time::sleep(CLOSE_GRACE).await;
        }
        permit.record(took);
        self.left = self.left.saturating_sub(took);
        self.open += took;
        out.unwrap_or(Err(FetchError::Timeout(self.secs)))
    }

    /// Sleeps `wait` out of the budget; false when the budget cannot afford it.
    pub(super) async fn pause(&mut self, wait: Duration) -> bool {
        if wait >= self.left {
            return false;
        }
        tokio::time::sleep(wait).await;
        self.left -= wait;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::schedule::{Gate, Job, Limits};
    use super::*;

    #[tokio::test]
    async fn a_request_past_the_budget_times_out_and_backoff_cannot_overspend() {
        let gate = Gate::new(
            &[Job {
                host: Some("h.example".into()),
                latency: None,
                first: false,
            }],
            Limits {
                concurrency: 1,
                per_host: 1,
                held: 1,
            },
        );
        let mut started = gate.dispatch();
        let (start, _held) = started.remove(0);
        let mut budget = Budget::new(start.index, 1);
        let quick = budget
            .request(&start.permit, async { Ok::<_, FetchError>(7) })
            .await;
        assert!(matches!(quick, Ok(7)));
        assert!(!budget.pause(Duration::from_secs(2)).await, "over budget");
        let slow = budget
            .request(&start.permit, async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok::<_, FetchError>(0)
            })
            .await;
        assert!(matches!(slow, Err(FetchError::Timeout(1))));
        assert!(
            (Duration::from_millis(900)..Duration::from_secs(3)).contains(&budget.open),
            "{:?}",
            budget.open
        );
        let stats = gate.stats();
        assert_eq!(stats[0].requests, 2, "both requests counted on the host");
        assert!(stats[0].slowest >= Duration::from_millis(900));
    }
}
