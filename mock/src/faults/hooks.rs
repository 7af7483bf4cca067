//! How each [`Deviation`] lies and each [`Variant`] answers: [`Faults`], the hooks the HTTP glue
//! calls around each faithful step of the core. A hook is handed the faithful result (or, for
//! a step the core does not take, such as refusing a method, nothing) and returns it unchanged
//! without a deviation or variant, so the faithful path is exactly the core; reading one arm
//! tells you exactly what one deviation changes (before, instead of, or after a faithful step).
//! The request-side hooks are here; the update transaction's are in `update.rs`, the
//! answer-side ones (reads, successes, every answer) in `answer.rs`.

use axum::http::Method;
use serde_json::Value;

use crate::core::auth::Privilege;
use crate::core::refusal::{Refusal, Why};
use crate::core::spec::Object;
use crate::faults::deviation::Deviation;
use crate::faults::variant::Variant;

/// The hooks of one (or no) deviation, and of any silent-page variants (a profile sets
/// several at once).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Faults {
    /// A deliberate bug.
    pub(crate) deviation: Option<Deviation>,
    /// Ways of answering differently where the page is silent.
    pub(crate) variants: Variants,
}

/// A set of variants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Variants(u32);

impl Variants {
    /// The set of `variants`.
    pub(crate) fn of(variants: &[Variant]) -> Variants {
        Variants(variants.iter().fold(0, |bits, v| bits | Variants::bit(*v)))
    }

    fn bit(v: Variant) -> u32 {
        // ALL holds every variant, so the position is always found.
        1 << Variant::ALL.iter().position(|x| *x == v).unwrap_or(31)
    }

    /// Whether `v` is in the set.
    pub(crate) fn has(self, v: Variant) -> bool {
        self.0 & Variants::bit(v) != 0
    }
}

impl Faults {
    /// The hooks of a deviation (no variant).
    #[cfg(test)]
    pub(crate) fn of(deviation: Option<Deviation>) -> Faults {
        Faults {
            deviation,
            ..Faults::default()
        }
    }

    pub(crate) fn is(self, d: Deviation) -> bool {
        self.deviation == Some(d)
    }

    pub(crate) fn varies(self, v: Variant) -> bool {
        self.variants.has(v)
    }

    /// Before anything: a method the deviation refuses.
    pub(crate) fn method(self, method: &Method) -> Result<(), Refusal> {
        let refused = ((self.is(Deviation::RejectPatch) || self.varies(Variant::PutOnly))
            && method == Method::PATCH)
            || (self.is(Deviation::RejectPut) && method == Method::PUT);
        if refused {
            return Err(Refusal::new(
                Why::MethodNotAllowed,
                format!("The HTTP method '{method}' is not allowed."),
            ));
        }
        Ok(())
    }

    /// Instead of authentication, when the deviation skips it.
    pub(crate) fn authenticate(
        self,
        faithful: impl FnOnce() -> Result<Privilege, Refusal>,
    ) -> Result<Privilege, Refusal> {
        if self.is(Deviation::NoAuthCheck) {
            return Ok(Privilege::ReadWrite);
        }
        faithful().map_err(|r| self.auth_status(r))
    }

    /// Around the update permission check: skipped for the restricted caller the deviation
    /// lets in.
    pub(crate) fn may_update(
        self,
        privilege: Privilege,
        faithful: Result<(), Refusal>,
    ) -> Result<(), Refusal> {
        use crate::core::credential::Restricted as R;
        let let_in = match privilege {
            Privilege::Restricted(R::AppWithoutPermission | R::DelegatedWithoutPermission) => {
                self.is(Deviation::NoPermissionCheck)
            }
            Privilege::Restricted(R::Roleless) => self.is(Deviation::NoRoleCheck),
            Privilege::Restricted(R::PersonalAccount) => self.is(Deviation::AcceptPersonalAccounts),
            Privilege::Restricted(R::DelegatedUserAdmin | R::DelegatedPra) => {
                self.is(Deviation::GrantUnlistedRoles)
            }
            Privilege::Restricted(_) | Privilege::ReadWrite => false,
        };
        if let_in {
            return Ok(());
        }
        let shut_out = match privilege {
            Privilege::Restricted(R::DelegatedUserAdmin | R::DelegatedPra) => {
                self.is(Deviation::RefuseListedRoles)
            }
            Privilege::Restricted(R::App) => self.is(Deviation::RefuseAppTokens),
            _ => false,
        };
        if shut_out && faithful.is_ok() {
            return Err(Refusal::new(
                crate::core::refusal::Why::Forbidden,
                "Insufficient privileges to complete the operation.",
            ));
        }
        faithful.map_err(|r| self.auth_status(r))
    }

    /// After an authentication or permission refusal: `auth-errors-400` answers 400.
    fn auth_status(self, refusal: Refusal) -> Refusal {
        if self.is(Deviation::AuthErrors400) {
            return refusal.with_status(400, Some("BadRequest"));
        }
        refusal
    }

    /// Around finding the addressed instance (faithfully, under the definition the path
    /// names, or 404): with `ignore-definition-in-path`, whichever definition holds it.
    pub(crate) fn locate(
        self,
        faithful: Result<String, Refusal>,
        holder: impl FnOnce() -> Option<String>,
    ) -> Result<String, Refusal> {
        match faithful {
            Err(e) if self.is(Deviation::IgnoreDefinitionInPath) => holder().ok_or(e),
            other => other,
        }
    }

    /// After a 404 for the addressed instance: the made-up instance `ok-for-unknown-ids`
    /// answers with instead.
    pub(crate) fn unknown_instance(self, instance: &str) -> Option<Object> {
        if !self.is(Deviation::OkForUnknownIds) {
            return None;
        }
        let mut made_up = Object::new();
        made_up.insert("id".into(), Value::String(instance.to_string()));
        made_up.insert("status".into(), Value::String("InProgress".into()));
        Some(made_up)
    }

    /// After the Content-Type check.
    pub(crate) fn content_type(self, faithful: Result<(), Refusal>) -> Result<(), Refusal> {
        if self.is(Deviation::IgnoreContentType) {
            return Ok(());
        }
        if self.is(Deviation::ContentType415) {
            return faithful.map_err(|r| r.with_status(415, Some("UnsupportedMediaType")));
        }
        faithful
    }

    /// After JSON parsing, for the `unknown-users-400` variant: a body whose reviewer lists
    /// name a user (`/users/{id}`) the tenant does not have is refused with 400.
    pub(crate) fn users(
        self,
        body: &Value,
        known: &std::collections::HashSet<String>,
    ) -> Result<(), Refusal> {
        if !self.varies(Variant::UnknownUsers400) {
            return Ok(());
        }
        let lists = ["reviewers", "fallbackReviewers"].map(|k| body.get(k));
        let entries = lists
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten();
        for entry in entries {
            let query = entry.get("query").and_then(Value::as_str).unwrap_or("");
            if let Some(id) = user_of(query)
                && !known.contains(&id.to_ascii_lowercase())
            {
                return Err(Refusal::new(
                    Why::InvalidBody,
                    format!(
                        "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
                    ),
                ));
            }
        }
        Ok(())
    }

    /// After JSON parsing: malformed JSON as a server error.
    pub(crate) fn json(self, faithful: Result<Value, Refusal>) -> Result<Value, Refusal> {
        match faithful {
            Err(r) if self.is(Deviation::MalformedJson500) => {
                Err(r.with_status(500, Some("generalException")))
            }
            other => other,
        }
    }
}

/// The user id a reviewer query names (`/users/{id}`, with or without a version segment).
fn user_of(query: &str) -> Option<&str> {
    let path = query.trim_start_matches('/');
    let path = path
        .strip_prefix("v1.0/")
        .or_else(|| path.strip_prefix("beta/"))
        .unwrap_or(path);
    let rest = path.strip_prefix("users/")?;
    let id = rest.split(['/', '?']).next()?;
    (!id.is_empty()).then_some(id)
}
