//! Named credentials beyond the run's own token: for the permission and role rules, on both
//! sides (tokens that may not update, and tokens of each documented kind and role that may). A target says which tokens lack what with
//! `--credential NAME=TOKEN`; cases ask for one with `when.auth: NAME`.

use std::fmt;
use std::str::FromStr;

/// A kind of named caller: tokens that name their kind (application or delegated), whether
/// they carry AccessReview.ReadWrite.All, and the signed-in user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Credential {
    /// An application token without AccessReview.ReadWrite.All.
    AppWithoutPermission,
    /// A delegated token (of a user with a supported role) without AccessReview.ReadWrite.All.
    DelegatedWithoutPermission,
    /// A delegated token (with AccessReview.ReadWrite.All) of a user without a supported
    /// Microsoft Entra role.
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

impl Credential {
    /// Every credential kind.
    pub const ALL: [Credential; 8] = [
        Credential::AppWithoutPermission,
        Credential::DelegatedWithoutPermission,
        Credential::Roleless,
        Credential::PersonalAccount,
        Credential::App,
        Credential::DelegatedUserAdmin,
        Credential::DelegatedIga,
        Credential::DelegatedPra,
    ];

    /// The name used in `--credential NAME=TOKEN` and in `when.auth`.
    pub fn name(self) -> &'static str {
        match self {
            Credential::AppWithoutPermission => "app-without-permission",
            Credential::DelegatedWithoutPermission => "delegated-without-permission",
            Credential::Roleless => "roleless",
            Credential::PersonalAccount => "personal-account",
            Credential::App => "app",
            Credential::DelegatedUserAdmin => "delegated-user-admin",
            Credential::DelegatedIga => "delegated-iga",
            Credential::DelegatedPra => "delegated-pra",
        }
    }

    /// What the token must be.
    pub fn description(self) -> &'static str {
        match self {
            Credential::AppWithoutPermission => {
                "an application token without AccessReview.ReadWrite.All"
            }
            Credential::DelegatedWithoutPermission => {
                "a delegated token without AccessReview.ReadWrite.All, of a user with a supported Entra role"
            }
            Credential::Roleless => {
                "a delegated token (with AccessReview.ReadWrite.All) of a user with neither a supported Entra role nor a custom role with a supported role permission"
            }
            Credential::PersonalAccount => "a delegated token of a personal Microsoft account",
            Credential::App => "an application token with AccessReview.ReadWrite.All",
            Credential::DelegatedUserAdmin => {
                "a delegated token with AccessReview.ReadWrite.All of a User Administrator"
            }
            Credential::DelegatedIga => {
                "a delegated token with AccessReview.ReadWrite.All of an Identity Governance Administrator"
            }
            Credential::DelegatedPra => {
                "a delegated token with AccessReview.ReadWrite.All of a Privileged Role Administrator"
            }
        }
    }

    /// Every name, for messages.
    pub fn names() -> String {
        Credential::ALL.map(Credential::name).join(", ")
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown credential name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownCredential {
    /// Not a name at all.
    #[error(
        "unknown credential `{0}`{guess}; valid: {names}",
        guess = crate::diagnostic::did_you_mean(.0, Credential::ALL.map(Credential::name))
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default(),
        names = Credential::names()
    )]
    Name(String),
    /// The name of an earlier release, split since.
    #[error(
        "credential `unprivileged` was split: use app-without-permission (an application token) or delegated-without-permission (a delegated one)"
    )]
    Split,
}

impl FromStr for Credential {
    type Err = UnknownCredential;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "unprivileged" {
            return Err(UnknownCredential::Split);
        }
        Credential::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCredential::Name(s.to_string()))
    }
}

/// `NAME=TOKEN` from the command line. `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialArg {
    /// Which kind.
    pub credential: Credential,
    /// The token.
    pub token: String,
}

impl fmt::Debug for CredentialArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=(redacted)", self.credential)
    }
}

/// A malformed `NAME=TOKEN`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialArgError {
    /// No `=`, or nothing after it.
    #[error("expected NAME=TOKEN (names: {names})", names = Credential::names())]
    Shape,
    /// The name is not known.
    #[error(transparent)]
    Name(#[from] UnknownCredential),
}

impl FromStr for CredentialArg {
    type Err = CredentialArgError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, token) = s.split_once('=').ok_or(CredentialArgError::Shape)?;
        if token.trim().is_empty() {
            return Err(CredentialArgError::Shape);
        }
        Ok(CredentialArg {
            credential: name.trim().parse()?,
            token: token.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("app-without-permission=abc", Some((Credential::AppWithoutPermission, "abc")))]
    #[case("delegated-pra=abc", Some((Credential::DelegatedPra, "abc")))]
    #[case("unprivileged=abc", None)]
    #[case("personal-account= t=x ", Some((Credential::PersonalAccount, "t=x")))]
    #[case("roleless=", None)]
    #[case("roleless", None)]
    #[case("admin=abc", None)]
    fn parses_name_equals_token(#[case] arg: &str, #[case] expected: Option<(Credential, &str)>) {
        let parsed = arg.parse::<CredentialArg>().ok();
        assert_eq!(
            parsed.as_ref().map(|c| (c.credential, c.token.as_str())),
            expected
        );
        if let Some(c) = parsed {
            assert!(!format!("{c:?}").contains(&c.token));
        }
    }

    #[test]
    fn a_misspelt_name_gets_a_guess() {
        let err = "app-withut-permission=tok"
            .parse::<CredentialArg>()
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("(did you mean `app-without-permission`?)"),
            "{err}"
        );
        let err = "zzz=tok".parse::<CredentialArg>().unwrap_err();
        assert!(!err.to_string().contains("did you mean"), "{err}");
    }
}
