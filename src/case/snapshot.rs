//! An object as read before the request ([`Snapshot`]): its JSON text, checked to be an
//! object when it is read, and its value parsed only when something compares with it or a
//! `${before.*}` template reads it (most trials read back only some of what they snapshot).

use std::sync::OnceLock;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

/// An object as read before the request.
#[derive(Debug)]
pub struct Snapshot {
    text: Vec<u8>,
    value: OnceLock<Value>,
}

/// A JSON object, checked without building it.
struct AnObject;

impl<'de> Deserialize<'de> for AnObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AnObject, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = AnObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnObject, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AnObject)
            }
        }
        d.deserialize_map(Fields)
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
            // The text was checked to be a JSON object when it was read: it parses.
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
    fn an_object_is_parsed_when_first_read(#[case] text: &str, #[case] expected: Value) {
        let s = Snapshot::read(text.as_bytes().to_vec()).unwrap();
        assert!(!s.is_parsed(), "parsed before it was read");
        assert_eq!(s.value(), &expected);
    }

    #[rstest]
    #[case::an_array("[1]")]
    #[case::a_string(r#""x""#)]
    #[case::not_json("<html>")]
    #[case::cut_short(r#"{"id":"i""#)]
    #[case::a_bad_value_inside(r#"{"id":tru}"#)]
    #[case::trailing_text(r#"{"id":"i"} x"#)]
    #[case::two_objects("{}{}")]
    #[case::empty("")]
    fn anything_else_is_not_a_snapshot(#[case] text: &str) {
        assert_eq!(
            Snapshot::read(text.as_bytes().to_vec()).err().as_deref(),
            Some(text.as_bytes())
        );
        // What a full parse makes of it: never an object.
        assert!(!serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object()));
    }
}
