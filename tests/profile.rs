//! Target profiles and comparisons (issue 19): `--probe FILE` writes what a target did where
//! the page is silent; `--profile FILE` holds a target to it; `accessreview-mock --profile FILE`
//! behaves as it says; `--compare A B` lists every behaviour where two targets differ, noise
//! (what differs between two runs of A) left out.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use accessreview_conformance::profile::Profile;
use accessreview_conformance::run::behaviour::differences;
use common::*;
use serde_json::Value;

const TOKEN: &str = "profile-test-token-7a2e";

/// The variants probed: each changes what the suite sees where the page is silent, and none
/// varies from answer to answer.
const VARIANTS: [&str; 7] = [
    "not-in-progress-400",
    "unknown-ids-400",
    "patch-204",
    "read-only-400",
    "extra-properties",
    "empty-error-codes",
    "get-without-lists",
];

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("arc-{name}-{}", uuid::Uuid::new_v4()))
}

fn credential_args() -> Vec<String> {
    credentials()
        .into_iter()
        .map(|(c, t)| format!("{c}={t}"))
        .collect()
}

/// A mock process with these extra arguments, the test token and every restricted credential.
fn mock(extra: &[&str]) -> MockProcess {
    let credentials = credential_args();
    let mut args = vec!["--token", TOKEN];
    for c in &credentials {
        args.extend(["--credential", c.as_str()]);
    }
    args.extend(extra);
    spawn_mock(&args)
}

/// The runner against `base` with these extra arguments; exit code and output.
fn run(base: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut cmd = Command::new(RUNNER);
    cmd.args(["--base-url", base, "--token", TOKEN]);
    for c in credential_args() {
        cmd.args(["--credential", &c]);
    }
    cmd.args(extra);
    let out = run_with_deadline(&mut cmd, Duration::from_secs(120));
    (out.status.code(), text(&out))
}

fn probe(base: &str, path: &Path) -> Profile {
    let (_, t) = run(base, &["--probe", path.to_str().unwrap()]);
    Profile::read(path).unwrap_or_else(|e| panic!("{e}\n{t}"))
}

fn variant_args() -> Vec<&'static str> {
    VARIANTS.iter().flat_map(|v| ["--variant", *v]).collect()
}

/// Every (trial, fact) a JSON report's behaviour findings name.
fn behaviour_findings(report: &Path) -> BTreeSet<(String, String)> {
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let mut out = BTreeSet::new();
    for t in report["trials"].as_array().unwrap() {
        for f in t["findings"].as_array().into_iter().flatten() {
            assert_eq!(f["severity"], "divergence", "{f}");
            assert_eq!(f["location"]["kind"], "behaviour", "{f}");
            out.insert((
                t["name"].as_str().unwrap().to_string(),
                f["location"]["fact"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

#[test]
fn a_probe_names_each_variants_behaviour_and_the_mock_replays_it() {
    let variant = mock(&variant_args());
    let faithful = mock(&[]);
    let (p, p0) = (temp("variant.yaml"), temp("faithful.yaml"));
    let profile = probe(&variant.base_url, &p);
    let reference = probe(&faithful.base_url, &p0);

    // The profile names each variant's behaviour.
    let page = &profile.silent_page;
    assert_eq!(page.not_in_progress, Some(400));
    assert_eq!(page.unknown_ids, Some(400));
    assert_eq!(page.patch, Some(204));
    assert_eq!(page.read_only_body, Some(400));
    assert_eq!(page.extra_properties, Some(true));
    assert_eq!(
        page.get_lists,
        Some(accessreview_mock::GetLists::WithSelect)
    );
    assert!(
        !page.error_codes.is_empty() && page.error_codes.values().all(String::is_empty),
        "{page:?}"
    );
    let rpage = &reference.silent_page;
    assert_eq!(
        (rpage.not_in_progress, rpage.unknown_ids, rpage.patch),
        (Some(409), Some(404), Some(200))
    );
    assert_eq!(rpage.extra_properties, Some(false));
    assert_eq!(rpage.get_lists, Some(accessreview_mock::GetLists::Always));
    assert!(rpage.error_codes.values().all(|c| !c.is_empty()));
    // Valid against its schema.
    let (schemas, _) = shipped();
    let as_json: Value =
        serde_json::to_value(serde_yaml::from_str::<Value>(&profile.to_yaml()).unwrap()).unwrap();
    assert_eq!(
        schemas
            .validate("target-profile", &as_json)
            .unwrap()
            .into_iter()
            .map(|v| format!("{} {}", v.instance_path, v.message))
            .collect::<Vec<_>>(),
        Vec::<String>::new()
    );

    // The faithful mock held to that profile: exactly the facts that differ, as divergences.
    let expected: BTreeSet<(String, String)> = profile
        .trials
        .iter()
        .flat_map(|(name, t)| {
            let theirs = reference.trials.get(name).map(|r| r.facts.clone());
            differences(&t.facts, &theirs.unwrap_or_default())
                .into_iter()
                .map(|(fact, _, _)| (name.clone(), fact.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    for (trial, fact) in [
        ("status/not-in-progress[status=Completed]::put", "status"),
        ("not-found/unknown-instance::put", "status"),
        ("methods/patch::patch", "status"),
        ("read-only/properties-ignored::put", "status"),
        ("examples/doc-example::put", "body.properties"),
        ("not-found/unknown-instance::put", "error.code"),
        ("success/add-fallback-reviewer::put", "plain-get.properties"),
    ] {
        assert!(
            expected.contains(&(trial.to_string(), fact.to_string())),
            "{trial} {fact}: {expected:?}"
        );
    }
    let json = temp("held.json");
    let (code, t) = run(
        &faithful.base_url,
        &[
            "--profile",
            p.to_str().unwrap(),
            "--enforce",
            "documented",
            "--report-json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(behaviour_findings(&json), expected, "{t}");

    // The mock started with the profile passes it, with no divergence.
    let replay = mock(&["--profile", p.to_str().unwrap()]);
    let (code, t) = run(
        &replay.base_url,
        &[
            "--profile",
            p.to_str().unwrap(),
            "--enforce",
            "all",
            "--report-json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains(" 0 diverged"), "{t}");
    assert!(behaviour_findings(&json).is_empty());
    // And the faithful mock passes its own profile.
    let (code, t) = run(
        &faithful.base_url,
        &["--profile", p0.to_str().unwrap(), "--enforce", "all"],
    );
    assert_eq!(code, Some(0), "{t}");
    for f in [p, p0, json] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn probing_one_target_twice_writes_the_same_bytes() {
    let target = mock(&["--variant", "not-in-progress-400"]);
    let (p, fresh) = (temp("twice.yaml"), temp("fresh.yaml"));
    let first = probe(&target.base_url, &p);
    let bytes = std::fs::read(&p).unwrap();
    probe(&target.base_url, &p);
    assert!(
        bytes == std::fs::read(&p).unwrap(),
        "a second probe changed the file"
    );
    // A probe into a new file differs only in its evidence.
    let mut other = probe(&target.base_url, &fresh);
    assert_ne!(other, first, "the evidence (request ids) is fresh");
    other.keep_evidence(&first);
    assert_eq!(other, first);
    // Nothing but the evidence names an id or a time.
    let text = String::from_utf8(bytes).unwrap();
    let facts: String = text
        .lines()
        .filter(|l| {
            !l.trim_start().starts_with("request-id:") && !l.trim_start().starts_with("date:")
        })
        .collect();
    assert!(!facts.contains("GMT"), "{facts}");
    let uuid = regex_like_uuid(&facts);
    assert!(uuid.is_none(), "an id outside the evidence: {uuid:?}");
    for f in [p, fresh] {
        let _ = std::fs::remove_file(f);
    }
}

/// The first UUID-shaped word of `text`, if any.
fn regex_like_uuid(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .find(|w| w.len() == 36 && uuid::Uuid::parse_str(w).is_ok())
        .map(str::to_string)
}

#[test]
fn a_profile_that_is_not_one_is_refused_at_its_line() {
    let p = temp("broken.yaml");
    std::fs::write(
        &p,
        "profile: 1\ntrials:\n  x::put:\n    rules: []\n    fact: {}\n",
    )
    .unwrap();
    let (code, t) = run(
        "http://127.0.0.1:9/beta",
        &["--profile", p.to_str().unwrap()],
    );
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains(":5:") && t.contains("fact"), "{t}");
    // The mock refuses a choice it cannot make, naming what it can.
    std::fs::write(&p, "profile: 1\nsilent-page:\n  not-in-progress: 403\n").unwrap();
    let out = run_with_deadline(
        Command::new(mock_binary()).args(["--profile", p.to_str().unwrap()]),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("not-in-progress: 403") && text(&out).contains("409, 400"));
    let _ = std::fs::remove_file(p);
}

/// `--compare A B` with reports; exit code, output, the JSON and the Markdown.
fn compare(a: &str, b: &str, extra: &[&str]) -> (Option<i32>, String, Value, String) {
    let (json, md) = (temp("compare.json"), temp("compare.md"));
    let mut cmd = Command::new(RUNNER);
    cmd.args(["--compare", a, b, "--token", TOKEN])
        .args(["--report-json", json.to_str().unwrap()])
        .args(["--report-markdown", md.to_str().unwrap()]);
    for c in credential_args() {
        cmd.args(["--credential", &c]);
    }
    cmd.args(extra);
    let out = run_with_deadline(&mut cmd, Duration::from_secs(180));
    let t = text(&out);
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("{e}: {t}")),
    )
    .unwrap();
    let markdown = std::fs::read_to_string(&md).unwrap();
    let (schemas, _) = shipped();
    assert_eq!(
        schemas
            .validate("comparison", &report)
            .unwrap()
            .into_iter()
            .map(|v| format!("{} {}", v.instance_path, v.message))
            .collect::<Vec<_>>(),
        Vec::<String>::new()
    );
    let _ = (std::fs::remove_file(json), std::fs::remove_file(md));
    (out.status.code(), t, report, markdown)
}

#[test]
fn a_target_compared_with_itself_behaves_alike_once_the_noise_is_out() {
    let target = mock(&[]);
    let (code, t, report, _) = compare(&target.base_url, &target.base_url, &[]);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("A and B behave alike."), "{t}");
    assert_eq!(report["differences"], Value::Array(vec![]));
    // Ids and dates differ from run to run: learned as noise, not reported.
    assert!(report["noise"].as_u64().unwrap() > 0, "{report}");
}

#[test]
fn a_variant_compared_with_the_reference_shows_exactly_its_differences() {
    let (faithful, variant) = (mock(&[]), mock(&["--variant", "not-in-progress-400"]));
    let (code, t, report, markdown) = compare(&faithful.base_url, &variant.base_url, &[]);
    assert_eq!(code, Some(1), "{t}");
    let differences = report["differences"].as_array().unwrap();
    let trials: BTreeSet<&str> = differences
        .iter()
        .map(|d| d["trial"].as_str().unwrap())
        .collect();
    // Every not-in-progress row, and nothing else.
    assert_eq!(trials.len(), 8, "{trials:?}");
    assert!(
        trials
            .iter()
            .all(|t| t.starts_with("status/not-in-progress[")),
        "{trials:?}"
    );
    for d in differences {
        assert!(
            ["outcome", "status", "error.code", "value body /error/code"]
                .contains(&d["fact"].as_str().unwrap()),
            "{d}"
        );
    }
    // The Markdown, with the two ports put back to names.
    let markdown = markdown
        .replace(&faithful.base_url, "http://A/beta")
        .replace(&variant.base_url, "http://B/beta");
    let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/compare.md");
    let noise = report["noise"].as_u64().unwrap().to_string();
    let markdown = markdown.replacen(
        &format!("; {noise} facts left out"),
        "; N facts left out",
        1,
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden, &markdown).unwrap();
    }
    assert_eq!(
        markdown,
        std::fs::read_to_string(golden).unwrap(),
        "rerun with UPDATE_GOLDEN=1 if intended"
    );
}

#[test]
fn probe_and_compare_on_a_live_tenant_leave_nothing_behind() {
    let tenant = spawn_mock(&["--token", "t"]);
    let principals = concat!(env!("CARGO_MANIFEST_DIR"), "/cases/principals.yaml");
    let live = [
        "--fixtures",
        "graph",
        "--principals",
        principals,
        "--token",
        "t",
    ];
    let selection = ["not-found/", "--skip", "instance-of-another-definition"];
    let p = temp("live.yaml");
    let out = run_with_deadline(
        Command::new(RUNNER)
            .args(["--base-url", &tenant.base_url])
            .args(live)
            .args(["--probe", p.to_str().unwrap()])
            .args(selection),
        Duration::from_secs(120),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let profile = Profile::read(&p).unwrap();
    assert_eq!(profile.silent_page.unknown_ids, Some(404), "{t}");
    assert_eq!(
        definitions_on(&tenant),
        0,
        "the probe left definitions: {t}"
    );
    let out = run_with_deadline(
        Command::new(RUNNER)
            .args(["--compare", &tenant.base_url, &tenant.base_url])
            .args(live)
            .args(selection),
        Duration::from_secs(180),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("behave alike"), "{t}");
    assert_eq!(
        definitions_on(&tenant),
        0,
        "the comparison left definitions: {t}"
    );
    let _ = std::fs::remove_file(p);
}

#[test]
fn each_status_choice_is_asked_by_a_shipped_case() {
    use accessreview_conformance::profile::choices::STATUS_CHOICES;
    let (_, suite) = shipped();
    let names: Vec<String> = trials(&suite, accessreview_conformance::case::UpdateMethod::Put)
        .into_iter()
        .map(|t| format!("{}::{}", t.case.id, t.method))
        .collect();
    for (choice, case, method, _) in STATUS_CHOICES {
        assert!(
            names.contains(&format!("{case}::{method}")),
            "{choice}: no trial of {case} sends {method}: {names:?}"
        );
    }
}

#[test]
fn held_to_a_profile_the_page_and_the_state_afterwards_still_count() {
    let faithful = mock(&[]);
    let p0 = temp("both.yaml");
    let (_, t) = run(
        &faithful.base_url,
        &["--probe", p0.to_str().unwrap(), "--update-method", "both"],
    );
    let profile = Profile::read(&p0).unwrap_or_else(|e| panic!("{e}\n{t}"));
    assert!(
        profile
            .trials
            .contains_key("success/persisted-and-isolated::patch")
    );
    // A documented failure is a failure whatever the profile says.
    let wrong = mock(&["--deviation", "removal-wrong-status"]);
    let (code, t) = run(
        &wrong.base_url,
        &[
            "--profile",
            p0.to_str().unwrap(),
            "--exact",
            "fallback-reviewers/remove-one::put",
        ],
    );
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("expected 409, got 400"), "{t}");
    // An update answered 200 and not stored: the page's rule fails for PUT, and the PATCH
    // trial (held to the inferred http-method-patch) still checks the state afterwards.
    let lost = mock(&["--deviation", "not-persisted"]);
    let json = temp("lost.json");
    let (code, t) = run(
        &lost.base_url,
        &[
            "--profile",
            p0.to_str().unwrap(),
            "--update-method",
            "both",
            "--enforce",
            "all",
            "--report-json",
            json.to_str().unwrap(),
            "success/persisted-and-isolated",
        ],
    );
    assert_eq!(code, Some(1), "{t}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let trial = |name: &str| {
        report["trials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("no {name}: {report}"))
            .clone()
    };
    let put = trial("success/persisted-and-isolated::put");
    assert_eq!(put["outcome"], "fail", "{put}");
    let patch = trial("success/persisted-and-isolated::patch");
    let kinds: Vec<&str> = patch["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"after"), "{patch}");
    // Enforced (`--enforce all`), the divergence fails the trial.
    assert_eq!(patch["outcome"], "fail", "{patch}");
    assert!(
        (patch["findings"].as_array().unwrap().iter()).all(|f| f["severity"] == "divergence"),
        "{patch}"
    );
    for f in [p0, json] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn a_target_file_side_of_a_comparison_gets_nothing_of_the_command_lines_target() {
    // Any bearer token will do for this mock: a 401 means none was sent.
    let b = spawn_mock(&[]);
    let file = temp("side-b.yaml");
    std::fs::write(&file, format!("base_url: {}\n", b.base_url)).unwrap();
    let a = mock(&[]);
    let out = run_with_deadline(
        Command::new(RUNNER)
            .env_remove("GRAPH_TOKEN")
            .args(["--compare", &a.base_url, file.to_str().unwrap()])
            .args(["--token", TOKEN, "not-found/"]),
        Duration::from_secs(120),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("answered 401") && t.contains(&b.base_url), "{t}");
    assert!(!t.contains(TOKEN), "{t}");
    let _ = std::fs::remove_file(file);
}

#[test]
fn what_a_probe_or_a_comparison_would_ignore_is_refused_before_any_request() {
    let unwritable = "/nonexistent-arc-dir/profile.yaml";
    let (code, t) = run("http://127.0.0.1:9/beta", &["--probe", unwritable]);
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains(&format!("cannot write {unwritable}")), "{t}");
    for flags in [
        &["--coverage"][..],
        &["--report-junit", "x.xml"],
        &["--expectations", "e.yaml"],
        &["--probe", "p.yaml"],
        &["--base-url", "http://127.0.0.1:9/beta"],
    ] {
        let out = run_with_deadline(
            Command::new(RUNNER)
                .args([
                    "--compare",
                    "http://127.0.0.1:9/beta",
                    "http://127.0.0.1:9/beta",
                ])
                .args(flags),
            Duration::from_secs(20),
        );
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", text(&out));
        assert!(text(&out).contains("cannot be used with"), "{}", text(&out));
    }
}
