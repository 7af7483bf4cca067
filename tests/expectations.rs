//! Expectations files: known failures do not fail the run, unexpected passes do (unless
//! allowed), stale entries are reported (and fail with --strict-expectations), and a file
//! written from a run makes the next run on the same target pass.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

fn run(base_url: &str, args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = run_with_deadline(
        Command::new(RUNNER)
            .args([
                "--base-url",
                base_url,
                "--token",
                "t",
                "--enforce",
                "documented",
            ])
            .args(args),
        Duration::from_secs(120),
    );
    (out.status.code(), text(&out))
}

#[test]
fn known_failures_pass_unexpected_passes_fail_and_stale_entries_are_reported() {
    let buggy = spawn_mock(&["--deviation", "accept-fallback-removal"]);
    let faithful = spawn_mock(&[]);
    let dir = std::env::temp_dir().join(format!("arc-expect-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("expectations.yaml");
    let os = |s: &'static str| std::ffi::OsStr::new(s);

    // Written from the buggy target's run, then used on it: exit 0.
    let (code, t) = run(
        &buggy.base_url,
        &[os("--write-expectations"), file.as_os_str()],
    );
    assert_eq!(code, Some(1), "{t}");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.contains("fallback-reviewers/swap::put") && written.contains("outcome: fail"),
        "{written}"
    );
    let (schemas, _) = shipped();
    let doc: serde_json::Value = serde_yaml::from_str(&written).unwrap();
    assert_eq!(schemas.validate("expectations", &doc).unwrap(), vec![]);
    let (code, t) = run(&buggy.base_url, &[os("--expectations"), file.as_os_str()]);
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains("ignored (expected to fail: recorded from a run"),
        "{t}"
    );

    // The bug fixed: the expected failures pass unexpectedly.
    let (code, t) = run(
        &faithful.base_url,
        &[os("--expectations"), file.as_os_str()],
    );
    assert_eq!(code, Some(1), "{t}");
    assert!(
        t.contains("passed, but the expectations file says it does not"),
        "{t}"
    );
    let (code, t) = run(
        &faithful.base_url,
        &[
            os("--expectations"),
            file.as_os_str(),
            os("--allow-unexpected-pass"),
        ],
    );
    assert_eq!(code, Some(0), "{t}");

    // A stale entry is reported, and fails the run only when strict.
    let mut with_stale: serde_json::Value = serde_yaml::from_str(&written).unwrap();
    with_stale["expectations"].as_array_mut().unwrap().push(
        serde_json::json!({"trial": "gone/case::put", "outcome": "fail", "reason": "renamed"}),
    );
    with_stale["expectations"].as_array_mut().unwrap().push(
        serde_json::json!({"trial": "success/add-fallback-reviewr::put", "outcome": "fail", "reason": "typo"}),
    );
    std::fs::write(&file, serde_yaml::to_string(&with_stale).unwrap()).unwrap();
    let (code, t) = run(&buggy.base_url, &[os("--expectations"), file.as_os_str()]);
    assert_eq!(code, Some(0), "{t}");
    assert!(
        t.contains("stale expectations") && t.contains("gone/case::put"),
        "{t}"
    );
    assert!(
        t.contains(
            "success/add-fallback-reviewr::put (did you mean `success/add-fallback-reviewer::put`?)"
        ),
        "{t}"
    );
    let (code, t) = run(
        &buggy.base_url,
        &[
            os("--expectations"),
            file.as_os_str(),
            os("--strict-expectations"),
        ],
    );
    assert_eq!(code, Some(1), "{t}");

    // A malformed file is a usage error pointing at the line.
    std::fs::write(
        &file,
        "expectations:\n  - trial: x\n    outcome: maybe\n    reason: r\n",
    )
    .unwrap();
    let (code, t) = run(&buggy.base_url, &[os("--expectations"), file.as_os_str()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, Some(2), "{t}");
    assert!(t.contains("expectations.yaml:3:"), "{t}");
}
