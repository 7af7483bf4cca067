//! `--fixtures graph`: starting states brought into existence on a live tenant through the
//! definitions API — a one-time accessReviewScheduleDefinition per fixture (mail and
//! reminders off, a recognisable display name with the run id, a description naming the tool
//! and a delete-after time), its instance waited for until it is active, stopped when the case
//! needs `Completed`, and the definition deleted afterwards.
//!
//! What cannot be produced this way is refused with a reason (the trial is skipped): transient
//! statuses, several instances in one definition, instance properties other than the
//! definition's.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value, json};

use crate::case::matching::clip;
use crate::provision::{ProvisionError, Provisioner};
use crate::target::{HttpRequest, HttpResponse, Target};

pub use crate::live::marker::NAME_PREFIX;

/// How long a created definition is meant to live at most (said in its description).
pub const DELETE_AFTER: Duration = Duration::from_secs(2 * 3600);

/// The longest pause between two reads of a definition's instances.
pub const MAX_POLL: Duration = Duration::from_secs(30);

/// Statuses a live tenant can be brought to on purpose.
const PRODUCIBLE: [&str; 2] = ["InProgress", "Completed"];

/// Instance properties that come from the definition on a live tenant.
const INHERITED: [&str; 3] = ["scope", "reviewers", "fallbackReviewers"];

/// Provisions through the definitions API of the target.
#[derive(Debug, Clone)]
pub struct GraphProvisioner {
    target: Target,
    run_id: String,
    /// How long to wait for an instance to become active.
    pub activation_timeout: Duration,
    /// The first pause between two reads of a definition's instances (it grows by half each
    /// time, up to [`MAX_POLL`]).
    pub first_poll: Duration,
    /// How long a created definition may answer 404 for its instances before that is an
    /// error (the service is eventually consistent right after a create).
    pub not_found_grace: Duration,
    /// Groups to scope reviews over several groups to (one instance per group).
    pub groups: Vec<String>,
    /// Whether a review over several chosen groups may be created with a filter listing
    /// them by id (`/groups?$filter=(id eq 'a' or …)`), which the documentation does not show;
    /// without it, a starting state with several instances is skipped.
    pub group_filter: bool,
    /// The definitions this run created and has not deleted yet (for cleanup on a signal).
    live: Arc<Mutex<BTreeSet<String>>>,
    /// Definitions kept on purpose (`--keep-on-failure`): the run's cleanup leaves them.
    kept: Arc<Mutex<BTreeSet<String>>>,
    /// Creations sent and not answered yet.
    in_flight: Arc<AtomicUsize>,
    /// Set once the run is being torn down: no new definition is created.
    closing: Arc<AtomicBool>,
}

impl GraphProvisioner {
    /// A provisioner for one run (`run_id` goes into every display name).
    pub fn new(target: Target, run_id: impl Into<String>) -> GraphProvisioner {
        GraphProvisioner {
            target,
            run_id: run_id.into(),
            activation_timeout: Duration::from_secs(3600),
            first_poll: Duration::from_secs(2),
            not_found_grace: Duration::from_secs(120),
            groups: Vec::new(),
            group_filter: false,
            live: Arc::default(),
            kept: Arc::default(),
            in_flight: Arc::default(),
            closing: Arc::default(),
        }
    }

    /// The definitions created and not deleted yet.
    pub fn live_definitions(&self) -> Vec<String> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Deletes every definition this run created and has not deleted yet, all at once, within
    /// `within` (on a signal, a CI cancel leaves seconds): no new definition is created from
    /// now on, creations in flight are waited for (up to half the time) so that what they
    /// create is deleted too, and then the tenant's list is reconciled by run id, so that a
    /// definition whose create answer was lost is found and deleted as well. Returns what could
    /// not be deleted, with why (a definition still in the list at the deadline included).
    pub async fn delete_all(&self, within: Duration) -> Vec<(String, ProvisionError)> {
        self.closing.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + within;
        let half = Instant::now() + within / 2;
        while self.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < half {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let work = async {
            let mut failed = self.delete_each(self.live_definitions()).await;
            // Reconcile by run id: what the tenant holds of this run, known or not.
            match crate::live::marker::list_all(&self.target).await {
                Ok(all) => {
                    let ours: Vec<String> = all
                        .iter()
                        .filter(|d| crate::live::marker::run_of(d) == Some(self.run_id.as_str()))
                        .filter_map(|d| d["id"].as_str().map(str::to_string))
                        // Never a DELETE whose path an id could steer.
                        .filter(|id| crate::target::url::check_id(id).is_ok())
                        .filter(|id| !failed.iter().any(|(f, _)| f == id))
                        .filter(|id| !self.is_kept(id))
                        .collect();
                    failed.extend(self.delete_each(ours).await);
                }
                Err(e) => failed.push(("(the tenant's list)".to_string(), e)),
            }
            failed
        };
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, work).await {
            Ok(failed) => failed,
            Err(_) => self
                .live_definitions()
                .into_iter()
                .map(|id| {
                    let e = ProvisionError::Timeout {
                        what: format!("deleting definition {id}"),
                        after: within,
                        last_seen: String::new(),
                    };
                    (id, e)
                })
                .collect(),
        }
    }

    /// Deletes `ids` at once; returns those that could not be deleted.
    async fn delete_each(&self, ids: Vec<String>) -> Vec<(String, ProvisionError)> {
        let results = futures_util::future::join_all(ids.iter().map(|id| self.delete(id))).await;
        ids.into_iter()
            .zip(results)
            .filter_map(|(id, r)| r.err().map(|e| (id, e)))
            .collect()
    }

    /// The target it creates on (for redacting what it says).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// This run's id (in every display name and marker).
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    fn is_kept(&self, id: &str) -> bool {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(id)
    }

    fn track(&self, id: &str, live: bool) {
        let mut set = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if live {
            set.insert(id.to_string());
        } else {
            set.remove(id);
        }
    }

    /// The display name every definition of this run carries.
    pub fn display_name(&self) -> String {
        format!("{NAME_PREFIX} {}", self.run_id)
    }

    /// A definition's instances in the order of the groups they review (one instance, or the
    /// service's order, as they come).
    fn order(&self, mut instances: Vec<Value>) -> Vec<Value> {
        let rank = |i: &Value| {
            let query = i["scope"]["query"].as_str().unwrap_or("");
            self.groups
                .iter()
                .position(|g| query.contains(g.as_str()))
                .unwrap_or(usize::MAX)
        };
        instances.sort_by_key(rank);
        instances
    }

    /// Where definitions are created, listed, stopped and deleted (v1.0 by default).
    fn definitions_url(&self) -> String {
        self.target.setup_definitions_url()
    }

    /// The one-time review body for a fixture's definition properties.
    pub fn definition_body(&self, definition: &Value) -> Value {
        // Yesterday (UTC): the documentation says the start "could vary a few hours based on
        // system processing", and its tutorial shows a past startDate starting the review at once.
        let today =
            humantime::format_rfc3339(SystemTime::now() - Duration::from_secs(86_400)).to_string();
        let end = humantime::format_rfc3339(SystemTime::now() + Duration::from_secs(7 * 86_400))
            .to_string();
        let delete_after =
            humantime::format_rfc3339_seconds(SystemTime::now() + DELETE_AFTER).to_string();
        let description = crate::live::marker::marker(&self.run_id, &delete_after);
        let mut body = Map::new();
        body.insert("displayName".into(), json!(self.display_name()));
        body.insert("descriptionForAdmins".into(), json!(description));
        body.insert("descriptionForReviewers".into(), json!(description));
        for k in INHERITED {
            if let Some(v) = definition.get(k) {
                body.insert(k.into(), v.clone());
            }
        }
        body.insert(
            "settings".into(),
            json!({
                "mailNotificationsEnabled": false,
                "reminderNotificationsEnabled": false,
                "justificationRequiredOnApproval": false,
                "defaultDecisionEnabled": false,
                "defaultDecision": "None",
                "instanceDurationInDays": 7,
                "autoApplyDecisionsEnabled": false,
                "recommendationsEnabled": false,
                "recurrence": {
                    "pattern": null,
                    "range": {
                        "type": "numbered",
                        "numberOfOccurrences": 0,
                        "recurrenceTimeZone": null,
                        "startDate": today.get(..10).unwrap_or_default(),
                        "endDate": end.get(..10).unwrap_or_default()
                    }
                }
            }),
        );
        Value::Object(body)
    }

    async fn send(
        &self,
        method: &str,
        url: String,
        body: Option<&Value>,
    ) -> Result<HttpResponse, ProvisionError> {
        let req = HttpRequest {
            method: method.into(),
            url,
            headers: self.target.default_headers(body.is_some()),
            body: body.map(|b| b.to_string().into_bytes()),
        };
        Ok(self.target.send(&req).await?)
    }

    fn protocol(what: String, resp: &HttpResponse) -> ProvisionError {
        ProvisionError::answered(what, resp.status, &resp.body)
    }

    /// Polls the definition's instances until there are `count` and the k-th (in the order
    /// [`GraphProvisioner::order`] gives) has `statuses[k]` (with a deadline and a pause from
    /// [`GraphProvisioner::first_poll`] growing to [`MAX_POLL`]); returns their ids in that
    /// order. A 404 within [`GraphProvisioner::not_found_grace`] of the first read is waited
    /// out; an instance carrying `errors` ends the wait at once.
    async fn wait_for(
        &self,
        definition_id: &str,
        statuses: &[&str],
    ) -> Result<Vec<String>, ProvisionError> {
        let status = statuses.join(", ");
        let url = format!(
            "{}/instances",
            self.target.setup_definition_url(definition_id)
        );
        let started = Instant::now();
        let deadline = started + self.activation_timeout;
        let mut pause = self.first_poll;
        loop {
            let resp = self.send("GET", url.clone(), None).await?;
            let settling = resp.status == 404 && started.elapsed() < self.not_found_grace;
            if resp.status != 200 && !settling {
                return Err(Self::protocol(format!("GET {url}"), &resp));
            }
            if settling {
                if Instant::now() + pause > deadline {
                    return Err(Self::protocol(format!("GET {url}"), &resp));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 3 / 2).min(MAX_POLL);
                continue;
            }
            let list: Value = serde_json::from_slice(&resp.body)
                .map_err(|_| Self::protocol(format!("GET {url}"), &resp))?;
            let instances = self.order(list["value"].as_array().cloned().unwrap_or_default());
            // The service says why it will not get there: no point waiting.
            if let Some(failed) = instances
                .iter()
                .find(|i| i["errors"].as_array().is_some_and(|e| !e.is_empty()))
            {
                return Err(ProvisionError::Protocol {
                    what: format!("waiting for the instances of {definition_id} to be {status}"),
                    status: resp.status,
                    body: format!(
                        "an instance carries errors: {}",
                        clip(&failed["errors"].to_string(), 300)
                    ),
                });
            }
            let ready = instances.len() == statuses.len()
                && instances
                    .iter()
                    .zip(statuses)
                    .all(|(i, s)| i["status"] == *s);
            if ready {
                let ids: Vec<String> = instances
                    .iter()
                    .filter_map(|i| i["id"].as_str().map(str::to_string))
                    .collect();
                // They go into URLs that carry the token: one path segment each.
                if let Some(problem) = ids
                    .iter()
                    .find_map(|id| crate::target::url::check_id(id).err())
                {
                    return Err(ProvisionError::Protocol {
                        what: format!("GET {url}"),
                        status: resp.status,
                        body: problem,
                    });
                }
                return Ok(ids);
            }
            if Instant::now() + pause > deadline {
                return Err(ProvisionError::Timeout {
                    what: format!("waiting for the instances of {definition_id} to be {status}"),
                    after: self.activation_timeout,
                    last_seen: clip(&list["value"].to_string(), 300),
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 3 / 2).min(MAX_POLL);
        }
    }
}

mod provisioner;
