//! The HTTP side of the definition lifecycle ([`crate::tenant::lifecycle`]), the token endpoint
//! ([`crate::tenant::token`]) and throttling: create, list and delete definitions, stop an instance,
//! issue tokens, and answer every Nth API request with 429.

use std::time::{Duration, Instant};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::core::answer::json_response;
use crate::core::refusal::{Refusal, Why};
use crate::core::store::lock;
use crate::http::request::read_body;
use crate::http::respond::{context_url, graph_error};
use crate::http::state::{Shared, definition_not_found, ids_of, segments};

/// `POST …/definitions`.
pub(crate) async fn create_definition(State(state): State<Shared>, req: Request) -> Response {
    let ids = ids_of(&req);
    let result = async {
        let privilege = state.authenticate(req.headers())?;
        state.may_update(privilege, None)?;
        let body = read_body(req).await?;
        let parsed: Value = serde_json::from_slice(&body).map_err(|e| {
            Refusal::new(
                Why::InvalidBody,
                format!("Unable to read JSON request payload: {e}"),
            )
        })?;
        let delay = state.lifecycle.activation_delay;
        lock(&state.store).create_definition(&parsed, delay, Instant::now())
    }
    .await;
    match result {
        Ok(d) => json_response(StatusCode::CREATED, &Value::Object(d)),
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

/// The display-name prefix of `$filter=startswith(displayName,'…')`, if the query has one.
fn name_prefix(req: &Request) -> Result<Option<String>, Refusal> {
    let Some(query) = req.uri().query() else {
        return Ok(None);
    };
    let decoded = query
        .replace("%24", "$")
        .replace("%28", "(")
        .replace("%29", ")")
        .replace("%27", "'")
        .replace("%2C", ",")
        .replace("%20", " ");
    let Some(filter) = decoded.split('&').find_map(|p| p.strip_prefix("$filter=")) else {
        return Ok(None);
    };
    filter
        .strip_prefix("startswith(displayName,'")
        .and_then(|rest| rest.strip_suffix("')"))
        .map(|p| Some(p.to_string()))
        .ok_or_else(|| {
            Refusal::new(
                Why::InvalidBody,
                "Only $filter=startswith(displayName,'…') is supported here.",
            )
        })
}

/// `GET …/definitions`.
pub(crate) async fn list_definitions(State(state): State<Shared>, req: Request) -> Response {
    let ids = ids_of(&req);
    let result = state.authenticate(req.headers()).and_then(|_| {
        let prefix = name_prefix(&req)?;
        Ok(lock(&state.store).list_definitions(prefix.as_deref()))
    });
    match result {
        Ok(list) => {
            let ctx = context_url(
                req.headers(),
                "identityGovernance/accessReviews/definitions",
            );
            let value: Vec<Value> = list.into_iter().map(Value::Object).collect();
            json_response(
                StatusCode::OK,
                &json!({"@odata.context": ctx, "value": value}),
            )
        }
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

/// `DELETE …/definitions/{d}`.
pub(crate) async fn delete_definition(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let ids = ids_of(&req);
    let result = segments(path).and_then(|definition| {
        let privilege = state.authenticate(req.headers())?;
        state.may_update(privilege, None)?;
        if lock(&state.store).delete(&definition) {
            Ok(())
        } else {
            Err(definition_not_found(&definition))
        }
    });
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

/// `POST …/definitions/{d}/instances/{i}/stop`.
pub(crate) async fn stop_instance(
    State(state): State<Shared>,
    path: Result<Path<(String, String)>, PathRejection>,
    req: Request,
) -> Response {
    let ids = ids_of(&req);
    let result = segments(path).and_then(|(definition, instance)| {
        let privilege = state.authenticate(req.headers())?;
        state.may_update(privilege, None)?;
        lock(&state.store).stop(&definition, &instance)
    });
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

/// `POST /{tenant}/oauth2/v2.0/token` (client credentials).
pub(crate) async fn token(State(state): State<Shared>, req: Request) -> Response {
    let body = read_body(req).await.unwrap_or_default();
    let lifetime = state
        .lifecycle
        .token_lifetime
        .unwrap_or(Duration::from_secs(3600));
    let (status, answer) = state
        .issued
        .answer(state.lifecycle.client.as_ref(), &body, lifetime);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, &answer)
}

/// Every Nth request under `/beta` is answered 429 with `Retry-After` (seconds, fractional as
/// Graph sends them) and the throttling error body.
pub(crate) async fn throttle(State(state): State<Shared>, req: Request, next: Next) -> Response {
    if let Some(latency) = state.lifecycle.latency.filter(|l| !l.is_zero()) {
        tokio::time::sleep(latency).await;
    }
    let api = req.uri().path().starts_with("/beta/");
    if let Some(wait) = api.then(|| state.throttle.next()).flatten() {
        let mut r = Refusal::new(Why::Throttled, "Please retry again later.");
        r.details = Some("Please retry after".into());
        let mut resp = graph_error(&r, ids_of(&req).as_ref());
        if let Ok(v) = HeaderValue::from_str(&format!("{:.3}", wait.as_secs_f64())) {
            resp.headers_mut().insert("retry-after", v);
        }
        return resp;
    }
    next.run(req).await
}
