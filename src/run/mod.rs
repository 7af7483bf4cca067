//! Running one trial, in phases: **provision** the starting state, **snapshot** it, make the
//! **exchange** (the request, or `repeat` copies of it at once) and read the state back, then
//! **verify** (a pure function, [`crate::run::verify`]) — and delete what was provisioned,
//! whatever happened. Never prints.

pub mod behaviour;
pub mod outcome;
pub mod status;
pub mod verify;

use std::sync::Arc;

use crate::case::finding::StateObject;
use crate::case::template::Bindings;
use crate::case::{Auth, Case, TrialSpec};
use crate::run::behaviour::{Behaviour, Detail};
use crate::run::outcome::{Exchange, Kept, Outcome, TrialError, Verdict};
use crate::run::verify::{Answer, Observation, verify_case, verify_page};
use crate::target::{HttpResponse, Target, TransportError};

/// Why a case does not apply to a target, if it does not: the case says `skip`, or it needs
/// a restricted credential the target was not given. The one place that decides it.
pub fn skip_reason(case: &Case, target: &Target) -> Option<String> {
    if let Some(reason) = &case.skip {
        return Some(reason.clone());
    }
    match case.when.auth {
        Auth::Credential(c) if !target.credentials.contains_key(&c) => Some(format!(
            "needs --credential {c}=TOKEN ({})",
            c.description()
        )),
        _ => None,
    }
}

/// Runs `trials` all at once on the current runtime; returns them with their outcomes, in
/// the order given.
pub async fn run_all(ctx: Arc<RunContext>, trials: &[TrialSpec]) -> Vec<(TrialSpec, Outcome)> {
    let mut set = tokio::task::JoinSet::new();
    for (i, spec) in trials.iter().cloned().enumerate() {
        let ctx = Arc::clone(&ctx);
        set.spawn(async move {
            let outcome = crate::target::recorder::TRIAL
                .scope(spec.name.clone(), run_trial(&ctx, &spec))
                .await;
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
    if let Some(reason) = skip_reason(&spec.case, &ctx.target) {
        ctx.progress.skipped();
        return Outcome::without_exchange(Verdict::Skip(reason));
    }
    let mut bindings = Bindings::default();
    bindings.matrix = spec.row.clone();
    bindings.principals = std::sync::Arc::clone(&ctx.principals);
    let mut created = Created::default();
    ctx.progress.provisioning();
    let result = run_phases(ctx, spec, &mut bindings, &mut created).await;
    ctx.progress.done();
    let (verdict, exchange, behaviour) = match result {
        Ok((verdict, exchange, behaviour)) => (verdict, Some(exchange), behaviour),
        Err((TrialError::NotProducible(reason), exchange)) => {
            (Verdict::Skip(reason), exchange, None)
        }
        Err((error, exchange)) => (Verdict::Error(error), exchange, None),
    };
    let found = matches!(verdict, Verdict::Fail(_) | Verdict::Diverge(_));
    let keep = found
        && !created.definitions.is_empty()
        && ctx.keep.as_ref().is_some_and(|k| {
            let outcome = Outcome::without_exchange(verdict.clone());
            (k.0)(&spec.name, &outcome)
        });
    let mut cleanup = Vec::new();
    let kept = if keep {
        // Left for a reproduction by hand: nothing of the run deletes it.
        for id in &created.definitions {
            ctx.provisioner.keep(id);
        }
        Some(Kept {
            ids: created.ids,
            delete: (created.definitions.iter())
                .map(|id| ctx.provisioner.delete_request(id))
                .collect(),
        })
    } else {
        for id in created.definitions.iter().rev() {
            if let Err(e) = ctx.provisioner.delete(id).await {
                cleanup.push(e);
            }
        }
        None
    };
    Outcome {
        verdict,
        exchange,
        cleanup,
        setup: created.setup,
        kept,
        behaviour,
    }
}

type Failure = (TrialError, Option<Exchange>);

async fn run_phases(
    ctx: &RunContext,
    spec: &TrialSpec,
    bindings: &mut Bindings,
    created: &mut Created,
) -> Result<(Verdict, Exchange, Option<Behaviour>), Failure> {
    let no_exchange = |e: TrialError| (e, None);
    let started = std::time::Instant::now();
    let provisioned = provision(ctx, spec, bindings, created).await;
    ctx.progress.provisioned(started.elapsed());
    let objects = provisioned.map_err(no_exchange)?;
    let before = snapshot(&ctx.target, &objects).await.map_err(no_exchange)?;
    if ctx.provisioner.may_differ()
        && let Some(reason) = phases::not_kept(&objects, bindings, &before)
    {
        return Err(no_exchange(TrialError::NotProducible(reason)));
    }
    // `${before.NAME.PROP}`: the state as the target holds it (shared, not copied).
    bindings.before = before.clone();

    // The exchange: the request, or `repeat` copies of it at once (each with fresh `${new.*}`).
    let case = &spec.case;
    let definition_id = case
        .when
        .definition
        .render(bindings)
        .map_err(|e| no_exchange(e.into()))?;
    let instance_id = case
        .when
        .instance
        .render(bindings)
        .map_err(|e| no_exchange(e.into()))?;
    let request_url = ctx.target.instance_url(&definition_id, &instance_id);
    let mut forks: Vec<Bindings> = Vec::new();
    if case.when.repeat > 1 {
        for k in 0..case.when.repeat {
            let mut fork = bindings.fork();
            for (key, values) in &case.when.each {
                // The loader checks one value per copy; a missing one is an error, not a panic.
                let value = match values.get(k) {
                    Some(v) => v.render(bindings).map_err(|e| no_exchange(e.into()))?,
                    None => String::new(),
                };
                fork.each
                    .insert(key.clone(), serde_json::Value::String(value));
            }
            forks.push(fork);
        }
    }
    let bindings: &Bindings = bindings;
    let copies: Vec<&Bindings> = if forks.is_empty() {
        vec![bindings]
    } else {
        forks.iter().collect()
    };
    let mut requests = Vec::with_capacity(copies.len());
    for b in &copies {
        requests.push(build_request(ctx, spec, b, &request_url).map_err(no_exchange)?);
    }
    // Held to a profile, the trial's facts are compared with the profile's; a probe or a
    // comparison records them (with every value for a comparison).
    let held = ctx.profile.as_ref().and_then(|p| p.get(&spec.name));
    let detail = if held.is_some() {
        Some(Detail::Facts)
    } else {
        ctx.observe
    };
    let sent: Vec<Option<serde_json::Value>> = match detail {
        Some(_) => (requests.iter())
            .map(|r| {
                r.body
                    .as_deref()
                    .and_then(|b| serde_json::from_slice(b).ok())
            })
            .collect(),
        None => Vec::new(),
    };
    let mut responses: Vec<Result<HttpResponse, TransportError>> =
        futures_util::future::join_all(requests.iter().map(|r| ctx.target.send(r))).await;
    // `copies` is never empty (one request, or `repeat` ≥ 2 copies), so neither is
    // `requests` nor `responses`: these indexes cannot panic.
    let request = requests.swap_remove(0);
    if let Some(e) = responses.iter().find_map(|r| match r {
        Err(
            e @ (TransportError::Connect { .. }
            | TransportError::Request(_)
            | TransportError::Token { .. }),
        ) => Some(e),
        _ => None,
    }) {
        let exchange = Exchange {
            request,
            response: responses[0].clone(),
        };
        return Err((TrialError::Unreachable(e.clone()), Some(exchange)));
    }

    // A request under test that ends throttled got no answer to the question asked.
    if let Some(status) = responses.iter().find_map(|r| match r {
        Ok(resp) if crate::target::gate::throttled(resp.status) => Some(resp.status),
        _ => None,
    }) {
        let exchange = Exchange {
            request,
            response: responses.swap_remove(0),
        };
        return Err((TrialError::Throttled(status), Some(exchange)));
    }

    // The state afterwards.
    let addressed = objects
        .iter()
        .find(|o| o.is_instance && o.url == request_url)
        .map(|o| o.symbol.clone());
    let prior = addressed.as_deref().and_then(|s| before.get(s));
    // What the expectations (the page's and the reference's) read back.
    let wants = |f: &dyn Fn(&crate::case::Then) -> bool| {
        f(&case.then) || case.reference.as_ref().is_some_and(|r| f(&r.then))
    };
    let acknowledged = if wants(&|t| t.acknowledged.is_some()) {
        Some(read_back(&ctx.target, StateObject::Instance, &request_url, prior).await)
    } else {
        None
    };
    let mut reads = Vec::new();
    if wants(&|t| t.afterwards.instance.is_some()) {
        reads.push(read_back(&ctx.target, StateObject::Instance, &request_url, prior).await);
    }
    if wants(&|t| t.afterwards.definition.is_some())
        && let Some(o) = objects.first()
    {
        let before = before.get(&o.symbol);
        reads.push(read_back(&ctx.target, StateObject::Definition, &o.url, before).await);
    }
    if wants(&|t| t.afterwards.siblings.is_some()) {
        for o in objects
            .iter()
            .filter(|o| o.is_instance && Some(&o.symbol) != addressed.as_ref())
        {
            let object = StateObject::Sibling(o.symbol.clone());
            reads.push(read_back(&ctx.target, object, &o.url, before.get(&o.symbol)).await);
        }
    }

    let observation = Observation {
        answers: copies
            .iter()
            .zip(&responses)
            .map(|(b, response)| Answer::new(b, response))
            .collect(),
        bindings,
        prior: prior.map(|v| &**v),
        acknowledged,
        reads,
    };
    // What a plain GET of the instance (no `$select`) holds is a silent-page fact too.
    let plain = match (detail, &addressed) {
        (Some(_), Some(_)) => Some(phases::read(&ctx.target, &request_url).await),
        _ => None,
    };
    let behaviour = detail.map(|d| {
        let mut b = behaviour::observe(&sent, &observation, d);
        behaviour::plain_get(&mut b, plain.as_ref());
        b
    });
    let findings = match (held, &behaviour) {
        (Some(expected), Some(observed)) => {
            let held = behaviour::held_to(expected, observed);
            verify_page(spec, &ctx.schemas, &observation, held)
        }
        _ => verify_case(spec, &ctx.schemas, &observation),
    };
    let verdict = Verdict::from_findings(findings);
    drop(observation);
    let exchange = Exchange {
        request,
        response: responses.swap_remove(0),
    };
    Ok((verdict, exchange, behaviour))
}

mod context;
mod phases;
pub use context::{HeldTo, KeepWhen, RunContext};
use phases::{Created, build_request, provision, read_back, snapshot};
pub use phases::{DEFINITION_SELECT, INSTANCE_SELECT};
