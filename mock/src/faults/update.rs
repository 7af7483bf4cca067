//! How each deviation and variant changes the update transaction of the core
//! ([`UpdateHooks`]): what the rules are shown (before), refusals the page does not make
//! (instead), what becomes of the rules' result (after), and what is written. Every step
//! without a deviation or variant is the core's own.

use std::borrow::Cow;
use std::time::Duration;

use serde_json::Value;

use crate::core::refusal::{Refusal, Why};
use crate::core::spec::{self, Object, UPDATABLE};
use crate::core::store::Store;
use crate::core::transaction::{UpdateHooks, write};
use crate::faults::deviation::Deviation;
use crate::faults::hooks::Faults;
use crate::faults::variant::Variant;

/// How long the lost-updates deviation waits between reading and writing.
const RACE_WINDOW: Duration = Duration::from_millis(200);

impl UpdateHooks for Faults {
    fn shown<'a>(&self, current: &'a Object, body: &'a Value) -> (Cow<'a, Object>, Cow<'a, Value>) {
        let (mut shown_current, mut shown_body) = (Cow::Borrowed(current), Cow::Borrowed(body));
        match self.deviation {
            Some(Deviation::AcceptMissingScope) => {
                if let Some(b) = shown_body.to_mut().as_object_mut()
                    && !b.get("scope").is_some_and(Value::is_object)
                {
                    let scope = current.get("scope").cloned().unwrap_or_default();
                    b.insert("scope".into(), scope);
                }
            }
            Some(Deviation::UpdateAnyStatus) => {
                let status = spec::UPDATABLE_STATUS.into();
                shown_current.to_mut().insert("status".into(), status);
            }
            Some(Deviation::AcceptFallbackRemoval) if body.get("fallbackReviewers").is_some() => {
                let none = Value::Array(Vec::new());
                shown_current
                    .to_mut()
                    .insert("fallbackReviewers".into(), none);
            }
            Some(Deviation::FallbackIdentityByQuery) => {
                // Show the rules each entry as the current reviewer of the same query.
                let current_list = current.get("fallbackReviewers").and_then(Value::as_array);
                if let Some(list) = (shown_body.to_mut())
                    .get_mut("fallbackReviewers")
                    .and_then(Value::as_array_mut)
                {
                    for entry in list.iter_mut() {
                        let same_query = |c: &&Value| {
                            spec::reviewer_identity(c).0 == spec::reviewer_identity(entry).0
                        };
                        if let Some(c) = current_list.and_then(|l| l.iter().find(same_query)) {
                            *entry = c.clone();
                        }
                    }
                }
            }
            _ => {}
        }
        (shown_current, shown_body)
    }

    /// Refusals of well-formed bodies (with scope) that the page allows.
    fn instead(&self, current: &Object, body: &Value) -> Option<Refusal> {
        let d = self.deviation?;
        let well_formed = spec::well_formed(body).is_ok_and(|b| spec::require_scope(b).is_ok());
        let invalid = |m: &str| Some(Refusal::new(Why::InvalidBody, m));
        match d {
            Deviation::RejectReadOnlyValues
                if well_formed && carries_read_only_values(current, body) =>
            {
                invalid("Read-only properties cannot be updated.")
            }
            Deviation::RejectODataType if well_formed && carries_odata_type(body) => {
                invalid("@odata.type is not allowed here.")
            }
            Deviation::RejectMembershipsScope
                if well_formed
                    && body
                        .pointer("/scope/@odata.type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.ends_with("principalResourceMembershipsScope")) =>
            {
                invalid("This scope type is not supported.")
            }
            _ => None,
        }
    }

    fn after(
        &self,
        current: &Object,
        body: &Value,
        faithful: Result<Object, Refusal>,
    ) -> Result<Object, Refusal> {
        let Some(d) = self.deviation else {
            return self.vary(current, body, faithful);
        };
        let mut updated = match (d, faithful) {
            (Deviation::RemovalWrongStatus, Err(r)) if r.why == Why::FallbackReviewerRemoved => {
                return Err(r.with_status(400, None));
            }
            (_, Err(r)) => return Err(r),
            (_, Ok(u)) => u,
        };
        let conflict = |m: &str| Err(Refusal::new(Why::FallbackReviewerRemoved, m));
        let carries = |k: &str| body.get(k).is_some();
        match d {
            Deviation::FallbackIdentityByQuery => {
                if let Some(list) = body.get("fallbackReviewers") {
                    updated.insert("fallbackReviewers".into(), spec::stored_reviewers(list));
                }
            }
            Deviation::UpdateAnyStatus => {
                if let Some(s) = current.get("status") {
                    updated.insert("status".into(), s.clone());
                }
            }
            Deviation::ReviewersAddOnly => {
                if let Some(missing) =
                    spec::first_missing(current.get("reviewers"), body.get("reviewers"))
                {
                    return conflict(&format!(
                        "Existing reviewers cannot be removed: {missing} is missing."
                    ));
                }
            }
            Deviation::RejectFallbackAdditions => {
                let added = spec::first_missing(
                    body.get("fallbackReviewers"),
                    current.get("fallbackReviewers"),
                );
                if added.is_some() {
                    return conflict("Fallback reviewers cannot be changed.");
                }
            }
            Deviation::FallbackPrefixOnly if carries("fallbackReviewers") => {
                let ids = |v: Option<&Value>| -> Vec<_> {
                    let list = v.and_then(Value::as_array).into_iter().flatten();
                    list.map(spec::reviewer_identity).collect()
                };
                let (old, new) = (
                    ids(current.get("fallbackReviewers")),
                    ids(body.get("fallbackReviewers")),
                );
                if !new.starts_with(&old) {
                    return conflict("Fallback reviewers can only be appended.");
                }
            }
            Deviation::RejectUnchangedFallbacks if carries("fallbackReviewers") => {
                let same = spec::first_missing(
                    current.get("fallbackReviewers"),
                    body.get("fallbackReviewers"),
                )
                .is_none()
                    && spec::first_missing(
                        body.get("fallbackReviewers"),
                        current.get("fallbackReviewers"),
                    )
                    .is_none();
                if same {
                    return conflict("The fallback reviewers did not change.");
                }
            }
            Deviation::ApplyBodyScope if carries("scope") => {
                // `Value` indexing by key never panics (a missing key reads as null).
                updated.insert("scope".into(), body["scope"].clone());
            }
            Deviation::ApplyReadOnlyProperties => {
                for k in ["status", "startDateTime", "endDateTime", "errors"] {
                    if let Some(v) = body.get(k) {
                        updated.insert(k.into(), v.clone());
                    }
                }
            }
            Deviation::RecalculateOmittedLists => {
                for (omitted, sent) in [
                    ("reviewers", "fallbackReviewers"),
                    ("fallbackReviewers", "reviewers"),
                ] {
                    let Some(list) = body.get(sent).filter(|_| !carries(omitted)) else {
                        continue;
                    };
                    let mut recalculated = updated
                        .get(omitted)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    for entry in spec::stored_reviewers(list)
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        let id = spec::reviewer_identity(entry);
                        if !recalculated
                            .iter()
                            .any(|e| spec::reviewer_identity(e) == id)
                        {
                            recalculated.push(entry.clone());
                        }
                    }
                    updated.insert(omitted.into(), Value::Array(recalculated));
                }
            }
            Deviation::OmittedListsCleared => {
                for k in UPDATABLE {
                    if !carries(k) {
                        updated.insert(k.into(), Value::Array(Vec::new()));
                    }
                }
            }
            _ => {}
        }
        Ok(updated)
    }

    fn commit(
        &self,
        store: &mut Store,
        definition: &str,
        current: &Object,
        updated: Object,
    ) -> Object {
        let copy_lists = |to: &mut Object| {
            for k in UPDATABLE {
                if let Some(v) = updated.get(k) {
                    to.insert(k.into(), v.clone());
                }
            }
        };
        match self.deviation {
            Some(Deviation::WriteParentDefinition) => {
                if let Some(d) = store.definition_mut(definition) {
                    copy_lists(d);
                }
            }
            Some(Deviation::WriteFutureInstances) => {
                for future in store
                    .instances_mut(definition)
                    .filter(|i| i.get("status").and_then(Value::as_str) == Some("NotStarted"))
                {
                    copy_lists(future);
                }
            }
            Some(Deviation::WriteSiblingInstances) => {
                for sibling in store
                    .instances_mut(definition)
                    .filter(|i| i.get("id") != updated.get("id"))
                {
                    copy_lists(sibling);
                }
            }
            _ => {}
        }
        match self.deviation {
            Some(Deviation::NotPersisted) => updated,
            Some(Deviation::StaleReviewersInBody) => {
                let mut shown = write(store, definition, updated);
                if let Some(r) = current.get("reviewers") {
                    shown.insert("reviewers".into(), r.clone());
                }
                shown
            }
            Some(Deviation::StaleBody) => {
                write(store, definition, updated);
                current.clone()
            }
            _ => write(store, definition, updated),
        }
    }

    fn refused(&self, store: &mut Store, definition: &str, current: &Object, body: &Value) {
        if self.is(Deviation::PartialWriteOnRefusal)
            && let Some(reviewers) = body.get("reviewers")
        {
            let mut partial = current.clone();
            partial.insert("reviewers".into(), spec::stored_reviewers(reviewers));
            write(store, definition, partial);
        }
    }

    fn race_window(&self) -> Option<Duration> {
        self.is(Deviation::LostUpdates).then_some(RACE_WINDOW)
    }
}

impl Faults {
    /// After the faithful rules, for a silent-page variant: other refusal codes, or a
    /// refusal of read-only values.
    fn vary(
        &self,
        current: &Object,
        body: &Value,
        faithful: Result<Object, Refusal>,
    ) -> Result<Object, Refusal> {
        match faithful {
            Err(r) if r.why == Why::NotInProgress && self.varies(Variant::NotInProgress400) => {
                Err(r.with_status(400, Some("BadRequest")))
            }
            Ok(_)
                if self.varies(Variant::ReadOnly400) && carries_read_only_values(current, body) =>
            {
                Err(Refusal::new(
                    Why::InvalidBody,
                    "Read-only properties cannot be updated.",
                ))
            }
            result => result,
        }
    }
}

/// The body carries a read-only property, or a scope other than the instance's.
fn carries_read_only_values(current: &Object, body: &Value) -> bool {
    ["id", "status", "startDateTime", "endDateTime", "errors"]
        .iter()
        .any(|k| body.get(k).is_some())
        || body.get("scope") != current.get("scope")
}

fn carries_odata_type(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.contains_key("@odata.type") || m.values().any(carries_odata_type),
        Value::Array(items) => items.iter().any(carries_odata_type),
        _ => false,
    }
}
