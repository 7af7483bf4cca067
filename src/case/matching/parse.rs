//! Parsing matcher trees from a case file's JSON.

use serde_json::Value;

use super::{ArrayMode, KEYED, Matcher, MatcherError, NAMED, Text};
use crate::case::template::Template;
use crate::diagnostic::did_you_mean;

fn valid_matchers() -> String {
    format!("valid matchers: {}, {}", NAMED.join(", "), KEYED.join(", "))
}

impl Matcher {
    /// Parses a matcher tree from a case file's JSON, collecting every problem.
    pub fn parse(value: &Value, pointer: &str, errors: &mut Vec<MatcherError>) -> Matcher {
        let mut err = |message: String, help: Option<String>| {
            errors.push(MatcherError {
                pointer: pointer.to_string(),
                message,
                help,
            })
        };
        match value {
            Value::String(s) if s.starts_with("$$") => {
                Matcher::Literal(Value::String(s[1..].to_string()))
            }
            Value::String(s) if s.starts_with('$') && !s.starts_with("${") => match s.as_str() {
                "$any" => Matcher::Any,
                "$absent" => Matcher::Absent,
                "$uuid" => Matcher::Uuid,
                "$datetime" => Matcher::DateTime,
                "$unchanged" => Matcher::Unchanged,
                other => {
                    let help =
                        unknown_matcher_help(other, NAMED.into_iter().chain(KEYED), "string");
                    err(format!("unknown matcher `{other}`"), Some(help));
                    Matcher::Any
                }
            },
            Value::String(s) => match Template::parse(s) {
                Ok(Some(t)) => Matcher::Template(t),
                Ok(None) => Matcher::Literal(Value::String(crate::case::template::unescape(s))),
                Err(e) => {
                    err(
                        e.to_string(),
                        Some(format!("template forms: {}", crate::case::template::FORMS)),
                    );
                    Matcher::Any
                }
            },
            Value::Object(map)
                if map.len() == 1 && is_matcher_key(map.keys().next().expect("one key")) =>
            {
                let (key, arg) = map.iter().next().expect("one key");
                let arg_pointer = format!("{pointer}/{}", crate::diagnostic::escape_pointer(key));
                match (key.as_str(), arg) {
                    ("$regex", Value::String(re)) => match regex::Regex::new(re) {
                        Ok(r) => Matcher::Regex(r),
                        Err(e) => {
                            errors.push(MatcherError {
                                pointer: arg_pointer,
                                message: format!("invalid regular expression: {e}"),
                                help: None,
                            });
                            Matcher::Any
                        }
                    },
                    ("$query", Value::String(q)) => match Template::parse(q) {
                        Ok(Some(t)) => Matcher::Query(Text::Template(t)),
                        Ok(None) => Matcher::Query(Text::Plain(q.clone())),
                        Err(e) => {
                            errors.push(MatcherError {
                                pointer: arg_pointer,
                                message: e.to_string(),
                                help: None,
                            });
                            Matcher::Any
                        }
                    },
                    ("$exact", Value::Object(_)) => match Matcher::parse(arg, &arg_pointer, errors)
                    {
                        Matcher::Object { fields, .. } => Matcher::Object {
                            fields,
                            exact: true,
                        },
                        other => other,
                    },
                    ("$ordered" | "$contains", Value::Array(_)) => {
                        match Matcher::parse(arg, &arg_pointer, errors) {
                            Matcher::Array { items, .. } => Matcher::Array {
                                items,
                                mode: if key == "$ordered" {
                                    ArrayMode::Ordered
                                } else {
                                    ArrayMode::Contains
                                },
                            },
                            other => other,
                        }
                    }
                    ("$regex" | "$query" | "$exact" | "$ordered" | "$contains", _) => {
                        let wants = match key.as_str() {
                            "$exact" => "an object",
                            "$ordered" | "$contains" => "an array",
                            _ => "a string",
                        };
                        errors.push(MatcherError {
                            pointer: arg_pointer,
                            message: format!("`{key}` takes {wants}"),
                            help: None,
                        });
                        Matcher::Any
                    }
                    (other, _) => {
                        let help =
                            unknown_matcher_help(other, KEYED.into_iter().chain(NAMED), "key");
                        errors.push(MatcherError {
                            pointer: format!(
                                "{pointer}/{}",
                                crate::diagnostic::escape_pointer(other)
                            ),
                            message: format!("unknown matcher `{other}`"),
                            help: Some(help),
                        });
                        Matcher::Any
                    }
                }
            }
            Value::Object(map) => {
                let mut fields = Vec::new();
                for (k, v) in map {
                    let child = format!("{pointer}/{}", crate::diagnostic::escape_pointer(k));
                    if is_matcher_key(k) {
                        errors.push(MatcherError {
                            pointer: child,
                            message: format!("matcher `{k}` must be the only key of its object"),
                            help: Some("write `$$` for a literal key starting with `$`".into()),
                        });
                        continue;
                    }
                    let key = k
                        .strip_prefix('$')
                        .filter(|_| k.starts_with("$$"))
                        .unwrap_or(k);
                    fields.push((key.to_string(), Matcher::parse(v, &child, errors)));
                }
                Matcher::Object {
                    fields,
                    exact: false,
                }
            }
            Value::Array(items) => Matcher::Array {
                items: items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| Matcher::parse(v, &format!("{pointer}/{i}"), errors))
                    .collect(),
                mode: ArrayMode::Unordered,
            },
            scalar => Matcher::Literal(scalar.clone()),
        }
    }

    /// A matcher equal to a plain JSON value (no `$` forms interpreted).
    pub fn literal(value: &Value) -> Matcher {
        match value {
            Value::Object(map) => Matcher::Object {
                fields: map
                    .iter()
                    .map(|(k, v)| (k.clone(), Matcher::literal(v)))
                    .collect(),
                exact: false,
            },
            Value::Array(items) => Matcher::Array {
                items: items.iter().map(Matcher::literal).collect(),
                mode: ArrayMode::Unordered,
            },
            scalar => Matcher::Literal(scalar.clone()),
        }
    }
}

/// Did-you-mean for an unknown matcher (closest of `candidates` first), or how to write a
/// literal `what` (string or key) that starts with `$`.
fn unknown_matcher_help<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
    what: &str,
) -> String {
    match did_you_mean(name, candidates) {
        Some(s) => format!("did you mean `{s}`? ({})", valid_matchers()),
        None => format!(
            "{}; write `$${}` for a literal {what}",
            valid_matchers(),
            &name[1..]
        ),
    }
}

pub(super) fn is_matcher_key(k: &str) -> bool {
    k.starts_with('$') && !k.starts_with("$$")
}
