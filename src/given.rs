//! Building a case's starting state: the named state it uses, with the case's own `given`
//! merged over it.

use serde_json::{Map, Value};

use crate::case::Fixture;

/// Merges a case's inline `given` over a named state: definitions and instances merge by
/// name, and each property written in the case replaces the state's value whole.
pub fn merge_given(base: &mut Value, over: &Value) {
    fn merge_props(base: &mut Value, over: &Value) {
        if let (Some(b), Some(o)) = (base.as_object_mut(), over.as_object()) {
            for (k, v) in o {
                b.insert(k.clone(), v.clone());
            }
        } else {
            *base = over.clone();
        }
    }
    fn merge_instances(base: &mut Value, over: &Value) {
        if let (Some(b), Some(o)) = (base.as_object_mut(), over.as_object()) {
            for (name, props) in o {
                match b.get_mut(name) {
                    Some(slot) => merge_props(slot, props),
                    None => {
                        b.insert(name.clone(), props.clone());
                    }
                }
            }
        } else {
            *base = over.clone();
        }
    }
    fn merge_fixture(base: &mut Value, over: &Value) {
        let (Some(b), Some(o)) = (base.as_object_mut(), over.as_object()) else {
            *base = over.clone();
            return;
        };
        for (k, v) in o {
            let slot = b.entry(k.clone()).or_insert(Value::Object(Map::new()));
            match k.as_str() {
                "definition" => merge_props(slot, v),
                "instances" => merge_instances(slot, v),
                "others" => {
                    if let (Some(bo), Some(oo)) = (slot.as_object_mut(), v.as_object()) {
                        for (name, f) in oo {
                            let fs = bo.entry(name.clone()).or_insert(Value::Object(Map::new()));
                            merge_fixture(fs, f);
                        }
                    } else {
                        *slot = v.clone();
                    }
                }
                _ => *slot = v.clone(),
            }
        }
    }
    merge_fixture(base, over);
}

/// The object at `v`, or an empty one.
pub fn object(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object).cloned().unwrap_or_default()
}

/// One fixture (definition and instances) from its merged `given` JSON.
pub fn fixture(name: &str, v: &Value) -> Fixture {
    Fixture {
        name: name.to_string(),
        definition: object(v.get("definition")),
        instances: object(v.get("instances"))
            .into_iter()
            .map(|(n, i)| (n, i.as_object().cloned().unwrap_or_default()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn properties_replace_whole_and_instances_merge_by_name() {
        let mut state = json!({
            "definition": {"scope": {"query": "/a", "queryType": "MicrosoftGraph"}, "displayName": "d"},
            "instances": {"instance": {"status": "InProgress", "reviewers": [1]}, "sibling": {"status": "InProgress"}}
        });
        merge_given(
            &mut state,
            &json!({
                "definition": {"scope": {"principalScopes": []}},
                "instances": {"instance": {"status": "Completed"}, "third": {"status": "NotStarted"}},
                "others": {"other": {"instances": {"foreign": {"status": "InProgress"}}}}
            }),
        );
        assert_eq!(
            state["definition"],
            json!({"scope": {"principalScopes": []}, "displayName": "d"})
        );
        assert_eq!(
            state["instances"]["instance"],
            json!({"status": "Completed", "reviewers": [1]})
        );
        assert_eq!(
            state["instances"]["sibling"],
            json!({"status": "InProgress"})
        );
        assert_eq!(state["instances"]["third"], json!({"status": "NotStarted"}));
        let f = fixture("other", &state["others"]["other"]);
        assert_eq!(f.instances.len(), 1);
        assert_eq!(f.instances[0].0, "foreign");
    }
}
