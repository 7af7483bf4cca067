//! The HTTP glue: the API's routes and the fixture control protocol on axum. Each handler
//! decodes the request, calls the core (authentication, the store, the update rules) through
//! the deviation hooks, and renders the result; no rule of the page is decided here.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use crate::core::answer::{RequestIds, json_response, success, with_context};
use crate::core::refusal::{Refusal, Why};
use crate::core::store::lock;
use crate::core::transaction;
use crate::http::journal::{API, ReceivedRequest, RequestKind, V1_API};
use crate::http::lifecycle::{
    create_definition, delete_definition, list_definitions, stop_instance, throttle, token,
};
use crate::http::request::{
    json_content_type, project, read_body, read_whole_body, require_length, selected,
};
use crate::http::respond::{context_url, graph_error, instance_context};
use crate::http::state::{AppState, Shared, definition_not_found, ids_of, segments};

/// The routes over `state`.
pub(crate) fn routes(state: Shared) -> Router {
    Router::new()
        .route("/_conformance/fixtures", post(seed))
        .route("/_conformance/fixtures/{definition}", delete(unseed))
        .route(API, get(list_definitions).post(create_definition))
        .route(
            &format!("{API}/{{definition}}"),
            get(get_definition).delete(delete_definition),
        )
        .route(
            &format!("{API}/{{definition}}/instances/{{instance}}/stop"),
            post(stop_instance),
        )
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        // The lifecycle in v1.0 too (where a live run creates, waits, stops and deletes):
        // the same store, as one tenant serves both versions.
        .route(V1_API, get(list_definitions).post(create_definition))
        .route(
            &format!("{V1_API}/{{definition}}"),
            get(get_definition).delete(delete_definition),
        )
        .route(
            &format!("{V1_API}/{{definition}}/instances"),
            get(list_instances),
        )
        .route(
            &format!("{V1_API}/{{definition}}/instances/{{instance}}/stop"),
            post(stop_instance),
        )
        .route(
            &format!("{API}/{{definition}}/instances"),
            get(list_instances),
        )
        .route(
            &format!("{API}/{{definition}}/instances/{{instance}}"),
            get(get_instance).put(update).patch(update),
        )
        .fallback(not_found_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(read_whole_body))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), throttle))
        .layer(middleware::from_fn(require_length))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            every_request,
        ))
        .with_state(state)
}

/// Sets the request's ids for error bodies, lets the hooks finish every answer, and records
/// the request in the journal.
async fn every_request(State(state): State<Shared>, mut req: Request, next: Next) -> Response {
    let ids = RequestIds::for_request(req.headers());
    req.extensions_mut().insert(ids.clone());
    let method = req.method().clone();
    let kind = RequestKind::of(&method, req.uri().path());
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), ToString::to_string);
    let resp = next.run(req).await;
    let resp = state
        .faults
        .finish(resp, &state.error_codes, |r| ids.stamp(r))
        .await;
    state.journal.record(ReceivedRequest {
        method: method.to_string(),
        path,
        kind,
        status: resp.status().as_u16(),
    });
    resp
}

/// `PUT`/`PATCH …/definitions/{d}/instances/{i}`: the update.
async fn update(
    State(state): State<Shared>,
    path: Result<Path<(String, String)>, PathRejection>,
    method: Method,
    req: Request,
) -> Response {
    let ids = ids_of(&req);
    let result = match segments(path) {
        Ok((definition, instance)) => {
            update_steps(&state, &definition, &instance, &method, req).await
        }
        Err(r) => Err(r),
    };
    match result {
        Ok(resp) => resp,
        Err(refusal) => graph_error(&refusal, ids.as_ref()),
    }
}

async fn update_steps(
    state: &AppState,
    definition: &str,
    instance: &str,
    method: &Method,
    req: Request,
) -> Result<Response, Refusal> {
    let faults = state.faults;
    faults.method(method)?;
    let privilege = state.authenticate(req.headers())?;
    state.may_update(privilege, None)?;
    let headers = req.headers().clone();
    let body = read_body(req).await?;
    // The path is resolved before the body is looked at, as Graph does.
    let located = {
        let store = lock(&state.store);
        let faithful = store
            .instance(definition, instance)
            .map(|_| definition.to_string());
        faults.locate(faithful, || store.holder_of(instance).map(str::to_string))
    };
    let definition = match located {
        Ok(d) => {
            // The role a delegated caller needs depends on what the review is of.
            let kind = lock(&state.store)
                .instance(&d, instance)
                .map(crate::core::auth::review_kind)
                .ok();
            state.may_update(privilege, kind)?;
            d
        }
        Err(r) => {
            return match faults.unknown_instance(instance) {
                Some(made_up) => Ok(success(&with_context(
                    made_up,
                    instance_context(&headers, definition),
                ))),
                None => Err(faults.not_found(r)),
            };
        }
    };
    faults.content_type(json_content_type(&headers))?;
    let parsed = faults.json(serde_json::from_slice::<Value>(&body).map_err(|e| {
        Refusal::new(
            Why::InvalidBody,
            format!("Unable to read JSON request payload: {e}"),
        )
    }))?;
    faults.users(&parsed, &state.users)?;
    let updated =
        transaction::update(&faults, &state.store, &definition, instance, &parsed).await?;
    let faithful = with_context(updated, instance_context(&headers, &definition));
    Ok(faults.success(method, faithful).await)
}

/// `POST /_conformance/fixtures`.
async fn seed(State(state): State<Shared>, req: Request) -> Response {
    let ids = ids_of(&req);
    let result = async {
        let body = read_body(req).await?;
        let parsed: Value = serde_json::from_slice(&body)
            .map_err(|e| Refusal::new(Why::InvalidBody, format!("invalid JSON: {e}")))?;
        lock(&state.store).seed(&parsed)
    }
    .await;
    match result {
        Ok(s) => json_response(
            StatusCode::CREATED,
            &json!({"definitionId": s.definition_id, "instanceIds": s.instance_ids}),
        ),
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

/// `DELETE /_conformance/fixtures/{d}`.
async fn unseed(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let definition = match segments(path) {
        Ok(d) => d,
        Err(r) => return graph_error(&r, ids_of(&req).as_ref()),
    };
    if lock(&state.store).delete(&definition) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        let r = Refusal::new(Why::NotFound, format!("no fixture {definition}"));
        graph_error(&r, ids_of(&req).as_ref())
    }
}

/// `GET …/definitions/{d}`.
async fn get_definition(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let ids = ids_of(&req);
    let definition = match segments(path) {
        Ok(d) => d,
        Err(r) => return graph_error(&r, ids.as_ref()),
    };
    let select = selected(&req);
    let result = state.authenticate(req.headers()).and_then(|_| {
        let found = lock(&state.store).definition(&definition).cloned();
        found.ok_or_else(|| definition_not_found(&definition))
    });
    match result.map(|d| project(d, select.as_deref())) {
        Ok(d) => {
            let ctx = context_url(
                req.headers(),
                "identityGovernance/accessReviews/definitions/$entity",
            );
            json_response(StatusCode::OK, &with_context(d, ctx))
        }
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

/// `GET …/definitions/{d}/instances`.
async fn list_instances(
    State(state): State<Shared>,
    path: Result<Path<String>, PathRejection>,
    req: Request,
) -> Response {
    let ids = ids_of(&req);
    let definition = match segments(path) {
        Ok(d) => d,
        Err(r) => return graph_error(&r, ids.as_ref()),
    };
    let result = state.authenticate(req.headers()).and_then(|_| {
        let store = lock(&state.store);
        let unlisted = store
            .definitions
            .get(&definition)
            .and_then(|d| d.listed_from)
            .is_some_and(|t| t > std::time::Instant::now());
        if unlisted {
            return Err(definition_not_found(&definition));
        }
        let list = store
            .instances(&definition)
            .map(|list| list.iter().cloned().map(Value::Object).collect::<Vec<_>>());
        list.ok_or_else(|| definition_not_found(&definition))
    });
    match result {
        Ok(list) => {
            let ctx = context_url(
                req.headers(),
                &format!("identityGovernance/accessReviews/definitions('{definition}')/instances"),
            );
            json_response(
                StatusCode::OK,
                &json!({"@odata.context": ctx, "value": list}),
            )
        }
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

/// `GET …/definitions/{d}/instances/{i}`.
async fn get_instance(
    State(state): State<Shared>,
    path: Result<Path<(String, String)>, PathRejection>,
    req: Request,
) -> Response {
    let ids = ids_of(&req);
    let (definition, instance) = match segments(path) {
        Ok(p) => p,
        Err(r) => return graph_error(&r, ids.as_ref()),
    };
    let select = selected(&req);
    let result = state
        .authenticate(req.headers())
        .and_then(|_| lock(&state.store).instance(&definition, &instance).cloned());
    let faults = state.faults;
    match result.map(|i| faults.read(project(i, select.as_deref()), select.as_deref())) {
        Ok(i) => json_response(
            StatusCode::OK,
            &with_context(i, instance_context(req.headers(), &definition)),
        ),
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

async fn not_found_route(req: Request) -> Response {
    let r = Refusal::new(
        Why::NotFound,
        format!("Resource not found for the segment '{}'.", req.uri().path()),
    )
    .with_status(404, Some("BadRequest"));
    graph_error(&r, ids_of(&req).as_ref())
}

async fn method_not_allowed(req: Request) -> Response {
    let r = Refusal::new(
        Why::MethodNotAllowed,
        format!("The HTTP method '{}' is not allowed.", req.method()),
    );
    graph_error(&r, ids_of(&req).as_ref())
}
