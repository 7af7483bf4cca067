//! Loading a case folder: the rule catalogue, named states, principals and every case file.
//! A case file goes YAML → `schemas/case.schema.json` (every problem, as editors show them) →
//! [`raw`] typed structs (unknown keys and wrong values refused at file:line:column) →
//! [`resolve`]d model (names checked, templates and matchers parsed once). A broken case
//! yields diagnostics for that case alone; the others still load.

pub mod expectations;
pub mod files;
pub mod schema;

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use indexmap::IndexMap;

use crate::case::Case;
use crate::case::rules::Catalogue;
use crate::diagnostic::{Diagnostic, SourceFile, escape_pointer};
use crate::load::files::InputFile;
use crate::load::schema::SchemaSet;

mod case_file;
mod problems;
pub mod raw;
pub mod resolve;

pub use crate::diagnostic::yaml_diagnostic;
use crate::load::case_file::LoadContext;
pub use crate::load::case_file::case_id;
use problems::{Problems, suggestion};
use raw::RawGiven;
use resolve::Resolver;

/// The catalogue of rules, at the root of the case folder.
pub const RULES_FILE: &str = "rules.yaml";
/// Named reusable starting states.
pub const STATES_FILE: &str = "states.yaml";
/// Principal names and their default object ids.
pub const PRINCIPALS_FILE: &str = "principals.yaml";

/// A loaded case folder.
#[derive(Debug)]
pub struct Suite {
    /// The rule catalogue.
    pub rules: Catalogue,
    /// Principal names to object ids.
    pub principals: HashMap<String, String>,
    /// Every case file, loaded or broken, in path order.
    pub cases: Vec<LoadedCase>,
}

impl Suite {
    /// Every trial of the loaded cases for an update method, in case order.
    pub fn trials(&self, update: crate::case::UpdateMethod) -> Vec<crate::case::TrialSpec> {
        self.cases
            .iter()
            .filter_map(|c| match c {
                LoadedCase::Ok(case) => Some(case.trials(update)),
                LoadedCase::Broken(_) => None,
            })
            .flatten()
            .collect()
    }
}

/// One case file's outcome of loading.
#[derive(Debug)]
pub enum LoadedCase {
    /// Ready to run.
    Ok(Arc<Case>),
    /// Could not be loaded: what is wrong, pointing into the file.
    Broken(BrokenCase),
}

/// A case file that could not be loaded.
#[derive(Debug, Clone)]
pub struct BrokenCase {
    /// The id the case would have had.
    pub id: String,
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a whole case folder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A shared file (rules, states, principals) is missing.
    #[error("{0} is missing from the case folder")]
    Missing(&'static str),
    /// A shared file is broken.
    #[error("{0}")]
    Broken(Box<Diagnostic>),
    /// A shared file has problems at lines and columns (all of them).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n\n"))]
    Problems(Vec<Diagnostic>),
    /// No `case` schema in the schema set.
    #[error("the schema set has no `case` schema (schemas/case.schema.json)")]
    NoCaseSchema,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatesFile {
    states: IndexMap<String, RawGiven>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalsFile {
    principals: HashMap<String, String>,
}

/// Reads a principals file (`principals: {name: object-id}`): the shipped one, or a target's
/// mapping given with `--principals`.
pub fn parse_principals(f: &InputFile) -> Result<HashMap<String, String>, SuiteError> {
    Ok(parse_typed::<PrincipalsFile>(f)?.principals)
}

/// Reads a `--principals` file.
pub fn read_principals(path: &std::path::Path) -> Result<HashMap<String, String>, Box<Diagnostic>> {
    read_yaml_file::<PrincipalsFile>(path, Some("principals: {name: object-id}"))
        .map(|f| f.principals)
}

fn parse_typed<T: serde::de::DeserializeOwned>(f: &InputFile) -> Result<T, SuiteError> {
    decode_yaml(f, None).map_err(SuiteError::Broken)
}

/// Decodes a YAML input file into `T`; a file that is not text, or does not decode, is a
/// diagnostic at the file or at the line and column (with `help` saying what is valid).
pub fn decode_yaml<T: serde::de::DeserializeOwned>(
    f: &InputFile,
    help: Option<&str>,
) -> Result<T, Box<Diagnostic>> {
    if let Some(why) = f.not_text {
        return Err(Box::new(Diagnostic::file(
            f.display.clone(),
            why.to_string(),
        )));
    }
    serde_yaml::from_str(&f.text).map_err(|e| {
        let src = SourceFile::new(f.display.clone(), f.text.clone());
        let d = yaml_diagnostic(&src, &e);
        // serde's "unknown field `x`, expected one of `a`, `b`": a guess first.
        let guess = unknown_field_guess(&d.message);
        let help = match (guess, help) {
            (Some(g), Some(h)) => Some(format!("{g} ({h})")),
            (Some(g), None) => Some(g),
            (None, h) => h.map(str::to_string),
        };
        Box::new(match help {
            Some(h) => d.with_help(h),
            None => d,
        })
    })
}

/// "did you mean `a`?" for serde's "unknown field `x`, expected one of `a`, `b`…", when one of
/// them is close to `x`.
fn unknown_field_guess(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (field, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    crate::diagnostic::did_you_mean(field, expected).map(|g| format!("did you mean `{g}`?"))
}

/// Reads a YAML file the command was given (a target file, an expectations file, a
/// principals file) into `T`: every problem — unreadable, not text, not decodable — is a
/// diagnostic naming the file (and the line and column where there is one).
pub fn read_yaml_file<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    help: Option<&str>,
) -> Result<T, Box<Diagnostic>> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| Box::new(Diagnostic::file(shown.clone(), format!("cannot read: {e}"))))?;
    decode_yaml(&InputFile::from_bytes(shown.clone(), shown, &bytes), help)
}

/// Loads a case folder. `principal_overrides` (from `--principals`) replace the shipped ids.
pub fn load_suite(
    files: &[InputFile],
    schemas: &SchemaSet,
    principal_overrides: Option<HashMap<String, String>>,
) -> Result<Suite, SuiteError> {
    let find = |name: &'static str| {
        files
            .iter()
            .find(|f| f.rel == name)
            .ok_or(SuiteError::Missing(name))
    };
    let rules_file = find(RULES_FILE)?;
    let rules: Catalogue = parse_typed(rules_file)?;
    check_rule_checks(&rules, rules_file)?;
    let states = match files.iter().find(|f| f.rel == STATES_FILE) {
        Some(f) => {
            let states = parse_typed::<StatesFile>(f)?.states;
            // Every state against the types it stands for, at its line and column.
            let source = SourceFile::new(f.display.clone(), f.text.clone());
            let mut p = Problems::new(&source);
            for (name, state) in &states {
                let at = format!("/states/{}", escape_pointer(name));
                resolve::check_given_shapes(state, &at, &mut p);
            }
            if !p.is_empty() {
                return Err(SuiteError::Problems(p.into_list()));
            }
            states
        }
        None => IndexMap::new(),
    };
    let mut principals = match files.iter().find(|f| f.rel == PRINCIPALS_FILE) {
        Some(f) => parse_principals(f)?,
        None => HashMap::new(),
    };
    if let Some(overrides) = principal_overrides {
        principals.extend(overrides);
    }
    if !schemas.contains("case") {
        return Err(SuiteError::NoCaseSchema);
    }
    let ctx = LoadContext {
        resolver: Resolver {
            rules: &rules,
            states: &states,
            principals: &principals,
            schemas,
            interned: Default::default(),
        },
        schemas,
    };
    let cases = files
        .iter()
        .filter(|f| is_case_file(&f.rel))
        .map(|f| match ctx.load_case(f) {
            Ok(case) => LoadedCase::Ok(Arc::new(case)),
            Err(diagnostics) => LoadedCase::Broken(BrokenCase {
                id: case_id(&f.rel),
                diagnostics,
            }),
        })
        .collect();
    Ok(Suite {
        rules,
        principals,
        cases,
    })
}

/// Every property a rule's `checks` narrows to is a property of the type that key reads
/// (the instance, the definition; a header's name is free), with a guess when it is not.
fn check_rule_checks(rules: &Catalogue, f: &InputFile) -> Result<(), SuiteError> {
    use crate::case::attribution::CheckKey;
    use resolve::shape;
    let source = SourceFile::new(f.display.clone(), f.text.clone());
    let mut p = Problems::new(&source);
    for (i, rule) in rules.rules.iter().enumerate() {
        for (j, check) in rule.checks.iter().enumerate() {
            let Some(property) = &check.property else {
                continue;
            };
            let shape = match check.key {
                CheckKey::Headers => continue,
                CheckKey::Definition => shape::DEFINITION,
                _ => shape::INSTANCE,
            };
            if !shape.properties.contains(&property.as_str()) {
                let help = suggestion(
                    property,
                    shape.properties.iter().copied(),
                    "its properties",
                    None,
                );
                p.at(
                    &format!("/rules/{i}/checks/{j}"),
                    format!(
                        "`{check}`: `{property}` is not a property of {}",
                        shape.name
                    ),
                    Some(help),
                );
            }
        }
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(SuiteError::Problems(p.into_list()))
    }
}

/// True for a file that holds a case (a `.yaml` file other than the shared ones).
pub fn is_case_file(rel: &str) -> bool {
    (rel.ends_with(".yaml") || rel.ends_with(".yml"))
        && ![RULES_FILE, STATES_FILE, PRINCIPALS_FILE].contains(&rel)
}
