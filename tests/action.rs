//! The action's download step (`action/install.sh`) against a local directory of fake release
//! assets: the archive for this version and platform is installed when its checksum holds,
//! refused when it does not or when there is none, and a missing release says "build from
//! source" (exit 3). Unix only: the script is bash, and the fake binaries shell scripts.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VERSION: &str = "9.9.9";
const TARGET: &str = "x86_64-unknown-linux-musl";

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arc-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sha256(path: &Path) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, &std::fs::read(path).unwrap());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A release directory as GitHub serves it: `download/vVERSION/ARCHIVE` and its `.sha256`.
fn fake_release(bins: &[&str]) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let root = temp("releases");
    let name = format!("accessreview-conformance-v{VERSION}-{TARGET}");
    let stage = temp("stage");
    std::fs::create_dir_all(stage.join(&name)).unwrap();
    for bin in bins {
        let path = stage.join(&name).join(bin);
        std::fs::write(&path, format!("#!/bin/sh\necho fake {bin}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let download = root.join(format!("download/v{VERSION}"));
    std::fs::create_dir_all(&download).unwrap();
    let archive = download.join(format!("{name}.tar.gz"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(&stage)
        .arg(&name)
        .status()
        .unwrap();
    assert!(status.success());
    let sum = format!("{}  {name}.tar.gz\n", sha256(&archive));
    std::fs::write(download.join(format!("{name}.tar.gz.sha256")), sum).unwrap();
    (root, archive)
}

fn install(releases: &Path, version: &str, dest: &Path) -> Output {
    Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/action/install.sh"))
        .env("ARC_RELEASES", format!("file://{}", releases.display()))
        .env("ARC_VERSION", version)
        .env("ARC_TARGET", TARGET)
        .env("ARC_DEST", dest)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_release_whose_checksum_holds_is_installed() {
    let (releases, _) = fake_release(&["accessreview-conformance", "accessreview-mock"]);
    let dest = temp("dest");
    let out = install(&releases, &format!("v{VERSION}"), &dest);
    assert!(out.status.success(), "{}", stderr(&out));
    let bin_dir = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(
        Path::new(&bin_dir),
        dest.join(format!("accessreview-conformance-v{VERSION}-{TARGET}"))
    );
    let ran = Command::new(Path::new(&bin_dir).join("accessreview-conformance"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "fake accessreview-conformance\n"
    );
}

#[test]
fn a_checksum_mismatch_is_refused_and_nothing_is_installed() {
    let (releases, archive) = fake_release(&["accessreview-conformance", "accessreview-mock"]);
    // The archive changed after its checksum was taken.
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&archive, bytes).unwrap();
    let dest = temp("dest");
    let out = install(&releases, VERSION, &dest);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("checksum mismatch"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_dir(&dest).unwrap().count(),
        0,
        "something was installed"
    );
    // A checksum file that holds no checksum is a mismatch too.
    let (releases, archive) = fake_release(&["accessreview-conformance", "accessreview-mock"]);
    std::fs::write(archive.with_extension("gz.sha256"), "\n").unwrap();
    let out = install(&releases, VERSION, &dest);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn no_checksum_is_refused_and_no_release_means_build_from_source() {
    let (releases, archive) = fake_release(&["accessreview-conformance", "accessreview-mock"]);
    std::fs::remove_file(archive.with_extension("gz.sha256")).unwrap();
    let dest = temp("dest");
    let out = install(&releases, VERSION, &dest);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no checksum"), "{}", stderr(&out));
    let out = install(&releases, "1.2.3", &dest);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("build from source"),
        "{}",
        stderr(&out)
    );
    // A version that could address another path is no version.
    let out = install(&releases, "../../etc", &dest);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn an_archive_without_both_binaries_is_refused() {
    let (releases, _) = fake_release(&["accessreview-conformance"]);
    let dest = temp("dest");
    let out = install(&releases, VERSION, &dest);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("holds no"), "{}", stderr(&out));
}

/// The `run:` script and the `env:` names of the action's step called `name`.
fn step(name: &str) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let step = doc["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step {name:?} in action.yml"));
    let env = step["env"]
        .as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (step["run"].as_str().unwrap().to_string(), env)
}

/// Runs a step's script in `dir` with these environment values (each must be one the step
/// declares) and a `GITHUB_OUTPUT` file; returns the output and what the step wrote there.
fn run_step(name: &str, dir: &Path, values: &[(&str, &str)]) -> (Output, String) {
    let (script, declared) = step(name);
    let outputs = dir.join(format!("{name}.out"));
    std::fs::write(&outputs, "").unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg("-e").arg("-c").arg(&script).current_dir(dir);
    cmd.env("GITHUB_OUTPUT", &outputs);
    for (k, v) in values {
        assert!(
            declared.iter().any(|d| d == k),
            "{name}: {k} is not in its env"
        );
        cmd.env(k, v);
    }
    for k in [
        "GRAPH_TOKEN",
        "GRAPH_CREDENTIALS",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
    ] {
        cmd.env_remove(k);
    }
    let out = cmd.output().unwrap();
    (out, std::fs::read_to_string(&outputs).unwrap())
}

#[test]
fn the_actions_steps_start_the_reference_mock_and_run_the_suite_with_restricted_credentials() {
    let runner = Path::new(env!("CARGO_BIN_EXE_accessreview-conformance"));
    let bin = runner.parent().unwrap();
    assert!(
        bin.join("accessreview-mock").exists(),
        "build the workspace first"
    );
    let dir = temp("action");
    let credentials = "roleless=roleless-token-1\n\napp-without-permission=awp-token-2\n";
    let (out, written) = run_step(
        "start the mock",
        &dir,
        &[
            ("REFERENCE", "true"),
            ("TOKEN", ""),
            ("CREDENTIALS", credentials),
            ("BIN", bin.to_str().unwrap()),
            ("READY_TIMEOUT", "20"),
            ("START_COMMAND", ""),
            ("BASE_URL", ""),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let base_url = written
        .lines()
        .find_map(|l| l.strip_prefix("base-url="))
        .unwrap_or_else(|| panic!("no base-url output: {written}"))
        .to_string();
    let pid = std::fs::read_to_string(dir.join("reference-mock.pid")).unwrap();
    let (out, written) = run_step(
        "run the suite",
        &dir,
        &[
            ("BASE_URL", &base_url),
            ("REFERENCE", "true"),
            ("TOKEN", ""),
            ("CREDENTIALS", credentials),
            ("EXPECTATIONS", ""),
            ("EXTRA_ARGS", "permissions/ --skip delegated"),
            ("BIN", bin.to_str().unwrap()),
        ],
    );
    let _ = Command::new("kill").arg(pid.trim()).status();
    let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(out.status.success(), "{shown}");
    assert!(
        written.contains("junit=conformance-reports/junit.xml"),
        "{written}"
    );
    // The two given credentials ran their cases; the others were skipped with the reason.
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("conformance-reports/report.json")).unwrap(),
    )
    .unwrap();
    let outcome = |name: &str| {
        report["trials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["outcome"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no {name}: {shown}"))
    };
    assert_eq!(outcome("permissions/app-without-permission::put"), "pass");
    assert_eq!(outcome("permissions/personal-account::put"), "skip");
    assert!(
        !shown.contains("roleless-token-1") && !shown.contains("awp-token-2"),
        "{shown}"
    );
    // Without start-reference-mock, a start command and a base URL are needed.
    let (out, _) = run_step(
        "start the mock",
        &dir,
        &[
            ("REFERENCE", "false"),
            ("START_COMMAND", ""),
            ("BASE_URL", ""),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("give start-command and base-url"));
}
