//! `--plan`: what a live run would do, without doing it — every trial that would run or be
//! skipped (and why), every review definition it would create (its body, secrets redacted),
//! how many, and the time budget. Sends nothing but the token request client credentials need.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

use super::args::{Cli, FixtureStrategy};
use super::error::{CommandError, EXIT_OK};
use super::{connect, inputs};
use crate::case::template::Bindings;
use crate::load::{LoadedCase, Suite};
use crate::provision::Provisioner;

/// Prints the plan of a `--fixtures graph` run.
pub fn run(
    cli: &Cli,
    runtime: &tokio::runtime::Runtime,
    suite: &Suite,
    selected: &dyn Fn(&str) -> bool,
) -> Result<u8, CommandError> {
    if cli.fixtures != FixtureStrategy::Graph {
        return Err(CommandError::Usage(
            "--plan shows what a live run would create: use it with --fixtures graph".into(),
        ));
    }
    inputs::check_tenant_principals(cli, suite, selected)?;
    let (target, _mock) = connect::connect(cli, runtime, false)?;
    let (_, graph) = connect::provisioner(cli, &target);
    let Some(graph) = graph else {
        return Err(CommandError::Usage("--plan needs --fixtures graph".into()));
    };
    let mut bindings = Bindings::default();
    bindings.principals = Arc::new(suite.principals.clone());
    let (mut runs, mut skips, mut definitions) = (0usize, 0usize, 0usize);
    let mut lines = String::new();
    let mut bodies: BTreeSet<String> = BTreeSet::new();
    for loaded in &suite.cases {
        let LoadedCase::Ok(case) = loaded else {
            continue;
        };
        for spec in case.trials(cli.update_method) {
            if !selected(&spec.name) {
                continue;
            }
            let mut row = bindings.fork();
            row.matrix = spec.row.clone();
            let mut reason = crate::run::skip_reason(case, &target);
            let mut planned = Vec::new();
            for fixture in &case.given.fixtures {
                if reason.is_some() {
                    break;
                }
                match fixture.render(&row) {
                    Ok(r) => match graph.unsupported(&r) {
                        Some(why) => reason = Some(why),
                        None => planned
                            .push((graph.definition_body(r.definition()), r.instance_count())),
                    },
                    Err(e) => reason = Some(format!("case error: {e}")),
                }
            }
            match reason {
                Some(why) => {
                    skips += 1;
                    let _ = writeln!(lines, "skip  {}: {why}", spec.name);
                }
                None => {
                    runs += 1;
                    definitions += planned.len();
                    let _ = writeln!(
                        lines,
                        "run   {} ({} definition(s))",
                        spec.name,
                        planned.len()
                    );
                    for (body, instances) in planned {
                        let shown = serde_json::to_string_pretty(&body).unwrap_or_default();
                        let over = if instances > 1 {
                            format!(" (a review over {instances} groups)")
                        } else {
                            String::new()
                        };
                        bodies.insert(format!("{shown}{over}"));
                    }
                }
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "plan of a live run against {} (nothing is sent):\n",
        target.base_url
    );
    out.push_str(&lines);
    let _ = writeln!(
        out,
        "\nthe review definitions it would create (each once per trial above, named with the run id):"
    );
    for b in &bodies {
        let _ = writeln!(out, "\n{b}");
    }
    let _ = writeln!(
        out,
        "\n{runs} trial(s) would run, creating {definitions} definition(s) plus one canary; {skips} skipped; \
         each waits up to {} s for its review to become active (the documentation allows hours), \
         at most 64 at once; every definition is deleted after its trial.",
        cli.activation_timeout
    );
    print!(
        "{}",
        crate::report::sanitize::terminal(&target.redact(&out))
    );
    Ok(EXIT_OK)
}
