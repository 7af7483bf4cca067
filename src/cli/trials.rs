//! The libtest-mimic trials of a run: one per case × matrix row × method in the shard (a
//! broken case file is one trial), each given its [`TrialStatus`] once, kept in the run
//! record, and shown to libtest as that status says.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use libtest_mimic::{Completion, Failed, Trial};

use super::args::Cli;
use crate::case::TrialSpec;
use crate::case::rules::Catalogue;
use crate::load::expectations::{Expectation, Expectations, Expected};
use crate::load::{LoadedCase, Suite};
use crate::profile::observed::Observed;
use crate::report::data::{TrialReport, broken_report, trial_report};
use crate::report::text::{render_broken, render_outcome};
use crate::run::outcome::{Outcome, TrialError, Verdict};
use crate::run::status::{Libtest, Policy, TrialStatus};
use crate::run::{RunContext, run_trial, skip_reason};

/// What the trials of a run recorded as they ended.
#[derive(Default)]
pub(super) struct RunRecord {
    /// Each trial's report (with its status), by its place in the run.
    pub(super) reports: BTreeMap<usize, TrialReport>,
    /// The text of each divergence that did not fail its trial, by trial name.
    pub(super) divergences: BTreeMap<String, String>,
    /// Why each trial that could not run could not, without where (counted together at
    /// the end).
    pub(super) errors: Vec<String>,
    /// What each trial showed of the target, when the run records it (`--probe`).
    pub(super) observed: BTreeMap<usize, Observed>,
}

pub(super) type Record = Arc<Mutex<RunRecord>>;

/// Records a trial's report, its divergence text (when it did not fail) and why it could not
/// run (when it could not), under one lock.
fn keep(
    record: &Record,
    at: usize,
    report: TrialReport,
    divergence: Option<String>,
    error: Option<String>,
    observed: Option<Observed>,
) {
    let mut r = record.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(o) = observed {
        r.observed.insert(at, o);
    }
    if let Some(text) = divergence {
        r.divergences.insert(report.name.clone(), text);
    }
    r.errors.extend(error);
    r.reports.insert(at, report);
}

/// Why a trial with this status and outcome could not run, if it could not.
fn error_cause(status: TrialStatus, outcome: &Outcome) -> Option<String> {
    (status == TrialStatus::Error).then(|| match &outcome.verdict {
        Verdict::Error(e) => e.cause(),
        _ => "its starting state could not be deleted".into(),
    })
}

/// Everything a trial closure needs, shared.
pub(super) struct Trials<'a> {
    pub(super) cli: &'a Cli,
    pub(super) ctx: &'a Arc<RunContext>,
    pub(super) handle: &'a tokio::runtime::Handle,
    pub(super) record: &'a Record,
    pub(super) policy: Policy,
    pub(super) expectations: &'a Arc<Expectations>,
    pub(super) rules: Arc<Catalogue>,
}

impl Trials<'_> {
    /// One libtest-mimic trial per case × matrix row × method in this shard; a broken case
    /// file is one failing trial.
    pub(super) fn build(&self, suite: &Suite) -> Vec<Trial> {
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
                            keep(&record, at, report, None, None, None);
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
            let cause = error_cause(status, &outcome);
            let observed = ctx.observe.is_some().then(|| Observed::of(&spec, &outcome));
            keep(&record, at, report, divergence, cause, observed);
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
