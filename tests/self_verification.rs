//! Self-verification: the whole suite against the faithful reference mock (no failure) and
//! against every deviation (at least one failure, naming the rule the deviation breaks). The
//! kill table is printed (`cargo test --test self_verification -- --nocapture`).

mod common;

use std::time::Duration;

use accessreview_conformance::case::UpdateMethod;
use accessreview_conformance::case::finding::Severity;
use accessreview_conformance::case::rules::RuleKind;
use accessreview_conformance::report::text::render_outcome;
use accessreview_conformance::run::outcome::Verdict;
use accessreview_conformance::run::{self, RunContext};
use accessreview_conformance::selfcheck::{
    KillRow, kill_table, render_kill_table, run_against_mock,
};
use accessreview_conformance::target::{Secret, Target};
use accessreview_mock::Deviation;
use common::{shipped, trials};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_deviation_is_caught_by_a_trial_naming_its_rule() {
    let (schemas, suite) = shipped();
    let specs = trials(&suite, UpdateMethod::Put);
    let rows = kill_table(&specs, &schemas, &suite.principals, Duration::from_secs(2))
        .await
        .unwrap();
    let table = render_kill_table(&rows);
    println!("{table}");
    // The README's sample is this table's own lines.
    let sample = common::readme_block("`--coverage=deviations` prints the kill table");
    assert_eq!(
        common::readme_sample_differs(&sample, &table),
        None,
        "{table}"
    );
    assert_eq!(rows.len(), Deviation::ALL.len() + 1);
    assert!(
        rows[0].deviation.is_none() && rows[0].verdict_ok(),
        "the faithful mock fails or diverges: {:?} {:?}",
        rows[0].failing,
        rows[0].diverging
    );
    for row in &rows[1..] {
        let d = row.deviation.unwrap();
        let caught = row.caught_as();
        assert!(
            caught.is_some(),
            "{d}: no trial fails or diverges naming {}\n{table}",
            d.breaks()
        );
        // Findings naming other rules than the one it breaks are exactly the ones its row
        // explains (a rule that starts or stops being named is a change to explain).
        let listed = accessreview_conformance::selfcheck::explained::why_also(d)
            .map(|(rules, _)| rules.to_vec())
            .unwrap_or_default();
        assert_eq!(
            row.also_named(),
            listed,
            "{d}: the rules its findings name besides {} are not the ones explained in selfcheck::explained\n{table}",
            d.breaks()
        );
        // A deviation from what the page says fails the run even under --enforce documented.
        let rule = suite.rules.get(d.breaks()).unwrap();
        if rule.kind == RuleKind::Documented {
            assert_eq!(
                caught,
                Some(Severity::Failure),
                "{d}: only a divergence\n{table}"
            );
        }
    }
    assert!(
        table.contains(&format!(
            "{} deviations, {} caught\n",
            Deviation::ALL.len(),
            Deviation::ALL.len()
        )),
        "{table}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_message_names_the_broken_rule_with_its_text() {
    let (schemas, suite) = shipped();
    let specs = trials(&suite, UpdateMethod::Put);
    let results = run_against_mock(
        Some(Deviation::AcceptFallbackRemoval),
        &specs,
        &schemas,
        &suite.principals,
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    let (spec, outcome) = results
        .iter()
        .find(|(s, _)| s.name == "fallback-reviewers/swap::put")
        .unwrap();
    let text = render_outcome(spec, outcome, &suite.rules, &|s: &str| s.to_string());
    assert!(
        text.contains(
            "fallback-removal-conflict (documented): The page: \"Attempting to remove existing fallbackReviewers"
        ),
        "{text}"
    );
    assert!(text.contains("status: expected 409, got 200"), "{text}");
    // The exchange: the request sent (method, URL, body) and the status and body received.
    assert!(text.contains("request:\n  PUT http://127.0.0.1:"), "{text}");
    assert!(text.contains("Authorization: Bearer (redacted)"), "{text}");
    assert!(
        text.contains("\"fallbackReviewers\":[{\"query\":\"/users/"),
        "{text}"
    );
    assert!(text.contains("response:\n  status 200"), "{text}");
    assert!(
        text.contains("\"@odata.context\""),
        "the body received is shown: {text}"
    );
    assert!(text.contains("https://learn.microsoft.com/en-us/graph/api/accessreviewinstance-update?view=graph-rest-beta"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_that_is_never_persisted_fails_every_trial_holding_the_update_to_the_page() {
    let (schemas, suite) = shipped();
    let specs = trials(&suite, UpdateMethod::Put);
    let results = run_against_mock(
        Some(Deviation::NotPersisted),
        &specs,
        &schemas,
        &suite.principals,
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    let holding: Vec<_> = results
        .iter()
        .filter(|(s, _)| s.case.rules.iter().any(|r| r == "update-persisted"))
        .collect();
    let names: Vec<&str> = holding.iter().map(|(s, _)| s.name.as_str()).collect();
    for must in [
        "methods/put::put",
        "success/add-fallback-reviewer::put",
        "success/replace-reviewers::put",
        "success/persisted-and-isolated::put",
    ] {
        assert!(
            names.contains(&must),
            "{must} does not hold update-persisted: {names:?}"
        );
    }
    for (spec, outcome) in holding {
        // A re-sent unchanged list changes nothing, so nothing is lost when nothing is stored.
        if spec.name == "fallback-reviewers/resend-unchanged::put" {
            continue;
        }
        assert!(
            matches!(&outcome.verdict, Verdict::Fail(f) if f.iter().any(|f| f.severity == Severity::Failure)),
            "{}: {:?}",
            spec.name,
            outcome.verdict
        );
    }
}

/// The concurrency case, alone, against a mock; true when it passed.
async fn concurrency_case_passes(deviation: Option<Deviation>) -> bool {
    let (schemas, suite) = shipped();
    let spec: Vec<_> = trials(&suite, UpdateMethod::Put)
        .into_iter()
        .filter(|t| t.name == "concurrency/concurrent-additions::put")
        .collect();
    assert_eq!(spec.len(), 1);
    let results = run_against_mock(
        deviation,
        &spec,
        &schemas,
        &suite.principals,
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    match &results[0].1.verdict {
        Verdict::Pass => true,
        Verdict::Fail(_) | Verdict::Diverge(_) => false,
        Verdict::Error(e) => panic!("the concurrency case could not run: {e}"),
        Verdict::Skip(r) => panic!("the concurrency case was skipped: {r}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_case_never_passes_on_lost_updates_and_always_on_the_faithful_mock() {
    for run in 0..20 {
        assert!(
            !concurrency_case_passes(Some(Deviation::LostUpdates)).await,
            "run {run}: a lost update went unnoticed"
        );
        assert!(
            concurrency_case_passes(None).await,
            "run {run}: the faithful mock failed the concurrency case"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deviation_that_only_makes_trials_error_is_not_counted_as_caught() {
    let (schemas, suite) = shipped();
    let specs = trials(&suite, UpdateMethod::Put);
    // A deliberately broken transport: nothing listens where the target points.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let target = Target::new(
        &format!("http://{addr}/beta"),
        None,
        Some(Secret::new("broken-transport-token")),
        Duration::from_secs(2),
        1 << 20,
    )
    .unwrap()
    .with_credentials(common::credentials());
    let ctx = std::sync::Arc::new(RunContext::new(target, schemas, suite.principals.clone()));
    let results = run::run_all(ctx, &specs).await;
    assert!(
        results
            .iter()
            .all(|(_, o)| matches!(o.verdict, Verdict::Error(_))),
        "every trial errors on a broken transport"
    );
    for d in Deviation::ALL {
        let row = KillRow::from_results(Some(*d), &results);
        assert!(row.failing.is_empty() && row.rules_named.is_empty(), "{d}");
        assert_eq!(row.errored.len(), specs.len(), "{d}");
        assert!(!row.verdict_ok(), "{d}: errors counted as a catch");
    }
    let faithful = KillRow::from_results(None, &results);
    assert!(!faithful.verdict_ok(), "a run that errors is not clean");
    let table = render_kill_table(&[
        faithful,
        KillRow::from_results(Some(Deviation::Hang), &results),
    ]);
    assert!(table.contains("NOT caught: hang"), "{table}");
}

#[test]
fn permission_cases_run_with_their_credential_and_are_skipped_with_the_reason_without() {
    let (_, suite) = shipped();
    let target = Target::new(
        "http://127.0.0.1:9/beta",
        None,
        Some(Secret::new("run-token")),
        Duration::from_secs(2),
        1 << 20,
    )
    .unwrap();
    let specs: Vec<_> = trials(&suite, UpdateMethod::Put)
        .into_iter()
        .filter(|s| s.name.starts_with("permissions/"))
        .collect();
    // Both sides: refused tokens, and each documented (role x kind of review) pair allowed.
    for must in [
        "permissions/app-may-update::put",
        "permissions/user-admin-group-review::put",
        "permissions/iga-group-review::put",
        "permissions/iga-role-review::put",
        "permissions/pra-role-review::put",
        "permissions/app-without-permission::put",
        "permissions/delegated-without-permission::put",
    ] {
        assert!(specs.iter().any(|s| s.name == must), "{must} missing");
    }
    for spec in &specs {
        let reason = run::skip_reason(&spec.case, &target)
            .unwrap_or_else(|| panic!("{} runs without its credential", spec.name));
        assert!(reason.starts_with("needs --credential "), "{reason}");
    }
    let equipped = target.with_credentials(common::credentials());
    for spec in &specs {
        assert_eq!(
            run::skip_reason(&spec.case, &equipped),
            None,
            "{}",
            spec.name
        );
    }
}

/// The kill table counts a deviation as caught only by a finding that names the rule it
/// breaks and follows from no other finding: a failing trial citing the rule is not enough.
#[test]
fn a_deviation_is_caught_only_by_a_finding_naming_its_rule() {
    use accessreview_conformance::case::finding::{Finding, Location};
    use accessreview_conformance::run::outcome::Outcome;
    let (_, suite) = shipped();
    let spec = trials(&suite, UpdateMethod::Put)
        .into_iter()
        .find(|t| t.name == "fallback-reviewers/remove-one::put")
        .unwrap();
    assert!(spec.cited_rules().contains(&"fallback-removal-conflict"));
    let finding = |rules: &[&str], consequence: bool| {
        let mut f = Finding::new(Location::Status, "409", "200");
        f.rules = rules.iter().map(|r| r.to_string()).collect();
        f.consequence_of = consequence.then_some(0);
        f
    };
    let row = |findings: Vec<Finding>| {
        let outcome = Outcome::without_exchange(Verdict::Fail(findings));
        KillRow::from_results(
            Some(Deviation::AcceptFallbackRemoval),
            &[(spec.clone(), outcome)],
        )
    };
    assert_eq!(
        row(vec![finding(&["scope-required"], false)]).caught_as(),
        None
    );
    let only_as_consequence = row(vec![
        finding(&["scope-required"], false),
        finding(&["fallback-removal-conflict"], true),
    ]);
    assert_eq!(only_as_consequence.caught_as(), None);
    let named = row(vec![finding(&["fallback-removal-conflict"], false)]);
    assert_eq!(named.caught_as(), Some(Severity::Failure));
    assert!(named.also_named().is_empty());
}
