//! The request under test and its answer, as data: what every report shows of the exchange
//! and the `curl` line that sends it again.

use serde::{Deserialize, Serialize};

use crate::target::exchange::Exchange;

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

/// A `curl` line that sends a recorded request again, the token as `$GRAPH_TOKEN`.
pub fn curl_line(x: &ExchangeReport) -> String {
    let quote = |w: &str| format!("'{}'", w.replace('\'', "'\\''"));
    let mut parts = vec!["curl -sS -X".to_string(), quote(&x.method), quote(&x.url)];
    for (k, v) in &x.request_headers {
        parts.push("-H".into());
        if k.eq_ignore_ascii_case("authorization") {
            parts.push("\"Authorization: Bearer $GRAPH_TOKEN\"".into());
        } else {
            parts.push(quote(&format!("{k}: {v}")));
        }
    }
    if let Some(b) = &x.request_body {
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
