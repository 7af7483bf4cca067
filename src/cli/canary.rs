//! Before the trials fan out, one check that the target can do what they need, so that a
//! target that cannot is one error (exit 3), not one per trial. Live, the canary: one
//! definition for each shape of starting state the selected cases need — one `InProgress`
//! instance; a `Completed` one (the stop); several instances (a review over several groups) —
//! each brought to its statuses and deleted, the simplest first. With the fixture control
//! protocol, the preflight: the simplest starting state seeded, read through the API with the
//! run's token, and deleted.

use std::sync::Arc;

use serde_json::Value;

use super::error::CommandError;
use crate::case::RenderedFixture;
use crate::case::template::Bindings;
use crate::load::{LoadedCase, Suite};
use crate::provision::Provisioner;
use crate::target::{HttpRequest, Target};

/// One starting state the canary creates: the case it comes from, rendered.
struct Probe {
    case: String,
    fixture: RenderedFixture,
}

/// The shape of a starting state: several instances, a `Completed` one.
fn shape(instances: &[Value]) -> (bool, bool) {
    (
        instances.len() > 1,
        instances.iter().any(|i| i["status"] == "Completed"),
    )
}

/// For each shape, the first selected case's starting state of that shape that a live tenant
/// can produce, rendered with the run's principals; the simplest shape first.
fn probes(
    suite: &Suite,
    update: crate::case::UpdateMethod,
    selected: &dyn Fn(&str) -> bool,
    provisioner: &dyn Provisioner,
) -> Vec<Probe> {
    let mut bindings = Bindings::default();
    bindings.principals = Arc::new(suite.principals.clone());
    let mut found: Vec<((bool, bool), Probe)> = Vec::new();
    for loaded in &suite.cases {
        let LoadedCase::Ok(case) = loaded else {
            continue;
        };
        let [fixture] = case.given.fixtures.as_slice() else {
            continue;
        };
        let runs = case.skip.is_none() && case.trials(update).iter().any(|t| selected(&t.name));
        let Some(rendered) = runs.then(|| fixture.render(&bindings).ok()).flatten() else {
            continue;
        };
        let kind = shape(rendered.instances());
        if found.iter().any(|(k, _)| *k == kind) || provisioner.unsupported(&rendered).is_some() {
            continue;
        }
        let probe = Probe {
            case: case.id.clone(),
            fixture: rendered,
        };
        found.push((kind, probe));
    }
    found.sort_by_key(|(kind, _)| *kind);
    found.into_iter().map(|(_, probe)| probe).collect()
}

/// Creates one definition for each shape the selected cases need (live), or the simplest one
/// (the fixture control protocol: the preflight), reads its first instance through the API
/// with the run's token, and deletes it; an error says what failed, and that no trial ran.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    provisioner: &dyn Provisioner,
    target: &Target,
    suite: &Suite,
    update: crate::case::UpdateMethod,
    selected: &dyn Fn(&str) -> bool,
    live: bool,
) -> Result<(), CommandError> {
    // A message may quote an answer that echoes a secret.
    checks(runtime, provisioner, target, suite, update, selected, live).map_err(|e| match e {
        CommandError::Setup(message) => CommandError::Setup(target.redact(&message)),
        other => other,
    })
}

fn checks(
    runtime: &tokio::runtime::Runtime,
    provisioner: &dyn Provisioner,
    target: &Target,
    suite: &Suite,
    update: crate::case::UpdateMethod,
    selected: &dyn Fn(&str) -> bool,
    live: bool,
) -> Result<(), CommandError> {
    let (name, what, place) = if live {
        ("canary", "review", "the tenant")
    } else {
        ("preflight", "starting state", "the target")
    };
    let mut probes = probes(suite, update, selected, provisioner);
    if !live {
        probes.truncate(1);
    }
    for Probe { case, fixture } in probes {
        if live {
            eprintln!("canary: creating one review as {case} would, before any trial");
        }
        let seeded = runtime
            .block_on(provisioner.create(&fixture))
            .map_err(|e| {
                CommandError::Setup(format!(
                    "{name}: {place} could not produce the starting state of {case}: {e}; no trial ran and nothing else was created"
                ))
            })?;
        let read = seeded
            .instance_ids
            .first()
            .map(|i| runtime.block_on(answers(target, &seeded.definition_id, i)))
            .unwrap_or(Ok(()));
        let deleted = runtime.block_on(provisioner.delete(&seeded.definition_id));
        read.map_err(|e| CommandError::Setup(format!("{name}: {e}; no trial ran")))?;
        deleted.map_err(|e| {
            CommandError::Setup(format!(
                "{name}: the {what} created for {case} ({}) could not be deleted: {e}{}",
                seeded.definition_id,
                if live { "; run --sweep" } else { "" }
            ))
        })?;
    }
    Ok(())
}

/// Whether the target answers a read of the instance with the run's token: an error only when
/// it cannot be reached or refuses the token (what else it answers is for the trials to judge).
async fn answers(target: &Target, definition: &str, instance: &str) -> Result<(), String> {
    let url = format!("{}?$select=id", target.instance_url(definition, instance));
    let req = HttpRequest {
        method: "GET".into(),
        url: url.clone(),
        headers: target.default_headers(false),
        body: None,
    };
    match target.send(&req).await {
        Ok(resp) if matches!(resp.status, 401 | 403) => Err(format!(
            "GET {url} answered {}: the target refuses the run's token",
            resp.status
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("GET {url}: {e}")),
    }
}
