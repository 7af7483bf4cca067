//! Named callers beside the mock's own token: tokens that name their kind (application or
//! delegated), whether they carry AccessReview.ReadWrite.All, and the signed-in user's role —
//! for the page's permission, role and account-type rules, on both sides.

use std::fmt;
use std::str::FromStr;

/// What kind of review an instance belongs to, as far as the page's role table goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReviewKind {
    /// A review of a group or an app.
    GroupOrApp,
    /// A review of Microsoft Entra role assignments.
    EntraRole,
}

/// A kind of named caller (`--credential NAME=TOKEN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Restricted {
    /// An application token without AccessReview.ReadWrite.All.
    AppWithoutPermission,
    /// A delegated token (of a user with a supported role) without AccessReview.ReadWrite.All.
    DelegatedWithoutPermission,
    /// A delegated token of a user without a supported Microsoft Entra role.
    Roleless,
    /// A delegated token of a personal Microsoft account.
    PersonalAccount,
    /// An application token with AccessReview.ReadWrite.All.
    App,
    /// A delegated token with the permission, of a User Administrator.
    DelegatedUserAdmin,
    /// A delegated token with the permission, of an Identity Governance Administrator.
    DelegatedIga,
    /// A delegated token with the permission, of a Privileged Role Administrator.
    DelegatedPra,
}

impl Restricted {
    /// Every kind.
    pub const ALL: [Restricted; 8] = [
        Restricted::AppWithoutPermission,
        Restricted::DelegatedWithoutPermission,
        Restricted::Roleless,
        Restricted::PersonalAccount,
        Restricted::App,
        Restricted::DelegatedUserAdmin,
        Restricted::DelegatedIga,
        Restricted::DelegatedPra,
    ];

    /// The name used in `--credential NAME=TOKEN`.
    pub fn name(self) -> &'static str {
        match self {
            Restricted::AppWithoutPermission => "app-without-permission",
            Restricted::DelegatedWithoutPermission => "delegated-without-permission",
            Restricted::Roleless => "roleless",
            Restricted::PersonalAccount => "personal-account",
            Restricted::App => "app",
            Restricted::DelegatedUserAdmin => "delegated-user-admin",
            Restricted::DelegatedIga => "delegated-iga",
            Restricted::DelegatedPra => "delegated-pra",
        }
    }

    /// Whether this caller may update an instance of a review of `kind`: the page's
    /// permission table and its least privileged roles (User Administrator or Identity
    /// Governance Administrator for groups and apps; Identity Governance Administrator or
    /// Privileged Role Administrator for Entra roles). A role the page does not list for the
    /// kind is refused (the reference behaviour: the page lists least privileged roles only).
    pub(crate) fn may_update(self, kind: ReviewKind) -> bool {
        match self {
            Restricted::App | Restricted::DelegatedIga => true,
            Restricted::DelegatedUserAdmin => kind == ReviewKind::GroupOrApp,
            Restricted::DelegatedPra => kind == ReviewKind::EntraRole,
            Restricted::AppWithoutPermission
            | Restricted::DelegatedWithoutPermission
            | Restricted::Roleless
            | Restricted::PersonalAccount => false,
        }
    }

    /// Whether this caller may update some instance (the check before the instance is known).
    pub(crate) fn may_update_any(self) -> bool {
        self.may_update(ReviewKind::GroupOrApp) || self.may_update(ReviewKind::EntraRole)
    }

    /// The message the refusal of an update carries.
    pub fn refusal_message(self) -> &'static str {
        match self {
            Restricted::AppWithoutPermission | Restricted::DelegatedWithoutPermission => {
                "Insufficient privileges to complete the operation."
            }
            Restricted::Roleless
            | Restricted::DelegatedUserAdmin
            | Restricted::DelegatedPra
            | Restricted::App
            | Restricted::DelegatedIga => {
                "The signed-in user is not assigned a role that may update access reviews of this kind."
            }
            Restricted::PersonalAccount => {
                "Personal Microsoft accounts are not supported for this operation."
            }
        }
    }

    /// Parses `NAME=TOKEN` (as `--credential` takes it): the kind and its token.
    pub fn parse_credential(arg: &str) -> Result<(Restricted, String), CredentialError> {
        let (name, token) = arg.split_once('=').ok_or(CredentialError::Shape)?;
        if token.trim().is_empty() {
            return Err(CredentialError::Shape);
        }
        Ok((name.trim().parse()?, token.trim().to_string()))
    }
}

impl fmt::Display for Restricted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A malformed `NAME=TOKEN` (the token is never part of the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// No `=`, or nothing after it.
    #[error("expected NAME=TOKEN (names: {})", names())]
    Shape,
    /// An unknown name.
    #[error("unknown credential `{0}`; valid: {names}", names = names())]
    Name(String),
    /// A name of an earlier release, split since.
    #[error(
        "credential `unprivileged` was split: use app-without-permission (an application token) or delegated-without-permission (a delegated one)"
    )]
    Split,
}

fn names() -> String {
    Restricted::ALL.map(Restricted::name).join(", ")
}

impl FromStr for Restricted {
    type Err = CredentialError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "unprivileged" {
            return Err(CredentialError::Split);
        }
        Restricted::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| CredentialError::Name(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("app-without-permission=abc", Some((Restricted::AppWithoutPermission, "abc")))]
    #[case("delegated-iga=abc", Some((Restricted::DelegatedIga, "abc")))]
    #[case("unprivileged=abc", None)]
    #[case("personal-account= t=x ", Some((Restricted::PersonalAccount, "t=x")))]
    #[case("roleless=", None)]
    #[case("roleless", None)]
    #[case("admin=abc", None)]
    fn parses_name_equals_token(#[case] arg: &str, #[case] expected: Option<(Restricted, &str)>) {
        let parsed = Restricted::parse_credential(arg);
        assert_eq!(
            parsed.as_ref().ok().map(|(c, t)| (*c, t.as_str())),
            expected
        );
        if let Err(e) = parsed {
            assert!(!e.to_string().contains("abc"), "{e}");
        }
    }
}

#[cfg(test)]
mod role_tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Restricted::App, true, true)]
    #[case(Restricted::DelegatedIga, true, true)]
    #[case(Restricted::DelegatedUserAdmin, true, false)]
    #[case(Restricted::DelegatedPra, false, true)]
    #[case(Restricted::AppWithoutPermission, false, false)]
    #[case(Restricted::DelegatedWithoutPermission, false, false)]
    #[case(Restricted::Roleless, false, false)]
    #[case(Restricted::PersonalAccount, false, false)]
    fn the_pages_tables(#[case] who: Restricted, #[case] group: bool, #[case] role: bool) {
        assert_eq!(who.may_update(ReviewKind::GroupOrApp), group, "{who}");
        assert_eq!(who.may_update(ReviewKind::EntraRole), role, "{who}");
    }

    #[test]
    fn the_old_name_says_what_replaced_it() {
        let e = "unprivileged"
            .parse::<Restricted>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("app-without-permission"), "{e}");
    }
}
