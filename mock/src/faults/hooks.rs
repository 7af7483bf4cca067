//! How each [`Deviation`] lies: hooks the HTTP glue calls at fixed points around the faithful
//! core ([`crate::core::spec`], [`crate::core::auth`], [`crate::core::store`]). Without a deviation every hook
//! is the identity, so the faithful path is exactly the core; reading one arm here tells you
//! exactly what one deviation changes (before, instead of, or after a faithful step). The
//! answer-side hooks (reads, successes, every answer) are in `answer.rs`.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::Method;
use serde_json::Value;

use crate::core::auth::{self, Privilege};
use crate::core::refusal::{Refusal, Why};
use crate::core::spec::{self, Object, UPDATABLE};
use crate::core::store::{Store, lock};
use crate::faults::deviation::Deviation;
use crate::faults::variant::Variant;

/// How long the lost-updates deviation waits between reading and writing.
const RACE_WINDOW: Duration = Duration::from_millis(200);

/// The hooks of one (or no) deviation, and of one (or no) silent-page variant.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Faults {
    /// A deliberate bug.
    pub(crate) deviation: Option<Deviation>,
    /// A way of answering differently where the page is silent.
    pub(crate) variant: Option<Variant>,
}

impl Faults {
    /// The hooks of a deviation (no variant).
    #[cfg(test)]
    pub(crate) fn of(deviation: Option<Deviation>) -> Faults {
        Faults {
            deviation,
            variant: None,
        }
    }

    pub(crate) fn is(self, d: Deviation) -> bool {
        self.deviation == Some(d)
    }

    pub(crate) fn varies(self, v: Variant) -> bool {
        self.variant == Some(v)
    }

    /// Before anything: a method the deviation refuses.
    pub(crate) fn method(self, method: &Method) -> Result<(), Refusal> {
        let refused = (self.is(Deviation::RejectPatch) && method == Method::PATCH)
            || (self.is(Deviation::RejectPut) && method == Method::PUT);
        if refused {
            return Err(Refusal::new(
                Why::MethodNotAllowed,
                format!("The HTTP method '{method}' is not allowed."),
            ));
        }
        Ok(())
    }

    /// Instead of authentication, when the deviation skips it.
    pub(crate) fn authenticate(
        self,
        faithful: impl FnOnce() -> Result<Privilege, Refusal>,
    ) -> Result<Privilege, Refusal> {
        if self.is(Deviation::NoAuthCheck) {
            return Ok(Privilege::ReadWrite);
        }
        faithful().map_err(|r| self.auth_status(r))
    }

    /// The update permission check, skipped for the restricted caller the deviation lets in.
    pub(crate) fn may_update(self, privilege: Privilege) -> Result<(), Refusal> {
        use crate::core::credential::Restricted as R;
        let let_in = match privilege {
            Privilege::Restricted(R::Unprivileged) => self.is(Deviation::NoPermissionCheck),
            Privilege::Restricted(R::Roleless) => self.is(Deviation::NoRoleCheck),
            Privilege::Restricted(R::PersonalAccount) => self.is(Deviation::AcceptPersonalAccounts),
            Privilege::ReadWrite => false,
        };
        if let_in {
            return Ok(());
        }
        auth::may_update(privilege).map_err(|r| self.auth_status(r))
    }

    /// After an authentication or permission refusal: `auth-errors-400` answers 400.
    fn auth_status(self, refusal: Refusal) -> Refusal {
        if self.is(Deviation::AuthErrors400) {
            return refusal.with_status(400, Some("BadRequest"));
        }
        refusal
    }

    /// The definition the addressed instance is served under (404 when the path names no
    /// instance); with `ignore-definition-in-path`, whichever definition holds it.
    pub(crate) fn locate(
        self,
        store: &Store,
        definition: &str,
        instance: &str,
    ) -> Result<String, Refusal> {
        match store.instance(definition, instance) {
            Ok(_) => Ok(definition.to_string()),
            Err(e) if self.is(Deviation::IgnoreDefinitionInPath) => {
                store.holder_of(instance).map(str::to_string).ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    /// After a 404 for the addressed instance: the made-up instance `ok-for-unknown-ids`
    /// answers with instead.
    pub(crate) fn unknown_instance(self, instance: &str) -> Option<Object> {
        if !self.is(Deviation::OkForUnknownIds) {
            return None;
        }
        let mut made_up = Object::new();
        made_up.insert("id".into(), Value::String(instance.to_string()));
        made_up.insert("status".into(), Value::String("InProgress".into()));
        Some(made_up)
    }

    /// After the Content-Type check.
    pub(crate) fn content_type(self, faithful: Result<(), Refusal>) -> Result<(), Refusal> {
        if self.is(Deviation::IgnoreContentType) {
            return Ok(());
        }
        if self.is(Deviation::ContentType415) {
            return faithful.map_err(|r| r.with_status(415, Some("UnsupportedMediaType")));
        }
        faithful
    }

    /// After JSON parsing: malformed JSON as a server error.
    pub(crate) fn json(self, faithful: Result<Value, Refusal>) -> Result<Value, Refusal> {
        match faithful {
            Err(r) if self.is(Deviation::MalformedJson500) => {
                Err(r.with_status(500, Some("generalException")))
            }
            other => other,
        }
    }

    /// The update transaction: read the instance, apply the rules, write — under the store's
    /// lock (or, with `lost-updates`, read and write apart with a wait between).
    pub(crate) async fn update(
        self,
        store: &Mutex<Store>,
        definition: &str,
        instance: &str,
        body: &Value,
    ) -> Result<Object, Refusal> {
        if self.is(Deviation::LostUpdates) {
            let current = lock(store).instance(definition, instance)?.clone();
            tokio::time::sleep(RACE_WINDOW).await;
            let updated = spec::update(&current, body)?;
            lock(store).put_instance(definition, updated.clone());
            return Ok(updated);
        }
        let mut store = lock(store);
        let current = store.instance(definition, instance)?.clone();
        match self.rules(&current, body) {
            Ok(updated) => Ok(self.commit(&mut store, definition, &current, updated)),
            Err(refusal) => {
                self.refused(&mut store, definition, &current, body);
                Err(refusal)
            }
        }
    }

    /// The rules of the page ([`spec::update`]) with the deviation's changes around them.
    fn rules(self, current: &Object, body: &Value) -> Result<Object, Refusal> {
        let Some(d) = self.deviation else {
            let result = spec::update(current, body);
            return self.vary_rules(current, body, result);
        };
        let conflict = |m: &str| Refusal::new(Why::FallbackReviewerRemoved, m);
        // Before: what the rules are shown.
        let mut shown_current = current.clone();
        let mut shown_body = body.clone();
        match d {
            Deviation::AcceptMissingScope => {
                if let Some(b) = shown_body.as_object_mut()
                    && !b.get("scope").is_some_and(Value::is_object)
                {
                    let scope = current.get("scope").cloned().unwrap_or_default();
                    b.insert("scope".into(), scope);
                }
            }
            Deviation::UpdateAnyStatus => {
                shown_current.insert("status".into(), spec::UPDATABLE_STATUS.into());
            }
            Deviation::AcceptFallbackRemoval if body.get("fallbackReviewers").is_some() => {
                shown_current.insert("fallbackReviewers".into(), Value::Array(Vec::new()));
            }
            Deviation::FallbackIdentityByQuery => {
                // Show the rules each entry as the current reviewer of the same query.
                let current_list = current.get("fallbackReviewers").and_then(Value::as_array);
                if let Some(list) = shown_body
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
        // Instead: refusals of well-formed bodies (with scope) that the page allows.
        let well_formed = spec::well_formed(body).is_ok_and(|b| spec::require_scope(b).is_ok());
        match d {
            Deviation::RejectReadOnlyValues
                if well_formed && carries_read_only_values(current, body) =>
            {
                return Err(Refusal::new(
                    Why::InvalidBody,
                    "Read-only properties cannot be updated.",
                ));
            }
            Deviation::RejectODataType if well_formed && carries_odata_type(body) => {
                return Err(Refusal::new(
                    Why::InvalidBody,
                    "@odata.type is not allowed here.",
                ));
            }
            Deviation::RejectMembershipsScope
                if well_formed
                    && body
                        .pointer("/scope/@odata.type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.ends_with("principalResourceMembershipsScope")) =>
            {
                return Err(Refusal::new(
                    Why::InvalidBody,
                    "This scope type is not supported.",
                ));
            }
            _ => {}
        }
        let result = spec::update(&shown_current, &shown_body);
        // After: what becomes of the answer.
        let mut updated = match (d, result) {
            (Deviation::RemovalWrongStatus, Err(r)) if r.why == Why::FallbackReviewerRemoved => {
                return Err(r.with_status(400, None));
            }
            (_, Err(r)) => return Err(r),
            (_, Ok(u)) => u,
        };
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
                    return Err(conflict(&format!(
                        "Existing reviewers cannot be removed: {missing} is missing."
                    )));
                }
            }
            Deviation::RejectFallbackAdditions => {
                let added = spec::first_missing(
                    body.get("fallbackReviewers"),
                    current.get("fallbackReviewers"),
                );
                if added.is_some() {
                    return Err(conflict("Fallback reviewers cannot be changed."));
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

    /// Around the faithful rules, for a silent-page variant: other refusal codes, or a
    /// refusal of read-only values.
    fn vary_rules(
        self,
        current: &Object,
        body: &Value,
        result: Result<Object, Refusal>,
    ) -> Result<Object, Refusal> {
        match (self.variant, result) {
            (Some(Variant::NotInProgress400), Err(r)) if r.why == Why::NotInProgress => {
                Err(r.with_status(400, Some("BadRequest")))
            }
            (Some(Variant::ReadOnly400), Ok(_)) if carries_read_only_values(current, body) => Err(
                Refusal::new(Why::InvalidBody, "Read-only properties cannot be updated."),
            ),
            (_, result) => result,
        }
    }

    /// After the rules accepted an update: store it (faithfully, only the instance) and
    /// return the instance to answer with.
    fn commit(
        self,
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
        if !self.is(Deviation::NotPersisted) {
            store.put_instance(definition, updated.clone());
        }
        if self.is(Deviation::StaleBody) {
            return current.clone();
        }
        updated
    }

    /// After the rules refused an update: faithfully nothing is written.
    fn refused(self, store: &mut Store, definition: &str, current: &Object, body: &Value) {
        if self.is(Deviation::PartialWriteOnRefusal)
            && let Some(reviewers) = body.get("reviewers")
        {
            let mut partial = current.clone();
            partial.insert("reviewers".into(), spec::stored_reviewers(reviewers));
            store.put_instance(definition, partial);
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
