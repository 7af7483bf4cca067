//! Tests of the parent module.
use std::sync::Mutex;

use crate::core::refusal::Why;
use crate::core::spec;
use crate::core::store::{Store, lock};
use crate::faults::deviation::Deviation;
use crate::faults::hooks::Faults;
use serde_json::json;

fn seeded() -> (Mutex<Store>, String, String) {
    let mut store = Store::default();
    let s = store
        .seed(&json!({"instances": [{"status": "InProgress", "fallbackReviewers": [{"query": "/users/f"}]}, {"status": "InProgress"}]}))
        .unwrap();
    let i = s.instance_ids[0].clone();
    (Mutex::new(store), s.definition_id, i)
}

#[tokio::test]
async fn without_a_deviation_the_transaction_is_the_core() {
    let (store, d, i) = seeded();
    let body = json!({"scope": {}, "reviewers": [{"query": "/users/r"}]});
    let before = lock(&store).instance(&d, &i).unwrap().clone();
    let out = Faults::default()
        .update(&store, &d, &i, &body)
        .await
        .unwrap();
    assert_eq!(out, spec::update(&before, &body).unwrap());
    assert_eq!(lock(&store).instance(&d, &i).unwrap(), &out);
    assert_eq!(lock(&store).definition(&d).unwrap()["reviewers"], json!([]));
    let refused = json!({"scope": {}, "fallbackReviewers": []});
    let err = Faults::default()
        .update(&store, &d, &i, &refused)
        .await
        .unwrap_err();
    assert_eq!(err.why, Why::FallbackReviewerRemoved);
    assert_eq!(lock(&store).instance(&d, &i).unwrap(), &out);
}

#[tokio::test]
async fn write_parent_definition_touches_the_definition() {
    let (store, d, i) = seeded();
    let body = json!({"scope": {}, "reviewers": [{"query": "/users/r"}]});
    Faults::of(Some(Deviation::WriteParentDefinition))
        .update(&store, &d, &i, &body)
        .await
        .unwrap();
    assert_ne!(lock(&store).definition(&d).unwrap()["reviewers"], json!([]));
}

#[tokio::test]
async fn accept_fallback_removal_removes_and_keeps_omitted_lists() {
    let (store, d, i) = seeded();
    let f = Faults::of(Some(Deviation::AcceptFallbackRemoval));
    let kept = f
        .update(&store, &d, &i, &json!({"scope": {}}))
        .await
        .unwrap();
    assert_eq!(kept["fallbackReviewers"][0]["query"], "/v1.0/users/f");
    let removed = f
        .update(
            &store,
            &d,
            &i,
            &json!({"scope": {}, "fallbackReviewers": []}),
        )
        .await
        .unwrap();
    assert_eq!(removed["fallbackReviewers"], json!([]));
}

#[tokio::test]
async fn update_any_status_keeps_the_status() {
    let mut store = Store::default();
    let s = store
        .seed(&json!({"instances": [{"status": "Completed"}]}))
        .unwrap();
    let store = Mutex::new(store);
    let (d, i) = (s.definition_id, s.instance_ids[0].clone());
    let body = json!({"scope": {}, "reviewers": []});
    assert_eq!(
        Faults::default()
            .update(&store, &d, &i, &body)
            .await
            .unwrap_err()
            .why,
        Why::NotInProgress
    );
    let out = Faults::of(Some(Deviation::UpdateAnyStatus))
        .update(&store, &d, &i, &body)
        .await
        .unwrap();
    assert_eq!(out["status"], "Completed");
}
