//! Client-credentials auth for live tenants: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
//! `AZURE_CLIENT_SECRET` (and `AZURE_AUTHORITY_HOST` for national clouds) give an app-only
//! token for the target's resource, cached and refreshed well before it expires, so a token
//! that expires mid-run never fails a trial. Secrets and tokens never show in `Debug`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::target::exchange::TransportError;
use crate::target::secret::{Secret, install_crypto};

/// The public cloud's authority.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// Where and as whom to get tokens.
#[derive(Clone)]
pub struct ClientCredentials {
    /// `{authority}/{tenant}/oauth2/v2.0/token`.
    pub token_url: String,
    /// The application (client) id.
    pub client_id: String,
    /// The client secret.
    pub secret: Secret,
    /// `{resource origin}/.default`.
    pub scope: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("secret", &self.secret)
            .finish()
    }
}

impl ClientCredentials {
    /// From the `AZURE_*` variables, for a target whose base URL is `base_url`; `None` unless
    /// tenant, client id and secret are all set.
    pub fn from_env(
        base_url: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Option<ClientCredentials> {
        let tenant = env("AZURE_TENANT_ID")?;
        let client_id = env("AZURE_CLIENT_ID")?;
        let secret = env("AZURE_CLIENT_SECRET")?;
        let authority = env("AZURE_AUTHORITY_HOST").unwrap_or_else(|| DEFAULT_AUTHORITY.into());
        Some(ClientCredentials {
            token_url: format!(
                "{}/{tenant}/oauth2/v2.0/token",
                authority.trim_end_matches('/')
            ),
            client_id,
            secret: Secret::new(secret),
            scope: format!("{}/.default", crate::target::url::origin(base_url)),
        })
    }
}

/// Tokens from a token endpoint, cached and refreshed.
#[derive(Debug)]
pub struct TokenCache {
    credentials: ClientCredentials,
    client: reqwest::Client,
    current: tokio::sync::Mutex<Option<(Secret, Instant)>>,
    /// The latest token (for building requests synchronously).
    latest: Mutex<Option<Secret>>,
    /// Every token ever issued to this run (to redact them all from output).
    issued: Mutex<Vec<Secret>>,
}

/// Percent-encodes a form value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
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

    /// Every secret of this cache: the client secret and every token issued.
    pub fn secrets(&self) -> Vec<Secret> {
        let mut all = vec![self.credentials.secret.clone()];
        all.extend(
            self.issued
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .cloned(),
        );
        all
    }

    /// A token that stays valid for a good while: the cached one, or a fresh one once the
    /// cached one has used half its life (or has less than five minutes left).
    pub async fn fresh(&self) -> Result<Secret, TransportError> {
        let mut current = self.current.lock().await;
        if let Some((token, refresh_at)) = &*current
            && Instant::now() < *refresh_at
        {
            return Ok(token.clone());
        }
        let c = &self.credentials;
        let body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
            encode(&c.client_id),
            encode(c.secret.expose()),
            encode(&c.scope)
        );
        let failed = |message: String| TransportError::Token {
            url: c.token_url.clone(),
            message,
        };
        let resp = self
            .client
            .post(&c.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = resp.status().as_u16();
        let answer: Value = resp.json().await.map_err(|e| failed(e.to_string()))?;
        let (Some(token), 200) = (answer["access_token"].as_str(), status) else {
            // The error code and description name the problem; they never carry the secret.
            return Err(failed(format!(
                "answered {status}: {} {}",
                answer["error"].as_str().unwrap_or(""),
                answer["error_description"].as_str().unwrap_or("")
            )));
        };
        let lifetime = Duration::from_secs(answer["expires_in"].as_u64().unwrap_or(3600));
        let margin = (lifetime / 2).min(Duration::from_secs(300));
        let token = Secret::new(token);
        *current = Some((token.clone(), Instant::now() + lifetime - margin));
        *self
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(token.clone());
        self.issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(token.clone());
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_from_the_environment_and_never_show() {
        let env = |k: &str| match k {
            "AZURE_TENANT_ID" => Some("t-1".to_string()),
            "AZURE_CLIENT_ID" => Some("c-1".to_string()),
            "AZURE_CLIENT_SECRET" => Some("very-secret-value".to_string()),
            _ => None,
        };
        let c = ClientCredentials::from_env("https://graph.microsoft.com/beta", env).unwrap();
        assert_eq!(
            c.token_url,
            "https://login.microsoftonline.com/t-1/oauth2/v2.0/token"
        );
        assert_eq!(c.scope, "https://graph.microsoft.com/.default");
        assert!(!format!("{c:?}").contains("very-secret-value"));
        let usgov = |k: &str| match k {
            "AZURE_AUTHORITY_HOST" => Some("https://login.microsoftonline.us/".to_string()),
            other => env(other),
        };
        let c = ClientCredentials::from_env("https://graph.microsoft.us/beta", usgov).unwrap();
        assert_eq!(
            c.token_url,
            "https://login.microsoftonline.us/t-1/oauth2/v2.0/token"
        );
        assert!(ClientCredentials::from_env("https://x/beta", |_| None).is_none());
        assert_eq!(encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
