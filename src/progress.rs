//! What the operator sees while a build runs: a progress bar (feeds done of
//! total, failures so far) when stderr is a terminal, plain log lines naming
//! each feed otherwise (with `-v`), nothing extra with `-q`; and, for `-v`
//! and the benchmark, the wall time and peak memory of each stage
//! ([`Stopwatch`]). Only this module knows indicatif.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How much the build says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// The final summary (and a progress bar on a terminal).
    #[default]
    Normal,
    /// A line per feed as it completes.
    Verbose,
}

/// Progress of the fetch stage.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    verbosity: Verbosity,
    failures: AtomicUsize,
}

impl Progress {
    /// A bar only when stderr is a terminal and not quiet.
    pub fn new(total: usize, verbosity: Verbosity) -> Progress {
        let show_bar =
            verbosity != Verbosity::Quiet && std::io::stderr().is_terminal() && total > 0;
        let bar = show_bar.then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} fetching {pos}/{len} feeds {wide_bar} {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            verbosity,
            failures: AtomicUsize::new(0),
        }
    }

    /// One feed finished: `problem` is `None` when it went well.
    pub fn feed_done(&self, name: &str, url: &str, outcome: &str, problem: Option<&str>) {
        if problem.is_some() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        let line = match problem {
            Some(p) => format!("feed {name} <{url}>: {p}"),
            None => format!("feed {name} <{url}>: {outcome}"),
        };
        match &self.bar {
            Some(bar) => {
                if self.verbosity == Verbosity::Verbose {
                    bar.println(line);
                }
                bar.inc(1);
                let failed = self.failures.load(Ordering::Relaxed);
                if failed > 0 {
                    bar.set_message(format!("{failed} failing"));
                }
            }
            None if self.verbosity == Verbosity::Verbose => eprintln!("planetoid: {line}"),
            None => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// What a run shows while it waits for another run of the same planet
/// (see `lock`): on a terminal, one spinner line with the time waited so
/// far; otherwise a plain line each time the run it waits for changes.
/// Nothing with `-q`.
pub struct Waiting {
    bar: Option<indicatif::ProgressBar>,
    verbosity: Verbosity,
    shown: String,
}

impl Waiting {
    pub fn new(verbosity: Verbosity) -> Waiting {
        Waiting {
            bar: None,
            verbosity,
            shown: String::new(),
        }
    }

    /// Says `message` unless it is what is already shown.
    pub fn show(&mut self, message: &str) {
        if self.verbosity == Verbosity::Quiet || self.shown == message {
            return;
        }
        self.shown = message.to_string();
        if !std::io::stderr().is_terminal() {
            eprintln!("planetoid: {message}");
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        bar.set_message(message.to_string());
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Wall time per pipeline stage, for `-v` and the benchmark's profile.
pub struct Stopwatch {
    last: std::time::Instant,
    laps: Vec<(String, f64)>,
}

impl Default for Stopwatch {
    fn default() -> Self {
        Self::new()
    }
}

impl Stopwatch {
    pub fn new() -> Self {
        Stopwatch {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    pub fn lap(&mut self, stage: impl Into<String>) {
        let now = std::time::Instant::now();
        let mut stage = stage.into();
        if let Some(mb) = peak_rss_mb() {
            stage.push_str(&format!(" (peak RSS {mb} MB)"));
        }
        self.laps.push((stage, (now - self.last).as_secs_f64()));
        self.last = now;
    }

    pub fn report(&self) -> String {
        let parts: Vec<String> = self
            .laps
            .iter()
            .map(|(s, t)| format!("{s} {t:.2} s"))
            .collect();
        format!("timings: {}", parts.join(", "))
    }
}

/// The process's peak resident memory so far (Linux), for `-v`: which
/// stage set the peak.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}
