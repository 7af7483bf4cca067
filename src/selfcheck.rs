//! Self-verification: the suite against the faithful reference mock (nothing may fail) and
//! against every deviation (something must fail, naming the rule the deviation breaks) —
//! the proof that the suite is strict enough. Produces the kill table; never prints.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use crate::case::TrialSpec;
use crate::credential::Credential;
use crate::mock::{Deviation, MockOptions, MockServer};
use crate::outcome::{Outcome, Verdict};
use crate::runner::{RunContext, run_all};
use crate::schema::SchemaSet;
use crate::target::{Secret, Target};

const TOKEN: &str = "selfcheck-token-5f2c";

/// What the suite did against one mock.
#[derive(Clone, Debug)]
pub struct KillRow {
    /// The deviation (`None` for the faithful mock).
    pub deviation: Option<Deviation>,
    /// The trials that failed (or errored).
    pub failing: Vec<String>,
    /// The rules cited by the failing trials.
    pub rules_named: BTreeSet<String>,
}

impl KillRow {
    /// For a deviation: some failing trial names the rule it breaks. For the faithful mock:
    /// nothing failed.
    pub fn verdict_ok(&self) -> bool {
        match self.deviation {
            Some(d) => self.rules_named.contains(d.breaks()),
            None => self.failing.is_empty(),
        }
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
    let options = MockOptions {
        token: Some(TOKEN.into()),
        credentials: Credential::ALL
            .iter()
            .map(|c| (*c, format!("selfcheck-{c}-9d1e")))
            .collect(),
        deviation,
    };
    let mock = MockServer::start("127.0.0.1:0", options).await?;
    let target = Target::new(
        &mock.base_url(),
        None,
        Some(Secret::new(TOKEN)),
        timeout,
        4 << 20,
    )
    .map_err(std::io::Error::other)?;
    let target = target.with_credentials(
        Credential::ALL
            .iter()
            .map(|c| (*c, format!("selfcheck-{c}-9d1e"))),
    );
    let ctx = Arc::new(RunContext {
        target,
        schemas: Arc::clone(schemas),
        principals: principals.clone(),
    });
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
        let mut failing = Vec::new();
        let mut rules_named = BTreeSet::new();
        for (spec, outcome) in &results {
            if matches!(outcome.verdict, Verdict::Fail(_) | Verdict::Error(_)) {
                failing.push(spec.name.clone());
                rules_named.extend(spec.case.rules.iter().cloned());
            }
        }
        rows.push(KillRow {
            deviation,
            failing,
            rules_named,
        });
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
        let caught = match (row.deviation, row.verdict_ok()) {
            (None, true) => "clean",
            (None, false) => "FAILS",
            (Some(_), true) => "yes",
            (Some(_), false) => "NO",
        };
        let shown: Vec<&str> = row.failing.iter().take(4).map(String::as_str).collect();
        let more = row.failing.len().saturating_sub(shown.len());
        let _ = writeln!(
            s,
            "{name:<28}  {breaks:<40}  {caught:<8}  {}{}{}",
            row.failing.len(),
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
