//! The reference mock: a faithful in-memory implementation of the Update accessReviewInstance
//! API and of the fixture control protocol, optionally with one deliberate [`Deviation`].
//!
//! Semantics (see `README.md`): bearer auth required (401 otherwise); 404 for an unknown
//! definition or instance; PUT and PATCH alike; `200` with the full updated instance and
//! `@odata.context`; `scope` required (400) and never changed; a non-`InProgress` instance is
//! refused with 409; removing an existing fallback reviewer is refused with 409; updates are
//! serialised under one lock; every error is a Graph error body, and every response carries
//! `request-id` and `client-request-id`.

mod deviation;
mod server;
mod store;
mod update;

pub use deviation::{Deviation, UnknownDeviation};
pub use server::{MockOptions, MockServer, router};
pub use store::{Refusal, Store, apply_update};
