//! Why the mock refuses a request: each refusal names the rule of the page (or of HTTP) it
//! enforces, and renders as a Graph error body.

/// Which rule a refusal enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The body is not an accessReviewInstance update (not an object, unknown property,
    /// malformed reviewer list, malformed JSON).
    InvalidBody,
    /// `scope` is missing from the body.
    MissingScope,
    /// The instance is not `InProgress`.
    NotInProgress,
    /// The body drops an existing fallback reviewer.
    FallbackReviewerRemoved,
    /// A path segment cannot be decoded (not UTF-8 once percent-decoded).
    InvalidPath,
    /// The definition or instance does not exist.
    NotFound,
    /// No valid bearer token.
    Unauthenticated,
    /// The caller may read but not update.
    Forbidden,
    /// The body is not sent as `application/json` (400, as Graph answers).
    UnsupportedMediaType,
    /// The body exceeds the mock's limit.
    TooLarge,
    /// The method is not served on this path.
    MethodNotAllowed,
    /// A fixture with a given id already exists.
    Exists,
    /// Too many requests (`--throttle-every`).
    Throttled,
}

/// A refusal: status, Graph error code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct Refusal {
    /// Which rule.
    pub why: Why,
    /// HTTP status code.
    pub status: u16,
    /// Graph error code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Field errors, rendered as `innerError.message` (as the service does for invalid bodies).
    pub details: Option<String>,
}

impl Refusal {
    /// A refusal for `why` with its usual status and code.
    pub fn new(why: Why, message: impl Into<String>) -> Refusal {
        let (status, code) = match why {
            Why::InvalidBody | Why::MissingScope | Why::InvalidPath => (400, "BadRequest"),
            Why::NotInProgress | Why::FallbackReviewerRemoved | Why::Exists => (409, "Conflict"),
            Why::NotFound => (404, "ResourceNotFound"),
            Why::Unauthenticated => (401, "InvalidAuthenticationToken"),
            Why::Forbidden => (403, "Authorization_RequestDenied"),
            // Graph refuses a body without a JSON Content-Type with 400 BadRequest.
            Why::UnsupportedMediaType => (400, "BadRequest"),
            Why::TooLarge => (413, "RequestEntityTooLarge"),
            Why::MethodNotAllowed => (405, "Request_BadRequest"),
            Why::Throttled => (429, "TooManyRequests"),
        };
        Refusal {
            why,
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    /// The same refusal with another status (and, optionally, code).
    pub fn with_status(mut self, status: u16, code: Option<&'static str>) -> Refusal {
        self.status = status;
        if let Some(c) = code {
            self.code = c;
        }
        self
    }
}
