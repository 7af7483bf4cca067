//! `--expectations FILE`: trials known to fail (or diverge) on a target, each with a reason —
//! the way web-platform-tests keeps expectation files per browser. An expected failure does not
//! fail the run; an unexpected pass does (unless `--allow-unexpected-pass`); an entry that
//! matches no trial is stale (reported; failing with `--strict-expectations`).
//! `--write-expectations FILE` writes the file from a run. `schemas/expectations.schema.json`
//! describes it for editors.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::run_report::{RunReport, TrialOutcome};
use crate::source::Diagnostic;

/// What a trial is expected to do on this target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// It fails (breaks what the page says).
    Fail,
    /// It diverges from the reference behaviour (matters under `--enforce all`).
    Diverge,
}

/// One expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The trial's name, as `--list` prints it.
    pub trial: String,
    /// What it does on this target.
    pub outcome: Expected,
    /// Why (a known bug, a choice of the target).
    pub reason: String,
    /// Where to read more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// An expectations file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// The expectations, one per trial.
    pub expectations: Vec<Expectation>,
}

impl Expectations {
    /// Reads a file; a problem points at its line and column.
    pub fn load(path: &Path) -> Result<Expectations, Box<Diagnostic>> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Box::new(Diagnostic::file(shown.clone(), format!("cannot read: {e}"))))?;
        serde_yaml::from_str(&text).map_err(|e| {
            let src = crate::source::SourceFile::new(shown.clone(), text.clone());
            Box::new(crate::load::yaml_diagnostic(&src, &e).with_help(
                "expectations: [{trial, outcome: fail|diverge, reason, link?}] (see schemas/expectations.schema.json)",
            ))
        })
    }

    /// The expectation for a trial.
    pub fn get(&self, trial: &str) -> Option<&Expectation> {
        self.expectations.iter().find(|e| e.trial == trial)
    }

    /// The file a run would need: every failing trial, and every divergence.
    pub fn from_report(report: &RunReport) -> Expectations {
        let expectations = report
            .trials
            .iter()
            .filter_map(|t| {
                let outcome = match t.outcome {
                    TrialOutcome::Fail
                        if t.findings
                            .iter()
                            .all(|f| f.severity == crate::finding::Severity::Divergence) =>
                    {
                        Expected::Diverge
                    }
                    TrialOutcome::Fail => Expected::Fail,
                    TrialOutcome::Diverge => Expected::Diverge,
                    _ => return None,
                };
                let first = t
                    .findings
                    .first()
                    .map(|f| {
                        format!(
                            "{}: {}: expected {}, got {}",
                            f.subject, f.path, f.expected, f.actual
                        )
                    })
                    .unwrap_or_default();
                Some(Expectation {
                    trial: t.name.clone(),
                    outcome,
                    reason: format!("recorded from a run against {}: {first}", report.target),
                    link: None,
                })
            })
            .collect();
        Expectations { expectations }
    }

    /// The file as YAML.
    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).unwrap_or_default();
        format!("# yaml-language-server: $schema=schemas/expectations.schema.json\n{body}")
    }
}

/// How a run's trials compare with the expectations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Failing (or enforced-diverging) trials that were expected to: they do not fail the run.
    pub expected: Vec<String>,
    /// Trials expected to fail or diverge that passed.
    pub unexpected_passes: Vec<String>,
    /// Entries that match no trial of the run.
    pub stale: Vec<String>,
}

/// Compares a run (`trial → outcome`) with the expectations.
pub fn compare(
    outcomes: &BTreeMap<String, TrialOutcome>,
    expectations: &Expectations,
) -> Comparison {
    let mut c = Comparison::default();
    for e in &expectations.expectations {
        match outcomes.get(&e.trial) {
            None => c.stale.push(e.trial.clone()),
            Some(TrialOutcome::Fail | TrialOutcome::Diverge) => c.expected.push(e.trial.clone()),
            Some(TrialOutcome::Pass) => c.unexpected_passes.push(e.trial.clone()),
            Some(TrialOutcome::Skip | TrialOutcome::Error) => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_failures_unexpected_passes_and_stale_entries() {
        let file: Expectations = serde_yaml::from_str(
            "expectations:\n  - {trial: a::put, outcome: fail, reason: known}\n  - {trial: b::put, outcome: fail, reason: fixed?}\n  - {trial: gone::put, outcome: diverge, reason: old, link: 'https://x'}\n",
        )
        .unwrap();
        let outcomes = BTreeMap::from([
            ("a::put".to_string(), TrialOutcome::Fail),
            ("b::put".to_string(), TrialOutcome::Pass),
            ("c::put".to_string(), TrialOutcome::Fail),
        ]);
        let c = compare(&outcomes, &file);
        assert_eq!(c.expected, ["a::put"]);
        assert_eq!(c.unexpected_passes, ["b::put"]);
        assert_eq!(c.stale, ["gone::put"]);
        assert!(
            serde_yaml::from_str::<Expectations>(
                "expectations: [{trial: a, outcome: maybe, reason: r}]"
            )
            .is_err()
        );
    }
}
