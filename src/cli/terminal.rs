//! What the command writes to the terminal around the trials: the first line (which
//! expectations fail the run), the progress line of a live run, the divergences and the
//! closing line, and the cleanup on Ctrl-C or SIGTERM. Everything counted here comes from the
//! trials' statuses.

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

/// The divergences that did not fail (with their reports), then the closing line: every
/// trial counted once, by status.
pub fn closing(divergences: &[(&str, &str)], counts: &Counts) -> String {
    let mut s = String::new();
    if !divergences.is_empty() {
        s.push_str("\ndivergences (not enforced):\n");
        for (name, text) in divergences {
            s.push_str(&format!("\n---- {name} ----\n{text}\n"));
        }
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

/// On Ctrl-C or SIGTERM: delete what the run created on the tenant, then exit 130.
pub async fn clean_up_on_signal(graph: GraphProvisioner) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
    }
    let live = graph.live_definitions();
    eprintln!(
        "\ninterrupted: deleting the {} access review definition(s) this run created",
        live.len()
    );
    for (id, e) in graph.delete_all().await {
        eprintln!("could not delete definition {id}: {e} (run --sweep later)");
    }
    std::process::exit(130);
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
        let text = closing(&[("a::put", "why")], &counts);
        assert!(text.contains("---- a::put ----\nwhy"), "{text}");
        assert!(
            text.ends_with(
                "conformance: 1 passed, 0 failed, 0 diverged (not enforced), 1 failed as expected, 0 skipped, 0 could not run, 1 broken\n"
            ),
            "{text}"
        );
    }
}
