//! What running one trial produced: a verdict, every finding, and the exchange with the
//! target (for the report).

use crate::fixtures::ProvisionError;
use crate::matching::Mismatch;
use crate::target::{HttpRequest, HttpResponse, TransportError};
use crate::template::TemplateError;

/// One thing the target got wrong, with what it was about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was checked: `status`, `response body`, `schema accessReviewInstance`,
    /// `instance afterwards`, …
    pub subject: String,
    /// The difference.
    pub mismatch: Mismatch,
}

/// Why a trial could not run to a verdict on the target's conformance.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrialError {
    /// A template could not be resolved (e.g. a principal missing from `--principals`).
    #[error("case error: {0}")]
    Template(#[from] TemplateError),
    /// Seeding or cleaning up failed.
    #[error("provisioning failed: {0}")]
    Provision(#[from] ProvisionError),
    /// The starting state could not be read back before the request.
    #[error("could not read the starting state: {0}")]
    ReadBefore(String),
    /// The case needs a credential the run does not have (`--credential NAME=TOKEN`).
    #[error("the case needs --credential {0}=TOKEN ({desc})", desc = .0.description())]
    MissingCredential(crate::credential::Credential),
    /// The target could not be reached for the request itself.
    #[error("the target could not be reached: {0}")]
    Unreachable(TransportError),
}

/// The verdict of one trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every check held.
    Pass,
    /// The target is not conformant: every finding.
    Fail(Vec<Finding>),
    /// The trial could not run.
    Error(TrialError),
}

/// A request and what came of it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request sent.
    pub request: HttpRequest,
    /// The response, or why there was none.
    pub response: Result<HttpResponse, TransportError>,
}

/// Everything a trial produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Pass, fail or error.
    pub verdict: Verdict,
    /// The request under test, if it was sent.
    pub exchange: Option<Exchange>,
    /// Problems cleaning up (reported even when the verdict is a pass).
    pub cleanup: Vec<ProvisionError>,
}
