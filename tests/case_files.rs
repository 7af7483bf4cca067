//! Case files: every shipped one validates against the case schema; broken ones give
//! file:line:column diagnostics with what would be valid, fail alone, and never panic.

mod common;

use std::process::Command;
use std::time::Duration;

use accessreview_conformance::load::files::{EMBEDDED_CASES, InputFile, embedded};
use accessreview_conformance::load::{LoadedCase, is_case_file, load_suite};
use common::*;
use rstest::rstest;
use serde_json::Value;

fn shipped_files() -> Vec<InputFile> {
    embedded(&EMBEDDED_CASES, "cases").unwrap()
}

/// The shipped shared files plus one case file `t/x.yaml` with `text`.
fn with_case(text: &str) -> Vec<InputFile> {
    let mut files: Vec<InputFile> = shipped_files()
        .into_iter()
        .filter(|f| !is_case_file(&f.rel))
        .collect();
    files.push(InputFile::text("t/x.yaml", "cases/t/x.yaml", text));
    files
}

/// The diagnostics of `text` as the one case file of the shipped folder (it must be broken).
fn broken_case(text: &str) -> accessreview_conformance::load::BrokenCase {
    let (schemas, _) = shipped();
    let suite = load_suite(&with_case(text), &schemas, None).unwrap();
    suite
        .cases
        .iter()
        .find_map(|c| match c {
            LoadedCase::Broken(b) => Some(b.clone()),
            LoadedCase::Ok(_) => None,
        })
        .expect("the case is broken")
}

const GOOD: &str = "\
description: ok
rules: [success-returns-updated-instance]
given:
  use: in-progress
when:
  body:
    scope: ${given.instance.scope}
then:
  status: 200
  body:
    id: $uuid
";

#[test]
fn every_shipped_case_validates_against_the_case_schema() {
    let (schemas, suite) = shipped();
    let files = shipped_files();
    let mut n = 0;
    for f in files.iter().filter(|f| is_case_file(&f.rel)) {
        let doc: Value =
            serde_yaml::from_str(&f.text).unwrap_or_else(|e| panic!("{}: {e}", f.display));
        let violations = schemas.validate("case", &doc).unwrap();
        assert!(violations.is_empty(), "{}: {violations:?}", f.display);
        n += 1;
    }
    assert!(n >= 20, "only {n} case files");
    assert!(suite.cases.iter().all(|c| matches!(c, LoadedCase::Ok(_))));
    // Every case file names the schema for editors.
    for f in files.iter().filter(|f| is_case_file(&f.rel)) {
        assert!(
            f.text
                .starts_with("# yaml-language-server: $schema=../../schemas/case.schema.json"),
            "{}",
            f.display
        );
    }
}

#[test]
fn a_good_case_loads() {
    let (schemas, _) = shipped();
    let suite = load_suite(&with_case(GOOD), &schemas, None).unwrap();
    let broken: Vec<_> = suite
        .cases
        .iter()
        .filter_map(|c| match c {
            LoadedCase::Broken(b) => Some(b),
            _ => None,
        })
        .collect();
    assert!(broken.is_empty(), "{broken:?}");
}

#[rstest]
#[case::bad_yaml(
    "description: [ok\nrules: [a]\n",
    "cases/t/x.yaml:2:6",
    "did not find expected",
    None
)]
#[case::tab_indent(
    "description: ok\nrules:\n\t- a\n",
    "cases/t/x.yaml:3:1",
    "cannot start any token",
    None
)]
#[case::unknown_key(&GOOD.replace("description:", "descripton:"), "cases/t/x.yaml:1:1", "unknown key `descripton`", Some("did you mean `description`?"))]
#[case::unknown_nested_key(&GOOD.replace("  status: 200", "  stauts: 200"), "cases/t/x.yaml:9:3", "unknown key `stauts`", Some("did you mean `status`?"))]
#[case::wrong_type(&GOOD.replace("status: 200", "status: two hundred"), "cases/t/x.yaml:9:11", "is not valid", None)]
#[case::unknown_rule(&GOOD.replace("success-returns-updated-instance]", "success-returns-updated-instanc]"), "cases/t/x.yaml:2:9", "unknown rule `success-returns-updated-instanc`", Some("did you mean `success-returns-updated-instance`?"))]
#[case::unknown_matcher(&GOOD.replace("$uuid", "$uuidd"), "cases/t/x.yaml:11:9", "unknown matcher `$uuidd`", Some("did you mean `$uuid`?"))]
#[case::unknown_state(&GOOD.replace("use: in-progress", "use: in-progres"), "cases/t/x.yaml:4:8", "unknown state `in-progres`", Some("did you mean `in-progress`?"))]
#[case::unknown_schema(&GOOD.replace("  status: 200", "  status: 200\n  schema: accessReviewInstanse"), "cases/t/x.yaml:10:11", "unknown schema", Some("did you mean `accessReviewInstance`?"))]
#[case::unknown_symbol(&GOOD.replace("${given.instance.scope}", "${given.instanse.scope}"), "cases/t/x.yaml:7:12", "no definition or instance named `instanse`", Some("did you mean `instance`?"))]
#[case::unknown_principal(&GOOD.replace("id: $uuid", "id: /users/${principal.alicee}"), "cases/t/x.yaml:11:9", "no principal named `alicee`", Some("did you mean `alice`?"))]
#[case::unknown_symbol_before(&GOOD.replace("${given.instance.scope}", "${before.instanse.scope}"), "cases/t/x.yaml:7:12", "no definition or instance named `instanse`", Some("did you mean `instance`?"))]
#[case::before_in_given(&GOOD.replace("  use: in-progress", "  use: in-progress\n  definition:\n    displayName: ${before.instance.id}"), "cases/t/x.yaml:6:18", "cannot be used in given", None)]
#[case::each_count(&GOOD.replace("when:\n  body:\n", "when:\n  repeat: 3\n  each:\n    who: [\"a\", \"b\"]\n  body:\n"), "cases/t/x.yaml:8:10", "each.who has 2 value(s) for 3 copies", Some("one value per copy"))]
#[case::each_without_repeat(&GOOD.replace("when:\n  body:\n", "when:\n  each:\n    who: [\"a\", \"b\"]\n  body:\n"), "cases/t/x.yaml:7:10", "each.who has 2 value(s) for 1 copy", Some("set repeat"))]
#[case::unknown_each_key(&GOOD.replace("id: $uuid", "id: ${each.who}"), "cases/t/x.yaml:11:9", "no each key `who`", None)]
#[case::each_in_each(&GOOD.replace("when:\n  body:\n", "when:\n  repeat: 2\n  each:\n    who: [\"${each.who}\", \"b\"]\n  body:\n"), "cases/t/x.yaml:8:11", "cannot be used in when.each", None)]
#[case::inferred_rule_in_then(&GOOD.replace("[success-returns-updated-instance]", "[success-returns-updated-instance, update-persisted, errors-are-graph-errors]"), "cases/t/x.yaml:2:61", "`errors-are-graph-errors` is an inferred rule, but this case's then is held to the page", Some("list `errors-are-graph-errors` under reference.rules"))]
#[case::bad_template(&GOOD.replace("${given.instance.scope}", "${given.instance.scope"), "cases/t/x.yaml:7:12", "unclosed", None)]
#[case::missing_status(
    "description: ok\nrules: [fallback-removal-conflict]\ngiven:\n  instances:\n    i: {}\nwhen: {}\nthen: {status: 200}\n",
    "cases/t/x.yaml:5:8",
    "instance `i` has no status",
    None
)]
#[case::missing_then(
    "description: ok\nrules: [fallback-removal-conflict]\nwhen: {}\n",
    "cases/t/x.yaml:1:1",
    "\"then\" is a required property",
    None
)]
#[case::empty_file("", "cases/t/x.yaml", "empty", None)]
#[case::not_a_mapping("- a\n- b\n", "cases/t/x.yaml:1:1", "is not of type \"object\"", None)]
#[case::misspelt_body_key(&GOOD.replace("    scope: ${given.instance.scope}", "    scope: ${given.instance.scope}\n    fallbackReviewrs: []"), "cases/t/x.yaml:8:5", "`fallbackReviewrs` is not a property of accessReviewInstance", Some("did you mean `fallbackReviewers`?"))]
#[case::misspelt_reviewer_key(&GOOD.replace("    scope: ${given.instance.scope}", "    scope: ${given.instance.scope}\n    fallbackReviewers:\n      - {query: /users/x, queryTyp: MicrosoftGraph}"), "cases/t/x.yaml:9:27", "`queryTyp` is not a property of accessReviewReviewerScope", Some("did you mean `queryType`?"))]
#[case::misspelt_definition_key(&GOOD.replace("  use: in-progress", "  use: in-progress\n  definition:\n    displayNme: x"), "cases/t/x.yaml:6:5", "`displayNme` is not a property of accessReviewScheduleDefinition", Some("did you mean `displayName`?"))]
#[case::misspelt_instance_key(&GOOD.replace("  use: in-progress", "  use: in-progress\n  instances:\n    instance:\n      fallbackReviewer: []"), "cases/t/x.yaml:7:7", "`fallbackReviewer` is not a property of accessReviewInstance", Some("did you mean `fallbackReviewers`?"))]
#[case::misspelt_reviewer_key_in_given(&GOOD.replace("  use: in-progress", "  use: in-progress\n  instances:\n    instance:\n      reviewers: [{query: /users/x, querytype: MicrosoftGraph}]"), "cases/t/x.yaml:7:37", "`querytype` is not a property of accessReviewReviewerScope", Some("did you mean `queryType`?"))]
#[case::id_in_given(&GOOD.replace("  use: in-progress", "  use: in-progress\n  definition:\n    displayName: ${instance.id}"), "cases/t/x.yaml:6:18", "cannot be used in given", None)]
fn broken_case_files_point_at_the_problem(
    #[case] text: &str,
    #[case] location: &str,
    #[case] message: &str,
    #[case] help: Option<&str>,
) {
    let broken = broken_case(text);
    let broken = &broken;
    let d = broken
        .diagnostics
        .iter()
        .find(|d| d.message.contains(message))
        .unwrap_or_else(|| panic!("no diagnostic with {message:?}: {:#?}", broken.diagnostics));
    assert_eq!(d.location(), location, "{d}");
    if let Some(h) = help {
        assert!(d.help.as_deref().unwrap_or_default().contains(h), "{d}");
    }
    // The rendering shows the offending line with a caret.
    let shown = d.to_string();
    if d.span.is_some() {
        assert!(shown.contains(" | ") && shown.contains('^'), "{shown}");
    }
}

/// Every value the loader once replaced by a default without a word (an unknown `auth`
/// became the run's token, a bad `repeat` one request, a header value of the wrong type a
/// dropped header, …) is refused by the loader itself — even when the case schema lets it
/// through — at the value's file:line:column, saying what would be valid.
#[rstest]
#[case::unknown_auth(&GOOD.replace("when:\n", "when:\n  auth: admin\n"), "6:9", "unknown credential `admin`", "default, none, or a credential")]
#[case::non_numeric_status(&GOOD.replace("status: 200", "status: two hundred"), "9:11", "invalid status", "a code 100-599")]
#[case::status_out_of_range(&GOOD.replace("status: 200", "status: 700"), "9:11", "invalid status", "a class (\"4xx\")")]
#[case::repeat_not_a_number(&GOOD.replace("when:\n", "when:\n  repeat: many\n"), "6:11", "invalid type", "a whole number of copies, 2 to 64")]
#[case::repeat_of_one(&GOOD.replace("when:\n", "when:\n  repeat: 1\n"), "6:11", "repeat 1 is out of range", "send 2 to 64 copies")]
#[case::method_not_a_method(&GOOD.replace("when:\n", "when:\n  method: PUTT\n"), "6:11", "unknown variant `PUTT`", "PUT, PATCH, GET, POST or DELETE")]
#[case::definition_not_a_string(&GOOD.replace("when:\n", "when:\n  definition: [a]\n"), "6:15", "invalid type", "")]
#[case::instance_not_a_string(&GOOD.replace("when:\n", "when:\n  instance: {a: 1}\n"), "6:13", "invalid type", "")]
#[case::header_not_a_string(&GOOD.replace("when:\n", "when:\n  headers:\n    x-a: [1]\n"), "7:10", "invalid type", "a string, or null to drop the header")]
#[case::raw_body_not_a_string(&GOOD.replace("  body:\n    scope: ${given.instance.scope}\n", "  raw_body: [1]\n"), "6:13", "invalid type", "")]
#[case::body_and_raw_body(&GOOD.replace("when:\n", "when:\n  raw_body: \"{}\"\n"), "6:13", "body or raw_body, not both", "sent byte for byte")]
#[case::rule_not_a_string(&GOOD.replace("rules: [success-returns-updated-instance]", "rules: [success-returns-updated-instance, 5]"), "2:43", "invalid type", "")]
#[case::description_not_a_string(&GOOD.replace("description: ok", "description: [ok]"), "1:14", "invalid type", "")]
#[case::skip_not_a_string(&GOOD.replace("description: ok\n", "description: ok\nskip: [x]\n"), "2:7", "invalid type", "")]
#[case::schema_not_a_string(&GOOD.replace("  status: 200\n", "  status: 200\n  schema: [x]\n"), "10:11", "invalid type", "")]
#[case::then_headers_not_a_map(&GOOD.replace("  status: 200\n", "  status: 200\n  headers: 5\n"), "10:12", "invalid type", "")]
#[case::afterwards_not_a_map(&GOOD.replace("  status: 200\n", "  status: 200\n  afterwards: 5\n"), "10:15", "invalid type", "")]
#[case::instance_not_a_map(&GOOD.replace("  use: in-progress\n", "  use: in-progress\n  instances:\n    instance: 5\n"), "6:15", "invalid type", "definitions and instances are objects")]
#[case::use_not_a_string(&GOOD.replace("use: in-progress", "use: [in-progress]"), "4:8", "invalid type", "")]
#[case::matrix_not_a_list(&GOOD.replace("description: ok\n", "description: ok\nmatrix:\n  a: 5\n"), "3:6", "invalid type", "a non-empty list of values")]
#[case::unknown_key(&GOOD.replace("  status: 200\n", "  status: 200\n  bodyy: 1\n"), "10:3", "unknown key `bodyy`", "did you mean `body`?")]
fn former_silent_defaults_are_refused_by_the_loader_itself(
    #[case] text: &str,
    #[case] line_col: &str,
    #[case] message: &str,
    #[case] help: &str,
) {
    let (shipped_schemas, _) = shipped();
    for (schemas, which) in [
        (&permissive_schemas(), "permissive"),
        (&*shipped_schemas, "shipped"),
    ] {
        let suite = load_suite(&with_case(text), schemas, None).unwrap();
        let broken = suite
            .cases
            .iter()
            .find_map(|c| match c {
                LoadedCase::Broken(b) => Some(b),
                LoadedCase::Ok(_) => None,
            })
            .unwrap_or_else(|| panic!("{which} schema: the case loads:\n{text}"));
        if which == "shipped" {
            // The case schema also refuses it; its message is the editors' one.
            continue;
        }
        assert_eq!(broken.diagnostics.len(), 1, "{:#?}", broken.diagnostics);
        let d = &broken.diagnostics[0];
        assert_eq!(d.location(), format!("cases/t/x.yaml:{line_col}"), "{d}");
        assert!(d.message.contains(message), "{d}");
        if !help.is_empty() {
            assert!(d.help.as_deref().unwrap_or_default().contains(help), "{d}");
        }
    }
}

/// Runs the shipped `methods/` cases (and the shared files) with `extra` case files added;
/// returns the exit code and everything printed.
fn run_methods_cases_with(extra: &[(&str, &[u8])]) -> (Option<i32>, String) {
    let out = run_case_folder(|rel| rel.starts_with("methods/"), extra, &[]);
    (out.code, out.text)
}

/// The libtest line of one trial (`test NAME ... ok`), or "".
fn trial_line<'a>(output: &'a str, name: &str) -> &'a str {
    output
        .lines()
        .find(|l| l.starts_with(&format!("test {name} ")))
        .unwrap_or_default()
}

#[test]
fn a_broken_case_fails_alone_and_the_run_exits_2() {
    let typo = GOOD.replace("description:", "descripton:");
    let (code, t) = run_methods_cases_with(&[("broken/typo.yaml", typo.as_bytes())]);
    assert_eq!(code, Some(2), "{t}");
    assert!(trial_line(&t, "methods/put::put").ends_with("ok"), "{t}");
    assert!(
        trial_line(&t, "methods/patch::patch").ends_with("ok"),
        "{t}"
    );
    assert!(trial_line(&t, "broken/typo").ends_with("FAILED"), "{t}");
    assert!(
        t.contains("broken/typo.yaml:1:1") && t.contains("did you mean `description`?"),
        "{t}"
    );
}

#[test]
fn a_case_file_that_is_not_text_fails_alone_named_once() {
    // Latin-1, not UTF-8; and a PNG saved under a case name.
    let (code, t) = run_methods_cases_with(&[
        ("odd/latin1.yaml", b"description: caf\xe9\n"),
        (
            "odd/picture.yaml",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01",
        ),
    ]);
    assert_eq!(code, Some(2), "{t}");
    assert!(trial_line(&t, "methods/put::put").ends_with("ok"), "{t}");
    assert!(
        trial_line(&t, "methods/patch::patch").ends_with("ok"),
        "{t}"
    );
    assert!(trial_line(&t, "odd/latin1").ends_with("FAILED"), "{t}");
    assert!(trial_line(&t, "odd/picture").ends_with("FAILED"), "{t}");
    assert_eq!(t.matches("odd/latin1.yaml").count(), 1, "{t}");
    assert_eq!(t.matches("odd/picture.yaml").count(), 1, "{t}");
    assert!(
        t.contains("not UTF-8 text (invalid byte at offset 16)"),
        "{t}"
    );
    assert!(
        t.contains("a binary file, not YAML text (NUL byte at offset 8)"),
        "{t}"
    );
}

#[test]
fn no_input_makes_the_loader_panic() {
    let (schemas, _) = shipped();
    let mut inputs: Vec<String> = Vec::new();
    for f in shipped_files().iter().filter(|f| is_case_file(&f.rel)) {
        let t = &f.text;
        // Every truncation at a char boundary (every 5th byte), and every line dropped.
        inputs.extend(
            (0..t.len())
                .step_by(5)
                .filter(|i| t.is_char_boundary(*i))
                .map(|i| t[..i].to_string()),
        );
        let lines: Vec<&str> = t.lines().collect();
        for skip in 0..lines.len() {
            let kept: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| *l)
                .collect();
            inputs.push(kept.join("\n"));
        }
    }
    inputs.extend(
        [
            "\u{0}",
            "{",
            "[[[[[[[[",
            "? : ?",
            "a: &x *x",
            "a: !!binary x",
            "*",
            "---\n---\n",
            "rules: 5",
            "then: {status: 99999999999999999999}",
            "then: {status: []}",
            "matrix: {a: []}",
            "given: {others: {definition: {}}}",
            "then: {status: ''}",
            "then: {status: 70000}",
            "matrix: {a: 5}",
            "when: {headers: 5, body: 1}",
            "given: {instances: [1, 2]}",
            "given: {use: 5}",
            "description: 1\nrules: [1]\nwhen: 1\nthen: {status: 200, body: {$regex: '['}}",
        ]
        .map(String::from),
    );
    // The same inputs with a case schema that accepts anything (`--schemas` may replace it):
    // the loader must not rely on the schema to stay panic-free.
    let permissive = permissive_schemas();
    for text in &inputs {
        let files = with_case(text);
        for set in [&*schemas, &permissive] {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                load_suite(&files, set, None)
            }));
            assert!(result.is_ok(), "the loader panicked on:\n{text}");
        }
    }
    assert!(inputs.len() > 1000);
}

#[test]
fn principals_can_be_mapped_per_target() {
    let (schemas, _) = shipped();
    let overrides = [(
        "alice".to_string(),
        "00000000-0000-0000-0000-0000000000a1".to_string(),
    )]
    .into();
    let suite = load_suite(&shipped_files(), &schemas, Some(overrides)).unwrap();
    assert_eq!(
        suite.principals["alice"],
        "00000000-0000-0000-0000-0000000000a1"
    );
    assert_eq!(
        suite.principals["bob"],
        "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
    );

    let dir = std::env::temp_dir().join(format!("arc-principals-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.yaml");
    std::fs::write(
        &good,
        "principals:\n  alice: 00000000-0000-0000-0000-0000000000a1\n",
    )
    .unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "principal:\n  alice: x\n").unwrap();
    let ok = run_with_deadline(
        Command::new(RUNNER)
            .arg("--principals")
            .arg(&good)
            .args(["-q", "success/"]),
        Duration::from_secs(120),
    );
    let broken = run_with_deadline(
        Command::new(RUNNER).arg("--principals").arg(&bad),
        Duration::from_secs(120),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert_eq!(broken.status.code(), Some(2), "{}", text(&broken));
    assert!(
        text(&broken).contains("bad.yaml:1:1")
            && text(&broken).contains("unknown field `principal`"),
        "{}",
        text(&broken)
    );
}

/// Every problem of a case file in one round — a misspelt key no longer hides the rest — and
/// nothing that only follows from another: an unknown state leaves its instances unknown,
/// which is not reported again as "no instance to target" or an unknown name.
#[test]
fn every_problem_of_a_file_is_reported_at_once_without_follow_on_errors() {
    let text = "\
description: x
rules:
  - scope-requird
given:
  use: in-progres
when:
  bodyy: {}
  body:
    scope: ${before.instance.scope}
    fallbackReviewrs: []
then:
  status: 4xx
  afterwards:
    instance:
      reviewers: {$regex: \"([\"}
";
    let broken = broken_case(text);
    let broken = &broken;
    let found: Vec<(String, String)> = broken
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.location(),
                d.message.lines().next().unwrap_or("").to_string(),
            )
        })
        .collect();
    let at = |line: usize| format!("cases/t/x.yaml:{line}:");
    let expected = [
        (at(7), "unknown key `bodyy`"),
        (at(3), "unknown rule `scope-requird`"),
        (at(5), "unknown state `in-progres`"),
        (
            at(10),
            "`fallbackReviewrs` is not a property of accessReviewInstance",
        ),
        (at(15), "invalid regular expression"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (location, message) in expected {
        assert!(
            found
                .iter()
                .any(|(l, m)| l.starts_with(&location) && m.starts_with(message)),
            "{location} {message}: {found:#?}"
        );
    }
}

/// A named state is checked against the types it stands for too, at its line in states.yaml:
/// a misspelt property there would otherwise reach every case that uses the state.
#[test]
fn a_misspelt_property_in_a_named_state_is_refused_at_its_line() {
    let (schemas, _) = shipped();
    let files: Vec<InputFile> = shipped_files()
        .into_iter()
        .map(|f| {
            if f.rel == "states.yaml" {
                let text = f
                    .text
                    .replacen("descriptionForAdmins:", "descriptionForAdmin:", 1);
                InputFile::text("states.yaml", "cases/states.yaml", &text)
            } else {
                f
            }
        })
        .collect();
    let line = files
        .iter()
        .find(|f| f.rel == "states.yaml")
        .unwrap()
        .text
        .lines()
        .position(|l| l.contains("descriptionForAdmin:"))
        .unwrap()
        + 1;
    let Err(err) = load_suite(&files, &schemas, None) else {
        panic!("a misspelt state property loads");
    };
    let text = err.to_string();
    assert!(
        text.contains("`descriptionForAdmin` is not a property of accessReviewScheduleDefinition"),
        "{text}"
    );
    assert!(
        text.contains(&format!("cases/states.yaml:{line}:")),
        "{text}"
    );
    assert!(
        text.contains("did you mean `descriptionForAdmins`?"),
        "{text}"
    );
}

/// A rule's `checks` are checked when the catalogue loads: an unknown key gets a guess, and a
/// property the type does not have is refused at its line with a guess.
#[rstest]
#[case::unknown_key("checks: [stauts]", "did you mean `status`?")]
#[case::unknown_property(
    "checks: [instance.scpe, body.scope]",
    "`scpe` is not a property of accessReviewInstance"
)]
fn a_misspelt_check_in_the_catalogue_is_refused_with_a_guess(
    #[case] checks: &str,
    #[case] message: &str,
) {
    let (schemas, _) = shipped();
    let line = "checks: [instance.scope, body.scope]";
    let files: Vec<InputFile> = shipped_files()
        .into_iter()
        .map(|f| {
            if f.rel == "rules.yaml" {
                assert!(f.text.contains(line), "rules.yaml has no {line:?}");
                InputFile::text(
                    "rules.yaml",
                    "cases/rules.yaml",
                    f.text.replace(line, checks),
                )
            } else {
                f
            }
        })
        .collect();
    let Err(err) = load_suite(&files, &schemas, None) else {
        panic!("a misspelt check loads");
    };
    let shown = err.to_string();
    assert!(shown.contains(message), "{shown}");
    assert!(shown.contains("cases/rules.yaml:"), "{shown}");
}

/// A value of the wrong type and a misspelt required key do not stop the round either: the
/// misspelt key is read as the one it stands for (no second "required" error), and the rest
/// is still checked.
#[test]
fn a_misspelt_required_key_and_a_wrong_type_leave_the_rest_checked() {
    let text = "\
description: x
rules:
  - scope-requird
given:
  use: in-progress
when:
  repeat: three
  body:
    scope: ${before.instance.scope}
    fallbackReviewrs: []
thne:
  status: 4xx
";
    let broken = broken_case(text);
    let broken = &broken;
    let messages: Vec<String> = broken
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.location(), d.message))
        .collect();
    for expected in [
        "cases/t/x.yaml:11:1 unknown key `thne`",
        "cases/t/x.yaml:7:11 \"three\" is not of type \"integer\"",
        "cases/t/x.yaml:3:5 unknown rule `scope-requird`",
        "cases/t/x.yaml:10:5 `fallbackReviewrs` is not a property of accessReviewInstance",
    ] {
        assert!(
            messages.iter().any(|m| m.starts_with(expected)),
            "{expected}: {messages:#?}"
        );
    }
    assert_eq!(messages.len(), 4, "{messages:#?}");
}
