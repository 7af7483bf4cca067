//! What templates resolve against in one trial: ids, principals, matrix values, fresh ids and
//! the starting state (as sent, and as read back before the request).

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Map, Value};

use super::expr::{Expr, Segment, Template, TemplateError};

/// What templates resolve against in one trial.
#[derive(Debug, Default)]
pub struct Bindings {
    /// This trial's matrix row.
    pub matrix: Map<String, Value>,
    /// Principal names to object ids (shared by every trial of a run).
    pub principals: std::sync::Arc<HashMap<String, String>>,
    /// Seeded ids by symbol (`definition`, instance names, other definitions).
    pub ids: HashMap<String, String>,
    /// The starting state as sent: symbol → its part of the rendered fixture.
    pub given: HashMap<String, crate::case::rendered::GivenObject>,
    /// The starting state as read back just before the request: symbol → object (shared
    /// with the snapshot).
    pub before: HashMap<String, std::sync::Arc<crate::case::snapshot::Snapshot>>,
    /// This copy's `each` values (a copy of a `repeat` request).
    pub each: Map<String, Value>,
    fresh: Mutex<HashMap<String, String>>,
}

impl Bindings {
    /// Resolves one expression.
    pub fn lookup(&self, expr: &Expr) -> Result<Value, TemplateError> {
        let missing = |problem: String| TemplateError::Unresolved {
            expr: expr.to_string(),
            problem,
        };
        match expr {
            Expr::Id(name) => self
                .ids
                .get(name)
                .map(|id| Value::String(id.clone()))
                .ok_or_else(|| missing(format!("no seeded object named `{name}`"))),
            Expr::Principal(name) => self
                .principals
                .get(name)
                .map(|id| Value::String(id.clone()))
                .ok_or_else(|| missing(format!("no principal named `{name}`"))),
            Expr::Matrix(key) => self
                .matrix
                .get(key)
                .cloned()
                .ok_or_else(|| missing(format!("no matrix key `{key}`"))),
            Expr::New(label) => {
                let mut fresh = self
                    .fresh
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let id = fresh
                    .entry(label.clone())
                    .or_insert_with(|| uuid::Uuid::new_v4().to_string());
                Ok(Value::String(id.clone()))
            }
            Expr::Given(path) => {
                // `parse_expr` builds `path` from a non-empty split: it has a first segment.
                let at = (self.given.get(&path[0]))
                    .and_then(crate::case::rendered::GivenObject::value)
                    .ok_or_else(|| missing(format!("no starting object named `{}`", path[0])))?;
                descend(at, &path[1..], "the starting state").map_err(missing)
            }
            Expr::Each(key) => self
                .each
                .get(key)
                .cloned()
                .ok_or_else(|| missing(format!("no each key `{key}` in this copy"))),
            Expr::Before(path) => {
                let at = self.before.get(&path[0]).ok_or_else(|| {
                    missing(format!(
                        "no object named `{}` was read before the request",
                        path[0]
                    ))
                })?;
                descend(at.value(), &path[1..], "the object read before the request")
                    .map_err(missing)
            }
        }
    }

    /// A copy with the same values but its own fresh `${new.*}` ids.
    pub fn fork(&self) -> Bindings {
        Bindings {
            matrix: self.matrix.clone(),
            principals: self.principals.clone(),
            ids: self.ids.clone(),
            given: self.given.clone(),
            before: self.before.clone(),
            each: Map::new(),
            fresh: Mutex::default(),
        }
    }
}

/// The value at `path` below `at`, or what is missing (`what` names the object).
fn descend(at: &Value, path: &[String], what: &str) -> Result<Value, String> {
    let mut at = at;
    for p in path {
        at = at
            .get(p)
            .ok_or_else(|| format!("{what} has no `{p}` there"))?;
    }
    Ok(at.clone())
}

impl Template {
    /// Renders with `bindings`: a lone expression keeps its JSON type, otherwise a string.
    pub fn render(&self, bindings: &Bindings) -> Result<Value, TemplateError> {
        if let [Segment::Expr(e)] = self.segments.as_slice() {
            return bindings.lookup(e);
        }
        let mut out = String::new();
        for s in &self.segments {
            match s {
                Segment::Text(t) => out.push_str(t),
                Segment::Expr(e) => match bindings.lookup(e)? {
                    Value::String(v) => out.push_str(&v),
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        Ok(Value::String(out))
    }
}
