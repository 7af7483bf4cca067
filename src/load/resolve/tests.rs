//! Tests of the parent module.
use super::*;
use crate::load::raw::decode;
use serde_json::json;

#[test]
fn properties_replace_whole_and_instances_merge_by_name() {
    let mut state: RawGiven = decode(&json!({
        "definition": {"scope": {"query": "/a", "queryType": "MicrosoftGraph"}, "displayName": "d"},
        "instances": {"instance": {"status": "InProgress", "reviewers": [1]}, "sibling": {"status": "InProgress"}}
    }))
    .unwrap();
    let over: RawGiven = decode(&json!({
        "definition": {"scope": {"principalScopes": []}},
        "instances": {"instance": {"status": "Completed"}, "third": {"status": "NotStarted"}},
        "others": {"other": {"instances": {"foreign": {"status": "InProgress"}}}}
    }))
    .unwrap();
    merge_given(&mut state, &over);
    assert_eq!(
        Value::Object(state.definition.clone().unwrap()),
        json!({"scope": {"principalScopes": []}, "displayName": "d"})
    );
    assert_eq!(
        Value::Object(state.instances["instance"].clone()),
        json!({"status": "Completed", "reviewers": [1]})
    );
    assert_eq!(
        Value::Object(state.instances["sibling"].clone()),
        json!({"status": "InProgress"})
    );
    let names: Vec<&String> = state.instances.keys().collect();
    assert_eq!(names, ["instance", "sibling", "third"]);
    assert_eq!(state.others["other"].instances.len(), 1);
}
