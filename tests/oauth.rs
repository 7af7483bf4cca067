//! Tokens for a live tenant, against the reference mock's token endpoint: every credential
//! Azure Identity reads from the environment (secret, certificate, federated token file,
//! GitHub's OIDC token), the token endpoint asked again after 5xx, and a failed refresh that
//! keeps the cached token while it is valid. No secret, assertion or token shows in any error.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use accessreview_conformance::target::oauth::{ClientCredentials, TokenCache};
use accessreview_mock::{AppCredential, ClientApp, Lifecycle, MockServer};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/mock/tests/fixtures/certificate/"
);

async fn mock_for(credential: AppCredential) -> MockServer {
    MockServer::builder()
        .lifecycle(Lifecycle {
            client: Some(ClientApp {
                id: "app-1".into(),
                credential,
            }),
            ..Lifecycle::default()
        })
        .start()
        .await
        .unwrap()
}

/// Credentials from these variables, for the target at `base_url`, whose own origin is the
/// authority (a plain-http loopback one, so given with its scheme).
fn credentials(base_url: &str, vars: &[(&str, String)]) -> ClientCredentials {
    let authority = base_url.trim_end_matches("/beta").to_string();
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .chain([
            ("AZURE_TENANT_ID".to_string(), "tenant-1".to_string()),
            ("AZURE_CLIENT_ID".to_string(), "app-1".to_string()),
            ("AZURE_AUTHORITY_HOST".to_string(), authority),
        ])
        .collect();
    ClientCredentials::from_env(base_url, |k| {
        vars.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
    .unwrap()
}

fn cache(credentials: ClientCredentials) -> TokenCache {
    TokenCache::new(credentials, Duration::from_secs(10)).unwrap()
}

/// Whether any of these secrets shows in `text`.
fn leaks(text: &str, secrets: &[&str]) -> bool {
    secrets.iter().any(|s| text.contains(s))
}

#[tokio::test]
async fn a_federated_token_file_is_read_for_every_token_and_never_shown() {
    let mock = mock_for(AppCredential::FederatedToken("fed-token-AAA".into())).await;
    let dir = std::env::temp_dir().join(format!("oauth-fed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("token");
    std::fs::write(&file, "fed-token-AAA\n").unwrap();
    let c = credentials(
        &mock.base_url(),
        &[("AZURE_FEDERATED_TOKEN_FILE", file.display().to_string())],
    );
    let tokens = cache(c.clone());
    let token = tokens.fresh().await.unwrap();
    assert!(token.expose().contains(".mock-access-token-"));
    // Every assertion sent is a secret of the run, redacted like the tokens.
    let secrets: Vec<String> = tokens
        .secrets()
        .iter()
        .map(|s| s.expose().to_string())
        .collect();
    assert!(secrets.iter().any(|s| s == "fed-token-AAA"), "{secrets:?}");
    // The platform rotated the file to a token the tenant does not trust: refused, unshown.
    std::fs::write(&file, "fed-token-BBB").unwrap();
    let err = cache(c).fresh().await.unwrap_err().to_string();
    assert!(err.contains("AADSTS700213"), "{err}");
    assert!(!leaks(&err, &["fed-token-AAA", "fed-token-BBB"]), "{err}");
}

#[tokio::test]
async fn a_certificate_signs_an_assertion_the_token_endpoint_verifies() {
    let public_key = std::fs::read(format!("{FIXTURES}public.der")).unwrap();
    let mock = mock_for(AppCredential::Certificate { public_key }).await;
    let c = credentials(
        &mock.base_url(),
        &[(
            "AZURE_CLIENT_CERTIFICATE_PATH",
            format!("{FIXTURES}app.pem"),
        )],
    );
    assert_eq!(c.auth.kind(), "certificate");
    let tokens = cache(c);
    assert!(tokens.fresh().await.is_ok());
    // Another application's key is refused.
    let other = mock_for(AppCredential::Certificate {
        public_key: vec![0x30, 0x0d],
    })
    .await;
    let c = credentials(
        &other.base_url(),
        &[(
            "AZURE_CLIENT_CERTIFICATE_PATH",
            format!("{FIXTURES}app.pem"),
        )],
    );
    let err = cache(c).fresh().await.unwrap_err().to_string();
    assert!(err.contains("AADSTS700027"), "{err}");
    assert!(!err.contains("eyJ"), "an assertion was shown: {err}");
}

/// GitHub's token service: hands `fed-token-GH` to the bearer of `gh-request-token` asking
/// for Entra ID's audience.
fn github(head: &str) -> common::Scripted {
    let authorized = head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("authorization: bearer gh-request-token"));
    if authorized && head.contains("audience=api%3A%2F%2FAzureADTokenExchange") {
        ("200 OK", "", r#"{"count":1,"value":"fed-token-GH"}"#)
    } else {
        ("403 Forbidden", "", r#"{"message":"no"}"#)
    }
}

#[tokio::test]
async fn githubs_oidc_token_is_exchanged_for_a_token() {
    let mock = mock_for(AppCredential::FederatedToken("fed-token-GH".into())).await;
    let github = common::scripted_target(github).await;
    let request_url = format!("{github}/oidc?api-version=2.0");
    let c = credentials(
        &mock.base_url(),
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.clone()),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token".into()),
        ],
    );
    assert_eq!(c.auth.kind(), "GitHub OIDC token");
    let tokens = cache(c);
    tokens.fresh().await.unwrap();
    let secrets: Vec<String> = tokens
        .secrets()
        .iter()
        .map(|s| s.expose().to_string())
        .collect();
    assert!(
        secrets.iter().any(|s| s == "gh-request-token"),
        "{secrets:?}"
    );
    assert!(secrets.iter().any(|s| s == "fed-token-GH"), "{secrets:?}");
    // A job without `id-token: write` gets a refusal that says so, without the request token.
    let c = credentials(
        &mock.base_url(),
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-other-token".into()),
        ],
    );
    let err = cache(c).fresh().await.unwrap_err().to_string();
    assert!(err.contains("id-token: write"), "{err}");
    assert!(!err.contains("gh-other-token"), "{err}");
}

static FLAKY_CALLS: AtomicUsize = AtomicUsize::new(0);

/// A token endpoint that answers 503 (no Retry-After), then 429 (Retry-After 0), then a token.
fn flaky(_head: &str) -> common::Scripted {
    match FLAKY_CALLS.fetch_add(1, Ordering::SeqCst) {
        0 => (
            "503 Service Unavailable",
            "",
            r#"{"error":"temporarily_unavailable"}"#,
        ),
        1 => ("429 Too Many Requests", "Retry-After: 0\r\n", "{}"),
        _ => (
            "200 OK",
            "",
            r#"{"token_type":"Bearer","expires_in":3600,"access_token":"tok-after-retries"}"#,
        ),
    }
}

#[tokio::test]
async fn the_token_endpoint_is_asked_again_after_503_and_429() {
    let endpoint = common::scripted_target(flaky).await;
    let c = credentials(&endpoint, &[("AZURE_CLIENT_SECRET", "s".into())]);
    let token = cache(c).fresh().await.unwrap();
    assert_eq!(token.expose(), "tok-after-retries");
    assert_eq!(FLAKY_CALLS.load(Ordering::SeqCst), 3);
}

static FAILING_CALLS: AtomicUsize = AtomicUsize::new(0);

/// A token endpoint that issues one token living 4 s, then fails for good.
fn fails_after_one(_head: &str) -> common::Scripted {
    match FAILING_CALLS.fetch_add(1, Ordering::SeqCst) {
        0 => (
            "200 OK",
            "",
            r#"{"token_type":"Bearer","expires_in":4,"access_token":"tok-first"}"#,
        ),
        _ => ("400 Bad Request", "", r#"{"error":"invalid_client"}"#),
    }
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_cached_token_until_it_expires() {
    let endpoint = common::scripted_target(fails_after_one).await;
    let c = credentials(&endpoint, &[("AZURE_CLIENT_SECRET", "s".into())]);
    let tokens = cache(c);
    assert_eq!(tokens.fresh().await.unwrap().expose(), "tok-first");
    // Refresh is due after half the token's life (2 s): poll until the endpoint was asked
    // again and refused; the cached token still serves.
    let deadline = Instant::now() + Duration::from_secs(10);
    while FAILING_CALLS.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "no refresh was attempted");
        assert_eq!(tokens.fresh().await.unwrap().expose(), "tok-first");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(tokens.fresh().await.unwrap().expose(), "tok-first");
}

/// A token endpoint that echoes the client secret it was sent, JSON-escaped.
fn echoing(_head: &str) -> common::Scripted {
    (
        "401 Unauthorized",
        "",
        r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: s3cret\/with-slash-1234"}"#,
    )
}

#[tokio::test]
async fn a_secret_the_token_endpoint_echoes_is_not_shown() {
    let endpoint = common::scripted_target(echoing).await;
    let c = credentials(
        &endpoint,
        &[("AZURE_CLIENT_SECRET", "s3cret/with-slash-1234".into())],
    );
    let err = cache(c).fresh().await.unwrap_err().to_string();
    assert!(err.contains("AADSTS7000215"), "{err}");
    assert!(err.contains("(redacted)"), "{err}");
    assert!(!err.contains("with-slash-1234"), "{err}");
}

/// A token endpoint whose answer never ends.
fn endless(_head: &str) -> common::Scripted {
    static BIG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = BIG.get_or_init(|| format!("{{\"access_token\":\"{}\"}}", "x".repeat(3 << 20)));
    ("200 OK", "", body.as_str())
}

#[tokio::test]
async fn a_token_endpoint_answer_is_read_up_to_a_cap() {
    let endpoint = common::scripted_target(endless).await;
    let c = credentials(&endpoint, &[("AZURE_CLIENT_SECRET", "s".into())]);
    let err = cache(c).fresh().await.unwrap_err().to_string();
    assert!(err.contains("larger than"), "{err}");
}
