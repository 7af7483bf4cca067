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
