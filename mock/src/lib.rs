//! # accessreview-mock
//!
//! A faithful in-memory implementation of the Microsoft Graph beta API *Update
//! accessReviewInstance* (`PUT`/`PATCH /identityGovernance/accessReviews/definitions/{d}/instances/{i}`),
//! with the reads around it and a fixture control endpoint to seed starting states. It is
//! the reference the `accessreview-conformance` suite checks itself against, and a Graph test
//! double for your own tests:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let _ = rustls::crypto::ring::default_provider().install_default();
//! use accessreview_mock::MockServer;
//! use serde_json::{Value, json};
//!
//! let mock = MockServer::start().await?; // 127.0.0.1, a free port; stopped on drop
//! let seeded = mock
//!     .seed(&json!({"instances": [{"status": "InProgress"}]}))
//!     .map_err(|r| r.message)?;
//! let url = format!(
//!     "{}/identityGovernance/accessReviews/definitions/{}/instances/{}",
//!     mock.base_url(),
//!     seeded.definition_id,
//!     seeded.instance_ids[0]
//! );
//! let client = reqwest::Client::new();
//! let body = json!({
//!     "scope": {"query": "/groups/g/transitiveMembers", "queryType": "MicrosoftGraph"},
//!     "reviewers": [{"query": "/users/alice", "queryType": "MicrosoftGraph"}]
//! });
//! let answer = client.put(&url).bearer_auth("any-token").json(&body).send().await?;
//! assert_eq!(answer.status(), 200);
//! let read: Value = client.get(&url).bearer_auth("any-token").send().await?.json().await?;
//! assert_eq!(read["reviewers"][0]["query"], "/v1.0/users/alice");
//! # Ok(())
//! # }
//! ```
//!
//! The layout follows the page: [`spec`] is the faithful core (the update rules as pure
//! functions); [`auth`] who may call; [`store`] the state; the HTTP glue is private; every
//! deliberate [`Deviation`] is a set of hooks in [`fault`] around that core.
#![warn(missing_docs)]

pub mod auth;
pub mod credential;
pub mod deviation;
pub mod fault;
pub mod lifecycle;
mod lifecycle_http;
pub mod query;
pub mod refusal;
mod request;
mod respond;
mod routes;
mod server;
pub mod spec;
pub mod store;
pub mod token;
pub mod variant;

pub use credential::Restricted;
pub use deviation::{Deviation, UnknownDeviation};
pub use lifecycle_http::Lifecycle;
pub use refusal::{Refusal, Why};
pub use server::{MockOptions, MockServer, router};
pub use store::{Seeded, Store};
pub use token::ClientApp;
pub use variant::{UnknownVariant, Variant};
