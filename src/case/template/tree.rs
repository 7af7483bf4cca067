//! Strings and JSON trees of a case file with their templates parsed once, rendered with a
//! trial's bindings.

use serde_json::{Map, Value};

use super::bindings::Bindings;
use super::expr::{Expr, Template, TemplateError};

/// A string that may hold templates, parsed once when the case is loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Text {
    /// A plain string (already unescaped).
    Plain(String),
    /// A string with `${…}` expressions.
    Template(Template),
}

impl Text {
    /// The expressions in this string.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            Text::Plain(_) => Vec::new(),
            Text::Template(t) => t.exprs().collect(),
        }
    }

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
    /// Every expression anywhere in this tree.
    pub fn exprs(&self) -> Vec<&Expr> {
        match self {
            Tree::Plain(_) => Vec::new(),
            Tree::Template(t) => t.exprs().collect(),
            Tree::Array(items) => items.iter().flat_map(Tree::exprs).collect(),
            Tree::Object(fields) => fields.iter().flat_map(|(_, t)| t.exprs()).collect(),
        }
    }

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

    /// Appends the JSON text of [`Tree::render`]'s value to `out` (the same bytes as
    /// serialising that value), without building the value.
    pub fn write_json(&self, bindings: &Bindings, out: &mut Vec<u8>) -> Result<(), TemplateError> {
        match self {
            Tree::Plain(v) => write_value(v, out),
            Tree::Template(t) => write_value(&t.render(bindings)?, out),
            Tree::Array(items) => {
                out.push(b'[');
                for (i, t) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    t.write_json(bindings, out)?;
                }
                out.push(b']');
            }
            Tree::Object(fields) => {
                out.push(b'{');
                for (i, (k, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_value(k, out);
                    out.push(b':');
                    t.write_json(bindings, out)?;
                }
                out.push(b'}');
            }
        }
        Ok(())
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
                let mut out = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    out.insert(k.clone(), t.render(bindings)?);
                }
                Value::Object(out)
            }
        })
    }
}

/// Serialises a value onto `out` (writing to a `Vec` cannot fail).
fn write_value<T: serde::Serialize + ?Sized>(v: &T, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(out, v);
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
