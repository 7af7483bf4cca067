//! What a target did in a trial, as facts: the status, the content type, which headers of
//! note it sent, the error code and the message's shape, which properties the body and the
//! instance read back hold, how reviewer lists are echoed and in which order. Facts name no id
//! and no time, so that two runs of one target give the same facts; the answer's request-id
//! and date are kept apart, as evidence. A pure function of what was observed: a probe writes
//! the facts to a target profile (`--probe`), a run holds a target to them (`--profile`), and
//! `--compare` sets two targets' facts (with every value, `Detail::Values`) side by side.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::case::finding::{Finding, Location, Severity, StateObject};
use crate::case::query::{echo_form, queries_equivalent};
use crate::run::verify::Observation;
use crate::target::exchange::{HttpResponse, TransportError};

/// How much a [`Behaviour`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The facts (a profile).
    Facts,
    /// The facts and every value of the body and the instance read back (a comparison, whose
    /// noise, such as ids and dates, is learned from a repeat and left out).
    Values,
}

/// The reviewer lists, whose echo and order are facts.
const LISTS: [&str; 3] = ["reviewers", "fallbackReviewers", "backupReviewers"];

/// Headers whose presence is a fact (their values are ids or times).
const NOTED_HEADERS: [&str; 6] = [
    "client-request-id",
    "request-id",
    "x-ms-ags-diagnostic",
    "odata-version",
    "etag",
    "location",
];

/// What a target did in one trial.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Behaviour {
    /// Fact name → what it was (`status` → `409`, `error.code` → `Conflict`).
    pub facts: BTreeMap<String, String>,
    /// The answer's `request-id` and `date`: where to look the answer up, not a fact.
    pub evidence: BTreeMap<String, String>,
}

/// The facts of a trial: `sent` holds the body of each copy of the request, as JSON. Copies of
/// a `repeat` request race, so their facts are merged as sets (each fact's values sorted,
/// joined by ` | `), whichever copy came first.
pub fn observe(sent: &[Option<Value>], obs: &Observation<'_>, detail: Detail) -> Behaviour {
    let mut b = Behaviour::default();
    // The values of racing copies depend on who won: only their facts are compared.
    let detail = if obs.answers.len() > 1 {
        Detail::Facts
    } else {
        detail
    };
    for (k, answer) in obs.answers.iter().enumerate() {
        let mut evidence = BTreeMap::new();
        let body = sent.get(k).and_then(Option::as_ref);
        let facts = answer_facts(body, answer.response, detail, &mut evidence);
        if k == 0 {
            b.evidence = evidence;
            b.facts = facts;
            continue;
        }
        for (name, value) in facts {
            let merged = b.facts.entry(name).or_default();
            let mut values: Vec<&str> = merged.split(" | ").filter(|v| !v.is_empty()).collect();
            values.push(&value);
            values.sort_unstable();
            values.dedup();
            *merged = values.join(" | ");
        }
    }
    let facts = &mut b.facts;
    if obs.answers.len() > 1 {
        let mut statuses: Vec<String> = (obs.answers.iter())
            .map(|a| match a.response {
                Ok(r) => r.status.to_string(),
                Err(_) => "none".to_string(),
            })
            .collect();
        statuses.sort();
        facts.insert("statuses".into(), statuses.join(", "));
    }
    for read in obs.reads.iter().chain(&obs.acknowledged) {
        if read.object != StateObject::Instance {
            continue;
        }
        match &read.after {
            Ok(Value::Object(after)) => object_facts(facts, "read-back", after),
            Ok(other) => {
                facts.insert("read-back".into(), format!("JSON {}", kind(other)));
            }
            Err(_) => {
                facts.insert("read-back".into(), "failed".into());
            }
        }
        if detail == Detail::Values
            && let Ok(after) = &read.after
        {
            leaves(facts, "value read-back ", "", after);
        }
        break;
    }
    b
}

/// The facts of one answer.
fn answer_facts(
    sent: Option<&Value>,
    response: &Result<HttpResponse, TransportError>,
    detail: Detail,
    evidence: &mut BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut facts = BTreeMap::new();
    let resp = match response {
        Ok(resp) => resp,
        Err(e) => {
            facts.insert("answer".into(), format!("none ({})", e.cause()));
            return facts;
        }
    };
    facts.insert("status".into(), resp.status.to_string());
    let media = resp
        .header("content-type")
        .map_or("(none)".to_string(), |v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    facts.insert("content-type".into(), media);
    let noted: Vec<&str> = NOTED_HEADERS
        .into_iter()
        .filter(|h| resp.header(h).is_some())
        .collect();
    facts.insert("headers".into(), list(noted));
    for name in ["request-id", "date"] {
        if let Some(v) = resp.header(name) {
            evidence.insert(name.into(), v.to_string());
        }
    }
    if resp.body.is_empty() {
        facts.insert("body".into(), "empty".into());
        return facts;
    }
    // Parsed once, for the facts and (in a comparison) the values.
    let parsed = serde_json::from_slice::<Value>(&resp.body);
    match &parsed {
        Err(_) => {
            facts.insert("body".into(), "not JSON".into());
        }
        Ok(Value::Object(body)) => match body.get("error") {
            Some(Value::Object(error)) => error_facts(&mut facts, error),
            _ => {
                object_facts(&mut facts, "body", body);
                for name in LISTS {
                    let sent = sent.and_then(|s| s.get(name));
                    echo_facts(&mut facts, name, sent, body.get(name));
                }
            }
        },
        Ok(other) => {
            facts.insert("body".into(), format!("JSON {}", kind(other)));
        }
    }
    if let (Detail::Values, Ok(v)) = (detail, &parsed) {
        leaves(&mut facts, "value body ", "", v);
    }
    facts
}

/// Adds what a plain GET of the addressed instance (no `$select`) held, if one was made:
/// `plain-get.properties`, or `plain-get: failed`.
pub fn plain_get(b: &mut Behaviour, read: Option<&Result<Value, String>>) {
    match read {
        None => {}
        Some(Ok(Value::Object(o))) => {
            let keys = list(o.keys().map(String::as_str));
            b.facts.insert("plain-get.properties".into(), keys);
        }
        Some(_) => {
            b.facts.insert("plain-get".into(), "failed".into());
        }
    }
}

/// Names, sorted, as one value.
fn list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut names: Vec<&str> = names.into_iter().collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        "(none)".into()
    } else {
        names.join(", ")
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn error_facts(facts: &mut BTreeMap<String, String>, error: &serde_json::Map<String, Value>) {
    facts.insert(
        "error.properties".into(),
        list(error.keys().map(String::as_str)),
    );
    let code = match error.get("code") {
        Some(Value::String(c)) if c.is_empty() => "(empty)".to_string(),
        Some(Value::String(c)) => c.clone(),
        Some(other) => format!("(a {})", kind(other)),
        None => "(absent)".to_string(),
    };
    facts.insert("error.code".into(), code);
    let message = match error.get("message") {
        Some(Value::String(m)) if m.trim().is_empty() => "empty",
        Some(Value::String(_)) => "text",
        Some(_) => "not text",
        None => "absent",
    };
    facts.insert("error.message".into(), message.into());
}

/// Which properties an object holds, and which its reviewer entries hold.
fn object_facts(
    facts: &mut BTreeMap<String, String>,
    at: &str,
    o: &serde_json::Map<String, Value>,
) {
    facts.insert(
        format!("{at}.properties"),
        list(o.keys().map(String::as_str)),
    );
    for name in LISTS {
        if let Some(Value::Array(items)) = o.get(name) {
            let keys = items
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|e| e.keys().map(String::as_str));
            facts.insert(format!("{at}.{name}.entries"), list(keys));
        }
    }
}

/// How a reviewer list sent is echoed in the answer: each query as sent or in Graph's echo
/// form (`/v1.0` in front), and in the order sent.
fn echo_facts(
    facts: &mut BTreeMap<String, String>,
    name: &str,
    sent: Option<&Value>,
    echoed: Option<&Value>,
) {
    let queries = |v: Option<&Value>| -> Option<Vec<String>> {
        v?.as_array()?
            .iter()
            .map(|e| e.get("query").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    let (Some(sent), Some(echoed)) = (queries(sent), queries(echoed)) else {
        return;
    };
    if sent.is_empty() && echoed.is_empty() {
        return;
    }
    let in_order = sent.len() == echoed.len()
        && sent
            .iter()
            .zip(&echoed)
            .all(|(s, e)| queries_equivalent(s, e));
    let same_entries = sent.len() == echoed.len()
        && sent
            .iter()
            .all(|s| echoed.iter().any(|e| queries_equivalent(s, e)));
    let order = if in_order {
        "as sent"
    } else if same_entries {
        "other order"
    } else {
        "other entries"
    };
    facts.insert(format!("body.{name}.order"), order.into());
    if in_order {
        let form = if sent.iter().zip(&echoed).all(|(s, e)| s == e) {
            "as sent"
        } else if sent.iter().zip(&echoed).all(|(s, e)| echo_form(s) == *e) {
            "graph echo form"
        } else {
            "other"
        };
        facts.insert(format!("body.{name}.echo"), form.into());
    }
}

/// Every leaf of a JSON value, under `prefix` and its JSON pointer.
fn leaves(facts: &mut BTreeMap<String, String>, prefix: &str, at: &str, v: &Value) {
    match v {
        Value::Object(o) if !o.is_empty() => {
            for (k, v) in o {
                let k = k.replace('~', "~0").replace('/', "~1");
                leaves(facts, prefix, &format!("{at}/{k}"), v);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaves(facts, prefix, &format!("{at}/{i}"), v);
            }
        }
        leaf => {
            facts.insert(format!("{prefix}{at}"), leaf.to_string());
        }
    }
}

/// Where two sets of facts differ: `(fact, expected, observed)`, `(absent)` for a fact one
/// side does not have.
pub fn differences<'a>(
    expected: &'a BTreeMap<String, String>,
    observed: &'a BTreeMap<String, String>,
) -> Vec<(&'a str, &'a str, &'a str)> {
    const ABSENT: &str = "(absent)";
    let mut names: Vec<&str> = expected
        .keys()
        .chain(observed.keys())
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter_map(|n| {
            let e = expected.get(n).map_or(ABSENT, String::as_str);
            let o = observed.get(n).map_or(ABSENT, String::as_str);
            (e != o).then_some((n, e, o))
        })
        .collect()
}

/// The divergences of a trial held to a profile: one per fact that differs (the rules each
/// breaks are the verdict's to name: `crate::run::verify::verify_page`).
pub fn held_to(expected: &BTreeMap<String, String>, observed: &Behaviour) -> Vec<Finding> {
    differences(expected, &observed.facts)
        .into_iter()
        .map(|(fact, e, o)| Finding {
            severity: Severity::Divergence,
            ..Finding::new(Location::Behaviour { fact: fact.into() }, e, o)
        })
        .collect()
}

#[cfg(test)]
mod tests;
