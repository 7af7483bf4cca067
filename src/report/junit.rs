//! The run as JUnit XML (quick-junit, the writer nextest uses): failures, errors and skips
//! apart, as the trials' statuses say.

use std::fmt::Write as _;

use crate::report::data::{FindingReport, RunReport};
use crate::run::status::{Libtest, TrialStatus};

impl RunReport {
    /// The report as JUnit XML: failures, errors and skips apart; a divergence not enforced
    /// passes with its findings in system-out and a `divergence` property.
    pub fn to_junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
        // Every character XML forbids, shown escaped: a target's body may carry any.
        let this = self.mapped(&crate::report::sanitize::xml);
        let policy = this.policy();
        let mut suite = TestSuite::new("accessreview-conformance");
        for t in &this.trials {
            // Each finding with the rules it breaks; what follows from another, indented under it.
            let mut findings = String::new();
            for (cause, consequences) in FindingReport::grouped(&t.findings) {
                let rules = if cause.rules.is_empty() {
                    "a precondition of the case".to_string()
                } else {
                    cause.rules.join(", ")
                };
                let _ = writeln!(findings, "{} [{rules}]", cause.line());
                for f in consequences {
                    let _ = writeln!(findings, "  follows from it: {}", f.line());
                }
            }
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
            // The rules this trial found broken: only those a finding names
            // (`rule.fail`, `rule.diverge`, `rule.expected_fail`, …).
            let broken = [
                TrialStatus::Fail,
                TrialStatus::Diverge,
                TrialStatus::ExpectedFail,
                TrialStatus::ExpectedDiverge,
            ];
            for r in t.rules.iter().filter(|r| broken.contains(&r.outcome)) {
                let name = format!("rule.{}", r.outcome.name());
                case.add_property(Property::new(name, r.id.clone()));
            }
            if t.outcome == TrialStatus::Diverge {
                case.add_property(Property::new("divergence", "true"));
            }
            case.add_property(Property::new("status", t.outcome.name()));
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
}
