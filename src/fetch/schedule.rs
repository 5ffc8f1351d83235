//! Who may send a request now: the fetch stage's scheduler. It owns three
//! counts and never lets one pass its limit: requests open overall
//! (`fetch.concurrency`), requests open per host (`fetch.per_host`, counted
//! on the host actually asked, so a redirect to another host counts there),
//! and results handed on but not yet processed (`held`, see [`super::Slot`]).
//!
//! Feeds wait in one queue per host; nothing is held while waiting, so a
//! slow host never keeps the slots other hosts could use. When a slot frees,
//! the host with the most estimated work left (feeds × their last observed
//! latency) starts next, which keeps the makespan near its lower bound.
//! Feeds already started that need another request (a retry, a redirect to
//! another host) go before new ones. A host whose first
//! [`HOST_DOWN_AFTER`] feeds all failed to connect or timed out is not asked
//! again in this build, and at the build deadline every feed still queued is
//! given up: both become [`Skip`]s, never failures.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};

/// Feeds of one host that must all fail (connection refused or timed out),
/// with no answer from it in between, before the host is given up for the
/// build.
pub const HOST_DOWN_AFTER: usize = 3;

/// Latency assumed for a feed never measured, for ordering only.
const UNKNOWN_LATENCY_MS: u64 = 500;

/// Why a feed was not fetched in this build. Not a failure of the feed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    #[error("build deadline: host {host} had {waiting} {} waiting", feeds(*waiting))]
    Deadline { host: String, waiting: usize },
    #[error(
        "host {host} not asked again in this build: its first {failed} {} failed ({cause})",
        feeds(*failed)
    )]
    HostDown {
        host: String,
        failed: usize,
        cause: String,
    },
}

fn feeds(n: usize) -> &'static str {
    if n == 1 { "feed" } else { "feeds" }
}

/// What one host saw in this build, for `-v` and the job summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostStats {
    pub host: String,
    /// Feeds configured on this host and due in this build.
    pub feeds: usize,
    /// Requests sent to it: redirects and retries included.
    pub requests: usize,
    /// The longest single request (sent to last byte).
    pub slowest: Duration,
    pub skipped: usize,
}

/// One feed to schedule: its host (`None`: a local file, no host limit),
/// its last observed latency, and whether it goes first on its host.
pub struct Job {
    pub host: Option<String>,
    pub latency: Option<Duration>,
    pub first: bool,
}

/// A feed the scheduler let start; it holds its first request's slot.
pub struct Start {
    pub index: usize,
    pub permit: Permit,
}

pub struct Limits {
    pub concurrency: usize,
    pub per_host: usize,
    pub held: usize,
}

/// The scheduler, shared by the dispatcher and every running feed.
pub struct Gate {
    state: Mutex<State>,
    limits: Limits,
    /// Woken whenever a count goes down or a started feed asks again.
    changed: Notify,
}

struct State {
    open: usize,
    held: usize,
    hosts: Vec<Host>,
    by_name: HashMap<String, usize>,
    /// Feeds given up and not yet reported.
    skipped: Vec<(usize, Skip)>,
}

struct Host {
    /// Empty for local files.
    name: String,
    open: usize,
    /// Feeds not started yet, in the order they go.
    queue: VecDeque<(usize, u64)>,
    /// Estimated milliseconds of work in `queue`.
    remaining_ms: u64,
    /// Started feeds waiting for another request's slot.
    again: VecDeque<oneshot::Sender<Option<Permit>>>,
    answered: bool,
    /// Feeds that could not reach this host (refused, timed out).
    unreachable: HashSet<usize>,
    down: bool,
    stats: HostStats,
}

impl Host {
    fn new(name: String) -> Host {
        Host {
            stats: HostStats {
                host: name.clone(),
                ..HostStats::default()
            },
            name,
            open: 0,
            queue: VecDeque::new(),
            remaining_ms: 0,
            again: VecDeque::new(),
            answered: false,
            unreachable: HashSet::new(),
            down: false,
        }
    }

    fn is_file(&self) -> bool {
        self.name.is_empty()
    }
}

/// One request's slot on one host; given back when dropped.
pub struct Permit {
    gate: Arc<Gate>,
    host: usize,
}

impl Permit {
    /// Counts one request sent to this permit's host that took `took`.
    pub fn record(&self, took: Duration) {
        let mut state = self.gate.lock();
        let stats = &mut state.hosts[self.host].stats;
        stats.requests += 1;
        stats.slowest = stats.slowest.max(took);
    }

    /// Whether this permit is for `host` (lower-case host name).
    pub fn is_for(&self, host: &str) -> bool {
        self.gate.lock().hosts[self.host].name == host
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut state = self.gate.lock();
            state.open -= 1;
            state.hosts[self.host].open -= 1;
        }
        self.gate.changed.notify_one();
    }
}

/// A result handed on and not yet processed; given back when dropped.
pub struct Held {
    gate: Arc<Gate>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.gate.lock().held -= 1;
        self.gate.changed.notify_one();
    }
}

impl Gate {
    /// Queues every job: per host, feeds marked `first` (skipped last
    /// build), then the slowest first.
    pub fn new(jobs: &[Job], limits: Limits) -> Arc<Gate> {
        let mut state = State {
            open: 0,
            held: 0,
            hosts: Vec::new(),
            by_name: HashMap::new(),
            skipped: Vec::new(),
        };
        let mut order: Vec<(usize, &Job, u64)> = jobs
            .iter()
            .enumerate()
            .map(|(i, job)| {
                let ms = job
                    .latency
                    .map_or(UNKNOWN_LATENCY_MS, |d| d.as_millis() as u64);
                (i, job, ms.max(1))
            })
            .collect();
        order.sort_by_key(|(i, job, ms)| (!job.first, std::cmp::Reverse(*ms), *i));
        for (i, job, ms) in order {
            let host = state.host(job.host.as_deref().unwrap_or(""));
            let host = &mut state.hosts[host];
            host.queue.push_back((i, ms));
            host.remaining_ms += ms;
            host.stats.feeds += 1;
        }
        Arc::new(Gate {
            state: Mutex::new(state),
            limits,
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves counts that are still
        // consistent (every update is one statement), so go on with them.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until some count went down or a feed asks again.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// Feeds that may start now (each with its first request's slot and a
    /// held result), after serving started feeds that asked again.
    pub fn dispatch(self: &Arc<Self>) -> Vec<(Start, Held)> {
        let mut state = self.lock();
        let state = &mut *state;
        for h in 0..state.hosts.len() {
            while state.open < self.limits.concurrency
                && state.hosts[h].open < self.host_limit(&state.hosts[h])
            {
                let Some(waiter) = state.hosts[h].again.pop_front() else {
                    break;
                };
                state.open += 1;
                state.hosts[h].open += 1;
                // A waiter that went away gives its slot back on drop.
                let _ = waiter.send(Some(Permit {
                    gate: self.clone(),
                    host: h,
                }));
            }
        }
        let mut starts = Vec::new();
        while state.open < self.limits.concurrency && state.held < self.limits.held {
            let busiest = (0..state.hosts.len())
                .filter(|&h| {
                    let host = &state.hosts[h];
                    !host.down && !host.queue.is_empty() && host.open < self.host_limit(host)
                })
                .max_by_key(|&h| (state.hosts[h].remaining_ms, std::cmp::Reverse(h)));
            let Some(h) = busiest else { break };
            let host = &mut state.hosts[h];
            let Some((index, ms)) = host.queue.pop_front() else {
                break;
            };
            host.remaining_ms -= ms;
            host.open += 1;
            state.open += 1;
            state.held += 1;
            starts.push((
                Start {
                    index,
                    permit: Permit {
                        gate: self.clone(),
                        host: h,
                    },
                },
                Held { gate: self.clone() },
            ));
        }
        starts
    }

    fn host_limit(&self, host: &Host) -> usize {
        if host.is_file() {
            usize::MAX
        } else {
            self.limits.per_host
        }
    }

    /// A slot for one more request of a feed already started (a retry, or
    /// a redirect to `host`). Waiting here is not part of the feed's time
    /// budget. `None` when the host was given up meanwhile.
    pub async fn again(self: &Arc<Self>, host: &str) -> Option<Permit> {
        let (send, receive) = oneshot::channel();
        {
            let mut state = self.lock();
            let h = state.host(host);
            if state.hosts[h].down {
                return None;
            }
            state.hosts[h].again.push_back(send);
        }
        self.changed.notify_one();
        receive.await.ok().flatten()
    }

    /// `host` sent response headers: it is up, whatever they said.
    pub fn heard_from(&self, host: &str) {
        let mut state = self.lock();
        let h = state.host(host);
        state.hosts[h].answered = true;
    }

    /// Feed `index` could not reach `host` (refused, timed out). When the
    /// host has never answered and this is its [`HOST_DOWN_AFTER`]th feed
    /// failing so, it is given up: its queued feeds are skipped and feeds
    /// waiting to retry there get no slot.
    pub fn unreachable(&self, host: &str, index: usize, cause: &str) {
        let mut state = self.lock();
        let h = state.host(host);
        let host = &mut state.hosts[h];
        host.unreachable.insert(index);
        if host.down || host.answered || host.is_file() || host.unreachable.len() < HOST_DOWN_AFTER
        {
            return;
        }
        host.down = true;
        for waiter in host.again.drain(..) {
            let _ = waiter.send(None);
        }
        let skip = Skip::HostDown {
            host: host.name.clone(),
            failed: host.unreachable.len(),
            cause: cause.to_string(),
        };
        let skipped = drain(host, &skip);
        state.skipped.extend(skipped);
        drop(state);
        self.changed.notify_one();
    }

    /// The build deadline passed: every feed not started is given up.
    pub fn deadline(&self) {
        let mut state = self.lock();
        let state = &mut *state;
        for host in &mut state.hosts {
            let skip = Skip::Deadline {
                host: host.name.clone(),
                waiting: host.queue.len(),
            };
            state.skipped.extend(drain(host, &skip));
        }
    }

    /// Feeds given up since the last call.
    pub fn take_skipped(&self) -> Vec<(usize, Skip)> {
        std::mem::take(&mut self.lock().skipped)
    }

    /// Per-host figures, busiest host first; local files are left out.
    pub fn stats(&self) -> Vec<HostStats> {
        let state = self.lock();
        let mut out: Vec<HostStats> = state
            .hosts
            .iter()
            .filter(|h| !h.is_file())
            .map(|h| h.stats.clone())
            .collect();
        out.sort_by(|a, b| b.feeds.cmp(&a.feeds).then_with(|| a.host.cmp(&b.host)));
        out
    }
}

impl State {
    fn host(&mut self, name: &str) -> usize {
        if let Some(&h) = self.by_name.get(name) {
            return h;
        }
        self.hosts.push(Host::new(name.to_string()));
        self.by_name.insert(name.to_string(), self.hosts.len() - 1);
        self.hosts.len() - 1
    }
}

fn drain(host: &mut Host, skip: &Skip) -> Vec<(usize, Skip)> {
    host.remaining_ms = 0;
    host.stats.skipped += host.queue.len();
    host.queue
        .drain(..)
        .map(|(index, _)| (index, skip.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(host: &str, latency_ms: u64, first: bool) -> Job {
        Job {
            host: Some(host.to_string()),
            latency: Some(Duration::from_millis(latency_ms)),
            first,
        }
    }

    fn limits(concurrency: usize, per_host: usize) -> Limits {
        Limits {
            concurrency,
            per_host,
            held: 100,
        }
    }

    #[test]
    fn the_busiest_host_starts_first_and_limits_hold() {
        let mut jobs: Vec<Job> = (0..3).map(|_| job("small", 100, false)).collect();
        jobs.extend((0..10).map(|_| job("big", 100, false)));
        jobs.push(job("slow", 2_000, false));
        let gate = Gate::new(&jobs, limits(3, 2));
        let starts = gate.dispatch();
        let hosts: Vec<usize> = starts.iter().map(|(s, _)| s.index).collect();
        // big (1 s of work) and slow (2 s) before small (0.3 s); 3 in all.
        assert_eq!(hosts.len(), 3);
        assert!(
            hosts.contains(&13),
            "the slow host's feed starts: {hosts:?}"
        );
        assert_eq!(hosts.iter().filter(|&&i| (3..13).contains(&i)).count(), 2);
        assert!(gate.dispatch().is_empty(), "no slot free");
        drop(starts);
        let again = gate.dispatch();
        assert_eq!(again.len(), 3, "slots come back on drop");
        let by_host = gate.stats();
        assert_eq!(
            (by_host[0].host.as_str(), by_host[0].feeds),
            ("big", 10),
            "busiest first"
        );
    }

    #[test]
    fn feeds_skipped_last_time_go_first_on_their_host() {
        let jobs = vec![
            job("h", 900, false),
            job("h", 10, true),
            job("h", 500, false),
        ];
        let gate = Gate::new(&jobs, limits(8, 1));
        let order: Vec<usize> = (0..3)
            .map(|_| {
                let started = gate.dispatch();
                assert_eq!(started.len(), 1, "per_host 1");
                started[0].0.index
            })
            .collect();
        assert_eq!(order, [1, 0, 2]);
    }

    #[test]
    fn a_host_unreachable_on_its_first_feeds_is_given_up_and_the_rest_skipped() {
        let jobs: Vec<Job> = (0..6).map(|_| job("down.example", 100, false)).collect();
        let gate = Gate::new(&jobs, limits(8, 2));
        let started = gate.dispatch();
        assert_eq!(started.len(), 2);
        // A feed failing twice (a retry) counts once.
        for index in [0, 0, 1] {
            gate.unreachable("down.example", index, "refused");
            assert!(gate.take_skipped().is_empty());
        }
        gate.unreachable("down.example", 2, "refused");
        let skipped = gate.take_skipped();
        assert_eq!(skipped.len(), 4);
        assert_eq!(
            skipped[0].1.to_string(),
            "host down.example not asked again in this build: its first 3 feeds failed (refused)"
        );
        drop(started);
        assert!(gate.dispatch().is_empty(), "a host given up is not asked");
        assert_eq!(gate.stats()[0].skipped, 4);
    }

    #[test]
    fn a_host_that_answered_once_is_never_given_up() {
        let jobs: Vec<Job> = (0..8).map(|_| job("flaky.example", 100, false)).collect();
        let gate = Gate::new(&jobs, limits(8, 2));
        gate.heard_from("flaky.example");
        for index in 0..5 {
            gate.unreachable("flaky.example", index, "t");
            assert!(gate.take_skipped().is_empty());
        }
    }

    #[test]
    fn the_deadline_skips_every_queued_feed_naming_its_host() {
        let jobs: Vec<Job> = (0..5).map(|_| job("busy.example", 100, false)).collect();
        let gate = Gate::new(&jobs, limits(8, 1));
        let _started = gate.dispatch();
        gate.deadline();
        let skipped = gate.take_skipped();
        assert_eq!(skipped.len(), 4);
        assert_eq!(
            skipped[0].1.to_string(),
            "build deadline: host busy.example had 4 feeds waiting"
        );
    }

    #[tokio::test]
    async fn a_started_feed_asking_again_goes_before_new_ones() {
        let jobs: Vec<Job> = (0..4).map(|_| job("h", 100, false)).collect();
        let gate = Gate::new(&jobs, limits(8, 1));
        let mut started = gate.dispatch();
        assert_eq!(started.len(), 1);
        let (first, _held) = started.remove(0);
        let waiting = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.again("h").await })
        };
        tokio::task::yield_now().await;
        drop(first.permit);
        assert!(gate.dispatch().is_empty(), "the retry takes the only slot");
        let permit = waiting.await.ok().flatten();
        assert!(permit.is_some(), "the retry got its slot");
        assert!(gate.dispatch().is_empty(), "still held by the retry");
        drop(permit);
        assert_eq!(gate.dispatch().len(), 1, "then the next feed starts");
    }
}
