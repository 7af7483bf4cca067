//! Loading, phase one: a case file's YAML decoded into raw typed structs, exactly as written.
//! Unknown keys and values of the wrong type are refused here, at the position of the
//! offending node, with what would be valid; nothing is defaulted silently.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::case::StatusExpectation;

/// The properties of a definition or an instance, as written.
pub type Props = Map<String, Value>;

/// A case file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCase {
    /// One sentence.
    pub description: String,
    /// Rule ids.
    pub rules: Vec<String>,
    /// Why the case is skipped, if it is.
    #[serde(default)]
    pub skip: Option<String>,
    /// Matrix keys and their values, in file order.
    #[serde(default)]
    pub matrix: IndexMap<String, Vec<Value>>,
    /// The starting state.
    #[serde(default)]
    pub given: RawGiven,
    /// The request.
    pub when: RawWhen,
    /// What the page requires.
    pub then: RawThen,
    /// The reference behaviour where the page is silent.
    #[serde(default)]
    pub reference: Option<RawThen>,
}

/// A starting state: a case's `given`, or a named state of `states.yaml`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGiven {
    /// A named state to start from.
    #[serde(default, rename = "use")]
    pub use_state: Option<String>,
    /// The main definition's properties.
    #[serde(default)]
    pub definition: Option<Props>,
    /// The main definition's instances by symbol.
    #[serde(default)]
    pub instances: IndexMap<String, Props>,
    /// Further definitions by symbol.
    #[serde(default)]
    pub others: IndexMap<String, RawFixture>,
}

/// One further definition with its instances.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFixture {
    /// Its properties.
    #[serde(default)]
    pub definition: Option<Props>,
    /// Its instances by symbol.
    #[serde(default)]
    pub instances: IndexMap<String, Props>,
}

/// An explicit HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RawMethod {
    /// `PUT`.
    #[serde(rename = "PUT")]
    Put,
    /// `PATCH`.
    #[serde(rename = "PATCH")]
    Patch,
    /// `GET`.
    #[serde(rename = "GET")]
    Get,
    /// `POST`.
    #[serde(rename = "POST")]
    Post,
    /// `DELETE`.
    #[serde(rename = "DELETE")]
    Delete,
}

impl RawMethod {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RawMethod::Put => "PUT",
            RawMethod::Patch => "PATCH",
            RawMethod::Get => "GET",
            RawMethod::Post => "POST",
            RawMethod::Delete => "DELETE",
        }
    }
}

/// Which credentials the request carries: `default`, `none`, or a credential's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum RawAuth {
    /// The run's token.
    Default,
    /// No `Authorization` header.
    None,
    /// A named credential (`--credential NAME=TOKEN`).
    Credential(crate::target::credential::Credential),
}

impl TryFrom<String> for RawAuth {
    type Error = crate::target::credential::UnknownCredential;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Ok(match s.as_str() {
            "default" => RawAuth::Default,
            "none" => RawAuth::None,
            name => RawAuth::Credential(name.parse()?),
        })
    }
}

/// The request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    /// An explicit method.
    #[serde(default)]
    pub method: Option<RawMethod>,
    /// Credentials.
    #[serde(default)]
    pub auth: Option<RawAuth>,
    /// Copies sent at once.
    #[serde(default)]
    pub repeat: Option<u64>,
    /// One value per copy for each key (`${each.KEY}`).
    #[serde(default)]
    pub each: IndexMap<String, Vec<String>>,
    /// The definition id in the path.
    #[serde(default)]
    pub definition: Option<String>,
    /// The instance id in the path.
    #[serde(default)]
    pub instance: Option<String>,
    /// Headers to set (`null` drops one).
    #[serde(default)]
    pub headers: IndexMap<String, Option<String>>,
    /// A JSON body (`null` included).
    #[serde(default, deserialize_with = "present")]
    pub body: Option<Value>,
    /// A body sent byte for byte.
    #[serde(default)]
    pub raw_body: Option<String>,
}

/// Expectations: a case's `then`, or its `reference` (which names its inferred `rules` and
/// may leave the status out).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThen {
    /// For `reference`: the inferred rules it stands for.
    #[serde(default)]
    pub rules: Option<Vec<String>>,
    /// The status (required in `then`).
    #[serde(default)]
    pub status: Option<RawStatus>,
    /// A schema name.
    #[serde(default)]
    pub schema: Option<String>,
    /// Response headers and their matchers.
    #[serde(default)]
    pub headers: IndexMap<String, Value>,
    /// The body's matcher (`null` expects `null`).
    #[serde(default, deserialize_with = "present")]
    pub body: Option<Value>,
    /// For `repeat` cases.
    #[serde(default, deserialize_with = "present")]
    pub acknowledged: Option<Value>,
    /// The state read back.
    #[serde(default)]
    pub afterwards: RawAfterwards,
}

/// The state read back after the request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAfterwards {
    /// The addressed instance.
    #[serde(default, deserialize_with = "present")]
    pub instance: Option<Value>,
    /// Its definition.
    #[serde(default, deserialize_with = "present")]
    pub definition: Option<Value>,
    /// Every other seeded instance.
    #[serde(default, deserialize_with = "present")]
    pub siblings: Option<Value>,
}

/// A status expectation, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatus(pub StatusExpectation);

/// What a status may be, for messages.
pub const STATUS_FORMS: &str =
    "a code 100-599 (200), a class (\"4xx\"), or a list of codes and classes ([200, \"4xx\"])";

impl<'de> Deserialize<'de> for RawStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        parse_status(&v).map(RawStatus).ok_or_else(|| {
            serde::de::Error::custom(format!("invalid status {v}: expected {STATUS_FORMS}"))
        })
    }
}

/// A value that is present, `null` included (`Option<Value>` alone reads `null` as absent).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// A status expectation: a code, a class like `4xx`, or a non-empty list of codes and classes.
pub fn parse_status(v: &Value) -> Option<StatusExpectation> {
    let one = |v: &Value| match v {
        Value::Number(_) => v
            .as_u64()
            .filter(|c| (100..=599).contains(c))
            .map(|c| StatusExpectation::Code(c as u16)),
        Value::String(s) => match s.as_bytes() {
            [d @ b'1'..=b'5', b'x', b'x'] => Some(StatusExpectation::Class(u16::from(d - b'0'))),
            _ => None,
        },
        _ => None,
    };
    match v {
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(one)
            .collect::<Option<Vec<_>>>()
            .map(StatusExpectation::AnyOf),
        other => one(other),
    }
}

/// Why a document could not be decoded: where (a JSON pointer) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// The JSON pointer of the offending node (the key, for an unknown key).
    pub pointer: String,
    /// serde's message (which names what would be valid).
    pub message: String,
    /// For an unknown key: the key and the valid ones.
    pub unknown_key: Option<(String, Vec<String>)>,
}

/// Decodes a document into `T`, saying where it failed.
pub fn decode<T: serde::de::DeserializeOwned>(doc: &Value) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        let mut pointer = String::new();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    pointer.push('/');
                    pointer.push_str(&index.to_string());
                }
                serde_path_to_error::Segment::Map { key } => {
                    pointer.push('/');
                    pointer.push_str(&crate::diagnostic::escape_pointer(key));
                }
                _ => {}
            }
        }
        let message = e.inner().to_string();
        let unknown_key = unknown_field(&message);
        if let Some((key, _)) = &unknown_key
            && !pointer.ends_with(&format!("/{}", crate::diagnostic::escape_pointer(key)))
        {
            pointer.push('/');
            pointer.push_str(&crate::diagnostic::escape_pointer(key));
        }
        DecodeError {
            pointer,
            message,
            unknown_key,
        }
    })
}

/// `unknown field `x`, expected one of `a`, `b`` → (`x`, [`a`, `b`]).
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let valid = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((key.to_string(), valid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case(json!(200), Some(StatusExpectation::Code(200)))]
    #[case(json!([400, 409]), Some(StatusExpectation::AnyOf(vec![StatusExpectation::Code(400), StatusExpectation::Code(409)])))]
    #[case(json!([200, "4xx"]), Some(StatusExpectation::AnyOf(vec![StatusExpectation::Code(200), StatusExpectation::Class(4)])))]
    #[case(json!([[200]]), None)]
    #[case(json!("4xx"), Some(StatusExpectation::Class(4)))]
    #[case(json!("5xx"), Some(StatusExpectation::Class(5)))]
    #[case(json!(""), None)]
    #[case(json!("6xx"), None)]
    #[case(json!("4XX"), None)]
    #[case(json!("é"), None)]
    #[case(json!(70000), None)]
    #[case(json!(-1), None)]
    #[case(json!(2.5), None)]
    #[case(json!([]), None)]
    #[case(json!([200, "x"]), None)]
    #[case(json!([200, "6xx"]), None)]
    #[case(json!(null), None)]
    fn statuses(#[case] v: Value, #[case] expected: Option<StatusExpectation>) {
        assert_eq!(parse_status(&v), expected);
    }

    #[rstest]
    #[case(json!({"when": {"auth": "admin"}}), "/when/auth", "unknown credential `admin`; valid: app-without-permission, ")]
    #[case(json!({"when": {"auth": "unprivileged"}}), "/when/auth", "`unprivileged` was split: use app-without-permission")]
    #[case(json!({"when": {"repeat": "x"}}), "/when/repeat", "invalid type")]
    #[case(json!({"when": {"headers": {"a": 5}}}), "/when/headers/a", "invalid type")]
    #[case(json!({"when": {"methd": "PUT"}}), "/when/methd", "unknown field `methd`")]
    #[case(json!({"then": {"status": "two hundred"}}), "/then/status", "invalid status")]
    fn decode_errors_say_where(#[case] doc: Value, #[case] pointer: &str, #[case] message: &str) {
        let mut full =
            json!({"description": "d", "rules": ["r"], "when": {}, "then": {"status": 200}});
        for (k, v) in doc.as_object().unwrap() {
            for (k2, v2) in v.as_object().unwrap() {
                full[k][k2] = v2.clone();
            }
        }
        let err = decode::<RawCase>(&full).unwrap_err();
        assert_eq!(err.pointer, pointer, "{err:?}");
        assert!(err.message.contains(message), "{err:?}");
    }

    #[test]
    fn unknown_keys_come_with_the_valid_ones() {
        let err = decode::<RawCase>(&json!({"descripton": 1})).unwrap_err();
        let (key, valid) = err.unknown_key.unwrap();
        assert_eq!(key, "descripton");
        assert!(valid.contains(&"description".to_string()), "{valid:?}");
        assert_eq!(err.pointer, "/descripton");
    }

    #[test]
    fn null_bodies_are_present() {
        let raw: RawCase = decode(&json!({"description": "d", "rules": ["r"], "when": {"body": null}, "then": {"status": 200, "body": null}})).unwrap();
        assert_eq!(raw.when.body, Some(Value::Null));
        assert_eq!(raw.then.body, Some(Value::Null));
        assert_eq!(raw.then.afterwards.instance, None);
    }
}
