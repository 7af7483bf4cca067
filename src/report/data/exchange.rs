//! The request under test and its answer, as data: what every report shows of the exchange
//! and the `curl` line that sends it again.

use serde::{Deserialize, Serialize};

use crate::run::outcome::Kept;
use crate::target::exchange::{Exchange, HttpRequest};

/// A request and its answer, as data (bodies as text; the token redacted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeReport {
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Request headers (Authorization shown as `Bearer (redacted)`).
    pub request_headers: Vec<(String, String)>,
    /// Request body.
    pub request_body: Option<String>,
    /// Response status (none when there was no answer).
    pub status: Option<u16>,
    /// Response headers.
    pub response_headers: Vec<(String, String)>,
    /// Response body.
    pub response_body: Option<String>,
    /// Why there was no answer.
    pub transport_error: Option<String>,
}

/// A request that set up a starting state, or deletes a kept one, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestReport {
    /// Method.
    pub method: String,
    /// URL.
    pub url: String,
    /// Headers (Authorization shown as `Bearer (redacted)`).
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<String>,
}

impl RequestReport {
    /// A request as data (Authorization redacted).
    pub fn of(r: &HttpRequest) -> RequestReport {
        RequestReport {
            method: r.method.clone(),
            url: r.url.clone(),
            headers: r.shown_headers(),
            body: r
                .body
                .as_deref()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
        }
    }

    /// The `curl` line that sends it, the token as `$GRAPH_TOKEN`.
    pub fn curl(&self) -> String {
        curl(&self.method, &self.url, &self.headers, self.body.as_deref())
    }

    /// The same request with its URL, headers and body through `f`.
    pub fn map(mut self, f: &dyn Fn(String) -> String) -> RequestReport {
        self.url = f(std::mem::take(&mut self.url));
        self.body = self.body.take().map(f);
        for (k, v) in &mut self.headers {
            *k = f(std::mem::take(k));
            *v = f(std::mem::take(v));
        }
        self
    }
}

/// A starting state left on the target (`--keep-on-failure`), as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptReport {
    /// Each object's symbol in the case and its id on the target.
    pub ids: Vec<(String, String)>,
    /// The requests that delete it.
    pub delete: Vec<RequestReport>,
}

impl KeptReport {
    /// A kept state as data.
    pub fn of(k: &Kept) -> KeptReport {
        KeptReport {
            ids: k.ids.clone(),
            delete: k.delete.iter().map(RequestReport::of).collect(),
        }
    }

    /// The same with every id and request through `f`.
    pub fn map(mut self, f: &dyn Fn(String) -> String) -> KeptReport {
        for (symbol, id) in &mut self.ids {
            *symbol = f(std::mem::take(symbol));
            *id = f(std::mem::take(id));
        }
        self.delete = self.delete.into_iter().map(|r| r.map(f)).collect();
        self
    }
}

/// A `curl` line that sends a recorded request again, the token as `$GRAPH_TOKEN`.
pub fn curl_line(x: &ExchangeReport) -> String {
    curl(
        &x.method,
        &x.url,
        &x.request_headers,
        x.request_body.as_deref(),
    )
}

fn curl(method: &str, url: &str, headers: &[(String, String)], body: Option<&str>) -> String {
    let quote = |w: &str| format!("'{}'", w.replace('\'', "'\\''"));
    let mut parts = vec!["curl -sS -X".to_string(), quote(method), quote(url)];
    for (k, v) in headers {
        parts.push("-H".into());
        if k.eq_ignore_ascii_case("authorization") {
            parts.push("\"Authorization: Bearer $GRAPH_TOKEN\"".into());
        } else {
            parts.push(quote(&format!("{k}: {v}")));
        }
    }
    if let Some(b) = body {
        parts.push("--data-binary".into());
        parts.push(quote(b));
    }
    parts.join(" ")
}

impl ExchangeReport {
    /// The same exchange with its URL, headers, bodies and error through `f`.
    pub fn map(mut self, f: &dyn Fn(String) -> String) -> ExchangeReport {
        let each = |v: &mut Option<String>| *v = v.take().map(f);
        each(&mut self.request_body);
        each(&mut self.response_body);
        each(&mut self.transport_error);
        self.url = f(std::mem::take(&mut self.url));
        for (k, v) in self
            .request_headers
            .iter_mut()
            .chain(self.response_headers.iter_mut())
        {
            *k = f(std::mem::take(k));
            *v = f(std::mem::take(v));
        }
        self
    }
}

/// An exchange as data (Authorization redacted).
pub fn exchange_report(x: &Exchange) -> ExchangeReport {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (status, response_headers, response_body, transport_error) = match &x.response {
        Ok(r) => (Some(r.status), r.headers.clone(), Some(text(&r.body)), None),
        Err(e) => (None, Vec::new(), None, Some(e.to_string())),
    };
    ExchangeReport {
        method: x.request.method.clone(),
        url: x.request.url.clone(),
        request_headers: x.request.shown_headers(),
        request_body: x.request.body.as_deref().map(text),
        status,
        response_headers,
        response_body,
        transport_error,
    }
}
