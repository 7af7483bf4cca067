//! The report files a run writes (`--report-json`, `--report-junit`, `--report-markdown` and
//! `$GITHUB_STEP_SUMMARY`, `--record DIR`, `--write-expectations`), all from one report whose
//! values were redacted first.
//! Reads a [`RunReport`]; never sends a request.

use std::path::{Path, PathBuf};

use crate::load::expectations::{Expectation, Expectations, Expected};
use crate::report::data::{FindingReport, RunReport, curl_line};
use crate::run::status::TrialStatus;
use crate::target::redact::Redactor;

/// Where the flags asked for reports.
#[derive(Debug, Clone, Default)]
pub struct ReportPaths {
    /// `--report-json`.
    pub json: Option<PathBuf>,
    /// `--report-junit`.
    pub junit: Option<PathBuf>,
    /// `--report-markdown` (also appended to `$GITHUB_STEP_SUMMARY` when set).
    pub markdown: Option<PathBuf>,
    /// `--record DIR`: one transcript per trial that sent its request.
    pub record: Option<PathBuf>,
    /// `--write-expectations`.
    pub expectations: Option<PathBuf>,
}

/// A report file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    /// The file or folder.
    pub path: String,
    /// Why.
    pub source: std::io::Error,
}

/// Writes every report asked for, from the report with every secret `redactor` knows taken
/// out of its values. What could not be done but does not stop the run (appending to
/// `$GITHUB_STEP_SUMMARY`) comes back as warnings for the command to show.
pub fn write_all(
    report: &RunReport,
    paths: &ReportPaths,
    redactor: &Redactor,
) -> Result<Vec<String>, WriteError> {
    let report = &report.redacted(redactor);
    let mut warnings = Vec::new();
    let write = |path: &Path, text: &str| {
        write_file(path, text).map_err(|source| WriteError {
            path: path.display().to_string(),
            source,
        })
    };
    if let Some(p) = &paths.json {
        write(p, &report.to_json())?;
    }
    if let Some(dir) = &paths.record {
        for t in report.trials.iter().filter(|t| t.exchange.is_some()) {
            // The setup requests too: a reader rebuilds the starting state with them.
            let transcript = serde_json::json!({
                "trial": t.name,
                "outcome": t.outcome,
                "setup": t.setup.iter().map(|r| serde_json::json!({
                    "request": r,
                    "curl": r.curl(),
                })).collect::<Vec<_>>(),
                "kept": t.kept,
                "exchange": t.exchange,
                "curl": t.exchange.as_ref().map(curl_line),
            });
            let text = serde_json::to_string_pretty(&transcript).unwrap_or_default();
            write(&dir.join(transcript_file(&t.name)), &text)?;
        }
    }
    if let Some(p) = &paths.junit {
        write(p, &report.to_junit())?;
    }
    if let Some(p) = &paths.markdown {
        let md = report.to_markdown();
        write(p, &md)?;
        if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY") {
            use std::io::Write as _;
            let appended = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&summary)
                .and_then(|mut f| f.write_all(md.as_bytes()));
            if let Err(e) = appended {
                warnings.push(format!("could not append to $GITHUB_STEP_SUMMARY: {e}"));
            }
        }
    }
    if let Some(p) = &paths.expectations {
        let existed = p.exists();
        write(p, &expectations_from(report).to_yaml())?;
        if existed {
            warnings.push(format!(
                "--write-expectations replaced {} (review the change before committing it)",
                p.display()
            ));
        }
    }
    Ok(warnings)
}

/// Writes a file the way a report must be written: its folder created when missing, the
/// content written to a new file readable by its owner only (0600: it may hold exchanges) and
/// renamed over the path, so that a symbolic link there is replaced, never followed, and a
/// reader never sees half a report.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = path
        .file_name()
        .map_or_else(|| "report".into(), |n| n.to_string_lossy().into_owned());
    let temporary = parent.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut f| {
        use std::io::Write as _;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}

/// The file a run would need: every failing trial, and every divergence (an entry that
/// held is kept as it was).
pub fn expectations_from(report: &RunReport) -> Expectations {
    let expectations = report
        .trials
        .iter()
        .filter_map(|t| {
            let only_divergences = t
                .findings
                .iter()
                .all(|f| f.severity == crate::case::finding::Severity::Divergence);
            let outcome = match t.outcome {
                TrialStatus::Fail if only_divergences => Expected::Diverge,
                TrialStatus::Fail | TrialStatus::ExpectedFail => Expected::Fail,
                TrialStatus::Diverge | TrialStatus::ExpectedDiverge => Expected::Diverge,
                _ => return None,
            };
            let first = t
                .findings
                .first()
                .map(FindingReport::line)
                .unwrap_or_default();
            // One line, no control or escape character: the file is committed and its reasons
            // printed by later runs.
            let first = crate::report::sanitize::terminal(&first).replace('\n', " ");
            Some(Expectation {
                trial: t.name.clone(),
                outcome,
                reason: format!("recorded from a run against {}: {first}", report.target),
                link: None,
            })
        })
        .collect();
    Expectations { expectations }
}

/// A trial's transcript file name: its name with everything but `[A-Za-z0-9._-]` as `_`.
pub fn transcript_file(trial: &str) -> String {
    let stem: String = trial
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}.json")
}
