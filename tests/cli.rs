//! The binaries as a user runs them: the embedded default, a separate mock process, listing,
//! exit codes, and secrets kept out of every output.

mod common;

use std::process::Command;
use std::time::Duration;

use accessreview_conformance::case::UpdateMethod;
use common::*;
use rstest::rstest;

const DEADLINE: Duration = Duration::from_secs(120);

#[test]
fn no_flags_passes_every_case_against_the_embedded_mock() {
    let (_, suite) = shipped();
    let expected = trials(&suite, UpdateMethod::Put).len();
    let out = run_with_deadline(Command::new(RUNNER).env_remove("GRAPH_TOKEN"), DEADLINE);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(
        t.contains(&format!("test result: ok. {expected} passed; 0 failed")),
        "{t}"
    );
}

#[test]
fn list_names_every_trial() {
    let (_, suite) = shipped();
    for (flag, update) in [("put", UpdateMethod::Put), ("both", UpdateMethod::Both)] {
        let out = run_with_deadline(
            Command::new(RUNNER).args(["--list", "--update-method", flag]),
            DEADLINE,
        );
        assert_eq!(out.status.code(), Some(0));
        let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_suffix(": test"))
            .map(str::to_string)
            .collect();
        let expected: Vec<String> = trials(&suite, update).into_iter().map(|t| t.name).collect();
        assert_eq!(listed, expected);
    }
}

#[rstest]
#[case("put")]
#[case("patch")]
#[case("both")]
fn passes_against_a_separate_mock_process(#[case] method: &str) {
    let mock = spawn_mock(&["--token", "separate-process-token"]);
    let out = run_with_deadline(
        Command::new(RUNNER).args([
            "--base-url",
            &mock.base_url,
            "--token",
            "separate-process-token",
            "--update-method",
            method,
        ]),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("test result: ok."), "{t}");
    if method == "both" {
        assert!(t.contains("::patch") && t.contains("::put"), "{t}");
    }
}

#[test]
fn wrong_token_is_a_provisioning_error() {
    // The control endpoint needs no auth; the API paths refuse the wrong token: the preflight
    // says so once, exit 3.
    let mock = spawn_mock(&["--token", "right-token-123"]);
    let out = run_with_deadline(
        Command::new(RUNNER).args([
            "--base-url",
            &mock.base_url,
            "--token",
            "wrong-token-456",
            "-q",
        ]),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert_eq!(t.matches("refuses the run's token").count(), 1, "{t}");
}

#[test]
fn unreachable_target_exits_3() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/beta");
    let out = run_with_deadline(
        Command::new(RUNNER).args(["--base-url", &url, "--token", "x", "-q", "--timeout", "5"]),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    // One error before any trial, not one per trial.
    assert_eq!(
        t.matches("preflight: the target could not produce").count(),
        1,
        "{t}"
    );
    assert_eq!(
        t.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{t}"
    );
    assert!(!t.contains("running "), "{t}");
}

#[test]
fn a_target_without_the_control_protocol_is_one_error() {
    // Anything but the control protocol: every path answers 404.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let base = runtime.block_on(common::scripted_target(|_| {
        (
            "404 Not Found",
            "",
            r#"{"error":{"code":"NotFound","message":"no such route"}}"#,
        )
    }));
    let out = run_with_deadline(
        Command::new(RUNNER).args(["--base-url", &base, "--token", "x", "-q"]),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert_eq!(
        t.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{t}"
    );
    assert!(t.contains("_conformance/fixtures answered 404"), "{t}");
    assert!(!t.contains("running "), "{t}");
}

/// A target that answers the preflight (seed, read, delete) and is gone before the trials:
/// every trial could not run for one reason, and the end of the run says so once, with the
/// count, not once per trial.
#[test]
fn trials_that_could_not_run_alike_are_counted_once_at_the_end() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/beta", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        for _ in 0..3 {
            let (mut sock, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 65536];
            let n = sock.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let (status, body) = if head.starts_with("POST ") {
                (
                    "201 Created",
                    r#"{"definitionId":"d1","instanceIds":["i1"]}"#,
                )
            } else if head.starts_with("GET ") {
                ("200 OK", r#"{"id":"i1"}"#)
            } else {
                ("204 No Content", "")
            };
            let _ = sock.write_all(
                format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
        // Gone: every later connection is refused.
        drop(listener);
    });
    let out = run_with_deadline(
        Command::new(RUNNER).args(["--base-url", &base, "--token", "x", "-q"]),
        DEADLINE,
    );
    server.join().unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    let summary: Vec<&str> = t
        .lines()
        .filter(|l| l.contains(" could not run: "))
        .collect();
    assert_eq!(summary.len(), 1, "{t}");
    assert!(
        summary[0].contains(" trials could not run: provisioning: cannot connect (")
            && summary[0].to_lowercase().contains("refused"),
        "{t}"
    );
    let errored = t
        .lines()
        .find(|l| l.starts_with("conformance: "))
        .and_then(|l| l.split(", ").find(|p| p.ends_with(" could not run")))
        .and_then(|p| p.split_whitespace().next())
        .unwrap_or_else(|| panic!("no closing line: {t}"))
        .to_string();
    assert!(summary[0].starts_with(&format!("{errored} trials")), "{t}");
}

#[test]
fn nonconformant_target_exits_1() {
    let mock = spawn_mock(&["--deviation", "accept-fallback-removal"]);
    let out = run_with_deadline(
        Command::new(RUNNER).args(["--base-url", &mock.base_url, "--token", "x", "-q"]),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("fallback-removal-conflict"), "{t}");
}

#[rstest]
#[case(&["--update-method", "sideways"])]
#[case(&["--timeout", "0"])]
#[case(&["--fixtures", "nowhere"])]
#[case(&["--enforce", "some"])]
#[case(&["--cases", "/nonexistent/cases"])]
#[case(&["--principals", "/nonexistent/p.yaml"])]
fn usage_errors_exit_2(#[case] args: &[&str]) {
    let out = run_with_deadline(Command::new(RUNNER).args(args), DEADLINE);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn help_explains_the_flags_and_exit_codes() {
    let out = run_with_deadline(
        Command::new(RUNNER)
            .arg("--help")
            .env("GRAPH_TOKEN", "env-token-should-not-show"),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0));
    for needle in [
        "--base-url",
        "--token",
        "--update-method",
        "--fixtures",
        "--control-url",
        "--cases",
        "--schemas",
        "--timeout",
        "--max-response-bytes",
        "--list",
        "--exact",
        "--skip",
        "--test-threads",
        "Exit codes",
    ] {
        assert!(t.contains(needle), "--help lacks {needle}:\n{t}");
    }
    assert!(!t.contains("env-token-should-not-show"), "{t}");
    let out = run_with_deadline(Command::new(RUNNER).arg("--version"), DEADLINE);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_distinctive_token_never_appears_in_any_output() {
    const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOi.distinctive-secret-7f3a9c";
    let mock = spawn_mock(&["--deviation", "update-any-status"]);
    for args in [
        vec!["-q"],
        vec!["--format", "json"],
        vec!["--format", "pretty", "--update-method", "both"],
        vec!["--list"],
    ] {
        let out = run_with_deadline(
            Command::new(RUNNER)
                .args(["--base-url", &mock.base_url])
                .args(&args)
                .args(["--credential", &format!("roleless={TOKEN}-roleless")])
                .env("GRAPH_TOKEN", TOKEN),
            DEADLINE,
        );
        let t = text(&out);
        assert!(!t.contains(TOKEN), "token printed with {args:?}:\n{t}");
        assert!(
            !t.contains("distinctive-secret"),
            "part of the token printed with {args:?}"
        );
        if args[0] != "--list" {
            assert_eq!(out.status.code(), Some(1), "{t}");
            assert!(
                t.contains("Bearer (redacted)"),
                "the request transcript is shown: {t}"
            );
        }
    }
}

#[test]
fn libtest_filters_work() {
    let out = run_with_deadline(
        Command::new(RUNNER).args(["--exact", "methods/patch::patch"]),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("1 passed"), "{t}");
    let out = run_with_deadline(
        Command::new(RUNNER).args(["status/", "--skip", "Applied", "--test-threads", "1"]),
        DEADLINE,
    );
    let t = text(&out);
    assert!(t.contains("7 passed"), "{t}");
}

#[test]
fn mock_lists_its_deviations() {
    let out = run_with_deadline(
        Command::new(mock_binary()).arg("--list-deviations"),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0));
    for d in accessreview_mock::Deviation::ALL {
        assert!(t.contains(d.name()), "{t}");
    }
    let out = run_with_deadline(
        Command::new(mock_binary()).args(["--deviation", "nope"]),
        DEADLINE,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[rstest]
#[case("runner", "nope=SECRETVALUE123")]
#[case("runner", "SECRETVALUE123")]
#[case("runner", "roleless=")]
#[case("mock", "nope=SECRETVALUE123")]
#[case("mock", "SECRETVALUE123")]
fn bad_credentials_are_usage_errors_that_do_not_repeat_the_token(
    #[case] which: &str,
    #[case] arg: &str,
) {
    let bin = match which {
        "mock" => mock_binary(),
        _ => RUNNER.into(),
    };
    let out = run_with_deadline(Command::new(bin).args(["--credential", arg]), DEADLINE);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("--credential"), "{t}");
    assert!(!t.contains("SECRETVALUE123"), "{t}");
}

#[rstest]
#[case::remote_without_the_flag(&["--base-url", "https://graph.example.invalid/beta"], "pass --allow-tenant-writes")]
#[case::plain_http_to_a_remote_host(&["--base-url", "http://graph.example.invalid/beta", "--allow-tenant-writes"], "plain http")]
#[case::remote_control_url(&["--base-url", "http://127.0.0.1:9/beta", "--control-url", "https://control.example.invalid/x"], "pass --allow-tenant-writes")]
fn a_remote_target_is_refused_before_anything_is_sent(
    #[case] args: &[&str],
    #[case] message: &str,
) {
    let out = run_with_deadline(Command::new(RUNNER).args(args), DEADLINE);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains(message), "{t}");
    // Refused before the first trial: no trial ran.
    assert!(!t.contains("test "), "{t}");
}

/// Writes a target file for a mock process; returns its path.
fn target_file(text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("arc-target-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_target_file_describes_the_target_and_flags_override_it() {
    let mock = spawn_mock(&["--token", "file-token-5d2e"]);
    let path = target_file(&format!(
        "base_url: {}\nenforce: documented\ntoken_env: ARC_TEST_TOKEN\ntimeout: 20\nprincipals: {{alice: 00000000-0000-0000-0000-0000000000a1}}\n",
        mock.base_url
    ));
    let out = run_with_deadline(
        Command::new(RUNNER)
            .arg("--target")
            .arg(&path)
            .env("ARC_TEST_TOKEN", "file-token-5d2e")
            .args(["-q", "success/"]),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("enforcing documented rules only"), "{t}");
    assert!(!t.contains("file-token-5d2e"), "{t}");
    // The command line wins over the file.
    let out = run_with_deadline(
        Command::new(RUNNER)
            .arg("--target")
            .arg(&path)
            .env("ARC_TEST_TOKEN", "file-token-5d2e")
            .args(["--enforce", "all", "-q", "success/"]),
        DEADLINE,
    );
    assert!(
        text(&out).contains("enforcing all expectations"),
        "{}",
        text(&out)
    );
    // A missing variable and an unknown key are usage errors that point at the cause.
    let out = run_with_deadline(Command::new(RUNNER).arg("--target").arg(&path), DEADLINE);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("ARC_TEST_TOKEN, which is not set"),
        "{}",
        text(&out)
    );
    let bad = target_file("base_url: http://127.0.0.1:1/beta\ntoken: abc\n");
    let out = run_with_deadline(Command::new(RUNNER).arg("--target").arg(&bad), DEADLINE);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&bad);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("unknown field `token`") && t.contains(":2:1"),
        "{t}"
    );
}

#[test]
fn the_example_target_file_matches_its_schema() {
    let (schemas, _) = shipped();
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/targets/example.yaml"))
            .unwrap();
    let doc: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(schemas.validate("target", &doc).unwrap(), vec![]);
    let parsed: accessreview_conformance::cli::TargetFile = serde_yaml::from_str(&text).unwrap();
    assert_eq!(
        parsed.base_url.as_deref(),
        Some("https://graph.microsoft.com/beta")
    );
}

/// The trial names `--list` prints with these extra arguments.
fn listed(args: &[&str]) -> Vec<String> {
    let out = run_with_deadline(Command::new(RUNNER).arg("--list").args(args), DEADLINE);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_shards_of_a_partition_run_every_trial_exactly_once() {
    let all = listed(&[]);
    assert!(all.len() > 30);
    for scheme in ["hash", "count"] {
        for n in 1..=5 {
            let mut union: Vec<String> = Vec::new();
            for i in 1..=n {
                let shard = listed(&["--partition", &format!("{scheme}:{i}/{n}")]);
                union.extend(shard);
            }
            let mut sorted = union.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(
                sorted.len(),
                union.len(),
                "{scheme} {n}: a trial is in two shards"
            );
            let mut expected = all.clone();
            expected.sort();
            assert_eq!(sorted, expected, "{scheme} {n}: shards miss trials");
        }
    }
    let out = run_with_deadline(
        Command::new(RUNNER).args(["--partition", "hash:4/3"]),
        DEADLINE,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn a_remote_target_without_any_credential_is_refused_before_any_request() {
    let run = |extra_env: &[(&str, &str)]| {
        let mut cmd = Command::new(RUNNER);
        // `.invalid` never resolves: a request would end the run with exit 3, not 2.
        cmd.args([
            "--base-url",
            "https://graph.example.invalid/beta",
            "--allow-tenant-writes",
        ]);
        for k in [
            "GRAPH_TOKEN",
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_CERTIFICATE_PATH",
            "AZURE_FEDERATED_TOKEN_FILE",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        ] {
            cmd.env_remove(k);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let out = run_with_deadline(&mut cmd, DEADLINE);
        (out.status.code(), text(&out))
    };
    let (code, t) = run(&[]);
    assert_eq!(code, Some(2), "{t}");
    assert!(
        t.contains("no credentials for graph.example.invalid: set GRAPH_TOKEN"),
        "{t}"
    );
    // A tenant and client id without a credential are not credentials: said, not run
    // tokenless; so is one without the other.
    let (code, t) = run(&[("AZURE_TENANT_ID", "t-1"), ("AZURE_CLIENT_ID", "c-1")]);
    assert_eq!(code, Some(2), "{t}");
    assert!(
        t.contains("AZURE_TENANT_ID and AZURE_CLIENT_ID are set, but no credential: set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE"),
        "{t}"
    );
    let (code, t) = run(&[("AZURE_CLIENT_ID", "c-1"), ("AZURE_CLIENT_SECRET", "s-1")]);
    assert_eq!(code, Some(2), "{t}");
    assert!(
        t.contains("AZURE_CLIENT_ID is set but AZURE_TENANT_ID is not"),
        "{t}"
    );
}

#[test]
fn a_named_credential_whose_variable_is_unset_skips_its_cases_with_the_reason() {
    let mock = spawn_mock(&["--token", "t"]);
    let dir = std::env::temp_dir().join(format!("target-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("target.yaml");
    std::fs::write(
        &file,
        format!(
            "base_url: {}\ncredentials:\n  app: ACCESSREVIEW_TEST_UNSET_VARIABLE\n",
            mock.base_url
        ),
    )
    .unwrap();
    let out = run_with_deadline(
        Command::new(RUNNER)
            .args(["--target", file.to_str().unwrap(), "--token", "t"])
            .args(["--exact", "permissions/app-may-update::put"])
            .env_remove("ACCESSREVIEW_TEST_UNSET_VARIABLE"),
        DEADLINE,
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("needs --credential app=TOKEN"), "{t}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_broken_case_is_reported_whatever_the_filter_and_the_exit_2_explained() {
    let dir = std::env::temp_dir().join(format!("broken-filter-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/cases");
    let status = Command::new("cp")
        .args(["-r", shipped])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::create_dir_all(dir.join("zz")).unwrap();
    std::fs::write(
        dir.join("zz/typo.yaml"),
        "descripton: a typo\nrules: [scope-required]\n",
    )
    .unwrap();
    for filter in [
        &["--exact", "success/add-fallback-reviewer::put"][..],
        &["--exact", "zz/typo::put"][..],
    ] {
        let out = run_with_deadline(
            Command::new(RUNNER).arg("--cases").arg(&dir).args(filter),
            DEADLINE,
        );
        let t = text(&out);
        assert_eq!(out.status.code(), Some(2), "{filter:?}: {t}");
        assert!(
            t.contains("case file zz/typo could not be loaded"),
            "{filter:?}: {t}"
        );
        assert!(t.contains("unknown key `descripton`"), "{filter:?}: {t}");
        assert!(
            t.contains("1 case file(s) could not be loaded"),
            "{filter:?}: {t}"
        );
    }
}

#[test]
fn a_misspelt_target_file_key_gets_a_guess_at_its_line() {
    let dir = std::env::temp_dir().join(format!("target-typo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("target.yaml");
    std::fs::write(
        &file,
        "fixtures: control\nbase_urll: http://127.0.0.1:1/beta\n",
    )
    .unwrap();
    let out = run_with_deadline(Command::new(RUNNER).arg("--target").arg(&file), DEADLINE);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("target.yaml:2:1"), "{t}");
    assert!(t.contains("did you mean `base_url`?"), "{t}");
}
