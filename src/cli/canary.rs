//! The canary of a live run: before the trials fan out, one definition is created for each
//! shape of starting state the selected cases need — one `InProgress` instance; a `Completed`
//! one (the stop); several instances (a review over several groups) — each brought to its
//! statuses and deleted, the simplest first. If one fails, the run stops with one clear error
//! (exit 3), and nothing else was created.

use std::sync::Arc;

use serde_json::Value;

use super::error::CommandError;
use crate::case::template::Bindings;
use crate::load::{LoadedCase, Suite};
use crate::provision::Provisioner;

/// One starting state the canary creates: the case it comes from, rendered.
struct Probe {
    case: String,
    definition: Value,
    instances: Vec<Value>,
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
        let Some((definition, instances)) = runs.then(|| fixture.render(&bindings).ok()).flatten()
        else {
            continue;
        };
        let kind = shape(&instances);
        if found.iter().any(|(k, _)| *k == kind)
            || provisioner.unsupported(&definition, &instances).is_some()
        {
            continue;
        }
        let probe = Probe {
            case: case.id.clone(),
            definition,
            instances,
        };
        found.push((kind, probe));
    }
    found.sort_by_key(|(kind, _)| *kind);
    found.into_iter().map(|(_, probe)| probe).collect()
}

/// Creates one definition for each shape the selected cases need, waits for it to reach its
/// statuses, and deletes it; an error says what failed and that nothing else was created.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    provisioner: &dyn Provisioner,
    suite: &Suite,
    update: crate::case::UpdateMethod,
    selected: &dyn Fn(&str) -> bool,
) -> Result<(), CommandError> {
    for Probe {
        case,
        definition,
        instances,
    } in probes(suite, update, selected, provisioner)
    {
        eprintln!("canary: creating one review as {case} would, before any trial");
        let seeded = runtime
            .block_on(provisioner.create(&definition, &instances))
            .map_err(|e| {
                CommandError::Setup(format!(
                    "canary: the tenant could not produce the starting state of {case}: {e}; no trial ran and nothing else was created"
                ))
            })?;
        runtime
            .block_on(provisioner.delete(&seeded.definition_id))
            .map_err(|e| {
                CommandError::Setup(format!(
                    "canary: the review created for {case} ({}) could not be deleted: {e}; run --sweep",
                    seeded.definition_id
                ))
            })?;
    }
    Ok(())
}
