//! The faithful mock passes with both update methods; broken answers (non-JSON, truncated,
//! oversized, none) end each trial as a failure within the timeout. The per-rule deviations
//! are covered by `self_verification.rs`.

mod common;

use std::time::{Duration, Instant};

use accessreview_conformance::case::UpdateMethod;
use accessreview_conformance::run::outcome::Verdict;
use accessreview_mock::{Deviation, MockServer};
use common::*;
use rstest::rstest;

const TOKEN: &str = "deviation-test-token";

async fn start(deviation: Option<Deviation>) -> MockServer {
    MockServer::start_with("127.0.0.1:0", mock_options(TOKEN, deviation))
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
            Verdict::Fail(findings) | Verdict::Diverge(findings) => {
                failed += 1;
                assert!(!findings.is_empty(), "{}", spec.name);
            }
            Verdict::Error(e) => {
                panic!("{}: a broken answer is non-conformance, not {e}", spec.name)
            }
            Verdict::Skip(r) => panic!("{}: skipped ({r})", spec.name),
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
