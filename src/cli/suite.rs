//! A run of the suite on libtest-mimic: connect, run the trials ([`super::trials`]), then the
//! closing line, the reports and the exit code, all read from the same run record.

use std::collections::BTreeSet;
use std::sync::{Arc, PoisonError};

use super::args::{Cli, CoverageMode, FixtureStrategy};
use super::error::{CommandError, EXIT_NONCONFORMANT, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE};
use super::trials::{Record, Trials};
use super::{connect, inputs, terminal};
use crate::load::Suite;
use crate::load::schema::SchemaSet;
use crate::profile::{Profile, ProfileError};
use crate::report::coverage::{coverage, render_coverage};
use crate::report::data::RunReport;
use crate::report::files::ReportPaths;
use crate::run::RunContext;
use crate::run::status::{Enforce, Policy};

/// How many trials run at once by default: they wait on the network (and, live, on
/// activation), not the CPU — enough that a suite against a silent target ends in one timeout.
pub const DEFAULT_TRIAL_THREADS: usize = 64;

/// What libtest will run of the trials: its filter, `--exact` and `--skip`.
pub fn selector(harness: &libtest_mimic::Arguments) -> impl Fn(&str) -> bool + '_ {
    move |name: &str| {
        let matches = |pattern: &str| {
            if harness.exact {
                name == pattern
            } else {
                name.contains(pattern)
            }
        };
        harness.filter.as_deref().is_none_or(matches) && !harness.skip.iter().any(|s| matches(s))
    }
}

/// `--enforce`, or its default: everything against mocks, the page against a real tenant.
fn enforcement(cli: &Cli) -> Enforce {
    cli.enforce.unwrap_or(match cli.fixtures {
        FixtureStrategy::Control => Enforce::All,
        FixtureStrategy::Graph => Enforce::Documented,
    })
}

/// Runs the suite against the target the flags name; returns the exit code.
pub fn run(
    cli: &Cli,
    runtime: &tokio::runtime::Runtime,
    schemas: Arc<SchemaSet>,
    suite: &Suite,
) -> Result<u8, CommandError> {
    let listing = cli.harness.list;
    let policy = Policy {
        enforce: enforcement(cli),
        allow_unexpected_pass: cli.allow_unexpected_pass,
    };
    let selected = selector(&cli.harness);
    if cli.keep_on_failure && cli.base_url.is_none() {
        return Err(CommandError::Usage(
            "--keep-on-failure needs a target that outlives the run (--base-url): the embedded mock stops with the run, and a kept state with it; start `accessreview-mock` and point --base-url at it".into(),
        ));
    }
    // A file the run writes must be writable before any request (a live run takes hours).
    if let (Some(path), false) = (&cli.probe, listing) {
        check_writable(path)?;
    }
    // A file the run was given is read before any request.
    let held = match &cli.profile {
        Some(path) => Some(Arc::new(
            Profile::read(path)
                .map_err(|e| match e {
                    ProfileError::File(d) => CommandError::File(d),
                    other => CommandError::Usage(other.to_string()),
                })?
                .held_to(),
        )),
        None => None,
    };
    let live = cli.fixtures == FixtureStrategy::Graph && !listing;
    if live {
        inputs::check_tenant_principals(cli, suite, &selected)?;
    }
    let (target, _mock) = connect::connect(cli, runtime, listing)?;
    let (provisioner, live_run) = connect::provisioner(cli, &target);
    if let (Some(graph), false) = (&live_run, listing) {
        runtime.spawn(terminal::clean_up_on_signal(graph.clone()));
    }
    if !listing {
        super::canary::run(
            runtime,
            provisioner.as_ref(),
            &target,
            suite,
            cli.update_method,
            &selected,
            live,
        )?;
    }
    let mut ctx =
        RunContext::with_provisioner(target, provisioner, schemas, suite.principals.clone());
    if cli.probe.is_some() {
        ctx.observe = Some(crate::run::behaviour::Detail::Facts);
    }
    ctx.profile = held;
    let expectations = Arc::new(inputs::expectations(cli)?);
    if cli.keep_on_failure {
        // Kept: the state of a trial whose status fails the run (not an expected failure,
        // not a divergence that is not enforced).
        let expected = Arc::clone(&expectations);
        ctx.keep = Some(crate::run::KeepWhen(Arc::new(move |name, outcome| {
            policy.fails(policy.status(outcome, expected.get(name)))
        })));
    }
    let ctx = Arc::new(ctx);
    let record: Record = Arc::default();
    let trials = Trials {
        cli,
        ctx: &ctx,
        handle: runtime.handle(),
        record: &record,
        policy,
        expectations: &expectations,
        rules: Arc::new(suite.rules.clone()),
    }
    .build(suite);
    if !listing {
        eprintln!("{}", terminal::enforcement_line(policy.enforce));
    }
    // Trials mostly wait on the network (and, live, on activation): run many at once unless
    // --test-threads says otherwise.
    let mut harness = cli.harness.clone();
    harness.test_threads = harness.test_threads.or(Some(DEFAULT_TRIAL_THREADS));
    let shown = (cli.fixtures == FixtureStrategy::Graph
        && !listing
        && std::io::IsTerminal::is_terminal(&std::io::stderr()))
    .then(|| runtime.spawn(terminal::show_progress(Arc::clone(&ctx.progress))));
    let conclusion = libtest_mimic::run(&harness, trials);
    if let Some(task) = shown {
        task.abort();
        eprint!("\r\x1b[2K");
    }
    // Whatever a trial left (a panicking trial skips its own cleanup) is deleted now.
    if let Some(graph) = &live_run {
        terminal::clean_up_at_the_end(runtime, graph, &ctx.target);
    }
    if listing {
        return Ok(EXIT_OK);
    }
    let record = std::mem::take(&mut *record.lock().unwrap_or_else(PoisonError::into_inner));
    let report = RunReport::new(
        &ctx.target.base_url,
        policy,
        record.reports.into_values().collect(),
    );
    let divergences: Vec<(&str, &str)> = record
        .divergences
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // A cause may quote an error message (a certificate's name): secrets out, terminal-safe.
    let causes: Vec<String> = (record.errors.iter())
        .map(|c| crate::report::sanitize::terminal(&ctx.target.redact(c)))
        .collect();
    eprint!(
        "{}",
        terminal::closing(&divergences, &causes, &report.summary)
    );
    let paths = ReportPaths {
        json: cli.report_json.clone(),
        junit: cli.report_junit.clone(),
        markdown: cli.report_markdown.clone(),
        record: cli.record.clone(),
        expectations: cli.write_expectations.clone(),
    };
    let warnings = crate::report::files::write_all(&report, &paths, &ctx.target.redactor())?;
    if let Some(path) = &cli.probe {
        let observed: Vec<_> = record.observed.into_values().collect();
        Profile::of_run(&observed, &|s| ctx.target.redact(s))
            .write(path)
            .map_err(|e| CommandError::Usage(e.to_string()))?;
    }
    for w in warnings {
        eprintln!("{w}");
    }
    if let Some(kept) = terminal::kept_states(&report) {
        eprintln!(
            "{}",
            crate::report::sanitize::terminal(&ctx.target.redact(&kept))
        );
    }
    let names: BTreeSet<&str> = report.trials.iter().map(|t| t.name.as_str()).collect();
    let stale = expectations.stale(&names);
    if !stale.is_empty() {
        eprintln!("{}", terminal::stale_expectations(&stale, &names));
    }
    if cli.coverage == Some(CoverageMode::Run) {
        let statuses = crate::report::coverage::RunResults::of(&report);
        println!();
        print!(
            "{}",
            render_coverage(&coverage(suite, cli.update_method), Some(&statuses))
        );
    }
    let unrun = terminal::broken_not_run(suite, &report);
    let c = &report.summary;
    let failing = report
        .trials
        .iter()
        .filter(|t| policy.fails(t.outcome))
        .count();
    Ok(if c.broken > 0 || unrun > 0 {
        EXIT_USAGE
    } else if c.errors > 0 {
        EXIT_UNREACHABLE
    } else if failing > 0
        || (cli.strict_expectations && !stale.is_empty())
        // A trial libtest saw fail without a status (it should not happen) fails the run.
        || conclusion.num_failed as usize > failing
    {
        EXIT_NONCONFORMANT
    } else {
        EXIT_OK
    })
}

/// Whether `path` can be written, without changing a file that is there (the profile a probe
/// replaces keeps its evidence) or leaving one that was not.
fn check_writable(path: &std::path::Path) -> Result<(), CommandError> {
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| CommandError::Usage(format!("cannot write {}: {e}", path.display())))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}
