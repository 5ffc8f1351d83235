//! Getting every feed's bytes, politely: HTTP(S) through one reqwest client on
//! a tokio runtime (`http`), local files (paths and `file://` URLs) from disk
//! (`file`). This file is the driver: [`fetch_each`] starts each feed when the
//! scheduler lets it, hands each result on as soon as it arrives, and sums
//! up the phase; what is asked and answered is in `types`, why a feed failed
//! in `error`.
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
mod error;
mod file;
mod http;
mod schedule;
mod types;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::time::Instant;

use crate::config::{Config, FeedSource, FetchConfig};
use budget::Budget;
pub use error::{FetchError, RetryAfter};
use http::host_key;
use schedule::{Gate, Held, Job, Limits};
pub use schedule::{HostStats, Skip};
pub use types::{FetchSummary, Fetched, Outcome, Request, Validators};

/// The User-Agent the planet's requests carry: `fetch.user_agent` when
/// planet.yaml sets it, else planetoid's version and the planet's address,
/// so a feed's owner can see who asks.
pub fn user_agent(config: &Config) -> String {
    config.fetch.user_agent.clone().unwrap_or_else(|| {
        format!(
            "planetoid/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            config.base_url.as_str()
        )
    })
}

/// Receives each result as soon as its feed is done, with its index in
/// `requests`, so the caller can process it while others download.
pub type Sink<'a> = &'a (dyn Fn(usize, Outcome, Slot) + Sync);

/// One of the `held` results [`fetch_each`] may have handed on and not yet
/// seen dropped: whoever processes a result drops its slot when done, and
/// no new feed starts while every slot is taken. Downloads on loopback
/// outrun parsing several times over; without the bound, every body of a
/// 2,000-feed planet would wait in memory at once (250 MB). Waiting happens
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
            let err = FetchError::Request {
                reason: format!("cannot start the network runtime: {e}"),
                source: Some(Arc::new(e)),
            };
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
        .map(|r| r.unwrap_or_else(|| Err(FetchError::request("fetch did not complete"))))
        .collect()
}

async fn fetch_each_async(
    requests: &[Request],
    config: &FetchConfig,
    user_agent: &str,
    held: usize,
    stop: &Stop,
    sink: Sink<'_>,
) -> Vec<HostStats> {
    let client = match http::build_client(config, user_agent) {
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
    client: &http::Client,
    config: &FetchConfig,
    gate: &Arc<Gate>,
) -> (usize, Outcome, Held) {
    let (result, elapsed) = match &request.source {
        FeedSource::File(path) => {
            let result = file::read_file(path, config.max_body_mb).await;
            drop(start.permit);
            (result, None)
        }
        FeedSource::Http(url) => {
            let mut budget = Budget::new(start.index, config.timeout_secs);
            let result = http::get_with_retries(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agent_identifies_planetoid_and_the_planet() {
        let yaml = "title: P\nbase_url: https://planet.example.org/\nfeeds:\n  - url: https://a.example/feed\n";
        let mut config = crate::config::parse(yaml, std::path::Path::new("/p/planet.yaml"))
            .expect("a valid planet");
        let ua = user_agent(&config);
        assert!(ua.starts_with("planetoid/"), "{ua}");
        assert!(ua.ends_with("(+https://planet.example.org/)"), "{ua}");
        config.fetch.user_agent = Some("Planet Rust crawler".into());
        assert_eq!(user_agent(&config), "Planet Rust crawler");
    }
}
