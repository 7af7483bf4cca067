//! Refusals as Graph error bodies, and `@odata.context` URLs.

use std::time::SystemTime;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, json};

use crate::core::answer::{RequestIds, json_response};
use crate::core::refusal::Refusal;
use crate::core::store::graph_time;

/// A Graph error body for a refusal.
pub(crate) fn graph_error(refusal: &Refusal, ids: Option<&RequestIds>) -> Response {
    let mut inner = Map::new();
    if let Some(details) = &refusal.details {
        inner.insert("message".into(), json!(details));
    }
    inner.insert("date".into(), json!(graph_time(SystemTime::now())));
    if let Some(ids) = ids {
        inner.insert("request-id".into(), json!(ids.request_id));
        inner.insert("client-request-id".into(), json!(ids.client_request_id));
    }
    let body =
        json!({"error": {"code": refusal.code, "message": refusal.message, "innerError": inner}});
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &body)
}

/// `http://{host}/beta/$metadata#{path}`.
pub(crate) fn context_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/beta/$metadata#{path}")
}

/// The `@odata.context` of one instance of `definition`.
pub(crate) fn instance_context(headers: &HeaderMap, definition: &str) -> String {
    context_url(
        headers,
        &format!("identityGovernance/accessReviews/definitions('{definition}')/instances/$entity"),
    )
}
