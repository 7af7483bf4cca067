//! A hostile target: it echoes the token (as sent, JSON-escaped, XML-escaped), and answers
//! with XML-forbidden characters, control and escape sequences, Markdown that would make
//! headings, rows, links and comments, and lines that would be GitHub workflow commands. The
//! reports stay valid and unspoofed, the streams clean, and no secret is written anywhere.
//! It also hands out ids that would steer requests elsewhere, and serves a control URL on
//! another origin.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The run's token: a slash and an ampersand, so that its JSON- and XML-escaped forms differ.
const TOKEN: &str = "tok/h&stile-5e3a91c7";
/// A restricted credential too short to search for in free text.
const SHORT: &str = "Zq7";
/// The client secret of the run's client credentials (the token endpoint issues `TOKEN`).
const CLIENT_SECRET: &str = "cs~Hostile.Secret_4411";
/// A password in the base URL.
const URL_PASSWORD: &str = "pw-hostile-77aa";

/// Text a target should never get into a report's structure or a terminal.
fn payload() -> String {
    format!(
        "echo {TOKEN} | {} | {} | short {SHORT} | {CLIENT_SECRET} | {URL_PASSWORD} | \u{fffe}\u{ffff}\u{1}\u{8} ]]> \r<!-- \n\
         # Injected heading\n| fake | ✅ passed |\n[link](http://evil.example) \
         \u{1b}[2J\u{1b}[32mtest result: ok\u{1b}]0;title\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\n\
         ::warning::fake annotation\n  ::add-mask::x\n##[error]old form\n",
        TOKEN.replace('/', "\\/"),
        TOKEN.replace('&', "&amp;")
    )
}

/// What the hostile server does with one request: status, body.
type Handler = dyn Fn(&str, &str, &str) -> (u16, String) + Send + Sync;

/// A server answering with `handler(method, path, body)`; every request's method, path and
/// Authorization header is kept.
async fn hostile(
    bind: &str,
    handler: Arc<Handler>,
) -> (String, Arc<Mutex<Vec<(String, String, bool)>>>) {
    let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<(String, String, bool)>>> = Arc::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let (handler, log) = (Arc::clone(&handler), Arc::clone(&log));
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let head_end = loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0usize);
                while buf.len() < head_end + length {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
                let mut words = head.split_whitespace();
                let (method, path) = (
                    words.next().unwrap_or("").to_string(),
                    words.next().unwrap_or("").to_string(),
                );
                let authorized = head
                    .lines()
                    .any(|l| l.to_ascii_lowercase().starts_with("authorization:"));
                log.lock()
                    .unwrap()
                    .push((method.clone(), path.clone(), authorized));
                let (status, answer) = handler(&method, &path, &body);
                let text = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = sock.write_all(text.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// Seeds what it is asked (ids `d-N`, `i-N-k`), answers reads with the payload inside valid
/// JSON, and every update with the payload as a raw, non-JSON body.
fn echoing_target() -> Arc<Handler> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    Arc::new(move |method: &str, path: &str, body: &str| {
        if path.ends_with("/oauth2/v2.0/token") && method == "POST" {
            let token = serde_json::json!({"token_type": "Bearer", "expires_in": 3600, "access_token": TOKEN});
            return (200, token.to_string());
        }
        if path.ends_with("/_conformance/fixtures") && method == "POST" {
            let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let count = serde_json::from_str::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["instances"].as_array().map(Vec::len))
                .unwrap_or(1);
            let ids: Vec<String> = (0..count).map(|k| format!("i-{n}-{k}")).collect();
            return (
                201,
                serde_json::json!({"definitionId": format!("d-{n}"), "instanceIds": ids})
                    .to_string(),
            );
        }
        if method == "DELETE" {
            return (204, String::new());
        }
        if method == "GET" {
            let value = serde_json::json!({
                "id": "x", "status": "InProgress", "displayName": payload(),
                "reviewers": [{"query": payload(), "queryType": "MicrosoftGraph"}],
                "fallbackReviewers": [], "scope": {"query": payload()}
            });
            return (200, value.to_string());
        }
        (400, payload())
    })
}

/// The base URL with a user and `URL_PASSWORD` in it.
fn with_password(origin: &str) -> String {
    format!(
        "{}/beta",
        origin.replace("http://", &format!("http://user:{URL_PASSWORD}@"))
    )
}

/// Client credentials whose token endpoint is the hostile target (it issues `TOKEN`).
fn client_credentials(origin: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AZURE_TENANT_ID", "tenant-1".into()),
        ("AZURE_CLIENT_ID", "app-1".into()),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET.into()),
        ("AZURE_AUTHORITY_HOST", origin.to_string()),
    ]
}

fn secrets_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for form in [
        TOKEN.to_string(),
        TOKEN.replace('/', "\\/"),
        TOKEN.replace('&', "&amp;"),
        "h&stile-5e3a91c7".to_string(),
        "stile-5e3a91c7".to_string(),
        // What a cut in the middle of an echo would leave.
        "tok/h&s".to_string(),
        "tok\\/h&s".to_string(),
        CLIENT_SECRET.to_string(),
        URL_PASSWORD.to_string(),
    ] {
        if text.contains(&form) {
            found.push(form);
        }
    }
    let short_whole = text
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == SHORT);
    if short_whole {
        found.push(SHORT.to_string());
    }
    found
}

/// A stream holds no escape or bell byte, no line a GitHub runner takes for a workflow command
/// (it trims leading whitespace before `::`; `##[` works anywhere), and no secret of the run
/// (but those in `not_given`).
fn assert_clean(name: &str, text: &str, not_given: &[&str]) {
    assert!(!text.contains('\u{1b}'), "{name} holds an ESC byte");
    assert!(!text.contains('\u{7}'), "{name} holds a BEL byte");
    let commands: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("::") || l.contains("##["))
        .collect();
    assert!(commands.is_empty(), "{name}: {commands:?}");
    let leaks: Vec<String> = secrets_in(text)
        .into_iter()
        .filter(|s| !not_given.contains(&s.as_str()))
        .collect();
    if let Some(first) = leaks.first() {
        let at = text.find(first.as_str()).unwrap_or(0);
        let from = text[..at]
            .char_indices()
            .rev()
            .nth(80)
            .map_or(0, |(i, _)| i);
        let around = (at + 40..=text.len())
            .find(|e| text.is_char_boundary(*e))
            .and_then(|end| text.get(from..end))
            .unwrap_or(text);
        panic!("{name} leaks {leaks:?}: …{around}…");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_target_cannot_break_spoof_or_leak_into_any_output() {
    let (origin, _) = hostile("127.0.0.1:0", echoing_target()).await;
    let dir = std::env::temp_dir().join(format!("hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |n: &str| dir.join(n);
    let summary = file("step-summary.md");
    let _ = std::fs::remove_file(&summary);
    let out = tokio::task::spawn_blocking({
        let (origin, dir) = (origin.clone(), dir.clone());
        let summary = summary.clone();
        move || {
            common::run_with_deadline(
                Command::new(common::RUNNER)
                    .arg("--base-url")
                    .arg(with_password(&origin))
                    .args(["--update-method", "both"])
                    .env_remove("GRAPH_TOKEN")
                    .envs(client_credentials(&origin))
                    // Values are cut short, inside the echoed token: redaction comes first.
                    .args(["--max-report-value", "12"])
                    .args(["--credential", &format!("app-without-permission={SHORT}")])
                    .arg("--report-json")
                    .arg(dir.join("report.json"))
                    .arg("--report-junit")
                    .arg(dir.join("junit.xml"))
                    .arg("--report-markdown")
                    .arg(dir.join("summary.md"))
                    .arg("--write-expectations")
                    .arg(dir.join("expectations.yaml"))
                    .arg("--record")
                    .arg(dir.join("records"))
                    .env("GITHUB_STEP_SUMMARY", &summary),
                Duration::from_secs(120),
            )
        }
    })
    .await
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    // The streams: no escape byte, no workflow command, no secret.
    assert_clean("stdout", &stdout, &[]);
    assert_clean("stderr", &stderr, &[]);
    assert!(stdout.contains("\\x1b[2J"), "the escape is shown, escaped");
    // JSON: valid against its schema.
    let json = std::fs::read_to_string(file("report.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let (schemas, _) = common::shipped();
    assert_eq!(schemas.validate("report", &doc).unwrap(), vec![]);
    let trials = doc["trials"].as_array().unwrap();
    // JUnit: read by quick-junit and by a strict XML 1.0 parser; every trial is a test case.
    let junit = std::fs::read_to_string(file("junit.xml")).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&junit).expect("quick-junit reads it");
    assert_eq!(parsed.test_suites[0].test_cases.len(), trials.len());
    let xml = roxmltree::Document::parse(&junit).expect("a strict XML parser reads it");
    let cases = xml
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, trials.len());
    // Markdown, rendered as GitHub renders it: our headings only, one table, no link, no
    // comment, every trial that did not pass named.
    let markdown = std::fs::read_to_string(file("summary.md")).unwrap();
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), markdown);
    let mut html = String::new();
    let options = pulldown_cmark::Options::ENABLE_TABLES;
    pulldown_cmark::html::push_html(
        &mut html,
        pulldown_cmark::Parser::new_ext(&markdown, options),
    );
    let headings: BTreeSet<String> = html
        .split("<h")
        .skip(1)
        .filter(|h| h.starts_with(|c: char| c.is_ascii_digit()))
        .filter_map(|h| Some(h.split_once('>')?.1.split_once("</h")?.0.to_string()))
        .collect();
    let ours: BTreeSet<String> = [
        "accessreview-conformance",
        "Failures",
        "Passed unexpectedly",
        "Could not run",
        "Broken case files",
        "Divergences",
        "Failed as expected",
        "Diverged as expected",
        "By rule",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert!(headings.is_subset(&ours), "{headings:?}");
    assert_eq!(html.matches("<table>").count(), 1, "{html}");
    assert!(!html.contains("<a "), "a link was made: {html}");
    assert!(!html.contains("<!--"), "a comment was made");
    for t in trials
        .iter()
        .filter(|t| t["outcome"] != "pass" && t["outcome"] != "skip")
    {
        let name = t["name"].as_str().unwrap();
        assert!(html.contains(name), "{name} is not in the summary");
    }
    // No secret in any file.
    let mut files = vec![
        ("JSON", json.clone()),
        ("JUnit", junit.clone()),
        ("Markdown", markdown.clone()),
        (
            "expectations",
            std::fs::read_to_string(file("expectations.yaml")).unwrap(),
        ),
    ];
    for entry in std::fs::read_dir(file("records")).unwrap() {
        let path = entry.unwrap().path();
        files.push(("record", std::fs::read_to_string(path).unwrap()));
    }
    for (name, text) in &files {
        assert_eq!(secrets_in(text), Vec::<String>::new(), "{name}");
    }
    assert!(
        json.contains("echo (redact"),
        "the echoes were redacted, not lost"
    );
    // The expectations file, written from this target's answers, is read by a later run:
    // its reasons reach the streams safe too.
    let again = tokio::task::spawn_blocking({
        let (origin, dir) = (origin.clone(), dir.clone());
        move || {
            common::run_with_deadline(
                Command::new(common::RUNNER)
                    .arg("--base-url")
                    .arg(with_password(&origin))
                    .args(["--update-method", "both"])
                    // Set but empty: no token, so the client credentials are used.
                    .env("GRAPH_TOKEN", "")
                    .envs(client_credentials(&origin))
                    .args(["--credential", &format!("app-without-permission={SHORT}")])
                    .arg("--expectations")
                    .arg(dir.join("expectations.yaml")),
                Duration::from_secs(120),
            )
        }
    })
    .await
    .unwrap();
    let streams = common::text(&again);
    assert!(streams.contains("expected to"), "{streams}");
    assert_clean("the read-back run", &streams, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_would_leave_the_path_are_refused_and_never_requested() {
    // Each way out of the addressed path, alone: a dot segment, a slash, a backslash, an
    // instance id as well as a definition id.
    for (definition, instance) in [
        ("..", "x"),
        ("a/../../VICTIM", "x"),
        ("..\\..\\definitions\\VICTIM", "x"),
        ("d-ok", ".."),
        ("d-ok", "VICTIM/.."),
    ] {
        let handler: Arc<Handler> = Arc::new(move |method: &str, path: &str, _body: &str| {
            if path.ends_with("/_conformance/fixtures") && method == "POST" {
                let body =
                    serde_json::json!({"definitionId": definition, "instanceIds": [instance]});
                return (201, body.to_string());
            }
            (200, "{}".to_string())
        });
        let (origin, seen) = hostile("127.0.0.1:0", handler).await;
        let out = tokio::task::spawn_blocking(move || {
            common::run_with_deadline(
                Command::new(common::RUNNER)
                    .arg("--base-url")
                    .arg(format!("{origin}/beta"))
                    .args([
                        "--token",
                        TOKEN,
                        "--exact",
                        "success/add-fallback-reviewer::put",
                    ]),
                Duration::from_secs(60),
            )
        })
        .await
        .unwrap();
        let t = common::text(&out);
        assert!(
            t.contains("cannot name one path segment"),
            "{definition} {instance}: {t}"
        );
        let paths: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|(_, p, _)| p.clone())
            .collect();
        assert!(
            paths.iter().all(|p| p.ends_with("/_conformance/fixtures")),
            "{definition} {instance}: {paths:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_control_url_on_another_origin_gets_no_token_unless_asked() {
    let (api, _) = hostile("127.0.0.1:0", echoing_target()).await;
    let (control, seen) = hostile("127.0.0.2:0", echoing_target()).await;
    let run = |extra: &'static [&'static str]| {
        let (api, control) = (api.clone(), control.clone());
        tokio::task::spawn_blocking(move || {
            common::run_with_deadline(
                Command::new(common::RUNNER)
                    .arg("--base-url")
                    .arg(format!("{api}/beta"))
                    .arg("--control-url")
                    .arg(format!("{control}/_conformance"))
                    .args([
                        "--token",
                        TOKEN,
                        "--exact",
                        "success/add-fallback-reviewer::put",
                    ])
                    .args(extra),
                Duration::from_secs(60),
            )
        })
    };
    run(&[]).await.unwrap();
    let without: Vec<bool> = seen.lock().unwrap().drain(..).map(|(_, _, a)| a).collect();
    assert!(!without.is_empty(), "the control URL was not used");
    assert!(without.iter().all(|a| !a), "a token went to another origin");
    run(&["--send-token-to-control-url"]).await.unwrap();
    let with: Vec<bool> = seen.lock().unwrap().drain(..).map(|(_, _, a)| a).collect();
    assert!(
        !with.is_empty() && with.iter().all(|a| *a),
        "asked, the token is sent"
    );
}

/// Seeds what it is asked, and answers everything else with a body of about `size` bytes: a
/// read with an instance carrying a huge property, an update with a huge string.
fn huge_target(size: usize) -> Arc<Handler> {
    let seeding = echoing_target();
    let filler = "x".repeat(size.saturating_sub(200));
    let read = Arc::new(
        serde_json::json!({"id": "x", "status": "InProgress", "reviewers": [],
            "fallbackReviewers": [], "scope": {"query": "q"}, "big": filler})
        .to_string(),
    );
    let update = Arc::new(format!("\"{filler}\""));
    Arc::new(move |method: &str, path: &str, body: &str| {
        if path.ends_with("/_conformance/fixtures") || method == "DELETE" {
            return seeding(method, path, body);
        }
        let answer = if method == "GET" { &read } else { &update };
        (200, answer.as_str().to_string())
    })
}

/// The peak resident memory of a running process, polled until it exits (Linux).
fn peak_rss_mb(child: &mut std::process::Child) -> f64 {
    let mut peak = 0.0f64;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
            if let Some(kb) = hwm {
                peak = peak.max(kb / 1024.0);
            }
        }
        if child.try_wait().unwrap().is_some() {
            return peak;
        }
        assert!(std::time::Instant::now() < deadline, "the run did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs the suite (trials matching `filter`) against `origin`, one trial at a time: peak RSS in
/// MB, exit code, the JSON and JUnit reports' paths.
fn run_measured(
    origin: &str,
    filter: &str,
    dir: &std::path::Path,
    cap: usize,
) -> (f64, Option<i32>) {
    let mut child = Command::new(common::RUNNER)
        .arg("--base-url")
        .arg(format!("{origin}/beta"))
        .args(["--token", TOKEN, "--test-threads", "1"])
        .args(["--max-response-bytes", &(1usize << 20).to_string()])
        .args(["--max-report-value", &cap.to_string()])
        .arg("--report-json")
        .arg(dir.join("report.json"))
        .arg("--report-junit")
        .arg(dir.join("junit.xml"))
        .arg(filter)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let peak = peak_rss_mb(&mut child);
    (peak, child.wait().unwrap().code())
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_at_the_maximum_size_keep_memory_and_reports_bounded() {
    const CAP: usize = 16 << 10;
    // Just under --max-response-bytes (1 MiB here): every answer is read whole.
    let (origin, _) = hostile("127.0.0.1:0", huge_target((1 << 20) - 1024)).await;
    let dir = std::env::temp_dir().join(format!("huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (few, all) = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let few = run_measured(&origin, "success/add-fallback", &dir, CAP);
            let all = run_measured(&origin, "", &dir, CAP);
            (few, all)
        }
    })
    .await
    .unwrap();
    assert_eq!((few.1, all.1), (Some(1), Some(1)));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let trials = doc["trials"].as_array().unwrap().len();
    assert!(trials > 40, "{trials}");
    // Each trial keeps a few capped values (bodies, findings), not 1 MiB answers.
    let bound = trials * 8 * CAP + (1 << 20);
    for f in ["report.json", "junit.xml"] {
        let size = std::fs::metadata(dir.join(f)).unwrap().len() as usize;
        assert!(size < bound, "{f}: {size} bytes, bound {bound}");
    }
    // One trial at a time: the whole suite peaks about where two trials do, as nothing of a
    // finished trial's answers is kept (keeping them would add megabytes per trial).
    assert!(
        all.0 < few.0 + 40.0,
        "peak RSS {:.0} MB for {trials} trials, {:.0} MB for two",
        all.0,
        few.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_answering_429_forever_ends_each_trial_within_the_request_deadline() {
    let seeding = echoing_target();
    let handler: Arc<Handler> = Arc::new(move |method: &str, path: &str, body: &str| {
        if path.ends_with("/_conformance/fixtures") || method == "DELETE" {
            return seeding(method, path, body);
        }
        (
            429,
            r#"{"error":{"code":"TooManyRequests","message":"later"}}"#.to_string(),
        )
    });
    let (origin, _) = hostile("127.0.0.1:0", handler).await;
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        common::run_with_deadline(
            Command::new(common::RUNNER)
                .arg("--base-url")
                .arg(format!("{origin}/beta"))
                .args(["--token", TOKEN, "success/", "--test-threads", "8"])
                .args(["--timeout", "1", "--request-deadline", "3"]),
            Duration::from_secs(60),
        )
    })
    .await
    .unwrap();
    let t = common::text(&out);
    // Without Retry-After the backoff alone would go on for minutes (six retries up to 60 s);
    // every trial, throttled together through the shared gate, ends within its deadline.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(t.contains(" 0 passed"), "{t}");
    assert!(!t.contains(" 0 could not run"), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_output_holds_no_secret_and_no_escape_whatever_the_tenant_answers() {
    let handler: Arc<Handler> = Arc::new(|method: &str, path: &str, _body: &str| {
        if method == "GET" && path.contains("/definitions") {
            let ours = serde_json::json!({
                "id": "d-1",
                "displayName": "accessreview-conformance 0123456789ab",
                "descriptionForAdmins": "Created by accessreview-conformance (conformance run 0123456789ab); delete after 2000-01-01T00:00:00Z.",
                "createdDateTime": "2000-01-01T00:00:00Z"
            });
            return (200, serde_json::json!({"value": [ours]}).to_string());
        }
        (500, payload())
    });
    let (origin, _) = hostile("127.0.0.1:0", handler).await;
    let out = tokio::task::spawn_blocking(move || {
        common::run_with_deadline(
            Command::new(common::RUNNER)
                .arg("--base-url")
                .arg(with_password(&origin))
                .args(["--token", TOKEN, "--sweep"])
                .args(["--credential", &format!("app-without-permission={SHORT}")]),
            Duration::from_secs(60),
        )
    })
    .await
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(stdout.contains("d-1"), "{stdout}");
    // This run has no client secret: the echo of one it was never given is not its own.
    assert_clean("stdout", &stdout, &[CLIENT_SECRET]);
    assert_clean("stderr", &stderr, &[CLIENT_SECRET]);
}
