//! A starting state's definition with its instances, as a case holds it (templates parsed),
//! and its rendering for one trial into a [`RenderedFixture`].

use std::sync::Arc;

use super::rendered::RenderedFixture;
use super::template::{Bindings, TemplateError, Tree};

/// One definition with its instances, as sent to the fixture control endpoint.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The definition's symbol (`definition` for the main one).
    pub name: String,
    /// Definition properties (an object; templates parsed). Shared between the cases whose
    /// starting states are alike (most come from the same named state).
    pub definition: Arc<Tree>,
    /// Instances by symbol, in seeding order (objects with a `status`; templates parsed).
    pub instances: Vec<(String, Arc<Tree>)>,
}

impl Fixture {
    /// The definition and its instances with every expression resolved, as they are sent:
    /// written as JSON text straight from the trees (no value is built unless one is read).
    pub fn render(&self, bindings: &Bindings) -> Result<RenderedFixture, TemplateError> {
        let mut json = Vec::with_capacity(512);
        json.extend_from_slice(b"{\"definition\":");
        self.definition.write_json(bindings, &mut json)?;
        json.extend_from_slice(b",\"instances\":[");
        for (i, (_, props)) in self.instances.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            props.write_json(bindings, &mut json)?;
        }
        json.extend_from_slice(b"]}");
        Ok(RenderedFixture::from_json(json, self.instances.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::{Value, json};

    fn tree(v: Value) -> Arc<Tree> {
        Arc::new(Tree::parse(&v).unwrap())
    }

    /// The text written from the trees is the text of the rendered values, byte for byte.
    #[rstest]
    #[case::plain(json!({"displayName": "d", "n": 1, "f": 1.5}), vec![json!({"status": "InProgress"})])]
    #[case::no_instances(json!({}), vec![])]
    #[case::templates_keep_their_types(
        json!({"scope": {"query": "/groups/${g.id}/members", "queryType": "MicrosoftGraph"}, "k": "${matrix.k}"}),
        vec![json!({"status": "${matrix.s}", "reviewers": [{"query": "/users/${principal.bob}"}, "${matrix.k}"]}), json!({"status": "Completed"})]
    )]
    #[case::escapes_and_order(json!({"z": "a\"b\\c\n", "a": "$${not}", "m": null}), vec![json!({"status": "x", "é": "ü"})])]
    fn the_text_is_the_rendered_values(#[case] definition: Value, #[case] instances: Vec<Value>) {
        let mut b = Bindings::default();
        b.ids.insert("g".into(), "g-1".into());
        b.matrix.insert("k".into(), json!({"n": [1, 2]}));
        b.matrix.insert("s".into(), json!("NotStarted"));
        b.principals = Arc::new([("bob".to_string(), "b\"ob".to_string())].into());
        let fixture = Fixture {
            name: "definition".into(),
            definition: tree(definition),
            instances: (instances.into_iter().enumerate())
                .map(|(i, v)| (format!("i{i}"), tree(v)))
                .collect(),
        };
        let rendered = fixture.render(&b).unwrap();
        let definition = fixture.definition.render(&b).unwrap();
        let instances: Vec<Value> = (fixture.instances.iter())
            .map(|(_, t)| t.render(&b).unwrap())
            .collect();
        let values = json!({"definition": definition, "instances": instances});
        assert_eq!(
            String::from_utf8_lossy(rendered.json()),
            serde_json::to_string(&values).unwrap()
        );
        assert_eq!(rendered.definition(), &definition);
        assert_eq!(rendered.instances(), &instances[..]);
        assert_eq!(rendered.instance_count(), instances.len());
    }

    #[test]
    fn an_unresolved_template_is_the_error() {
        let fixture = Fixture {
            name: "definition".into(),
            definition: tree(json!({"scope": {"query": "${nowhere.id}"}})),
            instances: vec![],
        };
        let err = fixture.render(&Bindings::default()).unwrap_err();
        assert!(err.to_string().contains("nowhere"), "{err}");
    }
}
