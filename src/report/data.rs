//! A run as data, for machines: every trial with its case file, rules and their kinds, outcome,
//! duration, findings (typed locations) and the exchange — written as JSON (`--report-json`,
//! described by `schemas/report.schema.json`), JUnit XML (`--report-junit`) and a Markdown
//! summary (`--report-markdown`). Built from outcomes; never sends a request. Secrets are
//! taken out of the data before it is written ([`RunReport::redacted`]).

use serde::{Deserialize, Serialize};

use crate::case::TrialSpec;
use crate::case::finding::{Finding, Location, Severity};
use crate::case::rules::Catalogue;
use crate::load::BrokenCase;
use crate::load::expectations::Expectation;
use crate::run::outcome::{Outcome, Verdict};
use crate::run::status::{Counts, Enforce, Policy, TrialStatus};

mod exchange;
pub use exchange::{ExchangeReport, KeptReport, RequestReport, curl_line, exchange_report};

/// A rule a trial verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// Its id in `cases/rules.yaml`.
    pub id: String,
    /// `documented` or `inferred`.
    pub kind: String,
    /// How the rule fared in this trial: failed (or diverged) only when a finding names it
    /// ([`TrialStatus::for_rule`]).
    pub outcome: TrialStatus,
}

/// One finding, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingReport {
    /// `failure` or `divergence`.
    pub severity: Severity,
    /// For `repeat` cases: which copy of the request.
    pub request: Option<usize>,
    /// Where, typed.
    pub location: Location,
    /// Where, for people.
    pub path: String,
    /// What was checked, for people.
    pub subject: String,
    /// What was expected.
    pub expected: String,
    /// What came back.
    pub actual: String,
    /// The rules it breaks.
    pub rules: Vec<String>,
    /// When it only follows from an earlier finding: that finding's index in `findings`.
    pub consequence_of: Option<usize>,
}

impl FindingReport {
    /// The findings that follow from no other, each with those that follow from it.
    pub fn grouped(findings: &[FindingReport]) -> Vec<(&FindingReport, Vec<&FindingReport>)> {
        findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.consequence_of.is_none())
            .map(|(i, cause)| {
                let consequences = findings
                    .iter()
                    .filter(|f| f.consequence_of == Some(i))
                    .collect();
                (cause, consequences)
            })
            .collect()
    }

    /// The finding as one line (the divergence wording for a divergence).
    pub fn line(&self) -> String {
        crate::case::finding::one_line(
            self.severity,
            &self.subject,
            &self.path,
            &self.expected,
            &self.actual,
        )
    }
}

/// One trial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialReport {
    /// The trial's name (`case/id[matrix]::method`).
    pub name: String,
    /// The case id.
    pub case: String,
    /// The case file.
    pub case_file: String,
    /// The rules it verifies (the case's and its reference's).
    pub rules: Vec<RuleRef>,
    /// How it ended.
    pub outcome: TrialStatus,
    /// Why it was skipped or could not run, or the expectation that held (or did not).
    pub reason: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: u64,
    /// Every finding.
    pub findings: Vec<FindingReport>,
    /// The request under test and its answer.
    pub exchange: Option<ExchangeReport>,
    /// The requests that created its starting state, as sent (a reproduction rebuilds the
    /// state with them first).
    pub setup: Vec<RequestReport>,
    /// The starting state, when it was left on the target (`--keep-on-failure`).
    pub kept: Option<KeptReport>,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// `accessreview-conformance`.
    pub tool: String,
    /// The tool's version.
    pub version: String,
    /// The target's base URL.
    pub target: String,
    /// `documented` or `all`.
    pub enforce: Enforce,
    /// Whether an unexpected pass fails the run (`--allow-unexpected-pass` says it does not).
    pub allow_unexpected_pass: bool,
    /// The count of each status.
    pub summary: Counts,
    /// Every trial, in suite order.
    pub trials: Vec<TrialReport>,
}

/// `text` kept up to `cap` bytes (at a character boundary); the rest replaced by the whole
/// text's length and SHA-256, so that a report's size does not follow a target's.
pub fn capped(text: String, cap: usize) -> String {
    if text.len() <= cap {
        return text;
    }
    let mut end = cap;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}… (cut: {} bytes in all, SHA-256 {hex})",
        &text[..end],
        text.len()
    )
}

fn finding_report(f: &Finding) -> FindingReport {
    FindingReport {
        severity: f.severity,
        request: f.request,
        location: f.location.clone(),
        path: f.path(),
        subject: f.subject(),
        expected: f.expected.clone(),
        actual: f.actual.clone(),
        rules: f.rules.clone(),
        consequence_of: f.consequence_of,
    }
}

/// The rules of a trial with their kinds and how each fared.
fn rules_of(
    spec: &TrialSpec,
    catalogue: &Catalogue,
    status: TrialStatus,
    findings: &[Finding],
    enforce: Enforce,
) -> Vec<RuleRef> {
    spec.cited_rules()
        .into_iter()
        .map(|id| RuleRef {
            id: id.to_string(),
            kind: catalogue
                .get(id)
                .map_or("unknown", |r| r.kind.name())
                .into(),
            outcome: status.for_rule(findings, id, enforce),
        })
        .collect()
}

/// One trial's report, with the status the run gave it and the expectation it was held to;
/// every value a target chose redacted, then kept up to `cap` bytes ([`capped`]) — in that
/// order, so that no cut leaves part of a secret.
#[allow(clippy::too_many_arguments)]
pub fn trial_report(
    spec: &TrialSpec,
    outcome: &Outcome,
    duration_ms: u64,
    catalogue: &Catalogue,
    status: TrialStatus,
    enforce: Enforce,
    expected: Option<&Expectation>,
    cap: usize,
    redactor: &crate::target::redact::Redactor,
) -> TrialReport {
    let clean = |text: String| capped(redactor.text(&text), cap);
    let findings = match &outcome.verdict {
        Verdict::Fail(f) | Verdict::Diverge(f) => f.as_slice(),
        _ => &[][..],
    };
    let cleanup = || {
        outcome
            .cleanup
            .iter()
            .map(|e| format!("cleanup: {e}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let reason = match (&outcome.verdict, expected) {
        (Verdict::Skip(r), _) if status == TrialStatus::Skip => Some(r.clone()),
        (Verdict::Error(e), _) => Some(e.to_string()),
        _ if status == TrialStatus::Error => Some(cleanup()),
        (_, Some(e)) => Some(format!(
            "the expectations file: {}: {}",
            e.outcome.name(),
            e.reason
        )),
        _ => None,
    };
    TrialReport {
        name: spec.name.clone(),
        case: spec.case.id.clone(),
        case_file: spec.case.file.clone(),
        rules: rules_of(spec, catalogue, status, findings, enforce),
        outcome: status,
        reason: reason.map(clean),
        duration_ms,
        findings: findings
            .iter()
            .map(|f| {
                let mut r = finding_report(f);
                r.expected = clean(r.expected);
                r.actual = clean(r.actual);
                r
            })
            .collect(),
        exchange: outcome
            .exchange
            .as_ref()
            .map(|x| exchange_report(x).map(&clean)),
        setup: (outcome.setup.iter())
            .map(|r| RequestReport::of(r).map(&clean))
            .collect(),
        kept: outcome.kept.as_ref().map(|k| KeptReport::of(k).map(&clean)),
    }
}

/// A broken case file's report (one trial that could not run).
pub fn broken_report(case: &BrokenCase, text: String) -> TrialReport {
    TrialReport {
        name: case.id.clone(),
        case: case.id.clone(),
        case_file: case
            .diagnostics
            .first()
            .map(|d| d.path.clone())
            .unwrap_or_default(),
        rules: Vec::new(),
        outcome: TrialStatus::Broken,
        reason: Some(text),
        duration_ms: 0,
        findings: Vec::new(),
        exchange: None,
        setup: Vec::new(),
        kept: None,
    }
}

impl RunReport {
    /// A report over these trials (the counts are computed from their statuses).
    pub fn new(target: &str, policy: Policy, trials: Vec<TrialReport>) -> RunReport {
        RunReport {
            tool: "accessreview-conformance".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            target: target.into(),
            enforce: policy.enforce,
            allow_unexpected_pass: policy.allow_unexpected_pass,
            summary: Counts::of(trials.iter().map(|t| t.outcome)),
            trials,
        }
    }

    /// The rules the statuses were given under.
    pub fn policy(&self) -> Policy {
        Policy {
            enforce: self.enforce,
            allow_unexpected_pass: self.allow_unexpected_pass,
        }
    }

    /// The same report with every free-text value through `f`: the target, and each trial's
    /// name, case, case file, reason, findings' texts and exchange. Names of fields and
    /// enumerated values (outcomes, kinds) are the report's own and never mapped.
    pub fn mapped(&self, f: &dyn Fn(&str) -> String) -> RunReport {
        let g = |s: String| f(&s);
        let mut report = self.clone();
        report.target = f(&report.target);
        for t in &mut report.trials {
            t.name = f(&t.name);
            t.case = f(&t.case);
            t.case_file = f(&t.case_file);
            t.reason = t.reason.take().map(g);
            for finding in &mut t.findings {
                finding.path = f(&finding.path);
                finding.subject = f(&finding.subject);
                finding.expected = f(&finding.expected);
                finding.actual = f(&finding.actual);
            }
            t.exchange = t.exchange.take().map(|x| x.map(&g));
            t.setup = std::mem::take(&mut t.setup)
                .into_iter()
                .map(|r| r.map(&g))
                .collect();
            t.kept = t.kept.take().map(|k| k.map(&g));
            for r in &mut t.rules {
                r.id = f(&r.id);
            }
            for finding in &mut t.findings {
                finding.rules = finding.rules.iter().map(|r| f(r)).collect();
            }
        }
        report
    }

    /// The same report with every secret taken out of every value, before anything is
    /// serialised (so that no format's escaping hides a secret and no marker breaks a format).
    pub fn redacted(&self, redactor: &crate::target::redact::Redactor) -> RunReport {
        self.mapped(&|s| redactor.text(s))
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
