//! The schemas accept every shape the docs and the SDK produce, and reject wrong types with
//! the instance path of the problem.

mod common;

use common::shipped;
use rstest::rstest;
use serde_json::{Value, json};

fn data(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn violations(schema: &str, instance: &Value) -> Vec<String> {
    let (schemas, _) = shipped();
    schemas
        .validate(schema, instance)
        .unwrap_or_else(|| panic!("no schema {schema}"))
        .into_iter()
        .map(|v| format!("{} {}", v.instance_path, v.message))
        .collect()
}

/// What the official SDK sends (graph-facts §9), and the mock echoes as a 200 body.
fn sdk_shaped_instance() -> Value {
    json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#identityGovernance/accessReviews/definitions('d')/instances/$entity",
        "id": "720b8ee0-cee4-42ac-b164-894c48703acc",
        "status": "InProgress",
        "scope": {
            "@odata.type": "#microsoft.graph.principalResourceMembershipsScope",
            "principalScopes": [{"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/v1.0/users", "queryType": "MicrosoftGraph"}],
            "resourceScopes": [{"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/v1.0/groups", "queryType": "MicrosoftGraph"}]
        },
        "reviewers": [{"@odata.type": "#microsoft.graph.accessReviewReviewerScope", "query": "/users/a", "queryType": "MicrosoftGraph"}],
        "fallbackReviewers": [{"@odata.type": "#microsoft.graph.accessReviewReviewerScope", "query": "/users/b", "queryType": "MicrosoftGraph"}]
    })
}

#[rstest]
#[case::doc_update_response(
    "accessReviewInstance",
    data("accessreviewinstance-update.response.json")
)]
#[case::doc_list_instances_item("accessReviewInstance", data("tutorial-accessreviews-securitygroup.list-instances.response.json")["value"][0].clone())]
#[case::sdk_shaped("accessReviewInstance", sdk_shaped_instance())]
#[case::all_null("accessReviewInstance", json!({"id": "x", "status": null, "scope": null, "reviewers": null, "fallbackReviewers": null, "errors": null, "startDateTime": null, "endDateTime": null}))]
#[case::open_status("accessReviewInstance", json!({"id": "x", "status": "Applying"}))]
#[case::inactive_users_scope("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.accessReviewInactiveUsersQueryScope", "query": "/users", "inactiveDuration": "P30D"}}))]
#[case::resource_scope("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.accessReviewAccessPackageAssignmentPolicyScope", "accessPackageId": "p", "scopeType": "accessPackageAssignmentPolicy"}}))]
#[case::future_scope_subtype("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.accessReviewFutureScope", "somethingNew": [1]}}))]
#[case::reviewer_without_query("accessReviewInstance", json!({"id": "x", "reviewers": [{"reviewerId": "a", "scopeType": "user"}]}))]
#[case::unknown_instance_properties("accessReviewInstance", json!({"id": "x", "futureProperty": {"a": 1}, "reviewers": [{"query": "/users/a", "futureReviewerProperty": true}]}))]
#[case::global_beta_reviewer("accessReviewInstance", json!({"id": "x", "reviewers": [{"query": "/users/a", "reviewerId": "a", "scopeType": "user"}], "delegatedBy": {"any": 1}}))]
#[case::derived_reviewer_type("accessReviewInstance", json!({"id": "x", "reviewers": [{"@odata.type": "#microsoft.graph.accessReviewReviewerScopeV2", "query": "/users/a"}]}))]
#[case::derived_instance_type("accessReviewInstance", json!({"id": "x", "@odata.type": "#microsoft.graph.accessReviewInstanceV2"}))]
#[case::sub_namespaced_scope_type("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.identityGovernance.reviewScope", "query": "/users"}}))]
#[case::null_for_another_subtypes_property("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/users", "principalScopes": null, "resourceScopes": null}}))]
#[case::doc_error("graphError", data("graph-error.docs-example.response.json"))]
#[case::sdk_error("graphError", data("graph-error.sdk-design-example.response.json"))]
#[case::throttling_error("graphError", data("graph-error.throttling-429.response.json"))]
#[case::observed_empty_code(
    "graphError",
    data("observed-error.accessreviews-create-definition-400.response.json")
)]
#[case::definition_ex1(
    "accessReviewScheduleDefinition",
    data("accessreviewset-post-definitions.ex1.response.json")
)]
#[case::definition_tutorial(
    "accessReviewScheduleDefinition",
    data("tutorial-accessreviews-securitygroup.create-definition.response.json")
)]
#[case::doc_request_reviewer("accessReviewReviewerScope", data("accessreviewinstance-update.request.json")["reviewers"][0].clone())]
#[case::doc_request_scope("accessReviewScope", data("accessreviewinstance-update.request.json")["scope"].clone())]
fn documented_shapes_are_accepted(#[case] schema: &str, #[case] instance: Value) {
    assert_eq!(violations(schema, &instance), Vec::<String>::new());
}

#[rstest]
#[case::status_number("accessReviewInstance", json!({"id": "x", "status": 3}), "/status")]
#[case::id_missing("accessReviewInstance", json!({"status": "InProgress"}), "")]
#[case::reviewer_query_not_a_string("accessReviewInstance", json!({"id": "x", "reviewers": [{"query": 5}]}), "/reviewers/0/query")]
#[case::fallback_not_array("accessReviewInstance", json!({"id": "x", "fallbackReviewers": {"query": "/users/a"}}), "/fallbackReviewers")]
#[case::reviewer_odata_type_not_a_graph_type("accessReviewInstance", json!({"id": "x", "reviewers": [{"@odata.type": "#contoso.reviewer", "query": "/users/a"}]}), "/reviewers/0/@odata.type")]
#[case::instance_odata_type_not_a_graph_type("accessReviewInstance", json!({"id": "x", "@odata.type": "accessReviewInstance"}), "/@odata.type")]
#[case::scope_type_not_a_graph_type("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#contoso.reviewScope"}}), "/scope/@odata.type")]
#[case::known_subtype_wrong_property_type("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": ["/users"]}}), "/scope/query")]
#[case::query_scope_with_principal_scopes("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/users", "principalScopes": []}}), "/scope/principalScopes")]
#[case::memberships_scope_wrong_shape("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.principalResourceMembershipsScope", "principalScopes": "all"}}), "/scope/principalScopes")]
#[case::nested_scope_wrong_type("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.principalResourceMembershipsScope", "principalScopes": [{"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": 5}]}}), "/scope/principalScopes/0/query")]
#[case::bad_duration("accessReviewInstance", json!({"id": "x", "scope": {"@odata.type": "#microsoft.graph.accessReviewInactiveUsersQueryScope", "inactiveDuration": "30 days"}}), "/scope/inactiveDuration")]
#[case::bad_date("accessReviewInstance", json!({"id": "x", "startDateTime": "yesterday"}), "/startDateTime")]
#[case::error_without_message("graphError", json!({"error": {"code": "x"}}), "/error")]
#[case::error_code_number("graphError", json!({"error": {"code": 409, "message": "m"}}), "/error/code")]
#[case::not_an_error("graphError", json!({"code": "x", "message": "m"}), "")]
fn wrong_instances_fail_with_their_path(
    #[case] schema: &str,
    #[case] instance: Value,
    #[case] path: &str,
) {
    let found = violations(schema, &instance);
    assert!(
        found.iter().any(|v| v.starts_with(&format!("{path} "))),
        "expected a violation at {path:?}, got {found:?}"
    );
}
