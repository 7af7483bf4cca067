//! Matchers: how an expected JSON tree written in a case is compared with what came back.
//!
//! Objects match as subsets unless wrapped in `{$exact: …}`; arrays match as unordered
//! collections of the same length unless wrapped in `{$ordered: …}` (in order) or
//! `{$contains: …}` (at least these elements); strings under a `query` key compare as Graph
//! query strings. Named matchers: `$any`, `$absent`, `$uuid`, `$datetime`, `$unchanged`,
//! `{$regex: …}`, `{$query: …}`. A literal string starting with `$` is written `$$…`.
//! Every mismatch is collected, not only the first.

use std::fmt;
use std::sync::LazyLock;

use serde_json::{Value, json};

use crate::query::queries_equivalent;
use crate::source::did_you_mean;
use crate::template::{Bindings, Template, TemplateError};

/// The named (argument-less) matchers.
pub const NAMED: [&str; 5] = ["$any", "$absent", "$uuid", "$datetime", "$unchanged"];
/// The matchers written as a one-key object.
pub const KEYED: [&str; 5] = ["$regex", "$query", "$exact", "$ordered", "$contains"];

/// How an array is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrayMode {
    /// Same elements in any order (the default).
    Unordered,
    /// Same elements in the same order.
    Ordered,
    /// At least these elements, in any order.
    Contains,
}

/// An expected JSON tree with matchers in it.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// Any present value, `null` included.
    Any,
    /// The property must not be present.
    Absent,
    /// A string holding a UUID.
    Uuid,
    /// A string holding an RFC 3339 date-time.
    DateTime,
    /// Equal to the same place in the state read before the request.
    Unchanged,
    /// A string matching the regular expression.
    Regex(regex::Regex),
    /// A Graph query string equivalent to this one.
    Query(Text),
    /// Equal to this scalar (a string under a `query` key compares as a Graph query).
    Literal(Value),
    /// A template whose value is then matched like a literal tree.
    Template(Template),
    /// An object with at least (or, when `exact`, exactly) these properties.
    Object {
        /// Expected properties in file order.
        fields: Vec<(String, Matcher)>,
        /// No other properties allowed.
        exact: bool,
    },
    /// An array.
    Array {
        /// Expected elements.
        items: Vec<Matcher>,
        /// How they are compared.
        mode: ArrayMode,
    },
}

/// A string that may be a template.
#[derive(Clone, Debug)]
pub enum Text {
    /// A plain string.
    Plain(String),
    /// A string with `${…}` expressions.
    Template(Template),
}

impl Text {
    fn render(&self, bindings: &Bindings) -> Result<String, TemplateError> {
        match self {
            Text::Plain(s) => Ok(s.clone()),
            Text::Template(t) => Ok(match t.render(bindings)? {
                Value::String(s) => s,
                other => other.to_string(),
            }),
        }
    }
}

/// A problem in a matcher tree, at a JSON pointer relative to the tree's root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatcherError {
    /// Where (JSON pointer below the tree's root).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// What would be valid.
    pub help: Option<String>,
}

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
                    let help = match did_you_mean(other, NAMED.into_iter().chain(KEYED)) {
                        Some(s) => format!("did you mean `{s}`? ({})", valid_matchers()),
                        None => format!(
                            "{}; write `$${}` for a literal string",
                            valid_matchers(),
                            &other[1..]
                        ),
                    };
                    err(format!("unknown matcher `{other}`"), Some(help));
                    Matcher::Any
                }
            },
            Value::String(s) => match Template::parse(s) {
                Ok(Some(t)) => Matcher::Template(t),
                Ok(None) => Matcher::Literal(Value::String(crate::template::unescape(s))),
                Err(e) => {
                    err(
                        e.to_string(),
                        Some(format!("template forms: {}", crate::template::FORMS)),
                    );
                    Matcher::Any
                }
            },
            Value::Object(map)
                if map.len() == 1 && is_matcher_key(map.keys().next().expect("one key")) =>
            {
                let (key, arg) = map.iter().next().expect("one key");
                let arg_pointer = format!("{pointer}/{}", crate::source::escape_pointer(key));
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
                    ("$regex" | "$query", _) => {
                        errors.push(MatcherError {
                            pointer: arg_pointer,
                            message: format!("`{key}` takes a string"),
                            help: None,
                        });
                        Matcher::Any
                    }
                    ("$exact", _) => {
                        errors.push(MatcherError {
                            pointer: arg_pointer,
                            message: "`$exact` takes an object".into(),
                            help: None,
                        });
                        Matcher::Any
                    }
                    ("$ordered" | "$contains", _) => {
                        errors.push(MatcherError {
                            pointer: arg_pointer,
                            message: format!("`{key}` takes an array"),
                            help: None,
                        });
                        Matcher::Any
                    }
                    (other, _) => {
                        let help = match did_you_mean(other, KEYED.into_iter().chain(NAMED)) {
                            Some(s) => format!("did you mean `{s}`? ({})", valid_matchers()),
                            None => format!(
                                "{}; write `$${}` for a literal key",
                                valid_matchers(),
                                &other[1..]
                            ),
                        };
                        errors.push(MatcherError {
                            pointer: format!("{pointer}/{}", crate::source::escape_pointer(other)),
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
                    let child = format!("{pointer}/{}", crate::source::escape_pointer(k));
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

    /// Compares `actual` (absent when `None`) with this matcher; `before` is the same place in
    /// the state read before the request (for `$unchanged`). Mismatches are appended to `out`.
    pub fn check(
        &self,
        actual: Option<&Value>,
        before: Option<&Value>,
        bindings: &Bindings,
        out: &mut Vec<Mismatch>,
    ) {
        self.check_at("$", None, actual, before, bindings, out);
    }

    /// True when `actual` matches with no mismatch.
    pub fn matches(
        &self,
        actual: Option<&Value>,
        before: Option<&Value>,
        bindings: &Bindings,
    ) -> bool {
        let mut out = Vec::new();
        self.check(actual, before, bindings, &mut out);
        out.is_empty()
    }

    fn check_at(
        &self,
        path: &str,
        key: Option<&str>,
        actual: Option<&Value>,
        before: Option<&Value>,
        bindings: &Bindings,
        out: &mut Vec<Mismatch>,
    ) {
        let mut fail = |expected: String, got: String| {
            out.push(Mismatch {
                path: path.to_string(),
                expected,
                actual: got,
            })
        };
        if let Matcher::Absent = self {
            if let Some(a) = actual {
                fail("absent".into(), show(a));
            }
            return;
        }
        if let Matcher::Unchanged = self {
            if !loosely_equal(actual, before) {
                fail(
                    format!(
                        "unchanged: {}",
                        before.map(show).unwrap_or_else(|| "absent".into())
                    ),
                    actual.map(show).unwrap_or_else(|| "absent".into()),
                );
            }
            return;
        }
        let Some(actual) = actual else {
            fail(self.describe(bindings), "absent".into());
            return;
        };
        match self {
            Matcher::Any | Matcher::Absent | Matcher::Unchanged => {}
            Matcher::Uuid => {
                if actual
                    .as_str()
                    .is_none_or(|s| uuid::Uuid::parse_str(s).is_err())
                {
                    fail("a uuid".into(), show(actual));
                }
            }
            Matcher::DateTime => {
                if !(actual.is_string() && DATE_TIME.is_valid(actual)) {
                    fail("an RFC 3339 date-time".into(), show(actual));
                }
            }
            Matcher::Regex(re) => {
                if !actual.as_str().is_some_and(|s| re.is_match(s)) {
                    fail(format!("a string matching /{}/", re.as_str()), show(actual));
                }
            }
            Matcher::Query(text) => match text.render(bindings) {
                Ok(q) => {
                    if !actual.as_str().is_some_and(|a| queries_equivalent(a, &q)) {
                        fail(format!("graph query {}", show(&json!(q))), show(actual));
                    }
                }
                Err(e) => fail(format!("<{e}>"), show(actual)),
            },
            Matcher::Literal(expected) => {
                let same = match (expected, actual, key) {
                    (Value::String(e), Value::String(a), Some("query")) => queries_equivalent(e, a),
                    _ => loosely_equal(Some(expected), Some(actual)),
                };
                if !same {
                    let e = show(expected);
                    fail(
                        if key == Some("query") && expected.is_string() {
                            format!("graph query {e}")
                        } else {
                            e
                        },
                        show(actual),
                    );
                }
            }
            Matcher::Template(t) => match t.render(bindings) {
                Ok(v) => {
                    Matcher::literal(&v).check_at(path, key, Some(actual), before, bindings, out)
                }
                Err(e) => fail(format!("<{e}>"), show(actual)),
            },
            Matcher::Object { fields, exact } => {
                let Some(obj) = actual.as_object() else {
                    fail("an object".into(), show(actual));
                    return;
                };
                for (k, m) in fields {
                    let child = child_path(path, k);
                    m.check_at(
                        &child,
                        Some(k),
                        obj.get(k),
                        before.and_then(|b| b.get(k)),
                        bindings,
                        out,
                    );
                }
                if *exact {
                    for k in obj.keys().filter(|k| !fields.iter().any(|(f, _)| f == *k)) {
                        out.push(Mismatch {
                            path: child_path(path, k),
                            expected: "absent (exact object)".into(),
                            actual: show(&obj[k]),
                        });
                    }
                }
            }
            Matcher::Array { items, mode } => {
                let Some(list) = actual.as_array() else {
                    fail("an array".into(), show(actual));
                    return;
                };
                let before_list = before.and_then(Value::as_array);
                check_array(path, items, *mode, list, before_list, bindings, out);
            }
        }
    }

    fn describe(&self, bindings: &Bindings) -> String {
        match self {
            Matcher::Any => "any value".into(),
            Matcher::Absent => "absent".into(),
            Matcher::Uuid => "a uuid".into(),
            Matcher::DateTime => "an RFC 3339 date-time".into(),
            Matcher::Unchanged => "unchanged".into(),
            Matcher::Regex(r) => format!("a string matching /{}/", r.as_str()),
            Matcher::Query(t) => format!(
                "graph query {}",
                t.render(bindings)
                    .map(|q| show(&json!(q)))
                    .unwrap_or_default()
            ),
            Matcher::Literal(v) => show(v),
            Matcher::Template(t) => t
                .render(bindings)
                .map(|v| show(&v))
                .unwrap_or_else(|e| format!("<{e}>")),
            Matcher::Object { .. } => "an object".into(),
            Matcher::Array { items, .. } => format!("an array of {}", items.len()),
        }
    }
}

fn check_array(
    path: &str,
    items: &[Matcher],
    mode: ArrayMode,
    list: &[Value],
    before: Option<&Vec<Value>>,
    bindings: &Bindings,
    out: &mut Vec<Mismatch>,
) {
    let before_at = |i: usize| before.and_then(|b| b.get(i));
    if mode == ArrayMode::Ordered {
        if items.len() != list.len() {
            out.push(Mismatch {
                path: path.into(),
                expected: format!("{} elements in order", items.len()),
                actual: format!("{} elements", list.len()),
            });
        }
        for (i, (m, a)) in items.iter().zip(list).enumerate() {
            m.check_at(
                &format!("{path}[{i}]"),
                None,
                Some(a),
                before_at(i),
                bindings,
                out,
            );
        }
        return;
    }
    // Which actual elements each expected element could be (before = same index).
    let fits: Vec<Vec<bool>> = items
        .iter()
        .map(|m| {
            list.iter()
                .enumerate()
                .map(|(j, a)| m.matches(Some(a), before_at(j), bindings))
                .collect()
        })
        .collect();
    let assignment = max_matching(&fits, list.len());
    let unmatched_expected: Vec<usize> = (0..items.len())
        .filter(|i| assignment[*i].is_none())
        .collect();
    let used: Vec<bool> = (0..list.len())
        .map(|j| assignment.contains(&Some(j)))
        .collect();
    let unmatched_actual: Vec<usize> = (0..list.len()).filter(|j| !used[*j]).collect();
    if mode == ArrayMode::Unordered && items.len() != list.len() {
        out.push(Mismatch {
            path: path.into(),
            expected: format!("{} elements (any order)", items.len()),
            actual: format!("{} elements", list.len()),
        });
    }
    if let ([i], [j]) = (unmatched_expected.as_slice(), unmatched_actual.as_slice()) {
        // One left on each side: show why they differ.
        items[*i].check_at(
            &format!("{path}[{j}]"),
            None,
            Some(&list[*j]),
            before_at(*j),
            bindings,
            out,
        );
        return;
    }
    for i in &unmatched_expected {
        out.push(Mismatch {
            path: format!("{path}[*]"),
            expected: format!("an element matching {}", items[*i].describe_tree(bindings)),
            actual: "none matches".into(),
        });
    }
    if mode == ArrayMode::Unordered && items.len() == list.len() {
        for j in &unmatched_actual {
            out.push(Mismatch {
                path: format!("{path}[{j}]"),
                expected: "no further element".into(),
                actual: show(&list[*j]),
            });
        }
    }
}

impl Matcher {
    fn describe_tree(&self, bindings: &Bindings) -> String {
        match self {
            Matcher::Object { fields, exact } => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|(k, m)| format!("{k:?}: {}", m.describe_tree(bindings)))
                    .collect();
                format!(
                    "{}{{{}}}",
                    if *exact { "exactly " } else { "" },
                    inner.join(", ")
                )
            }
            Matcher::Array { items, .. } => {
                let inner: Vec<String> = items.iter().map(|m| m.describe_tree(bindings)).collect();
                format!("[{}]", inner.join(", "))
            }
            other => other.describe(bindings),
        }
    }
}

/// Kuhn's augmenting paths: for each expected element, the actual element it is paired with.
fn max_matching(fits: &[Vec<bool>], n_actual: usize) -> Vec<Option<usize>> {
    fn augment(
        i: usize,
        fits: &[Vec<bool>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for j in 0..owner.len() {
            if fits[i][j] && !seen[j] {
                seen[j] = true;
                if owner[j].is_none_or(|k| augment(k, fits, seen, owner)) {
                    owner[j] = Some(i);
                    return true;
                }
            }
        }
        false
    }
    let mut owner: Vec<Option<usize>> = vec![None; n_actual];
    for i in 0..fits.len() {
        let mut seen = vec![false; n_actual];
        augment(i, fits, &mut seen, &mut owner);
    }
    let mut assignment = vec![None; fits.len()];
    for (j, o) in owner.iter().enumerate() {
        if let Some(i) = o {
            assignment[*i] = Some(j);
        }
    }
    assignment
}

fn is_matcher_key(k: &str) -> bool {
    k.starts_with('$') && !k.starts_with("$$")
}

fn child_path(path: &str, key: &str) -> String {
    if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{path}.{key}")
    } else {
        format!("{path}[{key:?}]")
    }
}

/// Deep equality where numbers compare by value (1 == 1.0) and object key order is ignored.
pub fn loosely_equal(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| loosely_equal(Some(p), Some(q)))
        }
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            x.len() == y.len() && x.iter().all(|(k, v)| loosely_equal(Some(v), y.get(k)))
        }
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Compact JSON for messages, cut at 300 characters.
pub fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 300 {
        let cut: String = s.chars().take(300).collect();
        format!("{cut}… ({} bytes)", s.len())
    } else {
        s
    }
}

static DATE_TIME: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&json!({"type": "string", "format": "date-time"}))
        .expect("a constant schema compiles")
});

/// One difference between what a case expects and what the target did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Where, as a JSONPath-like string (`$.fallbackReviewers[1].query`).
    pub path: String,
    /// What was expected.
    pub expected: String,
    /// What came back.
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.path, self.expected, self.actual
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn parse(v: Value) -> Matcher {
        let mut errors = Vec::new();
        let m = Matcher::parse(&v, "", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        m
    }

    fn mismatches(expected: Value, actual: Value) -> Vec<Mismatch> {
        let mut b = Bindings::default();
        b.ids.insert("instance".into(), "i-1".into());
        let mut out = Vec::new();
        parse(expected).check(Some(&actual), None, &b, &mut out);
        out
    }

    #[rstest]
    #[case::subset(json!({"a": 1}), json!({"a": 1, "b": 2}), true)]
    #[case::subset_wrong(json!({"a": 1}), json!({"a": 2}), false)]
    #[case::number_forms(json!({"a": 1}), json!({"a": 1.0}), true)]
    #[case::missing(json!({"a": 1}), json!({}), false)]
    #[case::exact_ok(json!({"$exact": {"a": 1}}), json!({"a": 1}), true)]
    #[case::exact_extra(json!({"$exact": {"a": 1}}), json!({"a": 1, "b": 2}), false)]
    #[case::absent_ok(json!({"a": "$absent"}), json!({"b": 1}), true)]
    #[case::absent_present(json!({"a": "$absent"}), json!({"a": null}), false)]
    #[case::any_null(json!({"a": "$any"}), json!({"a": null}), true)]
    #[case::any_missing(json!({"a": "$any"}), json!({}), false)]
    #[case::uuid_ok(json!("$uuid"), json!("1ed8ac56-4827-4733-8f80-86adc2e67db5"), true)]
    #[case::uuid_bad(json!("$uuid"), json!("not-a-uuid"), false)]
    #[case::uuid_number(json!("$uuid"), json!(5), false)]
    #[case::datetime_ok(json!("$datetime"), json!("2021-12-14T11:15:43.207Z"), true)]
    #[case::datetime_offset(json!("$datetime"), json!("2021-12-14T11:15:43+01:00"), true)]
    #[case::datetime_bad(json!("$datetime"), json!("2021-12-14"), false)]
    #[case::regex_ok(json!({"$regex": "^/v1\\.0/"}), json!("/v1.0/users"), true)]
    #[case::regex_bad(json!({"$regex": "^/v1\\.0/"}), json!("/users"), false)]
    #[case::query_key(json!({"query": "/users/a"}), json!({"query": "/v1.0/users/a"}), true)]
    #[case::query_key_wrong(json!({"query": "/users/a"}), json!({"query": "/v1.0/users/b"}), false)]
    #[case::other_key_not_query(json!({"q": "/users/a"}), json!({"q": "/v1.0/users/a"}), false)]
    #[case::query_matcher(json!({"$query": "/users/a"}), json!("/beta/users/a"), true)]
    #[case::query_matcher_bad(json!({"$query": "/users/a"}), json!("/users/b"), false)]
    #[case::unordered(json!([1, 2]), json!([2, 1]), true)]
    #[case::unordered_len(json!([1, 2]), json!([2, 1, 3]), false)]
    #[case::unordered_dup(json!([1, 1]), json!([1, 2]), false)]
    #[case::ordered_ok(json!({"$ordered": [1, 2]}), json!([1, 2]), true)]
    #[case::ordered_bad(json!({"$ordered": [1, 2]}), json!([2, 1]), false)]
    #[case::contains_ok(json!({"$contains": [2]}), json!([1, 2]), true)]
    #[case::contains_bad(json!({"$contains": [3]}), json!([1, 2]), false)]
    #[case::template(json!({"id": "${instance.id}"}), json!({"id": "i-1"}), true)]
    #[case::template_bad(json!({"id": "${instance.id}"}), json!({"id": "i-2"}), false)]
    #[case::literal_dollar(json!("$$any"), json!("$any"), true)]
    #[case::literal_dollar_bad(json!("$$any"), json!("x"), false)]
    #[case::type_mismatch(json!({"a": {"b": 1}}), json!({"a": [1]}), false)]
    #[case::array_vs_object(json!([1]), json!({"a": 1}), false)]
    #[case::reviewers_unordered(
        json!([{"query": "/users/a"}, {"query": "/users/b"}]),
        json!([{"query": "/v1.0/users/b", "queryRoot": null}, {"query": "/v1.0/users/a", "queryRoot": null}]),
        true
    )]
    fn matcher_table(#[case] expected: Value, #[case] actual: Value, #[case] ok: bool) {
        let found = mismatches(expected.clone(), actual.clone());
        assert_eq!(found.is_empty(), ok, "{expected} vs {actual}: {found:?}");
    }

    #[test]
    fn every_mismatch_is_reported_with_its_path() {
        let found = mismatches(
            json!({"status": "InProgress", "scope": {"query": "/x"}, "reviewers": [{"query": "/users/a"}]}),
            json!({"status": "Completed", "scope": {"query": "/y"}, "reviewers": [{"query": "/users/b"}]}),
        );
        let paths: Vec<_> = found.iter().map(|m| m.path.as_str()).collect();
        assert_eq!(
            paths,
            ["$.status", "$.scope.query", "$.reviewers[0].query"],
            "{found:?}"
        );
        assert_eq!(
            found[0].to_string(),
            "$.status: expected \"InProgress\", got \"Completed\""
        );
    }

    #[test]
    fn unchanged_compares_with_before() {
        let m = parse(json!({"scope": "$unchanged"}));
        let b = Bindings::default();
        let before = json!({"scope": {"a": 1}});
        assert!(m.matches(Some(&json!({"scope": {"a": 1}})), Some(&before), &b));
        assert!(!m.matches(Some(&json!({"scope": {"a": 2}})), Some(&before), &b));
        assert!(!m.matches(Some(&json!({})), Some(&before), &b));
    }

    #[rstest]
    #[case(json!("$uuidd"), "/", "unknown matcher `$uuidd`", Some("did you mean `$uuid`?"))]
    #[case(json!({"a": {"$regx": "x"}}), "/a/$regx", "unknown matcher `$regx`", Some("did you mean `$regex`?"))]
    #[case(json!({"$regex": "("}), "/$regex", "invalid regular expression", None)]
    #[case(json!({"$regex": 1}), "/$regex", "`$regex` takes a string", None)]
    #[case(json!({"$exact": {}, "b": 1}), "/$exact", "must be the only key", None)]
    #[case(json!("${nope}"), "/", "unknown template expression", None)]
    fn parse_errors(
        #[case] v: Value,
        #[case] pointer: &str,
        #[case] message: &str,
        #[case] help: Option<&str>,
    ) {
        let mut errors = Vec::new();
        Matcher::parse(&v, "", &mut errors);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        let expected_pointer = if pointer == "/" { "" } else { pointer };
        assert_eq!(e.pointer, expected_pointer);
        assert!(e.message.contains(message), "{e:?}");
        if let Some(h) = help {
            assert!(e.help.as_deref().unwrap_or("").contains(h), "{e:?}");
        }
    }
}
