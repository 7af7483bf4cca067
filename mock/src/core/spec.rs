//! The faithful core: the rules of *Update accessReviewInstance* as pure functions over the
//! stored state. Nothing here knows about HTTP or about deviations; read top to bottom, it
//! says what the API page says.
//!
//! An update is checked in this order: the body is a well-formed instance update, it carries
//! `scope`, the instance is `InProgress`, no existing fallback reviewer is dropped. Only then
//! are `reviewers` and `fallbackReviewers` replaced; everything else (scope included) stays.

use serde_json::{Map, Value};

use crate::core::query::{echo_form, identity};
use crate::core::refusal::{Refusal, Why};

/// A stored object (definition or instance): its JSON properties.
pub(crate) type Object = Map<String, Value>;

/// The `@odata.type` a reviewer entry may carry.
pub(crate) const REVIEWER_SCOPE_TYPE: &str = "#microsoft.graph.accessReviewReviewerScope";

/// The properties of an accessReviewInstance; anything else in an update body is refused.
pub(crate) const INSTANCE_PROPERTIES: [&str; 8] = [
    "id",
    "startDateTime",
    "endDateTime",
    "status",
    "scope",
    "reviewers",
    "fallbackReviewers",
    "errors",
];

/// The only properties an update changes.
pub(crate) const UPDATABLE: [&str; 2] = ["reviewers", "fallbackReviewers"];

/// The status an instance must have to be updated.
pub(crate) const UPDATABLE_STATUS: &str = "InProgress";

/// Applies an update body to a stored instance; returns the instance to store and answer with.
pub(crate) fn update(current: &Object, body: &Value) -> Result<Object, Refusal> {
    let body = well_formed(body)?;
    require_scope(body)?;
    require_in_progress(current)?;
    keep_fallback_reviewers(current, body)?;
    Ok(apply(current, body))
}

/// The body is an object of instance properties whose reviewer lists are lists of reviewer
/// scopes (each with a non-empty `query`).
pub(crate) fn well_formed(body: &Value) -> Result<&Object, Refusal> {
    let invalid = |m: String| Refusal::new(Why::InvalidBody, m);
    let body = body
        .as_object()
        .ok_or_else(|| invalid("The request body must be a JSON object.".into()))?;
    if let Some(key) = body
        .keys()
        .find(|k| !k.starts_with('@') && !INSTANCE_PROPERTIES.contains(&k.as_str()))
    {
        return Err(invalid(format!(
            "Invalid property '{key}': accessReviewInstance has no such property."
        )));
    }
    for name in UPDATABLE {
        if let Some(v) = body.get(name) {
            reviewer_list(name, v)?;
        }
    }
    Ok(body)
}

/// `reviewers` / `fallbackReviewers`: a list of accessReviewReviewerScope objects.
fn reviewer_list(name: &str, value: &Value) -> Result<(), Refusal> {
    let invalid = |m: String| Refusal::new(Why::InvalidBody, m);
    let items = value.as_array().ok_or_else(|| {
        invalid(format!(
            "{name} must be a collection of accessReviewReviewerScope"
        ))
    })?;
    for (i, item) in items.iter().enumerate() {
        let obj = item.as_object().ok_or_else(|| {
            invalid(format!(
                "{name}[{i}] must be an accessReviewReviewerScope object"
            ))
        })?;
        if !matches!(obj.get("query"), Some(Value::String(q)) if !q.trim().is_empty()) {
            return Err(invalid(format!(
                "{name}[{i}].query : The query field is required."
            )));
        }
        for key in ["queryType", "queryRoot"] {
            if !matches!(obj.get(key), None | Some(Value::Null | Value::String(_))) {
                return Err(invalid(format!("{name}[{i}].{key} must be a string")));
            }
        }
        if let Some(t) = obj.get("@odata.type") {
            let ok = t
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(REVIEWER_SCOPE_TYPE));
            if !ok {
                return Err(invalid(format!(
                    "{name}[{i}] has @odata.type {t}; expected {REVIEWER_SCOPE_TYPE}"
                )));
            }
        }
    }
    Ok(())
}

/// "scope is required" (it is then ignored: scope is never updated).
pub(crate) fn require_scope(body: &Object) -> Result<(), Refusal> {
    match body.get("scope") {
        Some(Value::Object(_)) => Ok(()),
        _ => Err(Refusal::new(
            Why::MissingScope,
            "scope : The scope field is required.",
        )),
    }
}

/// "Only an instance whose status is InProgress can be updated."
pub(crate) fn require_in_progress(current: &Object) -> Result<(), Refusal> {
    let status = current.get("status").and_then(Value::as_str).unwrap_or("");
    if status == UPDATABLE_STATUS {
        return Ok(());
    }
    Err(Refusal::new(
        Why::NotInProgress,
        format!(
            "The access review instance is {status}; only an InProgress instance can be updated."
        ),
    ))
}

/// "Removing any existing fallback reviewer returns 409 Conflict" (when the body carries the
/// list at all: an omitted list is kept as it is).
pub(crate) fn keep_fallback_reviewers(current: &Object, body: &Object) -> Result<(), Refusal> {
    match first_missing(
        current.get("fallbackReviewers"),
        body.get("fallbackReviewers"),
    ) {
        None => Ok(()),
        Some(missing) => Err(Refusal::new(
            Why::FallbackReviewerRemoved,
            format!(
                "Existing fallback reviewers cannot be removed: {missing} is missing from the request."
            ),
        )),
    }
}

/// The updated instance: the body's reviewer lists (in stored form) over the current one.
pub(crate) fn apply(current: &Object, body: &Object) -> Object {
    let mut updated = current.clone();
    for name in UPDATABLE {
        if let Some(v) = body.get(name) {
            updated.insert(name.into(), stored_reviewers(v));
        }
    }
    updated
}

/// The stored (echoed) form of a reviewer list: version-prefixed queries, explicit
/// `queryRoot`, no `@odata.type`.
pub(crate) fn stored_reviewers(list: &Value) -> Value {
    let stored = |entry: &Value| {
        let mut out = entry.as_object().cloned().unwrap_or_default();
        out.remove("@odata.type");
        if let Some(Value::String(q)) = out.get("query") {
            let echoed = echo_form(q);
            out.insert("query".into(), Value::String(echoed));
        }
        out.entry("queryRoot").or_insert(Value::Null);
        Value::Object(out)
    };
    match list {
        Value::Array(items) => Value::Array(items.iter().map(stored).collect()),
        other => other.clone(),
    }
}

/// What identifies a reviewer scope: its query (compared as Graph compares queries, see
/// [`identity`]), its `queryType` and its `queryRoot` (both ignoring letter case; absent,
/// `null` and `""` are the same: an empty string names no type or root). Keeping the query but
/// changing its type or root names another reviewer, so it removes the original. A `queryType`
/// or `queryRoot` that is neither a string nor null never gets here: [`well_formed`] refuses
/// the body with 400.
pub(crate) fn reviewer_identity(entry: &Value) -> (String, String, String) {
    let text = |k: &str| entry.get(k).and_then(Value::as_str).unwrap_or("");
    (
        identity(text("query")),
        text("queryType").to_lowercase(),
        text("queryRoot").to_lowercase(),
    )
}

/// The query of the first entry of `existing` that `new` lacks (`None` when `new` is absent).
pub(crate) fn first_missing(existing: Option<&Value>, new: Option<&Value>) -> Option<String> {
    let new: Vec<_> = new?
        .as_array()
        .into_iter()
        .flatten()
        .map(reviewer_identity)
        .collect();
    existing
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| !new.contains(&reviewer_identity(e)))
        .map(|e| {
            e.get("query")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    pub(crate) fn scope() -> Value {
        json!({"@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/groups/g/transitiveMembers", "queryType": "MicrosoftGraph", "queryRoot": null})
    }

    fn instance(status: &str) -> Object {
        json!({
            "id": "i1",
            "status": status,
            "scope": scope(),
            "reviewers": [{"query": "/v1.0/users/a", "queryType": "MicrosoftGraph", "queryRoot": null}],
            "fallbackReviewers": [{"query": "/v1.0/users/b", "queryType": "MicrosoftGraph", "queryRoot": null}]
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    fn body(fallbacks: Value) -> Value {
        json!({"scope": {"query": "/x", "queryType": "MicrosoftGraph"}, "fallbackReviewers": fallbacks})
    }

    #[rstest]
    #[case::keeps_and_adds(body(json!([{"query": "/users/b", "queryType": "MicrosoftGraph"}, {"query": "/users/c"}])), None)]
    #[case::keeps_query_changes_type(body(json!([{"query": "/users/b"}, {"query": "/users/c"}])), Some(Why::FallbackReviewerRemoved))]
    #[case::removes(body(json!([{"query": "/users/c"}])), Some(Why::FallbackReviewerRemoved))]
    #[case::empties(body(json!([])), Some(Why::FallbackReviewerRemoved))]
    #[case::no_scope(json!({"reviewers": []}), Some(Why::MissingScope))]
    #[case::not_object(json!([1]), Some(Why::InvalidBody))]
    #[case::unknown_property(json!({"scope": {}, "displayName": "x"}), Some(Why::InvalidBody))]
    #[case::reviewer_without_query(json!({"scope": {}, "reviewers": [{"queryType": "MicrosoftGraph"}]}), Some(Why::InvalidBody))]
    #[case::reviewer_wrong_type(json!({"scope": {}, "reviewers": [{"@odata.type": "#microsoft.graph.user", "query": "/users/a"}]}), Some(Why::InvalidBody))]
    #[case::reviewer_sdk_type(json!({"scope": {}, "reviewers": [{"@odata.type": "#microsoft.graph.accessReviewReviewerScope", "query": "/users/a"}]}), None)]
    #[case::type_empty_is_null(body(json!([{"query": "/users/b", "queryType": "MicrosoftGraph", "queryRoot": ""}])), None)]
    #[case::root_wrong_type(body(json!([{"query": "/users/b", "queryType": "MicrosoftGraph", "queryRoot": 5}])), Some(Why::InvalidBody))]
    #[case::type_wrong_type(body(json!([{"query": "/users/b", "queryType": ["MicrosoftGraph"]}])), Some(Why::InvalidBody))]
    #[case::unicode_query(json!({"scope": {}, "fallbackReviewers": [{"query": "日本語"}, {"query": "/users/b", "queryType": "MicrosoftGraph"}]}), None)]
    fn update_rules(#[case] body: Value, #[case] refused: Option<Why>) {
        let result = update(&instance("InProgress"), &body);
        assert_eq!(result.as_ref().err().map(|r| r.why), refused, "{result:?}");
    }

    #[rstest]
    #[case("Completed")]
    #[case("NotStarted")]
    #[case("Applied")]
    fn only_in_progress_is_updated(#[case] status: &str) {
        let err = update(&instance(status), &body(json!([{"query": "/users/b"}]))).unwrap_err();
        assert_eq!((err.why, err.status), (Why::NotInProgress, 409));
    }

    #[test]
    fn scope_is_never_changed_and_reviewers_are_echoed() {
        let b = json!({"scope": {"query": "/other"}, "reviewers": [{"@odata.type": REVIEWER_SCOPE_TYPE, "query": "/users/z", "queryType": "MicrosoftGraph"}]});
        let out = update(&instance("InProgress"), &b).unwrap();
        assert_eq!(out["scope"], scope());
        assert_eq!(
            out["reviewers"],
            json!([{"query": "/v1.0/users/z", "queryType": "MicrosoftGraph", "queryRoot": null}])
        );
        assert_eq!(
            out["fallbackReviewers"],
            instance("InProgress")["fallbackReviewers"]
        );
    }
}
