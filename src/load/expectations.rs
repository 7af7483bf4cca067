//! `--expectations FILE`: trials known to fail (or diverge) on a target, each with a reason —
//! the way web-platform-tests keeps expectation files per browser. An expected failure does not
//! fail the run; an unexpected pass does (unless `--allow-unexpected-pass`); an entry that
//! matches no trial is stale (reported; failing with `--strict-expectations`).
//! `--write-expectations FILE` writes the file from a run. `schemas/expectations.schema.json`
//! describes it for editors.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;

/// What a trial is expected to do on this target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// It fails (breaks what the page says).
    Fail,
    /// It diverges from the reference behaviour (matters under `--enforce all`).
    Diverge,
}

impl Expected {
    /// Its name in the file.
    pub fn name(self) -> &'static str {
        match self {
            Expected::Fail => "fail",
            Expected::Diverge => "diverge",
        }
    }
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
        crate::load::read_yaml_file(
            path,
            Some(
                "expectations: [{trial, outcome: fail|diverge, reason, link?}] (see schemas/expectations.schema.json)",
            ),
        )
    }

    /// The expectation for a trial.
    pub fn get(&self, trial: &str) -> Option<&Expectation> {
        self.expectations.iter().find(|e| e.trial == trial)
    }

    /// Entries that name no trial of a run.
    pub fn stale<'a>(&'a self, trials: &std::collections::BTreeSet<&str>) -> Vec<&'a str> {
        self.expectations
            .iter()
            .map(|e| e.trial.as_str())
            .filter(|t| !trials.contains(t))
            .collect()
    }

    /// The file as YAML.
    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).unwrap_or_default();
        format!("# yaml-language-server: $schema=schemas/expectations.schema.json\n{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_entries_and_outcome_names() {
        let file: Expectations = serde_yaml::from_str(
            "expectations:\n  - {trial: a::put, outcome: fail, reason: known}\n  - {trial: gone::put, outcome: diverge, reason: old, link: 'https://x'}\n",
        )
        .unwrap();
        let run = std::collections::BTreeSet::from(["a::put", "c::put"]);
        assert_eq!(file.stale(&run), ["gone::put"]);
        assert_eq!(file.get("a::put").map(|e| e.outcome), Some(Expected::Fail));
        assert_eq!(Expected::Diverge.name(), "diverge");
        assert!(
            serde_yaml::from_str::<Expectations>(
                "expectations: [{trial: a, outcome: maybe, reason: r}]"
            )
            .is_err()
        );
    }
}
