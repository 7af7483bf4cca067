//! Deviant mocks: each deliberate bug makes at least one trial fail, and the failure names the
//! rule it breaks. Transport faults end as a failure or an error per trial within the timeout.

mod common;

use std::time::{Duration, Instant};

use accessreview_conformance::case::UpdateMethod;
use accessreview_conformance::mock::{Deviation, MockServer};
use accessreview_conformance::outcome::Verdict;
use accessreview_conformance::report::render_outcome;
use common::*;
use rstest::rstest;

const TOKEN: &str = "deviation-test-token";

async fn start(deviation: Option<Deviation>) -> MockServer {
    MockServer::start("127.0.0.1:0", mock_options(TOKEN, deviation))
    .await
    .expect("mock starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faithful_mock_passes_every_trial_with_both_methods() {
    let mock = start(None).await;
    for (spec, outcome) in run_all(
        &mock.base_url(),
        TOKEN,
        UpdateMethod::Both,
        Duration::from_secs(10),
    )
    .await
    {
        assert_eq!(
            outcome.verdict,
            Verdict::Pass,
            "{}: {:?}",
            spec.name,
            outcome
        );
        assert!(
            outcome.cleanup.is_empty(),
            "{}: {:?}",
            spec.name,
            outcome.cleanup
        );
    }
}

#[rstest]
#[case::accept_fallback_removal(Deviation::AcceptFallbackRemoval, "fallback-removal-conflict")]
#[case::update_any_status(Deviation::UpdateAnyStatus, "status-must-be-in-progress")]
#[case::accept_missing_scope(Deviation::AcceptMissingScope, "scope-required")]
#[case::apply_body_scope(Deviation::ApplyBodyScope, "scope-not-updated")]
#[case::write_parent_definition(Deviation::WriteParentDefinition, "parent-definition-unchanged")]
#[case::reject_patch(Deviation::RejectPatch, "http-method-patch")]
#[case::reject_put(Deviation::RejectPut, "http-method-put")]
#[case::no_auth_check(Deviation::NoAuthCheck, "authorization-required")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_deviation_fails_a_trial_that_names_its_rule(
    #[case] deviation: Deviation,
    #[case] rule: &str,
) {
    let (_, suite) = shipped();
    let mock = start(Some(deviation)).await;
    // The default update method: the rule must be caught without --update-method both.
    let results = run_all(
        &mock.base_url(),
        TOKEN,
        UpdateMethod::Put,
        Duration::from_secs(10),
    )
    .await;
    let failing: Vec<_> = results
        .iter()
        .filter(|(_, o)| matches!(o.verdict, Verdict::Fail(_)))
        .collect();
    assert!(!failing.is_empty(), "{deviation}: no trial failed");
    let redact = |s: &str| s.to_string();
    let naming: Vec<&str> = failing
        .iter()
        .filter(|(spec, outcome)| {
            spec.case.rules.iter().any(|r| r == rule)
                && render_outcome(spec, outcome, &suite.rules, &redact).contains(rule)
        })
        .map(|(spec, _)| spec.name.as_str())
        .collect();
    assert!(
        !naming.is_empty(),
        "{deviation}: no failing trial names {rule}; failing: {:?}",
        failing.iter().map(|(s, _)| &s.name).collect::<Vec<_>>()
    );
    assert_eq!(
        mock.fixture_count(),
        0,
        "fixtures left behind after failures"
    );
    // Nothing but failures: a deviation is non-conformance, not an error of the run.
    for (spec, outcome) in &results {
        assert!(
            !matches!(outcome.verdict, Verdict::Error(_)),
            "{}: {:?}",
            spec.name,
            outcome.verdict
        );
    }
}

#[rstest]
#[case::non_json(Deviation::NonJsonBody)]
#[case::truncated(Deviation::TruncatedBody)]
#[case::oversized(Deviation::OversizedBody)]
#[case::hang(Deviation::Hang)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_answers_end_each_trial_within_the_timeout(#[case] deviation: Deviation) {
    let mock = start(Some(deviation)).await;
    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let results = run_all(&mock.base_url(), TOKEN, UpdateMethod::Put, timeout).await;
    // All trials run concurrently; each waits at most a few timeouts (request + reads).
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let mut failed = 0;
    for (spec, outcome) in &results {
        match &outcome.verdict {
            Verdict::Pass => {}
            Verdict::Fail(findings) => {
                failed += 1;
                assert!(!findings.is_empty(), "{}", spec.name);
            }
            Verdict::Error(e) => {
                panic!("{}: a broken answer is non-conformance, not {e}", spec.name)
            }
        }
        assert!(
            outcome.cleanup.is_empty(),
            "{}: fixtures left behind: {:?}",
            spec.name,
            outcome.cleanup
        );
    }
    assert!(failed > 0, "{deviation}: nothing failed");
    assert_eq!(
        mock.fixture_count(),
        0,
        "fixtures left behind after broken answers"
    );
    // Only successful updates are broken by these deviations, so refusals still pass.
    assert!(results.iter().any(|(_, o)| o.verdict == Verdict::Pass));
}
