//! `--compare A B`: the selected trials against two targets (each a base URL or a target file
//! with its own fixtures and credentials) — A twice, to learn the noise, then B — and every
//! behaviour where they differ ([`crate::profile::compare`]), printed and written as the
//! reports ask. Exit 0 when alike, 1 when they differ.

use std::sync::Arc;

use super::args::{Cli, FixtureStrategy};
use super::error::{CommandError, EXIT_NONCONFORMANT, EXIT_OK, EXIT_UNREACHABLE};
use super::{canary, connect, inputs, suite, target_file, terminal};
use crate::case::TrialSpec;
use crate::profile::compare::{Comparison, compare};
use crate::profile::observed::Observed;
use crate::run::behaviour::Detail;
use crate::run::{RunContext, run_all};
use crate::target::redact::Redactor;

/// The command line for one side: `spec` is a base URL, or a target file that says
/// everything about the target (its flags in the file win over the command line's).
fn side(cli: &Cli, spec: &str) -> Result<Cli, CommandError> {
    let mut side = cli.clone();
    side.compare.clear();
    if spec.contains("://") {
        side.base_url = Some(spec.to_string());
        return Ok(side);
    }
    // A target file says everything about its target: nothing of the command line's target
    // (a token, credentials, principals) is sent to it unless the file names it.
    side.token = None;
    side.credentials.clear();
    side.target_principals.clear();
    side.control_url = None;
    side.setup_base_url = None;
    side.groups.clear();
    side.allow_tenant_writes = false;
    side.fixtures = FixtureStrategy::Control;
    let path = std::path::Path::new(spec);
    let file = target_file::load(path).map_err(CommandError::File)?;
    target_file::apply(&mut side, &file, &|_| false).map_err(CommandError::Usage)?;
    if side.base_url.is_none() {
        return Err(CommandError::Usage(format!(
            "--compare: the target file {spec} names no base_url"
        )));
    }
    Ok(side)
}

/// One side's runs (`times` of them) of the selected trials; what each trial showed, per
/// run, and the side's redactor.
fn run_side(
    side: &Cli,
    runtime: &tokio::runtime::Runtime,
    times: usize,
) -> Result<(Vec<Vec<Observed>>, Redactor), CommandError> {
    let (schemas, suite_) = inputs::load(side)?;
    let selected = suite::selector(&side.harness);
    let live = side.fixtures == FixtureStrategy::Graph;
    if live {
        inputs::check_tenant_principals(side, &suite_, &selected)?;
    }
    let (target, _mock) = connect::connect(side, runtime, false)?;
    let (provisioner, live_run) = connect::provisioner(side, &target);
    // Cleanup on a signal for this side only: aborted once this side has cleaned up, so that
    // it cannot exit the process while the other side deletes what it created.
    let on_signal =
        (live_run.as_ref()).map(|graph| runtime.spawn(terminal::clean_up_on_signal(graph.clone())));
    canary::run(
        runtime,
        provisioner.as_ref(),
        &target,
        &suite_,
        side.update_method,
        &selected,
        live,
    )?;
    let trials: Vec<TrialSpec> = (suite_.trials(side.update_method).into_iter())
        .filter(|t| selected(&t.name))
        .collect();
    let mut ctx = RunContext::with_provisioner(
        target.clone(),
        provisioner,
        schemas,
        suite_.principals.clone(),
    );
    ctx.observe = Some(Detail::Values);
    let ctx = Arc::new(ctx);
    let mut runs = Vec::with_capacity(times);
    for _ in 0..times {
        let results = runtime.block_on(run_all(Arc::clone(&ctx), &trials));
        runs.push(results.iter().map(|(s, o)| Observed::of(s, o)).collect());
    }
    if let Some(graph) = &live_run {
        terminal::clean_up_at_the_end(runtime, graph, &target);
    }
    if let Some(task) = on_signal {
        task.abort();
    }
    Ok((runs, target.redactor()))
}

/// Runs the comparison; returns the exit code.
pub fn run(cli: &Cli, runtime: &tokio::runtime::Runtime) -> Result<u8, CommandError> {
    let [a, b] = cli.compare.as_slice() else {
        return Err(CommandError::Usage(
            "--compare needs two targets, A and B".into(),
        ));
    };
    let (side_a, side_b) = (side(cli, a)?, side(cli, b)?);
    let (mut runs_a, redact_a) = run_side(&side_a, runtime, 2)?;
    let (mut runs_b, redact_b) = run_side(&side_b, runtime, 1)?;
    let (again, first) = (
        runs_a.pop().unwrap_or_default(),
        runs_a.pop().unwrap_or_default(),
    );
    let b_run = runs_b.pop().unwrap_or_default();
    let both = |s: &str| redact_b.text(&redact_a.text(s));
    let (shown_a, shown_b) = (both(a), both(b));
    let comparison = compare((&shown_a, &shown_b), &first, &again, &b_run, &both);
    print!(
        "{}",
        crate::report::sanitize::terminal(&comparison.render_text())
    );
    write_reports(cli, &comparison)?;
    Ok(if !comparison.alike() {
        EXIT_NONCONFORMANT
    } else if !comparison.not_compared.is_empty() {
        EXIT_UNREACHABLE
    } else {
        EXIT_OK
    })
}

fn write_reports(cli: &Cli, c: &Comparison) -> Result<(), CommandError> {
    let write = |path: &std::path::Path, text: String| {
        std::fs::write(path, text)
            .map_err(|e| CommandError::Usage(format!("cannot write {}: {e}", path.display())))
    };
    if let Some(path) = &cli.report_json {
        let json = serde_json::to_string_pretty(c).unwrap_or_default();
        write(path, json + "\n")?;
    }
    if let Some(path) = &cli.report_markdown {
        write(path, c.render_markdown())?;
    }
    Ok(())
}
