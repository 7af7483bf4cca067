//! Property tests: whatever a target answers — any status, any headers, any JSON with any
//! Unicode in any string, bytes that are not JSON, bodies up to the response limit — the
//! checks of every shipped case produce findings and never panic.

mod common;

use std::sync::LazyLock;

use accessreview_conformance::case::finding::StateObject;
use accessreview_conformance::case::template::Bindings;
use accessreview_conformance::case::{Snapshot, TrialSpec, UpdateMethod};
use accessreview_conformance::load::schema::SchemaSet;
use accessreview_conformance::run::verify::{Answer, Observation, ReadBack, verify};
use accessreview_conformance::target::HttpResponse;
use proptest::prelude::*;
use serde_json::{Map, Value};

struct Shipped {
    schemas: std::sync::Arc<SchemaSet>,
    trials: Vec<TrialSpec>,
    principals: std::collections::HashMap<String, String>,
}

static SHIPPED: LazyLock<Shipped> = LazyLock::new(|| {
    let (schemas, suite) = common::shipped();
    Shipped {
        trials: common::trials(&suite, UpdateMethod::Put),
        principals: suite.principals.clone(),
        schemas,
    }
});

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "(/v1.0|/beta|/BÉTA|日本|)?/users/[a-z0-9é日本語-]{0,12}/?".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        let key = prop_oneof![
            prop::sample::select(vec![
                "id",
                "status",
                "scope",
                "reviewers",
                "fallbackReviewers",
                "query",
                "queryType",
                "queryRoot",
                "@odata.context",
                "@odata.type",
                "error",
                "code",
                "message",
            ])
            .prop_map(str::to_string),
            any::<String>(),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Any query string: Graph-like, with any Unicode where a version segment would be.
fn any_query() -> impl Strategy<Value = String> {
    prop_oneof![
        "(/v1.0|/beta|/BÉTA|日本|é|)?(/users/[a-z0-9é日本語-]{0,12})?/?",
        any::<String>(),
    ]
}

/// A reviewer-scope-shaped object with any query, type and root.
fn reviewer_like() -> impl Strategy<Value = Value> {
    let parts = (
        any_query(),
        prop::option::of(any_json()),
        prop::option::of(any_json()),
    );
    parts.prop_map(|(q, t, r)| {
        let mut o = Map::new();
        o.insert("query".into(), Value::String(q));
        if let Some(t) = t {
            o.insert("queryType".into(), t);
        }
        if let Some(r) = r {
            o.insert("queryRoot".into(), r);
        }
        Value::Object(o)
    })
}

/// An instance-shaped answer: the properties the cases look at, with any values in them.
fn instance_like() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(reviewer_like(), 0..4),
        prop::collection::vec(reviewer_like(), 0..4),
        any_json(),
        prop_oneof![Just(Value::String("InProgress".into())), any_json()],
        any_query(),
    )
        .prop_map(|(reviewers, fallbacks, scope, status, scope_query)| {
            let mut scope = scope;
            if let Some(o) = scope.as_object_mut() {
                o.insert("query".into(), Value::String(scope_query));
            }
            serde_json::json!({
                "id": uuid::Uuid::new_v4().to_string(),
                "status": status,
                "scope": scope,
                "reviewers": reviewers,
                "fallbackReviewers": fallbacks,
            })
        })
}

/// A response body: JSON of any shape, bytes, or something large.
fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => any_json().prop_map(|v| v.to_string().into_bytes()),
        4 => instance_like().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..128),
        1 => (0usize..(1 << 20), any::<char>())
            .prop_map(|(n, c)| serde_json::json!({"id": c.to_string().repeat(n)}).to_string().into_bytes()),
    ]
}

fn any_headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop_oneof![
                Just("request-id".to_string()),
                Just("client-request-id".to_string()),
                Just("content-type".to_string()),
                "[a-z-]{1,12}",
            ],
            any::<String>(),
        ),
        0..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_case_checks_any_answer_without_panicking(
        status in 100u16..600,
        headers in any_headers(),
        body in any_body(),
        after in prop_oneof![instance_like().prop_map(Ok), any_json().prop_map(Ok), any::<String>().prop_map(Err)],
        before in prop_oneof![instance_like(), any_json()],
        copies in 1usize..3,
    ) {
        let shipped = &*SHIPPED;
        let mut bindings = Bindings::default();
        bindings.principals = std::sync::Arc::new(shipped.principals.clone());
        for name in ["definition", "instance", "sibling", "other", "foreign"] {
            bindings.ids.insert(name.into(), uuid::Uuid::new_v4().to_string());
        }
        let response = Ok(HttpResponse { status, headers, body });
        let prior = Snapshot::from_value(before.clone());
        let read = |object: StateObject| ReadBack {
            object,
            url: "http://target/beta/x".into(),
            before: Some(std::sync::Arc::new(Snapshot::from_value(before.clone()))),
            after: after.clone(),
        };
        for spec in &shipped.trials {
            let observation = Observation {
                answers: (0..copies).map(|_| Answer::new(&bindings, &response)).collect(),
                bindings: &bindings,
                prior: Some(&prior),
                acknowledged: Some(read(StateObject::Instance)),
                reads: vec![
                    read(StateObject::Instance),
                    read(StateObject::Definition),
                    read(StateObject::Sibling("sibling".into())),
                ],
            };
            // Findings or none; a panic fails the property.
            let findings = verify(&spec.case.then, &shipped.schemas, &observation);
            for f in &findings {
                prop_assert!(!f.to_string().is_empty());
            }
        }
    }
}
