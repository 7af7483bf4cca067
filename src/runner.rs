//! Running one trial: seed the starting state, read it, send the request, check the answer
//! and the state afterwards, delete the fixtures — whatever happened. Never prints.
//!
//! Check order: status, headers, body is JSON, schema, body, then the state read back
//! (instance, definition, siblings). Every finding is collected.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::case::{Auth, RequestBody, TrialSpec};
use crate::fixtures;
use crate::matching::{Matcher, Mismatch, clip, show};
use crate::outcome::{Exchange, Finding, Outcome, TrialError, Verdict};
use crate::schema::SchemaSet;
use crate::target::{HttpRequest, HttpResponse, Target, TransportError};
use crate::template::Bindings;

/// What every trial of a run shares.
#[derive(Debug)]
pub struct RunContext {
    /// The target.
    pub target: Target,
    /// Compiled schemas.
    pub schemas: Arc<SchemaSet>,
    /// Principal names to object ids.
    pub principals: HashMap<String, String>,
}

/// A seeded object: its symbol, id and URL.
struct Seeded {
    symbol: String,
    url: String,
    is_instance: bool,
}

/// Runs `trials` all at once on the current runtime; returns them with their outcomes, in
/// the order given.
pub async fn run_all(ctx: Arc<RunContext>, trials: &[TrialSpec]) -> Vec<(TrialSpec, Outcome)> {
    let mut set = tokio::task::JoinSet::new();
    for (i, spec) in trials.iter().cloned().enumerate() {
        let ctx = Arc::clone(&ctx);
        set.spawn(async move {
            let outcome = run_trial(&ctx, &spec).await;
            (i, spec, outcome)
        });
    }
    let mut out = Vec::with_capacity(trials.len());
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(done) => out.push(done),
            // A trial never panics by design; if one did, its panic belongs to the caller.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    out.sort_by_key(|(i, _, _)| *i);
    out.into_iter().map(|(_, s, o)| (s, o)).collect()
}

/// Runs one trial to its outcome.
pub async fn run_trial(ctx: &RunContext, spec: &TrialSpec) -> Outcome {
    if let Auth::Credential(c) = spec.case.when.auth
        && !ctx.target.credentials.contains_key(&c)
    {
        return Outcome {
            verdict: Verdict::Error(TrialError::MissingCredential(c)),
            exchange: None,
            cleanup: Vec::new(),
        };
    }
    let mut bindings = Bindings::default();
    bindings.matrix = spec.row.clone();
    bindings.principals = ctx.principals.clone();
    let mut seeded_definitions: Vec<String> = Vec::new();
    let result = run_seeded(ctx, spec, &mut bindings, &mut seeded_definitions).await;
    let mut cleanup = Vec::new();
    for id in seeded_definitions.iter().rev() {
        if let Err(e) = fixtures::delete(&ctx.target, id).await {
            cleanup.push(e);
        }
    }
    match result {
        Ok((verdict, exchange)) => Outcome {
            verdict,
            exchange: Some(exchange),
            cleanup,
        },
        Err((error, exchange)) => Outcome {
            verdict: Verdict::Error(error),
            exchange,
            cleanup,
        },
    }
}

type Failure = (TrialError, Option<Exchange>);

async fn run_seeded(
    ctx: &RunContext,
    spec: &TrialSpec,
    bindings: &mut Bindings,
    seeded_definitions: &mut Vec<String>,
) -> Result<(Verdict, Exchange), Failure> {
    let case = &spec.case;
    let target = &ctx.target;
    let no_exchange = |e: TrialError| (e, None);

    // Seed every fixture; remember what exists so that it is deleted afterwards.
    let mut objects: Vec<Seeded> = Vec::new();
    for fixture in &case.given.fixtures {
        let definition = bindings
            .render_value(&Value::Object(fixture.definition.clone()))
            .map_err(|e| no_exchange(e.into()))?;
        let mut instances = Vec::new();
        for (_, props) in &fixture.instances {
            instances.push(
                bindings
                    .render_value(&Value::Object(props.clone()))
                    .map_err(|e| no_exchange(e.into()))?,
            );
        }
        let seeded = fixtures::seed(target, &definition, &instances)
            .await
            .map_err(|e| no_exchange(e.into()))?;
        seeded_definitions.push(seeded.definition_id.clone());
        bindings.given.insert(fixture.name.clone(), definition);
        bindings
            .ids
            .insert(fixture.name.clone(), seeded.definition_id.clone());
        objects.push(Seeded {
            symbol: fixture.name.clone(),
            url: target.definition_url(&seeded.definition_id),
            is_instance: false,
        });
        for (((name, _), props), id) in fixture
            .instances
            .iter()
            .zip(instances)
            .zip(seeded.instance_ids)
        {
            bindings.given.insert(name.clone(), props);
            bindings.ids.insert(name.clone(), id.clone());
            objects.push(Seeded {
                symbol: name.clone(),
                url: target.instance_url(&seeded.definition_id, &id),
                is_instance: true,
            });
        }
    }

    // The state before the request.
    let mut before: HashMap<String, Value> = HashMap::new();
    for o in &objects {
        let v = read(target, &o.url)
            .await
            .map_err(|e| no_exchange(TrialError::ReadBefore(format!("{}: {e}", o.symbol))))?;
        before.insert(o.symbol.clone(), v);
    }

    // The request (or `repeat` copies of it, sent at once, each with fresh `${new.*}`).
    let definition_id = render_str(bindings, &case.when.definition).map_err(no_exchange)?;
    let instance_id = render_str(bindings, &case.when.instance).map_err(no_exchange)?;
    let request_url = target.instance_url(&definition_id, &instance_id);
    let forks: Vec<Bindings> = if case.when.repeat > 1 {
        (0..case.when.repeat).map(|_| bindings.fork()).collect()
    } else {
        Vec::new()
    };
    let bindings: &Bindings = bindings;
    let copies: Vec<&Bindings> = if forks.is_empty() {
        vec![bindings]
    } else {
        forks.iter().collect()
    };
    let mut requests = Vec::new();
    for b in &copies {
        requests.push(build_request(ctx, spec, b, &request_url).map_err(no_exchange)?);
    }
    let responses = futures_util::future::join_all(requests.iter().map(|r| target.send(r))).await;
    let exchange = Exchange {
        request: requests[0].clone(),
        response: responses[0].clone(),
    };
    let mut findings = Vec::new();
    // The seeded instance the request addressed (none for unknown or foreign ids).
    let target_instance = objects
        .iter()
        .find(|o| o.is_instance && o.url == request_url)
        .map(|o| o.symbol.clone());
    let prior = target_instance.as_deref().and_then(|s| before.get(s));
    let mut acknowledged = Vec::new();
    for (k, (response, b)) in responses.iter().zip(copies.iter().copied()).enumerate() {
        let prefix = if copies.len() > 1 {
            format!("request #{k}: ")
        } else {
            String::new()
        };
        match response {
            Ok(r) => {
                if r.status == 200 {
                    acknowledged.push((k, b));
                }
                check_response(ctx, spec, b, r, prior, &prefix, &mut findings);
            }
            Err(e @ TransportError::Connect { .. }) | Err(e @ TransportError::Request(_)) => {
                return Err((TrialError::Unreachable(e.clone()), Some(exchange)));
            }
            Err(e) => {
                // The target took the request but gave no usable answer: not conformant.
                findings.push(Finding {
                    subject: format!("{prefix}response"),
                    mismatch: Mismatch {
                        path: "$".into(),
                        expected: format!("a complete answer with status {}", case.then.status),
                        actual: e.to_string(),
                    },
                });
            }
        }
    }
    // Every acknowledged copy's effect must be visible afterwards.
    if let Some(m) = &case.then.acknowledged {
        if acknowledged.is_empty() {
            findings.push(Finding {
                subject: "acknowledged requests".into(),
                mismatch: Mismatch {
                    path: "status".into(),
                    expected: "at least one request answered 200".into(),
                    actual: "none".into(),
                },
            });
        }
        match read(target, &request_url).await {
            Ok(after) => {
                for (k, b) in &acknowledged {
                    let mut out = Vec::new();
                    m.check(Some(&after), prior, b, &mut out);
                    findings.extend(out.into_iter().map(|mismatch| Finding {
                        subject: format!("effect of acknowledged request #{k} afterwards"),
                        mismatch,
                    }));
                }
            }
            Err(e) => findings.push(Finding {
                subject: "instance afterwards".into(),
                mismatch: Mismatch {
                    path: format!("GET {request_url}"),
                    expected: "200 with a JSON object".into(),
                    actual: e,
                },
            }),
        }
    }

    // The state afterwards.
    let after = &case.then.afterwards;
    if let Some(m) = &after.instance {
        check_read(
            target,
            &request_url,
            m,
            prior,
            bindings,
            "instance afterwards",
            &mut findings,
        )
        .await;
    }
    if let Some(m) = &after.definition
        && let Some(o) = objects.first()
    {
        check_read(
            target,
            &o.url,
            m,
            before.get(&o.symbol),
            bindings,
            "definition afterwards",
            &mut findings,
        )
        .await;
    }
    if let Some(m) = &after.siblings {
        for o in objects
            .iter()
            .filter(|o| o.is_instance && Some(&o.symbol) != target_instance.as_ref())
        {
            let subject = format!("sibling `{}` afterwards", o.symbol);
            check_read(
                target,
                &o.url,
                m,
                before.get(&o.symbol),
                bindings,
                &subject,
                &mut findings,
            )
            .await;
        }
    }
    let verdict = if findings.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(findings)
    };
    Ok((verdict, exchange))
}

fn render_str(bindings: &Bindings, t: &str) -> Result<String, TrialError> {
    Ok(
        match bindings.render_value(&Value::String(t.to_string()))? {
            Value::String(s) => s,
            other => other.to_string(),
        },
    )
}

/// The request of a case, rendered with one copy's bindings.
fn build_request(
    ctx: &RunContext,
    spec: &TrialSpec,
    bindings: &Bindings,
    url: &str,
) -> Result<HttpRequest, TrialError> {
    let when = &spec.case.when;
    let body: Option<Vec<u8>> = match &when.body {
        RequestBody::None => None,
        RequestBody::Json(v) => Some(bindings.render_value(v)?.to_string().into_bytes()),
        RequestBody::Raw(s) => Some(s.clone().into_bytes()),
    };
    let mut headers = ctx.target.headers_for(when.auth, body.is_some());
    for (name, value) in &when.headers {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            headers.push((name.clone(), render_str(bindings, v)?));
        }
    }
    Ok(HttpRequest {
        method: spec.method.clone(),
        url: url.to_string(),
        headers,
        body,
    })
}

fn check_response(
    ctx: &RunContext,
    spec: &TrialSpec,
    bindings: &Bindings,
    response: &HttpResponse,
    before: Option<&Value>,
    prefix: &str,
    findings: &mut Vec<Finding>,
) {
    let then = &spec.case.then;
    let mut push = |subject: &str, mismatch: Mismatch| {
        findings.push(Finding {
            subject: format!("{prefix}{subject}"),
            mismatch,
        })
    };
    if !then.status.accepts(response.status) {
        push(
            "status",
            Mismatch {
                path: "status".into(),
                expected: then.status.to_string(),
                actual: response.status.to_string(),
            },
        );
    }
    for (name, m) in &then.headers {
        let value = response.header(name).map(|v| Value::String(v.to_string()));
        let mut out = Vec::new();
        m.check(value.as_ref(), None, bindings, &mut out);
        for mut mm in out {
            mm.path = format!("header {name}");
            push("headers", mm);
        }
    }
    if then.schema.is_none() && then.body.is_none() {
        return;
    }
    let body: Value = match serde_json::from_slice(&response.body) {
        Ok(v) => v,
        Err(e) => {
            let shown = clip(&String::from_utf8_lossy(&response.body), 200);
            push(
                "response body",
                Mismatch {
                    path: "$".into(),
                    expected: "a JSON body".into(),
                    actual: format!("{shown:?} ({e})"),
                },
            );
            return;
        }
    };
    if let Some(name) = &then.schema {
        for v in ctx.schemas.validate(name, &body).unwrap_or_default() {
            let path = if v.instance_path.is_empty() {
                "/".to_string()
            } else {
                v.instance_path.clone()
            };
            push(
                &format!("schema {name}"),
                Mismatch {
                    path,
                    expected: "valid".into(),
                    actual: v.message,
                },
            );
        }
    }
    if let Some(m) = &then.body {
        let mut out = Vec::new();
        m.check(Some(&body), before, bindings, &mut out);
        for mm in out {
            push("response body", mm);
        }
    }
}

async fn check_read(
    target: &Target,
    url: &str,
    matcher: &Matcher,
    before: Option<&Value>,
    bindings: &Bindings,
    subject: &str,
    findings: &mut Vec<Finding>,
) {
    match read(target, url).await {
        Ok(v) => {
            let mut out = Vec::new();
            matcher.check(Some(&v), before, bindings, &mut out);
            findings.extend(out.into_iter().map(|mismatch| Finding {
                subject: subject.to_string(),
                mismatch,
            }));
        }
        Err(e) => findings.push(Finding {
            subject: subject.to_string(),
            mismatch: Mismatch {
                path: format!("GET {url}"),
                expected: "200 with a JSON object".into(),
                actual: e,
            },
        }),
    }
}

/// GETs a JSON object; any other answer is described as an error string.
async fn read(target: &Target, url: &str) -> Result<Value, String> {
    let req = HttpRequest {
        method: "GET".into(),
        url: url.to_string(),
        headers: target.default_headers(false),
        body: None,
    };
    let resp = target.send(&req).await.map_err(|e| e.to_string())?;
    if resp.status != 200 {
        let text = String::from_utf8_lossy(&resp.body);
        return Err(format!("status {}: {}", resp.status, clip(&text, 300)));
    }
    match serde_json::from_slice::<Value>(&resp.body) {
        Ok(Value::Object(mut o)) => {
            // Annotations describe the response, not the object's state.
            o.retain(|k, _| !k.starts_with("@odata.context"));
            Ok(Value::Object(o))
        }
        Ok(other) => Err(format!("not a JSON object: {}", show(&other))),
        Err(e) => Err(format!("not JSON: {e}")),
    }
}
