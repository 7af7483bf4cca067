//! Rule coverage: which trials verify each rule of the catalogue, and — after a run — how each
//! rule fared on the target. Rendering only; no requests.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::case::UpdateMethod;
use crate::case::finding::Severity;
use crate::case::rules::RuleKind;
use crate::load::{LoadedCase, Suite};
use crate::report::data::RunReport;
use crate::run::status::TrialStatus;

/// One rule and the trials that verify it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoverageRow {
    /// The rule id.
    pub rule: String,
    /// Documented or inferred.
    pub kind: RuleKind,
    /// Trial names, in suite order.
    pub trials: Vec<String>,
    /// For each trial, how its expectations for this rule weigh: a failure (the page, in
    /// `then`) or a divergence (the reference behaviour).
    pub weights: Vec<Severity>,
}

/// Every rule of the catalogue (in catalogue order) with the trials that cite it.
pub fn coverage(suite: &Suite, update: UpdateMethod) -> Vec<CoverageRow> {
    let mut by_rule: BTreeMap<String, Vec<(String, Severity)>> = BTreeMap::new();
    for loaded in &suite.cases {
        if let LoadedCase::Ok(case) = loaded {
            let reference: Vec<&String> = case.reference.iter().flat_map(|r| &r.rules).collect();
            for trial in case.trials(update) {
                for rule in trial.cited_rules() {
                    // A rule the reference cites, or any rule of a trial whose `then` is the
                    // reference behaviour (a case citing only inferred rules, or a method the
                    // page does not document), is held as a divergence; the page's rules fail.
                    let weight = if reference.iter().any(|r| r.as_str() == rule) {
                        Severity::Divergence
                    } else {
                        trial.then_severity()
                    };
                    by_rule
                        .entry(rule.to_string())
                        .or_default()
                        .push((trial.name.clone(), weight));
                }
            }
        }
    }
    suite
        .rules
        .rules
        .iter()
        .map(|r| {
            let (trials, weights) = by_rule
                .remove(r.id.as_str())
                .unwrap_or_default()
                .into_iter()
                .unzip();
            CoverageRow {
                rule: r.id.clone(),
                kind: r.kind,
                trials,
                weights,
            }
        })
        .collect()
}

/// Documented rules that no case verifies.
pub fn uncovered_documented(rows: &[CoverageRow]) -> Vec<&str> {
    rows.iter()
        .filter(|r| r.kind == RuleKind::Documented && r.trials.is_empty())
        .map(|r| r.rule.as_str())
        .collect()
}

/// After a run: for each trial, how each rule it cites fared in it (failed only when a
/// finding names the rule).
#[derive(Debug, Clone, Default)]
pub struct RunResults {
    by_trial: BTreeMap<String, BTreeMap<String, TrialStatus>>,
}

impl RunResults {
    /// The results of a run's report.
    pub fn of(report: &RunReport) -> RunResults {
        RunResults {
            by_trial: report
                .trials
                .iter()
                .map(|t| {
                    let rules = t.rules.iter().map(|r| (r.id.clone(), r.outcome)).collect();
                    (t.name.clone(), rules)
                })
                .collect(),
        }
    }

    /// Records how `rule` fared in `trial`.
    pub fn insert(&mut self, trial: &str, rule: &str, status: TrialStatus) {
        self.by_trial
            .entry(trial.to_string())
            .or_default()
            .insert(rule.to_string(), status);
    }

    /// How `rule` fared in `trial`, if the trial ran in this run.
    pub fn get(&self, trial: &str, rule: &str) -> Option<TrialStatus> {
        self.by_trial.get(trial)?.get(rule).copied()
    }
}

/// The outcome of a rule over its trials: the worst of them (statuses are ordered from
/// best to worst), or none.
fn rule_outcome(rule: &str, trials: &[String], results: &RunResults) -> &'static str {
    let worst = trials.iter().filter_map(|t| results.get(t, rule)).max();
    match worst {
        None if trials.is_empty() => "no case",
        None => "not run",
        Some(s) => s.rule_note(),
    }
}

/// The coverage table. With `results` (a run), each rule also shows its outcome on the target,
/// and each trial its own result when it did not pass.
pub fn render_coverage(rows: &[CoverageRow], results: Option<&RunResults>) -> String {
    let width = rows.iter().map(|r| r.rule.len()).max().unwrap_or(4).max(4);
    let mut s = String::new();
    let outcome_col = results.is_some();
    let _ = writeln!(
        s,
        "{:<width$}  {:<10}  {}{:<10}  trials",
        "rule",
        "kind",
        if outcome_col { "outcome   " } else { "" },
        "held to"
    );
    for row in rows {
        let outcome = results
            .map(|r| format!("{:<10}", rule_outcome(&row.rule, &row.trials, r)))
            .unwrap_or_default();
        let trial_text = |t: &String| match results.and_then(|r| r.get(t, &row.rule)?.trial_note())
        {
            Some(note) => format!("{t} ({note})"),
            None => t.clone(),
        };
        // What each trial's expectations for the rule are: the page's (a failure when broken)
        // or the reference behaviour's (a divergence).
        let held = |i: usize| match row.weights.get(i) {
            Some(Severity::Failure) => "page",
            Some(Severity::Divergence) => "reference",
            None => "",
        };
        let line = |i: usize, t: &String| format!("{:<10}  {}", held(i), trial_text(t));
        let first = row
            .trials
            .first()
            .map(|t| line(0, t))
            .unwrap_or_else(|| format!("{:<10}  (none)", ""));
        let _ = writeln!(
            s,
            "{:<width$}  {:<10}  {outcome}{first}",
            row.rule,
            row.kind.name()
        );
        let pad = " ".repeat(width + 2 + 10 + 2 + if outcome_col { 10 } else { 0 });
        for (i, t) in row.trials.iter().enumerate().skip(1) {
            let _ = writeln!(s, "{pad}{}", line(i, t));
        }
    }
    let documented = rows
        .iter()
        .filter(|r| r.kind == RuleKind::Documented)
        .count();
    let uncovered = uncovered_documented(rows);
    let _ = writeln!(
        s,
        "\n{} rules ({documented} documented, {} inferred); {} documented without a case{}",
        rows.len(),
        rows.len() - documented,
        uncovered.len(),
        if uncovered.is_empty() {
            String::new()
        } else {
            format!(": {}", uncovered.join(", "))
        }
    );
    s
}
