//! What running one trial produced: a verdict, every finding, and the exchange with the
//! target (for the report).

pub use crate::case::finding::Finding;
use crate::case::template::TemplateError;
use crate::provision::ProvisionError;
pub use crate::target::exchange::Exchange;
use crate::target::{HttpRequest, TransportError};

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
    /// The starting state cannot be produced on this target (the trial is skipped).
    #[error("the starting state cannot be produced here: {0}")]
    NotProducible(String),
    /// The target could not be reached for the request itself.
    #[error("the target could not be reached: {0}")]
    Unreachable(TransportError),
    /// The request under test ended throttled (429, 503 or 504 after every retry the
    /// throttling rules allow): the service did not answer the question, so there is no verdict.
    #[error(
        "throttled: the target answered {0} to the request under test after every retry (see README, Throttling); not a verdict on the API"
    )]
    Throttled(u16),
    /// The trial panicked (a bug of the suite, not of the target).
    #[error("the trial panicked: {0}")]
    Panicked(String),
}

impl TrialError {
    /// What went wrong, without where (no URL, no id, no trial): trials that could not run
    /// for one reason share it, and the closing summary counts them together.
    pub fn cause(&self) -> String {
        match self {
            TrialError::Template(_) => "a case error (a template could not be resolved)".into(),
            TrialError::Provision(ProvisionError::Transport(t)) => {
                format!("provisioning: {}", t.cause())
            }
            // Grouped by status only: `what` names URLs and ids.
            TrialError::Provision(ProvisionError::Protocol { status, .. }) => {
                format!("provisioning: an answer the protocol does not allow (status {status})")
            }
            TrialError::Provision(ProvisionError::Timeout { .. }) => {
                "provisioning: the starting state did not come about in time".into()
            }
            TrialError::Provision(ProvisionError::Interrupted { .. }) => {
                "the run was interrupted".into()
            }
            TrialError::ReadBefore(_) => "the starting state could not be read".into(),
            TrialError::NotProducible(_) => "the starting state cannot be produced here".into(),
            TrialError::Unreachable(t) => format!("the target could not be reached: {}", t.cause()),
            TrialError::Throttled(status) => {
                format!("throttled: {status} to the request under test after every retry")
            }
            TrialError::Panicked(_) => "the trial panicked (a bug of the suite)".into(),
        }
    }
}

/// The verdict of one trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every check held.
    Pass,
    /// The target is not conformant: every finding (failures, and any divergences).
    Fail(Vec<Finding>),
    /// The target keeps the page but differs from the reference behaviour where the page is
    /// silent: every finding (all divergences).
    Diverge(Vec<Finding>),
    /// The trial could not run.
    Error(TrialError),
    /// The trial does not apply to this target (the reason says why); nothing was sent.
    Skip(String),
}

impl Verdict {
    /// The verdict of a trial that ran: pass, fail (any failure) or diverge (only divergences).
    pub fn from_findings(findings: Vec<Finding>) -> Verdict {
        if findings.is_empty() {
            Verdict::Pass
        } else if findings
            .iter()
            .any(|f| f.severity == crate::case::finding::Severity::Failure)
        {
            Verdict::Fail(findings)
        } else {
            Verdict::Diverge(findings)
        }
    }
}

/// Everything a trial produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Pass, fail, error or skip.
    pub verdict: Verdict,
    /// The request under test, if it was sent.
    pub exchange: Option<Exchange>,
    /// Problems cleaning up (reported even when the verdict is a pass).
    pub cleanup: Vec<ProvisionError>,
    /// The requests that created the starting state, as sent (a reproduction rebuilds the
    /// state with them).
    pub setup: Vec<HttpRequest>,
    /// The starting state, when it was kept instead of deleted (`--keep-on-failure`, and the
    /// trial failed or diverged).
    pub kept: Option<Kept>,
    /// What the target did, as facts, when the run records them (`--probe`, `--compare`,
    /// `--profile`).
    pub behaviour: Option<crate::run::behaviour::Behaviour>,
}

impl Outcome {
    /// An outcome with nothing sent: a skip, an error before any request.
    pub fn without_exchange(verdict: Verdict) -> Outcome {
        Outcome {
            verdict,
            exchange: None,
            cleanup: Vec::new(),
            setup: Vec::new(),
            kept: None,
            behaviour: None,
        }
    }
}

/// A starting state left on the target on purpose, and how to delete it.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Each object's symbol in the case and its id on the target, in seeding order.
    pub ids: Vec<(String, String)>,
    /// The requests that delete it (one per definition).
    pub delete: Vec<HttpRequest>,
}
