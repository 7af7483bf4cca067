//! Tests of the parent module.
use super::*;
use rstest::rstest;
use serde_json::{Value, json};

fn bindings() -> Bindings {
    let mut b = Bindings::default();
    b.ids.insert("instance".into(), "i-1".into());
    std::sync::Arc::make_mut(&mut b.principals).insert("alice".into(), "a-1".into());
    b.matrix.insert("status".into(), json!("Completed"));
    b.matrix.insert("n".into(), json!(3));
    let fixture = std::sync::Arc::new(crate::case::RenderedFixture::from_values(
        json!({"displayName": "d"}),
        vec![json!({"scope": {"query": "/x"}})],
    ));
    (b.given).insert(
        "instance".into(),
        crate::case::GivenObject::instance(&fixture, 0),
    );
    b.before.insert(
        "instance".into(),
        std::sync::Arc::new(crate::case::Snapshot::from_value(
            json!({"scope": {"query": "/held"}}),
        )),
    );
    b
}

#[rstest]
#[case("${instance.id}", json!("i-1"))]
#[case("/users/${principal.alice}", json!("/users/a-1"))]
#[case("${matrix.status}", json!("Completed"))]
#[case("${matrix.n}", json!(3))]
#[case("n=${matrix.n}", json!("n=3"))]
#[case("${given.instance.scope}", json!({"query": "/x"}))]
#[case("${before.instance.scope}", json!({"query": "/held"}))]
#[case("${before.instance.scope.query}", json!("/held"))]
#[case("$${instance.id}", json!("${instance.id}"))]
#[case("plain", json!("plain"))]
fn renders(#[case] text: &str, #[case] expected: Value) {
    assert_eq!(
        Tree::parse(&json!(text))
            .unwrap()
            .render(&bindings())
            .unwrap(),
        expected
    );
}

#[rstest]
#[case("${instance.id")]
#[case("${foo}")]
#[case("${.id}")]
#[case("${instance.name}")]
fn rejects_bad_forms(#[case] text: &str) {
    assert!(Template::parse(text).is_err(), "{text}");
}

#[rstest]
#[case("${sibling.id}")]
#[case("${principal.bob}")]
#[case("${matrix.nope}")]
#[case("${given.instance.reviewers}")]
#[case("${given.other.scope}")]
#[case("${before.instance.reviewers}")]
#[case("${before.other.scope}")]
fn unresolved_is_an_error(#[case] text: &str) {
    let err = Tree::parse(&json!(text))
        .unwrap()
        .render(&bindings())
        .unwrap_err();
    assert!(matches!(err, TemplateError::Unresolved { .. }), "{err}");
}

#[rstest]
#[case(json!({"a": ["${instance.id}", 1], "b": {"c": "x$${y"}}), json!({"a": ["i-1", 1], "b": {"c": "x${y"}}))]
#[case(json!({"s": "${given.instance.scope}", "n": "${matrix.n}"}), json!({"s": {"query": "/x"}, "n": 3}))]
#[case(json!(["plain", {"k": null}]), json!(["plain", {"k": null}]))]
#[case(json!({"z\"k": "é\n${matrix.status}", "a": [[], {}, "${matrix.n}", 1.5]}), json!({"z\"k": "é\nCompleted", "a": [[], {}, 3, 1.5]}))]
fn trees_render_nested_templates(#[case] value: Value, #[case] expected: Value) {
    let tree = Tree::parse(&value).unwrap();
    assert_eq!(tree.render(&bindings()).unwrap(), expected);
    // Written as text, it is the rendered value's text, byte for byte (keys in file order).
    let mut text = b"[".to_vec();
    tree.write_json(&bindings(), &mut text).unwrap();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        format!("[{}", serde_json::to_string(&expected).unwrap())
    );
}

#[test]
fn a_tree_without_templates_is_plain_and_texts_unescape() {
    assert!(matches!(
        Tree::parse(&json!({"a": [1, "x"]})).unwrap(),
        Tree::Plain(_)
    ));
    assert!(Tree::parse(&json!({"a": ["${oops"]})).is_err());
    assert_eq!(Text::parse("a$${b").unwrap(), Text::Plain("a${b".into()));
    let t = Text::parse("/users/${principal.alice}").unwrap();
    assert_eq!(t.render(&bindings()).unwrap(), "/users/a-1");
    assert_eq!(
        Text::parse("${matrix.n}")
            .unwrap()
            .render(&bindings())
            .unwrap(),
        "3"
    );
}

#[test]
fn fresh_ids_are_stable_per_label() {
    let b = bindings();
    let a1 = Tree::parse(&json!("${new.a}")).unwrap().render(&b).unwrap();
    let a2 = Tree::parse(&json!("${new.a}")).unwrap().render(&b).unwrap();
    let c = Tree::parse(&json!("${new.c}")).unwrap().render(&b).unwrap();
    assert_eq!(a1, a2);
    assert_ne!(a1, c);
    assert!(uuid::Uuid::parse_str(a1.as_str().unwrap()).is_ok());
}
