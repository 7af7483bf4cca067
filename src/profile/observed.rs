//! What a run observed of each trial — its name, rules, outcome and behaviour — kept for a
//! profile or a comparison.

use crate::case::TrialSpec;
use crate::run::behaviour::Behaviour;
use crate::run::outcome::{Outcome, Verdict};

/// What a run observed of one trial, kept for a profile or a comparison.
#[derive(Debug, Clone)]
pub struct Observed {
    /// The trial's name.
    pub name: String,
    /// Its case's id.
    pub case: String,
    /// The method sent.
    pub method: String,
    /// The inferred rules it exercises.
    pub inferred: Vec<String>,
    /// Every rule it cites.
    pub cited: Vec<String>,
    /// `pass`, `fail`, `diverge`, `skip` or `error`.
    pub outcome: &'static str,
    /// Its behaviour, when the trial got that far.
    pub behaviour: Option<Behaviour>,
}

impl Observed {
    /// What a trial's outcome shows, for a profile or a comparison.
    pub fn of(spec: &TrialSpec, outcome: &Outcome) -> Observed {
        Observed {
            name: spec.name.clone(),
            case: spec.case.id.clone(),
            method: spec.method.clone(),
            inferred: spec.inferred_rules(),
            cited: spec.cited_rules().into_iter().map(str::to_string).collect(),
            outcome: match outcome.verdict {
                Verdict::Pass => "pass",
                Verdict::Fail(_) => "fail",
                Verdict::Diverge(_) => "diverge",
                Verdict::Error(_) => "error",
                Verdict::Skip(_) => "skip",
            },
            behaviour: outcome.behaviour.clone(),
        }
    }
}

#[cfg(test)]
impl Observed {
    /// A trial that passed with these facts, citing `rules` (for tests).
    pub(crate) fn passed(
        name: &str,
        case: &str,
        method: &str,
        rules: &[&str],
        facts: &[(&str, &str)],
    ) -> Observed {
        let rules: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
        Observed {
            name: name.into(),
            case: case.into(),
            method: method.into(),
            inferred: rules.clone(),
            cited: rules,
            outcome: "pass",
            behaviour: Some(Behaviour {
                facts: (facts.iter())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                evidence: Default::default(),
            }),
        }
    }
}
