//! Resolving, the starting state's fixtures and the case's templates: every `${…}` checked
//! against the names the case can use.

use std::collections::HashSet;
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;

use crate::case::template::{Expr, FORMS, Template, TemplateError, Tree, for_each_template};
use crate::case::{Fixture, Given};
use crate::diagnostic::escape_pointer;
use crate::load::problems::{Problems, suggestion};
use crate::load::raw::{Props, RawCase};

use super::Resolver;

impl Resolver<'_> {
    /// Every template of the case file names something that exists, and `given` uses no ids.
    pub(super) fn check_templates(
        &self,
        raw: &RawCase,
        given: &Given,
        doc: &Value,
        p: &mut Problems<'_>,
    ) {
        let symbols: HashSet<&str> = given.symbols().collect();
        let matrix_keys: HashSet<&str> = raw.matrix.keys().map(String::as_str).collect();
        let each_keys: HashSet<&str> = raw.when.each.keys().map(String::as_str).collect();
        let check = |pointer: &str,
                     parsed: Result<Option<Template>, TemplateError>,
                     in_given: bool,
                     report_syntax: bool,
                     p: &mut Problems<'_>| {
            let t = match parsed {
                Ok(Some(t)) => t,
                Ok(None) => return,
                Err(e) => {
                    if report_syntax {
                        p.at(
                            pointer,
                            e.to_string(),
                            Some(format!("template forms: {FORMS}")),
                        );
                    }
                    return;
                }
            };
            for e in t.exprs() {
                let problem = match e {
                    Expr::Each(_) | Expr::New(_) if pointer.starts_with("/when/each/") => Some((
                        format!("`${{{e}}}` cannot be used in when.each"),
                        "each values are rendered once per copy from the trial's values: ids, principals, matrix, given, before".to_string(),
                    )),
                    Expr::Id(_) | Expr::Given(_) | Expr::Before(_) | Expr::Each(_) if in_given => Some((
                        format!("`${{{e}}}` cannot be used in given"),
                        "ids exist only after seeding; use them in when and then".to_string(),
                    )),
                    // With an unknown state, a missing name follows from it.
                    Expr::Id(_) | Expr::Given(_) | Expr::Before(_) if p.names_unknown => None,
                    Expr::Id(n) if !symbols.contains(n.as_str()) => Some((
                        format!("no definition or instance named `{n}`"),
                        suggestion(n, symbols.iter().copied(), "names given", None),
                    )),
                    Expr::Given(path) | Expr::Before(path)
                        if !symbols.contains(path[0].as_str()) =>
                    {
                        Some((
                            format!("no definition or instance named `{}`", path[0]),
                            suggestion(&path[0], symbols.iter().copied(), "names given", None),
                        ))
                    }
                    Expr::Principal(n) if !self.principals.contains_key(n) => Some((
                        format!("no principal named `{n}`"),
                        suggestion(
                            n,
                            self.principals.keys().map(String::as_str),
                            "principals",
                            Some("cases/principals.yaml"),
                        ),
                    )),
                    Expr::Each(k) if !each_keys.contains(k.as_str()) => Some((
                        format!("no each key `{k}`"),
                        suggestion(k, each_keys.iter().copied(), "each keys (when.each)", None),
                    )),
                    Expr::Matrix(k) if !matrix_keys.contains(k.as_str()) => Some((
                        format!("no matrix key `{k}`"),
                        suggestion(k, matrix_keys.iter().copied(), "matrix keys", None),
                    )),
                    _ => None,
                };
                if let Some((message, help)) = problem {
                    p.at(pointer, message, Some(help));
                }
            }
        };
        let empty = Value::Null;
        let part = |k: &str| doc.get(k).unwrap_or(&empty);
        for_each_template(part("given"), "/given", &mut |ptr, t| {
            check(ptr, t, true, true, p)
        });
        for_each_template(part("when"), "/when", &mut |ptr, t| {
            check(ptr, t, false, true, p)
        });
        // Matchers report their own syntax errors.
        for_each_template(part("then"), "/then", &mut |ptr, t| {
            check(ptr, t, false, false, p)
        });
        for_each_template(part("reference"), "/reference", &mut |ptr, t| {
            check(ptr, t, false, false, p)
        });
    }
}

impl Resolver<'_> {
    /// One fixture from its merged starting state; each instance needs a string `status`.
    pub(super) fn fixture(
        &self,
        name: &str,
        definition: &Option<Props>,
        instances: &IndexMap<String, Props>,
        at: &str,
        p: &mut Problems<'_>,
    ) -> Fixture {
        let tree = |props: &Props| {
            let value = Value::Object(props.clone());
            let mut interned = self.interned.borrow_mut();
            let shared = interned.entry(value.to_string()).or_insert_with(|| {
                // A malformed template is reported by the template check, with its position.
                Arc::new(Tree::parse(&value).unwrap_or(Tree::Plain(Value::Null)))
            });
            Arc::clone(shared)
        };
        let mut list = Vec::new();
        for (inst, props) in instances {
            if !matches!(props.get("status"), Some(Value::String(_))) {
                p.at(
                    &format!("{at}/instances/{}", escape_pointer(inst)),
                    format!("instance `{inst}` has no status"),
                    Some("set `status:` (e.g. InProgress) here or in the named state".into()),
                );
            }
            list.push((inst.clone(), tree(props)));
        }
        Fixture {
            name: name.to_string(),
            definition: tree(definition.as_ref().unwrap_or(&Props::new())),
            instances: list,
        }
    }
}
