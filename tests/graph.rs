//! `--fixtures graph` against the reference mock's lifecycle: one-time reviews created through
//! the definitions API, waited for, stopped when needed, and always deleted; states a live
//! tenant cannot produce are skipped with the reason; nothing goes to the control protocol.

mod common;

use std::sync::Arc;
use std::time::Duration;

use accessreview_conformance::case::UpdateMethod;
use accessreview_conformance::live::graph::{GraphProvisioner, NAME_PREFIX};
use accessreview_conformance::provision::ProvisionError;
use accessreview_conformance::run::outcome::{TrialError, Verdict};
use accessreview_conformance::run::{self, RunContext};
use accessreview_conformance::selfcheck::embedded::{Embedded, EmbeddedOptions};
use accessreview_mock::{Deviation, Lifecycle, RequestKind, Variant};
use common::{shipped, trials};

async fn start(lifecycle: Lifecycle, deviation: Option<Deviation>) -> Embedded {
    start_variant(lifecycle, deviation, None).await
}

async fn start_variant(
    lifecycle: Lifecycle,
    deviation: Option<Deviation>,
    variant: Option<Variant>,
) -> Embedded {
    let mut options = EmbeddedOptions::fresh();
    options.variant = variant;
    options.lifecycle = lifecycle;
    options.deviation = deviation;
    options.timeout = Duration::from_secs(10);
    // The tests ask the mock what it received (no control-protocol request on a live run).
    options.journal = true;
    Embedded::start(options).await.unwrap()
}

async fn run_graph_with_progress(
    embedded: &Embedded,
    activation_timeout: Duration,
) -> (
    Vec<(
        accessreview_conformance::case::TrialSpec,
        accessreview_conformance::run::outcome::Outcome,
    )>,
    Arc<accessreview_conformance::provision::progress::Progress>,
) {
    let (schemas, suite) = shipped();
    let mut graph = GraphProvisioner::new(embedded.target.clone(), "test-run");
    graph.activation_timeout = activation_timeout;
    graph.groups = vec!["group-one".into(), "group-two".into()];
    let ctx = Arc::new(RunContext::with_provisioner(
        embedded.target.clone(),
        Arc::new(graph),
        schemas,
        suite.principals.clone(),
    ));
    let progress = Arc::clone(&ctx.progress);
    let results = run::run_all(ctx, &trials(&suite, UpdateMethod::Put)).await;
    (results, progress)
}

async fn run_graph(
    embedded: &Embedded,
    activation_timeout: Duration,
) -> Vec<(
    accessreview_conformance::case::TrialSpec,
    accessreview_conformance::run::outcome::Outcome,
)> {
    run_graph_with_progress(embedded, activation_timeout)
        .await
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_passes_live_style_throttled_with_overlapping_waits_and_leaves_nothing_behind() {
    let mock = start(
        Lifecycle {
            activation_delay: Duration::from_millis(400),
            // Throttled now and then, as a live tenant is: every request waits its turn.
            throttle_every: Some(9),
            throttle_retry_after: Some(Duration::from_millis(50)),
            ..Lifecycle::default()
        },
        None,
    )
    .await;
    let (results, progress) = run_graph_with_progress(&mock, Duration::from_secs(20)).await;
    // The progress counters end balanced: every trial done, none provisioning or running.
    let end = progress.snapshot();
    assert_eq!(
        (end.provisioning, end.running, end.done),
        (0, 0, results.len())
    );
    assert!(end.slowest >= Duration::from_millis(400), "{end}");
    let mut passed = 0;
    for (spec, outcome) in &results {
        match &outcome.verdict {
            Verdict::Pass | Verdict::Diverge(_) => passed += 1,
            Verdict::Skip(reason) => assert!(!reason.is_empty(), "{}", spec.name),
            other => panic!("{}: {other:?}", spec.name),
        }
        assert!(
            outcome.cleanup.is_empty(),
            "{}: {:?}",
            spec.name,
            outcome.cleanup
        );
    }
    assert!(passed >= 20, "only {passed} trials ran live");
    // Skipped with a reason: transient statuses, several instances.
    let skipped: Vec<_> = results
        .iter()
        .filter(|(_, o)| matches!(o.verdict, Verdict::Skip(_)))
        .map(|(s, _)| s.name.as_str())
        .collect();
    assert!(
        skipped.contains(&"status/not-in-progress[status=NotStarted]::put"),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&"success/future-instance-unchanged::put"),
        "{skipped:?}"
    );
    // Siblings come from a review over several groups.
    let (_, isolated) = results
        .iter()
        .find(|(s, _)| s.name == "success/persisted-and-isolated::put")
        .unwrap();
    assert_eq!(isolated.verdict, Verdict::Pass, "{isolated:?}");
    let received = mock.mock.received_requests();
    assert!(received.iter().any(|r| r.kind == RequestKind::Lifecycle));
    let control: Vec<_> = received
        .iter()
        .filter(|r| r.kind == RequestKind::Control)
        .collect();
    assert!(
        control.is_empty(),
        "the control protocol was used: {control:?}"
    );
    assert_eq!(mock.mock.fixture_count(), 0, "definitions left behind");
    assert!(mock.mock.definitions_named(NAME_PREFIX).is_empty());
    // Waits overlapped: many definitions were waiting for activation at the same moment.
    let overlap = mock.mock.max_pending_activations();
    assert!(overlap >= 8, "at most {overlap} definitions waited at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_refusing_any_scope_but_the_instances_own_passes_every_success_case() {
    // Sibling instances come from a review over several groups, each with its own group's
    // scope; the cases send the scope as the target holds it (`${before.instance.scope}`).
    let mock = start_variant(Lifecycle::default(), None, Some(Variant::ReadOnly400)).await;
    let results = run_graph(&mock, Duration::from_secs(20)).await;
    let success: Vec<_> = results
        .iter()
        .filter(|(s, _)| s.name.starts_with("success/"))
        .collect();
    assert!(success.len() >= 5, "{}", success.len());
    for (spec, outcome) in success {
        match &outcome.verdict {
            Verdict::Pass => {}
            Verdict::Skip(reason) => assert!(!reason.is_empty(), "{}", spec.name),
            other => panic!("{}: {other:?}", spec.name),
        }
    }
    assert_eq!(mock.mock.fixture_count(), 0, "definitions left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_instance_is_produced_by_stopping_it() {
    let mock = start(Lifecycle::default(), None).await;
    let results = run_graph(&mock, Duration::from_secs(20)).await;
    let (_, outcome) = results
        .iter()
        .find(|(s, _)| s.name == "status/not-in-progress[status=Completed]::put")
        .unwrap();
    assert_eq!(outcome.verdict, Verdict::Pass, "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_trials_and_provisioning_timeouts_leave_nothing_behind() {
    // Failures: a mock that accepts fallback removals.
    let mock = start(Lifecycle::default(), Some(Deviation::AcceptFallbackRemoval)).await;
    let results = run_graph(&mock, Duration::from_secs(20)).await;
    assert!(
        results
            .iter()
            .any(|(_, o)| matches!(o.verdict, Verdict::Fail(_)))
    );
    assert_eq!(
        mock.mock.fixture_count(),
        0,
        "definitions left behind after failures"
    );

    // Timeouts: instances that never become active within the wait.
    let mock = start(
        Lifecycle {
            activation_delay: Duration::from_secs(60),
            ..Lifecycle::default()
        },
        None,
    )
    .await;
    let results = run_graph(&mock, Duration::from_millis(300)).await;
    let timed_out = results
        .iter()
        .filter(|(_, o)| {
            matches!(
                o.verdict,
                Verdict::Error(TrialError::Provision(ProvisionError::Timeout { .. }))
            )
        })
        .count();
    assert!(timed_out >= 20, "{timed_out} provisioning timeouts");
    assert_eq!(
        mock.mock.fixture_count(),
        0,
        "definitions left behind after timeouts"
    );
}

/// The prefixed definitions a mock process holds, read through its API.
async fn prefixed_definitions(base_url: &str) -> usize {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!(
        "{base_url}/identityGovernance/accessReviews/definitions?$filter=startswith(displayName,'{NAME_PREFIX}')"
    );
    let list: serde_json::Value = reqwest::Client::new()
        .get(url)
        .bearer_auth("sigint-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["value"].as_array().map_or(0, Vec::len)
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_deletes_what_it_created() {
    use std::process::{Command, Stdio};
    let mock = common::spawn_mock(&["--activation-delay", "60000"]);
    let mut runner = Command::new(common::RUNNER)
        .args([
            "--base-url",
            &mock.base_url,
            "--token",
            "sigint-token",
            "--fixtures",
            "graph",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (with a deadline) until the run has definitions waiting for activation.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while prefixed_definitions(&mock.base_url).await < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "the run created nothing"
        );
        tokio::task::yield_now().await;
    }
    let status = Command::new("kill")
        .args(["-INT", &runner.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = runner.stderr.take();
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            let _ = std::io::Read::read_to_string(&mut e, &mut text);
        }
        let _ = tx.send((runner.wait(), text));
    });
    let (exit, text) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the run ends");
    assert_eq!(exit.unwrap().code(), Some(130), "{text}");
    assert!(text.contains("interrupted: deleting"), "{text}");
    assert_eq!(
        prefixed_definitions(&mock.base_url).await,
        0,
        "definitions left behind"
    );
}

#[test]
fn a_live_style_run_with_expiring_client_credentials_tokens_and_throttling_passes_without_showing_secrets()
 {
    use std::process::Command;
    let secret = "Distinctive-Client-Secret-7f3a9c";
    let mock = common::spawn_mock(&[
        "--activation-delay",
        "1500",
        "--client-id",
        "app-1",
        "--client-secret",
        secret,
        "--token-lifetime",
        "2",
        "--throttle-every",
        "13",
        "--throttle-retry-after",
        "50",
    ]);
    let authority = mock.base_url.trim_end_matches("/beta").to_string();
    let out = common::run_with_deadline(
        Command::new(common::RUNNER)
            .args([
                "--base-url",
                &mock.base_url,
                "--fixtures",
                "graph",
                "--test-threads",
                "8",
            ])
            .env("AZURE_TENANT_ID", "tenant-1")
            .env("AZURE_CLIENT_ID", "app-1")
            .env("AZURE_CLIENT_SECRET", secret)
            .env("AZURE_AUTHORITY_HOST", &authority),
        Duration::from_secs(120),
    );
    let t = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains(" 0 failed") && t.contains(" 0 could not run"),
        "{t}"
    );
    assert!(
        t.contains("ignored (an instance cannot be brought to `NotStarted`"),
        "{t}"
    );
    assert!(!t.contains(secret), "the client secret was printed");
    assert!(!t.contains("mock-access-token-"), "a token was printed");
    // The progress line is for terminals only.
    assert!(!t.contains(" provisioning, "), "{t}");
    // A wrong secret stops the run before any trial, without echoing it.
    let out = common::run_with_deadline(
        Command::new(common::RUNNER)
            .args(["--base-url", &mock.base_url, "--fixtures", "graph"])
            .env("AZURE_TENANT_ID", "tenant-1")
            .env("AZURE_CLIENT_ID", "app-1")
            .env("AZURE_CLIENT_SECRET", "Wrong-Secret-Value-123")
            .env("AZURE_AUTHORITY_HOST", &authority),
        Duration::from_secs(60),
    );
    let t = common::text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("invalid_client"), "{t}");
    assert!(t.contains("no token from the token endpoint"), "{t}");
    assert!(!t.contains("Wrong-Secret-Value-123"), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_deletes_this_tools_overdue_definitions_and_nothing_else() {
    use std::process::Command;
    let mock = common::spawn_mock(&[]);
    let control = mock.base_url.replace("/beta", "/_conformance/fixtures");
    let seed = |name: &str, description: &str, created: &str| serde_json::json!({"definition": {"displayName": name, "descriptionForAdmins": description, "createdDateTime": created}});
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    for body in [
        seed(
            "accessreview-conformance r1",
            "Created by accessreview-conformance (conformance run r1); delete after 2000-01-01T00:00:00Z.",
            "2000-01-01T00:00:00Z",
        ),
        seed(
            "accessreview-conformance r2",
            "Created by accessreview-conformance (conformance run r2); delete after 2999-01-01T00:00:00Z.",
            "2000-01-01T00:00:00Z",
        ),
        seed(
            "Quarterly review",
            "Someone's; delete after 2000-01-01T00:00:00Z.",
            "2000-01-01T00:00:00Z",
        ),
    ] {
        let resp = http.post(&control).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 201);
    }
    let names = || async {
        let url = format!(
            "{}/identityGovernance/accessReviews/definitions",
            mock.base_url
        );
        let list: serde_json::Value = http
            .get(url)
            .bearer_auth("t")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut names: Vec<String> = list["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["displayName"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    let sweep = |args: &[&str]| {
        let out = common::run_with_deadline(
            Command::new(common::RUNNER)
                .args(["--base-url", &mock.base_url, "--token", "t", "--sweep"])
                .args(args),
            Duration::from_secs(60),
        );
        (out.status.code(), common::text(&out))
    };
    let (code, t) = sweep(&["--dry-run"]);
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains("would delete") && t.contains("accessreview-conformance r1"),
        "{t}"
    );
    assert_eq!(names().await.len(), 3, "a dry run deleted something");
    let (code, t) = sweep(&[]);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(
        names().await,
        ["Quarterly review", "accessreview-conformance r2"],
        "{t}"
    );
    let (code, t) = sweep(&["--older-than", "1h"]);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(names().await, ["Quarterly review"], "{t}");
}
