//! The definition lifecycle a real tenant goes through, so that a suite's live-tenant
//! provisioning is tested locally: a definition is created (validated as the service does),
//! its instances appear `NotStarted` and turn `InProgress` after the activation delay, an
//! instance can be stopped (`Completed`), and the definition deleted.
//!
//! Instances: a review whose `instanceEnumerationScope` lists several groups
//! (`/groups?$filter=(id eq 'a' or id eq 'b')`, taken only with
//! [`Lifecycle::accept_group_filter`]) gets one instance per group; any other review one
//! instance whose id is the definition's (as the tutorial shows).

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use crate::core::refusal::{Refusal, Why};
use crate::core::spec::{Object, stored_reviewers};
use crate::core::store::{DefinitionRecord, Store, graph_time};
use crate::tenant::queries;
use crate::tenant::token::ClientApp;

/// How the lifecycle behaves.
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    /// How long a created definition's instances stay `NotStarted`.
    pub activation_delay: Duration,
    /// The application the token endpoint accepts.
    pub client: Option<ClientApp>,
    /// How long issued tokens live (default one hour).
    pub token_lifetime: Option<Duration>,
    /// Answer every Nth API request with 429.
    pub throttle_every: Option<u64>,
    /// The `Retry-After` of those 429s (default 100 ms).
    pub throttle_retry_after: Option<Duration>,
    /// Added before every answer (a slow, far-away target).
    pub latency: Option<Duration>,
    /// How long a created definition's instances answer 404 (as a service that is eventually
    /// consistent does right after a create).
    pub unlisted_after_create: Duration,
    /// Every Nth create is carried out, but its answer is cut off mid-body (the connection
    /// drops): the client never learns the new definition's id.
    pub lose_create_answer_every: Option<u64>,
    /// Take an `instanceEnumerationScope` listing chosen groups by id
    /// (`/groups?$filter=(id eq 'a' or id eq 'b')`), which the documentation does not show;
    /// refused with "Query … is not supported." otherwise, as any undocumented query is.
    pub accept_group_filter: bool,
    /// Drop the fallback reviewers of a definition whose reviewers are all specific users
    /// (`/users/{id}`), as a tenant may: the portal offers fallback reviewers only for
    /// manager or group-owner reviews.
    pub drop_user_review_fallbacks: bool,
    /// Answer every Nth API request 504 Gateway Timeout, without `Retry-After`, with the
    /// body Graph sends (`UnknownError`, empty message; microsoft-graph-docs#2505, #5288). A
    /// `POST` is carried out first, as a create answered 504 had been (microsoft-graph-docs
    /// #133): the client cannot tell whether it acted.
    pub gateway_timeout_every: Option<u64>,
}

/// The observed refusal of an invalid definition: 400, an empty code, field errors in
/// `innerError.message` (microsoft-graph-devx-api#1281).
fn invalid(fields: &[String]) -> Refusal {
    let mut r = Refusal::new(Why::InvalidBody, "The request is invalid.");
    r.code = "";
    r.details = Some(fields.join("\r\n") + "\r\n");
    r
}

/// Whether a definition's reviewers are all specific users (`/users/{id}`).
fn users_only(definition: &Object) -> bool {
    definition
        .get("reviewers")
        .and_then(Value::as_array)
        .is_some_and(|rs| {
            !rs.is_empty()
                && rs.iter().all(|r| {
                    r["query"]
                        .as_str()
                        .is_some_and(|q| q.trim_start_matches("/v1.0").starts_with("/users/"))
                })
        })
}

/// The groups an `instanceEnumerationScope` query lists by id, if it does.
fn enumerated_groups(definition: &Object) -> Vec<String> {
    let query = definition
        .get("instanceEnumerationScope")
        .and_then(|s| s.get("query"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !queries::is_group_id_filter(query) {
        return Vec::new();
    }
    query
        .split("id eq '")
        .skip(1)
        .filter_map(|rest| rest.split_once('\'').map(|(id, _)| id.to_string()))
        .collect()
}

/// A `POST …/definitions` body the service accepts: an object with the documented required
/// `displayName`, `descriptionForAdmins`, `descriptionForReviewers` (at most 256 characters:
/// it goes into e-mails) and a query scope's `query` and `queryType` (refused as observed
/// otherwise), whose queries are documented forms ([`queries::check`]).
fn validated(body: &Value, accept_group_filter: bool) -> Result<&Object, Refusal> {
    let Some(body) = body.as_object() else {
        return Err(invalid(&[
            "accessReviewScheduleDefinition : The body must be an object.".into(),
        ]));
    };
    let mut missing = Vec::new();
    let text = |o: Option<&Value>, k: &str| o.and_then(|o| o.get(k)).is_some_and(Value::is_string);
    let whole = Value::Object(body.clone());
    for k in [
        "displayName",
        "descriptionForAdmins",
        "descriptionForReviewers",
    ] {
        if !text(Some(&whole), k) {
            missing.push(format!(
                "accessReviewScheduleDefinition.{k} : The {k} field is required."
            ));
        }
    }
    if body
        .get("descriptionForReviewers")
        .and_then(Value::as_str)
        .is_some_and(|d| d.chars().count() > 256)
    {
        missing.push(
            "accessReviewScheduleDefinition.descriptionForReviewers : The field descriptionForReviewers must be a string with a maximum length of 256."
                .to_string(),
        );
    }
    let scope = body.get("scope").filter(|s| s.is_object());
    // A query scope (typed so, or untyped) needs its query; other scope types
    // (principalResourceMembershipsScope, …) carry theirs inside.
    let query_scope = scope
        .and_then(|s| s.get("@odata.type"))
        .and_then(Value::as_str)
        .is_none_or(|t| t.ends_with(".accessReviewQueryScope"));
    for k in ["query", "queryType"] {
        if query_scope && !text(scope, k) {
            missing.push(format!(
                "accessReviewScheduleDefinition.scope.{k} : The {k} field is required."
            ));
        }
    }
    if !missing.is_empty() {
        return Err(invalid(&missing));
    }
    queries::check(body, accept_group_filter)?;
    Ok(body)
}

/// The instances of a created definition, `NotStarted`: one per enumerated group, or one
/// whose id is the definition's.
fn created_instances(definition: &Object, id: &str, created: SystemTime) -> Vec<Object> {
    let scope = definition.get("scope").cloned().unwrap_or(Value::Null);
    let groups = enumerated_groups(definition);
    let instance = |id: String, scope: Value| {
        let mut i = Object::new();
        i.insert("id".into(), json!(id));
        i.insert("startDateTime".into(), json!(graph_time(created)));
        i.insert(
            "endDateTime".into(),
            json!(graph_time(created + Duration::from_secs(14 * 86_400))),
        );
        i.insert("status".into(), json!("NotStarted"));
        i.insert("scope".into(), scope);
        for k in ["reviewers", "fallbackReviewers"] {
            i.insert(k.into(), definition.get(k).cloned().unwrap_or(json!([])));
        }
        i
    };
    if groups.len() > 1 {
        groups
            .iter()
            .map(|g| {
                let mut s = scope.clone();
                if let Some(o) = s.as_object_mut() {
                    o.insert(
                        "query".into(),
                        json!(format!("/groups/{g}/transitiveMembers")),
                    );
                }
                instance(uuid::Uuid::new_v4().to_string(), s)
            })
            .collect()
    } else {
        vec![instance(id.to_string(), scope)]
    }
}

impl Store {
    /// Creates a definition from a `POST …/definitions` body; its instances start
    /// `NotStarted` and turn `InProgress` `activation_delay` later.
    pub(crate) fn create_definition(
        &mut self,
        body: &Value,
        lifecycle: &Lifecycle,
        now: Instant,
    ) -> Result<Object, Refusal> {
        let body = validated(body, lifecycle.accept_group_filter)?;
        let (activation_delay, unlisted_for) =
            (lifecycle.activation_delay, lifecycle.unlisted_after_create);
        let id = uuid::Uuid::new_v4().to_string();
        let created = SystemTime::now();
        let mut definition = body.clone();
        definition.remove("@odata.type");
        definition.insert("id".into(), json!(id));
        definition.insert("status".into(), json!("NotStarted"));
        definition.insert("createdDateTime".into(), json!(graph_time(created)));
        definition.insert("lastModifiedDateTime".into(), json!(graph_time(created)));
        for k in ["reviewers", "fallbackReviewers"] {
            let v = definition.get(k).map(stored_reviewers).unwrap_or(json!([]));
            definition.insert(k.into(), v);
        }
        if lifecycle.drop_user_review_fallbacks && users_only(&definition) {
            definition.insert("fallbackReviewers".into(), json!([]));
        }
        let instances = created_instances(&definition, &id, created);
        self.definitions.insert(
            id,
            DefinitionRecord {
                definition: definition.clone(),
                instances,
                activates_at: Some(now + activation_delay),
                listed_from: (!unlisted_for.is_zero()).then(|| now + unlisted_for),
            },
        );
        let pending = self.pending_activations();
        self.max_pending = self.max_pending.max(pending);
        Ok(definition)
    }

    /// `POST …/instances/{i}/stop`: a currently active instance becomes `Completed`.
    pub(crate) fn stop(&mut self, definition_id: &str, instance_id: &str) -> Result<(), Refusal> {
        let instance = self.instance(definition_id, instance_id)?;
        if instance.get("status").and_then(Value::as_str) != Some("InProgress") {
            return Err(Refusal::new(
                Why::NotInProgress,
                "Only a currently active access review instance can be stopped.",
            ));
        }
        let mut stopped = instance.clone();
        stopped.insert("status".into(), json!("Completed"));
        self.put_instance(definition_id, stopped);
        Ok(())
    }

    /// Every definition, or those whose display name starts with `prefix`.
    pub(crate) fn list_definitions(&self, prefix: Option<&str>) -> Vec<Object> {
        let mut list: Vec<&DefinitionRecord> = self
            .definitions
            .values()
            .filter(|d| {
                prefix.is_none_or(|p| {
                    d.definition
                        .get("displayName")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.starts_with(p))
                })
            })
            .collect();
        // Oldest first, ties by id: a stable order, so that pages do not overlap.
        list.sort_by_cached_key(|d| {
            let text = |k: &str| {
                d.definition
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            (text("createdDateTime"), text("id"))
        });
        list.into_iter().map(|d| d.definition.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Value {
        json!({"displayName": "d", "descriptionForAdmins": "a", "descriptionForReviewers": "r", "scope": {"query": "/groups/g/transitiveMembers", "queryType": "MicrosoftGraph"}, "reviewers": [{"query": "/users/r", "queryType": "MicrosoftGraph"}], "fallbackReviewers": [{"query": "/users/f"}]})
    }

    #[test]
    fn a_created_definition_activates_after_the_delay_and_can_be_stopped() {
        let mut store = Store::default();
        let t0 = Instant::now();
        let d = store
            .create_definition(
                &body(),
                &Lifecycle {
                    activation_delay: Duration::from_secs(5),
                    ..Lifecycle::default()
                },
                t0,
            )
            .unwrap();
        let id = d["id"].as_str().unwrap().to_string();
        assert_eq!(store.instance(&id, &id).unwrap()["status"], "NotStarted");
        assert_eq!(store.pending_activations(), 1);
        assert_eq!(store.stop(&id, &id).unwrap_err().why, Why::NotInProgress);
        store.refresh(t0 + Duration::from_secs(4));
        assert_eq!(store.instance(&id, &id).unwrap()["status"], "NotStarted");
        store.refresh(t0 + Duration::from_secs(5));
        let i = store.instance(&id, &id).unwrap();
        assert_eq!(i["status"], "InProgress");
        assert_eq!(i["fallbackReviewers"][0]["query"], "/v1.0/users/f");
        assert_eq!(store.definition(&id).unwrap()["status"], "InProgress");
        store.stop(&id, &id).unwrap();
        assert_eq!(store.instance(&id, &id).unwrap()["status"], "Completed");
        assert_eq!(store.max_pending_activations(), 1);
    }

    #[test]
    fn several_groups_give_one_instance_each_and_invalid_bodies_are_refused_as_observed() {
        let mut store = Store::default();
        let mut b = body();
        b["instanceEnumerationScope"] = json!({"query": "/groups?$filter=(id eq 'a' or id eq 'b')", "queryType": "MicrosoftGraph"});
        // Chosen groups by id: undocumented, refused unless the tenant takes them.
        let refused = store
            .create_definition(&b, &Lifecycle::default(), Instant::now())
            .unwrap_err();
        assert!(
            refused.message.contains("is not supported"),
            "{}",
            refused.message
        );
        let d = store
            .create_definition(
                &b,
                &Lifecycle {
                    accept_group_filter: true,
                    ..Lifecycle::default()
                },
                Instant::now(),
            )
            .unwrap();
        let id = d["id"].as_str().unwrap();
        let instances = store.instances(id).unwrap();
        assert_eq!(instances.len(), 2);
        assert_eq!(
            instances[1]["scope"]["query"],
            "/groups/b/transitiveMembers"
        );
        let err = store
            .create_definition(
                &json!({"displayName": "d", "scope": {"Query": "/x"}}),
                &Lifecycle::default(),
                Instant::now(),
            )
            .unwrap_err();
        assert_eq!((err.status, err.code), (400, ""));
        let details = err.details.unwrap();
        for field in [
            "scope.queryType : The queryType field is required.",
            "descriptionForAdmins : The descriptionForAdmins field is required.",
            "descriptionForReviewers : The descriptionForReviewers field is required.",
        ] {
            assert!(details.contains(field), "{field}: {details}");
        }
        let mut long = body();
        long["descriptionForReviewers"] = json!("x".repeat(257));
        let err = store
            .create_definition(&long, &Lifecycle::default(), Instant::now())
            .unwrap_err();
        assert!(err.details.unwrap().contains("maximum length of 256"));
        assert_eq!(store.list_definitions(Some("d")).len(), 1);
        assert_eq!(store.list_definitions(Some("x")).len(), 0);
    }

    #[test]
    fn a_tenant_may_drop_the_fallbacks_of_a_review_by_specific_users() {
        let mut store = Store::default();
        let dropping = Lifecycle {
            drop_user_review_fallbacks: true,
            ..Lifecycle::default()
        };
        let d = store
            .create_definition(&body(), &dropping, Instant::now())
            .unwrap();
        assert_eq!(d["fallbackReviewers"], json!([]));
        let mut by_owners = body();
        by_owners["reviewers"] = json!([{"query": "./owners", "queryType": "MicrosoftGraph"}]);
        let d = store
            .create_definition(&by_owners, &dropping, Instant::now())
            .unwrap();
        assert_eq!(d["fallbackReviewers"].as_array().map(Vec::len), Some(1));
        let d = store
            .create_definition(&body(), &Lifecycle::default(), Instant::now())
            .unwrap();
        assert_eq!(d["fallbackReviewers"].as_array().map(Vec::len), Some(1));
    }
}
