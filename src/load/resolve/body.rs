//! A request body checked when the case loads: every key `when.body` names is a property of
//! the update's request shape (accessReviewInstance, and accessReviewReviewerScope inside the
//! reviewer lists; `@odata.*` annotations allowed), so that a misspelt key is the case's
//! error at file:line:column, not a 400 blamed on the target. A case that sends an unknown
//! property on purpose says so with `raw_body`.

use serde_json::Value;

use crate::diagnostic::escape_pointer;
use crate::load::problems::{Problems, suggestion};

/// The properties of accessReviewInstance (`schemas/accessReviewInstance.schema.json`).
pub const INSTANCE_PROPERTIES: [&str; 11] = [
    "@odata.context",
    "@odata.type",
    "@odata.etag",
    "id",
    "startDateTime",
    "endDateTime",
    "status",
    "scope",
    "reviewers",
    "fallbackReviewers",
    "errors",
];

/// The properties of accessReviewReviewerScope (`schemas/accessReviewReviewerScope.schema.json`).
pub const REVIEWER_PROPERTIES: [&str; 6] = [
    "@odata.type",
    "query",
    "queryRoot",
    "queryType",
    "reviewerId",
    "scopeType",
];

/// Reports every key of `body` that its shape does not have.
pub fn check(body: &Value, p: &mut Problems<'_>) {
    let Some(object) = body.as_object() else {
        return;
    };
    let instance = || INSTANCE_PROPERTIES.iter().copied();
    let raw_body = "to send an unknown property on purpose, write the body as raw_body";
    for (key, value) in object {
        let at = format!("/when/body/{}", escape_pointer(key));
        if !key.starts_with('@') && !instance().any(|k| k == key) {
            p.at_key(
                &at,
                format!("`{key}` is not a property of accessReviewInstance"),
                Some(format!(
                    "{}; {raw_body}",
                    suggestion(key, instance(), "its properties", None)
                )),
            );
            continue;
        }
        if key != "reviewers" && key != "fallbackReviewers" {
            continue;
        }
        for (i, item) in value.as_array().into_iter().flatten().enumerate() {
            for inner in item.as_object().into_iter().flat_map(|o| o.keys()) {
                if inner.starts_with('@') || REVIEWER_PROPERTIES.contains(&inner.as_str()) {
                    continue;
                }
                p.at_key(
                    &format!("{at}/{i}/{}", escape_pointer(inner)),
                    format!("`{inner}` is not a property of accessReviewReviewerScope"),
                    Some(format!(
                        "{}; {raw_body}",
                        suggestion(
                            inner,
                            REVIEWER_PROPERTIES.iter().copied(),
                            "its properties",
                            None
                        )
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lists are the schemas' own, so they cannot drift apart.
    #[test]
    fn the_shapes_are_the_schemas() {
        for (file, list) in [
            ("accessReviewInstance", &INSTANCE_PROPERTIES[..]),
            ("accessReviewReviewerScope", &REVIEWER_PROPERTIES[..]),
        ] {
            let path = format!("{}/schemas/{file}.schema.json", env!("CARGO_MANIFEST_DIR"));
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let mut from_schema: Vec<&str> = schema["properties"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut ours = list.to_vec();
            from_schema.sort_unstable();
            ours.sort_unstable();
            assert_eq!(ours, from_schema, "{file}");
        }
    }
}
