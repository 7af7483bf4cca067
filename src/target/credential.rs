//! Named credentials beyond the run's own token: tokens that authenticate but may not update,
//! for the permission and role rules. A target says which tokens lack what with
//! `--credential NAME=TOKEN`; cases ask for one with `when.auth: NAME`.

use std::fmt;
use std::str::FromStr;

/// A kind of restricted caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Credential {
    /// Authenticates, but the token lacks AccessReview.ReadWrite.All.
    Unprivileged,
    /// A delegated token of a user without a supported Microsoft Entra role.
    Roleless,
    /// A delegated token of a personal Microsoft account.
    PersonalAccount,
}

impl Credential {
    /// Every credential kind.
    pub const ALL: [Credential; 3] = [
        Credential::Unprivileged,
        Credential::Roleless,
        Credential::PersonalAccount,
    ];

    /// The name used in `--credential NAME=TOKEN` and in `when.auth`.
    pub fn name(self) -> &'static str {
        match self {
            Credential::Unprivileged => "unprivileged",
            Credential::Roleless => "roleless",
            Credential::PersonalAccount => "personal-account",
        }
    }

    /// What the token must be.
    pub fn description(self) -> &'static str {
        match self {
            Credential::Unprivileged => "a token without AccessReview.ReadWrite.All",
            Credential::Roleless => {
                "a delegated token (with AccessReview.ReadWrite.All) of a user without a supported Entra role"
            }
            Credential::PersonalAccount => "a delegated token of a personal Microsoft account",
        }
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown credential name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown credential `{0}`; valid: unprivileged, roleless, personal-account")]
pub struct UnknownCredential(String);

impl FromStr for Credential {
    type Err = UnknownCredential;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Credential::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownCredential(s.to_string()))
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
        write!(f, "{}=<redacted>", self.credential)
    }
}

/// A malformed `NAME=TOKEN`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialArgError {
    /// No `=`, or nothing after it.
    #[error("expected NAME=TOKEN (names: unprivileged, roleless, personal-account)")]
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
    #[case("unprivileged=abc", Some((Credential::Unprivileged, "abc")))]
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
}
