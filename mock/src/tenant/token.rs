//! A client-credentials token endpoint (`POST /{tenant}/oauth2/v2.0/token`), as Microsoft
//! Entra ID serves it, issuing tokens that expire — so that a suite's token cache and refresh
//! are tested locally.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The application the token endpoint accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientApp {
    /// `client_id`.
    pub id: String,
    /// How the application proves who it is. Never printed.
    pub credential: AppCredential,
}

/// How an application proves who it is at the token endpoint, as Microsoft Entra ID accepts
/// it: a client secret, a federated token (workload identity, GitHub's OIDC token) or a JWT
/// signed with the application's certificate, each as `client_assertion`.
#[derive(Clone, PartialEq, Eq)]
pub enum AppCredential {
    /// `client_secret`.
    Secret(String),
    /// A `client_assertion` from a trusted issuer: accepted when it is exactly this token.
    FederatedToken(String),
    /// A `client_assertion` signed (RS256) with the certificate whose RSA public key this is
    /// (PKCS#1 `RSAPublicKey`, DER), naming the application as issuer and subject, for this
    /// token endpoint, not expired.
    Certificate {
        /// The public key, DER.
        public_key: Vec<u8>,
    },
}

impl ClientApp {
    /// An application with a client secret.
    pub fn with_secret(id: impl Into<String>, secret: impl Into<String>) -> ClientApp {
        ClientApp {
            id: id.into(),
            credential: AppCredential::Secret(secret.into()),
        }
    }
}

/// The secret is never printed: `Debug` shows the client id and the credential's kind only.
impl fmt::Debug for ClientApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.credential {
            AppCredential::Secret(_) => "secret <redacted>",
            AppCredential::FederatedToken(_) => "federated token <redacted>",
            AppCredential::Certificate { .. } => "certificate",
        };
        f.debug_struct("ClientApp")
            .field("id", &self.id)
            .field("credential", &kind)
            .finish()
    }
}

/// Tokens issued so far, with their expiry (no `Debug`: they are secrets).
#[derive(Default)]
pub(crate) struct Issued {
    tokens: Mutex<HashMap<String, Instant>>,
}

/// What the token endpoint answers: status and JSON body.
pub(crate) type TokenAnswer = (u16, Value);

/// Decodes `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte).
pub(crate) fn form(body: &[u8]) -> HashMap<String, String> {
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match b {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = bytes
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    match hex {
                        Some(v) => {
                            out.push(v);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                other => out.push(other),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

/// An app-only access token shaped as Entra ID issues them: a JWT whose claims name the
/// tenant (`tid`), the application (`appid`), its service principal (`oid`, the same for every
/// token of the app) and the audience; the signature part is random (`mock-access-token-…`),
/// so the mock alone can tell its tokens apart.
fn access_token(app: &ClientApp, path: &str, scope: &str) -> String {
    use base64::Engine;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let tenant = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let oid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, app.id.as_bytes());
    let audience = scope.trim_end_matches("/.default");
    format!(
        "{}.{}.mock-access-token-{}",
        b64(json!({"typ": "JWT", "alg": "RS256"})),
        b64(
            json!({"aud": audience, "tid": tenant, "appid": app.id, "oid": oid.to_string(), "idtyp": "app", "roles": ["AccessReview.ReadWrite.All"]})
        ),
        uuid::Uuid::new_v4().simple()
    )
}

/// The form type of a JWT `client_assertion`.
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Whether the form proves it comes from `app` (the request's `path` is the audience a signed
/// assertion must name); else the error code and description Entra ID answers.
fn proves(
    app: &ClientApp,
    f: &HashMap<String, String>,
    path: &str,
) -> Result<(), (&'static str, &'static str)> {
    let assertion = || {
        if f.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
            return Err((
                "invalid_request",
                "AADSTS50027: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            ));
        }
        f.get("client_assertion").map(String::as_str).ok_or((
            "invalid_request",
            "AADSTS900144: client_assertion is missing.",
        ))
    };
    match &app.credential {
        AppCredential::Secret(secret) if f.get("client_secret") == Some(secret) => Ok(()),
        AppCredential::Secret(_) => Err((
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided.",
        )),
        AppCredential::FederatedToken(token) if assertion()? == token => Ok(()),
        AppCredential::FederatedToken(_) => Err((
            "invalid_client",
            "AADSTS700213: No matching federated identity record found for presented assertion.",
        )),
        AppCredential::Certificate { public_key } => {
            crate::tenant::assertion::verify(assertion()?, public_key, &app.id, path).map_err(
                |_| {
                    (
                        "invalid_client",
                        "AADSTS700027: Client assertion failed signature validation.",
                    )
                },
            )
        }
    }
}

impl Issued {
    /// Answers a token request for `app` with tokens living `lifetime`.
    pub(crate) fn answer(
        &self,
        app: Option<&ClientApp>,
        path: &str,
        body: &[u8],
        lifetime: Duration,
    ) -> TokenAnswer {
        let f = form(body);
        let error = |status: u16, code: &str, description: &str| {
            (
                status,
                json!({"error": code, "error_description": description}),
            )
        };
        if f.get("grant_type").map(String::as_str) != Some("client_credentials") {
            return error(
                400,
                "unsupported_grant_type",
                "AADSTS70003: The app requested an unsupported grant type.",
            );
        }
        let Some(app) = app else {
            return error(
                400,
                "unauthorized_client",
                "AADSTS700016: No application is registered with this mock.",
            );
        };
        if f.get("client_id") != Some(&app.id) {
            return error(
                400,
                "unauthorized_client",
                "AADSTS700016: Application not found in the directory.",
            );
        }
        if let Err((code, description)) = proves(app, &f, path) {
            return error(401, code, description);
        }
        let token = access_token(app, path, f.get("scope").map_or("", String::as_str));
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(token.clone(), Instant::now() + lifetime);
        let secs = lifetime.as_secs().max(1);
        (
            200,
            json!({"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": token}),
        )
    }

    /// For a token this endpoint issued: whether it is still valid (`None`: not one of ours).
    pub(crate) fn valid(&self, token: &str) -> Option<bool> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(token)
            .map(|expires| Instant::now() < *expires)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/t/oauth2/v2.0/token";

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = "s3cr3t-value";
        let app = ClientApp::with_secret("app", secret);
        let shown = format!("{app:?} {app:#?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(
            shown.contains("app") && shown.contains("<redacted>"),
            "{shown}"
        );
        // The same check catches a derived Debug, which prints every field.
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Derived<'a> {
            id: &'a str,
            secret: &'a str,
        }
        let derived = format!("{:?}", Derived { id: "app", secret });
        assert!(derived.contains(secret), "{derived}");
    }

    #[test]
    fn issues_tokens_for_the_right_secret_only() {
        let app = ClientApp::with_secret("app", "s3cr&t=+");
        let issued = Issued::default();
        let body =
            b"grant_type=client_credentials&client_id=app&client_secret=s3cr%26t%3D%2B&scope=x";
        let (status, answer) = issued.answer(Some(&app), PATH, body, Duration::from_secs(60));
        assert_eq!(status, 200, "{answer}");
        let token = answer["access_token"].as_str().unwrap();
        assert_eq!(issued.valid(token), Some(true));
        // Shaped as Entra ID's: a JWT naming the app's service principal, the same each time.
        use base64::Engine;
        let claims = |t: &str| -> serde_json::Value {
            let part = t.split('.').nth(1).unwrap();
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(part)
                    .unwrap(),
            )
            .unwrap()
        };
        let (_, again) = issued.answer(Some(&app), PATH, body, Duration::from_secs(60));
        let again = again["access_token"].as_str().unwrap();
        assert_ne!(token, again);
        assert_eq!(claims(token)["oid"], claims(again)["oid"]);
        assert!(claims(token)["oid"].as_str().is_some_and(|o| o.len() == 36));
        assert_eq!(claims(token)["tid"], "t");
        assert_eq!(claims(token)["appid"], "app");
        assert_eq!(issued.valid("other"), None);
        let (status, answer) = issued.answer(
            Some(&app),
            PATH,
            b"grant_type=client_credentials&client_id=app&client_secret=no",
            Duration::from_secs(60),
        );
        assert_eq!(
            (status, answer["error"].as_str()),
            (401, Some("invalid_client"))
        );
        let (_, answer) = issued.answer(Some(&app), PATH, body, Duration::ZERO);
        assert_eq!(
            issued.valid(answer["access_token"].as_str().unwrap()),
            Some(false)
        );
    }

    #[test]
    fn a_federated_token_is_accepted_as_the_client_assertion_only_when_it_matches() {
        let app = ClientApp {
            id: "app".into(),
            credential: AppCredential::FederatedToken("fed.token.1".into()),
        };
        let issued = Issued::default();
        let ask = |form: &str| {
            let (status, answer) =
                issued.answer(Some(&app), PATH, form.as_bytes(), Duration::from_secs(60));
            (status, answer["error"].as_str().unwrap_or("").to_string())
        };
        let kind = "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";
        let base = "grant_type=client_credentials&client_id=app";
        assert_eq!(
            ask(&format!("{base}&{kind}&client_assertion=fed.token.1")).0,
            200
        );
        assert_eq!(
            ask(&format!("{base}&{kind}&client_assertion=fed.token.2")),
            (401, "invalid_client".into())
        );
        assert_eq!(
            ask(&format!("{base}&client_assertion=fed.token.1")),
            (401, "invalid_request".into())
        );
        // A secret is not what this application proves itself with.
        assert_eq!(ask(&format!("{base}&client_secret=fed.token.1")).0, 401);
        assert!(!format!("{app:?}").contains("fed.token.1"));
    }
}
