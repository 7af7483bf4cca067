//! A run as data, for machines: every trial with its case file, rules and their kinds, outcome,
//! duration, findings (typed locations) and the exchange — written as JSON (`--report-json`,
//! described by `schemas/report.schema.json`), JUnit XML (`--report-junit`) and a Markdown
//! summary (`--report-markdown`). Built from outcomes; never sends a request. Secrets are
//! redacted by the caller over the whole text.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::case::TrialSpec;
use crate::exchange::Exchange;
use crate::finding::{Finding, Location, Severity};
use crate::load::BrokenCase;
use crate::outcome::{Outcome, Verdict};
use crate::rules::{Catalogue, RuleKind};

/// How a trial ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrialOutcome {
    /// Every check held.
    Pass,
    /// The target breaks what the page says (or diverges, under `--enforce all`).
    Fail,
    /// The target differs from the reference behaviour where the page is silent (not enforced).
    Diverge,
    /// Not applicable to this target.
    Skip,
    /// The trial could not run (a broken case file, an unreachable target, provisioning).
    Error,
}

/// A rule a trial verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    /// Its id in `cases/rules.yaml`.
    pub id: String,
    /// `documented` or `inferred`.
    pub kind: String,
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
}

/// A request and its answer, as data (bodies as text; the token redacted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeReport {
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Request headers (Authorization shown as `Bearer <redacted>`).
    pub request_headers: Vec<(String, String)>,
    /// Request body.
    pub request_body: Option<String>,
    /// Response status (none when there was no answer).
    pub status: Option<u16>,
    /// Response headers.
    pub response_headers: Vec<(String, String)>,
    /// Response body.
    pub response_body: Option<String>,
    /// Why there was no answer.
    pub transport_error: Option<String>,
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
    pub outcome: TrialOutcome,
    /// Why it was skipped or could not run.
    pub reason: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: u64,
    /// Every finding.
    pub findings: Vec<FindingReport>,
    /// The request under test and its answer.
    pub exchange: Option<ExchangeReport>,
}

/// The counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Diverged (not enforced).
    pub diverged: usize,
    /// Skipped.
    pub skipped: usize,
    /// Could not run.
    pub errors: usize,
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
    pub enforce: String,
    /// The counts.
    pub summary: Summary,
    /// Every trial, in suite order.
    pub trials: Vec<TrialReport>,
}

/// A `curl` line that sends a recorded request again, the token as `$GRAPH_TOKEN`.
pub fn curl_line(x: &ExchangeReport) -> String {
    let quote = |w: &str| format!("'{}'", w.replace('\'', "'\\''"));
    let mut parts = vec!["curl -sS -X".to_string(), quote(&x.method), quote(&x.url)];
    for (k, v) in &x.request_headers {
        parts.push("-H".into());
        if k.eq_ignore_ascii_case("authorization") {
            parts.push("\"Authorization: Bearer $GRAPH_TOKEN\"".into());
        } else {
            parts.push(quote(&format!("{k}: {v}")));
        }
    }
    if let Some(b) = &x.request_body {
        parts.push("--data-binary".into());
        parts.push(quote(b));
    }
    parts.join(" ")
}

/// An exchange as data (Authorization redacted).
pub fn exchange_report(x: &Exchange) -> ExchangeReport {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (status, response_headers, response_body, transport_error) = match &x.response {
        Ok(r) => (Some(r.status), r.headers.clone(), Some(text(&r.body)), None),
        Err(e) => (None, Vec::new(), None, Some(e.to_string())),
    };
    ExchangeReport {
        method: x.request.method.clone(),
        url: x.request.url.clone(),
        request_headers: x
            .request
            .headers
            .iter()
            .map(|(k, v)| {
                let shown = if k.eq_ignore_ascii_case("authorization") {
                    "Bearer <redacted>".to_string()
                } else {
                    v.clone()
                };
                (k.clone(), shown)
            })
            .collect(),
        request_body: x.request.body.as_deref().map(text),
        status,
        response_headers,
        response_body,
        transport_error,
    }
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
    }
}

/// The rules of a trial with their kinds.
fn rules_of(spec: &TrialSpec, catalogue: &Catalogue) -> Vec<RuleRef> {
    let reference = spec.case.reference.iter().flat_map(|r| r.rules.iter());
    let mut seen = std::collections::HashSet::new();
    spec.case
        .rules
        .iter()
        .chain(reference)
        .filter(|id| seen.insert(*id))
        .map(|id| RuleRef {
            id: id.clone(),
            kind: match catalogue.get(id).map(|r| r.kind) {
                Some(RuleKind::Documented) => "documented".into(),
                Some(RuleKind::Inferred) => "inferred".into(),
                None => "unknown".into(),
            },
        })
        .collect()
}

/// One trial's report; `enforced` says whether divergences fail.
pub fn trial_report(
    spec: &TrialSpec,
    outcome: &Outcome,
    duration_ms: u64,
    catalogue: &Catalogue,
    enforced: bool,
) -> TrialReport {
    let (kind, reason, findings) = match &outcome.verdict {
        Verdict::Pass if outcome.cleanup.is_empty() => (TrialOutcome::Pass, None, &[][..]),
        Verdict::Pass => (
            TrialOutcome::Error,
            Some(
                outcome
                    .cleanup
                    .iter()
                    .map(|e| format!("cleanup: {e}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            &[][..],
        ),
        Verdict::Fail(f) => (TrialOutcome::Fail, None, f.as_slice()),
        Verdict::Diverge(f) if enforced => (TrialOutcome::Fail, None, f.as_slice()),
        Verdict::Diverge(f) => (TrialOutcome::Diverge, None, f.as_slice()),
        Verdict::Skip(r) => (TrialOutcome::Skip, Some(r.clone()), &[][..]),
        Verdict::Error(e) => (TrialOutcome::Error, Some(e.to_string()), &[][..]),
    };
    TrialReport {
        name: spec.name.clone(),
        case: spec.case.id.clone(),
        case_file: spec.case.file.clone(),
        rules: rules_of(spec, catalogue),
        outcome: kind,
        reason,
        duration_ms,
        findings: findings.iter().map(finding_report).collect(),
        exchange: outcome.exchange.as_ref().map(exchange_report),
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
        outcome: TrialOutcome::Error,
        reason: Some(text),
        duration_ms: 0,
        findings: Vec::new(),
        exchange: None,
    }
}

impl RunReport {
    /// A report over these trials (the counts are computed).
    pub fn new(target: &str, enforce: &str, trials: Vec<TrialReport>) -> RunReport {
        let mut summary = Summary::default();
        for t in &trials {
            match t.outcome {
                TrialOutcome::Pass => summary.passed += 1,
                TrialOutcome::Fail => summary.failed += 1,
                TrialOutcome::Diverge => summary.diverged += 1,
                TrialOutcome::Skip => summary.skipped += 1,
                TrialOutcome::Error => summary.errors += 1,
            }
        }
        RunReport {
            tool: "accessreview-conformance".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            target: target.into(),
            enforce: enforce.into(),
            summary,
            trials,
        }
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report as JUnit XML: failures, errors and skips apart; a divergence not enforced
    /// passes with its findings in system-out and a `divergence` property.
    pub fn to_junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
        let mut suite = TestSuite::new("accessreview-conformance");
        for t in &self.trials {
            let findings: String = t
                .findings
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}: expected {}, got {}\n",
                        f.subject, f.path, f.expected, f.actual
                    )
                })
                .collect();
            let mut status = match t.outcome {
                TrialOutcome::Pass | TrialOutcome::Diverge => TestCaseStatus::success(),
                TrialOutcome::Fail => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(t.findings.first().map_or("not conformant".into(), |f| {
                        format!("{}: {}", f.subject, f.path)
                    }));
                    s.set_description(findings.clone());
                    s
                }
                TrialOutcome::Error => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                    s.set_message(t.reason.clone().unwrap_or_default());
                    s
                }
                TrialOutcome::Skip => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(t.reason.clone().unwrap_or_default());
                    s
                }
            };
            if t.outcome == TrialOutcome::Diverge {
                status.set_message("diverges from the reference behaviour (not enforced)");
            }
            let mut case = TestCase::new(t.name.clone(), status);
            case.set_classname(t.case.clone());
            case.set_time(std::time::Duration::from_millis(t.duration_ms));
            case.add_property(Property::new("case_file", t.case_file.clone()));
            for r in &t.rules {
                case.add_property(Property::new(format!("rule.{}", r.kind), r.id.clone()));
            }
            if t.outcome == TrialOutcome::Diverge {
                case.add_property(Property::new("divergence", "true"));
            }
            let mut out = findings;
            if let Some(x) = &t.exchange {
                let _ = write!(
                    out,
                    "{} {}\n-> {}\n{}",
                    x.method,
                    x.url,
                    x.status.map_or("no answer".into(), |s| s.to_string()),
                    x.response_body.as_deref().unwrap_or("")
                );
            }
            if !out.is_empty() {
                case.set_system_out(out);
            }
            suite.add_test_case(case);
        }
        let mut report = Report::new("accessreview-conformance");
        report.add_test_suite(suite);
        report.to_string().unwrap_or_default()
    }

    /// A summary by outcome and by rule, readable in a pull request.
    pub fn to_markdown(&self) -> String {
        let s = &self.summary;
        let mut md = String::new();
        let _ = writeln!(md, "## accessreview-conformance\n");
        let _ = writeln!(
            md,
            "Target `{}`, enforcing `{}`: **{} passed, {} failed, {} diverged, {} skipped, {} could not run**.\n",
            self.target, self.enforce, s.passed, s.failed, s.diverged, s.skipped, s.errors
        );
        let listed = |o: TrialOutcome| self.trials.iter().filter(move |t| t.outcome == o);
        for (o, title) in [
            (TrialOutcome::Fail, "Failures"),
            (TrialOutcome::Error, "Could not run"),
            (TrialOutcome::Diverge, "Divergences"),
        ] {
            if listed(o).next().is_none() {
                continue;
            }
            let _ = writeln!(md, "### {title}\n");
            for t in listed(o) {
                let first = t
                    .findings
                    .first()
                    .map(|f| {
                        format!(
                            "{}: {} — expected {}, got {}",
                            f.subject, f.path, f.expected, f.actual
                        )
                    })
                    .or_else(|| t.reason.clone())
                    .unwrap_or_default();
                let _ = writeln!(
                    md,
                    "- `{}` ({}): {}",
                    t.name,
                    t.case_file,
                    first.replace('\n', " ")
                );
            }
            md.push('\n');
        }
        let mut by_rule: std::collections::BTreeMap<(&str, &str), [usize; 5]> = Default::default();
        for t in &self.trials {
            for r in &t.rules {
                let counts = by_rule.entry((r.kind.as_str(), r.id.as_str())).or_default();
                counts[t.outcome as usize] += 1;
            }
        }
        let _ = writeln!(md, "### By rule\n");
        let _ = writeln!(
            md,
            "| rule | kind | passed | failed | diverged | skipped | could not run |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|---|---|");
        for ((kind, id), c) in &by_rule {
            let _ = writeln!(
                md,
                "| `{id}` | {kind} | {} | {} | {} | {} | {} |",
                c[0], c[1], c[2], c[3], c[4]
            );
        }
        md
    }
}
