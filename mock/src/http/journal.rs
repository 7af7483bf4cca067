//! The request journal: every request the mock answered, in the order answered, with what it
//! was (an API call, the fixture control protocol, the lifecycle around it, a token request)
//! and the status it got. A test asks it instead of counting on its own.

use std::sync::Mutex;

use axum::http::Method;

/// What a request was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// The API under test and the reads around it (definitions, instances, the update), and
    /// any path the mock does not serve.
    Api,
    /// The fixture control protocol (`/_conformance/…`).
    Control,
    /// What a live tenant does around the update: create, list and delete definitions, stop
    /// an instance.
    Lifecycle,
    /// The client-credentials token endpoint.
    Token,
}

/// One request the mock answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedRequest {
    /// The HTTP method (`PUT`, `GET`, …).
    pub method: String,
    /// The path with its query string, as sent (`/beta/identityGovernance/…?$select=id`).
    pub path: String,
    /// What the request was for.
    pub kind: RequestKind,
    /// The status it was answered with.
    pub status: u16,
}

/// The path of the definitions collection.
pub(crate) const API: &str = "/beta/identityGovernance/accessReviews/definitions";

/// The same collection in v1.0, where only the lifecycle is served.
pub(crate) const V1_API: &str = "/v1.0/identityGovernance/accessReviews/definitions";

impl RequestKind {
    /// What a request with this method and path (without its query) is for.
    pub(crate) fn of(method: &Method, path: &str) -> RequestKind {
        if path.starts_with("/_conformance/") {
            return RequestKind::Control;
        }
        let parts: Vec<&str> = path.split('/').collect();
        if method == Method::POST && matches!(parts[..], ["", _, "oauth2", "v2.0", "token"]) {
            return RequestKind::Token;
        }
        if path.starts_with(V1_API) {
            return RequestKind::Lifecycle;
        }
        let Some(rest) = path.strip_prefix(API) else {
            return RequestKind::Api;
        };
        let rest: Vec<&str> = rest.split('/').collect();
        let lifecycle = match rest[..] {
            [""] => method == Method::GET || method == Method::POST,
            ["", _] => method == Method::DELETE,
            ["", _, "instances", _, "stop"] => method == Method::POST,
            _ => false,
        };
        if lifecycle {
            RequestKind::Lifecycle
        } else {
            RequestKind::Api
        }
    }
}

/// The requests answered so far (none kept when recording is off).
#[derive(Debug)]
pub(crate) struct Journal {
    recording: bool,
    entries: Mutex<Vec<ReceivedRequest>>,
}

impl Journal {
    /// A journal that keeps every request, or (for a long-running server nobody asks) none.
    pub(crate) fn new(recording: bool) -> Journal {
        Journal {
            recording,
            entries: Mutex::new(Vec::new()),
        }
    }

    /// Records one answered request.
    pub(crate) fn record(&self, entry: ReceivedRequest) {
        if self.recording {
            self.lock().push(entry);
        }
    }

    /// Every request recorded so far.
    pub(crate) fn entries(&self) -> Vec<ReceivedRequest> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ReceivedRequest>> {
        // A push cannot leave the list half-written: a poisoned lock is still usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_routes() {
        let d = format!("{API}/d");
        let i = format!("{API}/d/instances/i");
        for (method, path, kind) in [
            (Method::POST, "/_conformance/fixtures", RequestKind::Control),
            (
                Method::DELETE,
                "/_conformance/fixtures/d",
                RequestKind::Control,
            ),
            (Method::POST, "/t/oauth2/v2.0/token", RequestKind::Token),
            (Method::GET, "/t/oauth2/v2.0/token", RequestKind::Api),
            (Method::GET, API, RequestKind::Lifecycle),
            (Method::POST, API, RequestKind::Lifecycle),
            (Method::POST, V1_API, RequestKind::Lifecycle),
            (
                Method::GET,
                &format!("{V1_API}/d/instances"),
                RequestKind::Lifecycle,
            ),
            (Method::DELETE, &d, RequestKind::Lifecycle),
            (Method::GET, &d, RequestKind::Api),
            (Method::POST, &format!("{i}/stop"), RequestKind::Lifecycle),
            (Method::PUT, &i, RequestKind::Api),
            (Method::GET, "/elsewhere", RequestKind::Api),
        ] {
            assert_eq!(RequestKind::of(&method, path), kind, "{method} {path}");
        }
    }

    #[test]
    fn a_journal_not_recording_keeps_nothing() {
        let entry = ReceivedRequest {
            method: "GET".into(),
            path: "/x".into(),
            kind: RequestKind::Api,
            status: 404,
        };
        let on = Journal::new(true);
        on.record(entry.clone());
        assert_eq!(on.entries(), std::slice::from_ref(&entry));
        let off = Journal::new(false);
        off.record(entry);
        assert!(off.entries().is_empty());
    }
}
