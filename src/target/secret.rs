//! Secrets that never show themselves, and the TLS set-up every HTTP client of the suite (the
//! target's, the token endpoint's) needs first. Neither knows the client.

use std::fmt;

/// A bearer token that never shows itself: `Debug` and `Display` print `(redacted)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Secret {
        Secret(token.into())
    }

    /// The token itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Installs the ring crypto provider for rustls (once; later calls do nothing). reqwest's
/// lean TLS feature set needs it before the first client is built.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
