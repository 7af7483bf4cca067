//! `--fixtures graph` against the reference mock's lifecycle: one-time reviews created through
//! the definitions API, waited for, stopped when needed, and always deleted; states a live
//! tenant cannot produce are skipped with the reason; nothing goes to the control protocol.

mod common;

use std::sync::Arc;
use std::time::Duration;

use accessreview_conformance::case::{RenderedFixture, UpdateMethod};
use accessreview_conformance::live::graph::{GraphProvisioner, NAME_PREFIX};
use accessreview_conformance::provision::ProvisionError;
use accessreview_conformance::run::outcome::{TrialError, Verdict};
use accessreview_conformance::run::{self, RunContext};
use accessreview_conformance::selfcheck::embedded::{Embedded, EmbeddedOptions};
use accessreview_mock::{Deviation, Lifecycle, RequestKind, Variant};
use common::{definitions_on, shipped, trials};

/// The shipped principals file: on the mock's lifecycle its GUIDs stand for a tenant's users.
const SHIPPED_PRINCIPALS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/cases/principals.yaml");

async fn start(lifecycle: Lifecycle, deviation: Option<Deviation>) -> Embedded {
    start_variant(lifecycle, deviation, None).await
}

async fn start_variant(
    lifecycle: Lifecycle,
    deviation: Option<Deviation>,
    variant: Option<Variant>,
) -> Embedded {
    let mut options = EmbeddedOptions::fresh();
    options.variants = variant.into_iter().collect();
    options.lifecycle = lifecycle;
    // These tenants take a review over chosen groups (the undocumented filter), so that the
    // sibling cases run; `sibling_states_need_the_undocumented_filter_allowed` shows the
    // strict default.
    options.lifecycle.accept_group_filter = true;
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
    graph.first_poll = Duration::from_millis(50);
    graph.groups = vec!["group-one".into(), "group-two".into()];
    graph.group_filter = true;
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
            // And a gateway that times out now and then, without Retry-After, after carrying
            // out a create: the create is looked for, not sent blindly again.
            gateway_timeout_every: Some(11),
            // Eventually consistent: a created definition's instances answer 404 at first.
            unlisted_after_create: Duration::from_millis(300),
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
    // Setup and cleanup go through v1.0 (every cloud has it); the update under test and the
    // reads around it through the base URL (beta).
    for r in &received {
        let v1 = r.path.starts_with("/v1.0/");
        match (r.method.as_str(), r.kind) {
            (_, RequestKind::Lifecycle) => assert!(v1, "{} {}", r.method, r.path),
            ("PUT" | "PATCH", _) => assert!(r.path.starts_with("/beta/"), "{}", r.path),
            _ => {}
        }
    }
    assert!(
        received
            .iter()
            .any(|r| r.method == "PUT" && r.path.starts_with("/beta/"))
    );
    // A create was answered 504 after it was carried out, and was found rather than repeated
    // (a repeat would have left a definition behind, checked below).
    assert!(
        received
            .iter()
            .any(|r| r.method == "POST" && r.status == 504 && r.path.ends_with("/definitions")),
        "no create met a gateway timeout"
    );
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
async fn a_starting_state_the_tenant_did_not_keep_is_skipped_with_the_difference() {
    // This tenant drops the fallback reviewers of reviews by specific users.
    let mock = start(
        Lifecycle {
            drop_user_review_fallbacks: true,
            ..Lifecycle::default()
        },
        None,
    )
    .await;
    let results = run_graph(&mock, Duration::from_secs(20)).await;
    let not_kept: Vec<_> = results
        .iter()
        .filter(|(_, o)| {
            matches!(&o.verdict, Verdict::Skip(r) if r.starts_with("the tenant did not keep the starting state: "))
        })
        .collect();
    assert!(
        not_kept.len() >= 5,
        "{} skipped as not kept",
        not_kept.len()
    );
    let (_, outcome) = results
        .iter()
        .find(|(s, _)| s.name == "success/add-fallback-reviewer::put")
        .unwrap();
    let Verdict::Skip(reason) = &outcome.verdict else {
        panic!("{outcome:?}");
    };
    assert!(
        reason.contains("instance's fallbackReviewers were created as [\"/users/"),
        "{reason}"
    );
    assert!(reason.contains("and read back as []"), "{reason}");
    // None of them is blamed on the API.
    for (spec, outcome) in &results {
        assert!(
            !matches!(outcome.verdict, Verdict::Fail(_) | Verdict::Error(_)),
            "{}: {:?}",
            spec.name,
            outcome.verdict
        );
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
    // The list documents no filter on the name: read it and count on this side.
    let url = format!("{base_url}/identityGovernance/accessReviews/definitions");
    let list: serde_json::Value = reqwest::Client::new()
        .get(url)
        .bearer_auth("sigint-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["value"].as_array().map_or(0, |v| {
        v.iter()
            .filter(|d| {
                d["displayName"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(NAME_PREFIX))
            })
            .count()
    })
}

#[cfg(not(unix))]
#[test]
#[ignore = "sends SIGINT to the runner: Unix signals only"]
fn an_interrupted_run_deletes_what_it_created() {}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_deletes_what_it_created() {
    use std::process::{Command, Stdio};
    // Long enough that many reviews wait at once, short enough for the canary to pass first.
    let mock = common::spawn_mock(&["--activation-delay", "5000"]);
    let mut runner = Command::new(common::RUNNER)
        .args([
            "--base-url",
            &mock.base_url,
            "--token",
            "sigint-token",
            "--fixtures",
            "graph",
            "--principals",
            SHIPPED_PRINCIPALS,
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
    let signalled = std::time::Instant::now();
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
    // Within a CI cancel: GitHub sends SIGTERM 7.5 s after SIGINT.
    assert!(
        signalled.elapsed() < Duration::from_millis(7500),
        "the cleanup took {:?}",
        signalled.elapsed()
    );
    // The ids were printed before deleting, so that even a kill leaves a list.
    let line = text
        .lines()
        .find(|l| l.starts_with("interrupted: deleting the "))
        .unwrap_or_else(|| panic!("{text}"));
    let (_, ids) = line.split_once("): ").unwrap();
    assert!(ids.split(", ").count() >= 4, "{line}");
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
                "--principals",
                SHIPPED_PRINCIPALS,
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
            .args(["--principals", SHIPPED_PRINCIPALS])
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
async fn sweep_deletes_this_tools_overdue_definitions_across_pages_and_nothing_else() {
    use std::process::Command;
    let mock = common::spawn_mock(&[
        "--token",
        "t",
        "--credential",
        "app-without-permission=low-token",
    ]);
    let control = mock.base_url.replace("/beta", "/_conformance/fixtures");
    let marker = |run: &str, after: &str| {
        format!(
            "Created by accessreview-conformance (conformance run {run}); delete after {after}."
        )
    };
    let seed = |name: &str, description: &str| serde_json::json!({"definition": {"displayName": name, "descriptionForAdmins": description, "createdDateTime": "2000-01-01T00:00:00Z"}});
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    // A killed run's 130 definitions (more than a page of 100), not yet due by their marker.
    let killed = "0123456789ab";
    let mut bodies: Vec<serde_json::Value> = (0..130)
        .map(|_| {
            seed(
                &format!("accessreview-conformance {killed}"),
                &marker(killed, "2999-01-01T00:00:00Z"),
            )
        })
        .collect();
    // An older run's definition whose delete-after time has passed.
    bodies.push(seed(
        "accessreview-conformance 00000000aaaa",
        &marker("00000000aaaa", "2000-01-01T00:00:00Z"),
    ));
    // Look-alikes someone else made: they must survive every sweep.
    let look_alikes = [
        seed(
            "accessreview-conformance-prod 0123456789ab",
            &marker(killed, "2000-01-01T00:00:00Z"),
        ),
        seed(
            "accessreview-conformance quarterly",
            "delete after 2000-01-01T00:00:00Z.",
        ),
        seed(
            "accessreview-conformance 0123456789ab",
            "Quarterly review of the building group",
        ),
        seed(
            "accessreview-conformance 0123456789ab",
            &marker("ba9876543210", "2000-01-01T00:00:00Z"),
        ),
        seed(
            "Quarterly review",
            "Someone's; delete after 2000-01-01T00:00:00Z.",
        ),
    ];
    bodies.extend(look_alikes.iter().cloned());
    for body in &bodies {
        let resp = http.post(&control).json(body).send().await.unwrap();
        assert_eq!(resp.status(), 201);
    }
    // Every definition, page by page (the list pages by 100 and refuses undocumented filters).
    let all = || async {
        let mut url = format!(
            "{}/identityGovernance/accessReviews/definitions",
            mock.base_url
        );
        let mut out: Vec<(String, String)> = Vec::new();
        let mut pages = 0;
        loop {
            let page: serde_json::Value = http
                .get(&url)
                .bearer_auth("t")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            pages += 1;
            assert!(
                page["value"].as_array().unwrap().len() <= 100,
                "a page over 100"
            );
            for d in page["value"].as_array().unwrap() {
                out.push((
                    d["displayName"].as_str().unwrap().to_string(),
                    d["descriptionForAdmins"].as_str().unwrap_or("").to_string(),
                ));
            }
            match page["@odata.nextLink"].as_str() {
                Some(next) => url = next.to_string(),
                None => break,
            }
        }
        out.sort();
        (out, pages)
    };
    let refused = http
        .get(format!(
            "{}/identityGovernance/accessReviews/definitions?$filter=startswith(displayName,'accessreview-conformance')",
            mock.base_url
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "an undocumented filter is refused");
    let (before, pages) = all().await;
    assert_eq!(before.len(), 136);
    assert_eq!(pages, 2);
    let sweep_as = |token: &str, args: &[&str]| {
        let out = common::run_with_deadline(
            Command::new(common::RUNNER)
                .args(["--base-url", &mock.base_url, "--token", token, "--sweep"])
                .args(args),
            Duration::from_secs(120),
        );
        (out.status.code(), common::text(&out))
    };
    let sweep = |args: &[&str]| sweep_as("t", args);
    // A delete that fails is reported, the sweep carries on, and the exit code says so.
    let (code, t) = sweep_as("low-token", &["--older-than", "1s"]);
    assert_eq!(code, Some(3), "{t}");
    assert_eq!(t.matches("NOT DELETED").count(), 131, "{t}");
    assert!(
        t.contains("131 could not be deleted (run --sweep again)"),
        "{t}"
    );
    assert_eq!(all().await.0.len(), 136);
    let (code, t) = sweep(&["--dry-run"]);
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains("would delete") && t.contains("accessreview-conformance 00000000aaaa"),
        "{t}"
    );
    assert!(
        t.contains("131 definition(s) of this tool found, 1 due"),
        "{t}"
    );
    assert_eq!(all().await.0.len(), 136, "a dry run deleted something");
    // The delete-after rule: only the overdue run's definition.
    let (code, t) = sweep(&[]);
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(all().await.0.len(), 135, "{t}");
    // The age rule, across both pages: every definition of the killed run, no look-alike.
    let (code, t) = sweep(&["--older-than", "1s"]);
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains("130 definition(s) of this tool found, 130 due"),
        "{t}"
    );
    let (left, _) = all().await;
    let mut expected: Vec<(String, String)> = look_alikes
        .iter()
        .map(|b| {
            (
                b["definition"]["displayName"].as_str().unwrap().to_string(),
                b["definition"]["descriptionForAdmins"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(left, expected, "{t}");
}

#[test]
fn a_live_run_is_refused_before_any_request_unless_the_tenant_maps_every_principal() {
    use std::process::Command;
    // Nothing listens here: any request would end the run with exit 3, not 2.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/beta", closed.local_addr().unwrap());
    drop(closed);
    let dir = std::env::temp_dir().join(format!("principals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let partial = dir.join("partial.yaml");
    std::fs::write(
        &partial,
        "principals:\n  alice: 1ed8ac56-4827-4733-8f80-86adc2e67db5\n  bob: not-a-guid\n  building-group: 825f1b5e-6fb2-4d9a-b393-d491101acc0c\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = common::run_with_deadline(
            Command::new(common::RUNNER)
                .args(["--base-url", &base, "--token", "t", "--fixtures", "graph"])
                .args(args),
            Duration::from_secs(60),
        );
        (out.status.code(), common::text(&out))
    };
    // No mapping at all: every principal is named, none falls back to the page's ids.
    let (code, t) = run(&[]);
    assert_eq!(code, Some(2), "{t}");
    for name in ["alice", "bob", "carol", "dave", "building-group"] {
        assert!(
            t.contains(&format!("  {name}: not mapped (used by ")),
            "{name}: {t}"
        );
    }
    // A partial mapping with a malformed id: the missing and the malformed, nothing else.
    let partial = partial.to_str().unwrap();
    let (code, t) = run(&["--principals", partial]);
    assert_eq!(code, Some(2), "{t}");
    assert!(
        t.contains("  bob: \"not-a-guid\" is not an object id (a GUID)"),
        "{t}"
    );
    assert!(
        t.contains("  carol: not mapped") && t.contains("  dave: not mapped"),
        "{t}"
    );
    assert!(!t.contains("  alice:"), "{t}");
    // Only what the selected trials use: one case that names alice, bob and the group only.
    let (code, t) = run(&[
        "--principals",
        partial,
        "--exact",
        "scope/different-scope-ignored::put",
    ]);
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains("  bob: \"not-a-guid\""), "{t}");
    assert!(!t.contains("carol") && !t.contains("dave"), "{t}");
    // The whole mapping: past the check, to the (closed) target.
    let (code, t) = run(&[
        "--principals",
        SHIPPED_PRINCIPALS,
        "--exact",
        "scope/different-scope-ignored::put",
    ]);
    assert_ne!(code, Some(2), "{t}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_carrying_errors_ends_the_wait_at_once() {
    use accessreview_conformance::provision::Provisioner;
    fn failing_review(head: &str) -> common::Scripted {
        if head.starts_with("POST ") {
            ("201 Created", "", r#"{"id":"d1"}"#)
        } else if head.starts_with("GET ") {
            (
                "200 OK",
                "",
                r#"{"value":[{"id":"d1","status":"NotStarted","errors":[{"code":"GroupNotFound","message":"The group does not exist."}]}]}"#,
            )
        } else {
            ("204 No Content", "", "")
        }
    }
    let target = common::scripted_run_target(failing_review).await;
    let mut graph = GraphProvisioner::new(target, "0123456789ab");
    graph.first_poll = Duration::from_millis(20);
    let definition = serde_json::json!({"scope": {"query": "/groups/g/transitiveMembers", "queryType": "MicrosoftGraph"}});
    let instance = serde_json::json!({"status": "InProgress"});
    let started = std::time::Instant::now();
    let err = graph
        .create(&RenderedFixture::from_values(definition, vec![instance]))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited {:?} for an instance that said it would not start",
        started.elapsed()
    );
    assert!(err.to_string().contains("GroupNotFound"), "{err}");
    // What it created is deleted at once, and nothing is left for the run's cleanup.
    assert!(graph.live_definitions().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answer_is_lost_leaves_nothing_behind() {
    let mock = start(
        Lifecycle {
            // Every 4th create is carried out, and its answer cut off: the run never learns
            // the id.
            lose_create_answer_every: Some(4),
            ..Lifecycle::default()
        },
        None,
    )
    .await;
    let (schemas, suite) = shipped();
    let mut graph = GraphProvisioner::new(mock.target.clone(), "0123456789ab");
    graph.first_poll = Duration::from_millis(50);
    graph.groups = vec!["group-one".into(), "group-two".into()];
    graph.group_filter = true;
    let ctx = Arc::new(RunContext::with_provisioner(
        mock.target.clone(),
        Arc::new(graph.clone()),
        schemas,
        suite.principals.clone(),
    ));
    let results = run::run_all(ctx, &trials(&suite, UpdateMethod::Put)).await;
    let lost = results
        .iter()
        .filter(|(_, o)| matches!(o.verdict, Verdict::Error(_)))
        .count();
    assert!(lost >= 5, "only {lost} creates lost their answer");
    // Trials deleted what they knew of; the lost ones are still on the tenant.
    assert_eq!(
        mock.mock.fixture_count(),
        lost,
        "one orphan per lost answer"
    );
    // The end of the run reconciles by run id.
    let failed = graph.delete_all(Duration::from_secs(30)).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(mock.mock.fixture_count(), 0, "definitions left behind");
}

#[test]
fn a_failing_canary_stops_the_run_with_one_error_before_any_trial() {
    use std::process::Command;
    // This token may read but not create: the canary's create is refused.
    let mock = common::spawn_mock(&[
        "--token",
        "t",
        "--credential",
        "app-without-permission=low-token",
    ]);
    let out = common::run_with_deadline(
        Command::new(common::RUNNER)
            .args(["--base-url", &mock.base_url, "--token", "low-token"])
            .args(["--fixtures", "graph", "--principals", SHIPPED_PRINCIPALS]),
        Duration::from_secs(60),
    );
    let t = common::text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert_eq!(
        t.matches("canary: the tenant could not produce").count(),
        1,
        "{t}"
    );
    assert!(
        t.contains("no trial ran and nothing else was created"),
        "{t}"
    );
    // No trial started: libtest never printed its first line.
    assert!(!t.contains("running "), "{t}");
}

#[test]
fn the_setup_base_url_is_used_for_the_lifecycle_and_must_share_the_origin() {
    use std::process::Command;
    let mock = common::spawn_mock(&["--token", "t"]);
    let origin = mock.base_url.trim_end_matches("/beta").to_string();
    let run = |setup: &str| {
        let out = common::run_with_deadline(
            Command::new(common::RUNNER)
                .args(["--base-url", &mock.base_url, "--token", "t"])
                .args(["--fixtures", "graph", "--principals", SHIPPED_PRINCIPALS])
                .args(["--setup-base-url", setup])
                .args(["--exact", "success/add-fallback-reviewer::put"]),
            Duration::from_secs(60),
        );
        (out.status.code(), common::text(&out))
    };
    // The lifecycle goes where it is told: nothing serves reviews under /elsewhere.
    let (code, t) = run(&format!("{origin}/elsewhere"));
    assert_eq!(code, Some(3), "{t}");
    assert!(
        t.contains(&format!(
            "POST {origin}/elsewhere/identityGovernance/accessReviews/definitions answered 404"
        )),
        "{t}"
    );
    // The beta endpoint serves it as well.
    let (code, t) = run(&mock.base_url);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("1 passed"), "{t}");
    // Another origin would receive the token: refused before any request.
    let (code, t) = run("http://127.0.0.2:1/v1.0");
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains("is not on the base URL's origin"), "{t}");
}

#[test]
fn sibling_states_need_the_undocumented_filter_allowed() {
    use std::process::Command;
    // The mock takes only documented queries, as the service does.
    let strict = common::spawn_mock(&["--token", "t"]);
    let run = |mock: &common::MockProcess, extra: &[&str]| {
        let out = common::run_with_deadline(
            Command::new(common::RUNNER)
                .args(["--base-url", &mock.base_url, "--token", "t"])
                .args(["--fixtures", "graph", "--principals", SHIPPED_PRINCIPALS])
                .args(["--group", "group-one", "--group", "group-two"])
                .args(extra),
            Duration::from_secs(120),
        );
        (out.status.code(), common::text(&out))
    };
    // Without the opt-in, a state with sibling instances is skipped with the reason, and
    // nothing undocumented is sent.
    let (code, t) = run(&strict, &["--exact", "success/persisted-and-isolated::put"]);
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains("ignored (needs 2 instances of one definition, and no documented scope gives a chosen number"),
        "{t}"
    );
    assert!(t.contains("--allow-undocumented-group-filter"), "{t}");
    // With it, the canary tries the filter first: the strict tenant refuses it, the run stops
    // with one error and nothing is left.
    let (code, t) = run(
        &strict,
        &[
            "--allow-undocumented-group-filter",
            "--exact",
            "success/persisted-and-isolated::put",
        ],
    );
    assert_eq!(code, Some(3), "{t}");
    assert!(
        t.contains("canary: the tenant could not produce the starting state of success/persisted-and-isolated"),
        "{t}"
    );
    assert!(
        t.contains(
            "Query /groups?$filter=(id eq 'group-one' or id eq 'group-two') is not supported"
        ),
        "{t}"
    );
    assert!(!t.contains("running "), "a trial ran: {t}");
    assert_eq!(definitions_on(&strict), 0, "the canary left a definition");
    // A tenant that takes the filter runs the state: siblings from one review over two groups.
    let lenient = common::spawn_mock(&["--token", "t", "--accept-group-filter"]);
    let (code, t) = run(
        &lenient,
        &[
            "--allow-undocumented-group-filter",
            "--exact",
            "success/persisted-and-isolated::put",
        ],
    );
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("1 passed"), "{t}");
    assert_eq!(definitions_on(&lenient), 0, "definitions left behind");
}

#[test]
fn plan_prints_the_bodies_and_counts_and_sends_nothing() {
    use std::process::Command;
    // Nothing listens here: a request would fail the command.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/beta", closed.local_addr().unwrap());
    drop(closed);
    let out = common::run_with_deadline(
        Command::new(common::RUNNER)
            .args(["--base-url", &base, "--token", "plan-token-5c1e"])
            .args([
                "--fixtures",
                "graph",
                "--plan",
                "--principals",
                SHIPPED_PRINCIPALS,
            ]),
        Duration::from_secs(60),
    );
    let t = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("(nothing is sent)"), "{t}");
    assert!(
        t.contains("run   success/add-fallback-reviewer::put (1 definition(s))"),
        "{t}"
    );
    assert!(
        t.contains("skip  status/not-in-progress[status=NotStarted]::put: an instance cannot be brought to `NotStarted`"),
        "{t}"
    );
    // The bodies it would send, with the run's name and notifications off.
    assert!(
        t.contains("\"displayName\": \"accessreview-conformance "),
        "{t}"
    );
    assert!(t.contains("\"mailNotificationsEnabled\": false"), "{t}");
    assert!(t.contains("definition(s) plus one canary;"), "{t}");
    assert!(!t.contains("plan-token-5c1e"), "{t}");
    // A plan is for a live run.
    let out = common::run_with_deadline(
        Command::new(common::RUNNER).args(["--base-url", &base, "--token", "t", "--plan"]),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_of_several_seconds_is_waited_for_in_full() {
    // Every second API request is throttled for 2.5 s.
    let mock = start(
        Lifecycle {
            throttle_every: Some(2),
            throttle_retry_after: Some(Duration::from_millis(2500)),
            ..Lifecycle::default()
        },
        None,
    )
    .await;
    let target = &mock.target;
    let list = accessreview_conformance::target::HttpRequest {
        method: "GET".into(),
        url: target.setup_definitions_url(),
        headers: target.default_headers(false),
        body: None,
    };
    assert_eq!(target.send(&list).await.unwrap().status, 200);
    let started = std::time::Instant::now();
    let resp = target.send(&list).await.unwrap();
    assert_eq!(resp.status, 200, "the retry after the 429 was answered");
    assert!(
        started.elapsed() >= Duration::from_millis(2500),
        "retried after {:?}, before the Retry-After",
        started.elapsed()
    );
}

#[test]
fn a_federated_token_file_runs_live_and_no_assertion_or_token_is_written_anywhere() {
    use std::process::Command;
    let assertion = "eyJhbGciOiJSUzI1NiJ9.federated-assertion-7f3c.sig";
    let mock = common::spawn_mock(&["--client-id", "app-1", "--client-assertion", assertion]);
    let dir = std::env::temp_dir().join(format!("federated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{assertion}\n")).unwrap();
    let authority = mock.base_url.trim_end_matches("/beta").to_string();
    let (json, junit) = (dir.join("report.json"), dir.join("junit.xml"));
    let out = common::run_with_deadline(
        Command::new(common::RUNNER)
            .args(["--base-url", &mock.base_url, "--fixtures", "graph"])
            .args(["--principals", SHIPPED_PRINCIPALS])
            .args(["--exact", "success/add-fallback-reviewer::put"])
            .arg("--report-json")
            .arg(&json)
            .arg("--report-junit")
            .arg(&junit)
            .env_remove("GRAPH_TOKEN")
            .env_remove("AZURE_CLIENT_SECRET")
            .env_remove("AZURE_CLIENT_CERTIFICATE_PATH")
            .env("AZURE_TENANT_ID", "tenant-1")
            .env("AZURE_CLIENT_ID", "app-1")
            .env("AZURE_FEDERATED_TOKEN_FILE", &token_file)
            // A bare host is taken as https; the mock is plain http, so the URL is given.
            .env("AZURE_AUTHORITY_HOST", &authority),
        Duration::from_secs(60),
    );
    let t = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("1 passed"), "{t}");
    for (what, text) in [
        ("output", t),
        ("JSON report", std::fs::read_to_string(&json).unwrap()),
        ("JUnit report", std::fs::read_to_string(&junit).unwrap()),
    ] {
        assert!(
            !text.contains("federated-assertion-7f3c"),
            "the assertion is in the {what}"
        );
        assert!(
            !text.contains("mock-access-token-"),
            "a token is in the {what}"
        );
    }
    // A rotated file the tenant does not trust stops the run before any trial, unshown.
    std::fs::write(&token_file, "eyJ.other-assertion-91ab.sig").unwrap();
    let out = common::run_with_deadline(
        Command::new(common::RUNNER)
            .args(["--base-url", &mock.base_url, "--fixtures", "graph"])
            .args(["--principals", SHIPPED_PRINCIPALS])
            .env_remove("GRAPH_TOKEN")
            .env_remove("AZURE_CLIENT_SECRET")
            .env("AZURE_TENANT_ID", "tenant-1")
            .env("AZURE_CLIENT_ID", "app-1")
            .env("AZURE_FEDERATED_TOKEN_FILE", &token_file)
            .env("AZURE_AUTHORITY_HOST", &authority),
        Duration::from_secs(60),
    );
    let t = common::text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("AADSTS700213"), "{t}");
    assert!(!t.contains("other-assertion-91ab"), "{t}");
}

/// `--keep-on-failure` on a live tenant: the failed trial's definition survives the run's
/// cleanup and its reconciliation by run id; the end of the run gives the DELETE that removes
/// it, and the printed request reproduces the failure meanwhile.
#[test]
#[cfg_attr(
    windows,
    ignore = "sends the printed curl line through sh and curl (Unix shells)"
)]
fn a_kept_definition_survives_the_live_cleanup_and_its_printed_delete_removes_it() {
    use std::process::Command;
    let mock = common::spawn_mock(&["--token", "t", "--deviation", "removal-wrong-status"]);
    let out = common::run_with_deadline(
        Command::new(common::RUNNER)
            .args(["--base-url", &mock.base_url, "--token", "t"])
            .args(["--fixtures", "graph", "--principals", SHIPPED_PRINCIPALS])
            .args([
                "--keep-on-failure",
                "--exact",
                "fallback-reviewers/remove-one::put",
            ]),
        Duration::from_secs(120),
    );
    let t = common::text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("expected 409, got 400"), "{t}");
    assert_eq!(
        definitions_on(&mock),
        1,
        "the kept definition was deleted: {t}"
    );
    let curl_after = |marker: &str| {
        t.lines()
            .skip_while(|l| !l.contains(marker))
            .find(|l| l.trim_start().starts_with("curl "))
            .unwrap_or_else(|| panic!("no curl line after {marker:?}: {t}"))
            .trim()
            .to_string()
    };
    let send = |line: &str| common::send_curl(line, "t");
    let request = curl_after("is kept on the target (--keep-on-failure)");
    assert_eq!(send(&request), "400", "{request}");
    let delete =
        curl_after("kept on the target (--keep-on-failure): the state 1 failing trial(s) left");
    assert!(
        delete.contains("/identityGovernance/accessReviews/definitions/"),
        "{delete}"
    );
    assert_eq!(send(&delete), "204", "{delete}");
    assert_eq!(definitions_on(&mock), 0);
}
