//! The target under test: base URL, control URL, bearer token, one HTTP client, and the limits
//! (timeout, response size) every request is held to.

use std::fmt;
use std::time::Duration;

use crate::credential::Credential;
pub use crate::exchange::{HttpRequest, HttpResponse, TransportError};
use crate::gate::{Gate, MAX_RETRIES, backoff, retry_after};
use crate::oauth::TokenCache;

/// A bearer token that never shows itself: `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Secret {
        Secret(token.into())
    }

    /// The token itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where and how requests go.
#[derive(Debug, Clone)]
pub struct Target {
    client: reqwest::Client,
    /// When set, every request sent is kept here with the trial that sent it (for the
    /// benchmark's replay of a run's exchanges).
    pub recorder: Option<Recorder>,
    /// Client-credentials tokens, when the run uses them instead of a static token.
    pub flow: Option<std::sync::Arc<TokenCache>>,
    /// Throttling shared by every clone of this target (every trial of a run).
    gate: std::sync::Arc<Gate>,
    /// Everything before `/identityGovernance`, without a trailing slash.
    pub base_url: String,
    /// The fixture control URL, without a trailing slash.
    pub control_url: String,
    /// The bearer token, if any.
    pub token: Option<Secret>,
    /// Restricted credentials the target has (`--credential NAME=TOKEN`).
    pub credentials: std::collections::BTreeMap<Credential, Secret>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Response body cap in bytes.
    pub max_body: usize,
}

/// Where a recording target keeps every request it sends, with the trial that sent it.
pub type Recorder = std::sync::Arc<std::sync::Mutex<Vec<(String, HttpRequest)>>>;

/// The shortest token searched for and redacted in free text.
pub const REDACT_MIN_LEN: usize = 8;

/// The path of the definitions collection below the base URL.
pub const DEFINITIONS_PATH: &str = "/identityGovernance/accessReviews/definitions";

/// The origin of a URL (scheme and authority, no path).
pub fn origin(url: &str) -> &str {
    // Slices at positions `find` returned for ASCII patterns: always char boundaries.
    match url.find("://") {
        Some(i) => match url[i + 3..].find('/') {
            Some(j) => &url[..i + 3 + j],
            None => url,
        },
        None => url,
    }
}

/// The default control URL for a base URL: its origin + `/_conformance`.
pub fn default_control_url(base_url: &str) -> String {
    format!("{}/_conformance", origin(base_url).trim_end_matches('/'))
}

impl Target {
    /// A target with one shared client (installs the TLS crypto provider if needed).
    pub fn new(
        base_url: &str,
        control_url: Option<&str>,
        token: Option<Secret>,
        timeout: Duration,
        max_body: usize,
    ) -> Result<Target, TransportError> {
        install_crypto();
        let client = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::Request(e.to_string()))?;
        let base_url = base_url.trim_end_matches('/').to_string();
        let control_url = control_url
            .map(|c| c.trim_end_matches('/').to_string())
            .unwrap_or_else(|| default_control_url(&base_url));
        Ok(Target {
            client,
            recorder: None,
            flow: None,
            gate: std::sync::Arc::default(),
            base_url,
            control_url,
            token,
            credentials: Default::default(),
            timeout,
            max_body,
        })
    }

    /// The same target with these restricted credentials (`--credential NAME=TOKEN`).
    pub fn with_credentials(
        mut self,
        credentials: impl IntoIterator<Item = (Credential, String)>,
    ) -> Target {
        self.credentials = credentials
            .into_iter()
            .map(|(c, t)| (c, Secret::new(t)))
            .collect();
        self
    }

    /// `{base}/identityGovernance/accessReviews/definitions/{d}`.
    pub fn definition_url(&self, definition: &str) -> String {
        format!(
            "{}{DEFINITIONS_PATH}/{}",
            self.base_url,
            segment(definition)
        )
    }

    /// `{base}/identityGovernance/accessReviews/definitions/{d}/instances/{i}`.
    pub fn instance_url(&self, definition: &str, instance: &str) -> String {
        format!(
            "{}/instances/{}",
            self.definition_url(definition),
            segment(instance)
        )
    }

    /// The run's own token: the static one, or the latest client-credentials token.
    pub fn run_token(&self) -> Option<Secret> {
        match &self.flow {
            Some(flow) => flow.latest(),
            None => self.token.clone(),
        }
    }

    /// The headers every request starts with: `Authorization` with the run's token (when
    /// set), `Accept`, and `Content-Type` when there is a body.
    pub fn default_headers(&self, with_body: bool) -> Vec<(String, String)> {
        self.headers_with(self.run_token().as_ref(), with_body)
    }

    /// The headers a request starts with, carrying `token` (none: no `Authorization`).
    pub fn headers_with(&self, token: Option<&Secret>, with_body: bool) -> Vec<(String, String)> {
        let mut h = Vec::new();
        if let Some(t) = token {
            h.push(("Authorization".into(), format!("Bearer {}", t.expose())));
        }
        h.push(("Accept".into(), "application/json".into()));
        if with_body {
            h.push(("Content-Type".into(), "application/json".into()));
        }
        h
    }

    /// Replaces the token wherever it appears in `text`. Tokens shorter than
    /// [`REDACT_MIN_LEN`] are left in free text (they would garble every word); the
    /// `Authorization` header itself is always shown redacted.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        let flow = self.flow.iter().flat_map(|f| f.secrets());
        for t in self
            .token
            .iter()
            .chain(self.credentials.values())
            .cloned()
            .chain(flow)
        {
            if t.expose().len() >= REDACT_MIN_LEN {
                out = out.replace(t.expose(), "<redacted>");
            }
        }
        out
    }

    /// Sends a request and reads the whole answer, within the timeout and the size cap. A
    /// 429 or 503 is sent again (up to [`MAX_RETRIES`] times) after its `Retry-After` — which
    /// holds every request of the run — or after a backoff with jitter.
    pub async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if let Some(recorder) = &self.recorder {
            let trial = crate::runner::TRIAL
                .try_with(Clone::clone)
                .unwrap_or_default();
            recorder
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((trial, req.clone()));
        }
        let mut attempt = 0;
        loop {
            self.gate.wait().await;
            // Only a run on client-credentials tokens rewrites (and so copies) the request.
            let refreshed;
            let req = if self.flow.is_some() {
                refreshed = self.with_fresh_token(req).await?;
                &refreshed
            } else {
                req
            };
            let resp = match tokio::time::timeout(self.timeout, self.send_inner(req)).await {
                Ok(r) => r?,
                Err(_) => return Err(TransportError::Timeout(self.timeout)),
            };
            let throttled = matches!(resp.status, 429 | 503);
            if !throttled || attempt >= MAX_RETRIES {
                return Ok(resp);
            }
            match retry_after(resp.header("retry-after")) {
                Some(wait) => self.gate.hold(wait),
                None => tokio::time::sleep(backoff(attempt)).await,
            }
            attempt += 1;
        }
    }

    /// The request with its client-credentials token replaced by a fresh one when the one it
    /// was built with is due for refresh (a token never expires under a trial).
    async fn with_fresh_token(&self, req: &HttpRequest) -> Result<HttpRequest, TransportError> {
        let Some(flow) = &self.flow else {
            return Ok(req.clone());
        };
        let fresh = flow.fresh().await?;
        let issued = flow.secrets();
        let mut req = req.clone();
        for (k, v) in &mut req.headers {
            let stale = v
                .strip_prefix("Bearer ")
                .is_some_and(|t| t != fresh.expose() && issued.iter().any(|s| s.expose() == t));
            if k.eq_ignore_ascii_case("authorization") && stale {
                *v = format!("Bearer {}", fresh.expose());
            }
        }
        Ok(req)
    }

    async fn send_inner(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| TransportError::Request(e.to_string()))?;
        let mut builder = self.client.request(method, &req.url);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        // Every request carries a client-request-id, so a failure can be traced at the service.
        if !req
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("client-request-id"))
        {
            builder = builder.header("client-request-id", uuid::Uuid::new_v4().to_string());
        }
        if let Some(b) = &req.body {
            builder = builder.body(b.clone());
        }
        let mut resp = builder.send().await.map_err(|e| classify(&req.url, &e))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(TransportError::TooLarge {
                limit: self.max_body,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| TransportError::Broken(error_chain(&e)))?
        {
            if body.len() + chunk.len() > self.max_body {
                return Err(TransportError::TooLarge {
                    limit: self.max_body,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

fn segment(id: &str) -> String {
    // Ids are GUIDs in practice; escape what would change the path's shape.
    id.replace('%', "%25")
        .replace('/', "%2F")
        .replace('?', "%3F")
        .replace('#', "%23")
        .replace(' ', "%20")
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn classify(url: &str, e: &reqwest::Error) -> TransportError {
    if e.is_connect() {
        TransportError::Connect {
            url: url.to_string(),
            message: error_chain(e),
        }
    } else if e.is_builder() {
        TransportError::Request(error_chain(e))
    } else {
        TransportError::Broken(error_chain(e))
    }
}

/// Installs the ring crypto provider for rustls (once; later calls do nothing). reqwest's
/// lean TLS feature set needs it before the first client is built.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("http://127.0.0.1:8080/beta", "http://127.0.0.1:8080/_conformance")]
    #[case(
        "https://graph.microsoft.com/beta/",
        "https://graph.microsoft.com/_conformance"
    )]
    #[case("http://localhost:1", "http://localhost:1/_conformance")]
    fn control_url_defaults_to_origin(#[case] base: &str, #[case] control: &str) {
        assert_eq!(default_control_url(base), control);
    }

    #[test]
    fn secret_never_shows() {
        let s = Secret::new("tok-12345");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
        install_crypto();
        let t = Target::new("http://x/beta", None, Some(s), Duration::from_secs(1), 10).unwrap();
        assert_eq!(t.redact("Bearer tok-12345!"), "Bearer <redacted>!");
        assert!(!format!("{t:?}").contains("tok-12345"));
        // A very short token is not hunted in free text: it would garble every word.
        let short = Target::new(
            "http://x/beta",
            None,
            Some(Secret::new("t")),
            Duration::from_secs(1),
            10,
        )
        .unwrap();
        assert_eq!(short.redact("https://learn"), "https://learn");
    }

    /// A target at `addr` with a timeout and a body cap.
    fn target_at(addr: impl std::fmt::Display, timeout: Duration, max_body: usize) -> Target {
        Target::new(
            &format!("http://{addr}/beta"),
            None,
            None,
            timeout,
            max_body,
        )
        .unwrap()
    }

    /// A GET of a definition.
    fn get(t: &Target) -> HttpRequest {
        HttpRequest {
            method: "GET".into(),
            url: t.definition_url("d"),
            headers: vec![],
            body: None,
        }
    }

    /// A server that answers every connection with `response` and then closes.
    async fn raw_server(response: &'static str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(response.as_bytes()).await;
            }
        });
        format!("http://{addr}/beta")
    }

    #[rstest]
    #[case::announced_too_large(
        "HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n{}",
        "exceeds 100 bytes"
    )]
    #[case::cut_short(
        "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"a\":",
        "could not be read"
    )]
    #[case::not_http("SSH-2.0-OpenSSH_9.6\r\n", "could not be read")]
    #[tokio::test]
    async fn broken_answers_are_transport_errors(
        #[case] response: &'static str,
        #[case] message: &str,
    ) {
        install_crypto();
        let base = raw_server(response).await;
        let t = Target::new(&base, None, None, Duration::from_secs(5), 100).unwrap();
        let req = get(&t);
        let err = t.send(&req).await.unwrap_err();
        assert!(err.to_string().contains(message), "{err}");
    }

    #[tokio::test]
    async fn silence_is_a_timeout() {
        install_crypto();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _keep = tokio::spawn(async move {
            let held = listener.accept().await;
            std::future::pending::<()>().await;
            drop(held);
        });
        let t = target_at(addr, Duration::from_millis(300), 100);
        let req = get(&t);
        assert_eq!(
            t.send(&req).await.unwrap_err(),
            TransportError::Timeout(Duration::from_millis(300))
        );
    }

    #[tokio::test]
    async fn nobody_listening_is_a_connect_error() {
        install_crypto();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let t = target_at(addr, Duration::from_secs(5), 100);
        let req = get(&t);
        assert!(matches!(
            t.send(&req).await.unwrap_err(),
            TransportError::Connect { .. }
        ));
    }

    #[test]
    fn ids_cannot_change_the_path() {
        install_crypto();
        let t = Target::new("http://x/beta", None, None, Duration::from_secs(1), 10).unwrap();
        assert_eq!(
            t.instance_url("a/b", "c?d"),
            "http://x/beta/identityGovernance/accessReviews/definitions/a%2Fb/instances/c%3Fd"
        );
    }
}
