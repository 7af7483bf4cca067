//! One trial status: libtest's summary, the closing line, the JSON report's summary, JUnit and
//! the Markdown summary count the same run — every trial exactly once — with an expected
//! failure and a broken case file in it; and an expectation holds only for the outcome it
//! names.

mod common;

use std::process::Command;
use std::time::Duration;

use accessreview_conformance::report::data::RunReport;
use accessreview_conformance::run::status::TrialStatus;
use common::*;

/// A number before `word` in `line` (`30 passed` → 30).
fn count_before(line: &str, word: &str) -> usize {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '*' || c == '.')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .find(|w| w[1] == word)
        .and_then(|w| w[0].parse().ok())
        .unwrap_or_else(|| panic!("no count before `{word}` in: {line}"))
}

#[test]
fn every_output_counts_the_same_run_each_trial_once() {
    let buggy = spawn_mock(&["--deviation", "accept-fallback-removal"]);
    let dir = std::env::temp_dir().join(format!("arc-status-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let expectations = dir.join("expectations.yaml");
    std::fs::write(
        &expectations,
        "expectations:\n  - {trial: 'fallback-reviewers/swap::put', outcome: fail, reason: known}\n",
    )
    .unwrap();
    let (json, junit, md) = (dir.join("r.json"), dir.join("r.xml"), dir.join("r.md"));
    let arg = |p: &std::path::Path| p.display().to_string();
    let out = run_case_folder(
        |_| true,
        &[(
            "broken/typo.yaml",
            b"description: x\nrules: [nope]\nwhen: {}\n".as_slice(),
        )],
        &[
            "--base-url",
            &buggy.base_url,
            "--token",
            "t",
            "--enforce",
            "documented",
            "--expectations",
            &arg(&expectations),
            "--report-json",
            &arg(&json),
            "--report-junit",
            &arg(&junit),
            "--report-markdown",
            &arg(&md),
        ],
    );
    let t = &out.text;
    // A broken case file: exit 2, whatever else happened.
    assert_eq!(out.code, Some(2), "{t}");
    let report: RunReport = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let (junit, md) = (
        std::fs::read_to_string(&junit).unwrap(),
        std::fs::read_to_string(&md).unwrap(),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let n = |s: TrialStatus| report.trials.iter().filter(|x| x.outcome == s).count();
    let s = &report.summary;
    assert_eq!(s.total(), report.trials.len(), "every trial counted once");
    assert_eq!(n(TrialStatus::ExpectedFail), 1, "{t}");
    assert_eq!(n(TrialStatus::Broken), 1, "{t}");
    assert!(
        n(TrialStatus::Fail) >= 1,
        "the deviation still fails other trials: {t}"
    );
    for status in TrialStatus::ALL {
        assert_eq!(s.get(status), n(status), "{status:?}");
    }

    // libtest: passed, failed (fail, error, broken), ignored (skip, expected, diverged).
    let libtest = t
        .lines()
        .find(|l| l.starts_with("test result:"))
        .unwrap_or_else(|| panic!("no libtest summary: {t}"));
    assert_eq!(count_before(libtest, "passed"), s.passed, "{libtest}");
    assert_eq!(
        count_before(libtest, "failed"),
        s.failed + s.errors + s.broken + s.unexpected_passes,
        "{libtest}"
    );
    assert_eq!(
        count_before(libtest, "ignored"),
        s.skipped + s.diverged + s.expected_failures + s.expected_divergences,
        "{libtest}"
    );

    // The closing line: every status by name.
    let closing = t
        .lines()
        .find(|l| l.starts_with("conformance: "))
        .unwrap_or_else(|| panic!("no closing line: {t}"));
    assert!(closing.contains(&s.sentence()), "{closing} vs {:?}", s);
    assert_eq!(count_before(closing, "passed"), s.passed);
    assert_eq!(count_before(closing, "failed"), s.failed);
    assert!(closing.contains("1 failed as expected"), "{closing}");
    assert!(closing.contains("1 broken"), "{closing}");

    // JUnit: the same trials; failures, errors and skips apart.
    let junit = quick_junit::Report::deserialize_from_str(&junit).unwrap();
    assert_eq!(junit.tests, s.total());
    assert_eq!(junit.failures, s.failed + s.unexpected_passes);
    assert_eq!(junit.errors, s.errors + s.broken);
    let skipped = junit.test_suites[0]
        .test_cases
        .iter()
        .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::Skipped { .. }))
        .count();
    assert_eq!(
        skipped,
        s.skipped + s.expected_failures + s.expected_divergences
    );

    // Markdown: the same sentence.
    assert!(md.contains(&format!("**{}**", s.sentence())), "{md}");
}

/// Runs one trial against a mock with an expectations entry for it; returns the exit code
/// and the output.
fn with_expectation(
    mock: &MockProcess,
    trial: &str,
    outcome: &str,
    enforce: &str,
) -> (i32, String) {
    let file = std::env::temp_dir().join(format!("arc-expect1-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(
        &file,
        format!("expectations:\n  - {{trial: '{trial}', outcome: {outcome}, reason: the entry}}\n"),
    )
    .unwrap();
    let out = run_with_deadline(
        Command::new(RUNNER)
            .args([
                "--base-url",
                &mock.base_url,
                "--token",
                "t",
                "--enforce",
                enforce,
            ])
            .arg("--expectations")
            .arg(&file)
            .args(["--exact", trial]),
        Duration::from_secs(60),
    );
    let _ = std::fs::remove_file(&file);
    (out.status.code().unwrap_or(-1), text(&out))
}

#[test]
fn an_expectation_holds_only_for_the_outcome_it_names() {
    let failing = spawn_mock(&["--deviation", "accept-fallback-removal"]);
    let diverging = spawn_mock(&["--deviation", "ok-for-unknown-ids"]);
    let faithful = spawn_mock(&[]);
    let fails = "fallback-reviewers/swap::put";
    let diverges = "not-found/unknown-instance::put";
    for (mock, trial, entry, enforce, code, says) in [
        // The outcome it names: the run does not fail.
        (
            &failing,
            fails,
            "fail",
            "documented",
            0,
            "expected to fail: the entry",
        ),
        (
            &diverging,
            diverges,
            "diverge",
            "documented",
            0,
            "expected to diverge: the entry",
        ),
        (
            &diverging,
            diverges,
            "diverge",
            "all",
            0,
            "expected to diverge: the entry",
        ),
        // An expected divergence never covers a failure.
        (
            &failing,
            fails,
            "diverge",
            "documented",
            1,
            "says it only diverges (the entry), but it fails",
        ),
        (
            &failing,
            fails,
            "diverge",
            "all",
            1,
            "says it only diverges (the entry), but it fails",
        ),
        // Expected to fail, but it only diverges: the entry is out of date.
        (
            &diverging,
            diverges,
            "fail",
            "documented",
            1,
            "only diverges, but the expectations file says it fails",
        ),
        (
            &diverging,
            diverges,
            "fail",
            "all",
            1,
            "diverges from the reference behaviour",
        ),
        // A pass is an unexpected pass whatever the entry names.
        (
            &faithful,
            fails,
            "fail",
            "all",
            1,
            "passed, but the expectations file says it does not",
        ),
        (
            &faithful,
            fails,
            "diverge",
            "all",
            1,
            "passed, but the expectations file says it does not",
        ),
    ] {
        let (got, t) = with_expectation(mock, trial, entry, enforce);
        assert_eq!(
            got, code,
            "{trial} expected to {entry} under {enforce}: {t}"
        );
        assert!(
            t.contains(says),
            "{trial} expected to {entry} under {enforce}: {t}"
        );
    }
}
