//! Answers as Graph shapes them: Graph error bodies, JSON with the OData content type, and
//! `@odata.context` URLs.

use std::time::SystemTime;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::refusal::Refusal;
use crate::spec::Object;
use crate::store::graph_time;

/// The ids of one request, set by the middleware and used in error bodies.
#[derive(Clone, Debug)]
pub struct RequestIds {
    /// A fresh id for this request.
    pub request_id: String,
    /// The client's `client-request-id`, or the request id.
    pub client_request_id: String,
}

impl RequestIds {
    /// The ids for a request with these headers.
    pub fn for_request(headers: &HeaderMap) -> RequestIds {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| request_id.clone());
        RequestIds {
            request_id,
            client_request_id,
        }
    }
}

/// A Graph error body for a refusal.
pub fn graph_error(refusal: &Refusal, ids: Option<&RequestIds>) -> Response {
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

/// A JSON answer with Graph's content type.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; odata.metadata=minimal; charset=utf-8"),
    );
    resp
}

/// `http://{host}/beta/$metadata#{path}`.
pub fn context_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/beta/$metadata#{path}")
}

/// The `@odata.context` of one instance of `definition`.
pub fn instance_context(headers: &HeaderMap, definition: &str) -> String {
    context_url(
        headers,
        &format!("identityGovernance/accessReviews/definitions('{definition}')/instances/$entity"),
    )
}

/// The object with `@odata.context` first.
pub fn with_context(mut obj: Object, context: String) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    out.append(&mut obj);
    Value::Object(out)
}
