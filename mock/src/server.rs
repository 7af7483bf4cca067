//! A running mock: bind, serve in the background, stop on drop.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::core::auth::Tokens;
use crate::core::credential::Restricted;
use crate::core::refusal::Refusal;
use crate::core::store::{Seeded, Store, lock};
use crate::faults::deviation::Deviation;
use crate::faults::hooks::{Faults, Variants};
use crate::faults::silent_page::{SilentPage, SilentPageError};
use crate::faults::variant::Variant;
use crate::http::journal::{Journal, ReceivedRequest};
use crate::http::routes::routes;
use crate::http::state::AppState;
use crate::tenant::lifecycle::Lifecycle;
use crate::tenant::throttle::Throttle;
use crate::tenant::token::Issued;

/// How the mock behaves (what [`MockServer::builder`] sets one by one).
#[derive(Clone, Default)]
pub struct MockOptions {
    /// The only bearer token accepted; when `None`, any non-empty bearer token is accepted.
    pub token: Option<String>,
    /// Restricted tokens: they may read, and their updates are refused (403).
    pub credentials: Vec<(Restricted, String)>,
    /// A deliberate bug to run with.
    pub deviation: Option<Deviation>,
    /// Ways of answering differently where the page is silent.
    pub variants: Vec<Variant>,
    /// The error `code` of each error status, in place of the reference's (a profile's
    /// `error-codes`).
    pub error_codes: Vec<(u16, String)>,
    /// The definition lifecycle, the token endpoint and throttling.
    pub lifecycle: Lifecycle,
    /// The tenant's user ids, for the `unknown-users-400` variant (which refuses an update
    /// naming any other user).
    pub users: Vec<String>,
}

/// Tokens are secrets: `Debug` says whether there is one, never what it is.
impl fmt::Debug for MockOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials: Vec<String> = self
            .credentials
            .iter()
            .map(|(kind, _)| format!("{kind}=<redacted>"))
            .collect();
        f.debug_struct("MockOptions")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("credentials", &credentials)
            .field("deviation", &self.deviation)
            .field("variants", &self.variants)
            .field("error_codes", &self.error_codes)
            .field("users", &self.users.len())
            .field("lifecycle", &self.lifecycle)
            .finish()
    }
}

/// Builds a [`MockServer`]: `MockServer::builder().token("t").deviation(d).start().await`.
#[derive(Debug)]
pub struct MockServerBuilder {
    options: MockOptions,
    listen: String,
    recording: bool,
}

impl MockServerBuilder {
    /// The only bearer token accepted (by default any non-empty bearer token is).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.options.token = Some(token.into());
        self
    }

    /// A restricted token: it may read, and its updates are refused (403). Repeatable.
    pub fn credential(mut self, kind: Restricted, token: impl Into<String>) -> Self {
        self.options.credentials.push((kind, token.into()));
        self
    }

    /// A deliberate bug to run with.
    pub fn deviation(mut self, deviation: Deviation) -> Self {
        self.options.deviation = Some(deviation);
        self
    }

    /// A way of answering differently where the page is silent. Repeatable: variants
    /// combine.
    pub fn variant(mut self, variant: Variant) -> Self {
        if !self.options.variants.contains(&variant) {
            self.options.variants.push(variant);
        }
        self
    }

    /// Behave as a target profile says where the page is silent (its `silent-page`
    /// section: the variants it amounts to, and error codes by status); an error for a
    /// choice the mock cannot make.
    pub fn silent_page(mut self, page: &SilentPage) -> Result<Self, SilentPageError> {
        for v in page.variants()? {
            self = self.variant(v);
        }
        self.options.error_codes = page
            .error_codes
            .iter()
            .map(|(s, c)| (*s, c.clone()))
            .collect();
        Ok(self)
    }

    /// A user of the tenant (for the `unknown-users-400` variant). Repeatable.
    pub fn user(mut self, id: impl Into<String>) -> Self {
        self.options.users.push(id.into());
        self
    }

    /// The definition lifecycle, the token endpoint and throttling.
    pub fn lifecycle(mut self, lifecycle: Lifecycle) -> Self {
        self.options.lifecycle = lifecycle;
        self
    }

    /// The address to listen on (default `127.0.0.1:0`: a free port).
    pub fn listen(mut self, addr: impl Into<String>) -> Self {
        self.listen = addr.into();
        self
    }

    /// Keep no journal: [`MockServer::received_requests`] stays empty (for a server that
    /// runs long and is never asked).
    pub fn disable_request_recording(mut self) -> Self {
        self.recording = false;
        self
    }

    /// Binds and serves in the background on the current runtime. The listener is bound
    /// when this returns: no readiness polling is needed.
    pub async fn start(self) -> std::io::Result<MockServer> {
        MockServer::serve(&self.listen, state(self.options, self.recording)).await
    }
}

fn state(options: MockOptions, recording: bool) -> Arc<AppState> {
    Arc::new(AppState {
        store: Mutex::new(Store::default()),
        tokens: Tokens {
            token: options.token,
            restricted: options.credentials,
        },
        faults: Faults {
            deviation: options.deviation,
            variants: Variants::of(&options.variants),
        },
        error_codes: options.error_codes,
        throttle: Throttle::of(&options.lifecycle),
        users: options
            .users
            .iter()
            .map(|u| u.to_ascii_lowercase())
            .collect(),
        creates: std::sync::atomic::AtomicU64::new(0),
        lifecycle: options.lifecycle,
        issued: Issued::default(),
        journal: Journal::new(recording),
    })
}

/// The mock's routes over a fresh store, to serve with your own server.
pub fn router(options: MockOptions) -> Router {
    routes(state(options, true))
}

/// A running mock; dropping it stops the server.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// A faithful mock on `127.0.0.1` with a free port, accepting any bearer token.
    pub async fn start() -> std::io::Result<MockServer> {
        MockServer::builder().start().await
    }

    /// A builder: token, restricted credentials, deviation, variant, lifecycle, address.
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder {
            options: MockOptions::default(),
            listen: "127.0.0.1:0".into(),
            recording: true,
        }
    }

    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves `options` in the background on the
    /// current runtime, as [`MockServerBuilder::start`] does.
    pub async fn start_with(addr: &str, options: MockOptions) -> std::io::Result<MockServer> {
        MockServer::serve(addr, state(options, true)).await
    }

    async fn serve(addr: &str, state: Arc<AppState>) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let app = routes(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(MockServer {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL: everything before `/identityGovernance` (ends in `/beta`).
    pub fn base_url(&self) -> String {
        format!("http://{}/beta", self.addr)
    }

    /// The URL of the definitions collection.
    pub fn definitions_url(&self) -> String {
        format!(
            "{}/identityGovernance/accessReviews/definitions",
            self.base_url()
        )
    }

    /// The URL of one definition.
    pub fn definition_url(&self, definition_id: &str) -> String {
        format!("{}/{definition_id}", self.definitions_url())
    }

    /// The URL of one instance: where updates go.
    pub fn instance_url(&self, definition_id: &str, instance_id: &str) -> String {
        format!(
            "{}/instances/{instance_id}",
            self.definition_url(definition_id)
        )
    }

    /// Seeds a definition and its instances, as `POST /_conformance/fixtures` does:
    /// `{"definition": {…}, "instances": [{"status": "InProgress", …}]}`.
    pub fn seed(&self, fixture: &Value) -> Result<Seeded, Refusal> {
        lock(&self.state.store).seed(fixture)
    }

    /// An instance as stored, if it exists.
    pub fn instance(&self, definition_id: &str, instance_id: &str) -> Option<Value> {
        let store = lock(&self.state.store);
        let found = store.instance(definition_id, instance_id).ok()?;
        Some(Value::Object(found.clone()))
    }

    /// A definition as stored, if it exists.
    pub fn definition(&self, definition_id: &str) -> Option<Value> {
        let store = lock(&self.state.store);
        store.definition(definition_id).cloned().map(Value::Object)
    }

    /// The most definitions created through the API that were waiting for activation at one
    /// moment (how far a client overlapped its waits).
    pub fn max_pending_activations(&self) -> usize {
        lock(&self.state.store).max_pending_activations()
    }

    /// Every request answered so far, in the order answered (empty when recording was
    /// disabled). A request the mock never answers (the `hang` deviation) is not in it.
    pub fn received_requests(&self) -> Vec<ReceivedRequest> {
        self.state.journal.entries()
    }

    /// Every definition the mock holds whose display name starts with `prefix`.
    pub fn definitions_named(&self, prefix: &str) -> Vec<Value> {
        let store = lock(&self.state.store);
        let list = store.list_definitions(Some(prefix));
        list.into_iter().map(Value::Object).collect()
    }

    /// How many definitions the mock holds, seeded or created (0 once all were deleted).
    pub fn fixture_count(&self) -> usize {
        lock(&self.state.store).len()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::token::ClientApp;

    #[test]
    fn debug_never_shows_a_token_or_the_client_secret() {
        let options = MockOptions {
            token: Some("full-token-1".into()),
            credentials: vec![(Restricted::Roleless, "restricted-token-2".into())],
            lifecycle: Lifecycle {
                client: Some(ClientApp::with_secret("app", "client-secret-3")),
                ..Lifecycle::default()
            },
            ..MockOptions::default()
        };
        let builder = MockServer::builder()
            .token("full-token-1")
            .credential(Restricted::Roleless, "restricted-token-2")
            .lifecycle(options.lifecycle.clone());
        let shown = format!("{options:?} {options:#?} {builder:?}");
        for secret in ["full-token-1", "restricted-token-2", "client-secret-3"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("roleless=<redacted>"), "{shown}");
        // The same check catches a derived Debug, which prints every field.
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Derived<'a> {
            token: Option<&'a str>,
            credentials: &'a [(Restricted, String)],
        }
        let derived = format!(
            "{:?}",
            Derived {
                token: options.token.as_deref(),
                credentials: &options.credentials,
            }
        );
        assert!(derived.contains("full-token-1") && derived.contains("restricted-token-2"));
    }

    #[tokio::test]
    async fn urls_name_the_collection_a_definition_and_an_instance() {
        let mock = MockServer::start().await.unwrap();
        let base = mock.base_url();
        let collection = format!("{base}/identityGovernance/accessReviews/definitions");
        assert_eq!(mock.definitions_url(), collection);
        assert_eq!(mock.definition_url("d"), format!("{collection}/d"));
        assert_eq!(
            mock.instance_url("d", "i"),
            format!("{collection}/d/instances/i")
        );
    }
}
