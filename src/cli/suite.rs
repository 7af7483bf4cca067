//! A run of the suite on libtest-mimic: one trial per case × matrix row × method (a broken case
//! file is one trial), each given its [`TrialStatus`] once, kept in the run record, and shown
//! to libtest as that status says. The closing line, the reports and the exit code read the
//! same record.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use libtest_mimic::{Completion, Failed, Trial};

use super::args::{Cli, CoverageMode, FixtureStrategy};
use super::error::{CommandError, EXIT_NONCONFORMANT, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE};
use super::{connect, inputs, terminal};
use crate::case::TrialSpec;
use crate::case::rules::Catalogue;
use crate::load::expectations::{Expectation, Expectations, Expected};
use crate::load::schema::SchemaSet;
use crate::load::{LoadedCase, Suite};
use crate::report::coverage::{coverage, render_coverage};
use crate::report::data::{RunReport, TrialReport, broken_report, trial_report};
use crate::report::files::ReportPaths;
use crate::report::text::{render_broken, render_outcome};
use crate::run::outcome::{Outcome, TrialError, Verdict};
use crate::run::status::{Enforce, Libtest, Policy, TrialStatus};
use crate::run::{RunContext, run_trial, skip_reason};

/// How many trials run at once by default: they wait on the network (and, live, on
/// activation), not the CPU — enough that a suite against a silent target ends in one timeout.
pub const DEFAULT_TRIAL_THREADS: usize = 64;

/// What the trials of a run recorded as they ended.
#[derive(Default)]
struct RunRecord {
    /// Each trial's report (with its status), by its place in the run.
    reports: BTreeMap<usize, TrialReport>,
    /// The text of each divergence that did not fail its trial, by trial name.
    divergences: BTreeMap<String, String>,
}

type Record = Arc<Mutex<RunRecord>>;

fn keep(record: &Record, at: usize, report: TrialReport, divergence: Option<String>) {
    let mut r = record.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(text) = divergence {
        r.divergences.insert(report.name.clone(), text);
    }
    r.reports.insert(at, report);
}

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
        )
        .map_err(|e| match e {
            CommandError::Setup(message) => CommandError::Setup(target.redact(&message)),
            other => other,
        })?;
    }
    let mut ctx =
        RunContext::with_provisioner(target, provisioner, schemas, suite.principals.clone());
    ctx.keep_on_failure = cli.keep_on_failure;
    let ctx = Arc::new(ctx);
    let expectations = Arc::new(inputs::expectations(cli)?);
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
        // At the end of a run there is time: whatever is left, and anything of this run the
        // tenant holds that the run never heard of (a lost create answer), is deleted.
        let within = ctx
            .target
            .timeout
            .saturating_mul(10)
            .max(std::time::Duration::from_secs(60));
        for (id, e) in runtime.block_on(graph.delete_all(within)) {
            eprintln!(
                "{}",
                crate::report::sanitize::terminal(&ctx.target.redact(&format!(
                    "could not delete definition {id}: {e} (run --sweep later)"
                )))
            );
        }
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
    eprint!("{}", terminal::closing(&divergences, &report.summary));
    let paths = ReportPaths {
        json: cli.report_json.clone(),
        junit: cli.report_junit.clone(),
        markdown: cli.report_markdown.clone(),
        record: cli.record.clone(),
        expectations: cli.write_expectations.clone(),
    };
    let warnings = crate::report::files::write_all(&report, &paths, &ctx.target.redactor())?;
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

/// Everything a trial closure needs, shared.
struct Trials<'a> {
    cli: &'a Cli,
    ctx: &'a Arc<RunContext>,
    handle: &'a tokio::runtime::Handle,
    record: &'a Record,
    policy: Policy,
    expectations: &'a Arc<Expectations>,
    rules: Arc<Catalogue>,
}

impl Trials<'_> {
    /// One libtest-mimic trial per case × matrix row × method in this shard; a broken case
    /// file is one failing trial.
    fn build(&self, suite: &Suite) -> Vec<Trial> {
        let mut trials = Vec::new();
        // Every trial's position in the whole suite, for --partition.
        let mut position = 0usize;
        let mut in_shard = |name: &str| {
            let here = position;
            position += 1;
            self.cli.partition.is_none_or(|p| p.includes(here, name))
        };
        for loaded in &suite.cases {
            match loaded {
                LoadedCase::Broken(b) => {
                    if in_shard(&b.id) {
                        let message = render_broken(b);
                        let report = broken_report(b, message.clone());
                        let (record, at) = (Arc::clone(self.record), trials.len());
                        trials.push(Trial::test(b.id.clone(), move || {
                            keep(&record, at, report, None);
                            Err(Failed::from(message))
                        }));
                    }
                }
                LoadedCase::Ok(case) => {
                    for spec in case.trials(self.cli.update_method) {
                        if in_shard(&spec.name) {
                            let at = trials.len();
                            trials.push(self.trial(spec, at));
                        }
                    }
                }
            }
        }
        trials
    }

    /// One trial: run (or skip), give it its status, keep its report, answer libtest.
    fn trial(&self, spec: TrialSpec, at: usize) -> Trial {
        // Listing sends nothing, so it does not ask whether a credential is missing.
        let skip = if self.cli.harness.list {
            spec.case.skip.clone()
        } else {
            skip_reason(&spec.case, &self.ctx.target)
        };
        let ctx = Arc::clone(self.ctx);
        let rules = Arc::clone(&self.rules);
        let record = Arc::clone(self.record);
        let handle = self.handle.clone();
        let expected = self.expectations.get(&spec.name).cloned();
        let policy = self.policy;
        let cap = self.cli.max_report_value;
        Trial::ignorable_test(spec.name.clone(), move || {
            let started = std::time::Instant::now();
            let outcome = match skip {
                Some(reason) => Outcome::without_exchange(Verdict::Skip(reason)),
                None => run_guarded(&handle, &ctx, &spec),
            };
            let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let status = policy.status(&outcome, expected.as_ref());
            let report = trial_report(
                &spec,
                &outcome,
                took,
                &rules,
                status,
                policy.enforce,
                expected.as_ref(),
                cap,
                &ctx.target.redactor(),
            );
            // What libtest prints: secrets out, then safe for a terminal and a CI log.
            let redact = |s: &str| crate::report::sanitize::terminal(&ctx.target.redact(s));
            let text = || render_outcome(&spec, &outcome, &rules, &redact);
            let divergence = (status == TrialStatus::Diverge).then(text);
            keep(&record, at, report, divergence);
            answer(policy, status, &outcome, expected.as_ref(), text, &redact)
        })
    }
}

/// Runs a trial; a trial that panics is a trial that could not run (so that every trial has
/// a status), not a lost one.
fn run_guarded(handle: &tokio::runtime::Handle, ctx: &RunContext, spec: &TrialSpec) -> Outcome {
    let run = std::panic::AssertUnwindSafe(|| handle.block_on(run_trial(ctx, spec)));
    std::panic::catch_unwind(run).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        Outcome::without_exchange(Verdict::Error(TrialError::Panicked(why)))
    })
}

/// What libtest is told about a trial with this status.
fn answer(
    policy: Policy,
    status: TrialStatus,
    outcome: &Outcome,
    expected: Option<&Expectation>,
    text: impl Fn() -> String,
    redact: &dyn Fn(&str) -> String,
) -> Result<Completion, Failed> {
    // An expectations file may have been written from a hostile target's answers.
    let reason = expected.map_or_else(String::new, |e| redact(&e.reason));
    let said = expected.map_or("", |e| e.outcome.name());
    match (policy.libtest(status), status, &outcome.verdict) {
        (Libtest::Passed, ..) => Ok(Completion::Completed),
        (Libtest::Ignored, TrialStatus::Skip, Verdict::Skip(why)) => {
            Ok(Completion::ignored_with(redact(why)))
        }
        (Libtest::Ignored, TrialStatus::Diverge, Verdict::Diverge(findings)) => {
            let first = findings
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            Ok(Completion::ignored_with(format!(
                "diverges: {}",
                redact(&first)
            )))
        }
        (Libtest::Ignored, ..) => Ok(Completion::ignored_with(format!(
            "expected to {said}: {reason}"
        ))),
        (_, TrialStatus::UnexpectedPass, Verdict::Diverge(_)) => Err(Failed::from(format!(
            "only diverges, but the expectations file says it fails ({reason}); change its \
             entry's outcome to diverge, or pass --allow-unexpected-pass\n\n{}",
            text()
        ))),
        (_, TrialStatus::UnexpectedPass, _) => Err(Failed::from(format!(
            "passed, but the expectations file says it does not ({reason}); remove its entry, \
             or pass --allow-unexpected-pass"
        ))),
        (_, TrialStatus::Fail, _) if expected.is_some_and(|e| e.outcome == Expected::Diverge) => {
            Err(Failed::from(format!(
                "the expectations file says it only diverges ({reason}), but it fails:\n\n{}",
                text()
            )))
        }
        _ => Err(Failed::from(text())),
    }
}
