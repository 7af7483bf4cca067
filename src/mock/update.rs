//! The update itself (`PUT`/`PATCH …/definitions/{d}/instances/{i}`), with the hooks the
//! deviations use.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::Deviation;
use super::server::{
    Privilege, Shared, authorize, graph_error, ids_of, instance_context, json_response,
    with_context,
};
use super::store::{Refusal, apply_update};
use crate::credential::Credential;

/// How long the lost-updates deviation waits between reading and writing.
const RACE_WINDOW: Duration = Duration::from_millis(200);

pub(super) async fn update(
    State(state): State<Shared>,
    Path((definition, instance)): Path<(String, String)>,
    method: Method,
    req: Request,
) -> Response {
    let ids = ids_of(req.extensions());
    let fail = |r: Refusal| graph_error(&r, ids.as_ref());
    let rejected = (state.has(Deviation::RejectPatch) && method == Method::PATCH)
        || (state.has(Deviation::RejectPut) && method == Method::PUT);
    if rejected {
        return fail(Refusal::new(
            405,
            "Request_BadRequest",
            format!("The HTTP method '{method}' is not allowed."),
        ));
    }
    let privilege = match authorize(&state, req.headers()) {
        Ok(p) => p,
        Err(r) => return fail(r),
    };
    if let Privilege::Restricted(c) = privilege {
        let (ignored_by, message) = match c {
            Credential::Unprivileged => (
                Deviation::NoPermissionCheck,
                "Insufficient privileges to complete the operation.",
            ),
            Credential::Roleless => (
                Deviation::NoRoleCheck,
                "The signed-in user is not assigned a role that may update access reviews.",
            ),
            Credential::PersonalAccount => (
                Deviation::AcceptPersonalAccounts,
                "Personal Microsoft accounts are not supported for this operation.",
            ),
        };
        if !state.has(ignored_by) {
            return fail(Refusal::new(403, "Authorization_RequestDenied", message));
        }
    }
    let headers = req.headers().clone();
    let body: Bytes = match axum::body::to_bytes(req.into_body(), 4 << 20).await {
        Ok(b) => b,
        Err(_) => {
            return fail(Refusal::new(
                413,
                "RequestEntityTooLarge",
                "The request body is too large.",
            ));
        }
    };
    // The path is resolved before the body is read, as Graph does.
    let located = state.store().locate(
        &definition,
        &instance,
        state.has(Deviation::IgnoreDefinitionInPath),
    );
    let definition = match located {
        Ok(d) => d,
        Err(_) if state.has(Deviation::OkForUnknownIds) => {
            let mut made_up = Map::new();
            made_up.insert("id".into(), Value::String(instance.clone()));
            made_up.insert("status".into(), Value::String("InProgress".into()));
            return json_response(
                StatusCode::OK,
                &with_context(made_up, instance_context(&headers, &definition)),
            );
        }
        Err(r) => return fail(r),
    };
    let json_content = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json_content && !state.has(Deviation::IgnoreContentType) {
        return fail(Refusal::new(
            415,
            "UnsupportedMediaType",
            "Content-Type must be application/json.",
        ));
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) if state.has(Deviation::MalformedJson500) => {
            return fail(Refusal::new(500, "generalException", e.to_string()));
        }
        Err(e) => {
            return fail(Refusal::new(
                400,
                "BadRequest",
                format!("Unable to read JSON request payload: {e}"),
            ));
        }
    };
    let result = if state.has(Deviation::LostUpdates) {
        racy_update(&state, &definition, &instance, &parsed).await
    } else {
        state
            .store()
            .update(&definition, &instance, &parsed, state.deviation())
    };
    match result {
        Ok(updated) => {
            success(
                state.deviation(),
                updated,
                instance_context(&headers, &definition),
            )
            .await
        }
        Err(r) => fail(r),
    }
}

/// Read, wait, check and write without holding the lock: the lost-update bug.
async fn racy_update(
    state: &Shared,
    definition: &str,
    instance: &str,
    body: &Value,
) -> Result<Map<String, Value>, Refusal> {
    let current = state.store().instance(definition, instance)?.clone();
    tokio::time::sleep(RACE_WINDOW).await;
    let updated = apply_update(&current, body, None)?;
    state.store().put_instance(definition, updated.clone());
    Ok(updated)
}

/// The 200 answer, or one of the broken answers the deviations produce.
async fn success(
    deviation: Option<Deviation>,
    updated: Map<String, Value>,
    context: String,
) -> Response {
    let body = with_context(updated.clone(), context);
    match deviation {
        Some(Deviation::SuccessWithoutBody) => StatusCode::NO_CONTENT.into_response(),
        Some(Deviation::NoODataContext) => json_response(StatusCode::OK, &Value::Object(updated)),
        Some(Deviation::NumericStatus) => {
            let mut b = body;
            b["status"] = Value::from(1);
            json_response(StatusCode::OK, &b)
        }
        Some(Deviation::NonJsonBody) => {
            let mut resp = (StatusCode::OK, "<html><body>Updated</body></html>").into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            resp
        }
        Some(Deviation::TruncatedBody) => {
            let text = body.to_string();
            let half = Bytes::from(text.as_bytes()[..text.len() / 2].to_vec());
            let chunks: Vec<Result<Bytes, std::io::Error>> =
                vec![Ok(half), Err(std::io::Error::other("connection cut"))];
            let mut resp = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
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
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        Some(Deviation::Hang) => std::future::pending().await,
        _ => json_response(StatusCode::OK, &body),
    }
}
