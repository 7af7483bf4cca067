//! The target under test: base URL, control URL, bearer token, one HTTP client, and the limits
//! (timeout, response size) every request is held to.

use std::time::Duration;

use crate::target::credential::Credential;
pub use crate::target::exchange::{HttpRequest, HttpResponse, TransportError};
use crate::target::gate::{Gate, MAX_RETRIES, MAX_RETRY_AFTER, backoff, retry_after, retryable};
use crate::target::oauth::TokenCache;
use crate::target::recorder::{Recorded, Recorder, TRIAL};
use crate::target::secret::{Secret, install_crypto};
use crate::target::url::{default_control_url, default_setup_base, definitions_url, object_url};

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
    /// Whether fixture control requests carry the run's token: the control URL is on the base
    /// URL's origin (set by [`Target::new`]), or the user said so.
    pub control_authorized: bool,
    /// The base URL of the lifecycle around the update on a live tenant (create, wait, stop,
    /// list, delete), without a trailing slash: by default the base URL with `/v1.0` for
    /// `/beta` ([`default_setup_base`]); always on the base URL's origin.
    pub setup_base_url: String,
    /// The bearer token, if any.
    pub token: Option<Secret>,
    /// Restricted credentials the target has (`--credential NAME=TOKEN`).
    pub credentials: std::collections::BTreeMap<Credential, Secret>,
    /// Per-request timeout (each attempt).
    pub timeout: Duration,
    /// How long one request may take in all, retries and their waits included.
    pub deadline: Duration,
    /// Response body cap in bytes.
    pub max_body: usize,
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
            setup_base_url: default_setup_base(&base_url),
            control_authorized: crate::target::url::origin(&control_url)
                .eq_ignore_ascii_case(crate::target::url::origin(&base_url)),
            base_url,
            control_url,
            token,
            credentials: Default::default(),
            timeout,
            deadline: timeout.saturating_mul(10),
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

    /// `{base}/identityGovernance/accessReviews/definitions`.
    pub fn definitions_url(&self) -> String {
        definitions_url(&self.base_url)
    }

    /// `{setup base}/identityGovernance/accessReviews/definitions`: where a live run creates,
    /// lists and deletes the definitions around the update.
    pub fn setup_definitions_url(&self) -> String {
        definitions_url(&self.setup_base_url)
    }

    /// `{setup base}/identityGovernance/accessReviews/definitions/{d}`.
    pub fn setup_definition_url(&self, definition: &str) -> String {
        object_url(&self.setup_base_url, definition, None)
    }

    /// `{base}/identityGovernance/accessReviews/definitions/{d}`.
    pub fn definition_url(&self, definition: &str) -> String {
        object_url(&self.base_url, definition, None)
    }

    /// `{base}/identityGovernance/accessReviews/definitions/{d}/instances/{i}`.
    pub fn instance_url(&self, definition: &str, instance: &str) -> String {
        object_url(&self.base_url, definition, Some(instance))
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

    /// The headers of a fixture control request: the run's token only when the control URL
    /// is on the base URL's origin, or `--send-token-to-control-url` says so.
    pub fn control_headers(&self, with_body: bool) -> Vec<(String, String)> {
        let token = self.control_authorized.then(|| self.run_token()).flatten();
        self.headers_with(token.as_ref(), with_body)
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

    /// Every secret this target holds: the token, the restricted credentials, the client
    /// credentials with every token and assertion issued, and passwords in its URLs.
    pub fn secrets(&self) -> Vec<Secret> {
        let flow = self.flow.iter().flat_map(|f| f.secrets());
        let urls = [&self.base_url, &self.control_url, &self.setup_base_url]
            .into_iter()
            .filter_map(|u| crate::target::redact::url_password(u));
        self.token
            .iter()
            .chain(self.credentials.values())
            .cloned()
            .chain(flow)
            .chain(urls)
            .collect()
    }

    /// What takes every secret of this target out of text and data
    /// ([`crate::target::redact`]).
    pub fn redactor(&self) -> crate::target::redact::Redactor {
        crate::target::redact::Redactor::new(&self.secrets())
    }

    /// `text` with every secret of this target replaced by `(redacted)`.
    pub fn redact(&self, text: &str) -> String {
        self.redactor().text(text)
    }

    /// Sends a request and reads the whole answer, within the timeout and the size cap. A
    /// 429, 503 or 504 is sent again (up to [`MAX_RETRIES`] times; a `POST` only after a 429)
    /// after its `Retry-After` (up to [`MAX_RETRY_AFTER`]) or a backoff with jitter, either of
    /// which holds every request of the run.
    pub async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let Some(recorder) = &self.recorder else {
            return self.send_retrying(req).await;
        };
        let lock = || {
            recorder
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let at = {
            let mut recorded = lock();
            recorded.push(Recorded {
                trial: TRIAL.try_with(Clone::clone).unwrap_or_default(),
                request: req.clone(),
                answer: None,
            });
            recorded.len() - 1
        };
        let result = self.send_retrying(req).await;
        if let (Ok(resp), Some(r)) = (&result, lock().get_mut(at)) {
            r.answer = Some((resp.status, resp.body.clone()));
        }
        result
    }

    /// [`Target::send`] without recording.
    async fn send_retrying(&self, req: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut attempt = 0;
        let started = std::time::Instant::now();
        loop {
            let remaining = |started: std::time::Instant| {
                self.deadline
                    .checked_sub(started.elapsed())
                    .filter(|r| !r.is_zero())
            };
            let Some(left) = remaining(started) else {
                return Err(TransportError::Timeout(self.deadline));
            };
            // Another worker's throttling holds this request too, but not past its deadline.
            if tokio::time::timeout(left, self.gate.wait()).await.is_err() {
                return Err(TransportError::Timeout(self.deadline));
            }
            let Some(left) = remaining(started) else {
                return Err(TransportError::Timeout(self.deadline));
            };
            let limit = self.timeout.min(left);
            // Only a run on client-credentials tokens rewrites (and so copies) the request.
            let refreshed;
            let req = if self.flow.is_some() {
                refreshed = self.with_fresh_token(req).await?;
                &refreshed
            } else {
                req
            };
            let resp = match tokio::time::timeout(limit, self.send_inner(req)).await {
                Ok(r) => r?,
                Err(_) => return Err(TransportError::Timeout(limit)),
            };
            if !retryable(&req.method, resp.status) || attempt >= MAX_RETRIES {
                return Ok(resp);
            }
            let wait = match retry_after(resp.header("retry-after")) {
                // Longer than we honour: the throttled answer stands.
                Some(wait) if wait > MAX_RETRY_AFTER => return Ok(resp),
                Some(wait) => wait,
                None => backoff(attempt),
            };
            // Past the request's deadline, retries included: the throttled answer stands.
            if started.elapsed() + wait >= self.deadline {
                return Ok(resp);
            }
            // Every worker waits, not only this one: the service throttles the app.
            self.gate.hold(wait);
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
        } else if ["POST", "PUT", "PATCH"].contains(&req.method.as_str())
            && !req
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        {
            // hyper sends no length for a bodyless request, and Microsoft Graph answers 411
            // Length Required to a POST/PUT/PATCH without one (the mock does too).
            builder = builder.header(reqwest::header::CONTENT_LENGTH, "0");
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

#[cfg(test)]
mod tests;
