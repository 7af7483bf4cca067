//! Decoding a request: its whole body (within a limit), what it asks for beyond its path
//! (`$select`), and the Content-Type rule.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;

use crate::core::refusal::{Refusal, Why};
use crate::core::spec::Object;
use crate::http::respond::graph_error;
use crate::http::state::ids_of;

/// What Microsoft Graph's front end (HTTP.sys) answers to a POST, PUT or PATCH with neither
/// `Content-Length` nor chunked encoding: 411 with an HTML page, before any Graph logic
/// (microsoft-graph-docs PR #2262; sreeise/graph-rs-sdk #524: "HTTP Error 411. The request
/// must be chunked or have a content length."). The mock is never kinder than the service.
const LENGTH_REQUIRED: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n<HTML><HEAD><TITLE>Length Required</TITLE>\r\n<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n<BODY><h2>Length Required</h2>\r\n<hr><p>HTTP Error 411. The request must be chunked or have a content length.</p>\r\n</BODY></HTML>\r\n";

/// 411 for a POST, PUT or PATCH that carries no length (see [`LENGTH_REQUIRED`]), before
/// throttling and everything else.
pub(crate) async fn require_length(req: Request, next: Next) -> Response {
    match length_required(&req) {
        Some(refused) => refused,
        None => next.run(req).await,
    }
}

fn length_required(req: &Request) -> Option<Response> {
    use axum::http::{Method, StatusCode};
    let writes = [Method::POST, Method::PUT, Method::PATCH].contains(req.method());
    let headers = req.headers();
    let sized = headers.contains_key(header::CONTENT_LENGTH)
        || headers.contains_key(header::TRANSFER_ENCODING);
    if !writes || sized {
        return None;
    }
    let mut resp = Response::new(Body::from(LENGTH_REQUIRED));
    *resp.status_mut() = StatusCode::LENGTH_REQUIRED;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=us-ascii"),
    );
    Some(resp)
}

/// The properties `$select` names (`None` without `$select`), from the raw query string.
pub(crate) fn selected(req: &Request) -> Option<Vec<String>> {
    let query = req.uri().query()?;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        let key = key.replace("%24", "$");
        (key == "$select").then(|| {
            value
                .replace("%2C", ",")
                .replace("%2c", ",")
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
    })
}

/// The object with only the `$select`ed properties (and its id), as OData answers.
pub(crate) fn project(mut object: Object, select: Option<&[String]>) -> Object {
    if let Some(fields) = select {
        object.retain(|k, _| k == "id" || fields.iter().any(|f| f == k));
    }
    object
}

/// The body must be sent as `application/json`.
pub(crate) fn json_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if json {
        Ok(())
    } else {
        // What Graph answers (microsoft-graph-docs-contrib#6337): 400 BadRequest, not 415.
        Err(Refusal::new(
            Why::UnsupportedMediaType,
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        ))
    }
}

/// The largest request body a handler gets.
const BODY_LIMIT: usize = 4 << 20;

/// How much of a too-large body is read (and discarded) before the connection is given up.
const DRAIN_LIMIT: usize = 64 << 20;

/// Reads every request's body before any handler answers, so that no answer is written while
/// the client is still sending (a reset connection can swallow the answer). Up to
/// [`BODY_LIMIT`] is kept for the handler; a larger body is read on (up to [`DRAIN_LIMIT`]) and
/// discarded, and the request refused with 413.
pub(crate) async fn read_whole_body(req: Request, next: Next) -> Response {
    let ids = ids_of(&req);
    let (parts, body) = req.into_parts();
    let mut stream = body.into_data_stream();
    let mut kept: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            let r = Refusal::new(Why::InvalidBody, "The request body could not be read.");
            return graph_error(&r, ids.as_ref());
        };
        total = total.saturating_add(chunk.len());
        if total <= BODY_LIMIT {
            kept.extend_from_slice(&chunk);
        } else if total > DRAIN_LIMIT {
            break;
        }
    }
    if total > BODY_LIMIT {
        let r = Refusal::new(Why::TooLarge, "The request body is too large.");
        let mut resp = graph_error(&r, ids.as_ref());
        if total > DRAIN_LIMIT {
            // Not read to its end: say that the connection ends here.
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        return resp;
    }
    next.run(Request::from_parts(parts, Body::from(kept))).await
}

pub(crate) async fn read_body(req: Request) -> Result<Bytes, Refusal> {
    axum::body::to_bytes(req.into_body(), BODY_LIMIT)
        .await
        .map_err(|_| Refusal::new(Why::TooLarge, "The request body is too large."))
}
