//! The queries a definition may carry, as the service checks them when a definition is
//! created: a scope's query must be one of the documented forms ("Query … is not supported.
//! Please pass in one of the following queries : /users/{userId}, /groups/{groupId}/owners,
//! /groups/{groupId}/transitiveMembers, …", microsoft-graph-docs#19810), and the groups a
//! review runs over (`instanceEnumerationScope`) one group or all Microsoft 365 groups, as the
//! scope guide shows them. A filter listing chosen groups by id is not documented; a tenant
//! that takes it is a [`Lifecycle`](crate::tenant::lifecycle::Lifecycle) option.

use serde_json::Value;

use crate::core::refusal::{Refusal, Why};

/// The documented scope queries (`{id}`: one path segment or quoted value).
const SCOPE_FORMS: &[&str] = &[
    "/users/{id}",
    "/groups/{id}/owners",
    "/groups/{id}/transitiveMembers",
    "/groups/{id}/transitiveMembers/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')",
    "/roleManagement/directory/roleAssignmentAndEligbilitySchedules?$filter=roleDefinitionId eq '{id}'",
    "/roleManagement/directory/roleAssignmentScheduleInstances?$expand=principal&$filter=(isof(principal,'microsoft.graph.user') and roleDefinitionId eq '{id}')",
    "/servicePrincipals/{id}/appRoleAssignedTo",
    "/identityGovernance/entitlementManagement/accessPackageAssignments?$filter=(accessPackageId eq '{id}' and assignmentPolicyId eq '{id}')",
];

/// The documented scope queries relative to each group of an `instanceEnumerationScope`.
const RELATIVE_FORMS: &[&str] = &[
    "./members",
    "./transitiveMembers",
    "./owners",
    "./members/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')",
];

/// The documented `instanceEnumerationScope` queries: one group, all Microsoft 365 groups.
const ENUMERATION_FORMS: &[&str] = &[
    "/groups/{id}",
    "/groups?$filter=(groupTypes/any(c:c+eq+'Unified'))",
];

/// Whether `text` has the form `pattern` (letter case aside; `{id}` stands for one value
/// without `/`, `'`, `?` or spaces).
fn has_form(text: &str, pattern: &str) -> bool {
    let (text, pattern) = (text.to_ascii_lowercase(), pattern.to_ascii_lowercase());
    let mut rest = text.as_str();
    let mut pieces = pattern.split("{id}").peekable();
    let Some(first) = pieces.next() else {
        return false;
    };
    let Some(after) = rest.strip_prefix(first) else {
        return false;
    };
    rest = after;
    while let Some(literal) = pieces.next() {
        let end = rest.find(['/', '\'', '?', ' ']).unwrap_or(rest.len());
        if end == 0 {
            return false;
        }
        rest = &rest[end..];
        let Some(after) = rest.strip_prefix(literal) else {
            return false;
        };
        rest = after;
        if pieces.peek().is_none() {
            return rest.is_empty();
        }
    }
    rest.is_empty()
}

/// Without a leading `/v1.0` or `/beta`.
fn unversioned(query: &str) -> &str {
    ["/v1.0/", "/beta/"]
        .iter()
        .find_map(|v| {
            query
                .get(..v.len())
                .filter(|head| head.eq_ignore_ascii_case(v))
                .map(|_| &query[v.len() - 1..])
        })
        .unwrap_or(query)
}

/// Whether an `instanceEnumerationScope` query lists chosen groups by id
/// (`/groups?$filter=(id eq 'a' or id eq 'b')`), the form the documentation does not show.
pub(crate) fn is_group_id_filter(query: &str) -> bool {
    let Some(inner) = query
        .strip_prefix("/groups?$filter=(")
        .and_then(|q| q.strip_suffix(')'))
    else {
        return false;
    };
    inner
        .split(" or ")
        .all(|term| has_form(term, "id eq '{id}'"))
}

/// The refusal of a query that is not one of the documented forms.
fn not_supported(query: &str, forms: &[&str]) -> Refusal {
    let mut r = Refusal::new(
        Why::InvalidBody,
        format!(
            "Query {query} is not supported. Please pass in one of the following queries : {}",
            forms.join(", ")
        ),
    );
    r.code = "BadRequest";
    r
}

/// Checks a create body's scope and `instanceEnumerationScope` queries.
pub(crate) fn check(
    body: &serde_json::Map<String, Value>,
    accept_group_filter: bool,
) -> Result<(), Refusal> {
    fn query_of(v: Option<&Value>) -> Option<&str> {
        let scope = v.filter(|s| s.is_object())?;
        let typed = scope.get("@odata.type").and_then(Value::as_str);
        typed
            .is_none_or(|t| t.ends_with(".accessReviewQueryScope"))
            .then(|| scope.get("query").and_then(Value::as_str))
            .flatten()
    }
    let enumeration = query_of(body.get("instanceEnumerationScope"));
    if let Some(query) = enumeration {
        let documented = ENUMERATION_FORMS.iter().any(|f| has_form(query, f));
        let taken = documented || (accept_group_filter && is_group_id_filter(query));
        if !taken {
            return Err(not_supported(query, ENUMERATION_FORMS));
        }
    }
    if let Some(query) = query_of(body.get("scope")) {
        let relative = enumeration.is_some() && RELATIVE_FORMS.iter().any(|f| has_form(query, f));
        let absolute = SCOPE_FORMS.iter().any(|f| has_form(unversioned(query), f));
        if !relative && !absolute {
            let forms = if enumeration.is_some() {
                RELATIVE_FORMS
            } else {
                SCOPE_FORMS
            };
            return Err(not_supported(query, forms));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn body(scope: &str, enumeration: Option<&str>) -> serde_json::Map<String, Value> {
        let mut b = json!({"scope": {"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": scope, "queryType": "MicrosoftGraph"}});
        if let Some(q) = enumeration {
            b["instanceEnumerationScope"] = json!({"query": q, "queryType": "MicrosoftGraph"});
        }
        b.as_object().cloned().unwrap()
    }

    #[rstest]
    #[case::group("/groups/g-1/transitiveMembers", None, true)]
    #[case::versioned("/v1.0/groups/g-1/transitiveMembers", None, true)]
    #[case::letter_case("/Groups/g-1/TransitiveMembers", None, true)]
    #[case::guests(
        "/groups/g-1/transitiveMembers/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')",
        None,
        true
    )]
    #[case::role(
        "/roleManagement/directory/roleAssignmentAndEligbilitySchedules?$filter=roleDefinitionId eq 'r-1'",
        None,
        true
    )]
    #[case::access_package(
        "/identityGovernance/entitlementManagement/accessPackageAssignments?$filter=(accessPackageId eq 'a' and assignmentPolicyId eq 'p')",
        None,
        true
    )]
    #[case::typo_in_path(
        "/identitityGovernance/entitlementManagement/accessPackageAssignments?$filter=(accessPackageId eq 'a' and assignmentPolicyId eq 'p')",
        None,
        false
    )]
    #[case::members_of_all("/groups", None, false)]
    #[case::no_id("/groups//transitiveMembers", None, false)]
    #[case::trailing("/groups/g-1/transitiveMembers/extra", None, false)]
    #[case::relative_alone("./members", None, false)]
    #[case::all_m365(
        "./members",
        Some("/groups?$filter=(groupTypes/any(c:c+eq+'Unified'))"),
        true
    )]
    #[case::one_group("./transitiveMembers", Some("/groups/g-1"), true)]
    #[case::chosen_groups(
        "./transitiveMembers",
        Some("/groups?$filter=(id eq 'a' or id eq 'b')"),
        false
    )]
    #[case::other_enumeration("./members", Some("/groups?$filter=displayName eq 'x'"), false)]
    fn only_documented_queries_are_taken(
        #[case] scope: &str,
        #[case] enumeration: Option<&str>,
        #[case] taken: bool,
    ) {
        let got = check(&body(scope, enumeration), false);
        assert_eq!(got.is_ok(), taken, "{got:?}");
        if let Err(r) = got {
            assert!(
                r.message
                    .contains("is not supported. Please pass in one of the following queries"),
                "{}",
                r.message
            );
        }
    }

    #[test]
    fn a_tenant_may_take_chosen_groups_by_id() {
        let b = body(
            "./transitiveMembers",
            Some("/groups?$filter=(id eq 'a' or id eq 'b')"),
        );
        assert!(check(&b, true).is_ok());
        let b = body(
            "./transitiveMembers",
            Some("/groups?$filter=(id eq 'a' or name eq 'b')"),
        );
        assert!(check(&b, true).is_err());
        // Other scope types carry their queries inside; they are not checked here.
        let mut other = body("/anything", None);
        other["scope"]["@odata.type"] = json!("#microsoft.graph.principalResourceMembershipsScope");
        assert!(check(&other, false).is_ok());
    }
}
