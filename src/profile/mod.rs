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
    /// with its facts; `redact` takes secrets out of the evidence.
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
                        facts: b.facts.clone(),
                        evidence: (b.evidence.iter())
                            .map(|(k, v)| (k.clone(), redact(v)))
                            .collect(),
                    },
                ))
            })
            .collect();
        Profile {
            profile: FORMAT,
            silent_page: choices::silent_page(observed),
            trials,
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
            self.keep_evidence(&previous);
        }
        std::fs::write(path, self.to_yaml()).map_err(|e| ProfileError::Write {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }
}
