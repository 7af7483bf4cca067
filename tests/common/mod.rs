//! Helpers shared by the integration tests: the shipped suite, in-process mocks, and the
//! built binaries.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use accessreview_conformance::case::{TrialSpec, UpdateMethod};
use accessreview_conformance::cli::{Cli, load};
use accessreview_conformance::load::{LoadedCase, Suite};
use accessreview_conformance::run::outcome::Outcome;
use accessreview_conformance::run::{self, RunContext};
use accessreview_conformance::target::credential::Credential;
use accessreview_conformance::target::{Secret, Target};
use clap::Parser;

/// The restricted tokens tests give mocks and targets.
pub fn credentials() -> Vec<(Credential, String)> {
    Credential::ALL
        .iter()
        .map(|c| (*c, format!("{c}-test-token")))
        .collect()
}

/// Mock options with a token, the restricted credentials, and a deviation.
pub fn mock_options(
    token: &str,
    deviation: Option<accessreview_mock::Deviation>,
) -> accessreview_mock::MockOptions {
    accessreview_mock::MockOptions {
        token: Some(token.to_string()),
        credentials: credentials()
            .into_iter()
            .map(|(c, t)| (c.name().parse().expect("the mock names it alike"), t))
            .collect(),
        deviation,
        ..Default::default()
    }
}

pub const RUNNER: &str = env!("CARGO_BIN_EXE_accessreview-conformance");
/// The `accessreview-mock` binary of the workspace's mock crate: beside the runner's binary
/// (cargo builds it when the workspace's tests are built), or built on demand.
pub fn mock_binary() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = std::path::Path::new(RUNNER)
                .parent()
                .expect("the runner binary has a folder");
            let path = dir.join(format!("accessreview-mock{}", std::env::consts::EXE_SUFFIX));
            if !path.exists() {
                let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                let status = Command::new(cargo)
                    .args([
                        "build",
                        "-p",
                        "accessreview-mock",
                        "--bin",
                        "accessreview-mock",
                    ])
                    .current_dir(env!("CARGO_MANIFEST_DIR"))
                    .status()
                    .expect("cargo runs");
                assert!(status.success(), "cannot build accessreview-mock");
            }
            path
        })
        .clone()
}

/// The shipped cases and schemas, as the runner loads them by default.
pub fn shipped() -> (
    Arc<accessreview_conformance::load::schema::SchemaSet>,
    Suite,
) {
    load(&Cli::parse_from(["accessreview-conformance"])).expect("the shipped suite loads")
}

/// Every trial of the shipped suite for an update method.
pub fn trials(suite: &Suite, update: UpdateMethod) -> Vec<TrialSpec> {
    for c in &suite.cases {
        if let LoadedCase::Broken(b) = c {
            panic!("shipped case {} is broken: {:?}", b.id, b.diagnostics);
        }
    }
    suite.trials(update)
}

/// Runs every trial concurrently against `base_url`; returns them with their outcomes.
pub async fn run_all(
    base_url: &str,
    token: &str,
    update: UpdateMethod,
    timeout: Duration,
) -> Vec<(TrialSpec, Outcome)> {
    let (schemas, suite) = shipped();
    let target = Target::new(base_url, None, Some(Secret::new(token)), timeout, 4 << 20).unwrap();
    let target = target.with_credentials(credentials());
    let ctx = Arc::new(RunContext::new(target, schemas, suite.principals.clone()));
    run::run_all(ctx, &trials(&suite, update)).await
}

/// A mock process; killed on drop.
pub struct MockProcess {
    child: Child,
    pub base_url: String,
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `accessreview-mock` and reads the base URL from its first line (with a deadline).
pub fn spawn_mock(args: &[&str]) -> MockProcess {
    let mut child = Command::new(mock_binary())
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the mock starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the mock prints its base URL");
    let base_url = line.trim().to_string();
    assert!(
        base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/beta"),
        "{base_url:?}"
    );
    MockProcess { child, base_url }
}

/// Runs a binary with a deadline; kills it if the deadline passes.
pub fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let start = Instant::now();
    match rx.recv_timeout(deadline) {
        Ok(out) => out.expect("output"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("{cmd:?} did not finish within {:?}", start.elapsed());
        }
    }
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The shipped schemas with a case schema that accepts anything, as `--schemas` may give:
/// what the loader refuses then, it refuses by itself.
pub fn permissive_schemas() -> accessreview_conformance::load::schema::SchemaSet {
    use accessreview_conformance::load::files::{EMBEDDED_SCHEMAS, embedded};
    let mut schema_files = embedded(&EMBEDDED_SCHEMAS, "schemas").unwrap();
    for f in &mut schema_files {
        if f.rel == "case.schema.json" {
            f.text = "{}".into();
        }
    }
    accessreview_conformance::load::schema::SchemaSet::build(&schema_files).unwrap()
}

/// What a run of the runner gave: exit code, everything printed (stdout then stderr), and the
/// first line of stderr.
pub struct RunOutput {
    pub code: Option<i32>,
    pub text: String,
    pub first_stderr_line: String,
}

/// Runs the runner on a case folder made of the shipped shared files, the shipped case files
/// `keep` accepts, and `extra` files (path below `cases/`, bytes), with `args`.
pub fn run_case_folder(
    keep: impl Fn(&str) -> bool,
    extra: &[(&str, &[u8])],
    args: &[&str],
) -> RunOutput {
    use accessreview_conformance::load::files::{EMBEDDED_CASES, embedded};
    use accessreview_conformance::load::is_case_file;
    let dir = std::env::temp_dir().join(format!("arc-cases-{}", uuid::Uuid::new_v4()));
    let shipped = embedded(&EMBEDDED_CASES, "cases").unwrap();
    let kept = shipped
        .iter()
        .filter(|f| !is_case_file(&f.rel) || keep(&f.rel))
        .map(|f| (f.rel.as_str(), f.text.as_bytes()));
    for (rel, bytes) in kept.chain(extra.iter().copied()) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let out = run_with_deadline(
        Command::new(RUNNER).arg("--cases").arg(&dir).args(args),
        Duration::from_secs(120),
    );
    let _ = std::fs::remove_dir_all(&dir);
    RunOutput {
        code: out.status.code(),
        text: text(&out),
        first_stderr_line: String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// The fenced block of README.md that follows the first line starting with `marker`.
pub fn readme_block(marker: &str) -> String {
    let readme = include_str!("../../README.md");
    let after = &readme[readme
        .find(marker)
        .unwrap_or_else(|| panic!("README.md has no `{marker}`"))..];
    let open = after.find("```").expect("a fenced block after the marker");
    let body = &after[open..];
    let body = &body[body.find('\n').unwrap() + 1..];
    body[..body.find("```").expect("the block is closed")].to_string()
}

/// Where a README sample differs from the output it shows: every line of the sample stands in
/// `output`, in order (gaps allowed); a line `…` stands for lines left out, and a line ending
/// in `…` for a line that starts with what comes before it. None when it does not differ.
pub fn readme_sample_differs(sample: &str, output: &str) -> Option<String> {
    let lines: Vec<&str> = output.lines().map(str::trim_end).collect();
    let mut at = 0;
    for want in sample.lines().map(str::trim_end) {
        if want == "…" || want.is_empty() {
            continue;
        }
        let found = match want.strip_suffix('…') {
            Some(prefix) => lines[at..].iter().position(|l| l.starts_with(prefix)),
            None => lines[at..].iter().position(|l| *l == want),
        };
        match found {
            Some(i) => at += i + 1,
            None => {
                return Some(format!(
                    "README line not in the output (in order): {want:?}"
                ));
            }
        }
    }
    None
}

/// One answer of a [`scripted_target`]: status line (`"200 OK"`), extra header lines (each
/// ending in `\r\n`), body.
pub type Scripted = (&'static str, &'static str, &'static str);

/// A target on 127.0.0.1 that answers every request with what `answer` gives for the request's
/// head (request line and headers), one connection per request. Returns its base URL (`/beta`).
pub async fn scripted_target(answer: fn(&str) -> Scripted) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let (status, extra, body) = answer(&head);
                let text = format!(
                    "HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(text.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/beta")
}

/// A [`scripted_target`] as the runner's target, with the run token `t` and a 5 s timeout.
#[allow(dead_code)]
pub async fn scripted_run_target(answer: fn(&str) -> Scripted) -> Target {
    accessreview_conformance::target::install_crypto();
    let base = scripted_target(answer).await;
    Target::new(
        &base,
        None,
        Some(Secret::new("t")),
        Duration::from_secs(5),
        1 << 20,
    )
    .unwrap()
}

/// Runs a printed `curl` line with `token` as `$GRAPH_TOKEN`; returns the status it got.
#[allow(dead_code)]
pub fn send_curl(line: &str, token: &str) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("{line} -o /dev/null -w '%{{http_code}}'"))
        .env("GRAPH_TOKEN", token)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The definitions a spawned mock holds (read through the API with its token).
pub fn definitions_on(mock: &MockProcess) -> usize {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = format!(
        "{}/identityGovernance/accessReviews/definitions",
        mock.base_url
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body: serde_json::Value = runtime.block_on(async {
        let resp = reqwest::Client::new()
            .get(url)
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    });
    body["value"].as_array().map_or(0, Vec::len)
}
