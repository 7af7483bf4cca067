//! Tests of the hooks: without a deviation or variant each is the identity around the
//! faithful step; with one, it changes what the deviation names.
use std::sync::Mutex;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use serde_json::Value;

use crate::core::answer::{RequestIds, success, with_context};
use crate::core::auth::{Privilege, may_update};
use crate::core::credential::Restricted;
use crate::core::refusal::Refusal;
use crate::core::transaction::update;

use crate::core::refusal::Why;
use crate::core::spec;
use crate::core::store::{Store, lock};
use crate::faults::deviation::Deviation;
use crate::faults::hooks::Faults;
use serde_json::json;

fn with(deviation: Deviation) -> Faults {
    Faults::of(Some(deviation))
}

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
    let out = update(&Faults::default(), &store, &d, &i, &body)
        .await
        .unwrap();
    assert_eq!(out, spec::update(&before, &body).unwrap());
    assert_eq!(lock(&store).instance(&d, &i).unwrap(), &out);
    assert_eq!(lock(&store).definition(&d).unwrap()["reviewers"], json!([]));
    let refused = json!({"scope": {}, "fallbackReviewers": []});
    let err = update(&Faults::default(), &store, &d, &i, &refused)
        .await
        .unwrap_err();
    assert_eq!(err.why, Why::FallbackReviewerRemoved);
    assert_eq!(lock(&store).instance(&d, &i).unwrap(), &out);
}

#[tokio::test]
async fn write_parent_definition_touches_the_definition() {
    let (store, d, i) = seeded();
    let body = json!({"scope": {}, "reviewers": [{"query": "/users/r"}]});
    update(
        &with(Deviation::WriteParentDefinition),
        &store,
        &d,
        &i,
        &body,
    )
    .await
    .unwrap();
    assert_ne!(lock(&store).definition(&d).unwrap()["reviewers"], json!([]));
}

#[tokio::test]
async fn accept_fallback_removal_removes_and_keeps_omitted_lists() {
    let (store, d, i) = seeded();
    let f = with(Deviation::AcceptFallbackRemoval);
    let kept = update(&f, &store, &d, &i, &json!({"scope": {}}))
        .await
        .unwrap();
    assert_eq!(kept["fallbackReviewers"][0]["query"], "/v1.0/users/f");
    let removed = update(
        &f,
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
        update(&Faults::default(), &store, &d, &i, &body)
            .await
            .unwrap_err()
            .why,
        Why::NotInProgress
    );
    let out = update(&with(Deviation::UpdateAnyStatus), &store, &d, &i, &body)
        .await
        .unwrap();
    assert_eq!(out["status"], "Completed");
}

async fn bytes(resp: axum::response::Response) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let status = resp.status();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn without_a_deviation_or_variant_every_hook_is_the_identity() {
    let f = Faults::default();
    let refusal = || Refusal::new(Why::InvalidBody, "no");
    assert_eq!(f.method(&Method::PATCH), Ok(()));
    assert_eq!(f.method(&Method::PUT), Ok(()));
    let restricted = Privilege::Restricted(Restricted::Roleless);
    assert_eq!(f.authenticate(|| Err(refusal())), Err(refusal()));
    assert_eq!(
        f.may_update(restricted, may_update(restricted, None)),
        may_update(restricted, None)
    );
    assert_eq!(
        f.locate(Err(refusal()), || Some("other".into())),
        Err(refusal())
    );
    assert_eq!(f.locate(Ok("d".into()), || None), Ok("d".into()));
    assert_eq!(f.unknown_instance("i"), None);
    assert_eq!(f.content_type(Err(refusal())), Err(refusal()));
    assert_eq!(f.json(Err(refusal())), Err(refusal()));
    let instance = json!({"id": "i", "reviewers": []})
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(f.read(instance.clone(), None), instance);
    assert_eq!(f.not_found(refusal()), refusal());
    let body = with_context(instance, "ctx".into());
    for method in [Method::PUT, Method::PATCH] {
        let hooked = bytes(f.success(&method, body.clone()).await).await;
        assert_eq!(hooked, bytes(success(&body)).await);
    }
    let ids = RequestIds::for_request(&HeaderMap::new());
    let error = || (StatusCode::CONFLICT, "x").into_response();
    let hooked = bytes(f.finish(error(), &[], |r| ids.stamp(r)).await).await;
    assert_eq!(hooked, bytes(ids.stamp(error())).await);
}

#[tokio::test]
async fn a_deviation_wraps_the_faithful_answer() {
    let body = with_context(
        json!({"id": "i"}).as_object().unwrap().clone(),
        "ctx".into(),
    );
    let f = with(Deviation::NoODataContext);
    let (status, _, answered) = bytes(f.success(&Method::PUT, body).await).await;
    assert_eq!(status, StatusCode::OK);
    let answered: Value = serde_json::from_slice(&answered).unwrap();
    assert_eq!(answered, json!({"id": "i"}));
    let ids = RequestIds::for_request(&HeaderMap::new());
    let f = with(Deviation::NoRequestIds);
    let (_, headers, _) = bytes(
        f.finish(StatusCode::OK.into_response(), &[], |r| ids.stamp(r))
            .await,
    )
    .await;
    assert!(
        headers.iter().all(|(k, _)| !k.ends_with("request-id")),
        "{headers:?}"
    );
}

#[test]
fn unknown_users_400_refuses_only_users_the_tenant_does_not_have() {
    use crate::faults::variant::Variant;
    let faults = Faults {
        variants: crate::faults::hooks::Variants::of(&[Variant::UnknownUsers400]),
        ..Faults::default()
    };
    let known: std::collections::HashSet<String> = ["known-1".to_string()].into();
    let body = |q: &str| json!({"scope": {}, "fallbackReviewers": [{"query": "/users/known-1"}, {"query": q}]});
    for ok in [
        "/v1.0/users/KNOWN-1",
        "/groups/g/owners",
        "./manager",
        "/users/known-1/manager",
    ] {
        assert!(faults.users(&body(ok), &known).is_ok(), "{ok}");
    }
    for refused in ["/users/stranger", "/beta/users/stranger?$select=id"] {
        let r = faults.users(&body(refused), &known).unwrap_err();
        assert_eq!(r.status, 400, "{refused}");
    }
    // Without the variant, nobody is checked.
    assert!(
        Faults::of(None)
            .users(&body("/users/stranger"), &known)
            .is_ok()
    );
}

#[tokio::test]
async fn a_profiles_error_codes_replace_the_code_of_their_status_only() {
    let ids = RequestIds::for_request(&HeaderMap::new());
    let codes = [
        (409, "ConflictFromProfile".to_string()),
        (404, String::new()),
    ];
    let refused = |status: StatusCode| {
        crate::core::answer::json_response(status, &json!({"error": {"code": "C", "message": "m"}}))
    };
    let code_of = |answered: &[u8]| {
        let v: Value = serde_json::from_slice(answered).unwrap();
        v["error"]["code"].as_str().unwrap().to_string()
    };
    let f = Faults::default();
    for (status, want) in [
        (StatusCode::CONFLICT, "ConflictFromProfile"),
        (StatusCode::NOT_FOUND, ""),
        (StatusCode::BAD_REQUEST, "C"),
    ] {
        let (_, _, answered) =
            bytes(f.finish(refused(status), &codes, |r| ids.stamp(r)).await).await;
        assert_eq!(code_of(&answered), want, "{status}");
    }
    // A success is never rewritten.
    let ok = || crate::core::answer::json_response(StatusCode::OK, &json!({"id": "i"}));
    let codes = [(200, "X".to_string())];
    let hooked = bytes(f.finish(ok(), &codes, |r| ids.stamp(r)).await).await;
    assert_eq!(hooked.2, bytes(ids.stamp(ok())).await.2);
}
