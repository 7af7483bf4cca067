//! A run as data, for machines: every trial with its case file, rules and their kinds, outcome,
//! duration, findings (typed locations) and the exchange — written as JSON (`--report-json`,
//! described by `schemas/report.schema.json`), JUnit XML (`--report-junit`) and a Markdown
//! summary (`--report-markdown`). Built from outcomes; never sends a request. Secrets are
//! redacted by the caller over the whole text.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::case::TrialSpec;
use crate::exchange::Exchange;
use crate::expectations::Expectation;
use crate::finding::{Finding, Location, Severity};
use crate::load::BrokenCase;
use crate::outcome::{Outcome, Verdict};
use crate::rules::{Catalogue, RuleKind};
use crate::status::{Counts, Enforce, Libtest, Policy, TrialStatus};

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

impl FindingReport {
    /// The finding as one line (the divergence wording for a divergence).
    pub fn line(&self) -> String {
        crate::finding::one_line(
            self.severity,
            &self.subject,
            &self.path,
            &self.expected,
            &self.actual,
        )
    }
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
    pub outcome: TrialStatus,
    /// Why it was skipped or could not run, or the expectation that held (or did not).
    pub reason: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: u64,
    /// Every finding.
    pub findings: Vec<FindingReport>,
    /// The request under test and its answer.
    pub exchange: Option<ExchangeReport>,
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
    /// Whether an unexpected pass fails the run (`--allow-unexpected-pass` says it does not).
    pub allow_unexpected_pass: bool,
    /// The count of each status.
    pub summary: Counts,
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

/// One trial's report, with the status the run gave it and the expectation it was held to.
pub fn trial_report(
    spec: &TrialSpec,
    outcome: &Outcome,
    duration_ms: u64,
    catalogue: &Catalogue,
    status: TrialStatus,
    expected: Option<&Expectation>,
) -> TrialReport {
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
        rules: rules_of(spec, catalogue),
        outcome: status,
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
        outcome: TrialStatus::Broken,
        reason: Some(text),
        duration_ms: 0,
        findings: Vec::new(),
        exchange: None,
    }
}

impl RunReport {
    /// A report over these trials (the counts are computed from their statuses).
    pub fn new(target: &str, policy: Policy, trials: Vec<TrialReport>) -> RunReport {
        RunReport {
            tool: "accessreview-conformance".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            target: target.into(),
            enforce: policy.enforce.name().into(),
            allow_unexpected_pass: policy.allow_unexpected_pass,
            summary: Counts::of(trials.iter().map(|t| t.outcome)),
            trials,
        }
    }

    /// The rules the statuses were given under.
    pub fn policy(&self) -> Policy {
        Policy {
            enforce: if self.enforce == "documented" {
                Enforce::Documented
            } else {
                Enforce::All
            },
            allow_unexpected_pass: self.allow_unexpected_pass,
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
        let policy = self.policy();
        let mut suite = TestSuite::new("accessreview-conformance");
        for t in &self.trials {
            let findings: String = t.findings.iter().map(|f| f.line() + "\n").collect();
            let reason = || t.reason.clone().unwrap_or_default();
            let status = match (policy.libtest(t.outcome), t.outcome) {
                (_, TrialStatus::Diverge) => {
                    let mut s = TestCaseStatus::success();
                    s.set_message("diverges from the reference behaviour (not enforced)");
                    s
                }
                (Libtest::Passed, _) => TestCaseStatus::success(),
                (Libtest::Failed, TrialStatus::Error | TrialStatus::Broken) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                    s.set_message(reason());
                    s
                }
                (Libtest::Failed, _) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(
                        t.findings
                            .first()
                            .map(|f| format!("{}: {}", f.subject, f.path))
                            .or(t.reason.clone())
                            .unwrap_or_else(|| "not conformant".into()),
                    );
                    s.set_description(findings.clone());
                    s
                }
                (Libtest::Ignored, _) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(reason());
                    s
                }
            };
            let mut case = TestCase::new(t.name.clone(), status);
            case.set_classname(t.case.clone());
            case.set_time(std::time::Duration::from_millis(t.duration_ms));
            case.add_property(Property::new("case_file", t.case_file.clone()));
            for r in &t.rules {
                case.add_property(Property::new(format!("rule.{}", r.kind), r.id.clone()));
            }
            if t.outcome == TrialStatus::Diverge {
                case.add_property(Property::new("divergence", "true"));
            }
            case.add_property(Property::new("status", status_name(t.outcome)));
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
        let mut md = String::new();
        let _ = writeln!(md, "## accessreview-conformance\n");
        let _ = writeln!(
            md,
            "Target `{}`, enforcing `{}`: **{}**.\n",
            self.target,
            self.enforce,
            self.summary.sentence()
        );
        let listed = |o: TrialStatus| self.trials.iter().filter(move |t| t.outcome == o);
        for (o, title) in [
            (TrialStatus::Fail, "Failures"),
            (TrialStatus::UnexpectedPass, "Passed unexpectedly"),
            (TrialStatus::Error, "Could not run"),
            (TrialStatus::Broken, "Broken case files"),
            (TrialStatus::Diverge, "Divergences"),
            (TrialStatus::ExpectedFail, "Failed as expected"),
            (TrialStatus::ExpectedDiverge, "Diverged as expected"),
        ] {
            if listed(o).next().is_none() {
                continue;
            }
            let _ = writeln!(md, "### {title}\n");
            for t in listed(o) {
                let first = t
                    .findings
                    .first()
                    .map(FindingReport::line)
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
        md.push_str(&self.by_rule_markdown());
        md
    }

    /// The "by rule" table: each rule, and how its trials ended.
    fn by_rule_markdown(&self) -> String {
        const COLUMNS: [(&str, &[TrialStatus]); 6] = [
            ("passed", &[TrialStatus::Pass, TrialStatus::UnexpectedPass]),
            ("failed", &[TrialStatus::Fail]),
            ("diverged", &[TrialStatus::Diverge]),
            (
                "expected",
                &[TrialStatus::ExpectedFail, TrialStatus::ExpectedDiverge],
            ),
            ("skipped", &[TrialStatus::Skip]),
            ("could not run", &[TrialStatus::Error, TrialStatus::Broken]),
        ];
        let mut by_rule: std::collections::BTreeMap<(&str, &str), [usize; 6]> = Default::default();
        for t in &self.trials {
            let column = COLUMNS.iter().position(|(_, s)| s.contains(&t.outcome));
            for r in &t.rules {
                let counts = by_rule.entry((r.kind.as_str(), r.id.as_str())).or_default();
                if let Some(c) = column {
                    counts[c] += 1;
                }
            }
        }
        let mut md = String::new();
        let _ = writeln!(md, "### By rule\n");
        let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
        let _ = writeln!(md, "| rule | kind | {} |", names.join(" | "));
        let _ = writeln!(md, "|---|---|{}", "---|".repeat(COLUMNS.len()));
        for ((kind, id), c) in &by_rule {
            let cells: Vec<String> = c.iter().map(ToString::to_string).collect();
            let _ = writeln!(md, "| `{id}` | {kind} | {} |", cells.join(" | "));
        }
        md
    }
}

/// A status as the JSON report names it.
pub fn status_name(s: TrialStatus) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
