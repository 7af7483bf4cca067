use super::*;
use rstest::rstest;

const DOC: &str = "description: hi\nwhen:\n  body:\n    reviewers:\n      - query: /users/a\n      - {query: /users/b}\n  'a/b': 1\n";

#[rstest]
#[case("", 1, 1)]
#[case("/description", 1, 14)]
#[case("/when/body/reviewers/0/query", 5, 16)]
#[case("/when/body/reviewers/1/query", 6, 17)]
#[case("/when/a~1b", 7, 10)]
fn positions(#[case] pointer: &str, #[case] line: usize, #[case] col: usize) {
    let f = SourceFile::new("x.yaml", DOC);
    let s = f.span_near(pointer).expect(pointer);
    assert_eq!((s.start.line, s.start.col), (line, col), "{pointer}");
}

#[test]
fn missing_pointer_falls_back_to_ancestor() {
    let f = SourceFile::new("x.yaml", DOC);
    assert_eq!(
        f.span_near("/when/body/nothing/deeper"),
        f.span_near("/when/body")
    );
    assert_eq!(f.key_span("/when").unwrap().start, Pos { line: 2, col: 1 });
}

#[test]
fn broken_yaml_does_not_panic() {
    for text in ["a: [", ": :", "\t- x", "a: *nope", "? [a]\n: b\nc: d", ""] {
        let f = SourceFile::new("x.yaml", text);
        let _ = f.span_near("/a");
    }
    let f = SourceFile::new("x.yaml", "? [a]\n: b\nc: d\n");
    assert_eq!(f.span_near("/c").unwrap().start.line, 3);
}

#[test]
fn renders_caret_under_the_span() {
    let f = SourceFile::new("cases/x.yaml", "descripton: hi\n");
    let d = f
        .diagnostic(f.key_span("/descripton"), "unknown key `descripton`")
        .with_help("did you mean `description`?");
    assert_eq!(
        d.to_string(),
        "error: unknown key `descripton`\n  --> cases/x.yaml:1:1\n   |\n 1 | descripton: hi\n   | ^^^^^^^^^^\n   = help: did you mean `description`?"
    );
}

#[rstest]
#[case("descripton", Some("description"))]
#[case("thne", Some("then"))]
#[case("zzzzzz", None)]
fn suggestions(#[case] word: &str, #[case] expected: Option<&str>) {
    assert_eq!(
        did_you_mean(word, ["description", "rules", "given", "when", "then"]),
        expected
    );
}
