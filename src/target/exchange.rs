//! What crosses the wire, as data: a request as sent, a response as received, why there was
//! no response, and the pair of them. No I/O here; the target sends, the report renders.

use std::time::Duration;

/// A request as sent (headers in order).
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// `PUT`, `PATCH`, …
    pub method: String,
    /// Absolute URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body bytes, if any.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// The request's headers as every output shows them: the `Authorization` credential
    /// replaced by `(redacted)` (its scheme kept), the rest as sent.
    pub fn shown_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(k, v)| {
                let shown = if k.eq_ignore_ascii_case("authorization") {
                    match v.split_once(' ') {
                        Some((scheme, _)) => format!("{scheme} (redacted)"),
                        None => "(redacted)".to_string(),
                    }
                } else {
                    v.clone()
                };
                (k.clone(), shown)
            })
            .collect()
    }
}

/// A response as received.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request got no complete answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No connection could be made.
    #[error("cannot connect to {url}: {message}")]
    Connect {
        /// Where.
        url: String,
        /// Why.
        message: String,
    },
    /// No complete answer within the timeout.
    #[error("no complete answer within {0:?} (--timeout)")]
    Timeout(Duration),
    /// The body exceeded the size cap.
    #[error("the response body exceeds {limit} bytes (--max-response-bytes)")]
    TooLarge {
        /// The cap.
        limit: usize,
    },
    /// The answer broke off or could not be read.
    #[error("the response could not be read: {0}")]
    Broken(String),
    /// The request could not be built (bad URL, bad header).
    #[error("the request could not be sent: {0}")]
    Request(String),
    /// No token: the token endpoint could not be reached or refused the client credentials
    /// (its error code and description; never the secret).
    #[error("no token from the token endpoint {url}: {message}")]
    Token {
        /// The token endpoint.
        url: String,
        /// Why.
        message: String,
    },
}

impl TransportError {
    /// What went wrong, without where (no URL, no id): the same for every request that
    /// failed alike, so that a run can count them together.
    pub fn cause(&self) -> String {
        match self {
            // The innermost reason of the chain: "Connection refused (os error 111)".
            TransportError::Connect { message, .. } => format!(
                "cannot connect ({})",
                message.rsplit(": ").next().unwrap_or(message).trim()
            ),
            TransportError::Token { .. } => "no token from the token endpoint".into(),
            TransportError::Broken(_) => "the response could not be read".into(),
            TransportError::Request(_) => "the request could not be sent".into(),
            other => other.to_string(),
        }
    }
}

/// A request and what came of it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request sent.
    pub request: HttpRequest,
    /// The response, or why there was none.
    pub response: Result<HttpResponse, TransportError>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("Authorization", "Bearer tok-123456789", "Bearer (redacted)")]
    #[case("authorization", "tok-123456789", "(redacted)")]
    #[case("Content-Type", "application/json", "application/json")]
    fn only_the_credential_is_hidden(#[case] name: &str, #[case] sent: &str, #[case] shown: &str) {
        let req = HttpRequest {
            method: "PUT".into(),
            url: "http://x".into(),
            headers: vec![(name.into(), sent.into())],
            body: None,
        };
        assert_eq!(
            req.shown_headers(),
            vec![(name.to_string(), shown.to_string())]
        );
    }
}
