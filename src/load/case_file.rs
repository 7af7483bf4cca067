//! One case file: YAML → the case schema (every problem in one round: unknown keys and
//! values of the wrong shape are reported and left out, a misspelt required key is read as
//! the key it stands for) → raw typed structs → the resolved model.

use std::sync::Arc;

use serde_json::Value;

use super::problems::{Problems, suggestion};
use super::raw::{RawCase, STATUS_FORMS, decode};
use super::resolve::{MAX_REPEAT, Resolver};
use crate::case::Case;
use crate::diagnostic::{Diagnostic, SourceFile, escape_pointer, yaml_diagnostic};
use crate::load::files::InputFile;
use crate::load::schema::SchemaSet;

pub(super) struct LoadContext<'a> {
    pub(super) resolver: Resolver<'a>,
    pub(super) schemas: &'a SchemaSet,
}

impl LoadContext<'_> {
    /// YAML → the case schema (every problem, for editors' sake) → raw typed structs →
    /// the resolved model.
    pub(super) fn load_case(&self, f: &InputFile) -> Result<Case, Vec<Diagnostic>> {
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
        // A value of the wrong shape is reported and left out too; a required key reported
        // missing because it was misspelt is not reported twice.
        let mut doc = doc;
        let violations = self.schemas.validate("case", &doc).unwrap_or_default();
        let required_missing: Vec<(String, String)> = (violations.iter())
            .filter_map(|v| Some((v.instance_path.clone(), required_key(&v.message)?)))
            .collect();
        let mut guessed: Vec<(String, String)> = Vec::new();
        for v in violations.iter().filter(|v| !v.unexpected.is_empty()) {
            let allowed = self.schemas.allowed_properties(v);
            for key in &v.unexpected {
                let pointer = format!("{}/{}", v.instance_path, escape_pointer(key));
                let help = suggestion(key, allowed.iter().map(String::as_str), "valid here", None);
                p.at_key(&pointer, format!("unknown key `{key}`"), Some(help));
                let guess =
                    crate::diagnostic::did_you_mean(key, allowed.iter().map(String::as_str))
                        .map(|g| (v.instance_path.clone(), g.to_string()));
                if let Some(Value::Object(parent)) = doc.pointer_mut(&v.instance_path) {
                    let value = parent.remove(key);
                    // A misspelt required key is read as the key it stands for, so that what
                    // it holds is checked too.
                    if let (Some(value), Some((_, g))) = (value, &guess)
                        && required_missing
                            .iter()
                            .any(|(at, k)| *at == v.instance_path && k == g)
                    {
                        parent.insert(g.clone(), value);
                    }
                }
                guessed.extend(guess);
            }
        }
        for v in violations.into_iter().filter(|v| v.unexpected.is_empty()) {
            let missing = required_key(&v.message);
            if (missing.as_ref())
                .is_some_and(|k| guessed.contains(&(v.instance_path.clone(), k.clone())))
            {
                continue;
            }
            p.at(&v.instance_path, v.message, None);
            // Left out, the rest of the case can still be checked (a required key cannot be:
            // the typed decoding below then stops, with this problem already said).
            if let (Some((parent, key)), None) = (v.instance_path.rsplit_once('/'), &missing)
                && let Some(Value::Object(o)) = doc.pointer_mut(parent)
            {
                o.remove(&key.replace("~1", "/").replace("~0", "~"));
            }
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

/// The key a schema's "required" message names (`"then" is a required property` → `then`).
fn required_key(message: &str) -> Option<String> {
    let quoted = message.strip_suffix(" is a required property")?;
    serde_json::from_str::<String>(quoted).ok()
}

/// The stable id of a case: its path without the extension.
pub fn case_id(rel: &str) -> String {
    rel.trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .to_string()
}
