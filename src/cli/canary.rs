//! The canary of a live run: before the trials fan out, one definition is created from the
//! first selected case's starting state, brought to `InProgress`, and deleted. If that fails,
//! the run stops with one clear error (exit 3), and nothing else was created.

use std::sync::Arc;

use super::error::CommandError;
use crate::case::template::Bindings;
use crate::load::{LoadedCase, Suite};
use crate::provision::Provisioner;

/// The starting state of the first selected case that a live tenant can produce with one
/// `InProgress` instance, rendered with the run's principals.
fn first_state(
    suite: &Suite,
    update: crate::case::UpdateMethod,
    selected: &dyn Fn(&str) -> bool,
    provisioner: &dyn Provisioner,
) -> Option<(String, serde_json::Value, Vec<serde_json::Value>)> {
    let mut bindings = Bindings::default();
    bindings.principals = Arc::new(suite.principals.clone());
    suite.cases.iter().find_map(|loaded| {
        let LoadedCase::Ok(case) = loaded else {
            return None;
        };
        let [fixture] = case.given.fixtures.as_slice() else {
            return None;
        };
        let runs = case.skip.is_none() && case.trials(update).iter().any(|t| selected(&t.name));
        if !runs || fixture.instances.len() != 1 {
            return None;
        }
        let (definition, instances) = fixture.render(&bindings).ok()?;
        let in_progress = instances[0]["status"] == "InProgress";
        (in_progress && provisioner.unsupported(&definition, &instances).is_none())
            .then(|| (case.id.clone(), definition, instances))
    })
}

/// Creates one definition as the first selected case would, waits for it to be active, and
/// deletes it; an error says what failed and that nothing else was created.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    provisioner: &dyn Provisioner,
    suite: &Suite,
    update: crate::case::UpdateMethod,
    selected: &dyn Fn(&str) -> bool,
) -> Result<(), CommandError> {
    let Some((case, definition, instances)) = first_state(suite, update, selected, provisioner)
    else {
        return Ok(());
    };
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
        })
}
