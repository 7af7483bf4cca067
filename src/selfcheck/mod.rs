//! Self-verification: the suite against the faithful reference mock (nothing may fail) and
//! against every deviation (something must fail, naming the rule the deviation breaks) —
//! the proof that the suite is strict enough. Produces the kill table; never prints.

pub mod embedded;
pub mod explained;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use accessreview_mock::Deviation;

use crate::case::TrialSpec;
use crate::case::finding::Severity;
use crate::load::schema::SchemaSet;
use crate::run::outcome::{Outcome, Verdict};
use crate::run::status::{Enforce, Policy, TrialStatus};
use crate::run::{RunContext, run_all};
use crate::selfcheck::embedded::{Embedded, EmbeddedOptions};
use crate::target::credential::Credential;

const TOKEN: &str = "selfcheck-token-5f2c";

/// What the suite did against one mock.
#[derive(Clone, Debug)]
pub struct KillRow {
    /// The deviation (`None` for the faithful mock).
    pub deviation: Option<Deviation>,
    /// The trials that failed (found the target not conformant).
    pub failing: Vec<String>,
    /// The trials that diverged (differed from the reference where the page is silent).
    pub diverging: Vec<String>,
    /// The rules named by divergences (findings where the page is silent).
    pub rules_diverging: BTreeSet<String>,
    /// The trials that could not run (an error is never a catch).
    pub errored: Vec<String>,
    /// The rules named by failures (findings on what the page says).
    pub rules_named: BTreeSet<String>,
}

impl KillRow {
    /// For a deviation: some failing or diverging trial names the rule it breaks (trials
    /// that errored prove nothing). For the faithful mock: nothing failed, diverged or errored.
    pub fn verdict_ok(&self) -> bool {
        self.caught_as().is_some()
            || (self.deviation.is_none()
                && self.failing.is_empty()
                && self.diverging.is_empty()
                && self.errored.is_empty())
    }

    /// How a deviation was caught: as a failure (a trial failing on a documented rule it
    /// breaks) or as a divergence (only trials diverging on the inferred rule it breaks).
    pub fn caught_as(&self) -> Option<Severity> {
        let d = self.deviation?;
        if self.rules_named.contains(d.breaks()) {
            Some(Severity::Failure)
        } else if self.rules_diverging.contains(d.breaks()) {
            Some(Severity::Divergence)
        } else {
            None
        }
    }

    /// Rules other than the one the deviation breaks that its findings named (failures and
    /// divergences), each once.
    pub fn also_named(&self) -> Vec<&str> {
        let breaks = self.deviation.map(Deviation::breaks);
        self.rules_named
            .union(&self.rules_diverging)
            .map(String::as_str)
            .filter(|r| Some(*r) != breaks)
            .collect()
    }

    /// The row for one mock from its trials' outcomes.
    pub fn from_results(deviation: Option<Deviation>, results: &[(TrialSpec, Outcome)]) -> KillRow {
        let mut row = KillRow {
            deviation,
            failing: Vec::new(),
            diverging: Vec::new(),
            rules_diverging: BTreeSet::new(),
            errored: Vec::new(),
            rules_named: BTreeSet::new(),
        };
        // The kill table holds a deviation to what the page says: an inferred rule's
        // deviation shows as a divergence, never as a failure.
        let policy = Policy::new(Enforce::Documented);
        for (spec, outcome) in results {
            match policy.unexpected(outcome) {
                TrialStatus::Fail => row.failing.push(spec.name.clone()),
                TrialStatus::Diverge => row.diverging.push(spec.name.clone()),
                TrialStatus::Error | TrialStatus::Broken => {
                    // A trial that could not run cleanly proves nothing, findings or not.
                    row.errored.push(spec.name.clone());
                    continue;
                }
                _ => {}
            }
            // A rule counts as caught only by a finding that names it.
            if let Verdict::Fail(findings) | Verdict::Diverge(findings) = &outcome.verdict {
                for f in findings.iter().filter(|f| f.consequence_of.is_none()) {
                    let rules = match f.severity {
                        Severity::Failure => &mut row.rules_named,
                        Severity::Divergence => &mut row.rules_diverging,
                    };
                    rules.extend(f.rules.iter().cloned());
                }
            }
        }
        row
    }
}

/// Runs `trials` against a fresh in-process mock with `deviation`, all at once.
pub async fn run_against_mock(
    deviation: Option<Deviation>,
    trials: &[TrialSpec],
    schemas: &Arc<SchemaSet>,
    principals: &std::collections::HashMap<String, String>,
    timeout: Duration,
) -> std::io::Result<Vec<(TrialSpec, Outcome)>> {
    let embedded = Embedded::start(EmbeddedOptions {
        token: TOKEN.into(),
        credentials: Credential::ALL
            .iter()
            .map(|c| (*c, format!("selfcheck-{c}-9d1e")))
            .collect(),
        deviation,
        variants: Vec::new(),
        lifecycle: Default::default(),
        timeout,
        max_body: 4 << 20,
        journal: false,
    })
    .await?;
    let ctx = Arc::new(RunContext::new(
        embedded.target.clone(),
        Arc::clone(schemas),
        principals.clone(),
    ));
    Ok(run_all(ctx, trials).await)
}

/// The kill table: the faithful mock first, then every deviation.
pub async fn kill_table(
    trials: &[TrialSpec],
    schemas: &Arc<SchemaSet>,
    principals: &std::collections::HashMap<String, String>,
    timeout: Duration,
) -> std::io::Result<Vec<KillRow>> {
    let mut rows = Vec::new();
    let targets = std::iter::once(None).chain(Deviation::ALL.iter().copied().map(Some));
    for deviation in targets {
        let results = run_against_mock(deviation, trials, schemas, principals, timeout).await?;
        rows.push(KillRow::from_results(deviation, &results));
    }
    Ok(rows)
}

/// The kill table as text: deviation, the rule it breaks, caught or not, failing trials.
pub fn render_kill_table(rows: &[KillRow]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<28}  {:<40}  {:<8}  failing trials",
        "deviation", "breaks", "caught"
    );
    for row in rows {
        let (name, breaks) = match row.deviation {
            Some(d) => (d.name(), d.breaks()),
            None => ("(faithful mock)", "-"),
        };
        let caught = match (row.deviation, row.verdict_ok(), row.caught_as()) {
            (None, true, _) => "clean",
            (None, false, _) => "FAILS",
            (Some(_), _, Some(Severity::Failure)) => "yes",
            (Some(_), _, Some(Severity::Divergence)) => "diverges",
            (Some(_), _, None) => "NO",
        };
        // The trials that caught it: failing ones, or (caught as a divergence) diverging ones.
        let trials = if row.caught_as() == Some(Severity::Divergence) {
            &row.diverging
        } else {
            &row.failing
        };
        let shown: Vec<&str> = trials.iter().take(4).map(String::as_str).collect();
        let more = trials.len().saturating_sub(shown.len());
        let _ = writeln!(
            s,
            "{name:<28}  {breaks:<40}  {caught:<8}  {}{}{}",
            trials.len(),
            if shown.is_empty() {
                String::new()
            } else {
                format!(": {}", shown.join(", "))
            },
            if more > 0 {
                format!(", +{more} more")
            } else {
                String::new()
            }
        );
        let also = row.also_named();
        if !also.is_empty() {
            let why = row
                .deviation
                .and_then(explained::why_also)
                .map_or("UNEXPLAINED", |(_, why)| why);
            let _ = writeln!(s, "{:<28}  also named: {} ({why})", "", also.join(", "));
        }
    }
    let survivors: Vec<&str> = rows
        .iter()
        .filter(|r| r.deviation.is_some() && !r.verdict_ok())
        .filter_map(|r| r.deviation.map(Deviation::name))
        .collect();
    let _ = writeln!(
        s,
        "\n{} deviations, {} caught{}",
        rows.len() - 1,
        rows.len() - 1 - survivors.len(),
        if survivors.is_empty() {
            String::new()
        } else {
            format!("; NOT caught: {}", survivors.join(", "))
        }
    );
    s
}
