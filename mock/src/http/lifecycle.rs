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
        lock(&state.store).create_definition(&parsed, &state.lifecycle, Instant::now())
    }
    .await;
    match result {
        Ok(d) => {
            let n = state
                .creates
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                + 1;
            let lost = state
                .lifecycle
                .lose_create_answer_every
                .is_some_and(|every| every > 0 && n % every == 0);
            if lost {
                return cut_off(&Value::Object(d));
            }
            json_response(StatusCode::CREATED, &Value::Object(d))
        }
        Err(r) => graph_error(&r, ids.as_ref()),
    }
}

/// A 201 whose body stops half-way (the connection drops): the definition exists, and the
/// client cannot tell its id.
fn cut_off(created: &Value) -> Response {
    use axum::body::{Body, Bytes};
    let text = created.to_string();
    // A byte slice within the length: cannot panic.
    let half = Bytes::from(text.as_bytes()[..text.len() / 2].to_vec());
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        vec![Ok(half), Err(std::io::Error::other("connection dropped"))];
    let mut resp = Response::new(Body::from_stream(futures_util::stream::iter(chunks)));
    *resp.status_mut() = StatusCode::CREATED;
    if let Ok(len) = HeaderValue::from_str(&text.len().to_string()) {
        resp.headers_mut()
            .insert(axum::http::header::CONTENT_LENGTH, len);
    }
    resp
}

/// Graph's page size for the definitions list.
pub(crate) const PAGE_SIZE: usize = 100;

/// The one `$filter` the list API documents: `contains(scope/microsoft.graph.accessReviewQueryScope/query, '…')`.
const DOCUMENTED_FILTER: &str = "contains(scope/microsoft.graph.accessReviewQueryScope/query, '";

/// What a list request asks for: a page (`$top` up to [`PAGE_SIZE`], `$skip`) and the
/// documented filter on the scope's query. Any other `$filter` is refused, as the service
/// refuses what it does not support: the mock is never kinder than the service.
struct ListQuery {
    top: usize,
    skip: usize,
    scope_contains: Option<String>,
}

fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                // Two hex digits: at most 255.
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn list_query(req: &Request) -> Result<ListQuery, Refusal> {
    let invalid = |m: String| Refusal::new(Why::InvalidBody, m);
    let mut q = ListQuery {
        top: PAGE_SIZE,
        skip: 0,
        scope_contains: None,
    };
    for pair in req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (percent_decoded(key), percent_decoded(value));
        let number = |v: &str| {
            v.parse::<usize>()
                .map_err(|_| invalid(format!("Invalid value '{v}' for {key}.")))
        };
        match key.as_str() {
            "$top" => q.top = number(&value)?.clamp(1, PAGE_SIZE),
            "$skip" => q.skip = number(&value)?,
            "$filter" => {
                let text = value
                    .strip_prefix(DOCUMENTED_FILTER)
                    .and_then(|rest| rest.strip_suffix("')"))
                    .ok_or_else(|| {
                        invalid(format!(
                            "Invalid filter clause: '{value}' is not supported. Supported: {DOCUMENTED_FILTER}…')."
                        ))
                    })?;
                q.scope_contains = Some(text.to_string());
            }
            _ => {}
        }
    }
    Ok(q)
}

/// `GET …/definitions`: one page, with `@odata.nextLink` while more remain.
pub(crate) async fn list_definitions(State(state): State<Shared>, req: Request) -> Response {
    let ids = ids_of(&req);
    let result = state.authenticate(req.headers()).and_then(|_| {
        let q = list_query(&req)?;
        let all = lock(&state.store).list_definitions(None);
        let matching: Vec<_> = all
            .into_iter()
            .filter(|d| {
                q.scope_contains.as_ref().is_none_or(|text| {
                    d.get("scope")
                        .and_then(|s| s.get("query"))
                        .and_then(Value::as_str)
                        .is_some_and(|query| query.contains(text.as_str()))
                })
            })
            .collect();
        let more = matching.len() > q.skip + q.top;
        let page: Vec<Value> = matching
            .into_iter()
            .skip(q.skip)
            .take(q.top)
            .map(Value::Object)
            .collect();
        Ok((page, more.then(|| (q.skip + q.top, q))))
    });
    match result {
        Ok((value, next)) => {
            let ctx = context_url(
                req.headers(),
                "identityGovernance/accessReviews/definitions",
            );
            let mut body = json!({"@odata.context": ctx, "value": value});
            if let Some((skip, q)) = next {
                let host = req
                    .headers()
                    .get(axum::http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost");
                let mut link = format!(
                    "http://{host}{}?$top={}&$skip={skip}",
                    req.uri().path(),
                    q.top
                );
                if let Some(text) = &q.scope_contains {
                    link.push_str(
                        &format!("&$filter={DOCUMENTED_FILTER}{text}')").replace(' ', "%20"),
                    );
                }
                body["@odata.nextLink"] = Value::String(link);
            }
            json_response(StatusCode::OK, &body)
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
    let path = req.uri().path().to_string();
    let body = read_body(req).await.unwrap_or_default();
    let lifetime = state
        .lifecycle
        .token_lifetime
        .unwrap_or(Duration::from_secs(3600));
    let (status, answer) =
        state
            .issued
            .answer(state.lifecycle.client.as_ref(), &path, &body, lifetime);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, &answer)
}

/// Every Nth API request is answered 429 with `Retry-After` (seconds, fractional as Graph
/// sends them) and the throttling error body; every Mth 504 without one (a `POST` carried
/// out first).
pub(crate) async fn throttle(State(state): State<Shared>, req: Request, next: Next) -> Response {
    if let Some(latency) = state.lifecycle.latency.filter(|l| !l.is_zero()) {
        tokio::time::sleep(latency).await;
    }
    let path = req.uri().path();
    let api = path.starts_with("/beta/") || path.starts_with("/v1.0/");
    if let Some(wait) = api.then(|| state.throttle.next()).flatten() {
        let mut r = Refusal::new(Why::Throttled, "Please retry again later.");
        r.details = Some("Please retry after".into());
        let mut resp = graph_error(&r, ids_of(&req).as_ref());
        if let Ok(v) = HeaderValue::from_str(&format!("{:.3}", wait.as_secs_f64())) {
            resp.headers_mut().insert("retry-after", v);
        }
        return resp;
    }
    if api && state.throttle.gateway_timeout() {
        let ids = ids_of(&req);
        if req.method() == axum::http::Method::POST {
            let _ = next.run(req).await;
        }
        let r = Refusal::new(Why::Throttled, "").with_status(504, Some("UnknownError"));
        return graph_error(&r, ids.as_ref());
    }
    next.run(req).await
}
