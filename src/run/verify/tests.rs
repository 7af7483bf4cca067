//! `verify` without a server: each kind of finding from given answers and reads.

use std::sync::LazyLock;
use std::time::Duration;

use rstest::rstest;
use serde_json::{Value, json};

use super::*;
use crate::case::{Afterwards, StatusExpectation};
use crate::load::files::{EMBEDDED_SCHEMAS, embedded};

static SCHEMAS: LazyLock<SchemaSet> =
    LazyLock::new(|| SchemaSet::build(&embedded(&EMBEDDED_SCHEMAS, "schemas").unwrap()).unwrap());

fn matcher(v: Value) -> Matcher {
    let mut errors = Vec::new();
    let m = Matcher::parse(&v, "", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    m
}

fn then(status: u16) -> Then {
    Then {
        status: Some(StatusExpectation::Code(status)),
        schema: None,
        headers: Vec::new(),
        body: None,
        afterwards: Afterwards::default(),
        acknowledged: None,
    }
}

fn answer(
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    })
}

fn read(object: StateObject, before: Value, after: Result<Value, String>) -> ReadBack {
    ReadBack {
        object,
        url: "http://t/beta/x".into(),
        before: Some(std::sync::Arc::new(crate::case::Snapshot::from_value(
            before,
        ))),
        after,
    }
}

/// A trial's expectations and what it observed.
struct Scenario {
    then: Then,
    answers: Vec<Result<HttpResponse, TransportError>>,
    acknowledged: Option<ReadBack>,
    reads: Vec<ReadBack>,
}

impl Scenario {
    fn new(then: Then, answers: Vec<Result<HttpResponse, TransportError>>) -> Scenario {
        Scenario {
            then,
            answers,
            acknowledged: None,
            reads: Vec::new(),
        }
    }

    fn findings(&self) -> Vec<Finding> {
        let bindings = Bindings::default();
        let forks: Vec<Bindings> = self.answers.iter().map(|_| bindings.fork()).collect();
        let obs = Observation {
            answers: forks
                .iter()
                .zip(&self.answers)
                .map(|(b, response)| Answer::new(b, response))
                .collect(),
            bindings: &bindings,
            prior: None,
            acknowledged: self.acknowledged.clone(),
            reads: self.reads.clone(),
        };
        verify(&self.then, &SCHEMAS, &obs)
    }
}

fn status() -> Scenario {
    Scenario::new(then(200), vec![answer(201, &[], "")])
}

fn header() -> Scenario {
    let mut t = then(200);
    t.headers = vec![
        ("request-id".into(), matcher(json!({"$regex": "^r-"}))),
        ("x-absent".into(), matcher(json!("$any"))),
    ];
    Scenario::new(t, vec![answer(200, &[("request-id", "other")], "")])
}

fn no_answer() -> Scenario {
    Scenario::new(
        then(200),
        vec![Err(TransportError::Timeout(Duration::from_secs(1)))],
    )
}

fn not_json() -> Scenario {
    let mut t = then(200);
    t.body = Some(matcher(json!({"id": "$uuid"})));
    Scenario::new(t, vec![answer(200, &[], "<html>")])
}

fn schema() -> Scenario {
    let mut t = then(400);
    t.schema = Some("graphError".into());
    Scenario::new(t, vec![answer(400, &[], "{\"error\": {\"code\": 5}}")])
}

fn body() -> Scenario {
    let mut t = then(200);
    t.body = Some(matcher(json!({"status": "Completed", "scope": "$absent"})));
    Scenario::new(t, vec![answer(200, &[], "{\"status\": \"InProgress\"}")])
}

fn instance_after() -> Scenario {
    let mut t = then(200);
    t.afterwards.instance = Some(matcher(json!({"reviewers": "$unchanged"})));
    let mut s = Scenario::new(t, vec![answer(200, &[], "{}")]);
    s.reads = vec![read(
        StateObject::Instance,
        json!({"reviewers": []}),
        Ok(json!({"reviewers": [{"query": "/users/x"}]})),
    )];
    s
}

fn definition_unreadable() -> Scenario {
    let mut t = then(200);
    t.afterwards.definition = Some(matcher(json!("$unchanged")));
    let mut s = Scenario::new(t, vec![answer(200, &[], "{}")]);
    s.reads = vec![read(
        StateObject::Definition,
        json!({}),
        Err("status 404: gone".into()),
    )];
    s
}

fn sibling_after() -> Scenario {
    let mut t = then(200);
    t.afterwards.siblings = Some(matcher(json!({"status": "$unchanged"})));
    let mut s = Scenario::new(t, vec![answer(200, &[], "{}")]);
    s.reads = vec![read(
        StateObject::Sibling("sibling".into()),
        json!({"status": "InProgress"}),
        Ok(json!({"status": "Completed"})),
    )];
    s
}

fn none_acknowledged() -> Scenario {
    let mut t = then(200);
    t.acknowledged = Some(matcher(json!({"id": "$any"})));
    let mut s = Scenario::new(t, vec![answer(409, &[], ""), answer(409, &[], "")]);
    s.acknowledged = Some(read(
        StateObject::Instance,
        json!({}),
        Ok(json!({"id": "i"})),
    ));
    s
}

fn lost_acknowledged() -> Scenario {
    let mut t = then(200);
    t.acknowledged = Some(matcher(
        json!({"reviewers": {"$contains": [{"query": "/users/kept"}]}}),
    ));
    let mut s = Scenario::new(t, vec![answer(200, &[], ""), answer(200, &[], "")]);
    s.acknowledged = Some(read(
        StateObject::Instance,
        json!({}),
        Ok(json!({"reviewers": [{"query": "/users/other"}]})),
    ));
    s
}

#[rstest]
#[case::status(status(), &["status: expected 200, got 201"])]
#[case::header(header(), &[
    "headers: header request-id: expected a string matching /^r-/, got \"other\"",
    "headers: header x-absent: expected any value, got absent",
])]
#[case::no_answer(no_answer(), &["response: $: expected a complete answer with status 200, got no complete answer within 1s (--timeout)"])]
#[case::not_json(not_json(), &["response body: $: expected a JSON body, got \"<html>\" (expected value at line 1 column 1)"])]
#[case::body(body(), &[
    "response body: $.status: expected \"Completed\", got \"InProgress\"",
])]
#[case::instance_after(instance_after(), &["instance afterwards: $.reviewers: expected unchanged: [], got [{\"query\":\"/users/x\"}]"])]
#[case::definition_unreadable(definition_unreadable(), &["definition afterwards: GET http://t/beta/x: expected 200 with a JSON object, got status 404: gone"])]
#[case::sibling_after(sibling_after(), &["sibling `sibling` afterwards: $.status: expected unchanged: \"InProgress\", got \"Completed\""])]
#[case::none_acknowledged(none_acknowledged(), &[
    "request #0: status: expected 200, got 409",
    "request #1: status: expected 200, got 409",
    "acknowledged requests: status: expected at least one request answered 200, got none",
])]
fn each_kind_of_finding(#[case] scenario: Scenario, #[case] expected: &[&str]) {
    let shown: Vec<String> = scenario
        .findings()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, expected);
}

#[test]
fn schema_findings_carry_the_schema_and_the_pointer() {
    let findings = schema().findings();
    assert!(!findings.is_empty());
    for f in &findings {
        assert!(
            matches!(&f.location, Location::Schema { schema, .. } if schema == "graphError"),
            "{f}"
        );
    }
    assert!(
        findings.iter().any(
            |f| matches!(&f.location, Location::Schema { pointer, .. } if pointer == "/error/code")
        ),
        "{findings:#?}"
    );
}

#[test]
fn each_acknowledged_copy_is_checked_on_its_own() {
    let findings = lost_acknowledged().findings();
    let requests: Vec<usize> = findings
        .iter()
        .filter_map(|f| match f.location {
            Location::Acknowledged { request, .. } => Some(request),
            _ => None,
        })
        .collect();
    assert_eq!(requests, [0, 1], "{findings:#?}");
}

#[test]
fn a_conformant_observation_has_no_finding() {
    let mut t = then(200);
    t.body = Some(matcher(json!({"status": "InProgress"})));
    t.afterwards.instance = Some(matcher(json!({"reviewers": "$unchanged"})));
    let mut s = Scenario::new(t, vec![answer(200, &[], "{\"status\": \"InProgress\"}")]);
    s.reads = vec![read(
        StateObject::Instance,
        json!({"reviewers": []}),
        Ok(json!({"reviewers": []})),
    )];
    assert_eq!(s.findings(), []);
}

fn at(location: Location, request: Option<usize>) -> Finding {
    let mut f = Finding::new(location, "e", "a");
    f.request = request;
    f
}

#[rstest]
// After a wrong status, everything else about the request (the read-back too) follows from it.
#[case(vec![at(Location::Status, None), at(Location::Body { path: "$.id".into() }, None), at(Location::After { object: StateObject::Instance, path: "$".into() }, None)], vec![None, Some(0), Some(0)])]
// After a body that is not JSON, only the body's checks follow; the read-back stands alone.
#[case(vec![at(Location::BodyNotJson, None), at(Location::Schema { schema: "s".into(), pointer: String::new() }, None), at(Location::After { object: StateObject::Instance, path: "$".into() }, None)], vec![None, Some(0), None])]
// A missing answer, reported by then and by the reference: the second follows from the first.
#[case(vec![at(Location::Answer, None), at(Location::Answer, None)], vec![None, Some(0)])]
// Copies of a repeated request are independent of each other and of the state afterwards.
#[case(vec![at(Location::Answer, Some(0)), at(Location::Status, Some(1)), at(Location::After { object: StateObject::Instance, path: "$".into() }, None)], vec![None, None, None])]
// A header finding causes nothing, and nothing before a status finding follows from it.
#[case(vec![at(Location::Header { name: "request-id".into() }, None), at(Location::Status, None)], vec![None, None])]
// A header and a failed read stand on their own after a wrong status.
#[case(vec![at(Location::Status, None), at(Location::Header { name: "request-id".into() }, None), at(Location::ReadBack { object: StateObject::Definition, url: "u".into() }, None)], vec![None, None, None])]
fn a_finding_follows_only_from_an_earlier_cause(
    #[case] mut findings: Vec<Finding>,
    #[case] expected: Vec<Option<usize>>,
) {
    link_consequences(&mut findings);
    let got: Vec<Option<usize>> = findings.iter().map(|f| f.consequence_of).collect();
    assert_eq!(got, expected);
}

/// The state before the request is parsed only for an expectation that compares with it:
/// the addressed instance's (`prior`) for the body and `acknowledged`, a read-back's own for
/// `afterwards`.
#[rstest]
#[case::nothing_compares(json!({"id": "$any"}), None, None, (false, false))]
#[case::the_body(json!({"scope": "$unchanged"}), None, None, (true, false))]
#[case::afterwards_without_unchanged(json!({"id": "$any"}), None, Some(json!({"status": "InProgress"})), (false, false))]
#[case::afterwards(json!({"id": "$any"}), None, Some(json!({"scope": "$unchanged"})), (false, true))]
#[case::acknowledged_without_unchanged(json!({"id": "$any"}), Some(json!({"id": "$any"})), None, (false, false))]
#[case::acknowledged(json!({"id": "$any"}), Some(json!({"scope": "$unchanged"})), None, (true, false))]
fn a_snapshot_is_parsed_only_when_compared_with(
    #[case] body: Value,
    #[case] acknowledged: Option<Value>,
    #[case] afterwards: Option<Value>,
    #[case] parsed: (bool, bool),
) {
    let text = br#"{"id":"i","status":"InProgress","scope":{"query":"/g"}}"#.to_vec();
    let prior = crate::case::Snapshot::read(text.clone()).unwrap();
    let before = std::sync::Arc::new(crate::case::Snapshot::read(text).unwrap());
    let mut t = then(200);
    t.body = Some(matcher(body));
    t.acknowledged = acknowledged.map(matcher);
    t.afterwards.instance = afterwards.map(matcher);
    let state = json!({"id": "i", "status": "InProgress", "scope": {"query": "/g"}});
    let bindings = Bindings::default();
    let response = answer(200, &[], &state.to_string());
    let read = ReadBack {
        object: StateObject::Instance,
        url: "http://t/beta/x".into(),
        before: Some(std::sync::Arc::clone(&before)),
        after: Ok(state),
    };
    let obs = Observation {
        answers: vec![Answer::new(&bindings, &response)],
        bindings: &bindings,
        prior: Some(&prior),
        acknowledged: Some(read.clone()),
        reads: vec![read],
    };
    assert!(verify(&t, &SCHEMAS, &obs).is_empty());
    assert_eq!((prior.is_parsed(), before.is_parsed()), parsed);
}
