//! Who is calling: `Authorization: Bearer …` checked against the mock's tokens, and the rule
//! that restricted callers may read but not update.

use axum::http::{HeaderMap, header};

use serde_json::Value;

use crate::core::credential::{Restricted, ReviewKind};
use crate::core::refusal::{Refusal, Why};

/// What a request is allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Privilege {
    /// AccessReview.ReadWrite.All (and, delegated, a supported role).
    ReadWrite,
    /// Authenticated with a restricted credential.
    Restricted(Restricted),
}

/// The tokens a mock accepts (no `Debug`: they are secrets).
#[derive(Clone, Default)]
pub(crate) struct Tokens {
    /// The only full-privilege token; `None` accepts any non-empty bearer token.
    pub(crate) token: Option<String>,
    /// Restricted tokens.
    pub(crate) restricted: Vec<(Restricted, String)>,
}

/// Checks `Authorization: Bearer …`: 401 without a usable token.
pub(crate) fn authenticate(tokens: &Tokens, headers: &HeaderMap) -> Result<Privilege, Refusal> {
    let unauthenticated = |m: &str| Refusal::new(Why::Unauthenticated, m);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthenticated("Access token is empty."))?;
    if let Some((c, _)) = tokens.restricted.iter().find(|(_, t)| t == token) {
        return Ok(Privilege::Restricted(*c));
    }
    match &tokens.token {
        Some(expected) if expected != token => {
            Err(unauthenticated("Access token validation failure."))
        }
        _ => Ok(Privilege::ReadWrite),
    }
}

/// "AccessReview.ReadWrite.All, a supported role, not a personal account", before the
/// instance is known (with `kind`, for the instance's kind of review): 403 otherwise.
pub(crate) fn may_update(privilege: Privilege, kind: Option<ReviewKind>) -> Result<(), Refusal> {
    match privilege {
        Privilege::ReadWrite => Ok(()),
        Privilege::Restricted(c) => {
            let allowed = match kind {
                None => c.may_update_any(),
                Some(k) => c.may_update(k),
            };
            if allowed {
                Ok(())
            } else {
                Err(Refusal::new(Why::Forbidden, c.refusal_message()))
            }
        }
    }
}

/// The kind of review an instance belongs to: a review of Entra roles when its scope names
/// `/roleManagement/` anywhere (as the page's example does), otherwise a group or app review.
pub(crate) fn review_kind(instance: &serde_json::Map<String, Value>) -> ReviewKind {
    fn names_roles(v: &Value) -> bool {
        match v {
            Value::String(s) => s.to_ascii_lowercase().contains("/rolemanagement/"),
            Value::Array(items) => items.iter().any(names_roles),
            Value::Object(m) => m.values().any(names_roles),
            _ => false,
        }
    }
    if instance.get("scope").is_some_and(names_roles) {
        ReviewKind::EntraRole
    } else {
        ReviewKind::GroupOrApp
    }
}
