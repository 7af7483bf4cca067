//! Restricted callers: tokens that authenticate but may not update (the page's permission,
//! role and account-type rules).

use std::fmt;
use std::str::FromStr;

/// A kind of restricted caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Restricted {
    /// The token lacks AccessReview.ReadWrite.All.
    Unprivileged,
    /// A delegated token of a user without a supported Microsoft Entra role.
    Roleless,
    /// A delegated token of a personal Microsoft account.
    PersonalAccount,
}

impl Restricted {
    /// Every kind.
    pub const ALL: [Restricted; 3] = [
        Restricted::Unprivileged,
        Restricted::Roleless,
        Restricted::PersonalAccount,
    ];

    /// The name used in `--credential NAME=TOKEN`.
    pub fn name(self) -> &'static str {
        match self {
            Restricted::Unprivileged => "unprivileged",
            Restricted::Roleless => "roleless",
            Restricted::PersonalAccount => "personal-account",
        }
    }

    /// The message the refusal of an update carries.
    pub fn refusal_message(self) -> &'static str {
        match self {
            Restricted::Unprivileged => "Insufficient privileges to complete the operation.",
            Restricted::Roleless => {
                "The signed-in user is not assigned a role that may update access reviews."
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
    #[error("expected NAME=TOKEN (names: unprivileged, roleless, personal-account)")]
    Shape,
    /// An unknown name.
    #[error("unknown credential `{0}`; valid: unprivileged, roleless, personal-account")]
    Name(String),
}

impl FromStr for Restricted {
    type Err = CredentialError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
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
    #[case("unprivileged=abc", Some((Restricted::Unprivileged, "abc")))]
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
