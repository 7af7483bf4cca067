//! An object as read before the request ([`Snapshot`]): its JSON text, checked to be an
//! object when it is read, and its value parsed only when something compares with it (a
//! `$unchanged`, a live run's check that the tenant kept the starting state) or a
//! `${before.*}` template reads it (most trials read back only some of what they snapshot).

use std::sync::OnceLock;

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// An object as read before the request.
#[derive(Debug)]
pub struct Snapshot {
    text: Vec<u8>,
    value: OnceLock<Value>,
}

/// A JSON object, checked as a full parse into a `Value` checks it, without building it.
struct AnObject;

/// The key serde_json reads as a raw value when it is an object's first, at any depth (a
/// `Value` parse turns `{"$serde_json::private::RawValue": "[1]"}` into `[1]`): a text with
/// such an object is left to the full parse, to be described as it always was.
const RAW_VALUE_KEY: &str = "$serde_json::private::RawValue";

impl<'de> Deserialize<'de> for AnObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AnObject, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = AnObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AnObject, A::Error> {
                fields(map).map(|Checked| AnObject)
            }
        }
        d.deserialize_map(Fields)
    }
}

/// An object's fields, each checked; an object whose first key is [`RAW_VALUE_KEY`], at any
/// depth, is refused (a full parse reads it otherwise).
fn fields<'de, A: MapAccess<'de>>(mut map: A) -> Result<Checked, A::Error> {
    let Some(RawValueKey(raw)) = map.next_key()? else {
        return Ok(Checked);
    };
    if raw {
        return Err(A::Error::custom("a raw value"));
    }
    map.next_value::<Checked>()?;
    while map.next_entry::<Checked, Checked>()?.is_some() {}
    Ok(Checked)
}

/// A key, and whether it is [`RAW_VALUE_KEY`].
struct RawValueKey(bool);

impl<'de> Deserialize<'de> for RawValueKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawValueKey, D::Error> {
        struct Key;
        impl<'de> Visitor<'de> for Key {
            type Value = RawValueKey;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, key: &str) -> Result<RawValueKey, E> {
                Ok(RawValueKey(key == RAW_VALUE_KEY))
            }
        }
        d.deserialize_str(Key)
    }
}

/// Any JSON value, checked as a full parse checks it: every string decoded (UTF-8, escapes,
/// surrogate pairs), every number in range, nesting within the same limit; nothing is kept.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Checked;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_unit<E>(self) -> Result<Checked, E> {
                Ok(Checked)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
                while seq.next_element::<Checked>()?.is_some() {}
                Ok(Checked)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Checked, A::Error> {
                fields(map)
            }
        }
        d.deserialize_any(Any)
    }
}

/// An object's state: the object without the annotations that describe the response rather
/// than the object (`@odata.context`).
pub fn state_of(mut object: Map<String, Value>) -> Value {
    object.retain(|k, _| !k.starts_with("@odata.context"));
    Value::Object(object)
}

impl Snapshot {
    /// The object in `text`; `text` back when it is not one JSON object.
    pub fn read(text: Vec<u8>) -> Result<Snapshot, Vec<u8>> {
        match serde_json::from_slice::<AnObject>(&text) {
            Ok(AnObject) => Ok(Snapshot {
                text,
                value: OnceLock::new(),
            }),
            Err(_) => Err(text),
        }
    }

    /// A snapshot of a value already built.
    pub fn from_value(value: Value) -> Snapshot {
        Snapshot {
            text: Vec::new(),
            value: OnceLock::from(value),
        }
    }

    /// Whether its value was parsed (for a test that a trial parses only what it reads).
    #[cfg(test)]
    pub(crate) fn is_parsed(&self) -> bool {
        self.value.get().is_some()
    }

    /// The object's state (see [`state_of`]), parsed on first use.
    pub fn value(&self) -> &Value {
        self.value.get_or_init(|| {
            // The text was checked, as this parse checks it, to be a JSON object when it was
            // read: it parses.
            serde_json::from_slice(&self.text).map_or(Value::Null, state_of)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case::an_object(r#"{"id":"i","scope":{"query":"/x"},"reviewers":[]}"#, json!({"id":"i","scope":{"query":"/x"},"reviewers":[]}))]
    #[case::annotations_left_out(r#"{"@odata.context":"https://x/$metadata#y","@odata.contextual":1,"@odata.etag":"e","id":"i"}"#, json!({"@odata.etag":"e","id":"i"}))]
    #[case::empty(" {} ", json!({}))]
    #[case::escapes_and_big_numbers(r#"{"s":"\ud83d\ude00\n\"","n":1e300,"m":-18446744073709551615,"k":[true,null,{}]}"#, json!({"s":"😀\n\"","n":1e300,"m":-18446744073709551615.0,"k":[true,null,{}]}))]
    #[case::a_raw_value_key_not_first(r#"{"a":1,"$serde_json::private::RawValue":"[1]"}"#, json!({"a":1,"$serde_json::private::RawValue":"[1]"}))]
    fn an_object_is_parsed_when_first_read(#[case] text: &str, #[case] expected: Value) {
        let s = Snapshot::read(text.as_bytes().to_vec()).unwrap();
        assert!(!s.is_parsed(), "parsed before it was read");
        assert_eq!(s.value(), &expected);
    }

    /// Whatever a full parse into a `Value` does not turn into an object is not a snapshot
    /// (the read then describes it as the full parse does).
    #[rstest]
    #[case::an_array(b"[1]".to_vec())]
    #[case::a_string(br#""x""#.to_vec())]
    #[case::not_json(b"<html>".to_vec())]
    #[case::cut_short(br#"{"id":"i""#.to_vec())]
    #[case::a_bad_value_inside(br#"{"id":tru}"#.to_vec())]
    #[case::trailing_text(br#"{"id":"i"} x"#.to_vec())]
    #[case::two_objects(b"{}{}".to_vec())]
    #[case::empty(Vec::new())]
    #[case::a_lone_surrogate(br#"{"id":"i","displayName":"x\ud83d"}"#.to_vec())]
    #[case::a_bad_escape(br#"{"displayName":"\q"}"#.to_vec())]
    #[case::not_utf8(b"{\"displayName\":\"caf\xe9\"}".to_vec())]
    #[case::a_key_not_utf8(b"{\"caf\xe9\":1}".to_vec())]
    #[case::a_number_out_of_range(br#"{"n":1e400}"#.to_vec())]
    #[case::nested_past_the_limit(format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200)).into_bytes())]
    #[case::a_raw_value_key_first(br#"{"$serde_json::private::RawValue":"[1]"}"#.to_vec())]
    #[case::a_raw_value_key_nested(br#"{"a":[{"$serde_json::private::RawValue":"x"}]}"#.to_vec())]
    fn anything_else_is_not_a_snapshot(#[case] text: Vec<u8>) {
        assert!(!serde_json::from_slice::<Value>(&text).is_ok_and(|v| v.is_object()));
        assert_eq!(Snapshot::read(text.clone()).err(), Some(text));
    }
}
