//! Loading, phase two: a decoded case ([`RawCase`]) resolved into the model ([`Case`]): the
//! named state merged in, names checked against the catalogue, states, principals, matrix
//! and symbols, templates and matchers parsed once. Every problem is a diagnostic.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::Value;

use super::problems::{Problems, suggestion};
use super::raw::{Props, RawAuth, RawCase, RawFixture, RawGiven};
use crate::case::rules::Catalogue;
use crate::case::template::{Text, Tree};
use crate::case::{Auth, Case, Given, RequestBody, When};
use crate::diagnostic::escape_pointer;
use crate::load::schema::SchemaSet;

/// The largest `repeat`.
pub const MAX_REPEAT: u64 = 64;

/// What a case is resolved against.
pub struct Resolver<'a> {
    /// The rule catalogue.
    pub rules: &'a Catalogue,
    /// Named states.
    pub states: &'a IndexMap<String, RawGiven>,
    /// Principal names.
    pub principals: &'a HashMap<String, String>,
    /// The schemas `then.schema` may name.
    pub schemas: &'a SchemaSet,
    /// Starting-state trees already built, by their JSON: alike states share one.
    pub interned: std::cell::RefCell<HashMap<String, Arc<Tree>>>,
}

/// Merges `over` into `base`: definitions and instances merge by name, and each property
/// written in `over` replaces the base's value whole.
pub fn merge_given(base: &mut RawGiven, over: &RawGiven) {
    fn merge_props(base: &mut Option<Props>, over: &Option<Props>) {
        if let Some(o) = over {
            let b = base.get_or_insert_with(Props::new);
            for (k, v) in o {
                b.insert(k.clone(), v.clone());
            }
        }
    }
    fn merge_instances(base: &mut IndexMap<String, Props>, over: &IndexMap<String, Props>) {
        for (name, props) in over {
            let slot = base.entry(name.clone()).or_default();
            for (k, v) in props {
                slot.insert(k.clone(), v.clone());
            }
        }
    }
    merge_props(&mut base.definition, &over.definition);
    merge_instances(&mut base.instances, &over.instances);
    for (name, f) in &over.others {
        let slot: &mut RawFixture = base.others.entry(name.clone()).or_default();
        merge_props(&mut slot.definition, &f.definition);
        merge_instances(&mut slot.instances, &f.instances);
    }
}

impl Resolver<'_> {
    /// Resolves a decoded case; `doc` is the document it was decoded from (for positions).
    pub fn resolve(
        &self,
        id: String,
        file: String,
        raw: RawCase,
        doc: &Value,
        p: &mut Problems<'_>,
    ) -> Option<Case> {
        for (i, r) in raw.rules.iter().enumerate() {
            if self.rules.get(r).is_none() {
                let help = suggestion(r, self.rules.ids(), "rules", Some("cases/rules.yaml"));
                p.at(
                    &format!("/rules/{i}"),
                    format!("unknown rule `{r}`"),
                    Some(help),
                );
            }
        }
        for (k, values) in &raw.matrix {
            if values.is_empty() {
                p.at(
                    &format!("/matrix/{}", escape_pointer(k)),
                    format!("matrix key `{k}` has no values"),
                    Some("give a non-empty list of values".into()),
                );
            }
        }
        let given = self.given(&raw.given, p);
        let when = self.when(&raw, &given, p);
        let (then, reference, then_severity) = self.then_and_reference(&raw, p);
        self.check_templates(&raw, &given, doc, p);
        let then_rules = self.then_attribution(&raw);
        // With an unknown rule, what the part stands for is not known: that one problem is
        // enough.
        let known = |ids: &[String]| ids.iter().all(|id| self.rules.get(id).is_some());
        if known(&raw.rules) {
            self.lint_checked(&then, "/then", &then_rules, p);
        }
        if let Some(r) = reference.as_ref().filter(|r| known(&r.rules)) {
            self.lint_checked(&r.then, "/reference", &r.attribution, p);
        }
        if !p.is_empty() {
            return None;
        }
        Some(Case {
            id,
            file,
            description: raw.description,
            rules: raw.rules,
            skip: raw.skip,
            matrix: raw.matrix.into_iter().collect(),
            given,
            when: when?,
            then_rules,
            then,
            reference,
            then_severity,
        })
    }

    fn given(&self, own: &RawGiven, p: &mut Problems<'_>) -> Given {
        check_given_shapes(own, "/given", p);
        let mut merged = RawGiven::default();
        if let Some(name) = &own.use_state {
            match self.states.get(name) {
                Some(state) => merge_given(&mut merged, state),
                None => {
                    let help = suggestion(
                        name,
                        self.states.keys().map(String::as_str),
                        "states",
                        Some("cases/states.yaml"),
                    );
                    p.at("/given/use", format!("unknown state `{name}`"), Some(help));
                    p.names_unknown = true;
                }
            }
        }
        merge_given(&mut merged, own);
        let mut fixtures = vec![self.fixture(
            "definition",
            &merged.definition,
            &merged.instances,
            "/given",
            p,
        )];
        for (name, f) in &merged.others {
            let at = format!("/given/others/{}", escape_pointer(name));
            fixtures.push(self.fixture(name, &f.definition, &f.instances, &at, p));
        }
        let given = Given { fixtures };
        let mut seen = HashSet::new();
        for s in given.symbols() {
            if !seen.insert(s.to_string()) {
                p.at(
                    "/given",
                    format!("the name `{s}` is used twice"),
                    Some("definitions and instances share one namespace; `definition` is the main definition".into()),
                );
            }
        }
        given
    }

    fn when(&self, raw: &RawCase, given: &Given, p: &mut Problems<'_>) -> Option<When> {
        let w = &raw.when;
        let auth = match w.auth.unwrap_or(RawAuth::Default) {
            RawAuth::Default => Auth::Default,
            RawAuth::None => Auth::None,
            RawAuth::Credential(c) => Auth::Credential(c),
        };
        let repeat = match w.repeat {
            None => Some(1),
            Some(n) if (2..=MAX_REPEAT).contains(&n) => usize::try_from(n).ok(),
            Some(n) => {
                p.at(
                    "/when/repeat",
                    format!("repeat {n} is out of range"),
                    Some(format!(
                        "send 2 to {MAX_REPEAT} copies; leave repeat out for one request"
                    )),
                );
                None
            }
        };
        let mut each = Vec::new();
        for (key, values) in &w.each {
            let copies = repeat.unwrap_or(1);
            if values.len() != copies || w.repeat.is_none() {
                p.at(
                    &format!("/when/each/{}", crate::diagnostic::escape_pointer(key)),
                    format!(
                        "each.{key} has {} value(s) for {copies} cop{}",
                        values.len(),
                        if copies == 1 { "y" } else { "ies" }
                    ),
                    Some(
                        "give one value per copy of the request, and set repeat to their number"
                            .into(),
                    ),
                );
            }
            // A malformed template is reported by the template check, with its position.
            let texts: Vec<Text> = values.iter().filter_map(|v| Text::parse(v).ok()).collect();
            each.push((key.clone(), texts));
        }
        let instance = match (&w.instance, given.first_instance()) {
            (Some(s), _) => Some(s.clone()),
            (None, Some(first)) => Some(format!("${{{first}.id}}")),
            // With an unknown state, its instances are unknown too: that one problem is enough.
            (None, None) if p.names_unknown => None,
            (None, None) => {
                p.at(
                    "/when",
                    "no instance to target",
                    Some("give an instance under given.instances, or set when.instance".into()),
                );
                None
            }
        };
        // A malformed template is reported by the template check, with its position.
        let text = |s: &str| Text::parse(s).ok();
        let definition = text(w.definition.as_deref().unwrap_or("${definition.id}"));
        let instance = instance.and_then(|i| text(&i));
        let mut headers = Vec::new();
        for (k, v) in &w.headers {
            let value = match v {
                Some(v) => Some(text(v)?),
                None => None,
            };
            headers.push((k.clone(), value));
        }
        let body = match (&w.body, &w.raw_body) {
            (Some(_), Some(_)) => {
                p.at(
                    "/when/raw_body",
                    "a request has body or raw_body, not both",
                    Some("body is JSON (templates allowed); raw_body is sent byte for byte".into()),
                );
                None
            }
            (Some(b), None) => {
                shape::check_body(b, p);
                match Tree::parse(b) {
                    Ok(t) => Some(RequestBody::Json(t)),
                    // The template check reports where.
                    Err(_) => None,
                }
            }
            (None, Some(r)) => Some(RequestBody::Raw(r.clone())),
            (None, None) => Some(RequestBody::None),
        };
        Some(When {
            auth,
            method: w.method.map(|m| m.as_str().to_string()),
            definition: definition?,
            instance: instance?,
            headers,
            body: body?,
            repeat: repeat?,
            each,
        })
    }
}

mod expectations;
pub(crate) mod shape;
mod templates;

#[cfg(test)]
mod tests;

/// A starting state (a case's own `given` at `/given`, or a named state at `/states/NAME`)
/// against the types it stands for: each definition against accessReviewScheduleDefinition,
/// each instance against accessReviewInstance.
pub(crate) fn check_given_shapes(own: &RawGiven, at: &str, p: &mut Problems<'_>) {
    const HINT: &str = "a starting state holds the type's own properties";
    let instances = |list: &indexmap::IndexMap<String, Props>, at: &str, p: &mut Problems<'_>| {
        for (name, props) in list {
            let here = format!("{at}/instances/{}", escape_pointer(name));
            shape::check(props, &here, shape::INSTANCE, HINT, p);
        }
    };
    if let Some(d) = &own.definition {
        let here = format!("{at}/definition");
        shape::check(d, &here, shape::DEFINITION, HINT, p);
    }
    instances(&own.instances, at, p);
    for (name, f) in &own.others {
        let at = format!("{at}/others/{}", escape_pointer(name));
        if let Some(d) = &f.definition {
            shape::check(d, &format!("{at}/definition"), shape::DEFINITION, HINT, p);
        }
        instances(&f.instances, &at, p);
    }
}
