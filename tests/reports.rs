//! Reports: JUnit XML that a JUnit library parses with the run's counts, a JSON report that
//! validates against its schema and round-trips, a Markdown summary pinned by a golden file,
//! and no token in any of them.

mod common;

use std::process::Command;
use std::time::Duration;

use accessreview_conformance::report::data::RunReport;
use accessreview_conformance::run::status::{Enforce, Policy, TrialStatus};
use common::*;

const TOKEN: &str = "report-token-Distinctive-93be";

struct Reports {
    code: Option<i32>,
    json: String,
    junit: String,
    markdown: String,
}

fn run_with_reports(mock_args: &[&str], enforce: &str) -> Reports {
    let mock = spawn_mock(mock_args);
    let dir = std::env::temp_dir().join(format!("arc-reports-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = run_with_deadline(
        Command::new(RUNNER)
            .args([
                "--base-url",
                &mock.base_url,
                "--token",
                TOKEN,
                "--enforce",
                enforce,
            ])
            .arg("--report-json")
            .arg(dir.join("r.json"))
            .arg("--report-junit")
            .arg(dir.join("r.xml"))
            .arg("--report-markdown")
            .arg(dir.join("r.md"))
            .env("GITHUB_STEP_SUMMARY", dir.join("summary.md")),
        Duration::from_secs(120),
    );
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    let reports = Reports {
        code: out.status.code(),
        json: read("r.json"),
        junit: read("r.xml"),
        markdown: read("r.md"),
    };
    assert_eq!(read("summary.md"), reports.markdown, "$GITHUB_STEP_SUMMARY");
    let _ = std::fs::remove_dir_all(&dir);
    reports
}

#[test]
fn reports_agree_with_the_run_and_hold_no_secret() {
    let (schemas, _) = shipped();
    for (mock_args, enforce, code) in [
        (
            &["--deviation", "accept-fallback-removal"][..],
            "documented",
            1,
        ),
        (&["--deviation", "ok-for-unknown-ids"][..], "documented", 0),
        (&["--deviation", "ok-for-unknown-ids"][..], "all", 1),
    ] {
        let r = run_with_reports(mock_args, enforce);
        assert_eq!(r.code, Some(code), "{mock_args:?} {enforce}");
        for text in [&r.json, &r.junit, &r.markdown] {
            assert!(!text.is_empty());
            assert!(!text.contains(TOKEN), "a report holds the token");
        }
        // JSON: valid against its schema, and round-trips into the report type.
        let doc: serde_json::Value = serde_json::from_str(&r.json).unwrap();
        assert_eq!(schemas.validate("report", &doc).unwrap(), vec![]);
        let report: RunReport = serde_json::from_str(&r.json).unwrap();
        assert_eq!(serde_json::to_value(&report).unwrap(), doc);
        let count = |o: TrialStatus| report.trials.iter().filter(|t| t.outcome == o).count();
        assert_eq!(report.summary.failed, count(TrialStatus::Fail));
        assert_eq!(report.summary.diverged, count(TrialStatus::Diverge));
        if enforce == "documented" && mock_args[1] == "ok-for-unknown-ids" {
            assert!(
                report.summary.diverged > 0 && report.summary.failed == 0,
                "{:?}",
                report.summary
            );
        }
        // JUnit: parsed by a JUnit library, with the run's counts.
        let junit = quick_junit::Report::deserialize_from_str(&r.junit).unwrap();
        assert_eq!(junit.tests, report.trials.len());
        assert_eq!(junit.failures, report.summary.failed);
        assert_eq!(junit.errors, report.summary.errors);
        let suite = &junit.test_suites[0];
        let skipped = suite
            .test_cases
            .iter()
            .filter(|c| matches!(c.status, quick_junit::TestCaseStatus::Skipped { .. }))
            .count();
        assert_eq!(skipped, report.summary.skipped);
        let divergent = suite
            .test_cases
            .iter()
            .filter(|c| c.properties.iter().any(|p| p.name.as_str() == "divergence"))
            .count();
        assert_eq!(divergent, report.summary.diverged);
        assert!(
            suite
                .test_cases
                .iter()
                .all(|c| c.properties.iter().any(|p| p.name.as_str() == "case_file"))
        );
    }
}

#[test]
fn the_markdown_summary_is_pinned() {
    use accessreview_conformance::case::finding::{Location, Severity};
    use accessreview_conformance::report::data::{FindingReport, RuleRef, TrialReport};
    let trial = |name: &str,
                 outcome: TrialStatus,
                 findings: Vec<FindingReport>,
                 reason: Option<&str>| TrialReport {
        name: name.into(),
        case: name.split("::").next().unwrap().into(),
        case_file: format!("cases/{}.yaml", name.split("::").next().unwrap()),
        rules: vec![RuleRef {
            id: "fallback-removal-conflict".into(),
            kind: "documented".into(),
            outcome,
        }],
        outcome,
        reason: reason.map(str::to_string),
        duration_ms: 12,
        findings,
        exchange: None,
        setup: Vec::new(),
        kept: None,
    };
    let status = |e: &str, a: &str, severity: Severity| FindingReport {
        severity,
        request: None,
        location: Location::Status,
        path: "status".into(),
        subject: "status".into(),
        expected: e.into(),
        actual: a.into(),
        rules: vec!["fallback-removal-conflict".into()],
        consequence_of: None,
    };
    let report = RunReport::new(
        "http://127.0.0.1:1/beta",
        Policy::new(Enforce::Documented),
        vec![
            trial(
                "fallback-reviewers/swap::put",
                TrialStatus::Fail,
                vec![status("409", "200", Severity::Failure)],
                None,
            ),
            trial(
                "not-found/unknown-instance::put",
                TrialStatus::Diverge,
                vec![status("404", "400", Severity::Divergence)],
                None,
            ),
            trial("methods/put::put", TrialStatus::Pass, vec![], None),
            trial(
                "fallback-reviewers/remove-one::put",
                TrialStatus::ExpectedFail,
                vec![status("409", "200", Severity::Failure)],
                Some("the expectations file: fail: known bug #12"),
            ),
            trial(
                "fallback-reviewers/empty-list::put",
                TrialStatus::UnexpectedPass,
                vec![],
                Some("the expectations file: fail: fixed since?"),
            ),
            trial(
                "broken/case",
                TrialStatus::Broken,
                vec![],
                Some("case file broken/case could not be loaded"),
            ),
            trial(
                "permissions/personal-account::put",
                TrialStatus::Skip,
                vec![],
                Some("needs --credential personal-account=TOKEN"),
            ),
        ],
    );
    let text = report.to_markdown();
    let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/summary.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden, &text).unwrap();
    }
    assert_eq!(
        text,
        std::fs::read_to_string(golden).unwrap(),
        "rerun with UPDATE_GOLDEN=1 if intended"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends the printed curl line through sh and curl (Unix shells)"
)]
fn a_curl_line_from_a_failure_reproduces_it_and_no_transcript_holds_the_token() {
    let mock = spawn_mock(&["--deviation", "ok-for-unknown-ids"]);
    let dir = std::env::temp_dir().join(format!("arc-record-{}", uuid::Uuid::new_v4()));
    let out = run_with_deadline(
        Command::new(RUNNER)
            .args([
                "--base-url",
                &mock.base_url,
                "--token",
                TOKEN,
                "--enforce",
                "all",
            ])
            .arg("--record")
            .arg(&dir)
            .args(["--exact", "not-found/unknown-definition::put"]),
        Duration::from_secs(60),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(!t.contains(TOKEN), "{t}");
    let line = t
        .lines()
        .find(|l| l.trim_start().starts_with("curl "))
        .unwrap_or_else(|| panic!("no curl line: {t}"))
        .trim()
        .to_string();
    assert!(
        line.contains("$GRAPH_TOKEN") && !line.contains(TOKEN),
        "{line}"
    );
    // Run it: the mock answers as it did in the failing trial.
    assert_eq!(send_curl(&line, TOKEN), "200", "{line}");
    // The transcript holds the exchange and the same curl line, without the token.
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let transcript = std::fs::read_to_string(files[0].path()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!transcript.contains(TOKEN), "{transcript}");
    let doc: serde_json::Value = serde_json::from_str(&transcript).unwrap();
    assert_eq!(doc["exchange"]["status"], 200);
    assert_eq!(doc["curl"].as_str().unwrap(), line);
}

#[cfg(not(unix))]
#[test]
#[ignore = "Unix file modes and symlinks: Unix only"]
fn report_files_create_their_folder_replace_a_symlink_without_following_it_and_are_private() {}

#[cfg(unix)]
#[test]
fn report_files_create_their_folder_replace_a_symlink_without_following_it_and_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("report-paths-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // A link where the JUnit report goes, to a file that must not be touched.
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let junit = dir.join("junit.xml");
    std::os::unix::fs::symlink(&victim, &junit).unwrap();
    // An expectations file already there is replaced, and the run says so.
    let expectations = dir.join("expectations.yaml");
    std::fs::write(&expectations, "expectations: []\n").unwrap();
    let json = dir.join("missing/folder/report.json");
    let out = common::run_with_deadline(
        std::process::Command::new(common::RUNNER)
            .args(["--exact", "success/add-fallback-reviewer::put"])
            .arg("--report-json")
            .arg(&json)
            .arg("--report-junit")
            .arg(&junit)
            .arg("--write-expectations")
            .arg(&expectations),
        std::time::Duration::from_secs(60),
    );
    let t = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let link = std::fs::symlink_metadata(&junit).unwrap();
    assert!(link.file_type().is_file(), "the link was followed");
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuites")
    );
    assert!(json.is_file(), "the missing folder was not created");
    for f in [&json, &junit, &expectations] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    assert!(t.contains("--write-expectations replaced"), "{t}");
    // No temporary file is left beside them.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
