//! The target under test, reached over HTTP: [`Target`] (the client: base URL, token, limits,
//! `send`), the wire types every stage shares ([`exchange`]), throttling ([`gate`]),
//! client-credentials tokens ([`oauth`]), what is refused before any request ([`safety`]),
//! secrets that never show themselves ([`secret`]) and the recorder of a run's requests
//! ([`recorder`]). Pure stages (the case model, loading, verify) may use [`exchange`] only.

mod client;
pub mod credential;
pub mod exchange;
pub mod gate;
pub mod oauth;
pub mod recorder;
pub mod redact;
pub mod safety;
pub mod secret;
pub mod url;

pub use client::Target;
pub use exchange::{HttpRequest, HttpResponse, TransportError};
pub use secret::{Secret, install_crypto};
pub(crate) use url::segment;
pub use url::{DEFINITIONS_PATH, default_control_url, definitions_url, origin};
