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
use serde_json::Value;

use indexmap::IndexMap;

use crate::case::Case;
use crate::case::rules::Catalogue;
use crate::diagnostic::{Diagnostic, SourceFile, escape_pointer};
use crate::load::files::InputFile;
use crate::load::schema::SchemaSet;

mod problems;
pub mod raw;
pub mod resolve;

use problems::{Problems, suggestion};
use raw::{RawCase, RawGiven, STATUS_FORMS, decode};
use resolve::{MAX_REPEAT, Resolver};

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

/// A YAML decoding error as a diagnostic at its line and column (any YAML file of the tool:
/// cases, states, principals, target files, expectations).
pub fn yaml_diagnostic(file: &SourceFile, err: &serde_yaml::Error) -> Diagnostic {
    let span = err.location().map(|l| {
        let pos = crate::diagnostic::Pos {
            line: l.line(),
            col: l.column(),
        };
        crate::diagnostic::Span {
            start: pos,
            end: pos,
        }
    });
    let message = err.to_string();
    // The location is shown separately; keep the message short.
    static TRAILING_LOCATION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r" at line \d+ column \d+$").expect("a constant regex compiles")
    });
    let message = TRAILING_LOCATION.replace(&message, "").into_owned();
    file.diagnostic(span, message)
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
    let rules: Catalogue = parse_typed(find(RULES_FILE)?)?;
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

/// True for a file that holds a case (a `.yaml` file other than the shared ones).
pub fn is_case_file(rel: &str) -> bool {
    (rel.ends_with(".yaml") || rel.ends_with(".yml"))
        && ![RULES_FILE, STATES_FILE, PRINCIPALS_FILE].contains(&rel)
}

/// The stable id of a case: its path without the extension.
pub fn case_id(rel: &str) -> String {
    rel.trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .to_string()
}

struct LoadContext<'a> {
    resolver: Resolver<'a>,
    schemas: &'a SchemaSet,
}

impl LoadContext<'_> {
    /// YAML → the case schema (every problem, for editors' sake) → raw typed structs →
    /// the resolved model.
    fn load_case(&self, f: &InputFile) -> Result<Case, Vec<Diagnostic>> {
        if let Some(why) = f.not_text {
            let d = Diagnostic::file(f.display.clone(), why.to_string())
                .with_help("a case file is YAML text in UTF-8 (see cases/README.md)");
            return Err(vec![d]);
        }
        let file = Arc::new(SourceFile::new(f.display.clone(), f.text.clone()));
        let doc: Value = match serde_yaml::from_str(&f.text) {
            Ok(v) => v,
            Err(e) => return Err(vec![yaml_diagnostic(&file, &e)]),
        };
        let mut p = Problems::new(&file);
        if doc.is_null() {
            p.at(
                "",
                "the case file is empty",
                Some("a case needs description, rules, when and then".into()),
            );
            return Err(p.into_list());
        }
        // Every problem of the file in one round: unknown keys are reported and left out,
        // and the rest of the case is still checked (rules, states, templates, matchers).
        let mut doc = doc;
        let mut shape_problems = false;
        for v in self.schemas.validate("case", &doc).unwrap_or_default() {
            if v.unexpected.is_empty() {
                p.at(&v.instance_path, v.message, None);
                shape_problems = true;
                continue;
            }
            let allowed = self.schemas.allowed_properties(&v);
            for key in &v.unexpected {
                let pointer = format!("{}/{}", v.instance_path, escape_pointer(key));
                let help = suggestion(key, allowed.iter().map(String::as_str), "valid here", None);
                p.at_key(&pointer, format!("unknown key `{key}`"), Some(help));
                if let Some(Value::Object(parent)) = doc.pointer_mut(&v.instance_path) {
                    parent.remove(key);
                }
            }
        }
        if shape_problems {
            return Err(p.into_list());
        }
        // The case schema may have been replaced (--schemas): the typed decoding checks
        // everything the loader relies on by itself.
        let raw: RawCase = match decode(&doc) {
            Ok(raw) => raw,
            Err(_) if !p.is_empty() => return Err(p.into_list()),
            Err(e) => {
                match &e.unknown_key {
                    Some((key, valid)) => {
                        let help =
                            suggestion(key, valid.iter().map(String::as_str), "valid here", None);
                        p.at_key(&e.pointer, format!("unknown key `{key}`"), Some(help));
                    }
                    None => p.at(&e.pointer, e.message, help_for(&e.pointer)),
                }
                return Err(p.into_list());
            }
        };
        let case = self
            .resolver
            .resolve(case_id(&f.rel), file.path.clone(), raw, &doc, &mut p);
        match case {
            Some(case) if p.is_empty() => Ok(case),
            Some(_) | None if !p.is_empty() => Err(p.into_list()),
            _ => Err(vec![Diagnostic::file(
                f.display.clone(),
                "the case could not be resolved (a loader bug: please report it with this file)",
            )]),
        }
    }
}

/// What would be valid at a place serde's own message does not explain well.
fn help_for(pointer: &str) -> Option<String> {
    let help = match pointer {
        "/when/repeat" => format!("a whole number of copies, 2 to {MAX_REPEAT}"),
        "/when/auth" => format!(
            "default, none, or a credential: {}",
            crate::target::credential::Credential::names()
        ),
        "/when/method" => "PUT, PATCH, GET, POST or DELETE; leave out for --update-method".into(),
        "/then/status" => STATUS_FORMS.into(),
        p if p.starts_with("/when/headers/") => "a string, or null to drop the header".into(),
        p if p.starts_with("/matrix/") => "a non-empty list of values".into(),
        p if p.starts_with("/given/") => {
            "given: {use, definition, instances, others}; definitions and instances are objects"
                .into()
        }
        _ => return None,
    };
    Some(help)
}
