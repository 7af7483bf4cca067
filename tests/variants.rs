//! Silent-page variants: mocks that differ from the reference only where the page is silent
//! (PATCH answered 204, PATCH refused with 405, read-only values refused with 400, unknown ids
//! answered 400, a non-InProgress instance refused with 400, a GET without the reviewer lists
//! unless selected, empty error codes, unknown extra properties, updates naming users the
//! tenant does not have refused with 400, reviewer lists answered in another order). Under `--enforce documented`
//! every one passes (exit 0), with `--update-method put` and with `both` (the page documents
//! PUT only, so a PATCH trial is held to the inferred rule `http-method-patch`), and each
//! difference from an inferred expectation is listed as a divergence; under `--enforce all`
//! exactly those that diverge exit 1.

mod common;

use std::process::Command;
use std::time::Duration;

use accessreview_mock::Variant;
use common::*;
use rstest::rstest;

const TOKEN: &str = "variant-test-token-3c1f";

fn run_against(variant: Variant, enforce: &str, update_method: &str) -> (Option<i32>, String) {
    let credentials: Vec<String> = credentials()
        .into_iter()
        .map(|(c, t)| format!("{c}={t}"))
        .collect();
    // The tenant's users: the principals the cases name (for unknown-users-400).
    let (_, suite) = shipped();
    let users: Vec<String> = suite.principals.values().cloned().collect();
    let mut mock_args = vec!["--variant", variant.name(), "--token", TOKEN];
    for u in &users {
        mock_args.extend(["--user", u.as_str()]);
    }
    for c in &credentials {
        mock_args.extend(["--credential", c.as_str()]);
    }
    let mock = spawn_mock(&mock_args);
    let mut cmd = Command::new(RUNNER);
    cmd.args([
        "--base-url",
        &mock.base_url,
        "--token",
        TOKEN,
        "--enforce",
        enforce,
        "--update-method",
        update_method,
    ]);
    for c in &credentials {
        cmd.args(["--credential", c.as_str()]);
    }
    let out = run_with_deadline(&mut cmd, Duration::from_secs(120));
    (out.status.code(), text(&out))
}

#[rstest]
fn a_silent_page_variant_passes_the_page_and_diverges_only_where_it_differs(
    #[values(
        Variant::Patch204,
        Variant::PutOnly,
        Variant::ReadOnly400,
        Variant::UnknownIds400,
        Variant::NotInProgress400,
        Variant::GetWithoutLists,
        Variant::EmptyErrorCodes,
        Variant::ExtraProperties,
        Variant::UnknownUsers400,
        Variant::ReorderedLists
    )]
    variant: Variant,
    #[values("put", "both")] update_method: &str,
) {
    let (code, t) = run_against(variant, "documented", update_method);
    assert_eq!(code, Some(0), "{variant} fails the page's rules:\n{t}");
    assert!(t.contains(" 0 failed"), "{t}");
    match variant.diverges_from() {
        Some(rule) => {
            assert!(
                !t.contains(" 0 diverged"),
                "{variant}: no divergence listed\n{t}"
            );
            let listed = t
                .split("divergences (not enforced):")
                .nth(1)
                .unwrap_or_default();
            assert!(
                listed.contains(&format!("{rule} (inferred)")),
                "{variant}: {rule} not named\n{t}"
            );
        }
        None => assert!(t.contains(" 0 diverged"), "{variant} diverges:\n{t}"),
    }
    let (code, t) = run_against(variant, "all", update_method);
    let expected = if variant.diverges_from().is_some() {
        1
    } else {
        0
    };
    assert_eq!(code, Some(expected), "{variant} with --enforce all:\n{t}");
}

#[test]
fn every_variant_is_in_the_table_above() {
    // A new variant must be added to the `#[values(…)]` list of the test above.
    assert_eq!(Variant::ALL.len(), 10);
}
