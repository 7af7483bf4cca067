//! Matchers: how an expected JSON tree written in a case is compared with what came back.
//!
//! Objects match as subsets unless wrapped in `{$exact: …}`; arrays match as unordered
//! collections of the same length unless wrapped in `{$ordered: …}` (in order) or
//! `{$contains: …}` (at least these elements); strings under a `query` key compare as Graph
//! query strings. Named matchers: `$any`, `$absent`, `$uuid`, `$datetime`, `$unchanged`,
//! `{$regex: …}`, `{$query: …}`. A literal string starting with `$` is written `$$…`.
//! Every mismatch is collected, not only the first.

use std::fmt;

use serde_json::Value;

use crate::case::template::Template;
pub use crate::case::template::Text;

mod check;
mod parse;
#[cfg(test)]
mod tests;

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

impl Matcher {
    /// Whether this tree compares anything with the state read before the request
    /// (`$unchanged` somewhere in it).
    pub fn reads_before(&self) -> bool {
        match self {
            Matcher::Unchanged => true,
            Matcher::Object { fields, .. } => fields.iter().any(|(_, m)| m.reads_before()),
            Matcher::Array { items, .. } => items.iter().any(Matcher::reads_before),
            _ => false,
        }
    }

    /// Every template expression in this matcher tree.
    pub fn exprs(&self) -> Vec<&crate::case::template::Expr> {
        match self {
            Matcher::Query(t) => t.exprs(),
            Matcher::Template(t) => t.exprs().collect(),
            Matcher::Object { fields, .. } => fields.iter().flat_map(|(_, m)| m.exprs()).collect(),
            Matcher::Array { items, .. } => items.iter().flat_map(Matcher::exprs).collect(),
            Matcher::Any
            | Matcher::Absent
            | Matcher::Uuid
            | Matcher::DateTime
            | Matcher::Unchanged
            | Matcher::Regex(_)
            | Matcher::Literal(_) => Vec::new(),
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

/// Keys whose arrays are reviewer collections, which are sets: `$unchanged` compares them in
/// any order (each element once).
pub const REVIEWER_KEYS: [&str; 2] = ["reviewers", "fallbackReviewers"];

/// `$unchanged`: equal as [`loosely_equal`], but an array under a [`REVIEWER_KEYS`] key (at
/// any depth) is compared as a multiset.
pub fn unchanged_equal(a: Option<&Value>, b: Option<&Value>, key: Option<&str>) -> bool {
    match (a, b) {
        (Some(Value::Array(x)), Some(Value::Array(y)))
            if key.is_some_and(|k| REVIEWER_KEYS.contains(&k)) =>
        {
            let mut used = vec![false; y.len()];
            x.len() == y.len()
                && x.iter().all(|p| {
                    let found = y
                        .iter()
                        .enumerate()
                        .position(|(i, q)| !used[i] && unchanged_equal(Some(p), Some(q), None));
                    found.map(|i| used[i] = true).is_some()
                })
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| unchanged_equal(Some(p), Some(q), None))
        }
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| unchanged_equal(Some(v), y.get(k), Some(k)))
        }
        _ => loosely_equal(a, b),
    }
}

/// Compact JSON for messages, cut at 300 characters.
pub fn show(v: &Value) -> String {
    clip(&v.to_string(), 300)
}

/// Two values as compact JSON for a message: whole when both are short, else each shown around
/// the first place they differ (with context on both sides), so that the difference is seen.
pub fn show_difference(expected: &Value, actual: &Value) -> (String, String) {
    const LIMIT: usize = 300;
    const BEFORE: usize = 60;
    let (e, a) = (expected.to_string(), actual.to_string());
    if e.chars().count() <= LIMIT && a.chars().count() <= LIMIT {
        return (e, a);
    }
    let first = e
        .chars()
        .zip(a.chars())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| e.chars().count().min(a.chars().count()));
    let start = first.saturating_sub(BEFORE);
    let window = |text: &str| {
        let total = text.chars().count();
        let shown: String = text.chars().skip(start).take(LIMIT - BEFORE).collect();
        let head = if start > 0 { "…" } else { "" };
        let tail = if start + (LIMIT - BEFORE) < total {
            "…"
        } else {
            ""
        };
        format!(
            "{head}{shown}{tail} (first difference at character {first} of {total}, SHA-256 {})",
            fingerprint(text)
        )
    };
    (window(&e), window(&a))
}

/// `text` cut to `max_chars` characters for a message, clearly marked: how long it was and a
/// fingerprint of the whole (two cut values with the same start tell apart by it).
pub fn clip(text: &str, max_chars: usize) -> String {
    // `end` comes from `char_indices`: a char boundary, so the slice cannot panic.
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!(
            "{}… ({} bytes in all, SHA-256 {})",
            &text[..end],
            text.len(),
            fingerprint(text)
        ),
        None => text.to_string(),
    }
}

/// The first 16 hex digits of the SHA-256 of `text`: enough to tell two values apart.
pub fn fingerprint(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

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
