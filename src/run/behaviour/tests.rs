//! `observe` and `held_to` without a server: the facts of given answers and reads.

use rstest::rstest;
use serde_json::{Value, json};

use super::*;
use crate::case::template::Bindings;
use crate::run::verify::{Answer, ReadBack};
use crate::target::exchange::{HttpResponse, TransportError};

fn answer(
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status,
        headers: (headers.iter())
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    })
}

/// The facts of these answers (one per copy) to these bodies sent, and of an instance read back.
fn facts_of(
    responses: &[Result<HttpResponse, TransportError>],
    sent: &[Option<Value>],
    read: Option<Value>,
    detail: Detail,
) -> Behaviour {
    let bindings = Bindings::default();
    let obs = Observation {
        answers: responses
            .iter()
            .map(|r| Answer::new(&bindings, r))
            .collect(),
        bindings: &bindings,
        prior: None,
        acknowledged: None,
        reads: read
            .into_iter()
            .map(|after| ReadBack {
                object: StateObject::Instance,
                url: "http://x/i".into(),
                before: None,
                after: Ok(after),
            })
            .collect(),
    };
    observe(sent, &obs, detail)
}

fn one(status: u16, body: &str) -> BTreeMap<String, String> {
    facts_of(
        &[answer(
            status,
            &[("content-type", "application/json; charset=utf-8")],
            body,
        )],
        &[None],
        None,
        Detail::Facts,
    )
    .facts
}

#[rstest]
#[case(
    r#"{"error":{"code":"Conflict","message":"no"}}"#,
    "error.code",
    "Conflict"
)]
#[case(r#"{"error":{"code":"","message":"no"}}"#, "error.code", "(empty)")]
#[case(r#"{"error":{"message":"no"}}"#, "error.code", "(absent)")]
#[case(r#"{"error":{"code":7,"message":"no"}}"#, "error.code", "(a number)")]
#[case(r#"{"error":{"code":"X","message":" "}}"#, "error.message", "empty")]
#[case(r#"{"error":{"code":"X","message":"why"}}"#, "error.message", "text")]
#[case(
    r#"{"error":{"code":"X","innerError":{}}}"#,
    "error.properties",
    "code, innerError"
)]
#[case(r#"{"status":"InProgress","id":"i"}"#, "body.properties", "id, status")]
#[case(
    r#"{"reviewers":[{"query":"q","x":1},{"queryType":"t"}]}"#,
    "body.reviewers.entries",
    "query, queryType, x"
)]
#[case("<html/>", "body", "not JSON")]
#[case("", "body", "empty")]
#[case("[1]", "body", "JSON array")]
#[case("{}", "content-type", "application/json")]
fn each_fact_of_an_answer(#[case] body: &str, #[case] fact: &str, #[case] value: &str) {
    let facts = one(409, body);
    assert_eq!(
        facts.get(fact).map(String::as_str),
        Some(value),
        "{facts:?}"
    );
    assert_eq!(facts["status"], "409");
}

#[rstest]
#[case(&["/users/a", "/users/b"], &["/users/a", "/users/b"], "as sent", Some("as sent"))]
#[case(&["/users/a", "/users/b"], &["/v1.0/users/a", "/v1.0/users/b"], "as sent", Some("graph echo form"))]
#[case(&["/users/a", "/users/b"], &["/v1.0/users/A", "/v1.0/users/b"], "as sent", Some("other"))]
#[case(&["/users/a", "/users/b"], &["/v1.0/users/b", "/v1.0/users/a"], "other order", None)]
#[case(&["/users/a", "/users/b"], &["/v1.0/users/a"], "other entries", None)]
fn how_a_list_sent_is_echoed(
    #[case] sent: &[&str],
    #[case] echoed: &[&str],
    #[case] order: &str,
    #[case] echo: Option<&str>,
) {
    let list =
        |qs: &[&str]| Value::from(qs.iter().map(|q| json!({"query": q})).collect::<Vec<_>>());
    let body = json!({"fallbackReviewers": list(echoed)}).to_string();
    let b = facts_of(
        &[answer(200, &[], &body)],
        &[Some(json!({"fallbackReviewers": list(sent)}))],
        None,
        Detail::Facts,
    );
    assert_eq!(b.facts["body.fallbackReviewers.order"], order);
    assert_eq!(
        b.facts
            .get("body.fallbackReviewers.echo")
            .map(String::as_str),
        echo
    );
}

#[test]
fn headers_of_note_are_facts_and_ids_and_dates_are_evidence() {
    let b = facts_of(
        &[answer(
            200,
            &[
                ("request-id", "r-1"),
                ("date", "Wed, 02 Dec 2026 04:00:00 GMT"),
                ("x-other", "1"),
            ],
            "{}",
        )],
        &[None],
        None,
        Detail::Facts,
    );
    assert_eq!(b.facts["headers"], "request-id");
    assert_eq!(b.evidence["request-id"], "r-1");
    assert!(b.evidence["date"].ends_with("GMT"));
    assert!(
        b.facts
            .values()
            .all(|v| !v.contains("r-1") && !v.contains("GMT")),
        "{b:?}"
    );
    assert_eq!(one(200, "{}")["headers"], "(none)");
}

#[test]
fn no_answer_is_a_fact() {
    let b = facts_of(
        &[Err(TransportError::Broken("cut".into()))],
        &[None],
        None,
        Detail::Facts,
    );
    assert_eq!(b.facts["answer"], "none (the response could not be read)");
    assert!(!b.facts.contains_key("status"));
}

#[test]
fn racing_copies_are_merged_as_sets_and_carry_no_values() {
    let ok = answer(200, &[], r#"{"id":"i"}"#);
    let refused = answer(409, &[], r#"{"error":{"code":"Conflict","message":"m"}}"#);
    let one_way = facts_of(
        &[ok.clone(), refused.clone(), refused.clone()],
        &[None, None, None],
        None,
        Detail::Values,
    );
    let other_way = facts_of(
        &[refused.clone(), ok, refused],
        &[None, None, None],
        None,
        Detail::Values,
    );
    assert_eq!(
        one_way,
        Behaviour {
            evidence: BTreeMap::new(),
            ..other_way
        }
    );
    assert_eq!(one_way.facts["status"], "200 | 409");
    assert_eq!(one_way.facts["statuses"], "200, 409, 409");
    assert!(
        one_way.facts.keys().all(|k| !k.starts_with("value ")),
        "{one_way:?}"
    );
}

#[test]
fn values_are_every_leaf_by_pointer_and_the_read_back_too() {
    let b = facts_of(
        &[answer(200, &[], r#"{"a/b":{"c":[1,"x"]},"e":{}}"#)],
        &[None],
        Some(json!({"id": "i", "fallbackReviewers": [{"query": "q"}]})),
        Detail::Values,
    );
    assert_eq!(b.facts["value body /a~1b/c/0"], "1");
    assert_eq!(b.facts["value body /a~1b/c/1"], "\"x\"");
    assert_eq!(b.facts["value body /e"], "{}");
    assert_eq!(b.facts["value read-back /id"], "\"i\"");
    assert_eq!(b.facts["read-back.properties"], "fallbackReviewers, id");
    assert_eq!(b.facts["read-back.fallbackReviewers.entries"], "query");
    // Facts alone hold no value.
    let facts = facts_of(
        &[answer(200, &[], "{}")],
        &[None],
        Some(json!({"id": "i"})),
        Detail::Facts,
    );
    assert!(facts.facts.keys().all(|k| !k.starts_with("value ")));
}

#[test]
fn a_trial_held_to_a_profile_diverges_on_each_fact_that_differs() {
    let expected: BTreeMap<String, String> =
        [("status", "409"), ("error.code", "Conflict"), ("gone", "x")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let observed = Behaviour {
        facts: one(400, r#"{"error":{"code":"Conflict","message":"m"}}"#),
        evidence: BTreeMap::new(),
    };
    let findings = held_to(&expected, &observed);
    let shown: Vec<String> = findings.iter().map(ToString::to_string).collect();
    assert!(
        findings
            .iter()
            .all(|f| f.severity == Severity::Divergence && f.rules.is_empty())
    );
    assert!(
        shown.contains(
            &"behaviour: status: the profile records 409; the target gave 400".to_string()
        ),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("behaviour: gone:") && s.ends_with("gave (absent)")),
        "{shown:?}"
    );
    assert!(shown.iter().all(|s| !s.contains("error.code")), "{shown:?}");
    // Facts the profile does not have are differences too.
    assert!(
        shown
            .iter()
            .any(|s| s.starts_with("behaviour: content-type: the profile records (absent)"))
    );
    // The same facts: nothing.
    assert!(held_to(&observed.facts, &observed).is_empty());
}

#[test]
fn a_plain_get_is_a_fact_when_one_was_made() {
    let mut b = Behaviour::default();
    plain_get(&mut b, None);
    assert!(b.facts.is_empty());
    plain_get(
        &mut b,
        Some(&Ok(json!({"id": "i", "status": "InProgress"}))),
    );
    assert_eq!(b.facts["plain-get.properties"], "id, status");
    let mut b = Behaviour::default();
    plain_get(&mut b, Some(&Err("status 404".into())));
    assert_eq!(b.facts["plain-get"], "failed");
}
