//! The verdict from what was observed: a pure function of a case's expectations, the answers
//! received and the state read before and after the request. No I/O; tested without a server.
//!
//! Check order: per answer, status, headers, body is JSON, schema, body; then the effect of
//! every acknowledged copy (for `repeat` cases); then the state read back (instance,
//! definition, siblings). Every finding is collected, not only the first.

use serde_json::Value;

use crate::case::finding::{Finding, Location, Severity, StateObject};
use crate::case::matching::{Matcher, Mismatch, clip};
use crate::case::template::Bindings;
use crate::case::{DOCUMENTED_METHOD, OTHER_METHOD_RULE, Snapshot, Then, TrialSpec};
use crate::load::schema::SchemaSet;
use crate::target::exchange::{HttpResponse, TransportError};

/// One copy of the request and what came back.
#[derive(Debug)]
pub struct Answer<'a> {
    /// The bindings the copy was rendered with (its own `${new.*}` ids).
    pub bindings: &'a Bindings,
    /// The response, or why there was none.
    pub response: &'a Result<HttpResponse, TransportError>,
    /// The response body as JSON, parsed once for the page's and the reference's checks.
    json: std::sync::OnceLock<Result<Value, String>>,
}

impl<'a> Answer<'a> {
    /// One copy's answer.
    pub fn new(
        bindings: &'a Bindings,
        response: &'a Result<HttpResponse, TransportError>,
    ) -> Answer<'a> {
        Answer {
            bindings,
            response,
            json: std::sync::OnceLock::new(),
        }
    }

    /// The body as JSON, or why it is not.
    fn json(&self, response: &HttpResponse) -> &Result<Value, String> {
        self.json
            .get_or_init(|| serde_json::from_slice(&response.body).map_err(|e| e.to_string()))
    }
}

/// An object read back after the request.
#[derive(Debug, Clone)]
pub struct ReadBack {
    /// Which object.
    pub object: StateObject,
    /// The URL read.
    pub url: String,
    /// The same object before the request (for `$unchanged`), shared with the snapshot.
    pub before: Option<std::sync::Arc<Snapshot>>,
    /// What the read gave: the object, or why there was none.
    pub after: Result<Value, String>,
}

/// Everything a trial observed.
#[derive(Debug)]
pub struct Observation<'a> {
    /// One answer per copy of the request (one unless the case says `repeat`).
    pub answers: Vec<Answer<'a>>,
    /// The trial's bindings (for the state afterwards).
    pub bindings: &'a Bindings,
    /// The addressed instance before the request, when it is a seeded one.
    pub prior: Option<&'a Snapshot>,
    /// For `then.acknowledged`: the addressed instance read back.
    pub acknowledged: Option<ReadBack>,
    /// The objects `then.afterwards` names, read back.
    pub reads: Vec<ReadBack>,
}

/// Every finding of a trial: its case's `then` (failures; divergences for a case that cites
/// only inferred rules, or for a trial sending a method the page does not document) and its
/// `reference` (divergences).
pub fn verify_case(spec: &TrialSpec, schemas: &SchemaSet, obs: &Observation<'_>) -> Vec<Finding> {
    verify_trial(spec, schemas, obs, false)
}

/// The findings of a trial held to a target profile (`--profile`): the page's rules as
/// [`verify_case`] checks them; of what is inferred (`reference`, an inferred `then`, an
/// undocumented method), the state afterwards, checked when the target answered as that part
/// expects (otherwise the profile's facts say what it did); and `held`, the facts that differ
/// from the profile (`crate::run::behaviour::held_to`), each naming the inferred rules that
/// check its key.
pub fn verify_page(
    spec: &TrialSpec,
    schemas: &SchemaSet,
    obs: &Observation<'_>,
    mut held: Vec<Finding>,
) -> Vec<Finding> {
    let case = &spec.case;
    let inferred_then = spec.then_severity() == Severity::Divergence;
    for f in &mut held {
        let mut rules: Vec<String> = Vec::new();
        if let Some(r) = &case.reference {
            rules.extend(r.attribution.rules_for(&f.location));
        }
        if inferred_then {
            rules.extend(case.then_rules.rules_for(&f.location));
        }
        if !spec.method_documented() {
            rules.push(OTHER_METHOD_RULE.to_string());
        }
        let mut seen = std::collections::HashSet::new();
        rules.retain(|r| seen.insert(r.clone()));
        f.rules = if rules.is_empty() {
            spec.inferred_rules()
        } else {
            rules
        };
    }
    let mut findings = verify_trial(spec, schemas, obs, true);
    findings.extend(held);
    link_consequences(&mut findings);
    findings
}

/// Of an inferred part's findings, held to a profile: those about the state afterwards, when
/// the target answered as the part expects (no status or answer finding); none otherwise.
fn state_only(findings: Vec<Finding>) -> Vec<Finding> {
    let answered_otherwise = findings.iter().any(|f| {
        matches!(
            f.location,
            Location::Status | Location::Answer | Location::NoneAcknowledged
        )
    });
    if answered_otherwise {
        return Vec::new();
    }
    findings
        .into_iter()
        .filter(|f| {
            matches!(
                f.location,
                Location::After { .. } | Location::ReadBack { .. } | Location::Acknowledged { .. }
            )
        })
        .collect()
}

fn verify_trial(
    spec: &TrialSpec,
    schemas: &SchemaSet,
    obs: &Observation<'_>,
    page_only: bool,
) -> Vec<Finding> {
    let case = &spec.case;
    // Held to a profile, what is inferred is the profile's to say, but the state afterwards.
    let inferred_then = spec.then_severity() == Severity::Divergence;
    let mut findings = verify(&case.then, schemas, obs);
    if page_only && inferred_then {
        findings = state_only(findings);
    }
    let demoted = !spec.method_documented() && case.then_severity == Severity::Failure;
    for f in &mut findings {
        f.severity = spec.then_severity();
        f.rules = case.then_rules.rules_for(&f.location);
        // A trial sending a method the page does not document is held to that rule as well.
        if !spec.method_documented() && !f.rules.iter().any(|r| r == OTHER_METHOD_RULE) {
            f.rules.push(OTHER_METHOD_RULE.to_string());
        }
        if demoted {
            f.expected = format!(
                "{} (what the page documents for {DOCUMENTED_METHOD}; with {} it is the inferred rule {OTHER_METHOD_RULE})",
                f.expected, spec.method
            );
        }
    }
    if let Some(reference) = &case.reference {
        let mut of_reference = verify(&reference.then, schemas, obs);
        if page_only {
            of_reference = state_only(of_reference);
        }
        findings.extend(of_reference.into_iter().map(|mut f| {
            f.severity = Severity::Divergence;
            f.rules = reference.attribution.rules_for(&f.location);
            f
        }));
    }
    if !page_only {
        link_consequences(&mut findings);
    }
    findings
}

/// Marks each finding that follows from an earlier one that is not itself a consequence.
fn link_consequences(findings: &mut [Finding]) {
    for i in 0..findings.len() {
        let cause = (0..i)
            .find(|&c| findings[c].consequence_of.is_none() && findings[c].causes(&findings[i]));
        findings[i].consequence_of = cause;
    }
}

/// Every finding of one set of expectations (as failures).
pub fn verify(then: &Then, schemas: &SchemaSet, obs: &Observation<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let repeated = obs.answers.len() > 1;
    for (k, answer) in obs.answers.iter().enumerate() {
        let mut out = Vec::new();
        match answer.response {
            Ok(r) => check_response(then, schemas, answer, r, obs.prior, &mut out),
            Err(e) => out.push(Finding::new(
                Location::Answer,
                match &then.status {
                    Some(s) => format!("a complete answer with status {s}"),
                    None => "a complete answer".to_string(),
                },
                e.to_string(),
            )),
        }
        for mut f in out {
            f.request = repeated.then_some(k);
            findings.push(f);
        }
    }
    if let (Some(m), Some(read)) = (&then.acknowledged, &obs.acknowledged) {
        check_acknowledged(m, read, obs, &mut findings);
    }
    for read in &obs.reads {
        let after = &then.afterwards;
        let matcher = match read.object {
            StateObject::Instance => after.instance.as_ref(),
            StateObject::Definition => after.definition.as_ref(),
            StateObject::Sibling(_) => after.siblings.as_ref(),
        };
        if let Some(m) = matcher {
            check_read(m, read, obs.bindings, &mut findings);
        }
    }
    findings
}

fn check_acknowledged(
    m: &Matcher,
    read: &ReadBack,
    obs: &Observation<'_>,
    findings: &mut Vec<Finding>,
) {
    let acknowledged: Vec<(usize, &Bindings)> = obs
        .answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.response.as_ref().is_ok_and(|r| r.status == 200))
        .map(|(k, a)| (k, a.bindings))
        .collect();
    if acknowledged.is_empty() {
        findings.push(Finding::new(
            Location::NoneAcknowledged,
            "at least one request answered 200",
            "none",
        ));
    }
    match &read.after {
        Ok(after) => {
            for (k, b) in acknowledged {
                let mut out = Vec::new();
                m.check(Some(after), before_for(m, obs.prior), b, &mut out);
                findings.extend(out.into_iter().map(|mm| {
                    let path = mm.path.clone();
                    from_mismatch(Location::Acknowledged { request: k, path }, mm)
                }));
            }
        }
        Err(e) => findings.push(read_failed(read, e)),
    }
}

fn check_read(m: &Matcher, read: &ReadBack, bindings: &Bindings, findings: &mut Vec<Finding>) {
    match &read.after {
        Ok(v) => {
            let mut out = Vec::new();
            m.check(
                Some(v),
                before_for(m, read.before.as_deref()),
                bindings,
                &mut out,
            );
            findings.extend(out.into_iter().map(|mm| {
                let location = Location::After {
                    object: read.object.clone(),
                    path: mm.path.clone(),
                };
                from_mismatch(location, mm)
            }));
        }
        Err(e) => findings.push(read_failed(read, e)),
    }
}

fn read_failed(read: &ReadBack, error: &str) -> Finding {
    Finding::new(
        Location::ReadBack {
            object: read.object.clone(),
            url: read.url.clone(),
        },
        "200 with a JSON object",
        error,
    )
}

/// What `m` compares with the state before the request: the snapshot's value, parsed only for
/// a matcher that reads it (`$unchanged`).
fn before_for<'a>(m: &Matcher, snapshot: Option<&'a Snapshot>) -> Option<&'a Value> {
    snapshot.filter(|_| m.reads_before()).map(Snapshot::value)
}

fn from_mismatch(location: Location, mm: Mismatch) -> Finding {
    Finding::new(location, mm.expected, mm.actual)
}

fn check_response(
    then: &Then,
    schemas: &SchemaSet,
    answer: &Answer<'_>,
    response: &HttpResponse,
    before: Option<&Snapshot>,
    out: &mut Vec<Finding>,
) {
    let bindings = answer.bindings;
    if let Some(status) = &then.status
        && !status.accepts(response.status)
    {
        out.push(Finding::new(
            Location::Status,
            status.to_string(),
            response.status.to_string(),
        ));
    }
    for (name, m) in &then.headers {
        let value = response.header(name).map(|v| Value::String(v.to_string()));
        let mut mismatches = Vec::new();
        m.check(value.as_ref(), None, bindings, &mut mismatches);
        out.extend(
            mismatches
                .into_iter()
                .map(|mm| from_mismatch(Location::Header { name: name.clone() }, mm)),
        );
    }
    if then.schema.is_none() && then.body.is_none() {
        return;
    }
    let body: &Value = match answer.json(response) {
        Ok(v) => v,
        Err(e) => {
            let shown = clip(&String::from_utf8_lossy(&response.body), 200);
            out.push(Finding::new(
                Location::BodyNotJson,
                "a JSON body",
                format!("{shown:?} ({e})"),
            ));
            return;
        }
    };
    if let Some(name) = &then.schema {
        for v in schemas.validate(name, body).unwrap_or_default() {
            let location = Location::Schema {
                schema: name.clone(),
                pointer: v.instance_path.clone(),
            };
            out.push(Finding::new(location, "valid", v.message));
        }
    }
    if let Some(m) = &then.body {
        let mut mismatches = Vec::new();
        m.check(Some(body), before_for(m, before), bindings, &mut mismatches);
        out.extend(mismatches.into_iter().map(|mm| {
            let path = mm.path.clone();
            from_mismatch(Location::Body { path }, mm)
        }));
    }
}

#[cfg(test)]
mod tests;
