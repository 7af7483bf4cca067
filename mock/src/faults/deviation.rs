//! Deliberate bugs the reference mock can be started with, to prove that a conformance suite
//! catches them: at least one per rule of the API page, and the mistakes mock authors actually
//! make. This module only names them; the `hooks` beside it say how each one lies.

use std::fmt;
use std::str::FromStr;

macro_rules! deviations {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $rule:literal, $description:literal; )+) => {
        /// One deliberate deviation from the API page (or from HTTP hygiene) that the
        /// reference mock can be started with (`accessreview-mock --deviation NAME`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Deviation {
            $( $(#[$doc])* $variant, )+
        }

        impl Deviation {
            /// Every deviation, in the order `--list-deviations` prints them.
            pub const ALL: &'static [Deviation] = &[ $( Deviation::$variant, )+ ];

            /// The name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $( Deviation::$variant => $name, )+ }
            }

            /// The id of the rule the deviation breaks (as the suite's `cases/rules.yaml` names it).
            pub fn breaks(self) -> &'static str {
                match self { $( Deviation::$variant => $rule, )+ }
            }

            /// One line saying what the deviation does.
            pub fn description(self) -> &'static str {
                match self { $( Deviation::$variant => $description, )+ }
            }
        }
    };
}

deviations! {
    /// Read-only properties in the body (status, dates, errors) are applied.
    ApplyReadOnlyProperties = "apply-read-only-properties", "only-reviewers-updatable", "status, dates and errors in the body are applied";
    /// Reviewers are treated as add-only too: dropping one is refused with 409.
    ReviewersAddOnly = "reviewers-add-only", "reviewers-updatable", "dropping a reviewer is refused with 409, as for fallback reviewers";
    /// Any change to the fallback reviewers, additions included, is refused with 409.
    RejectFallbackAdditions = "reject-fallback-additions", "fallback-reviewers-add-only", "adding a fallback reviewer is refused with 409";
    /// Fallback reviewers can only be appended: 409 unless the existing list is a prefix of
    /// the new one, in order.
    FallbackPrefixOnly = "fallback-prefix-only", "fallback-reviewers-add-only", "fallback reviewers added in front of the existing ones are refused with 409";
    /// Re-sending the unchanged fallback reviewer list is refused with 409.
    RejectUnchangedFallbacks = "reject-unchanged-fallbacks", "fallback-reviewers-add-only", "re-sending the existing fallback reviewers unchanged is refused with 409";
    /// Removing an existing fallback reviewer succeeds instead of answering 409.
    AcceptFallbackRemoval = "accept-fallback-removal", "fallback-removal-conflict", "removing a fallback reviewer succeeds instead of 409";
    /// Fallback reviewers are compared by query alone: keeping the query under another
    /// queryType or queryRoot is accepted and replaces the reviewer.
    FallbackIdentityByQuery = "fallback-identity-by-query", "fallback-reviewer-identity", "a fallback reviewer with the same query but another queryType or queryRoot replaces the original";
    /// Removing an existing fallback reviewer is refused with 400 instead of 409.
    RemovalWrongStatus = "removal-wrong-status", "fallback-removal-conflict", "removing a fallback reviewer is refused with 400, not 409";
    /// A body without `scope` is accepted.
    AcceptMissingScope = "accept-missing-scope", "scope-required", "a body without scope is accepted";
    /// The body's `scope` replaces the instance's scope.
    ApplyBodyScope = "apply-body-scope", "scope-not-updated", "the body's scope replaces the instance's scope";
    /// Instances whose status is not `InProgress` are updated anyway.
    UpdateAnyStatus = "update-any-status", "status-must-be-in-progress", "instances that are not InProgress are updated anyway";
    /// A list left out of the body is recalculated from the other: it gains the entries sent
    /// in the other list (nothing is removed).
    RecalculateOmittedLists = "recalculate-omitted-lists", "omitted-lists-not-recalculated", "a list left out of the body gains the entries of the list sent";
    /// Lists left out of the body are cleared.
    OmittedListsCleared = "omitted-lists-cleared", "omitted-properties-kept", "reviewers or fallbackReviewers left out of the body are emptied";
    /// The update is also written into the other instances of the definition.
    WriteSiblingInstances = "write-sibling-instances", "only-that-instance-updated", "the update is also written into the definition's other instances";
    /// The update is also written into the definition's instances that have not started.
    WriteFutureInstances = "write-future-instances", "future-instances-unchanged", "the update is also written into the definition's NotStarted instances";
    /// The update is also written into the parent definition.
    WriteParentDefinition = "write-parent-definition", "parent-definition-unchanged", "the update is also written into the parent definition";
    /// A successful update answers 204 without a body.
    SuccessWithoutBody = "success-without-body", "success-returns-updated-instance", "a successful update answers 204 with no body";
    /// The 200 body shows the reviewers as they were before (the update itself is stored).
    StaleReviewersInBody = "stale-reviewers-in-body", "response-reflects-update", "the 200 body shows the reviewers as they were before the update";
    /// A successful update answers with the instance as it was before.
    StaleBody = "stale-body", "success-returns-updated-instance", "a successful update answers with the old instance";
    /// Missing tokens and missing permissions are answered 400 instead of 401 and 403.
    AuthErrors400 = "auth-errors-400", "auth-status-codes", "no token, or no permission or role, is answered 400 instead of 401/403";
    /// A body carrying read-only values or another scope is refused with 400.
    RejectReadOnlyValues = "reject-read-only-values", "read-only-values-ignored", "a body with read-only properties or another scope is refused with 400";
    /// A body without a JSON Content-Type is refused with 415 instead of Graph's 400.
    ContentType415 = "content-type-415", "content-type-error-is-400", "a body without a JSON Content-Type is answered 415, not 400";
    /// Requests without a valid bearer token are served.
    NoAuthCheck = "no-auth-check", "authorization-required", "requests without a bearer token are served";
    /// Any Content-Type is accepted.
    IgnoreContentType = "ignore-content-type", "content-type-json-required", "a body sent as text/plain is accepted";
    /// Tokens without AccessReview.ReadWrite.All may update.
    NoPermissionCheck = "no-permission-check", "permission-access-review-readwrite-all", "a token without AccessReview.ReadWrite.All may update";
    /// Users without a supported Entra role may update.
    NoRoleCheck = "no-role-check", "delegated-role-required", "a delegated user without a supported role may update";
    /// A delegated user with any role the page lists may update any kind of review.
    GrantUnlistedRoles = "grant-unlisted-roles", "unlisted-roles-refused", "a User Administrator may update reviews of Entra roles, a Privileged Role Administrator reviews of groups";
    /// Only Identity Governance Administrators may update among delegated users: the other
    /// roles the page lists are refused.
    RefuseListedRoles = "refuse-listed-roles", "delegated-role-required", "User Administrators and Privileged Role Administrators are refused with 403";
    /// Application tokens are refused, even with AccessReview.ReadWrite.All.
    RefuseAppTokens = "refuse-app-tokens", "permission-access-review-readwrite-all", "application tokens with AccessReview.ReadWrite.All are refused with 403";
    /// Personal Microsoft accounts may update.
    AcceptPersonalAccounts = "accept-personal-accounts", "personal-accounts-not-supported", "a personal Microsoft account may update";
    /// `PUT` is answered with 405 (only `PATCH` works).
    RejectPut = "reject-put", "http-method-put", "PUT is answered with 405";
    /// `PATCH` is answered with 405 (only `PUT` works).
    RejectPatch = "reject-patch", "http-method-patch", "PATCH is answered with 405";
    /// `@odata.type` anywhere in the body is refused with 400.
    RejectODataType = "reject-odata-type", "sdk-reviewer-odata-type-accepted", "a body carrying @odata.type is refused with 400";
    /// `principalResourceMembershipsScope` scopes are refused.
    RejectMembershipsScope = "reject-memberships-scope", "doc-example-accepted", "a principalResourceMembershipsScope in the body is refused with 400";
    /// The 200 body has no `@odata.context`.
    NoODataContext = "no-odata-context", "response-has-odata-context", "the 200 body has no @odata.context";
    /// The 200 body carries `status` as a number.
    NumericStatus = "numeric-status", "response-matches-schema", "the 200 body carries status as a number";
    /// The 200 is right but nothing is stored.
    NotPersisted = "not-persisted", "update-persisted", "the update answers 200 but is not stored";
    /// A refused update still writes the reviewers it carried.
    PartialWriteOnRefusal = "partial-write-on-refusal", "refused-update-changes-nothing", "a refused update still stores its reviewers";
    /// Errors are plain text, not Graph error bodies.
    PlainTextErrors = "plain-text-errors", "errors-are-graph-errors", "errors are plain text, not Graph error bodies";
    /// Unknown definition or instance ids are answered with 200.
    OkForUnknownIds = "ok-for-unknown-ids", "unknown-ids-not-found", "an unknown definition or instance is answered with 200";
    /// An instance is found whatever definition the path names.
    IgnoreDefinitionInPath = "ignore-definition-in-path", "unknown-ids-not-found", "an instance is found under any definition id";
    /// Responses carry no request-id / client-request-id headers.
    NoRequestIds = "no-request-ids", "responses-carry-request-ids", "responses carry no request-id or client-request-id";
    /// Malformed JSON is answered with 500.
    MalformedJson500 = "malformed-json-500", "malformed-json-bad-request", "a malformed JSON body is answered with 500";
    /// Read-modify-write without a lock: concurrent additions are lost.
    LostUpdates = "lost-updates", "concurrent-additions-not-lost", "concurrent updates read, wait and write without a lock";
    /// A successful update answers with an HTML page instead of JSON.
    NonJsonBody = "non-json-body", "success-returns-updated-instance", "a successful update answers with HTML";
    /// A successful update's body is cut off mid-stream.
    TruncatedBody = "truncated-body", "success-returns-updated-instance", "a successful update's body is cut off";
    /// A successful update answers with a body of several megabytes.
    OversizedBody = "oversized-body", "success-returns-updated-instance", "a successful update answers with a multi-megabyte body";
    /// Updates never get an answer.
    Hang = "hang", "success-returns-updated-instance", "updates never get an answer";
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// ` (did you mean `x`?)` for the candidate closest to `word`, when one is close enough to be a
/// likely misspelling; nothing otherwise.
pub(crate) fn guess<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// The error for an unknown deviation name.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown deviation `{name}`{}; valid: {}",
    guess(name, Deviation::ALL.iter().map(|d| d.name())),
    valid_names()
)]
pub struct UnknownDeviation {
    name: String,
}

fn valid_names() -> String {
    Deviation::ALL
        .iter()
        .map(|d| d.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Deviation {
    type Err = UnknownDeviation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Deviation::ALL
            .iter()
            .copied()
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
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for d in Deviation::ALL {
            assert_eq!(d.name().parse::<Deviation>().unwrap(), *d);
            assert!(seen.insert(d.name()), "{d} twice");
        }
    }

    #[test]
    fn unknown_name_lists_valid_ones() {
        let err = "zzz".parse::<Deviation>().unwrap_err().to_string();
        assert!(err.contains("unknown deviation `zzz`;"), "{err}");
        let err = "accept-fallback-removl"
            .parse::<Deviation>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("(did you mean `accept-fallback-removal`?)"),
            "{err}"
        );
        assert!(err.contains("accept-fallback-removal"), "{err}");
    }
}
