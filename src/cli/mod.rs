//! The `accessreview-conformance` command: [`Cli`] (the flags), the target file merged under
//! them, and a short dispatcher over the modes — a run (libtest trials, the closing line, the
//! reports), `--coverage`, the kill table and `--sweep`. The terminal (progress line, closing
//! line, signals) lives here too; nothing below this module prints.

mod args;
mod canary;
mod compare;
mod connect;
mod error;
mod inputs;
pub mod partition;
mod plan;
mod suite;
mod target_file;
mod terminal;
mod trials;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub use args::{Cli, CoverageMode, FixtureStrategy};
pub use error::{CommandError, EXIT_NONCONFORMANT, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE};
pub use inputs::load;
pub use target_file::TargetFile;

use crate::load::schema::SchemaSet;
use crate::load::{LoadedCase, Suite};
use crate::report::coverage::{coverage, render_coverage};
pub use crate::run::status::Enforce;
use crate::selfcheck::{KillRow, kill_table, render_kill_table};

/// Parses the command line, applies `--target FILE` under the flags given, and runs.
pub fn run_from_args() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let given = |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    if let Some(path) = cli.target.clone() {
        let applied = target_file::load(&path)
            .map_err(CommandError::File)
            .and_then(|file| {
                target_file::apply(&mut cli, &file, &given).map_err(CommandError::Usage)
            });
        if let Err(e) = applied {
            eprintln!("{}", crate::report::sanitize::terminal(&e.to_string()));
            return ExitCode::from(e.exit_code());
        }
    }
    run(cli)
}

/// Runs the command; returns the process exit code.
pub fn run(mut cli: Cli) -> ExitCode {
    // An empty GRAPH_TOKEN is no token: client credentials (or the refusal) take over.
    if cli.token.as_deref().is_some_and(str::is_empty) {
        cli.token = None;
    }
    match run_inner(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{}", crate::report::sanitize::terminal(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

fn run_inner(cli: Cli) -> Result<u8, CommandError> {
    let (schemas, suite) = load(&cli)?;
    let broken = suite
        .cases
        .iter()
        .any(|c| matches!(c, LoadedCase::Broken(_)));
    let or_broken = |code: u8| if broken { EXIT_USAGE } else { code };
    if cli.coverage == Some(CoverageMode::Static) {
        print!(
            "{}",
            render_coverage(&coverage(&suite, cli.update_method), None)
        );
        return Ok(or_broken(EXIT_OK));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::Setup(format!("cannot start the async runtime: {e}")))?;
    if cli.coverage == Some(CoverageMode::Deviations) {
        let caught = run_deviations(&cli, &runtime, &schemas, &suite)?;
        return Ok(or_broken(if caught { EXIT_OK } else { EXIT_NONCONFORMANT }));
    }
    if cli.sweep {
        return run_sweep(&cli, &runtime);
    }
    if !cli.compare.is_empty() {
        return compare::run(&cli, &runtime).map(or_broken);
    }
    if cli.plan {
        let selected = suite::selector(&cli.harness);
        return plan::run(&cli, &runtime, &suite, &selected);
    }
    suite::run(&cli, &runtime, schemas, &suite)
}

/// `--sweep`: this tool's leftover definitions on the target, deleted (or listed).
fn run_sweep(cli: &Cli, runtime: &tokio::runtime::Runtime) -> Result<u8, CommandError> {
    // connect() refuses a remote target unless writes are allowed (a dry run only reads).
    let (target, _mock) = connect::connect(cli, runtime, false)?;
    let swept = runtime
        .block_on(crate::live::sweep::sweep(
            &target,
            cli.older_than,
            cli.dry_run,
        ))
        .map_err(|e| CommandError::Setup(format!("sweep: {}", target.redact(&e.to_string()))))?;
    print!(
        "{}",
        crate::report::sanitize::terminal(
            &target.redact(&crate::live::sweep::render(&swept, cli.dry_run))
        )
    );
    // A definition that could not be deleted is still there: say so in the exit code too.
    if swept.iter().any(|d| d.error.is_some()) {
        return Ok(EXIT_UNREACHABLE);
    }
    Ok(EXIT_OK)
}

/// `--coverage=deviations`: the kill table; true when the faithful mock passed and every
/// deviation was caught.
fn run_deviations(
    cli: &Cli,
    runtime: &tokio::runtime::Runtime,
    schemas: &Arc<SchemaSet>,
    suite: &Suite,
) -> Result<bool, CommandError> {
    let trials: Vec<_> = suite
        .trials(cli.update_method)
        .into_iter()
        .filter(|t| t.case.skip.is_none())
        .collect();
    let rows = runtime
        .block_on(kill_table(
            &trials,
            schemas,
            &suite.principals,
            Duration::from_secs(cli.timeout.min(5)),
        ))
        .map_err(|e| CommandError::Setup(format!("cannot run the reference mock: {e}")))?;
    print!("{}", render_kill_table(&rows));
    Ok(rows.iter().all(KillRow::verdict_ok))
}
