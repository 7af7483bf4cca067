//! Findings as data: what the target got wrong, where (a typed location), what was expected
//! and what came back. The text report renders them; JSON and JUnit reports can read them.

use std::fmt;

/// A stored object read back after the request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "object", content = "name", rename_all = "snake_case")]
pub enum StateObject {
    /// The instance the request addressed.
    Instance,
    /// Its parent definition.
    Definition,
    /// Another seeded instance, by its symbol in the case.
    Sibling(String),
}

/// Where a finding is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Location {
    /// The response status.
    Status,
    /// A response header (lower-case name).
    Header {
        /// The header's name.
        name: String,
    },
    /// The target took the request but gave no complete answer.
    Answer,
    /// The response body is not JSON.
    BodyNotJson,
    /// The body breaks a JSON Schema, at a JSON pointer into the body.
    Schema {
        /// The schema's name.
        schema: String,
        /// Where in the body (`""` for the root).
        pointer: String,
    },
    /// The response body, at a JSONPath (`$.fallbackReviewers[1].query`).
    Body {
        /// The JSONPath.
        path: String,
    },
    /// An object could not be read back after the request.
    ReadBack {
        /// Which object.
        object: StateObject,
        /// The URL read.
        url: String,
    },
    /// An object read back after the request, at a JSONPath.
    After {
        /// Which object.
        object: StateObject,
        /// The JSONPath.
        path: String,
    },
    /// A `repeat` case in which no request was answered 200.
    NoneAcknowledged,
    /// The effect of one acknowledged copy of a `repeat` request, on the instance afterwards.
    Acknowledged {
        /// Which copy (from 0).
        request: usize,
        /// The JSONPath.
        path: String,
    },
    /// A fact of the trial's behaviour that differs from a target profile (`--profile`).
    Behaviour {
        /// The fact (`status`, `error.code`, `body.properties`, …).
        fact: String,
    },
}

/// How much a finding weighs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A divergence: the target differs from the reference behaviour where the page is silent.
    Divergence,
    /// A failure: the target breaks what the page says.
    Failure,
}

/// One thing the target got wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// A failure (the page) or a divergence (the reference behaviour).
    pub severity: Severity,
    /// For `repeat` cases: which copy of the request the answer belongs to.
    pub request: Option<usize>,
    /// Where.
    pub location: Location,
    /// What was expected.
    pub expected: String,
    /// What came back.
    pub actual: String,
    /// The rules it breaks (ids in `cases/rules.yaml`; set when the trial is verified).
    pub rules: Vec<String>,
    /// When it only follows from an earlier finding of the trial (a body check after a wrong
    /// status, anything after a missing answer): that finding's index. A consequence is shown
    /// under its cause and does not count against its rules.
    pub consequence_of: Option<usize>,
}

impl Finding {
    /// A finding about the single request (or the state afterwards).
    pub fn new(
        location: Location,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Finding {
        Finding {
            severity: Severity::Failure,
            request: None,
            location,
            expected: expected.into(),
            actual: actual.into(),
            rules: Vec::new(),
            consequence_of: None,
        }
    }

    /// What was checked, for people: `status`, `response body`, `schema NAME`,
    /// `instance afterwards`, … (prefixed `request #k: ` for a copy of a `repeat` request).
    pub fn subject(&self) -> String {
        let object = |o: &StateObject| match o {
            StateObject::Instance => "instance afterwards".to_string(),
            StateObject::Definition => "definition afterwards".to_string(),
            StateObject::Sibling(name) => format!("sibling `{name}` afterwards"),
        };
        let subject = match &self.location {
            Location::Status => "status".to_string(),
            Location::Header { .. } => "headers".to_string(),
            Location::Answer => "response".to_string(),
            Location::BodyNotJson | Location::Body { .. } => "response body".to_string(),
            Location::Schema { schema, .. } => format!("schema {schema}"),
            Location::ReadBack { object: o, .. } | Location::After { object: o, .. } => object(o),
            Location::NoneAcknowledged => "acknowledged requests".to_string(),
            Location::Acknowledged { request, .. } => {
                format!("effect of acknowledged request #{request} afterwards")
            }
            Location::Behaviour { .. } => "behaviour".to_string(),
        };
        match self.request {
            Some(k) => format!("request #{k}: {subject}"),
            None => subject,
        }
    }

    /// Whether `later` only follows from this finding: after a wrong status or no complete
    /// answer, the body, its schema, another status and the values read back for the same
    /// request (for a single request, the state afterwards too) — not a header, and not a
    /// read that failed, which stand on their own; after a body that is not JSON, every check
    /// of that body.
    pub fn causes(&self, later: &Finding) -> bool {
        if self.request != later.request {
            return false;
        }
        match self.location {
            Location::Status | Location::Answer => !matches!(
                later.location,
                Location::Header { .. } | Location::ReadBack { .. }
            ),
            Location::BodyNotJson => matches!(
                later.location,
                Location::BodyNotJson | Location::Schema { .. } | Location::Body { .. }
            ),
            // Held to a profile: another status (or none) changes what the answer holds, not
            // the headers of note or what is read back.
            Location::Behaviour { ref fact } if fact == "status" || fact == "answer" => {
                matches!(&later.location, Location::Behaviour { fact: f }
                    if f != "headers" && !f.starts_with("read-back"))
            }
            _ => false,
        }
    }

    /// Where, for people: `status`, `header NAME`, a JSONPath, a JSON pointer, `GET URL`.
    pub fn path(&self) -> String {
        match &self.location {
            Location::Status | Location::NoneAcknowledged => "status".into(),
            Location::Header { name } => format!("header {name}"),
            Location::Answer | Location::BodyNotJson => "$".into(),
            Location::Schema { pointer, .. } if pointer.is_empty() => "/".into(),
            Location::Schema { pointer, .. } => pointer.clone(),
            Location::Body { path }
            | Location::After { path, .. }
            | Location::Acknowledged { path, .. } => path.clone(),
            Location::ReadBack { url, .. } => format!("GET {url}"),
            Location::Behaviour { fact } => fact.clone(),
        }
    }
}

/// A finding as one line: `subject: path: expected E, got A`, or for a divergence `subject:
/// path: the reference behaviour is E; the target gave A`. Every output that shows a finding
/// on one line (terminal, JUnit, Markdown, expectations) writes it with this.
pub fn one_line(
    severity: Severity,
    subject: &str,
    path: &str,
    expected: &str,
    actual: &str,
) -> String {
    // Where the location is the subject itself (`status`), it is said once.
    let at = if path == subject || subject.ends_with(&format!(": {path}")) {
        subject.to_string()
    } else {
        format!("{subject}: {path}")
    };
    match severity {
        // Held to a target profile (`--profile`), the profile stands for the reference.
        Severity::Divergence if subject == "behaviour" => {
            format!("{at}: the profile records {expected}; the target gave {actual}")
        }
        Severity::Divergence => {
            format!("{at}: the reference behaviour is {expected}; the target gave {actual}")
        }
        Severity::Failure => format!("{at}: expected {expected}, got {actual}"),
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&one_line(
            self.severity,
            &self.subject(),
            &self.path(),
            &self.expected,
            &self.actual,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Location::Status, None, "status: expected e, got a")]
    #[case(Location::Header { name: "request-id".into() }, None, "headers: header request-id: expected e, got a")]
    #[case(Location::Schema { schema: "graphError".into(), pointer: String::new() }, None, "schema graphError: /: expected e, got a")]
    #[case(Location::Body { path: "$.status".into() }, Some(2), "request #2: response body: $.status: expected e, got a")]
    #[case(Location::After { object: StateObject::Sibling("s".into()), path: "$.x".into() }, None, "sibling `s` afterwards: $.x: expected e, got a")]
    #[case(Location::ReadBack { object: StateObject::Definition, url: "http://x/d".into() }, None, "definition afterwards: GET http://x/d: expected e, got a")]
    #[case(Location::Acknowledged { request: 3, path: "$".into() }, None, "effect of acknowledged request #3 afterwards: $: expected e, got a")]
    #[case(Location::Behaviour { fact: "error.code".into() }, None, "behaviour: error.code: expected e, got a")]
    fn renders_subject_and_path(
        #[case] location: Location,
        #[case] request: Option<usize>,
        #[case] text: &str,
    ) {
        let mut f = Finding::new(location, "e", "a");
        f.request = request;
        assert_eq!(f.to_string(), text);
    }
}
