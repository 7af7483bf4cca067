//! The JSON Schemas under `schemas/`: one registry, every schema compiled once.

use std::collections::BTreeMap;

use jsonschema::{Draft, Registry, Validator};
use serde_json::Value;

use crate::load::files::InputFile;

const BASE: &str = "file:///accessreview-conformance/schemas/";
const SUFFIX: &str = ".schema.json";

/// Why the schema set could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A schema file is not JSON.
    #[error("{path}: not valid JSON: {source}")]
    Json {
        /// The file.
        path: String,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// A schema file is not text.
    #[error("{path}: {why}")]
    NotText {
        /// The file.
        path: String,
        /// Why.
        why: crate::load::files::NotText,
    },
    /// The registry refused a schema (bad URI, bad `$ref`).
    #[error("schemas: {0}")]
    Registry(String),
    /// A schema does not compile.
    #[error("{path}: does not compile: {message}")]
    Compile {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// One way an instance breaks a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into the instance (`""` for the root).
    pub instance_path: String,
    /// What is wrong.
    pub message: String,
    /// Where the failing keyword sits (`file#/pointer`), if known.
    pub keyword_location: Option<String>,
    /// For `additionalProperties`: the properties that were not expected.
    pub unexpected: Vec<String>,
}

/// Every schema of a `schemas/` folder, compiled.
pub struct SchemaSet {
    validators: BTreeMap<String, Validator>,
    documents: BTreeMap<String, Value>,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaSet")
            .field("schemas", &self.names())
            .finish()
    }
}

impl SchemaSet {
    /// Compiles every `*.schema.json` among `files`, with `$ref`s between them resolved
    /// offline: a dangling reference is an error here, never a download.
    pub fn build(files: &[InputFile]) -> Result<SchemaSet, SchemaError> {
        let mut documents = BTreeMap::new();
        for f in files.iter().filter(|f| f.rel.ends_with(SUFFIX)) {
            if let Some(why) = f.not_text {
                return Err(SchemaError::NotText {
                    path: f.display.clone(),
                    why,
                });
            }
            let doc: Value = serde_json::from_str(&f.text).map_err(|source| SchemaError::Json {
                path: f.display.clone(),
                source,
            })?;
            documents.insert(f.rel.clone(), doc);
        }
        let mut validators = BTreeMap::new();
        {
            let registry = Registry::new()
                .draft(Draft::Draft202012)
                .extend(
                    documents
                        .iter()
                        .map(|(rel, doc)| (format!("{BASE}{rel}"), doc)),
                )
                .map_err(|e| SchemaError::Registry(e.to_string()))?
                .prepare()
                .map_err(|e| SchemaError::Registry(e.to_string()))?;
            for (rel, doc) in &documents {
                let validator = jsonschema::draft202012::options()
                    .with_registry(&registry)
                    .with_base_uri(format!("{BASE}{rel}"))
                    .offline()
                    .should_validate_formats(true)
                    .build(doc)
                    .map_err(|e| SchemaError::Compile {
                        path: rel.clone(),
                        message: e.to_string(),
                    })?;
                let name = rel
                    .trim_end_matches(SUFFIX)
                    .rsplit('/')
                    .next()
                    .unwrap_or(rel)
                    .to_string();
                validators.insert(name, validator);
            }
        }
        let documents = documents
            .into_iter()
            .map(|(rel, doc)| (rel.rsplit('/').next().unwrap_or(&rel).to_string(), doc))
            .collect();
        Ok(SchemaSet {
            validators,
            documents,
        })
    }

    /// The schema names (file names without `.schema.json`).
    pub fn names(&self) -> Vec<&str> {
        self.validators.keys().map(String::as_str).collect()
    }

    /// True when a schema of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.validators.contains_key(name)
    }

    /// Every violation of schema `name` by `instance`; `None` when there is no such schema.
    pub fn validate(&self, name: &str, instance: &Value) -> Option<Vec<Violation>> {
        let validator = self.validators.get(name)?;
        // The common case, a valid answer, without collecting errors (much cheaper).
        if validator.is_valid(instance) {
            return Some(Vec::new());
        }
        Some(
            validator
                .iter_errors(instance)
                .map(|e| {
                    let unexpected = match e.kind() {
                        jsonschema::error::ValidationErrorKind::AdditionalProperties {
                            unexpected,
                        } => unexpected.clone(),
                        _ => Vec::new(),
                    };
                    Violation {
                        instance_path: e.instance_path().as_str().to_string(),
                        message: e.to_string(),
                        keyword_location: e
                            .absolute_keyword_location()
                            .map(|u| u.as_str().trim_start_matches(BASE).to_string()),
                        unexpected,
                    }
                })
                .collect(),
        )
    }

    /// For an `additionalProperties` violation: the property names the object allows.
    pub fn allowed_properties(&self, violation: &Violation) -> Vec<String> {
        let Some(loc) = &violation.keyword_location else {
            return Vec::new();
        };
        let Some((file, pointer)) = loc.split_once('#') else {
            return Vec::new();
        };
        let parent = pointer
            .strip_suffix("/additionalProperties")
            .unwrap_or(pointer);
        self.documents
            .get(file)
            .and_then(|doc| doc.pointer(parent))
            .and_then(|node| node.get("properties"))
            .and_then(Value::as_object)
            .map(|props| props.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(rel: &str, doc: Value) -> InputFile {
        InputFile::text(rel, format!("schemas/{rel}"), doc.to_string())
    }

    #[test]
    fn refs_between_files_resolve_and_errors_have_paths() {
        let set = SchemaSet::build(&[
            file("a.schema.json", json!({"type": "object", "properties": {"b": {"$ref": "b.schema.json"}}, "additionalProperties": false})),
            file("b.schema.json", json!({"type": "integer"})),
        ])
        .unwrap();
        assert_eq!(set.names(), ["a", "b"]);
        assert_eq!(set.validate("a", &json!({"b": 1})).unwrap(), vec![]);
        let v = set.validate("a", &json!({"b": "x", "c": 1})).unwrap();
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v.iter().any(|e| e.instance_path == "/b"));
        let extra = v.iter().find(|e| !e.unexpected.is_empty()).unwrap();
        assert_eq!(extra.unexpected, ["c"]);
        assert_eq!(set.allowed_properties(extra), ["b"]);
        assert!(set.validate("nope", &json!(1)).is_none());
    }

    #[test]
    fn dangling_ref_fails_at_build_time() {
        let err = SchemaSet::build(&[file(
            "a.schema.json",
            json!({"$ref": "missing.schema.json"}),
        )])
        .unwrap_err();
        assert!(err.to_string().contains("missing.schema.json"), "{err}");
    }
}
