//! Silent-page variants: mocks that differ from the reference only where the API page is
//! silent (a status code it never names, what a plain GET returns, error codes, extra
//! properties). A conformance suite must pass them on the page's rules; where one differs from
//! the reference behaviour it may only report a divergence. The `hooks` beside it say how each one
//! answers.

use std::fmt;
use std::str::FromStr;

/// One way of answering differently where the page is silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// PATCH is answered 204 No Content (as the OpenAPI description and the SDKs declare).
    Patch204,
    /// Only the page's method: PATCH is answered 405 Method Not Allowed.
    PutOnly,
    /// A body with read-only properties or another scope is refused with 400.
    ReadOnly400,
    /// An unknown definition or instance id is answered 400, not 404.
    UnknownIds400,
    /// An instance that is not InProgress is refused with 400, not 409.
    NotInProgress400,
    /// A GET of an instance leaves the reviewer lists out unless `$select` names them.
    GetWithoutLists,
    /// Error bodies carry an empty `code` (as the access-reviews backend does).
    EmptyErrorCodes,
    /// Instances and reviewer scopes carry properties the metadata does not know (yet).
    ExtraProperties,
    /// An update naming a user the tenant does not have (`--user`) is refused with 400.
    UnknownUsers400,
    /// Reviewer lists are answered in another order than stored (reversed in every other
    /// answer: two reads of one instance disagree on the order).
    ReorderedLists,
}

impl Variant {
    /// Every variant.
    pub const ALL: [Variant; 10] = [
        Variant::Patch204,
        Variant::PutOnly,
        Variant::ReadOnly400,
        Variant::UnknownIds400,
        Variant::NotInProgress400,
        Variant::GetWithoutLists,
        Variant::EmptyErrorCodes,
        Variant::ExtraProperties,
        Variant::UnknownUsers400,
        Variant::ReorderedLists,
    ];

    /// The name used on the command line (`--variant NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Variant::Patch204 => "patch-204",
            Variant::PutOnly => "put-only",
            Variant::ReadOnly400 => "read-only-400",
            Variant::UnknownIds400 => "unknown-ids-400",
            Variant::NotInProgress400 => "not-in-progress-400",
            Variant::GetWithoutLists => "get-without-lists",
            Variant::EmptyErrorCodes => "empty-error-codes",
            Variant::ExtraProperties => "extra-properties",
            Variant::UnknownUsers400 => "unknown-users-400",
            Variant::ReorderedLists => "reordered-lists",
        }
    }

    /// The inferred rule (as the suite's `cases/rules.yaml` names it) whose reference
    /// behaviour the variant differs from, if any: a suite reports a divergence there.
    pub fn diverges_from(self) -> Option<&'static str> {
        match self {
            Variant::Patch204 | Variant::PutOnly => Some("http-method-patch"),
            Variant::ReadOnly400 => Some("read-only-values-ignored"),
            Variant::UnknownIds400 => Some("unknown-ids-not-found"),
            Variant::NotInProgress400
            | Variant::GetWithoutLists
            | Variant::EmptyErrorCodes
            | Variant::ExtraProperties
            | Variant::UnknownUsers400
            | Variant::ReorderedLists => None,
        }
    }

    /// One line saying what the variant does.
    pub fn description(self) -> &'static str {
        match self {
            Variant::Patch204 => "PATCH is answered 204 No Content",
            Variant::PutOnly => "only PUT, the page's method: PATCH is answered 405",
            Variant::ReadOnly400 => "read-only properties or another scope are refused with 400",
            Variant::UnknownIds400 => "unknown ids are answered 400, not 404",
            Variant::NotInProgress400 => "a non-InProgress instance is refused with 400, not 409",
            Variant::GetWithoutLists => {
                "a GET leaves the reviewer lists out unless $select names them"
            }
            Variant::EmptyErrorCodes => "error bodies carry an empty code",
            Variant::ExtraProperties => "instances and reviewer scopes carry unknown properties",
            Variant::UnknownUsers400 => {
                "an update naming a user the tenant does not have (--user) is refused with 400"
            }
            Variant::ReorderedLists => {
                "reviewer lists are answered in another order (reversed in every other answer)"
            }
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for an unknown variant name.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown variant `{0}`{guess}; valid: patch-204, put-only, read-only-400, unknown-ids-400, not-in-progress-400, get-without-lists, empty-error-codes, extra-properties, unknown-users-400, reordered-lists",
    guess = super::deviation::guess(.0, Variant::ALL.iter().map(|v| v.name()))
)]
pub struct UnknownVariant(String);

impl FromStr for Variant {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variant::ALL
            .into_iter()
            .find(|v| v.name() == s)
            .ok_or_else(|| UnknownVariant(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_name_gets_a_guess() {
        let err = "put-onl".parse::<Variant>().unwrap_err().to_string();
        assert!(err.contains("(did you mean `put-only`?)"), "{err}");
        let err = "zzz".parse::<Variant>().unwrap_err().to_string();
        assert!(!err.contains("did you mean"), "{err}");
    }

    #[test]
    fn names_round_trip() {
        for v in Variant::ALL {
            assert_eq!(v.name().parse::<Variant>().unwrap(), v);
        }
        assert!(
            "nope"
                .parse::<Variant>()
                .unwrap_err()
                .to_string()
                .contains("patch-204")
        );
    }
}
