//! Target profiles: what a target does where the page is silent, learned by running the
//! cases against it. [`Profile`] is the file `--probe FILE` writes and `--profile FILE` holds a
//! target to: for every trial that exercises an inferred rule, its facts
//! ([`crate::run::behaviour`]) with the answer's request-id and date as evidence, and the
//! `silent-page` choices the facts amount to ([`choices`]), which `accessreview-mock --profile`
//! takes on. `compare` sets two targets side by side (`--compare A B`).
//!
//! A profile names no id and no time outside `evidence`, and its keys are sorted, so that a
//! `git diff` of two profiles is a drift report. Evidence is kept from the file being
//! replaced for every trial whose facts did not change: probing an unchanged target twice
//! writes the same bytes.

pub mod choices;
pub mod compare;
pub mod observed;

use std::collections::BTreeMap;
use std::path::Path;

use accessreview_mock::SilentPage;
use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::profile::observed::Observed;
use crate::run::HeldTo;

/// The format's version (`profile: 1`).
pub const FORMAT: u32 = 1;

/// A target profile (`schemas/target-profile.schema.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Profile {
    /// The format's version.
    pub profile: u32,
    /// What the facts amount to where the page is silent, in the mock's terms.
    #[serde(default)]
    pub silent_page: SilentPage,
    /// Each probed trial's facts, by trial name.
    #[serde(default)]
    pub trials: BTreeMap<String, TrialProfile>,
    /// The trials this probe could not observe (they could not run): their last known facts
    /// are carried over from the profile replaced.
    #[serde(skip)]
    pub unobserved: Vec<String>,
}

/// What one trial showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialProfile {
    /// The inferred rules the trial exercises.
    pub rules: Vec<String>,
    /// Fact → what it was.
    pub facts: BTreeMap<String, String>,
    /// The answer's request-id and date, from the probe that first saw these facts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub evidence: BTreeMap<String, String>,
}

/// Why a profile could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file is not a profile (with where).
    #[error("{0}")]
    File(Box<Diagnostic>),
    /// The file's version is not this one.
    #[error("{path}: profile format {found}; this version reads format {FORMAT}")]
    Version {
        /// The file.
        path: String,
        /// What it says.
        found: u32,
    },
    /// It could not be written.
    #[error("cannot write the profile {path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

impl Profile {
    /// The profile of a run: every trial that exercises an inferred rule and got an answer,
    /// with its facts; `redact` takes secrets out of the facts and the evidence.
    pub fn of_run(observed: &[Observed], redact: &dyn Fn(&str) -> String) -> Profile {
        let trials = observed
            .iter()
            .filter(|o| !o.inferred.is_empty())
            .filter_map(|o| {
                let b = o.behaviour.as_ref()?;
                Some((
                    o.name.clone(),
                    TrialProfile {
                        rules: o.inferred.clone(),
                        facts: (b.facts.iter())
                            .map(|(k, v)| (redact(k), redact(v)))
                            .collect(),
                        evidence: (b.evidence.iter())
                            .map(|(k, v)| (k.clone(), redact(v)))
                            .collect(),
                    },
                ))
            })
            .collect();
        let unobserved = observed
            .iter()
            .filter(|o| !o.inferred.is_empty() && o.outcome == "error")
            .map(|o| o.name.clone())
            .collect();
        Profile {
            profile: FORMAT,
            silent_page: choices::silent_page(observed),
            trials,
            unobserved,
        }
    }

    /// Takes over from `previous` what this probe could not observe: the facts of each trial
    /// that could not run, and, when there is any, the silent-page choices no trial answered
    /// this time. A transient error is then no drift.
    pub fn carry_over(&mut self, previous: &Profile) {
        if self.unobserved.is_empty() {
            return;
        }
        for name in &self.unobserved {
            if let Some(old) = previous.trials.get(name) {
                self.trials.insert(name.clone(), old.clone());
            }
        }
        let (new, old) = (&mut self.silent_page, &previous.silent_page);
        new.patch = new.patch.or(old.patch);
        new.read_only_body = new.read_only_body.or(old.read_only_body);
        new.unknown_ids = new.unknown_ids.or(old.unknown_ids);
        new.not_in_progress = new.not_in_progress.or(old.not_in_progress);
        new.unknown_users = new.unknown_users.or(old.unknown_users);
        new.get_lists = new.get_lists.or(old.get_lists);
        new.extra_properties = new.extra_properties.or(old.extra_properties);
        new.list_order = new.list_order.or(old.list_order);
        for (status, code) in &old.error_codes {
            new.error_codes
                .entry(*status)
                .or_insert_with(|| code.clone());
        }
    }

    /// Keeps `previous`'s evidence for each trial whose facts did not change: the evidence
    /// says when the behaviour was first seen, and an unchanged target gives the same file.
    pub fn keep_evidence(&mut self, previous: &Profile) {
        for (name, trial) in &mut self.trials {
            if let Some(old) = previous.trials.get(name)
                && old.facts == trial.facts
                && old.rules == trial.rules
            {
                trial.evidence.clone_from(&old.evidence);
            }
        }
    }

    /// The facts each trial is held to (`--profile`).
    pub fn held_to(&self) -> HeldTo {
        (self.trials.iter())
            .map(|(name, t)| (name.clone(), t.facts.clone()))
            .collect()
    }

    /// The file's text: a comment saying what it is, then the profile (keys sorted).
    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).unwrap_or_default();
        format!(
            "# A target profile, written by `accessreview-conformance --probe`: what the target did\n\
             # where the page is silent (schemas/target-profile.schema.json). `--profile FILE` holds a\n\
             # target to it; `accessreview-mock --profile FILE` behaves as its silent-page says.\n{body}"
        )
    }

    /// Reads a profile file.
    pub fn read(path: &Path) -> Result<Profile, ProfileError> {
        let profile: Profile = crate::load::read_yaml_file(
            path,
            Some("keys: profile, silent-page, trials (see schemas/target-profile.schema.json)"),
        )
        .map_err(ProfileError::File)?;
        if profile.profile != FORMAT {
            return Err(ProfileError::Version {
                path: path.display().to_string(),
                found: profile.profile,
            });
        }
        Ok(profile)
    }

    /// Writes the profile to `path`, keeping the evidence of the profile there for every
    /// trial whose facts did not change.
    pub fn write(mut self, path: &Path) -> Result<(), ProfileError> {
        if path.exists()
            && let Ok(previous) = Profile::read(path)
        {
            self.carry_over(&previous);
            self.keep_evidence(&previous);
        }
        std::fs::write(path, self.to_yaml()).map_err(|e| ProfileError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::behaviour::Behaviour;

    fn observed(name: &str, outcome: &'static str, facts: &[(&str, &str)]) -> Observed {
        Observed {
            name: name.into(),
            case: "not-found/unknown-instance".into(),
            method: "PUT".into(),
            inferred: vec!["unknown-ids-not-found".into()],
            cited: vec![],
            outcome,
            behaviour: (outcome != "error").then(|| Behaviour {
                facts: (facts.iter())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                evidence: [("request-id".to_string(), format!("{name}-{outcome}"))].into(),
            }),
        }
    }

    #[test]
    fn a_trial_that_could_not_run_keeps_its_last_known_facts() {
        let before = Profile::of_run(
            &[observed("t", "pass", &[("status", "404")])],
            &str::to_string,
        );
        assert_eq!(before.silent_page.unknown_ids, Some(404));
        let mut now = Profile::of_run(&[observed("t", "error", &[])], &str::to_string);
        assert!(now.trials.is_empty() && now.silent_page.unknown_ids.is_none());
        now.carry_over(&before);
        now.keep_evidence(&before);
        assert_eq!(now.to_yaml(), before.to_yaml());
        // Observed again, and changed: the new facts, with new evidence.
        let mut changed = Profile::of_run(
            &[observed("t", "diverge", &[("status", "400")])],
            &str::to_string,
        );
        changed.carry_over(&before);
        changed.keep_evidence(&before);
        assert_eq!(changed.trials["t"].facts["status"], "400");
        assert_eq!(changed.trials["t"].evidence["request-id"], "t-diverge");
        assert_eq!(changed.silent_page.unknown_ids, Some(400));
    }

    #[test]
    fn secrets_are_out_of_the_facts_and_the_evidence() {
        let p = Profile::of_run(
            &[observed("t", "pass", &[("error.code", "tok-secret")])],
            &|s| {
                s.replace("tok-secret", "(redacted)")
                    .replace("t-pass", "(redacted)")
            },
        );
        let text = p.to_yaml();
        assert!(
            !text.contains("tok-secret") && !text.contains("t-pass"),
            "{text}"
        );
    }
}
