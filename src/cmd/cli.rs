//! The command line (clap derive): `build`, `check`, `report`, `init`,
//! `fix-moved`, `opml import|export`, `import`, `add`, `serve`, `completions`. Only parsing lives here; the
//! commands themselves are in the library and `main.rs` wires them up.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::report::FailOn;

/// planetoid: many feeds in, one safe static site out.
#[derive(Debug, Parser)]
#[command(name = "planetoid", version, about, long_about = None)]
pub struct Cli {
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print a line per feed as it is fetched.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch every feed, update the store and write the site.
    Build(BuildArgs),
    /// Validate planet.yaml and the theme; with --probe, also fetch each feed once.
    Check(CheckArgs),
    /// Print every feed's health from the state file, problems first:
    /// status, flaky and quiet flags, the last builds, the last post.
    Report(ReportArgs),
    /// Scaffold a planet repository: planet.yaml, a demo feed, the default
    /// theme, a GitHub Pages workflow and a README for its maintainers.
    Init(InitArgs),
    /// Rewrite the URLs of permanently moved feeds (301/308) in planet.yaml,
    /// in place, keeping comments and formatting.
    FixMoved(FixMovedArgs),
    /// Import or export the subscription list as OPML.
    #[command(subcommand)]
    Opml(OpmlCommand),
    /// Read an existing planet's configuration (Planet Venus `config.ini`,
    /// Pluto `planet.ini`, rawdog `config`) into planet.yaml: written when
    /// missing, else merged in (comments kept, feeds already listed skipped).
    Import(ImportArgs),
    /// Add one member's feed (or site URL: its advertised feed is found) to
    /// planet.yaml, after fetching and reading it once.
    Add(AddArgs),
    /// Build, serve the site on localhost for preview, and rebuild when
    /// planet.yaml or the theme changes.
    Serve(ServeArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
}

/// For commands that change the planet: how long to wait for another run.
#[derive(Debug, Args)]
pub struct WaitArg {
    /// When another run of the planet is under way, wait at most SECS for
    /// it to finish, then give up changing nothing (exit 2). Default: the
    /// fetch deadline.
    #[arg(long, value_name = "SECS", value_parser = parse_wait)]
    pub wait: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct FixMovedArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub wait: WaitArg,
}

#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The planet's configuration file.
    #[arg(short, long, default_value = "planet.yaml")]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Write the site here instead of planet.yaml's `output_dir`.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The build's notion of "now" (RFC 3339), for reproducible builds.
    #[arg(long, value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    /// Do not use the network: HTTP feeds are rendered from the store
    /// (local feed files are still read).
    #[arg(long)]
    pub offline: bool,
    /// Ask feeds that answered 410 Gone again.
    #[arg(long)]
    pub retry_gone: bool,
    #[command(flatten)]
    pub wait: WaitArg,
    /// Exit with status 1 when at least N feeds (`failed=N`) or P percent of
    /// them (`failed=P%`) are failing. By default feeds never fail a build.
    #[arg(long, value_name = "failed=N|failed=P%", value_parser = FailOn::parse)]
    pub fail_on: Option<FailOn>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Fetch each feed once and print a status table (nothing is written).
    #[arg(long)]
    pub probe: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print health.json's contents instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The report's notion of "now" (RFC 3339): for "days since the last post".
    #[arg(long, value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to create the planet in.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum OpmlCommand {
    /// Add the feeds of an OPML file to planet.yaml (comments and formatting
    /// kept, feeds already listed skipped).
    Import {
        /// The OPML file.
        file: PathBuf,
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        wait: WaitArg,
    },
    /// Print the subscription list as OPML.
    Export {
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// The configuration formats `planetoid import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// Planet 2.0 / Planet Venus `config.ini`.
    Venus,
    /// Pluto `planet.ini`.
    Pluto,
    /// rawdog `config`.
    Rawdog,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What wrote the file.
    pub format: ImportFormat,
    /// The file to read.
    pub file: PathBuf,
    #[command(flatten)]
    pub edit: EditArgs,
}

/// What every command that writes planet.yaml takes.
#[derive(Debug, Args)]
pub struct EditArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print what would be written, change nothing (`add` still checks the
    /// feed).
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub wait: WaitArg,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// A feed URL, or a site URL whose page advertises its feed.
    pub url: String,
    /// Display name (default: the feed's own title).
    #[arg(long)]
    pub name: Option<String>,
    /// A tag for the feed (repeat for several).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    #[command(flatten)]
    pub edit: EditArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Build from the store and local files only.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub wait: WaitArg,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: clap_complete::Shell,
}

fn parse_wait(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && (0.0..=1e9).contains(&secs) => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err("expected a number of seconds, such as 60 or 0.5".to_string()),
    }
}

fn parse_now(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| format!("expected an RFC 3339 time such as 2025-01-31T12:00:00Z: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent_and_parses_build_flags() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "planetoid",
            "build",
            "-c",
            "p.yaml",
            "-o",
            "out",
            "--now",
            "2025-01-02T03:04:05+03:00",
            "--offline",
            "--fail-on",
            "failed=10%",
            "--wait",
            "2.5",
            "-q",
        ])
        .expect("parses");
        assert!(cli.quiet);
        let Command::Build(args) = cli.command else {
            panic!("build")
        };
        assert_eq!(args.config.config, PathBuf::from("p.yaml"));
        assert_eq!(args.output, Some(PathBuf::from("out")));
        assert_eq!(
            args.now.map(|d| d.to_rfc3339()).as_deref(),
            Some("2025-01-02T00:04:05+00:00")
        );
        assert!(args.offline);
        assert_eq!(args.wait.wait, Some(Duration::from_millis(2500)));
        assert!(Cli::try_parse_from(["planetoid", "build", "--wait", "-1"]).is_err());
        assert!(Cli::try_parse_from(["planetoid", "fix-moved", "--wait", "0"]).is_ok());
        assert_eq!(args.fail_on, Some(FailOn::Percent(10.0)));
        assert!(Cli::try_parse_from(["planetoid", "build", "--now", "yesterday"]).is_err());
        assert!(Cli::try_parse_from(["planetoid", "build", "--fail-on", "3"]).is_err());
    }
}
