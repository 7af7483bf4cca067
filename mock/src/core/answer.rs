//! The faithful answer, as Graph shapes it: JSON with the OData content type, the 200 body of
//! an update (the instance with its `@odata.context` first), and the request ids every answer
//! carries as headers.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::core::spec::Object;

/// The ids of one request, set by the middleware and used in error bodies and headers.
#[derive(Clone, Debug)]
pub(crate) struct RequestIds {
    /// A fresh id for this request.
    pub(crate) request_id: String,
    /// The client's `client-request-id`, or the request id.
    pub(crate) client_request_id: String,
}

impl RequestIds {
    /// The ids for a request with these headers.
    pub(crate) fn for_request(headers: &HeaderMap) -> RequestIds {
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

    /// The answer with `request-id` and `client-request-id` headers.
    pub(crate) fn stamp(&self, mut resp: Response) -> Response {
        for (name, value) in [
            ("request-id", &self.request_id),
            ("client-request-id", &self.client_request_id),
        ] {
            if let Ok(v) = HeaderValue::from_str(value) {
                resp.headers_mut().insert(name, v);
            }
        }
        resp
    }
}

/// A JSON answer with Graph's content type.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; odata.metadata=minimal; charset=utf-8"),
    );
    resp
}

/// The faithful answer to an update: 200 with `body` (the instance as stored, see
/// [`with_context`]).
pub(crate) fn success(body: &Value) -> Response {
    json_response(StatusCode::OK, body)
}

/// The object with `@odata.context` first: the body of an instance answered.
pub(crate) fn with_context(mut obj: Object, context: String) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    out.append(&mut obj);
    Value::Object(out)
}
