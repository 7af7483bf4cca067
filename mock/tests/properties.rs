//! Property tests: the mock under generated hostile input (arbitrary JSON bodies at every
//! level, any Unicode, deep nesting, long strings; arbitrary path segments, methods and
//! headers) never panics, never answers 5xx, refuses only with Graph error bodies, changes
//! nothing when it refuses, and when it accepts keeps scope, id and status and removes no
//! fallback reviewer. Requests go through the router in-process (no sockets), so a few hundred
//! cases per property keep `cargo test` short.

use accessreview_mock::{MockOptions, router};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const API: &str = "/beta/identityGovernance/accessReviews/definitions";

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 192,
        // Nothing is written into the source tree; a failure prints its minimal input.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

struct Answer {
    status: u16,
    body: Vec<u8>,
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(f)
}

async fn call(
    app: &Router,
    method: &str,
    uri: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    // As an HTTP client does for a body of known size (without a length, the mock answers a
    // POST/PUT/PATCH 411 as Graph's front end does: tested in lifecycle.rs).
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        req = req.header("content-length", body.len().to_string());
    }
    let req = req.body(Body::from(body)).expect("a valid request");
    let resp = app.clone().oneshot(req).await.expect("infallible");
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    Answer { status, body }
}

/// What identifies a reviewer, written here from the page and the mock's documented choice
/// (the query as Graph compares queries — no version segment, no trailing slash, any letter
/// case — with its queryType and queryRoot), independently of the mock's own code.
fn reviewer_identity(entry: &Value) -> (String, String, String) {
    let text = |k: &str| entry.get(k).and_then(Value::as_str).unwrap_or("").trim();
    let query = text("query").to_lowercase();
    let query = ["/v1.0/", "/beta/"]
        .iter()
        .find_map(|v| {
            query
                .strip_prefix(&v[..v.len() - 1])
                .filter(|r| r.starts_with('/'))
        })
        .unwrap_or(&query);
    let query = query.strip_suffix('/').unwrap_or(query).to_string();
    (
        query,
        text("queryType").to_lowercase(),
        text("queryRoot").to_lowercase(),
    )
}

fn bearer() -> Vec<(String, String)> {
    vec![
        ("authorization".into(), "Bearer t".into()),
        ("content-type".into(), "application/json".into()),
    ]
}

/// A fresh mock with one InProgress instance (and a sibling) whose fallback reviewer is bob.
async fn seeded() -> (Router, String, Value) {
    let app = router(MockOptions::default());
    let fixture = json!({
        "definition": {"fallbackReviewers": [{"query": "/users/bob", "queryType": "MicrosoftGraph"}]},
        "instances": [{"status": "InProgress"}, {"status": "Completed"}]
    });
    let a = call(
        &app,
        "POST",
        "/_conformance/fixtures",
        &bearer(),
        fixture.to_string().into_bytes(),
    )
    .await;
    assert_eq!(a.status, 201);
    let ids: Value = serde_json::from_slice(&a.body).expect("JSON");
    let d = ids["definitionId"].as_str().unwrap_or_default().to_string();
    let i = ids["instanceIds"][0]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let url = format!("{API}/{d}/instances/{i}");
    let before = read(&app, &url).await;
    (app, url, before)
}

async fn read(app: &Router, url: &str) -> Value {
    let a = call(app, "GET", url, &bearer(), Vec::new()).await;
    assert_eq!(a.status, 200);
    let mut v: Value = serde_json::from_slice(&a.body).expect("JSON");
    if let Some(o) = v.as_object_mut() {
        o.remove("@odata.context");
    }
    v
}

/// Asserts the answer is not a server error, and a refusal is a Graph error body.
fn well_behaved(a: &Answer) -> Result<(), TestCaseError> {
    prop_assert!(a.status < 500, "status {}", a.status);
    if a.status >= 400 {
        let body: Value = serde_json::from_slice(&a.body).map_err(|e| {
            TestCaseError::fail(format!(
                "{}: not JSON ({e}): {:?}",
                a.status,
                String::from_utf8_lossy(&a.body)
            ))
        })?;
        prop_assert!(body["error"]["code"].is_string(), "{}: {body}", a.status);
        prop_assert!(body["error"]["message"].is_string(), "{}: {body}", a.status);
    }
    Ok(())
}

/// Any JSON: every type at every level, any Unicode in keys and strings.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "(/v1.0|/beta|/BETA|)?/users/(bob|BOB|alice|日本語|é)/?".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Keys the mock knows, and any others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "scope",
            "reviewers",
            "fallbackReviewers",
            "query",
            "queryType",
            "queryRoot",
            "@odata.type",
            "status",
            "id",
            "startDateTime",
            "errors",
        ])
        .prop_map(str::to_string),
        any::<String>(),
    ]
}

/// A reviewer entry: mostly well-formed, sometimes anything.
fn reviewer() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (
            prop_oneof![Just("/users/bob".to_string()), Just("/v1.0/USERS/bob/".to_string()), any::<String>()],
            prop::option::of(prop_oneof![Just("MicrosoftGraph".to_string()), any::<String>()]),
            prop::option::of(any::<String>()),
        )
            .prop_map(|(q, t, r)| {
                let mut o = Map::new();
                o.insert("query".into(), Value::String(q));
                if let Some(t) = t {
                    o.insert("queryType".into(), Value::String(t));
                }
                if let Some(r) = r {
                    o.insert("queryRoot".into(), Value::String(r));
                }
                Value::Object(o)
            }),
        1 => any_json(),
    ]
}

/// An update body: near-valid bodies, arbitrary JSON, deep nesting, long strings, or bytes.
fn update_body() -> impl Strategy<Value = Vec<u8>> {
    let near_valid = (
        prop::option::of(prop_oneof![Just(json!({})), any_json()]),
        prop::option::of(prop::collection::vec(reviewer(), 0..4)),
        prop::option::of(prop::collection::vec(reviewer(), 0..4)),
        prop::option::of((key(), any_json())),
    )
        .prop_map(|(scope, reviewers, fallbacks, extra)| {
            let mut o = Map::new();
            if let Some(s) = scope {
                o.insert("scope".into(), s);
            }
            if let Some(r) = reviewers {
                o.insert("reviewers".into(), Value::Array(r));
            }
            if let Some(f) = fallbacks {
                o.insert("fallbackReviewers".into(), Value::Array(f));
            }
            if let Some((k, v)) = extra {
                o.insert(k, v);
            }
            Value::Object(o).to_string().into_bytes()
        });
    prop_oneof![
        6 => near_valid,
        2 => any_json().prop_map(|v| v.to_string().into_bytes()),
        1 => (1usize..400).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes()),
        1 => (1usize..300).prop_map(|n| {
            let mut v = json!({"scope": {}});
            for _ in 0..n {
                v = json!({"scope": {}, "fallbackReviewers": [{"query": v}]});
            }
            v.to_string().into_bytes()
        }),
        1 => (0usize..(1 << 20)).prop_map(|n| json!({"scope": {}, "reviewers": [{"query": "x".repeat(n)}]}).to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn updates_never_break_the_rules(method in prop::sample::select(vec!["PUT", "PATCH"]), body in update_body()) {
        block_on(async {
            let (app, url, before) = seeded().await;
            let a = call(&app, method, &url, &bearer(), body).await;
            well_behaved(&a)?;
            let after = read(&app, &url).await;
            if a.status >= 400 {
                prop_assert_eq!(&after, &before, "a refused update changed the instance");
                return Ok(());
            }
            prop_assert_eq!(a.status, 200);
            for k in ["id", "scope", "status"] {
                prop_assert_eq!(&after[k], &before[k], "{} changed", k);
            }
            let kept: Vec<_> = after["fallbackReviewers"].as_array().into_iter().flatten().map(reviewer_identity).collect();
            for f in before["fallbackReviewers"].as_array().into_iter().flatten() {
                prop_assert!(kept.contains(&reviewer_identity(f)), "fallback reviewer {} removed", f);
            }
            Ok::<(), TestCaseError>(())
        })?;
    }

    #[test]
    fn any_path_method_and_headers_get_a_graph_answer(
        method in prop::sample::select(vec!["GET", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "HEAD", "FOO"]),
        definition in prop_oneof![Just(None), prop::collection::vec(any::<u8>(), 0..12).prop_map(Some)],
        instance in prop_oneof![Just(None), prop::collection::vec(any::<u8>(), 0..12).prop_map(Some)],
        tail in prop::sample::select(vec!["", "/", "/instances", "/x/y", "?$select=id", "%2F.."]),
        content_type in prop::option::of(prop_oneof![Just("application/json".to_string()), "[ -~]{0,30}"]),
        authorization in prop::option::of(prop_oneof![Just("Bearer t".to_string()), "[ -~]{0,30}"]),
        body in update_body(),
    ) {
        block_on(async {
            let (app, url, before) = seeded().await;
            // Each byte percent-encoded: every path segment, valid UTF-8 or not.
            let encode = |b: &[u8]| b.iter().map(|c| format!("%{c:02X}")).collect::<String>();
            let target = match (&definition, &instance) {
                (None, _) => format!("{url}{tail}"),
                (Some(d), None) => format!("{API}/{}{tail}", encode(d)),
                (Some(d), Some(i)) => format!("{API}/{}/instances/{}{tail}", encode(d), encode(i)),
            };
            let mut headers = Vec::new();
            if let Some(ct) = content_type {
                headers.push(("content-type".to_string(), ct));
            }
            if let Some(auth) = authorization {
                headers.push(("authorization".to_string(), auth));
            }
            let a = call(&app, method, &target, &headers, body).await;
            if method != "HEAD" {
                well_behaved(&a)?;
            } else {
                prop_assert!(a.status < 500, "status {}", a.status);
            }
            let after = read(&app, &url).await;
            if a.status != 200 || definition.is_some() {
                prop_assert_eq!(&after, &before, "a request that was not an accepted update changed the instance");
            }
            Ok::<(), TestCaseError>(())
        })?;
    }

    #[test]
    fn any_fixture_body_gets_a_graph_answer(body in prop_oneof![any_json().prop_map(|v| v.to_string().into_bytes()), prop::collection::vec(any::<u8>(), 0..64)]) {
        block_on(async {
            let app = router(MockOptions::default());
            let a = call(&app, "POST", "/_conformance/fixtures", &bearer(), body).await;
            well_behaved(&a)?;
            Ok::<(), TestCaseError>(())
        })?;
    }
}
