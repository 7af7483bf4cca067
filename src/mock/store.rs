//! The reference mock's state: definitions and their instances, and the update rules.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use super::Deviation;
use crate::query::{echo_form, normalize_query};

/// The `@odata.type` a reviewer entry may carry.
const REVIEWER_SCOPE_TYPE: &str = "#microsoft.graph.accessReviewReviewerScope";

/// The properties of an accessReviewInstance; anything else in an update body is rejected.
const INSTANCE_PROPERTIES: [&str; 8] = [
    "id",
    "startDateTime",
    "endDateTime",
    "status",
    "scope",
    "reviewers",
    "fallbackReviewers",
    "errors",
];

/// Why the mock refuses a request; rendered as a Graph error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status code.
    pub status: u16,
    /// Graph error code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

impl Refusal {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
}

/// One definition and its instances, in creation order.
#[derive(Debug, Clone)]
struct DefinitionRecord {
    definition: Map<String, Value>,
    instances: Vec<Map<String, Value>>,
}

/// All fixtures the mock holds.
#[derive(Debug, Default)]
pub struct Store {
    definitions: HashMap<String, DefinitionRecord>,
}

/// Formats a time as Graph does (RFC 3339, UTC, milliseconds).
pub(crate) fn graph_time(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

fn default_scope() -> Value {
    json!({
        "@odata.type": "#microsoft.graph.accessReviewQueryScope",
        "query": "/groups/825f1b5e-6fb2-4d9a-b393-d491101acc0c/transitiveMembers",
        "queryType": "MicrosoftGraph",
        "queryRoot": null
    })
}

/// The stored (echoed) form of one reviewer scope: version-prefixed query, explicit
/// `queryRoot`, no `@odata.type`.
fn stored_reviewer(entry: &Value) -> Value {
    let mut out = entry.as_object().cloned().unwrap_or_default();
    out.remove("@odata.type");
    if let Some(Value::String(q)) = out.get("query") {
        let echoed = echo_form(q);
        out.insert("query".into(), Value::String(echoed));
    }
    out.entry("queryRoot").or_insert(Value::Null);
    Value::Object(out)
}

fn stored_reviewers(list: &Value) -> Value {
    match list {
        Value::Array(items) => Value::Array(items.iter().map(stored_reviewer).collect()),
        other => other.clone(),
    }
}

/// Checks that a `reviewers`/`fallbackReviewers` value is a list of reviewer scopes.
fn validate_reviewers(name: &str, value: &Value) -> Result<(), Refusal> {
    let bad = |message: String| Refusal::new(400, "BadRequest", message);
    let items = value.as_array().ok_or_else(|| {
        bad(format!(
            "{name} must be a collection of accessReviewReviewerScope"
        ))
    })?;
    for (i, item) in items.iter().enumerate() {
        let obj = item.as_object().ok_or_else(|| {
            bad(format!(
                "{name}[{i}] must be an accessReviewReviewerScope object"
            ))
        })?;
        match obj.get("query") {
            Some(Value::String(q)) if !q.trim().is_empty() => {}
            _ => {
                return Err(bad(format!(
                    "{name}[{i}].query : The query field is required."
                )));
            }
        }
        for key in ["queryType", "queryRoot"] {
            if !matches!(
                obj.get(key),
                None | Some(Value::Null) | Some(Value::String(_))
            ) {
                return Err(bad(format!("{name}[{i}].{key} must be a string")));
            }
        }
        if let Some(t) = obj.get("@odata.type") {
            let ok = t
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(REVIEWER_SCOPE_TYPE));
            if !ok {
                return Err(bad(format!(
                    "{name}[{i}] has @odata.type {t}; expected {REVIEWER_SCOPE_TYPE}"
                )));
            }
        }
    }
    Ok(())
}

/// The identity of a reviewer scope: its normalised query and query root.
fn reviewer_key(entry: &Value) -> (String, String) {
    let query = entry.get("query").and_then(Value::as_str).unwrap_or("");
    let root = entry.get("queryRoot").and_then(Value::as_str).unwrap_or("");
    (normalize_query(query), root.to_ascii_lowercase())
}

/// The query of the first entry of `existing` that `new` lacks (when `new` is present).
fn first_removed(existing: Option<&Value>, new: Option<&Value>) -> Option<String> {
    let new = new?;
    let new_keys: Vec<_> = new
        .as_array()
        .into_iter()
        .flatten()
        .map(reviewer_key)
        .collect();
    existing
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|e| !new_keys.contains(&reviewer_key(e)))
        .map(|e| {
            e.get("query")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string()
        })
}

fn carries_odata_type(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("@odata.type") || m.values().any(carries_odata_type),
        Value::Array(items) => items.iter().any(carries_odata_type),
        _ => false,
    }
}

/// Applies an update body to a stored instance: the rules of the API page.
///
/// Returns the new instance; the caller stores it. The order of checks: body shape, unknown
/// properties, scope present, reviewer lists well-formed, status `InProgress`, no fallback
/// reviewer removed.
pub fn apply_update(
    instance: &Map<String, Value>,
    body: &Value,
    deviation: Option<Deviation>,
) -> Result<Map<String, Value>, Refusal> {
    let body = body.as_object().ok_or_else(|| {
        Refusal::new(400, "BadRequest", "The request body must be a JSON object.")
    })?;
    if let Some(key) = body
        .keys()
        .find(|k| !k.starts_with('@') && !INSTANCE_PROPERTIES.contains(&k.as_str()))
    {
        return Err(Refusal::new(
            400,
            "BadRequest",
            format!("Invalid property '{key}': accessReviewInstance has no such property."),
        ));
    }
    let scope_ok = matches!(body.get("scope"), Some(Value::Object(_)));
    if !scope_ok && deviation != Some(Deviation::AcceptMissingScope) {
        return Err(Refusal::new(
            400,
            "BadRequest",
            "scope : The scope field is required.",
        ));
    }
    for name in ["reviewers", "fallbackReviewers"] {
        if let Some(v) = body.get(name) {
            validate_reviewers(name, v)?;
        }
    }
    if deviation == Some(Deviation::RejectODataType)
        && carries_odata_type(&Value::Object(body.clone()))
    {
        return Err(Refusal::new(
            400,
            "BadRequest",
            "@odata.type is not allowed here.",
        ));
    }
    if deviation == Some(Deviation::RejectMembershipsScope)
        && body
            .get("scope")
            .and_then(|s| s.get("@odata.type"))
            .and_then(Value::as_str)
            .is_some_and(|t| t.ends_with("principalResourceMembershipsScope"))
    {
        return Err(Refusal::new(
            400,
            "BadRequest",
            "This scope type is not supported.",
        ));
    }
    let status = instance.get("status").and_then(Value::as_str).unwrap_or("");
    if status != "InProgress" && deviation != Some(Deviation::UpdateAnyStatus) {
        return Err(Refusal::new(
            409,
            "Conflict",
            format!(
                "The access review instance is {status}; only an InProgress instance can be updated."
            ),
        ));
    }
    if deviation == Some(Deviation::ReviewersAddOnly)
        && let Some(missing) = first_removed(instance.get("reviewers"), body.get("reviewers"))
    {
        return Err(Refusal::new(
            409,
            "Conflict",
            format!("Existing reviewers cannot be removed: {missing} is missing."),
        ));
    }
    if deviation == Some(Deviation::RejectFallbackAdditions)
        && first_removed(
            body.get("fallbackReviewers"),
            instance.get("fallbackReviewers"),
        )
        .is_some()
    {
        return Err(Refusal::new(
            409,
            "Conflict",
            "Fallback reviewers cannot be changed.",
        ));
    }
    if deviation != Some(Deviation::AcceptFallbackRemoval)
        && let Some(missing) = first_removed(
            instance.get("fallbackReviewers"),
            body.get("fallbackReviewers"),
        )
    {
        let status = if deviation == Some(Deviation::RemovalWrongStatus) {
            400
        } else {
            409
        };
        return Err(Refusal::new(
            status,
            "Conflict",
            format!(
                "Existing fallback reviewers cannot be removed: {missing} is missing from the request."
            ),
        ));
    }
    let mut updated = instance.clone();
    for name in ["reviewers", "fallbackReviewers"] {
        if let Some(v) = body.get(name) {
            updated.insert(name.into(), stored_reviewers(v));
        }
    }
    if deviation == Some(Deviation::ApplyBodyScope)
        && let Some(scope) = body.get("scope")
    {
        updated.insert("scope".into(), scope.clone());
    }
    if deviation == Some(Deviation::ApplyReadOnlyProperties) {
        for k in ["status", "startDateTime", "endDateTime", "errors"] {
            if let Some(v) = body.get(k) {
                updated.insert(k.into(), v.clone());
            }
        }
    }
    if deviation == Some(Deviation::OmittedListsCleared) {
        for k in ["reviewers", "fallbackReviewers"] {
            if !body.contains_key(k) {
                updated.insert(k.into(), Value::Array(Vec::new()));
            }
        }
    }
    Ok(updated)
}

impl Store {
    /// Seeds one definition and its instances (fixture control protocol). Ids are generated
    /// where missing; a given id that already exists is refused with 409.
    pub fn seed(&mut self, body: &Value) -> Result<(String, Vec<String>), Refusal> {
        let bad = |m: &str| Refusal::new(400, "BadRequest", m);
        let body = body
            .as_object()
            .ok_or_else(|| bad("fixture body must be an object"))?;
        let mut definition = match body.get("definition") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(d)) => d.clone(),
            Some(_) => return Err(bad("`definition` must be an object")),
        };
        let instances = match body.get("instances") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list.clone(),
            Some(_) => return Err(bad("`instances` must be an array")),
        };
        let def_id = take_id(&mut definition)?;
        if self.definitions.contains_key(&def_id) {
            return Err(Refusal::new(
                409,
                "Conflict",
                format!("definition {def_id} exists"),
            ));
        }
        let now = SystemTime::now();
        let defaults = [
            ("displayName", json!("Conformance fixture")),
            (
                "descriptionForAdmins",
                json!("Seeded by accessreview-conformance"),
            ),
            (
                "descriptionForReviewers",
                json!("Seeded by accessreview-conformance"),
            ),
            ("status", json!("InProgress")),
            ("scope", default_scope()),
            ("reviewers", json!([])),
            ("fallbackReviewers", json!([])),
            ("createdDateTime", json!(graph_time(now))),
            ("lastModifiedDateTime", json!(graph_time(now))),
        ];
        for (k, v) in defaults {
            definition.entry(k).or_insert(v);
        }
        for k in ["reviewers", "fallbackReviewers"] {
            let v = stored_reviewers(&definition[k]);
            definition.insert(k.into(), v);
        }
        definition.insert("id".into(), Value::String(def_id.clone()));
        let mut records = Vec::new();
        let mut ids = Vec::new();
        for item in instances {
            let mut inst = item
                .as_object()
                .cloned()
                .ok_or_else(|| bad("each instance must be an object"))?;
            if !matches!(inst.get("status"), Some(Value::String(_))) {
                return Err(bad("each instance needs a string `status`"));
            }
            let id = take_id(&mut inst)?;
            if ids.contains(&id) || self.instance_exists(&id) {
                return Err(Refusal::new(
                    409,
                    "Conflict",
                    format!("instance {id} exists"),
                ));
            }
            let start = now - Duration::from_secs(86_400);
            let end = now + Duration::from_secs(14 * 86_400);
            inst.entry("startDateTime")
                .or_insert(json!(graph_time(start)));
            inst.entry("endDateTime").or_insert(json!(graph_time(end)));
            for k in ["scope", "reviewers", "fallbackReviewers"] {
                let inherited = definition[k].clone();
                inst.entry(k).or_insert(inherited);
            }
            for k in ["reviewers", "fallbackReviewers"] {
                let v = stored_reviewers(&inst[k]);
                inst.insert(k.into(), v);
            }
            inst.insert("id".into(), Value::String(id.clone()));
            ids.push(id);
            records.push(inst);
        }
        self.definitions.insert(
            def_id.clone(),
            DefinitionRecord {
                definition,
                instances: records,
            },
        );
        Ok((def_id, ids))
    }

    fn instance_exists(&self, id: &str) -> bool {
        self.definitions
            .values()
            .any(|d| d.instances.iter().any(|i| i["id"] == id))
    }

    /// How many definitions are seeded.
    pub fn len(&self) -> usize {
        self.definitions.len()
    }

    /// True when nothing is seeded.
    pub fn is_empty(&self) -> bool {
        self.definitions.is_empty()
    }

    /// Removes a seeded definition with its instances; false when unknown.
    pub fn delete(&mut self, definition_id: &str) -> bool {
        self.definitions.remove(definition_id).is_some()
    }

    /// The definition, if it exists.
    pub fn definition(&self, definition_id: &str) -> Option<&Map<String, Value>> {
        self.definitions.get(definition_id).map(|d| &d.definition)
    }

    /// The definition's instances, if the definition exists.
    pub fn instances(&self, definition_id: &str) -> Option<&[Map<String, Value>]> {
        self.definitions
            .get(definition_id)
            .map(|d| d.instances.as_slice())
    }

    /// One instance of one definition.
    pub fn instance(
        &self,
        definition_id: &str,
        instance_id: &str,
    ) -> Result<&Map<String, Value>, Refusal> {
        let record = self
            .definitions
            .get(definition_id)
            .ok_or_else(|| not_found("accessReviewScheduleDefinition", definition_id))?;
        record
            .instances
            .iter()
            .find(|i| i["id"] == instance_id)
            .ok_or_else(|| not_found("accessReviewInstance", instance_id))
    }

    /// The definition an instance is served under: `definition` itself, or (with
    /// `any_definition`, a deviation) whichever definition holds the instance.
    pub fn locate(
        &self,
        definition_id: &str,
        instance_id: &str,
        any_definition: bool,
    ) -> Result<String, Refusal> {
        match self.instance(definition_id, instance_id) {
            Ok(_) => Ok(definition_id.to_string()),
            Err(e) if any_definition => self
                .definitions
                .iter()
                .find(|(_, d)| d.instances.iter().any(|i| i["id"] == instance_id))
                .map(|(id, _)| id.clone())
                .ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// Replaces a stored instance (matched by its `id`).
    pub fn put_instance(&mut self, definition_id: &str, instance: Map<String, Value>) {
        if let Some(record) = self.definitions.get_mut(definition_id)
            && let Some(slot) = record
                .instances
                .iter_mut()
                .find(|i| i["id"] == instance["id"])
        {
            *slot = instance;
        }
    }

    /// Runs an update under the store's lock: read, apply the rules, write. Returns the
    /// instance to answer with.
    pub fn update(
        &mut self,
        definition_id: &str,
        instance_id: &str,
        body: &Value,
        deviation: Option<Deviation>,
    ) -> Result<Map<String, Value>, Refusal> {
        let current = self.instance(definition_id, instance_id)?.clone();
        let updated = match apply_update(&current, body, deviation) {
            Ok(u) => u,
            Err(refusal) => {
                if deviation == Some(Deviation::PartialWriteOnRefusal)
                    && let Some(reviewers) = body.get("reviewers")
                {
                    let mut partial = current.clone();
                    partial.insert("reviewers".into(), stored_reviewers(reviewers));
                    self.put_instance(definition_id, partial);
                }
                return Err(refusal);
            }
        };
        let record = self
            .definitions
            .get_mut(definition_id)
            .expect("instance() found the definition");
        let changed = ["reviewers", "fallbackReviewers"];
        if deviation == Some(Deviation::WriteParentDefinition) {
            for k in changed {
                if let Some(v) = updated.get(k) {
                    record.definition.insert(k.into(), v.clone());
                }
            }
        }
        if deviation == Some(Deviation::WriteSiblingInstances) {
            for sibling in record
                .instances
                .iter_mut()
                .filter(|i| i["id"] != instance_id)
            {
                for k in changed {
                    if let Some(v) = updated.get(k) {
                        sibling.insert(k.into(), v.clone());
                    }
                }
            }
        }
        if deviation != Some(Deviation::NotPersisted) {
            self.put_instance(definition_id, updated.clone());
        }
        if deviation == Some(Deviation::StaleBody) {
            return Ok(current);
        }
        Ok(updated)
    }
}

fn not_found(kind: &str, id: &str) -> Refusal {
    Refusal::new(
        404,
        "ResourceNotFound",
        format!("{kind} with id '{id}' was not found."),
    )
}

fn take_id(obj: &mut Map<String, Value>) -> Result<String, Refusal> {
    match obj.remove("id") {
        None | Some(Value::Null) => Ok(uuid::Uuid::new_v4().to_string()),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(Refusal::new(
            400,
            "BadRequest",
            "`id` must be a non-empty string",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn instance(status: &str) -> Map<String, Value> {
        json!({
            "id": "i1",
            "status": status,
            "scope": default_scope(),
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
    #[case::keeps_and_adds(body(json!([{"query": "/users/b"}, {"query": "/users/c"}])), None)]
    #[case::removes(body(json!([{"query": "/users/c"}])), Some(409))]
    #[case::empties(body(json!([])), Some(409))]
    #[case::no_scope(json!({"reviewers": []}), Some(400))]
    #[case::not_object(json!([1]), Some(400))]
    #[case::unknown_property(json!({"scope": {}, "displayName": "x"}), Some(400))]
    #[case::reviewer_without_query(json!({"scope": {}, "reviewers": [{"queryType": "MicrosoftGraph"}]}), Some(400))]
    #[case::reviewer_wrong_type(json!({"scope": {}, "reviewers": [{"@odata.type": "#microsoft.graph.user", "query": "/users/a"}]}), Some(400))]
    #[case::reviewer_sdk_type(json!({"scope": {}, "reviewers": [{"@odata.type": "#microsoft.graph.accessReviewReviewerScope", "query": "/users/a"}]}), None)]
    fn update_rules(#[case] body: Value, #[case] refused: Option<u16>) {
        let result = apply_update(&instance("InProgress"), &body, None);
        assert_eq!(
            result.as_ref().err().map(|r| r.status),
            refused,
            "{result:?}"
        );
    }

    #[rstest]
    #[case("Completed")]
    #[case("NotStarted")]
    #[case("Applied")]
    fn non_in_progress_is_refused(#[case] status: &str) {
        let err = apply_update(
            &instance(status),
            &body(json!([{"query": "/users/b"}])),
            None,
        )
        .unwrap_err();
        assert_eq!(err.status, 409);
        let ok = apply_update(
            &instance(status),
            &body(json!([{"query": "/users/b"}])),
            Some(Deviation::UpdateAnyStatus),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn scope_is_never_changed_and_reviewers_are_echoed() {
        let b = json!({"scope": {"query": "/other"}, "reviewers": [{"@odata.type": REVIEWER_SCOPE_TYPE, "query": "/users/z", "queryType": "MicrosoftGraph"}]});
        let out = apply_update(&instance("InProgress"), &b, None).unwrap();
        assert_eq!(out["scope"], default_scope());
        assert_eq!(
            out["reviewers"],
            json!([{"query": "/v1.0/users/z", "queryType": "MicrosoftGraph", "queryRoot": null}])
        );
        let out =
            apply_update(&instance("InProgress"), &b, Some(Deviation::ApplyBodyScope)).unwrap();
        assert_eq!(out["scope"], json!({"query": "/other"}));
    }

    #[test]
    fn seed_assigns_ids_and_inherits_from_definition() {
        let mut store = Store::default();
        let (d, ids) = store
            .seed(&json!({"definition": {"fallbackReviewers": [{"query": "/users/f"}]}, "instances": [{"status": "InProgress"}, {"status": "Completed"}]}))
            .unwrap();
        assert_eq!(ids.len(), 2);
        let inst = store.instance(&d, &ids[1]).unwrap();
        assert_eq!(inst["status"], "Completed");
        assert_eq!(inst["fallbackReviewers"][0]["query"], "/v1.0/users/f");
        assert!(store.instance(&d, "nope").is_err());
        assert!(store.seed(&json!({"instances": [{}]})).is_err());
        assert!(store.delete(&d));
        assert!(!store.delete(&d));
    }

    #[test]
    fn write_parent_definition_deviation_touches_the_definition() {
        let mut store = Store::default();
        let (d, ids) = store
            .seed(&json!({"instances": [{"status": "InProgress"}]}))
            .unwrap();
        let b = json!({"scope": {}, "reviewers": [{"query": "/users/r"}]});
        store.update(&d, &ids[0], &b, None).unwrap();
        assert_eq!(store.definition(&d).unwrap()["reviewers"], json!([]));
        store
            .update(&d, &ids[0], &b, Some(Deviation::WriteParentDefinition))
            .unwrap();
        assert_ne!(store.definition(&d).unwrap()["reviewers"], json!([]));
    }
}
