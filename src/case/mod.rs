//! The case model: one behaviour of the API — starting state, request, expectations — and
//! its expansion into trials (matrix rows × update methods).

pub mod attribution;
pub mod finding;
mod fixture;
pub mod matching;
mod principals;
pub mod query;
mod rendered;
pub mod rules;
mod snapshot;
pub mod template;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::case::attribution::Attribution;
pub use crate::case::finding::Severity;
pub use crate::case::fixture::Fixture;
use crate::case::matching::Matcher;
pub use crate::case::rendered::{GivenObject, RenderedFixture};
pub use crate::case::snapshot::{Snapshot, state_of};
use crate::case::template::{Text, Tree};

/// One case file, loaded and checked.
#[derive(Debug)]
pub struct Case {
    /// Stable id: the path below `cases/` without `.yaml` (e.g. `fallback-reviewers/add-one`).
    pub id: String,
    /// The file it came from, as shown to users (the text and its position index are dropped
    /// once the case is loaded: a run keeps only what it needs).
    pub file: String,
    /// The behaviour it verifies.
    pub description: String,
    /// The rule ids it verifies.
    pub rules: Vec<String>,
    /// When set, the case is reported as ignored with this reason.
    pub skip: Option<String>,
    /// Matrix keys and their values, in file order.
    pub matrix: Vec<(String, Vec<Value>)>,
    /// The starting state.
    pub given: Given,
    /// The request.
    pub when: When,
    /// What the page requires (failures), or — for a case that cites only inferred rules —
    /// the reference behaviour (divergences); see [`Case::then_severity`].
    pub then: Then,
    /// The reference behaviour where the page is silent: broken, it is a divergence.
    pub reference: Option<Reference>,
    /// Whether breaking `then` is a failure (the case cites a documented rule) or a divergence.
    pub then_severity: Severity,
    /// The rules `then` stands for, and what checks each (which rule a finding breaks).
    pub then_rules: Attribution,
}

/// Expectations the page does not state: what the reference behaviour is, and the inferred
/// rules it stands for.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The inferred rules (ids in `cases/rules.yaml`).
    pub rules: Vec<String>,
    /// The expectations.
    pub then: Then,
    /// The same rules with what checks each (which rule a finding breaks).
    pub attribution: Attribution,
}

/// The starting state: the main definition (symbol `definition`) first, then others.
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// One fixture per definition; seeded in this order.
    pub fixtures: Vec<Fixture>,
}

impl Given {
    /// The symbol of the instance a request targets by default.
    pub fn first_instance(&self) -> Option<&str> {
        self.fixtures
            .first()
            .and_then(|f| f.instances.first())
            .map(|(n, _)| n.as_str())
    }

    /// Every symbol (definitions and instances).
    pub fn symbols(&self) -> impl Iterator<Item = &str> {
        self.fixtures.iter().flat_map(|f| {
            std::iter::once(f.name.as_str()).chain(f.instances.iter().map(|(n, _)| n.as_str()))
        })
    }
}

/// The request body.
#[derive(Debug, Clone, Default)]
pub enum RequestBody {
    /// No body.
    #[default]
    None,
    /// A JSON body (templates parsed).
    Json(Tree),
    /// Bytes sent as written.
    Raw(String),
}

/// Which credentials a request carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Auth {
    /// The run's token (`--token`).
    #[default]
    Default,
    /// No `Authorization` header.
    None,
    /// A restricted credential (`--credential NAME=TOKEN`); the trial is skipped on targets
    /// that have none of that name.
    Credential(crate::target::credential::Credential),
}

/// The request of a case.
#[derive(Debug, Clone)]
pub struct When {
    /// Which credentials to send.
    pub auth: Auth,
    /// An explicit method; `None` means the configured update method(s).
    pub method: Option<String>,
    /// The definition id in the path.
    pub definition: Text,
    /// The instance id in the path.
    pub instance: Text,
    /// Headers to set (`None` drops the header).
    pub headers: Vec<(String, Option<Text>)>,
    /// The body.
    pub body: RequestBody,
    /// How many copies of the request to send at once (1 unless the case says `repeat`).
    pub repeat: usize,
    /// For `repeat` cases: per key, one value for each copy (`${each.KEY}` in that copy).
    pub each: Vec<(String, Vec<Text>)>,
}

/// An expected status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusExpectation {
    /// Exactly this code.
    Code(u16),
    /// Any of these codes or classes (`[200, 4xx]`).
    AnyOf(Vec<StatusExpectation>),
    /// Any code of this class (4 for 4xx).
    Class(u16),
}

impl StatusExpectation {
    /// True when `status` satisfies the expectation.
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            StatusExpectation::Code(c) => *c == status,
            StatusExpectation::AnyOf(s) => s.iter().any(|e| e.accepts(status)),
            StatusExpectation::Class(c) => status / 100 == *c,
        }
    }
}

impl std::fmt::Display for StatusExpectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusExpectation::Code(c) => write!(f, "{c}"),
            StatusExpectation::AnyOf(s) => {
                let list: Vec<String> = s.iter().map(ToString::to_string).collect();
                write!(f, "one of {}", list.join(", "))
            }
            StatusExpectation::Class(c) => write!(f, "{c}xx"),
        }
    }
}

/// What must come back and hold afterwards.
#[derive(Debug, Clone)]
pub struct Then {
    /// The status (always set in `then`; optional in `reference`).
    pub status: Option<StatusExpectation>,
    /// The schema the body must satisfy.
    pub schema: Option<String>,
    /// Response headers (lower-cased names) and their matchers.
    pub headers: Vec<(String, Matcher)>,
    /// The expected body.
    pub body: Option<Matcher>,
    /// State read back afterwards.
    pub afterwards: Afterwards,
    /// For `repeat` cases: what must hold on the instance afterwards for each request that
    /// was answered 200 (checked with that request's `${new.*}` values).
    pub acknowledged: Option<Matcher>,
}

/// Expectations on the state read back after the request.
#[derive(Debug, Clone, Default)]
pub struct Afterwards {
    /// The targeted instance (GET must answer 200).
    pub instance: Option<Matcher>,
    /// The parent definition.
    pub definition: Option<Matcher>,
    /// Every other seeded instance.
    pub siblings: Option<Matcher>,
}

/// The update methods a run sends for cases without an explicit method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMethod {
    /// `PUT`, as in the page's HTTP section.
    Put,
    /// `PATCH`, as every SDK and the OpenAPI description send it (the page documents PUT
    /// only: a PATCH trial is held to the inferred rule `http-method-patch`).
    Patch,
    /// Both: each case runs twice.
    Both,
}

impl UpdateMethod {
    /// Every setting, with its name and what it means (for `--help`).
    pub const ALL: [(UpdateMethod, &'static str, &'static str); 3] = [
        (
            UpdateMethod::Put,
            "put",
            "`PUT`, as in the page's HTTP section",
        ),
        (
            UpdateMethod::Patch,
            "patch",
            "`PATCH`, as every SDK sends it; the page documents PUT only, so a PATCH trial of a case that does not name its method is held to the inferred rule http-method-patch (its findings are divergences)",
        ),
        (UpdateMethod::Both, "both", "Both: each case runs twice"),
    ];

    /// The HTTP methods this setting sends.
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            UpdateMethod::Put => &["PUT"],
            UpdateMethod::Patch => &["PATCH"],
            UpdateMethod::Both => &["PUT", "PATCH"],
        }
    }
}

/// The method the page documents (its HTTP request section and its example request).
pub const DOCUMENTED_METHOD: &str = "PUT";

/// The inferred rule a trial sending another method than the page's is held to.
pub const OTHER_METHOD_RULE: &str = "http-method-patch";

/// One run of a case: a matrix row and a method.
#[derive(Debug, Clone)]
pub struct TrialSpec {
    /// Stable name: `{case id}[k=v,…]::{method}`.
    pub name: String,
    /// The case.
    pub case: Arc<Case>,
    /// This trial's matrix values.
    pub row: Map<String, Value>,
    /// The HTTP method to send.
    pub method: String,
}

fn show_matrix_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl TrialSpec {
    /// Whether the page documents what this trial sends: the page's method, or a case about
    /// the method itself (it names its method and cites the rules for it).
    pub fn method_documented(&self) -> bool {
        self.case.when.method.is_some() || self.method.eq_ignore_ascii_case(DOCUMENTED_METHOD)
    }

    /// How breaking the case's `then` weighs in this trial: the case's own weight, but a
    /// divergence when the trial sends a method the page does not document.
    pub fn then_severity(&self) -> Severity {
        if self.method_documented() {
            self.case.then_severity
        } else {
            Severity::Divergence
        }
    }

    /// The rules this trial verifies: the case's, and `http-method-patch` when the trial
    /// sends a method the page does not document.
    pub fn cited_rules(&self) -> Vec<&str> {
        let mut cited = self.case.cited_rules();
        if !self.method_documented() && !cited.contains(&OTHER_METHOD_RULE) {
            cited.push(OTHER_METHOD_RULE);
        }
        cited
    }

    /// The inferred rules this trial exercises (what a target profile records and holds it
    /// to): the case's own when its `then` is inferred, its reference's, and
    /// `http-method-patch` when it sends a method the page does not document.
    pub fn inferred_rules(&self) -> Vec<String> {
        let own = (self.case.then_severity == Severity::Divergence).then_some(&self.case.rules);
        let reference = self.case.reference.iter().map(|r| &r.rules);
        let mut out: Vec<String> = Vec::new();
        for id in own.into_iter().chain(reference).flatten() {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
        if !self.method_documented() && !out.iter().any(|r| r == OTHER_METHOD_RULE) {
            out.push(OTHER_METHOD_RULE.to_string());
        }
        out
    }
}

impl Case {
    /// The rules the case verifies: its own, then its reference's, each once.
    pub fn cited_rules(&self) -> Vec<&str> {
        let reference = self.reference.iter().flat_map(|r| r.rules.iter());
        let mut cited: Vec<&str> = Vec::new();
        for id in self.rules.iter().chain(reference) {
            if !cited.contains(&id.as_str()) {
                cited.push(id);
            }
        }
        cited
    }

    /// Every matrix row (one empty row without a matrix).
    pub fn rows(&self) -> Vec<Map<String, Value>> {
        let mut rows = vec![Map::new()];
        for (key, values) in &self.matrix {
            rows = rows
                .into_iter()
                .flat_map(|row| {
                    values.iter().map(move |v| {
                        let mut r = row.clone();
                        r.insert(key.clone(), v.clone());
                        r
                    })
                })
                .collect();
        }
        rows
    }

    /// The trials of this case for the configured update method.
    pub fn trials(self: &Arc<Self>, update: UpdateMethod) -> Vec<TrialSpec> {
        let methods: Vec<String> = match &self.when.method {
            Some(m) => vec![m.clone()],
            None => update.methods().iter().map(|m| m.to_string()).collect(),
        };
        let mut out = Vec::new();
        for row in self.rows() {
            let suffix = if row.is_empty() {
                String::new()
            } else {
                let parts: Vec<String> = row
                    .iter()
                    .map(|(k, v)| format!("{k}={}", show_matrix_value(v)))
                    .collect();
                format!("[{}]", parts.join(","))
            };
            for m in &methods {
                out.push(TrialSpec {
                    name: format!("{}{suffix}::{}", self.id, m.to_ascii_lowercase()),
                    case: Arc::clone(self),
                    row: row.clone(),
                    method: m.clone(),
                });
            }
        }
        out
    }
}
