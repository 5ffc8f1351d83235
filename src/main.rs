//! The `planetoid` binary: parse the command line, run the command, turn the
//! outcome into an exit code — 0 done, 1 built but `--fail-on` tripped,
//! 2 fatal error (with a message naming what and where).

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use planetoid::cmd::cli::{BuildArgs, Cli, Command, ImportFormat, OpmlCommand, WaitArg};
use planetoid::lock::Wait;
use planetoid::progress::Verbosity;

/// mimalloc instead of the system allocator: sanitizing builds and drops a
/// DOM of small nodes per post, and glibc's malloc and free were a tenth of
/// a cold build's CPU. Cargo.toml picks mimalloc 2 (`v2`), which returns
/// freed memory to the system after 10 ms where mimalloc 3 waits a second,
/// and no transparent huge pages (`no_thp`): with mimalloc 3 or with huge
/// pages, peak RSS reached the 200 MB budget (CHANGELOG).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbosity = if cli.quiet {
        Verbosity::Quiet
    } else if cli.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let say = |message: &str| {
        if verbosity != Verbosity::Quiet {
            eprintln!("planetoid: {message}");
        }
    };
    let result: Result<u8, Failure> = match cli.command {
        Command::Build(args) => build(args, verbosity, &say),
        Command::Check(args) => planetoid::cmd::check::check(&args.config.config, args.probe)
            .map(|report| {
                if !report.table.is_empty() {
                    println!("{}", report.table);
                }
                for warning in &report.warnings {
                    eprintln!("planetoid: warning: {warning}");
                }
                say(&report.verdict);
                0
            })
            .map_err(Failure::from),
        Command::Report(args) => planetoid::cmd::report::health_report(&args.config.config, args.now)
            .map_err(Failure::from)
            .and_then(|health| {
                if args.json {
                    serde_json::to_string_pretty(&health)
                        .map(|json| println!("{json}"))
                        .map_err(Failure::from)
                } else {
                    print!("{}", planetoid::report::table(&health));
                    Ok(())
                }
            })
            .map(|()| 0),
        Command::Init(args) => planetoid::cmd::init::init(&args.dir)
            .map(|files| {
                let mut out = format!("wrote {} files in {}:", files.len(), args.dir.display());
                for f in files {
                    out.push_str(&format!("\n  {}", f.display()));
                }
                out.push_str("\nnext: edit planet.yaml, then run `planetoid build` (or `planetoid serve` to preview)");
                say(&out);
                0
            })
            .map_err(Failure::from),
        Command::FixMoved(args) => planetoid::cmd::fix_moved::fix_moved(&args.config.config, wait(&args.wait, verbosity))
            .map(|moves| {
                let mut out = format!("{}: {} moved feed URL(s) updated", args.config.config.display(), moves.len());
                for m in moves {
                    out.push_str(&format!("\n  line {}: {} → {}", m.line, m.from, m.to));
                }
                say(&out);
                0
            })
            .map_err(Failure::from),
        Command::Opml(OpmlCommand::Import { file, config, wait: limit }) => planetoid::cmd::opml::import(&config.config, &file, wait(&limit, verbosity))
            .map(|outcome| {
                say(&outcome.to_string());
                0
            })
            .map_err(Failure::from),
        Command::Opml(OpmlCommand::Export { config }) => planetoid::cmd::opml::export(&config.config)
            .map(|xml| {
                print!("{xml}");
                0
            })
            .map_err(Failure::from),
        Command::Import(args) => {
            let format = match args.format {
                ImportFormat::Venus => planetoid::cmd::import::Format::Venus,
                ImportFormat::Pluto => planetoid::cmd::import::Format::Pluto,
                ImportFormat::Rawdog => planetoid::cmd::import::Format::Rawdog,
            };
            planetoid::cmd::import::run(format, &args.file, &args.edit.config.config, args.edit.dry_run, wait(&args.edit.wait, verbosity))
                .map(|outcome| {
                    if args.edit.dry_run {
                        print!("{}", outcome.edit.text);
                    }
                    // The mapping report is the command's result: printed even with -q.
                    eprint!("{outcome}");
                    0
                })
                .map_err(Failure::from)
        }
        Command::Add(args) => planetoid::cmd::add::add(&args.edit.config.config, &args.url, args.name.as_deref(), &args.tags, args.edit.dry_run, wait(&args.edit.wait, verbosity))
            .map(|added| {
                print!("{added}");
                0
            })
            .map_err(Failure::from),
        Command::Serve(args) => planetoid::cmd::serve::serve(&args.config.config, args.port, args.offline, wait(&args.wait, verbosity))
            .map(|()| 0)
            .map_err(Failure::from),
        Command::Completions(args) => {
            let mut out = std::io::stdout();
            clap_complete::generate(args.shell, &mut Cli::command(), "planetoid", &mut out);
            out.flush().map(|()| 0).map_err(Failure::from)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("planetoid: error: {}", chain(error.as_ref()));
            ExitCode::from(2)
        }
    }
}

/// A command that could not do its work: any error of the library's stages,
/// its causes kept, printed once by [`chain`].
type Failure = Box<dyn std::error::Error>;

/// An error and every cause under it, on one line: `top: cause: inner
/// cause`. A cause whose text the line already holds (an error that quotes
/// its source in its own message) is not repeated, so a Tera error inside an
/// `{% include %}` shows its inner cause once.
fn chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = inner.source();
    }
    line
}

fn wait(arg: &WaitArg, verbosity: Verbosity) -> Wait {
    Wait {
        limit: arg.wait,
        verbosity,
    }
}

fn build(args: BuildArgs, verbosity: Verbosity, say: &dyn Fn(&str)) -> Result<u8, Failure> {
    let report = planetoid::build(&planetoid::BuildOptions {
        config: args.config.config,
        output: args.output,
        now: args.now,
        offline: args.offline,
        retry_gone: args.retry_gone,
        verbosity,
        wait: args.wait.wait,
    })?;
    say(&report.summary);
    if verbosity == Verbosity::Verbose {
        say(&report.site_size.line());
        say(&planetoid::report::fetch_text(&report.fetch));
        say(&report.timings);
    }
    if let Some(note) = &report.archive_excerpts {
        say(note);
    }
    // Shown even with --quiet: a host will refuse the site.
    if let Some(warning) = &report.size_warning {
        eprintln!("planetoid: warning: {warning}");
    }
    // On GitHub Actions, the health table goes to the job summary page.
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let headline = report.summary.lines().next().unwrap_or("");
        let mut table = planetoid::report::step_summary(&report.health, headline, &report.fetch);
        table.push_str(&format!("\n{}\n", report.site_size.line()));
        if let Some(note) = &report.archive_excerpts {
            table.push_str(&format!("\n> [!NOTE]\n> {note}\n"));
        }
        if let Some(warning) = &report.size_warning {
            table.push_str(&format!("\n> [!WARNING]\n> {warning}\n"));
        }
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(table.as_bytes()));
        if let Err(e) = written {
            eprintln!(
                "planetoid: warning: cannot write GITHUB_STEP_SUMMARY {}: {e}",
                path.to_string_lossy()
            );
        }
    }
    if let Some(reason) = args.fail_on.and_then(|f| f.exceeded(&report.health)) {
        eprintln!("planetoid: failing the build: {reason}");
        return Ok(1);
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::chain;

    #[derive(Debug, thiserror::Error)]
    enum Inner {
        #[error("template 'macros.html' line 3: unknown filter `shout`")]
        Filter,
    }

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("cannot render index.html")]
        Render(#[source] Inner),
        #[error("cannot read planet.yaml: {0}")]
        Quoting(#[source] Inner),
    }

    #[test]
    fn every_cause_is_printed_once() {
        assert_eq!(
            chain(&Outer::Render(Inner::Filter)),
            "cannot render index.html: template 'macros.html' line 3: unknown filter `shout`"
        );
        // A message that already quotes its cause does not repeat it.
        assert_eq!(
            chain(&Outer::Quoting(Inner::Filter)),
            "cannot read planet.yaml: template 'macros.html' line 3: unknown filter `shout`"
        );
    }
}
