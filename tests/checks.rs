//! Every check of the runner can fail: cases that expect the wrong thing from the faithful mock
//! produce a finding for exactly the check they get wrong.

mod common;

use std::sync::Arc;
use std::time::Duration;

use accessreview_conformance::case::UpdateMethod;
use accessreview_conformance::load::files::{EMBEDDED_CASES, InputFile, embedded};
use accessreview_conformance::load::{LoadedCase, is_case_file, load_suite};
use accessreview_conformance::run::outcome::Verdict;
use accessreview_conformance::run::{RunContext, run_trial};
use accessreview_conformance::target::{Secret, Target, install_crypto};
use accessreview_mock::{MockOptions, MockServer};
use common::shipped;
use rstest::rstest;

const BASE: &str = "\
description: a check that must fail
rules: [RULE]
given:
  use: in-progress-with-sibling
when:
  body:
    scope: ${given.instance.scope}
    reviewers: [{query: \"/users/${principal.carol}\"}]
then:
";

/// The rule whose `checks` cover what a check with this subject looks at.
fn rule_for(subject: &str) -> &'static str {
    match subject.split_whitespace().next().unwrap_or("") {
        "headers" => "responses-carry-request-ids",
        "schema" => "response-matches-schema",
        "instance" => "update-persisted",
        "definition" => "parent-definition-unchanged",
        "sibling" => "only-that-instance-updated",
        _ => "success-returns-updated-instance",
    }
}

#[rstest]
#[case::status("  status: 201\n", "status", "status")]
#[case::status_class("  status: 4xx\n", "status", "status")]
#[case::status_set("  status: [204, 409]\n", "status", "status")]
#[case::header(
    "  status: 200\n  headers:\n    request-id: {$regex: '^nope$'}\n",
    "headers",
    "header request-id"
)]
#[case::missing_header(
    "  status: 200\n  headers:\n    x-not-there: $any\n",
    "headers",
    "header x-not-there"
)]
#[case::schema("  status: 200\n  schema: graphError\n", "schema graphError", "/")]
#[case::body(
    "  status: 200\n  body: {status: Completed}\n",
    "response body",
    "$.status"
)]
#[case::body_absent(
    "  status: 200\n  body: {scope: $absent}\n",
    "response body",
    "$.scope"
)]
#[case::body_unchanged(
    "  status: 200\n  body: {reviewers: $unchanged}\n",
    "response body",
    "$.reviewers"
)]
#[case::instance_afterwards(
    "  status: 200\n  afterwards:\n    instance: {reviewers: $unchanged}\n",
    "instance afterwards",
    "$.reviewers"
)]
#[case::definition_afterwards(
    "  status: 200\n  afterwards:\n    definition: {displayName: other}\n",
    "definition afterwards",
    "$.displayName"
)]
#[case::siblings_afterwards(
    "  status: 200\n  afterwards:\n    siblings: {status: Completed}\n",
    "sibling `sibling` afterwards",
    "$.status"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_check_reports_its_own_finding(
    #[case] then: &str,
    #[case] subject: &str,
    #[case] path: &str,
) {
    install_crypto();
    let (schemas, _) = shipped();
    let mut files: Vec<InputFile> = embedded(&EMBEDDED_CASES, "cases")
        .unwrap()
        .into_iter()
        .filter(|f| !is_case_file(&f.rel))
        .collect();
    files.push(InputFile::text(
        "t/check.yaml",
        "t/check.yaml",
        // A rule that checks what the case checks (the loader refuses a check no rule does).
        format!("{BASE}{then}").replace("RULE", rule_for(subject)),
    ));
    let suite = load_suite(&files, &schemas, None).unwrap();
    let case = match &suite.cases[0] {
        LoadedCase::Ok(c) => Arc::clone(c),
        LoadedCase::Broken(b) => panic!("{:?}", b.diagnostics),
    };
    let mock = MockServer::start_with("127.0.0.1:0", MockOptions::default())
        .await
        .unwrap();
    let target = Target::new(
        &mock.base_url(),
        None,
        Some(Secret::new("any-token")),
        Duration::from_secs(10),
        1 << 20,
    )
    .unwrap();
    let ctx = RunContext::new(target, schemas, suite.principals.clone());
    let spec = &case.trials(UpdateMethod::Put)[0];
    let outcome = run_trial(&ctx, spec).await;
    let (Verdict::Fail(findings) | Verdict::Diverge(findings)) = &outcome.verdict else {
        panic!("expected a finding, got {:?}", outcome.verdict)
    };
    assert!(outcome.cleanup.is_empty());
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].subject(), subject, "{findings:#?}");
    assert_eq!(findings[0].path(), path, "{findings:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixtures_are_deleted_after_every_trial() {
    install_crypto();
    let mock = MockServer::start_with("127.0.0.1:0", common::mock_options("any-token", None))
        .await
        .unwrap();
    let results = common::run_all(
        &mock.base_url(),
        "any-token",
        UpdateMethod::Both,
        Duration::from_secs(10),
    )
    .await;
    assert!(!results.is_empty());
    for (spec, outcome) in &results {
        assert!(
            outcome.cleanup.is_empty(),
            "{}: {:?}",
            spec.name,
            outcome.cleanup
        );
    }
    assert_eq!(mock.fixture_count(), 0, "fixtures left behind");
}

/// A target whose update answers 429 with a `Retry-After` beyond what the suite honours; it
/// seeds, reads and deletes like any target.
fn throttling(head: &str) -> common::Scripted {
    if head.starts_with("POST /_conformance/fixtures") {
        (
            "201 Created",
            "",
            r#"{"definitionId":"d1","instanceIds":["i1"]}"#,
        )
    } else if head.starts_with("GET ") {
        (
            "200 OK",
            "",
            r#"{"id":"i1","status":"InProgress","scope":{"query":"/groups/g"},"reviewers":[],"fallbackReviewers":[]}"#,
        )
    } else if head.starts_with("PUT ") || head.starts_with("PATCH ") {
        (
            "429 Too Many Requests",
            "Retry-After: 3600\r\n",
            r#"{"error":{"code":"TooManyRequests","message":"slow down"}}"#,
        )
    } else {
        ("204 No Content", "", "")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_under_test_that_ends_throttled_is_an_error_not_a_verdict() {
    let (schemas, suite) = shipped();
    let target = common::scripted_run_target(throttling).await;
    let ctx = RunContext::new(target, schemas, suite.principals.clone());
    let spec = common::trials(&suite, UpdateMethod::Put)
        .into_iter()
        .find(|s| s.name == "success/omitted-lists-kept::put")
        .unwrap();
    let outcome = run_trial(&ctx, &spec).await;
    match &outcome.verdict {
        Verdict::Error(e) => {
            let text = e.to_string();
            assert!(
                text.starts_with("throttled: the target answered 429"),
                "{text}"
            );
        }
        other => panic!("a throttled answer became a verdict: {other:?}"),
    }
    assert!(outcome.cleanup.is_empty(), "{:?}", outcome.cleanup);
}

/// What the fixture control protocol answers is held to its shape: a `201` with a
/// `definitionId` and one `instanceIds` entry per instance sent, each an id that is one path
/// segment. Anything else is a provisioning error that quotes the answer.
#[rstest]
#[case::as_documented(|_: &str| ("201 Created", "", r#"{"definitionId":"d1","instanceIds":["i1"]}"#), Ok(("d1", "i1")))]
#[case::another_status(|_: &str| ("200 OK", "", r#"{"definitionId":"d1","instanceIds":["i1"]}"#), Err("answered 200"))]
#[case::not_json(|_: &str| ("201 Created", "", "created"), Err("answered 201: created"))]
#[case::no_definition_id(|_: &str| ("201 Created", "", r#"{"instanceIds":["i1"]}"#), Err(r#"answered 201: {"instanceIds":["i1"]}"#))]
#[case::a_definition_id_not_a_string(|_: &str| ("201 Created", "", r#"{"definitionId":7,"instanceIds":["i1"]}"#), Err(r#"{"definitionId":7,"#))]
#[case::an_instance_id_not_a_string(|_: &str| ("201 Created", "", r#"{"definitionId":"d1","instanceIds":[1]}"#), Err(r#""instanceIds":[1]"#))]
#[case::fewer_instance_ids(|_: &str| ("201 Created", "", r#"{"definitionId":"d1","instanceIds":[]}"#), Err(r#""instanceIds":[]"#))]
#[case::no_instance_ids(|_: &str| ("201 Created", "", r#"{"definitionId":"d1"}"#), Err(r#"answered 201: {"definitionId":"d1"}"#))]
#[case::an_array(|_: &str| ("201 Created", "", r#"["d1",["i1"]]"#), Err(r#"answered 201: ["d1",["i1"]]"#))]
#[case::the_last_of_a_repeated_key(|_: &str| ("201 Created", "", r#"{"definitionId":"x","definitionId":"d1","instanceIds":["i1"]}"#), Ok(("d1", "i1")))]
#[case::an_entry_not_a_string_left_out(|_: &str| ("201 Created", "", r#"{"definitionId":"d1","instanceIds":["i1",2]}"#), Ok(("d1", "i1")))]
#[case::an_id_that_is_a_path(|_: &str| ("201 Created", "", r#"{"definitionId":"d1","instanceIds":["../i1"]}"#), Err("contains a slash"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_protocols_answer_is_held_to_its_shape(
    #[case] answer: fn(&str) -> common::Scripted,
    #[case] expected: Result<(&str, &str), &str>,
) {
    use accessreview_conformance::case::RenderedFixture;
    use accessreview_conformance::provision::{ControlProtocol, Provisioner};
    let target = common::scripted_run_target(answer).await;
    let fixture = RenderedFixture::from_values(
        serde_json::json!({"displayName": "d"}),
        vec![serde_json::json!({"status": "InProgress"})],
    );
    let seeded = ControlProtocol::new(target).create(&fixture).await;
    match (seeded, expected) {
        (Ok(s), Ok((definition, instance))) => {
            assert_eq!(s.definition_id, definition);
            assert_eq!(s.instance_ids, [instance]);
            assert_eq!(s.request.body.as_deref(), Some(fixture.json()));
        }
        (Err(e), Err(quoted)) => {
            let e = e.to_string();
            assert!(e.contains("POST ") && e.contains(quoted), "{e}");
        }
        (got, expected) => panic!("got {got:?}, expected {expected:?}"),
    }
}
