//! The `silent-page` choices a probe's facts amount to, in the mock's terms
//! ([`SilentPage`]): the status of the trials that ask each question, the error code of each
//! error status, whether properties beyond the metadata came back, whether reviewer lists kept
//! their order. A choice no trial of the probe asked is left out (the reference's, for the mock).

use std::collections::BTreeMap;

use accessreview_mock::{GetLists, ListOrder, SilentPage};

use crate::load::resolve::shape::{INSTANCE_PROPERTIES, REVIEWER_PROPERTIES};
use crate::profile::observed::Observed;

/// The case (and method) whose status answers each status choice. Each must be a shipped
/// case (a test checks it).
pub const STATUS_CHOICES: [(&str, &str, &str, Field); 4] = [
    ("patch", "methods/patch", "PATCH", |p| &mut p.patch),
    (
        "read-only-body",
        "read-only/properties-ignored",
        "PUT",
        |p| &mut p.read_only_body,
    ),
    ("unknown-ids", "not-found/unknown-instance", "PUT", |p| {
        &mut p.unknown_ids
    }),
    ("not-in-progress", "status/not-in-progress", "PUT", |p| {
        &mut p.not_in_progress
    }),
];

/// Where a status choice is in a [`SilentPage`].
pub type Field = fn(&mut SilentPage) -> &mut Option<u16>;

/// The choices the observed facts amount to.
pub fn silent_page(observed: &[Observed]) -> SilentPage {
    let facts = || {
        observed
            .iter()
            .filter_map(|o| Some((o, &o.behaviour.as_ref()?.facts)))
    };
    // The one status every trial of a case (and method) got, if they agree.
    let status_of = |case: &str, method: &str| -> Option<u16> {
        let mut statuses = facts()
            .filter(|(o, _)| o.case == case && o.method.eq_ignore_ascii_case(method))
            .map(|(_, f)| f.get("status").and_then(|s| s.parse::<u16>().ok()));
        let first = statuses.next()??;
        statuses.all(|s| s == Some(first)).then_some(first)
    };
    let mut page = SilentPage::default();
    for (_, case, method, field) in STATUS_CHOICES {
        // A status the mock cannot answer with is left to the trial's facts (the profile's
        // schema lists the same choices as the mock).
        let mut alone = SilentPage::default();
        *field(&mut alone) = status_of(case, method);
        if alone.variants().is_ok() {
            *field(&mut page) = *field(&mut alone);
        }
    }
    // Properties beyond the metadata, on an instance or a reviewer entry.
    let mut saw_properties = false;
    let mut extra = false;
    for (_, f) in facts() {
        for (name, value) in f {
            let known: &[&str] = if name.ends_with(".properties") && !name.starts_with("error") {
                &INSTANCE_PROPERTIES
            } else if name.ends_with(".entries") {
                &REVIEWER_PROPERTIES
            } else {
                continue;
            };
            saw_properties = true;
            extra |= value
                .split(", ")
                .any(|p| p != "(none)" && !known.contains(&p));
        }
    }
    page.extra_properties = saw_properties.then_some(extra);
    // Whether a plain GET holds the reviewer lists.
    let plain: Vec<&String> = facts()
        .filter_map(|(_, f)| f.get("plain-get.properties"))
        .collect();
    if !plain.is_empty() {
        let holds = |p: &str| {
            let names: Vec<&str> = p.split(", ").collect();
            names.contains(&"reviewers") && names.contains(&"fallbackReviewers")
        };
        page.get_lists = Some(if plain.iter().all(|p| holds(p)) {
            GetLists::Always
        } else {
            GetLists::WithSelect
        });
    }
    // Reviewer lists in the order sent, or not.
    let orders: Vec<&String> = facts()
        .flat_map(|(_, f)| f.iter())
        .filter(|(k, _)| k.ends_with(".order"))
        .map(|(_, v)| v)
        .collect();
    if !orders.is_empty() {
        page.list_order = Some(if orders.iter().any(|o| *o == "other order") {
            ListOrder::Varies
        } else {
            ListOrder::Stored
        });
    }
    // Each error status's code: the one most trials got (ties: the first by name).
    let mut codes: BTreeMap<u16, BTreeMap<String, usize>> = BTreeMap::new();
    for (_, f) in facts() {
        let (Some(status), Some(code)) = (
            f.get("status").and_then(|s| s.parse::<u16>().ok()),
            f.get("error.code"),
        ) else {
            continue;
        };
        let code = match code.as_str() {
            "(empty)" => String::new(),
            c if c.starts_with('(') => continue,
            c => c.to_string(),
        };
        *codes.entry(status).or_default().entry(code).or_default() += 1;
    }
    page.error_codes = codes
        .into_iter()
        .filter(|(status, _)| (400..600).contains(status))
        .filter_map(|(status, counts)| {
            let most = counts.values().copied().max()?;
            let code = counts.into_iter().find(|(_, n)| *n == most)?.0;
            Some((status, code))
        })
        .collect();
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(case: &str, method: &str, facts: &[(&str, &str)]) -> Observed {
        let name = format!("{case}::{}", method.to_lowercase());
        Observed::passed(&name, case, method, &["r"], facts)
    }

    #[test]
    fn each_choice_comes_from_the_trials_that_ask_it() {
        let page = silent_page(&[
            observed("methods/patch", "PATCH", &[("status", "204")]),
            observed(
                "not-found/unknown-instance",
                "PUT",
                &[("status", "400"), ("error.code", "BadRequest")],
            ),
            observed(
                "status/not-in-progress",
                "PUT",
                &[("status", "409"), ("error.code", "")],
            ),
            observed(
                "status/not-in-progress",
                "PUT",
                &[("status", "409"), ("error.code", "(empty)")],
            ),
            observed(
                "success/x",
                "PUT",
                &[
                    ("body.properties", "id, futureProperty"),
                    ("body.reviewers.order", "other order"),
                    ("plain-get.properties", "id, status"),
                ],
            ),
            observed(
                "success/y",
                "PUT",
                &[("plain-get.properties", "fallbackReviewers, id, reviewers")],
            ),
        ]);
        assert_eq!(page.patch, Some(204));
        assert_eq!(page.unknown_ids, Some(400));
        assert_eq!(page.not_in_progress, Some(409));
        assert_eq!(page.read_only_body, None, "no trial asked");
        assert_eq!(page.extra_properties, Some(true));
        assert_eq!(page.list_order, Some(ListOrder::Varies));
        assert_eq!(page.get_lists, Some(GetLists::WithSelect));
        assert_eq!(
            page.error_codes.get(&400).map(String::as_str),
            Some("BadRequest")
        );
        // Two trials of 409 disagree ("" and empty are one): the most frequent wins.
        assert_eq!(page.error_codes.get(&409).map(String::as_str), Some(""));
    }

    #[test]
    fn a_status_the_mock_cannot_answer_with_is_left_to_the_facts() {
        let page = silent_page(&[
            observed("status/not-in-progress", "PUT", &[("status", "403")]),
            observed("methods/patch", "PATCH", &[("status", "201")]),
            observed("not-found/unknown-instance", "PUT", &[("status", "400")]),
        ]);
        assert_eq!((page.not_in_progress, page.patch), (None, None));
        assert_eq!(page.unknown_ids, Some(400));
        assert!(page.variants().is_ok());
    }

    #[test]
    fn trials_that_disagree_decide_no_status() {
        let page = silent_page(&[
            observed("status/not-in-progress", "PUT", &[("status", "409")]),
            observed("status/not-in-progress", "PUT", &[("status", "400")]),
            observed("success/x", "PUT", &[("body.properties", "id, status")]),
        ]);
        assert_eq!(page.not_in_progress, None);
        assert_eq!(page.extra_properties, Some(false));
        assert_eq!(page.list_order, None);
        assert_eq!(page.get_lists, None, "no plain GET was made");
    }
}
