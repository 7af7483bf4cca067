//! Divergences and `--enforce`: a trial fails only when what the page says is broken; a
//! target that differs from the reference behaviour where the page is silent diverges, which
//! fails the run only with `--enforce all` (the default against mocks).

mod common;

use accessreview_conformance::load::files::{EMBEDDED_CASES, embedded};
use accessreview_conformance::load::{LoadedCase, is_case_file, load_suite};
use common::*;
use rstest::rstest;

/// A case whose page expectation holds on the reference mock and whose `reference` block
/// demands a status the mock does not answer: a divergence.
const DIVERGING: &str = "\
description: a divergence
rules: [success-returns-updated-instance]
given:
  use: in-progress
when:
  body:
    scope: ${given.instance.scope}
then:
  status: 200
reference:
  rules: [response-has-odata-context]
  status: 299
";

/// A case whose documented expectation the reference mock does not meet: a failure.
const FAILING: &str = "\
description: a failure
rules: [success-returns-updated-instance]
given:
  use: in-progress
when:
  body:
    scope: ${given.instance.scope}
then:
  status: 299
";

/// Only inferred rules: its `then` is the reference behaviour, so breaking it diverges.
const INFERRED_ONLY: &str = "\
description: inferred only
rules: [response-has-odata-context]
given:
  use: in-progress
when:
  body:
    scope: ${given.instance.scope}
then:
  status: 299
";

/// Runs the runner on the shared files plus `cases`; returns the exit code, everything printed
/// (stdout then stderr), and the first line of stderr.
fn run_cases(cases: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String, String) {
    let extra: Vec<(&str, &[u8])> = cases.iter().map(|(r, t)| (*r, t.as_bytes())).collect();
    let out = run_case_folder(|_| false, &extra, args);
    (out.code, out.text, out.first_stderr_line)
}

#[rstest]
#[case::divergence_not_enforced(&[("t/d.yaml", DIVERGING)], &["--enforce", "documented"], Some(0), "1 diverged (not enforced)")]
#[case::divergence_enforced(&[("t/d.yaml", DIVERGING)], &["--enforce", "all"], Some(1), "1 failed")]
#[case::divergence_enforced_by_default(&[("t/d.yaml", DIVERGING)], &[], Some(1), "1 failed")]
#[case::inferred_only_not_enforced(&[("t/i.yaml", INFERRED_ONLY)], &["--enforce", "documented"], Some(0), "1 diverged (not enforced)")]
#[case::failure_under_documented(&[("t/f.yaml", FAILING), ("t/d.yaml", DIVERGING)], &["--enforce", "documented"], Some(1), "1 failed, 1 diverged (not enforced)")]
fn divergences_fail_the_run_only_when_enforced(
    #[case] cases: &[(&str, &str)],
    #[case] args: &[&str],
    #[case] code: Option<i32>,
    #[case] summary: &str,
) {
    let (got, t, first) = run_cases(cases, args);
    assert_eq!(got, code, "{t}");
    assert!(t.contains(summary), "{t}");
    let documented = args.contains(&"documented");
    let expected_first = if documented {
        "enforcing documented rules only (--enforce documented)"
    } else {
        "enforcing all expectations (--enforce all)"
    };
    assert!(
        first.starts_with(expected_first),
        "first line: {first}\n{t}"
    );
}

#[test]
fn a_divergence_says_what_the_target_did_and_what_the_reference_is() {
    let (code, t, _) = run_cases(&[("t/d.yaml", DIVERGING)], &["--enforce", "documented"]);
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains("test t/d::put ... ignored (diverges: status: the reference behaviour is 299; the target gave 200)"),
        "{t}"
    );
    assert!(t.contains("divergences (not enforced):"), "{t}");
    assert!(
        t.contains("diverges from the reference behaviour where the page is silent: 1 finding(s)"),
        "{t}"
    );
    assert!(t.contains("response-has-odata-context (inferred)"), "{t}");
}

#[rstest]
#[case::documented_rule_in_reference(
    &DIVERGING.replace("rules: [response-has-odata-context]", "rules: [scope-required]"),
    "`scope-required` is a documented rule"
)]
#[case::reference_without_rules(
    &DIVERGING.replace("  rules: [response-has-odata-context]\n", ""),
    "reference names no rule"
)]
#[case::then_without_status(&FAILING.replace("  status: 299\n", "  schema: graphError\n"), "then has no status")]
#[case::rules_in_then(&FAILING.replace("  status: 299\n", "  status: 299\n  rules: [scope-required]\n"), "rules are listed at the top of the case")]
fn reference_blocks_are_checked(#[case] text: &str, #[case] message: &str) {
    // The loader's own checks, with the case schema out of the way.
    let schemas = permissive_schemas();
    let mut files: Vec<_> = embedded(&EMBEDDED_CASES, "cases")
        .unwrap()
        .into_iter()
        .filter(|f| !is_case_file(&f.rel))
        .collect();
    files.push(accessreview_conformance::load::files::InputFile::text(
        "t/x.yaml",
        "cases/t/x.yaml",
        text,
    ));
    let suite = load_suite(&files, &schemas, None).unwrap();
    let LoadedCase::Broken(b) = &suite.cases[0] else {
        panic!("the case loads:\n{text}")
    };
    assert!(
        b.diagnostics
            .iter()
            .any(|d| d.message.contains(message) && d.span.is_some()),
        "{:#?}",
        b.diagnostics
    );
}
