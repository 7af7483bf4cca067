//! What every handler shares: the mock's state, and the request helpers both route files use
//! (who is calling, the request's ids, the path's segments).

use std::sync::{Arc, Mutex};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request};
use axum::http::{HeaderMap, header};

use crate::core::answer::RequestIds;
use crate::core::auth::{Privilege, Tokens, authenticate, may_update};
use crate::core::refusal::{Refusal, Why};
use crate::core::store::Store;
use crate::faults::hooks::Faults;
use crate::http::journal::Journal;
use crate::tenant::lifecycle::Lifecycle;
use crate::tenant::throttle::Throttle;
use crate::tenant::token::Issued;

/// What every handler shares.
pub(crate) struct AppState {
    pub(crate) store: Mutex<Store>,
    pub(crate) tokens: Tokens,
    pub(crate) faults: Faults,
    /// The error `code` of each error status, in place of the reference's (a profile's).
    pub(crate) error_codes: Vec<(u16, String)>,
    pub(crate) lifecycle: Lifecycle,
    pub(crate) issued: Issued,
    /// Which API requests are throttled (`--throttle-every`).
    pub(crate) throttle: Throttle,
    /// Every request answered.
    pub(crate) journal: Journal,
    /// The tenant's user ids (lower case), for the `unknown-users-400` variant.
    pub(crate) users: std::collections::HashSet<String>,
    /// Creates answered so far (for `Lifecycle::lose_create_answer_every`).
    pub(crate) creates: std::sync::atomic::AtomicU64,
}

pub(crate) type Shared = Arc<AppState>;

impl AppState {
    /// The update permission check, through the hooks.
    pub(crate) fn may_update(
        &self,
        privilege: Privilege,
        kind: Option<crate::core::credential::ReviewKind>,
    ) -> Result<(), Refusal> {
        self.faults
            .may_update(privilege, may_update(privilege, kind))
    }

    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<Privilege, Refusal> {
        self.faults.authenticate(|| {
            let bearer = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim);
            match bearer.and_then(|t| self.issued.valid(t)) {
                Some(true) => Ok(Privilege::ReadWrite),
                Some(false) => Err(Refusal::new(
                    Why::Unauthenticated,
                    "Lifetime validation failed, the token is expired.",
                )),
                None => authenticate(&self.tokens, headers),
            }
        })
    }
}

pub(crate) fn ids_of(req: &Request) -> Option<RequestIds> {
    req.extensions().get::<RequestIds>().cloned()
}

/// The path's segments, or a Graph refusal when they cannot be decoded (e.g. `%FF`).
pub(crate) fn segments<T>(path: Result<Path<T>, PathRejection>) -> Result<T, Refusal> {
    path.map(|Path(t)| t).map_err(|rejection| {
        Refusal::new(
            Why::InvalidPath,
            format!("The request URL is not valid: {}", rejection.body_text()),
        )
    })
}

pub(crate) fn definition_not_found(definition: &str) -> Refusal {
    Refusal::new(
        Why::NotFound,
        format!("accessReviewScheduleDefinition with id '{definition}' was not found."),
    )
}
