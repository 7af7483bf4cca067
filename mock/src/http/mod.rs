//! The HTTP glue on axum. Its main type is [`state::AppState`], what every handler shares:
//! `routes` (the API and the fixture control protocol), `lifecycle` (the live-tenant routes,
//! the token endpoint, throttling), `request` (decoding), `respond` (Graph error bodies),
//! `journal` (every request answered).

pub(crate) mod journal;
pub(crate) mod lifecycle;
pub(crate) mod request;
pub(crate) mod respond;
pub(crate) mod routes;
pub(crate) mod state;
