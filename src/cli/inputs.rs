//! What a run reads before it sends anything: schemas, cases (from folders or embedded), the
//! principals the flags and the target file name, and the expectations file.

use std::path::PathBuf;
use std::sync::Arc;

use super::args::Cli;
use super::error::CommandError;
use crate::load::expectations::Expectations;
use crate::load::files::{self, EMBEDDED_CASES, EMBEDDED_SCHEMAS, InputFile};
use crate::load::schema::SchemaSet;
use crate::load::{Suite, load_suite, read_principals};

fn load_inputs(
    dir: &Option<PathBuf>,
    embedded: &'static include_dir::Dir<'static>,
    label: &str,
) -> Result<Vec<InputFile>, CommandError> {
    match dir {
        Some(d) => files::from_dir(d),
        None => files::embedded(embedded, label),
    }
    .map_err(|e| CommandError::Usage(e.to_string()))
}

/// Loads schemas and cases as the flags say.
pub fn load(cli: &Cli) -> Result<(Arc<SchemaSet>, Suite), CommandError> {
    let schema_files = load_inputs(&cli.schemas, &EMBEDDED_SCHEMAS, "schemas")?;
    let schemas =
        SchemaSet::build(&schema_files).map_err(|e| CommandError::Usage(e.to_string()))?;
    let case_files = load_inputs(&cli.cases, &EMBEDDED_CASES, "cases")?;
    // The shipped ids, then the target file's, then the --principals file's.
    let from_flag = match &cli.principals {
        Some(path) => Some(read_principals(path).map_err(CommandError::File)?),
        None => None,
    };
    let principals = match from_flag {
        Some(from_flag) => {
            let mut all = cli.target_principals.clone();
            all.extend(from_flag);
            Some(all)
        }
        None if cli.target_principals.is_empty() => None,
        None => Some(cli.target_principals.clone()),
    };
    let suite = load_suite(&case_files, &schemas, principals).map_err(|e| match e {
        crate::load::SuiteError::Broken(d) => CommandError::File(d),
        other => CommandError::Usage(other.to_string()),
    })?;
    Ok((Arc::new(schemas), suite))
}

/// The expectations file the flags name (none: no trial is expected to fail).
pub fn expectations(cli: &Cli) -> Result<Expectations, CommandError> {
    match &cli.expectations {
        Some(path) => Expectations::load(path).map_err(CommandError::File),
        None => Ok(Expectations::default()),
    }
}

/// The tenant's own principal ids: the target file's, then the `--principals` file's (never
/// the shipped defaults, which are the page example's ids).
fn tenant_principals(cli: &Cli) -> Result<std::collections::HashMap<String, String>, CommandError> {
    let mut all = cli.target_principals.clone();
    if let Some(path) = &cli.principals {
        all.extend(read_principals(path).map_err(CommandError::File)?);
    }
    Ok(all)
}

/// With `--fixtures graph`: every principal the selected cases name must be one of the
/// tenant's users or groups, by object id (a GUID) — checked before any request, so that a
/// run never falls back to the page example's ids, which are nobody on a real tenant.
pub fn check_tenant_principals(
    cli: &Cli,
    suite: &Suite,
    selected: &dyn Fn(&str) -> bool,
) -> Result<(), CommandError> {
    use std::collections::BTreeMap;
    let tenant = tenant_principals(cli)?;
    let mut missing: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut malformed: BTreeMap<&str, &str> = BTreeMap::new();
    for loaded in &suite.cases {
        let crate::load::LoadedCase::Ok(case) = loaded else {
            continue;
        };
        if case.skip.is_some()
            || !case
                .trials(cli.update_method)
                .iter()
                .any(|t| selected(&t.name))
        {
            continue;
        }
        for name in case.principals() {
            match tenant.get(name) {
                None => missing.entry(name).or_default().push(&case.id),
                Some(id) if uuid::Uuid::parse_str(id).is_err() => {
                    malformed.insert(name, id);
                }
                Some(_) => {}
            }
        }
    }
    if missing.is_empty() && malformed.is_empty() {
        return Ok(());
    }
    let mut lines = Vec::new();
    for (name, cases) in &missing {
        let shown: Vec<&str> = cases.iter().take(3).copied().collect();
        let more = cases.len().saturating_sub(shown.len());
        lines.push(format!(
            "  {name}: not mapped (used by {}{})",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    for (name, id) in &malformed {
        lines.push(format!("  {name}: {id:?} is not an object id (a GUID)"));
    }
    Err(CommandError::Usage(format!(
        "--fixtures graph needs this tenant's object id for every principal the selected cases name; \
         the page example's ids are nobody on a real tenant:\n{}\n\
         map them in the target file (principals: {{name: object-id}}) or with --principals FILE, \
         or select fewer cases",
        lines.join("\n")
    )))
}
