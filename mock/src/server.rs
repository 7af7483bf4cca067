//! A running mock: bind, serve in the background, stop on drop.

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
use crate::faults::hooks::Faults;
use crate::faults::variant::Variant;
use crate::http::routes::routes;
use crate::http::state::AppState;
use crate::tenant::lifecycle::Lifecycle;
use crate::tenant::throttle::Throttle;
use crate::tenant::token::Issued;
use std::sync::atomic::AtomicU64;

/// How the mock behaves.
#[derive(Clone, Debug, Default)]
pub struct MockOptions {
    /// The only bearer token accepted; when `None`, any non-empty bearer token is accepted.
    pub token: Option<String>,
    /// Restricted tokens: they may read, and their updates are refused (403).
    pub credentials: Vec<(Restricted, String)>,
    /// A deliberate bug to run with.
    pub deviation: Option<Deviation>,
    /// A way of answering differently where the page is silent.
    pub variant: Option<Variant>,
    /// The definition lifecycle, the token endpoint and throttling.
    pub lifecycle: Lifecycle,
}

fn state(options: MockOptions) -> Arc<AppState> {
    Arc::new(AppState {
        store: Mutex::new(Store::default()),
        tokens: Tokens {
            token: options.token,
            restricted: options.credentials,
        },
        faults: Faults {
            deviation: options.deviation,
            variant: options.variant,
        },
        throttle: Throttle::of(&options.lifecycle),
        lifecycle: options.lifecycle,
        issued: Issued::default(),
        control_requests: AtomicU64::new(0),
    })
}

/// The mock's routes over a fresh store, to serve with your own server.
pub fn router(options: MockOptions) -> Router {
    routes(state(options))
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
        MockServer::start_with("127.0.0.1:0", MockOptions::default()).await
    }

    /// Binds `addr` (e.g. `127.0.0.1:0`) and serves in the background on the current
    /// runtime. The listener is bound when this returns: no readiness polling is needed.
    pub async fn start_with(addr: &str, options: MockOptions) -> std::io::Result<MockServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let state = state(options);
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

    /// How many seeding requests the fixture control protocol has had.
    pub fn control_requests(&self) -> u64 {
        self.state
            .control_requests
            .load(std::sync::atomic::Ordering::SeqCst)
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
