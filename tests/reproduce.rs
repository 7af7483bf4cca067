//! A reproduction that works: with `--keep-on-failure`, a failed trial's starting state stays
//! on the target, the printed `curl` line reproduces the failure against a separate mock
//! process, the end of the run says how to delete the state (and that works), and the
//! transcript holds the provisioning request.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{run_with_deadline, spawn_mock, text};

const RUNNER: &str = env!("CARGO_BIN_EXE_accessreview-conformance");
const TOKEN: &str = "reproduce-token-7c1d";

/// Runs a printed curl line with the run's token; returns the status.
fn send(line: &str) -> String {
    common::send_curl(line, TOKEN)
}

/// The first line after the one containing `marker` that starts with `curl `.
fn curl_after(text: &str, marker: &str) -> String {
    text.lines()
        .skip_while(|l| !l.contains(marker))
        .find(|l| l.trim_start().starts_with("curl "))
        .unwrap_or_else(|| panic!("no curl line after {marker:?}: {text}"))
        .trim()
        .to_string()
}

fn run(
    mock: &common::MockProcess,
    extra: &[&str],
    record: &std::path::Path,
) -> (Option<i32>, String) {
    let out = run_with_deadline(
        Command::new(RUNNER)
            .args(["--base-url", &mock.base_url, "--token", TOKEN])
            .args(extra)
            .arg("--record")
            .arg(record)
            .args(["--exact", "fallback-reviewers/remove-one::put"]),
        Duration::from_secs(60),
    );
    (out.status.code(), text(&out))
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends the printed curl line through sh and curl (Unix shells)"
)]
fn a_kept_state_makes_the_printed_curl_line_reproduce_the_failure() {
    // Removing a fallback reviewer is refused with 400 instead of 409: a refusal, so the
    // state stays as seeded and the request can be sent again and again.
    let mock = spawn_mock(&["--deviation", "removal-wrong-status"]);
    let dir = std::env::temp_dir().join(format!("arc-keep-{}", uuid::Uuid::new_v4()));
    let (code, t) = run(&mock, &["--keep-on-failure"], &dir);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("expected 409, got 400"), "{t}");
    assert!(!t.contains(TOKEN), "{t}");
    // The failure names the kept state, and its curl line reproduces the failure.
    assert!(
        t.contains(
            "the state as the trial left it is kept on the target (--keep-on-failure): definition = "
        ),
        "{t}"
    );
    // A refusal leaves the starting state: no warning that it may be the updated one.
    assert!(!t.contains("may be the updated one"), "{t}");
    let request = curl_after(&t, "the state as the trial left it is kept on the target");
    assert!(request.contains("-X 'PUT'"), "{request}");
    assert_eq!(send(&request), "400", "{request}");
    assert_eq!(
        send(&request),
        "400",
        "a refusal leaves the state: again {request}"
    );
    // The end of the run lists the kept state and how to delete it; that works.
    let delete = curl_after(
        &t,
        "kept on the target (--keep-on-failure): the state 1 failing trial(s) left",
    );
    assert!(
        delete.contains("-X 'DELETE'") && delete.contains("/_conformance/fixtures/"),
        "{delete}"
    );
    assert_eq!(send(&delete), "204", "{delete}");
    assert_eq!(send(&request), "404", "deleted: {request}");
    // The transcript holds the provisioning request (and its curl line) and the kept ids.
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1);
    let transcript = std::fs::read_to_string(files[0].path()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!transcript.contains(TOKEN), "{transcript}");
    let doc: serde_json::Value = serde_json::from_str(&transcript).unwrap();
    let setup = &doc["setup"][0];
    assert_eq!(setup["request"]["method"], "POST", "{transcript}");
    assert!(
        setup["request"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/_conformance/fixtures"),
        "{transcript}"
    );
    assert!(
        setup["request"]["body"]
            .as_str()
            .unwrap()
            .contains("fallbackReviewers"),
        "{transcript}"
    );
    assert!(
        setup["curl"]
            .as_str()
            .unwrap()
            .starts_with("curl -sS -X 'POST'")
    );
    assert_eq!(doc["kept"]["ids"][0][0], "definition", "{transcript}");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "sends the printed curl line through sh and curl (Unix shells)"
)]
fn without_keeping_the_failure_says_the_state_is_gone_and_how_it_was_made() {
    let mock = spawn_mock(&["--deviation", "removal-wrong-status"]);
    let dir = std::env::temp_dir().join(format!("arc-nokeep-{}", uuid::Uuid::new_v4()));
    let (code, t) = run(&mock, &[], &dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(1), "{t}");
    let request = curl_after(
        &t,
        "the starting state it needs was deleted after the trial",
    );
    // The state is gone: the line alone no longer reproduces the failure…
    assert_eq!(send(&request), "404", "{request}");
    // …and the failure shows the request that created it, which works.
    let setup = curl_after(&t, "the starting state was created with");
    assert!(setup.contains("/_conformance/fixtures"), "{setup}");
    assert_eq!(send(&setup), "201", "{setup}");
    assert!(!t.contains("kept on the target"), "{t}");
}

#[test]
fn keeping_needs_a_target_that_outlives_the_run() {
    let out = run_with_deadline(
        Command::new(RUNNER).args([
            "--keep-on-failure",
            "--exact",
            "fallback-reviewers/remove-one::put",
        ]),
        Duration::from_secs(60),
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("--keep-on-failure needs a target that outlives the run (--base-url)"),
        "{t}"
    );
}

/// After an update the target applied, the kept state is the updated one: the message says
/// so instead of promising the starting state.
#[test]
fn a_kept_state_after_a_success_is_said_to_be_maybe_the_updated_one() {
    let mock = spawn_mock(&["--deviation", "accept-fallback-removal"]);
    let dir = std::env::temp_dir().join(format!("arc-keep-ok-{}", uuid::Uuid::new_v4()));
    let (code, t) = run(&mock, &["--keep-on-failure"], &dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("the request was answered with success, so that state may be the updated one, not the starting state"),
        "{t}"
    );
}

/// Only a trial that fails the run keeps its state: a divergence that is not enforced is
/// deleted as usual.
#[test]
fn a_divergence_that_is_not_enforced_keeps_nothing() {
    let mock = spawn_mock(&["--deviation", "plain-text-errors"]);
    let dir = std::env::temp_dir().join(format!("arc-keep-div-{}", uuid::Uuid::new_v4()));
    let (code, t) = run(
        &mock,
        &["--keep-on-failure", "--enforce", "documented"],
        &dir,
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("diverges"), "{t}");
    assert!(!t.contains("kept on the target"), "{t}");
    assert!(
        t.contains("the starting state it needs was deleted after the trial"),
        "{t}"
    );
}
