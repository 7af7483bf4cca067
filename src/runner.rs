//! Running one trial, in phases: **provision** the starting state, **snapshot** it, make the
//! **exchange** (the request, or `repeat` copies of it at once) and read the state back, then
//! **verify** (a pure function, [`crate::verify`]) — and delete what was provisioned,
//! whatever happened. Never prints.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use crate::case::{Auth, Case, RequestBody, TrialSpec};
use crate::finding::StateObject;
use crate::matching::{clip, show};
use crate::outcome::{Exchange, Outcome, TrialError, Verdict};
use crate::progress::Progress;
use crate::provision::{ControlProtocol, Provisioner};
use crate::schema::SchemaSet;
use crate::target::{HttpRequest, HttpResponse, Secret, Target, TransportError};
use crate::template::Bindings;
use crate::verify::{Answer, Observation, ReadBack, verify_case};

/// What every trial of a run shares.
#[derive(Debug)]
pub struct RunContext {
    /// The target.
    pub target: Target,
    /// How starting states come to exist on it.
    pub provisioner: Arc<dyn Provisioner>,
    /// Compiled schemas.
    pub schemas: Arc<SchemaSet>,
    /// Principal names to object ids.
    pub principals: HashMap<String, String>,
    /// How far the run is (for a progress line; the runner only counts).
    pub progress: Arc<Progress>,
}

impl RunContext {
    /// A context that provisions with `provisioner`.
    pub fn with_provisioner(
        target: Target,
        provisioner: Arc<dyn Provisioner>,
        schemas: Arc<SchemaSet>,
        principals: HashMap<String, String>,
    ) -> RunContext {
        RunContext {
            target,
            provisioner,
            schemas,
            principals,
            progress: Arc::default(),
        }
    }

    /// A context that provisions through the fixture control protocol at the target's
    /// control URL.
    pub fn new(
        target: Target,
        schemas: Arc<SchemaSet>,
        principals: HashMap<String, String>,
    ) -> RunContext {
        RunContext {
            provisioner: Arc::new(ControlProtocol::new(target.clone())),
            target,
            schemas,
            principals,
            progress: Arc::default(),
        }
    }
}

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

/// The token a request carries for `auth`.
fn token_for(target: &Target, auth: Auth) -> Option<Secret> {
    match auth {
        Auth::Default => target.run_token(),
        Auth::None => None,
        Auth::Credential(c) => target.credentials.get(&c).cloned(),
    }
}

/// What instance read-backs select: every property of accessReviewInstance (a plain GET of an
/// instance, as documented, may leave the reviewer lists out).
pub const INSTANCE_SELECT: &str =
    "id,status,startDateTime,endDateTime,scope,reviewers,fallbackReviewers,errors";

/// What definition read-backs select: what an instance update could touch, not the fields
/// the definition's own lifecycle changes (status, lastModifiedDateTime).
pub const DEFINITION_SELECT: &str = "id,displayName,scope,reviewers,fallbackReviewers";

/// The URL that reads an object back with `$select`.
fn select(url: &str, is_instance: bool) -> String {
    let fields = if is_instance {
        INSTANCE_SELECT
    } else {
        DEFINITION_SELECT
    };
    format!("{url}?$select={fields}")
}

tokio::task_local! {
    /// The name of the trial a task runs (tags recorded requests).
    pub static TRIAL: String;
}

/// A provisioned object: its symbol and URL.
struct Provisioned {
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
            let outcome = TRIAL.scope(spec.name.clone(), run_trial(&ctx, &spec)).await;
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
        return Outcome {
            verdict: Verdict::Skip(reason),
            exchange: None,
            cleanup: Vec::new(),
        };
    }
    let mut bindings = Bindings::default();
    bindings.matrix = spec.row.clone();
    bindings.principals = ctx.principals.clone();
    let mut created: Vec<String> = Vec::new();
    ctx.progress.provisioning();
    let result = run_phases(ctx, spec, &mut bindings, &mut created).await;
    ctx.progress.done();
    let mut cleanup = Vec::new();
    for id in created.iter().rev() {
        if let Err(e) = ctx.provisioner.delete(id).await {
            cleanup.push(e);
        }
    }
    let (verdict, exchange) = match result {
        Ok((verdict, exchange)) => (verdict, Some(exchange)),
        Err((TrialError::NotProducible(reason), exchange)) => (Verdict::Skip(reason), exchange),
        Err((error, exchange)) => (Verdict::Error(error), exchange),
    };
    Outcome {
        verdict,
        exchange,
        cleanup,
    }
}

type Failure = (TrialError, Option<Exchange>);

async fn run_phases(
    ctx: &RunContext,
    spec: &TrialSpec,
    bindings: &mut Bindings,
    created: &mut Vec<String>,
) -> Result<(Verdict, Exchange), Failure> {
    let no_exchange = |e: TrialError| (e, None);
    let started = std::time::Instant::now();
    let provisioned = provision(ctx, spec, bindings, created).await;
    ctx.progress.provisioned(started.elapsed());
    let objects = provisioned.map_err(no_exchange)?;
    let before = snapshot(&ctx.target, &objects).await.map_err(no_exchange)?;

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
    let responses: Vec<Result<HttpResponse, TransportError>> =
        futures_util::future::join_all(requests.iter().map(|r| ctx.target.send(r))).await;
    // `copies` is never empty (one request, or `repeat` ≥ 2 copies), so neither is
    // `requests` nor `responses`: these indexes cannot panic.
    let exchange = Exchange {
        request: requests[0].clone(),
        response: responses[0].clone(),
    };
    if let Some(e) = responses.iter().find_map(|r| match r {
        Err(e @ (TransportError::Connect { .. } | TransportError::Request(_))) => Some(e),
        _ => None,
    }) {
        return Err((TrialError::Unreachable(e.clone()), Some(exchange)));
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
            .map(|(b, response)| Answer {
                bindings: b,
                response,
            })
            .collect(),
        bindings,
        prior,
        acknowledged,
        reads,
    };
    let verdict = Verdict::from_findings(verify_case(case, &ctx.schemas, &observation));
    Ok((verdict, exchange))
}

/// Brings every fixture of the case into existence; records what was created in `created`
/// (so that it is deleted whatever happens next) and binds the symbols to their ids.
async fn provision(
    ctx: &RunContext,
    spec: &TrialSpec,
    bindings: &mut Bindings,
    created: &mut Vec<String>,
) -> Result<Vec<Provisioned>, TrialError> {
    let mut objects = Vec::new();
    for fixture in &spec.case.given.fixtures {
        let definition = fixture.definition.render(bindings)?;
        let mut instances = Vec::new();
        for (_, props) in &fixture.instances {
            instances.push(props.render(bindings)?);
        }
        if let Some(reason) = ctx.provisioner.unsupported(&definition, &instances) {
            return Err(TrialError::NotProducible(reason));
        }
        let seeded = ctx.provisioner.create(&definition, &instances).await?;
        created.push(seeded.definition_id.clone());
        bindings.given.insert(fixture.name.clone(), definition);
        bindings
            .ids
            .insert(fixture.name.clone(), seeded.definition_id.clone());
        objects.push(Provisioned {
            symbol: fixture.name.clone(),
            url: ctx.target.definition_url(&seeded.definition_id),
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
            objects.push(Provisioned {
                symbol: name.clone(),
                url: ctx.target.instance_url(&seeded.definition_id, &id),
                is_instance: true,
            });
        }
    }
    Ok(objects)
}

/// The state before the request: every provisioned object, read through the API.
async fn snapshot(
    target: &Target,
    objects: &[Provisioned],
) -> Result<HashMap<String, Value>, TrialError> {
    let mut before = HashMap::new();
    for o in objects {
        let v = read(target, &select(&o.url, o.is_instance))
            .await
            .map_err(|e| TrialError::ReadBefore(format!("{}: {e}", o.symbol)))?;
        before.insert(o.symbol.clone(), v);
    }
    Ok(before)
}

async fn read_back(
    target: &Target,
    object: StateObject,
    url: &str,
    before: Option<&Value>,
) -> ReadBack {
    let url = select(url, object != StateObject::Definition);
    ReadBack {
        object,
        after: read(target, &url).await,
        url,
        before: before.cloned(),
    }
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
        RequestBody::Json(tree) => Some(tree.render(bindings)?.to_string().into_bytes()),
        RequestBody::Raw(s) => Some(s.clone().into_bytes()),
    };
    let token = token_for(&ctx.target, when.auth);
    let mut headers = ctx.target.headers_with(token.as_ref(), body.is_some());
    for (name, value) in &when.headers {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        if let Some(v) = value {
            headers.push((name.clone(), v.render(bindings)?));
        }
    }
    Ok(HttpRequest {
        method: spec.method.clone(),
        url: url.to_string(),
        headers,
        body,
    })
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
