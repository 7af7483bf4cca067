//! [`GraphProvisioner`] as a [`Provisioner`]: what a live tenant cannot produce, create
//! (a one-time review, waited for until active, stopped when needed), delete.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use crate::case::RenderedFixture;
use crate::provision::{BoxFuture, ProvisionError, Provisioner, Seeded};

use super::*;

impl Provisioner for GraphProvisioner {
    fn may_differ(&self) -> bool {
        true
    }

    fn unsupported(&self, fixture: &RenderedFixture) -> Option<String> {
        let (definition, instances) = (fixture.definition(), fixture.instances());
        let n = instances.len();
        if n == 0 {
            return Some("a review on a live tenant always has an instance".into());
        }
        if n > 1 && !self.group_filter {
            return Some(format!(
                "needs {n} instances of one definition, and no documented scope gives a chosen \
                 number: one group gives one instance, all Microsoft 365 groups one per group of \
                 the tenant (a review over chosen groups needs a filter the documentation does \
                 not show: allow it with allow_undocumented_group_filter: true in the target \
                 file, or --allow-undocumented-group-filter; the canary tries it first)"
            ));
        }
        if n > 1 && self.groups.len() < n {
            return Some(format!(
                "needs {n} instances of one definition: a review over {n} groups, and the target \
                 names {} (groups: in the target file, or --group ID)",
                self.groups.len()
            ));
        }
        let scope = instances[0]
            .get("scope")
            .or_else(|| definition.get("scope"));
        if n == 1 && !scope.is_some_and(Value::is_object) {
            return Some("the definition has no scope; a review on a live tenant needs one".into());
        }
        for instance in instances {
            let status = instance.get("status").and_then(Value::as_str).unwrap_or("");
            if !PRODUCIBLE.contains(&status) {
                return Some(format!(
                    "an instance cannot be brought to `{status}` on a live tenant (only {})",
                    PRODUCIBLE.join(" or ")
                ));
            }
            // Scope and reviewers come from the definition (the scope from the group, in a
            // review over several groups); anything else of an instance's own cannot be set.
            let own = instance
                .as_object()
                .into_iter()
                .flatten()
                .find(|(k, _)| *k != "status" && !INHERITED.contains(&k.as_str()));
            if let Some((k, _)) = own {
                return Some(format!(
                    "an instance's `{k}` cannot be set on a live tenant"
                ));
            }
        }
        // In a review over several groups every instance gets the definition's reviewers.
        let differ = |k: &str| instances.iter().any(|i| i.get(k) != instances[0].get(k));
        if n > 1 && (differ("reviewers") || differ("fallbackReviewers")) {
            return Some(
                "the instances' reviewers differ; a review over several groups gives them all the \
                 definition's"
                    .into(),
            );
        }
        None
    }

    fn create<'a>(
        &'a self,
        fixture: &'a RenderedFixture,
    ) -> BoxFuture<'a, Result<Seeded, ProvisionError>> {
        Box::pin(async move {
            let (definition, instances) = (fixture.definition(), fixture.instances());
            let url = self.definitions_url();
            // The instance's scope and reviewers (where it has its own) are the definition's.
            let mut merged = definition.clone();
            if let (Some(m), Some(i)) = (
                merged.as_object_mut(),
                instances.first().and_then(Value::as_object),
            ) {
                for k in INHERITED {
                    if let Some(v) = i.get(k) {
                        m.insert(k.into(), v.clone());
                    }
                }
            }
            let mut body = self.definition_body(&merged);
            if instances.len() > 1 {
                // A review over several groups: one instance per group.
                let groups = &self.groups[..instances.len()];
                let filter: Vec<String> = groups.iter().map(|g| format!("id eq '{g}'")).collect();
                body["instanceEnumerationScope"] = json!({
                    "@odata.type": "#microsoft.graph.accessReviewQueryScope",
                    "query": format!("/groups?$filter=({})", filter.join(" or ")),
                    "queryType": "MicrosoftGraph"
                });
                body["scope"] = json!({
                    "@odata.type": "#microsoft.graph.accessReviewQueryScope",
                    "query": "./transitiveMembers",
                    "queryType": "MicrosoftGraph"
                });
            }
            if self.closing.load(Ordering::SeqCst) {
                return Err(ProvisionError::Interrupted {
                    what: "creating a definition".into(),
                });
            }
            // A nonce names this create, so that after a 503 or 504 (the service may have
            // acted) the definition is looked for before the create is sent again.
            let nonce = uuid::Uuid::new_v4().simple().to_string();
            let reviewers_text = body["descriptionForReviewers"].as_str().unwrap_or_default();
            body["descriptionForReviewers"] = json!(format!("{reviewers_text} Create {nonce}."));
            self.in_flight.fetch_add(1, Ordering::SeqCst);
            let created = self.post_once(&url, &body, &nonce).await;
            if let Ok(id) = &created {
                self.track(id, true);
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let definition_id = created?;
            let seeded = async {
                let wanted: Vec<&str> = instances
                    .iter()
                    .map(|i| {
                        i.get("status")
                            .and_then(Value::as_str)
                            .unwrap_or("InProgress")
                    })
                    .collect();
                let active = vec!["InProgress"; wanted.len()];
                let mut ids = self.wait_for(&definition_id, &active).await?;
                if wanted.contains(&"Completed") {
                    for (id, _) in ids.iter().zip(&wanted).filter(|(_, w)| **w == "Completed") {
                        self.stop(&definition_id, id).await?;
                    }
                    ids = self.wait_for(&definition_id, &wanted).await?;
                }
                Ok(ids)
            }
            .await;
            match seeded {
                Ok(instance_ids) => Ok(Seeded {
                    definition_id,
                    instance_ids,
                    request: HttpRequest {
                        method: "POST".into(),
                        url: url.clone(),
                        headers: self.target.default_headers(true),
                        body: Some(body.to_string().into_bytes()),
                    },
                }),
                Err(e) => {
                    // Created but not usable: delete it now, the caller never learns its id.
                    let _ = self.delete(&definition_id).await;
                    Err(e)
                }
            }
        })
    }

    fn delete_request(&self, definition_id: &str) -> HttpRequest {
        HttpRequest {
            method: "DELETE".into(),
            url: self.target.setup_definition_url(definition_id),
            headers: self.target.default_headers(false),
            body: None,
        }
    }

    fn keep(&self, definition_id: &str) {
        self.track(definition_id, false);
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(definition_id.to_string());
    }

    fn delete<'a>(&'a self, definition_id: &'a str) -> BoxFuture<'a, Result<(), ProvisionError>> {
        Box::pin(async move {
            let url = self.target.setup_definition_url(definition_id);
            let resp = self.send("DELETE", url.clone(), None).await?;
            match resp.status {
                200 | 204 | 404 => {
                    self.track(definition_id, false);
                    Ok(())
                }
                _ => Err(Self::protocol(format!("DELETE {url}"), &resp)),
            }
        })
    }
}

/// How often a create or a stop is sent in all, when the service answers 503 or 504.
const ATTEMPTS: u32 = 3;

impl GraphProvisioner {
    /// Creates a definition, once: after a 503 or 504 (which may come after the service
    /// created it) the definition carrying `nonce` is looked for before the create is sent
    /// again. Returns the definition's id.
    async fn post_once(
        &self,
        url: &str,
        body: &Value,
        nonce: &str,
    ) -> Result<String, ProvisionError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = self.send("POST", url.to_string(), Some(body)).await?;
            if resp.status == 201 {
                let id = serde_json::from_slice::<Value>(&resp.body)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_string))
                    .ok_or_else(|| Self::protocol(format!("POST {url}"), &resp))?;
                crate::target::url::check_id(&id).map_err(|problem| ProvisionError::Protocol {
                    what: format!("POST {url}"),
                    status: resp.status,
                    body: problem,
                })?;
                return Ok(id);
            }
            if !crate::target::gate::throttled(resp.status) || attempt >= ATTEMPTS {
                return Err(Self::protocol(format!("POST {url}"), &resp));
            }
            let listed = crate::live::marker::list_all(&self.target).await?;
            let mine = listed.iter().find(|d| {
                d["descriptionForReviewers"]
                    .as_str()
                    .is_some_and(|t| t.contains(nonce))
            });
            let found = mine.and_then(|d| d["id"].as_str());
            if let Some(id) = found.filter(|id| crate::target::url::check_id(id).is_ok()) {
                return Ok(id.to_string());
            }
        }
    }

    /// Stops an instance; after a 503 or 504 the stop is sent again, and an answer to that
    /// repeat other than success is left to the wait for `Completed` to judge (the first stop
    /// may have been carried out).
    async fn stop(&self, definition_id: &str, instance_id: &str) -> Result<(), ProvisionError> {
        let stop = format!(
            "{}/instances/{instance_id}/stop",
            self.target.setup_definition_url(definition_id)
        );
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = self.send("POST", stop.clone(), None).await?;
            match resp.status {
                200 | 204 => return Ok(()),
                s if crate::target::gate::throttled(s) && attempt < ATTEMPTS => continue,
                _ if attempt > 1 => return Ok(()),
                _ => return Err(Self::protocol(format!("POST {stop}"), &resp)),
            }
        }
    }
}
