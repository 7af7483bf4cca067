//! Why a deviation's findings name rules besides the one it breaks. A deviation often breaks
//! a precondition of other cases (an update refused, an answer cut off): those cases then
//! fail at their first check, which names their own rules. The kill table shows every such
//! rule with the reason, and a test holds each row with other rules to having one.

use accessreview_mock::Deviation;

/// Every successful update's answer is broken.
const SUCCESS_BROKEN: &str = "every successful update's answer is broken: each success case fails at its status or body, which names that case's rules";

/// The reason a deviation's findings name other rules than the one it breaks, if it has one.
pub fn why_also(d: Deviation) -> Option<&'static str> {
    Some(match d {
        Deviation::ApplyReadOnlyProperties => {
            "the values it applies are the ones the reference ignores (read-only-values-ignored)"
        }
        Deviation::ReviewersAddOnly => {
            "the cases for siblings, the definition and future instances replace the reviewers too: refused, they fail at their status"
        }
        Deviation::RejectFallbackAdditions => {
            "most success cases add a fallback reviewer: refused, each fails at its status, which names that case's rules"
        }
        Deviation::RejectUnchangedFallbacks => {
            "scope/different-scope-ignored re-sends the existing fallback reviewers too: its reference status diverges (read-only-values-ignored)"
        }
        Deviation::AcceptFallbackRemoval | Deviation::RemovalWrongStatus => {
            "concurrent additions remove each other's reviewer (concurrent-additions-not-lost), and a reviewer kept by query under another type is a removal (fallback-reviewer-identity)"
        }
        Deviation::ApplyBodyScope => {
            "the reference 200 body shows the scope sent (read-only-values-ignored)"
        }
        Deviation::RecalculateOmittedLists => {
            "the 200 body shows the recalculated list too (response-reflects-update)"
        }
        Deviation::OmittedListsCleared => {
            "the emptied list also shows in the 200 body and in the read-back of the success cases that send one list"
        }
        Deviation::WriteSiblingInstances => {
            "the other instances include the not-started ones (future-instances-unchanged)"
        }
        Deviation::StaleBody => {
            "the old instance in the body also shows the old reviewers (response-reflects-update)"
        }
        Deviation::AuthErrors400 => {
            "refused delegated users are answered 400 too (unlisted-roles-refused)"
        }
        Deviation::NoAuthCheck => {
            "without a token check no caller is checked: the permission, role and account cases are served too"
        }
        Deviation::RefuseListedRoles => {
            "the cases of a listed role hold both rules: that user with the permission may update"
        }
        Deviation::RejectODataType => {
            "the scope in many case bodies carries @odata.type: refused, each fails at its status, which names that case's rules"
        }
        Deviation::RejectMembershipsScope => {
            "the role cases' reviews use a principalResourceMembershipsScope: refused, they fail at their status"
        }
        Deviation::NumericStatus => {
            "the status in a 200 body is also checked by the rules of each case that reads it"
        }
        Deviation::NotPersisted => {
            "every success case reads its update back, which names that case's rules"
        }
        Deviation::SuccessWithoutBody
        | Deviation::NonJsonBody
        | Deviation::TruncatedBody
        | Deviation::OversizedBody
        | Deviation::Hang
        | Deviation::RejectPut => SUCCESS_BROKEN,
        _ => return None,
    })
}
