//! The `planetoid` binary: parse the command line, run the command, turn the
//! outcome into an exit code (0 built/ok, 2 fatal error with a message).

use std::process::ExitCode;

use clap::Parser;
use planetoid::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => planetoid::build(&planetoid::BuildOptions {
            config: args.config,
            output: args.output,
            now: args.now,
            offline: args.offline,
            retry_gone: args.retry_gone,
        })
        .map(|report| report.summary)
        .map_err(|e| e.to_string()),
        Command::Check(args) => planetoid::check(&args.config).map_err(|e| e.to_string()),
        Command::Init(args) => planetoid::init::init(&args.dir)
            .map(|files| {
                let mut out = format!("wrote {} files in {}:", files.len(), args.dir.display());
                for f in files {
                    out.push_str(&format!("\n  {}", f.display()));
                }
                out.push_str("\nnext: edit planet.yaml, then run `planetoid build`");
                out
            })
            .map_err(|e| e.to_string()),
        Command::FixMoved(args) => planetoid::fix_moved::fix_moved(&args.config)
            .map(|moves| {
                let mut out = format!(
                    "{}: {} moved feed URL(s) updated",
                    args.config.display(),
                    moves.len()
                );
                for m in moves {
                    out.push_str(&format!("\n  line {}: {} → {}", m.line, m.from, m.to));
                }
                out
            })
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(message) => {
            eprintln!("planetoid: {message}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("planetoid: error: {message}");
            ExitCode::from(2)
        }
    }
}
