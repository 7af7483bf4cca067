//! The README's samples are the binary's own output: the coverage table (`--coverage`) and the
//! fixture control protocol's answers (from a mock process). The kill table's sample is checked
//! where the kill table is built (`tests/self_verification.rs`).

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

#[test]
fn the_coverage_sample_is_what_coverage_prints() {
    let out = run_with_deadline(
        Command::new(RUNNER).arg("--coverage"),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(0));
    let printed = String::from_utf8_lossy(&out.stdout);
    let sample = readme_block("**Read the coverage table.**");
    assert_eq!(readme_sample_differs(&sample, &printed), None, "{printed}");
}

#[test]
fn a_sample_that_drifted_is_told_apart() {
    let output = "rule  kind\nrow-a  documented\nrow-b  inferred\n3 rules\n";
    assert_eq!(
        readme_sample_differs("rule  kind\n…\nrow-b  inf…\n3 rules", output),
        None
    );
    // A changed line, a line out of order, a wrong prefix: each differs.
    assert!(readme_sample_differs("rule  kind\n4 rules", output).is_some());
    assert!(readme_sample_differs("row-b  inferred\nrow-a  documented", output).is_some());
    assert!(readme_sample_differs("row-a  inf…", output).is_some());
}

/// The README's control protocol: `→ 201 {"definitionId", "instanceIds"}` in the order given,
/// `DELETE → 204`, `404 when unknown` — as the reference mock answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_protocol_sample_is_what_the_mock_answers() {
    let sample = readme_block("### What a mock must implement");
    let status_after = |marker: &str| -> u16 {
        let line = sample
            .lines()
            .find(|l| l.contains(marker))
            .unwrap_or_else(|| panic!("no `{marker}` in {sample}"));
        let rest = &line[line.find(marker).unwrap() + marker.len()..];
        rest.trim_start()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no status after `{marker}` in {line}"))
    };
    let (created, deleted) = (
        status_after("→"),
        status_after("fixtures/{definitionId}   →"),
    );
    let unknown: u16 = regex::Regex::new(r"\((\d{3}) when unknown\)")
        .unwrap()
        .captures(&sample)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("no `(NNN when unknown)` in {sample}"));
    assert!(
        sample.contains(r#""definitionId": "<id>", "instanceIds": ["<id>", ...]"#)
            && sample.contains("(ids in the order given)"),
        "{sample}"
    );
    accessreview_conformance::target::install_crypto();
    let mock = spawn_mock(&[]);
    let control = mock.base_url.replace("/beta", "/_conformance");
    let client = reqwest::Client::new();
    let answer = client
        .post(format!("{control}/fixtures"))
        .json(&serde_json::json!({
            "definition": {"displayName": "readme"},
            "instances": [{"status": "InProgress"}, {"status": "Completed"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), created);
    let body: serde_json::Value = answer.json().await.unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["definitionId", "instanceIds"], "{body}");
    // The ids in the order given: the first instance is the InProgress one.
    let definition = body["definitionId"].as_str().unwrap();
    let ids = body["instanceIds"].as_array().unwrap();
    assert_eq!(ids.len(), 2, "{body}");
    for (id, status) in ids.iter().zip(["InProgress", "Completed"]) {
        let instance: serde_json::Value = client
            .get(format!(
                "{}/identityGovernance/accessReviews/definitions/{definition}/instances/{}",
                mock.base_url,
                id.as_str().unwrap()
            ))
            .bearer_auth("any-token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(instance["status"], status, "{instance}");
    }
    let url = format!("{control}/fixtures/{definition}");
    let first = client.delete(&url).send().await.unwrap();
    assert_eq!(first.status().as_u16(), deleted);
    let again = client.delete(&url).send().await.unwrap();
    assert_eq!(again.status().as_u16(), unknown);
}

#[test]
fn the_example_workflows_are_yaml_and_the_nightly_one_stores_no_secret() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/workflows");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(doc.get("jobs").is_some(), "{}: no jobs", path.display());
        seen += 1;
    }
    assert!(seen >= 2);
    let nightly = std::fs::read_to_string(format!("{dir}/nightly-tenant.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&nightly).unwrap();
    assert_eq!(doc["permissions"]["id-token"].as_str(), Some("write"));
    assert!(
        !nightly.contains("${{ secrets"),
        "the nightly workflow reads a secret"
    );
    assert!(!nightly.contains("AZURE_CLIENT_SECRET"));
    // The suite is exec'd, so that a cancel's signal reaches it.
    assert!(nightly.contains("exec accessreview-conformance --target"));
}

/// Every `run:` script and `uses:` reference under a workflow or action document.
fn steps_of(doc: &serde_yaml::Value, runs: &mut Vec<String>, uses: &mut Vec<String>) {
    match doc {
        serde_yaml::Value::Mapping(m) => {
            for (k, v) in m {
                match (k.as_str(), v.as_str()) {
                    (Some("run"), Some(script)) => runs.push(script.to_string()),
                    (Some("uses"), Some(reference)) => uses.push(reference.to_string()),
                    _ => steps_of(v, runs, uses),
                }
            }
        }
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|v| steps_of(v, runs, uses)),
        _ => {}
    }
}

#[test]
fn workflows_and_the_action_are_hardened() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = vec![format!("{root}/action.yml")];
    for dir in [".github/workflows", "examples/workflows"] {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            files.push(entry.unwrap().path().display().to_string());
        }
    }
    let pinned = regex::Regex::new(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$").unwrap();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let (mut runs, mut uses) = (Vec::new(), Vec::new());
        steps_of(&doc, &mut runs, &mut uses);
        for reference in &uses {
            // This project's own action: pinned by the user to the release they choose.
            let own = reference.starts_with("./")
                || reference.starts_with("accessreview-conformance/accessreview-conformance@");
            assert!(
                own || pinned.is_match(reference),
                "{file}: {reference} is not pinned to a commit"
            );
            let line = text
                .lines()
                .find(|l| l.contains(reference.as_str()))
                .unwrap();
            assert!(
                own || line.contains(" # "),
                "{file}: {reference} has no version comment"
            );
        }
        for script in &runs {
            // Inputs and contexts reach scripts through env only, never spliced into the text.
            assert!(
                !script.contains("${{"),
                "{file}: an expression inside run:\n{script}"
            );
            for line in script.lines() {
                let builds = ["cargo build", "cargo install", "cargo test"]
                    .iter()
                    .any(|c| line.contains(c));
                assert!(!builds || line.contains("--locked"), "{file}: {line}");
            }
        }
        if !file.ends_with("action.yml") {
            assert!(
                doc.get("permissions").is_some(),
                "{file}: no top-level permissions"
            );
        }
    }
}

#[test]
fn the_drift_workflow_probes_diffs_and_fails_on_a_change_without_a_secret() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/workflows/drift.yml"
    ))
    .unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(doc["permissions"]["id-token"].as_str(), Some("write"));
    assert!(
        !text.contains("${{ secrets"),
        "the drift workflow reads a secret"
    );
    let (mut runs, mut uses) = (Vec::new(), Vec::new());
    steps_of(&doc, &mut runs, &mut uses);
    let all = runs.join("\n");
    for claim in [
        "exec accessreview-conformance --target targets/tenant.yaml --probe profiles/tenant.yaml",
        "git diff --exit-code -- profiles/tenant.yaml",
        "gh issue create",
        "gh issue comment",
        "head -c 60000 drift.diff",
        "exit 1",
        "--sweep",
    ] {
        assert!(all.contains(claim), "no step runs {claim:?}");
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains("(examples/workflows/drift.yml)"),
        "the README does not name the drift workflow"
    );
}

#[test]
fn the_example_uses_the_repository_the_readme_names_and_ci_runs_the_action_itself() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let repo = "accessreview-conformance/accessreview-conformance";
    assert!(
        readme.contains(&format!("https://github.com/{repo}")),
        "the README names no repository"
    );
    let example: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(format!("{root}/examples/workflows/conformance.yml")).unwrap(),
    )
    .unwrap();
    let (mut runs, mut uses) = (Vec::new(), Vec::new());
    steps_of(&example, &mut runs, &mut uses);
    assert!(
        uses.iter().any(|u| u.starts_with(&format!("{repo}@v"))),
        "the example does not use {repo} at a release: {uses:?}"
    );
    let ci: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(format!("{root}/.github/workflows/ci.yml")).unwrap(),
    )
    .unwrap();
    let (mut runs, mut uses) = (Vec::new(), Vec::new());
    steps_of(&ci["jobs"]["action"], &mut runs, &mut uses);
    assert!(
        uses.iter().any(|u| u == "./"),
        "CI does not run the action: {uses:?}"
    );
    // The release workflow builds the platforms the README promises, with checksums.
    let release = std::fs::read_to_string(format!("{root}/.github/workflows/release.yml")).unwrap();
    for target in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-gnu",
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(release.contains(target), "release.yml builds no {target}");
    }
    assert!(release.contains(".sha256"));
    // binstall finds the archives the release names.
    let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).unwrap();
    assert!(manifest.contains(
        "pkg-url = \"{ repo }/releases/download/v{ version }/{ name }-v{ version }-{ target }{ archive-suffix }\""
    ));
    assert!(release.contains("name=\"accessreview-conformance-$TAG-$TARGET\""));
}
