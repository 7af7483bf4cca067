//! What the command writes to the terminal around the trials: the first line (which
//! expectations fail the run), the progress line of a live run, the divergences and the
//! closing line, and the cleanup on Ctrl-C or SIGTERM. Everything counted here comes from the
//! trials' statuses.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::live::graph::GraphProvisioner;
use crate::run::status::{Counts, Enforce};

/// The first line of a run: which expectations fail it.
pub fn enforcement_line(enforce: Enforce) -> &'static str {
    match enforce {
        Enforce::All => {
            "enforcing all expectations (--enforce all): what the page says, and the reference behaviour where it is silent; a divergence fails the run"
        }
        Enforce::Documented => {
            "enforcing documented rules only (--enforce documented): where the page is silent, a target that differs from the reference behaviour is reported as a divergence and does not fail the run"
        }
    }
}

/// The divergences that did not fail (with their reports), the trials that could not run
/// counted by cause (one line per cause, most first), then the closing line: every trial
/// counted once, by status.
pub fn closing(divergences: &[(&str, &str)], errors: &[String], counts: &Counts) -> String {
    let mut s = String::new();
    if !divergences.is_empty() {
        s.push_str("\ndivergences (not enforced):\n");
        for (name, text) in divergences {
            s.push_str(&format!("\n---- {name} ----\n{text}\n"));
        }
    }
    let mut by_cause: BTreeMap<&str, usize> = BTreeMap::new();
    for cause in errors {
        *by_cause.entry(cause.as_str()).or_default() += 1;
    }
    let mut causes: Vec<(&str, usize)> = by_cause.into_iter().collect();
    causes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if !causes.is_empty() {
        s.push('\n');
    }
    for (cause, n) in causes {
        let trials = if n == 1 { "trial" } else { "trials" };
        s.push_str(&format!("{n} {trials} could not run: {cause}\n"));
    }
    s.push_str(&format!("\nconformance: {}\n", counts.sentence()));
    s
}

/// While a live run waits: what it waits on, as one line redrawn on the terminal (stderr only,
/// never in a report).
pub async fn show_progress(progress: Arc<crate::provision::progress::Progress>) {
    loop {
        eprint!("\r\x1b[2K{}", progress.snapshot());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// How long the cleanup after a signal may take: GitHub Actions sends SIGINT, then SIGTERM
/// 7.5 s later, then kills 2.5 s after that (actions/runner#1309).
pub const SIGNAL_CLEANUP: Duration = Duration::from_secs(6);

/// The next SIGINT, SIGTERM or SIGHUP, with the exit code a shell gives for it (128 + signal).
async fn next_signal() -> Option<u8> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return None;
        };
        tokio::select! {
            r = tokio::signal::ctrl_c() => r.ok().map(|()| 130),
            _ = term.recv() => Some(143),
            _ = hup.recv() => Some(129),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.ok().map(|()| 130)
    }
}

/// At the end of a live run: whatever its trials left (a panicking trial skips its own
/// cleanup) deleted, the tenant reconciled by run id; what could not be deleted said (redacted,
/// terminal-safe) with the way to find it later.
pub fn clean_up_at_the_end(
    runtime: &tokio::runtime::Runtime,
    graph: &GraphProvisioner,
    target: &crate::target::Target,
) {
    // At the end of a run there is time: whatever is left, and anything of this run the
    // tenant holds that the run never heard of (a lost create answer), is deleted.
    let within = target
        .timeout
        .saturating_mul(10)
        .max(Duration::from_secs(60));
    for (id, e) in runtime.block_on(graph.delete_all(within)) {
        eprintln!(
            "{}",
            crate::report::sanitize::terminal(&target.redact(&format!(
                "could not delete definition {id}: {e} (run --sweep later)"
            )))
        );
    }
}

/// On SIGINT, SIGTERM or SIGHUP: stop creating, print every definition id the run holds (so
/// that even a kill leaves a list), delete them all at once and reconcile by run id within
/// [`SIGNAL_CLEANUP`], then exit 128 + the signal. A second signal prints what remains and
/// exits at once.
pub async fn clean_up_on_signal(graph: GraphProvisioner) {
    let Some(code) = next_signal().await else {
        return;
    };
    // Ids and errors come from the tenant: redacted and made safe for a terminal.
    let safe = |text: String| crate::report::sanitize::terminal(&graph.target().redact(&text));
    let live = graph.live_definitions();
    eprintln!(
        "{}",
        safe(format!(
            "\ninterrupted: deleting the {} access review definition(s) this run created (run {}): {}",
            live.len(),
            graph.run_id(),
            if live.is_empty() {
                "none known".to_string()
            } else {
                live.join(", ")
            }
        ))
    );
    let cleanup = graph.delete_all(SIGNAL_CLEANUP);
    tokio::select! {
        failed = cleanup => {
            for (id, e) in failed {
                eprintln!("{}", safe(format!("could not delete definition {id}: {e} (run --sweep later)")));
            }
        }
        second = next_signal() => {
            let left = graph.live_definitions();
            eprintln!(
                "{}",
                safe(format!(
                    "interrupted again: not deleted: {} (run --sweep later)",
                    if left.is_empty() { "none known".to_string() } else { left.join(", ") }
                ))
            );
            std::process::exit(i32::from(second.unwrap_or(code)));
        }
    }
    std::process::exit(i32::from(code));
}

/// Every broken case file whose trial this run did not run (a filter or a shard left it
/// out), shown with its diagnostics: the run could not load the suite it was given, whatever
/// it selected. Returns how many.
pub fn broken_not_run(
    suite: &crate::load::Suite,
    report: &crate::report::data::RunReport,
) -> usize {
    let run: std::collections::BTreeSet<&str> =
        report.trials.iter().map(|t| t.name.as_str()).collect();
    let unrun: Vec<&crate::load::BrokenCase> = suite
        .cases
        .iter()
        .filter_map(|c| match c {
            crate::load::LoadedCase::Broken(b) if !run.contains(b.id.as_str()) => Some(b),
            _ => None,
        })
        .collect();
    for b in &unrun {
        eprintln!(
            "\n{}",
            crate::report::sanitize::terminal(&crate::report::text::render_broken(b))
        );
    }
    if !unrun.is_empty() {
        eprintln!(
            "error: {} case file(s) could not be loaded (shown above; reported whatever the filter selects): exit 2",
            unrun.len()
        );
    }
    unrun.len()
}

/// The line naming expectation entries no trial of this run has, each with the closest name of
/// the run when one is close (a renamed case, a typo).
pub fn stale_expectations(stale: &[&str], names: &std::collections::BTreeSet<&str>) -> String {
    let shown: Vec<String> = stale
        .iter()
        .map(
            |s| match crate::diagnostic::did_you_mean(s, names.iter().copied()) {
                Some(g) => format!("{s} (did you mean `{g}`?)"),
                None => s.to_string(),
            },
        )
        .collect();
    crate::report::sanitize::terminal(&format!(
        "stale expectations (no trial of this run has these names): {}",
        shown.join(", ")
    ))
}

/// With `--keep-on-failure`: every starting state left on the target, with its ids and the
/// `curl` lines that delete it (none when nothing was kept).
pub fn kept_states(report: &crate::report::data::RunReport) -> Option<String> {
    let kept: Vec<_> = report
        .trials
        .iter()
        .filter_map(|t| t.kept.as_ref().map(|k| (t, k)))
        .collect();
    if kept.is_empty() {
        return None;
    }
    let mut s = format!(
        "\nkept on the target (--keep-on-failure): the state {} failing trial(s) left; delete each when done (the token from $GRAPH_TOKEN):",
        kept.len()
    );
    for (t, k) in kept {
        let ids: Vec<String> = k.ids.iter().map(|(n, id)| format!("{n} = {id}")).collect();
        s.push_str(&format!("\n  {}: {}", t.name, ids.join(", ")));
        for r in &k.delete {
            s.push_str(&format!("\n    {}", r.curl()));
        }
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::status::TrialStatus;

    #[test]
    fn the_closing_line_counts_every_status() {
        let counts = Counts::of([
            TrialStatus::Pass,
            TrialStatus::ExpectedFail,
            TrialStatus::Broken,
        ]);
        let text = closing(&[("a::put", "why")], &[], &counts);
        assert!(text.contains("---- a::put ----\nwhy"), "{text}");
        assert!(
            text.ends_with(
                "conformance: 1 passed, 0 failed, 0 diverged (not enforced), 1 failed as expected, 0 skipped, 0 could not run, 1 broken\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn trials_that_could_not_run_are_counted_by_cause_most_first() {
        let counts = Counts::of([TrialStatus::Error, TrialStatus::Error, TrialStatus::Error]);
        let errors = ["b".to_string(), "a".to_string(), "b".to_string()];
        let text = closing(&[], &errors, &counts);
        assert!(
            text.starts_with(
                "\n2 trials could not run: b\n1 trial could not run: a\n\nconformance:"
            ),
            "{text}"
        );
        assert!(!closing(&[], &[], &counts).contains("could not run: "));
    }
}
