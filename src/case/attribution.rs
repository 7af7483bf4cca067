//! Which rule a finding breaks. A rule of the catalogue says what checks it (`checks:` in
//! `cases/rules.yaml`: `status`, `headers`, `schema`, `body`, `instance`, `definition`,
//! `siblings`, `acknowledged`, each optionally narrowed to one property, as in
//! `instance.scope`); a part of a case (`then`, or `reference`) stands for some of the case's
//! rules. A finding names the rules of its part that check where it is: those naming its
//! property first, then those checking the whole key, then any checking the key at all. A
//! status that no rule of its part checks is a precondition of the case (the request must be
//! answered so for the rest to mean anything): a finding there names no rule, and the case's
//! rules are not verified in that trial. The loader refuses any other key that no rule of its
//! part checks.

use std::fmt;

use crate::case::finding::{Location, StateObject};

/// What part of an exchange a check looks at: a key of `then`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckKey {
    /// The response status (and a missing answer).
    Status,
    /// A response header.
    Headers,
    /// The body against a JSON Schema.
    Schema,
    /// The response body.
    Body,
    /// The instance read back.
    Instance,
    /// The parent definition read back.
    Definition,
    /// The other instances read back.
    Siblings,
    /// The effect of each acknowledged copy of a `repeat` request.
    Acknowledged,
}

impl CheckKey {
    /// Every key with its name in `checks:`.
    pub const ALL: [(CheckKey, &'static str); 8] = [
        (CheckKey::Status, "status"),
        (CheckKey::Headers, "headers"),
        (CheckKey::Schema, "schema"),
        (CheckKey::Body, "body"),
        (CheckKey::Instance, "instance"),
        (CheckKey::Definition, "definition"),
        (CheckKey::Siblings, "siblings"),
        (CheckKey::Acknowledged, "acknowledged"),
    ];

    /// Its name in `checks:`.
    pub fn name(self) -> &'static str {
        CheckKey::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, n)| *n)
            .unwrap_or("status")
    }
}

/// One entry of a rule's `checks:`: a key, optionally narrowed to a top-level property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The key.
    pub key: CheckKey,
    /// The property (first segment of the path), if narrowed.
    pub property: Option<String>,
}

impl TryFrom<String> for Selector {
    type Error = String;

    fn try_from(s: String) -> Result<Selector, String> {
        let (key, property) = match s.split_once('.') {
            Some((k, p)) => (k, Some(p)),
            None => (s.as_str(), None),
        };
        let names: Vec<&str> = CheckKey::ALL.iter().map(|(_, n)| *n).collect();
        let Some((key, _)) = CheckKey::ALL.iter().find(|(_, n)| *n == key) else {
            let guess = crate::diagnostic::did_you_mean(key, names.iter().copied())
                .map(|g| format!("did you mean `{g}`? "))
                .unwrap_or_default();
            return Err(format!(
                "unknown check `{s}`: {guess}expected one of {} (optionally `.property`, as in `instance.scope`)",
                names.join(", ")
            ));
        };
        // One property: a plain name, or an annotation (`body.@odata.context`).
        if property.is_some_and(|p| p.is_empty() || (p.contains('.') && !p.starts_with('@'))) {
            return Err(format!(
                "`{s}`: a check is narrowed to one top-level property, as in `instance.scope`"
            ));
        }
        Ok(Selector {
            key: *key,
            property: property.map(str::to_string),
        })
    }
}

impl<'de> serde::Deserialize<'de> for Selector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Selector, D::Error> {
        let s = String::deserialize(d)?;
        Selector::try_from(s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.property {
            Some(p) => write!(f, "{}.{p}", self.key.name()),
            None => f.write_str(self.key.name()),
        }
    }
}

/// Where a finding is, as a check key and the property it is under.
pub fn key_of(location: &Location) -> (CheckKey, Option<String>) {
    let object = |o: &StateObject| match o {
        StateObject::Instance => CheckKey::Instance,
        StateObject::Definition => CheckKey::Definition,
        StateObject::Sibling(_) => CheckKey::Siblings,
    };
    match location {
        Location::Status | Location::Answer => (CheckKey::Status, None),
        Location::Header { .. } => (CheckKey::Headers, None),
        Location::BodyNotJson => (CheckKey::Body, None),
        Location::Schema { pointer, .. } => (CheckKey::Schema, pointer_property(pointer)),
        Location::Body { path } => (CheckKey::Body, path_property(path)),
        Location::ReadBack { object: o, .. } => (object(o), None),
        Location::After { object: o, path } => (object(o), path_property(path)),
        Location::NoneAcknowledged => (CheckKey::Acknowledged, None),
        Location::Acknowledged { path, .. } => (CheckKey::Acknowledged, path_property(path)),
        Location::Behaviour { fact } => {
            let key = match fact.split('.').next().unwrap_or_default() {
                "status" | "statuses" | "answer" => CheckKey::Status,
                "content-type" | "headers" => CheckKey::Headers,
                "read-back" => CheckKey::Instance,
                _ => CheckKey::Body,
            };
            (key, None)
        }
    }
}

/// The first property of a JSONPath: `$.fallbackReviewers[1].query` → `fallbackReviewers`,
/// `$['@odata.context']` → `@odata.context`; `$` → none.
fn path_property(path: &str) -> Option<String> {
    let rest = path.strip_prefix('$')?;
    if let Some(rest) = rest.strip_prefix('.') {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        return (end > 0).then(|| rest[..end].to_string());
    }
    // `["@odata.context"]`: a key that is not a plain name, quoted as a string.
    let rest = rest.strip_prefix('[')?;
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<String>();
    stream.next()?.ok()
}

/// The first property of a JSON pointer: `/status` → `status`.
fn pointer_property(pointer: &str) -> Option<String> {
    let first = pointer.strip_prefix('/')?.split('/').next()?;
    (!first.is_empty()).then(|| first.replace("~1", "/").replace("~0", "~"))
}

/// The rules one part of a case (`then` or `reference`) stands for, each with what checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribution {
    rules: Vec<(String, Vec<Selector>)>,
}

impl Attribution {
    /// The part's rules, each with its `checks:` from the catalogue.
    pub fn new(rules: Vec<(String, Vec<Selector>)>) -> Attribution {
        Attribution { rules }
    }

    /// Every rule of the part.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|(id, _)| id.as_str())
    }

    /// The rules a finding at `location` breaks.
    pub fn rules_for(&self, location: &Location) -> Vec<String> {
        let (key, property) = key_of(location);
        let pick = |keep: &dyn Fn(&Selector) -> bool| -> Vec<String> {
            self.rules
                .iter()
                .filter(|(_, checks)| checks.iter().any(keep))
                .map(|(id, _)| id.clone())
                .collect()
        };
        let narrowed = |s: &Selector| {
            s.key == key
                && s.property.is_some()
                && property.as_deref().is_some_and(|p| {
                    s.property
                        .as_deref()
                        .is_some_and(|q| q.eq_ignore_ascii_case(p))
                })
        };
        // A rule without `checks:` checks every key as a whole.
        let general: Vec<String> = self
            .rules
            .iter()
            .filter(|(_, checks)| {
                checks.is_empty() || checks.iter().any(|s| s.key == key && s.property.is_none())
            })
            .map(|(id, _)| id.clone())
            .collect();
        for tier in [pick(&narrowed), general, pick(&|s: &Selector| s.key == key)] {
            if !tier.is_empty() {
                return tier;
            }
        }
        // A precondition of the case: no rule of the part checks there.
        Vec::new()
    }

    /// Whether some rule of the part checks `key` (a rule without `checks` checks every key).
    pub fn covers(&self, key: CheckKey) -> bool {
        self.rules
            .iter()
            .any(|(_, checks)| checks.is_empty() || checks.iter().any(|s| s.key == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn sel(s: &str) -> Selector {
        Selector::try_from(s.to_string()).unwrap()
    }

    fn part() -> Attribution {
        Attribution::new(vec![
            (
                "add-only".into(),
                vec![sel("status"), sel("instance.fallbackReviewers")],
            ),
            ("persisted".into(), vec![sel("instance")]),
            (
                "scope".into(),
                vec![sel("instance.scope"), sel("body.scope")],
            ),
            ("context".into(), vec![sel("body.@odata.context")]),
        ])
    }

    #[rstest]
    #[case(Location::Status, &["add-only"])]
    #[case(Location::Answer, &["add-only"])]
    #[case(Location::After { object: StateObject::Instance, path: "$.scope".into() }, &["scope"])]
    #[case(Location::After { object: StateObject::Instance, path: "$.fallbackReviewers[0].query".into() }, &["add-only"])]
    #[case(Location::After { object: StateObject::Instance, path: "$.reviewers".into() }, &["persisted"])]
    #[case(Location::After { object: StateObject::Instance, path: "$".into() }, &["persisted"])]
    #[case(Location::Body { path: "$.scope".into() }, &["scope"])]
    #[case(Location::Body { path: "$.id".into() }, &["scope", "context"])]
    // No rule of the part checks headers: a precondition, naming no rule.
    #[case(Location::Header { name: "request-id".into() }, &[])]
    fn a_finding_names_the_rules_that_check_where_it_is(
        #[case] location: Location,
        #[case] expected: &[&str],
    ) {
        assert_eq!(part().rules_for(&location), expected);
    }

    #[test]
    fn a_part_covers_the_keys_its_rules_check() {
        assert!(part().covers(CheckKey::Instance) && part().covers(CheckKey::Status));
        assert!(!part().covers(CheckKey::Headers) && !part().covers(CheckKey::Siblings));
        let open = Attribution::new(vec![("any".into(), vec![])]);
        assert!(open.covers(CheckKey::Siblings));
    }

    #[test]
    fn a_property_with_a_dot_is_matched_in_bracket_form() {
        let location = Location::Body {
            path: r#"$["@odata.context"]"#.into(),
        };
        assert_eq!(part().rules_for(&location), ["context"]);
    }

    #[rstest]
    #[case("instance.scope", true)]
    #[case("body", true)]
    #[case("afterwards", false)]
    #[case("stauts", false)]
    #[case("instance.", false)]
    #[case("instance.scope.query", false)]
    #[case("body.@odata.context", true)]
    fn selectors_parse_or_say_what_is_valid(#[case] text: &str, #[case] ok: bool) {
        let parsed = Selector::try_from(text.to_string());
        assert_eq!(parsed.is_ok(), ok, "{parsed:?}");
        if let Err(e) = parsed {
            assert!(e.contains("instance.scope"), "{e}");
        }
    }
}
