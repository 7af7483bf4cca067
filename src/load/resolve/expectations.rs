//! Resolving a case's expectations: `then` (held to the page when the case cites a documented
//! rule), `reference` (inferred rules only), and the lint that keeps inferred rules out of a
//! `then` held to the page.

use serde_json::Value;

use super::Resolver;
use crate::case::attribution::{Attribution, CheckKey};
use crate::case::matching::Matcher;
use crate::case::rules::RuleKind;
use crate::case::{Afterwards, Reference, Severity, Then};
use crate::diagnostic::escape_pointer;
use crate::load::problems::{Problems, suggestion};
use crate::load::raw::{RawCase, RawThen, STATUS_FORMS};

impl Resolver<'_> {
    /// `then` or `reference` (at `at`).
    fn expectations(&self, t: &RawThen, at: &str, p: &mut Problems<'_>) -> Then {
        if let Some(name) = &t.schema
            && !self.schemas.contains(name)
        {
            let help = suggestion(name, self.schemas.names().into_iter(), "schemas", None);
            p.at(
                &format!("{at}/schema"),
                format!("unknown schema `{name}`"),
                Some(help),
            );
        }
        let mut matcher = |pointer: &str, v: &Value| -> Matcher {
            let mut errors = Vec::new();
            let m = Matcher::parse(v, pointer, &mut errors);
            for e in errors {
                p.at(&e.pointer, e.message, e.help);
            }
            m
        };
        let headers = t
            .headers
            .iter()
            .map(|(k, v)| {
                let m = matcher(&format!("{at}/headers/{}", escape_pointer(k)), v);
                (k.to_ascii_lowercase(), m)
            })
            .collect();
        let body = t.body.as_ref().map(|v| matcher(&format!("{at}/body"), v));
        let acknowledged = t
            .acknowledged
            .as_ref()
            .map(|v| matcher(&format!("{at}/acknowledged"), v));
        let a = &t.afterwards;
        let afterwards = Afterwards {
            instance: a
                .instance
                .as_ref()
                .map(|v| matcher(&format!("{at}/afterwards/instance"), v)),
            definition: a
                .definition
                .as_ref()
                .map(|v| matcher(&format!("{at}/afterwards/definition"), v)),
            siblings: a
                .siblings
                .as_ref()
                .map(|v| matcher(&format!("{at}/afterwards/siblings"), v)),
        };
        Then {
            status: t.status.as_ref().map(|s| s.0.clone()),
            schema: t.schema.clone(),
            headers,
            body,
            afterwards,
            acknowledged,
        }
    }

    /// The case's `then` (with a status, without rules) and its `reference` (inferred rules).
    pub(super) fn then_and_reference(
        &self,
        raw: &RawCase,
        p: &mut Problems<'_>,
    ) -> (Then, Option<Reference>, Severity) {
        if raw.then.status.is_none() {
            p.at(
                "/then",
                "then has no status",
                Some(format!("status: {STATUS_FORMS}")),
            );
        }
        if raw.then.rules.is_some() {
            p.at_key(
                "/then/rules",
                "rules are listed at the top of the case",
                Some("a case's rules apply to its then; reference lists its inferred rules".into()),
            );
        }
        let then = self.expectations(&raw.then, "/then", p);
        let documented = raw.rules.iter().any(|r| {
            self.rules
                .get(r)
                .is_some_and(|r| r.kind == RuleKind::Documented)
        });
        let severity = if documented {
            Severity::Failure
        } else {
            Severity::Divergence
        };
        let reference = raw.reference.as_ref().map(|r| {
            let rules = r.rules.clone().unwrap_or_default();
            if rules.is_empty() {
                p.at(
                    "/reference",
                    "reference names no rule",
                    Some("list the inferred rules it stands for: rules: [rule-id, …]".into()),
                );
            }
            for (i, id) in rules.iter().enumerate() {
                let at = format!("/reference/rules/{i}");
                match self.rules.get(id) {
                    None => {
                        let help =
                            suggestion(id, self.rules.ids(), "rules", Some("cases/rules.yaml"));
                        p.at(&at, format!("unknown rule `{id}`"), Some(help));
                    }
                    Some(rule) if rule.kind == RuleKind::Documented => p.at(
                        &at,
                        format!("`{id}` is a documented rule"),
                        Some(
                            "what the page says belongs in then; reference holds inferred rules"
                                .into(),
                        ),
                    ),
                    Some(_) => {}
                }
            }
            Reference {
                attribution: self.attribution(&rules),
                rules,
                then: self.expectations(r, "/reference", p),
            }
        });
        if documented {
            self.lint_inferred_in_then(raw, reference.as_ref(), p);
        }
        (then, reference, severity)
    }

    /// The rules a part of a case stands for, each with what checks it (unknown ids are
    /// reported elsewhere and left out).
    fn attribution(&self, ids: &[String]) -> Attribution {
        Attribution::new(
            ids.iter()
                .filter_map(|id| self.rules.get(id))
                .map(|r| (r.id.clone(), r.checks.clone()))
                .collect(),
        )
    }

    /// Every key a part checks, but its status (a status no rule checks is the case's
    /// precondition), is checked by some rule of the part: else a finding there would name
    /// no rule.
    pub(super) fn lint_checked(
        &self,
        part: &Then,
        at: &str,
        attribution: &Attribution,
        p: &mut Problems<'_>,
    ) {
        let a = &part.afterwards;
        let keys = [
            (!part.headers.is_empty(), CheckKey::Headers, "headers"),
            (part.schema.is_some(), CheckKey::Schema, "schema"),
            (part.body.is_some(), CheckKey::Body, "body"),
            (
                a.instance.is_some(),
                CheckKey::Instance,
                "afterwards/instance",
            ),
            (
                a.definition.is_some(),
                CheckKey::Definition,
                "afterwards/definition",
            ),
            (
                a.siblings.is_some(),
                CheckKey::Siblings,
                "afterwards/siblings",
            ),
            (
                part.acknowledged.is_some(),
                CheckKey::Acknowledged,
                "acknowledged",
            ),
        ];
        for (_, key, place) in keys.iter().filter(|(present, ..)| *present) {
            if attribution.covers(*key) {
                continue;
            }
            let rules: Vec<&str> = attribution.ids().collect();
            p.at_key(
                &format!("{at}/{place}"),
                format!(
                    "no rule this part stands for ({}) is checked by `{}`",
                    rules.join(", "),
                    key.name()
                ),
                Some(format!(
                    "cite the rule this expectation checks, or add `{}` to the `checks` of one of these rules in cases/rules.yaml",
                    key.name()
                )),
            );
        }
    }

    /// The rules `then` stands for: the case's documented rules (its inferred ones are the
    /// reference's), or every rule of a case that cites only inferred ones (its `then` is
    /// the reference behaviour).
    pub(super) fn then_attribution(&self, raw: &RawCase) -> Attribution {
        let documented: Vec<String> = raw
            .rules
            .iter()
            .filter(|id| {
                self.rules
                    .get(id)
                    .is_some_and(|r| r.kind == RuleKind::Documented)
            })
            .cloned()
            .collect();
        if documented.is_empty() {
            self.attribution(&raw.rules)
        } else {
            self.attribution(&documented)
        }
    }

    /// A case whose `then` is held to the page (it cites a documented rule) lists every
    /// inferred rule it cites under `reference.rules`, so that `then` cannot quietly hold an
    /// inference at failure severity.
    fn lint_inferred_in_then(
        &self,
        raw: &RawCase,
        reference: Option<&Reference>,
        p: &mut Problems<'_>,
    ) {
        let listed = |id: &str| reference.is_some_and(|r| r.rules.iter().any(|x| x == id));
        for (i, id) in raw.rules.iter().enumerate() {
            let inferred = self
                .rules
                .get(id)
                .is_some_and(|r| r.kind == RuleKind::Inferred);
            if inferred && !listed(id) {
                p.at(
                    &format!("/rules/{i}"),
                    format!(
                        "`{id}` is an inferred rule, but this case's then is held to the page (it cites a documented rule)"
                    ),
                    Some(format!(
                        "list `{id}` under reference.rules and put what it expects under reference, where breaking it is a divergence"
                    )),
                );
            }
        }
    }
}
