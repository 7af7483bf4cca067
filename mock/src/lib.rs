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
//! use accessreview_mock::{MockServer, RequestKind};
//! use serde_json::{Value, json};
//!
//! // 127.0.0.1, a free port; only this token is accepted; stopped on drop.
//! let mock = MockServer::builder().token("my-token").start().await?;
//! let seeded = mock.seed(&json!({"instances": [{"status": "InProgress"}]}))?;
//! let url = mock.instance_url(&seeded.definition_id, &seeded.instance_ids[0]);
//! let client = reqwest::Client::new();
//! let body = json!({
//!     "scope": {"query": "/groups/g/transitiveMembers", "queryType": "MicrosoftGraph"},
//!     "reviewers": [{"query": "/users/alice", "queryType": "MicrosoftGraph"}]
//! });
//! let answer = client.put(&url).bearer_auth("my-token").json(&body).send().await?;
//! assert_eq!(answer.status(), 200);
//! let read: Value = client.get(&url).bearer_auth("my-token").send().await?.json().await?;
//! assert_eq!(read["reviewers"][0]["query"], "/v1.0/users/alice");
//! // Every answered request is in the journal, with its kind and status.
//! let statuses: Vec<u16> = mock.received_requests().iter().map(|r| r.status).collect();
//! assert_eq!(statuses, [200, 200]);
//! assert!(mock.received_requests().iter().all(|r| r.kind == RequestKind::Api));
//! # Ok(())
//! # }
//! ```
//!
//! The layout follows the page: `core` is the faithful core (the update rules as pure
//! functions, who may call, the state); `tenant` what a live tenant does around the update
//! (the definition lifecycle, tokens, throttling); every deliberate [`Deviation`] and silent-page
//! [`Variant`] is a set of hooks in `faults` around that core; `http` is the glue on axum.
#![warn(missing_docs)]

mod core;
mod faults;
mod http;
mod server;
mod tenant;

pub use crate::core::credential::{CredentialError, Restricted};
pub use crate::core::refusal::{Refusal, Why};
pub use crate::core::store::Seeded;
pub use crate::faults::deviation::{Deviation, UnknownDeviation};
pub use crate::faults::silent_page::{GetLists, ListOrder, SilentPage, SilentPageError};
pub use crate::faults::variant::{UnknownVariant, Variant};
pub use crate::http::journal::{ReceivedRequest, RequestKind};
pub use crate::tenant::lifecycle::Lifecycle;
pub use crate::tenant::token::{AppCredential, ClientApp};
pub use server::{MockOptions, MockServer, MockServerBuilder, router};
