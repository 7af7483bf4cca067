//! Comparing what came back with a matcher tree, collecting every mismatch.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::{ArrayMode, Matcher, Mismatch, loosely_equal, show, unchanged_equal};
use crate::case::query::queries_equivalent;
use crate::case::template::Bindings;

impl Matcher {
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
            if !unchanged_equal(actual, before, key) {
                let (was, is) = match (before, actual) {
                    (Some(b), Some(a)) => super::show_difference(b, a),
                    (b, a) => (
                        b.map(show).unwrap_or_else(|| "absent".into()),
                        a.map(show).unwrap_or_else(|| "absent".into()),
                    ),
                };
                fail(format!("unchanged: {was}"), is);
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
                    for (k, v) in obj
                        .iter()
                        .filter(|(k, _)| !fields.iter().any(|(f, _)| f == *k))
                    {
                        out.push(Mismatch {
                            path: child_path(path, k),
                            expected: "absent (exact object)".into(),
                            actual: show(v),
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

/// Indexes below come from `0..items.len()`, `0..list.len()` and the assignment built over
/// them, so they are always in bounds.
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
/// (`fits` is `items × actual`, `seen` and `owner` are `actual` long: every index is in bounds.)
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

fn child_path(path: &str, key: &str) -> String {
    if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{path}.{key}")
    } else {
        format!("{path}[{key:?}]")
    }
}

static DATE_TIME: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&json!({"type": "string", "format": "date-time"}))
        .expect("a constant schema compiles")
});
