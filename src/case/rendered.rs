//! A fixture rendered for one trial ([`RenderedFixture`]: the JSON text sent, its values parsed
//! from it only when something reads them), and one object of it ([`GivenObject`], what
//! `${given.NAME}` reads).

use std::sync::{Arc, OnceLock};

use serde_json::Value;

/// The values of a rendered fixture.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Values {
    definition: Value,
    instances: Vec<Value>,
}

/// A fixture rendered for one trial: `{"definition": …, "instances": […]}` as JSON text (what
/// the fixture control protocol sends), with the values parsed from it on first use (by
/// `${given.*}`, or a provisioner that builds its own requests from them).
#[derive(Debug)]
pub struct RenderedFixture {
    json: Vec<u8>,
    instances: usize,
    values: OnceLock<Values>,
}

impl RenderedFixture {
    /// A fixture from its text, written from valid JSON values (see `Fixture::render`), with
    /// `instances` instances.
    pub(crate) fn from_json(json: Vec<u8>, instances: usize) -> RenderedFixture {
        RenderedFixture {
            json,
            instances,
            values: OnceLock::new(),
        }
    }

    /// A fixture from values already built (a live provisioner's tests, a probe).
    pub fn from_values(definition: Value, instances: Vec<Value>) -> RenderedFixture {
        let values = Values {
            definition,
            instances,
        };
        // Serialising a `Value` into a `Vec` cannot fail.
        let json = serde_json::to_vec(&values).unwrap_or_default();
        RenderedFixture {
            json,
            instances: values.instances.len(),
            values: OnceLock::from(values),
        }
    }

    /// `{"definition": …, "instances": […]}`, compact, keys in the case file's order.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// How many instances it has (without parsing the text).
    pub fn instance_count(&self) -> usize {
        self.instances
    }

    fn values(&self) -> &Values {
        self.values.get_or_init(|| {
            // The text was written from JSON values, so it parses, however deep a case nests
            // them (serde_json's limit of 128 levels is for text from elsewhere; a case's is
            // bounded by the loader's, plus a matrix value spliced in).
            let mut text = serde_json::Deserializer::from_slice(&self.json);
            text.disable_recursion_limit();
            serde::Deserialize::deserialize(&mut text).unwrap_or_default()
        })
    }

    /// The definition's properties.
    pub fn definition(&self) -> &Value {
        &self.values().definition
    }

    /// The instances' properties, in seeding order.
    pub fn instances(&self) -> &[Value] {
        &self.values().instances
    }
}

/// One object of a rendered fixture, as `${given.NAME}` reads it: the definition, or one of
/// its instances.
#[derive(Debug, Clone)]
pub struct GivenObject {
    fixture: Arc<RenderedFixture>,
    instance: Option<usize>,
}

impl GivenObject {
    /// The fixture's definition.
    pub fn definition(fixture: &Arc<RenderedFixture>) -> GivenObject {
        GivenObject {
            fixture: Arc::clone(fixture),
            instance: None,
        }
    }

    /// The fixture's `k`-th instance.
    pub fn instance(fixture: &Arc<RenderedFixture>, k: usize) -> GivenObject {
        GivenObject {
            fixture: Arc::clone(fixture),
            instance: Some(k),
        }
    }

    /// Its properties as sent (none for an instance the fixture does not have).
    pub fn value(&self) -> Option<&Value> {
        match self.instance {
            None => Some(self.fixture.definition()),
            Some(k) => self.fixture.instances().get(k),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_given_object_is_its_part_of_the_fixture() {
        let f = Arc::new(RenderedFixture::from_values(
            json!({"displayName": "d"}),
            vec![json!({"status": "a"}), json!({"status": "b"})],
        ));
        assert_eq!(
            f.json(),
            br#"{"definition":{"displayName":"d"},"instances":[{"status":"a"},{"status":"b"}]}"#
        );
        assert_eq!(
            GivenObject::definition(&f).value(),
            Some(&json!({"displayName": "d"}))
        );
        assert_eq!(
            GivenObject::instance(&f, 1).value(),
            Some(&json!({"status": "b"}))
        );
        assert_eq!(GivenObject::instance(&f, 2).value(), None);
        assert_eq!(f.instance_count(), 2);
    }

    #[test]
    fn values_as_deep_as_a_case_can_nest_them_are_read_back() {
        let mut deep = json!("bottom");
        for _ in 0..300 {
            deep = json!({ "a": [deep] });
        }
        let sent = RenderedFixture::from_values(deep.clone(), vec![deep.clone()]);
        let read = RenderedFixture::from_json(sent.json().to_vec(), 1);
        assert_eq!(read.definition(), &deep);
        assert_eq!(read.instances(), [deep]);
    }
}
