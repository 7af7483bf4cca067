//! Client-credentials auth for live tenants: the `AZURE_*` variables ([`credentials`]) give
//! an app-only token for the target's resource, proven by a secret, a certificate's signed
//! assertion, or a federated token ([`assertion`]). Tokens are cached and refreshed well
//! before they expire, so a token that expires mid-run never fails a trial; a token endpoint
//! answering 429 or 5xx is asked again, and a failed refresh keeps the cached token while it
//! is valid. Secrets and tokens never show in `Debug`.

pub mod assertion;
pub mod credentials;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

pub use credentials::{ClientAuth, ClientCredentials, CredentialsError, DEFAULT_AUTHORITY};

use crate::target::exchange::TransportError;
use crate::target::secret::{Secret, install_crypto};
use crate::target::url::form_encode as encode;

/// How often the token endpoint is asked before a failure counts (429 and 5xx answers, and
/// requests that never got an answer, are asked again).
const TOKEN_ATTEMPTS: u32 = 4;

/// The longest `Retry-After` of the token endpoint that is waited for.
const MAX_TOKEN_RETRY_AFTER: Duration = Duration::from_secs(30);

/// After a failed refresh with a valid cached token, how long until the endpoint is asked
/// again.
const REFRESH_RETRY: Duration = Duration::from_secs(30);

/// The largest answer read from a token endpoint (an access token is a few kilobytes).
const MAX_TOKEN_ANSWER: usize = 1 << 20;

/// A JSON answer read up to [`MAX_TOKEN_ANSWER`] bytes (an empty object when it is not JSON).
async fn capped_json(mut resp: reqwest::Response) -> Result<Value, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| e.without_url().to_string())?
    {
        if body.len() + chunk.len() > MAX_TOKEN_ANSWER {
            return Err(format!(
                "the answer is larger than {MAX_TOKEN_ANSWER} bytes"
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(serde_json::from_slice(&body).unwrap_or_else(|_| Value::Object(Default::default())))
}

/// A cached token: when to refresh it, when it expires (`Debug` shows no token: `Secret`).
#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
    expires_at: Instant,
}

/// Tokens from a token endpoint, cached and refreshed.
#[derive(Debug)]
pub struct TokenCache {
    credentials: ClientCredentials,
    client: reqwest::Client,
    current: tokio::sync::Mutex<Option<Cached>>,
    /// The latest token (for building requests synchronously).
    latest: Mutex<Option<Secret>>,
    /// Every token ever issued to this run, and every assertion sent (to redact them all).
    issued: Mutex<Vec<Secret>>,
}

impl TokenCache {
    /// A cache for these credentials (nothing is fetched yet).
    pub fn new(
        credentials: ClientCredentials,
        timeout: Duration,
    ) -> Result<TokenCache, TransportError> {
        install_crypto();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::Request(e.to_string()))?;
        Ok(TokenCache {
            credentials,
            client,
            current: tokio::sync::Mutex::new(None),
            latest: Mutex::new(None),
            issued: Mutex::new(Vec::new()),
        })
    }

    /// The latest token fetched, if any.
    pub fn latest(&self) -> Option<Secret> {
        self.latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Every secret of this cache: the credential's and every token and assertion.
    pub fn secrets(&self) -> Vec<Secret> {
        let mut all = self.credentials.secrets();
        all.extend(
            self.issued
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .cloned(),
        );
        all
    }

    fn remember(&self, secret: &Secret) {
        self.issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(secret.clone());
    }

    /// A token that stays valid for a good while: the cached one, or a fresh one once the
    /// cached one has used half its life (or has less than five minutes left). When the
    /// refresh fails, the cached token serves until it expires.
    pub async fn fresh(&self) -> Result<Secret, TransportError> {
        let mut current = self.current.lock().await;
        let now = Instant::now();
        if let Some(cached) = &*current
            && now < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let (token, lifetime) = match self.request().await {
            Ok(answer) => answer,
            Err(e) => {
                return match current.as_mut() {
                    Some(cached) if Instant::now() < cached.expires_at => {
                        cached.refresh_at = (Instant::now() + REFRESH_RETRY).min(cached.expires_at);
                        Ok(cached.token.clone())
                    }
                    _ => Err(e),
                };
            }
        };
        let margin = (lifetime / 2).min(Duration::from_secs(300));
        let now = Instant::now();
        *current = Some(Cached {
            token: token.clone(),
            refresh_at: now + lifetime - margin,
            expires_at: now + lifetime,
        });
        *self
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token.clone());
        self.remember(&token);
        Ok(token)
    }

    /// The form proving who the client is: `client_secret=…`, or a client assertion.
    async fn proof(&self) -> Result<String, String> {
        let c = &self.credentials;
        let assertion = match &c.auth {
            ClientAuth::Secret(secret) => {
                return Ok(format!("client_secret={}", encode(secret.expose())));
            }
            ClientAuth::Certificate(certificate) => {
                certificate.assertion(&c.client_id, &c.token_url)?
            }
            ClientAuth::FederatedTokenFile(path) => assertion::federated_token(path)?,
            ClientAuth::GitHubOidc {
                request_url,
                request_token,
            } => self.github_token(request_url, request_token).await?,
        };
        self.remember(&assertion);
        Ok(format!(
            "client_assertion_type={}&client_assertion={}",
            encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            encode(assertion.expose())
        ))
    }

    /// GitHub's OIDC token for the job, with the audience Entra ID expects.
    async fn github_token(
        &self,
        request_url: &str,
        request_token: &Secret,
    ) -> Result<Secret, String> {
        let url = assertion::github_oidc_url(request_url);
        let failed = |what: String| format!("GitHub's OIDC token request failed: {what}");
        let resp = self
            .client
            .get(&url)
            .bearer_auth(request_token.expose())
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let answer = capped_json(resp).await.map_err(failed)?;
        match (status, answer["value"].as_str()) {
            (200, Some(token)) if !token.is_empty() => Ok(Secret::new(token)),
            _ => Err(failed(format!(
                "answered {status} without a token (does the job have `permissions: id-token: write`?)"
            ))),
        }
    }

    /// A token and its lifetime from the token endpoint, asking again after 429, 5xx or no
    /// answer (honouring `Retry-After` up to [`MAX_TOKEN_RETRY_AFTER`]).
    async fn request(&self) -> Result<(Secret, Duration), TransportError> {
        let c = &self.credentials;
        // A token endpoint may echo what it was sent: no secret of this cache in the message.
        let failed = |message: String| TransportError::Token {
            url: c.token_url.clone(),
            message: crate::target::redact::Redactor::new(&self.secrets()).text(&message),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= TOKEN_ATTEMPTS;
            let body = format!(
                "grant_type=client_credentials&client_id={}&{}&scope={}",
                encode(&c.client_id),
                self.proof().await.map_err(failed)?,
                encode(&c.scope)
            );
            let sent = self
                .client
                .post(&c.token_url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await;
            let resp = match sent {
                Ok(resp) => resp,
                Err(e) if last => return Err(failed(e.without_url().to_string())),
                Err(_) => {
                    tokio::time::sleep(backoff(attempt)).await;
                    continue;
                }
            };
            let status = resp.status().as_u16();
            if (status == 429 || status >= 500) && !last {
                let wait = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .map_or(backoff(attempt), |s| {
                        Duration::from_secs_f64(s).min(MAX_TOKEN_RETRY_AFTER)
                    });
                tokio::time::sleep(wait).await;
                continue;
            }
            let answer = capped_json(resp).await.map_err(failed)?;
            let (Some(token), 200) = (answer["access_token"].as_str(), status) else {
                // The error code and description name the problem; they never carry the secret.
                return Err(failed(format!(
                    "answered {status}: {} {}",
                    answer["error"].as_str().unwrap_or(""),
                    answer["error_description"].as_str().unwrap_or("")
                )));
            };
            let lifetime = Duration::from_secs(answer["expires_in"].as_u64().unwrap_or(3600));
            return Ok((Secret::new(token), lifetime));
        }
    }
}

/// The wait before asking the token endpoint again without a `Retry-After`: 1 s, 2 s, 4 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1 << attempt.saturating_sub(1).min(4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_percent_encoded_and_backoff_grows() {
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!([1, 2, 3].map(backoff), [1, 2, 4].map(Duration::from_secs));
    }
}
