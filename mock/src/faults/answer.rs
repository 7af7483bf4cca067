//! The answer-side hooks: what a read, a success and every answer look like, for each
//! deviation and variant (faithfully: the instance, 200 with `@odata.context`, request ids).

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::core::answer::{json_response, success};
use crate::core::refusal::{Refusal, Why};
use crate::core::spec::{Object, UPDATABLE};
use crate::faults::deviation::Deviation;
use crate::faults::hooks::Faults;
use crate::faults::variant::Variant;

impl Faults {
    /// After an instance is read (and projected by `$select`): faithfully unchanged.
    pub(crate) fn read(self, mut instance: Object, select: Option<&[String]>) -> Object {
        if self.varies(Variant::GetWithoutLists) {
            let named = |k: &str| select.is_some_and(|s| s.iter().any(|f| f == k));
            instance.retain(|k, _| !UPDATABLE.contains(&k.as_str()) || named(k));
        }
        if self.varies(Variant::ExtraProperties) {
            add_extra_properties(&mut instance);
        }
        if self.varies(Variant::ReorderedLists) {
            reverse_lists(&mut instance);
        }
        instance
    }

    /// After a 404 for the addressed instance of an update.
    pub(crate) fn not_found(self, refusal: Refusal) -> Refusal {
        if self.varies(Variant::UnknownIds400) && refusal.why == Why::NotFound {
            return refusal.with_status(400, Some("BadRequest"));
        }
        refusal
    }

    /// Around the faithful 200 of an update (`body`: the updated instance with its
    /// `@odata.context` first, answered by [`success`]).
    pub(crate) async fn success(self, method: &Method, mut body: Value) -> Response {
        if self.varies(Variant::Patch204) && method == Method::PATCH {
            return StatusCode::NO_CONTENT.into_response();
        }
        if let Some(object) = body.as_object_mut() {
            if self.varies(Variant::ExtraProperties) {
                add_extra_properties(object);
            }
            if self.varies(Variant::ReorderedLists) {
                reverse_lists(object);
            }
        }
        match self.deviation {
            Some(Deviation::SuccessWithoutBody) => StatusCode::NO_CONTENT.into_response(),
            Some(Deviation::NoODataContext) => {
                if let Some(object) = body.as_object_mut() {
                    object.shift_remove("@odata.context");
                }
                success(&body)
            }
            Some(Deviation::NumericStatus) => {
                // The faithful body is an object, so this index cannot panic.
                body["status"] = Value::from(1);
                success(&body)
            }
            Some(Deviation::NonJsonBody) => {
                let mut resp =
                    (StatusCode::OK, "<html><body>Updated</body></html>").into_response();
                resp.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
                resp
            }
            Some(Deviation::TruncatedBody) => {
                let text = body.to_string();
                // A byte slice within the length: cannot panic.
                let half = Bytes::from(text.as_bytes()[..text.len() / 2].to_vec());
                let chunks: Vec<Result<Bytes, std::io::Error>> =
                    vec![Ok(half), Err(std::io::Error::other("connection cut"))];
                let mut resp = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
                json_type(&mut resp);
                if let Ok(len) = HeaderValue::from_str(&text.len().to_string()) {
                    resp.headers_mut().insert(header::CONTENT_LENGTH, len);
                }
                resp
            }
            Some(Deviation::OversizedBody) => {
                // Streamed without Content-Length: the client can only notice by counting.
                let chunk = Bytes::from(vec![b' '; 64 << 10]);
                let chunks =
                    std::iter::once(Ok::<Bytes, std::io::Error>(Bytes::from(body.to_string())))
                        .chain(std::iter::repeat_n(chunk, 128).map(Ok));
                let mut resp = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
                json_type(&mut resp);
                resp
            }
            Some(Deviation::Hang) => std::future::pending().await,
            _ => success(&body),
        }
    }

    /// Around the last faithful step of every answer, `stamp` (the request ids added as
    /// headers, [`crate::core::answer::RequestIds::stamp`]): error bodies rewritten before it
    /// (empty codes, or a profile's `codes` by status), or no ids at all.
    pub(crate) async fn finish(
        self,
        mut resp: Response,
        codes: &[(u16, String)],
        stamp: impl FnOnce(Response) -> Response,
    ) -> Response {
        let status = resp.status().as_u16();
        let code = if self.varies(Variant::EmptyErrorCodes) {
            Some("")
        } else {
            codes
                .iter()
                .find(|(s, _)| *s == status)
                .map(|(_, c)| c.as_str())
        };
        if let (Some(code), true) = (code, status >= 400) {
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap_or_default();
            let mut body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) {
                error.insert("code".into(), Value::String(code.to_string()));
            }
            resp = json_response(status, &body);
            for (k, v) in headers.iter().filter(|(k, _)| *k != header::CONTENT_LENGTH) {
                resp.headers_mut().insert(k.clone(), v.clone());
            }
        }
        if self.is(Deviation::PlainTextErrors) && resp.status().as_u16() >= 400 {
            let status = resp.status();
            let reason = status.canonical_reason().unwrap_or("Error").to_string();
            resp = (status, reason).into_response();
        }
        if self.is(Deviation::NoRequestIds) {
            return resp;
        }
        stamp(resp)
    }
}

fn json_type(resp: &mut Response) {
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
}

/// What `extra-properties` adds: a property the metadata does not know, on the instance and
/// on each reviewer scope.
fn add_extra_properties(object: &mut Object) {
    object.insert(
        "futureProperty".into(),
        serde_json::json!({"addedBy": "a later beta"}),
    );
    for list in UPDATABLE {
        if let Some(Value::Array(items)) = object.get_mut(list) {
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                item.insert("futureReviewerProperty".into(), Value::Bool(true));
            }
        }
    }
}

/// The reviewer lists in another order: reversed in every other answer, so that two reads of
/// the same instance disagree on the order (a set has none).
fn reverse_lists(object: &mut Object) {
    static ANSWERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if ANSWERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2 == 1 {
        return;
    }
    for k in UPDATABLE {
        if let Some(Value::Array(list)) = object.get_mut(k) {
            list.reverse();
        }
    }
}
