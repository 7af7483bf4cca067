//! The action's download step (`action/install.sh`) against a local directory of fake release
//! assets: the archive for this version and platform is installed when its checksum holds,
//! refused when it does not or when there is none, and a missing release says "build from
//! source" (exit 3). Unix only: the script is bash, and the fake binaries shell scripts.

#[cfg(not(unix))]
#[test]
#[ignore = "the install script and the action's steps are bash, its fake binaries shell scripts: Unix only here"]
fn the_action_steps_are_tested_on_unix() {}

#[cfg(unix)]
mod common;

#[cfg(unix)]
mod unix {
    use super::common;
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
        fake_release_of(VERSION, TARGET, bins)
    }

    /// The same for a version and a target.
    fn fake_release_of(version: &str, target: &str, bins: &[&str]) -> (PathBuf, PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let root = temp("releases");
        let name = format!("accessreview-conformance-v{version}-{target}");
        let stage = temp("stage");
        std::fs::create_dir_all(stage.join(&name)).unwrap();
        for bin in bins {
            let path = stage.join(&name).join(bin);
            std::fs::write(&path, format!("#!/bin/sh\necho fake {bin}\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let download = root.join(format!("download/v{version}"));
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
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
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

    /// Runs a step's script in `dir` (the workspace) with these environment values (each must be
    /// one the step declares; `job` ones are the job's environment), `RUNNER_TEMP` and a
    /// `GITHUB_OUTPUT` file; returns the output and what the step wrote there.
    fn run_step(
        name: &str,
        dir: &Path,
        values: &[(&str, &str)],
        job: &[(&str, &str)],
    ) -> (Output, String) {
        let (script, declared) = step(name);
        let runner_temp = dir.join("runner-temp");
        std::fs::create_dir_all(&runner_temp).unwrap();
        let outputs = runner_temp.join(format!("{name}.out"));
        std::fs::write(&outputs, "").unwrap();
        let mut cmd = Command::new("bash");
        cmd.arg("-e").arg("-c").arg(&script).current_dir(dir);
        cmd.env("GITHUB_OUTPUT", &outputs)
            .env("RUNNER_TEMP", &runner_temp);
        for (k, v) in values {
            assert!(
                declared.iter().any(|d| d == k),
                "{name}: {k} is not in its env"
            );
            cmd.env(k, v);
        }
        for (k, v) in job {
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
        // The binaries' directory, as the download or the build leaves it.
        let dir = temp("action");
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let runner = Path::new(env!("CARGO_BIN_EXE_accessreview-conformance"));
        std::os::unix::fs::symlink(runner, bin.join("accessreview-conformance")).unwrap();
        std::os::unix::fs::symlink(common::mock_binary(), bin.join("accessreview-mock")).unwrap();
        let bin = bin.as_path();
        let temp_dir = dir.join("runner-temp");
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
            &[],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let base_url = written
            .lines()
            .find_map(|l| l.strip_prefix("base-url="))
            .unwrap_or_else(|| panic!("no base-url output: {written}"))
            .to_string();
        let pid = std::fs::read_to_string(temp_dir.join("reference-mock.pid")).unwrap();
        assert!(
            !dir.join("reference-mock.out").exists(),
            "a file in the workspace"
        );
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
            &[],
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
        // A mock that cannot start is said at once, not after the timeout.
        let started = std::time::Instant::now();
        let (out, _) = run_step(
            "start the mock",
            &dir,
            &[
                ("REFERENCE", "true"),
                ("TOKEN", ""),
                ("CREDENTIALS", "nobody=x"),
                ("BIN", bin.to_str().unwrap()),
                ("READY_TIMEOUT", "60"),
            ],
            &[],
        );
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("the reference mock exited"));
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        // Without start-reference-mock, a start command and a base URL are needed.
        let (out, _) = run_step(
            "start the mock",
            &dir,
            &[
                ("REFERENCE", "false"),
                ("START_COMMAND", ""),
                ("BASE_URL", ""),
            ],
            &[],
        );
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("give start-command and base-url"));
    }

    #[test]
    fn a_missing_release_is_built_from_source_and_a_server_error_is_an_error() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        // 5.0.3: the server fails; anything else: there is no such release.
        let base = runtime.block_on(common::scripted_target(|head| {
            if head.contains("/v5.0.3/") {
                ("503 Service Unavailable", "", "{}")
            } else {
                ("404 Not Found", "", "{}")
            }
        }));
        let dest = temp("dest");
        let run = |version: &str| {
            Command::new("bash")
                .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/action/install.sh"))
                .env("ARC_RELEASES", &base)
                .env("ARC_VERSION", version)
                .env("ARC_TARGET", TARGET)
                .env("ARC_DEST", &dest)
                .output()
                .unwrap()
        };
        let out = run("1.0.0");
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        let out = run("5.0.3");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("could not download"),
            "{}",
            stderr(&out)
        );
        // A target the releases are not built for is refused, not looked up.
        let out = Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/action/install.sh"))
            .env("ARC_RELEASES", &base)
            .env("ARC_VERSION", "1.0.0")
            .env("ARC_TARGET", "../x")
            .env("ARC_DEST", &dest)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    }

    /// This machine's target as the install script names it.
    fn host_target() -> &'static str {
        match (std::env::consts::OS, std::env::consts::ARCH) {
            ("linux", "x86_64") => "x86_64-unknown-linux-musl",
            ("linux", "aarch64") => "aarch64-unknown-linux-gnu",
            ("macos", "aarch64") => "aarch64-apple-darwin",
            ("macos", _) => "x86_64-apple-darwin",
            _ => "x86_64-pc-windows-msvc",
        }
    }

    #[test]
    fn the_download_step_installs_the_actions_own_version_or_builds_and_fails_on_a_mismatch() {
        let own = env!("CARGO_PKG_VERSION");
        let (releases, archive) = fake_release_of(
            own,
            host_target(),
            &["accessreview-conformance", "accessreview-mock"],
        );
        let dir = temp("download");
        let values = |build: &'static str| {
            vec![
                ("ARC_VERSION", ""),
                ("ARC_DEST", "installed"),
                ("BUILD", build),
                ("ACTION_PATH", env!("CARGO_MANIFEST_DIR")),
            ]
        };
        let releases_url = format!("file://{}", releases.display());
        let job = [("ARC_RELEASES", releases_url.as_str())];
        let name = "download the release binaries";
        // The action's own version, downloaded and checked.
        let (out, written) = run_step(name, &dir, &values("false"), &job);
        assert!(out.status.success(), "{}", stderr(&out));
        let installed = format!(
            "dir=installed/accessreview-conformance-v{own}-{}",
            host_target()
        );
        assert!(written.contains(&installed), "{written}");
        assert!(!written.contains("build=true"), "{written}");
        // Asked to build: no download.
        let (out, written) = run_step(name, &dir, &values("true"), &job);
        assert!(
            out.status.success() && written.contains("build=true"),
            "{written}"
        );
        // No release of that version: a warning, and the build.
        let empty = format!("file://{}", temp("empty").display());
        let (out, written) = run_step(
            name,
            &dir,
            &values("false"),
            &[("ARC_RELEASES", empty.as_str())],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(written.contains("build=true"), "{written}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("::warning::no release binary"));
        // A checksum mismatch fails the step: nothing is built or run in its place.
        let mut bytes = std::fs::read(&archive).unwrap();
        bytes.push(0);
        std::fs::write(&archive, bytes).unwrap();
        let (out, written) = run_step(name, &dir, &values("false"), &job);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            !written.contains("build=true") && !written.contains("dir="),
            "{written}"
        );
    }
}
