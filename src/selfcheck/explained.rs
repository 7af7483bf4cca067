//! Why a deviation's findings name rules besides the one it breaks. A deviation often breaks
//! a precondition of other cases (an update refused, an answer cut off): those cases then
//! fail at their first check, which names their own rules. The kill table shows every such
//! rule with the reason; a test holds each row to exactly the rules listed here, so a rule
//! that starts being named is a change someone has to explain.

use accessreview_mock::Deviation;

/// Every successful update's answer is broken.
const SUCCESS_BROKEN: &str = "every successful update's answer is broken: each success case fails at its status or body, which names that case's rules";

/// The rules of the success cases: what a deviation breaking every successful answer names.
const EVERY_SUCCESS_CASE: &[&str] = &[
    "concurrent-additions-not-lost",
    "delegated-role-required",
    "doc-example-accepted",
    "fallback-removal-conflict",
    "fallback-reviewers-add-only",
    "http-method-patch",
    "http-method-put",
    "omitted-properties-kept",
    "permission-access-review-readwrite-all",
    "reviewers-updatable",
    "sdk-reviewer-odata-type-accepted",
];

/// Per deviation (by name): the other rules its findings name, and why.
pub const ALSO: &[(&str, &[&str], &str)] = &[
    (
        "apply-read-only-properties",
        &["read-only-values-ignored"],
        "the values it applies are the ones the reference ignores (read-only-values-ignored)",
    ),
    (
        "reviewers-add-only",
        &[
            "omitted-properties-kept",
            "success-returns-updated-instance",
        ],
        "the cases for siblings, the definition and future instances replace the reviewers too: refused, they fail at their status",
    ),
    (
        "reject-fallback-additions",
        &[
            "concurrent-additions-not-lost",
            "delegated-role-required",
            "doc-example-accepted",
            "http-method-patch",
            "http-method-put",
            "permission-access-review-readwrite-all",
            "sdk-reviewer-odata-type-accepted",
            "success-returns-updated-instance",
        ],
        "most success cases add a fallback reviewer: refused, each fails at its status, which names that case's rules",
    ),
    (
        "reject-unchanged-fallbacks",
        &["read-only-values-ignored"],
        "scope/different-scope-ignored re-sends the existing fallback reviewers too: its reference status diverges (read-only-values-ignored)",
    ),
    (
        "accept-fallback-removal",
        &[
            "concurrent-additions-not-lost",
            "fallback-reviewer-identity",
        ],
        "concurrent additions remove each other's reviewer (concurrent-additions-not-lost), and a reviewer kept by query under another type is a removal (fallback-reviewer-identity)",
    ),
    (
        "removal-wrong-status",
        &[
            "concurrent-additions-not-lost",
            "fallback-reviewer-identity",
        ],
        "concurrent additions remove each other's reviewer (concurrent-additions-not-lost), and a reviewer kept by query under another type is a removal (fallback-reviewer-identity)",
    ),
    (
        "apply-body-scope",
        &["read-only-values-ignored"],
        "the reference 200 body shows the scope sent (read-only-values-ignored)",
    ),
    (
        "recalculate-omitted-lists",
        &["response-reflects-update"],
        "the 200 body shows the recalculated list too (response-reflects-update)",
    ),
    (
        "omitted-lists-cleared",
        &[
            "omitted-lists-not-recalculated",
            "read-only-values-ignored",
            "response-reflects-update",
            "success-returns-updated-instance",
            "update-persisted",
        ],
        "the emptied list also shows in the 200 body and in the read-back of the success cases that send one list",
    ),
    (
        "write-sibling-instances",
        &["future-instances-unchanged"],
        "the other instances include the not-started ones (future-instances-unchanged)",
    ),
    ("success-without-body", EVERY_SUCCESS_CASE, SUCCESS_BROKEN),
    (
        "stale-body",
        &["response-reflects-update"],
        "the old instance in the body also shows the old reviewers (response-reflects-update)",
    ),
    (
        "auth-errors-400",
        &["unlisted-roles-refused"],
        "refused delegated users are answered 400 too (unlisted-roles-refused)",
    ),
    (
        "no-auth-check",
        &[
            "delegated-role-required",
            "permission-access-review-readwrite-all",
            "personal-accounts-not-supported",
            "unlisted-roles-refused",
        ],
        "without a token check no caller is checked: the permission, role and account cases are served too",
    ),
    (
        "refuse-listed-roles",
        &["permission-access-review-readwrite-all"],
        "the cases of a listed role hold both rules: that user with the permission may update",
    ),
    (
        "reject-put",
        &[
            "auth-status-codes",
            "concurrent-additions-not-lost",
            "content-type-error-is-400",
            "delegated-role-required",
            "doc-example-accepted",
            "fallback-removal-conflict",
            "fallback-reviewer-identity",
            "fallback-reviewers-add-only",
            "malformed-json-bad-request",
            "omitted-properties-kept",
            "permission-access-review-readwrite-all",
            "read-only-values-ignored",
            "reviewers-updatable",
            "sdk-reviewer-odata-type-accepted",
            "success-returns-updated-instance",
            "unknown-ids-not-found",
            "unlisted-roles-refused",
        ],
        SUCCESS_BROKEN,
    ),
    (
        "reject-odata-type",
        &[
            "concurrent-additions-not-lost",
            "delegated-role-required",
            "doc-example-accepted",
            "fallback-removal-conflict",
            "fallback-reviewer-identity",
            "fallback-reviewers-add-only",
            "http-method-patch",
            "http-method-put",
            "omitted-properties-kept",
            "permission-access-review-readwrite-all",
            "read-only-values-ignored",
            "reviewers-updatable",
            "success-returns-updated-instance",
        ],
        "the scope in many case bodies carries @odata.type: refused, each fails at its status, which names that case's rules",
    ),
    (
        "reject-memberships-scope",
        &[
            "delegated-role-required",
            "permission-access-review-readwrite-all",
        ],
        "the role cases' reviews use a principalResourceMembershipsScope: refused, they fail at their status",
    ),
    (
        "numeric-status",
        &[
            "http-method-patch",
            "read-only-values-ignored",
            "response-has-odata-context",
            "success-returns-updated-instance",
        ],
        "the status in a 200 body is also checked by the rules of each case that reads it",
    ),
    (
        "not-persisted",
        &[
            "concurrent-additions-not-lost",
            "delegated-role-required",
            "fallback-reviewers-add-only",
            "http-method-patch",
            "permission-access-review-readwrite-all",
            "reviewers-updatable",
            "sdk-reviewer-odata-type-accepted",
        ],
        "every success case reads its update back, which names that case's rules",
    ),
    (
        "non-json-body",
        &[
            "read-only-values-ignored",
            "response-has-odata-context",
            "response-reflects-update",
        ],
        SUCCESS_BROKEN,
    ),
    ("truncated-body", EVERY_SUCCESS_CASE, SUCCESS_BROKEN),
    ("oversized-body", EVERY_SUCCESS_CASE, SUCCESS_BROKEN),
    ("hang", EVERY_SUCCESS_CASE, SUCCESS_BROKEN),
];

/// The other rules a deviation's findings are expected to name, and why (none listed: none).
pub fn why_also(d: Deviation) -> Option<(&'static [&'static str], &'static str)> {
    ALSO.iter()
        .find(|(name, ..)| *name == d.name())
        .map(|(_, rules, why)| (*rules, *why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_names_a_deviation_once() {
        for (i, (name, rules, _)) in ALSO.iter().enumerate() {
            assert!(Deviation::ALL.iter().any(|d| d.name() == *name), "{name}");
            assert!(ALSO[..i].iter().all(|(n, ..)| n != name), "{name} twice");
            assert!(!rules.is_empty(), "{name}");
        }
    }
}
