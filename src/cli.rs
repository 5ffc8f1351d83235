//! The command line (clap derive): `build`, `check`, `init`. Only parsing
//! lives here; the commands themselves are in `lib.rs`.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

/// planetoid: many feeds in, one safe static site out.
#[derive(Debug, Parser)]
#[command(name = "planetoid", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch every feed, update the store and write the site.
    Build(BuildArgs),
    /// Validate planet.yaml and the theme without touching the network.
    Check(CheckArgs),
    /// Write a starter planet.yaml and a copy of the default theme.
    Init(InitArgs),
    /// Rewrite the URLs of permanently moved feeds (301/308) in planet.yaml,
    /// in place, keeping comments and formatting.
    FixMoved(CheckArgs),
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The planet's configuration file.
    #[arg(short, long, default_value = "planet.yaml")]
    pub config: PathBuf,
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
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The planet's configuration file.
    #[arg(short, long, default_value = "planet.yaml")]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory to create the planet in.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
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
        ])
        .expect("parses");
        let Command::Build(args) = cli.command else {
            panic!("build")
        };
        assert_eq!(args.config, PathBuf::from("p.yaml"));
        assert_eq!(args.output, Some(PathBuf::from("out")));
        assert_eq!(
            args.now.map(|d| d.to_rfc3339()).as_deref(),
            Some("2025-01-02T00:04:05+00:00")
        );
        assert!(args.offline);
        assert!(Cli::try_parse_from(["planetoid", "build", "--now", "yesterday"]).is_err());
    }
}
