//! Matcher tables: every matcher shown to match and to fail.

use super::*;
use crate::case::template::Bindings;
use rstest::rstest;
use serde_json::json;

fn parse(v: Value) -> Matcher {
    let mut errors = Vec::new();
    let m = Matcher::parse(&v, "", &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    m
}

fn mismatches(expected: Value, actual: Value) -> Vec<Mismatch> {
    let mut b = Bindings::default();
    b.ids.insert("instance".into(), "i-1".into());
    let mut out = Vec::new();
    parse(expected).check(Some(&actual), None, &b, &mut out);
    out
}

#[rstest]
#[case::subset(json!({"a": 1}), json!({"a": 1, "b": 2}), true)]
#[case::subset_wrong(json!({"a": 1}), json!({"a": 2}), false)]
#[case::number_forms(json!({"a": 1}), json!({"a": 1.0}), true)]
#[case::missing(json!({"a": 1}), json!({}), false)]
#[case::exact_ok(json!({"$exact": {"a": 1}}), json!({"a": 1}), true)]
#[case::exact_extra(json!({"$exact": {"a": 1}}), json!({"a": 1, "b": 2}), false)]
#[case::absent_ok(json!({"a": "$absent"}), json!({"b": 1}), true)]
#[case::absent_present(json!({"a": "$absent"}), json!({"a": null}), false)]
#[case::any_null(json!({"a": "$any"}), json!({"a": null}), true)]
#[case::any_missing(json!({"a": "$any"}), json!({}), false)]
#[case::uuid_ok(json!("$uuid"), json!("1ed8ac56-4827-4733-8f80-86adc2e67db5"), true)]
#[case::uuid_bad(json!("$uuid"), json!("not-a-uuid"), false)]
#[case::uuid_number(json!("$uuid"), json!(5), false)]
#[case::datetime_ok(json!("$datetime"), json!("2021-12-14T11:15:43.207Z"), true)]
#[case::datetime_offset(json!("$datetime"), json!("2021-12-14T11:15:43+01:00"), true)]
#[case::datetime_bad(json!("$datetime"), json!("2021-12-14"), false)]
#[case::regex_ok(json!({"$regex": "^/v1\\.0/"}), json!("/v1.0/users"), true)]
#[case::regex_bad(json!({"$regex": "^/v1\\.0/"}), json!("/users"), false)]
#[case::query_key(json!({"query": "/users/a"}), json!({"query": "/v1.0/users/a"}), true)]
#[case::query_key_wrong(json!({"query": "/users/a"}), json!({"query": "/v1.0/users/b"}), false)]
#[case::other_key_not_query(json!({"q": "/users/a"}), json!({"q": "/v1.0/users/a"}), false)]
#[case::query_matcher(json!({"$query": "/users/a"}), json!("/beta/users/a"), true)]
#[case::query_matcher_bad(json!({"$query": "/users/a"}), json!("/users/b"), false)]
#[case::unordered(json!([1, 2]), json!([2, 1]), true)]
#[case::unordered_len(json!([1, 2]), json!([2, 1, 3]), false)]
#[case::unordered_dup(json!([1, 1]), json!([1, 2]), false)]
#[case::ordered_ok(json!({"$ordered": [1, 2]}), json!([1, 2]), true)]
#[case::ordered_bad(json!({"$ordered": [1, 2]}), json!([2, 1]), false)]
#[case::contains_ok(json!({"$contains": [2]}), json!([1, 2]), true)]
#[case::contains_bad(json!({"$contains": [3]}), json!([1, 2]), false)]
#[case::template(json!({"id": "${instance.id}"}), json!({"id": "i-1"}), true)]
#[case::template_bad(json!({"id": "${instance.id}"}), json!({"id": "i-2"}), false)]
#[case::literal_dollar(json!("$$any"), json!("$any"), true)]
#[case::literal_dollar_bad(json!("$$any"), json!("x"), false)]
#[case::type_mismatch(json!({"a": {"b": 1}}), json!({"a": [1]}), false)]
#[case::array_vs_object(json!([1]), json!({"a": 1}), false)]
#[case::reviewers_unordered(
    json!([{"query": "/users/a"}, {"query": "/users/b"}]),
    json!([{"query": "/v1.0/users/b", "queryRoot": null}, {"query": "/v1.0/users/a", "queryRoot": null}]),
    true
)]
fn matcher_table(#[case] expected: Value, #[case] actual: Value, #[case] ok: bool) {
    let found = mismatches(expected.clone(), actual.clone());
    assert_eq!(found.is_empty(), ok, "{expected} vs {actual}: {found:?}");
}

#[test]
fn every_mismatch_is_reported_with_its_path() {
    let found = mismatches(
        json!({"status": "InProgress", "scope": {"query": "/x"}, "reviewers": [{"query": "/users/a"}]}),
        json!({"status": "Completed", "scope": {"query": "/y"}, "reviewers": [{"query": "/users/b"}]}),
    );
    let paths: Vec<_> = found.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        paths,
        ["$.status", "$.scope.query", "$.reviewers[0].query"],
        "{found:?}"
    );
    assert_eq!(
        found[0].to_string(),
        "$.status: expected \"InProgress\", got \"Completed\""
    );
}

#[test]
fn unchanged_compares_with_before() {
    let m = parse(json!({"scope": "$unchanged"}));
    let b = Bindings::default();
    let before = json!({"scope": {"a": 1}});
    assert!(m.matches(Some(&json!({"scope": {"a": 1}})), Some(&before), &b));
    assert!(!m.matches(Some(&json!({"scope": {"a": 2}})), Some(&before), &b));
    assert!(!m.matches(Some(&json!({})), Some(&before), &b));
}

#[rstest]
#[case::reviewers_in_another_order(json!({"fallbackReviewers": [{"query": "/b"}, {"query": "/a"}]}), true)]
#[case::reviewers_nested_in_another_order(json!({"fallbackReviewers": [{"query": "/a"}, {"query": "/b"}], "reviewers": [{"query": "/d"}, {"query": "/c"}]}), true)]
#[case::reviewers_one_replaced(json!({"fallbackReviewers": [{"query": "/a"}, {"query": "/a"}]}), false)]
#[case::reviewers_one_more(json!({"fallbackReviewers": [{"query": "/a"}, {"query": "/b"}, {"query": "/a"}]}), false)]
#[case::other_arrays_in_order(json!({"tags": ["y", "x"]}), false)]
fn unchanged_compares_reviewer_collections_as_multisets(#[case] after: Value, #[case] same: bool) {
    let m = parse(json!("$unchanged"));
    let b = Bindings::default();
    let before = json!({
        "fallbackReviewers": [{"query": "/a"}, {"query": "/b"}],
        "reviewers": [{"query": "/c"}, {"query": "/d"}],
        "tags": ["x", "y"],
    });
    let mut after_full = before.clone();
    for (k, v) in after.as_object().unwrap() {
        after_full[k] = v.clone();
    }
    assert_eq!(m.matches(Some(&after_full), Some(&before), &b), same);
    // Directly under the key, too (`fallbackReviewers: $unchanged`).
    let under = parse(json!({"fallbackReviewers": "$unchanged"}));
    let direct = after_full["fallbackReviewers"] == json!([{"query": "/b"}, {"query": "/a"}]);
    if direct {
        assert!(under.matches(Some(&after_full), Some(&before), &b));
    }
}

#[rstest]
#[case(json!("$uuidd"), "/", "unknown matcher `$uuidd`", Some("did you mean `$uuid`?"))]
#[case(json!({"a": {"$regx": "x"}}), "/a/$regx", "unknown matcher `$regx`", Some("did you mean `$regex`?"))]
#[case(json!({"$regex": "("}), "/$regex", "invalid regular expression", None)]
#[case(json!({"$regex": 1}), "/$regex", "`$regex` takes a string", None)]
#[case(json!({"$exact": [1]}), "/$exact", "`$exact` takes an object", None)]
#[case(json!({"$ordered": {"a": 1}}), "/$ordered", "`$ordered` takes an array", None)]
#[case(json!({"$query": 5}), "/$query", "`$query` takes a string", None)]
#[case(json!({"$exact": {}, "b": 1}), "/$exact", "must be the only key", None)]
#[case(json!("${nope}"), "/", "unknown template expression", None)]
fn parse_errors(
    #[case] v: Value,
    #[case] pointer: &str,
    #[case] message: &str,
    #[case] help: Option<&str>,
) {
    let mut errors = Vec::new();
    Matcher::parse(&v, "", &mut errors);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    let expected_pointer = if pointer == "/" { "" } else { pointer };
    assert_eq!(e.pointer, expected_pointer);
    assert!(e.message.contains(message), "{e:?}");
    if let Some(h) = help {
        assert!(e.help.as_deref().unwrap_or("").contains(h), "{e:?}");
    }
}

#[test]
fn clip_cuts_at_a_character_boundary_and_says_how_long() {
    assert_eq!(clip("héllo", 10), "héllo");
    assert_eq!(
        clip("héllo", 2),
        format!("hé… (6 bytes in all, SHA-256 {})", fingerprint("héllo"))
    );
    // Two long values with the same start are told apart by their fingerprints.
    assert_ne!(
        clip(&"a".repeat(50), 10),
        clip(&format!("{}b", "a".repeat(49)), 10)
    );
    assert_eq!(fingerprint("abc"), "ba7816bf8f01cfea");
    assert_eq!(clip("", 0), "");
}

/// Golden: a long value changed far from its start shows the part that differs, on both
/// sides, not two equal-looking prefixes.
#[test]
fn a_long_unchanged_difference_shows_the_differing_part() {
    let reviewers: Vec<Value> = (0..40)
        .map(|i| json!({"query": format!("/users/user-{i:02}"), "queryType": "MicrosoftGraph"}))
        .collect();
    let before = json!({"reviewers": reviewers});
    let mut after = before.clone();
    after["reviewers"][30]["query"] = json!("/users/SOMEONE-ELSE");
    let mut out = Vec::new();
    parse(json!({"reviewers": "$unchanged"})).check(
        Some(&after),
        Some(&before),
        &Bindings::default(),
        &mut out,
    );
    assert_eq!(out.len(), 1, "{out:?}");
    let shown = out[0].to_string();
    let expected = "$.reviewers: expected unchanged: …ers/user-29\",\"queryType\":\"MicrosoftGraph\"},{\"query\":\"/users/user-30\",\"queryType\":\"MicrosoftGraph\"},{\"query\":\"/users/user-31\",\"queryType\":\"MicrosoftGraph\"},{\"query\":\"/users/user-32\",\"queryType\":\"MicrosoftGraph\"},{\"query\":\"/users/user-33\",\"qu… (first difference at character 1698 of 2241, SHA-256 cc0ae33ef8365a23), got …ers/user-29\",\"queryType\":\"MicrosoftGraph\"},{\"query\":\"/users/SOMEONE-ELSE\",\"queryType\":\"MicrosoftGraph\"},{\"query\":\"/users/user-31\",\"queryType\":\"MicrosoftGraph\"},{\"query\":\"/users/user-32\",\"queryType\":\"MicrosoftGraph\"},{\"query\":\"/users/user-33… (first difference at character 1698 of 2246, SHA-256 e1b38eefe4e781ff)";
    assert_eq!(shown, expected);
    assert!(shown.contains("SOMEONE-ELSE") && shown.contains("user-30"));
}

#[rstest]
#[case::short(json!([1, 2]), json!([1, 3]), "[1,2]", "[1,3]")]
#[case::same_length_late(json!("a".repeat(400)), json!(format!("{}b", "a".repeat(399))), "…", "b")]
fn show_difference_keeps_short_values_whole_and_cuts_long_ones_around_the_difference(
    #[case] expected: Value,
    #[case] actual: Value,
    #[case] in_expected: &str,
    #[case] in_actual: &str,
) {
    let (e, a) = show_difference(&expected, &actual);
    assert!(e.contains(in_expected), "{e}");
    assert!(a.contains(in_actual), "{a}");
}

/// Only `$unchanged` reads the state before the request: a tree without it gives the same
/// mismatches whatever that state is (so a trial need not parse it), one with it does not.
#[rstest]
#[case::at_the_top(json!("$unchanged"), true)]
#[case::a_property(json!({"a": "$unchanged"}), true)]
#[case::in_an_array(json!({"a": ["$unchanged"]}), true)]
#[case::under_exact(json!({"$exact": {"a": [1], "b": "$unchanged"}}), true)]
#[case::literals(json!({"a": [1], "b": "x"}), false)]
#[case::other_matchers(json!({"a": "$any", "c": "$absent", "b": {"$regex": "^x"}}), false)]
#[case::a_template(json!({"b": "${instance.id}"}), false)]
fn only_unchanged_reads_the_state_before(#[case] m: Value, #[case] reads: bool) {
    let m = parse(m);
    assert_eq!(m.reads_before(), reads);
    let actual = json!({"a": [1], "b": "x"});
    let b = Bindings::default();
    let found = |before: Option<&Value>| {
        let mut out = Vec::new();
        m.check(Some(&actual), before, &b, &mut out);
        out.len()
    };
    if reads {
        assert_ne!(found(Some(&actual)), found(None));
    } else {
        assert_eq!(found(Some(&json!({"a": [2], "b": "y"}))), found(None));
    }
}
