//! Decoding what a request asks for beyond its path: `$select`, and the Content-Type rule.

use axum::extract::Request;
use axum::http::{HeaderMap, header};

use crate::refusal::{Refusal, Why};
use crate::spec::Object;

/// The properties `$select` names (`None` without `$select`), from the raw query string.
pub(crate) fn selected(req: &Request) -> Option<Vec<String>> {
    let query = req.uri().query()?;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        let key = key.replace("%24", "$");
        (key == "$select").then(|| {
            value
                .replace("%2C", ",")
                .replace("%2c", ",")
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
    })
}

/// The object with only the `$select`ed properties (and its id), as OData answers.
pub(crate) fn project(mut object: Object, select: Option<&[String]>) -> Object {
    if let Some(fields) = select {
        object.retain(|k, _| k == "id" || fields.iter().any(|f| f == k));
    }
    object
}

/// The body must be sent as `application/json`.
pub(crate) fn json_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if json {
        Ok(())
    } else {
        // What Graph answers (microsoft-graph-docs-contrib#6337): 400 BadRequest, not 415.
        Err(Refusal::new(
            Why::UnsupportedMediaType,
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        ))
    }
}
