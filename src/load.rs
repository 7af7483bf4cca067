//! Loading a case folder: the rule catalogue, named states, principals and every case file,
//! each case checked against `schemas/case.schema.json` and against the catalogue. A broken
//! case yields diagnostics for that case alone; the others still load.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::case::{Afterwards, Auth, Case, Given, RequestBody, StatusExpectation, Then, When};
use crate::files::InputFile;
use crate::given::{fixture, merge_given, object};
use crate::matching::Matcher;
use crate::rules::Catalogue;
use crate::schema::SchemaSet;
use crate::source::{Diagnostic, SourceFile, did_you_mean, escape_pointer};
use crate::template::{Expr, FORMS, Template, for_each_template};

/// The catalogue of rules, at the root of the case folder.
pub const RULES_FILE: &str = "rules.yaml";
/// Named reusable starting states.
pub const STATES_FILE: &str = "states.yaml";
/// Principal names and their default object ids.
pub const PRINCIPALS_FILE: &str = "principals.yaml";

/// A loaded case folder.
#[derive(Debug)]
pub struct Suite {
    /// The rule catalogue.
    pub rules: Catalogue,
    /// Principal names to object ids.
    pub principals: HashMap<String, String>,
    /// Every case file, loaded or broken, in path order.
    pub cases: Vec<LoadedCase>,
}

impl Suite {
    /// Every trial of the loaded cases for an update method, in case order.
    pub fn trials(&self, update: crate::case::UpdateMethod) -> Vec<crate::case::TrialSpec> {
        self.cases
            .iter()
            .filter_map(|c| match c {
                LoadedCase::Ok(case) => Some(case.trials(update)),
                LoadedCase::Broken(_) => None,
            })
            .flatten()
            .collect()
    }
}

/// One case file's outcome of loading.
#[derive(Debug)]
pub enum LoadedCase {
    /// Ready to run.
    Ok(Arc<Case>),
    /// Could not be loaded: what is wrong, pointing into the file.
    Broken(BrokenCase),
}

/// A case file that could not be loaded.
#[derive(Debug, Clone)]
pub struct BrokenCase {
    /// The id the case would have had.
    pub id: String,
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Why a whole case folder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A shared file (rules, states, principals) is missing.
    #[error("{0} is missing from the case folder")]
    Missing(&'static str),
    /// A shared file is broken.
    #[error("{0}")]
    Broken(Box<Diagnostic>),
    /// No `case` schema in the schema set.
    #[error("the schema set has no `case` schema (schemas/case.schema.json)")]
    NoCaseSchema,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatesFile {
    states: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrincipalsFile {
    principals: HashMap<String, String>,
}

fn yaml_diagnostic(file: &SourceFile, err: &serde_yaml::Error) -> Diagnostic {
    let span = err.location().map(|l| {
        let pos = crate::source::Pos {
            line: l.line(),
            col: l.column(),
        };
        crate::source::Span {
            start: pos,
            end: pos,
        }
    });
    let message = err.to_string();
    // The location is shown separately; keep the message short.
    static TRAILING_LOCATION: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r" at line \d+ column \d+$").expect("a constant regex compiles")
    });
    let message = TRAILING_LOCATION.replace(&message, "").into_owned();
    file.diagnostic(span, message)
}

/// Reads a principals file (`principals: {name: object-id}`): the shipped one, or a target's
/// mapping given with `--principals`.
pub fn parse_principals(f: &InputFile) -> Result<HashMap<String, String>, SuiteError> {
    Ok(parse_typed::<PrincipalsFile>(f)?.principals)
}

fn parse_typed<T: serde::de::DeserializeOwned>(f: &InputFile) -> Result<T, SuiteError> {
    if let Some(why) = f.not_text {
        return Err(SuiteError::Broken(Box::new(Diagnostic::file(
            f.display.clone(),
            why.to_string(),
        ))));
    }
    serde_yaml::from_str(&f.text).map_err(|e| {
        let src = SourceFile::new(f.display.clone(), f.text.clone());
        SuiteError::Broken(Box::new(yaml_diagnostic(&src, &e)))
    })
}

/// Loads a case folder. `principal_overrides` (from `--principals`) replace the shipped ids.
pub fn load_suite(
    files: &[InputFile],
    schemas: &SchemaSet,
    principal_overrides: Option<HashMap<String, String>>,
) -> Result<Suite, SuiteError> {
    let find = |name: &'static str| {
        files
            .iter()
            .find(|f| f.rel == name)
            .ok_or(SuiteError::Missing(name))
    };
    let rules: Catalogue = parse_typed(find(RULES_FILE)?)?;
    let states = match files.iter().find(|f| f.rel == STATES_FILE) {
        Some(f) => parse_typed::<StatesFile>(f)?.states,
        None => Map::new(),
    };
    let mut principals = match files.iter().find(|f| f.rel == PRINCIPALS_FILE) {
        Some(f) => parse_principals(f)?,
        None => HashMap::new(),
    };
    if let Some(overrides) = principal_overrides {
        principals.extend(overrides);
    }
    if !schemas.contains("case") {
        return Err(SuiteError::NoCaseSchema);
    }
    let ctx = LoadContext {
        rules: &rules,
        states: &states,
        principals: &principals,
        schemas,
    };
    let cases = files
        .iter()
        .filter(|f| is_case_file(&f.rel))
        .map(|f| match ctx.load_case(f) {
            Ok(case) => LoadedCase::Ok(Arc::new(case)),
            Err(diagnostics) => LoadedCase::Broken(BrokenCase {
                id: case_id(&f.rel),
                diagnostics,
            }),
        })
        .collect();
    Ok(Suite {
        rules,
        principals,
        cases,
    })
}

/// True for a file that holds a case (a `.yaml` file other than the shared ones).
pub fn is_case_file(rel: &str) -> bool {
    (rel.ends_with(".yaml") || rel.ends_with(".yml"))
        && ![RULES_FILE, STATES_FILE, PRINCIPALS_FILE].contains(&rel)
}

/// The stable id of a case: its path without the extension.
pub fn case_id(rel: &str) -> String {
    rel.trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .to_string()
}

struct LoadContext<'a> {
    rules: &'a Catalogue,
    states: &'a Map<String, Value>,
    principals: &'a HashMap<String, String>,
    schemas: &'a SchemaSet,
}

/// Collects diagnostics for one file.
struct Problems<'a> {
    file: &'a SourceFile,
    list: Vec<Diagnostic>,
}

impl Problems<'_> {
    fn at(&mut self, pointer: &str, message: impl Into<String>, help: Option<String>) {
        let mut d = self.file.diagnostic(self.file.span_near(pointer), message);
        d.help = help;
        self.list.push(d);
    }

    fn at_key(&mut self, pointer: &str, message: impl Into<String>, help: Option<String>) {
        let mut d = self.file.diagnostic(self.file.key_span(pointer), message);
        d.help = help;
        self.list.push(d);
    }
}

impl LoadContext<'_> {
    fn load_case(&self, f: &InputFile) -> Result<Case, Vec<Diagnostic>> {
        if let Some(why) = f.not_text {
            let d = Diagnostic::file(f.display.clone(), why.to_string())
                .with_help("a case file is YAML text in UTF-8 (see cases/README.md)");
            return Err(vec![d]);
        }
        let file = Arc::new(SourceFile::new(f.display.clone(), f.text.clone()));
        let doc: Value = match serde_yaml::from_str(&f.text) {
            Ok(v) => v,
            Err(e) => return Err(vec![yaml_diagnostic(&file, &e)]),
        };
        let mut p = Problems {
            file: &file,
            list: Vec::new(),
        };
        if doc.is_null() {
            p.at(
                "",
                "the case file is empty",
                Some("a case needs description, rules, when and then".into()),
            );
            return Err(p.list);
        }
        for v in self.schemas.validate("case", &doc).unwrap_or_default() {
            if v.unexpected.is_empty() {
                p.at(&v.instance_path, v.message, None);
                continue;
            }
            let allowed = self.schemas.allowed_properties(&v);
            for key in &v.unexpected {
                let pointer = format!("{}/{}", v.instance_path, escape_pointer(key));
                let help = match did_you_mean(key, allowed.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`? (valid here: {})", allowed.join(", ")),
                    None => format!("valid here: {}", allowed.join(", ")),
                };
                p.at_key(&pointer, format!("unknown key `{key}`"), Some(help));
            }
        }
        if !p.list.is_empty() {
            return Err(p.list);
        }
        let case = self.build(f, Arc::clone(&file), &doc, &mut p);
        if p.list.is_empty() {
            Ok(case.expect("no problems means a case"))
        } else {
            Err(p.list)
        }
    }

    /// Builds the model from a schema-valid document, reporting what the schema cannot see.
    fn build(
        &self,
        f: &InputFile,
        source: Arc<SourceFile>,
        doc: &Value,
        p: &mut Problems<'_>,
    ) -> Option<Case> {
        // Rules.
        let rules: Vec<String> = doc["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        for (i, r) in rules.iter().enumerate() {
            if self.rules.get(r).is_none() {
                let help = match did_you_mean(r, self.rules.ids()) {
                    Some(s) => {
                        format!("did you mean `{s}`? (rule ids are listed in cases/rules.yaml)")
                    }
                    None => "rule ids are listed in cases/rules.yaml".into(),
                };
                p.at(
                    &format!("/rules/{i}"),
                    format!("unknown rule `{r}`"),
                    Some(help),
                );
            }
        }
        let matrix: Vec<(String, Vec<Value>)> = object(doc.get("matrix"))
            .into_iter()
            .map(|(k, v)| (k, v.as_array().cloned().unwrap_or_default()))
            .collect();
        for (k, values) in &matrix {
            if values.is_empty() {
                p.at(
                    &format!("/matrix/{}", escape_pointer(k)),
                    format!("matrix key `{k}` has no values"),
                    Some("give a non-empty list of values".into()),
                );
            }
        }

        // Given: the named state, with the inline parts merged over it.
        let given_doc = doc
            .get("given")
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let mut merged = Value::Object(Map::new());
        if let Some(name) = given_doc.get("use").and_then(Value::as_str) {
            match self.states.get(name) {
                Some(state) => merge_given(&mut merged, state),
                None => {
                    let help = match did_you_mean(name, self.states.keys().map(String::as_str)) {
                        Some(s) => {
                            format!("did you mean `{s}`? (states are defined in cases/states.yaml)")
                        }
                        None => format!(
                            "states defined in cases/states.yaml: {}",
                            self.states.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    };
                    p.at("/given/use", format!("unknown state `{name}`"), Some(help));
                }
            }
        }
        let mut inline = given_doc.clone();
        if let Some(o) = inline.as_object_mut() {
            o.remove("use");
        }
        merge_given(&mut merged, &inline);
        let mut fixtures = vec![fixture("definition", &merged)];
        for (name, other) in object(merged.get("others")) {
            fixtures.push(fixture(&name, &other));
        }
        let given = Given { fixtures };
        let mut seen = HashSet::new();
        for f in &given.fixtures {
            for (name, inst) in &f.instances {
                let pointer = if f.name == "definition" {
                    format!("/given/instances/{name}")
                } else {
                    format!("/given/others/{}/instances/{name}", f.name)
                };
                if !matches!(inst.get("status"), Some(Value::String(_))) {
                    p.at(
                        &pointer,
                        format!("instance `{name}` has no status"),
                        Some("set `status:` (e.g. InProgress) here or in the named state".into()),
                    );
                }
            }
        }
        for s in given.symbols() {
            if !seen.insert(s.to_string()) {
                p.at("/given", format!("the name `{s}` is used twice"), Some("definitions and instances share one namespace; `definition` is the main definition".into()));
            }
        }

        // When.
        let when_doc = &doc["when"];
        let default_instance = given.first_instance().map(|n| format!("${{{n}.id}}"));
        let instance = match (
            when_doc.get("instance").and_then(Value::as_str),
            default_instance,
        ) {
            (Some(s), _) => s.to_string(),
            (None, Some(d)) => d,
            (None, None) => {
                p.at(
                    "/when",
                    "no instance to target",
                    Some("give an instance under given.instances, or set when.instance".into()),
                );
                String::new()
            }
        };
        let when = When {
            auth: match when_doc.get("auth").and_then(Value::as_str) {
                Some("none") => Auth::None,
                Some(name) => name.parse().map(Auth::Credential).unwrap_or(Auth::Default),
                None => Auth::Default,
            },
            repeat: when_doc.get("repeat").and_then(Value::as_u64).unwrap_or(1) as usize,
            method: when_doc
                .get("method")
                .and_then(Value::as_str)
                .map(str::to_string),
            definition: when_doc
                .get("definition")
                .and_then(Value::as_str)
                .unwrap_or("${definition.id}")
                .to_string(),
            instance,
            headers: object(when_doc.get("headers"))
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map(str::to_string)))
                .collect(),
            body: match (when_doc.get("body"), when_doc.get("raw_body")) {
                (Some(b), _) => RequestBody::Json(b.clone()),
                (None, Some(Value::String(r))) => RequestBody::Raw(r.clone()),
                _ => RequestBody::None,
            },
        };

        // Then.
        let then_doc = &doc["then"];
        // The case schema shapes these already; a replaced schema (--schemas) might not, so
        // the loader checks what it relies on itself.
        let status = match parse_status(&then_doc["status"]) {
            Some(s) => s,
            None => {
                p.at(
                    "/then/status",
                    "invalid status",
                    Some(
                        "a code 100-599 (200), a list of codes ([400, 409]) or a class (\"4xx\")"
                            .into(),
                    ),
                );
                StatusExpectation::Code(0)
            }
        };
        let schema = then_doc
            .get("schema")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Some(name) = &schema
            && !self.schemas.contains(name)
        {
            let names = self.schemas.names();
            let help = match did_you_mean(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? (schemas: {})", names.join(", ")),
                None => format!("schemas: {}", names.join(", ")),
            };
            p.at(
                "/then/schema",
                format!("unknown schema `{name}`"),
                Some(help),
            );
        }
        let mut matcher = |pointer: &str, v: Option<&Value>| -> Option<Matcher> {
            let v = v?;
            let mut errors = Vec::new();
            let m = Matcher::parse(v, pointer, &mut errors);
            for e in errors {
                p.at(&e.pointer, e.message, e.help);
            }
            Some(m)
        };
        let headers = object(then_doc.get("headers"))
            .iter()
            .filter_map(|(k, v)| {
                matcher(&format!("/then/headers/{}", escape_pointer(k)), Some(v))
                    .map(|m| (k.to_ascii_lowercase(), m))
            })
            .collect();
        let body = matcher("/then/body", then_doc.get("body"));
        let acknowledged = matcher("/then/acknowledged", then_doc.get("acknowledged"));
        let after = then_doc.get("afterwards");
        let afterwards = Afterwards {
            instance: matcher(
                "/then/afterwards/instance",
                after.and_then(|a| a.get("instance")),
            ),
            definition: matcher(
                "/then/afterwards/definition",
                after.and_then(|a| a.get("definition")),
            ),
            siblings: matcher(
                "/then/afterwards/siblings",
                after.and_then(|a| a.get("siblings")),
            ),
        };

        // Template names, everywhere.
        let symbols: HashSet<&str> = given.symbols().collect();
        let matrix_keys: HashSet<&str> = matrix.iter().map(|(k, _)| k.as_str()).collect();
        let check = |pointer: &str,
                     parsed: Result<Option<Template>, crate::template::TemplateError>,
                     in_given: bool,
                     report_syntax: bool,
                     p: &mut Problems<'_>| {
            let t = match parsed {
                Ok(Some(t)) => t,
                Ok(None) => return,
                Err(e) => {
                    if report_syntax {
                        p.at(
                            pointer,
                            e.to_string(),
                            Some(format!("template forms: {FORMS}")),
                        );
                    }
                    return;
                }
            };
            for e in t.exprs() {
                let problem = match e {
                    Expr::Id(_) | Expr::Given(_) if in_given => Some((
                        format!("`${{{e}}}` cannot be used in given"),
                        "ids exist only after seeding; use them in when and then".to_string(),
                    )),
                    Expr::Id(n) if !symbols.contains(n.as_str()) => Some((
                        format!("no definition or instance named `{n}`"),
                        suggestion(n, symbols.iter().copied(), "names given"),
                    )),
                    Expr::Given(path) if !symbols.contains(path[0].as_str()) => Some((
                        format!("no definition or instance named `{}`", path[0]),
                        suggestion(&path[0], symbols.iter().copied(), "names given"),
                    )),
                    Expr::Principal(n) if !self.principals.contains_key(n) => Some((
                        format!("no principal named `{n}`"),
                        suggestion(
                            n,
                            self.principals.keys().map(String::as_str),
                            "principals in cases/principals.yaml",
                        ),
                    )),
                    Expr::Matrix(k) if !matrix_keys.contains(k.as_str()) => Some((
                        format!("no matrix key `{k}`"),
                        suggestion(k, matrix_keys.iter().copied(), "matrix keys"),
                    )),
                    _ => None,
                };
                if let Some((message, help)) = problem {
                    p.at(pointer, message, Some(help));
                }
            }
        };
        for_each_template(&given_doc, "/given", &mut |ptr, t| {
            check(ptr, t, true, true, p)
        });
        for_each_template(when_doc, "/when", &mut |ptr, t| {
            check(ptr, t, false, true, p)
        });
        for_each_template(then_doc, "/then", &mut |ptr, t| {
            check(ptr, t, false, false, p)
        });

        if !p.list.is_empty() {
            return None;
        }
        Some(Case {
            id: case_id(&f.rel),
            source,
            description: doc["description"].as_str().unwrap_or_default().to_string(),
            rules,
            skip: doc.get("skip").and_then(Value::as_str).map(str::to_string),
            matrix,
            given,
            when,
            then: Then {
                status,
                schema,
                headers,
                body,
                afterwards,
                acknowledged,
            },
        })
    }
}

/// A status expectation: a code, a non-empty list of codes, or a class like `4xx`.
fn parse_status(v: &Value) -> Option<StatusExpectation> {
    let code = |v: &Value| {
        v.as_u64()
            .filter(|c| (100..=599).contains(c))
            .map(|c| c as u16)
    };
    match v {
        Value::Number(_) => code(v).map(StatusExpectation::Code),
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(code)
            .collect::<Option<Vec<u16>>>()
            .map(StatusExpectation::Set),
        Value::String(s) => match s.as_bytes() {
            [d @ b'1'..=b'5', b'x', b'x'] => Some(StatusExpectation::Class(u16::from(d - b'0'))),
            _ => None,
        },
        _ => None,
    }
}

fn suggestion<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str> + Clone,
    what: &str,
) -> String {
    let mut all: Vec<&str> = candidates.clone().collect();
    all.sort_unstable();
    match did_you_mean(word, candidates) {
        Some(s) => format!("did you mean `{s}`? ({what}: {})", all.join(", ")),
        None => format!("{what}: {}", all.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case(json!(200), Some(StatusExpectation::Code(200)))]
    #[case(json!([400, 409]), Some(StatusExpectation::Set(vec![400, 409])))]
    #[case(json!("4xx"), Some(StatusExpectation::Class(4)))]
    #[case(json!("5xx"), Some(StatusExpectation::Class(5)))]
    #[case(json!(""), None)]
    #[case(json!("6xx"), None)]
    #[case(json!("4XX"), None)]
    #[case(json!("é"), None)]
    #[case(json!(70000), None)]
    #[case(json!(-1), None)]
    #[case(json!(2.5), None)]
    #[case(json!([]), None)]
    #[case(json!([200, "x"]), None)]
    #[case(json!(null), None)]
    fn statuses(#[case] v: Value, #[case] expected: Option<StatusExpectation>) {
        assert_eq!(parse_status(&v), expected);
    }
}
