//! Silent-page variants: mocks that differ from the reference only where the page is silent
//! (PATCH answered 204, read-only values refused with 400, unknown ids answered 400, a
//! non-InProgress instance refused with 400, a GET without the reviewer lists unless selected,
//! empty error codes, unknown extra properties). Under `--enforce documented` every one passes
//! (exit 0), and each difference from an inferred expectation is listed as a divergence; under
//! `--enforce all` exactly those that diverge exit 1.

mod common;

use std::process::Command;
use std::time::Duration;

use accessreview_mock::Variant;
use common::*;
use rstest::rstest;

const TOKEN: &str = "variant-test-token-3c1f";

fn run_against(variant: Variant, enforce: &str) -> (Option<i32>, String) {
    let credentials: Vec<String> = credentials()
        .into_iter()
        .map(|(c, t)| format!("{c}={t}"))
        .collect();
    let mut mock_args = vec!["--variant", variant.name(), "--token", TOKEN];
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
    ]);
    for c in &credentials {
        cmd.args(["--credential", c.as_str()]);
    }
    let out = run_with_deadline(&mut cmd, Duration::from_secs(120));
    (out.status.code(), text(&out))
}

#[rstest]
#[case(Variant::Patch204)]
#[case(Variant::ReadOnly400)]
#[case(Variant::UnknownIds400)]
#[case(Variant::NotInProgress400)]
#[case(Variant::GetWithoutLists)]
#[case(Variant::EmptyErrorCodes)]
#[case(Variant::ExtraProperties)]
fn a_silent_page_variant_passes_the_page_and_diverges_only_where_it_differs(
    #[case] variant: Variant,
) {
    let (code, t) = run_against(variant, "documented");
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
    let (code, t) = run_against(variant, "all");
    let expected = if variant.diverges_from().is_some() {
        1
    } else {
        0
    };
    assert_eq!(code, Some(expected), "{variant} with --enforce all:\n{t}");
}
