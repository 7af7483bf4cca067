//! The HTTP side of the reference mock: routes, auth, Graph error bodies, and the server handle.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Deviation;
use super::store::{Refusal, Store, graph_time};
use super::update::update;
use crate::credential::Credential;

/// How the mock behaves.
#[derive(Clone, Debug, Default)]
pub struct MockOptions {
    /// The only bearer token accepted; when `None`, any non-empty bearer token is accepted.
    pub token: Option<String>,
    /// Restricted tokens: they may read, and their updates are refused (403).
    pub credentials: Vec<(Credential, String)>,
    /// A deliberate bug to run with.
    pub deviation: Option<Deviation>,
}

pub(super) struct AppState {
    pub(super) store: Mutex<Store>,
    pub(super) options: MockOptions,
}

impl AppState {
    pub(super) fn deviation(&self) -> Option<Deviation> {
        self.options.deviation
    }

    pub(super) fn has(&self, d: Deviation) -> bool {
        self.options.deviation == Some(d)
    }

    pub(super) fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the store half-written (updates are
        // computed first, then stored), so a poisoned lock is still usable.
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(super) type Shared = Arc<AppState>;

/// The ids of one request, set by the middleware and used in error bodies.
#[derive(Clone, Debug)]
pub(super) struct RequestIds {
    request_id: String,
    client_request_id: String,
}

/// What a request is allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Privilege {
    /// AccessReview.ReadWrite.All (and, delegated, a supported role).
    ReadWrite,
    /// Authenticated with a restricted credential.
    Restricted(Credential),
}

const API: &str = "/beta/identityGovernance/accessReviews/definitions";

/// The mock's routes over a fresh store.
pub fn router(options: MockOptions) -> Router {
    routes(Arc::new(AppState {
        store: Mutex::new(Store::default()),
        options,
    }))
}

fn routes(state: Shared) -> Router {
    Router::new()
        .route("/_conformance/fixtures", post(seed))
        .route("/_conformance/fixtures/{definition}", delete(unseed))
        .route(&format!("{API}/{{definition}}"), get(get_definition))
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
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            request_ids,
        ))
        .with_state(state)
}

/// Adds `request-id` / `client-request-id` to every response (echoing the client's value).
async fn request_ids(State(state): State<Shared>, mut req: Request, next: Next) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = req
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let ids = RequestIds {
        request_id,
        client_request_id,
    };
    req.extensions_mut().insert(ids.clone());
    let mut resp = next.run(req).await;
    if state.has(Deviation::PlainTextErrors) && resp.status().as_u16() >= 400 {
        let status = resp.status();
        resp = (
            status,
            status.canonical_reason().unwrap_or("Error").to_string(),
        )
            .into_response();
    }
    if state.has(Deviation::NoRequestIds) {
        return resp;
    }
    let headers = resp.headers_mut();
    for (name, value) in [
        ("request-id", &ids.request_id),
        ("client-request-id", &ids.client_request_id),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    resp
}

/// A Graph error body for a refusal.
pub(super) fn graph_error(refusal: &Refusal, ids: Option<&RequestIds>) -> Response {
    let mut inner = Map::new();
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

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; odata.metadata=minimal; charset=utf-8"),
    );
    resp
}

pub(super) fn ids_of(req_ext: &axum::http::Extensions) -> Option<RequestIds> {
    req_ext.get::<RequestIds>().cloned()
}

/// Checks `Authorization: Bearer …` (unless the no-auth deviation is on).
pub(super) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<Privilege, Refusal> {
    if state.has(Deviation::NoAuthCheck) {
        return Ok(Privilege::ReadWrite);
    }
    let unauthenticated = |m: &str| Refusal::new(401, "InvalidAuthenticationToken", m);
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| unauthenticated("Access token is empty."))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthenticated("Access token is empty."))?;
    if let Some((c, _)) = state.options.credentials.iter().find(|(_, t)| t == token) {
        return Ok(Privilege::Restricted(*c));
    }
    match &state.options.token {
        Some(expected) if expected != token => {
            Err(unauthenticated("Access token validation failure."))
        }
        _ => Ok(Privilege::ReadWrite),
    }
}

fn context_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/beta/$metadata#{path}")
}

pub(super) fn instance_context(headers: &HeaderMap, definition: &str) -> String {
    context_url(
        headers,
        &format!("identityGovernance/accessReviews/definitions('{definition}')/instances/$entity"),
    )
}

pub(super) fn with_context(mut obj: Map<String, Value>, context: String) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    out.append(&mut obj);
    Value::Object(out)
}

fn definition_not_found(definition: &str) -> Refusal {
    Refusal::new(
        404,
        "ResourceNotFound",
        format!("accessReviewScheduleDefinition with id '{definition}' was not found."),
    )
}

async fn seed(State(state): State<Shared>, req: Request) -> Response {
    let ids = ids_of(req.extensions());
    let body: Bytes = match axum::body::to_bytes(req.into_body(), 4 << 20).await {
        Ok(b) => b,
        Err(_) => {
            return graph_error(
                &Refusal::new(400, "BadRequest", "unreadable body"),
                ids.as_ref(),
            );
        }
    };
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return graph_error(
                &Refusal::new(400, "BadRequest", format!("invalid JSON: {e}")),
                ids.as_ref(),
            );
        }
    };
    let result = state.store().seed(&parsed);
    match result {
        Ok((definition_id, instance_ids)) => json_response(
            StatusCode::CREATED,
            &json!({"definitionId": definition_id, "instanceIds": instance_ids}),
        ),
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

async fn unseed(State(state): State<Shared>, Path(definition): Path<String>) -> Response {
    if state.store().delete(&definition) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        graph_error(
            &Refusal::new(404, "ResourceNotFound", format!("no fixture {definition}")),
            None,
        )
    }
}

async fn get_definition(
    State(state): State<Shared>,
    Path(definition): Path<String>,
    req: Request,
) -> Response {
    let ids = ids_of(req.extensions());
    if let Err(r) = authorize(&state, req.headers()) {
        return graph_error(&r, ids.as_ref());
    }
    let found = state.store().definition(&definition).cloned();
    match found {
        Some(d) => {
            let ctx = context_url(
                req.headers(),
                "identityGovernance/accessReviews/definitions/$entity",
            );
            json_response(StatusCode::OK, &with_context(d, ctx))
        }
        None => graph_error(&definition_not_found(&definition), ids.as_ref()),
    }
}

async fn list_instances(
    State(state): State<Shared>,
    Path(definition): Path<String>,
    req: Request,
) -> Response {
    let ids = ids_of(req.extensions());
    if let Err(r) = authorize(&state, req.headers()) {
        return graph_error(&r, ids.as_ref());
    }
    let found = state
        .store()
        .instances(&definition)
        .map(|list| list.iter().cloned().map(Value::Object).collect::<Vec<_>>());
    match found {
        Some(list) => {
            let ctx = context_url(
                req.headers(),
                &format!("identityGovernance/accessReviews/definitions('{definition}')/instances"),
            );
            json_response(
                StatusCode::OK,
                &json!({"@odata.context": ctx, "value": list}),
            )
        }
        None => graph_error(&definition_not_found(&definition), ids.as_ref()),
    }
}

async fn get_instance(
    State(state): State<Shared>,
    Path((definition, instance)): Path<(String, String)>,
    req: Request,
) -> Response {
    let ids = ids_of(req.extensions());
    if let Err(r) = authorize(&state, req.headers()) {
        return graph_error(&r, ids.as_ref());
    }
    let found = state.store().instance(&definition, &instance).cloned();
    match found {
        Ok(i) => json_response(
            StatusCode::OK,
            &with_context(i, instance_context(req.headers(), &definition)),
        ),
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

async fn not_found_route(req: Request) -> Response {
    let ids = ids_of(req.extensions());
    graph_error(
        &Refusal::new(
            404,
            "BadRequest",
            format!("Resource not found for the segment '{}'.", req.uri().path()),
        ),
        ids.as_ref(),
    )
}

async fn method_not_allowed(req: Request) -> Response {
    let ids = ids_of(req.extensions());
    graph_error(
        &Refusal::new(
            405,
            "Request_BadRequest",
            format!("The HTTP method '{}' is not allowed.", req.method()),
        ),
        ids.as_ref(),
    )
}

/// A running mock; dropping it stops the server.
pub struct MockServer {
    addr: SocketAddr,
    state: Shared,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves in the background on the current runtime.
    pub async fn start(addr: &str, options: MockOptions) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let state: Shared = Arc::new(AppState {
            store: Mutex::new(Store::default()),
            options,
        });
        let app = routes(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(MockServer {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many seeded definitions the mock holds (0 once every trial cleaned up).
    pub fn fixture_count(&self) -> usize {
        self.state.store().len()
    }

    /// The base URL to pass as `--base-url` (ends in `/beta`).
    pub fn base_url(&self) -> String {
        format!("http://{}/beta", self.addr)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
