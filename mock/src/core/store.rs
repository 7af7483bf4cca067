//! The mock's state: definitions and their instances, seeded through the fixture control
//! protocol (or the library API) and read and written by the routes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};

use crate::core::refusal::{Refusal, Why};
use crate::core::spec::{Object, stored_reviewers};

/// One definition and its instances, in creation order.
#[derive(Debug, Clone)]
pub(crate) struct DefinitionRecord {
    pub(crate) definition: Object,
    pub(crate) instances: Vec<Object>,
    /// For a definition created through the API: when its NotStarted instances turn
    /// InProgress.
    pub(crate) activates_at: Option<Instant>,
    /// For a definition created through the API: until when its instances answer 404 (the
    /// service is eventually consistent right after a create).
    pub(crate) listed_from: Option<Instant>,
}

/// Every definition the mock holds.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) definitions: HashMap<String, DefinitionRecord>,
    /// The most definitions created through the API and not yet active at one moment.
    pub(crate) max_pending: usize,
}

/// The ids given to one seeded definition and its instances (in the order sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// The definition's id.
    pub definition_id: String,
    /// The instances' ids.
    pub instance_ids: Vec<String>,
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

fn bad(message: &str) -> Refusal {
    Refusal::new(Why::InvalidBody, message)
}

fn take_id(obj: &mut Object) -> Result<String, Refusal> {
    match obj.remove("id") {
        None | Some(Value::Null) => Ok(uuid::Uuid::new_v4().to_string()),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(bad("`id` must be a non-empty string")),
    }
}

/// True when the object's `id` is `id` (`Map` indexing would panic on a missing key).
fn has_id(object: &Object, id: &str) -> bool {
    object.get("id").and_then(Value::as_str) == Some(id)
}

fn not_found(kind: &str, id: &str) -> Refusal {
    Refusal::new(
        Why::NotFound,
        format!("{kind} with id '{id}' was not found."),
    )
}

/// A seeded definition's defaults, and its reviewer lists in their stored form.
fn with_definition_defaults(definition: &mut Object, now: SystemTime) {
    let defaults = [
        ("displayName", json!("Conformance fixture")),
        ("descriptionForAdmins", json!("Seeded by a test")),
        ("descriptionForReviewers", json!("Seeded by a test")),
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
        if let Some(v) = definition.get(k).map(stored_reviewers) {
            definition.insert(k.into(), v);
        }
    }
}

/// One seeded instance with its id: dates by default, scope and reviewers inherited from the
/// definition, reviewer lists in their stored form.
fn seeded_instance(
    item: &Value,
    definition: &Object,
    now: SystemTime,
) -> Result<(String, Object), Refusal> {
    let mut inst = item
        .as_object()
        .cloned()
        .ok_or_else(|| bad("each instance must be an object"))?;
    if !matches!(inst.get("status"), Some(Value::String(_))) {
        return Err(bad("each instance needs a string `status`"));
    }
    let id = take_id(&mut inst)?;
    let start = now - Duration::from_secs(86_400);
    let end = now + Duration::from_secs(14 * 86_400);
    inst.entry("startDateTime")
        .or_insert(json!(graph_time(start)));
    inst.entry("endDateTime").or_insert(json!(graph_time(end)));
    for k in ["scope", "reviewers", "fallbackReviewers"] {
        if let Some(inherited) = definition.get(k) {
            inst.entry(k).or_insert_with(|| inherited.clone());
        }
    }
    for k in ["reviewers", "fallbackReviewers"] {
        if let Some(v) = inst.get(k).map(stored_reviewers) {
            inst.insert(k.into(), v);
        }
    }
    inst.insert("id".into(), Value::String(id.clone()));
    Ok((id, inst))
}

impl Store {
    /// Seeds one definition and its instances (`{"definition": {…}, "instances": [{…}]}`, the
    /// fixture control protocol). Ids are generated where missing; a given id that already
    /// exists is refused with 409. Instances inherit scope and reviewers from the definition.
    pub(crate) fn seed(&mut self, body: &Value) -> Result<Seeded, Refusal> {
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
                Why::Exists,
                format!("definition {def_id} exists"),
            ));
        }
        let now = SystemTime::now();
        with_definition_defaults(&mut definition, now);
        definition.insert("id".into(), Value::String(def_id.clone()));
        let mut records = Vec::new();
        let mut ids = Vec::new();
        for item in instances {
            let (id, inst) = seeded_instance(&item, &definition, now)?;
            if ids.contains(&id) || self.instance_exists(&id) {
                return Err(Refusal::new(Why::Exists, format!("instance {id} exists")));
            }
            ids.push(id);
            records.push(inst);
        }
        self.definitions.insert(
            def_id.clone(),
            DefinitionRecord {
                definition,
                instances: records,
                activates_at: None,
                listed_from: None,
            },
        );
        Ok(Seeded {
            definition_id: def_id,
            instance_ids: ids,
        })
    }

    fn instance_exists(&self, id: &str) -> bool {
        self.definitions
            .values()
            .any(|d| d.instances.iter().any(|i| has_id(i, id)))
    }

    /// How many definitions are seeded.
    pub(crate) fn len(&self) -> usize {
        self.definitions.len()
    }

    /// True when nothing is seeded.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.definitions.is_empty()
    }

    /// Removes a seeded definition with its instances; false when unknown.
    pub(crate) fn delete(&mut self, definition_id: &str) -> bool {
        self.definitions.remove(definition_id).is_some()
    }

    /// The definition, if it exists.
    pub(crate) fn definition(&self, definition_id: &str) -> Option<&Object> {
        self.definitions.get(definition_id).map(|d| &d.definition)
    }

    /// The definition, for writing.
    pub(crate) fn definition_mut(&mut self, definition_id: &str) -> Option<&mut Object> {
        self.definitions
            .get_mut(definition_id)
            .map(|d| &mut d.definition)
    }

    /// The definition's instances, if the definition exists.
    pub(crate) fn instances(&self, definition_id: &str) -> Option<&[Object]> {
        self.definitions
            .get(definition_id)
            .map(|d| d.instances.as_slice())
    }

    /// The definition's instances, for writing.
    pub(crate) fn instances_mut(
        &mut self,
        definition_id: &str,
    ) -> impl Iterator<Item = &mut Object> {
        self.definitions
            .get_mut(definition_id)
            .into_iter()
            .flat_map(|d| d.instances.iter_mut())
    }

    /// One instance of one definition (404 when either is unknown).
    pub(crate) fn instance(
        &self,
        definition_id: &str,
        instance_id: &str,
    ) -> Result<&Object, Refusal> {
        let record = self
            .definitions
            .get(definition_id)
            .ok_or_else(|| not_found("accessReviewScheduleDefinition", definition_id))?;
        record
            .instances
            .iter()
            .find(|i| has_id(i, instance_id))
            .ok_or_else(|| not_found("accessReviewInstance", instance_id))
    }

    /// The definition that holds an instance, whatever definition a path names.
    pub(crate) fn holder_of(&self, instance_id: &str) -> Option<&str> {
        self.definitions
            .iter()
            .find(|(_, d)| d.instances.iter().any(|i| has_id(i, instance_id)))
            .map(|(id, _)| id.as_str())
    }

    /// Replaces a stored instance (matched by its `id`).
    pub(crate) fn put_instance(&mut self, definition_id: &str, instance: Object) {
        let Some(id) = instance
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return;
        };
        if let Some(slot) = self.instances_mut(definition_id).find(|i| has_id(i, &id)) {
            *slot = instance;
        }
    }

    /// Turns the instances whose activation time has come `InProgress` (and their definition).
    pub(crate) fn refresh(&mut self, now: Instant) {
        for record in self.definitions.values_mut() {
            if record.activates_at.is_some_and(|at| at <= now) {
                record.activates_at = None;
                for i in &mut record.instances {
                    if i.get("status").and_then(Value::as_str) == Some("NotStarted") {
                        i.insert("status".into(), json!("InProgress"));
                    }
                }
                record
                    .definition
                    .insert("status".into(), json!("InProgress"));
            }
        }
    }

    /// Definitions created through the API whose instances are not active yet.
    pub(crate) fn pending_activations(&self) -> usize {
        self.definitions
            .values()
            .filter(|d| d.activates_at.is_some())
            .count()
    }

    /// The most definitions that were waiting for activation at one moment.
    pub(crate) fn max_pending_activations(&self) -> usize {
        self.max_pending
    }
}

/// The store's lock, with the instances whose activation time has come turned InProgress. A
/// panic while holding it cannot leave the store half-written (updates are computed first,
/// then stored), so a poisoned lock is still usable.
pub(crate) fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    let mut guard = store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard.refresh(std::time::Instant::now());
    guard
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_assigns_ids_and_inherits_from_definition() {
        let mut store = Store::default();
        let seeded = store
            .seed(&json!({"definition": {"fallbackReviewers": [{"query": "/users/f"}]}, "instances": [{"status": "InProgress"}, {"status": "Completed"}]}))
            .unwrap();
        let (d, ids) = (seeded.definition_id, seeded.instance_ids);
        assert_eq!(ids.len(), 2);
        let inst = store.instance(&d, &ids[1]).unwrap();
        assert_eq!(inst["status"], "Completed");
        assert_eq!(inst["fallbackReviewers"][0]["query"], "/v1.0/users/f");
        assert_eq!(store.instance(&d, "nope").unwrap_err().why, Why::NotFound);
        assert_eq!(store.holder_of(&ids[0]), Some(d.as_str()));
        assert!(store.seed(&json!({"instances": [{}]})).is_err());
        let again = json!({"definition": {"id": d}});
        assert_eq!(store.seed(&again).unwrap_err().why, Why::Exists);
        assert!(store.delete(&d));
        assert!(!store.delete(&d));
        assert!(store.is_empty());
    }
}
