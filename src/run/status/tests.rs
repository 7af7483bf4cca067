use super::*;
use crate::case::finding::{Finding, Location, Severity};
use rstest::rstest;

fn finding(severity: Severity) -> Finding {
    let mut f = Finding::new(Location::Status, "200", "400");
    f.severity = severity;
    f.rules = vec!["r".into()];
    f
}

fn named(severity: Severity, rules: &[&str], consequence: bool) -> Finding {
    let mut f = finding(severity);
    f.rules = rules.iter().map(|r| r.to_string()).collect();
    f.consequence_of = consequence.then_some(0);
    f
}

#[rstest]
// A failed trial: only the rules its findings name failed.
#[case(TrialStatus::Fail, vec![named(Severity::Failure, &["a"], false)], "a", Enforce::Documented, TrialStatus::Fail)]
#[case(TrialStatus::Fail, vec![named(Severity::Failure, &["a"], false)], "b", Enforce::Documented, TrialStatus::Pass)]
// A consequence does not count against its rules: they were not verified.
#[case(TrialStatus::Fail, vec![named(Severity::Failure, &["a"], false), named(Severity::Failure, &["b"], true)], "b", Enforce::Documented, TrialStatus::Skip)]
#[case(TrialStatus::Fail, vec![named(Severity::Failure, &["a"], false), named(Severity::Failure, &["a"], true)], "a", Enforce::Documented, TrialStatus::Fail)]
// A failed precondition (a finding naming no rule): the rules were not verified.
#[case(TrialStatus::Fail, vec![named(Severity::Failure, &[], false)], "a", Enforce::Documented, TrialStatus::Skip)]
// An unexpected pass fails the run: every rule keeps it.
#[case(TrialStatus::UnexpectedPass, vec![named(Severity::Divergence, &["a"], false)], "b", Enforce::Documented, TrialStatus::UnexpectedPass)]
// A rule named only by divergences diverged, unless divergences are enforced.
#[case(TrialStatus::Fail, vec![named(Severity::Failure, &["a"], false), named(Severity::Divergence, &["b"], false)], "b", Enforce::Documented, TrialStatus::Diverge)]
#[case(TrialStatus::Fail, vec![named(Severity::Divergence, &["b"], false)], "b", Enforce::All, TrialStatus::Fail)]
#[case(TrialStatus::ExpectedFail, vec![named(Severity::Failure, &["a"], false)], "a", Enforce::Documented, TrialStatus::ExpectedFail)]
#[case(TrialStatus::ExpectedFail, vec![named(Severity::Failure, &["a"], false)], "b", Enforce::Documented, TrialStatus::Pass)]
// A trial without findings gives every rule its own status.
#[case(TrialStatus::Error, vec![], "a", Enforce::Documented, TrialStatus::Error)]
#[case(TrialStatus::Skip, vec![], "a", Enforce::Documented, TrialStatus::Skip)]
fn a_rule_fails_only_when_a_finding_names_it(
    #[case] trial: TrialStatus,
    #[case] findings: Vec<Finding>,
    #[case] rule: &str,
    #[case] enforce: Enforce,
    #[case] expected: TrialStatus,
) {
    assert_eq!(trial.for_rule(&findings, rule, enforce), expected);
}

fn outcome(verdict: &str) -> Outcome {
    let verdict = match verdict {
        "pass" => Verdict::Pass,
        "fail" => Verdict::Fail(vec![finding(Severity::Failure)]),
        "diverge" => Verdict::Diverge(vec![finding(Severity::Divergence)]),
        "skip" => Verdict::Skip("no credential".into()),
        "error" => Verdict::Error(crate::run::outcome::TrialError::ReadBefore("down".into())),
        other => panic!("{other}"),
    };
    Outcome::without_exchange(verdict)
}

fn expect(outcome: Expected) -> Expectation {
    Expectation {
        trial: "t::put".into(),
        outcome,
        reason: "known".into(),
        link: None,
    }
}

#[rstest]
#[case::pass("pass", Enforce::All, None, TrialStatus::Pass)]
#[case::fail("fail", Enforce::Documented, None, TrialStatus::Fail)]
#[case::diverge_documented("diverge", Enforce::Documented, None, TrialStatus::Diverge)]
#[case::diverge_enforced("diverge", Enforce::All, None, TrialStatus::Fail)]
#[case::skip("skip", Enforce::All, None, TrialStatus::Skip)]
#[case::error("error", Enforce::All, None, TrialStatus::Error)]
#[case::expected_fail("fail", Enforce::All, Some(Expected::Fail), TrialStatus::ExpectedFail)]
#[case::expected_divergence(
    "diverge",
    Enforce::Documented,
    Some(Expected::Diverge),
    TrialStatus::ExpectedDiverge
)]
#[case::expected_divergence_enforced(
    "diverge",
    Enforce::All,
    Some(Expected::Diverge),
    TrialStatus::ExpectedDiverge
)]
#[case::divergence_does_not_cover_a_failure(
    "fail",
    Enforce::Documented,
    Some(Expected::Diverge),
    TrialStatus::Fail
)]
#[case::divergence_does_not_cover_a_failure_enforced(
    "fail",
    Enforce::All,
    Some(Expected::Diverge),
    TrialStatus::Fail
)]
#[case::expected_fail_but_only_diverges(
    "diverge",
    Enforce::Documented,
    Some(Expected::Fail),
    TrialStatus::UnexpectedPass
)]
#[case::expected_fail_but_only_diverges_enforced(
    "diverge",
    Enforce::All,
    Some(Expected::Fail),
    TrialStatus::Fail
)]
#[case::unexpected_pass_of_a_failure(
    "pass",
    Enforce::All,
    Some(Expected::Fail),
    TrialStatus::UnexpectedPass
)]
#[case::unexpected_pass_of_a_divergence(
    "pass",
    Enforce::Documented,
    Some(Expected::Diverge),
    TrialStatus::UnexpectedPass
)]
#[case::skip_with_expectation("skip", Enforce::All, Some(Expected::Fail), TrialStatus::Skip)]
#[case::error_with_expectation("error", Enforce::All, Some(Expected::Fail), TrialStatus::Error)]
fn each_verdict_and_expectation_has_one_status(
    #[case] verdict: &str,
    #[case] enforce: Enforce,
    #[case] expected: Option<Expected>,
    #[case] status: TrialStatus,
) {
    let e = expected.map(expect);
    assert_eq!(
        Policy::new(enforce).status(&outcome(verdict), e.as_ref()),
        status
    );
}

#[test]
fn a_cleanup_problem_makes_a_pass_an_error_but_not_a_failure_a_pass() {
    let policy = Policy::new(Enforce::All);
    let problem = crate::provision::ProvisionError::Protocol {
        what: "DELETE fixture".into(),
        status: 500,
        body: "x".into(),
    };
    let mut passed = outcome("pass");
    passed.cleanup.push(problem.clone());
    assert_eq!(policy.unexpected(&passed), TrialStatus::Error);
    let mut failed = outcome("fail");
    failed.cleanup.push(problem);
    assert_eq!(policy.unexpected(&failed), TrialStatus::Fail);
}

#[rstest]
#[case(TrialStatus::Pass, false, Libtest::Passed)]
#[case(TrialStatus::Fail, false, Libtest::Failed)]
#[case(TrialStatus::Error, false, Libtest::Failed)]
#[case(TrialStatus::Broken, false, Libtest::Failed)]
#[case(TrialStatus::UnexpectedPass, false, Libtest::Failed)]
#[case(TrialStatus::UnexpectedPass, true, Libtest::Passed)]
#[case(TrialStatus::ExpectedFail, false, Libtest::Ignored)]
#[case(TrialStatus::ExpectedDiverge, false, Libtest::Ignored)]
#[case(TrialStatus::Diverge, false, Libtest::Ignored)]
#[case(TrialStatus::Skip, false, Libtest::Ignored)]
fn libtest_shows_each_status(
    #[case] status: TrialStatus,
    #[case] allow_unexpected_pass: bool,
    #[case] shown: Libtest,
) {
    let policy = Policy {
        enforce: Enforce::All,
        allow_unexpected_pass,
    };
    assert_eq!(policy.libtest(status), shown);
}

#[test]
fn counts_count_every_status_once() {
    let c = Counts::of(TrialStatus::ALL);
    for s in TrialStatus::ALL {
        assert_eq!(c.get(s), 1, "{s:?}");
    }
    assert_eq!(c.total(), TrialStatus::ALL.len());
    assert_eq!(
        Counts::of([TrialStatus::Pass, TrialStatus::Broken]).sentence(),
        "1 passed, 0 failed, 0 diverged (not enforced), 0 skipped, 0 could not run, 1 broken"
    );
}

#[test]
fn names_are_the_ones_the_json_report_writes() {
    for s in TrialStatus::ALL {
        assert_eq!(serde_json::to_value(s).unwrap(), s.name(), "{s:?}");
    }
    for e in [Enforce::All, Enforce::Documented] {
        assert_eq!(serde_json::to_value(e).unwrap(), e.name(), "{e:?}");
    }
}
