//! Deliberate bugs the reference mock can be started with, to prove that the suite catches them.

use std::fmt;
use std::str::FromStr;

/// One deliberate deviation from the API page (or from HTTP hygiene) that the reference mock
/// can be started with (`accessreview-mock --deviation NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deviation {
    /// Removing an existing fallback reviewer succeeds instead of answering 409.
    AcceptFallbackRemoval,
    /// Instances whose status is not `InProgress` are updated anyway.
    UpdateAnyStatus,
    /// A body without `scope` is accepted.
    AcceptMissingScope,
    /// The body's `scope` replaces the instance's scope.
    ApplyBodyScope,
    /// The update is also written into the parent definition.
    WriteParentDefinition,
    /// `PATCH` is answered with 405 (only `PUT` works).
    RejectPatch,
    /// `PUT` is answered with 405 (only `PATCH` works).
    RejectPut,
    /// Requests without a valid bearer token are served.
    NoAuthCheck,
    /// A successful update answers with an HTML page instead of JSON.
    NonJsonBody,
    /// A successful update's body is cut off mid-stream.
    TruncatedBody,
    /// A successful update answers with a body of several megabytes.
    OversizedBody,
    /// Updates never get an answer.
    Hang,
}

impl Deviation {
    /// Every deviation, in the order `--list-deviations` prints them.
    pub const ALL: [Deviation; 12] = [
        Deviation::AcceptFallbackRemoval,
        Deviation::UpdateAnyStatus,
        Deviation::AcceptMissingScope,
        Deviation::ApplyBodyScope,
        Deviation::WriteParentDefinition,
        Deviation::RejectPatch,
        Deviation::RejectPut,
        Deviation::NoAuthCheck,
        Deviation::NonJsonBody,
        Deviation::TruncatedBody,
        Deviation::OversizedBody,
        Deviation::Hang,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Deviation::AcceptFallbackRemoval => "accept-fallback-removal",
            Deviation::UpdateAnyStatus => "update-any-status",
            Deviation::AcceptMissingScope => "accept-missing-scope",
            Deviation::ApplyBodyScope => "apply-body-scope",
            Deviation::WriteParentDefinition => "write-parent-definition",
            Deviation::RejectPatch => "reject-patch",
            Deviation::RejectPut => "reject-put",
            Deviation::NoAuthCheck => "no-auth-check",
            Deviation::NonJsonBody => "non-json-body",
            Deviation::TruncatedBody => "truncated-body",
            Deviation::OversizedBody => "oversized-body",
            Deviation::Hang => "hang",
        }
    }

    /// One line saying what the deviation breaks.
    pub fn description(self) -> &'static str {
        match self {
            Deviation::AcceptFallbackRemoval => {
                "removing an existing fallback reviewer succeeds instead of 409"
            }
            Deviation::UpdateAnyStatus => "instances that are not InProgress are updated anyway",
            Deviation::AcceptMissingScope => "a body without scope is accepted",
            Deviation::ApplyBodyScope => "the body's scope replaces the instance's scope",
            Deviation::WriteParentDefinition => {
                "the update is also written into the parent definition"
            }
            Deviation::RejectPatch => "PATCH is answered with 405",
            Deviation::RejectPut => "PUT is answered with 405",
            Deviation::NoAuthCheck => "requests without a bearer token are served",
            Deviation::NonJsonBody => "a successful update answers with HTML",
            Deviation::TruncatedBody => "a successful update's body is cut off",
            Deviation::OversizedBody => "a successful update answers with a multi-megabyte body",
            Deviation::Hang => "updates never get an answer",
        }
    }
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for an unknown deviation name.
#[derive(Debug, thiserror::Error)]
#[error("unknown deviation `{name}`; valid: {}", valid_names())]
pub struct UnknownDeviation {
    name: String,
}

fn valid_names() -> String {
    Deviation::ALL.map(Deviation::name).join(", ")
}

impl FromStr for Deviation {
    type Err = UnknownDeviation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Deviation::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| UnknownDeviation {
                name: s.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Deviation::ALL {
            assert_eq!(d.name().parse::<Deviation>().unwrap(), d);
        }
    }

    #[test]
    fn unknown_name_lists_valid_ones() {
        let err = "nope".parse::<Deviation>().unwrap_err().to_string();
        assert!(err.contains("unknown deviation `nope`"), "{err}");
        assert!(err.contains("accept-fallback-removal"), "{err}");
    }
}
