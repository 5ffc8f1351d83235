//! One run at a time per planet. Every command that writes the store,
//! planet.yaml or the site (`build`, `serve`'s rebuilds, `fix-moved`,
//! `opml import`, and `import` and `add` when they write) first takes an exclusive OS file lock (`flock`) on a lock
//! file beside the state file and holds it until it is done. The lock is a
//! guard ([`PlanetLock`]): dropping it releases the lock, and the OS releases
//! it when the process dies, so a killed run never blocks the next one. A
//! run that finds the lock taken waits, saying which run it waits for (the
//! holder writes its pid and start time into the lock file), for at most
//! its `--wait`; then it gives up having changed nothing.

use std::fs::File;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, SecondsFormat, Utc};

use crate::config::{self, Config, ConfigError};
use crate::progress::{Verbosity, Waiting};

/// The default bound on the wait: the fetch deadline, so a run waits out
/// one ordinary build of the planet. The single place that reads it from
/// the configuration.
pub fn default_wait(config: &Config) -> Duration {
    Duration::from_secs(config.fetch.deadline_secs)
}

/// How a run waits for the lock: for `limit` (`None`: [`default_wait`]),
/// showing what it waits for unless quiet.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wait {
    pub limit: Option<Duration>,
    pub verbosity: Verbosity,
}

/// Why a run could not take the planet's lock. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// planet.yaml, read to find the state file to lock, does not load.
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot open the lock file {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot lock {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "gave up after {secs} s {waiting}; nothing was changed (`--wait SECS` waits longer)",
        secs = (waited.as_secs_f64() * 10.0).round() / 10.0
    )]
    Busy {
        /// What the run was waiting for ("waiting for the build started …").
        waiting: String,
        waited: Duration,
    },
}

/// The planet's lock, held until dropped.
#[derive(Debug)]
pub struct PlanetLock {
    file: File,
    waited: Duration,
}

/// The lock file of the planet whose state file is `state`: beside it,
/// named after it (`state.db.lock`).
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = state
        .file_name()
        .map_or_else(|| "state".into(), |n| n.to_os_string());
    name.push(".lock");
    state.with_file_name(name)
}

/// Loads planet.yaml and takes its planet's lock for `run` (a noun phrase:
/// "build", "OPML import"). When it had to wait, planet.yaml is read again:
/// the run it waited for may have changed it.
pub fn lock_planet(
    config_path: &Path,
    run: &str,
    wait: Wait,
) -> Result<(Config, PlanetLock), LockError> {
    let mut config = config::load(config_path)?;
    let mut waited = Duration::ZERO;
    loop {
        let limit = wait.limit.unwrap_or_else(|| default_wait(&config));
        let mut lock = PlanetLock::acquire(&lock_path(&config.state), run, limit, wait.verbosity)?;
        if lock.waited.is_zero() {
            lock.waited = waited;
            return Ok((config, lock));
        }
        waited += lock.waited;
        let again = config::load(config_path)?;
        if again.state == config.state {
            lock.waited = waited;
            return Ok((again, lock));
        }
        // planet.yaml now names another state file: lock that one instead.
        config = again;
    }
}

impl PlanetLock {
    /// Takes the lock at `path` (made, with its folder, when missing),
    /// waiting at most `limit` for whoever holds it.
    pub fn acquire(
        path: &Path,
        run: &str,
        limit: Duration,
        verbosity: Verbosity,
    ) -> Result<PlanetLock, LockError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| LockError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|source| LockError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let locked = |file: &File| {
            try_lock(file).map_err(|source| LockError::Lock {
                path: path.to_path_buf(),
                source,
            })
        };
        let start = Instant::now();
        let mut waited = Duration::ZERO;
        if !locked(&file)? {
            let mut shown = Waiting::new(verbosity);
            let mut pause = Duration::from_millis(5);
            let mut unknown_since = None;
            let outcome = loop {
                let waiting = waiting_for(path);
                let elapsed = start.elapsed();
                if elapsed >= limit {
                    break Err(LockError::Busy {
                        waiting,
                        waited: elapsed,
                    });
                }
                // A holder writes who it is just after locking: a moment
                // of not knowing is not worth a line of its own.
                if !waiting.contains(UNKNOWN) {
                    unknown_since = None;
                    shown.show(&format!("{waiting}…"));
                } else if unknown_since.get_or_insert(elapsed).abs_diff(elapsed)
                    > Duration::from_secs(1)
                {
                    shown.show(&format!("{waiting}…"));
                }
                std::thread::sleep(pause.min(limit - elapsed));
                pause = (pause * 2).min(Duration::from_millis(50));
                match locked(&file) {
                    Ok(true) => break Ok(()),
                    Ok(false) => {}
                    Err(e) => break Err(e),
                }
            };
            shown.finish();
            outcome?;
            waited = start.elapsed();
        }
        // Who holds the lock, for runs that come to wait for it. Only
        // informative: the OS lock is what counts.
        let holder = format!(
            "pid {}\nstarted {}\nrun {run}\n",
            std::process::id(),
            Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(holder.as_bytes()));
        Ok(PlanetLock { file, waited })
    }

    /// How long the run waited for another before it got the lock.
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

impl Drop for PlanetLock {
    fn drop(&mut self) {
        // Closing the file releases the lock; clearing it first means no
        // waiting run names a holder that is gone.
        let _ = self.file.set_len(0);
    }
}

/// The placeholder for a holder that has not said who it is yet.
const UNKNOWN: &str = "another planetoid run";

/// "waiting for the build started at 12:00:01 (pid 4242)", from what the
/// holder wrote into the lock file.
fn waiting_for(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .map(str::trim)
    };
    let pid = field("pid").and_then(|p| p.parse::<u32>().ok());
    let started = field("started").and_then(|s| DateTime::parse_from_rfc3339(s).ok());
    match (pid, started) {
        (Some(pid), Some(started)) => {
            let started = started.with_timezone(&Local);
            let format = if started.date_naive() == Local::now().date_naive() {
                "%H:%M:%S"
            } else {
                "%Y-%m-%d %H:%M:%S"
            };
            let run = field("run")
                .filter(|r| !r.is_empty() && r.len() < 40)
                .unwrap_or("run");
            format!(
                "waiting for the {run} started at {} (pid {pid})",
                started.format(format)
            )
        }
        _ => format!(
            "waiting for {UNKNOWN} of this planet to finish (lock file {})",
            path.display()
        ),
    }
}

/// Tries once to take the exclusive lock: false when another holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{FlockOperation, flock};
    loop {
        match flock(file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => return Ok(true),
            Err(rustix::io::Errno::WOULDBLOCK) => return Ok(false),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Without `flock` runs are not kept apart (the site swap still never
/// leaves a half-written site).
#[cfg(not(unix))]
fn try_lock(_: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_then_gives_up_naming_the_first() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = lock_path(&tmp.path().join("state/state.db"));
        assert!(path.ends_with("state/state.db.lock"));
        let before = Local::now();
        let first = PlanetLock::acquire(&path, "build", Duration::ZERO, Verbosity::Quiet)
            .expect("free lock");
        assert_eq!(first.waited(), Duration::ZERO);
        let start = Instant::now();
        let err = PlanetLock::acquire(&path, "build", Duration::from_millis(200), Verbosity::Quiet)
            .expect_err("held");
        assert!(start.elapsed() >= Duration::from_millis(200));
        let message = err.to_string();
        let named = |at: DateTime<Local>| {
            message.contains(&format!(
                " s waiting for the build started at {} (pid {})",
                at.format("%H:%M:%S"),
                std::process::id()
            ))
        };
        assert!(
            message.starts_with("gave up after 0.")
                && (named(before) || named(before + chrono::TimeDelta::seconds(1))),
            "{message}"
        );
        assert!(message.contains("nothing was changed"), "{message}");
        drop(first);
        assert_eq!(
            waiting_for(&path),
            format!(
                "waiting for {UNKNOWN} of this planet to finish (lock file {})",
                path.display()
            )
        );
        let second = PlanetLock::acquire(&path, "OPML import", Duration::ZERO, Verbosity::Quiet)
            .expect("released on drop");
        assert!(waiting_for(&path).starts_with("waiting for the OPML import started at"));
        drop(second);
    }

    #[test]
    fn a_waiting_run_proceeds_when_the_holder_lets_go() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = lock_path(&tmp.path().join("state.db"));
        let first =
            PlanetLock::acquire(&path, "build", Duration::ZERO, Verbosity::Quiet).expect("free");
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            drop(first);
        });
        let second = PlanetLock::acquire(&path, "build", Duration::from_secs(30), Verbosity::Quiet)
            .expect("waits");
        assert!(
            second.waited() >= Duration::from_millis(100),
            "{:?}",
            second.waited()
        );
        release.join().expect("thread");
    }
}
