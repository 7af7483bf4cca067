//! The update transaction: read the addressed instance, apply the rules of the page
//! ([`spec::update`]), write the instance back — under the store's lock, so that concurrent
//! updates of one instance are serialised. Each step is a method of [`UpdateHooks`] whose
//! default is the faithful step; [`Faithful`] overrides none. A deviation overrides only the
//! steps it changes, and always wraps the faithful result.

use std::borrow::Cow;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use crate::core::refusal::Refusal;
use crate::core::spec::{self, Object};
use crate::core::store::{Store, lock};

/// The steps of an update a deviation may change. Every default is the faithful step.
pub(crate) trait UpdateHooks {
    /// Before the rules: the instance and body they are shown (faithfully, as they are).
    fn shown<'a>(&self, current: &'a Object, body: &'a Value) -> (Cow<'a, Object>, Cow<'a, Value>) {
        (Cow::Borrowed(current), Cow::Borrowed(body))
    }

    /// Instead of the rules: a refusal of a body the page allows (faithfully, none).
    fn instead(&self, _current: &Object, _body: &Value) -> Option<Refusal> {
        None
    }

    /// After the rules: what becomes of their result (faithfully, the result).
    fn after(
        &self,
        _current: &Object,
        _body: &Value,
        faithful: Result<Object, Refusal>,
    ) -> Result<Object, Refusal> {
        faithful
    }

    /// After the rules accepted: what is written and which instance is answered (faithfully,
    /// [`write`]: only the instance, and the instance as written).
    fn commit(
        &self,
        store: &mut Store,
        definition: &str,
        _current: &Object,
        updated: Object,
    ) -> Object {
        write(store, definition, updated)
    }

    /// After the rules refused: what is written anyway (faithfully, nothing).
    fn refused(&self, _store: &mut Store, _definition: &str, _current: &Object, _body: &Value) {}

    /// A wait between reading and writing, each under its own lock (faithfully, none: one
    /// lock around both).
    fn race_window(&self) -> Option<Duration> {
        None
    }
}

/// The faithful transaction: no step changed.
#[cfg(test)]
pub(crate) struct Faithful;

#[cfg(test)]
impl UpdateHooks for Faithful {}

/// The faithful write: the updated instance replaces the stored one, and is answered.
pub(crate) fn write(store: &mut Store, definition: &str, updated: Object) -> Object {
    store.put_instance(definition, updated.clone());
    updated
}

/// The rules of the page with the hooks' steps around them.
fn rules(hooks: &impl UpdateHooks, current: &Object, body: &Value) -> Result<Object, Refusal> {
    if let Some(refusal) = hooks.instead(current, body) {
        return Err(refusal);
    }
    let (shown_current, shown_body) = hooks.shown(current, body);
    hooks.after(current, body, spec::update(&shown_current, &shown_body))
}

/// Updates one instance: read, rules, write (404 when the path names no instance).
pub(crate) async fn update(
    hooks: &impl UpdateHooks,
    store: &Mutex<Store>,
    definition: &str,
    instance: &str,
    body: &Value,
) -> Result<Object, Refusal> {
    let (mut store, current) = match hooks.race_window() {
        Some(wait) => {
            let current = lock(store).instance(definition, instance)?.clone();
            tokio::time::sleep(wait).await;
            (lock(store), current)
        }
        None => {
            let guard = lock(store);
            let current = guard.instance(definition, instance)?.clone();
            (guard, current)
        }
    };
    match rules(hooks, &current, body) {
        Ok(updated) => Ok(hooks.commit(&mut store, definition, &current, updated)),
        Err(refusal) => {
            hooks.refused(&mut store, definition, &current, body);
            Err(refusal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::refusal::Why;
    use serde_json::json;

    #[tokio::test]
    async fn the_faithful_transaction_applies_the_rules_to_the_instance_only() {
        let mut seeded = Store::default();
        let fixture = json!({"instances": [{"status": "InProgress", "fallbackReviewers": [{"query": "/users/f"}]}, {"status": "InProgress"}]});
        let s = seeded.seed(&fixture).unwrap();
        let (d, i) = (s.definition_id, s.instance_ids[0].clone());
        let store = Mutex::new(seeded);
        let body = json!({"scope": {}, "reviewers": [{"query": "/users/r"}]});
        let before = lock(&store).instance(&d, &i).unwrap().clone();
        let out = update(&Faithful, &store, &d, &i, &body).await.unwrap();
        assert_eq!(out, spec::update(&before, &body).unwrap());
        assert_eq!(lock(&store).instance(&d, &i).unwrap(), &out);
        let sibling = lock(&store)
            .instance(&d, &s.instance_ids[1])
            .unwrap()
            .clone();
        assert_eq!(sibling["reviewers"], json!([]));
        assert_eq!(lock(&store).definition(&d).unwrap()["reviewers"], json!([]));
        let refused = json!({"scope": {}, "fallbackReviewers": []});
        let err = update(&Faithful, &store, &d, &i, &refused)
            .await
            .unwrap_err();
        assert_eq!(err.why, Why::FallbackReviewerRemoved);
        assert_eq!(lock(&store).instance(&d, &i).unwrap(), &out);
        let missing = update(&Faithful, &store, &d, "nope", &body)
            .await
            .unwrap_err();
        assert_eq!(missing.why, Why::NotFound);
    }
}
