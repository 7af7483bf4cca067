//! Rule traceability: every documented rule has a case, every case cites known rules, every
//! deviation breaks a known rule, and `--coverage` prints the table pinned by a golden file.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use accessreview_conformance::case::UpdateMethod;
use accessreview_conformance::case::finding::Severity;
use accessreview_conformance::case::rules::RuleKind;
use accessreview_conformance::load::LoadedCase;
use accessreview_conformance::report::coverage::{
    RunResults, coverage, render_coverage, uncovered_documented,
};
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
fn rule_outcomes_take_the_worst_trial_for_that_rule() {
    let (_, suite) = shipped();
    let rows = coverage(&suite, UpdateMethod::Put);
    let mut results = RunResults::default();
    for r in &rows {
        for t in &r.trials {
            let status = match t.as_str() {
                "request/malformed-json::put" => TrialStatus::Error,
                // A failed trial whose findings name one of its rules only.
                "fallback-reviewers/swap::put" if r.rule == "fallback-removal-conflict" => {
                    TrialStatus::Fail
                }
                _ => TrialStatus::Pass,
            };
            results.insert(t, &r.rule, status);
        }
    }
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
    // The failed trial cites errors-are-graph-errors too, but no finding named it.
    assert!(
        line("errors-are-graph-errors").contains("pass")
            || line("errors-are-graph-errors").contains("ERROR"),
        "{table}"
    );
    assert!(!line("errors-are-graph-errors").contains("FAIL"), "{table}");
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

/// Issue 18's first acceptance point: a mock whose only bug is plain-text error bodies breaks
/// one rule, and every output of the run says that one — not every rule its failing trials
/// cite (`scope-required`, `authorization-required`, …).
#[test]
fn only_the_rules_a_finding_names_are_marked_failed_in_every_output() {
    let mock = spawn_mock(&["--deviation", "plain-text-errors"]);
    let dir = std::env::temp_dir().join(format!("arc-blame-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("report.json");
    let markdown = dir.join("summary.md");
    let junit = dir.join("junit.xml");
    let out = run_with_deadline(
        Command::new(RUNNER).args([
            "--base-url",
            &mock.base_url,
            "--token",
            "coverage-run-token",
            "--enforce",
            "all",
            "--coverage=run",
            "--report-json",
            json.to_str().unwrap(),
            "--report-markdown",
            markdown.to_str().unwrap(),
            "--report-junit",
            junit.to_str().unwrap(),
            "-q",
        ]),
        Duration::from_secs(120),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let only = BTreeSet::from(["errors-are-graph-errors".to_string()]);
    // --coverage=run: the rules whose outcome is FAIL.
    let failed_in_coverage: BTreeSet<String> = t
        .lines()
        .filter(|l| l.split_whitespace().nth(2) == Some("FAIL"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(failed_in_coverage, only, "{t}");
    // The JSON report: per trial, the rules that failed, and the rules of every finding.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let trials = report["trials"].as_array().unwrap();
    let mut failed_in_json = BTreeSet::new();
    let mut named_by_findings = BTreeSet::new();
    let mut cited_by_failing_trials = BTreeSet::new();
    for trial in trials {
        for r in trial["rules"].as_array().unwrap() {
            if r["outcome"] == "fail" {
                failed_in_json.insert(r["id"].as_str().unwrap().to_string());
            }
            if trial["outcome"] == "fail" {
                cited_by_failing_trials.insert(r["id"].as_str().unwrap().to_string());
            }
        }
        for f in trial["findings"].as_array().unwrap() {
            if f["consequence_of"].is_null() {
                for r in f["rules"].as_array().unwrap() {
                    named_by_findings.insert(r.as_str().unwrap().to_string());
                }
            }
        }
    }
    assert_eq!(failed_in_json, only);
    assert_eq!(named_by_findings, only);
    // The failing trials cite the rules the old, wholesale blame marked failed.
    for blamed in ["scope-required", "authorization-required"] {
        assert!(cited_by_failing_trials.contains(blamed), "{blamed}");
    }
    // The Markdown "by rule" table: the rows with a failed count.
    let md = std::fs::read_to_string(&markdown).unwrap();
    let by_rule = md.split("### By rule").nth(1).unwrap();
    let failed_in_markdown: BTreeSet<String> = by_rule
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter(|l| l.split('|').nth(4).map(str::trim) != Some("0"))
        .map(|l| l.split('`').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(failed_in_markdown, only, "{by_rule}");
    // JUnit: a `rule.fail` property names only that rule.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failed_in_junit: BTreeSet<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("property") && n.attribute("name") == Some("rule.fail"))
        .filter_map(|n| n.attribute("value").map(str::to_string))
        .collect();
    assert_eq!(failed_in_junit, only);
    let _ = std::fs::remove_dir_all(&dir);
}
