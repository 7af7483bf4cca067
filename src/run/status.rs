//! How a trial ended, decided once: the verdict, under the run's enforcement and the
//! expectations file, becomes one [`TrialStatus`]. Everything that tells a run's story — the
//! libtest glue, the closing line, the JSON/JUnit/Markdown reports, coverage, the expectations
//! written from a run and the kill table — reads this status; nothing else maps a `Verdict`.

use serde::{Deserialize, Serialize};

use crate::case::finding::{Finding, Severity};
use crate::load::expectations::{Expectation, Expected};
use crate::run::outcome::{Outcome, Verdict};

/// Which expectations fail a run (DESIGN: `--enforce documented|all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Enforce {
    /// Only what the page says; where a target differs from the reference behaviour on what
    /// the page leaves open, the trial is reported as a divergence and does not fail.
    Documented,
    /// Everything, the reference behaviour included: divergences fail (mocks are held to it).
    All,
}

impl Enforce {
    /// The name on the command line and in reports (as serde writes it too).
    pub fn name(self) -> &'static str {
        match self {
            Enforce::Documented => "documented",
            Enforce::All => "all",
        }
    }
}

/// How one trial ended. Every trial of a run has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialStatus {
    /// Every check held.
    Pass,
    /// Not applicable to this target (the reason says why); nothing was sent.
    Skip,
    /// Failed or diverged exactly as the expectations file says it does on this target.
    ExpectedFail,
    /// Diverged exactly as the expectations file says it does on this target.
    ExpectedDiverge,
    /// Did better than the expectations file says (it passed, or only diverged where the
    /// file says it fails): the file is out of date.
    UnexpectedPass,
    /// Differs from the reference behaviour where the page is silent (not enforced).
    Diverge,
    /// The target is not conformant (or diverges, under `--enforce all`); also a trial whose
    /// expectation names another outcome than the one it had.
    Fail,
    /// The trial could not run (the target unreachable, provisioning, cleanup).
    Error,
    /// Its case file could not be loaded.
    Broken,
}

/// The run's rules for turning verdicts into statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Which expectations fail the run.
    pub enforce: Enforce,
    /// An unexpected pass does not fail the run (`--allow-unexpected-pass`).
    pub allow_unexpected_pass: bool,
}

impl Policy {
    /// Enforcing `enforce`, unexpected passes failing.
    pub fn new(enforce: Enforce) -> Policy {
        Policy {
            enforce,
            allow_unexpected_pass: false,
        }
    }

    /// The status of a trial that ran (or was skipped), with its expectation if any.
    pub fn status(&self, outcome: &Outcome, expected: Option<&Expectation>) -> TrialStatus {
        let raw = self.unexpected(outcome);
        let Some(e) = expected else { return raw };
        let diverged_only = matches!(outcome.verdict, Verdict::Diverge(_));
        match (raw, e.outcome) {
            (TrialStatus::Pass, _) => TrialStatus::UnexpectedPass,
            (TrialStatus::Fail, Expected::Fail) if !diverged_only => TrialStatus::ExpectedFail,
            (TrialStatus::Fail | TrialStatus::Diverge, Expected::Diverge) if diverged_only => {
                TrialStatus::ExpectedDiverge
            }
            // Expected to fail on the page, but it only diverges where the page is silent.
            (TrialStatus::Diverge, Expected::Fail) => TrialStatus::UnexpectedPass,
            // An expected divergence never covers a failure (and so on): the raw status.
            (other, _) => other,
        }
    }

    /// The status of a trial without an expectation.
    pub fn unexpected(&self, outcome: &Outcome) -> TrialStatus {
        // A trial that could not clean up could not run cleanly, unless it found a failure.
        let clean = outcome.cleanup.is_empty();
        match (&outcome.verdict, clean) {
            (Verdict::Pass, true) => TrialStatus::Pass,
            (Verdict::Fail(_), _) => TrialStatus::Fail,
            (Verdict::Diverge(_), _) if self.enforce == Enforce::All => TrialStatus::Fail,
            (Verdict::Diverge(_), true) => TrialStatus::Diverge,
            (Verdict::Skip(_), true) => TrialStatus::Skip,
            _ => TrialStatus::Error,
        }
    }

    /// Whether a trial with this status fails the run.
    pub fn fails(&self, status: TrialStatus) -> bool {
        match status {
            TrialStatus::Fail | TrialStatus::Error | TrialStatus::Broken => true,
            TrialStatus::UnexpectedPass => !self.allow_unexpected_pass,
            TrialStatus::Pass
            | TrialStatus::Skip
            | TrialStatus::ExpectedFail
            | TrialStatus::ExpectedDiverge
            | TrialStatus::Diverge => false,
        }
    }

    /// How libtest shows a trial with this status: passed, failed or ignored.
    pub fn libtest(&self, status: TrialStatus) -> Libtest {
        if self.fails(status) {
            Libtest::Failed
        } else {
            match status {
                TrialStatus::Pass | TrialStatus::UnexpectedPass => Libtest::Passed,
                _ => Libtest::Ignored,
            }
        }
    }
}

/// libtest's three outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libtest {
    /// `ok`.
    Passed,
    /// `FAILED`.
    Failed,
    /// `ignored`.
    Ignored,
}

impl TrialStatus {
    /// Every status, in the order the closing line and the reports count them.
    pub const ALL: [TrialStatus; 9] = [
        TrialStatus::Pass,
        TrialStatus::Fail,
        TrialStatus::Diverge,
        TrialStatus::ExpectedFail,
        TrialStatus::ExpectedDiverge,
        TrialStatus::UnexpectedPass,
        TrialStatus::Skip,
        TrialStatus::Error,
        TrialStatus::Broken,
    ];

    /// Its name in the JSON report (`expected_fail`, …) and JUnit's `status` property.
    pub fn name(self) -> &'static str {
        match self {
            TrialStatus::Pass => "pass",
            TrialStatus::Fail => "fail",
            TrialStatus::Diverge => "diverge",
            TrialStatus::ExpectedFail => "expected_fail",
            TrialStatus::ExpectedDiverge => "expected_diverge",
            TrialStatus::UnexpectedPass => "unexpected_pass",
            TrialStatus::Skip => "skip",
            TrialStatus::Error => "error",
            TrialStatus::Broken => "broken",
        }
    }

    /// How the closing line and the Markdown summary name a count of it.
    pub fn counted_as(self) -> &'static str {
        match self {
            TrialStatus::Pass => "passed",
            TrialStatus::Fail => "failed",
            TrialStatus::Diverge => "diverged (not enforced)",
            TrialStatus::ExpectedFail => "failed as expected",
            TrialStatus::ExpectedDiverge => "diverged as expected",
            TrialStatus::UnexpectedPass => "passed unexpectedly",
            TrialStatus::Skip => "skipped",
            TrialStatus::Error => "could not run",
            TrialStatus::Broken => "broken",
        }
    }

    /// How one rule the trial cites fared in it, from the trial's status and its findings: a
    /// rule that no finding names passed; one named only by findings that follow from an
    /// earlier one, or not named while the case's precondition failed (a finding naming no
    /// rule), was not verified (`Skip`: the earlier finding stands in its way); one named
    /// only by divergences diverged (failed under `--enforce all`); otherwise the trial's
    /// status. A trial that did not run to findings, or passed unexpectedly, gives every rule
    /// its status.
    pub fn for_rule(self, findings: &[Finding], rule: &str, enforce: Enforce) -> TrialStatus {
        let names = |f: &&Finding| f.rules.iter().any(|r| r == rule);
        let named: Vec<&Finding> = (findings.iter())
            .filter(|f| f.consequence_of.is_none())
            .filter(names)
            .collect();
        // Not verified: named only after an earlier finding, or the case's precondition (a
        // finding naming no rule) failed.
        let only_after = named.is_empty()
            && ((findings.iter())
                .filter(|f| f.consequence_of.is_some())
                .any(|f| names(&f))
                || (findings.iter()).any(|f| f.consequence_of.is_none() && f.rules.is_empty()));
        let with_findings = matches!(
            self,
            TrialStatus::Fail
                | TrialStatus::Diverge
                | TrialStatus::ExpectedFail
                | TrialStatus::ExpectedDiverge
        );
        match self {
            _ if with_findings && only_after => TrialStatus::Skip,
            _ if with_findings && named.is_empty() => TrialStatus::Pass,
            TrialStatus::Fail
                if enforce == Enforce::Documented
                    && named.iter().all(|f| f.severity == Severity::Divergence) =>
            {
                TrialStatus::Diverge
            }
            other => other,
        }
    }

    /// How coverage shows a trial that did not pass (none for a pass).
    pub fn trial_note(self) -> Option<&'static str> {
        match self {
            TrialStatus::Pass => None,
            TrialStatus::Fail => Some("failed"),
            TrialStatus::Diverge => Some("diverged"),
            TrialStatus::ExpectedFail => Some("expected failure"),
            TrialStatus::ExpectedDiverge => Some("expected divergence"),
            TrialStatus::UnexpectedPass => Some("passed unexpectedly"),
            TrialStatus::Skip => Some("skipped"),
            TrialStatus::Error => Some("error"),
            TrialStatus::Broken => Some("broken"),
        }
    }

    /// How coverage shows a rule whose worst trial ended so.
    pub fn rule_note(self) -> &'static str {
        match self {
            TrialStatus::Pass => "pass",
            TrialStatus::Skip => "skipped",
            TrialStatus::ExpectedFail | TrialStatus::ExpectedDiverge => "expected",
            TrialStatus::UnexpectedPass => "unexpected",
            TrialStatus::Diverge => "diverges",
            TrialStatus::Fail => "FAIL",
            TrialStatus::Error | TrialStatus::Broken => "ERROR",
        }
    }
}

/// The count of each status over a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Diverged (not enforced).
    pub diverged: usize,
    /// Failed as the expectations file says.
    pub expected_failures: usize,
    /// Diverged as the expectations file says.
    pub expected_divergences: usize,
    /// Passed although the expectations file says otherwise.
    pub unexpected_passes: usize,
    /// Skipped.
    pub skipped: usize,
    /// Could not run.
    pub errors: usize,
    /// Case files that could not be loaded.
    pub broken: usize,
}

impl Counts {
    /// Counts statuses.
    pub fn of(statuses: impl IntoIterator<Item = TrialStatus>) -> Counts {
        let mut c = Counts::default();
        for s in statuses {
            *c.slot(s) += 1;
        }
        c
    }

    fn slot(&mut self, s: TrialStatus) -> &mut usize {
        match s {
            TrialStatus::Pass => &mut self.passed,
            TrialStatus::Fail => &mut self.failed,
            TrialStatus::Diverge => &mut self.diverged,
            TrialStatus::ExpectedFail => &mut self.expected_failures,
            TrialStatus::ExpectedDiverge => &mut self.expected_divergences,
            TrialStatus::UnexpectedPass => &mut self.unexpected_passes,
            TrialStatus::Skip => &mut self.skipped,
            TrialStatus::Error => &mut self.errors,
            TrialStatus::Broken => &mut self.broken,
        }
    }

    /// How many trials ended with `s`.
    pub fn get(&self, s: TrialStatus) -> usize {
        let mut copy = self.clone();
        *copy.slot(s)
    }

    /// Every trial counted.
    pub fn total(&self) -> usize {
        TrialStatus::ALL.iter().map(|s| self.get(*s)).sum()
    }

    /// `30 passed, 3 failed, …`: every status, in order; the rarer ones only when they occur.
    pub fn sentence(&self) -> String {
        TrialStatus::ALL
            .iter()
            .filter(|s| {
                self.get(**s) > 0
                    || matches!(
                        s,
                        TrialStatus::Pass
                            | TrialStatus::Fail
                            | TrialStatus::Diverge
                            | TrialStatus::Skip
                            | TrialStatus::Error
                    )
            })
            .map(|s| format!("{} {}", self.get(*s), s.counted_as()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests;
