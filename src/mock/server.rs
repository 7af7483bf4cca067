//! The HTTP side of the reference mock: routes, auth, Graph error bodies.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::Deviation;
use super::store::{Refusal, Store, graph_time};

/// How the mock behaves.
#[derive(Clone, Debug, Default)]
pub struct MockOptions {
    /// The only bearer token accepted; when `None`, any non-empty bearer token is accepted.
    pub token: Option<String>,
    /// A deliberate bug to run with.
    pub deviation: Option<Deviation>,
}

struct AppState {
    store: Mutex<Store>,
    options: MockOptions,
}

type Shared = Arc<AppState>;

/// The ids of one request, set by the middleware and used in error bodies.
#[derive(Clone)]
struct RequestIds {
    request_id: String,
    client_request_id: String,
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
        .layer(middleware::from_fn(request_ids))
        .with_state(state)
}

/// Adds `request-id` / `client-request-id` to every response (echoing the client's value).
async fn request_ids(mut req: Request, next: Next) -> Response {
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

fn graph_error(refusal: &Refusal, ids: Option<&RequestIds>) -> Response {
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

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; odata.metadata=minimal; charset=utf-8"),
    );
    resp
}

fn ids_of(req_ext: &axum::http::Extensions) -> Option<RequestIds> {
    req_ext.get::<RequestIds>().cloned()
}

/// Checks `Authorization: Bearer …` (unless the no-auth deviation is on).
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), Refusal> {
    if state.options.deviation == Some(Deviation::NoAuthCheck) {
        return Ok(());
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
    match &state.options.token {
        Some(expected) if expected != token => {
            Err(unauthenticated("Access token validation failure."))
        }
        _ => Ok(()),
    }
}

fn context_url(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/beta/$metadata#{path}")
}

fn with_context(mut obj: Map<String, Value>, context: String) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), Value::String(context));
    out.append(&mut obj);
    Value::Object(out)
}

async fn seed(State(state): State<Shared>, req: Request) -> Response {
    let ids = ids_of(req.extensions());
    let body = match axum::body::to_bytes(req.into_body(), 4 << 20).await {
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
    let result = state.store.lock().expect("store lock").seed(&parsed);
    match result {
        Ok((definition_id, instance_ids)) => json_response(
            StatusCode::CREATED,
            &json!({"definitionId": definition_id, "instanceIds": instance_ids}),
        ),
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

async fn unseed(State(state): State<Shared>, Path(definition): Path<String>) -> Response {
    if state.store.lock().expect("store lock").delete(&definition) {
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
    let found = state
        .store
        .lock()
        .expect("store lock")
        .definition(&definition)
        .cloned();
    match found {
        Some(d) => {
            let ctx = context_url(
                req.headers(),
                "identityGovernance/accessReviews/definitions/$entity",
            );
            json_response(StatusCode::OK, &with_context(d, ctx))
        }
        None => graph_error(
            &Refusal::new(
                404,
                "ResourceNotFound",
                format!("accessReviewScheduleDefinition with id '{definition}' was not found."),
            ),
            ids.as_ref(),
        ),
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
        .store
        .lock()
        .expect("store lock")
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
        None => graph_error(
            &Refusal::new(
                404,
                "ResourceNotFound",
                format!("accessReviewScheduleDefinition with id '{definition}' was not found."),
            ),
            ids.as_ref(),
        ),
    }
}

fn instance_context(headers: &HeaderMap, definition: &str) -> String {
    context_url(
        headers,
        &format!("identityGovernance/accessReviews/definitions('{definition}')/instances/$entity"),
    )
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
    let found = state
        .store
        .lock()
        .expect("store lock")
        .instance(&definition, &instance)
        .cloned();
    match found {
        Ok(i) => json_response(
            StatusCode::OK,
            &with_context(i, instance_context(req.headers(), &definition)),
        ),
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

async fn update(
    State(state): State<Shared>,
    Path((definition, instance)): Path<(String, String)>,
    method: Method,
    req: Request,
) -> Response {
    let ids = ids_of(req.extensions());
    let deviation = state.options.deviation;
    let rejected = match deviation {
        Some(Deviation::RejectPatch) => method == Method::PATCH,
        Some(Deviation::RejectPut) => method == Method::PUT,
        _ => false,
    };
    if rejected {
        return graph_error(
            &Refusal::new(
                405,
                "Request_BadRequest",
                format!("The HTTP method '{method}' is not allowed."),
            ),
            ids.as_ref(),
        );
    }
    if let Err(r) = authorize(&state, req.headers()) {
        return graph_error(&r, ids.as_ref());
    }
    let headers = req.headers().clone();
    let body: Bytes = match axum::body::to_bytes(req.into_body(), 4 << 20).await {
        Ok(b) => b,
        Err(_) => {
            return graph_error(
                &Refusal::new(
                    413,
                    "RequestEntityTooLarge",
                    "The request body is too large.",
                ),
                ids.as_ref(),
            );
        }
    };
    // Existence is checked before the body, as Graph resolves the path first.
    if let Err(r) = state
        .store
        .lock()
        .expect("store lock")
        .instance(&definition, &instance)
    {
        return graph_error(&r, ids.as_ref());
    }
    let json_content = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !json_content {
        return graph_error(
            &Refusal::new(
                415,
                "UnsupportedMediaType",
                "Content-Type must be application/json.",
            ),
            ids.as_ref(),
        );
    }
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return graph_error(
                &Refusal::new(
                    400,
                    "BadRequest",
                    format!("Unable to read JSON request payload: {e}"),
                ),
                ids.as_ref(),
            );
        }
    };
    let result =
        state
            .store
            .lock()
            .expect("store lock")
            .update(&definition, &instance, &parsed, deviation);
    match result {
        Ok(updated) => {
            let body = with_context(updated, instance_context(&headers, &definition));
            faulty_success(deviation, body).await
        }
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

/// The 200 answer, or one of the broken answers the transport deviations produce.
async fn faulty_success(deviation: Option<Deviation>, body: Value) -> Response {
    match deviation {
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
        self.state.store.lock().expect("store lock").len()
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
