//! `${…}` templates in case files: symbolic ids, principals by name, matrix values, fresh
//! ids and references to the starting state.
//!
//! | expression | value |
//! |---|---|
//! | `${definition.id}`, `${NAME.id}` | the id the target gave the seeded definition or instance `NAME` |
//! | `${principal.NAME}` | the object id of principal `NAME` on this target |
//! | `${matrix.KEY}` | this trial's value of matrix key `KEY` |
//! | `${new.LABEL}` | a fresh random uuid, the same for one `LABEL` within a trial |
//! | `${given.NAME.PROP…}` | a property of the starting state as sent to the target |
//!
//! A string that is exactly one expression takes the expression's JSON value (an object, a
//! number…); otherwise values are spliced in as text. `$${` is a literal `${`.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Map, Value};

/// One `${…}` expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// `${NAME.id}`: the id of a seeded definition or instance.
    Id(String),
    /// `${principal.NAME}`.
    Principal(String),
    /// `${matrix.KEY}`.
    Matrix(String),
    /// `${new.LABEL}`.
    New(String),
    /// `${given.NAME.PROP…}`.
    Given(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Text(String),
    Expr(Expr),
}

/// A parsed string with at least one expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// Why a template could not be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `${` without `}`.
    #[error("unclosed `${{` in template")]
    Unclosed,
    /// An expression of unknown form.
    #[error("unknown template expression `${{{0}}}`")]
    UnknownForm(String),
    /// An expression naming something that does not exist.
    #[error("`${{{expr}}}`: {problem}")]
    Unresolved {
        /// The expression text.
        expr: String,
        /// What is missing.
        problem: String,
    },
}

/// The forms an expression may take, for help texts.
pub const FORMS: &str =
    "${NAME.id}, ${principal.NAME}, ${matrix.KEY}, ${new.LABEL}, ${given.NAME.PROPERTY}";

impl Template {
    /// Parses `text`; `Ok(None)` when it holds no expression (after unescaping `$${`).
    pub fn parse(text: &str) -> Result<Option<Template>, TemplateError> {
        if !text.contains("${") {
            return Ok(None);
        }
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut has_expr = false;
        // Every slice below is at a position `find` returned for an ASCII pattern (`${`, `}`)
        // or one byte before a `$`: always a char boundary.
        while let Some(i) = rest.find("${") {
            if rest[..i].ends_with('$') {
                literal.push_str(&rest[..i - 1]);
                literal.push_str("${");
                rest = &rest[i + 2..];
                continue;
            }
            literal.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after.find('}').ok_or(TemplateError::Unclosed)?;
            let expr = parse_expr(after[..end].trim())?;
            if !literal.is_empty() {
                segments.push(Segment::Text(std::mem::take(&mut literal)));
            }
            segments.push(Segment::Expr(expr));
            has_expr = true;
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !has_expr {
            return Ok(None);
        }
        if !literal.is_empty() {
            segments.push(Segment::Text(literal));
        }
        Ok(Some(Template { segments }))
    }

    /// The expressions of this template.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Expr(e) => Some(e),
            Segment::Text(_) => None,
        })
    }

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

fn parse_expr(text: &str) -> Result<Expr, TemplateError> {
    let unknown = || TemplateError::UnknownForm(text.to_string());
    let (head, tail) = text.split_once('.').ok_or_else(unknown)?;
    if tail.is_empty() || head.is_empty() {
        return Err(unknown());
    }
    Ok(match head {
        "principal" => Expr::Principal(tail.to_string()),
        "matrix" => Expr::Matrix(tail.to_string()),
        "new" => Expr::New(tail.to_string()),
        "given" => Expr::Given(tail.split('.').map(str::to_string).collect()),
        name if tail == "id" => Expr::Id(name.to_string()),
        _ => return Err(unknown()),
    })
}

/// The expression as written, without `${…}` (e.g. `principal.alice`).
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Id(n) => write!(f, "{n}.id"),
            Expr::Principal(n) => write!(f, "principal.{n}"),
            Expr::Matrix(k) => write!(f, "matrix.{k}"),
            Expr::New(l) => write!(f, "new.{l}"),
            Expr::Given(p) => write!(f, "given.{}", p.join(".")),
        }
    }
}

/// What templates resolve against in one trial.
#[derive(Debug, Default)]
pub struct Bindings {
    /// This trial's matrix row.
    pub matrix: Map<String, Value>,
    /// Principal names to object ids (shared by every trial of a run).
    pub principals: std::sync::Arc<HashMap<String, String>>,
    /// Seeded ids by symbol (`definition`, instance names, other definitions).
    pub ids: HashMap<String, String>,
    /// The starting state as sent: symbol → properties.
    pub given: Map<String, Value>,
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
                let mut at = self
                    .given
                    .get(&path[0])
                    .ok_or_else(|| missing(format!("no starting object named `{}`", path[0])))?;
                for p in &path[1..] {
                    at = at
                        .get(p)
                        .ok_or_else(|| missing(format!("the starting state has no `{p}` there")))?;
                }
                Ok(at.clone())
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
            fresh: Mutex::default(),
        }
    }
}

/// A string that may hold templates, parsed once when the case is loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text {
    /// A plain string (already unescaped).
    Plain(String),
    /// A string with `${…}` expressions.
    Template(Template),
}

impl Text {
    /// Parses a string of a case file.
    pub fn parse(s: &str) -> Result<Text, TemplateError> {
        Ok(match Template::parse(s)? {
            Some(t) => Text::Template(t),
            None => Text::Plain(unescape(s)),
        })
    }

    /// The string with the expressions' values spliced in.
    pub fn render(&self, bindings: &Bindings) -> Result<String, TemplateError> {
        match self {
            Text::Plain(s) => Ok(s.clone()),
            Text::Template(t) => Ok(match t.render(bindings)? {
                Value::String(s) => s,
                other => other.to_string(),
            }),
        }
    }
}

/// A JSON tree whose strings may hold templates, parsed once when the case is loaded.
#[derive(Clone, Debug, PartialEq)]
pub enum Tree {
    /// A subtree without any template (strings already unescaped).
    Plain(Value),
    /// A string with expressions (a lone expression keeps its JSON type).
    Template(Template),
    /// An array with templates somewhere inside.
    Array(Vec<Tree>),
    /// An object with templates somewhere inside, keys in file order.
    Object(Vec<(String, Tree)>),
}

impl Tree {
    /// Parses every string of `value`; the first malformed template is the error.
    pub fn parse(value: &Value) -> Result<Tree, TemplateError> {
        Ok(match value {
            Value::String(s) => match Template::parse(s)? {
                Some(t) => Tree::Template(t),
                None => Tree::Plain(Value::String(unescape(s))),
            },
            Value::Array(items) => {
                let trees = items
                    .iter()
                    .map(Tree::parse)
                    .collect::<Result<Vec<_>, _>>()?;
                if trees.iter().all(|t| matches!(t, Tree::Plain(_))) {
                    Tree::Plain(Value::Array(
                        trees.into_iter().map(Tree::into_plain).collect(),
                    ))
                } else {
                    Tree::Array(trees)
                }
            }
            Value::Object(map) => {
                let mut fields = Vec::with_capacity(map.len());
                for (k, v) in map {
                    fields.push((k.clone(), Tree::parse(v)?));
                }
                if fields.iter().all(|(_, t)| matches!(t, Tree::Plain(_))) {
                    Tree::Plain(Value::Object(
                        fields
                            .into_iter()
                            .map(|(k, t)| (k, t.into_plain()))
                            .collect(),
                    ))
                } else {
                    Tree::Object(fields)
                }
            }
            other => Tree::Plain(other.clone()),
        })
    }

    fn into_plain(self) -> Value {
        match self {
            Tree::Plain(v) => v,
            _ => Value::Null,
        }
    }

    /// The JSON value with every expression resolved.
    pub fn render(&self, bindings: &Bindings) -> Result<Value, TemplateError> {
        Ok(match self {
            Tree::Plain(v) => v.clone(),
            Tree::Template(t) => t.render(bindings)?,
            Tree::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|t| t.render(bindings))
                    .collect::<Result<_, _>>()?,
            ),
            Tree::Object(fields) => {
                let mut out = Map::new();
                for (k, t) in fields {
                    out.insert(k.clone(), t.render(bindings)?);
                }
                Value::Object(out)
            }
        })
    }
}

/// Turns `$${` into `${` in a string without expressions.
pub fn unescape(s: &str) -> String {
    s.replace("$${", "${")
}

/// A callback receiving each string's JSON pointer and its parsed template.
pub type TemplateVisitor<'a> = dyn FnMut(&str, Result<Option<Template>, TemplateError>) + 'a;

/// Visits every template string inside `value` with its JSON pointer.
pub fn for_each_template(value: &Value, pointer: &str, f: &mut TemplateVisitor<'_>) {
    match value {
        Value::String(s) => f(pointer, Template::parse(s)),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                for_each_template(v, &format!("{pointer}/{i}"), f);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{pointer}/{}", crate::diagnostic::escape_pointer(k));
                for_each_template(v, &p, f);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
