//! Objects a case writes checked against their shapes when the case loads: the request body
//! (`when.body`) against the update's request shape, and the starting state (`given`) against
//! accessReviewInstance and accessReviewScheduleDefinition — every key a property (`@odata.*`
//! annotations allowed), and every entry of a reviewer list an accessReviewReviewerScope. A
//! misspelt key is the case's error at file:line:column, not a 400 blamed on the target, nor
//! a property the target silently leaves out. A body with an unknown property on purpose
//! says so with `raw_body`.

use serde_json::{Map, Value};

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

/// The properties of accessReviewScheduleDefinition
/// (`schemas/accessReviewScheduleDefinition.schema.json`).
pub const DEFINITION_PROPERTIES: [&str; 18] = [
    "@odata.context",
    "@odata.type",
    "additionalNotificationRecipients",
    "backupReviewers",
    "createdBy",
    "createdDateTime",
    "descriptionForAdmins",
    "descriptionForReviewers",
    "displayName",
    "fallbackReviewers",
    "id",
    "instanceEnumerationScope",
    "lastModifiedDateTime",
    "reviewers",
    "scope",
    "settings",
    "stageSettings",
    "status",
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

/// A type an object of a case is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// The type's name, as the metadata writes it.
    pub name: &'static str,
    /// Its properties.
    pub properties: &'static [&'static str],
}

/// An accessReviewInstance.
pub const INSTANCE: Shape = Shape {
    name: "accessReviewInstance",
    properties: &INSTANCE_PROPERTIES,
};

/// An accessReviewScheduleDefinition.
pub const DEFINITION: Shape = Shape {
    name: "accessReviewScheduleDefinition",
    properties: &DEFINITION_PROPERTIES,
};

/// An accessReviewReviewerScope.
const REVIEWER: Shape = Shape {
    name: "accessReviewReviewerScope",
    properties: &REVIEWER_PROPERTIES,
};

/// The properties holding lists of reviewer scopes.
const REVIEWER_LISTS: [&str; 3] = ["reviewers", "fallbackReviewers", "backupReviewers"];

/// Reports every key of the request body that the update's request shape does not have.
pub fn check_body(body: &Value, p: &mut Problems<'_>) {
    let Some(body) = body.as_object() else {
        return;
    };
    check(
        body,
        "/when/body",
        INSTANCE,
        "to send an unknown property on purpose, write the body as raw_body",
        p,
    );
}

/// Reports every key of `object` (at `at`) that `shape` does not have, and every key of a
/// reviewer list's entries that accessReviewReviewerScope does not have; `hint` follows the
/// guess in each help.
pub fn check(
    object: &Map<String, Value>,
    at: &str,
    shape: Shape,
    hint: &str,
    p: &mut Problems<'_>,
) {
    let help = |key: &str, shape: Shape| {
        let guess = suggestion(
            key,
            shape.properties.iter().copied(),
            "its properties",
            None,
        );
        if hint.is_empty() {
            guess
        } else {
            format!("{guess}; {hint}")
        }
    };
    for (key, value) in object {
        let here = format!("{at}/{}", escape_pointer(key));
        if !key.starts_with('@') && !shape.properties.contains(&key.as_str()) {
            p.at_key(
                &here,
                format!("`{key}` is not a property of {}", shape.name),
                Some(help(key, shape)),
            );
            continue;
        }
        if !REVIEWER_LISTS.contains(&key.as_str()) {
            continue;
        }
        for (i, item) in value.as_array().into_iter().flatten().enumerate() {
            for inner in item.as_object().into_iter().flat_map(|o| o.keys()) {
                if inner.starts_with('@') || REVIEWER.properties.contains(&inner.as_str()) {
                    continue;
                }
                p.at_key(
                    &format!("{here}/{i}/{}", escape_pointer(inner)),
                    format!("`{inner}` is not a property of {}", REVIEWER.name),
                    Some(help(inner, REVIEWER)),
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
            ("accessReviewScheduleDefinition", &DEFINITION_PROPERTIES[..]),
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
