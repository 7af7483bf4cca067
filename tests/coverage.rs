//! Rule traceability: every documented rule has a case, every case cites known rules, every
//! deviation breaks a known rule, and `--coverage` prints the table pinned by a golden file.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use accessreview_conformance::case::UpdateMethod;
use accessreview_conformance::case::finding::Severity;
use accessreview_conformance::case::rules::RuleKind;
use accessreview_conformance::load::LoadedCase;
use accessreview_conformance::report::coverage::{coverage, render_coverage, uncovered_documented};
use accessreview_conformance::run::status::TrialStatus;
use accessreview_mock::Deviation;
use common::*;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/coverage.txt");

#[test]
fn every_documented_rule_has_a_case_and_every_case_cites_known_rules() {
    let (_, suite) = shipped();
    let rows = coverage(&suite, UpdateMethod::Put);
    assert_eq!(uncovered_documented(&rows), Vec::<&str>::new());
    for loaded in &suite.cases {
        let LoadedCase::Ok(case) = loaded else {
            panic!("a shipped case is broken")
        };
        for r in &case.rules {
            assert!(
                suite.rules.get(r).is_some(),
                "{} cites unknown rule {r}",
                case.id
            );
        }
    }
    // Inferred rules say why they are believed; ids are unique.
    let mut ids = std::collections::HashSet::new();
    for r in &suite.rules.rules {
        assert!(ids.insert(&r.id), "rule {} twice", r.id);
        if r.kind == RuleKind::Inferred {
            assert!(
                r.reason.as_deref().is_some_and(|x| !x.trim().is_empty()),
                "{} has no reason",
                r.id
            );
        }
    }
}

#[test]
fn every_deviation_breaks_a_known_rule_and_every_rule_has_a_deviation() {
    let (_, suite) = shipped();
    for d in Deviation::ALL {
        assert!(
            suite.rules.get(d.breaks()).is_some(),
            "{d} breaks unknown rule {}",
            d.breaks()
        );
    }
    for r in &suite.rules.rules {
        assert!(
            Deviation::ALL.iter().any(|d| d.breaks() == r.id),
            "no deviation breaks {}",
            r.id
        );
    }
}

#[test]
fn coverage_output_matches_the_golden_file() {
    let out = run_with_deadline(
        Command::new(RUNNER).arg("--coverage"),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let printed = String::from_utf8(out.stdout).unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &printed).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN)
        .expect("tests/golden/coverage.txt (UPDATE_GOLDEN=1 writes it)");
    assert_eq!(
        printed, golden,
        "--coverage output changed; if intended, rerun with UPDATE_GOLDEN=1"
    );
    // The table lists every rule with its cases.
    let (_, suite) = shipped();
    for row in coverage(&suite, UpdateMethod::Put) {
        assert!(
            printed
                .lines()
                .any(|l| l.starts_with(&format!("{} ", row.rule))),
            "{} missing",
            row.rule
        );
        for t in &row.trials {
            assert!(printed.contains(t.as_str()), "{t} missing");
        }
    }
}

#[test]
fn coverage_with_a_run_shows_each_rules_outcome() {
    let mock = spawn_mock(&["--deviation", "apply-body-scope"]);
    let out = run_with_deadline(
        Command::new(RUNNER).args([
            "--base-url",
            &mock.base_url,
            "--token",
            "coverage-run-token",
            "--coverage=run",
            "-q",
        ]),
        Duration::from_secs(120),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let line = |rule: &str| {
        t.lines()
            .find(|l| l.starts_with(&format!("{rule} ")))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line("scope-not-updated").contains("FAIL"), "{t}");
    assert!(
        line("scope-not-updated").contains("scope/different-scope-ignored::put (failed)"),
        "{t}"
    );
    assert!(line("fallback-removal-conflict").contains("pass"), "{t}");
    // Without the permission credentials for this target, the permission cases are skipped.
    assert!(
        line("permission-access-review-readwrite-all").contains("skipped"),
        "{t}"
    );
}

#[test]
fn rule_outcomes_take_the_worst_trial() {
    let (_, suite) = shipped();
    let rows = coverage(&suite, UpdateMethod::Put);
    let mut results: BTreeMap<String, TrialStatus> = rows
        .iter()
        .flat_map(|r| r.trials.iter().map(|t| (t.clone(), TrialStatus::Pass)))
        .collect();
    results.insert("fallback-reviewers/swap::put".into(), TrialStatus::Fail);
    results.insert("request/malformed-json::put".into(), TrialStatus::Error);
    let table = render_coverage(&rows, Some(&results));
    let line = |rule: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{rule} ")))
            .unwrap()
            .to_string()
    };
    assert!(
        line("fallback-removal-conflict").contains("FAIL"),
        "{table}"
    );
    assert!(
        line("malformed-json-bad-request").contains("ERROR"),
        "{table}"
    );
    assert!(line("scope-required").contains("pass"), "{table}");
}

#[test]
fn coverage_says_whether_each_trial_holds_a_rule_to_the_page_or_to_the_reference() {
    let (_, suite) = shipped();
    for update in [UpdateMethod::Put, UpdateMethod::Both] {
        for row in &coverage(&suite, update) {
            assert_eq!(row.trials.len(), row.weights.len(), "{}", row.rule);
            for (t, w) in row.trials.iter().zip(&row.weights) {
                // The page's rules are held as failures in the trials sending its method (a
                // PATCH trial is held to http-method-patch); no inferred rule is held to the
                // page anywhere (the loader refuses a case that would).
                let expected = if row.kind == RuleKind::Documented && !t.ends_with("::patch") {
                    Severity::Failure
                } else {
                    Severity::Divergence
                };
                assert_eq!(*w, expected, "{} {t}", row.rule);
            }
        }
    }
    let rows = coverage(&suite, UpdateMethod::Put);
    let row = |id: &str| rows.iter().find(|r| r.rule == id).unwrap();
    assert!(
        row("unknown-ids-not-found")
            .weights
            .iter()
            .all(|w| *w == Severity::Divergence)
    );
    assert!(
        row("auth-status-codes")
            .weights
            .iter()
            .all(|w| *w == Severity::Divergence)
    );
    let text = render_coverage(&rows, None);
    assert!(text.contains("held to"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("unknown-ids-not-found") && l.contains("reference")),
        "{text}"
    );
}
